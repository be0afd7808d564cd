/*
 * ledger — canonical rows, hash links and the chain checker (see ledger.h).
 *
 * The encoding is deliberately dull: length-prefixed text fields, so no
 * value can imitate a field boundary, and integers in plain decimal, as
 * PostgreSQL's int8 output writes them.  Keep it byte-identical to
 * rw_audit_canon() in server/store/migrations/0004_ledger.sql.
 */
#include "ledger.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "err.h"

struct canon_buf {
	char *p;
	size_t cap, len;
	int err;
};

static void
canon_put(struct canon_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n >= b->cap - b->len) {
		b->err = RW_ETOOBIG;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
canon_field(struct canon_buf *b, const char *v)
{
	char pre[24];
	size_t n = strlen(v);
	int k = snprintf(pre, sizeof(pre), "%zu:", n);
	canon_put(b, pre, (size_t)k);
	canon_put(b, v, n);
	canon_put(b, "\n", 1);
}

static void
canon_i64(struct canon_buf *b, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%" PRId64, v);
	canon_field(b, num);
}

int
ledger_canon(const rw_ledger_row_t *r, char *buf, size_t cap, size_t *len)
{
	struct canon_buf b = {buf, cap, 0, 0};
	char inc[24] = "";

	if (!r || !buf || cap == 0)
		return RW_EINVAL;
	buf[0] = '\0';
	if (r->has_incident)
		snprintf(inc, sizeof(inc), "%" PRId64, r->incident_id);
	canon_put(&b, "rewind-audit-v1\n", 16);
	canon_i64(&b, r->seq);
	canon_i64(&b, r->at);
	canon_field(&b, r->actor);
	canon_field(&b, r->role);
	canon_field(&b, r->action);
	canon_field(&b, r->target);
	canon_field(&b, r->detail);
	canon_field(&b, r->reason);
	canon_field(&b, inc);
	canon_field(&b, r->digests);
	if (len)
		*len = b.len;
	return b.err;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex only, as encode(..., 'hex') writes it. */
static int
unhex32(const char *hex, uint8_t out[32])
{
	if (strlen(hex) != LEDGER_HASH_HEX)
		return RW_EINVAL;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return RW_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void
tohex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
ledger_row_hash(const char *prev_hex, const rw_ledger_row_t *r, char out[LEDGER_HASH_HEX + 1])
{
	static __thread char canon[LEDGER_CANON_MAX];
	mbedtls_sha256_context ctx;
	uint8_t prev[32], sum[32];
	size_t n = 0;
	int rv;

	out[0] = '\0';
	if (!prev_hex || unhex32(prev_hex, prev) != 0)
		return RW_EINVAL;
	if ((rv = ledger_canon(r, canon, sizeof(canon), &n)) != 0)
		return rv;
	mbedtls_sha256_init(&ctx);
	rv = mbedtls_sha256_starts_ret(&ctx, 0) || mbedtls_sha256_update_ret(&ctx, prev, 32) ||
	     mbedtls_sha256_update_ret(&ctx, (const uint8_t *)canon, n) ||
	     mbedtls_sha256_finish_ret(&ctx, sum);
	mbedtls_sha256_free(&ctx);
	if (rv)
		return RW_ECRYPTO;
	tohex(sum, 32, out);
	return 0;
}

int
ledger_head_digest(int64_t seq, const char *row_hash, int64_t signed_at, uint8_t out[32])
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "%s\n%" PRId64 "\n%s\n%" PRId64 "\n", LEDGER_HEAD_CONTEXT,
	                 seq, row_hash ? row_hash : "", signed_at);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return RW_ETOOBIG;
	return mbedtls_sha256_ret((const uint8_t *)msg, (size_t)n, out, 0) ? RW_ECRYPTO : 0;
}

const char *
ledger_fault_name(enum ledger_fault f)
{
	switch (f) {
	case LEDGER_OK: return "ok";
	case LEDGER_CHANGED: return "changed";
	case LEDGER_DELETED: return "deleted";
	case LEDGER_INSERTED: return "inserted";
	case LEDGER_RELINKED: return "relinked";
	case LEDGER_HEAD: return "head-mismatch";
	}
	return "unknown";
}

void
ledger_check_init(struct ledger_check *c, const rw_ledger_head_t *heads, size_t nheads)
{
	memset(c, 0, sizeof(*c));
	c->heads = heads;
	c->nheads = nheads;
}

static int
fault(struct ledger_check *c, enum ledger_fault f, const rw_ledger_row_t *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fault(struct ledger_check *c, enum ledger_fault f, const rw_ledger_row_t *r, const char *fmt, ...)
{
	va_list ap;
	c->fault = f;
	c->fault_id = r ? r->id : 0;
	c->fault_seq = r ? r->seq : 0;
	va_start(ap, fmt);
	vsnprintf(c->fault_msg, sizeof(c->fault_msg), fmt, ap);
	va_end(ap);
	return 1;
}

/* Heads at positions the walk has now passed must name this row's hash. */
static int
check_heads(struct ledger_check *c, const rw_ledger_row_t *r)
{
	while (c->next_head < c->nheads && c->heads[c->next_head].seq <= r->seq) {
		const rw_ledger_head_t *h = &c->heads[c->next_head++];
		if (h->seq == r->seq && strcmp(h->row_hash, r->row_hash) == 0)
			continue;
		c->fault_seq = h->seq;
		return fault(c, LEDGER_HEAD, r,
		             "signed head %" PRId64 " (position %" PRId64 ") no longer matches the "
		             "chain: rows at or before position %" PRId64 " were rewritten",
		             h->id, h->seq, h->seq);
	}
	return 0;
}

int
ledger_check_row(struct ledger_check *c, const rw_ledger_row_t *r)
{
	char h[LEDGER_HASH_HEX + 1];
	int64_t expect = c->have_prev ? c->prev_seq + 1 : 1;

	if (c->fault)
		return 1;
	if (c->have_prev && r->seq == c->prev_seq)
		return fault(c, LEDGER_INSERTED, r,
		             "row %" PRId64 " is a second row at position %" PRId64
		             " (after row %" PRId64 "): inserted out of band",
		             r->id, r->seq, c->prev_id);
	if (r->seq < expect)
		return fault(c, LEDGER_INSERTED, r,
		             "row %" PRId64 " claims position %" PRId64 ": inserted out of band", r->id,
		             r->seq);
	if (r->seq > expect)
		return fault(c, LEDGER_DELETED, r,
		             "positions %" PRId64 "..%" PRId64 " are missing before row %" PRId64
		             ": deleted",
		             expect, r->seq - 1, r->id);
	if (ledger_row_hash(r->prev_hash, r, h) != 0 || strcmp(h, r->row_hash) != 0)
		return fault(c, LEDGER_CHANGED, r,
		             "row %" PRId64 " (position %" PRId64 ") was changed after it was written",
		             r->id, r->seq);
	if (c->have_prev && strcmp(r->prev_hash, c->prev_hash) != 0)
		return fault(c, LEDGER_RELINKED, r,
		             "row %" PRId64 " (position %" PRId64 ") does not link to row %" PRId64
		             ": row %" PRId64 " was changed and re-hashed, or rows were inserted",
		             r->id, r->seq, c->prev_id, c->prev_id);
	if (!c->have_prev && strspn(r->prev_hash, "0") != LEDGER_HASH_HEX)
		return fault(c, LEDGER_RELINKED, r,
		             "row %" PRId64 " starts the chain but links to an earlier row: the "
		             "rows before it were deleted", r->id);
	c->have_prev = true;
	c->prev_seq = r->seq;
	c->prev_id = r->id;
	memcpy(c->prev_hash, r->row_hash, sizeof(c->prev_hash));
	c->rows++;
	return check_heads(c, r);
}

int
ledger_check_end(struct ledger_check *c)
{
	if (c->fault)
		return 1;
	if (c->next_head < c->nheads) {
		const rw_ledger_head_t *h = &c->heads[c->next_head];
		fault(c, LEDGER_HEAD, NULL,
		      "signed head %" PRId64 " covers position %" PRId64 " but the chain ends at %" PRId64
		      ": rows were deleted from the end",
		      h->id, h->seq, c->have_prev ? c->prev_seq : 0);
		c->fault_seq = h->seq;
		return 1;
	}
	return 0;
}
