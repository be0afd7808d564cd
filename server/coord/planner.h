/*
 * planner — the pure half of planning (plan.c gathers, this decides): from
 * the facts read about an operation request (the environment, the releases
 * it names, the services it touches with what runs and what is known-good,
 * the latest backup, the config set reverted) to the plan to queue — steps
 * in deploy order with digest-pinned images, gates applied, warnings — or
 * a refusal with its code and human reason.  Reads nothing, writes nothing,
 * queues nothing.
 */
#ifndef REWIND_PLANNER_H
#define REWIND_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store_catalog.h"
#include "store_coord.h"

/*
 * Every lookup of the facts is kept with its result: rv 0, RW_ENOTFOUND, or
 * the store's error.  The planner consults them in the order it checks
 * the request, so a refusal or an error is the first one a check meets.
 */

/* A service as a step needs it: the row and its deploy order. */
struct plan_service {
	int rv;
	rw_service_t service;
	int order;
};

/* A release the request names (req->releases[i]: SERVICE:VERSION or an id). */
struct plan_ref {
	int rv;
	rw_release_t rel;
	struct plan_service svc;      /* rel's service (rv 0 only) */
	int good_rv;                  /* promote: known-good on the source environment? */
	bool good;
};

/* Rollback: a service to roll back. */
struct plan_target {
	rw_service_t svc;
	int busy_rv;
	int64_t busy;                 /* the operation with a change of it in flight (0: none) */
	int cur_rv;                   /* what runs now (read when nothing is in flight) */
	struct store_current cur;
	int good_rv;                  /* the newest known-good release before cur (read when */
	rw_release_t good;            /* cur was and no --to names a release of svc) */
	struct plan_service good_svc; /* good's service (good_rv 0 only) */
};

struct plan_facts {
	int env_rv;                   /* req->env */
	struct store_env_cfg env;
	int incident_rv;              /* req->incident_id, when given */
	/* promote */
	int from_rv;                  /* the environment releases are proven on */
	struct store_env_cfg from;
	/* deploy, promote; rollback --to */
	uint32_t nrefs;
	struct plan_ref refs[RW_OP_REFS_MAX];
	/* rollback */
	int services_rv;              /* the services named (stops at the first missing) or all */
	uint32_t services_missing;    /* services_rv != 0 and named: the index in req->services */
	size_t ntargets;
	struct plan_target *targets;
	int backup_rv;                /* the environment's latest backup */
	size_t nbackups;              /* 0 or 1 */
	rw_backup_t backup;
	/* config revert */
	int revert_rv;
	int64_t revert_id;            /* the config set reverted (the last one when none named) */
	rw_operation_t *revert;
};

/* A plan as made by plan_make(). */
struct plan_draft {
	struct store_plan plan;           /* warnings, spec_json point into this draft; reason, */
	                                  /* override_gate into the request */
	char warnings[RW_TEXT_MAX + 1];   /* "; "-separated; what does not fit is dropped */
	char *spec;                       /* config operations: the JSON spec, malloc'd (free()) */
};

/*
 * Makes the plan for req from f into d (zeroed by the caller).  On refusal
 * returns RW_ENOTFOUND (unknown env, incident, service or release; nothing
 * to roll back), RW_EINVAL (a release of another service, nothing to do),
 * RW_ETOOBIG (too many services), RW_ECONFLICT (a gate failed, not
 * known-good), RW_EBUSY (a change already in flight) with a human reason in
 * msg; a fact's store error as it is.  d->spec may be set on any return.
 */
int plan_make(const struct plan_facts *f, const rw_op_request_t *req, struct plan_draft *d,
              char *msg, size_t msgsz);

/* The refusal when a change to what (a service, "these services") is in flight in env. */
int plan_refuse_busy(const char *what, const char *env, int64_t busy_op, char *msg, size_t msgsz);

#endif
