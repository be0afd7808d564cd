/*
 * api_records — environments, services, releases and history (see
 * api_records.h).  Each handler is one store call and its refusal texts;
 * the one rule checked here rather than in the store is that a release
 * ships its service's own image.
 */
#include "api_records.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

/* --- environments and services ---------------------------------------------- */

wire_msg_t *
api_env_add(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_ENV);
	if (!m)
		return NULL;
	m->u.env = c->req->u.env;
	return api_result(c, m, store_env_add(c->ctx->store, &c->who, &m->u.env), RW_EEXIST,
	                  "an environment with that name already exists");
}

wire_msg_t *
api_env_list(struct api_call *c)
{
	rw_env_t *items = NULL;
	size_t n = 0;
	int rv = store_env_list(c->ctx->store, &items, &n);
	return api_list_reply(c, WIRE_ENV_LIST_OK, rv, items, n);
}

wire_msg_t *
api_service_add(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_SERVICE);
	if (!m)
		return NULL;
	m->u.service = c->req->u.service;
	return api_result(c, m, store_service_add(c->ctx->store, &c->who, &m->u.service), RW_EEXIST,
	                  "a service with that name already exists");
}

wire_msg_t *
api_service_get(struct api_call *c)
{
	char text[160];
	wire_msg_t *m = api_reply(c, WIRE_SERVICE);
	if (!m)
		return NULL;
	snprintf(text, sizeof(text), "service \"%s\" not found", c->req->u.query.service);
	return api_result(c, m, store_service_get(c->ctx->store, c->req->u.query.service,
	                                          &m->u.service),
	                  RW_ENOTFOUND, text);
}

wire_msg_t *
api_service_list(struct api_call *c)
{
	rw_service_t *items = NULL;
	size_t n = 0;
	int rv = store_service_list(c->ctx->store, &items, &n);
	return api_list_reply(c, WIRE_SERVICE_LIST_OK, rv, items, n);
}

/* --- releases ----------------------------------------------------------------- */

/* A release must ship the service's own image, or a rollback would deploy a stranger. */
static bool
release_image_ok(const rw_release_t *rel, const rw_service_t *svc)
{
	size_t rlen = strlen(svc->image_repo);
	return strncmp(rel->image_ref, svc->image_repo, rlen) == 0 && rel->image_ref[rlen] == ':';
}

wire_msg_t *
api_release_record(struct api_call *c)
{
	char text[1400];
	rw_release_t rel = c->req->u.release;
	rw_service_t svc;
	wire_msg_t *m;
	int rv = store_service_get(c->ctx->store, rel.service, &svc);

	if (rv == 0 && !release_image_ok(&rel, &svc)) {
		snprintf(text, sizeof(text), "image %s is not in the repository of service \"%s\" (%s)",
		         rel.image_ref, rel.service, svc.image_repo);
		return api_fail(c, RW_EINVAL, text);
	}
	if (rv == 0)
		rv = store_release_add(c->ctx->store, &c->who, &rel);
	if (rv == RW_ENOTFOUND) {
		snprintf(text, sizeof(text), "service \"%s\" not found", rel.service);
		return api_fail(c, rv, text);
	}
	if (rv != 0) {
		snprintf(text, sizeof(text), "service \"%s\" already has a release \"%s\"",
		         rel.service, rel.version);
		return api_fail_on(c, rv, RW_EEXIST, text);
	}
	if (!(m = api_reply(c, WIRE_RELEASE)))
		return NULL;
	m->u.release = rel;
	return m;
}

wire_msg_t *
api_release_get(struct api_call *c)
{
	const struct wire_query *q = &c->req->u.query;
	wire_msg_t *m = api_reply(c, WIRE_RELEASE);
	int rv;
	if (!m)
		return NULL;
	rv = q->id > 0 ? store_release_get(c->ctx->store, q->id, &m->u.release)
	               : store_release_find(c->ctx->store, q->service, q->version, &m->u.release);
	return api_result(c, m, rv, RW_ENOTFOUND, "release not found");
}

wire_msg_t *
api_release_list(struct api_call *c)
{
	rw_release_t *items = NULL;
	size_t n = 0;
	int rv = store_release_list(c->ctx->store, c->req->u.query.service, c->req->u.query.limit,
	                            &items, &n);
	return api_list_reply(c, WIRE_RELEASE_LIST_OK, rv, items, n);
}

wire_msg_t *
api_history(struct api_call *c)
{
	const struct wire_query *q = &c->req->u.query;
	rw_history_row_t *items = NULL;
	size_t n = 0;
	int rv = store_history(c->ctx->store, q->service, q->env, q->limit, &items, &n);
	if (rv == RW_ENOTFOUND)
		return api_fail(c, rv, "unknown service or environment");
	return api_list_reply(c, WIRE_HISTORY_OK, rv, items, n);
}
