/*
 * store_auditq — audit queries (rewindctl audit what-ran|rollbacks|log|
 * release|dora|timeline) answered from the read-only views of docs/audit.md,
 * the same views auditors query with their own tools.
 *
 * Not here: verify and sign (store_ledger.h gives the chain), the plain
 * audit log listing (store_audit.h).
 */
#ifndef REWIND_STORE_AUDITQ_H
#define REWIND_STORE_AUDITQ_H

#include "auditq.h"
#include "store.h"

/*
 * Answers an audit query (not verify/sign) into out (owned by the caller:
 * rw_table_free()).  RW_ENOTFOUND for an unknown environment or release.
 */
int store_auditq(store_t *st, const rw_auditq_t *q, rw_table_t *out);

#endif
