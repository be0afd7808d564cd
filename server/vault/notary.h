/*
 * notary — rewindd's side of the tamper-evident audit ledger: signs the
 * chain head with the server key (ECDSA P-256, mbedTLS) and verifies the
 * whole ledger: every row's hash link (shared/ledger.c, streamed from the
 * store in batches) and every signed head's signature and position.
 *
 * The chain itself is computed by PostgreSQL at insert time (trigger
 * audit_log_chain); this module only checks it and vouches for its head.
 * A notary_t is thread-safe: signing is serialised by its own lock.
 */
#ifndef REWIND_NOTARY_H
#define REWIND_NOTARY_H

#include <stdbool.h>

#include "auditq.h"
#include "ledger.h"
#include "store_audit.h"

typedef struct notary notary_t;

/* Loads the server certificate and key.  *out owned by the caller (notary_close()). */
int notary_open(const char *cert_path, const char *key_path, notary_t **out, char *msg,
                size_t msgsz);
void notary_close(notary_t *n);

/*
 * Signs the chain's last row unless a head already signs it.  *signed_now
 * says whether a new head was written; *head (may be NULL) receives it.
 */
int notary_sign(notary_t *n, store_t *st, rw_ledger_head_t *head, bool *signed_now);

/*
 * Verifies the ledger.  report (owned by the caller) gets one row per
 * finding (columns check, status, position, row, detail) and a summary
 * row; *intact is false when anything was changed, deleted, inserted or
 * forged.
 */
int notary_verify(notary_t *n, store_t *st, rw_table_t *report, bool *intact);

/* The sign answer as a table (one row: position, hash, signed_at, signer, new). */
int notary_head_table(const rw_ledger_head_t *h, bool signed_now, rw_table_t *out);

#endif
