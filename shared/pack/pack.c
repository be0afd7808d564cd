/*
 * pack — tar.gz packing with libarchive, SHA-256 with mbedTLS, and
 * SHA256SUMS lines.  Archives are built in memory because they are sent in
 * one wire message anyway (bounded by RW_ARTIFACT_MAX); the write callback
 * enforces the bound as bytes arrive, so a huge input never lands in memory.
 */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <mbedtls/sha256.h>

#include "err.h"

static void
to_hex(const unsigned char sum[32], char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 15];
	}
	hex[64] = '\0';
}

int
pack_sha256_buf(const void *buf, size_t len, char *hex)
{
	unsigned char sum[32];
	if (mbedtls_sha256_ret(buf, len, sum, 0) != 0)
		return RW_ECRYPTO;
	to_hex(sum, hex);
	return 0;
}

int
pack_sha256_file(const char *path, char *hex, int64_t *size)
{
	mbedtls_sha256_context ctx;
	unsigned char buf[65536], sum[32];
	int64_t total = 0;
	ssize_t n;
	int rv = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? RW_ENOTFOUND : RW_EIO;
	mbedtls_sha256_init(&ctx);
	if (mbedtls_sha256_starts_ret(&ctx, 0) != 0)
		rv = RW_ECRYPTO;
	while (rv == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rv = RW_EIO;
			break;
		}
		total += n;
		if (mbedtls_sha256_update_ret(&ctx, buf, (size_t)n) != 0)
			rv = RW_ECRYPTO;
	}
	if (rv == 0 && mbedtls_sha256_finish_ret(&ctx, sum) != 0)
		rv = RW_ECRYPTO;
	mbedtls_sha256_free(&ctx);
	close(fd);
	if (rv)
		return rv;
	to_hex(sum, hex);
	if (size)
		*size = total;
	return 0;
}

int
pack_sums_line(const char *hex, const char *name, char *out, size_t outsz)
{
	int n;
	if (rw_check_sha256_hex("sha256", hex, NULL, 0) != 0 || !name || !*name || name[0] == '/' ||
	    strpbrk(name, "\n\r\\") || strstr(name, ".."))
		return RW_EINVAL;
	n = snprintf(out, outsz, "%s  %s\n", hex, name);
	return n < 0 || (size_t)n >= outsz ? RW_ETOOBIG : 0;
}

/* --- tar.gz into a bounded memory buffer ----------------------------------- */

struct membuf {
	uint8_t *data;
	size_t len, cap, max;
	int err;
};

static la_ssize_t
mem_write(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct membuf *m = arg;
	(void)a;
	if (m->len + n > m->max) {
		m->err = RW_ETOOBIG;
		return -1;
	}
	if (m->len + n > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 65536;
		while (ncap < m->len + n)
			ncap *= 2;
		uint8_t *nd = realloc(m->data, ncap);
		if (!nd) {
			m->err = RW_ENOMEM;
			return -1;
		}
		m->data = nd;
		m->cap = ncap;
	}
	memcpy(m->data + m->len, buf, n);
	m->len += n;
	return (la_ssize_t)n;
}

/* The name a file gets inside the archive: its path without leading '/'. */
static int
entry_name(const char *path, const char **name)
{
	const char *p = path;
	while (*p == '/')
		p++;
	if (!*p || strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") ||
	    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
		return RW_EINVAL;
	*name = p;
	return 0;
}

/* Adds one regular file; the data is streamed from disk in blocks. */
static int
add_file(struct archive *ar, const char *path, char *msg, size_t msgsz)
{
	struct archive_entry *e;
	struct stat sb;
	char buf[65536];
	const char *name;
	ssize_t n;
	int rv = 0;
	int fd;

	if (entry_name(path, &name) != 0) {
		snprintf(msg, msgsz, "%s: a path with '..' cannot go into an archive", path);
		return RW_EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(msg, msgsz, "%s: %s", path,
		         fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return RW_EIO;
	}
	if (!(e = archive_entry_new())) {
		close(fd);
		return RW_ENOMEM;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, sb.st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, sb.st_mode & 0755);
	archive_entry_set_mtime(e, sb.st_mtime, 0);
	if (archive_write_header(ar, e) != ARCHIVE_OK)
		rv = RW_EIO;
	while (rv == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
			rv = RW_EIO;
		} else if (archive_write_data(ar, buf, (size_t)n) != n) {
			rv = RW_EIO;
		}
	}
	archive_entry_free(e);
	close(fd);
	return rv;
}

int
pack_targz(const char *const *files, size_t n, size_t max, uint8_t **out, size_t *len,
           char *msg, size_t msgsz)
{
	struct membuf m = {.max = max};
	struct archive *ar;
	int rv = 0;

	*out = NULL;
	*len = 0;
	if (n == 0)
		return RW_EINVAL;
	if (!(ar = archive_write_new()))
		return RW_ENOMEM;
	if (archive_write_set_format_pax_restricted(ar) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(ar, 1) != ARCHIVE_OK ||
	    archive_write_open(ar, &m, NULL, mem_write, NULL) != ARCHIVE_OK)
		rv = RW_EIO;
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = add_file(ar, files[i], msg, msgsz);
	if (archive_write_close(ar) != ARCHIVE_OK && rv == 0)
		rv = RW_EIO;
	archive_write_free(ar);
	if (m.err)
		rv = m.err;
	if (rv == RW_ETOOBIG)
		snprintf(msg, msgsz, "the archive would be larger than %zu bytes", max);
	else if (rv == RW_EIO && msg && !msg[0])
		snprintf(msg, msgsz, "cannot write the archive");
	if (rv) {
		free(m.data);
		return rv;
	}
	*out = m.data;
	*len = m.len;
	return 0;
}
