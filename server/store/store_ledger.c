/*
 * store_ledger — the audit ledger's rows and signed heads (store_ledger.h).
 *
 * What it does not do: hash, check or sign (the caller does, with
 * shared/domain/ledger.c), or refuse odd rows: a tampered row may hold
 * anything, and is handed over as it is for the verifier to report.
 */
#include "store_ledger.h"

#include "err.h"
#include "store_sql.h"

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
