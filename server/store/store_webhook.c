/*
 * store_webhook — the SQL of the notifications table, the webhook queue
 * (store_webhook.h): claims with FOR UPDATE SKIP LOCKED, so two rewindd
 * never send the same notification at once.
 *
 * What it does not do: build payloads or send them (server/coord/notify.c),
 * or decide when to retry (the caller passes retry_in_s).
 */
#include "store_webhook.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_sql.h"

int
store_webhook_enqueue(store_t *st, int64_t incident_id, const char *url, const char *format,
                      const char *event, const char *payload_json)
{
	char inc[STORE_I64_BUF];
	const char *p[5] = {store_i64(inc, incident_id), url, format, event, payload_json};
	return store_exec(st,
	                  "INSERT INTO notifications (incident_id, url, format, event, payload)"
	                  " VALUES (NULLIF($1::bigint, 0), $2, $3, $4, $5::jsonb)",
	                  5, p, NULL);
}

int
store_webhook_claim(store_t *st, struct store_webhook *out, bool *found)
{
	PGresult *res;
	int rv;

	*found = false;
	memset(out, 0, sizeof(*out));
	/*
	 * The claim pushes next_at a minute ahead: if this rewindd dies while
	 * sending, another one retries it then.
	 */
	rv = store_exec(st,
	                "UPDATE notifications SET state = 'sending', attempts = attempts + 1,"
	                " next_at = now() + interval '60 seconds'"
	                " WHERE id = (SELECT id FROM notifications WHERE state IN ('pending', 'sending')"
	                "   AND next_at <= now() ORDER BY next_at, id FOR UPDATE SKIP LOCKED LIMIT 1)"
	                " RETURNING id, url, format, event, payload::text, attempts",
	                0, NULL, &res);
	if (rv)
		return rv;
	if (PQntuples(res) == 1) {
		if (store_scan(res, 0, "lsss.n", &out->id, STORE_BUF(out->url), STORE_BUF(out->format),
		               STORE_BUF(out->event), &out->attempts) ||
		    !(out->payload = strdup(PQgetvalue(res, 0, 4))))
			rv = RW_ENOMEM;
		else
			*found = true;
	}
	PQclear(res);
	return rv;
}

int
store_webhook_done(store_t *st, int64_t id, bool ok, const char *error, int retry_in_s,
                   bool give_up)
{
	char idb[STORE_I64_BUF], retry[STORE_I64_BUF];
	const char *p[4] = {store_i64(idb, id), ok ? "sent" : give_up ? "failed" : "pending",
	                    error ? error : "", store_i64(retry, retry_in_s)};
	return store_exec(st,
	                  "UPDATE notifications SET state = $2, last_error = left($3, 512),"
	                  " sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE NULL END,"
	                  " next_at = now() + make_interval(secs => $4::float8)"
	                  " WHERE id = $1::bigint",
	                  4, p, NULL);
}
