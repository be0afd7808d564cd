/*
 * cli — argument splitting and connection-setting resolution for rewindctl.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clientconf.h"
#include "domain.h"
#include "err.h"

static bool
is_bool_flag(const char *name, const char *const *bool_flags)
{
	for (const char *const *b = bool_flags; b && *b; b++)
		if (strcmp(*b, name) == 0)
			return true;
	return false;
}

static int
add_flag(struct cli *c, const char *name, const char *value)
{
	if (c->nflags >= CLI_MAX_ARGS) {
		fprintf(stderr, "error: too many flags\n");
		return CLI_USAGE;
	}
	c->flags[c->nflags].name = name;
	c->flags[c->nflags].value = value;
	c->flags[c->nflags].used = false;
	c->nflags++;
	return 0;
}

/* Handles one "--name[=value]" or "-o"; *i advances past a consumed value. */
static int
parse_flag(struct cli *c, int argc, char **argv, int *i, const char *const *bool_flags)
{
	char *arg = argv[*i];
	char *name = arg + (arg[1] == '-' ? 2 : 1);
	char *eq = strchr(name, '=');

	if (strcmp(arg, "-o") == 0 || strcmp(arg, "-h") == 0)
		name = arg[1] == 'o' ? "output" : "help";
	if (eq) {
		*eq = '\0';
		return add_flag(c, name, eq + 1);
	}
	if (is_bool_flag(name, bool_flags))
		return add_flag(c, name, NULL);
	if (*i + 1 >= argc) {
		fprintf(stderr, "error: flag %s needs a value\n", arg);
		return CLI_USAGE;
	}
	(*i)++;
	return add_flag(c, name, argv[*i]);
}

int
cli_parse(struct cli *c, int argc, char **argv, const char *const *bool_flags)
{
	memset(c, 0, sizeof(*c));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rv;
		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++) {
				if (c->nwords >= CLI_MAX_ARGS)
					return CLI_USAGE;
				c->words[c->nwords++] = argv[i];
			}
			break;
		}
		if (a[0] == '-' && a[1] != '\0') {
			if ((rv = parse_flag(c, argc, argv, &i, bool_flags)) != 0)
				return rv;
			continue;
		}
		if (c->nwords >= CLI_MAX_ARGS) {
			fprintf(stderr, "error: too many arguments\n");
			return CLI_USAGE;
		}
		c->words[c->nwords++] = a;
	}
	c->output = cli_get(c, "output");
	if (!c->output)
		c->output = "table";
	/* csv, svg and html are for the audit commands; the others print csv as a table. */
	if (strcmp(c->output, "json") != 0 && strcmp(c->output, "table") != 0 &&
	    strcmp(c->output, "csv") != 0 && strcmp(c->output, "svg") != 0 &&
	    strcmp(c->output, "html") != 0) {
		fprintf(stderr, "error: unknown output format \"%s\" (use table or json)\n",
		        c->output);
		return CLI_USAGE;
	}
	c->json = strcmp(c->output, "json") == 0;
	return 0;
}

const char *
cli_get(struct cli *c, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < c->nflags; i++) {
		if (strcmp(c->flags[i].name, name) == 0) {
			c->flags[i].used = true;
			v = c->flags[i].value ? c->flags[i].value : "";
		}
	}
	return v;
}

size_t
cli_get_all(struct cli *c, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nflags; i++) {
		if (strcmp(c->flags[i].name, name) != 0)
			continue;
		c->flags[i].used = true;
		if (n < max)
			out[n++] = c->flags[i].value ? c->flags[i].value : "";
	}
	return n;
}

bool
cli_has(struct cli *c, const char *name)
{
	return cli_get(c, name) != NULL;
}

/* Flags every command accepts (connection settings and output). */
static const char *const global_flags[] = {"server", "ca", "cert", "key", "config", "timeout",
                                           "output", "log-level", NULL};

int
cli_check_unused(struct cli *c, const char *cmd)
{
	for (size_t i = 0; i < c->nflags; i++) {
		if (!c->flags[i].used && !is_bool_flag(c->flags[i].name, global_flags)) {
			fprintf(stderr, "error: unknown flag --%s for \"%s\" (see rewindctl %s --help)\n",
			        c->flags[i].name, cmd, cmd);
			return CLI_USAGE;
		}
	}
	return 0;
}

int
cli_uint(const char *flag, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v ? v : "", &end, 10);
	if (!v || !*v || *end || errno || v[0] == '-' || n < lo || n > hi) {
		fprintf(stderr, "error: --%s must be a number from %u to %u\n", flag, lo, hi);
		return CLI_USAGE;
	}
	*out = (unsigned)n;
	return 0;
}

/* "+HH:MM", "-HH:MM", "+HHMM" or "Z" at the end of a time: seconds east of UTC. */
static int
zone_offset(const char *z, long *east)
{
	int h, m;
	char sign;
	if (strcmp(z, "Z") == 0 || strcmp(z, "z") == 0 || *z == '\0') {
		*east = 0;
		return 0;
	}
	if ((sscanf(z, "%c%2d:%2d", &sign, &h, &m) != 3 && sscanf(z, "%c%2d%2d", &sign, &h, &m) != 3) ||
	    (sign != '+' && sign != '-') || h > 23 || m > 59 || strlen(z) > 6)
		return -1;
	*east = (sign == '+' ? 1 : -1) * (h * 3600L + m * 60L);
	return 0;
}

int
cli_time(const char *flag, const char *v, long long *out_us)
{
	static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
	                                   "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *end;
		long east = 0, frac_us = 0;
		memset(&tm, 0, sizeof(tm));
		end = strptime(v, fmts[i], &tm);
		if (!end)
			continue;
		/* Fractional seconds, up to microseconds. */
		if (*end == '.') {
			long scale = 100000;
			for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
				if (scale > 0)
					frac_us += (*end - '0') * scale;
		}
		if (zone_offset(end, &east) != 0)
			continue;
		*out_us = ((long long)timegm(&tm) - east) * 1000000LL + frac_us;
		return 0;
	}
	fprintf(stderr, "error: --%s: \"%s\" is not a time (use 2026-11-26T05:30:00Z or "
	        "2026-11-26T06:30:00+01:00)\n", flag, v);
	return CLI_USAGE;
}

static void
pick(char *dst, size_t cap, const char *flag, const char *env, const char *file)
{
	const char *e = getenv(env);
	const char *v = flag ? flag : (e && *e) ? e : file;
	snprintf(dst, cap, "%s", v ? v : "");
}

int
cli_conn_resolve(struct cli *c, struct cli_conn *conn)
{
	struct clientconf cf;
	char msg[512];
	char def[1024];
	const char *path = cli_get(c, "config");
	const char *home = getenv("HOME");
	const char *t;
	unsigned timeout = 30;
	bool explicit = path != NULL;

	memset(&cf, 0, sizeof(cf));
	if (!path)
		path = getenv("REWIND_CONFIG");
	explicit = explicit || (path && *path);
	if ((!path || !*path) && home) {
		snprintf(def, sizeof(def), "%s/.config/rewind/config", home);
		path = def;
	}
	if (path && *path) {
		int rv = clientconf_load(path, &cf, msg, sizeof(msg));
		if (rv != 0 && (explicit || rv != RW_ENOTFOUND)) {
			fprintf(stderr, "error: %s\n", msg);
			return CLI_USAGE;
		}
	}
	pick(conn->server, sizeof(conn->server), cli_get(c, "server"), "REWIND_SERVER",
	     cf.server[0] ? cf.server : "tls+tcp://127.0.0.1:7443");
	pick(conn->ca, sizeof(conn->ca), cli_get(c, "ca"), "REWIND_CA", cf.ca);
	pick(conn->cert, sizeof(conn->cert), cli_get(c, "cert"), "REWIND_CERT", cf.cert);
	pick(conn->key, sizeof(conn->key), cli_get(c, "key"), "REWIND_KEY", cf.key);
	t = cli_get(c, "timeout");
	if (!t && cf.timeout[0])
		t = cf.timeout;
	if (t && cli_uint("timeout", t, 1, 3600, &timeout) != 0)
		return CLI_USAGE;
	conn->timeout_ms = (int)timeout * 1000;
	if (!conn->ca[0] || !conn->cert[0] || !conn->key[0]) {
		fprintf(stderr, "error: no credentials: give --ca, --cert and --key, set REWIND_CA, "
		                "REWIND_CERT and REWIND_KEY, or write them to %s\n",
		        path ? path : "~/.config/rewind/config");
		return CLI_USAGE;
	}
	return 0;
}

int
cli_exit_for(int err)
{
	switch (err) {
	case 0: return CLI_OK;
	case RW_ECONNECT:
	case RW_EAUTH:
	case RW_ETIMEDOUT:
	case RW_EVERSION: return CLI_CONNECT;
	case RW_EPERM: return CLI_DENIED;
	case RW_ENOTFOUND: return CLI_NOTFOUND;
	default: return CLI_FAILED;
	}
}
