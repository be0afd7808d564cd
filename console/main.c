/*
 * rewindctl — the coordinator console.  Routes "GROUP VERB" words to the
 * command tables (cmd_*.c), prints help, and returns their exit codes.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "log.h"

static const struct cmd *const tables[] = {cmds_pki, cmds_records, cmds_artifacts, cmds_agents,
                                           cmds_coord, cmds_incidents, cmds_coord_config,
                                           cmds_audit};

static const char *const bool_flags[] = {"help",     "wait",       "allow-unpinned",
                                          "registry-insecure", "verified", "no-wait",
                                          "no-observe", "all", "dry-run", "hotfix", "no-prompt",
                                          NULL};

static void
usage(FILE *f)
{
	fprintf(f, "rewindctl — Rewind's console: record releases, see history, audit.\n\n"
	           "Usage: rewindctl COMMAND [flags]\n\nCommands:\n");
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cmd *c = tables[t]; c->group; c++) {
			char name[64];
			snprintf(name, sizeof(name), "%s%s%s", c->group, c->verb ? " " : "",
			         c->verb ? c->verb : "");
			fprintf(f, "  %-18s %s\n", name, c->summary);
		}
	fprintf(f,
	        "\nConnection flags (every command that talks to rewindd):\n"
	        "  --server URL     tls+tcp://HOST:PORT (env REWIND_SERVER; default tls+tcp://127.0.0.1:7443)\n"
	        "  --ca FILE        fleet CA certificate (env REWIND_CA)\n"
	        "  --cert FILE      your certificate (env REWIND_CERT)\n"
	        "  --key FILE       your key (env REWIND_KEY)\n"
	        "  --config FILE    key = value file with server, ca, cert, key, timeout\n"
	        "                   (env REWIND_CONFIG; default ~/.config/rewind/config)\n"
	        "  --timeout SEC    per request (default 30)\n"
	        "  -o table|json    output format\n"
	        "\nExit codes: 0 ok, 1 failed, 2 usage, 3 cannot connect or authenticate,\n"
	        "            4 permission denied, 5 not found.\n"
	        "Run 'rewindctl COMMAND --help' for a command's flags.\n");
}

static const struct cmd *
find(const struct cli *c, int *group_known)
{
	*group_known = 0;
	if (c->nwords == 0)
		return NULL;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cmd *k = tables[t]; k->group; k++) {
			if (strcmp(k->group, c->words[0]) != 0)
				continue;
			*group_known = 1;
			if (!k->verb)
				return k;
			if (c->nwords >= 2 && strcmp(k->verb, c->words[1]) == 0)
				return k;
		}
	return NULL;
}

static void
group_usage(const char *group)
{
	fprintf(stderr, "Commands of \"%s\":\n", group);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cmd *k = tables[t]; k->group; k++)
			if (strcmp(k->group, group) == 0)
				fprintf(stderr, "  %s %-10s %s\n", k->group, k->verb ? k->verb : "",
				        k->summary);
}

int
main(int argc, char **argv)
{
	struct cli c;
	const struct cmd *k;
	const char *level;
	int known, rv;

	log_init("rewindctl");
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("rewindctl %s\n", REWIND_VERSION);
		return 0;
	}
	if ((rv = cli_parse(&c, argc, argv, bool_flags)) != 0)
		return rv;
	if ((level = cli_get(&c, "log-level")) && log_set_level_name(level) != 0) {
		fprintf(stderr, "error: unknown log level \"%s\"\n", level);
		return CLI_USAGE;
	}
	k = find(&c, &known);
	if (!k) {
		if (c.nwords == 0 || (cli_has(&c, "help") && !known)) {
			usage(c.nwords == 0 && !cli_has(&c, "help") ? stderr : stdout);
			return c.nwords == 0 && !cli_has(&c, "help") ? CLI_USAGE : 0;
		}
		if (known) {
			group_usage(c.words[0]);
			return cli_has(&c, "help") ? 0 : CLI_USAGE;
		}
		fprintf(stderr, "error: unknown command \"%s\" (see rewindctl --help)\n", c.words[0]);
		return CLI_USAGE;
	}
	if (cli_has(&c, "help")) {
		cmd_help(k, stdout);
		return 0;
	}
	return cmd_run(k, &c);
}
