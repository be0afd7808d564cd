/*
 * auditq — audit query names and checks, and the result table (auditq.h).
 */
#include "auditq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char *const names[] = {
	[RW_AUDITQ_NONE] = "none",          [RW_AUDITQ_WHAT_RAN] = "what-ran",
	[RW_AUDITQ_ROLLBACKS] = "rollbacks", [RW_AUDITQ_LOG] = "log",
	[RW_AUDITQ_RELEASE] = "release",    [RW_AUDITQ_DORA] = "dora",
	[RW_AUDITQ_TIMELINE] = "timeline",  [RW_AUDITQ_VERIFY] = "verify",
	[RW_AUDITQ_SIGN] = "sign",
};

const char *
rw_auditq_name(enum rw_auditq_kind k)
{
	if ((unsigned)k > RW_AUDITQ_KIND_MAX)
		return "none";
	return names[k];
}

enum rw_auditq_kind
rw_auditq_parse(const char *name)
{
	for (int k = 1; name && k <= RW_AUDITQ_KIND_MAX; k++)
		if (strcmp(names[k], name) == 0)
			return (enum rw_auditq_kind)k;
	return RW_AUDITQ_NONE;
}

static int
check_name_opt(const char *field, const char *v, char *msg, size_t msgsz)
{
	return v[0] ? rw_check_name(field, v, msg, msgsz) : 0;
}

int
rw_auditq_check(const rw_auditq_t *q, char *msg, size_t msgsz)
{
	int rv;

	if (q->kind == RW_AUDITQ_NONE || (unsigned)q->kind > RW_AUDITQ_KIND_MAX)
		return rw_fail(RW_EINVAL, msg, msgsz, "query: unknown audit query");
	if ((rv = check_name_opt("env", q->env, msg, msgsz)) ||
	    (rv = check_name_opt("service", q->service, msg, msgsz)))
		return rv;
	if (q->since && q->until && q->since > q->until)
		return rw_fail(RW_EINVAL, msg, msgsz, "since: after until");
	if (q->limit > RW_TABLE_ROWS_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "limit: at most 20000");
	switch (q->kind) {
	case RW_AUDITQ_WHAT_RAN:
		if (!q->env[0])
			return rw_fail(RW_EINVAL, msg, msgsz, "env: required");
		if (q->at <= 0)
			return rw_fail(RW_EINVAL, msg, msgsz, "at: required");
		return 0;
	case RW_AUDITQ_DORA:
	case RW_AUDITQ_TIMELINE:
		return q->env[0] ? 0 : rw_fail(RW_EINVAL, msg, msgsz, "env: required");
	case RW_AUDITQ_RELEASE:
		if (q->release_id > 0 || (q->service[0] && q->version[0]))
			return 0;
		return rw_fail(RW_EINVAL, msg, msgsz, "release: give an id, or service and version");
	default:
		return 0;
	}
}

int
rw_table_init(rw_table_t *t, const char *types, const char *const *cols)
{
	size_t n = types ? strlen(types) : 0;

	memset(t, 0, sizeof(*t));
	if (n == 0 || n > RW_TABLE_COLS_MAX || strspn(types, "tinTb") != n)
		return RW_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (rw_strcpy(t->cols[i], sizeof(t->cols[i]), cols[i]) != 0)
			return RW_ETOOBIG;
	memcpy(t->types, types, n + 1);
	t->ncols = n;
	return 0;
}

int
rw_table_add(rw_table_t *t, const char *const *cells)
{
	size_t base;

	if (t->ncols == 0)
		return RW_EINVAL;
	if (t->nrows >= RW_TABLE_ROWS_MAX)
		return RW_ETOOBIG;
	for (size_t i = 0; i < t->ncols; i++)
		if (cells[i] && strlen(cells[i]) > RW_CELL_MAX)
			return RW_ETOOBIG;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **grown = realloc(t->cells, ncap * t->ncols * sizeof(*grown));
		if (!grown)
			return RW_ENOMEM;
		t->cells = grown;
		t->cap = ncap;
	}
	base = t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] ? cells[i] : "");
		if (!t->cells[base + i]) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return RW_ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

const char *
rw_table_cell(const rw_table_t *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= t->ncols)
		return "";
	return t->cells[row * t->ncols + col];
}

void
rw_table_free(rw_table_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void
rw_table_move(rw_table_t *dst, rw_table_t *src)
{
	*dst = *src;
	memset(src, 0, sizeof(*src));
}
