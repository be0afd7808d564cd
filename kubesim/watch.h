/*
 * watch: one watch stream (?watch=true): which objects it wants (type,
 * namespace, label and field selectors), where it is in the event history,
 * and the JSON lines it produces ({"type":..., "object":...}), optionally
 * as single-row Tables. Reads block on the store until an event, shutdown,
 * the watch's timeout, or the client going away. Does not know HTTP; the
 * caller supplies a liveness check for the connection.
 */
#ifndef KUBESIM_WATCH_H
#define KUBESIM_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "resource.h"
#include "selector.h"
#include "store.h"

struct watch;

struct watch_opts {
    const struct kres *res;
    const char *ns;        /* NULL: all namespaces */
    struct sel *labels;    /* stolen (may be NULL) */
    struct sel *fields;    /* stolen (may be NULL) */
    const char *rv;        /* resourceVersion parameter (NULL, "", "0" or N) */
    int table;             /* events carry Table objects */
    int bookmarks;         /* allowWatchBookmarks */
    int64_t timeout_ms;    /* 0: no timeout */
};

/* Opens a watch; takes the store lock itself. -EINVAL for a malformed
 * resourceVersion. Caller owns *out (watch_free). */
int watch_open(struct store *st, struct watch_opts *o, struct watch **out);
void watch_free(struct watch *w);

/* Copies up to max bytes of the stream into buf, blocking as needed.
 * Returns >0 bytes, 0 at the end of the stream (timeout, shutdown, or after
 * an ERROR event), -1 when alive(ctx) reports the client gone. */
ssize_t watch_read(struct watch *w, char *buf, size_t max, int (*alive)(void *ctx),
                   void *ctx);

#endif
