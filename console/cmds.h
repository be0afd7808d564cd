/*
 * cmds — the rewindctl commands.  Each returns an exit code (cli.h) and
 * prints its own errors; main.c only routes words to them.
 */
#ifndef REWIND_CMDS_H
#define REWIND_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "link.h"
#include "wire.h"

struct cmd {
	const char *group;   /* e.g. "release" */
	const char *verb;    /* e.g. "record"; NULL for a one-word command */
	int (*fn)(struct cli *c);
	const char *summary;
	const char *usage;   /* full help text */
};

/* Tables defined in cmd_pki.c, cmd_records.c and cmd_artifacts.c; each ends with a zeroed entry. */
extern const struct cmd cmds_pki[];
extern const struct cmd cmds_records[];
extern const struct cmd cmds_agents[];
extern const struct cmd cmds_artifacts[];
extern const struct cmd cmds_coord[];
extern const struct cmd cmds_audit[];

/* Shared by the command files (cmd_records.c). */
/* Runs one request on a fresh session (req is freed); *resp owned by the caller. */
int cmd_roundtrip(struct cli *c, wire_msg_t *req, enum wire_kind want, wire_msg_t **resp);
/* Prints and releases j. */
void cmd_print_json(json_t *j);
/* Sets a string member only when non-empty; a time member only when non-zero. */
void cmd_jset(json_t *o, const char *k, const char *v);
void cmd_jtime(json_t *o, const char *k, int64_t us);

/* (cmd_artifacts.c) */
/*
 * Packs files into a .tar.gz (at most RW_ARTIFACT_MAX) for kind
 * (config-archive|migration) and fills an ARTIFACT_ADD for release_id named
 * <prefix>-<kind>.tar.gz.  Prints the error and returns an exit code on failure.
 */
int cmd_artifact_pack(const char *const *files, size_t n, int64_t release_id, const char *kind,
                      const char *prefix, wire_msg_t **out);
/* Sends a packed ARTIFACT_ADD on an open session, prints the stored artifact. */
int cmd_artifact_send(struct cli *c, link_t *l, const wire_msg_t *req);
json_t *cmd_artifact_json(const rw_artifact_t *a);

#endif
