/*
 * store_int — internals shared by the files of the store module (store.c:
 * connection, migrations, releases, audit; store_agents.c: agent state and
 * the action queue).  libpq types appear here; nothing outside server/store*.c
 * may include this header.
 */
#ifndef REWIND_STORE_INT_H
#define REWIND_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

/* Text of an int64 parameter, "-9223372036854775808" plus NUL. */
#define STORE_I64_BUF 24

struct store {
	PGconn *conn;
	char err[512];
	int depth;      /* open store_begin()s: 1 a transaction, more its savepoints */
};

/* Fills one list element from row `row` of a result. */
typedef int (*store_row_fn)(const PGresult *res, int row, void *dst);


#define STORE_COL_STR(dst, res, row, col) store_col_str((dst), sizeof(dst), (res), (row), (col))
/* A fixed buffer holds a C string (a struct not NUL-terminated is a caller bug). */
#define STORE_TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

void store_set_err(store_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int store_exec(store_t *st, const char *sql, int nparams, const char *const *params, PGresult **out);
int store_begin(store_t *st);
int store_commit(store_t *st);
int store_rollback(store_t *st, int rv);
const char *store_i64(char buf[STORE_I64_BUF], int64_t v);
const char *store_limit(char buf[STORE_I64_BUF], uint32_t limit);
int64_t store_col_i64(const PGresult *res, int row, int col);
bool store_col_bool(const PGresult *res, int row, int col);
int store_col_str(char *dst, size_t cap, const PGresult *res, int row, int col);
int store_get_one(store_t *st, const char *sql, int nparams, const char *const *params,
                  store_row_fn fill, void *dst);
int store_get_list(store_t *st, const char *sql, int nparams, const char *const *params,
                   size_t elsz, store_row_fn fill, void **out, size_t *n);
int store_detail(store_t *st, char **out, const char *fmt, ...);
int store_target(store_t *st, char *dst, size_t cap, const char *kind, const char *a,
                 const char *b);
int store_audit_insert(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                       const char *detail_json, const char *reason);
int store_audit_commit(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                       char *detail);
bool store_actor_ok(const rw_actor_t *who);
int store_env_id(store_t *st, const char *name, int64_t *id);

/* A release row: STORE_RELEASE_COLS (aliases r = releases, s = services), in this order. */
#define STORE_RELEASE_COLS \
	"r.id, s.name, r.version, r.image_ref, r.digest, r.source_commit, r.notes, " \
	"r.created_by, rw_to_us(r.created_at), r.migrations_compat"
/* Fills an rw_release_t from the STORE_RELEASE_COLS at the start of a row. */
int store_release_row(const PGresult *res, int row, void *dst);
int store_service_id(store_t *st, const char *name, int64_t *id);

#endif
