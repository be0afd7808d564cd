/*
 * store_action — the action queue: actions for agents to carry out (set an
 * image, patch a ConfigMap), leased to one agent at a time, finished once.
 * Each change wakes the rewindd processes listening on STORE_ACTION_CHANNEL
 * (store_channel.h).
 *
 * Not here: which action an operation's step needs (store_coord.h links them),
 * how an agent carries one out (agent/).
 */
#ifndef REWIND_STORE_ACTION_H
#define REWIND_STORE_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

/* Queues an action (sets id, state, created_at, created_by) with its audit row, and notifies. */
int store_action_create(store_t *st, const rw_actor_t *who, rw_action_t *a);
int store_action_get(store_t *st, int64_t id, rw_action_t *out);
/* Newest first; cluster NULL/empty for all; *out malloc'd, owned by the caller. */
int store_action_list(store_t *st, const char *cluster, uint32_t limit, rw_action_t **out,
                      size_t *n);

/*
 * Leases the oldest runnable action of the cluster to agent for lease_ms:
 * queued ones, or leased ones whose lease ran out (their agent vanished).
 * Actions past their deadline are failed instead.  *found is false when
 * there is nothing to do.
 */
int store_action_claim(store_t *st, const char *agent, const char *cluster, int lease_ms,
                       rw_action_t *out, bool *found);

/* Extends the lease and records progress; *ours false when the lease was lost. */
int store_action_progress(store_t *st, const char *agent, int64_t id, const char *message,
                          int lease_ms, bool *ours);

/*
 * Finishes an action the agent holds, with its audit row.  *accepted is
 * false (and nothing changes) when it was already finished or taken over:
 * the same action can never finish twice.
 */
int store_action_finish(store_t *st, const rw_actor_t *agent, int64_t id, bool ok,
                        const char *result, const char *previous, bool *accepted);

/* Cancels a queued or leased action (audited as actor rewindd); a finished one stays. */
int store_action_cancel(store_t *st, int64_t id, const char *why);

/* Clusters with runnable actions (queued or lease expired); at most cap names. */
int store_action_runnable_clusters(store_t *st, char (*out)[RW_NAME_MAX + 1], size_t cap,
                                   size_t *n);

#endif
