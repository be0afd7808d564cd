/*
 * store_sql — the statement, transaction, parameter and row helpers every
 * file of the store uses (store_sql.h), and the audited change: a change and
 * its audit_log row in one transaction.
 *
 * What it does: runs parameterised statements (PQexecParams, never text
 * built from user data), maps SQLSTATEs onto rw_err codes, nests
 * transactions as savepoints, decodes columns into fixed-size buffers.
 *
 * What it does not do: own a table or know an aggregate's SQL (beyond the
 * audit_log INSERT and the id-by-name lookups), retry, or log (callers log
 * store_errmsg()).  PGresult never leaves server/store/.
 */
#include "store_sql.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"

/* The type oid of boolean (pg_type.dat; libpq does not export the catalog's constants). */
#define STORE_BOOLOID 16

const rw_actor_t store_self = {"rewindd", RW_ROLE_NONE};

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

int
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
/* Statements and transactions                                                */

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
store_end(store_t *st, int rv)
{
	if (rv || (rv = store_commit(st)) != 0)
		return store_rollback(st, rv);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                                 */

const char *
store_i64(char buf[STORE_I64_BUF], int64_t v)
{
	snprintf(buf, STORE_I64_BUF, "%" PRId64, v);
	return buf;
}

const char *
store_limit(char buf[STORE_I64_BUF], uint32_t limit)
{
	if (limit == 0 || limit > RW_LIST_MAX)
		limit = RW_LIST_MAX;
	return store_i64(buf, (int64_t)limit);
}

bool
store_actor_ok(const rw_actor_t *who)
{
	return who && STORE_TERMINATED(who->name) && who->name[0];
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

int
store_col_str(char *dst, size_t cap, const PGresult *res, int row, int col)
{
	return rw_strcpy(dst, cap, PQgetvalue(res, row, col)) ? RW_EINTERNAL : 0;
}

int
store_scan(const PGresult *res, int row, const char *fmt, ...)
{
	va_list ap;
	int rv = 0;

	va_start(ap, fmt);
	for (int col = 0; fmt[col]; col++) {
		switch (fmt[col]) {
		case 'l':
			*va_arg(ap, int64_t *) = store_col_i64(res, row, col);
			break;
		case 'i':
			*va_arg(ap, int32_t *) = (int32_t)store_col_i64(res, row, col);
			break;
		case 'u':
			*va_arg(ap, uint32_t *) = (uint32_t)store_col_i64(res, row, col);
			break;
		case 'n':
			*va_arg(ap, int *) = (int)store_col_i64(res, row, col);
			break;
		case 'b':
			*va_arg(ap, bool *) = store_col_bool(res, row, col);
			break;
		case 's': {
			char *dst = va_arg(ap, char *);
			size_t cap = va_arg(ap, size_t);
			if (store_col_str(dst, cap, res, row, col))
				rv = RW_EINTERNAL;
			break;
		}
		default:
			break;
		}
	}
	va_end(ap);
	return rv;
}

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

int
store_get_by_id(store_t *st, const char *sql, int64_t id, store_row_fn fill, void *dst)
{
	char idbuf[STORE_I64_BUF];
	const char *params[1] = {store_i64(idbuf, id)};

	if (!st || !dst)
		return RW_EINVAL;
	return store_get_one(st, sql, 1, params, fill, dst);
}

int
store_get_by_name(store_t *st, const char *sql, const char *name, store_row_fn fill, void *dst)
{
	const char *params[1] = {name};

	if (!st || !name || !dst)
		return RW_EINVAL;
	return store_get_one(st, sql, 1, params, fill, dst);
}

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

int
store_list_all(store_t *st, const char *sql, size_t elsz, store_row_fn fill, void **out,
               size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *params[1] = {store_limit(lim, 0)};

	if (!st || !out || !n)
		return RW_EINVAL;
	return store_get_list(st, sql, 1, params, elsz, fill, out, n);
}

int
store_list_by_name(store_t *st, const char *sql, const char *name, uint32_t limit, size_t elsz,
                   store_row_fn fill, void **out, size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *params[2] = {name ? name : "", store_limit(lim, limit)};
	return store_get_list(st, sql, 2, params, elsz, fill, out, n);
}

int
store_list_by_id(store_t *st, const char *sql, int64_t id, uint32_t limit, size_t elsz,
                 store_row_fn fill, void **out, size_t *n)
{
	char idbuf[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[2] = {store_i64(idbuf, id), store_limit(lim, limit)};
	return store_get_list(st, sql, 2, params, elsz, fill, out, n);
}

int
store_get_i64(store_t *st, const char *sql, int nparams, const char *const *params,
              int64_t *v, bool *found)
{
	PGresult *res;
	int rv = store_exec(st, sql, nparams, params, &res);

	if (rv)
		return rv;
	if (PQntuples(res) == 0)
		*v = 0;
	else if (PQftype(res, 0) == STORE_BOOLOID)
		*v = store_col_bool(res, 0, 0);
	else
		*v = store_col_i64(res, 0, 0);
	if (found)
		*found = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* Looks up the id of a row by unique name: "SELECT id FROM <t> WHERE name = $1". */
static int
store_id_by_name(store_t *st, const char *sql, const char *name, int64_t *id)
{
	const char *params[1] = {name};
	int64_t v;
	bool found;
	int rv = store_get_i64(st, sql, 1, params, &v, &found);

	if (rv)
		return rv;
	if (!found) {
		store_set_err(st, "not found");
		return RW_ENOTFOUND;
	}
	*id = v;
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

int
store_begin_with(store_t *st, const char *sql, int nparams, const char *const *params,
                 int64_t *v, bool *found)
{
	int rv;

	if ((rv = store_begin(st)) != 0)
		return rv;
	if ((rv = store_get_i64(st, sql, nparams, params, v, found)) != 0)
		return store_rollback(st, rv);
	return 0;
}

int
store_list_named(store_t *st, int (*lookup)(store_t *, const char *, int64_t *),
                 const char *name, const char *sql, uint32_t limit, size_t elsz,
                 store_row_fn fill, void **out, size_t *n)
{
	int64_t id = 0;
	int rv;

	*out = NULL;
	*n = 0;
	if (name && *name && (rv = lookup(st, name, &id)) != 0)
		return rv;
	return store_list_by_id(st, sql, id, limit, elsz, fill, out, n);
}

int
store_json_str(char *dst, size_t cap, const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return rw_strcpy(dst, cap, v ? v : "") ? RW_EINTERNAL : 0;
}

/* ------------------------------------------------------------------------ */
/* Audit rows and audited changes                                             */

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

int
store_change_begin(store_t *st, const char *sql, int nparams, const char *const *params,
                   const char *missing, int64_t ret[2])
{
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)) != 0)
		return rv;
	if ((rv = store_exec(st, sql, nparams, params, &res)) != 0)
		return store_rollback(st, rv);
	if (PQntuples(res) == 0) {
		PQclear(res);
		store_set_err(st, "%s", missing ? missing : "no such row");
		return store_rollback(st, RW_ENOTFOUND);
	}
	for (int c = 0; c < 2; c++)
		ret[c] = c < PQnfields(res) ? store_col_i64(res, 0, c) : 0;
	PQclear(res);
	return 0;
}

int
store_change_end(store_t *st, int rv, const rw_actor_t *who, const char *action,
                 const char *target, char *detail, const char *reason)
{
	if (rv == 0)
		rv = store_audit_insert(st, who, action, target, detail, reason);
	free(detail);
	return store_end(st, rv);
}
