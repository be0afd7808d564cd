/*
 * artifacts — rewindd's artifact store: a directory of content-addressed
 * files (DIR/sha256/<hex>), a human name for each (DIR/by-name/<name>, a
 * hard link), and DIR/SHA256SUMS.txt with one `sha256sum -c` line per name,
 * so `cd DIR && sha256sum -c SHA256SUMS.txt` checks everything by hand too.
 *
 * Files are written to DIR/tmp, fsync'd and renamed into place, and never
 * overwritten: an identical blob already present is fine, a different one
 * under the same name is refused.  Thread-safe (workers share one store).
 * This module knows nothing of the database: callers record what it stored.
 */
#ifndef REWIND_ARTIFACTS_H
#define REWIND_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

typedef struct artstore artstore_t;

/* Creates DIR (0700) and its subdirectories if needed.  *out freed with artstore_close(). */
int artstore_open(const char *dir, artstore_t **out, char *msg, size_t msgsz);
void artstore_close(artstore_t *as);

/*
 * Stores data under its hash, links it as by-name/<name> and appends its
 * SHA256SUMS line.  want_hex is the sender's hash: a mismatch is RW_ECRYPTO
 * (corrupted in transit).  location receives "sha256/<hex>".
 */
int artstore_put(artstore_t *as, const void *data, size_t len, const char *want_hex,
                 const char *name, char *location, size_t locsz, char *msg, size_t msgsz);

/* A fresh temp file in DIR/tmp (for pg_dump): path receives it, fd is open for writing. */
int artstore_tmpfile(artstore_t *as, char *path, size_t pathsz, int *fd);

/*
 * Moves a finished temp file into the store like artstore_put(): hashed,
 * fsync'd, renamed, linked as name, listed in SHA256SUMS.  hex and size
 * receive what was stored.  The temp file is gone afterwards either way.
 */
int artstore_adopt(artstore_t *as, const char *tmp_path, const char *name, char *hex,
                   int64_t *size, char *location, size_t locsz, char *msg, size_t msgsz);

/*
 * Re-hashes a stored file: outcome "ok", "mismatch" (content or size
 * changed) or "missing".  RW_EINVAL for a location not in this store.
 */
int artstore_check(artstore_t *as, const char *location, const char *hex, int64_t size,
                   char *outcome, size_t outsz);

/* Full path of a location inside the store (RW_EINVAL if it is not a store location). */
int artstore_path(const artstore_t *as, const char *location, char *path, size_t pathsz);

#endif
