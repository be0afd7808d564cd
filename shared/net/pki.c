/*
 * pki — Rewind's fleet PKI on mbedTLS 2.28: creates the CA and the server
 * certificate (pki_init) and issues role certificates signed by it
 * (pki_issue), after checking names, roles and validity.  The pieces live
 * beside it: pki_x509.c writes a certificate, pki_keys.c keys and files,
 * pki_rand.c the random numbers, pki_proof.c the session identity proof.
 *
 * What it does not do: revocation (no CRLs), encrypted key files, RSA, or
 * any logging.  It never prints key material; private key bytes it held in
 * memory are zeroed before they are freed.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>

#include "err.h"
#include "pki.h"
#include "pki_int.h"

#define CA_SUBJECT "CN=Rewind fleet CA,O=rewind"
#define SERVER_SUBJECT "CN=rewindd,OU=server,O=rewind"
#define CA_DAYS 3653                 /* ten years, leap days included */
#define MAX_DAYS 3653                /* an issued certificate never outlives ten years */
#define BACKDATE_S 300               /* tolerate 5 minutes of clock skew between hosts */
#define MAX_OFFSET_S (INT64_C(100) * 366 * 86400)

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
/* pki_init                                                                   */

/* Creates DIR (only the last component) or accepts an existing directory. */
static int
make_dir(const char *dir, char *msg, size_t msgsz)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == ENOENT)
		return rw_fail(RW_ENOTFOUND, msg, msgsz,
		               "%s: parent directory does not exist", dir);
	if (errno != EEXIST)
		return rw_fail(RW_EIO, msg, msgsz,
		               "%s: cannot create directory: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return rw_fail(RW_EEXIST, msg, msgsz, "%s: exists and is not a directory", dir);
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
	struct pki_crt_spec ca = {
		.subject = CA_SUBJECT, .issuer = CA_SUBJECT, .key = &st->ca_key,
		.issuer_key = &st->ca_key, .not_before = now - BACKDATE_S,
		.not_after = now + (int64_t)CA_DAYS * 86400, .is_ca = 1,
	};
	struct pki_crt_spec srv = {
		.subject = SERVER_SUBJECT, .issuer = CA_SUBJECT, .key = &st->srv_key,
		.issuer_key = &st->ca_key, .not_before = now - BACKDATE_S,
		.not_after = now + (int64_t)CA_DAYS * 86400, .server = 1,
		.sans = sans, .nsans = nsans,
	};
	int rv;

	if ((rv = pki_gen_key(&st->ca_key, msg, msgsz)) != 0 ||
	    (rv = pki_gen_key(&st->srv_key, msg, msgsz)) != 0 ||
	    (rv = pki_key_pem(&st->ca_key, st->ca_key_pem, &st->ca_key_len, msg, msgsz)) != 0 ||
	    (rv = pki_key_pem(&st->srv_key, st->srv_key_pem, &st->srv_key_len, msg, msgsz)) != 0 ||
	    (rv = pki_make_crt(&ca, &st->ca_crt, &st->ca_crt_len, msg, msgsz)) != 0)
		return rv;
	return pki_make_crt(&srv, &st->srv_crt, &st->srv_crt_len, msg, msgsz);
}

static int
init_write(struct init_state *st, const char *dir, char *msg, size_t msgsz)
{
	char p_ca_key[PATH_MAX], p_ca_crt[PATH_MAX], p_srv_key[PATH_MAX], p_srv_crt[PATH_MAX];

	if (pki_join_path(p_ca_key, sizeof(p_ca_key), dir, "ca.key") != 0 ||
	    pki_join_path(p_ca_crt, sizeof(p_ca_crt), dir, "ca.crt") != 0 ||
	    pki_join_path(p_srv_key, sizeof(p_srv_key), dir, "server.key") != 0 ||
	    pki_join_path(p_srv_crt, sizeof(p_srv_crt), dir, "server.crt") != 0)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: path too long", dir);
	if (exists(p_ca_key) || exists(p_ca_crt))
		return rw_fail(RW_EEXIST, msg, msgsz,
		               "%s already holds a CA (ca.key/ca.crt); refusing to replace it", dir);
	/* The CA goes last: a half-done init must not look like an initialised directory. */
	struct pki_out_file files[] = {
		{p_srv_key, st->srv_key_pem, st->srv_key_len, 0600},
		{p_srv_crt, st->srv_crt, st->srv_crt_len, 0644},
		{p_ca_key, st->ca_key_pem, st->ca_key_len, 0600},
		{p_ca_crt, st->ca_crt, st->ca_crt_len, 0644},
	};
	return pki_write_files(files, sizeof(files) / sizeof(files[0]), msg, msgsz);
}

int
pki_init(const char *dir, const char *const *sans, size_t nsans, char *msg, size_t msgsz)
{
	struct init_state *st;
	int rv;

	(void)rw_fail(0, msg, msgsz, "ok");
	if (dir == NULL || dir[0] == '\0' || (nsans > 0 && sans == NULL))
		return rw_fail(RW_EINVAL, msg, msgsz, "no PKI directory given");
	if (nsans > SAN_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz,
		               "too many subject alternative names (at most %d)", SAN_MAX);
	if ((rv = make_dir(dir, msg, msgsz)) != 0)
		return rv;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
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

	if (pki_join_path(path, sizeof(path), dir, "ca.crt") != 0)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: path too long", dir);
	if ((rv = pki_read_file(path, CA_FILE_MAX, &buf, &len)) != 0)
		return rw_fail(rv, msg, msgsz, "%s: %s", path, rw_strerror(rv));
	ret = mbedtls_x509_crt_parse(ca, (unsigned char *)buf, len + 1);
	free(buf);
	if (ret != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.crt");
	if (!ca->ca_istrue)
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is not a CA certificate", path);

	if (pki_join_path(path, sizeof(path), dir, "ca.key") != 0)
		return RW_ETOOBIG;   /* cannot happen: same length as ca.crt */
	if ((rv = pki_read_file(path, KEY_FILE_MAX, &buf, &len)) != 0)
		return rw_fail(rv, msg, msgsz, "%s: %s", path, rw_strerror(rv));
	ret = mbedtls_pk_parse_key(key, (unsigned char *)buf, len + 1, NULL, 0);
	pki_free_secret(buf, len);
	if (ret != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.key");
	if ((ret = mbedtls_pk_check_pair(&ca->pk, key)) != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "ca.key does not match ca.crt");
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
	if (ret != 0 || flags != 0)
		return rw_fail(RW_EINTERNAL, msg, msgsz,
		               "issued certificate does not verify against the CA (flags 0x%x)",
		               (unsigned)flags);
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
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca->subject) < 0)
		return rw_fail(RW_EINVAL, msg, msgsz, "cannot read the CA subject");
	struct pki_crt_spec spec = {
		.subject = subject, .issuer = issuer, .key = key, .issuer_key = ca_key,
		.not_before = nb, .not_after = nb + (int64_t)a->days * 86400, .server = server,
		/* A server certificate also names its host when the name is a DNS name. */
		.sans = san, .nsans = server && pki_dns_name_ok(a->name) ? 1 : 0,
	};
	struct pki_out_file files[] = {
		{a->out_key, key_buf, 0, 0600},
		{a->out_crt, NULL, 0, 0644},
	};
	if ((rv = pki_gen_key(key, msg, msgsz)) == 0 &&
	    (rv = pki_key_pem(key, key_buf, &key_len, msg, msgsz)) == 0 &&
	    (rv = pki_make_crt(&spec, &crt_pem, &crt_len, msg, msgsz)) == 0 &&
	    (rv = self_check(crt_pem, crt_len, ca, msg, msgsz)) == 0) {
		files[0].len = key_len;
		files[1].data = crt_pem;
		files[1].len = crt_len;
		rv = pki_write_files(files, 2, msg, msgsz);
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

	(void)rw_fail(0, msg, msgsz, "ok");
	if (dir == NULL || out_key == NULL || out_crt == NULL)
		return rw_fail(RW_EINVAL, msg, msgsz, "missing PKI directory or output path");
	if (!role_ok(role))
		return rw_fail(RW_EINVAL, msg, msgsz,
		               "role must be viewer, operator, admin, agent or server");
	if ((rv = pki_check_name(name)) != 0)
		return rw_fail(rv, msg, msgsz,
		               "name must be 1..%d characters of A-Z a-z 0-9 . _ - with at most one inner '/'",
		               RW_ACTOR_MAX);
	if (a.days <= 0)
		a.days = PKI_DEFAULT_DAYS;
	if (a.days > MAX_DAYS || a.offset > MAX_OFFSET_S || a.offset < -MAX_OFFSET_S)
		return rw_fail(RW_EINVAL, msg, msgsz,
		               "validity out of range (at most %d days)", MAX_DAYS);
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
