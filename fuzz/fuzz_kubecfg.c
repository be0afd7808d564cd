/*
 * fuzz_kubecfg — kubeconfig files (YAML, libyaml): kubecfg_load_text() with
 * the current context and with a named one.  Relative paths resolve against
 * an empty directory made at start (removed at exit); stdin is /dev/null so a tokenFile of
 * /dev/stdin cannot block the run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubecfg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base_dir[64] = "/nonexistent";

/* The directory stays empty (nothing writes there): remove it when the run ends. */
static void
remove_base_dir(void)
{
	rmdir(base_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/tmp/rewind-fuzz-kubecfg.XXXXXX";

	(void)argc;
	(void)argv;
	if (!freopen("/dev/null", "r", stdin))
		return 0;
	if (mkdtemp(tmpl)) {
		snprintf(base_dir, sizeof(base_dir), "%s", tmpl);
		atexit(remove_base_dir);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kubecfg c;
	char msg[512];

	if (size > KUBECFG_FILE_MAX)
		return 0;
	memset(&c, 0, sizeof(c));
	if (kubecfg_load_text((const char *)data, size, base_dir, NULL, &c, msg, sizeof(msg)) == 0)
		kubecfg_clear(&c);
	memset(&c, 0, sizeof(c));
	if (kubecfg_load_text((const char *)data, size, base_dir, "fuzz", &c, msg, sizeof(msg)) == 0)
		kubecfg_clear(&c);
	return 0;
}
