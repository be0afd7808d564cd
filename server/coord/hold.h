/*
 * hold — what a coordinator runner holds while it carries out one
 * operation: the claim (store_op_claim) and its renewal, the tick between
 * two looks at the cluster, and the deadline of the agent action it waits
 * for.  Also the actor rewindd acts as.  Does not run steps or record
 * outcomes (wave.c and runner.c do).
 */
#ifndef REWIND_HOLD_H
#define REWIND_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"
#include "store_catalog.h"
#include "store_coord.h"

struct stopflag;

/* The actor of everything the coordinator does on its own. */
extern const rw_actor_t hold_self;

struct hold {
	store_t *st;                /* the runner's own connection (not owned) */
	struct stopflag *stop;      /* raised when rewindd stops (not owned) */
	int tick_ms;                /* how often progress and health are read */
	const char *instance;       /* "rewindd@host:pid" (not owned) */
	struct store_claim claim;   /* the operation being run */
	bool lost;                  /* another runner took it over */
};

/*
 * Renews the claim, naming the phase when given.  RW_ECONFLICT: another
 * runner took the operation over; RW_EUNAVAIL: rewindd is stopping — either
 * way the runner lets go of it without recording anything more.  A
 * heartbeat that fails for database trouble is retried at the next tick.
 */
int hold_beat(struct hold *h, int64_t op_id, const char *phase);

/* Sleeps one tick after renewing the claim; nonzero (see hold_beat) with why in msg. */
int hold_tick(struct hold *h, int64_t op_id, char *msg, size_t msgsz);

/* The codes on which a runner lets go of its operation. */
bool hold_letting_go(int rv);

/*
 * An action past its environment's action timeout (queued, or held too
 * long): cancelled, with why in msg.  False while it still has time.
 */
bool hold_action_overdue(struct hold *h, const struct store_env_cfg *env, const rw_action_t *a,
                         char *msg, size_t msgsz);

#endif
