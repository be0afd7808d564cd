/*
 * cmd — what a rewindctl command is, and the helpers every command uses.
 *
 * A command is a table entry (struct cmd) whose usage text is kept once:
 * --help prints it whole and a usage error prints its synopsis.  The
 * helpers: a round trip to rewindd on a fresh session, flag values copied
 * into request fields, id and --limit flags, JSON output, and list replies
 * printed as a JSON array or a table.  This module does not split the command line
 * (cli.h), open sessions or make calls (client.h), or lay out tables and
 * times (textfmt.h); it routes no words (main.c).
 */
#ifndef REWIND_CMD_H
#define REWIND_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "textfmt.h"
#include "wire.h"

struct cmd {
	const char *group;   /* e.g. "release" */
	const char *verb;    /* e.g. "record"; NULL for a one-word command */
	int (*fn)(struct cli *c);
	const char *summary;
	/*
	 * The whole help text: "Usage: SYNOPSIS\n", continuation and alternative
	 * lines aligned under the first, then optionally a blank line and more.
	 * The synopsis (up to the blank line) is also what a usage error prints.
	 */
	const char *usage;
};

/* Runs k->fn for c; from here on cmd_usage_err(c) prints k's synopsis. */
int cmd_run(const struct cmd *k, struct cli *c);
/* --help: k's whole usage text. */
void cmd_help(const struct cmd *k, FILE *f);

/* Prints "error: usage: SYNOPSIS" of the command being run; returns CLI_USAGE. */
int cmd_usage_err(const struct cli *c);
/* 0 when the command line has exactly n words, else cmd_usage_err(). */
int cmd_words(const struct cli *c, size_t n);
/* 0 when rv is 0, else prints "error: msg" and returns CLI_USAGE. */
int cmd_check(int rv, const char *msg);

/*
 * Copies a flag's value (NULL: "") into dst[cap]; CLI_USAGE with
 * "error: --flag is too long" when it does not fit.
 */
int cmd_copy(char *dst, size_t cap, const char *flag, const char *v);
#define CMD_COPY(dst, flag, v) cmd_copy((dst), sizeof(dst), (flag), (v))

/* An id (1..2000000000) given as v; CLI_USAGE with a message otherwise. */
int cmd_id(const char *flag, const char *v, int64_t *out);
/* The optional id flag --flag: *out is 0 when it was not given. */
int cmd_id_flag(struct cli *c, const char *flag, int64_t *out);
/* The optional --limit N (1..RW_LIST_MAX): *limit is 0 when not given. */
int cmd_limit(struct cli *c, uint32_t *limit);

/*
 * Runs one request on a fresh session (req is freed, NULL meaning out of
 * memory); *resp is owned by the caller (wire_msg_free()).
 */
int cmd_roundtrip(struct cli *c, wire_msg_t *req, enum wire_kind want, wire_msg_t **resp);

/* Prints j indented, members in order, and releases it. */
void cmd_print_json(json_t *j);
/* Sets a string member only when non-empty; a time member only when non-zero. */
void cmd_jset(json_t *o, const char *k, const char *v);
void cmd_jtime(json_t *o, const char *k, int64_t us);

/* cmd_jset() for each key, value pair of a list ending in NULL. */
void cmd_jsets(json_t *o, ...) __attribute__((sentinel));

/* n as decimal text in buf; returns buf (for table cells). */
#define CMD_INT_TEXT_MAX 24
const char *cmd_int_text(int64_t n, char buf[CMD_INT_TEXT_MAX]);

/* Prints t on stdout and frees it; NULL (out of memory) prints nothing. */
void cmd_table_done(textfmt_table_t *t);

/* How the items of a list reply print: as JSON objects or as table rows. */
struct cmd_list {
	size_t ncols;
	const char *const *headers;
	json_t *(*json)(const void *item);                  /* a new object */
	void (*row)(textfmt_table_t *t, const void *item);  /* adds the item's row */
};
/* A new JSON array of l->json() of the n items (each size bytes). */
json_t *cmd_json_array(const struct cmd_list *l, const void *items, size_t n, size_t size);
/* Prints the n items as a JSON array (-o json) or as a table. */
void cmd_print_list(const struct cli *c, const struct cmd_list *l, const void *items, size_t n,
                    size_t size);
/*
 * "GROUP list [--env E]" (cli_check_unused() name): one request of kind with
 * the env filter, its want reply's items (each size bytes) printed with l.
 */
int cmd_list_env(struct cli *c, const char *name, enum wire_kind kind, enum wire_kind want,
                 const struct cmd_list *l, size_t size);

#endif
