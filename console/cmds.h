/*
 * cmds — the rewindctl commands.  Each returns an exit code (cli.h) and
 * prints its own errors; main.c only routes words to them.
 */
#ifndef REWIND_CMDS_H
#define REWIND_CMDS_H

#include "cli.h"

struct cmd {
	const char *group;   /* e.g. "release" */
	const char *verb;    /* e.g. "record"; NULL for a one-word command */
	int (*fn)(struct cli *c);
	const char *summary;
	const char *usage;   /* full help text */
};

/* Tables defined in cmd_pki.c and cmd_records.c; each ends with a zeroed entry. */
extern const struct cmd cmds_pki[];
extern const struct cmd cmds_records[];
extern const struct cmd cmds_agents[];

#endif
