/*
 * store_action — the SQL of the action queue (store_action.h).
 *
 * What it does: queues actions with their audit rows, leases them with
 * FOR UPDATE SKIP LOCKED (two agents or servers polling at once never get
 * the same one; one object at a time), fails those whose deadline passed,
 * and sends a notification on STORE_ACTION_CHANNEL for every change a
 * console or agent may be waiting on.
 *
 * What it does not do: decide what to do (the coordinator does) or talk
 * to agents (server/rpc/ does).
 */
#include "store_action.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_channel.h"
#include "store_sql.h"

#define STORE_ACTION_COLS                                                                   \
	"id, kind, state, cluster, target::text, COALESCE(rw_to_us(deadline), 0), lease_owner," \
	" attempts, COALESCE(result->>'message', progress), COALESCE(result->>'previous', '')," \
	" created_by, rw_to_us(created_at), COALESCE(rw_to_us(finished_at), 0)"

static int
store_action_target_parse(json_t *t, rw_action_t *a)
{
	json_t *data = json_object_get(t, "data");
	const char *k;
	json_t *v;
	int rv;

	if ((rv = STORE_JSON_STR(a->namespace_, t, "namespace")) ||
	    (rv = STORE_JSON_STR(a->name, t, "name")) ||
	    (rv = STORE_JSON_STR(a->container, t, "container")) ||
	    (rv = STORE_JSON_STR(a->image, t, "image")))
		return rv;
	a->nkv = 0;
	json_object_foreach(data, k, v) {
		if (a->nkv >= RW_KV_MAX)
			return RW_EINTERNAL;
		if (rw_strcpy(a->kv[a->nkv].key, sizeof(a->kv[0].key), k) ||
		    rw_strcpy(a->kv[a->nkv].value, sizeof(a->kv[0].value),
		              json_string_value(v) ? json_string_value(v) : ""))
			return RW_EINTERNAL;
		a->nkv++;
	}
	return 0;
}

static int
store_action_row(const PGresult *res, int row, void *dst)
{
	rw_action_t *a = dst;
	json_error_t jerr;
	json_t *t;
	int rv;

	memset(a, 0, sizeof(*a));
	a->kind = rw_action_kind_parse(PQgetvalue(res, row, 1));
	a->state = rw_action_state_parse(PQgetvalue(res, row, 2));
	if ((rv = store_scan(res, row, "l..s.lsisssll", &a->id, STORE_BUF(a->cluster), &a->deadline,
	                     STORE_BUF(a->owner), &a->attempts, STORE_BUF(a->result),
	                     STORE_BUF(a->previous), STORE_BUF(a->created_by), &a->created_at,
	                     &a->finished_at)))
		return rv;
	if (!(t = json_loads(PQgetvalue(res, row, 4), 0, &jerr)))
		return RW_EINTERNAL;
	rv = store_action_target_parse(t, a);
	json_decref(t);
	return rv;
}

/* The action's target as the JSON text of actions.target; NULL: out of memory. */
static char *
store_action_target(const rw_action_t *a)
{
	char *s;
	json_t *t = json_pack("{s:s,s:s}", "namespace", a->namespace_, "name", a->name);
	if (!t)
		return NULL;
	if (a->kind == RW_ACTION_SET_IMAGE) {
		json_object_set_new(t, "container", json_string(a->container));
		json_object_set_new(t, "image", json_string(a->image));
	} else {
		json_t *data = json_object();
		for (uint32_t i = 0; data && i < a->nkv; i++)
			json_object_set_new(data, a->kv[i].key, json_string(a->kv[i].value));
		json_object_set_new(t, "data", data);
	}
	s = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	return s;
}

int
store_action_create(store_t *st, const rw_actor_t *who, rw_action_t *a)
{
	char deadline[STORE_I64_BUF], tgt[RW_IMAGE_MAX + 1], idbuf[STORE_I64_BUF];
	char *target, *detail = NULL;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !a)
		return RW_EINVAL;
	if (!(target = store_action_target(a))) {
		store_set_err(st, "cannot encode the action target");
		return RW_EINVAL;
	}
	const char *params[5] = {rw_action_kind_name(a->kind), a->cluster, target,
	                         store_i64(deadline, a->deadline), who->name};
	rv = store_change_begin(st,
	                        "INSERT INTO actions (kind, cluster, target, deadline, created_by)"
	                        " VALUES ($1, $2, $3::jsonb, NULLIF(rw_from_us($4::bigint), 'epoch'),"
	                        " $5) RETURNING id, rw_to_us(created_at)",
	                        5, params, NULL, row);
	free(target);
	if (rv)
		return rv;
	a->id = row[0];
	a->created_at = row[1];
	a->state = RW_ACTION_QUEUED;
	rw_strcpy(a->created_by, sizeof(a->created_by), who->name);
	if ((rv = store_channel_notify(st, STORE_ACTION_CHANNEL, a->cluster)) == 0 &&
	    (rv = store_target(st, tgt, sizeof(tgt), "action", store_i64(idbuf, a->id), NULL)) == 0)
		rv = store_detail(st, &detail, "{s:s,s:s,s:s,s:s,s:s}", "kind",
		                  rw_action_kind_name(a->kind), "cluster", a->cluster, "namespace",
		                  a->namespace_, "name", a->name, "image", a->image);
	return store_change_end(st, rv, who, "action.create", tgt, detail, NULL);
}

int
store_action_get(store_t *st, int64_t id, rw_action_t *out)
{
	return store_get_by_id(st, "SELECT " STORE_ACTION_COLS " FROM actions WHERE id = $1::bigint",
	                       id, store_action_row, out);
}

int
store_action_list(store_t *st, const char *cluster, uint32_t limit, rw_action_t **out, size_t *n)
{
	return store_list_by_name(st,
	                          "SELECT " STORE_ACTION_COLS " FROM actions"
	                          " WHERE $1 = '' OR cluster = $1 ORDER BY id DESC LIMIT $2::bigint",
	                          cluster, limit, sizeof(**out), store_action_row, (void **)out, n);
}

/* Fails the cluster's actions whose deadline passed while nobody held them. */
static int
store_action_expire(store_t *st, const char *cluster)
{
	const char *params[1] = {cluster};
	char tgt[64];
	PGresult *res;
	int rv = store_exec(st,
	                    "UPDATE actions SET state = 'failed', finished_at = now(),"
	                    " result = jsonb_build_object('message',"
	                    "   'deadline passed before an agent finished it', 'previous', '')"
	                    " WHERE cluster = $1 AND deadline IS NOT NULL AND deadline < now()"
	                    "   AND (state = 'queued' OR (state = 'leased' AND lease_expires_at < now()))"
	                    " RETURNING id",
	                    1, params, &res);
	if (rv)
		return rv;
	for (int i = 0; rv == 0 && i < PQntuples(res); i++) {
		snprintf(tgt, sizeof(tgt), "action/%s", PQgetvalue(res, i, 0));
		rv = store_audit_insert(st, &store_self, "action.expired", tgt, NULL,
		                        "deadline passed");
		if (rv == 0)
			rv = store_channel_notify(st, STORE_ACTION_CHANNEL, tgt);
	}
	PQclear(res);
	return rv;
}

int
store_action_claim(store_t *st, const char *agent, const char *cluster, int lease_ms,
                   rw_action_t *out, bool *found)
{
	char lease[STORE_I64_BUF];
	const char *params[3] = {agent, cluster, store_i64(lease, lease_ms)};
	PGresult *res;
	int rv;

	*found = false;
	if ((rv = store_begin(st)))
		return rv;
	if ((rv = store_action_expire(st, cluster)))
		return store_rollback(st, rv);
	/*
	 * SKIP LOCKED: two agents (or servers, or actors of one agent) polling at
	 * once never get the same action.  One object at a time: an action waits
	 * while an earlier one on the same Deployment (or ConfigMap) is unfinished,
	 * so two rollouts of one Deployment never race.
	 */
	rv = store_exec(st,
	                "UPDATE actions SET state = 'leased', lease_owner = $1,"
	                " lease_expires_at = now() + make_interval(secs => $3::float8 / 1000),"
	                " attempts = attempts + 1"
	                " WHERE id = (SELECT a.id FROM actions a WHERE a.cluster = $2"
	                "   AND (a.state = 'queued'"
	                "        OR (a.state = 'leased' AND a.lease_expires_at < now()))"
	                "   AND NOT EXISTS (SELECT 1 FROM actions b"
	                "     WHERE b.cluster = a.cluster AND b.kind = a.kind AND b.id < a.id"
	                "       AND b.state IN ('queued', 'leased')"
	                "       AND b.target->>'namespace' = a.target->>'namespace'"
	                "       AND b.target->>'name' = a.target->>'name')"
	                "   ORDER BY a.id FOR UPDATE OF a SKIP LOCKED LIMIT 1)"
	                " RETURNING " STORE_ACTION_COLS,
	                3, params, &res);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) == 1 && (rv = store_action_row(res, 0, out)) == 0)
		*found = true;
	PQclear(res);
	return store_end(st, rv);
}

int
store_action_progress(store_t *st, const char *agent, int64_t id, const char *message,
                      int lease_ms, bool *ours)
{
	char idbuf[STORE_I64_BUF], lease[STORE_I64_BUF];
	const char *params[4] = {store_i64(idbuf, id), agent, message ? message : "",
	                         store_i64(lease, lease_ms)};
	int64_t held;
	return store_get_i64(st,
	                     "UPDATE actions SET progress = $3,"
	                     " lease_expires_at = now() + make_interval(secs => $4::float8 / 1000)"
	                     " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'leased'"
	                     " RETURNING id",
	                     4, params, &held, ours);
}

int
store_action_finish(store_t *st, const rw_actor_t *agent, int64_t id, bool ok, const char *result,
                    const char *previous, bool *accepted)
{
	char idbuf[STORE_I64_BUF], tgt[64];
	char *detail = NULL;
	const char *params[5] = {store_i64(idbuf, id), agent->name, ok ? "succeeded" : "failed",
	                         result ? result : "", previous ? previous : ""};
	int64_t ignored;
	int rv;

	*accepted = false;
	/* Only whether a row came back counts (it was still ours to finish). */
	rv = store_begin_with(st,
	                      "UPDATE actions SET state = $3, finished_at = now(),"
	                      " result = jsonb_build_object('message', $4::text, 'previous', $5::text)"
	                      " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'leased'"
	                      " RETURNING cluster",
	                      5, params, &ignored, accepted);
	if (rv)
		return rv;
	if (!*accepted)
		return store_rollback(st, 0);
	snprintf(tgt, sizeof(tgt), "action/%" PRId64, id);
	/* Wakes consoles waiting for this action, on every rewindd. */
	if ((rv = store_channel_notify(st, STORE_ACTION_CHANNEL, tgt)) == 0)
		rv = store_detail(st, &detail, "{s:s,s:s}", "result", result ? result : "", "previous",
		                  previous ? previous : "");
	return store_change_end(st, rv, agent, ok ? "action.succeeded" : "action.failed", tgt,
	                        detail, NULL);
}

/* Clusters with work an agent could take now (queued, or a lease that ran out). */
int
store_action_runnable_clusters(store_t *st, char (*out)[RW_NAME_MAX + 1], size_t cap, size_t *n)
{
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT DISTINCT cluster FROM actions WHERE state = 'queued'"
	                    " OR (state = 'leased' AND lease_expires_at < now())",
	                    0, NULL, &res);
	*n = 0;
	if (rv)
		return rv;
	for (int i = 0; i < PQntuples(res) && *n < cap; i++)
		if (rw_strcpy(out[*n], sizeof(out[0]), PQgetvalue(res, i, 0)) == 0)
			(*n)++;
	PQclear(res);
	return 0;
}

int
store_action_cancel(store_t *st, int64_t id, const char *why)
{
	char idb[STORE_I64_BUF], tgt[64];
	const char *p[2] = {store_i64(idb, id), why};
	int64_t ignored;
	bool changed;
	int rv;

	rv = store_begin_with(st,
	                      "UPDATE actions SET state = 'cancelled', finished_at = now(),"
	                      " result = jsonb_build_object('message', $2::text, 'previous', '')"
	                      " WHERE id = $1::bigint AND state IN ('queued', 'leased') RETURNING id",
	                      2, p, &ignored, &changed);
	if (rv)
		return rv;
	snprintf(tgt, sizeof(tgt), "action/%" PRId64, id);
	if (changed && (rv = store_channel_notify(st, STORE_ACTION_CHANNEL, tgt)) == 0)
		rv = store_audit_insert(st, &store_self, "action.cancelled", tgt, NULL, why);
	return store_end(st, rv);
}
