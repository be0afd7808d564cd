/*
 * store — Rewind's release history in PostgreSQL, over libpq.
 *
 * What it does: turns the calls of store.h into parameterised SQL
 * (PQexecParams, never text built from user data), maps rows back into the
 * fixed-size domain structs, maps SQLSTATEs onto rw_err codes, writes each
 * change together with its audit_log row in one transaction, and applies the
 * embedded schema migrations under an advisory lock.
 *
 * What it does not do: validate formats (domain.c checks names, images and
 * JSON at the boundary; the schema only enforces bounds), retry failed
 * statements, pool connections or lock between threads (one store_t per
 * thread), or log SQL errors itself (callers log store_errmsg()).  PGresult
 * never leaves this file.
 *
 * Times cross the SQL boundary as unix microseconds through the schema's
 * rw_to_us() / rw_from_us() functions.
 */
#include "store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"
#include "log.h"
#include "store_int.h"
#include "store_migrations.h"

/* pg_advisory_lock key serialising store_migrate() across processes ("RewndMig"). */
#define STORE_MIGRATE_LOCK_KEY "5937573838512712039"

/* ------------------------------------------------------------------------ */
/* Errors                                                                     */

void
store_set_err(store_t *st, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
	/* libpq messages end in newlines; log lines must not. */
	n = strlen(st->err);
	while (n > 0 && (st->err[n - 1] == '\n' || st->err[n - 1] == '\r'))
		st->err[--n] = '\0';
	for (char *p = st->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static bool
store_str_endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Maps a server error (SQLSTATE and, for CHECKs, the constraint) to rw_err. */
static int
store_sqlstate_err(const char *state, const char *constraint)
{
	if (!state || strlen(state) != 5)
		return RW_EDB;                   /* client-side: connection lost etc. */
	if (strcmp(state, "23505") == 0)
		return RW_EEXIST;                /* unique_violation */
	if (strcmp(state, "23503") == 0)
		return RW_ENOTFOUND;             /* foreign_key_violation */
	if (strcmp(state, "23514") == 0)         /* check_violation */
		return constraint && store_str_endswith(constraint, "_len") ? RW_ETOOBIG
		                                                             : RW_EINVAL;
	if (strcmp(state, "22001") == 0)
		return RW_ETOOBIG;               /* string_data_right_truncation */
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return RW_EINVAL;                /* other integrity / data exceptions */
	if (strcmp(state, "42501") == 0)
		return RW_EPERM;                 /* insufficient_privilege (audit trigger) */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return RW_EBUSY;                 /* serialization, deadlock, lock timeout */
	if (strcmp(state, "57014") == 0)
		return RW_ETIMEDOUT;             /* query_canceled (statement_timeout) */
	return RW_EDB;                           /* 08xxx connection, 57P0x shutdown, ... */
}

/* Records the error of a failed result and returns its rw_err. */
static int
store_result_err(store_t *st, const PGresult *res)
{
	const char *state, *constraint, *text;

	if (!res) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return PQstatus(st->conn) == CONNECTION_BAD ? RW_EDB : RW_ENOMEM;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	text = PQresultErrorMessage(res);
	store_set_err(st, "%s%s%s", state ? state : "", state ? ": " : "",
	              text && *text ? text : PQresStatus(PQresultStatus(res)));
	if (PQstatus(st->conn) == CONNECTION_BAD)
		return RW_EDB;
	return store_sqlstate_err(state, constraint);
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                 */

/*
 * Runs one parameterised statement (text parameters, text results).  On
 * success *out (if not NULL) receives the result, to PQclear(); on failure
 * nothing is returned and st->err says why.
 */
int
store_exec(store_t *st, const char *sql, int nparams, const char *const *params, PGresult **out)
{
	PGresult *res;
	ExecStatusType s;

	if (out)
		*out = NULL;
	res = PQexecParams(st->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		int rv = store_result_err(st, res);
		PQclear(res);
		return rv;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/*
 * Transactions nest: an inner store_begin() is a savepoint, so a caller can
 * wrap several store calls (each with its own begin/commit) into one
 * transaction that commits or rolls back as a whole.
 */
int
store_begin(store_t *st)
{
	char sql[64];
	int rv;

	/* A connection that lost its transaction (reset) starts from the top again. */
	if (st->depth > 0 && PQtransactionStatus(st->conn) == PQTRANS_IDLE)
		st->depth = 0;
	if (st->depth == 0)
		rv = store_exec(st, "BEGIN", 0, NULL, NULL);
	else {
		snprintf(sql, sizeof(sql), "SAVEPOINT rw_%d", st->depth);
		rv = store_exec(st, sql, 0, NULL, NULL);
	}
	if (rv == 0)
		st->depth++;
	return rv;
}

/* On failure the level stays open: the caller's store_rollback() closes it. */
int
store_commit(store_t *st)
{
	char sql[64];
	int rv;

	if (st->depth <= 1)
		rv = store_exec(st, "COMMIT", 0, NULL, NULL);
	else {
		snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT rw_%d", st->depth - 1);
		rv = store_exec(st, sql, 0, NULL, NULL);
	}
	if (rv == 0 && st->depth > 0)
		st->depth--;
	return rv;
}

/* Rolls back the innermost open level and returns rv (the error that caused it). */
int
store_rollback(store_t *st, int rv)
{
	char keep[sizeof st->err], sql[64];
	bool live = PQstatus(st->conn) == CONNECTION_OK &&
	            PQtransactionStatus(st->conn) != PQTRANS_IDLE;

	/* Keep the original error text, not the rollback's. */
	memcpy(keep, st->err, sizeof keep);
	if (st->depth > 1) {
		st->depth--;
		snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT rw_%d", st->depth);
		if (live)
			(void)store_exec(st, sql, 0, NULL, NULL);
	} else {
		st->depth = 0;
		if (live)
			(void)store_exec(st, "ROLLBACK", 0, NULL, NULL);
	}
	memcpy(st->err, keep, sizeof keep);
	return rv;
}

int
store_tx_begin(store_t *st)
{
	return st ? store_begin(st) : RW_EINVAL;
}

int
store_tx_end(store_t *st)
{
	int rv;
	if (PQtransactionStatus(st->conn) == PQTRANS_INERROR) {
		if (!st->err[0])
			store_set_err(st, "a statement of the transaction failed");
		return store_rollback(st, RW_EDB);
	}
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

void
store_tx_abort(store_t *st)
{
	(void)store_rollback(st, 0);
}

const char *
store_i64(char buf[STORE_I64_BUF], int64_t v)
{
	snprintf(buf, STORE_I64_BUF, "%" PRId64, v);
	return buf;
}

/* limit 0 means the most allowed; larger values are clamped to it. */
const char *
store_limit(char buf[STORE_I64_BUF], uint32_t limit)
{
	if (limit == 0 || limit > RW_LIST_MAX)
		limit = RW_LIST_MAX;
	return store_i64(buf, (int64_t)limit);
}

/* ------------------------------------------------------------------------ */
/* Rows to structs                                                            */

int64_t
store_col_i64(const PGresult *res, int row, int col)
{
	return (int64_t)strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool
store_col_bool(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

/* The schema bounds every column to its buffer; a miss is a schema bug. */
int
store_col_str(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	return rw_strcpy(dst, cap, PQgetvalue(res, row, col)) ? RW_EINTERNAL : 0;
}


static int
store_outcome_parse(const char *s, enum rw_outcome *out)
{
	static const enum rw_outcome all[] = {RW_OUTCOME_PENDING, RW_OUTCOME_SUCCEEDED,
	                                      RW_OUTCOME_FAILED, RW_OUTCOME_ROLLED_BACK};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(s, rw_outcome_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return RW_EINTERNAL;
}

#define STORE_ENV_COLS \
	"e.id, e.name, e.cluster, e.health_url, e.health_expect, rw_to_us(e.created_at)"

static int
store_env_row(const PGresult *res, int row, void *dst)
{
	rw_env_t *e = dst;
	e->id = store_col_i64(res, row, 0);
	e->created_at = store_col_i64(res, row, 5);
	if (STORE_COL_STR(e->name, res, row, 1) || STORE_COL_STR(e->cluster, res, row, 2) ||
	    STORE_COL_STR(e->health_url, res, row, 3) || STORE_COL_STR(e->health_expect, res, row, 4))
		return RW_EINTERNAL;
	return 0;
}

#define STORE_SERVICE_COLS \
	"s.id, s.name, s.namespace, s.deployment, s.container, s.image_repo, s.health_path, " \
	"s.health_expect, rw_to_us(s.created_at)"

static int
store_service_row(const PGresult *res, int row, void *dst)
{
	rw_service_t *s = dst;
	s->id = store_col_i64(res, row, 0);
	s->created_at = store_col_i64(res, row, 8);
	if (STORE_COL_STR(s->name, res, row, 1) || STORE_COL_STR(s->namespace_, res, row, 2) ||
	    STORE_COL_STR(s->deployment, res, row, 3) || STORE_COL_STR(s->container, res, row, 4) ||
	    STORE_COL_STR(s->image_repo, res, row, 5) || STORE_COL_STR(s->health_path, res, row, 6) ||
	    STORE_COL_STR(s->health_expect, res, row, 7))
		return RW_EINTERNAL;
	return 0;
}

/* Release columns come first in release and history queries (9 columns). */
#define STORE_RELEASE_FROM " FROM releases r JOIN services s ON s.id = r.service_id"
#define STORE_RELEASE_NCOLS 10

int
store_release_row(const PGresult *res, int row, void *dst)
{
	rw_release_t *r = dst;
	r->id = store_col_i64(res, row, 0);
	r->created_at = store_col_i64(res, row, 8);
	if (STORE_COL_STR(r->service, res, row, 1) || STORE_COL_STR(r->version, res, row, 2) ||
	    STORE_COL_STR(r->image_ref, res, row, 3) || STORE_COL_STR(r->digest, res, row, 4) ||
	    STORE_COL_STR(r->source_commit, res, row, 5) || STORE_COL_STR(r->notes, res, row, 6) ||
	    STORE_COL_STR(r->created_by, res, row, 7) ||
	    STORE_COL_STR(r->migrations_compat, res, row, 9))
		return RW_EINTERNAL;
	return 0;
}

static int
store_history_row(const PGresult *res, int row, void *dst)
{
	rw_history_row_t *h = dst;
	int c = STORE_RELEASE_NCOLS;

	if (store_release_row(res, row, &h->release) || STORE_COL_STR(h->env, res, row, c))
		return RW_EINTERNAL;
	h->deployment_id = store_col_i64(res, row, c + 1);
	h->started_at = store_col_i64(res, row, c + 2);
	h->finished_at = store_col_i64(res, row, c + 3);
	h->known_good = store_col_bool(res, row, c + 5);
	return store_outcome_parse(PQgetvalue(res, row, c + 4), &h->outcome);
}

static int
store_audit_row(const PGresult *res, int row, void *dst)
{
	rw_audit_t *a = dst;
	a->id = store_col_i64(res, row, 0);
	a->at = store_col_i64(res, row, 1);
	a->role = rw_role_parse(PQgetvalue(res, row, 3));
	if (STORE_COL_STR(a->actor, res, row, 2) || STORE_COL_STR(a->action, res, row, 4) ||
	    STORE_COL_STR(a->target, res, row, 5) || STORE_COL_STR(a->detail, res, row, 6) ||
	    STORE_COL_STR(a->reason, res, row, 7))
		return RW_EINTERNAL;
	return 0;
}

/* Runs a query expected to return at most one row into *dst; RW_ENOTFOUND for none. */
int
store_get_one(store_t *st, const char *sql, int nparams, const char *const *params,
              store_row_fn fill, void *dst)
{
	PGresult *res;
	int rv = store_exec(st, sql, nparams, params, &res);

	if (rv)
		return rv;
	if (PQntuples(res) == 0) {
		store_set_err(st, "no such row");
		rv = RW_ENOTFOUND;
	} else if ((rv = fill(res, 0, dst)) != 0) {
		store_set_err(st, "row does not fit its struct");
	}
	PQclear(res);
	return rv;
}

/* Runs a query into a malloc'd array of elements of size elsz (NULL when empty). */
int
store_get_list(store_t *st, const char *sql, int nparams, const char *const *params,
               size_t elsz, store_row_fn fill, void **out, size_t *n)
{
	PGresult *res;
	char *arr;
	int rows, rv;

	*out = NULL;
	*n = 0;
	if ((rv = store_exec(st, sql, nparams, params, &res)) != 0)
		return rv;
	rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return 0;
	}
	arr = calloc((size_t)rows, elsz);
	if (!arr) {
		PQclear(res);
		store_set_err(st, "out of memory for %d rows", rows);
		return RW_ENOMEM;
	}
	for (int i = 0; i < rows; i++) {
		if ((rv = fill(res, i, arr + (size_t)i * elsz)) != 0) {
			store_set_err(st, "row %d does not fit its struct", i);
			free(arr);
			PQclear(res);
			return rv;
		}
	}
	PQclear(res);
	*out = arr;
	*n = (size_t)rows;
	return 0;
}

/* Looks up the id of a row by unique name: "SELECT id FROM <t> WHERE name = $1". */
static int
store_id_by_name(store_t *st, const char *sql, const char *name, int64_t *id)
{
	const char *params[1] = {name};
	PGresult *res;
	int rv = store_exec(st, sql, 1, params, &res);

	if (rv)
		return rv;
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "not found");
		return RW_ENOTFOUND;
	}
	*id = store_col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
store_service_id(store_t *st, const char *name, int64_t *id)
{
	return store_id_by_name(st, "SELECT id FROM services WHERE name = $1", name, id);
}

int
store_env_id(store_t *st, const char *name, int64_t *id)
{
	return store_id_by_name(st, "SELECT id FROM environments WHERE name = $1", name, id);
}

/* ------------------------------------------------------------------------ */
/* Audit                                                                      */

/* A fixed buffer holds a C string (a struct not NUL-terminated is a caller bug). */

bool
store_actor_ok(const rw_actor_t *who)
{
	return who && STORE_TERMINATED(who->name) && who->name[0];
}

/* Builds a compact JSON object from a jansson pack format; *out to free(). */
int
store_detail(store_t *st, char **out, const char *fmt, ...)
{
	json_error_t jerr;
	json_t *j;
	va_list ap;

	va_start(ap, fmt);
	j = json_vpack_ex(&jerr, 0, fmt, ap);
	va_end(ap);
	if (!j) {
		store_set_err(st, "audit detail: %s", jerr.text);
		return json_error_code(&jerr) == json_error_invalid_utf8 ? RW_EINVAL : RW_ENOMEM;
	}
	*out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!*out) {
		store_set_err(st, "audit detail: out of memory");
		return RW_ENOMEM;
	}
	return 0;
}

/* "<kind>/<a>" or "<kind>/<a>/<b>" into an audit target. */
int
store_target(store_t *st, char *dst, size_t cap, const char *kind, const char *a,
             const char *b)
{
	int n = b ? snprintf(dst, cap, "%s/%s/%s", kind, a, b) : snprintf(dst, cap, "%s/%s", kind, a);
	if (n < 0 || (size_t)n >= cap) {
		store_set_err(st, "audit target too long");
		return RW_ETOOBIG;
	}
	return 0;
}

int
store_audit_insert(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                   const char *detail_json, const char *reason)
{
	const char *params[6] = {who->name, rw_role_name(who->role), action,
	                         target ? target : "", detail_json ? detail_json : "{}",
	                         reason ? reason : ""};
	return store_exec(st,
	                  "INSERT INTO audit_log (actor, role, action, target, detail, reason)"
	                  " VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
	                  6, params, NULL);
}

/* Inserts the audit row of a change and commits; rolls back on any failure. */
int
store_audit_commit(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                   char *detail)
{
	int rv = store_audit_insert(st, who, action, target, detail, NULL);
	free(detail);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_commit(st)) != 0)
		return store_rollback(st, rv);
	return 0;
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

/* ------------------------------------------------------------------------ */
/* Connection                                                                 */

/* Server NOTICEs ("relation already exists, skipping") go to the debug log, not stderr. */
static void
store_notice(void *arg, const char *message)
{
	char q[512];
	(void)arg;
	log_debug("store.notice", "msg=%s", log_q(q, sizeof q, message));
}

/*
 * libpq quotes pieces of a malformed connection string in its error, and
 * those may hold the password: check the syntax first and say only that.
 */
static int
store_conninfo_ok(const char *conninfo)
{
	PQconninfoOption *opts;
	char *perr = NULL;

	if (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
	    strncmp(conninfo, "postgres://", 11) != 0)
		return 1;                        /* a bare database name */
	opts = PQconninfoParse(conninfo, &perr);
	if (perr)
		PQfreemem(perr);
	if (!opts)
		return 0;
	PQconninfoFree(opts);
	return 1;
}

int
store_open(const char *conninfo, store_t **out, char *msg, size_t msgsz)
{
	/*
	 * Entries before dbname are defaults the conninfo may override; after it,
	 * forced.  JIT off: rewindd's statements are short, and on the audit
	 * queries over a large history JIT compilation cost more than the query
	 * (dora over 30 days of 1M releases: 2.8 s with it, 0.8 s without).
	 */
	const char *keys[] = {"application_name", "connect_timeout", "options", "dbname",
	                      "client_encoding", NULL};
	const char *vals[] = {"rewindd", "10", "-c jit=off", conninfo, "UTF8", NULL};
	store_t *st;

	if (msg && msgsz)
		msg[0] = '\0';
	if (!out)
		return RW_EINVAL;
	*out = NULL;
	if (!conninfo || !store_conninfo_ok(conninfo)) {
		if (msg && msgsz)
			snprintf(msg, msgsz, "malformed database connection string");
		return RW_EINVAL;
	}
	st = calloc(1, sizeof *st);
	if (!st) {
		if (msg && msgsz)
			snprintf(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	st->conn = PQconnectdbParams(keys, vals, 1);
	if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
		store_set_err(st, "%s", st->conn ? PQerrorMessage(st->conn) : "out of memory");
		if (msg && msgsz)
			snprintf(msg, msgsz, "%s", st->err);
		store_close(st);
		return RW_EDB;
	}
	PQsetNoticeProcessor(st->conn, store_notice, NULL);
	*out = st;
	return 0;
}

void
store_close(store_t *st)
{
	if (!st)
		return;
	PQfinish(st->conn);
	free(st);
}

const char *
store_errmsg(const store_t *st)
{
	return st ? st->err : "no store";
}

static int
store_probe(store_t *st)
{
	return PQstatus(st->conn) == CONNECTION_OK ? store_exec(st, "SELECT 1", 0, NULL, NULL)
	                                           : RW_EDB;
}

int
store_ping(store_t *st)
{
	if (!st)
		return RW_EINVAL;
	if (store_probe(st) == 0)
		return 0;
	log_warn("store.reconnect", "reason=\"connection unusable\"");
	st->depth = 0;
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	PQsetNoticeProcessor(st->conn, store_notice, NULL);
	return store_probe(st) ? RW_EDB : 0;
}

/* ------------------------------------------------------------------------ */
/* Migrations                                                                 */

/* 1: applied with the same text; 0: not applied.  A changed text is only warned about. */
static int
store_migration_done(store_t *st, const struct store_migration *m, int *done)
{
	char ver[STORE_I64_BUF];
	const char *params[2] = {store_i64(ver, m->version), m->sql};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT checksum = md5($2) FROM schema_migrations WHERE version = $1::int",
	                    2, params, &res);
	if (rv)
		return rv;
	*done = PQntuples(res) > 0;
	if (*done && !store_col_bool(res, 0, 0))
		log_warn("store.migrate", "version=%d name=%s msg=\"applied text differs from the "
		         "embedded one (edited after release?)\"", m->version, m->name);
	PQclear(res);
	return 0;
}

static int
store_migration_apply(store_t *st, const struct store_migration *m)
{
	char ver[STORE_I64_BUF];
	const char *params[3] = {store_i64(ver, m->version), m->name, m->sql};
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)) != 0)
		return rv;
	/* Trusted SQL embedded at build time, possibly several statements: simple protocol. */
	res = PQexec(st->conn, m->sql);
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	             PQresultStatus(res) != PGRES_TUPLES_OK)) {
		rv = store_result_err(st, res);
		PQclear(res);
		log_error("store.migrate", "version=%d name=%s err=%s", m->version, m->name,
		          rw_errname(rv));
		return store_rollback(st, rv);
	}
	PQclear(res);
	rv = store_exec(st,
	                "INSERT INTO schema_migrations (version, name, checksum)"
	                " VALUES ($1::int, $2, md5($3))",
	                3, params, NULL);
	if (rv || (rv = store_commit(st)) != 0)
		return store_rollback(st, rv);
	log_info("store.migrate", "version=%d name=%s applied=1", m->version, m->name);
	return 0;
}

/* Everything store_migrate() does while holding the advisory lock. */
static int
store_migrate_locked(store_t *st, unsigned *applied)
{
	int rv, done, version;
	PGresult *res;
	bool exists;

	/*
	 * Create the table only when it is missing: CREATE ... IF NOT EXISTS
	 * needs CREATE on the schema even when the table exists, and rewindd
	 * runs as an application role without it (docs/audit.md, "Roles").
	 */
	if ((rv = store_exec(st, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
	                     &res)) != 0)
		return rv;
	exists = store_col_bool(res, 0, 0);
	PQclear(res);
	if (!exists)
		rv = store_exec(st,
		                "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                " version integer PRIMARY KEY,"
		                " name text NOT NULL,"
		                " checksum text NOT NULL DEFAULT '',"
		                " applied_at timestamptz NOT NULL DEFAULT now())",
		                0, NULL, NULL);
	if (rv)
		return rv;
	for (unsigned i = 0; i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];
		if ((rv = store_migration_done(st, m, &done)) != 0)
			return rv;
		if (done)
			continue;
		if ((rv = store_migration_apply(st, m)) != 0)
			return rv;
		(*applied)++;
	}
	if ((rv = store_schema_version(st, &version)) != 0)
		return rv;
	if (store_migrations_count > 0 &&
	    version > store_migrations[store_migrations_count - 1].version)
		log_warn("store.migrate", "version=%d known=%d msg=\"database is newer than this "
		         "binary\"", version, store_migrations[store_migrations_count - 1].version);
	return 0;
}

int
store_migrate(store_t *st, unsigned *applied)
{
	const char *key[1] = {STORE_MIGRATE_LOCK_KEY};
	unsigned count = 0;
	int rv;

	if (applied)
		*applied = 0;
	if (!st)
		return RW_EINVAL;
	/* Session-level lock: held across the per-migration transactions. */
	if ((rv = store_exec(st, "SELECT pg_advisory_lock($1::bigint)", 1, key, NULL)) != 0)
		return rv;
	rv = store_migrate_locked(st, &count);
	if (PQstatus(st->conn) == CONNECTION_OK) {
		char keep[sizeof st->err];
		memcpy(keep, st->err, sizeof keep);
		(void)store_exec(st, "SELECT pg_advisory_unlock($1::bigint)", 1, key, NULL);
		memcpy(st->err, keep, sizeof keep);
	}
	if (applied)
		*applied = count;
	return rv;
}

int
store_schema_version(store_t *st, int *version)
{
	PGresult *res;
	int rv;

	if (!st || !version)
		return RW_EINVAL;
	*version = 0;
	rv = store_exec(st, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, &res);
	if (rv)
		return rv;
	bool exists = store_col_bool(res, 0, 0);
	PQclear(res);
	if (!exists)
		return 0;
	rv = store_exec(st, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
	                &res);
	if (rv)
		return rv;
	*version = (int)store_col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Environments                                                               */

static bool
store_env_terminated(const rw_env_t *e)
{
	return STORE_TERMINATED(e->name) && STORE_TERMINATED(e->cluster) &&
	       STORE_TERMINATED(e->health_url) && STORE_TERMINATED(e->health_expect);
}

int
store_env_add(store_t *st, const rw_actor_t *who, rw_env_t *env)
{
	const char *params[4];
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	PGresult *res;
	int64_t id, at;
	int rv;

	if (!st || !store_actor_ok(who) || !env || !store_env_terminated(env))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "env", env->name, NULL)) != 0)
		return rv;
	params[0] = env->name;
	params[1] = env->cluster;
	params[2] = env->health_url;
	params[3] = env->health_expect;
	if ((rv = store_begin(st)) != 0)
		return rv;
	rv = store_exec(st,
	                "INSERT INTO environments (name, cluster, health_url, health_expect)"
	                " VALUES ($1, $2, $3, $4) RETURNING id, rw_to_us(created_at)",
	                4, params, &res);
	if (rv)
		return store_rollback(st, rv);
	id = store_col_i64(res, 0, 0);
	at = store_col_i64(res, 0, 1);
	PQclear(res);
	rv = store_detail(st, &detail, "{s:I, s:s, s:s}", "id", (json_int_t)id, "cluster",
	                  env->cluster, "health_url", env->health_url);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, "env.add", target, detail)) != 0)
		return rv;
	env->id = id;
	env->created_at = at;
	return 0;
}

int
store_env_get(store_t *st, const char *name, rw_env_t *out)
{
	const char *params[1] = {name};

	if (!st || !name || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_ENV_COLS " FROM environments e WHERE e.name = $1",
	                     1, params, store_env_row, out);
}

int
store_env_list(store_t *st, rw_env_t **out, size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *params[1] = {store_limit(lim, 0)};

	if (!st || !out || !n)
		return RW_EINVAL;
	return store_get_list(st,
	                      "SELECT " STORE_ENV_COLS " FROM environments e"
	                      " ORDER BY e.name LIMIT $1::bigint",
	                      1, params, sizeof(rw_env_t), store_env_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* Services                                                                   */

static bool
store_service_terminated(const rw_service_t *s)
{
	return STORE_TERMINATED(s->name) && STORE_TERMINATED(s->namespace_) &&
	       STORE_TERMINATED(s->deployment) && STORE_TERMINATED(s->container) &&
	       STORE_TERMINATED(s->image_repo) && STORE_TERMINATED(s->health_path) &&
	       STORE_TERMINATED(s->health_expect);
}

int
store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc)
{
	const char *params[7];
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	PGresult *res;
	int64_t id, at;
	int rv;

	if (!st || !store_actor_ok(who) || !svc || !store_service_terminated(svc))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "service", svc->name, NULL)) != 0)
		return rv;
	params[0] = svc->name;
	params[1] = svc->namespace_;
	params[2] = svc->deployment;
	params[3] = svc->container;
	params[4] = svc->image_repo;
	params[5] = svc->health_path;
	params[6] = svc->health_expect;
	if ((rv = store_begin(st)) != 0)
		return rv;
	rv = store_exec(st,
	                "INSERT INTO services (name, namespace, deployment, container, image_repo,"
	                " health_path, health_expect) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	                " RETURNING id, rw_to_us(created_at)",
	                7, params, &res);
	if (rv)
		return store_rollback(st, rv);
	id = store_col_i64(res, 0, 0);
	at = store_col_i64(res, 0, 1);
	PQclear(res);
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id,
	                  "namespace", svc->namespace_, "deployment", svc->deployment, "container",
	                  svc->container, "image_repo", svc->image_repo);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, "service.add", target, detail)) != 0)
		return rv;
	svc->id = id;
	svc->created_at = at;
	return 0;
}

int
store_service_get(store_t *st, const char *name, rw_service_t *out)
{
	const char *params[1] = {name};

	if (!st || !name || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_SERVICE_COLS " FROM services s WHERE s.name = $1",
	                     1, params, store_service_row, out);
}

int
store_service_list(store_t *st, rw_service_t **out, size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *params[1] = {store_limit(lim, 0)};

	if (!st || !out || !n)
		return RW_EINVAL;
	return store_get_list(st,
	                      "SELECT " STORE_SERVICE_COLS " FROM services s"
	                      " ORDER BY s.name LIMIT $1::bigint",
	                      1, params, sizeof(rw_service_t), store_service_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* Releases                                                                   */

static bool
store_release_terminated(const rw_release_t *r)
{
	return STORE_TERMINATED(r->service) && STORE_TERMINATED(r->version) &&
	       STORE_TERMINATED(r->image_ref) && STORE_TERMINATED(r->digest) &&
	       STORE_TERMINATED(r->source_commit) && STORE_TERMINATED(r->notes) &&
	       STORE_TERMINATED(r->migrations_compat);
}

int
store_release_add(store_t *st, const rw_actor_t *who, rw_release_t *rel)
{
	const char *params[8];
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	PGresult *res;
	int64_t id, at;
	int rv;

	if (!st || !store_actor_ok(who) || !rel || !store_release_terminated(rel))
		return RW_EINVAL;
	rv = store_target(st, target, sizeof target, "release", rel->service, rel->version);
	if (rv)
		return rv;
	params[0] = rel->service;
	params[1] = rel->version;
	params[2] = rel->image_ref;
	params[3] = rel->digest;
	params[4] = rel->source_commit;
	params[5] = rel->notes;
	params[6] = who->name;
	params[7] = rel->migrations_compat;
	if ((rv = store_begin(st)) != 0)
		return rv;
	/* The service is resolved inside the INSERT: no row means no such service. */
	rv = store_exec(st,
	                "INSERT INTO releases (service_id, version, image_ref, digest,"
	                " source_commit, notes, created_by, migrations_compat)"
	                " SELECT s.id, $2, $3, $4, $5, $6, $7, $8 FROM services s WHERE s.name = $1"
	                " RETURNING id, rw_to_us(created_at)",
	                8, params, &res);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "no such service");
		return store_rollback(st, RW_ENOTFOUND);
	}
	id = store_col_i64(res, 0, 0);
	at = store_col_i64(res, 0, 1);
	PQclear(res);
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "image",
	                  rel->image_ref, "digest", rel->digest, "commit", rel->source_commit,
	                  "migrations_compat", rel->migrations_compat);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, "release.record", target, detail)) != 0)
		return rv;
	rel->id = id;
	rel->created_at = at;
	/* who->name fit the audit row's 128-byte bound, so it fits here too. */
	(void)RW_STRCPY(rel->created_by, who->name);
	return 0;
}

int
store_release_get(store_t *st, int64_t id, rw_release_t *out)
{
	char idbuf[STORE_I64_BUF];
	const char *params[1] = {store_i64(idbuf, id)};

	if (!st || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                     " WHERE r.id = $1::bigint",
	                     1, params, store_release_row, out);
}

int
store_release_find(store_t *st, const char *service, const char *version, rw_release_t *out)
{
	const char *params[2] = {service, version};

	if (!st || !service || !version || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                     " WHERE s.name = $1 AND r.version = $2",
	                     2, params, store_release_row, out);
}

int
store_release_list(store_t *st, const char *service, uint32_t limit, rw_release_t **out,
                   size_t *n)
{
	char lim[STORE_I64_BUF], sid[STORE_I64_BUF];
	const char *params[2];
	int64_t id = 0;
	int rv;

	if (!st || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	/* A named service must exist: "no such service" is not "no releases". */
	if (service && *service && (rv = store_service_id(st, service, &id)) != 0)
		return rv;
	params[0] = store_i64(sid, id);
	params[1] = store_limit(lim, limit);
	return store_get_list(st,
	                      "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                      " WHERE ($1::bigint = 0 OR r.service_id = $1::bigint)"
	                      " ORDER BY r.created_at DESC, r.id DESC LIMIT $2::bigint",
	                      2, params, sizeof(rw_release_t), store_release_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* History                                                                    */

/*
 * With an environment, deployments elsewhere are left out and a release never
 * deployed THERE appears once with an empty env, so "recorded, not yet in
 * production" stays visible.  Ordered by deployment start (or recording time
 * for never-deployed releases), newest first.
 */
int
store_history(store_t *st, const char *service, const char *env, uint32_t limit,
              rw_history_row_t **out, size_t *n)
{
	char lim[STORE_I64_BUF], sid[STORE_I64_BUF], eid[STORE_I64_BUF];
	const char *params[3];
	int64_t service_id = 0, env_id = 0;
	int rv;

	if (!st || !service || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	if ((rv = store_service_id(st, service, &service_id)) != 0)
		return rv;
	if (env && *env && (rv = store_env_id(st, env, &env_id)) != 0)
		return rv;
	params[0] = store_i64(sid, service_id);
	params[1] = store_i64(eid, env_id);
	params[2] = store_limit(lim, limit);
	return store_get_list(st,
	                      "SELECT " STORE_RELEASE_COLS ","
	                      " coalesce(e.name, ''), coalesce(d.id, 0),"
	                      " coalesce(rw_to_us(d.started_at), 0),"
	                      " coalesce(rw_to_us(d.finished_at), 0),"
	                      " coalesce(d.outcome, 'pending'), coalesce(d.known_good, false)"
	                      STORE_RELEASE_FROM
	                      " LEFT JOIN (deployments d JOIN environments e"
	                      "            ON e.id = d.environment_id)"
	                      "   ON d.release_id = r.id"
	                      "  AND ($2::bigint = 0 OR d.environment_id = $2::bigint)"
	                      " WHERE r.service_id = $1::bigint"
	                      " ORDER BY coalesce(d.started_at, r.created_at) DESC, r.id DESC,"
	                      "          d.id DESC"
	                      " LIMIT $3::bigint",
	                      3, params, sizeof(rw_history_row_t), store_history_row, (void **)out,
	                      n);
}

/* ------------------------------------------------------------------------ */
/* Artifacts                                                                  */

#define STORE_ARTIFACT_COLS \
	"a.id, a.release_id, a.kind, a.name, a.location, a.sha256, a.size, a.verify_outcome," \
	" a.verified, coalesce(rw_to_us(a.verified_at), 0), a.verified_by," \
	" rw_to_us(a.created_at), a.created_by"

static int
store_artifact_row(const PGresult *res, int row, void *dst)
{
	rw_artifact_t *a = dst;
	a->id = store_col_i64(res, row, 0);
	a->release_id = store_col_i64(res, row, 1);
	a->size = store_col_i64(res, row, 6);
	a->verified = store_col_bool(res, row, 8);
	a->verified_at = store_col_i64(res, row, 9);
	a->created_at = store_col_i64(res, row, 11);
	if (STORE_COL_STR(a->kind, res, row, 2) || STORE_COL_STR(a->name, res, row, 3) ||
	    STORE_COL_STR(a->location, res, row, 4) || STORE_COL_STR(a->sha256, res, row, 5) ||
	    STORE_COL_STR(a->outcome, res, row, 7) || STORE_COL_STR(a->verified_by, res, row, 10) ||
	    STORE_COL_STR(a->created_by, res, row, 12))
		return RW_EINTERNAL;
	return 0;
}

static bool
store_artifact_terminated(const rw_artifact_t *a)
{
	return STORE_TERMINATED(a->kind) && STORE_TERMINATED(a->name) &&
	       STORE_TERMINATED(a->location) && STORE_TERMINATED(a->sha256);
}

int
store_artifact_add(store_t *st, const rw_actor_t *who, rw_artifact_t *a)
{
	char rid[STORE_I64_BUF], size[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	const char *params[7];
	PGresult *res;
	int64_t id, at;
	int rv;

	if (!st || !store_actor_ok(who) || !a || !store_artifact_terminated(a))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "artifact", a->sha256, NULL)) != 0)
		return rv;
	params[0] = store_i64(rid, a->release_id);
	params[1] = a->kind;
	params[2] = a->name;
	params[3] = a->location;
	params[4] = a->sha256;
	params[5] = store_i64(size, a->size);
	params[6] = who->name;
	if ((rv = store_begin(st)) != 0)
		return rv;
	rv = store_exec(st,
	                "INSERT INTO artifacts (release_id, kind, name, location, sha256, size,"
	                " created_by) VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7)"
	                " RETURNING id, rw_to_us(created_at)",
	                7, params, &res);
	if (rv)
		return store_rollback(st, rv);
	id = store_col_i64(res, 0, 0);
	at = store_col_i64(res, 0, 1);
	PQclear(res);
	rv = store_detail(st, &detail, "{s:I, s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)id,
	                  "release_id", (json_int_t)a->release_id, "kind", a->kind, "name",
	                  a->name, "sha256", a->sha256, "size", (json_int_t)a->size);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, "artifact.add", target, detail)) != 0)
		return rv;
	a->id = id;
	a->created_at = at;
	(void)RW_STRCPY(a->created_by, who->name);
	(void)RW_STRCPY(a->outcome, "none");
	return 0;
}

int
store_artifact_list(store_t *st, int64_t release_id, uint32_t limit, rw_artifact_t **out,
                    size_t *n)
{
	char rid[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[2] = {store_i64(rid, release_id), store_limit(lim, limit)};
	rw_release_t rel;
	int rv;

	if (!st || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	/* A named release must exist: "no such release" is not "no artifacts". */
	if (release_id > 0 && (rv = store_release_get(st, release_id, &rel)) != 0)
		return rv;
	return store_get_list(st,
	                      "SELECT " STORE_ARTIFACT_COLS " FROM artifacts a"
	                      " WHERE ($1::bigint = 0 OR a.release_id = $1::bigint)"
	                      " ORDER BY a.id LIMIT $2::bigint",
	                      2, params, sizeof(rw_artifact_t), store_artifact_row, (void **)out, n);
}

/*
 * Records the outcome of one verification pass: every artifact's outcome,
 * every re-hashed backup that failed, and one audit row, in one transaction.
 */
int
store_artifact_verified(store_t *st, const rw_actor_t *who, const rw_artifact_t *items,
                        size_t n, const rw_backup_t *bad_backups, size_t nbad)
{
	char id[STORE_I64_BUF], *detail = NULL;
	size_t ok = 0;
	int rv;

	if (!st || !store_actor_ok(who) || (n && !items) || (nbad && !bad_backups))
		return RW_EINVAL;
	if ((rv = store_begin(st)) != 0)
		return rv;
	for (size_t i = 0; i < n; i++) {
		const char *params[3] = {store_i64(id, items[i].id), items[i].outcome, who->name};
		ok += strcmp(items[i].outcome, "ok") == 0;
		rv = store_exec(st,
		                "UPDATE artifacts SET verify_outcome = $2, verified = ($2 = 'ok'),"
		                " verified_at = now(), verified_by = $3 WHERE id = $1::bigint",
		                3, params, NULL);
		if (rv)
			return store_rollback(st, rv);
	}
	for (size_t i = 0; i < nbad; i++) {
		const char *params[3] = {store_i64(id, bad_backups[i].id), who->name,
		                         bad_backups[i].result};
		rv = store_exec(st,
		                "UPDATE backups SET verify_outcome = 'failed', verified = false,"
		                " verified_at = now(), verified_by = $2, result = $3"
		                " WHERE id = $1::bigint",
		                3, params, NULL);
		if (rv)
			return store_rollback(st, rv);
	}
	rv = store_detail(st, &detail, "{s:I, s:I, s:I}", "artifacts", (json_int_t)n, "ok",
	                  (json_int_t)ok, "backups_failed", (json_int_t)nbad);
	if (rv)
		return store_rollback(st, rv);
	return store_audit_commit(st, who, "artifact.verify", "artifacts", detail);
}

/* ------------------------------------------------------------------------ */
/* Environment databases                                                      */

int
store_env_db_set(store_t *st, const rw_actor_t *who, rw_env_db_t *d, const char *redacted_url)
{
	char target[RW_IMAGE_MAX + 1], *detail = NULL, *sql = NULL;
	const char *params[4];
	json_t *arr;
	PGresult *res;
	int rv;

	if (!st || !store_actor_ok(who) || !d || !redacted_url || d->n_sanity > RW_SANITY_MAX)
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "env", d->env, "db")) != 0)
		return rv;
	if (!(arr = json_array()))
		return RW_ENOMEM;
	for (size_t i = 0; i < d->n_sanity; i++)
		json_array_append_new(arr, json_string(d->sanity[i]));
	sql = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (!sql)
		return RW_ENOMEM;
	params[0] = d->env;
	params[1] = d->db_url;
	params[2] = sql;
	params[3] = who->name;
	if ((rv = store_begin(st)) != 0) {
		free(sql);
		return rv;
	}
	rv = store_exec(st,
	                "INSERT INTO environment_databases (environment_id, db_url, sanity_sql,"
	                " updated_by) SELECT e.id, $2, $3::jsonb, $4 FROM environments e"
	                " WHERE e.name = $1"
	                " ON CONFLICT (environment_id) DO UPDATE SET db_url = EXCLUDED.db_url,"
	                " sanity_sql = EXCLUDED.sanity_sql, updated_by = EXCLUDED.updated_by,"
	                " updated_at = now() RETURNING rw_to_us(updated_at)",
	                4, params, &res);
	free(sql);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "no such environment");
		return store_rollback(st, RW_ENOTFOUND);
	}
	d->updated_at = store_col_i64(res, 0, 0);
	PQclear(res);
	/* The audit row names the database without its password. */
	rv = store_detail(st, &detail, "{s:s, s:I}", "db", redacted_url, "sanity_queries",
	                  (json_int_t)d->n_sanity);
	if (rv)
		return store_rollback(st, rv);
	return store_audit_commit(st, who, "env.set-db", target, detail);
}

static int
store_env_db_row(const PGresult *res, int row, void *dst)
{
	rw_env_db_t *d = dst;
	json_error_t jerr;
	json_t *arr, *v;
	size_t i;

	d->updated_at = store_col_i64(res, row, 3);
	if (STORE_COL_STR(d->env, res, row, 0) || STORE_COL_STR(d->db_url, res, row, 1))
		return RW_EINTERNAL;
	arr = json_loads(PQgetvalue(res, row, 2), 0, &jerr);
	if (!json_is_array(arr) || json_array_size(arr) > RW_SANITY_MAX) {
		json_decref(arr);
		return RW_EINTERNAL;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || RW_STRCPY(d->sanity[i], json_string_value(v)) != 0) {
			json_decref(arr);
			return RW_EINTERNAL;
		}
	}
	d->n_sanity = json_array_size(arr);
	json_decref(arr);
	return 0;
}

int
store_env_db_get(store_t *st, const char *env, rw_env_db_t *out)
{
	const char *params[1] = {env};

	if (!st || !env || !out)
		return RW_EINVAL;
	return store_get_one(st,
	                     "SELECT e.name, d.db_url, d.sanity_sql::text, rw_to_us(d.updated_at)"
	                     " FROM environment_databases d JOIN environments e"
	                     " ON e.id = d.environment_id WHERE e.name = $1",
	                     1, params, store_env_db_row, out);
}

/* ------------------------------------------------------------------------ */
/* Backups                                                                    */

#define STORE_BACKUP_COLS \
	"b.id, e.name, b.kind, b.location, b.sha256, b.size, rw_to_us(b.taken_at), b.taken_by," \
	" b.verify_outcome, b.verified, coalesce(rw_to_us(b.verified_at), 0), b.verified_by," \
	" b.result"
#define STORE_BACKUP_FROM " FROM backups b JOIN environments e ON e.id = b.environment_id"

static int
store_backup_row(const PGresult *res, int row, void *dst)
{
	rw_backup_t *b = dst;
	b->id = store_col_i64(res, row, 0);
	b->size = store_col_i64(res, row, 5);
	b->taken_at = store_col_i64(res, row, 6);
	b->verified = store_col_bool(res, row, 9);
	b->verified_at = store_col_i64(res, row, 10);
	if (STORE_COL_STR(b->env, res, row, 1) || STORE_COL_STR(b->kind, res, row, 2) ||
	    STORE_COL_STR(b->location, res, row, 3) || STORE_COL_STR(b->sha256, res, row, 4) ||
	    STORE_COL_STR(b->taken_by, res, row, 7) || STORE_COL_STR(b->outcome, res, row, 8) ||
	    STORE_COL_STR(b->verified_by, res, row, 11) || STORE_COL_STR(b->result, res, row, 12))
		return RW_EINTERNAL;
	return 0;
}

static bool
store_backup_terminated(const rw_backup_t *b)
{
	return STORE_TERMINATED(b->env) && STORE_TERMINATED(b->kind) &&
	       STORE_TERMINATED(b->location) && STORE_TERMINATED(b->sha256) &&
	       STORE_TERMINATED(b->result);
}

int
store_backup_add(store_t *st, const rw_actor_t *who, const char *action, rw_backup_t *b)
{
	char size[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	const char *params[8];
	bool verified;
	PGresult *res;
	int64_t id, at;
	int rv;

	if (!st || !store_actor_ok(who) || !action || !b || !store_backup_terminated(b))
		return RW_EINVAL;
	verified = strcmp(b->outcome, "ok") == 0;
	params[0] = b->env;
	params[1] = b->kind;
	params[2] = b->location;
	params[3] = b->sha256;
	params[4] = store_i64(size, b->size);
	params[5] = who->name;
	params[6] = verified ? "ok" : "none";
	params[7] = b->result;
	if ((rv = store_begin(st)) != 0)
		return rv;
	rv = store_exec(st,
	                "INSERT INTO backups (environment_id, kind, location, sha256, size, taken_by,"
	                " verify_outcome, verified, verified_at, verified_by, result)"
	                " SELECT e.id, $2, $3, $4, $5::bigint, $6, $7, $7 = 'ok',"
	                " CASE WHEN $7 = 'ok' THEN now() END, CASE WHEN $7 = 'ok' THEN $6 ELSE '' END,"
	                " $8 FROM environments e WHERE e.name = $1"
	                " RETURNING id, rw_to_us(taken_at)",
	                8, params, &res);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "no such environment");
		return store_rollback(st, RW_ENOTFOUND);
	}
	id = store_col_i64(res, 0, 0);
	at = store_col_i64(res, 0, 1);
	PQclear(res);
	snprintf(target, sizeof target, "backup/%s/%" PRId64, b->env, id);
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:I, s:b}", "id", (json_int_t)id,
	                  "kind", b->kind, "location", b->location, "sha256", b->sha256, "size",
	                  (json_int_t)b->size, "verified", verified);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, action, target, detail)) != 0)
		return rv;
	b->id = id;
	b->taken_at = at;
	(void)RW_STRCPY(b->taken_by, who->name);
	if (verified) {
		b->verified = true;
		b->verified_at = at;
		(void)RW_STRCPY(b->verified_by, who->name);
	}
	(void)RW_STRCPY(b->outcome, verified ? "ok" : "none");
	return 0;
}

int
store_backup_get(store_t *st, int64_t id, rw_backup_t *out)
{
	char idbuf[STORE_I64_BUF];
	const char *params[1] = {store_i64(idbuf, id)};

	if (!st || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_BACKUP_COLS STORE_BACKUP_FROM
	                     " WHERE b.id = $1::bigint",
	                     1, params, store_backup_row, out);
}

int
store_backup_list(store_t *st, const char *env, uint32_t limit, rw_backup_t **out, size_t *n)
{
	char lim[STORE_I64_BUF], eid[STORE_I64_BUF];
	const char *params[2];
	int64_t id = 0;
	int rv;

	if (!st || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	if (env && *env && (rv = store_env_id(st, env, &id)) != 0)
		return rv;
	params[0] = store_i64(eid, id);
	params[1] = store_limit(lim, limit);
	return store_get_list(st,
	                      "SELECT " STORE_BACKUP_COLS STORE_BACKUP_FROM
	                      " WHERE ($1::bigint = 0 OR b.environment_id = $1::bigint)"
	                      " ORDER BY b.taken_at DESC, b.id DESC LIMIT $2::bigint",
	                      2, params, sizeof(rw_backup_t), store_backup_row, (void **)out, n);
}

int
store_backup_verified(store_t *st, const rw_actor_t *who, rw_backup_t *b, bool ok,
                      const char *result)
{
	char idbuf[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	const char *params[4];
	PGresult *res;
	int rv;

	if (!st || !store_actor_ok(who) || !b || !result)
		return RW_EINVAL;
	params[0] = store_i64(idbuf, b->id);
	params[1] = ok ? "ok" : "failed";
	params[2] = who->name;
	params[3] = result;
	if ((rv = store_begin(st)) != 0)
		return rv;
	rv = store_exec(st,
	                "UPDATE backups SET verify_outcome = $2, verified = ($2 = 'ok'),"
	                " verified_at = now(), verified_by = $3, result = $4"
	                " WHERE id = $1::bigint RETURNING rw_to_us(verified_at)",
	                4, params, &res);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "no such backup");
		return store_rollback(st, RW_ENOTFOUND);
	}
	b->verified_at = store_col_i64(res, 0, 0);
	PQclear(res);
	snprintf(target, sizeof target, "backup/%s/%" PRId64, b->env, b->id);
	rv = store_detail(st, &detail, "{s:s, s:s}", "outcome", params[1], "result", result);
	if (rv)
		return store_rollback(st, rv);
	if ((rv = store_audit_commit(st, who, "backup.verify", target, detail)) != 0)
		return rv;
	b->verified = ok;
	(void)RW_STRCPY(b->outcome, ok ? "ok" : "failed");
	(void)RW_STRCPY(b->verified_by, who->name);
	(void)RW_STRCPY(b->result, result);
	return 0;
}
