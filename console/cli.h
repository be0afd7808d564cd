/*
 * cli — rewindctl's command-line model: flags in any position (kubectl
 * style: --flag VALUE, --flag=VALUE, -o VALUE), positional words, and the
 * connection settings resolved from flags, environment and config file.
 * Parsing only; commands live in cmd_*.c.
 */
#ifndef REWIND_CLI_H
#define REWIND_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "link.h"

/* Exit codes (documented in docs/console.md). */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAILED = 1,    /* the server or the operation refused */
	CLI_USAGE = 2,     /* bad command line */
	CLI_CONNECT = 3,   /* cannot reach or authenticate to rewindd */
	CLI_DENIED = 4,    /* this identity's role may not do that */
	CLI_NOTFOUND = 5,  /* the named object does not exist */
};

#define CLI_MAX_ARGS 64

struct cmd;

struct cli_flag {
	const char *name;   /* without dashes */
	const char *value;  /* NULL for a boolean flag */
	bool used;
};

struct cli {
	const char *words[CLI_MAX_ARGS];
	size_t nwords;
	struct cli_flag flags[CLI_MAX_ARGS];
	size_t nflags;
	bool json;          /* -o json */
	const char *output; /* table|json|csv|svg|html */
	const struct cmd *cmd; /* the command being run (cmd_run()), for its usage text */
};

/*
 * Splits argv.  bool_flags lists the flags that take no value.  Returns 0 or
 * CLI_USAGE with a message on stderr.
 */
int cli_parse(struct cli *c, int argc, char **argv, const char *const *bool_flags);

/* Value of --name (last one wins), or NULL; marks it used. */
const char *cli_get(struct cli *c, const char *name);
/* All values of a repeatable flag, in order; returns the count. */
size_t cli_get_all(struct cli *c, const char *name, const char **out, size_t max);
bool cli_has(struct cli *c, const char *name);

/* Fails (CLI_USAGE, message on stderr) when a flag was given that no one asked for. */
int cli_check_unused(struct cli *c, const char *cmd);

/* Parses an unsigned decimal within [lo, hi]; CLI_USAGE with a message on failure. */
int cli_uint(const char *flag, const char *v, unsigned lo, unsigned hi, unsigned *out);

/*
 * Parses RFC 3339 / ISO 8601 into unix microseconds: "2026-11-26T05:30:00Z",
 * with an offset ("2026-11-26T06:30:00+01:00"), fractions (".25Z"), or a
 * date (midnight UTC).  No offset means UTC.
 */
int cli_time(const char *flag, const char *v, long long *out_us);

/*
 * Connection settings: --server/--ca/--cert/--key, else REWIND_SERVER,
 * REWIND_CA, REWIND_CERT, REWIND_KEY, else the config file (--config,
 * REWIND_CONFIG, or ~/.config/rewind/config).
 */
struct cli_conn {
	char server[1024];
	char ca[1024];
	char cert[1024];
	char key[1024];
	int timeout_ms;
};
int cli_conn_resolve(struct cli *c, struct cli_conn *conn);

/* Maps an rw_err to the exit code above. */
int cli_exit_for(int err);

#endif
