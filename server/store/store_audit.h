/*
 * store_audit — the audit trail: audit queries (rewindctl audit what-ran|
 * rollbacks|log|release|dora|timeline) answered from the read-only views of
 * docs/audit.md, the ledger's rows in chain order with its tip and signed
 * heads, and the audit log as rewindctl audit list shows it (appending a
 * row outside any other change, too: a refused request, a login).
 *
 * Not here: the audit row each change writes with itself (the change's own
 * file does, through store_sql.c), hashing and signing (ledger.c, notary.c).
 */
#ifndef REWIND_STORE_AUDIT_H
#define REWIND_STORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auditq.h"
#include "domain.h"
#include "ledger.h"
#include "store.h"

/*
 * Answers an audit query (not verify/sign) into out (owned by the caller:
 * rw_table_free()).  RW_ENOTFOUND for an unknown environment or release.
 */
int store_auditq(store_t *st, const rw_auditq_t *q, rw_table_t *out);

/* Ledger rows after (after_seq, after_id) in chain order; *out malloc'd, owned by the caller. */
int store_ledger_batch(store_t *st, int64_t after_seq, int64_t after_id, uint32_t limit,
                       rw_ledger_row_t **out, size_t *n);
/* Every signed head, by position; *out malloc'd, owned by the caller. */
int store_ledger_heads(store_t *st, rw_ledger_head_t **out, size_t *n);
/* The chain's last row (seq 0 when empty), and whether a head already signs it. */
int store_ledger_tip(store_t *st, int64_t *seq, char hash[LEDGER_HASH_HEX + 1], bool *signed_);
/* Appends a signed head; sets h->id. */
int store_ledger_head_add(store_t *st, rw_ledger_head_t *h);

/* Audit log, newest first, filtered; *out malloc'd, owned by the caller. */
int store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n);

/* Appends an audit row outside any other change.  detail_json may be NULL. */
int store_audit_append(store_t *st, const rw_actor_t *who, const char *action,
                       const char *target, const char *detail_json, const char *reason);

#endif
