/*
 * hold — a runner's claim, tick and action deadlines (hold.h).
 */
#include "hold.h"

#include <stdio.h>

#include "err.h"
#include "stopflag.h"
#include "store_action.h"
#include "store_agents.h"

const rw_actor_t hold_self = {"rewindd", RW_ROLE_NONE};

int
hold_beat(struct hold *h, int64_t op_id, const char *phase)
{
	if (stopflag_raised(h->stop))
		return RW_EUNAVAIL;
	if (store_op_heartbeat(h->st, op_id, h->claim.token, phase) == RW_ECONFLICT) {
		h->lost = true;
		return RW_ECONFLICT;
	}
	return 0;
}

bool
hold_letting_go(int rv)
{
	return rv == RW_EUNAVAIL || rv == RW_ECONFLICT;
}

int
hold_tick(struct hold *h, int64_t op_id, char *msg, size_t msgsz)
{
	int rv = hold_beat(h, op_id, NULL);
	if (rv == 0 && !stopflag_sleep(h->stop, h->tick_ms))
		rv = RW_EUNAVAIL;
	if (rv)
		snprintf(msg, msgsz, "%s", rv == RW_ECONFLICT ? "taken over by another runner"
		                                              : "rewindd is stopping");
	return rv;
}

bool
hold_action_overdue(struct hold *h, const struct store_env_cfg *env, const rw_action_t *a,
                    char *msg, size_t msgsz)
{
	int live = 0;

	if (rw_now_us() <= a->created_at + (int64_t)env->action_timeout_s * 1000000)
		return false;
	(void)store_agents_live(h->st, env->env.cluster, rw_now_us() - 30LL * 1000000, &live);
	if (a->state == RW_ACTION_QUEUED)
		snprintf(msg, msgsz,
		         "no agent of cluster %s took the %s action #%lld within %d s "
		         "(%d agent(s) reporting in the last 30 s); nothing was changed",
		         env->env.cluster, rw_action_kind_name(a->kind), (long long)a->id,
		         env->action_timeout_s, live);
	else
		snprintf(msg, msgsz, "agent %s did not finish action #%lld within %d s", a->owner,
		         (long long)a->id, env->action_timeout_s);
	(void)store_action_cancel(h->st, a->id, msg);
	return true;
}
