/*
 * fuzz_clientconf — the console/agent configuration file
 * (~/.config/rewind/config): clientconf_parse() on arbitrary text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clientconf c;
	char msg[512];
	char *text;

	if (size > CLIENTCONF_MAX_BYTES)
		return 0; /* clientconf_load() refuses bigger files before parsing */
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0, sizeof(c));
	clientconf_parse("fuzz", text, &c, msg, sizeof(msg));
	free(text);
	return 0;
}
