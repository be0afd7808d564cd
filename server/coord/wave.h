/*
 * wave — the steps of one deploy order of an operation, carried out
 * together: each step's set-image action queued (once, also across a
 * takeover), its rollout followed, its health verified from the agents'
 * reports until verify_s runs out, progress and verdicts written to its
 * deployments row.  Does not order the waves, run the smoke test or record
 * the operation's outcome (runner.c does).
 */
#ifndef REWIND_WAVE_H
#define REWIND_WAVE_H

#include <stdint.h>

#include "domain_coord.h"
#include "store_catalog.h"

struct hold;

/*
 * Carries out the steps [from, to) of op (one deploy order): starts every
 * unsettled one, then drives them until each is verified or failed.
 * Returns 0, RW_EUNAVAIL / RW_ECONFLICT to let go of the operation, or
 * another error with why in msg (the first step that failed).
 */
int wave_run(struct hold *h, rw_operation_t *op, uint32_t from, uint32_t to,
             const struct store_env_cfg *env, char *msg, size_t msgsz);

#endif
