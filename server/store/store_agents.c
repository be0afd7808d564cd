/*
 * store_agents — the store's agent half: node reports (pods, deployments,
 * probe results), status queries, probe assignment, and the action queue
 * with leases.  Reports are applied set-wise (one statement per kind, rows
 * passed as one JSON parameter), so a node's 110 pods cost one round trip,
 * not 110.  Same rules as store.c: parameterised SQL only, results never
 * leave this file, every change audited in its own transaction.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

static const rw_actor_t store_self = {"rewindd", RW_ROLE_NONE};

/* ------------------------------------------------------------------------ */
/* JSON parameters                                                          */

static char *
store_dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

static json_t *
pod_json(const rw_pod_state_t *p)
{
	json_t *cs = json_array();
	for (uint32_t i = 0; cs && i < p->ncontainers && i < RW_MAX_CONTAINERS; i++) {
		const rw_container_state_t *c = &p->containers[i];
		json_array_append_new(cs, json_pack("{s:s,s:s,s:s,s:b,s:i,s:s}", "name", c->name,
		                                    "image", c->image, "digest", c->image_digest,
		                                    "ready", c->ready, "restarts", c->restarts,
		                                    "reason", c->waiting_reason));
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:o,s:I}", "namespace", p->namespace_, "name",
	                 p->name, "deployment", p->deployment, "phase", p->phase, "ready",
	                 p->ready, "deleted", p->deleted, "containers", cs, "observed_at",
	                 (json_int_t)p->observed_at);
}

static json_t *
deploy_json(const rw_deploy_state_t *d)
{
	json_t *cs = json_array();
	for (uint32_t i = 0; cs && i < d->ncontainers && i < RW_MAX_CONTAINERS; i++)
		json_array_append_new(cs, json_pack("{s:s,s:s}", "name", d->containers[i].name,
		                                    "image", d->containers[i].image));
	return json_pack("{s:s,s:s,s:o,s:I,s:I,s:i,s:i,s:i,s:i,s:s,s:I}", "namespace",
	                 d->namespace_, "name", d->name, "containers", cs, "generation",
	                 (json_int_t)d->generation, "observed_generation",
	                 (json_int_t)d->observed_generation, "replicas", d->replicas, "updated",
	                 d->updated, "ready", d->ready, "available", d->available,
	                 "progressing_reason", d->progressing_reason, "observed_at",
	                 (json_int_t)d->observed_at);
}

static json_t *
probe_json(const rw_probe_result_t *p)
{
	return json_pack("{s:I,s:s,s:s,s:b,s:i,s:i,s:s,s:I}", "target_id", (json_int_t)p->target_id,
	                 "subject", p->subject, "url", p->url, "ok", p->ok, "http_status",
	                 p->http_status, "latency_ms", p->latency_ms, "error", p->error, "at",
	                 (json_int_t)p->at);
}

/* Serialises n items with fn into one JSON array text; *out to free(). */
static int
store_json_array(store_t *st, const void *items, size_t n, size_t sz,
                 json_t *(*fn)(const void *), char **out)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = fn((const char *)items + i * sz);
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	*out = store_dump(a);
	if (!*out) {
		store_set_err(st, "cannot encode report rows (out of memory or invalid UTF-8)");
		return RW_EINVAL;
	}
	return 0;
}

static json_t *pod_json_v(const void *p) { return pod_json(p); }
static json_t *deploy_json_v(const void *p) { return deploy_json(p); }
static json_t *probe_json_v(const void *p) { return probe_json(p); }

/* ------------------------------------------------------------------------ */
/* Reports                                                                  */

/*
 * Says whether the report follows the last accepted one (*resync when not)
 * and, when it does or is a snapshot, records its position.
 */
static int
store_agent_advance(store_t *st, const struct store_report *r, bool *resync)
{
	char epoch[STORE_I64_BUF], seq[STORE_I64_BUF];
	const char *params[5] = {r->agent, r->cluster, r->node,
	                         store_i64(epoch, (int64_t)r->epoch), store_i64(seq, (int64_t)r->seq)};
	PGresult *res;
	bool known;
	int rv;

	/* The row lock serialises two reports of one agent (two servers, a retry). */
	rv = store_exec(st, "SELECT epoch, seq FROM agents WHERE name = $1 FOR UPDATE", 1, params,
	                &res);
	if (rv)
		return rv;
	known = PQntuples(res) == 1;
	if (!r->full)
		*resync = !known || (uint64_t)store_col_i64(res, 0, 0) != r->epoch ||
		          (uint64_t)store_col_i64(res, 0, 1) + 1 != r->seq;
	PQclear(res);
	if (*resync)
		return 0; /* position kept: the snapshot the agent sends next starts over */
	return store_exec(st,
	                  "INSERT INTO agents (name, cluster, node, epoch, seq, last_seen)"
	                  " VALUES ($1, $2, $3, $4::bigint, $5::bigint, now())"
	                  " ON CONFLICT (name) DO UPDATE SET cluster = EXCLUDED.cluster,"
	                  "   node = EXCLUDED.node, epoch = EXCLUDED.epoch, seq = EXCLUDED.seq,"
	                  "   last_seen = now()",
	                  5, params, NULL);
}

static int
store_report_pods(store_t *st, const struct store_report *r)
{
	char *rows = NULL;
	int rv;

	if (r->full) {
		const char *p[2] = {r->cluster, r->node};
		if ((rv = store_exec(st, "DELETE FROM pod_states WHERE cluster = $1 AND node = $2", 2,
		                     p, NULL)))
			return rv;
	}
	if (r->npods == 0)
		return 0;
	if ((rv = store_json_array(st, r->pods, r->npods, sizeof(*r->pods), pod_json_v, &rows)))
		return rv;
	const char *params[3] = {r->cluster, r->node, rows};
	/* DISTINCT ON: a report naming a pod twice keeps its latest state. */
	rv = store_exec(st,
	                "WITH p AS (SELECT DISTINCT ON (namespace, name) * FROM jsonb_to_recordset($3::jsonb)"
	                "   AS x(namespace text, name text, deployment text, phase text, ready boolean,"
	                "        deleted boolean, containers jsonb, observed_at bigint)"
	                "   ORDER BY namespace, name, observed_at DESC),"
	                " del AS (DELETE FROM pod_states s USING p WHERE p.deleted"
	                "   AND s.cluster = $1 AND s.node = $2 AND s.namespace = p.namespace"
	                "   AND s.name = p.name)"
	                " INSERT INTO pod_states (cluster, namespace, name, node, deployment, phase,"
	                "   ready, containers, observed_at)"
	                " SELECT $1, namespace, name, $2, deployment, phase, ready, containers,"
	                "   rw_from_us(observed_at) FROM p WHERE NOT deleted"
	                " ON CONFLICT (cluster, namespace, name) DO UPDATE SET node = EXCLUDED.node,"
	                "   deployment = EXCLUDED.deployment, phase = EXCLUDED.phase,"
	                "   ready = EXCLUDED.ready, containers = EXCLUDED.containers,"
	                "   observed_at = EXCLUDED.observed_at, updated_at = now()",
	                3, params, NULL);
	free(rows);
	return rv;
}

static int
store_report_deploys(store_t *st, const struct store_report *r)
{
	char *rows = NULL;
	int rv;

	if (r->ndeploys == 0)
		return 0;
	if ((rv = store_json_array(st, r->deploys, r->ndeploys, sizeof(*r->deploys), deploy_json_v,
	                           &rows)))
		return rv;
	const char *params[2] = {r->cluster, rows};
	/* Several agents report the same Deployment: the newest observation wins. */
	rv = store_exec(st,
	                "INSERT INTO deploy_states (cluster, namespace, name, containers, generation,"
	                "   observed_generation, replicas, updated, ready, available,"
	                "   progressing_reason, observed_at)"
	                " SELECT DISTINCT ON (namespace, name) $1, namespace, name, containers,"
	                "   generation, observed_generation, replicas, updated, ready, available,"
	                "   progressing_reason, rw_from_us(observed_at)"
	                " FROM jsonb_to_recordset($2::jsonb) AS x(namespace text, name text,"
	                "   containers jsonb, generation bigint, observed_generation bigint,"
	                "   replicas int, updated int, ready int, available int,"
	                "   progressing_reason text, observed_at bigint)"
	                " ORDER BY namespace, name, observed_at DESC"
	                " ON CONFLICT (cluster, namespace, name) DO UPDATE SET"
	                "   containers = EXCLUDED.containers, generation = EXCLUDED.generation,"
	                "   observed_generation = EXCLUDED.observed_generation,"
	                "   replicas = EXCLUDED.replicas, updated = EXCLUDED.updated,"
	                "   ready = EXCLUDED.ready, available = EXCLUDED.available,"
	                "   progressing_reason = EXCLUDED.progressing_reason,"
	                "   observed_at = EXCLUDED.observed_at"
	                " WHERE deploy_states.observed_at <= EXCLUDED.observed_at",
	                2, params, NULL);
	free(rows);
	return rv;
}

static int
store_report_probes(store_t *st, const struct store_report *r)
{
	char *rows = NULL;
	int rv;

	if (r->nprobes == 0)
		return 0;
	if ((rv = store_json_array(st, r->probes, r->nprobes, sizeof(*r->probes), probe_json_v,
	                           &rows)))
		return rv;
	const char *params[3] = {r->cluster, r->node, rows};
	rv = store_exec(st,
	                "INSERT INTO health_results (cluster, node, target_id, subject, url, ok,"
	                "   http_status, latency_ms, error, at)"
	                " SELECT $1, $2, target_id, subject, url, ok, http_status, latency_ms, error,"
	                "   rw_from_us(at)"
	                " FROM jsonb_to_recordset($3::jsonb) AS x(target_id bigint, subject text,"
	                "   url text, ok boolean, http_status int, latency_ms int, error text,"
	                "   at bigint)",
	                3, params, NULL);
	free(rows);
	return rv;
}

int
store_report_apply(store_t *st, const struct store_report *r, bool *resync)
{
	int rv;

	*resync = false;
	if (!st || !r || !r->agent || !r->cluster || !r->node)
		return RW_EINVAL;
	if ((rv = store_begin(st)))
		return rv;
	if ((rv = store_agent_advance(st, r, resync)))
		return store_rollback(st, rv);
	if (*resync) /* nothing to store: the row lock is let go */
		return store_rollback(st, 0);
	if ((rv = store_report_pods(st, r)) || (rv = store_report_deploys(st, r)) ||
	    (rv = store_report_probes(st, r)) || (rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Status                                                                   */

static int
json_str(char *dst, size_t cap, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return rw_strcpy(dst, cap, v ? v : "") ? RW_EINTERNAL : 0;
}
#define JSON_STR(dst, o, key) json_str((dst), sizeof(dst), (o), (key))

static int
store_pod_row(const PGresult *res, int row, void *dst)
{
	rw_pod_state_t *p = dst;
	json_error_t jerr;
	json_t *cs;
	size_t i;
	json_t *c;
	int rv;

	if ((rv = STORE_COL_STR(p->cluster, res, row, 0)) ||
	    (rv = STORE_COL_STR(p->namespace_, res, row, 1)) ||
	    (rv = STORE_COL_STR(p->name, res, row, 2)) || (rv = STORE_COL_STR(p->node, res, row, 3)) ||
	    (rv = STORE_COL_STR(p->deployment, res, row, 4)) ||
	    (rv = STORE_COL_STR(p->phase, res, row, 5)))
		return rv;
	p->ready = store_col_bool(res, row, 6);
	p->observed_at = store_col_i64(res, row, 8);
	if (!(cs = json_loads(PQgetvalue(res, row, 7), 0, &jerr)))
		return RW_EINTERNAL;
	json_array_foreach(cs, i, c) {
		rw_container_state_t *o;
		if (i >= RW_MAX_CONTAINERS)
			break;
		o = &p->containers[i];
		if ((rv = JSON_STR(o->name, c, "name")) || (rv = JSON_STR(o->image, c, "image")) ||
		    (rv = JSON_STR(o->image_digest, c, "digest")) ||
		    (rv = JSON_STR(o->waiting_reason, c, "reason")))
			break;
		o->ready = json_is_true(json_object_get(c, "ready"));
		o->restarts = (int32_t)json_integer_value(json_object_get(c, "restarts"));
		p->ncontainers = (uint32_t)i + 1;
	}
	json_decref(cs);
	return rv;
}

static int
store_deploy_row(const PGresult *res, int row, void *dst)
{
	rw_deploy_state_t *d = dst;
	json_error_t jerr;
	json_t *cs, *c;
	size_t i;
	int rv;

	if ((rv = STORE_COL_STR(d->cluster, res, row, 0)) ||
	    (rv = STORE_COL_STR(d->namespace_, res, row, 1)) ||
	    (rv = STORE_COL_STR(d->name, res, row, 2)) ||
	    (rv = STORE_COL_STR(d->progressing_reason, res, row, 10)))
		return rv;
	d->generation = store_col_i64(res, row, 4);
	d->observed_generation = store_col_i64(res, row, 5);
	d->replicas = (int32_t)store_col_i64(res, row, 6);
	d->updated = (int32_t)store_col_i64(res, row, 7);
	d->ready = (int32_t)store_col_i64(res, row, 8);
	d->available = (int32_t)store_col_i64(res, row, 9);
	d->observed_at = store_col_i64(res, row, 11);
	if (!(cs = json_loads(PQgetvalue(res, row, 3), 0, &jerr)))
		return RW_EINTERNAL;
	json_array_foreach(cs, i, c) {
		if (i >= RW_MAX_CONTAINERS)
			break;
		if ((rv = JSON_STR(d->containers[i].name, c, "name")) ||
		    (rv = JSON_STR(d->containers[i].image, c, "image")))
			break;
		d->ncontainers = (uint32_t)i + 1;
	}
	json_decref(cs);
	return rv;
}

static int
store_probe_row(const PGresult *res, int row, void *dst)
{
	rw_probe_result_t *p = dst;
	int rv;
	p->target_id = (uint32_t)store_col_i64(res, row, 0);
	if ((rv = STORE_COL_STR(p->subject, res, row, 1)) || (rv = STORE_COL_STR(p->url, res, row, 2)) ||
	    (rv = STORE_COL_STR(p->error, res, row, 6)))
		return rv;
	p->ok = store_col_bool(res, row, 3);
	p->http_status = (int32_t)store_col_i64(res, row, 4);
	p->latency_ms = (int32_t)store_col_i64(res, row, 5);
	p->at = store_col_i64(res, row, 7);
	return 0;
}

static int
store_agent_row(const PGresult *res, int row, void *dst)
{
	rw_agent_info_t *a = dst;
	int rv;
	if ((rv = STORE_COL_STR(a->name, res, row, 0)) || (rv = STORE_COL_STR(a->cluster, res, row, 1)) ||
	    (rv = STORE_COL_STR(a->node, res, row, 2)))
		return rv;
	a->last_seen = store_col_i64(res, row, 3);
	a->connected = store_col_bool(res, row, 4);
	return 0;
}

int
store_status_get(store_t *st, const char *cluster, int64_t connected_since_us,
                 struct store_status *out)
{
	char since[STORE_I64_BUF];
	const char *p1[1] = {cluster};
	const char *p2[2] = {cluster, store_i64(since, connected_since_us)};
	int rv;

	memset(out, 0, sizeof(*out));
	rv = store_get_list(st,
	                    "SELECT cluster, namespace, name, containers::text, generation,"
	                    " observed_generation, replicas, updated, ready, available,"
	                    " progressing_reason, rw_to_us(observed_at) FROM deploy_states"
	                    " WHERE cluster = $1 ORDER BY namespace, name",
	                    1, p1, sizeof(*out->deploys), store_deploy_row, (void **)&out->deploys,
	                    &out->ndeploys);
	if (rv == 0)
		rv = store_get_list(st,
		                    "SELECT cluster, namespace, name, node, deployment, phase, ready,"
		                    " containers::text, rw_to_us(observed_at) FROM pod_states"
		                    " WHERE cluster = $1 ORDER BY namespace, name",
		                    1, p1, sizeof(*out->pods), store_pod_row, (void **)&out->pods,
		                    &out->npods);
	if (rv == 0)
		rv = store_get_list(st,
		                    "SELECT DISTINCT ON (subject) target_id, subject, url, ok,"
		                    " http_status, latency_ms, error, rw_to_us(at) FROM health_results"
		                    " WHERE cluster = $1 AND at >= rw_from_us($2::bigint)"
		                    " ORDER BY subject, at DESC",
		                    2, p2, sizeof(*out->probes), store_probe_row,
		                    (void **)&out->probes, &out->nprobes);
	if (rv == 0)
		rv = store_get_list(st,
		                    "SELECT name, cluster, node, rw_to_us(last_seen),"
		                    " last_seen >= rw_from_us($2::bigint) FROM agents"
		                    " WHERE cluster = $1 ORDER BY name",
		                    2, p2, sizeof(*out->agents), store_agent_row,
		                    (void **)&out->agents, &out->nagents);
	if (rv != 0)
		store_status_free(out);
	return rv;
}

void
store_status_free(struct store_status *s)
{
	free(s->deploys);
	free(s->pods);
	free(s->probes);
	free(s->agents);
	memset(s, 0, sizeof(*s));
}

/* Env probe ids live above service ids so both fit one id space. */
#define STORE_ENV_PROBE_BASE 1000000

static int
store_target_row(const PGresult *res, int row, void *dst)
{
	rw_probe_target_t *t = dst;
	int rv;
	t->id = (uint32_t)store_col_i64(res, row, 0);
	if ((rv = STORE_COL_STR(t->namespace_, res, row, 1)) ||
	    (rv = STORE_COL_STR(t->deployment, res, row, 2)) ||
	    (rv = STORE_COL_STR(t->path, res, row, 3)) || (rv = STORE_COL_STR(t->url, res, row, 4)) ||
	    (rv = STORE_COL_STR(t->expect, res, row, 5)))
		return rv;
	t->expect_status = 200;
	t->timeout_ms = 2000;
	return 0;
}

int
store_probe_targets(store_t *st, const char *cluster, const char *agent, int64_t alive_since_us,
                    rw_probe_target_t **out, size_t *n)
{
	char since[STORE_I64_BUF], base[STORE_I64_BUF];
	const char *params[4] = {cluster, agent, store_i64(since, alive_since_us),
	                         store_i64(base, STORE_ENV_PROBE_BASE)};

	/*
	 * Pod probes for every service with a health path; the cluster's public
	 * URLs only for its probe leader (first live agent by name), so each URL
	 * is probed once per interval, not once per node.
	 */
	return store_get_list(st,
	                      "SELECT id, namespace, deployment, health_path, '', health_expect"
	                      " FROM services WHERE health_path <> ''"
	                      " UNION ALL"
	                      " SELECT $4::bigint + e.id, '', '', '', e.health_url, e.health_expect"
	                      " FROM environments e WHERE e.cluster = $1 AND e.health_url <> ''"
	                      "   AND $2 = (SELECT name FROM agents WHERE cluster = $1"
	                      "             AND (last_seen >= rw_from_us($3::bigint) OR name = $2)"
	                      "             ORDER BY name LIMIT 1)"
	                      " ORDER BY 1 LIMIT 64",
	                      4, params, sizeof(**out), store_target_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                  */

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

	if ((rv = JSON_STR(a->namespace_, t, "namespace")) || (rv = JSON_STR(a->name, t, "name")) ||
	    (rv = JSON_STR(a->container, t, "container")) || (rv = JSON_STR(a->image, t, "image")))
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
	a->id = store_col_i64(res, row, 0);
	a->kind = rw_action_kind_parse(PQgetvalue(res, row, 1));
	a->state = rw_action_state_parse(PQgetvalue(res, row, 2));
	if ((rv = STORE_COL_STR(a->cluster, res, row, 3)))
		return rv;
	if (!(t = json_loads(PQgetvalue(res, row, 4), 0, &jerr)))
		return RW_EINTERNAL;
	rv = store_action_target_parse(t, a);
	json_decref(t);
	if (rv)
		return rv;
	a->deadline = store_col_i64(res, row, 5);
	a->attempts = (int32_t)store_col_i64(res, row, 7);
	a->created_at = store_col_i64(res, row, 11);
	a->finished_at = store_col_i64(res, row, 12);
	if ((rv = STORE_COL_STR(a->owner, res, row, 6)) ||
	    (rv = STORE_COL_STR(a->result, res, row, 8)) ||
	    (rv = STORE_COL_STR(a->previous, res, row, 9)) ||
	    (rv = STORE_COL_STR(a->created_by, res, row, 10)))
		return rv;
	return 0;
}

static char *
store_action_target(const rw_action_t *a)
{
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
	return store_dump(t);
}

int
store_action_create(store_t *st, const rw_actor_t *who, rw_action_t *a)
{
	char deadline[STORE_I64_BUF], tgt[RW_IMAGE_MAX + 1], idbuf[STORE_I64_BUF];
	char *target, *detail = NULL;
	PGresult *res;
	int rv;

	if (!st || !store_actor_ok(who) || !a)
		return RW_EINVAL;
	if (!(target = store_action_target(a))) {
		store_set_err(st, "cannot encode the action target");
		return RW_EINVAL;
	}
	const char *params[5] = {rw_action_kind_name(a->kind), a->cluster, target,
	                         store_i64(deadline, a->deadline), who->name};
	if ((rv = store_begin(st))) {
		free(target);
		return rv;
	}
	rv = store_exec(st,
	                "INSERT INTO actions (kind, cluster, target, deadline, created_by)"
	                " VALUES ($1, $2, $3::jsonb, NULLIF(rw_from_us($4::bigint), 'epoch'), $5)"
	                " RETURNING id, rw_to_us(created_at)",
	                5, params, &res);
	free(target);
	if (rv)
		return store_rollback(st, rv);
	a->id = store_col_i64(res, 0, 0);
	a->created_at = store_col_i64(res, 0, 1);
	a->state = RW_ACTION_QUEUED;
	rw_strcpy(a->created_by, sizeof(a->created_by), who->name);
	PQclear(res);
	const char *notify[2] = {STORE_ACTION_CHANNEL, a->cluster};
	if ((rv = store_exec(st, "SELECT pg_notify($1, $2)", 2, notify, NULL)) ||
	    (rv = store_target(st, tgt, sizeof(tgt), "action", store_i64(idbuf, a->id), NULL)) ||
	    (rv = store_detail(st, &detail, "{s:s,s:s,s:s,s:s,s:s}", "kind",
	                       rw_action_kind_name(a->kind), "cluster", a->cluster, "namespace",
	                       a->namespace_, "name", a->name, "image", a->image)))
		return store_rollback(st, rv);
	return store_audit_commit(st, who, "action.create", tgt, detail);
}

int
store_action_get(store_t *st, int64_t id, rw_action_t *out)
{
	char idbuf[STORE_I64_BUF];
	const char *params[1] = {store_i64(idbuf, id)};
	return store_get_one(st, "SELECT " STORE_ACTION_COLS " FROM actions WHERE id = $1::bigint", 1,
	                     params, store_action_row, out);
}

int
store_action_list(store_t *st, const char *cluster, uint32_t limit, rw_action_t **out, size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *params[2] = {cluster ? cluster : "", store_limit(lim, limit)};
	return store_get_list(st,
	                      "SELECT " STORE_ACTION_COLS " FROM actions"
	                      " WHERE $1 = '' OR cluster = $1 ORDER BY id DESC LIMIT $2::bigint",
	                      2, params, sizeof(**out), store_action_row, (void **)out, n);
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
		const char *notify[2] = {STORE_ACTION_CHANNEL, tgt};
		rv = store_audit_insert(st, &store_self, "action.expired", tgt, NULL,
		                        "deadline passed");
		if (rv == 0)
			rv = store_exec(st, "SELECT pg_notify($1, $2)", 2, notify, NULL);
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
	if (PQntuples(res) == 1) {
		if ((rv = store_action_row(res, 0, out)) != 0) {
			PQclear(res);
			return store_rollback(st, rv);
		}
		*found = true;
	}
	PQclear(res);
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_action_progress(store_t *st, const char *agent, int64_t id, const char *message,
                      int lease_ms, bool *ours)
{
	char idbuf[STORE_I64_BUF], lease[STORE_I64_BUF];
	const char *params[4] = {store_i64(idbuf, id), agent, message ? message : "",
	                         store_i64(lease, lease_ms)};
	PGresult *res;
	int rv = store_exec(st,
	                    "UPDATE actions SET progress = $3,"
	                    " lease_expires_at = now() + make_interval(secs => $4::float8 / 1000)"
	                    " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'leased'"
	                    " RETURNING id",
	                    4, params, &res);
	if (rv)
		return rv;
	*ours = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

int
store_action_finish(store_t *st, const rw_actor_t *agent, int64_t id, bool ok, const char *result,
                    const char *previous, bool *accepted)
{
	char idbuf[STORE_I64_BUF], tgt[64];
	char *detail = NULL;
	const char *params[5] = {store_i64(idbuf, id), agent->name, ok ? "succeeded" : "failed",
	                         result ? result : "", previous ? previous : ""};
	PGresult *res;
	int rv;

	*accepted = false;
	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "UPDATE actions SET state = $3, finished_at = now(),"
	                " result = jsonb_build_object('message', $4::text, 'previous', $5::text)"
	                " WHERE id = $1::bigint AND lease_owner = $2 AND state = 'leased'"
	                " RETURNING cluster",
	                5, params, &res);
	if (rv)
		return store_rollback(st, rv);
	*accepted = PQntuples(res) == 1;
	PQclear(res);
	if (!*accepted)
		return store_rollback(st, 0);
	snprintf(tgt, sizeof(tgt), "action/%" PRId64, id);
	/* Wakes consoles waiting for this action, on every rewindd. */
	const char *notify[2] = {STORE_ACTION_CHANNEL, tgt};
	if ((rv = store_exec(st, "SELECT pg_notify($1, $2)", 2, notify, NULL)))
		return store_rollback(st, rv);
	if ((rv = store_detail(st, &detail, "{s:s,s:s}", "result", result ? result : "", "previous",
	                       previous ? previous : "")))
		return store_rollback(st, rv);
	return store_audit_commit(st, agent, ok ? "action.succeeded" : "action.failed", tgt, detail);
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

/* ------------------------------------------------------------------------ */
/* Notifications                                                            */

int
store_listen(store_t *st, const char *channel)
{
	char *ident = PQescapeIdentifier(st->conn, channel, strlen(channel));
	char sql[160];
	int rv;

	if (!ident) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	rv = store_exec(st, sql, 0, NULL, NULL);
	return rv;
}

static int
store_take_notify(store_t *st, char *payload, size_t cap, int *got)
{
	PGnotify *n;
	if (!PQconsumeInput(st->conn)) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	if ((n = PQnotifies(st->conn)) != NULL) {
		snprintf(payload, cap, "%s", n->extra ? n->extra : "");
		PQfreemem(n);
		*got = 1;
	}
	return 0;
}

int
store_notify_wait(store_t *st, int timeout_ms, char *payload, size_t cap, int *got)
{
	struct pollfd pfd;
	int rv;

	*got = 0;
	if ((rv = store_take_notify(st, payload, cap, got)) || *got)
		return rv;
	pfd.fd = PQsocket(st->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		store_set_err(st, "no connection");
		return RW_EDB;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	return store_take_notify(st, payload, cap, got);
}
