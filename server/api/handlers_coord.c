/*
 * handlers_coord — the coordination requests: settings, operations
 * (queued by plan.c, run by coord.c; OP_GET is a long poll parked on the
 * operation's key), incidents, decisions and reports.  Same contract as
 * handlers.c: a checked request and the caller's identity in, a reply or an
 * ERROR out; runs on worker threads only and never waits for a cluster.
 */
#include "handlers_coord.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "report.h"

struct ccall {
	struct handler_ctx *hc;
	const wire_msg_t *req;
	const rw_actor_t *who;
};

static wire_msg_t *
cfail(struct ccall *c, int code, const char *text)
{
	char q[160];
	if (code == RW_EDB) {
		log_error("db.error", "kind=%s actor=%s detail=\"%s\"", wire_kind_name(c->req->kind),
		          c->who->name, log_q(q, sizeof(q), store_errmsg(c->hc->store)));
		text = "the release history database is unavailable; try again";
	}
	return wire_error_new(c->req->request_id, code, text && *text ? text : NULL);
}

static wire_msg_t *
creply(struct ccall *c, enum wire_kind kind)
{
	return wire_msg_new(kind, c->req->request_id);
}

/* --- settings ------------------------------------------------------------------ */

static wire_msg_t *
settings_reply(struct ccall *c, const rw_settings_t *which)
{
	wire_msg_t *m = creply(c, WIRE_SETTINGS);
	int rv;
	if (!m)
		return NULL;
	(void)RW_STRCPY(m->u.settings.scope, which->scope);
	(void)RW_STRCPY(m->u.settings.name, which->name);
	if ((rv = store_settings_get(c->hc->store, &m->u.settings)) == 0)
		return m;
	wire_msg_free(m);
	return cfail(c, rv, rv == RW_ENOTFOUND ? "no such environment or service" : NULL);
}

static wire_msg_t *
h_settings_set(struct ccall *c)
{
	char msg[300] = "";
	int rv = store_settings_set(c->hc->store, c->who, &c->req->u.settings, msg, sizeof(msg));
	if (rv)
		return cfail(c, rv, msg);
	return settings_reply(c, &c->req->u.settings);
}

/* --- operations ---------------------------------------------------------------- */

static wire_msg_t *
op_reply(struct ccall *c, int64_t id)
{
	wire_msg_t *m = creply(c, WIRE_OPERATION);
	int rv;
	if (!m)
		return NULL;
	if ((rv = store_op_get(c->hc->store, id, &m->u.op)) == 0)
		return m;
	wire_msg_free(m);
	return cfail(c, rv, rv == RW_ENOTFOUND ? "operation not found" : NULL);
}

static wire_msg_t *
h_op_start(struct ccall *c)
{
	char msg[1200] = "";
	int64_t id = 0;
	int rv = plan_request(c->hc->store, c->who, &c->req->u.opreq, &id, msg, sizeof(msg));
	if (rv) {
		log_info("operation.refused", "kind=%s env=%s by=%s reason=\"%.300s\"",
		         rw_op_kind_name(c->req->u.opreq.kind), c->req->u.opreq.env, c->who->name, msg);
		return cfail(c, rv, msg);
	}
	return op_reply(c, id);
}

static wire_msg_t *
h_op_get(struct ccall *c)
{
	wire_msg_t *m = op_reply(c, c->req->u.opget.id);
	uint32_t wait = c->req->u.opget.wait_ms;

	if (!m || m->kind == WIRE_ERROR || c->hc->final || wait == 0 ||
	    m->u.op.seq > c->req->u.opget.after_seq)
		return m;
	wire_msg_free(m);
	if (wait > (uint32_t)c->hc->cfg->max_wait_ms)
		wait = (uint32_t)c->hc->cfg->max_wait_ms;
	c->hc->park = true;
	c->hc->park_ms = wait;
	snprintf(c->hc->park_key, sizeof(c->hc->park_key), "op/%lld", (long long)c->req->u.opget.id);
	return NULL;
}

static wire_msg_t *
h_op_list(struct ccall *c)
{
	rw_operation_t *items = NULL;
	size_t n = 0;
	wire_msg_t *m;
	int rv = store_op_list(c->hc->store, c->req->u.query.env, 0, c->req->u.query.limit, &items,
	                       &n);
	if (rv)
		return cfail(c, rv, NULL);
	if (!(m = creply(c, WIRE_OP_LIST_OK))) {
		free(items);
		return NULL;
	}
	wire_msg_set_list(m, items, n);
	return m;
}

/* --- incidents ------------------------------------------------------------------ */

static wire_msg_t *
incident_reply(struct ccall *c, int64_t id)
{
	wire_msg_t *m = creply(c, WIRE_INCIDENT);
	int rv;
	if (!m)
		return NULL;
	if ((rv = store_incident_get(c->hc->store, id, &m->u.incident)) == 0)
		return m;
	wire_msg_free(m);
	return cfail(c, rv, rv == RW_ENOTFOUND ? "incident not found" : NULL);
}

static void
queue_notice(struct ccall *c, const char *env, int64_t incident, const char *event,
             const char *text)
{
	struct store_env_cfg cfg;
	if (store_env_cfg_get(c->hc->store, env, &cfg) == 0)
		(void)notify_event(c->hc->store, &cfg, incident, event, text);
}

static wire_msg_t *
h_incident_open(struct ccall *c)
{
	rw_incident_t inc = c->req->u.incident;
	char text[200];
	struct store_env_cfg env;
	int64_t open_id = 0;
	int rv = store_incident_open(c->hc->store, c->who, &inc);

	if (rv == RW_EEXIST && store_env_cfg_get(c->hc->store, inc.env, &env) == 0 &&
	    store_incident_open_id(c->hc->store, env.env.id, &open_id) == 0) {
		snprintf(text, sizeof(text),
		         "environment %s already has an open incident (#%lld) with one coordinator; "
		         "close it first",
		         inc.env, (long long)open_id);
		return cfail(c, rv, text);
	}
	if (rv)
		return cfail(c, rv, rv == RW_ENOTFOUND ? "environment not found" : NULL);
	queue_notice(c, inc.env, inc.id, "incident.open", inc.title[0] ? inc.title : "incident opened");
	return incident_reply(c, inc.id);
}

static wire_msg_t *
h_incident_list(struct ccall *c)
{
	rw_incident_t *items = NULL;
	size_t n = 0;
	wire_msg_t *m;
	int rv = store_incident_list(c->hc->store, c->req->u.query.env, c->req->u.query.limit, &items,
	                             &n);
	if (rv)
		return cfail(c, rv, NULL);
	if (!(m = creply(c, WIRE_INCIDENT_LIST_OK))) {
		free(items);
		return NULL;
	}
	wire_msg_set_list(m, items, n);
	return m;
}

static wire_msg_t *
h_incident_close(struct ccall *c)
{
	const rw_incident_t *in = &c->req->u.incident;
	rw_incident_t cur;
	int rv = store_incident_close(c->hc->store, c->who, in->id, in->summary, in->root_cause);
	if (rv == RW_ECONFLICT)
		return cfail(c, rv, "incident is already closed");
	if (rv)
		return cfail(c, rv, rv == RW_ENOTFOUND ? "incident not found" : NULL);
	if (store_incident_get(c->hc->store, in->id, &cur) == 0) {
		queue_notice(c, cur.env, cur.id, "resolved",
		             in->summary[0] ? in->summary : "incident resolved");
		free(cur.timeline);
	}
	return incident_reply(c, in->id);
}

/* The incident a decision is recorded on: the given one, the open one, or a new one. */
static int
decision_incident(struct ccall *c, const struct store_env_cfg *env, const rw_decision_t *d,
                  int64_t *id)
{
	rw_incident_t inc;
	int rv;
	if (c->req->u.decide.incident_id) {
		*id = c->req->u.decide.incident_id;
		if ((rv = store_incident_get(c->hc->store, *id, &inc)) == 0)
			free(inc.timeline);
		return rv;
	}
	if ((rv = store_incident_open_id(c->hc->store, env->env.id, id)) != RW_ENOTFOUND)
		return rv;
	memset(&inc, 0, sizeof(inc));
	(void)RW_STRCPY(inc.env, env->env.name);
	snprintf(inc.title, sizeof(inc.title), "%s: %.1900s", env->env.name,
	         d->nfacts && strcmp(d->facts[0].value, "no") ? d->facts[0].value
	                                                       : "decision requested");
	if ((rv = store_incident_open(c->hc->store, c->who, &inc)))
		return rv;
	queue_notice(c, env->env.name, inc.id, "incident.open", inc.title);
	*id = inc.id;
	return 0;
}

static wire_msg_t *
h_decide(struct ccall *c)
{
	const rw_decide_t *q = &c->req->u.decide;
	struct store_env_cfg env;
	struct decide_facts f;
	wire_msg_t *m;
	int64_t inc = 0;
	int rv;

	if ((rv = store_env_cfg_get(c->hc->store, q->env, &env)))
		return cfail(c, rv, rv == RW_ENOTFOUND ? "environment not found" : NULL);
	if ((rv = decide_gather(c->hc->store, &env, &f)))
		return cfail(c, rv, NULL);
	if (!(m = creply(c, WIRE_DECISION)))
		return NULL;
	decide_walk(&f, q->answers, q->nanswers, &m->u.decision);
	if (q->dry_run)
		return m;
	if ((rv = decision_incident(c, &env, &m->u.decision, &inc)) ||
	    (rv = store_incident_decision(c->hc->store, c->who, inc, &m->u.decision))) {
		wire_msg_free(m);
		return cfail(c, rv, rv == RW_ENOTFOUND ? "incident not found" : NULL);
	}
	m->u.decision.incident_id = inc;
	(void)notify_event(c->hc->store, &env, inc, "decision", m->u.decision.recommendation);
	return m;
}

static wire_msg_t *
h_report(struct ccall *c)
{
	wire_msg_t *m;
	char *md = NULL;
	int rv = report_incident(c->hc->store, c->req->u.opget.id, &md);
	if (rv)
		return cfail(c, rv, rv == RW_ENOTFOUND ? "incident not found" : NULL);
	if (!(m = creply(c, WIRE_REPORT))) {
		free(md);
		return NULL;
	}
	m->u.text = md;
	return m;
}

wire_msg_t *
handlers_coord(struct handler_ctx *hc, const wire_msg_t *req, const rw_actor_t *who)
{
	struct ccall c = {hc, req, who};
	switch (req->kind) {
	case WIRE_SETTINGS_SET: return h_settings_set(&c);
	case WIRE_SETTINGS_GET: return settings_reply(&c, &req->u.settings);
	case WIRE_OP_START: return h_op_start(&c);
	case WIRE_OP_GET: return h_op_get(&c);
	case WIRE_OP_LIST: return h_op_list(&c);
	case WIRE_INCIDENT_OPEN: return h_incident_open(&c);
	case WIRE_INCIDENT_GET: return incident_reply(&c, req->u.opget.id);
	case WIRE_INCIDENT_LIST: return h_incident_list(&c);
	case WIRE_INCIDENT_CLOSE: return h_incident_close(&c);
	case WIRE_DECIDE: return h_decide(&c);
	case WIRE_INCIDENT_REPORT: return h_report(&c);
	default: return cfail(&c, RW_EPROTO, "not a request this server answers");
	}
}
