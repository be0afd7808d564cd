/*
 * observer — deployments through their observation window (observer.h).
 */
#include "observer.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "failure.h"
#include "health.h"
#include "log.h"
#include "plan.h"
#include "stopflag.h"
#include "store_catalog.h"
#include "store_coord.h"

static void
observe_one(store_t *st, const struct store_observed *o)
{
	struct store_env_cfg env;
	struct health_verdict v;
	rw_operation_t *op;
	bool done = rw_now_us() >= o->observe_until;

	if (store_env_cfg_by_id(st, o->env_id, &env) != 0 ||
	    health_check(st, o->cluster, &o->service, o->image, o->digest, env.env.health_url,
	                 o->verified_at, &v) != 0)
		return;
	if (v.state != HEALTH_FAILED) {
		/* A release set becomes known-good together: not while its operation still runs. */
		if (!done || o->op_running || store_observe_end(st, o->id, true, NULL) != 0)
			return;
		log_info("deployment.known-good", "id=%lld service=%s version=%s env=%s",
		         (long long)o->id, o->service.name, o->version, o->env);
		plan_note(st, &env, o->incident_id, "verification", "rewindd", NULL,
		          "%s:%s healthy through its observation window in %s: known-good",
		          o->service.name, o->version, o->env);
		return;
	}
	if (store_observe_end(st, o->id, false, v.text) != 0)
		return;
	log_warn("deployment.failed", "id=%lld service=%s env=%s why=\"%s\"", (long long)o->id,
	         o->service.name, o->env, v.text);
	if (!o->op_id || !(op = malloc(sizeof(*op))))
		return;
	if (store_op_get(st, o->op_id, op) == 0) {
		char why[800];
		snprintf(why, sizeof(why), "%s:%s inside its observation window: %s", o->service.name,
		         o->version, v.text);
		failure_record(st, op, &env, why);
	}
	free(op);
}

void
observer_loop(store_t *st, struct stopflag *stop)
{
	while (stopflag_sleep(stop, 1000)) {
		struct store_observed *obs = NULL;
		size_t n = 0;
		if (store_observing_list(st, &obs, &n) != 0) {
			(void)store_ping(st);
			continue;
		}
		for (size_t i = 0; i < n && !stopflag_raised(stop); i++)
			observe_one(st, &obs[i]);
		free(obs);
	}
}
