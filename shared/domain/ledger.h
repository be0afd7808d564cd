/*
 * ledger — the audit log's hash chain, in C: the canonical text of a row,
 * its SHA-256 link to the row before it, and a checker that walks rows in
 * chain order and names the first one that was changed, deleted or
 * inserted out of band.
 *
 * PostgreSQL computes the same chain at insert time (trigger audit_log_chain
 * in server/store/migrations/0004_ledger.sql); this module must produce the very
 * same bytes, which the unit tests pin with fixed vectors and the
 * integration tests check against the database.  Pure logic: no I/O, no SQL.
 */
#ifndef REWIND_LEDGER_H
#define REWIND_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define LEDGER_HASH_HEX 64
#define LEDGER_CANON_MAX 12288   /* every field at its bound, with prefixes */
#define LEDGER_DIGESTS_MAX 2048
#define LEDGER_HEAD_CONTEXT "rewind-audit-head-v1"

/* One audit_log row as the chain sees it (all text as stored). */
typedef struct rw_ledger_row {
	int64_t id;
	int64_t seq;
	int64_t at;                             /* unix microseconds */
	char actor[RW_ACTOR_MAX + 1];
	char role[16];
	char action[RW_NAME_MAX + 1];
	char target[RW_IMAGE_MAX + 1];
	char detail[RW_TEXT_MAX + 1];           /* jsonb's text form */
	char reason[RW_TEXT_MAX + 1];
	bool has_incident;
	int64_t incident_id;
	char digests[LEDGER_DIGESTS_MAX + 1];
	char prev_hash[LEDGER_HASH_HEX + 1];
	char row_hash[LEDGER_HASH_HEX + 1];
} rw_ledger_row_t;

/* A signed chain head. */
typedef struct rw_ledger_head {
	int64_t id;
	int64_t seq;
	char row_hash[LEDGER_HASH_HEX + 1];
	int64_t signed_at;
	char signer[RW_ACTOR_MAX + 1];
	char key_id[LEDGER_HASH_HEX + 1];
	char signature[321];                    /* DER, hex */
} rw_ledger_head_t;

/*
 * The canonical text: "rewind-audit-v1\n" then, for seq, at, actor, role,
 * action, target, detail, reason, incident ('' when none) and digests,
 * "<byte length>:<value>\n".  RW_ETOOBIG when cap is too small.
 */
int ledger_canon(const rw_ledger_row_t *r, char *buf, size_t cap, size_t *len);

/* SHA-256(bytes of prev_hex || canonical text) as hex.  RW_EINVAL for a prev that is not hex. */
int ledger_row_hash(const char *prev_hex, const rw_ledger_row_t *r, char out[LEDGER_HASH_HEX + 1]);

/* The bytes a head signature covers, hashed: SHA-256 of "<context>\n<seq>\n<hash>\n<at>\n". */
int ledger_head_digest(int64_t seq, const char *row_hash, int64_t signed_at, uint8_t out[32]);

enum ledger_fault {
	LEDGER_OK = 0,
	LEDGER_CHANGED,     /* content no longer matches its own hash */
	LEDGER_DELETED,     /* positions missing */
	LEDGER_INSERTED,    /* a second row at one position */
	LEDGER_RELINKED,    /* self-consistent row that does not link to the one before */
	LEDGER_HEAD,        /* a signed head no longer matches the chain */
};

const char *ledger_fault_name(enum ledger_fault f);

/* Walk state.  Feed rows in (seq, id) order; heads sorted by seq ascending. */
struct ledger_check {
	int64_t rows;
	bool have_prev;
	int64_t prev_seq;
	int64_t prev_id;
	char prev_hash[LEDGER_HASH_HEX + 1];
	const rw_ledger_head_t *heads;          /* borrowed */
	size_t nheads;
	size_t next_head;
	enum ledger_fault fault;
	int64_t fault_id;                       /* row id named by the fault */
	int64_t fault_seq;
	char fault_msg[512];
};

void ledger_check_init(struct ledger_check *c, const rw_ledger_head_t *heads, size_t nheads);
/*
 * Checks the next row.  Returns 0 while the chain holds, 1 once a fault is
 * recorded (later rows are not looked at: the first fault is the news), or
 * a negative rw_err.
 */
int ledger_check_row(struct ledger_check *c, const rw_ledger_row_t *r);
/* After the last row: heads beyond the chain's end are a fault (rows deleted at the end). */
int ledger_check_end(struct ledger_check *c);

#endif
