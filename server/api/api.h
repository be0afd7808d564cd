/*
 * api — what every request handler of rewindd shares: the per-request
 * context srv.c fills in (struct api_ctx), the call a handler gets
 * (struct api_call) and the helpers that build its reply or ERROR.
 * Database failures are logged here with detail and reported to the peer
 * without it.  Which handler answers which request, and the session and
 * permission checks, are api_routes.c's; the handlers (api_handlers.h) are
 * one api_<request kind>() each.  Runs on worker threads only; knows
 * nothing of sockets or protobuf.
 */
#ifndef REWIND_API_H
#define REWIND_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "artifacts.h"
#include "authn.h"
#include "backup.h"
#include "domain.h"
#include "notary.h"
#include "store.h"
#include "wire.h"

/* Server settings handlers need. */
struct api_cfg {
	int lease_ms;           /* how long an agent holds an action between progress reports */
	int report_interval_ms; /* how often agents report and probe */
	int max_wait_ms;        /* longest a long poll is parked */
};

struct api_ctx {
	store_t *store;     /* this worker's own connection */
	authn_t *authn;
	const struct api_cfg *cfg;
	uint32_t pipe;      /* the NNG pipe the request came in on */
	/*
	 * Long polls.  A handler with nothing to answer yet sets park: srv.c
	 * keeps the request and runs the handler again when park_key is
	 * notified or the wait ends; on that last run final is set and the
	 * handler must answer.
	 */
	bool final;
	bool park;
	uint32_t park_ms;
	char park_key[96];
	const struct backup_cfg *backup; /* artifact store (NULL store: none configured) */
	notary_t *notary;   /* signs and verifies the audit ledger (NULL: none) */
};

/* One request being answered: a checked request (wire.c validated it) and the caller. */
struct api_call {
	struct api_ctx *ctx;
	const wire_msg_t *req;
	rw_actor_t who;     /* empty name before the session is bound */
};

typedef wire_msg_t *(*api_handler_fn)(struct api_call *c);

/*
 * An ERROR reply with code and text (NULL or "": the code's generic
 * reason).  RW_EDB is logged with the database's detail, and the peer gets
 * a fixed text instead.  The caller owns the reply; NULL when out of memory.
 */
wire_msg_t *api_fail(struct api_call *c, int code, const char *text);

/* api_fail(c, rv, text) when rv is `when` (or `when` is 0), api_fail(c, rv, NULL) otherwise. */
wire_msg_t *api_fail_on(struct api_call *c, int rv, int when, const char *text);

/* An empty reply of kind to this request; the caller owns it. */
wire_msg_t *api_reply(struct api_call *c, enum wire_kind kind);

/*
 * A reply of kind whose payload member (u.member) is value; NULL when out
 * of memory.  A macro so that member and value keep their types.
 */
#define API_REPLY_WITH(c, kind, member, value)                                   \
	({                                                                       \
		wire_msg_t *reply_ = api_reply((c), (kind));                     \
		if (reply_)                                                      \
			reply_->u.member = (value);                              \
		reply_;                                                          \
	})

/*
 * m when rv is 0; otherwise frees m and returns api_fail_on(c, rv, when,
 * text).  For the handlers that fill their reply in place.
 */
wire_msg_t *api_result(struct api_call *c, wire_msg_t *m, int rv, int when, const char *text);

/*
 * A list reply of kind holding items (n of them; the reply takes them), or
 * the ERROR for rv (with notfound as the text for RW_ENOTFOUND; NULL: the
 * generic one).  Items are freed when the reply cannot be made.
 */
wire_msg_t *api_list_reply(struct api_call *c, enum wire_kind kind, int rv, const char *notfound,
                           void *items, size_t n);

/*
 * Parks the request for wait_ms (at most the server's longest wait) on the
 * key printed from fmt: srv.c runs the handler again when the key is
 * notified.  Returns NULL, which is what a parking handler returns.
 */
wire_msg_t *api_park(struct api_call *c, uint32_t wait_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
