/*
 * kev: Kubernetes Events (v1) about what the simulated control plane does
 * (scaling, pod creation and deletion, scheduling, container starts,
 * back-offs), so `kubectl describe` and `kubectl get events` show them.
 * Repeats of the same event are folded into one with a count, and the
 * oldest events are dropped beyond a bound. Called with the store lock
 * held. Does not decide anything; callers report what they did.
 */
#ifndef KUBESIM_EVENTS_H
#define KUBESIM_EVENTS_H

#include <jansson.h>

#include "store.h"

#define KEV_MAX 500

/* Records an event about obj from component ("deployment-controller",
 * "kubelet"...); type is "Normal" or "Warning". Returns 0 or -ENOMEM. */
__attribute__((format(printf, 6, 7)))
int kev_record(struct store *st, json_t *obj, const char *type, const char *reason,
               const char *component, const char *fmt, ...);

#endif
