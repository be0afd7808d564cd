/*
 * failure — what follows when a deploy fails its checks or a deployment
 * fails inside its observation window: the incident (rewindd opens one
 * itself when the environment opted into automatic rollback and none is
 * open), its detection entry, and — opted in, for deploys and promotions —
 * the decision tree and an automatic rollback.  Shared by the runner and
 * the observer; does not judge health or run the rollback (a runner does).
 */
#ifndef REWIND_FAILURE_H
#define REWIND_FAILURE_H

#include "domain_coord.h"
#include "store.h"
#include "store_catalog.h"

/* Records the failure of op (why: a human reason); failures are logged, never returned. */
void failure_record(store_t *st, const rw_operation_t *op, const struct store_env_cfg *env,
                    const char *why);

#endif
