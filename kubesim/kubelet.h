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

/* Where a reader is in a container's log, for following it. */
struct kubelet_log_pos {
    char ns[254], pod[254], container[254], uid[64];
    uint64_t next; /* sequence number of the next line */
};

/* Log text of a pod's container into *out (caller frees); pos (optional)
 * gets the position after it. -ENOENT when the pod is missing, -EINVAL or
 * -EAGAIN with err set for a bad container choice or a container that has
 * not started. */
int kubelet_logs(struct store *st, const char *ns, const char *pod,
                 const struct kubelet_log_opts *o, char **out, struct kubelet_log_pos *pos,
                 char *err, size_t errlen);

/* Lines appended since pos->next (possibly none: *out is ""), advancing
 * pos. -ENOENT once the pod is gone or replaced. */
int kubelet_logs_since(struct store *st, struct kubelet_log_pos *pos, int timestamps, char **out);

/* 1 if the pod is Running with all containers ready and not terminating. */
int kubelet_pod_ready(json_t *pod);

#endif
