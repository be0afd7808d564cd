/*
 * api_audit — reading the audit trail: the audit log (AUDIT_LOG), the
 * auditors' queries answered as tables (what ran, rollbacks, a release's
 * life, DORA metrics, the timeline; store_auditq) and signing and
 * verifying the ledger's hash chain with the server's notary key
 * (notary.c).  Signing needs a write role although AUDIT_QUERY itself only
 * needs read.  Writes nothing but the ledger's signed head.
 */
#include "api_handlers.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"
#include "store_audit.h"

/* --- audit queries and the ledger ------------------------------------------------ */

static wire_msg_t *
table_reply(struct api_call *c, int rv, rw_table_t *t, const char *notfound)
{
	wire_msg_t *m;
	if (rv != 0) {
		rw_table_free(t);
		return api_fail_on(c, rv, RW_ENOTFOUND, notfound);
	}
	if (!(m = api_reply(c, WIRE_AUDIT_TABLE))) {
		rw_table_free(t);
		return NULL;
	}
	rw_table_move(&m->u.table, t);
	return m;
}

static wire_msg_t *
audit_ledger(struct api_call *c, const rw_auditq_t *q)
{
	char text[160];
	rw_ledger_head_t head;
	rw_table_t t = {0};
	bool ok = false;
	int rv;

	if (!c->ctx->notary)
		return api_fail(c, RW_EUNAVAIL,
		                "this rewindd has no key to sign or verify the ledger");
	if (q->kind == RW_AUDITQ_VERIFY) {
		rv = notary_verify(c->ctx->notary, c->ctx->store, &t, &ok);
		if (rv == 0 && !ok)
			log_warn("audit.tampered", "by=%s", c->who.name);
		return table_reply(c, rv, &t, NULL);
	}
	/* Signing writes: operator or better, like any other change. */
	if (!rw_role_allows(c->who.role, RW_PERM_WRITE)) {
		snprintf(text, sizeof(text), "role %s may not sign the audit chain",
		         rw_role_name(c->who.role));
		return api_fail(c, RW_EPERM, text);
	}
	rv = notary_sign(c->ctx->notary, c->ctx->store, &head, &ok);
	if (rv == 0)
		rv = notary_head_table(&head, ok, &t);
	return table_reply(c, rv, &t, NULL);
}

wire_msg_t *
api_audit_query(struct api_call *c)
{
	const rw_auditq_t *q = &c->req->u.aquery;
	rw_table_t t = {0};

	if (q->kind == RW_AUDITQ_VERIFY || q->kind == RW_AUDITQ_SIGN)
		return audit_ledger(c, q);
	return table_reply(c, store_auditq(c->ctx->store, q, &t), &t,
	                   q->kind == RW_AUDITQ_RELEASE ? "release not found"
	                                                : "environment not found");
}
