/*
 * api — the reply and ERROR helpers every handler file uses (see api.h).
 * Holds no handler and no route; calls nothing of the api folder, so the
 * handler files sit between api_routes.c and here.
 */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"

wire_msg_t *
api_fail(struct api_call *c, int code, const char *text)
{
	char q[160];
	if (code == RW_EDB) {
		log_error("db.error", "kind=%s actor=%s detail=%s", wire_kind_name(c->req->kind),
		          c->who.name[0] ? c->who.name : "-",
		          log_q(q, sizeof(q), store_errmsg(c->ctx->store)));
		text = "the release history database is unavailable; try again";
	}
	return wire_error_new(c->req->request_id, code, text);
}

wire_msg_t *
api_fail_on(struct api_call *c, int rv, int when, const char *text)
{
	return api_fail(c, rv, rv == when || when == 0 ? text : NULL);
}

wire_msg_t *
api_reply(struct api_call *c, enum wire_kind kind)
{
	return wire_msg_new(kind, c->req->request_id);
}

wire_msg_t *
api_result(struct api_call *c, wire_msg_t *m, int rv, int when, const char *text)
{
	if (rv == 0)
		return m;
	wire_msg_free(m);
	return api_fail_on(c, rv, when, text);
}

wire_msg_t *
api_list_reply(struct api_call *c, enum wire_kind kind, int rv, const char *notfound,
               void *items, size_t n)
{
	wire_msg_t *m;
	if (rv != 0)
		return api_fail_on(c, rv, RW_ENOTFOUND, notfound);
	if (!(m = api_reply(c, kind))) {
		free(items);
		return NULL;
	}
	wire_msg_set_list(m, items, n);
	return m;
}

wire_msg_t *
api_park(struct api_call *c, uint32_t wait_ms, const char *fmt, ...)
{
	va_list ap;
	if (wait_ms > (uint32_t)c->ctx->cfg->max_wait_ms)
		wait_ms = (uint32_t)c->ctx->cfg->max_wait_ms;
	c->ctx->park = true;
	c->ctx->park_ms = wait_ms;
	va_start(ap, fmt);
	vsnprintf(c->ctx->park_key, sizeof(c->ctx->park_key), fmt, ap);
	va_end(ap);
	return NULL;
}
