/*
 * cmd_audit — rewindctl audit: queries over the release history (what ran,
 * rollbacks, the log, a release's life, DORA metrics), the timeline
 * picture, and the ledger (verify, sign).  Every answer is a typed table
 * from the server (the columns of the read-only views of docs/audit.md),
 * printed as a table, JSON or CSV, so the console and auditors' SQL agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auditq.h"
#include "client.h"
#include "cmds.h"
#include "domain.h"
#include "err.h"
#include "textfmt.h"
#include "timeline.h"

/* --- output ------------------------------------------------------------------ */

static const char *
cell_text(const rw_table_t *t, size_t r, size_t c, char *buf, size_t cap)
{
	const char *v = rw_table_cell(t, r, c);
	if (!v[0])
		return "";
	if (t->types[c] == 'T')
		return textfmt_time(strtoll(v, NULL, 10), buf, cap);
	if (t->types[c] == 'b')
		return strcmp(v, "t") == 0 ? "true" : "false";
	return v;
}

static void
print_table(const rw_table_t *t)
{
	const char *hdr[RW_TABLE_COLS_MAX], *row[RW_TABLE_COLS_MAX];
	char up[RW_TABLE_COLS_MAX][RW_NAME_MAX + 1], bufs[RW_TABLE_COLS_MAX][40];
	textfmt_table_t *tt;

	for (size_t c = 0; c < t->ncols; c++) {
		size_t i = 0;
		for (; t->cols[c][i]; i++)
			up[c][i] = t->cols[c][i] == '_' ? ' ' : (char)(t->cols[c][i] & ~0x20);
		up[c][i] = '\0';
		hdr[c] = up[c];
	}
	if (!(tt = textfmt_table_new(t->ncols, hdr)))
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = cell_text(t, r, c, bufs[c], sizeof(bufs[c]));
			row[c] = v[0] ? v : "-";
		}
		textfmt_table_add(tt, row);
	}
	textfmt_table_print(tt, stdout);
	textfmt_table_free(tt);
}

/* One row as "NAME: value" lines (dora, sign). */
static void
print_vertical(const rw_table_t *t)
{
	char buf[40];
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = cell_text(t, r, c, buf, sizeof(buf));
			printf("%-22s %s\n", t->cols[c], v[0] ? v : "-");
		}
		if (r + 1 < t->nrows)
			putchar('\n');
	}
}

static json_t *
cell_json(const rw_table_t *t, size_t r, size_t c)
{
	const char *v = rw_table_cell(t, r, c);
	char buf[40];
	json_error_t jerr;

	if (!v[0] && t->types[c] != 't')
		return json_null();
	switch (t->types[c]) {
	case 'i': return json_integer(strtoll(v, NULL, 10));
	case 'n': return json_real(strtod(v, NULL));
	case 'b': return json_boolean(strcmp(v, "t") == 0);
	case 'T': return json_string(textfmt_time(strtoll(v, NULL, 10), buf, sizeof(buf)));
	default:
		/* JSON documents (an audit row's detail) stay documents. */
		if (strcmp(t->cols[c], "detail") == 0 && v[0] == '{') {
			json_t *o = json_loads(v, 0, &jerr);
			if (o)
				return o;
		}
		return json_string(v);
	}
}

static void
print_json(const rw_table_t *t)
{
	json_t *a = json_array();
	for (size_t r = 0; a && r < t->nrows; r++) {
		json_t *o = json_object();
		for (size_t c = 0; o && c < t->ncols; c++)
			json_object_set_new(o, t->cols[c], cell_json(t, r, c));
		json_array_append_new(a, o);
	}
	cmd_print_json(a);
}

/* RFC 4180: quote every field that needs it, double the quotes inside. */
static void
csv_field(const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (; *v; v++) {
		if (*v == '"')
			putchar('"');
		putchar(*v);
	}
	putchar('"');
}

static void
print_csv(const rw_table_t *t)
{
	char buf[40];
	for (size_t c = 0; c < t->ncols; c++) {
		if (c)
			putchar(',');
		csv_field(t->cols[c]);
	}
	fputs("\r\n", stdout);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				putchar(',');
			csv_field(cell_text(t, r, c, buf, sizeof(buf)));
		}
		fputs("\r\n", stdout);
	}
}

static void
print_answer(struct cli *c, const rw_table_t *t, bool vertical)
{
	if (strcmp(c->output, "json") == 0)
		print_json(t);
	else if (strcmp(c->output, "csv") == 0)
		print_csv(t);
	else if (vertical)
		print_vertical(t);
	else
		print_table(t);
}

/* --- requests ------------------------------------------------------------------ */

#define SETF(dst, flag) CMD_COPY((dst), (flag), cli_get(c, (flag)))

static int
time_flag(struct cli *c, const char *flag, int64_t *out)
{
	const char *v = cli_get(c, flag);
	long long us;
	if (!v)
		return 0;
	if (cli_time(flag, v, &us) != 0)
		return CLI_USAGE;
	*out = us;
	return 0;
}

static int
formats(struct cli *c, const char *allowed, const char *cmd)
{
	char list[64];
	snprintf(list, sizeof(list), "|%s|", allowed);
	char want[16];
	snprintf(want, sizeof(want), "|%s|", c->output);
	if (strstr(list, want))
		return 0;
	fprintf(stderr, "error: rewindctl audit %s prints %s, not %s\n", cmd, allowed, c->output);
	return CLI_USAGE;
}

/* Common flags, then the query; *resp owned by the caller. */
static int
ask(struct cli *c, rw_auditq_t *q, const char *cmd, size_t nwords, wire_msg_t **resp)
{
	wire_msg_t *req;
	const char *lim = cli_get(c, "limit");
	unsigned n = 0;
	char msg[256];
	int rv;

	*resp = NULL;
	if (c->nwords != nwords) {
		fprintf(stderr, "error: unexpected argument \"%s\" (see rewindctl audit %s --help)\n",
		        c->words[c->nwords - 1], cmd);
		return CLI_USAGE;
	}
	if (lim && cli_uint("limit", lim, 1, RW_TABLE_ROWS_MAX, &n) != 0)
		return CLI_USAGE;
	q->limit = n;
	if ((rv = time_flag(c, "since", &q->since)) || (rv = time_flag(c, "until", &q->until)) ||
	    (rv = cli_check_unused(c, cmd)))
		return rv;
	if (rw_auditq_check(q, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg);
		return CLI_USAGE;
	}
	if (!(req = wire_msg_new(WIRE_AUDIT_QUERY, 0)))
		return CLI_FAILED;
	req->u.aquery = *q;
	return cmd_roundtrip(c, req, WIRE_AUDIT_TABLE, resp);
}

static int
run_simple(struct cli *c, rw_auditq_t *q, const char *cmd, bool vertical)
{
	wire_msg_t *resp;
	int rv;
	if ((rv = formats(c, "table|json|csv", cmd)) || (rv = ask(c, q, cmd, 2, &resp)))
		return rv;
	print_answer(c, &resp->u.table, vertical);
	wire_msg_free(resp);
	return 0;
}

static int
a_what_ran(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_WHAT_RAN};
	int rv;
	if ((rv = SETF(q.env, "env")) || (rv = time_flag(c, "at", &q.at)))
		return rv;
	if (!cli_has(c, "at")) {
		fprintf(stderr, "error: --at TIME is required\n");
		return CLI_USAGE;
	}
	return run_simple(c, &q, "what-ran", false);
}

static int
a_rollbacks(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_ROLLBACKS};
	if (SETF(q.service, "service") || SETF(q.env, "env"))
		return CLI_USAGE;
	return run_simple(c, &q, "rollbacks", false);
}

static int
a_log(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_LOG};
	const char *kind = cli_get(c, "kind"), *action = cli_get(c, "action");
	int rv;
	if (kind && action) {
		fprintf(stderr, "error: give --kind or --action, not both\n");
		return CLI_USAGE;
	}
	if ((rv = SETF(q.actor, "actor")) || (rv = SETF(q.service, "service")) ||
	    (rv = CMD_COPY(q.action_kind, "kind", kind ? kind : action)))
		return rv;
	return run_simple(c, &q, "log", false);
}

static int
a_release(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_RELEASE};
	int rv;
	if ((rv = SETF(q.service, "service")) || (rv = SETF(q.version, "version")))
		return rv;
	if (c->nwords == 3) {
		if (cmd_id("release", c->words[2], &q.release_id) != 0)
			return CLI_USAGE;
		c->nwords = 2;      /* the id is consumed */
	}
	return run_simple(c, &q, "release", false);
}

static int
a_dora(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_DORA};
	if (SETF(q.env, "env") != 0)
		return CLI_USAGE;
	return run_simple(c, &q, "dora", true);
}

static int
a_timeline(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_TIMELINE};
	wire_msg_t *resp;
	int64_t until, since;
	int rv;

	if ((rv = formats(c, "svg|html|table|json|csv", "timeline")) ||
	    (rv = SETF(q.env, "env")) || (rv = ask(c, &q, "timeline", 2, &resp)))
		return rv;
	/* The server used the same defaults: now, and 30 days before until. */
	until = q.until ? q.until : rw_now_us();
	since = q.since ? q.since : until - 30LL * 86400 * 1000000;
	if (strcmp(c->output, "svg") == 0 || strcmp(c->output, "html") == 0)
		rv = timeline_render(stdout, &resp->u.table, q.env, since, until,
		                     strcmp(c->output, "html") == 0);
	else
		print_answer(c, &resp->u.table, false);
	wire_msg_free(resp);
	if (rv != 0) {
		fprintf(stderr, "error: cannot draw the timeline: %s\n", rw_strerror(rv));
		return CLI_FAILED;
	}
	return 0;
}

/* Exit 1 when the ledger was tampered with, so scripts and cron notice. */
static int
a_verify(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_VERIFY};
	wire_msg_t *resp;
	bool intact = false;
	int rv;

	if ((rv = formats(c, "table|json|csv", "verify")) || (rv = ask(c, &q, "verify", 2, &resp)))
		return rv;
	const rw_table_t *t = &resp->u.table;
	for (size_t r = 0; r < t->nrows; r++)
		if (strcmp(rw_table_cell(t, r, 0), "summary") == 0)
			intact = strcmp(rw_table_cell(t, r, 1), "intact") == 0;
	print_answer(c, t, false);
	wire_msg_free(resp);
	if (!intact && strcmp(c->output, "table") == 0)
		fprintf(stderr, "error: the audit ledger was tampered with (see above)\n");
	return intact ? 0 : CLI_FAILED;
}

static int
a_sign(struct cli *c)
{
	rw_auditq_t q = {.kind = RW_AUDITQ_SIGN};
	return run_simple(c, &q, "sign", true);
}

#define FMT "[-o table|json|csv]"
const struct cmd cmds_audit[] = {
    {"audit", "what-ran", a_what_ran, "every service's release and digest at a moment",
     "Usage: rewindctl audit what-ran --env E --at TIME " FMT "\n\n"
     "Per service, the latest deployment to E that succeeded and started at or before TIME\n"
     "(view audit_what_ran).  ROLLING OUT names a deployment in flight at that moment.\n"
     "TIME: 2026-11-26T05:30:00Z, 2026-11-26T06:30:00+01:00, or a date (midnight UTC).\n"},
    {"audit", "rollbacks", a_rollbacks, "rollbacks with reasons, decisions and durations",
     "Usage: rewindctl audit rollbacks [--since T] [--until T] [--service S] [--env E]\n"
     "                                 [--limit N] " FMT "\n"},
    {"audit", "log", a_log, "the audit log, newest first, filtered",
     "Usage: rewindctl audit log [--actor NAME] [--service S] [--kind K | --action PREFIX]\n"
     "                           [--since TIME] [--until TIME] [--limit N] " FMT "\n\n"
     "--kind: an action (rollback.start), its first word (rollback) or a prefix ending in '.'.\n"},
    {"audit", "release", a_release, "a release's whole life",
     "Usage: rewindctl audit release ID " FMT "\n"
     "       rewindctl audit release --service S --version V " FMT "\n\n"
     "Capture, artifacts, deployments (by kind), and incidents linked to or opened while it ran.\n"},
    {"audit", "dora", a_dora, "DORA metrics of an environment",
     "Usage: rewindctl audit dora --env E [--since T] [--until T] " FMT "\n\n"
     "Deployment frequency, lead time from capture to production, change failure rate and\n"
     "mean time to recover over [since, until) (default: the last 30 days).\n"},
    {"audit", "timeline", a_timeline, "draw releases, deployments, rollbacks and incidents",
     "Usage: rewindctl audit timeline --env E [--since T] [--until T] -o svg|html > FILE\n\n"
     "Also -o table|json|csv for the items themselves.\n"},
    {"audit", "verify", a_verify, "check the tamper-evident audit ledger",
     "Usage: rewindctl audit verify " FMT "\n\n"
     "rewindd walks the hash chain and checks every signed head; exits 1 and names the\n"
     "first row changed, deleted or inserted out of band, or a forged head.\n"},
    {"audit", "sign", a_sign, "sign the audit chain head now (operator)",
     "Usage: rewindctl audit sign " FMT "\n"},
    {0},
};
