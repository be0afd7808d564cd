/*
 * store_vault — the records of server/vault/: artifacts of releases
 * (docs/artifacts.md: recording a file already in the artifact store,
 * listing them, saving a verification pass) and backups of environments'
 * application databases (recording one, reading them back, saving a
 * restore verification).
 *
 * Not here: the files themselves and taking or restoring a backup
 * (server/vault/), the environment's database URL (store_catalog.h).
 */
#ifndef REWIND_STORE_VAULT_H
#define REWIND_STORE_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* --- artifacts ----------------------------------------------------------- */

/* RW_ENOTFOUND: no such release; RW_EEXIST: the release already has an artifact of that kind. */
int store_artifact_add(store_t *st, const rw_actor_t *who, rw_artifact_t *a);
/* release_id 0 lists all; RW_ENOTFOUND for an unknown release.  Oldest first. */
int store_artifact_list(store_t *st, int64_t release_id, uint32_t limit, rw_artifact_t **out,
                        size_t *n);
/*
 * Saves one verification pass: each artifact's outcome (ok|mismatch|missing),
 * the backups whose files failed their re-hash (result holds why), and one
 * audit row, in one transaction.
 */
int store_artifact_verified(store_t *st, const rw_actor_t *who, const rw_artifact_t *items,
                            size_t n, const rw_backup_t *bad_backups, size_t nbad);

/* --- backups ------------------------------------------------------------- */

/* Records a backup (action "backup.run" or "backup.record"); outcome "ok": verified by who. */
int store_backup_add(store_t *st, const rw_actor_t *who, const char *action, rw_backup_t *b);
int store_backup_get(store_t *st, int64_t id, rw_backup_t *out);
/* Newest first; env NULL/empty for all; *out malloc'd, owned by the caller. */
int store_backup_list(store_t *st, const char *env, uint32_t limit, rw_backup_t **out, size_t *n);
/* Saves a restore verification (ok or failed, with its human result) and its audit row. */
int store_backup_verified(store_t *st, const rw_actor_t *who, rw_backup_t *b, bool ok,
                          const char *result);

#endif
