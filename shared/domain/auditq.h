/*
 * auditq — audit queries as domain values: what an auditor asks (what ran,
 * rollbacks, the log, a release's life, DORA metrics, the timeline, chain
 * verification and signing) and the answer, a small typed result table.
 *
 * Auditors' answers are relational by nature and the same answers must come
 * out of rewindctl and out of auditors' own SQL tools (docs/audit.md), so the
 * reply is a table whose columns are the columns of the read-only views,
 * with a type per column so consoles can print times and numbers properly.
 * This module knows nothing of protobuf, SQL or output formats.
 */
#ifndef REWIND_AUDITQ_H
#define REWIND_AUDITQ_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define RW_TABLE_COLS_MAX 16
#define RW_TABLE_ROWS_MAX 20000     /* most rows one answer carries */
#define RW_CELL_MAX 4096            /* one cell's text, bytes */

enum rw_auditq_kind {
	RW_AUDITQ_NONE = 0,
	RW_AUDITQ_WHAT_RAN,     /* env, at */
	RW_AUDITQ_ROLLBACKS,    /* [since, until, service, env] */
	RW_AUDITQ_LOG,          /* [actor, service, kind, since, until, limit] */
	RW_AUDITQ_RELEASE,      /* release_id, or service + version */
	RW_AUDITQ_DORA,         /* env, [since, until] */
	RW_AUDITQ_TIMELINE,     /* env, [since, until] */
	RW_AUDITQ_VERIFY,
	RW_AUDITQ_SIGN,
	RW_AUDITQ_KIND_MAX = RW_AUDITQ_SIGN,
};

typedef struct rw_auditq {
	enum rw_auditq_kind kind;
	char env[RW_NAME_MAX + 1];
	char service[RW_NAME_MAX + 1];
	char actor[RW_ACTOR_MAX + 1];
	char action_kind[RW_NAME_MAX + 1];  /* audit action, or its first word ("rollback") */
	char version[RW_VERSION_MAX + 1];
	int64_t release_id;
	int64_t at;                          /* unix us */
	int64_t since;                       /* 0: no bound */
	int64_t until;                       /* 0: no bound (now) */
	uint32_t limit;                      /* 0: RW_LIST_MAX */
} rw_auditq_t;

const char *rw_auditq_name(enum rw_auditq_kind k);
/* RW_AUDITQ_NONE for an unknown name. */
enum rw_auditq_kind rw_auditq_parse(const char *name);
/* Checks the parameters a kind needs; human reason in msg. */
int rw_auditq_check(const rw_auditq_t *q, char *msg, size_t msgsz);

/*
 * Column types: 't' text, 'i' integer, 'n' decimal number, 'T' time (unix
 * microseconds as decimal text; '' for none), 'b' boolean ("t"/"f").
 */
typedef struct rw_table {
	size_t ncols;
	char cols[RW_TABLE_COLS_MAX][RW_NAME_MAX + 1];
	char types[RW_TABLE_COLS_MAX + 1];
	size_t nrows;
	size_t cap;
	char **cells;                        /* nrows * ncols, each malloc'd; owned */
} rw_table_t;

/* names has strlen(types) entries.  RW_EINVAL for an unknown type or too many columns. */
int rw_table_init(rw_table_t *t, const char *types, const char *const *names);
/* Copies ncols cells (NULL stored as ""); RW_ETOOBIG past RW_TABLE_ROWS_MAX or RW_CELL_MAX. */
int rw_table_add(rw_table_t *t, const char *const *cells);
const char *rw_table_cell(const rw_table_t *t, size_t row, size_t col);
/* Frees the cells; the table is empty (no columns) afterwards. */
void rw_table_free(rw_table_t *t);
/* Moves src into dst (dst must be empty or freed). */
void rw_table_move(rw_table_t *dst, rw_table_t *src);

#endif
