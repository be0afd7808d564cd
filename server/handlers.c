/*
 * handlers — request dispatch.  Each handler gets a checked request (wire.c
 * validated it) and the caller's identity, and returns a reply.  Database
 * failures are logged here with detail and reported to the peer without it.
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

struct call {
	struct handler_ctx *hc;
	const wire_msg_t *req;
	rw_actor_t who;
};

typedef wire_msg_t *(*handler_fn)(struct call *c);

static wire_msg_t *
fail(struct call *c, int code, const char *text)
{
	char q[160];
	if (code == RW_EDB) {
		log_error("db.error", "kind=%s actor=%s detail=%s", wire_kind_name(c->req->kind),
		          c->who.name[0] ? c->who.name : "-",
		          log_q(q, sizeof(q), store_errmsg(c->hc->store)));
		text = "the release history database is unavailable; try again";
	}
	return wire_error_new(c->req->request_id, code, text);
}

static wire_msg_t *
reply(struct call *c, enum wire_kind kind)
{
	return wire_msg_new(kind, c->req->request_id);
}

static wire_msg_t *
list_reply(struct call *c, enum wire_kind kind, int rv, void *items, size_t n)
{
	wire_msg_t *m;
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, kind))) {
		free(items);
		return NULL;
	}
	wire_msg_set_list(m, items, n);
	return m;
}

/* --- session --------------------------------------------------------------- */

static wire_msg_t *
h_hello(struct call *c)
{
	wire_msg_t *m = reply(c, WIRE_CHALLENGE);
	int rv;
	if (!m)
		return NULL;
	snprintf(m->u.challenge.server, sizeof(m->u.challenge.server), "rewindd/%s", REWIND_VERSION);
	rv = authn_challenge(c->hc->authn, c->hc->pipe, m->u.challenge.nonce);
	if (rv != 0) {
		wire_msg_free(m);
		return fail(c, rv, "cannot issue a challenge for this session");
	}
	return m;
}

static wire_msg_t *
h_auth(struct call *c)
{
	char why[256] = "";
	char q[300];
	rw_actor_t who;
	wire_msg_t *m;
	int rv = authn_prove(c->hc->authn, c->hc->pipe, c->req->u.auth.cert_pem,
	                     c->req->u.auth.cert_len, c->req->u.auth.sig, c->req->u.auth.sig_len,
	                     &who, why, sizeof(why));
	if (rv != 0) {
		log_warn("session.refused", "pipe=%u reason=%s", c->hc->pipe, log_q(q, sizeof(q), why));
		return fail(c, RW_EAUTH, why);
	}
	log_info("session.bound", "pipe=%u name=%s role=%s", c->hc->pipe,
	         log_q(q, sizeof(q), who.name), rw_role_name(who.role));
	if (!(m = reply(c, WIRE_AUTH_OK)))
		return NULL;
	m->u.auth_ok = who;
	return m;
}

/* --- environments and services ---------------------------------------------- */

static wire_msg_t *
h_env_add(struct call *c)
{
	rw_env_t env = c->req->u.env;
	wire_msg_t *m;
	int rv = store_env_add(c->hc->store, &c->who, &env);
	if (rv == RW_EEXIST)
		return fail(c, rv, "an environment with that name already exists");
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_ENV)))
		return NULL;
	m->u.env = env;
	return m;
}

static wire_msg_t *
h_env_list(struct call *c)
{
	rw_env_t *items = NULL;
	size_t n = 0;
	int rv = store_env_list(c->hc->store, &items, &n);
	return list_reply(c, WIRE_ENV_LIST_OK, rv, items, n);
}

static wire_msg_t *
h_service_add(struct call *c)
{
	rw_service_t svc = c->req->u.service;
	wire_msg_t *m;
	int rv = store_service_add(c->hc->store, &c->who, &svc);
	if (rv == RW_EEXIST)
		return fail(c, rv, "a service with that name already exists");
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_SERVICE)))
		return NULL;
	m->u.service = svc;
	return m;
}

static wire_msg_t *
h_service_get(struct call *c)
{
	char text[160];
	wire_msg_t *m = reply(c, WIRE_SERVICE);
	int rv;
	if (!m)
		return NULL;
	rv = store_service_get(c->hc->store, c->req->u.query.service, &m->u.service);
	if (rv == 0)
		return m;
	wire_msg_free(m);
	snprintf(text, sizeof(text), "service \"%s\" not found", c->req->u.query.service);
	return fail(c, rv, rv == RW_ENOTFOUND ? text : NULL);
}

static wire_msg_t *
h_service_list(struct call *c)
{
	rw_service_t *items = NULL;
	size_t n = 0;
	int rv = store_service_list(c->hc->store, &items, &n);
	return list_reply(c, WIRE_SERVICE_LIST_OK, rv, items, n);
}

/* --- releases ----------------------------------------------------------------- */

static wire_msg_t *
h_release_record(struct call *c)
{
	char text[1400];
	rw_release_t rel = c->req->u.release;
	rw_service_t svc;
	wire_msg_t *m;
	size_t rlen;
	int rv = store_service_get(c->hc->store, rel.service, &svc);

	/* A release must ship the service's own image, or a rollback would deploy a stranger. */
	if (rv == 0) {
		rlen = strlen(svc.image_repo);
		if (strncmp(rel.image_ref, svc.image_repo, rlen) != 0 || rel.image_ref[rlen] != ':') {
			snprintf(text, sizeof(text),
			         "image %s is not in the repository of service \"%s\" (%s)",
			         rel.image_ref, rel.service, svc.image_repo);
			return fail(c, RW_EINVAL, text);
		}
	}
	if (rv == 0)
		rv = store_release_add(c->hc->store, &c->who, &rel);
	if (rv == RW_ENOTFOUND) {
		snprintf(text, sizeof(text), "service \"%s\" not found", rel.service);
		return fail(c, rv, text);
	}
	if (rv == RW_EEXIST) {
		snprintf(text, sizeof(text), "service \"%s\" already has a release \"%s\"",
		         rel.service, rel.version);
		return fail(c, rv, text);
	}
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_RELEASE)))
		return NULL;
	m->u.release = rel;
	return m;
}

static wire_msg_t *
h_release_get(struct call *c)
{
	const struct wire_query *q = &c->req->u.query;
	wire_msg_t *m = reply(c, WIRE_RELEASE);
	int rv;
	if (!m)
		return NULL;
	rv = q->id > 0 ? store_release_get(c->hc->store, q->id, &m->u.release)
	               : store_release_find(c->hc->store, q->service, q->version, &m->u.release);
	if (rv == 0)
		return m;
	wire_msg_free(m);
	return fail(c, rv, rv == RW_ENOTFOUND ? "release not found" : NULL);
}

static wire_msg_t *
h_release_list(struct call *c)
{
	rw_release_t *items = NULL;
	size_t n = 0;
	int rv = store_release_list(c->hc->store, c->req->u.query.service, c->req->u.query.limit,
	                            &items, &n);
	return list_reply(c, WIRE_RELEASE_LIST_OK, rv, items, n);
}

static wire_msg_t *
h_history(struct call *c)
{
	const struct wire_query *q = &c->req->u.query;
	rw_history_row_t *items = NULL;
	size_t n = 0;
	int rv = store_history(c->hc->store, q->service, q->env, q->limit, &items, &n);
	if (rv == RW_ENOTFOUND)
		return fail(c, rv, "unknown service or environment");
	return list_reply(c, WIRE_HISTORY_OK, rv, items, n);
}

static wire_msg_t *
h_audit_log(struct call *c)
{
	rw_audit_t *items = NULL;
	size_t n = 0;
	int rv = store_audit_list(c->hc->store, &c->req->u.audit, &items, &n);
	return list_reply(c, WIRE_AUDIT_LOG_OK, rv, items, n);
}

/* --- dispatch ------------------------------------------------------------------ */

struct route {
	handler_fn fn;
	enum rw_perm perm;
	bool needs_session;
	const char *action; /* past-tense-free verb for the refusal text */
};

static const struct route routes[WIRE_KIND_COUNT] = {
	[WIRE_HELLO] = {h_hello, RW_PERM_READ, false, "start a session"},
	[WIRE_AUTH] = {h_auth, RW_PERM_READ, false, "authenticate"},
	[WIRE_ENV_ADD] = {h_env_add, RW_PERM_ADMIN, true, "add environments"},
	[WIRE_ENV_LIST] = {h_env_list, RW_PERM_READ, true, "list environments"},
	[WIRE_SERVICE_ADD] = {h_service_add, RW_PERM_ADMIN, true, "add services"},
	[WIRE_SERVICE_GET] = {h_service_get, RW_PERM_READ, true, "read services"},
	[WIRE_SERVICE_LIST] = {h_service_list, RW_PERM_READ, true, "list services"},
	[WIRE_RELEASE_RECORD] = {h_release_record, RW_PERM_WRITE, true, "record releases"},
	[WIRE_RELEASE_GET] = {h_release_get, RW_PERM_READ, true, "read releases"},
	[WIRE_RELEASE_LIST] = {h_release_list, RW_PERM_READ, true, "list releases"},
	[WIRE_HISTORY] = {h_history, RW_PERM_READ, true, "read history"},
	[WIRE_AUDIT_LOG] = {h_audit_log, RW_PERM_READ, true, "read the audit log"},
};

wire_msg_t *
handlers_dispatch(struct handler_ctx *hc, const wire_msg_t *req)
{
	struct call c = {.hc = hc, .req = req};
	const struct route *r;
	wire_msg_t *out;
	char text[160];
	char q[160];

	if ((unsigned)req->kind >= WIRE_KIND_COUNT || !routes[req->kind].fn)
		return fail(&c, RW_EPROTO, "not a request this server answers");
	r = &routes[req->kind];
	if (!r->needs_session)
		return r->fn(&c);
	if (authn_lookup(hc->authn, hc->pipe, &c.who) != 0)
		return fail(&c, RW_EAUTH, "session not authenticated: send hello and auth first");
	if (!rw_role_allows(c.who.role, r->perm)) {
		log_warn("request.denied", "pipe=%u name=%s role=%s kind=%s", hc->pipe,
		         log_q(q, sizeof(q), c.who.name), rw_role_name(c.who.role),
		         wire_kind_name(req->kind));
		snprintf(text, sizeof(text), "role %s may not %s", rw_role_name(c.who.role),
		         r->action);
		return fail(&c, RW_EPERM, text);
	}
	out = r->fn(&c);
	/*
	 * A connection broken since the last request (database restarted) shows
	 * up as EDB: reconnect and run the request once more.  Writes are single
	 * transactions, so a retry after a failed one cannot apply twice.
	 */
	if (out && out->kind == WIRE_ERROR && out->u.error.code == RW_EDB &&
	    store_ping(hc->store) == 0) {
		wire_msg_free(out);
		out = r->fn(&c);
	}
	return out;
}
