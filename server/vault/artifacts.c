/*
 * artifacts — the content-addressed artifact store on disk.  See
 * artifacts.h.  Why hard links for names: the name and the blob are the same
 * inode, so `sha256sum -c SHA256SUMS.txt` in the store checks the very bytes
 * Rewind re-hashes, and link() refuses to replace an existing name
 * atomically (EEXIST), which is the never-overwrite rule for free.
 */
#include "artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "pack.h"

struct artstore {
	char dir[1024];
	pthread_mutex_t sums_lock;   /* one SHA256SUMS append at a time */
};

static int
as_fail(char *msg, size_t msgsz, int err, const char *what, const char *path)
{
	return rw_fail(err, msg, msgsz, "artifact store: %s %s: %s", what, path, strerror(errno));
}

static int
mkdir_p(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

int
artstore_open(const char *dir, artstore_t **out, char *msg, size_t msgsz)
{
	static const char *const subdirs[] = {"sha256", "by-name", "tmp"};
	char p[1200];
	artstore_t *as;

	*out = NULL;
	if (strlen(dir) >= sizeof(as->dir) - 64) {
		snprintf(msg, msgsz, "artifact store path too long");
		return RW_ETOOBIG;
	}
	if (mkdir_p(dir) != 0)
		return as_fail(msg, msgsz, RW_EIO, "cannot create", dir);
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subdirs[i]);
		if (mkdir_p(p) != 0)
			return as_fail(msg, msgsz, RW_EIO, "cannot create", p);
	}
	if (!(as = calloc(1, sizeof(*as))))
		return RW_ENOMEM;
	snprintf(as->dir, sizeof(as->dir), "%s", dir);
	pthread_mutex_init(&as->sums_lock, NULL);
	*out = as;
	return 0;
}

void
artstore_close(artstore_t *as)
{
	if (!as)
		return;
	pthread_mutex_destroy(&as->sums_lock);
	free(as);
}

int
artstore_path(const artstore_t *as, const char *location, char *path, size_t pathsz)
{
	if (strncmp(location, "sha256/", 7) != 0 ||
	    rw_check_sha256_hex("location", location + 7, NULL, 0) != 0)
		return RW_EINVAL;
	return snprintf(path, pathsz, "%s/%s", as->dir, location) >= (int)pathsz ? RW_ETOOBIG : 0;
}

int
artstore_tmpfile(artstore_t *as, char *path, size_t pathsz, int *fd)
{
	if (snprintf(path, pathsz, "%s/tmp/upload.XXXXXX", as->dir) >= (int)pathsz)
		return RW_ETOOBIG;
	*fd = mkstemp(path);
	return *fd < 0 ? RW_EIO : 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory makes the rename itself durable. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int
append_sums(artstore_t *as, const char *hex, const char *name, char *msg, size_t msgsz)
{
	char line[512], rel[300], path[1200];
	int fd, rv = 0;

	snprintf(rel, sizeof(rel), "by-name/%s", name);
	if (pack_sums_line(hex, rel, line, sizeof(line)) != 0)
		return RW_EINVAL;
	snprintf(path, sizeof(path), "%s/SHA256SUMS.txt", as->dir);
	pthread_mutex_lock(&as->sums_lock);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, (const uint8_t *)line, strlen(line)) != 0 || fsync(fd) != 0)
		rv = as_fail(msg, msgsz, RW_EIO, "cannot append to", path);
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&as->sums_lock);
	return rv;
}

/* Links blob as by-name/<name>; the same blob there already is fine. */
static int
link_name(artstore_t *as, const char *blob, const char *name, char *msg, size_t msgsz)
{
	char path[1200];
	struct stat a, b;

	if (rw_check_filename("name", name, msg, msgsz) != 0)
		return RW_EINVAL;
	snprintf(path, sizeof(path), "%s/by-name/%s", as->dir, name);
	if (link(blob, path) == 0)
		return 0;
	if (errno == EEXIST && stat(blob, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev)
		return 1;                         /* already there: no new SHA256SUMS line */
	if (errno == EEXIST) {
		snprintf(msg, msgsz, "artifact store already holds a different %s", name);
		return RW_EEXIST;
	}
	return as_fail(msg, msgsz, RW_EIO, "cannot link", path);
}

/* Renames a hashed temp file to sha256/<hex> unless that blob exists already. */
static int
place(artstore_t *as, const char *tmp, const char *hex, const char *name, char *location,
      size_t locsz, char *msg, size_t msgsz)
{
	char blob[1200], dir[1100];
	int rv;

	snprintf(location, locsz, "sha256/%s", hex);
	snprintf(blob, sizeof(blob), "%s/%s", as->dir, location);
	snprintf(dir, sizeof(dir), "%s/sha256", as->dir);
	/* Never overwrite: link() fails on an existing blob, where rename() would replace it. */
	if (link(tmp, blob) != 0 && errno != EEXIST) {
		rv = as_fail(msg, msgsz, RW_EIO, "cannot store", blob);
		unlink(tmp);
		return rv;
	}
	unlink(tmp);
	sync_dir(dir);
	rv = link_name(as, blob, name, msg, msgsz);
	if (rv < 0)
		return rv;
	if (rv == 0)
		return append_sums(as, hex, name, msg, msgsz);
	return 0;
}

int
artstore_put(artstore_t *as, const void *data, size_t len, const char *want_hex,
             const char *name, char *location, size_t locsz, char *msg, size_t msgsz)
{
	char hex[RW_SHA256_HEX + 1], tmp[1200];
	int fd, rv;

	if ((rv = pack_sha256_buf(data, len, hex)) != 0)
		return rv;
	if (strcmp(hex, want_hex) != 0) {
		snprintf(msg, msgsz, "archive hashes to %s, not %s as sent: corrupted in transit", hex,
		         want_hex);
		return RW_ECRYPTO;
	}
	if ((rv = artstore_tmpfile(as, tmp, sizeof(tmp), &fd)) != 0)
		return as_fail(msg, msgsz, rv, "cannot create a temp file in", as->dir);
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		rv = as_fail(msg, msgsz, RW_EIO, "cannot write", tmp);
		close(fd);
		unlink(tmp);
		return rv;
	}
	close(fd);
	return place(as, tmp, hex, name, location, locsz, msg, msgsz);
}

int
artstore_adopt(artstore_t *as, const char *tmp_path, const char *name, char *hex,
               int64_t *size, char *location, size_t locsz, char *msg, size_t msgsz)
{
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
	int rv;

	if (fd < 0 || fsync(fd) != 0) {
		rv = as_fail(msg, msgsz, RW_EIO, "cannot sync", tmp_path);
		if (fd >= 0)
			close(fd);
		unlink(tmp_path);
		return rv;
	}
	close(fd);
	if ((rv = pack_sha256_file(tmp_path, hex, size)) != 0) {
		snprintf(msg, msgsz, "cannot hash the new file");
		unlink(tmp_path);
		return rv;
	}
	return place(as, tmp_path, hex, name, location, locsz, msg, msgsz);
}

int
artstore_check(artstore_t *as, const char *location, const char *hex, int64_t size,
               char *outcome, size_t outsz)
{
	char path[1200], got[RW_SHA256_HEX + 1];
	int64_t got_size = 0;
	int rv;

	if ((rv = artstore_path(as, location, path, sizeof(path))) != 0)
		return rv;
	rv = pack_sha256_file(path, got, &got_size);
	if (rv == RW_ENOTFOUND) {
		snprintf(outcome, outsz, "missing");
		return 0;
	}
	if (rv != 0)
		return rv;
	snprintf(outcome, outsz, "%s",
	         strcmp(got, hex) == 0 && got_size == size ? "ok" : "mismatch");
	return 0;
}
