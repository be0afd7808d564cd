/*
 * wire_audit — the audit family: AuditQuery (one audit question) and
 * AuditTable (its answer, a typed result table).  A table and the hooks of
 * the result table; answering the question is server/store's business, not
 * this file's.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

#define QUERY_T rw_auditq_t, Rewind__V1__AuditQuery
WIRE_DEFINE(query, NULL, rewind__v1__audit_query, QUERY_T,
	WIRE_ENUM_AS(QUERY_T, kind, what, rw_auditq_parse, rw_auditq_name), WIRE_NUM(QUERY_T, release_id), WIRE_NUM(QUERY_T, at), WIRE_NUM(QUERY_T, since),
	WIRE_NUM(QUERY_T, until), WIRE_NUM(QUERY_T, limit), WIRE_STR(QUERY_T, env, "env"),
	WIRE_STR(QUERY_T, service, "service"), WIRE_STR(QUERY_T, actor, "actor"),
	WIRE_STR_AS(QUERY_T, action_kind, kind, "kind"), WIRE_STR(QUERY_T, version, "version"));

/* The table's cells are checked and copied by rw_table_add(), not by a field table. */
static int
dec_table(struct dec *d, const void *pb, void *dom)
{
	const Rewind__V1__AuditTable *p = pb;
	rw_table_t *t = dom;
	char types[RW_TABLE_COLS_MAX + 1];
	const char *names[RW_TABLE_COLS_MAX];
	int rv;

	if (p->n_columns == 0 || p->n_columns > RW_TABLE_COLS_MAX)
		return wire_dec_fail(d, RW_EPROTO, "columns", "none or too many");
	if (p->n_rows > RW_TABLE_ROWS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "rows", "too many");
	for (size_t i = 0; i < p->n_columns; i++) {
		const char *ty = p->columns[i]->type;
		if (!ty || strlen(ty) != 1)
			return wire_dec_fail(d, RW_EPROTO, "columns", "bad type");
		types[i] = ty[0];
		names[i] = p->columns[i]->name;
	}
	types[p->n_columns] = '\0';
	if ((rv = rw_table_init(t, types, names)) != 0)
		return wire_dec_fail(d, rv, "columns", "bad type or name");
	for (size_t r = 0; r < p->n_rows; r++) {
		if (p->rows[r]->n_cells != p->n_columns)
			return wire_dec_fail(d, RW_EPROTO, "rows", "cell count differs from columns");
		if ((rv = rw_table_add(t, (const char *const *)p->rows[r]->cells)) != 0)
			return wire_dec_fail(d, rv, "rows", "cell too long");
	}
	return 0;
}

/* Columns and rows point at the table's own names and cells for the pack. */
static int
enc_table(struct wire_arena *a, void *pb, const void *dom)
{
	Rewind__V1__AuditTable *pt = pb;
	const rw_table_t *t = dom;
	Rewind__V1__AuditColumn *cols, **colp;
	Rewind__V1__AuditRow *rows, **rowp;
	char *types;

	if (t->ncols == 0)
		return RW_EINVAL;
	cols = wire_arena_alloc(a, t->ncols, sizeof(*cols));
	colp = wire_arena_alloc(a, t->ncols, sizeof(*colp));
	types = wire_arena_alloc(a, t->ncols, 2);
	rows = wire_arena_alloc(a, t->nrows, sizeof(*rows));
	rowp = wire_arena_alloc(a, t->nrows, sizeof(*rowp));
	if (!cols || !colp || !types || !rows || !rowp)
		return RW_ENOMEM;
	for (size_t i = 0; i < t->ncols; i++) {
		rewind__v1__audit_column__init(&cols[i]);
		cols[i].name = S(t->cols[i]);
		types[2 * i] = t->types[i];
		cols[i].type = &types[2 * i];
		colp[i] = &cols[i];
	}
	for (size_t r = 0; r < t->nrows; r++) {
		rewind__v1__audit_row__init(&rows[r]);
		rows[r].n_cells = t->ncols;
		rows[r].cells = &t->cells[r * t->ncols];
		rowp[r] = &rows[r];
	}
	pt->n_columns = t->ncols;
	pt->columns = colp;
	pt->n_rows = t->nrows;
	pt->rows = rowp;
	return 0;
}

static void
free_table(void *dom)
{
	rw_table_free(dom);
}

static const struct wire_item table = {
	.pb = &rewind__v1__audit_table__descriptor,
	.dec_rest = dec_table,
	.enc_rest = enc_table,
	.free = free_table,
};

static int
validate(struct dec *d, const wire_msg_t *m)
{
	if (m->kind != WIRE_AUDIT_QUERY)
		return 0;
	return rw_auditq_check(&m->u.aquery, d->msg, d->msgsz);
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FORM_AT(WIRE_AUDIT_QUERY, &query, u.aquery),
	WIRE_FORM_AT(WIRE_AUDIT_TABLE, &table, u.table),
};

const struct wire_family wire_audit =
	WIRE_FAMILY("audit", WIRE_AUDIT_QUERY, WIRE_AUDIT_TABLE, forms, validate);
