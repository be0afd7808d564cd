/*
 * pack — release files into a .tar.gz in memory (libarchive), SHA-256 of
 * buffers and files (mbedTLS), and `sha256sum -c` compatible lines.
 *
 * Used by rewindctl to pack config files and migration scripts before
 * sending them, and by rewindd to hash what it stores.  This module does no
 * network I/O and does not decide where anything is stored.
 */
#ifndef REWIND_PACK_H
#define REWIND_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

/*
 * Packs regular files into a gzip-compressed tar (pax) held in memory.  Each
 * entry keeps its path as given, without a leading '/'; a path with a ".."
 * component is refused.  The archive may not grow past max bytes
 * (RW_ETOOBIG).  On success *out (malloc'd) belongs to the caller.  A file
 * that is missing or unreadable fails the whole pack (RW_EIO, named in msg).
 */
int pack_targz(const char *const *files, size_t n, size_t max, uint8_t **out, size_t *len,
               char *msg, size_t msgsz);

/* SHA-256 of a buffer as 64 lower-case hex digits (hex holds RW_SHA256_HEX + 1). */
int pack_sha256_buf(const void *buf, size_t len, char *hex);

/* SHA-256 of a whole file, streamed; *size (may be NULL) gets its length. RW_EIO/RW_ENOTFOUND. */
int pack_sha256_file(const char *path, char *hex, int64_t *size);

/*
 * One `sha256sum -c` line: "<hex>  <name>\n".  name must be a relative path
 * without newlines, backslashes or ".." (sha256sum would escape or misread
 * them); RW_EINVAL otherwise, RW_ETOOBIG when out is too small.
 */
int pack_sums_line(const char *hex, const char *name, char *out, size_t outsz);

#endif
