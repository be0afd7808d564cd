/*
 * fuzz_registry — what a container registry (or a man in the middle of an
 * insecure one) sends back: WWW-Authenticate challenges, manifest bytes with
 * a Docker-Content-Digest header, and the image references operators type.
 * The first byte picks the parser; for the digest check the rest is
 * "HEADER\nBODY".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_challenge ch;
	struct registry_ref ref;
	char digest[RW_DIGEST_MAX + 1];
	char msg[512];
	char *text;

	if (size < 1 || size > 64 * 1024)
		return 0;
	/* The parsers take C strings, as the callers pass them (curl headers are NUL-terminated). */
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		registry_auth_parse(text, &ch);
		break;
	case 1:
		if (registry_ref_parse(text, &ref, msg, sizeof(msg)) == 0)
			registry_host_is_loopback(ref.host);
		break;
	case 2: {
		char *nl = memchr(text, '\n', size - 1);
		const char *hdr = nl ? text : "";
		const char *body = nl ? nl + 1 : text;
		size_t blen = nl ? (size_t)(size - 1 - (size_t)(nl + 1 - text)) : size - 1;
		if (nl)
			*nl = '\0';
		registry_digest_check(body, blen, hdr, digest, msg, sizeof(msg));
		break;
	}
	default:
		registry_host_is_loopback(text);
		break;
	}
	free(text);
	return 0;
}
