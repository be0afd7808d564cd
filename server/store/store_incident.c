/*
 * store_incident — the SQL of incidents and their timelines
 * (store_incident.h): each change writes a timeline event and an audit row
 * in one transaction.
 *
 * What it does not do: decide (server/coord/decide.c), or notify anyone
 * (the coordinator queues webhooks, store_webhook.c).
 */
#include "store_incident.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

static int
store_event_insert(store_t *st, int64_t id, const char *kind, const char *actor, const char *text)
{
	char idb[STORE_I64_BUF];
	const char *p[4] = {store_i64(idb, id), kind, actor, text};
	return store_exec(st,
	                  "INSERT INTO incident_events (incident_id, kind, actor, text)"
	                  " VALUES ($1::bigint, $2, left($3, 128), left($4, 2048))",
	                  4, p, NULL);
}

int
store_incident_open(store_t *st, const rw_actor_t *who, rw_incident_t *inc)
{
	char tgt[64], text[RW_TEXT_MAX + 600];
	char *detail = NULL;
	int64_t env_id, row[2];
	int rv;

	if ((rv = store_env_id(st, inc->env, &env_id)))
		return rv;
	if (!inc->severity[0])
		(void)RW_STRCPY(inc->severity, "sev2");
	if (!inc->coordinator[0])
		(void)RW_STRCPY(inc->coordinator, who->name);
	char eid[STORE_I64_BUF];
	const char *p[4] = {store_i64(eid, env_id), inc->severity, inc->coordinator, inc->title};
	rv = store_change_begin(st,
	                        "INSERT INTO incidents (environment_id, severity, coordinator, title)"
	                        " VALUES ($1::bigint, $2, $3, $4)"
	                        " RETURNING id, rw_to_us(opened_at)",
	                        4, p, NULL, row);
	if (rv)
		return rv;
	inc->id = row[0];
	inc->opened_at = row[1];
	(void)RW_STRCPY(inc->status, "open");
	snprintf(text, sizeof(text), "incident opened (%s) by %s, coordinator %s: %.1800s",
	         inc->severity, who->name, inc->coordinator, inc->title);
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, inc->id);
	if ((rv = store_event_insert(st, inc->id, "note", who->name, text)) == 0)
		rv = store_detail(st, &detail, "{s:s,s:s,s:s}", "env", inc->env, "severity",
		                  inc->severity, "coordinator", inc->coordinator);
	return store_change_end(st, rv, who, "incident.open", tgt, detail, NULL);
}

int
store_incident_open_id(store_t *st, int64_t env_id, int64_t *id)
{
	char env[STORE_I64_BUF];
	const char *p[1] = {store_i64(env, env_id)};
	int64_t v;
	bool found;
	/* At most one: incidents_one_open_idx. */
	int rv = store_get_i64(st,
	                       "SELECT id FROM incidents WHERE environment_id = $1::bigint"
	                       " AND status <> 'closed'",
	                       1, p, &v, &found);
	if (rv)
		return rv;
	if (!found)
		return RW_ENOTFOUND;
	*id = v;
	return 0;
}

#define STORE_INC_COLS                                                                      \
	"i.id, e.name, i.title, i.severity, i.coordinator, i.status, rw_to_us(i.opened_at),"    \
	" coalesce(rw_to_us(i.detected_at), 0), coalesce(rw_to_us(i.recovered_at), 0),"         \
	" coalesce(rw_to_us(i.closed_at), 0), i.decision, i.answers::text, i.summary,"          \
	" i.root_cause FROM incidents i JOIN environments e ON e.id = i.environment_id"

static int
store_incident_row(const PGresult *res, int row, void *dst)
{
	rw_incident_t *o = dst;
	json_error_t jerr;
	json_t *a, *v;
	const char *k;

	memset(o, 0, sizeof(*o));
	if (store_scan(res, row, "lssssslllls.ss", &o->id, STORE_BUF(o->env), STORE_BUF(o->title),
	               STORE_BUF(o->severity), STORE_BUF(o->coordinator), STORE_BUF(o->status),
	               &o->opened_at, &o->detected_at, &o->recovered_at, &o->closed_at,
	               STORE_BUF(o->decision), STORE_BUF(o->summary), STORE_BUF(o->root_cause)))
		return RW_EINTERNAL;
	if (!(a = json_loads(PQgetvalue(res, row, 11), 0, &jerr)))
		return RW_EINTERNAL;
	json_object_foreach(a, k, v) {
		if (o->nanswers >= RW_ANSWERS_MAX)
			break;
		if (rw_strcpy(o->answers[o->nanswers].key, sizeof(o->answers[0].key), k) == 0 &&
		    rw_strcpy(o->answers[o->nanswers].value, sizeof(o->answers[0].value),
		              json_string_value(v) ?: "") == 0)
			o->nanswers++;
	}
	json_decref(a);
	return 0;
}

static int
store_event_row(const PGresult *res, int row, void *dst)
{
	rw_timeline_t *t = dst;
	return store_scan(res, row, "lsss", &t->at, STORE_BUF(t->kind), STORE_BUF(t->actor),
	                  STORE_BUF(t->text));
}

int
store_incident_get(store_t *st, int64_t id, rw_incident_t *out)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, id)};
	int rv = store_get_one(st, "SELECT " STORE_INC_COLS " WHERE i.id = $1::bigint", 1, p,
	                       store_incident_row, out);
	if (rv)
		return rv;
	return store_get_list(st,
	                      "SELECT rw_to_us(at), kind, actor, text FROM incident_events"
	                      " WHERE incident_id = $1::bigint ORDER BY at, id LIMIT 500",
	                      1, p, sizeof(*out->timeline), store_event_row,
	                      (void **)&out->timeline, &out->ntimeline);
}

int
store_incident_list(store_t *st, const char *env, uint32_t limit, rw_incident_t **out, size_t *n)
{
	return store_list_by_name(st,
	                          "SELECT " STORE_INC_COLS " WHERE ($1 = '' OR e.name = $1)"
	                          " ORDER BY i.id DESC LIMIT $2::bigint",
	                          env, limit, sizeof(**out), store_incident_row, (void **)out, n);
}

int
store_incident_close(store_t *st, const rw_actor_t *who, int64_t id, const char *summary,
                     const char *root_cause)
{
	char idb[STORE_I64_BUF], tgt[64], text[RW_TEXT_MAX + 300];
	const char *p[3] = {store_i64(idb, id), summary ? summary : "", root_cause ? root_cause : ""};
	int64_t ignored;
	bool closed, exists;
	int rv;

	rv = store_begin_with(st,
	                      "UPDATE incidents SET status = 'closed', closed_at = now(),"
	                      " summary = CASE WHEN $2 = '' THEN summary ELSE $2 END,"
	                      " root_cause = CASE WHEN $3 = '' THEN root_cause ELSE $3 END,"
	                      " recovered_at = coalesce(recovered_at, now())"
	                      " WHERE id = $1::bigint AND status <> 'closed' RETURNING id",
	                      3, p, &ignored, &closed);
	if (rv)
		return rv;
	if (!closed) {
		/* Closed already, or never there. */
		store_rollback(st, 0);
		rv = store_get_i64(st, "SELECT 1 FROM incidents WHERE id = $1::bigint", 1, p, &ignored,
		                   &exists);
		return rv ? rv : exists ? RW_ECONFLICT : RW_ENOTFOUND;
	}
	snprintf(text, sizeof(text), "incident closed by %s: %.1900s", who->name,
	         summary && *summary ? summary : "(no summary)");
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	rv = store_event_insert(st, id, "note", who->name, text);
	return store_change_end(st, rv, who, "incident.close", tgt, NULL, summary);
}

int
store_incident_event(store_t *st, int64_t id, const char *kind, const char *actor,
                     const char *text)
{
	char tgt[64];
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	rv = store_event_insert(st, id, kind, actor, text);
	return store_change_end(st, rv, &store_self, "incident.event", tgt, NULL, text);
}

int
store_incident_decision(store_t *st, const rw_actor_t *who, int64_t id, const rw_decision_t *d)
{
	char idb[STORE_I64_BUF], tgt[64], text[RW_TEXT_MAX + 1];
	json_t *a = json_object();
	char *answers;
	int64_t ignored;
	size_t off;
	int rv;

	for (uint32_t i = 0; a && i < d->nanswers; i++)
		json_object_set_new(a, d->answers[i].key, json_string(d->answers[i].value));
	answers = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(a);
	if (!answers)
		return RW_ENOMEM;
	const char *p[3] = {store_i64(idb, id), d->recommendation, answers};
	off = (size_t)snprintf(text, sizeof(text), "decision: %s", d->recommendation);
	for (uint32_t i = 0; i < d->nreasons && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s", i ? "; " : " — ",
		                        d->reasons[i]);
	rv = store_begin_with(st,
	                      "UPDATE incidents SET decision = $2, answers = $3::jsonb"
	                      " WHERE id = $1::bigint",
	                      3, p, &ignored, NULL);
	free(answers);
	if (rv)
		return rv;
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	rv = store_event_insert(st, id, "decision", who->name, text);
	return store_change_end(st, rv, who, "incident.decision", tgt, NULL, d->recommendation);
}

int
store_incident_mark(store_t *st, int64_t id, bool recovered)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, id)};
	return store_exec(st,
	                  recovered ? "UPDATE incidents SET recovered_at = now(),"
	                              " status = CASE WHEN status = 'open' THEN 'mitigated'"
	                              "   ELSE status END WHERE id = $1::bigint"
	                            : "UPDATE incidents SET detected_at = coalesce(detected_at, now())"
	                              " WHERE id = $1::bigint",
	                  1, p, NULL);
}
