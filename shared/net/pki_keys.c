/*
 * pki_keys — key and PEM file I/O for the fleet PKI: bounded reads, files
 * written to a temporary name and hard-linked into place (a failure never
 * leaves a partial file, an existing one is never replaced; keys 0600,
 * certs 0644), and EC P-256 key generation and encoding.  Buffers that held
 * a private key are zeroed before they are freed.  It builds no certificate.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include "err.h"
#include "pki.h"
#include "pki_int.h"

/* ------------------------------------------------------------------------ */
/* Files                                                                      */

int
pki_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	if (path == NULL || out == NULL)
		return RW_EINVAL;
	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? RW_ENOTFOUND : RW_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return RW_EIO;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		return RW_ETOOBIG;
	}
	/* Read up to max+1 bytes: the file may have grown since fstat. */
	buf = malloc(max + 2);
	if (buf == NULL) {
		close(fd);
		return RW_ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, max + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mbedtls_platform_zeroize(buf, got);
			free(buf);
			close(fd);
			return RW_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > max) {
			mbedtls_platform_zeroize(buf, got);
			free(buf);
			close(fd);
			return RW_ETOOBIG;
		}
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (len)
		*len = got;
	return 0;
}

/* Frees a buffer that may have held a private key. */
void
pki_free_secret(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	mbedtls_platform_zeroize(buf, len);
	free(buf);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Writes data to PATH with exactly MODE: a temporary file next to it
 * (O_EXCL, so never someone else's file), fsync, then link() into place.
 * link() fails on an existing PATH, which is what we want: keys are never
 * silently replaced.  Returns RW_EEXIST when PATH exists.
 */
static int
write_file_new(const char *path, const void *data, size_t len, mode_t mode, char *msg,
               size_t msgsz)
{
	char tmp[PATH_MAX];
	uint8_t rnd[6];
	int fd, rv;

	if (pki_random(rnd, sizeof(rnd)) != 0)
		return RW_ECRYPTO;
	rv = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%02x%02x%02x%02x%02x%02x", path, (long)getpid(),
	              rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if (rv < 0 || (size_t)rv >= sizeof(tmp))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: path too long", path);
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return rw_fail(RW_EIO, msg, msgsz, "%s: cannot create: %s", tmp, strerror(errno));
	/* fchmod because the umask may have stripped bits from a 0644 cert. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		(void)rw_fail(0, msg, msgsz, "%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return RW_EIO;
	}
	if (close(fd) != 0) {
		(void)rw_fail(0, msg, msgsz, "%s: cannot write: %s", tmp, strerror(errno));
		unlink(tmp);
		return RW_EIO;
	}
	if (link(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return rw_fail(e == EEXIST ? RW_EEXIST : RW_EIO, msg, msgsz, "%s: %s", path,
		               e == EEXIST ? "already exists" : strerror(e));
	}
	unlink(tmp);
	return 0;
}

/* Writes every file or none: on failure, removes the ones already written. */
int
pki_write_files(struct pki_out_file *files, size_t n, char *msg, size_t msgsz)
{
	for (size_t i = 0; i < n; i++) {
		int rv = write_file_new(files[i].path, files[i].data, files[i].len, files[i].mode, msg,
		                        msgsz);
		if (rv != 0) {
			while (i-- > 0)
				unlink(files[i].path);
			return rv;
		}
	}
	return 0;
}

int
pki_join_path(char *out, size_t outsz, const char *dir, const char *file)
{
	int n = snprintf(out, outsz, "%s/%s", dir, file);
	return (n < 0 || (size_t)n >= outsz) ? RW_ETOOBIG : 0;
}

/* ------------------------------------------------------------------------ */
/* Keys and certificate pieces                                                */

int
pki_gen_key(mbedtls_pk_context *pk, char *msg, size_t msgsz)
{
	int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret != 0)
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key setup");
	ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), pki_rng, NULL);
	if (ret != 0)
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key generation");
	return 0;
}

/* PEM of a private key into a caller buffer of KEY_PEM_MAX bytes (caller zeroes it). */
int
pki_key_pem(mbedtls_pk_context *pk, unsigned char *buf, size_t *len, char *msg, size_t msgsz)
{
	int ret = mbedtls_pk_write_key_pem(pk, buf, KEY_PEM_MAX);
	if (ret != 0)
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key encoding");
	*len = strlen((char *)buf);
	return 0;
}
