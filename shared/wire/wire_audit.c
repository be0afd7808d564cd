/*
 * wire_audit — the audit half of the wire module: AuditQuery (one audit
 * question) and AuditTable (its answer, a typed result table).  Same rules
 * as wire.c: bounded copies into domain structs, counts capped, requests
 * validated; protobuf-c structs never leave this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire_int.h"

/* ---------------------------------------------------------------------- */
/* decoding                                                               */

static int
dec_query(struct dec *d, const Rewind__V1__AuditQuery *p, rw_auditq_t *q)
{
	int rv;
	q->kind = rw_auditq_parse(p->what);
	q->release_id = p->release_id;
	q->at = p->at;
	q->since = p->since;
	q->until = p->until;
	q->limit = p->limit;
	if ((rv = DEC_STR(d, q->env, p->env, "env")) ||
	    (rv = DEC_STR(d, q->service, p->service, "service")) ||
	    (rv = DEC_STR(d, q->actor, p->actor, "actor")) ||
	    (rv = DEC_STR(d, q->action_kind, p->kind, "kind")) ||
	    (rv = DEC_STR(d, q->version, p->version, "version")))
		return rv;
	return 0;
}

static int
dec_table(struct dec *d, const Rewind__V1__AuditTable *p, rw_table_t *t)
{
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

int
wire_dec_audit(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_AUDIT_QUERY:
		return dec_query(d, e->audit_query, &m->u.aquery);
	case WIRE_AUDIT_TABLE:
		return dec_table(d, e->audit_table, &m->u.table);
	default:
		return wire_dec_fail(d, RW_EPROTO, NULL, "unknown message type");
	}
}

int
wire_validate_audit(struct dec *d, wire_msg_t *m)
{
	if (m->kind != WIRE_AUDIT_QUERY)
		return 0;
	return rw_auditq_check(&m->u.aquery, d->msg, d->msgsz);
}

void
wire_free_audit(wire_msg_t *m)
{
	if (m->kind == WIRE_AUDIT_TABLE)
		rw_table_free(&m->u.table);
}

/* ---------------------------------------------------------------------- */
/* encoding                                                               */

#define S(s) ((char *)(s))

static int
enc_table(struct enc_audit *x, const rw_table_t *t, pb_env_t *e)
{
	Rewind__V1__AuditTable *pt;
	Rewind__V1__AuditColumn *cols, **colp;
	Rewind__V1__AuditRow *rows, **rowp;

	if (t->ncols == 0)
		return RW_EINVAL;
	pt = calloc(1, sizeof(*pt));
	cols = calloc(t->ncols, sizeof(*cols));
	colp = calloc(t->ncols, sizeof(*colp));
	rows = calloc(t->nrows ? t->nrows : 1, sizeof(*rows));
	rowp = calloc(t->nrows ? t->nrows : 1, sizeof(*rowp));
	x->cols = cols;
	x->colptrs = colp;
	x->rows = rows;
	x->rowptrs = rowp;
	x->table = pt;
	if (!pt || !cols || !colp || !rows || !rowp)
		return RW_ENOMEM;
	rewind__v1__audit_table__init(pt);
	for (size_t i = 0; i < t->ncols; i++) {
		rewind__v1__audit_column__init(&cols[i]);
		cols[i].name = S(t->cols[i]);
		x->types[i][0] = t->types[i];
		x->types[i][1] = '\0';
		cols[i].type = x->types[i];
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
	e->audit_table = pt;
	return 0;
}

static int
enc_query(struct enc_audit *x, const rw_auditq_t *q, pb_env_t *e)
{
	Rewind__V1__AuditQuery *p = calloc(1, sizeof(*p));
	x->query = p;
	if (!p)
		return RW_ENOMEM;
	rewind__v1__audit_query__init(p);
	p->what = S(rw_auditq_name(q->kind));
	p->env = S(q->env);
	p->service = S(q->service);
	p->actor = S(q->actor);
	p->kind = S(q->action_kind);
	p->version = S(q->version);
	p->release_id = q->release_id;
	p->at = q->at;
	p->since = q->since;
	p->until = q->until;
	p->limit = q->limit;
	e->audit_query = p;
	return 0;
}

int
wire_enc_audit(struct enc_audit *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_AUDIT_QUERY:
		return enc_query(x, &m->u.aquery, e);
	case WIRE_AUDIT_TABLE:
		return enc_table(x, &m->u.table, e);
	default:
		return RW_EINVAL;
	}
}

void
wire_enc_audit_free(struct enc_audit *x)
{
	free(x->cols);
	free(x->colptrs);
	free(x->rows);
	free(x->rowptrs);
	free(x->table);
	free(x->query);
	memset(x, 0, sizeof(*x));
}
