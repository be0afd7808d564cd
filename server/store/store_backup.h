/*
 * store_backup — backups of environments' application databases: recording
 * one, reading them back, saving a restore verification.
 *
 * Not here: taking or restoring a backup (server/vault/backup.c), the
 * environment's database URL (store_env.h).
 */
#ifndef REWIND_STORE_BACKUP_H
#define REWIND_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* Records a backup (action "backup.run" or "backup.record"); b->outcome "ok" records it as verified by who. */
int store_backup_add(store_t *st, const rw_actor_t *who, const char *action, rw_backup_t *b);
int store_backup_get(store_t *st, int64_t id, rw_backup_t *out);
/* Newest first; env NULL/empty for all; *out malloc'd, owned by the caller. */
int store_backup_list(store_t *st, const char *env, uint32_t limit, rw_backup_t **out, size_t *n);
/* Saves a restore verification (ok or failed, with its human result) and its audit row. */
int store_backup_verified(store_t *st, const rw_actor_t *who, rw_backup_t *b, bool ok,
                          const char *result);

#endif
