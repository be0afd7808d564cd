/*
 * store_audit — the store's audit half: audit queries answered from the
 * read-only views of migration 0006 (the same views auditors query with
 * their own tools, docs/audit.md), the ledger rows in chain order for
 * verification (keyset batches, so a ten-million-row chain streams in
 * constant memory), signed chain heads, and the audit log as listed or
 * appended to on its own.  Parameterised SQL only, results never leave
 * server/store/.
 *
 * What it does not do: write the audit row of a change (store_sql.c's
 * store_change_end() does, in the change's transaction), or hash, check or
 * sign the chain (shared/domain/ledger.c, server/vault/notary.c).
 */
#include "store_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"
#include "store_catalog.h"
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

/* ------------------------------------------------------------------------ */
/* The ledger                                                               */

static int
store_ledger_row(const PGresult *res, int row, void *dst)
{
	rw_ledger_row_t *r = dst;
	r->has_incident = !PQgetisnull(res, row, 9);
	/* Tampered rows may hold anything: too long is reported as a changed row, not an error. */
	(void)store_scan(res, row, "lllssssss.sss", &r->id, &r->seq, &r->at, STORE_BUF(r->actor),
	                 STORE_BUF(r->role), STORE_BUF(r->action), STORE_BUF(r->target),
	                 STORE_BUF(r->detail), STORE_BUF(r->reason), STORE_BUF(r->digests),
	                 STORE_BUF(r->prev_hash), STORE_BUF(r->row_hash));
	r->incident_id = r->has_incident ? store_col_i64(res, row, 9) : 0;
	return 0;
}

int
store_ledger_batch(store_t *st, int64_t after_seq, int64_t after_id, uint32_t limit,
                   rw_ledger_row_t **out, size_t *n)
{
	char s[STORE_I64_BUF], i[STORE_I64_BUF], l[STORE_I64_BUF];
	const char *params[3] = {store_i64(s, after_seq), store_i64(i, after_id),
	                         store_i64(l, limit ? limit : 1000)};
	/* Keyset pagination in chain order: each batch is one index range scan. */
	return store_get_list(st,
	                      "SELECT id, seq, rw_to_us(at), actor, role, action, target,"
	                      " detail::text, reason, incident_id, digests, prev_hash, row_hash"
	                      " FROM audit_log WHERE (seq, id) > ($1::bigint, $2::bigint)"
	                      " ORDER BY seq, id LIMIT $3::bigint",
	                      3, params, sizeof(rw_ledger_row_t), store_ledger_row, (void **)out, n);
}

static int
store_head_row(const PGresult *res, int row, void *dst)
{
	rw_ledger_head_t *h = dst;
	(void)store_scan(res, row, "llslsss", &h->id, &h->seq, STORE_BUF(h->row_hash), &h->signed_at,
	                 STORE_BUF(h->signer), STORE_BUF(h->key_id), STORE_BUF(h->signature));
	return 0;
}

int
store_ledger_heads(store_t *st, rw_ledger_head_t **out, size_t *n)
{
	/* Every head, oldest position first (a chain's heads are few: one per interval). */
	return store_get_list(st,
	                      "SELECT id, seq, row_hash, rw_to_us(signed_at), signer, key_id,"
	                      " signature FROM audit_heads ORDER BY seq, id",
	                      0, NULL, sizeof(rw_ledger_head_t), store_head_row, (void **)out, n);
}

int
store_ledger_tip(store_t *st, int64_t *seq, char hash[LEDGER_HASH_HEX + 1], bool *signed_)
{
	PGresult *res;
	int rv;

	*seq = 0;
	hash[0] = '\0';
	*signed_ = false;
	rv = store_exec(st,
	                "SELECT a.seq, a.row_hash, EXISTS (SELECT 1 FROM audit_heads h"
	                " WHERE h.seq = a.seq AND h.row_hash = a.row_hash)"
	                " FROM audit_log a ORDER BY a.seq DESC, a.id DESC LIMIT 1",
	                0, NULL, &res);
	if (rv != 0)
		return rv;
	if (PQntuples(res) == 1) {
		*seq = store_col_i64(res, 0, 0);
		rv = store_col_str(hash, LEDGER_HASH_HEX + 1, res, 0, 1);
		*signed_ = store_col_bool(res, 0, 2);
	}
	PQclear(res);
	return rv;
}

int
store_ledger_head_add(store_t *st, rw_ledger_head_t *h)
{
	char seq[STORE_I64_BUF], at[STORE_I64_BUF];
	const char *params[6] = {store_i64(seq, h->seq), h->row_hash, store_i64(at, h->signed_at),
	                         h->signer, h->key_id, h->signature};
	PGresult *res;
	int rv = store_exec(st,
	                    "INSERT INTO audit_heads (seq, row_hash, signed_at, signer, key_id,"
	                    " signature) VALUES ($1::bigint, $2, rw_from_us($3::bigint), $4, $5, $6)"
	                    " RETURNING id",
	                    6, params, &res);
	if (rv != 0)
		return rv;
	h->id = store_col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The audit log                                                            */

static int
store_audit_row(const PGresult *res, int row, void *dst)
{
	rw_audit_t *a = dst;
	a->role = rw_role_parse(PQgetvalue(res, row, 3));
	return store_scan(res, row, "lls.ssss", &a->id, &a->at, STORE_BUF(a->actor),
	                  STORE_BUF(a->action), STORE_BUF(a->target), STORE_BUF(a->detail),
	                  STORE_BUF(a->reason));
}

int
store_audit_append(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                   const char *detail_json, const char *reason)
{
	if (!st || !store_actor_ok(who) || !action)
		return RW_EINVAL;
	return store_audit_insert(st, who, action, target, detail_json, reason);
}

int
store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n)
{
	static const rw_audit_filter_t none;
	char since[STORE_I64_BUF], until[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[5];

	if (!st || !out || !n)
		return RW_EINVAL;
	if (!f)
		f = &none;
	if (!STORE_TERMINATED(f->actor) || !STORE_TERMINATED(f->action_prefix))
		return RW_EINVAL;
	params[0] = f->actor;
	params[1] = f->action_prefix;
	params[2] = store_i64(since, f->since);
	params[3] = store_i64(until, f->until);
	params[4] = store_limit(lim, f->limit);
	/* starts_with(), not LIKE: '%' and '_' in a prefix are plain characters. */
	return store_get_list(st,
	                      "SELECT id, rw_to_us(at), actor, role, action, target, detail::text,"
	                      " reason FROM audit_log"
	                      " WHERE ($1 = '' OR actor = $1)"
	                      "   AND ($2 = '' OR starts_with(action, $2))"
	                      "   AND ($3::bigint = 0 OR at >= rw_from_us($3::bigint))"
	                      "   AND ($4::bigint = 0 OR at <= rw_from_us($4::bigint))"
	                      " ORDER BY at DESC, id DESC LIMIT $5::bigint",
	                      5, params, sizeof(rw_audit_t), store_audit_row, (void **)out, n);
}
