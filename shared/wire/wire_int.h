/*
 * wire_int — internals shared by the two halves of the wire module
 * (wire.c: session, records, releases; wire_agent.c: agents, actions,
 * status).  Not for use outside shared/wire*.c: protobuf-c types appear here.
 */
#ifndef REWIND_WIRE_INT_H
#define REWIND_WIRE_INT_H

#include <stddef.h>

#include "rewind.pb-c.h"
#include "wire.h"

typedef Rewind__V1__Envelope pb_env_t;

/* Decoding context: where to write the human reason. */
struct dec {
	char *msg;
	size_t msgsz;
};

int wire_dec_fail(struct dec *d, int err, const char *field, const char *why);
/* Bounded copy of a wire string: refuses (RW_ETOOBIG) rather than truncates. */
int wire_dec_str(struct dec *d, char *dst, size_t cap, const char *src, const char *field);
#define DEC_STR(d, dst, src, field) wire_dec_str((d), (dst), sizeof(dst), (src), (field))

/* Agent-side messages (wire_agent.c). */
int wire_dec_agent(struct dec *d, const pb_env_t *e, wire_msg_t *m);
int wire_validate_agent(struct dec *d, wire_msg_t *m);

/* Everything allocated while encoding one agent message; freed after packing. */
/*
 * Everything allocated while encoding one message; freed after packing.
 * wire_arena_alloc() returns zeroed memory (n = 0 still gives one element).
 */
struct wire_arena {
	void **blocks;
	size_t n, cap;
};
void *wire_arena_alloc(struct wire_arena *a, size_t n, size_t sz);
void wire_arena_free(struct wire_arena *a);

int wire_enc_agent(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e);

/* Coordination messages (wire_coord.c): WIRE_SETTINGS_SET..WIRE_REPORT. */
#define WIRE_IS_COORD(k) ((k) >= WIRE_SETTINGS_SET && (k) <= WIRE_REPORT)
int wire_dec_coord(struct dec *d, const pb_env_t *e, wire_msg_t *m);
int wire_validate_coord(struct dec *d, wire_msg_t *m);

int wire_enc_coord(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e);
/* Releases what a decoded coordination message owns (not m itself). */
void wire_coord_free(wire_msg_t *m);
/* Audit messages (wire_audit.c). */
int wire_dec_audit(struct dec *d, const pb_env_t *e, wire_msg_t *m);
int wire_validate_audit(struct dec *d, wire_msg_t *m);
void wire_free_audit(wire_msg_t *m);

/* Everything allocated while encoding one audit message; freed after packing. */
struct enc_audit {
	void *table;                    /* Rewind__V1__AuditTable */
	void *query;                    /* Rewind__V1__AuditQuery */
	void *cols;
	void *colptrs;
	void *rows;
	void *rowptrs;
	char types[RW_TABLE_COLS_MAX][2];
};
int wire_enc_audit(struct enc_audit *x, const wire_msg_t *m, pb_env_t *e);
void wire_enc_audit_free(struct enc_audit *x);

#endif
