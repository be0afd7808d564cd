/*
 * pki_proof — the session identity proof: the client signs
 * SHA-256(PKI_AUTH_CONTEXT || server nonce) with its key; the server checks
 * that the certificate chains to the fleet CA and is valid now, that the
 * signature matches, and reads the name and role from the subject.  It
 * issues nothing and logs nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "err.h"
#include "pki.h"
#include "pki_int.h"

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
	pki_free_secret(buf, len);
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
	if (len == 0)
		return rw_fail(RW_EAUTH, msg, msgsz, "no certificate presented");
	if (len > RW_CERT_PEM_MAX)
		return rw_fail(RW_EAUTH, msg, msgsz,
		               "certificate larger than %d bytes", RW_CERT_PEM_MAX);
	if (memchr(pem, '\0', len) != NULL)
		return rw_fail(RW_EAUTH, msg, msgsz, "certificate is not PEM text");
	copy = malloc(len + 1);
	if (copy == NULL)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	memcpy(copy, pem, len);
	copy[len] = '\0';
	ret = mbedtls_x509_crt_parse(crt, (unsigned char *)copy, len + 1);
	free(copy);
	if (ret != 0)
		return rw_fail(RW_EAUTH, msg, msgsz, "certificate could not be parsed");
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
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "CA certificate");
	}
	ret = mbedtls_x509_crt_verify(crt, &ca, NULL, NULL, &flags, NULL, NULL);
	mbedtls_x509_crt_free(&ca);
	if (ret != 0)
		return rw_fail(RW_EAUTH, msg, msgsz, "%s",
		               flags ? flags_reason(flags) : "certificate could not be verified");
	/* A fleet certificate used to prove a session must be a client leaf. */
	if (crt->ca_istrue ||
	    mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 ||
	    mbedtls_x509_crt_check_extended_key_usage(crt, MBEDTLS_OID_CLIENT_AUTH,
	                                              MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0)
		return rw_fail(RW_EAUTH, msg, msgsz,
		               "certificate not valid for client authentication");
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
	    (r = rw_role_parse(role)) == RW_ROLE_NONE)
		return rw_fail(RW_EAUTH, msg, msgsz, "certificate has no Rewind role");
	if (subject_attr(&crt->subject, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), name,
	                 sizeof(name)) != 0 ||
	    pki_check_name(name) != 0)
		return rw_fail(RW_EAUTH, msg, msgsz, "certificate has no valid Rewind name");
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

	(void)rw_fail(0, msg, msgsz, "ok");
	if (v == NULL || who == NULL || nonce == NULL || nonce_len == 0)
		return rw_fail(RW_EINVAL, msg, msgsz, "verifier, nonce or identity missing");
	memset(who, 0, sizeof(*who));
	if (cert_pem == NULL)
		cert_len = 0;
	if (sig == NULL || sig_len == 0 || sig_len > RW_SIG_MAX)
		return rw_fail(RW_EAUTH, msg, msgsz, "missing or oversized signature");
	mbedtls_x509_crt_init(&crt);
	rv = parse_peer_cert(&crt, cert_pem, cert_len, msg, msgsz);
	if (rv == 0)
		rv = check_chain(&crt, v, msg, msgsz);
	if (rv == 0)
		rv = proof_hash(nonce, nonce_len, hash);
	if (rv == 0 && mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig,
	                                 sig_len) != 0)
		rv = rw_fail(RW_EAUTH, msg, msgsz, "signature does not match");
	if (rv == 0)
		rv = read_identity(&crt, who, msg, msgsz);
	mbedtls_x509_crt_free(&crt);
	if (rv == 0)
		(void)rw_fail(0, msg, msgsz, "ok");
	return rv;
}

int
pki_cert_identity(const char *cert_path, rw_actor_t *who, char *msg, size_t msgsz)
{
	mbedtls_x509_crt crt;
	char *pem = NULL;
	size_t len;
	int rv = pki_read_file(cert_path, RW_CERT_PEM_MAX, &pem, &len);

	if (rv != 0)
		return rw_fail(rv, msg, msgsz, "cannot read %s: %s", cert_path, rw_strerror(rv));
	mbedtls_x509_crt_init(&crt);
	rv = parse_peer_cert(&crt, pem, len, msg, msgsz);
	if (rv == 0)
		rv = read_identity(&crt, who, msg, msgsz);
	mbedtls_x509_crt_free(&crt);
	free(pem);
	return rv;
}
