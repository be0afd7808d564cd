/*
 * fuzz_scenario — the simulator's scenario file (kubesim/): scn_load_string()
 * on arbitrary text, then the image-behaviour lookup a loaded scenario serves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s = NULL;
	char err[512];
	char *text;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (scn_load_string(text, &s, err, sizeof(err)) == 0) {
		scn_image_for(s, "ghcr.io/crisisk/mr-dj-frontend:v1");
		for (size_t i = 0; i < s->ndeps; i++)
			scn_deploy_find(s, s->deps[i].ns, s->deps[i].name);
		scn_free(s);
	}
	free(text);
	return 0;
}
