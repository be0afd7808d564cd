/*
 * store: the cluster's objects, the global resourceVersion and the event
 * history that watches read from. One mutex guards everything; every
 * function except store_new/free/lock/unlock/shutdown expects the caller to
 * hold it. Writes bump the resourceVersion and record an event (ADDED,
 * MODIFIED, DELETED) in a bounded ring, then wake waiting watches. Does not
 * validate, default or patch objects (see api, schema, patch).
 */
#ifndef KUBESIM_STORE_H
#define KUBESIM_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "resource.h"

#define STORE_RING 4096

enum store_ev_type { STORE_ADDED, STORE_MODIFIED, STORE_DELETED };

struct store_event {
    uint64_t rv;
    enum store_ev_type type;
    const struct kres *res;
    json_t *obj; /* snapshot with kind and apiVersion; owned by the ring */
};

struct store;

struct store *store_new(void);
void store_free(struct store *s);
void store_lock(struct store *s);
void store_unlock(struct store *s);
/* Marks the store as stopping and wakes every waiter (lock not held). */
void store_shutdown(struct store *s);
int store_stopping(struct store *s);

uint64_t store_rv(struct store *s);

/* Live object (borrowed; never modify it: copy, change, store_update). */
json_t *store_get(struct store *s, const struct kres *r, const char *ns,
                  const char *name);
/* Private, unversioned per-object state for controllers (borrowed, mutable;
 * lives and dies with the object). NULL if the object does not exist. */
json_t *store_priv(struct store *s, const struct kres *r, const char *ns,
                   const char *name);
/* New array holding references to the objects of type r in ns (NULL for all
 * namespaces), sorted by namespace and name. Caller owns the array. */
json_t *store_list(struct store *s, const struct kres *r, const char *ns);

/* Adds obj (stolen): sets uid, creationTimestamp, resourceVersion and, for
 * workloads, generation 1. -EEXIST if present. On success *out (optional)
 * is the stored object, borrowed. */
int store_create(struct store *s, const struct kres *r, json_t *obj, json_t **out);
/* Replaces an existing object with obj (stolen). An update that changes
 * nothing keeps the resourceVersion and sends no event. -ENOENT if absent. */
int store_update(struct store *s, const struct kres *r, json_t *obj, json_t **out);
/* Removes an object; *last (optional) gets a new reference to its final
 * state. -ENOENT if absent. */
int store_delete(struct store *s, const struct kres *r, const char *ns,
                 const char *name, json_t **last);

/* Event with resourceVersion rv: 0 and *ev set; -EAGAIN if rv is in the
 * future; -ERANGE if it fell out of the ring (answer 410 Gone). */
int store_event_at(struct store *s, uint64_t rv, const struct store_event **ev);
/* Waits for a write or shutdown, at most timeout_ms; -ESHUTDOWN when
 * stopping. The lock is released while waiting. */
int store_wait(struct store *s, int64_t timeout_ms);

/* Counter of open watches, for diagnostics and leak tests. */
void store_watch_count(struct store *s, int delta);
int store_watches(struct store *s);

#endif
