/*
 * notify — webhook notifications for incidents (open, decision, rollback
 * start and end, resolution).  notify_event() only queues a row in the
 * database (cheap, inside whatever the caller does); a separate sender
 * thread with its own connection posts them with libcurl (Slack-compatible
 * {"text": …} or a generic JSON object), retrying with backoff, so a slow
 * or hanging endpoint never holds up a rollback.  Does not decide when to
 * notify: the coordinator and the handlers do.
 */
#ifndef REWIND_NOTIFY_H
#define REWIND_NOTIFY_H

#include <stdint.h>

#include "store.h"
#include "store_catalog.h"

/* Queues event for the environment's webhook (nothing when none is set). */
int notify_event(store_t *st, const struct store_env_cfg *env, int64_t incident_id,
                 const char *event, const char *text);

typedef struct notifier notifier_t;

/* Starts the sender thread.  timeout_s bounds one POST. */
int notifier_start(const char *conninfo, int timeout_s, notifier_t **out, char *msg, size_t msgsz);
void notifier_stop(notifier_t *n);

#endif
