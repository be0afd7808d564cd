/*
 * test_ledger — the audit ledger's pure logic: the canonical row text and
 * its hash (fixed vectors, computed independently with Python's hashlib and
 * checked against PostgreSQL's rw_audit_hash), the chain checker's verdicts
 * (changed, deleted, inserted, relinked, heads), the head digest, audit
 * query checks, result tables, the AuditQuery/AuditTable wire round trip,
 * and XML escaping of the timeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditq.h"
#include "err.h"
#include "ledger.h"
#include "testlib.h"
#include "timeline.h"
#include "wire.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static void
vector_row(rw_ledger_row_t *r)
{
	memset(r, 0, sizeof(*r));
	r->id = 70;
	r->seq = 7;
	r->at = 1772409600000000LL;
	strcpy(r->actor, "alice");
	strcpy(r->role, "operator");
	strcpy(r->action, "rollback.start");
	strcpy(r->target, "rollback/mr-dj-frontend/4");
	strcpy(r->detail, "{\"to\": \"v1\", \"from\": \"v2\"}");
	strcpy(r->reason, "health: \"bad\"\n:3:");   /* separators inside a value */
	r->has_incident = true;
	r->incident_id = 1;
	strcpy(r->digests, "sha256:ab");
}

static void
test_canon_vector(void **state)
{
	rw_ledger_row_t r;
	char buf[LEDGER_CANON_MAX];
	size_t n = 0;
	(void)state;
	vector_row(&r);
	assert_int_equal(ledger_canon(&r, buf, sizeof(buf), &n), 0);
	assert_string_equal(buf, "rewind-audit-v1\n1:7\n16:1772409600000000\n5:alice\n8:operator\n"
	                         "14:rollback.start\n25:rollback/mr-dj-frontend/4\n"
	                         "26:{\"to\": \"v1\", \"from\": \"v2\"}\n17:health: \"bad\"\n:3:\n"
	                         "1:1\n9:sha256:ab\n");
	assert_int_equal(n, strlen(buf));
	/* Too small a buffer is refused, not truncated silently. */
	assert_int_equal(ledger_canon(&r, buf, 20, &n), RW_ETOOBIG);
}

static void
test_hash_vectors(void **state)
{
	rw_ledger_row_t r;
	char h[LEDGER_HASH_HEX + 1];
	(void)state;
	vector_row(&r);
	/* Same values through PostgreSQL: rw_audit_hash(repeat('0',64), rw_audit_canon(...)). */
	assert_int_equal(ledger_row_hash(ZERO64, &r, h), 0);
	assert_string_equal(h, "5ff3915119f54fe0508f04818b66f4a99cedb83550c206b7be4c40aa6de53867");
	assert_int_equal(ledger_row_hash("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
	                                 &r, h), 0);
	assert_string_equal(h, "2325dc8cd4bf94dc7d7682820d1aa9f96c18ef4b2471a7742b2866aecc64a153");
	/* No incident is the empty field, not "0". */
	r.has_incident = false;
	assert_int_equal(ledger_row_hash(ZERO64, &r, h), 0);
	assert_string_equal(h, "c613ffe58f095a7ea85206621499720eb9b00c70f18ae8bfd86eba2022371896");
	/* prev must be 64 lower-case hex digits. */
	assert_int_equal(ledger_row_hash("abc", &r, h), RW_EINVAL);
	assert_int_equal(ledger_row_hash(
	    "2D711642B726B04401627CA9FBAC32F5C8530FB1903CC4DB02258717921A4881", &r, h), RW_EINVAL);
}

static void
test_head_digest(void **state)
{
	uint8_t d[32];
	char hex[65];
	(void)state;
	assert_int_equal(ledger_head_digest(7, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
	                                    1772409600000000LL, d), 0);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(hex, "1306ae9685c34115d208b650c685b4d32197c9d7fc0dee68224208324733eaf2");
}

/* A valid chain of n rows (ids 10, 20, ...). */
static rw_ledger_row_t *
chain(size_t n)
{
	rw_ledger_row_t *rows = calloc(n, sizeof(*rows));
	assert_non_null(rows);
	for (size_t i = 0; i < n; i++) {
		rw_ledger_row_t *r = &rows[i];
		r->id = (int64_t)(i + 1) * 10;
		r->seq = (int64_t)i + 1;
		r->at = 1772409600000000LL + (int64_t)i;
		snprintf(r->actor, sizeof(r->actor), "user%zu", i);
		strcpy(r->role, "admin");
		strcpy(r->action, "env.add");
		strcpy(r->detail, "{}");
		strcpy(r->prev_hash, i ? rows[i - 1].row_hash : ZERO64);
		assert_int_equal(ledger_row_hash(r->prev_hash, r, r->row_hash), 0);
	}
	return rows;
}

/* Feeds rows (skipping index skip, -1 for none) and returns the check's state. */
static int
walk(struct ledger_check *c, const rw_ledger_row_t *rows, size_t n, const rw_ledger_head_t *h,
     size_t nh)
{
	int rv = 0;
	ledger_check_init(c, h, nh);
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = ledger_check_row(c, &rows[i]);
	return rv ? rv : ledger_check_end(c);
}

static void
test_chain_intact(void **state)
{
	rw_ledger_row_t *rows = chain(5);
	rw_ledger_head_t h = {.id = 1, .seq = 3};
	struct ledger_check c;
	(void)state;
	strcpy(h.row_hash, rows[2].row_hash);
	assert_int_equal(walk(&c, rows, 5, &h, 1), 0);
	assert_int_equal(c.fault, LEDGER_OK);
	assert_int_equal(c.rows, 5);
	free(rows);
}

static void
test_chain_changed(void **state)
{
	rw_ledger_row_t *rows = chain(5);
	struct ledger_check c;
	(void)state;
	strcpy(rows[2].reason, "edited");
	assert_int_equal(walk(&c, rows, 5, NULL, 0), 1);
	assert_int_equal(c.fault, LEDGER_CHANGED);
	assert_int_equal(c.fault_id, 30);
	assert_int_equal(c.fault_seq, 3);
	assert_non_null(strstr(c.fault_msg, "row 30 (position 3) was changed"));
	free(rows);
}

static void
test_chain_deleted(void **state)
{
	rw_ledger_row_t *rows = chain(5);
	struct ledger_check c;
	(void)state;
	memmove(&rows[1], &rows[2], 3 * sizeof(*rows)); /* position 2 gone */
	assert_int_equal(walk(&c, rows, 4, NULL, 0), 1);
	assert_int_equal(c.fault, LEDGER_DELETED);
	assert_int_equal(c.fault_id, 30);
	assert_non_null(strstr(c.fault_msg, "positions 2..2 are missing before row 30"));
	/* The first rows deleted: the chain starts at position 3. */
	free(rows);
	rows = chain(5);
	assert_int_equal(walk(&c, rows + 2, 3, NULL, 0), 1);
	assert_int_equal(c.fault, LEDGER_DELETED);
	assert_non_null(strstr(c.fault_msg, "positions 1..2"));
	free(rows);
}

static void
test_chain_inserted(void **state)
{
	rw_ledger_row_t *rows = chain(5), ins[6];
	struct ledger_check c;
	(void)state;
	/* A copy of position 3 with other content, sorted after it (same seq, higher id). */
	memcpy(ins, rows, 3 * sizeof(*rows));
	ins[3] = rows[2];
	ins[3].id = 99;
	strcpy(ins[3].actor, "mallory");
	memcpy(&ins[4], &rows[3], 2 * sizeof(*rows));
	assert_int_equal(walk(&c, ins, 6, NULL, 0), 1);
	assert_int_equal(c.fault, LEDGER_INSERTED);
	assert_int_equal(c.fault_id, 99);
	assert_non_null(strstr(c.fault_msg, "second row at position 3"));
	free(rows);
}

static void
test_chain_relinked(void **state)
{
	rw_ledger_row_t *rows = chain(5);
	struct ledger_check c;
	(void)state;
	/* Row 2 edited and re-hashed by itself: row 3 no longer links to it. */
	strcpy(rows[1].actor, "mallory");
	assert_int_equal(ledger_row_hash(rows[1].prev_hash, &rows[1], rows[1].row_hash), 0);
	assert_int_equal(walk(&c, rows, 5, NULL, 0), 1);
	assert_int_equal(c.fault, LEDGER_RELINKED);
	assert_int_equal(c.fault_id, 30);
	assert_non_null(strstr(c.fault_msg, "does not link to row 20"));
	free(rows);
}

static void
test_chain_heads(void **state)
{
	rw_ledger_row_t *rows = chain(5);
	rw_ledger_head_t h[2] = {{.id = 1, .seq = 2}, {.id = 2, .seq = 5}};
	struct ledger_check c;
	(void)state;
	/* A rewritten chain is self-consistent; the head signed before still has the old hash. */
	strcpy(h[0].row_hash, rows[1].row_hash);
	strcpy(h[1].row_hash, rows[4].row_hash);
	strcpy(rows[0].actor, "mallory");
	for (size_t i = 0; i < 5; i++) {
		if (i)
			strcpy(rows[i].prev_hash, rows[i - 1].row_hash);
		assert_int_equal(ledger_row_hash(rows[i].prev_hash, &rows[i], rows[i].row_hash), 0);
	}
	assert_int_equal(walk(&c, rows, 5, h, 2), 1);
	assert_int_equal(c.fault, LEDGER_HEAD);
	assert_int_equal(c.fault_seq, 2);
	assert_non_null(strstr(c.fault_msg, "signed head 1 (position 2) no longer matches"));
	free(rows);
	/* Rows deleted from the end, under a head. */
	rows = chain(5);
	strcpy(h[1].row_hash, rows[4].row_hash);
	assert_int_equal(walk(&c, rows, 4, &h[1], 1), 1);
	assert_int_equal(c.fault, LEDGER_HEAD);
	assert_non_null(strstr(c.fault_msg, "covers position 5 but the chain ends at 4"));
	free(rows);
}

static void
test_xml_escape(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(timeline_xml_escape("a<b>&\"c'", out, sizeof(out)), 27);
	assert_string_equal(out, "a&lt;b&gt;&amp;&quot;c&#39;");
	/* Control characters XML cannot carry are dropped; tab and newline stay. */
	timeline_xml_escape("x\x01y\tz\n", out, sizeof(out));
	assert_string_equal(out, "xy\tz\n");
	/* Never half an entity when the buffer is short; the full length is returned. */
	assert_int_equal(timeline_xml_escape("ab&cd", out, 5), 9);
	assert_string_equal(out, "ab");
	assert_int_equal(timeline_xml_escape("</svg><script>", NULL, 0), 26);
	/* UTF-8 passes through. */
	timeline_xml_escape("\xe2\x86\xba v1", out, sizeof(out));
	assert_string_equal(out, "\xe2\x86\xba v1");
}

static void
test_timeline_render(void **state)
{
	static const char *const names[] = {"service", "item", "label", "start_at", "end_at", "outcome"};
	rw_table_t t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;
	assert_non_null(f);
	assert_int_equal(rw_table_init(&t, "tttTTt", names), 0);
	const char *r1[] = {"fe<x>", "deploy", "v1&", "1772409600000000", "1772413200000000", "succeeded"};
	const char *r2[] = {"", "incident", "sev1 <b>", "1772411400000000", "", "open"};
	assert_int_equal(rw_table_add(&t, r1), 0);
	assert_int_equal(rw_table_add(&t, r2), 0);
	assert_int_equal(timeline_render(f, &t, "prod\"", 1772406000000000LL, 1772420400000000LL, true), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<!DOCTYPE html>"));
	assert_non_null(strstr(buf, "fe&lt;x&gt;"));
	assert_non_null(strstr(buf, "v1&amp;"));
	assert_non_null(strstr(buf, "sev1 &lt;b&gt;"));
	assert_non_null(strstr(buf, "prod&quot;"));
	assert_null(strstr(buf, "<b>"));
	assert_null(strstr(buf, "<x>"));
	free(buf);
	/* Wrong columns are refused. */
	rw_table_free(&t);
	assert_int_equal(rw_table_init(&t, "t", names), 0);
	assert_int_equal(timeline_render(stdout, &t, "p", 1, 2, false), RW_EINVAL);
	rw_table_free(&t);
}

static void
test_auditq_check(void **state)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_WHAT_RAN};
	char msg[128];
	(void)state;
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), RW_EINVAL);
	strcpy(q.env, "production");
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), RW_EINVAL);
	assert_string_equal(msg, "at: required");
	q.at = 1;
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), 0);
	strcpy(q.env, "Bad Name");
	assert_int_not_equal(rw_auditq_check(&q, msg, sizeof(msg)), 0);
	q = (rw_auditq_t){.kind = RW_AUDITQ_RELEASE};
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), RW_EINVAL);
	q.release_id = 3;
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), 0);
	q = (rw_auditq_t){.kind = RW_AUDITQ_LOG, .since = 5, .until = 4};
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), RW_EINVAL);
	q = (rw_auditq_t){.kind = RW_AUDITQ_NONE};
	assert_int_equal(rw_auditq_check(&q, msg, sizeof(msg)), RW_EINVAL);
	assert_int_equal(rw_auditq_parse("dora"), RW_AUDITQ_DORA);
	assert_int_equal(rw_auditq_parse("nope"), RW_AUDITQ_NONE);
	assert_string_equal(rw_auditq_name(RW_AUDITQ_WHAT_RAN), "what-ran");
}

static void
test_wire_roundtrip(void **state)
{
	static const char *const names[] = {"id", "when", "what"};
	wire_msg_t *m = wire_msg_new(WIRE_AUDIT_QUERY, 9), *d = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint64_t rid = 0;
	char msg[256];
	(void)state;
	m->u.aquery = (rw_auditq_t){.kind = RW_AUDITQ_WHAT_RAN, .at = 42};
	strcpy(m->u.aquery.env, "production");
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_REQUEST_MAX, &d, &rid, msg, sizeof(msg)), 0);
	assert_int_equal(d->kind, WIRE_AUDIT_QUERY);
	assert_int_equal(d->u.aquery.kind, RW_AUDITQ_WHAT_RAN);
	assert_int_equal(d->u.aquery.at, 42);
	assert_string_equal(d->u.aquery.env, "production");
	wire_msg_free(d);
	free(buf);
	/* An invalid query is refused at the boundary. */
	m->u.aquery.at = 0;
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_REQUEST_MAX, &d, &rid, msg, sizeof(msg)), RW_EINVAL);
	free(buf);
	wire_msg_free(m);

	m = wire_msg_new(WIRE_AUDIT_TABLE, 10);
	assert_int_equal(rw_table_init(&m->u.table, "iTt", names), 0);
	const char *r1[] = {"1", "1772409600000000", "a,\"b\""};
	const char *r2[] = {"2", "", ""};
	assert_int_equal(rw_table_add(&m->u.table, r1), 0);
	assert_int_equal(rw_table_add(&m->u.table, r2), 0);
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_RESPONSE_MAX, &d, &rid, msg, sizeof(msg)), 0);
	assert_int_equal(d->u.table.ncols, 3);
	assert_string_equal(d->u.table.types, "iTt");
	assert_int_equal(d->u.table.nrows, 2);
	assert_string_equal(rw_table_cell(&d->u.table, 0, 2), "a,\"b\"");
	assert_string_equal(rw_table_cell(&d->u.table, 1, 1), "");
	assert_string_equal(d->u.table.cols[1], "when");
	wire_msg_free(d);
	free(buf);
	wire_msg_free(m);
}

static void
test_table_bounds(void **state)
{
	static const char *const names[] = {"a"};
	rw_table_t t;
	char *big = malloc(RW_CELL_MAX + 2);
	(void)state;
	assert_int_equal(rw_table_init(&t, "x", names), RW_EINVAL);
	assert_int_equal(rw_table_init(&t, "t", names), 0);
	memset(big, 'a', RW_CELL_MAX + 1);
	big[RW_CELL_MAX + 1] = '\0';
	const char *row[] = {big};
	assert_int_equal(rw_table_add(&t, row), RW_ETOOBIG);
	for (int i = 0; i < 100; i++) {
		const char *r[] = {NULL};
		assert_int_equal(rw_table_add(&t, r), 0);
	}
	assert_int_equal(t.nrows, 100);
	assert_string_equal(rw_table_cell(&t, 99, 0), "");
	assert_string_equal(rw_table_cell(&t, 100, 0), "");
	rw_table_free(&t);
	free(big);
}

TL_MAIN("tests", NULL, NULL,
	test_canon_vector, test_hash_vectors, test_head_digest, test_chain_intact,
	test_chain_changed, test_chain_deleted, test_chain_inserted, test_chain_relinked,
	test_chain_heads, test_xml_escape, test_timeline_render, test_auditq_check,
	test_wire_roundtrip, test_table_bounds)
