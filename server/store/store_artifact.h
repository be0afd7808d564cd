/*
 * store_artifact — the artifacts of releases (docs/artifacts.md): recording
 * a file already in the artifact store, listing them, and saving a
 * verification pass.
 *
 * Not here: the files themselves (server/vault/artifacts.c), backups
 * (store_backup.h; a verification pass only marks the bad ones).
 */
#ifndef REWIND_STORE_ARTIFACT_H
#define REWIND_STORE_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

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

#endif
