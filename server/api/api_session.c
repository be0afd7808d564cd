/*
 * api_session — HELLO and AUTH (see api_session.h).  The proof itself is
 * authn.c's; this file only turns its outcome into a reply and a log line.
 */
#include "api_session.h"

#include <stdio.h>

#include "err.h"
#include "log.h"

wire_msg_t *
api_hello(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_CHALLENGE);
	int rv;
	if (!m)
		return NULL;
	snprintf(m->u.challenge.server, sizeof(m->u.challenge.server), "rewindd/%s", REWIND_VERSION);
	rv = authn_challenge(c->ctx->authn, c->ctx->pipe, m->u.challenge.nonce);
	if (rv != 0) {
		wire_msg_free(m);
		return api_fail(c, rv, "cannot issue a challenge for this session");
	}
	return m;
}

wire_msg_t *
api_auth(struct api_call *c)
{
	char why[256] = "";
	char q[300];
	rw_actor_t who;
	wire_msg_t *m;
	int rv = authn_prove(c->ctx->authn, c->ctx->pipe, c->req->u.auth.cert_pem,
	                     c->req->u.auth.cert_len, c->req->u.auth.sig, c->req->u.auth.sig_len,
	                     &who, why, sizeof(why));
	if (rv != 0) {
		log_warn("session.refused", "pipe=%u reason=%s", c->ctx->pipe, log_q(q, sizeof(q), why));
		return api_fail(c, RW_EAUTH, why);
	}
	log_info("session.bound", "pipe=%u name=%s role=%s", c->ctx->pipe,
	         log_q(q, sizeof(q), who.name), rw_role_name(who.role));
	if (!(m = api_reply(c, WIRE_AUTH_OK)))
		return NULL;
	m->u.auth_ok = who;
	return m;
}
