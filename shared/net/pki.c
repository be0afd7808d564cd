/*
 * pki — Rewind's fleet PKI on mbedTLS 2.28: creates the CA and the server
 * certificate, issues role certificates, and proves/verifies a session
 * identity (an ECDSA signature over a server nonce, checked against the CA).
 *
 * What it does:
 *   - EC P-256 keys, SHA-256 signatures, X.509 v3 certificates written with
 *     mbedtls_x509write_crt.  subjectAltName and extendedKeyUsage are built
 *     as DER by hand because 2.28's writer has no helper for them.
 *   - Files are written to a temporary name in the target directory and
 *     hard-linked into place, so a failure never leaves a partial file and
 *     an existing file is never overwritten.  Keys are 0600, certs 0644.
 *   - One process-wide CTR-DRBG, seeded once from mbedtls_entropy, behind a
 *     mutex; it reseeds itself in a forked child.
 *
 * What it does not do: revocation (no CRLs), encrypted key files, RSA, or
 * any logging.  It never prints key material; private key bytes it held in
 * memory are zeroed before they are freed.
 */
#include "pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "err.h"

#define CA_SUBJECT "CN=Rewind fleet CA,O=rewind"
#define SERVER_SUBJECT "CN=rewindd,OU=server,O=rewind"
#define CA_DAYS 3653                 /* ten years, leap days included */
#define MAX_DAYS 3653                /* an issued certificate never outlives ten years */
#define BACKDATE_S 300               /* tolerate 5 minutes of clock skew between hosts */
#define MAX_OFFSET_S (INT64_C(100) * 366 * 86400)
#define SAN_MAX 64                   /* extra SANs accepted by pki_init */
#define SAN_LEN_MAX 253              /* longest DNS name */
#define KEY_PEM_MAX 1024             /* an EC P-256 SEC1 PEM key is ~230 bytes */
#define CRT_PEM_BASE 4096            /* certificate PEM without the SAN list */
#define CA_FILE_MAX (64 * 1024)
#define KEY_FILE_MAX (16 * 1024)

/* ------------------------------------------------------------------------ */
/* Messages                                                                   */

static void set_msg(char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_msg(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msgsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
}

/* Sets msg to "<what>: <mbedTLS's text>" and returns err. */
static int
mbed_fail(int err, int mret, char *msg, size_t msgsz, const char *what)
{
	char text[128];

	mbedtls_strerror(mret, text, sizeof(text));
	set_msg(msg, msgsz, "%s: %s (-0x%04x)", what, text, (unsigned)-mret);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Random numbers                                                             */

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_seeded;
static pid_t rng_pid;

/* Caller holds rng_lock.  Seeds on first use; a forked child reseeds so it
 * never repeats its parent's stream. */
static int
rng_ready_locked(void)
{
	static const unsigned char pers[] = "rewind-pki";
	pid_t pid = getpid();

	if (rng_seeded) {
		if (rng_pid == pid)
			return 0;
		if (mbedtls_ctr_drbg_reseed(&rng_drbg, NULL, 0) != 0)
			return RW_ECRYPTO;
		rng_pid = pid;
		return 0;
	}
	mbedtls_entropy_init(&rng_entropy);
	mbedtls_ctr_drbg_init(&rng_drbg);
	if (mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy, pers,
	                          sizeof(pers) - 1) != 0) {
		/* Leave the contexts freed so the next call tries again from scratch. */
		mbedtls_ctr_drbg_free(&rng_drbg);
		mbedtls_entropy_free(&rng_entropy);
		return RW_ECRYPTO;
	}
	rng_seeded = 1;
	rng_pid = pid;
	return 0;
}

/* mbedTLS f_rng callback over the shared DRBG. */
static int
pki_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return pki_random(out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int
pki_random(uint8_t *buf, size_t len)
{
	int rv;

	if (buf == NULL && len > 0)
		return RW_EINVAL;
	pthread_mutex_lock(&rng_lock);
	rv = rng_ready_locked();
	while (rv == 0 && len > 0) {
		/* CTR-DRBG hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call. */
		size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&rng_drbg, buf, n) != 0)
			rv = RW_ECRYPTO;
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&rng_lock);
	return rv;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                      */

static int
name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/*
 * The character set keeps names safe inside an X.509 DN string (no ',', '=',
 * '+', '\\' or quotes, so mbedtls_x509_string_to_names needs no escaping) and
 * inside log lines and audit rows.
 */
int
pki_check_name(const char *name)
{
	size_t n, slashes = 0;

	if (name == NULL)
		return RW_EINVAL;
	n = strlen(name);
	if (n == 0)
		return RW_EINVAL;
	if (n > RW_ACTOR_MAX)
		return RW_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '/')
			slashes++;
		else if (!name_char_ok(name[i]))
			return RW_EINVAL;
	}
	if (slashes > 1 || name[0] == '/' || name[n - 1] == '/')
		return RW_EINVAL;
	return 0;
}

static int
role_ok(const char *role)
{
	return role != NULL && (strcmp(role, "server") == 0 || rw_role_parse(role) != RW_ROLE_NONE);
}

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
static void
free_secret(char *buf, size_t len)
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
	if (rv < 0 || (size_t)rv >= sizeof(tmp)) {
		set_msg(msg, msgsz, "%s: path too long", path);
		return RW_ETOOBIG;
	}
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_msg(msg, msgsz, "%s: cannot create: %s", tmp, strerror(errno));
		return RW_EIO;
	}
	/* fchmod because the umask may have stripped bits from a 0644 cert. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		set_msg(msg, msgsz, "%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return RW_EIO;
	}
	if (close(fd) != 0) {
		set_msg(msg, msgsz, "%s: cannot write: %s", tmp, strerror(errno));
		unlink(tmp);
		return RW_EIO;
	}
	if (link(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		set_msg(msg, msgsz, "%s: %s", path, e == EEXIST ? "already exists" : strerror(e));
		return e == EEXIST ? RW_EEXIST : RW_EIO;
	}
	unlink(tmp);
	return 0;
}

/* A named PEM blob waiting to be written; key blobs are zeroed afterwards. */
struct out_file {
	const char *path;
	unsigned char *data;
	size_t len;
	mode_t mode;
};

/* Writes every file or none: on failure, removes the ones already written. */
static int
write_files(struct out_file *files, size_t n, char *msg, size_t msgsz)
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

static int
join_path(char *out, size_t outsz, const char *dir, const char *file)
{
	int n = snprintf(out, outsz, "%s/%s", dir, file);
	return (n < 0 || (size_t)n >= outsz) ? RW_ETOOBIG : 0;
}

/* ------------------------------------------------------------------------ */
/* Keys and certificate pieces                                                */

static int
gen_key(mbedtls_pk_context *pk, char *msg, size_t msgsz)
{
	int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (ret != 0)
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key setup");
	ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), pki_rng, NULL);
	if (ret != 0)
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key generation");
	return 0;
}

/* PEM of a private key into a caller buffer of KEY_PEM_MAX bytes (caller zeroes it). */
static int
key_pem(mbedtls_pk_context *pk, unsigned char *buf, size_t *len, char *msg, size_t msgsz)
{
	int ret = mbedtls_pk_write_key_pem(pk, buf, KEY_PEM_MAX);
	if (ret != 0)
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "key encoding");
	*len = strlen((char *)buf);
	return 0;
}

/*
 * "YYYYMMDDhhmmss" in UTC, the format mbedtls_x509write_crt_set_validity
 * wants: MBEDTLS_X509_RFC5280_UTC_TIME_LEN (15) counts the 'Z' mbedTLS adds.
 */
#define TIME_LEN (MBEDTLS_X509_RFC5280_UTC_TIME_LEN - 1)

static int
fmt_time(int64_t t, char out[TIME_LEN + 1])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return RW_EINVAL;
	if (strftime(out, TIME_LEN + 1, "%Y%m%d%H%M%S", &tm) != TIME_LEN)
		return RW_EINVAL;
	return 0;
}

/* A random positive 16-byte serial (RFC 5280: positive, at most 20 octets). */
static int
set_serial(mbedtls_x509write_cert *crt, char *msg, size_t msgsz)
{
	uint8_t raw[16];
	mbedtls_mpi serial;
	int ret;

	if (pki_random(raw, sizeof(raw)) != 0) {
		set_msg(msg, msgsz, "random serial: DRBG failed");
		return RW_ECRYPTO;
	}
	raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40);   /* positive, and a fixed length */
	mbedtls_mpi_init(&serial);
	ret = mbedtls_mpi_read_binary(&serial, raw, sizeof(raw));
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(crt, &serial);
	mbedtls_mpi_free(&serial);
	return ret == 0 ? 0 : mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "serial");
}

/* A DNS name as we accept it in a SAN: letters, digits, '-', '.', and a leading "*.". */
static int
dns_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SAN_LEN_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '*' && i == 0 && s[1] == '.')
			continue;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/*
 * Writes one GeneralName before *p (asn1write fills buffers backwards).  An IP
 * literal becomes an iPAddress (4 or 16 octets) and additionally a dNSName
 * with the same text: mbedTLS 2.28 matches a peer name only against dNSName
 * entries, so a client dialing "tls+tcp://127.0.0.1:..." needs the latter,
 * while other TLS stacks check the iPAddress.
 */
static int
write_general_name(unsigned char **p, unsigned char *start, const char *name)
{
	unsigned char ip[16];
	size_t iplen = 0, len = 0;
	int ret;

	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	else if (!dns_name_ok(name))
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;

	/* [2] dNSName IA5String, implicitly tagged */
	ret = mbedtls_asn1_write_raw_buffer(p, start, (const unsigned char *)name, strlen(name));
	if (ret < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_len(p, start, strlen(name))) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)) < 0)
		return ret;
	len += (size_t)ret;
	if (iplen == 0)
		return (int)len;

	/* [7] iPAddress OCTET STRING, implicitly tagged; goes first in the sequence */
	if ((ret = mbedtls_asn1_write_raw_buffer(p, start, ip, iplen)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_len(p, start, iplen)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)) < 0)
		return ret;
	return (int)(len + (size_t)ret);
}

static int
name_listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Adds subjectAltName = "localhost", "127.0.0.1", then SANS (duplicates
 * dropped).  Built by hand: 2.28's x509write has no SAN helper.
 */
static int
add_san(mbedtls_x509write_cert *crt, const char *const *sans, size_t nsans, char *msg,
        size_t msgsz)
{
	const char *names[SAN_MAX + 2];
	size_t n = 0, cap = 16, len = 0;
	unsigned char *buf, *p;
	int ret;

	names[n++] = "localhost";
	names[n++] = "127.0.0.1";
	for (size_t i = 0; i < nsans; i++) {
		if (sans[i] == NULL || strlen(sans[i]) > SAN_LEN_MAX) {
			set_msg(msg, msgsz, "subject alternative name %zu: missing or too long", i + 1);
			return RW_EINVAL;
		}
		if (!name_listed(names, n, sans[i]))
			names[n++] = sans[i];
	}
	for (size_t i = 0; i < n; i++)
		cap += 2 * (strlen(names[i]) + 8);   /* dNSName + iPAddress, with headers */
	buf = malloc(cap);
	if (buf == NULL) {
		set_msg(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	p = buf + cap;
	for (size_t i = n; i-- > 0;) {
		ret = write_general_name(&p, buf, names[i]);
		if (ret < 0) {
			free(buf);
			set_msg(msg, msgsz, "subject alternative name \"%s\" is not a DNS name or IP address",
			        names[i]);
			return RW_EINVAL;
		}
		len += (size_t)ret;
	}
	ret = mbedtls_asn1_write_len(&p, buf, len);
	if (ret >= 0) {
		len += (size_t)ret;
		ret = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	}
	if (ret >= 0) {
		len += (size_t)ret;
		ret = mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
		                                          MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
		                                          0, p, len);
	}
	free(buf);
	return ret < 0 ? mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "subjectAltName") : 0;
}

/*
 * extendedKeyUsage: clientAuth always, serverAuth for the server.  mbedTLS
 * checks these during the TLS handshake (MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
 * is on in Debian's build), so a console cert cannot impersonate rewindd.
 */
static int
add_eku(mbedtls_x509write_cert *crt, int server, char *msg, size_t msgsz)
{
	unsigned char buf[64];
	unsigned char *p = buf + sizeof(buf);
	size_t len = 0;
	int ret;

	ret = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_CLIENT_AUTH,
	                             MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH));
	if (ret >= 0) {
		len += (size_t)ret;
		if (server)
			ret = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
			                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
	}
	if (ret >= 0 && server)
		len += (size_t)ret;
	if (ret >= 0 && (ret = mbedtls_asn1_write_len(&p, buf, len)) >= 0) {
		len += (size_t)ret;
		ret = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	}
	if (ret >= 0) {
		len += (size_t)ret;
		ret = mbedtls_x509write_crt_set_extension(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
		                                          MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
		                                          0, p, len);
	}
	return ret < 0 ? mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "extendedKeyUsage") : 0;
}

/* What one certificate should say; the signing key and issuer come separately. */
struct crt_spec {
	const char *subject;
	const char *issuer;
	mbedtls_pk_context *key;        /* subject's key */
	mbedtls_pk_context *issuer_key;
	int64_t not_before, not_after;  /* unix seconds */
	int is_ca;
	int server;                     /* serverAuth + SANs */
	const char *const *sans;
	size_t nsans;
};

/* Fills crt's fields common to every certificate we write. */
static int
crt_setup(mbedtls_x509write_cert *crt, const struct crt_spec *s, char *msg, size_t msgsz)
{
	char nb[TIME_LEN + 1], na[TIME_LEN + 1];
	int ret, rv;

	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(crt, s->key);
	mbedtls_x509write_crt_set_issuer_key(crt, s->issuer_key);
	if ((ret = mbedtls_x509write_crt_set_subject_name(crt, s->subject)) != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "subject name");
	if ((ret = mbedtls_x509write_crt_set_issuer_name(crt, s->issuer)) != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "issuer name");
	if ((rv = set_serial(crt, msg, msgsz)) != 0)
		return rv;
	if (fmt_time(s->not_before, nb) != 0 || fmt_time(s->not_after, na) != 0) {
		set_msg(msg, msgsz, "validity period out of range");
		return RW_EINVAL;
	}
	if ((ret = mbedtls_x509write_crt_set_validity(crt, nb, na)) != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "validity");
	ret = mbedtls_x509write_crt_set_basic_constraints(crt, s->is_ca, s->is_ca ? 0 : -1);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(crt);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(crt);
	if (ret != 0)
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "certificate extensions");
	return 0;
}

/* Usage extensions: a CA signs certificates; a leaf signs handshakes and proofs. */
static int
crt_usage(mbedtls_x509write_cert *crt, const struct crt_spec *s, char *msg, size_t msgsz)
{
	unsigned int ku;
	int ret, rv;

	if (s->is_ca)
		ku = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
	else if (s->server)
		ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_AGREEMENT;
	else
		ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	if ((ret = mbedtls_x509write_crt_set_key_usage(crt, ku)) != 0)
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "keyUsage");
	if (s->is_ca)
		return 0;
	if ((rv = add_eku(crt, s->server, msg, msgsz)) != 0)
		return rv;
	if (s->server)
		return add_san(crt, s->sans, s->nsans, msg, msgsz);
	return 0;
}

/* Builds and signs one certificate; *pem is malloc'd, NUL-terminated. */
static int
make_crt(const struct crt_spec *s, unsigned char **pem, size_t *pem_len, char *msg, size_t msgsz)
{
	mbedtls_x509write_cert crt;
	size_t cap = CRT_PEM_BASE;
	unsigned char *buf;
	int ret, rv;

	*pem = NULL;
	for (size_t i = 0; i < s->nsans; i++)
		cap += s->sans[i] ? 4 * (strlen(s->sans[i]) + 8) : 0;   /* base64 + both SAN forms */
	buf = malloc(cap);
	if (buf == NULL) {
		set_msg(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	mbedtls_x509write_crt_init(&crt);
	rv = crt_setup(&crt, s, msg, msgsz);
	if (rv == 0)
		rv = crt_usage(&crt, s, msg, msgsz);
	if (rv == 0) {
		ret = mbedtls_x509write_crt_pem(&crt, buf, cap, pki_rng, NULL);
		if (ret != 0)
			rv = mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "certificate signing");
	}
	mbedtls_x509write_crt_free(&crt);
	if (rv != 0) {
		free(buf);
		return rv;
	}
	*pem = buf;
	*pem_len = strlen((char *)buf);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* pki_init                                                                   */

/* Creates DIR (only the last component) or accepts an existing directory. */
static int
make_dir(const char *dir, char *msg, size_t msgsz)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == ENOENT) {
		set_msg(msg, msgsz, "%s: parent directory does not exist", dir);
		return RW_ENOTFOUND;
	}
	if (errno != EEXIST) {
		set_msg(msg, msgsz, "%s: cannot create directory: %s", dir, strerror(errno));
		return RW_EIO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		set_msg(msg, msgsz, "%s: exists and is not a directory", dir);
		return RW_EEXIST;
	}
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* The four PEM blobs pki_init writes, and the key objects behind them. */
struct init_state {
	mbedtls_pk_context ca_key, srv_key;
	unsigned char ca_key_pem[KEY_PEM_MAX], srv_key_pem[KEY_PEM_MAX];
	size_t ca_key_len, srv_key_len;
	unsigned char *ca_crt, *srv_crt;
	size_t ca_crt_len, srv_crt_len;
};

static int
init_generate(struct init_state *st, const char *const *sans, size_t nsans, char *msg,
              size_t msgsz)
{
	int64_t now = (int64_t)time(NULL);
	struct crt_spec ca = {
		.subject = CA_SUBJECT, .issuer = CA_SUBJECT, .key = &st->ca_key,
		.issuer_key = &st->ca_key, .not_before = now - BACKDATE_S,
		.not_after = now + (int64_t)CA_DAYS * 86400, .is_ca = 1,
	};
	struct crt_spec srv = {
		.subject = SERVER_SUBJECT, .issuer = CA_SUBJECT, .key = &st->srv_key,
		.issuer_key = &st->ca_key, .not_before = now - BACKDATE_S,
		.not_after = now + (int64_t)CA_DAYS * 86400, .server = 1,
		.sans = sans, .nsans = nsans,
	};
	int rv;

	if ((rv = gen_key(&st->ca_key, msg, msgsz)) != 0 ||
	    (rv = gen_key(&st->srv_key, msg, msgsz)) != 0 ||
	    (rv = key_pem(&st->ca_key, st->ca_key_pem, &st->ca_key_len, msg, msgsz)) != 0 ||
	    (rv = key_pem(&st->srv_key, st->srv_key_pem, &st->srv_key_len, msg, msgsz)) != 0 ||
	    (rv = make_crt(&ca, &st->ca_crt, &st->ca_crt_len, msg, msgsz)) != 0)
		return rv;
	return make_crt(&srv, &st->srv_crt, &st->srv_crt_len, msg, msgsz);
}

static int
init_write(struct init_state *st, const char *dir, char *msg, size_t msgsz)
{
	char p_ca_key[PATH_MAX], p_ca_crt[PATH_MAX], p_srv_key[PATH_MAX], p_srv_crt[PATH_MAX];

	if (join_path(p_ca_key, sizeof(p_ca_key), dir, "ca.key") != 0 ||
	    join_path(p_ca_crt, sizeof(p_ca_crt), dir, "ca.crt") != 0 ||
	    join_path(p_srv_key, sizeof(p_srv_key), dir, "server.key") != 0 ||
	    join_path(p_srv_crt, sizeof(p_srv_crt), dir, "server.crt") != 0) {
		set_msg(msg, msgsz, "%s: path too long", dir);
		return RW_ETOOBIG;
	}
	if (exists(p_ca_key) || exists(p_ca_crt)) {
		set_msg(msg, msgsz, "%s already holds a CA (ca.key/ca.crt); refusing to replace it", dir);
		return RW_EEXIST;
	}
	/* The CA goes last: a half-done init must not look like an initialised directory. */
	struct out_file files[] = {
		{p_srv_key, st->srv_key_pem, st->srv_key_len, 0600},
		{p_srv_crt, st->srv_crt, st->srv_crt_len, 0644},
		{p_ca_key, st->ca_key_pem, st->ca_key_len, 0600},
		{p_ca_crt, st->ca_crt, st->ca_crt_len, 0644},
	};
	return write_files(files, sizeof(files) / sizeof(files[0]), msg, msgsz);
}

int
pki_init(const char *dir, const char *const *sans, size_t nsans, char *msg, size_t msgsz)
{
	struct init_state *st;
	int rv;

	set_msg(msg, msgsz, "ok");
	if (dir == NULL || dir[0] == '\0' || (nsans > 0 && sans == NULL)) {
		set_msg(msg, msgsz, "no PKI directory given");
		return RW_EINVAL;
	}
	if (nsans > SAN_MAX) {
		set_msg(msg, msgsz, "too many subject alternative names (at most %d)", SAN_MAX);
		return RW_ETOOBIG;
	}
	if ((rv = make_dir(dir, msg, msgsz)) != 0)
		return rv;
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		set_msg(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	mbedtls_pk_init(&st->ca_key);
	mbedtls_pk_init(&st->srv_key);
	rv = init_generate(st, sans, nsans, msg, msgsz);
	if (rv == 0)
		rv = init_write(st, dir, msg, msgsz);
	mbedtls_pk_free(&st->ca_key);
	mbedtls_pk_free(&st->srv_key);
	free(st->ca_crt);
	free(st->srv_crt);
	mbedtls_platform_zeroize(st, sizeof(*st));
	free(st);
	return rv;
}

/* ------------------------------------------------------------------------ */
/* pki_issue                                                                  */

/* Loads DIR's CA certificate and key, and checks that they belong together. */
static int
load_ca(const char *dir, mbedtls_x509_crt *ca, mbedtls_pk_context *key, char *msg, size_t msgsz)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	int rv, ret;

	if (join_path(path, sizeof(path), dir, "ca.crt") != 0) {
		set_msg(msg, msgsz, "%s: path too long", dir);
		return RW_ETOOBIG;
	}
	if ((rv = pki_read_file(path, CA_FILE_MAX, &buf, &len)) != 0) {
		set_msg(msg, msgsz, "%s: %s", path, rw_strerror(rv));
		return rv;
	}
	ret = mbedtls_x509_crt_parse(ca, (unsigned char *)buf, len + 1);
	free(buf);
	if (ret != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.crt");
	if (!ca->ca_istrue) {
		set_msg(msg, msgsz, "%s is not a CA certificate", path);
		return RW_EINVAL;
	}

	if (join_path(path, sizeof(path), dir, "ca.key") != 0)
		return RW_ETOOBIG;   /* cannot happen: same length as ca.crt */
	if ((rv = pki_read_file(path, KEY_FILE_MAX, &buf, &len)) != 0) {
		set_msg(msg, msgsz, "%s: %s", path, rw_strerror(rv));
		return rv;
	}
	ret = mbedtls_pk_parse_key(key, (unsigned char *)buf, len + 1, NULL, 0);
	free_secret(buf, len);
	if (ret != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.key");
	if ((ret = mbedtls_pk_check_pair(&ca->pk, key)) != 0)
		return mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.key does not match ca.crt");
	return 0;
}

/*
 * Checks a certificate we just signed against the CA, ignoring the validity
 * window (tests issue expired ones on purpose).  Guards against subject or
 * extension mistakes that would only show up at a peer.
 */
static int
self_check(const unsigned char *pem, size_t len, mbedtls_x509_crt *ca, char *msg, size_t msgsz)
{
	mbedtls_x509_crt crt;
	uint32_t flags = 0;
	int ret;

	mbedtls_x509_crt_init(&crt);
	ret = mbedtls_x509_crt_parse(&crt, pem, len + 1);
	if (ret == 0) {
		(void)mbedtls_x509_crt_verify(&crt, ca, NULL, NULL, &flags, NULL, NULL);
		flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	}
	mbedtls_x509_crt_free(&crt);
	if (ret != 0 || flags != 0) {
		set_msg(msg, msgsz, "issued certificate does not verify against the CA (flags 0x%x)",
		        (unsigned)flags);
		return RW_EINTERNAL;
	}
	return 0;
}

struct issue_args {
	const char *role, *name, *out_key, *out_crt;
	int days;
	int64_t offset;
};

static int
issue_with_ca(const struct issue_args *a, mbedtls_x509_crt *ca, mbedtls_pk_context *ca_key,
              mbedtls_pk_context *key, char *msg, size_t msgsz)
{
	char subject[RW_ACTOR_MAX + 64], issuer[512];
	unsigned char key_buf[KEY_PEM_MAX], *crt_pem = NULL;
	size_t key_len = 0, crt_len = 0;
	int64_t nb = (int64_t)time(NULL) + a->offset - BACKDATE_S;
	int server = strcmp(a->role, "server") == 0;
	const char *san[1] = {a->name};
	int rv;

	snprintf(subject, sizeof(subject), "CN=%s,OU=%s,O=rewind", a->name, a->role);
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca->subject) < 0) {
		set_msg(msg, msgsz, "cannot read the CA subject");
		return RW_EINVAL;
	}
	struct crt_spec spec = {
		.subject = subject, .issuer = issuer, .key = key, .issuer_key = ca_key,
		.not_before = nb, .not_after = nb + (int64_t)a->days * 86400, .server = server,
		/* A server certificate also names its host when the name is a DNS name. */
		.sans = san, .nsans = server && dns_name_ok(a->name) ? 1 : 0,
	};
	struct out_file files[] = {
		{a->out_key, key_buf, 0, 0600},
		{a->out_crt, NULL, 0, 0644},
	};
	if ((rv = gen_key(key, msg, msgsz)) == 0 &&
	    (rv = key_pem(key, key_buf, &key_len, msg, msgsz)) == 0 &&
	    (rv = make_crt(&spec, &crt_pem, &crt_len, msg, msgsz)) == 0 &&
	    (rv = self_check(crt_pem, crt_len, ca, msg, msgsz)) == 0) {
		files[0].len = key_len;
		files[1].data = crt_pem;
		files[1].len = crt_len;
		rv = write_files(files, 2, msg, msgsz);
	}
	mbedtls_platform_zeroize(key_buf, sizeof(key_buf));
	free(crt_pem);
	return rv;
}

int
pki_issue(const char *dir, const char *role, const char *name, int days,
          int64_t not_before_offset_s, const char *out_key, const char *out_crt, char *msg,
          size_t msgsz)
{
	struct issue_args a = {role, name, out_key, out_crt, days, not_before_offset_s};
	mbedtls_x509_crt ca;
	mbedtls_pk_context ca_key, key;
	int rv;

	set_msg(msg, msgsz, "ok");
	if (dir == NULL || out_key == NULL || out_crt == NULL) {
		set_msg(msg, msgsz, "missing PKI directory or output path");
		return RW_EINVAL;
	}
	if (!role_ok(role)) {
		set_msg(msg, msgsz, "role must be viewer, operator, admin, agent or server");
		return RW_EINVAL;
	}
	if ((rv = pki_check_name(name)) != 0) {
		set_msg(msg, msgsz,
		        "name must be 1..%d characters of A-Z a-z 0-9 . _ - with at most one inner '/'",
		        RW_ACTOR_MAX);
		return rv;
	}
	if (a.days <= 0)
		a.days = PKI_DEFAULT_DAYS;
	if (a.days > MAX_DAYS || a.offset > MAX_OFFSET_S || a.offset < -MAX_OFFSET_S) {
		set_msg(msg, msgsz, "validity out of range (at most %d days)", MAX_DAYS);
		return RW_EINVAL;
	}
	mbedtls_x509_crt_init(&ca);
	mbedtls_pk_init(&ca_key);
	mbedtls_pk_init(&key);
	rv = load_ca(dir, &ca, &ca_key, msg, msgsz);
	if (rv == 0)
		rv = issue_with_ca(&a, &ca, &ca_key, &key, msg, msgsz);
	mbedtls_pk_free(&key);        /* mbedtls_pk_free zeroes the key material */
	mbedtls_pk_free(&ca_key);
	mbedtls_x509_crt_free(&ca);
	return rv;
}

/* ------------------------------------------------------------------------ */
/* Identity proof                                                             */

static int
proof_hash(const uint8_t *nonce, size_t nonce_len, unsigned char hash[32])
{
	mbedtls_sha256_context ctx;
	int ret;

	mbedtls_sha256_init(&ctx);
	ret = mbedtls_sha256_starts_ret(&ctx, 0);
	if (ret == 0)
		ret = mbedtls_sha256_update_ret(&ctx, (const unsigned char *)PKI_AUTH_CONTEXT,
		                                strlen(PKI_AUTH_CONTEXT));
	if (ret == 0)
		ret = mbedtls_sha256_update_ret(&ctx, nonce, nonce_len);
	if (ret == 0)
		ret = mbedtls_sha256_finish_ret(&ctx, hash);
	mbedtls_sha256_free(&ctx);
	return ret == 0 ? 0 : RW_ECRYPTO;
}

int
pki_sign_nonce(const char *key_path, const uint8_t *nonce, size_t nonce_len, uint8_t *sig,
               size_t *sig_len)
{
	unsigned char hash[32], tmp[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	mbedtls_pk_context pk;
	char *buf = NULL;
	size_t len = 0, n = 0;
	int rv;

	if (key_path == NULL || nonce == NULL || nonce_len == 0 || sig == NULL || sig_len == NULL)
		return RW_EINVAL;
	*sig_len = 0;
	/* Our own bounded read (rather than pk_parse_keyfile) tells "missing" from "unreadable". */
	if ((rv = pki_read_file(key_path, KEY_FILE_MAX, &buf, &len)) != 0)
		return rv;
	mbedtls_pk_init(&pk);
	rv = mbedtls_pk_parse_key(&pk, (unsigned char *)buf, len + 1, NULL, 0) == 0 ? 0 : RW_EINVAL;
	free_secret(buf, len);
	if (rv == 0 && !mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA))
		rv = RW_EINVAL;   /* our certificates are EC only */
	if (rv == 0)
		rv = proof_hash(nonce, nonce_len, hash);
	/* Sign into a full-size buffer: 2.28's pk_sign has no output bound. */
	if (rv == 0 && mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), tmp, &n, pki_rng,
	                               NULL) != 0)
		rv = RW_ECRYPTO;
	if (rv == 0 && n > RW_SIG_MAX)
		rv = RW_ETOOBIG;
	if (rv == 0) {
		memcpy(sig, tmp, n);
		*sig_len = n;
	}
	mbedtls_pk_free(&pk);
	return rv;
}

/*
 * The verifier keeps the CA as DER and each pki_verify_proof parses its own
 * copy (tens of microseconds).  mbedTLS 2.28 declares trust_ca non-const and
 * does not document thread safety of a shared chain (EC group tables live in
 * the key context), so sharing nothing is the simple way to be sure.
 */
struct pki_verifier {
	unsigned char *ca_der;
	size_t ca_der_len;
};

int
pki_verifier_new(const char *ca_path, pki_verifier_t **out)
{
	mbedtls_x509_crt ca;
	pki_verifier_t *v;
	char *buf = NULL;
	size_t len = 0;
	int rv;

	if (ca_path == NULL || out == NULL)
		return RW_EINVAL;
	*out = NULL;
	if ((rv = pki_read_file(ca_path, CA_FILE_MAX, &buf, &len)) != 0)
		return rv;
	mbedtls_x509_crt_init(&ca);
	rv = mbedtls_x509_crt_parse(&ca, (unsigned char *)buf, len + 1) == 0 ? 0 : RW_EINVAL;
	free(buf);
	/* Only the first certificate of the file is trusted; it must be a CA. */
	if (rv == 0 && !ca.ca_istrue)
		rv = RW_EINVAL;
	v = rv == 0 ? calloc(1, sizeof(*v)) : NULL;
	if (rv == 0 && v == NULL)
		rv = RW_ENOMEM;
	if (rv == 0) {
		v->ca_der = malloc(ca.raw.len);
		if (v->ca_der == NULL) {
			free(v);
			rv = RW_ENOMEM;
		} else {
			memcpy(v->ca_der, ca.raw.p, ca.raw.len);
			v->ca_der_len = ca.raw.len;
			*out = v;
		}
	}
	mbedtls_x509_crt_free(&ca);
	return rv;
}

void
pki_verifier_free(pki_verifier_t *v)
{
	if (v == NULL)
		return;
	free(v->ca_der);
	free(v);
}

/* The human reason for mbedtls_x509_crt_verify's flags, most telling first. */
static const char *
flags_reason(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "certificate not issued by the fleet CA";
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return "certificate expired";
	if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		return "certificate not yet valid";
	if (flags & MBEDTLS_X509_BADCERT_REVOKED)
		return "certificate revoked";
	if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
	             MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
		return "certificate not valid for this use";
	if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
	             MBEDTLS_X509_BADCERT_BAD_KEY))
		return "certificate uses an unacceptable algorithm or key";
	return "certificate rejected";
}

/*
 * Copies a peer certificate into a NUL-terminated buffer as mbedTLS's PEM
 * parser requires (the wire gives bytes, maybe with a trailing NUL) and
 * parses it.  Embedded NULs are refused: the parser would stop at them.
 */
static int
parse_peer_cert(mbedtls_x509_crt *crt, const char *pem, size_t len, char *msg, size_t msgsz)
{
	char *copy;
	int ret;

	while (len > 0 && pem[len - 1] == '\0')
		len--;
	if (len == 0) {
		set_msg(msg, msgsz, "no certificate presented");
		return RW_EAUTH;
	}
	if (len > RW_CERT_PEM_MAX) {
		set_msg(msg, msgsz, "certificate larger than %d bytes", RW_CERT_PEM_MAX);
		return RW_EAUTH;
	}
	if (memchr(pem, '\0', len) != NULL) {
		set_msg(msg, msgsz, "certificate is not PEM text");
		return RW_EAUTH;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		set_msg(msg, msgsz, "out of memory");
		return RW_ENOMEM;
	}
	memcpy(copy, pem, len);
	copy[len] = '\0';
	ret = mbedtls_x509_crt_parse(crt, (unsigned char *)copy, len + 1);
	free(copy);
	if (ret != 0) {
		set_msg(msg, msgsz, "certificate could not be parsed");
		return RW_EAUTH;
	}
	return 0;
}

static int
check_chain(mbedtls_x509_crt *crt, const pki_verifier_t *v, char *msg, size_t msgsz)
{
	mbedtls_x509_crt ca;
	uint32_t flags = 0;
	int ret;

	mbedtls_x509_crt_init(&ca);
	ret = mbedtls_x509_crt_parse_der(&ca, v->ca_der, v->ca_der_len);
	if (ret != 0) {
		mbedtls_x509_crt_free(&ca);
		return mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "CA certificate");
	}
	ret = mbedtls_x509_crt_verify(crt, &ca, NULL, NULL, &flags, NULL, NULL);
	mbedtls_x509_crt_free(&ca);
	if (ret != 0) {
		set_msg(msg, msgsz, "%s", flags ? flags_reason(flags) : "certificate could not be verified");
		return RW_EAUTH;
	}
	/* A fleet certificate used to prove a session must be a client leaf. */
	if (crt->ca_istrue ||
	    mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 ||
	    mbedtls_x509_crt_check_extended_key_usage(crt, MBEDTLS_OID_CLIENT_AUTH,
	                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0) {
		set_msg(msg, msgsz, "certificate not valid for client authentication");
		return RW_EAUTH;
	}
	return 0;
}

/*
 * Copies the single attribute OID from the subject into out.  More than one
 * (CN=a,CN=b) is refused rather than guessing which one names the peer.
 */
static int
subject_attr(const mbedtls_x509_name *n, const char *oid, size_t oid_len, char *out, size_t cap)
{
	int found = 0;

	for (; n != NULL; n = n->next) {
		if (n->oid.len != oid_len || memcmp(n->oid.p, oid, oid_len) != 0)
			continue;
		if (found || n->val.len >= cap || memchr(n->val.p, '\0', n->val.len) != NULL)
			return RW_EAUTH;
		memcpy(out, n->val.p, n->val.len);
		out[n->val.len] = '\0';
		found = 1;
	}
	return found ? 0 : RW_EAUTH;
}

static int
read_identity(const mbedtls_x509_crt *crt, rw_actor_t *who, char *msg, size_t msgsz)
{
	char name[RW_ACTOR_MAX + 1], role[16];
	enum rw_role r;

	if (subject_attr(&crt->subject, MBEDTLS_OID_AT_ORG_UNIT,
	                 MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT), role, sizeof(role)) != 0 ||
	    (r = rw_role_parse(role)) == RW_ROLE_NONE) {
		set_msg(msg, msgsz, "certificate has no Rewind role");
		return RW_EAUTH;
	}
	if (subject_attr(&crt->subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), name,
	                 sizeof(name)) != 0 ||
	    pki_check_name(name) != 0) {
		set_msg(msg, msgsz, "certificate has no valid Rewind name");
		return RW_EAUTH;
	}
	memcpy(who->name, name, sizeof(who->name));
	who->role = r;
	return 0;
}

int
pki_verify_proof(const pki_verifier_t *v, const char *cert_pem, size_t cert_len,
                 const uint8_t *nonce, size_t nonce_len, const uint8_t *sig, size_t sig_len,
                 rw_actor_t *who, char *msg, size_t msgsz)
{
	unsigned char hash[32];
	mbedtls_x509_crt crt;
	int rv;

	set_msg(msg, msgsz, "ok");
	if (v == NULL || who == NULL || nonce == NULL || nonce_len == 0) {
		set_msg(msg, msgsz, "verifier, nonce or identity missing");
		return RW_EINVAL;
	}
	memset(who, 0, sizeof(*who));
	if (cert_pem == NULL)
		cert_len = 0;
	if (sig == NULL || sig_len == 0 || sig_len > RW_SIG_MAX) {
		set_msg(msg, msgsz, "missing or oversized signature");
		return RW_EAUTH;
	}
	mbedtls_x509_crt_init(&crt);
	rv = parse_peer_cert(&crt, cert_pem, cert_len, msg, msgsz);
	if (rv == 0)
		rv = check_chain(&crt, v, msg, msgsz);
	if (rv == 0)
		rv = proof_hash(nonce, nonce_len, hash);
	if (rv == 0 && mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig,
	                                 sig_len) != 0) {
		set_msg(msg, msgsz, "signature does not match");
		rv = RW_EAUTH;
	}
	if (rv == 0)
		rv = read_identity(&crt, who, msg, msgsz);
	mbedtls_x509_crt_free(&crt);
	if (rv == 0)
		set_msg(msg, msgsz, "ok");
	return rv;
}

int
pki_cert_identity(const char *cert_path, rw_actor_t *who, char *msg, size_t msgsz)
{
	mbedtls_x509_crt crt;
	char *pem = NULL;
	size_t len;
	int rv = pki_read_file(cert_path, RW_CERT_PEM_MAX, &pem, &len);

	if (rv != 0) {
		set_msg(msg, msgsz, "cannot read %s: %s", cert_path, rw_strerror(rv));
		return rv;
	}
	mbedtls_x509_crt_init(&crt);
	rv = parse_peer_cert(&crt, pem, len, msg, msgsz);
	if (rv == 0)
		rv = read_identity(&crt, who, msg, msgsz);
	mbedtls_x509_crt_free(&crt);
	free(pem);
	return rv;
}
