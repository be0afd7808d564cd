/*
 * store_sql — what the files of the store share (internal: nothing outside
 * server/store/ may include this header).  The connection struct, running a
 * statement and mapping its error onto rw_err, nested transactions, text
 * parameters, decoding rows into structs, audit targets and details, the
 * audit row every change writes, and the audited change itself
 * (store_change_begin/end).
 *
 * It owns no table and knows no aggregate: the aggregates (store_catalog.c,
 * store_coord.c, ...) call in here, never the other way round.  libpq types
 * appear here; they never leave server/store/.
 *
 * It does not include store.h (store.c includes this header: the typedef is
 * repeated instead, which C11 allows).
 */
#ifndef REWIND_STORE_SQL_H
#define REWIND_STORE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libpq-fe.h>

#include "domain.h"

typedef struct store store_t;
struct json_t;

/* Text of an int64 parameter, "-9223372036854775808" plus NUL. */
#define STORE_I64_BUF 24

struct store {
	PGconn *conn;
	char err[512];
	int depth;      /* open store_begin()s: 1 a transaction, more its savepoints */
};

/* The actor of what rewindd does on its own (expiries, take-overs, observation). */
extern const rw_actor_t store_self;

/* --- errors and statements ----------------------------------------------- */

void store_set_err(store_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the error of a failed result (NULL: the connection's) and returns its rw_err. */
int store_result_err(store_t *st, const PGresult *res);
/*
 * Runs one parameterised statement (text parameters, text results).  On
 * success *out (if not NULL) receives the result, to PQclear(); on failure
 * nothing is returned and st->err says why.
 */
int store_exec(store_t *st, const char *sql, int nparams, const char *const *params,
               PGresult **out);

/*
 * Transactions nest: an inner store_begin() is a savepoint, so a caller can
 * wrap several store calls (each with its own begin/commit) into one
 * transaction that commits or rolls back as a whole.  store_commit() leaves
 * the level open on failure (the caller's store_rollback() closes it);
 * store_rollback() closes the innermost level and returns rv.
 */
int store_begin(store_t *st);
/*
 * store_begin(), then the transaction's first statement as store_get_i64()
 * runs it (v, found); when that fails the transaction is rolled back.
 */
int store_begin_with(store_t *st, const char *sql, int nparams, const char *const *params,
                     int64_t *v, bool *found);
int store_commit(store_t *st);
int store_rollback(store_t *st, int rv);
/* Ends the innermost level: commits, or rolls back when rv (an earlier failure) or commit fails. */
int store_end(store_t *st, int rv);

/* --- parameters ------------------------------------------------------------ */

const char *store_i64(char buf[STORE_I64_BUF], int64_t v);
/* limit 0 means the most allowed (RW_LIST_MAX); larger values are clamped to it. */
const char *store_limit(char buf[STORE_I64_BUF], uint32_t limit);
/* A fixed buffer holds a C string (a struct not NUL-terminated is a caller bug). */
#define STORE_TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)
bool store_actor_ok(const rw_actor_t *who);

/* --- rows ------------------------------------------------------------------ */

/* Fills one list element from row `row` of a result. */
typedef int (*store_row_fn)(const PGresult *res, int row, void *dst);

int64_t store_col_i64(const PGresult *res, int row, int col);
bool store_col_bool(const PGresult *res, int row, int col);
/* The schema bounds every column to its buffer; a miss is a schema bug (RW_EINTERNAL). */
int store_col_str(char *dst, size_t cap, const PGresult *res, int row, int col);
#define STORE_COL_STR(dst, res, row, col) store_col_str((dst), sizeof(dst), (res), (row), (col))

/*
 * Decodes the columns of a row in order, one format letter a column, into
 * the pointers that follow (like scanf): 'l' int64_t *, 'i' int32_t *,
 * 'u' uint32_t *, 'n' int *, 'b' bool *, 's' char * then its size_t
 * capacity (STORE_BUF(field) passes both), '.' a column the caller reads
 * itself.  Every column is decoded; RW_EINTERNAL when a text did not fit.
 */
int store_scan(const PGresult *res, int row, const char *fmt, ...);
#define STORE_BUF(field) (field), sizeof(field)

/* A query of at most one row into *dst; RW_ENOTFOUND for none. */
int store_get_one(store_t *st, const char *sql, int nparams, const char *const *params,
                  store_row_fn fill, void *dst);
/* store_get_one() of a query whose one parameter is $1::bigint id (RW_EINVAL: no st or dst). */
int store_get_by_id(store_t *st, const char *sql, int64_t id, store_row_fn fill, void *dst);
/* store_get_one() of a query whose one parameter is $1 name (RW_EINVAL: no st, name or dst). */
int store_get_by_name(store_t *st, const char *sql, const char *name, store_row_fn fill,
                      void *dst);
/* A query into a malloc'd array (owned by the caller, NULL when empty) of *n elements of elsz. */
int store_get_list(store_t *st, const char *sql, int nparams, const char *const *params,
                   size_t elsz, store_row_fn fill, void **out, size_t *n);
/* store_get_list() of a query whose one parameter is $1::bigint RW_LIST_MAX (RW_EINVAL: NULLs). */
int store_list_all(store_t *st, const char *sql, size_t elsz, store_row_fn fill, void **out,
                   size_t *n);
/* store_get_list() of a query with $1::bigint id (0: all) and $2::bigint store_limit(limit). */
int store_list_by_id(store_t *st, const char *sql, int64_t id, uint32_t limit, size_t elsz,
                     store_row_fn fill, void **out, size_t *n);
/*
 * A query for one number: *v is the first column of the first row (a
 * boolean reads as 1 or 0), 0 when there is none; *found (may be NULL)
 * says whether there was a row.
 */
int store_get_i64(store_t *st, const char *sql, int nparams, const char *const *params,
                  int64_t *v, bool *found);
/* Ids by unique name; RW_ENOTFOUND for an unknown one. */
int store_env_id(store_t *st, const char *name, int64_t *id);
int store_service_id(store_t *st, const char *name, int64_t *id);
/* store_get_list() of a query with $1 name (NULL: '') and $2::bigint store_limit(limit). */
int store_list_by_name(store_t *st, const char *sql, const char *name, uint32_t limit,
                       size_t elsz, store_row_fn fill, void **out, size_t *n);
/*
 * store_list_by_id() with the id of name looked up by lookup (store_env_id,
 * store_service_id): an unknown name is RW_ENOTFOUND, not an empty list;
 * NULL or "" lists all (id 0).
 */
int store_list_named(store_t *st, int (*lookup)(store_t *, const char *, int64_t *),
                     const char *name, const char *sql, uint32_t limit, size_t elsz,
                     store_row_fn fill, void **out, size_t *n);

/* The string member key of JSON object o ("" when missing) into dst; RW_EINTERNAL: too long. */
int store_json_str(char *dst, size_t cap, const struct json_t *o, const char *key);
#define STORE_JSON_STR(dst, o, key) store_json_str((dst), sizeof(dst), (o), (key))

/* --- audit rows and audited changes ------------------------------------------ */

/* Builds a compact JSON object (keys sorted) from a jansson pack format; *out to free(). */
int store_detail(store_t *st, char **out, const char *fmt, ...);
/* "<kind>/<a>" or "<kind>/<a>/<b>" into an audit target (RW_ETOOBIG when it does not fit). */
int store_target(store_t *st, char *dst, size_t cap, const char *kind, const char *a,
                 const char *b);
/* One audit_log row; detail_json and reason may be NULL. */
int store_audit_insert(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                       const char *detail_json, const char *reason);

/*
 * A change and its audit row, in one transaction: store_change_begin()
 * opens it and runs its statement (an INSERT or UPDATE ... RETURNING); the
 * caller adds what else belongs to the change; store_change_end() writes
 * the audit row and commits.
 *
 * begin: the first (at most two) columns of the returned row land in ret.
 * No row is RW_ENOTFOUND with the text `missing` (the statement resolved a
 * name that does not exist).  On failure the transaction is rolled back.
 */
int store_change_begin(store_t *st, const char *sql, int nparams, const char *const *params,
                       const char *missing, int64_t ret[2]);
/*
 * end: rv is what the caller's own steps returned since begin; unless it
 * is an error, appends the audit row (detail, malloc'd or NULL, is freed
 * here; reason may be NULL) and commits.  Any failure rolls the change back
 * and is returned.
 */
int store_change_end(store_t *st, int rv, const rw_actor_t *who, const char *action,
                     const char *target, char *detail, const char *reason);

#endif
