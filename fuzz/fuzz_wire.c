/*
 * fuzz_wire — the protocol envelope and its validation: wire_decode() as a
 * client uses it (any message kind, replies up to WIRE_RESPONSE_MAX) and
 * wire_decode_request() as rewindd does.  A message that decodes must
 * encode again, and that encoding must decode: validation and encoding
 * must agree on what is valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encodes a decoded message and checks the result decodes too. */
static void
roundtrip(const wire_msg_t *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	wire_msg_t *again = NULL;
	uint64_t rid = 0;
	char msg[256];

	if (wire_encode(m, &buf, &len) != 0)
		return; /* out of memory only; nothing to compare */
	if (wire_decode(buf, len, WIRE_RESPONSE_MAX, &again, &rid, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "re-encoded %s does not decode: %s\n", wire_kind_name(m->kind), msg);
		abort();
	}
	if (again->kind != m->kind || again->request_id != m->request_id)
		abort();
	wire_msg_free(again);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wire_msg_t *m = NULL;
	uint64_t rid = 0;
	char msg[256];

	if (wire_decode(data, size, WIRE_RESPONSE_MAX, &m, &rid, msg, sizeof(msg)) == 0) {
		roundtrip(m);
		wire_msg_free(m);
	}
	m = NULL;
	if (wire_decode_request(data, size, &m, &rid, msg, sizeof(msg)) == 0)
		wire_msg_free(m);
	return 0;
}
