/*
 * failure — incident, decision and automatic rollback after a failure
 * (failure.h).
 */
#include "failure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "err.h"
#include "hold.h"
#include "log.h"
#include "notify.h"
#include "plan.h"
#include "store_incident.h"

static int64_t
incident_for(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
             const char *why)
{
	rw_incident_t inc;
	int64_t id = op->incident_id;

	if (id || store_incident_open_id(st, env->env.id, &id) == 0)
		return id;
	if (!env->auto_rollback)
		return 0;
	/* Nobody is watching: rewindd opens the incident and coordinates it itself. */
	memset(&inc, 0, sizeof(inc));
	(void)RW_STRCPY(inc.env, env->env.name);
	(void)RW_STRCPY(inc.severity, "sev2");
	(void)RW_STRCPY(inc.coordinator, "rewindd");
	snprintf(inc.title, sizeof(inc.title), "%s #%lld failed in %s: %.1500s",
	         rw_op_kind_name(op->kind), (long long)op->id, env->env.name, why);
	if (store_incident_open(st, &hold_self, &inc) != 0) {
		log_warn("incident.open-failed", "env=%s error=\"%s\"", env->env.name, store_errmsg(st));
		return 0;
	}
	(void)notify_event(st, env, inc.id, "incident.open", inc.title);
	return inc.id;
}

static void
auto_rollback(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
              int64_t inc, const char *why)
{
	struct decide_facts f;
	rw_decision_t d;
	rw_op_request_t *req;
	char msg[1024] = "";
	int64_t id = 0;

	if (decide_gather(st, env, &f) != 0) {
		plan_note(st, env, inc, "note", "rewindd", NULL, "automatic decision failed: %s",
		          store_errmsg(st));
		return;
	}
	decide_walk(&f, NULL, 0, &d);
	d.incident_id = inc;
	if (store_incident_decision(st, &hold_self, inc, &d) == 0)
		(void)notify_event(st, env, inc, "decision", d.recommendation);
	if (strcmp(d.recommendation, "rollback") != 0) {
		plan_note(st, env, inc, "note", "rewindd", NULL,
		          "no automatic rollback: the decision tree says %s", d.recommendation);
		return;
	}
	if (!(req = calloc(1, sizeof(*req))))
		return;
	req->kind = RW_OP_ROLLBACK;
	req->incident_id = inc;
	(void)RW_STRCPY(req->env, env->env.name);
	snprintf(req->reason, sizeof(req->reason), "automatic rollback: %.1900s", why);
	for (uint32_t i = 0; i < op->nsteps; i++)
		if (op->steps[i].action_id)
			(void)RW_STRCPY(req->services[req->nservices++], op->steps[i].service);
	if (plan_request(st, &hold_self, req, &id, msg, sizeof(msg)) != 0)
		plan_note(st, env, inc, "note", "rewindd", "rollback.refused",
		          "automatic rollback refused: %s", msg);
	else
		log_info("coord.auto-rollback", "op=%lld rollback=%lld incident=%lld", (long long)op->id,
		         (long long)id, (long long)inc);
	free(req);
}

void
failure_record(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
               const char *why)
{
	int64_t inc = incident_for(st, op, env, why);
	if (!inc)
		return;
	if (store_incident_mark(st, inc, false) != 0)
		log_warn("coord.db", "incident=%lld error=\"%s\"", (long long)inc, store_errmsg(st));
	plan_note(st, env, inc, "detection", "rewindd", "detection",
	          "%s #%lld in %s failed its checks: %s", rw_op_kind_name(op->kind),
	          (long long)op->id, env->env.name, why);
	if (env->auto_rollback && (op->kind == RW_OP_DEPLOY || op->kind == RW_OP_PROMOTE))
		auto_rollback(st, op, env, inc, why);
}
