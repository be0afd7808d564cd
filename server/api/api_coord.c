/*
 * api_coord — the coordination requests: settings (per environment or
 * service), operations (deploy, promote, roll back, change configuration;
 * OP_GET is a long poll on the operation), incidents, decisions and
 * incident reports.  Planning is plan.c's, the decision walk decide.c's,
 * the report report.c's and the notices notify.c's; this file answers with
 * them and queues a notice when an incident opens, closes or is decided.
 * Operations are only queued here and run by coord.c: nothing here waits
 * for a cluster.
 */
#include "api_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "report.h"
#include "store_catalog.h"
#include "store_coord.h"
#include "store_incident.h"

/* --- settings ------------------------------------------------------------------ */

/* The SETTINGS reply: which's scope and name as they are stored now. */
static wire_msg_t *
settings_reply(struct api_call *c, const rw_settings_t *which)
{
	wire_msg_t *m = api_reply(c, WIRE_SETTINGS);
	if (!m)
		return NULL;
	(void)RW_STRCPY(m->u.settings.scope, which->scope);
	(void)RW_STRCPY(m->u.settings.name, which->name);
	return api_result(c, m, store_settings_get(c->ctx->store, &m->u.settings), RW_ENOTFOUND,
	                  "no such environment or service");
}

wire_msg_t *
api_settings_set(struct api_call *c)
{
	char msg[300] = "";
	int rv = store_settings_set(c->ctx->store, &c->who, &c->req->u.settings, msg, sizeof(msg));
	if (rv)
		return api_fail(c, rv, msg);
	return settings_reply(c, &c->req->u.settings);
}

wire_msg_t *
api_settings_get(struct api_call *c)
{
	return settings_reply(c, &c->req->u.settings);
}

/* --- operations ---------------------------------------------------------------- */

/* The OPERATION reply for operation id as it is stored now. */
static wire_msg_t *
op_reply(struct api_call *c, int64_t id)
{
	wire_msg_t *m = api_reply(c, WIRE_OPERATION);
	if (!m)
		return NULL;
	return api_result(c, m, store_op_get(c->ctx->store, id, &m->u.op), RW_ENOTFOUND,
	                  "operation not found");
}

wire_msg_t *
api_op_start(struct api_call *c)
{
	char msg[1200] = "";
	int64_t id = 0;
	int rv = plan_request(c->ctx->store, &c->who, &c->req->u.opreq, &id, msg, sizeof(msg));
	if (rv) {
		log_info("operation.refused", "kind=%s env=%s by=%s reason=\"%.300s\"",
		         rw_op_kind_name(c->req->u.opreq.kind), c->req->u.opreq.env, c->who.name, msg);
		return api_fail(c, rv, msg);
	}
	return op_reply(c, id);
}

wire_msg_t *
api_op_get(struct api_call *c)
{
	wire_msg_t *m = op_reply(c, c->req->u.opget.id);
	uint32_t wait = c->req->u.opget.wait_ms;

	/* Answer now unless the operation has not moved past what the caller saw. */
	if (!m || m->kind == WIRE_ERROR || c->ctx->final || wait == 0 ||
	    m->u.op.seq > c->req->u.opget.after_seq)
		return m;
	wire_msg_free(m);
	return api_park(c, wait, "op/%lld", (long long)c->req->u.opget.id);
}

/* --- incidents ------------------------------------------------------------------ */

/* The INCIDENT reply for incident id (with its timeline) as it is stored now. */
static wire_msg_t *
incident_reply(struct api_call *c, int64_t id)
{
	wire_msg_t *m = api_reply(c, WIRE_INCIDENT);
	if (!m)
		return NULL;
	return api_result(c, m, store_incident_get(c->ctx->store, id, &m->u.incident),
	                  RW_ENOTFOUND, "incident not found");
}

wire_msg_t *
api_incident_get(struct api_call *c)
{
	return incident_reply(c, c->req->u.opget.id);
}

/* Queues event for env's webhook; a notice that cannot be queued does not fail the request. */
static void
queue_notice(struct api_call *c, const char *env, int64_t incident, const char *event,
             const char *text)
{
	struct store_env_cfg cfg;
	if (store_env_cfg_get(c->ctx->store, env, &cfg) == 0)
		(void)notify_event(c->ctx->store, &cfg, incident, event, text);
}

wire_msg_t *
api_incident_open(struct api_call *c)
{
	rw_incident_t inc = c->req->u.incident;
	char text[200];
	struct store_env_cfg env;
	int64_t open_id = 0;
	int rv = store_incident_open(c->ctx->store, &c->who, &inc);

	if (rv == RW_EEXIST && store_env_cfg_get(c->ctx->store, inc.env, &env) == 0 &&
	    store_incident_open_id(c->ctx->store, env.env.id, &open_id) == 0) {
		snprintf(text, sizeof(text),
		         "environment %s already has an open incident (#%lld) with one coordinator; "
		         "close it first",
		         inc.env, (long long)open_id);
		return api_fail(c, rv, text);
	}
	if (rv)
		return api_fail_on(c, rv, RW_ENOTFOUND, "environment not found");
	queue_notice(c, inc.env, inc.id, "incident.open",
	             inc.title[0] ? inc.title : "incident opened");
	return incident_reply(c, inc.id);
}

wire_msg_t *
api_incident_close(struct api_call *c)
{
	const rw_incident_t *in = &c->req->u.incident;
	rw_incident_t cur;
	int rv = store_incident_close(c->ctx->store, &c->who, in->id, in->summary, in->root_cause);
	if (rv == RW_ECONFLICT)
		return api_fail(c, rv, "incident is already closed");
	if (rv)
		return api_fail_on(c, rv, RW_ENOTFOUND, "incident not found");
	if (store_incident_get(c->ctx->store, in->id, &cur) == 0) {
		queue_notice(c, cur.env, cur.id, "resolved",
		             in->summary[0] ? in->summary : "incident resolved");
		free(cur.timeline);
	}
	return incident_reply(c, in->id);
}

/* The incident a decision is recorded on: the given one, the open one, or a new one. */
static int
decision_incident(struct api_call *c, const struct store_env_cfg *env, const rw_decision_t *d,
                  int64_t *id)
{
	rw_incident_t inc;
	int rv;
	if (c->req->u.decide.incident_id) {
		*id = c->req->u.decide.incident_id;
		if ((rv = store_incident_get(c->ctx->store, *id, &inc)) == 0)
			free(inc.timeline);
		return rv;
	}
	if ((rv = store_incident_open_id(c->ctx->store, env->env.id, id)) != RW_ENOTFOUND)
		return rv;
	memset(&inc, 0, sizeof(inc));
	(void)RW_STRCPY(inc.env, env->env.name);
	snprintf(inc.title, sizeof(inc.title), "%s: %.1900s", env->env.name,
	         d->nfacts && strcmp(d->facts[0].value, "no") ? d->facts[0].value
	                                                       : "decision requested");
	if ((rv = store_incident_open(c->ctx->store, &c->who, &inc)))
		return rv;
	queue_notice(c, env->env.name, inc.id, "incident.open", inc.title);
	*id = inc.id;
	return 0;
}

wire_msg_t *
api_decide(struct api_call *c)
{
	const rw_decide_t *q = &c->req->u.decide;
	struct store_env_cfg env;
	struct decide_facts f;
	wire_msg_t *m;
	int64_t inc = 0;
	int rv;

	if ((rv = store_env_cfg_get(c->ctx->store, q->env, &env)))
		return api_fail_on(c, rv, RW_ENOTFOUND, "environment not found");
	if ((rv = decide_gather(c->ctx->store, &env, &f)))
		return api_fail(c, rv, NULL);
	if (!(m = api_reply(c, WIRE_DECISION)))
		return NULL;
	decide_walk(&f, q->answers, q->nanswers, &m->u.decision);
	if (q->dry_run)
		return m;
	if ((rv = decision_incident(c, &env, &m->u.decision, &inc)) ||
	    (rv = store_incident_decision(c->ctx->store, &c->who, inc, &m->u.decision))) {
		wire_msg_free(m);
		return api_fail_on(c, rv, RW_ENOTFOUND, "incident not found");
	}
	m->u.decision.incident_id = inc;
	(void)notify_event(c->ctx->store, &env, inc, "decision", m->u.decision.recommendation);
	return m;
}

wire_msg_t *
api_incident_report(struct api_call *c)
{
	wire_msg_t *m;
	char *md = NULL;
	int rv = report_incident(c->ctx->store, c->req->u.opget.id, &md);
	if (rv)
		return api_fail_on(c, rv, RW_ENOTFOUND, "incident not found");
	if (!(m = api_reply(c, WIRE_REPORT))) {
		free(md);
		return NULL;
	}
	m->u.text = md;
	return m;
}
