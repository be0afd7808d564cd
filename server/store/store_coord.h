/*
 * store_coord — operations (docs/coordination.md): a plan queued as one
 * operation with a deployments row per step, claimed and heartbeated by one
 * runner at a time (a fencing token says whose it is), the action of each
 * step, progress and verification of steps, and the observation of
 * verified deployments until they are known-good.
 *
 * The one-change-in-flight index of the deployments table makes two
 * concurrent changes of one service in one environment fail, across
 * rewindd processes.
 *
 * Not here: planning and deciding (server/coord/), the actions themselves
 * (store_action.h), what a service last ran (store_catalog.h).
 */
#ifndef REWIND_STORE_COORD_H
#define REWIND_STORE_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

/* One service of a planned operation. */
struct store_plan_step {
	rw_service_t service;
	rw_release_t release;
	char image[RW_IMAGE_MAX + 1];           /* what will be sent */
	char previous_image[RW_IMAGE_MAX + 1];  /* what runs now, as far as Rewind knows */
};
struct store_plan {
	enum rw_op_kind kind;
	const char *dep_kind;                   /* deploy | promote | rollback | hotfix */
	int64_t env_id;
	int64_t incident_id;                    /* 0: none */
	const char *reason, *override_gate, *warnings;
	const char *spec_json;                  /* NULL: {} */
	size_t nsteps;
	struct store_plan_step steps[RW_OP_STEPS_MAX];
};
/*
 * Queues an operation with one deployments row per step, its audit row, and
 * a notification.  RW_EBUSY when a service of the plan already has a change
 * in flight in that environment (any rewindd): *busy_op names that operation.
 */
int store_op_create(store_t *st, const rw_actor_t *who, const struct store_plan *p,
                    int64_t *op_id, int64_t *busy_op);
int store_op_get(store_t *st, int64_t id, rw_operation_t *out);
/* The operation with a change of the service in flight in env (*op 0: none). */
int store_in_flight(store_t *st, int64_t env_id, int64_t service_id, int64_t *op);
/* Newest first; env NULL/empty for all; incident_id 0 for any; *out malloc'd, the caller's. */
int store_op_list(store_t *st, const char *env, int64_t incident_id, uint32_t limit,
                  rw_operation_t **out, size_t *n);

/* A runner's hold on an operation (store_op_claim). */
struct store_claim {
	int64_t id;
	int32_t token;                 /* fencing token: changes when anyone claims it again */
	bool resumed;                  /* taken over from a runner that stopped */
	char previous_owner[128];
};
/*
 * Takes an orphaned running operation (its runner's database session is
 * gone, or it stopped heartbeating for stale_s) to resume it, else the
 * oldest queued one.  An operation orphaned five times is failed instead.
 */
int store_op_claim(store_t *st, const char *owner, int stale_s, struct store_claim *c,
                   bool *found);
/* RW_ECONFLICT: another runner took the operation over (stop working on it). */
int store_op_heartbeat(store_t *st, int64_t id, int32_t token, const char *phase);
/* Gives the operation up for another runner to resume at once (rewindd stopping). */
int store_op_release(store_t *st, int64_t id, int32_t token);
/*
 * The set-image action of step dep_id (or, dep_id 0, the operation's
 * patch-configmap action), created from *a the first time and linked in the
 * same transaction; later calls load the existing one (*existing true), so
 * an operation resumed by another runner never acts twice.  RW_ECONFLICT
 * when the token is no longer the operation's.
 */
int store_op_action(store_t *st, int64_t op_id, int32_t token, int64_t dep_id,
                    const rw_actor_t *who, rw_action_t *a, bool *existing);
/* Records the outcome once: RW_ECONFLICT when the token is no longer the operation's. */
int store_op_finish(store_t *st, int64_t id, int32_t token, bool ok, const char *result,
                    int smoke_rc, const char *smoke_output);
int store_op_previous(store_t *st, int64_t id, const char *previous_json);
/* The newest succeeded config-set of env not yet reverted (0: none). */
int store_op_last_config(store_t *st, int64_t env_id, int64_t *op_id);

/* Progress of one deployments row (state, outcome NULL = unchanged). */
struct store_step_update {
	const char *state;
	const char *outcome;
	int64_t action_id;                      /* 0: unchanged */
	int32_t updated, available, replicas;   /* -1: unchanged */
	const char *health;
	const char *message;
	const char *previous_image;
};
int store_step_update(store_t *st, int64_t op_id, int64_t dep_id,
                      const struct store_step_update *u);
/* Verified: outcome succeeded; observing until observe_s from now (0: known-good at once). */
int store_step_verified(store_t *st, int64_t op_id, int64_t dep_id, int observe_s);
/* The deployment that dep_id replaces ends as rolled-back (a rollback's steps). */
int store_deploy_superseded(store_t *st, int64_t env_id, int64_t service_id, int64_t dep_id,
                            bool rolled_back);

/* A deployment being observed, with what checking it needs. */
struct store_observed {
	int64_t id, op_id, env_id, service_id, release_id, incident_id;
	char env[RW_NAME_MAX + 1];
	char cluster[RW_NAME_MAX + 1];
	rw_service_t service;
	char image[RW_IMAGE_MAX + 1];
	char digest[RW_DIGEST_MAX + 1];
	char version[RW_VERSION_MAX + 1];
	int64_t verified_at, observe_until;
	char dep_kind[16];
	bool op_running;                        /* its operation has not finished */
};
/* *out malloc'd, owned by the caller. */
int store_observing_list(store_t *st, struct store_observed **out, size_t *n);
/* Ends an observation: known-good, or failed with a reason (audited as actor rewindd). */
int store_observe_end(store_t *st, int64_t dep_id, bool good, const char *why);

#endif
