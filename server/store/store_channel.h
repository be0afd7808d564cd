/*
 * store_channel — PostgreSQL LISTEN/NOTIFY: the channels rewindd processes
 * wake each other on, listening on one, waiting for a notification, and
 * sending one inside a store transaction.
 *
 * Not here: the webhook queue (store_webhook.h), which also "notifies", but
 * people, over HTTP.  A store_t that listens should do nothing else: a
 * statement on it may consume notifications store_channel_wait() then
 * finds already queued (it looks at those first).
 */
#ifndef REWIND_STORE_CHANNEL_H
#define REWIND_STORE_CHANNEL_H

#include <stddef.h>

#include "store.h"

/* New and finished actions (payload: the cluster, or "action/ID"; "op/ID" for operations). */
#define STORE_ACTION_CHANNEL "rewind_actions"
/* The channel the coordinator listens on for new operations. */
#define STORE_OP_CHANNEL "rewind_ops"

/* LISTEN on a channel; then store_channel_wait() waits for notifications. */
int store_channel_listen(store_t *st, const char *channel);
/*
 * Waits up to timeout_ms for a notification; *got is 1 with its payload
 * copied into payload (truncated to cap), or 0 on timeout.
 */
int store_channel_wait(store_t *st, int timeout_ms, char *payload, size_t cap, int *got);
/* NOTIFY channel with payload; inside a transaction it is sent at commit. */
int store_channel_notify(store_t *st, const char *channel, const char *payload);

#endif
