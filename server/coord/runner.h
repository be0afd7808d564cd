/*
 * runner — a coordinator runner: takes queued operations (store_op_claim;
 * any rewindd sharing the database may take one, and takes over one whose
 * runner stopped) and carries each out — a deploy, promotion or rollback
 * wave by wave in deploy order, then the smoke test; a config change as one
 * patch-configmap action — and records the outcome with what follows from
 * it (incident timeline, failure handling) in one transaction.  Does not
 * start its thread or open its connection (coord.c does).
 */
#ifndef REWIND_RUNNER_H
#define REWIND_RUNNER_H

struct hold;

/* Claims and runs operations until h->stop is raised. */
void runner_loop(struct hold *h, int stale_s);

#endif
