/*
 * test_pki — unit tests for shared/pki.c: CA and server init, issuing role
 * certificates, the nonce proof round trip and every refusal path we rely on
 * (foreign CA, expired, not yet valid, tampering, garbage input), plus the
 * certificate contents peers depend on (subject, SANs, file modes).
 *
 * Each test works in its own temporary directory (tests/lib/testpki.h) and
 * removes it afterwards.  TLS interop with NNG lives in test_pki_nng.c.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "domain.h"
#include "err.h"
#include "pki.h"
#include "testlib.h"
#include "testpki.h"

static mode_t
mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Signs a fresh nonce with KEY and verifies it with CRT against f's CA. */
static int
prove(struct tpki *f, const char *key, const char *crt, rw_actor_t *who)
{
	uint8_t nonce[RW_NONCE_LEN], sig[RW_SIG_MAX];
	size_t sig_len = 0, crt_len = 0;
	pki_verifier_t *v = NULL;
	char ca[512], *pem = NULL;
	int rv;

	tl_path(ca, sizeof(ca), f->pki, "ca.crt");
	assert_int_equal(pki_verifier_new(ca, &v), 0);
	assert_int_equal(pki_random(nonce, sizeof(nonce)), 0);
	assert_int_equal(pki_sign_nonce(key, nonce, sizeof(nonce), sig, &sig_len), 0);
	assert_int_equal(pki_read_file(crt, RW_CERT_PEM_MAX, &pem, &crt_len), 0);
	rv = pki_verify_proof(v, pem, crt_len, nonce, sizeof(nonce), sig, sig_len, who, f->msg,
	                      sizeof(f->msg));
	free(pem);
	pki_verifier_free(v);
	return rv;
}

/*
 * Issues ROLE/NAME (files NAME.key and NAME.crt) and readies checking its
 * proofs: the key's path goes to key, a verifier for f's CA to *v and the
 * certificate's PEM (the caller frees it) and length to *pem and *len.
 */
static void
verify_setup(struct tpki *f, const char *role, const char *name, char *key, size_t keysz,
             pki_verifier_t **v, char **pem, size_t *len)
{
	char crt[512], ca[512];

	assert_true(keysz <= sizeof(crt));
	tpki_issue(f, f->pki, role, name, 0, 0, name, key, crt, keysz);
	tl_path(ca, sizeof(ca), f->pki, "ca.crt");
	assert_int_equal(pki_verifier_new(ca, v), 0);
	assert_int_equal(pki_read_file(crt, RW_CERT_PEM_MAX, pem, len), 0);
}

/* ------------------------------------------------------------------------ */

static void
test_init_creates_files(void **state)
{
	struct tpki *f = *state;
	const char *sans[] = {"rewind.example.com", "10.1.2.3"};
	char p[512];

	assert_int_equal(pki_init(f->pki, sans, 2, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(mode_of(f->pki), 0700);
	tl_path(p, sizeof(p), f->pki, "ca.key");
	assert_int_equal(mode_of(p), 0600);
	tl_path(p, sizeof(p), f->pki, "server.key");
	assert_int_equal(mode_of(p), 0600);
	tl_path(p, sizeof(p), f->pki, "ca.crt");
	assert_int_equal(mode_of(p), 0644);
	tl_path(p, sizeof(p), f->pki, "server.crt");
	assert_int_equal(mode_of(p), 0644);

	/* Nothing but the four files: no temporaries left behind. */
	DIR *d = opendir(f->pki);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 4);

	/* The key is PEM and carries no certificate. */
	char *pem = NULL;
	tl_path(p, sizeof(p), f->pki, "ca.key");
	assert_int_equal(pki_read_file(p, 4096, &pem, NULL), 0);
	assert_non_null(strstr(pem, "-----BEGIN EC PRIVATE KEY-----"));
	free(pem);
}

static void
test_init_twice_refused(void **state)
{
	struct tpki *f = *state;
	char p[512], *before = NULL, *after = NULL;

	tl_path(p, sizeof(p), f->pki, "ca.crt");
	assert_int_equal(pki_read_file(p, 65536, &before, NULL), 0);
	assert_int_equal(pki_init(f->pki, NULL, 0, f->msg, sizeof(f->msg)), RW_EEXIST);
	assert_non_null(strstr(f->msg, "already holds a CA"));
	assert_int_equal(pki_read_file(p, 65536, &after, NULL), 0);
	assert_string_equal(before, after);   /* the CA was not replaced */
	free(before);
	free(after);
}

static void
test_init_missing_parent(void **state)
{
	struct tpki *f = *state;
	char p[512];

	tl_path(p, sizeof(p), f->root, "no/such/dir");
	assert_int_equal(pki_init(p, NULL, 0, f->msg, sizeof(f->msg)), RW_ENOTFOUND);
	assert_non_null(strstr(f->msg, "parent directory does not exist"));
}

static void
test_init_bad_san(void **state)
{
	struct tpki *f = *state;
	const char *sans[] = {"ok.example.com", "bad name"};
	char p[512];

	assert_int_equal(pki_init(f->pki, sans, 2, f->msg, sizeof(f->msg)), RW_EINVAL);
	assert_non_null(strstr(f->msg, "bad name"));
	tl_path(p, sizeof(p), f->pki, "ca.key");
	assert_int_equal(access(p, F_OK), -1);   /* nothing written */
	tl_path(p, sizeof(p), f->pki, "server.key");
	assert_int_equal(access(p, F_OK), -1);
	/* ...so a corrected retry works. */
	assert_int_equal(pki_init(f->pki, sans, 1, f->msg, sizeof(f->msg)), 0);
}

static void
test_issue_each_role(void **state)
{
	struct tpki *f = *state;
	const char *roles[] = {"viewer", "operator", "admin", "agent", "server"};
	char key[512], crt[512], dn[512], want[256];

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		mbedtls_x509_crt c;
		tpki_issue(f, f->pki, roles[i], "alice", 0, 0, roles[i], key, crt, sizeof(key));
		assert_int_equal(mode_of(key), 0600);
		assert_int_equal(mode_of(crt), 0644);
		mbedtls_x509_crt_init(&c);
		assert_int_equal(mbedtls_x509_crt_parse_file(&c, crt), 0);
		assert_true(mbedtls_x509_dn_gets(dn, sizeof(dn), &c.subject) > 0);
		snprintf(want, sizeof(want), "CN=alice, OU=%s, O=rewind", roles[i]);
		assert_string_equal(dn, want);
		assert_false(c.ca_istrue);
		/* Default validity: about PKI_DEFAULT_DAYS. */
		assert_int_equal(c.valid_to.year - c.valid_from.year >= 0, 1);
		mbedtls_x509_crt_free(&c);
	}
}

static void
test_issue_refuses_overwrite_and_bad_input(void **state)
{
	struct tpki *f = *state;
	char key[512], crt[512], other[512];

	tpki_issue(f, f->pki, "viewer", "bob", 0, 0, "bob", key, crt, sizeof(key));
	tl_path(other, sizeof(other), f->root, "bob2.crt");
	assert_int_equal(pki_issue(f->pki, "viewer", "bob", 0, 0, key, other, f->msg, sizeof(f->msg)),
	                 RW_EEXIST);
	assert_int_equal(access(other, F_OK), -1);   /* all or nothing */
	assert_int_equal(pki_issue(f->pki, "root", "bob", 0, 0, key, other, f->msg, sizeof(f->msg)),
	                 RW_EINVAL);
	assert_int_equal(pki_issue(f->pki, "viewer", "a b", 0, 0, key, other, f->msg, sizeof(f->msg)),
	                 RW_EINVAL);
	assert_int_equal(pki_issue(f->pki, "viewer", "bob", 100000, 0, key, other, f->msg,
	                           sizeof(f->msg)),
	                 RW_EINVAL);
	tl_path(other, sizeof(other), f->root, "nopki");
	assert_int_equal(pki_issue(other, "viewer", "bob", 0, 0, "/dev/null/x", "/dev/null/y", f->msg,
	                           sizeof(f->msg)),
	                 RW_ENOTFOUND);
}

static void
test_roundtrip_each_role(void **state)
{
	struct tpki *f = *state;
	struct { const char *role, *name; enum rw_role want; } cases[] = {
		{"viewer", "vera", RW_ROLE_VIEWER},
		{"operator", "otto.ops", RW_ROLE_OPERATOR},
		{"admin", "ada_admin", RW_ROLE_ADMIN},
		{"agent", "prod/node-1", RW_ROLE_AGENT},
	};
	char key[512], crt[512], stem[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rw_actor_t who;
		snprintf(stem, sizeof(stem), "c%zu", i);
		tpki_issue(f, f->pki, cases[i].role, cases[i].name, 30, 0, stem, key, crt, sizeof(key));
		assert_int_equal(prove(f, key, crt, &who), 0);
		assert_string_equal(who.name, cases[i].name);
		assert_int_equal(who.role, cases[i].want);
		assert_string_equal(f->msg, "ok");
	}
}

static void
test_tampered_proof(void **state)
{
	struct tpki *f = *state;
	uint8_t nonce[RW_NONCE_LEN], sig[RW_SIG_MAX];
	size_t sig_len = 0, len = 0;
	char key[512], *pem = NULL;
	pki_verifier_t *v = NULL;
	rw_actor_t who;

	verify_setup(f, "operator", "otto", key, sizeof(key), &v, &pem, &len);
	assert_int_equal(pki_random(nonce, sizeof(nonce)), 0);
	assert_int_equal(pki_sign_nonce(key, nonce, sizeof(nonce), sig, &sig_len), 0);
	assert_true(sig_len > 0 && sig_len <= 72);

	nonce[0] ^= 1;
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), sig, sig_len, &who,
	                                  f->msg, sizeof(f->msg)),
	                 RW_EAUTH);
	assert_string_equal(f->msg, "signature does not match");
	assert_string_equal(who.name, "");
	nonce[0] ^= 1;

	sig[sig_len - 1] ^= 0x40;
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), sig, sig_len, &who,
	                                  f->msg, sizeof(f->msg)),
	                 RW_EAUTH);
	sig[sig_len - 1] ^= 0x40;

	/* Truncated and oversized signatures. */
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), sig, sig_len - 1, &who,
	                                  f->msg, sizeof(f->msg)),
	                 RW_EAUTH);
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), sig, RW_SIG_MAX + 1,
	                                  &who, f->msg, sizeof(f->msg)),
	                 RW_EAUTH);
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), NULL, 0, &who, f->msg,
	                                  sizeof(f->msg)),
	                 RW_EAUTH);

	/* Untampered still verifies, with or without the trailing NUL counted. */
	assert_int_equal(pki_verify_proof(v, pem, len + 1, nonce, sizeof(nonce), sig, sig_len, &who,
	                                  f->msg, sizeof(f->msg)),
	                 0);
	assert_string_equal(who.name, "otto");

	/* A proof signed with someone else's key for this certificate. */
	char key2[512], crt2[512];
	tpki_issue(f, f->pki, "operator", "mallory", 0, 0, "mallory", key2, crt2, sizeof(key2));
	assert_int_equal(pki_sign_nonce(key2, nonce, sizeof(nonce), sig, &sig_len), 0);
	assert_int_equal(pki_verify_proof(v, pem, len, nonce, sizeof(nonce), sig, sig_len, &who,
	                                  f->msg, sizeof(f->msg)),
	                 RW_EAUTH);
	assert_string_equal(f->msg, "signature does not match");
	free(pem);
	pki_verifier_free(v);
}

static void
test_foreign_ca(void **state)
{
	struct tpki *f = *state;
	struct tpki other = *f;
	char key[512], crt[512];
	rw_actor_t who;

	/* A second, independent CA in root/pki2 issues a certificate with a valid-looking subject. */
	snprintf(other.pki, sizeof(other.pki), "%s/pki2", f->root);
	assert_int_equal(pki_init(other.pki, NULL, 0, f->msg, sizeof(f->msg)), 0);
	tpki_issue(&other, other.pki, "admin", "eve", 0, 0, "eve", key, crt, sizeof(key));
	assert_int_equal(prove(&other, key, crt, &who), 0);   /* fine for its own CA */
	assert_int_equal(prove(f, key, crt, &who), RW_EAUTH);
	assert_string_equal(f->msg, "certificate not issued by the fleet CA");
	assert_int_equal(who.role, RW_ROLE_NONE);
}

static void
test_expired_and_future(void **state)
{
	struct tpki *f = *state;
	char key[512], crt[512];
	rw_actor_t who;

	tpki_issue(f, f->pki, "viewer", "old", 30, -(int64_t)(30 + 2) * 86400, "old", key, crt, sizeof(key));
	assert_int_equal(prove(f, key, crt, &who), RW_EAUTH);
	assert_string_equal(f->msg, "certificate expired");

	tpki_issue(f, f->pki, "viewer", "early", 30, 2 * 86400, "early", key, crt, sizeof(key));
	assert_int_equal(prove(f, key, crt, &who), RW_EAUTH);
	assert_string_equal(f->msg, "certificate not yet valid");
}

static void
test_server_and_ca_certs_are_not_identities(void **state)
{
	struct tpki *f = *state;
	char key[512], crt[512];
	rw_actor_t who;

	tl_path(key, sizeof(key), f->pki, "server.key");
	tl_path(crt, sizeof(crt), f->pki, "server.crt");
	assert_int_equal(prove(f, key, crt, &who), RW_EAUTH);
	assert_string_equal(f->msg, "certificate has no Rewind role");

	tl_path(key, sizeof(key), f->pki, "ca.key");
	tl_path(crt, sizeof(crt), f->pki, "ca.crt");
	assert_int_equal(prove(f, key, crt, &who), RW_EAUTH);
	assert_string_equal(f->msg, "certificate not valid for client authentication");
}

static void
test_garbage_certificates(void **state)
{
	struct tpki *f = *state;
	uint8_t nonce[RW_NONCE_LEN] = {1}, sig[RW_SIG_MAX];
	size_t sig_len = 0, len = 0;
	char key[512], *pem = NULL;
	pki_verifier_t *v = NULL;
	rw_actor_t who;

	verify_setup(f, "viewer", "gary", key, sizeof(key), &v, &pem, &len);
	assert_int_equal(pki_sign_nonce(key, nonce, sizeof(nonce), sig, &sig_len), 0);

#define VERIFY(p, l) \
	pki_verify_proof(v, (p), (l), nonce, sizeof(nonce), sig, sig_len, &who, f->msg, sizeof(f->msg))
	assert_int_equal(VERIFY(NULL, 0), RW_EAUTH);
	assert_string_equal(f->msg, "no certificate presented");
	assert_int_equal(VERIFY("", 0), RW_EAUTH);
	assert_int_equal(VERIFY("\0\0\0", 3), RW_EAUTH);
	assert_int_equal(VERIFY("hello", 5), RW_EAUTH);
	assert_string_equal(f->msg, "certificate could not be parsed");
	const char *fake = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	assert_int_equal(VERIFY(fake, strlen(fake)), RW_EAUTH);

	/* Exactly-sized, not NUL-terminated buffer: ASan catches any over-read. */
	char *exact = malloc(len);
	assert_non_null(exact);
	memcpy(exact, pem, len);
	assert_int_equal(VERIFY(exact, len), 0);
	/* Corrupt the base64 body. */
	exact[len / 2] = exact[len / 2] == 'A' ? 'B' : 'A';
	assert_int_equal(VERIFY(exact, len), RW_EAUTH);
	free(exact);

	/* Embedded NUL before the end. */
	char *nul = strdup(pem);
	assert_non_null(nul);
	nul[10] = '\0';
	assert_int_equal(VERIFY(nul, len), RW_EAUTH);
	assert_string_equal(f->msg, "certificate is not PEM text");
	free(nul);

	/* Oversized: the real certificate padded past RW_CERT_PEM_MAX. */
	char *big = malloc(RW_CERT_PEM_MAX + 100);
	assert_non_null(big);
	memset(big, '\n', RW_CERT_PEM_MAX + 100);
	memcpy(big, pem, len);
	assert_int_equal(VERIFY(big, RW_CERT_PEM_MAX + 100), RW_EAUTH);
	assert_non_null(strstr(f->msg, "larger than"));
	free(big);

	/* Random binary of every small length. */
	uint8_t junk[600];
	for (size_t n = 1; n < sizeof(junk); n += 37) {
		assert_int_equal(pki_random(junk, n), 0);
		assert_int_equal(VERIFY((const char *)junk, n), RW_EAUTH);
	}
	/* Caller errors are EINVAL, not EAUTH. */
	assert_int_equal(pki_verify_proof(v, pem, len, NULL, 0, sig, sig_len, &who, NULL, 0),
	                 RW_EINVAL);
	assert_int_equal(pki_verify_proof(NULL, pem, len, nonce, 1, sig, sig_len, &who, NULL, 0),
	                 RW_EINVAL);
#undef VERIFY
	free(pem);
	pki_verifier_free(v);
}

static void
test_names(void **state)
{
	(void)state;
	char long_ok[RW_ACTOR_MAX + 1], too_long[RW_ACTOR_MAX + 2];

	memset(long_ok, 'a', RW_ACTOR_MAX);
	long_ok[RW_ACTOR_MAX] = '\0';
	memset(too_long, 'a', RW_ACTOR_MAX + 1);
	too_long[RW_ACTOR_MAX + 1] = '\0';

	const char *good[] = {"a", "alice", "A.b_c-d", "prod/node-1", "x/y", long_ok};
	const char *bad[] = {"", "/a", "a/", "a/b/c", "//", "a b", "a,b", "CN=x", "a+b",
	                     "a\\b", "\xc3\xa9t\xc3\xa9", "a\nb", "a\"b", too_long};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(pki_check_name(good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(pki_check_name(bad[i]), 0);
	assert_int_not_equal(pki_check_name(NULL), 0);
	assert_int_equal(pki_check_name(too_long), RW_ETOOBIG);
}

static void
test_long_name_roundtrip(void **state)
{
	struct tpki *f = *state;
	char name[RW_ACTOR_MAX + 1], key[512], crt[512];
	rw_actor_t who;

	memset(name, 'n', RW_ACTOR_MAX);
	name[RW_ACTOR_MAX] = '\0';
	name[40] = '/';
	tpki_issue(f, f->pki, "agent", name, 0, 0, "long", key, crt, sizeof(key));
	assert_int_equal(prove(f, key, crt, &who), 0);
	assert_string_equal(who.name, name);
	assert_int_equal(who.role, RW_ROLE_AGENT);
}

/* Finds the subjectAltName extension value (the GeneralNames SEQUENCE) in a certificate's DER. */
static int
find_san(const mbedtls_x509_crt *c, unsigned char **p, const unsigned char **end)
{
	static const unsigned char oid[] = {0x06, 0x03, 0x55, 0x1d, 0x11};
	const unsigned char *der = c->raw.p;
	size_t len;

	for (size_t i = 0; i + sizeof(oid) < c->raw.len; i++) {
		if (memcmp(der + i, oid, sizeof(oid)) != 0)
			continue;
		*p = (unsigned char *)der + i + sizeof(oid);
		*end = der + c->raw.len;
		if (**p == MBEDTLS_ASN1_BOOLEAN)   /* optional "critical" */
			*p += 3;
		if (mbedtls_asn1_get_tag(p, *end, &len, MBEDTLS_ASN1_OCTET_STRING) != 0)
			return -1;
		*end = *p + len;
		if (mbedtls_asn1_get_tag(p, *end, &len,
		                         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return -1;
		*end = *p + len;
		return 0;
	}
	return -1;
}

struct san_seen {
	int ip_127, ip_10, ip_v6, dns_localhost, dns_example, dns_127;
};

static void
test_server_san(void **state)
{
	struct tpki *f = *state;
	const char *sans[] = {"rewind.example.com", "10.1.2.3", "::1", "localhost"};
	static const unsigned char v6[16] = {[15] = 1};
	struct san_seen s = {0};
	mbedtls_x509_crt c;
	unsigned char *p = NULL;
	const unsigned char *end = NULL;
	char crt[512];
	size_t len;

	assert_int_equal(pki_init(f->pki, sans, 4, f->msg, sizeof(f->msg)), 0);
	tl_path(crt, sizeof(crt), f->pki, "server.crt");
	mbedtls_x509_crt_init(&c);
	assert_int_equal(mbedtls_x509_crt_parse_file(&c, crt), 0);
	assert_int_equal(find_san(&c, &p, &end), 0);
	while (p < end) {
		unsigned char tag = *p++;
		assert_int_equal(mbedtls_asn1_get_len(&p, end, &len), 0);
		if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)) {
			s.ip_127 += len == 4 && memcmp(p, "\x7f\x00\x00\x01", 4) == 0;
			s.ip_10 += len == 4 && memcmp(p, "\x0a\x01\x02\x03", 4) == 0;
			s.ip_v6 += len == 16 && memcmp(p, v6, 16) == 0;
		} else if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)) {
			s.dns_localhost += len == 9 && memcmp(p, "localhost", 9) == 0;
			s.dns_example += len == 18 && memcmp(p, "rewind.example.com", 18) == 0;
			s.dns_127 += len == 9 && memcmp(p, "127.0.0.1", 9) == 0;
		} else {
			fail_msg("unexpected GeneralName tag 0x%02x", tag);
		}
		p += len;
	}
	assert_int_equal(s.ip_127, 1);
	assert_int_equal(s.ip_10, 1);
	assert_int_equal(s.ip_v6, 1);
	assert_int_equal(s.dns_localhost, 1);   /* duplicate from the caller dropped */
	assert_int_equal(s.dns_example, 1);
	assert_int_equal(s.dns_127, 1);         /* for mbedTLS 2.28 peers, see pki.c */

	/* mbedTLS itself accepts the names a client would dial. */
	uint32_t flags = 0;
	mbedtls_x509_crt ca;
	char cap[512];
	tl_path(cap, sizeof(cap), f->pki, "ca.crt");
	mbedtls_x509_crt_init(&ca);
	assert_int_equal(mbedtls_x509_crt_parse_file(&ca, cap), 0);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca, NULL, "localhost", &flags, NULL, NULL), 0);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca, NULL, "127.0.0.1", &flags, NULL, NULL), 0);
	assert_int_equal(mbedtls_x509_crt_verify(&c, &ca, NULL, "REWIND.example.com", &flags, NULL,
	                                         NULL),
	                 0);
	assert_int_not_equal(mbedtls_x509_crt_verify(&c, &ca, NULL, "evil.example.com", &flags, NULL,
	                                             NULL),
	                     0);
	assert_true(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
	/* The CA is a CA with pathlen 0 and the right usage. */
	assert_true(ca.ca_istrue);
	assert_int_equal(ca.max_pathlen, 1);   /* mbedTLS stores pathlen + 1 */
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&ca, MBEDTLS_X509_KU_KEY_CERT_SIGN), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(
	                     &c, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
	                 0);
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509_crt_free(&c);
}

static void
test_client_cert_has_no_server_auth(void **state)
{
	struct tpki *f = *state;
	char key[512], crt[512];
	mbedtls_x509_crt c;

	tpki_issue(f, f->pki, "admin", "ada", 0, 0, "ada", key, crt, sizeof(key));
	mbedtls_x509_crt_init(&c);
	assert_int_equal(mbedtls_x509_crt_parse_file(&c, crt), 0);
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(
	                     &c, MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)),
	                 0);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(
	                         &c, MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)),
	                     0);
	mbedtls_x509_crt_free(&c);
}

static void
test_read_file(void **state)
{
	struct tpki *f = *state;
	char p[512], *buf = (char *)1;
	size_t len = 99;

	tl_path(p, sizeof(p), f->root, "missing");
	assert_int_equal(pki_read_file(p, 100, &buf, &len), RW_ENOTFOUND);
	assert_null(buf);
	assert_int_equal(pki_read_file(f->root, 100, &buf, &len), RW_EIO);   /* a directory */

	tl_write(tl_path(p, sizeof(p), f->root, "ten"), "0123456789");
	assert_int_equal(pki_read_file(p, 9, &buf, &len), RW_ETOOBIG);
	assert_int_equal(pki_read_file(p, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);

	tl_write(tl_path(p, sizeof(p), f->root, "empty"), "");
	assert_int_equal(pki_read_file(p, 10, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
}

static void
test_sign_and_verifier_errors(void **state)
{
	struct tpki *f = *state;
	uint8_t nonce[RW_NONCE_LEN] = {0}, sig[RW_SIG_MAX];
	size_t sig_len;
	pki_verifier_t *v = (pki_verifier_t *)1;
	char p[512];

	tl_path(p, sizeof(p), f->root, "missing.key");
	assert_int_equal(pki_sign_nonce(p, nonce, sizeof(nonce), sig, &sig_len), RW_ENOTFOUND);
	tl_path(p, sizeof(p), f->pki, "ca.crt");   /* not a key */
	assert_int_equal(pki_sign_nonce(p, nonce, sizeof(nonce), sig, &sig_len), RW_EINVAL);
	tl_path(p, sizeof(p), f->pki, "ca.key");
	assert_int_equal(pki_sign_nonce(p, nonce, 0, sig, &sig_len), RW_EINVAL);

	tl_path(p, sizeof(p), f->root, "missing.crt");
	assert_int_equal(pki_verifier_new(p, &v), RW_ENOTFOUND);
	assert_null(v);
	tl_path(p, sizeof(p), f->pki, "server.crt");   /* not a CA */
	assert_int_equal(pki_verifier_new(p, &v), RW_EINVAL);
	tl_path(p, sizeof(p), f->pki, "ca.key");
	assert_int_equal(pki_verifier_new(p, &v), RW_EINVAL);
	pki_verifier_free(NULL);
}

static void
test_random(void **state)
{
	(void)state;
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
	uint8_t *big = malloc(5000);

	assert_int_equal(pki_random(a, sizeof(a)), 0);
	assert_int_equal(pki_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_non_null(big);
	assert_int_equal(pki_random(big, 5000), 0);   /* more than one DRBG request */
	free(big);
	assert_int_equal(pki_random(NULL, 0), 0);
}

/* --- concurrency: several workers verify (and draw randomness) at once --- */

struct worker {
	pki_verifier_t *v;
	const char *pem;
	size_t len;
	const char *key;
	int failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t nonce[RW_NONCE_LEN], sig[RW_SIG_MAX];
	size_t sig_len;
	rw_actor_t who;
	char msg[128];

	for (int i = 0; i < 25; i++) {
		if (pki_random(nonce, sizeof(nonce)) != 0 ||
		    pki_sign_nonce(w->key, nonce, sizeof(nonce), sig, &sig_len) != 0 ||
		    pki_verify_proof(w->v, w->pem, w->len, nonce, sizeof(nonce), sig, sig_len, &who, msg,
		                     sizeof(msg)) != 0 ||
		    strcmp(who.name, "worker") != 0)
			w->failures++;
		nonce[3] ^= 0x10;   /* and a failing one in between */
		if (pki_verify_proof(w->v, w->pem, w->len, nonce, sizeof(nonce), sig, sig_len, &who, msg,
		                     sizeof(msg)) != RW_EAUTH)
			w->failures++;
	}
	return NULL;
}

static void
test_concurrent_verify(void **state)
{
	struct tpki *f = *state;
	char key[512], *pem = NULL;
	size_t len = 0;
	pki_verifier_t *v = NULL;
	pthread_t th[4];
	struct worker w[4];

	verify_setup(f, "operator", "worker", key, sizeof(key), &v, &pem, &len);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){v, pem, len, key, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	free(pem);
	pki_verifier_free(v);
}

/* The set-ups: a temporary directory, with or without the fleet CA. */
#define IN_DIR(t) cmocka_unit_test_setup_teardown(t, tpki_setup_dir, tpki_teardown)
#define WITH_CA(t) cmocka_unit_test_setup_teardown(t, tpki_setup_ca, tpki_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		IN_DIR(test_init_creates_files), WITH_CA(test_init_twice_refused),
		IN_DIR(test_init_missing_parent), IN_DIR(test_init_bad_san),
		WITH_CA(test_issue_each_role), WITH_CA(test_issue_refuses_overwrite_and_bad_input),
		WITH_CA(test_roundtrip_each_role), WITH_CA(test_tampered_proof),
		WITH_CA(test_foreign_ca), WITH_CA(test_expired_and_future),
		WITH_CA(test_server_and_ca_certs_are_not_identities),
		WITH_CA(test_garbage_certificates), cmocka_unit_test(test_names),
		WITH_CA(test_long_name_roundtrip), IN_DIR(test_server_san),
		WITH_CA(test_client_cert_has_no_server_auth), IN_DIR(test_read_file),
		WITH_CA(test_sign_and_verifier_errors), cmocka_unit_test(test_random),
		WITH_CA(test_concurrent_verify),
	};

	umask(022);
	return cmocka_run_group_tests_name("pki", tests, NULL, NULL);
}
