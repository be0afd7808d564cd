/*
 * ctl: the controllers of the simulated control plane, run on a timer in
 * their own thread: the deployment controller (ReplicaSet per template,
 * revisions, step-by-step rolling update over the nodes, status and the
 * Progressing condition including ProgressDeadlineExceeded), a ReplicaSet
 * controller for bare ReplicaSets, a garbage collector for orphans, and the
 * kubelet pass. Does not serve HTTP or validate API writes.
 */
#ifndef KUBESIM_CONTROLLER_H
#define KUBESIM_CONTROLLER_H

#include <stdint.h>

#include "scenario.h"
#include "store.h"

struct ctl;

/* The controller borrows st and scn; both must outlive it. */
struct ctl *ctl_new(struct store *st, const struct scenario *scn, int64_t step_ms);
void ctl_free(struct ctl *c);
/* Runs ticks without delays until nothing changes (max 200), so the
 * cluster starts settled. Call before ctl_start. */
int ctl_settle(struct ctl *c);
/* One pass over everything; takes the store lock. */
int ctl_tick(struct ctl *c, int instant);
int ctl_start(struct ctl *c);
/* Stops and joins the thread (safe if not started). */
void ctl_stop(struct ctl *c);

/* Resolves maxSurge/maxUnavailable ("25%" or 1) against replicas. */
int ctl_resolve_fenced(json_t *v, int replicas, int round_up, int def_percent);

#endif
