/*
 * store_webhook — the webhook queue: notifications of incidents for people
 * (Slack or a generic JSON endpoint), queued in the database so that any
 * rewindd sends each one, and retried until sent or given up.
 *
 * Not here: sending (server/coord/notify.c), PostgreSQL LISTEN/NOTIFY
 * between rewindd processes (store_channel.h).
 */
#ifndef REWIND_STORE_WEBHOOK_H
#define REWIND_STORE_WEBHOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* One queued webhook notification. */
struct store_webhook {
	int64_t id;
	char url[RW_URL_MAX + 1];
	char format[16];
	char event[RW_NAME_MAX + 1];
	char *payload;                          /* malloc'd JSON, owned by the caller (free()) */
	int attempts;
};
/* Queues a notification (incident_id 0: none). */
int store_webhook_enqueue(store_t *st, int64_t incident_id, const char *url, const char *format,
                          const char *event, const char *payload_json);
/*
 * Claims the next notification due (*found false when none); another rewindd
 * retries it a minute later if this one dies while sending.
 */
int store_webhook_claim(store_t *st, struct store_webhook *out, bool *found);
/* Records a send: sent (ok), failed for good (give_up), or retried in retry_in_s. */
int store_webhook_done(store_t *st, int64_t id, bool ok, const char *error, int retry_in_s,
                       bool give_up);

#endif
