/*
 * plan — turns an operation request (deploy, promote, rollback, config
 * set/revert) into a checked plan and queues it: releases resolved and
 * matched to their services, digest-pinned images chosen, services put in
 * their deploy order, promotion and rollback gates applied (known-good on
 * the source environment; latest backup verified; migrations backwards
 * compatible), and the operation stored with one deployments row per
 * service.  Runs on handler workers and the coordinator; never waits for
 * the cluster (runner.c runs the plan).  The reads are plan.c's, the
 * decisions planner.c's.
 */
#ifndef REWIND_PLAN_H
#define REWIND_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"
#include "store_catalog.h"

/*
 * Plans and queues.  On refusal returns RW_ENOTFOUND (unknown env, service
 * or release), RW_EINVAL (a release of another service, nothing to do),
 * RW_ECONFLICT (a gate failed, not known-good), RW_EBUSY (a change already
 * in flight) with a human reason in msg.
 */
int plan_request(store_t *st, const rw_actor_t *who, const rw_op_request_t *req, int64_t *op_id,
                 char *msg, size_t msgsz);

/*
 * Records a timeline entry on an incident (kind: detection, decision,
 * action, verification, note) and, when event is given, queues the
 * environment's webhook.  Failures are logged, never returned: an incident
 * note must not stop a rollback.
 */
void plan_note(store_t *st, const struct store_env_cfg *env, int64_t incident_id,
               const char *kind, const char *actor, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
