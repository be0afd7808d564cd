/*
 * test_wire — the wire boundary: round trips of every message shape, and
 * refusal of malformed, oversized, wrong-version and unknown messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "testlib.h"
#include "wire.h"
#include "wire_family.h"

static wire_msg_t *
roundtrip(const wire_msg_t *in)
{
	uint8_t *buf;
	size_t len;
	wire_msg_t *out = NULL;
	char msg[256];
	uint64_t rid;
	assert_int_equal(wire_encode(in, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_RESPONSE_MAX, &out, &rid, msg, sizeof(msg)), 0);
	assert_int_equal(rid, in->request_id);
	free(buf);
	assert_non_null(out);
	assert_int_equal(out->kind, in->kind);
	return out;
}

static void
test_release_record_roundtrip(void **state)
{
	(void)state;
	wire_msg_t *m = wire_msg_new(WIRE_RELEASE_RECORD, 42), *out;
	strcpy(m->u.release.service, "mr-dj-frontend");
	strcpy(m->u.release.version, "nextjs-standalone-202611260530");
	strcpy(m->u.release.image_ref, "ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202611260530");
	strcpy(m->u.release.notes, "x'); DROP TABLE releases; -- ünï");
	out = roundtrip(m);
	assert_string_equal(out->u.release.service, "mr-dj-frontend");
	assert_string_equal(out->u.release.notes, m->u.release.notes);
	assert_string_equal(out->u.release.image_ref, m->u.release.image_ref);
	wire_msg_free(out);
	wire_msg_free(m);
}

static void
test_list_roundtrip(void **state)
{
	(void)state;
	wire_msg_t *m = wire_msg_new(WIRE_HISTORY_OK, 7), *out;
	rw_history_row_t *rows = calloc(3, sizeof(*rows));
	for (int i = 0; i < 3; i++) {
		snprintf(rows[i].release.version, sizeof(rows[i].release.version), "v%d", i);
		rows[i].outcome = RW_OUTCOME_ROLLED_BACK;
		rows[i].known_good = i == 1;
		rows[i].deployment_id = 100 + i;
		strcpy(rows[i].env, "production");
	}
	wire_msg_set_list(m, rows, 3);
	out = roundtrip(m);
	assert_int_equal(out->u.list.n, 3);
	rw_history_row_t *got = out->u.list.items;
	assert_string_equal(got[2].release.version, "v2");
	assert_int_equal(got[1].known_good, 1);
	assert_int_equal(got[0].known_good, 0);
	assert_int_equal(got[2].outcome, RW_OUTCOME_ROLLED_BACK);
	assert_int_equal(got[2].deployment_id, 102);
	wire_msg_free(out);
	wire_msg_free(m);
}

static void
test_empty_list_roundtrip(void **state)
{
	(void)state;
	wire_msg_t *m = wire_msg_new(WIRE_AUDIT_LOG_OK, 1), *out = roundtrip(m);
	assert_int_equal(out->u.list.n, 0);
	assert_null(out->u.list.items);
	wire_msg_free(out);
	wire_msg_free(m);
}

static void
test_error_roundtrip(void **state)
{
	(void)state;
	wire_msg_t *m = wire_error_new(9, RW_EPERM, "role viewer may not record releases");
	wire_msg_t *out = roundtrip(m);
	assert_int_equal(out->u.error.code, RW_EPERM);
	assert_string_equal(out->u.error.message, "role viewer may not record releases");
	wire_msg_free(out);
	wire_msg_free(m);
}

static int
decode_raw(const uint8_t *buf, size_t len, char *msg)
{
	wire_msg_t *out = NULL;
	uint64_t rid;
	int rv = wire_decode(buf, len, WIRE_REQUEST_MAX, &out, &rid, msg, 256);
	if (rv == 0)
		wire_msg_free(out);
	else
		assert_null(out);
	return rv;
}

static void
test_garbage_refused(void **state)
{
	(void)state;
	char msg[256];
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(decode_raw(junk, sizeof(junk), msg), RW_EPROTO);
	assert_non_null(strstr(msg, "not a valid"));
	/* Truncated length-delimited field. */
	static const uint8_t trunc[] = {0x08, 0x01, 0x52, 0x10, 0x0a};
	assert_int_equal(decode_raw(trunc, sizeof(trunc), msg), RW_EPROTO);
}

static void
test_version_refused(void **state)
{
	(void)state;
	char msg[256];
	/* version=2, request_id=7, hello={} */
	static const uint8_t v2[] = {0x08, 0x02, 0x10, 0x07, 0x52, 0x00};
	wire_msg_t *out = NULL;
	uint64_t rid = 0;
	assert_int_equal(wire_decode(v2, sizeof(v2), WIRE_REQUEST_MAX, &out, &rid, msg, sizeof(msg)),
	                 RW_EVERSION);
	assert_int_equal(rid, 7); /* so the error reply can echo it */
	assert_non_null(strstr(msg, "version 2"));
}

static void
test_unknown_and_empty_body_refused(void **state)
{
	(void)state;
	char msg[256];
	/* version=1, field 99 (unknown to this side) */
	static const uint8_t unknown[] = {0x08, 0x01, 0x10, 0x07, 0x9a, 0x06, 0x00};
	assert_int_equal(decode_raw(unknown, sizeof(unknown), msg), RW_EPROTO);
	assert_non_null(strstr(msg, "unknown message type"));
	static const uint8_t nobody[] = {0x08, 0x01, 0x10, 0x07};
	assert_int_equal(decode_raw(nobody, sizeof(nobody), msg), RW_EPROTO);
}

static void
test_oversize_refused(void **state)
{
	(void)state;
	char msg[256];
	uint8_t *big = calloc(1, WIRE_REQUEST_MAX + 1);
	assert_int_equal(decode_raw(big, WIRE_REQUEST_MAX + 1, msg), RW_ETOOBIG);
	free(big);
}

static void
test_request_fields_validated(void **state)
{
	(void)state;
	wire_msg_t *m = wire_msg_new(WIRE_SERVICE_ADD, 1), *out = NULL;
	uint8_t *buf;
	size_t len;
	char msg[256];
	strcpy(m->u.service.name, "Bad_Name");
	strcpy(m->u.service.namespace_, "default");
	strcpy(m->u.service.deployment, "d");
	strcpy(m->u.service.container, "c");
	strcpy(m->u.service.image_repo, "ghcr.io/a/b");
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_REQUEST_MAX, &out, NULL, msg, sizeof(msg)),
	                 RW_EINVAL);
	assert_non_null(strstr(msg, "name"));
	assert_null(out);
	free(buf);
	wire_msg_free(m);
}

static void
test_auth_bounds(void **state)
{
	(void)state;
	wire_msg_t *m = wire_msg_new(WIRE_AUTH, 1), *out = NULL;
	uint8_t *buf;
	size_t len;
	char msg[256];
	m->u.auth.cert_pem = malloc(RW_CERT_PEM_MAX + 2);
	memset(m->u.auth.cert_pem, 'A', RW_CERT_PEM_MAX + 1);
	m->u.auth.cert_pem[RW_CERT_PEM_MAX + 1] = '\0';
	m->u.auth.sig_len = 10;
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode(buf, len, WIRE_REQUEST_MAX, &out, NULL, msg, sizeof(msg)),
	                 RW_ETOOBIG);
	free(buf);
	wire_msg_free(m);
}

/*
 * The family table is the single truth of which kind belongs where: every
 * request and reply kind is owned by exactly one family, and that family
 * has exactly one form for it.
 */
static void
test_every_kind_in_one_family(void **state)
{
	(void)state;
	for (int k = WIRE_NONE + 1; k < WIRE_KIND_COUNT; k++) {
		const struct wire_family *owner = NULL;
		int owners = 0, forms = 0;
		for (size_t i = 0; i < wire_nfamilies; i++) {
			const struct wire_family *f = wire_families[i];
			if (k < f->first || k > f->last)
				continue;
			owners++;
			owner = f;
		}
		if (owners != 1)
			fail_msg("kind %s is in %d families", wire_kind_name((enum wire_kind)k), owners);
		for (size_t i = 0; i < owner->nforms; i++)
			forms += owner->forms[i].kind == k;
		if (forms != 1)
			fail_msg("kind %s has %d forms in family %s", wire_kind_name((enum wire_kind)k), forms,
			         owner->name);
	}
	for (size_t i = 0; i < wire_nfamilies; i++) {
		const struct wire_family *f = wire_families[i];
		assert_non_null(f->name);
		assert_true(f->first <= f->last);
		/* no form for a kind outside the family */
		for (size_t j = 0; j < f->nforms; j++)
			assert_true(f->forms[j].kind >= f->first && f->forms[j].kind <= f->last);
	}
}

TL_MAIN("tests", NULL, NULL,
	test_release_record_roundtrip, test_list_roundtrip, test_empty_list_roundtrip,
	test_error_roundtrip, test_garbage_refused, test_version_refused,
	test_unknown_and_empty_body_refused, test_oversize_refused, test_request_fields_validated,
	test_auth_bounds, test_every_kind_in_one_family)
