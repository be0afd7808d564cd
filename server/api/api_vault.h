/*
 * api_vault — what rewindd keeps besides the history: release artifacts
 * (upload, list, re-hash), environment databases (their redacted URLs) and
 * backups of them (run, record one made elsewhere, verify by restoring,
 * list).  The archive, dump and restore work is vault/'s (artifacts.c,
 * backup.c, appdb.c); this file answers requests with it.
 */
#ifndef REWIND_API_VAULT_H
#define REWIND_API_VAULT_H

#include "api.h"

wire_msg_t *api_artifact_add(struct api_call *c);
wire_msg_t *api_artifact_list(struct api_call *c);
wire_msg_t *api_artifact_verify(struct api_call *c);
wire_msg_t *api_env_db_set(struct api_call *c);
wire_msg_t *api_backup_run(struct api_call *c);
wire_msg_t *api_backup_record(struct api_call *c);
wire_msg_t *api_backup_verify(struct api_call *c);
wire_msg_t *api_backup_list(struct api_call *c);

#endif
