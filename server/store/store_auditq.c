/*
 * store_auditq — audit queries answered from the read-only views of
 * migration 0006 (store_auditq.h): each query kind is one statement over
 * one view or function, its rows copied into a typed rw_table_t.
 *
 * What it does not do: format or page the answer (the console does), or
 * write anything: every statement here only reads.
 */
#include "store_auditq.h"

#include <string.h>

#include "err.h"
#include "store_release.h"
#include "store_sql.h"

/* How far back dora and timeline look when no --since is given. */
#define STORE_AUDIT_DEFAULT_WINDOW_US (30LL * 86400 * 1000000)

/* Runs a query whose columns match names/types and copies every row into out. */
static int
store_table(store_t *st, const char *sql, int nparams, const char *const *params,
            const char *types, const char *const *names, rw_table_t *out)
{
	const char *cells[RW_TABLE_COLS_MAX];
	PGresult *res;
	int rv, nrows, ncols;

	if ((rv = rw_table_init(out, types, names)) != 0)
		return rv;
	if ((rv = store_exec(st, sql, nparams, params, &res)) != 0)
		return rv;
	ncols = PQnfields(res);
	nrows = PQntuples(res);
	if ((size_t)ncols != out->ncols) {
		PQclear(res);
		store_set_err(st, "audit query returned %d columns, expected %zu", ncols, out->ncols);
		return RW_EINTERNAL;
	}
	for (int r = 0; r < nrows && rv == 0; r++) {
		for (int c = 0; c < ncols; c++)
			cells[c] = PQgetvalue(res, r, c); /* NULL reads as "" */
		rv = rw_table_add(out, cells);
	}
	PQclear(res);
	if (rv != 0)
		rw_table_free(out);
	return rv;
}

static int
store_audit_env(store_t *st, const char *env)
{
	int64_t id;
	return store_env_id(st, env, &id);
}

static int
q_what_ran(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {"service", "version", "image", "digest", "deployment",
	                                    "kind", "deployed_at", "actor", "rolling_out"};
	char at[STORE_I64_BUF];
	const char *params[2] = {q->env, store_i64(at, q->at)};
	int rv;

	if ((rv = store_audit_env(st, q->env)) != 0)
		return rv;
	return store_table(st,
	                   "SELECT service, version, image_ref, digest, deployment_id, kind,"
	                   " rw_to_us(deployed_at), actor, rolling_out"
	                   " FROM audit_what_ran($1, rw_from_us($2::bigint))",
	                   2, params, "ttttitTtt", names, out);
}

static int
q_rollbacks(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {
	    "id", "service", "env", "from_version", "to_version", "to_digest", "reason", "decision",
	    "actor", "incident", "started_at", "finished_at", "outcome", "duration_s"};
	char since[STORE_I64_BUF], until[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[5] = {q->service, q->env, store_i64(since, q->since),
	                         store_i64(until, q->until), store_limit(lim, q->limit)};
	return store_table(st,
	                   "SELECT id, service, env, from_version, to_version, to_digest, reason,"
	                   " decision, actor, incident_id, rw_to_us(started_at),"
	                   " rw_to_us(finished_at), outcome, duration_s FROM audit_rollbacks"
	                   " WHERE ($1 = '' OR service = $1) AND ($2 = '' OR env = $2)"
	                   "   AND ($3::bigint = 0 OR started_at >= rw_from_us($3::bigint))"
	                   "   AND ($4::bigint = 0 OR started_at < rw_from_us($4::bigint))"
	                   " ORDER BY started_at DESC, id DESC LIMIT $5::bigint",
	                   5, params, "ittttttttiTTti", names, out);
}

static int
q_log(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {"id", "at", "actor", "role", "action", "target",
	                                    "reason", "service", "incident", "digests", "seq",
	                                    "detail"};
	char since[STORE_I64_BUF], until[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[6] = {q->actor, q->service, q->action_kind, store_i64(since, q->since),
	                         store_i64(until, q->until), store_limit(lim, q->limit)};
	/*
	 * kind: an exact action ("rollback.start"), a prefix ending in '.'
	 * ("service."), or an action's first word ("rollback").  starts_with,
	 * not LIKE: '%' and '_' are plain characters.  Unnamed statements are
	 * planned with the values, so unused filters fold away.
	 */
	return store_table(st,
	                   "SELECT id, rw_to_us(at), actor, role, action, target, reason, service,"
	                   " incident_id, digests, seq, detail::text FROM audit_events"
	                   " WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR service = $2)"
	                   "   AND ($3 = '' OR action = $3"
	                   "        OR (right($3, 1) = '.' AND starts_with(action, $3))"
	                   "        OR (strpos($3, '.') = 0 AND kind = $3))"
	                   "   AND ($4::bigint = 0 OR at >= rw_from_us($4::bigint))"
	                   "   AND ($5::bigint = 0 OR at <= rw_from_us($5::bigint))"
	                   " ORDER BY at DESC, id DESC LIMIT $6::bigint",
	                   6, params, "iTttttttitit", names, out);
}

static int
q_release(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {"release", "service", "version", "event", "at",
	                                    "until", "actor", "env", "detail"};
	char id[STORE_I64_BUF];
	rw_release_t rel;
	const char *params[1];
	int rv;

	rv = q->release_id > 0 ? store_release_get(st, q->release_id, &rel)
	                       : store_release_find(st, q->service, q->version, &rel);
	if (rv != 0)
		return rv;
	params[0] = store_i64(id, rel.id);
	return store_table(st,
	                   "SELECT l.release_id, s.name, r.version, l.event, rw_to_us(l.at),"
	                   " rw_to_us(l.until), l.actor, l.env, l.detail"
	                   " FROM audit_release_life l JOIN releases r ON r.id = l.release_id"
	                   " JOIN services s ON s.id = r.service_id"
	                   " WHERE l.release_id = $1::bigint ORDER BY l.at, l.event",
	                   1, params, "itttTTttt", names, out);
}

/*
 * The parameters of a query over a window of env (dora, timeline): $1 the
 * environment (RW_ENOTFOUND when unknown), $2..$3 the window, by default
 * the last STORE_AUDIT_DEFAULT_WINDOW_US.
 */
static int
q_env_window(store_t *st, const rw_auditq_t *q, char s[STORE_I64_BUF], char u[STORE_I64_BUF],
             const char *params[3])
{
	int64_t until = q->until ? q->until : rw_now_us();
	int64_t since = q->since ? q->since : until - STORE_AUDIT_DEFAULT_WINDOW_US;
	int rv;

	if ((rv = store_audit_env(st, q->env)) != 0)
		return rv;
	params[0] = q->env;
	params[1] = store_i64(s, since);
	params[2] = store_i64(u, until);
	return 0;
}

static int
q_dora(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {
	    "env", "since", "until", "deployments", "days", "deploys_per_day",
	    "lead_time_median_s", "lead_time_mean_s", "failures", "change_failure_rate",
	    "recoveries", "mttr_s"};
	char s[STORE_I64_BUF], u[STORE_I64_BUF];
	const char *params[3];
	int rv;

	if ((rv = q_env_window(st, q, s, u, params)) != 0)
		return rv;
	return store_table(st,
	                   "SELECT $1::text, $2::bigint, $3::bigint, deployments, days,"
	                   " deploys_per_day, lead_time_median_s, lead_time_mean_s, failures,"
	                   " change_failure_rate, recoveries, mttr_s"
	                   " FROM audit_dora($1, rw_from_us($2::bigint), rw_from_us($3::bigint))",
	                   3, params, "tTTinniiinii", names, out);
}

static int
q_timeline(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	static const char *const names[] = {"service", "item", "label", "start_at", "end_at",
	                                    "outcome"};
	char s[STORE_I64_BUF], u[STORE_I64_BUF];
	const char *params[3];
	int rv;

	if ((rv = q_env_window(st, q, s, u, params)) != 0)
		return rv;
	return store_table(st,
	                   "SELECT service, item, label, rw_to_us(start_at), rw_to_us(end_at),"
	                   " outcome FROM audit_timeline"
	                   /* Overlaps [since, until); a release is a point.  Spelled
	                    * out (not coalesce) so each branch of the view can use
	                    * its index on the time columns. */
	                   " WHERE env = $1 AND start_at < rw_from_us($3::bigint)"
	                   "   AND (end_at >= rw_from_us($2::bigint)"
	                   "        OR (end_at IS NULL AND (item <> 'release'"
	                   "            OR start_at >= rw_from_us($2::bigint))))"
	                   " ORDER BY service, start_at, item LIMIT 20000",
	                   3, params, "tttTTt", names, out);
}

int
store_auditq(store_t *st, const rw_auditq_t *q, rw_table_t *out)
{
	if (!st || !q || !out)
		return RW_EINVAL;
	memset(out, 0, sizeof(*out));
	switch (q->kind) {
	case RW_AUDITQ_WHAT_RAN: return q_what_ran(st, q, out);
	case RW_AUDITQ_ROLLBACKS: return q_rollbacks(st, q, out);
	case RW_AUDITQ_LOG: return q_log(st, q, out);
	case RW_AUDITQ_RELEASE: return q_release(st, q, out);
	case RW_AUDITQ_DORA: return q_dora(st, q, out);
	case RW_AUDITQ_TIMELINE: return q_timeline(st, q, out);
	default: return RW_EINVAL;
	}
}
