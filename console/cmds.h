/*
 * cmds — the rewindctl command tables, one per cmd_*.c file (main.c routes
 * words to them and lists them in --help).  Each command returns an exit
 * code (cli.h) and prints its own errors.  What a table entry is and the
 * helpers the commands share are in cmd.h.
 */
#ifndef REWIND_CMDS_H
#define REWIND_CMDS_H

#include "cmd.h"

/* Each ends with a zeroed entry. */
extern const struct cmd cmds_pki[];          /* cmd_pki.c */
extern const struct cmd cmds_records[];      /* cmd_records.c */
extern const struct cmd cmds_artifacts[];    /* cmd_artifacts.c */
extern const struct cmd cmds_agents[];       /* cmd_agents.c */
extern const struct cmd cmds_coord[];        /* cmd_coord.c: deploy ... op list */
extern const struct cmd cmds_incidents[];    /* cmd_incidents.c: decide, incident */
extern const struct cmd cmds_coord_config[]; /* cmd_coord.c: config, settings */
extern const struct cmd cmds_audit[];        /* cmd_audit.c */

#endif
