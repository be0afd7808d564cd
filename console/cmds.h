/*
 * cmds — the rewindctl command tables, in the order `rewindctl --help`
 * lists them.  Each command returns an exit code (cli.h) and prints its own
 * errors; main.c only routes words to them.  What a table entry is and the
 * helpers the commands share are in cmd.h.
 */
#ifndef REWIND_CMDS_H
#define REWIND_CMDS_H

#include "cmd.h"

/* Each ends with a zeroed entry. */
extern const struct cmd cmds_pki[];       /* cmd_pki.c */
extern const struct cmd cmds_records[];   /* cmd_records.c */
extern const struct cmd cmds_artifacts[]; /* cmd_artifacts.c */
extern const struct cmd cmds_agents[];    /* cmd_agents.c */
extern const struct cmd cmds_ops[];       /* cmd_ops.c: deploy ... op list */
extern const struct cmd cmds_incidents[]; /* cmd_incidents.c: decide, incident */
extern const struct cmd cmds_config[];    /* cmd_ops.c: config set|revert */
extern const struct cmd cmds_settings[];  /* cmd_settings.c: env set..., service set-order */
extern const struct cmd cmds_audit[];     /* cmd_audit.c */

#endif
