/*
 * store_ledger — the audit ledger's rows in chain order for verification
 * (keyset batches, so a ten-million-row chain streams in constant memory),
 * its tip, and the signed chain heads.
 *
 * Not here: hashing, checking or signing (shared/domain/ledger.c,
 * server/vault/notary.c); the chain columns are filled by the schema's
 * trigger, not by this module.
 */
#ifndef REWIND_STORE_LEDGER_H
#define REWIND_STORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "store.h"

/* Ledger rows after (after_seq, after_id) in chain order; *out malloc'd, owned by the caller. */
int store_ledger_batch(store_t *st, int64_t after_seq, int64_t after_id, uint32_t limit,
                       rw_ledger_row_t **out, size_t *n);
/* Every signed head, by position; *out malloc'd, owned by the caller. */
int store_ledger_heads(store_t *st, rw_ledger_head_t **out, size_t *n);
/* The chain's last row (seq 0 when empty), and whether a head already signs it. */
int store_ledger_tip(store_t *st, int64_t *seq, char hash[LEDGER_HASH_HEX + 1], bool *signed_);
/* Appends a signed head; sets h->id. */
int store_ledger_head_add(store_t *st, rw_ledger_head_t *h);

#endif
