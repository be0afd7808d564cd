/*
 * cmd — the command table's usage texts and the helpers every console
 * command shares.  Messages go to stderr as "error: ..." and come back as
 * the exit codes of cli.h; nothing here knows a particular command.
 */
#include "cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "domain.h"
#include "err.h"

int
cmd_run(const struct cmd *k, struct cli *c)
{
	c->cmd = k;
	return k->fn(c);
}

void
cmd_help(const struct cmd *k, FILE *f)
{
	fputs(k->usage, f);
}

/*
 * The synopsis is the usage text up to its first blank line, without
 * "Usage: ".  Its later lines are aligned for that 7-column prefix;
 * "error: usage: " is 7 columns wider, so each gets 7 more spaces.
 */
int
cmd_usage_err(const struct cli *c)
{
	const char *s = c->cmd ? c->cmd->usage : "";
	const char *end = strstr(s, "\n\n");

	if (strncmp(s, "Usage: ", 7) == 0)
		s += 7;
	if (!end)
		end = s + strlen(s);
	fputs("error: usage: ", stderr);
	while (s < end) {
		size_t n = strcspn(s, "\n");
		if (n > (size_t)(end - s))
			n = (size_t)(end - s);
		fprintf(stderr, "%.*s\n", (int)n, s);
		s += n;
		if (*s == '\n')
			s++;
		if (s < end)
			fputs("       ", stderr);
	}
	return CLI_USAGE;
}

int
cmd_words(const struct cli *c, size_t n)
{
	return c->nwords == n ? 0 : cmd_usage_err(c);
}

int
cmd_check(int rv, const char *msg)
{
	if (rv == 0)
		return 0;
	fprintf(stderr, "error: %s\n", msg);
	return CLI_USAGE;
}

int
cmd_copy(char *dst, size_t cap, const char *flag, const char *v)
{
	if (rw_strcpy(dst, cap, v ? v : "") != 0) {
		fprintf(stderr, "error: --%s is too long (at most %zu bytes)\n", flag, cap - 1);
		return CLI_USAGE;
	}
	return 0;
}

int
cmd_id(const char *flag, const char *v, int64_t *out)
{
	unsigned n;
	if (cli_uint(flag, v, 1, 2000000000u, &n) != 0)
		return CLI_USAGE;
	*out = n;
	return 0;
}

int
cmd_id_flag(struct cli *c, const char *flag, int64_t *out)
{
	const char *v = cli_get(c, flag);
	*out = 0;
	return v ? cmd_id(flag, v, out) : 0;
}

int
cmd_limit(struct cli *c, uint32_t *limit)
{
	const char *v = cli_get(c, "limit");
	unsigned n = 0;
	if (v && cli_uint("limit", v, 1, RW_LIST_MAX, &n) != 0)
		return CLI_USAGE;
	*limit = n;
	return 0;
}

int
cmd_roundtrip(struct cli *c, wire_msg_t *req, enum wire_kind want, wire_msg_t **resp)
{
	link_t *l;
	int rv;

	*resp = NULL;
	if (!req) {
		fprintf(stderr, "error: out of memory\n");
		return CLI_FAILED;
	}
	if ((rv = client_connect(c, &l)) == 0) {
		rv = client_call(l, req, want, resp);
		link_close(l);
	}
	wire_msg_free(req);
	return rv;
}

void
cmd_print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

/* Empty strings stay out, keeping JSON output tidy. */
void
cmd_jset(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

void
cmd_jtime(json_t *o, const char *k, int64_t us)
{
	char buf[40];
	if (us)
		json_object_set_new(o, k, json_string(textfmt_time(us, buf, sizeof(buf))));
}

const char *
cmd_int_text(int64_t n, char buf[CMD_INT_TEXT_MAX])
{
	snprintf(buf, CMD_INT_TEXT_MAX, "%lld", (long long)n);
	return buf;
}

void
cmd_table_done(textfmt_table_t *t)
{
	if (t)
		textfmt_table_print(t, stdout);
	textfmt_table_free(t);
}

void
cmd_jsets(json_t *o, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, o);
	while ((k = va_arg(ap, const char *)) != NULL)
		cmd_jset(o, k, va_arg(ap, const char *));
	va_end(ap);
}

json_t *
cmd_json_array(const struct cmd_list *l, const void *items, size_t n, size_t size)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, l->json((const char *)items + i * size));
	return a;
}

void
cmd_print_list(const struct cli *c, const struct cmd_list *l, const void *items, size_t n,
               size_t size)
{
	textfmt_table_t *t;

	if (c->json) {
		cmd_print_json(cmd_json_array(l, items, n, size));
		return;
	}
	t = textfmt_table_new(l->ncols, l->headers);
	for (size_t i = 0; t && i < n; i++)
		l->row(t, (const char *)items + i * size);
	cmd_table_done(t);
}

int
cmd_list_env(struct cli *c, const char *name, enum wire_kind kind, enum wire_kind want,
             const struct cmd_list *l, size_t size)
{
	wire_msg_t *req = wire_msg_new(kind, 0), *resp = NULL;
	int rv;

	if (!req)
		return CLI_FAILED;
	if (c->nwords != 2 || CMD_COPY(req->u.query.env, "env", cli_get(c, "env")) ||
	    cli_check_unused(c, name)) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	if ((rv = cmd_roundtrip(c, req, want, &resp)) != 0)
		return rv;
	cmd_print_list(c, l, resp->u.list.items, resp->u.list.n, size);
	wire_msg_free(resp);
	return 0;
}
