/*
 * kubelet: runs the simulated containers of every pod according to its
 * image's behaviour (ok, crash, unhealthy, slow): ContainerCreating, then
 * Running/ready, CrashLoopBackOff with climbing restarts, or ready after a
 * delay; assigns pod IPs, removes pods marked for deletion, and keeps each
 * container's log. Called from the controller thread with the store lock
 * held. Does not decide how many pods exist (see controller).
 */
#ifndef KUBESIM_KUBELET_H
#define KUBESIM_KUBELET_H

#include <jansson.h>
#include <stdint.h>

#include "scenario.h"
#include "store.h"

/* One pass over all pods. instant=1 skips delays (startup settling). */
int kubelet_tick(struct store *st, const struct scenario *scn, int64_t now_ms,
                 int instant);

/* Appends a line to a container's log (lock held). */
int kubelet_log(struct store *st, const char *ns, const char *pod,
                const char *container, const char *line);

struct kubelet_log_opts {
    const char *container; /* NULL: the only container */
    long tail;             /* -1: all */
    long limit_bytes;      /* -1: no limit */
    long since_seconds;    /* -1: all */
    int timestamps;
    int previous;
};

/* Log text of a pod's container into *out (caller frees). -ENOENT when the
 * pod is missing, -EINVAL with err set for a bad container choice. */
int kubelet_logs(struct store *st, const char *ns, const char *pod,
                 const struct kubelet_log_opts *o, char **out, char *err,
                 size_t errlen);

/* 1 if the pod is Running with all containers ready and not terminating. */
int kubelet_pod_ready(json_t *pod);

#endif
