/*
 * handlers — request dispatch.  Each handler gets a checked request (wire.c
 * validated it) and the caller's identity, and returns a reply.  Database
 * failures are logged here with detail and reported to the peer without it.
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appdb.h"
#include "handlers_coord.h"
#include "err.h"
#include "log.h"
#include "stats.h"

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

/* --- agents ---------------------------------------------------------------------- */

/* The cluster and node an agent's certificate names (CLUSTER/NODE). */
static int
agent_identity(struct call *c, char *cluster, size_t ccap, char *node, size_t ncap)
{
	return rw_agent_name_split(c->who.name, cluster, ccap, node, ncap);
}

static wire_msg_t *
h_agent_report(struct call *c)
{
	const struct wire_state *in = &c->req->u.state;
	char cluster[RW_NAME_MAX + 1], node[RW_POD_NAME_MAX + 1], text[800];
	struct store_report r;
	rw_probe_target_t *targets = NULL;
	size_t ntargets = 0;
	bool resync = false;
	wire_msg_t *m;
	int rv;

	if (agent_identity(c, cluster, sizeof(cluster), node, sizeof(node)) != 0)
		return fail(c, RW_EPERM, "agent certificate name is not CLUSTER/NODE");
	if (strcmp(cluster, in->cluster) != 0 || strcmp(node, in->node) != 0) {
		snprintf(text, sizeof(text), "certificate for %s may not report for %s/%s",
		         c->who.name, in->cluster, in->node);
		return fail(c, RW_EPERM, text);
	}
	r = (struct store_report){c->who.name, cluster, node, in->epoch, in->seq, in->full,
	                          in->pods, in->npods, in->deploys, in->ndeploys, in->probes,
	                          in->nprobes};
	if ((rv = store_report_apply(c->hc->store, &r, &resync)) != 0)
		return fail(c, rv, NULL);
	if (resync) { /* a refused change report stored nothing */
		log_info("agent.gap", "agent=%s epoch=%llu seq=%llu refused: snapshot asked for",
		         c->who.name, (unsigned long long)in->epoch, (unsigned long long)in->seq);
	} else {
		uint64_t lat = 0;
		size_t failed = 0;
		for (size_t i = 0; i < in->nprobes; i++) {
			lat += (uint64_t)(in->probes[i].latency_ms > 0 ? in->probes[i].latency_ms : 0);
			failed += !in->probes[i].ok;
		}
		stats_report(in->npods, in->nprobes, lat, failed);
	}
	rv = store_probe_targets(c->hc->store, cluster, c->who.name,
	                         rw_now_us() - 3000LL * c->hc->cfg->report_interval_ms, &targets,
	                         &ntargets);
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_AGENT_REPORT_OK))) {
		free(targets);
		return NULL;
	}
	wire_msg_set_list(m, targets, ntargets);
	m->u.list.resync = resync;
	m->u.list.interval_ms = (uint32_t)c->hc->cfg->report_interval_ms;
	return m;
}

static wire_msg_t *
park(struct call *c, const char *key, uint32_t wait_ms)
{
	c->hc->park = true;
	c->hc->park_ms = wait_ms;
	snprintf(c->hc->park_key, sizeof(c->hc->park_key), "%s", key);
	return NULL;
}

static wire_msg_t *
h_action_wait(struct call *c)
{
	char cluster[RW_NAME_MAX + 1], node[RW_POD_NAME_MAX + 1];
	wire_msg_t *m = reply(c, WIRE_ACTION_ASSIGN);
	bool found = false;
	uint32_t wait = c->req->u.wait.wait_ms;
	int rv;

	if (!m)
		return NULL;
	if (agent_identity(c, cluster, sizeof(cluster), node, sizeof(node)) != 0) {
		wire_msg_free(m);
		return fail(c, RW_EPERM, "agent certificate name is not CLUSTER/NODE");
	}
	rv = store_action_claim(c->hc->store, c->who.name, cluster, c->hc->cfg->lease_ms,
	                        &m->u.assign.action, &found);
	if (rv != 0) {
		wire_msg_free(m);
		return fail(c, rv, NULL);
	}
	if (found) {
		m->u.assign.has = true;
		log_info("action.leased", "id=%lld agent=%s attempt=%d",
		         (long long)m->u.assign.action.id, c->who.name, m->u.assign.action.attempts);
		return m;
	}
	if (c->hc->final || wait == 0)
		return m; /* nothing to do: an empty assignment */
	wire_msg_free(m);
	if (wait > (uint32_t)c->hc->cfg->max_wait_ms)
		wait = (uint32_t)c->hc->cfg->max_wait_ms;
	return park(c, cluster, wait);
}

static wire_msg_t *
h_action_progress(struct call *c)
{
	wire_msg_t *m;
	bool ours = false;
	int rv = store_action_progress(c->hc->store, c->who.name, c->req->u.progress.id,
	                               c->req->u.progress.message, c->hc->cfg->lease_ms, &ours);
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_ACTION_PROGRESS_OK)))
		return NULL;
	m->u.flag = !ours; /* cancel: the lease went to another agent */
	return m;
}

static wire_msg_t *
h_action_result(struct call *c)
{
	int64_t id = c->req->u.progress.id;
	bool ok = c->req->u.progress.ok;
	wire_msg_t *m;
	bool accepted = false;
	int rv = store_action_finish(c->hc->store, &c->who, id, ok, c->req->u.progress.message,
	                             c->req->u.progress.previous, &accepted);
	if (rv != 0)
		return fail(c, rv, NULL);
	log_info(accepted ? "action.finished" : "action.duplicate", "id=%lld agent=%s ok=%d",
	         (long long)id, c->who.name, ok);
	stats_action(!accepted ? "duplicate" : ok ? "succeeded" : "failed");
	if (!(m = reply(c, WIRE_ACTION_RESULT_OK)))
		return NULL;
	m->u.flag = accepted;
	return m;
}

static wire_msg_t *
h_action_create(struct call *c)
{
	wire_msg_t *m = reply(c, WIRE_ACTION);
	int rv;
	if (!m)
		return NULL;
	m->u.action = c->req->u.action;
	m->u.action.state = RW_ACTION_QUEUED;
	rv = store_action_create(c->hc->store, &c->who, &m->u.action);
	if (rv == 0) {
		stats_action("created");
		log_info("action.created", "id=%lld kind=%s cluster=%s by=%s", (long long)m->u.action.id,
		         rw_action_kind_name(m->u.action.kind), m->u.action.cluster, c->who.name);
		return m;
	}
	wire_msg_free(m);
	return fail(c, rv, NULL);
}

static bool
action_done(const rw_action_t *a)
{
	return a->state == RW_ACTION_SUCCEEDED || a->state == RW_ACTION_FAILED ||
	       a->state == RW_ACTION_CANCELLED;
}

static wire_msg_t *
h_action_get(struct call *c)
{
	wire_msg_t *m = reply(c, WIRE_ACTION);
	char key[64];
	uint32_t wait = c->req->u.wait.wait_ms;
	int rv;

	if (!m)
		return NULL;
	rv = store_action_get(c->hc->store, c->req->u.wait.id, &m->u.action);
	if (rv != 0) {
		wire_msg_free(m);
		return fail(c, rv, rv == RW_ENOTFOUND ? "action not found" : NULL);
	}
	if (action_done(&m->u.action) || c->hc->final || wait == 0)
		return m;
	wire_msg_free(m);
	snprintf(key, sizeof(key), "action/%lld", (long long)c->req->u.wait.id);
	if (wait > (uint32_t)c->hc->cfg->max_wait_ms)
		wait = (uint32_t)c->hc->cfg->max_wait_ms;
	return park(c, key, wait);
}

static wire_msg_t *
h_action_list(struct call *c)
{
	rw_action_t *items = NULL;
	size_t n = 0;
	int rv = store_action_list(c->hc->store, c->req->u.query.env, c->req->u.query.limit, &items,
	                           &n);
	return list_reply(c, WIRE_ACTION_LIST_OK, rv, items, n);
}

/* Appends src (n items of sz) to *dst (holding *ndst); frees src. */
static int
append(void **dst, size_t *ndst, void *src, size_t n, size_t sz)
{
	char *grown;
	if (n == 0) {
		free(src);
		return 0;
	}
	if (!(grown = realloc(*dst, (*ndst + n) * sz))) {
		free(src);
		return RW_ENOMEM;
	}
	memcpy(grown + *ndst * sz, src, n * sz);
	free(src);
	*dst = grown;
	*ndst += n;
	return 0;
}

/* Adds one cluster's state to the reply, unless an earlier environment shared the cluster. */
static int
status_add_cluster(struct call *c, struct wire_state *out, const rw_env_t *envs, size_t i)
{
	struct store_status s;
	int rv;

	for (size_t k = 0; k < i; k++)
		if (strcmp(envs[k].cluster, envs[i].cluster) == 0)
			return 0;
	rv = store_status_get(c->hc->store, envs[i].cluster,
	                      rw_now_us() - 3000LL * c->hc->cfg->report_interval_ms, &s);
	if (rv != 0)
		return rv;
	if ((rv = append((void **)&out->deploys, &out->ndeploys, s.deploys, s.ndeploys,
	                 sizeof(*s.deploys))) ||
	    (rv = append((void **)&out->pods, &out->npods, s.pods, s.npods, sizeof(*s.pods))) ||
	    (rv = append((void **)&out->probes, &out->nprobes, s.probes, s.nprobes,
	                 sizeof(*s.probes))) ||
	    (rv = append((void **)&out->agents, &out->nagents, s.agents, s.nagents,
	                 sizeof(*s.agents))))
		return rv;
	return 0;
}

static wire_msg_t *
h_status(struct call *c)
{
	wire_msg_t *m = reply(c, WIRE_STATUS_OK);
	rw_env_t *envs = NULL;
	size_t n = 0;
	int rv;

	if (!m)
		return NULL;
	if (c->req->u.query.env[0]) {
		envs = calloc(1, sizeof(*envs));
		rv = envs ? store_env_get(c->hc->store, c->req->u.query.env, envs) : RW_ENOMEM;
		n = rv == 0 ? 1 : 0;
	} else {
		rv = store_env_list(c->hc->store, &envs, &n);
	}
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = status_add_cluster(c, &m->u.state, envs, i);
	if (rv != 0) {
		free(envs);
		wire_msg_free(m);
		return fail(c, rv, rv == RW_ENOTFOUND ? "environment not found" : NULL);
	}
	m->u.state.envs = envs;
	m->u.state.nenvs = n;
	return m;
}

/* --- artifacts ----------------------------------------------------------------- */

static bool
have_store(struct call *c)
{
	return c->hc->backup && c->hc->backup->store;
}

static wire_msg_t *
no_store(struct call *c)
{
	return fail(c, RW_EUNAVAIL, "this rewindd has no artifact store (start it with --artifact-dir)");
}

static wire_msg_t *
h_artifact_add(struct call *c)
{
	rw_artifact_t a = c->req->u.upload.meta;
	char text[600] = "", q[200];
	rw_release_t rel;
	wire_msg_t *m;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_release_get(c->hc->store, a.release_id, &rel)) != 0)
		return fail(c, rv, rv == RW_ENOTFOUND ? "release not found" : NULL);
	rv = artstore_put(c->hc->backup->store, c->req->u.upload.data, c->req->u.upload.len,
	                  a.sha256, a.name, a.location, sizeof(a.location), text, sizeof(text));
	if (rv != 0) {
		log_error("artifact.store-failed", "name=%s err=%s reason=%s", a.name,
		          rw_errname(rv), log_q(q, sizeof(q), text));
		return fail(c, rv, text);
	}
	rv = store_artifact_add(c->hc->store, &c->who, &a);
	if (rv == RW_EEXIST) {
		snprintf(text, sizeof(text), "release %lld already has a %s artifact",
		         (long long)a.release_id, a.kind);
		return fail(c, rv, text);
	}
	if (rv != 0)
		return fail(c, rv, NULL);
	log_info("artifact.stored", "release=%lld kind=%s sha256=%s size=%lld",
	         (long long)a.release_id, a.kind, a.sha256, (long long)a.size);
	if (!(m = reply(c, WIRE_ARTIFACT)))
		return NULL;
	m->u.artifact = a;
	return m;
}

static wire_msg_t *
h_artifact_list(struct call *c)
{
	rw_artifact_t *items = NULL;
	size_t n = 0;
	int rv = store_artifact_list(c->hc->store, c->req->u.query.id, c->req->u.query.limit,
	                             &items, &n);
	if (rv == RW_ENOTFOUND)
		return fail(c, rv, "release not found");
	return list_reply(c, WIRE_ARTIFACT_LIST_OK, rv, items, n);
}

/*
 * Re-hashes the backups kept in the store; the failed ones go into *bad
 * (with the reason) and every checked one into the report as kind "backup".
 */
static int
verify_backups(struct call *c, rw_artifact_t **report, size_t *nrep, rw_backup_t **bad,
               size_t *nbad)
{
	rw_backup_t *b = NULL;
	size_t n = 0;
	int rv = store_backup_list(c->hc->store, NULL, 0, &b, &n);
	rw_artifact_t *grown;

	*bad = NULL;
	*nbad = 0;
	if (rv || n == 0)
		return rv;
	if (!(grown = realloc(*report, (*nrep + n) * sizeof(**report)))) {
		free(b);
		return RW_ENOMEM;
	}
	*report = grown;
	for (size_t i = 0; i < n; i++) {
		rw_artifact_t *r = &(*report)[*nrep];
		char outcome[RW_OUTCOME_MAX + 1];
		if (artstore_check(c->hc->backup->store, b[i].location, b[i].sha256, b[i].size,
		                   outcome, sizeof(outcome)) != 0)
			continue;                 /* recorded elsewhere: not ours to hash */
		memset(r, 0, sizeof(*r));
		r->id = b[i].id;
		(void)RW_STRCPY(r->kind, "backup");
		(void)RW_STRCPY(r->location, b[i].location);
		(void)RW_STRCPY(r->sha256, b[i].sha256);
		(void)RW_STRCPY(r->outcome, outcome);
		r->size = b[i].size;
		r->verified = strcmp(outcome, "ok") == 0;
		(*nrep)++;
		if (!r->verified) {
			b[*nbad] = b[i];
			snprintf(b[*nbad].result, sizeof(b[*nbad].result),
			         "dump file %s on disk (artifact verify)", outcome);
			(*nbad)++;
		}
	}
	*bad = b;
	return 0;
}

static wire_msg_t *
h_artifact_verify(struct call *c)
{
	rw_artifact_t *items = NULL;
	rw_backup_t *bad = NULL;
	size_t n = 0, nbad = 0, nart;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_artifact_list(c->hc->store, 0, 0, &items, &n)) != 0)
		return fail(c, rv, NULL);
	for (size_t i = 0; i < n; i++) {
		rv = artstore_check(c->hc->backup->store, items[i].location, items[i].sha256,
		                    items[i].size, items[i].outcome, sizeof(items[i].outcome));
		if (rv != 0)
			(void)RW_STRCPY(items[i].outcome, "missing");
		items[i].verified = strcmp(items[i].outcome, "ok") == 0;
		if (!items[i].verified)
			log_warn("artifact.mismatch", "id=%lld location=%s outcome=%s",
			         (long long)items[i].id, items[i].location, items[i].outcome);
	}
	nart = n;
	if ((rv = verify_backups(c, &items, &n, &bad, &nbad)) == 0)
		rv = store_artifact_verified(c->hc->store, &c->who, items, nart, bad, nbad);
	free(bad);
	if (rv != 0) {
		free(items);
		return fail(c, rv, NULL);
	}
	return list_reply(c, WIRE_ARTIFACT_VERIFY_OK, 0, items, n);
}

/* --- environment databases and backups ----------------------------------------- */

static wire_msg_t *
h_env_db_set(struct call *c)
{
	rw_env_db_t d = c->req->u.env_db;
	char redacted[RW_URL_MAX + 1];
	wire_msg_t *m;
	int rv;

	if (appdb_redact(d.db_url, redacted, sizeof(redacted)) != 0)
		return fail(c, RW_EINVAL, "db-url: not a PostgreSQL URI or conninfo");
	rv = store_env_db_set(c->hc->store, &c->who, &d, redacted);
	memset(d.db_url, 0, sizeof(d.db_url));
	if (rv == RW_ENOTFOUND)
		return fail(c, rv, "environment not found");
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_ENV_DB)))
		return NULL;
	m->u.env_db = d;
	(void)RW_STRCPY(m->u.env_db.db_url, redacted);
	return m;
}

/* The environment's database, or an ERROR reply in *err. */
static int
env_db(struct call *c, const char *env, rw_env_db_t *d, wire_msg_t **err)
{
	char text[200];
	int rv = store_env_db_get(c->hc->store, env, d);
	if (rv == RW_ENOTFOUND) {
		snprintf(text, sizeof(text),
		         "environment \"%s\" has no database configured (rewindctl env set-db)", env);
		*err = fail(c, rv, text);
	} else if (rv != 0) {
		*err = fail(c, rv, NULL);
	}
	return rv;
}

static wire_msg_t *
h_backup_run(struct call *c)
{
	char text[600] = "", q[700];
	rw_backup_t b = {0};
	rw_env_db_t d;
	wire_msg_t *m = NULL;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if (env_db(c, c->req->u.query.env, &d, &m) != 0)
		return m;
	rv = backup_dump(c->hc->backup, &d, &b, text, sizeof(text));
	memset(d.db_url, 0, sizeof(d.db_url));
	if (rv != 0) {
		log_error("backup.failed", "env=%s err=%s reason=%s", d.env, rw_errname(rv),
		          log_q(q, sizeof(q), text));
		return fail(c, rv, text);
	}
	if ((rv = store_backup_add(c->hc->store, &c->who, "backup.run", &b)) != 0)
		return fail(c, rv, NULL);
	log_info("backup.taken", "env=%s id=%lld sha256=%s size=%lld", b.env, (long long)b.id,
	         b.sha256, (long long)b.size);
	if (!(m = reply(c, WIRE_BACKUP)))
		return NULL;
	m->u.backup = b;
	return m;
}

static wire_msg_t *
h_backup_record(struct call *c)
{
	rw_backup_t b = c->req->u.backup;
	wire_msg_t *m;
	int rv;

	(void)RW_STRCPY(b.outcome, b.verified ? "ok" : "none");
	if (b.verified)
		(void)RW_STRCPY(b.result, "recorded as verified (verification done elsewhere)");
	else
		b.result[0] = '\0';
	rv = store_backup_add(c->hc->store, &c->who, "backup.record", &b);
	if (rv == RW_ENOTFOUND)
		return fail(c, rv, "environment not found");
	if (rv != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_BACKUP)))
		return NULL;
	m->u.backup = b;
	return m;
}

static wire_msg_t *
h_backup_verify(struct call *c)
{
	char result[RW_TEXT_MAX + 1] = "", q[700];
	rw_backup_t b;
	rw_env_db_t d;
	wire_msg_t *m = NULL;
	int rv;

	if (!have_store(c))
		return no_store(c);
	if ((rv = store_backup_get(c->hc->store, c->req->u.query.id, &b)) != 0)
		return fail(c, rv, rv == RW_ENOTFOUND ? "backup not found" : NULL);
	/* A backup kept elsewhere cannot be restored from here; that says nothing bad about it. */
	if (artstore_path(c->hc->backup->store, b.location, result, sizeof(result)) != 0) {
		snprintf(result, sizeof(result),
		         "backup %lld is not in this server's artifact store (%.900s); verify it where "
		         "it is kept and record that with backup record --verified",
		         (long long)b.id, b.location);
		return fail(c, RW_EINVAL, result);
	}
	if (env_db(c, b.env, &d, &m) != 0)
		return m;
	rv = backup_verify(c->hc->backup, &d, &b, result, sizeof(result));
	memset(d.db_url, 0, sizeof(d.db_url));
	log_info("backup.verified", "id=%lld ok=%d result=%s", (long long)b.id, rv == 0,
	         log_q(q, sizeof(q), result));
	/* A failed verification is a result to record, not a failed request. */
	if ((rv = store_backup_verified(c->hc->store, &c->who, &b, rv == 0, result)) != 0)
		return fail(c, rv, NULL);
	if (!(m = reply(c, WIRE_BACKUP)))
		return NULL;
	m->u.backup = b;
	return m;
}

static wire_msg_t *
h_backup_list(struct call *c)
{
	rw_backup_t *items = NULL;
	size_t n = 0;
	int rv = store_backup_list(c->hc->store, c->req->u.query.env, c->req->u.query.limit,
	                           &items, &n);
	if (rv == RW_ENOTFOUND)
		return fail(c, rv, "environment not found");
	return list_reply(c, WIRE_BACKUP_LIST_OK, rv, items, n);
}

/* --- coordination (handlers_coord.c) ------------------------------------------- */

static wire_msg_t *
h_coord(struct call *c)
{
	return handlers_coord(c->hc, c->req, &c->who);
}

/* --- audit queries and the ledger ------------------------------------------------ */

static wire_msg_t *
table_reply(struct call *c, int rv, rw_table_t *t, const char *notfound)
{
	wire_msg_t *m;
	if (rv != 0) {
		rw_table_free(t);
		return fail(c, rv, rv == RW_ENOTFOUND ? notfound : NULL);
	}
	if (!(m = reply(c, WIRE_AUDIT_TABLE))) {
		rw_table_free(t);
		return NULL;
	}
	rw_table_move(&m->u.table, t);
	return m;
}

static wire_msg_t *
h_audit_ledger(struct call *c, const rw_auditq_t *q)
{
	char text[160];
	rw_ledger_head_t head;
	rw_table_t t = {0};
	bool ok = false;
	int rv;

	if (!c->hc->notary)
		return fail(c, RW_EUNAVAIL, "this rewindd has no key to sign or verify the ledger");
	if (q->kind == RW_AUDITQ_VERIFY) {
		rv = notary_verify(c->hc->notary, c->hc->store, &t, &ok);
		if (rv == 0 && !ok)
			log_warn("audit.tampered", "by=%s", c->who.name);
		return table_reply(c, rv, &t, NULL);
	}
	/* Signing writes: operator or better, like any other change. */
	if (!rw_role_allows(c->who.role, RW_PERM_WRITE)) {
		snprintf(text, sizeof(text), "role %s may not sign the audit chain",
		         rw_role_name(c->who.role));
		return fail(c, RW_EPERM, text);
	}
	rv = notary_sign(c->hc->notary, c->hc->store, &head, &ok);
	if (rv == 0)
		rv = notary_head_table(&head, ok, &t);
	return table_reply(c, rv, &t, NULL);
}

static wire_msg_t *
h_audit_query(struct call *c)
{
	const rw_auditq_t *q = &c->req->u.aquery;
	rw_table_t t = {0};

	if (q->kind == RW_AUDITQ_VERIFY || q->kind == RW_AUDITQ_SIGN)
		return h_audit_ledger(c, q);
	return table_reply(c, store_auditq(c->hc->store, q, &t), &t,
	                   q->kind == RW_AUDITQ_RELEASE ? "release not found"
	                                                : "environment not found");
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
	[WIRE_AGENT_REPORT] = {h_agent_report, RW_PERM_AGENT, true, "report node state"},
	[WIRE_ACTION_WAIT] = {h_action_wait, RW_PERM_AGENT, true, "take actions"},
	[WIRE_ACTION_PROGRESS] = {h_action_progress, RW_PERM_AGENT, true, "report action progress"},
	[WIRE_ACTION_RESULT] = {h_action_result, RW_PERM_AGENT, true, "report action results"},
	[WIRE_ACTION_CREATE] = {h_action_create, RW_PERM_WRITE, true, "create actions"},
	[WIRE_ACTION_GET] = {h_action_get, RW_PERM_READ, true, "read actions"},
	[WIRE_ACTION_LIST] = {h_action_list, RW_PERM_READ, true, "list actions"},
	[WIRE_STATUS_GET] = {h_status, RW_PERM_READ, true, "read status"},
	[WIRE_ARTIFACT_ADD] = {h_artifact_add, RW_PERM_WRITE, true, "add artifacts"},
	[WIRE_ARTIFACT_LIST] = {h_artifact_list, RW_PERM_READ, true, "list artifacts"},
	[WIRE_ARTIFACT_VERIFY] = {h_artifact_verify, RW_PERM_WRITE, true, "verify artifacts"},
	[WIRE_ENV_DB_SET] = {h_env_db_set, RW_PERM_ADMIN, true, "configure environment databases"},
	[WIRE_BACKUP_RUN] = {h_backup_run, RW_PERM_WRITE, true, "run backups"},
	[WIRE_BACKUP_RECORD] = {h_backup_record, RW_PERM_WRITE, true, "record backups"},
	[WIRE_BACKUP_VERIFY] = {h_backup_verify, RW_PERM_WRITE, true, "verify backups"},
	[WIRE_BACKUP_LIST] = {h_backup_list, RW_PERM_READ, true, "list backups"},
	[WIRE_SETTINGS_SET] = {h_coord, RW_PERM_ADMIN, true, "change settings"},
	[WIRE_SETTINGS_GET] = {h_coord, RW_PERM_READ, true, "read settings"},
	[WIRE_OP_START] = {h_coord, RW_PERM_WRITE, true, "deploy, promote, roll back or change configuration"},
	[WIRE_OP_GET] = {h_coord, RW_PERM_READ, true, "read operations"},
	[WIRE_OP_LIST] = {h_coord, RW_PERM_READ, true, "list operations"},
	[WIRE_INCIDENT_OPEN] = {h_coord, RW_PERM_WRITE, true, "open incidents"},
	[WIRE_INCIDENT_GET] = {h_coord, RW_PERM_READ, true, "read incidents"},
	[WIRE_INCIDENT_LIST] = {h_coord, RW_PERM_READ, true, "list incidents"},
	[WIRE_INCIDENT_CLOSE] = {h_coord, RW_PERM_WRITE, true, "close incidents"},
	[WIRE_DECIDE] = {h_coord, RW_PERM_WRITE, true, "record decisions"},
	[WIRE_INCIDENT_REPORT] = {h_coord, RW_PERM_READ, true, "read incident reports"},
	[WIRE_AUDIT_QUERY] = {h_audit_query, RW_PERM_READ, true, "query the audit ledger"},
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
	if (out && out->kind == WIRE_ERROR && out->u.error.code == RW_EDB && !hc->park &&
	    store_ping(hc->store) == 0) {
		wire_msg_free(out);
		out = r->fn(&c);
	}
	return out;
}
