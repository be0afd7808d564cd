/*
 * store_agents — the SQL of what agents report (store_agents.h): node
 * reports applied set-wise (one statement per kind, rows passed as one JSON
 * parameter, so a node's 110 pods cost one round trip, not 110), the
 * status of a cluster, probe assignment, and the health facts the
 * coordinator reads.
 *
 * What it does not do: check a report (the boundary does), audit it (state
 * reports are not changes anyone made), or keep history: the latest state
 * wins, except for probe results, which are kept as rows.
 */
#include "store_agents.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

/* ------------------------------------------------------------------------ */
/* JSON parameters                                                          */

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

/*
 * Runs sql with the nfixed parameters of fixed and, last, the n items of
 * size sz serialised by fn into one JSON array; nothing to do without items.
 */
static int
store_report_rows(store_t *st, const char *sql, const char *const *fixed, int nfixed,
                  const void *items, size_t n, size_t sz, json_t *(*fn)(const void *))
{
	const char *params[3];
	json_t *a;
	char *rows;
	int rv;

	if (n == 0)
		return 0;
	a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = fn((const char *)items + i * sz);
		if (!o || json_array_append_new(a, o) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	rows = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!rows) {
		store_set_err(st, "cannot encode report rows (out of memory or invalid UTF-8)");
		return RW_EINVAL;
	}
	for (int i = 0; i < nfixed; i++)
		params[i] = fixed[i];
	params[nfixed] = rows;
	rv = store_exec(st, sql, nfixed + 1, params, NULL);
	free(rows);
	return rv;
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

/* A report's pods ($3); DISTINCT ON: a report naming a pod twice keeps its latest state. */
static const char store_pods_sql[] =
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
	"   observed_at = EXCLUDED.observed_at, updated_at = now()";


/* A report's Deployments ($2): several agents report one, the newest observation wins. */
static const char store_deploys_sql[] =
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
	" WHERE deploy_states.observed_at <= EXCLUDED.observed_at";


/* A report's probe results ($3). */
static const char store_probes_sql[] =
	"INSERT INTO health_results (cluster, node, target_id, subject, url, ok,"
	"   http_status, latency_ms, error, at)"
	" SELECT $1, $2, target_id, subject, url, ok, http_status, latency_ms, error,"
	"   rw_from_us(at)"
	" FROM jsonb_to_recordset($3::jsonb) AS x(target_id bigint, subject text,"
	"   url text, ok boolean, http_status int, latency_ms int, error text,"
	"   at bigint)";

/* A report's rows: pods (a snapshot replaces the node's), Deployments, probe results. */
static int
store_report_state(store_t *st, const struct store_report *r)
{
	const char *cn[2] = {r->cluster, r->node};
	int rv;

	if (r->full && (rv = store_exec(st, "DELETE FROM pod_states WHERE cluster = $1 AND node = $2",
	                                2, cn, NULL)))
		return rv;
	if ((rv = store_report_rows(st, store_pods_sql, cn, 2, r->pods, r->npods, sizeof(*r->pods),
	                            pod_json_v)) ||
	    (rv = store_report_rows(st, store_deploys_sql, cn, 1, r->deploys, r->ndeploys,
	                            sizeof(*r->deploys), deploy_json_v)))
		return rv;
	return store_report_rows(st, store_probes_sql, cn, 2, r->probes, r->nprobes,
	                         sizeof(*r->probes), probe_json_v);
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
	return store_end(st, store_report_state(st, r));
}

/* ------------------------------------------------------------------------ */
/* Rows of reported state                                                   */

/*
 * A pod: cluster, namespace, name, node, deployment, phase, ready,
 * containers (JSON text), observed_at.
 */
static int
store_pod_row(const PGresult *res, int row, void *dst)
{
	rw_pod_state_t *p = dst;
	json_error_t jerr;
	json_t *cs;
	size_t i;
	json_t *c;
	int rv;

	if ((rv = store_scan(res, row, "ssssssb.l", STORE_BUF(p->cluster), STORE_BUF(p->namespace_),
	                     STORE_BUF(p->name), STORE_BUF(p->node), STORE_BUF(p->deployment),
	                     STORE_BUF(p->phase), &p->ready, &p->observed_at)))
		return rv;
	if (!(cs = json_loads(PQgetvalue(res, row, 7), 0, &jerr)))
		return RW_EINTERNAL;
	json_array_foreach(cs, i, c) {
		rw_container_state_t *o;
		if (i >= RW_MAX_CONTAINERS)
			break;
		o = &p->containers[i];
		if ((rv = STORE_JSON_STR(o->name, c, "name")) ||
		    (rv = STORE_JSON_STR(o->image, c, "image")) ||
		    (rv = STORE_JSON_STR(o->image_digest, c, "digest")) ||
		    (rv = STORE_JSON_STR(o->waiting_reason, c, "reason")))
			break;
		o->ready = json_is_true(json_object_get(c, "ready"));
		o->restarts = (int32_t)json_integer_value(json_object_get(c, "restarts"));
		p->ncontainers = (uint32_t)i + 1;
	}
	json_decref(cs);
	return rv;
}

/*
 * A Deployment's rollout: generation, observed_generation, replicas,
 * updated, ready, available, progressing_reason, observed_at, after the
 * columns fmt skips.
 */
#define STORE_ROLLOUT_FMT "lliiiisl"
static int
store_rollout_cols(const PGresult *res, int row, const char *fmt, rw_deploy_state_t *d)
{
	return store_scan(res, row, fmt, &d->generation, &d->observed_generation, &d->replicas,
	                  &d->updated, &d->ready, &d->available, STORE_BUF(d->progressing_reason),
	                  &d->observed_at);
}

/* A Deployment: cluster, namespace, name, containers (JSON text), then its rollout. */
static int
store_deploy_row(const PGresult *res, int row, void *dst)
{
	rw_deploy_state_t *d = dst;
	json_error_t jerr;
	json_t *cs, *c;
	size_t i;
	int rv;

	if ((rv = store_scan(res, row, "sss", STORE_BUF(d->cluster), STORE_BUF(d->namespace_),
	                     STORE_BUF(d->name))) ||
	    (rv = store_rollout_cols(res, row, "...." STORE_ROLLOUT_FMT, d)))
		return rv;
	if (!(cs = json_loads(PQgetvalue(res, row, 3), 0, &jerr)))
		return RW_EINTERNAL;
	json_array_foreach(cs, i, c) {
		if (i >= RW_MAX_CONTAINERS)
			break;
		if ((rv = STORE_JSON_STR(d->containers[i].name, c, "name")) ||
		    (rv = STORE_JSON_STR(d->containers[i].image, c, "image")))
			break;
		d->ncontainers = (uint32_t)i + 1;
	}
	json_decref(cs);
	return rv;
}

/* A probe result: target_id, subject, url, ok, http_status, latency_ms, error, at. */
static int
store_probe_row(const PGresult *res, int row, void *dst)
{
	rw_probe_result_t *p = dst;
	return store_scan(res, row, "ussbiisl", &p->target_id, STORE_BUF(p->subject),
	                  STORE_BUF(p->url), &p->ok, &p->http_status, &p->latency_ms,
	                  STORE_BUF(p->error), &p->at);
}

static int
store_agent_row(const PGresult *res, int row, void *dst)
{
	rw_agent_info_t *a = dst;
	return store_scan(res, row, "ssslb", STORE_BUF(a->name), STORE_BUF(a->cluster),
	                  STORE_BUF(a->node), &a->last_seen, &a->connected);
}

/* ------------------------------------------------------------------------ */
/* Status and probe assignment                                              */

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
	t->expect_status = 200;
	t->timeout_ms = 2000;
	return store_scan(res, row, "usssss", &t->id, STORE_BUF(t->namespace_),
	                  STORE_BUF(t->deployment), STORE_BUF(t->path), STORE_BUF(t->url),
	                  STORE_BUF(t->expect));
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
/* Health facts                                                             */

int
store_pods_of(store_t *st, const char *cluster, const char *ns, const char *deployment,
              rw_pod_state_t **out, size_t *n)
{
	const char *p[3] = {cluster, ns, deployment};
	return store_get_list(st,
	                      "SELECT cluster, namespace, name, node, deployment, phase, ready,"
	                      " containers::text, rw_to_us(observed_at) FROM pod_states"
	                      " WHERE cluster = $1 AND namespace = $2 AND deployment = $3"
	                      " ORDER BY name LIMIT 500",
	                      3, p, sizeof(**out), store_pod_row, (void **)out, n);
}

static int
store_rollout_row(const PGresult *res, int row, void *dst)
{
	return store_rollout_cols(res, row, STORE_ROLLOUT_FMT, dst);
}

int
store_deploy_state(store_t *st, const char *cluster, const char *ns, const char *name,
                   rw_deploy_state_t *out)
{
	const char *p[3] = {cluster, ns, name};
	return store_get_one(st,
	                     "SELECT generation, observed_generation, replicas, updated, ready,"
	                     " available, progressing_reason, rw_to_us(observed_at)"
	                     " FROM deploy_states WHERE cluster = $1 AND namespace = $2 AND name = $3",
	                     3, p, store_rollout_row, out);
}

/* ok, http_status, latency_ms, error, subject, at. */
static int
store_probe_latest_row(const PGresult *res, int row, void *dst)
{
	rw_probe_result_t *p = dst;
	return store_scan(res, row, "biissl", &p->ok, &p->http_status, &p->latency_ms,
	                  STORE_BUF(p->error), STORE_BUF(p->subject), &p->at);
}

int
store_probe_latest(store_t *st, const char *cluster, const char *subject, int64_t since_us,
                   rw_probe_result_t *out, bool *found)
{
	char since[STORE_I64_BUF];
	const char *p[3] = {cluster, subject, store_i64(since, since_us)};
	int rv = store_get_one(st,
	                       "SELECT ok, http_status, latency_ms, left(error, 255), subject,"
	                       " rw_to_us(at) FROM health_results"
	                       " WHERE cluster = $1 AND subject = $2 AND at >= rw_from_us($3::bigint)"
	                       " ORDER BY at DESC, id DESC LIMIT 1",
	                       3, p, store_probe_latest_row, out);
	*found = rv == 0;
	return rv == RW_ENOTFOUND ? 0 : rv;
}

int
store_probe_failing_since(store_t *st, const char *cluster, int64_t since_us, int64_t *first)
{
	char since[STORE_I64_BUF];
	const char *p[2] = {cluster, store_i64(since, since_us)};
	return store_get_i64(st,
	                     "SELECT coalesce(rw_to_us(min(at)), 0) FROM health_results"
	                     " WHERE cluster = $1 AND NOT ok AND at >= rw_from_us($2::bigint)",
	                     2, p, first, NULL);
}

int
store_agents_live(store_t *st, const char *cluster, int64_t since_us, int *n)
{
	char since[STORE_I64_BUF];
	const char *p[2] = {cluster, store_i64(since, since_us)};
	int64_t v;
	int rv = store_get_i64(st,
	                       "SELECT count(*) FROM agents WHERE cluster = $1"
	                       " AND last_seen >= rw_from_us($2::bigint)",
	                       2, p, &v, NULL);
	if (rv == 0)
		*n = (int)v;
	return rv;
}
