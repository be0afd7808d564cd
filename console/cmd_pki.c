/*
 * cmd_pki — "rewindctl pki init|issue": the fleet PKI in one command each,
 * with no openssl anywhere (shared/pki.c does the work with mbedTLS).
 * Works offline: these commands never talk to rewindd.
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "err.h"
#include "pki.h"

static int
pki_init_cmd(struct cli *c)
{
	const char *sans[16];
	const char *dir = cli_get(c, "dir");
	size_t nsans = cli_get_all(c, "san", sans, 16);
	char msg[512] = "";
	int rv;

	if ((rv = cli_check_unused(c, "pki init")) != 0)
		return rv;
	if (!dir || !*dir || c->nwords != 2)
		return cmd_usage_err(c);
	rv = pki_init(dir, sans, nsans, msg, sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "error: %s\n", msg[0] ? msg : rw_strerror(rv));
		return CLI_FAILED;
	}
	printf("created fleet CA and server certificate in %s\n", dir);
	printf("  %s/ca.crt       give to every agent and console\n", dir);
	printf("  %s/server.crt   rewindd --pki-dir %s\n", dir, dir);
	return 0;
}

/* File base name for an identity: "prod/node-1" -> "prod_node-1". */
static void
file_base(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s", name);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '_';
}

static int
pki_issue_cmd(struct cli *c)
{
	const char *dir = cli_get(c, "dir");
	const char *role = cli_get(c, "role");
	const char *name = cli_get(c, "name");
	const char *out = cli_get(c, "out");
	const char *days_s = cli_get(c, "days");
	char msg[512] = "", base[160], key[4096], crt[4096];
	unsigned days = PKI_DEFAULT_DAYS;
	int rv;

	if ((rv = cli_check_unused(c, "pki issue")) != 0)
		return rv;
	if (!dir || !role || !name || c->nwords != 2)
		return cmd_usage_err(c);
	if (days_s && cli_uint("days", days_s, 1, 3650, &days) != 0)
		return CLI_USAGE;
	if (pki_check_name(name) != 0) {
		fprintf(stderr, "error: --name \"%s\": use 1-128 of A-Z a-z 0-9 . _ - and at most "
		                "one '/' (cluster/node for agents)\n", name);
		return CLI_USAGE;
	}
	file_base(name, base, sizeof(base));
	snprintf(key, sizeof(key), "%s/%s.key", out ? out : dir, base);
	snprintf(crt, sizeof(crt), "%s/%s.crt", out ? out : dir, base);
	rv = pki_issue(dir, role, name, (int)days, 0, key, crt, msg, sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "error: %s\n", msg[0] ? msg : rw_strerror(rv));
		return rv == RW_EINVAL ? CLI_USAGE : CLI_FAILED;
	}
	printf("issued %s certificate for \"%s\" (valid %u days)\n  %s\n  %s\n", role, name, days,
	       crt, key);
	return 0;
}

const struct cmd cmds_pki[] = {
    {"pki", "init", pki_init_cmd, "create the fleet CA and the server certificate",
     "Usage: rewindctl pki init --dir DIR [--san NAME]...\n\n"
     "Creates DIR (mode 0700) with ca.key, ca.crt, server.key and server.crt (EC P-256).\n"
     "The server certificate names localhost and 127.0.0.1 plus every --san (DNS name or IP).\n"
     "Refuses to overwrite an existing CA.\n"},
    {"pki", "issue", pki_issue_cmd, "issue a key and certificate for a console or agent",
     "Usage: rewindctl pki issue --dir DIR --role ROLE --name NAME [--out DIR] [--days N]\n\n"
     "ROLE is viewer, operator, admin or agent (agents: NAME is CLUSTER/NODE).\n"
     "Writes NAME.crt and NAME.key ('/' becomes '_') into --out (default: DIR).\n"},
    {0},
};
