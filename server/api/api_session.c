/*
 * api_session — the session handshake: HELLO (a challenge for this pipe)
 * and AUTH (the certificate and its signature bind the pipe to an actor).
 * The only requests answered without a bound session.  The proof itself is
 * authn.c's; this file only turns its outcome into a reply and a log line.
 */
#include "api_handlers.h"

#include <stdio.h>

#include "err.h"
#include "log.h"

wire_msg_t *
api_hello(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_CHALLENGE);
	if (!m)
		return NULL;
	snprintf(m->u.challenge.server, sizeof(m->u.challenge.server), "rewindd/%s", REWIND_VERSION);
	return api_result(c, m, authn_challenge(c->ctx->authn, c->ctx->pipe, m->u.challenge.nonce),
	                  0, "cannot issue a challenge for this session");
}

wire_msg_t *
api_auth(struct api_call *c)
{
	char why[256] = "";
	char q[300];
	rw_actor_t who;
	int rv = authn_prove(c->ctx->authn, c->ctx->pipe, c->req->u.auth.cert_pem,
	                     c->req->u.auth.cert_len, c->req->u.auth.sig, c->req->u.auth.sig_len,
	                     &who, why, sizeof(why));
	if (rv != 0) {
		log_warn("session.refused", "pipe=%u reason=%s", c->ctx->pipe, log_q(q, sizeof(q), why));
		return api_fail(c, RW_EAUTH, why);
	}
	log_info("session.bound", "pipe=%u name=%s role=%s", c->ctx->pipe,
	         log_q(q, sizeof(q), who.name), rw_role_name(who.role));
	return API_REPLY_WITH(c, WIRE_AUTH_OK, auth_ok, who);
}
