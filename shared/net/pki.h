/*
 * pki — Rewind's fleet PKI with mbedTLS: a CA, the server certificate, and
 * certificates for consoles and agents (EC P-256, x509write), plus the
 * session identity proof (sign a server nonce / verify it against the CA).
 *
 * Identity lives in the certificate subject: CN is the name, OU the role
 * (viewer|operator|admin|agent|server), O is "rewind".  For agents the name
 * is "<cluster>/<node>".  This module reads and writes PEM files; it never
 * logs key material and zeroes private keys it held before returning.
 */
#ifndef REWIND_PKI_H
#define REWIND_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define PKI_AUTH_CONTEXT "rewind-session-v1"

/* Default validity of issued certificates. */
#define PKI_DEFAULT_DAYS 365

/*
 * Creates DIR (0700) with ca.key/ca.crt (10 years) and server.key/server.crt
 * for the given DNS names / IPs (SANs; "localhost" and "127.0.0.1" are always
 * included).  Refuses (RW_EEXIST) when DIR already holds a CA.  Keys are
 * written 0600.
 */
int pki_init(const char *dir, const char *const *sans, size_t nsans, char *msg, size_t msgsz);

/*
 * Issues a key and certificate signed by DIR's CA into OUT_KEY / OUT_CRT
 * (0600 / 0644).  role is viewer|operator|admin|agent|server; name must pass
 * pki_check_name().  days <= 0 means PKI_DEFAULT_DAYS.  not_before_offset_s
 * shifts the validity window (tests issue already-expired certificates with
 * a negative offset larger than the validity).
 */
int pki_issue(const char *dir, const char *role, const char *name, int days,
              int64_t not_before_offset_s, const char *out_key, const char *out_crt, char *msg,
              size_t msgsz);

/* A certificate name: 1..128 chars of [A-Za-z0-9._-] with at most one '/'. */
int pki_check_name(const char *name);

/* Reads a whole small file (bounded by max) into a malloc'd NUL-terminated buffer owned by the caller. */
int pki_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Identity proof, client side: signs SHA-256(PKI_AUTH_CONTEXT || nonce) with
 * the private key in KEY_PATH.  sig must hold RW_SIG_MAX bytes.
 */
int pki_sign_nonce(const char *key_path, const uint8_t *nonce, size_t nonce_len, uint8_t *sig,
                   size_t *sig_len);

/* Server side verifier: holds the CA, loaded once; thread-safe after creation. */
typedef struct pki_verifier pki_verifier_t;
int pki_verifier_new(const char *ca_path, pki_verifier_t **out);
void pki_verifier_free(pki_verifier_t *v);

/*
 * Verifies a peer's proof: cert_pem chains to the CA and is valid now, the
 * signature over the nonce matches its key, and its subject carries a known
 * role.  On success fills who (name from CN, role from OU).  On failure
 * returns RW_EAUTH and a reason in msg ("certificate expired", "not issued by
 * the fleet CA", "signature does not match", ...).
 */
int pki_verify_proof(const pki_verifier_t *v, const char *cert_pem, size_t cert_len,
                     const uint8_t *nonce, size_t nonce_len, const uint8_t *sig, size_t sig_len,
                     rw_actor_t *who, char *msg, size_t msgsz);

/*
 * Reads the name and role from one's own certificate file (no chain check:
 * the server does that).  RW_EAUTH when it carries no Rewind identity.
 */
int pki_cert_identity(const char *cert_path, rw_actor_t *who, char *msg, size_t msgsz);

/* Fills buf with cryptographically random bytes (mbedTLS CTR-DRBG). */
int pki_random(uint8_t *buf, size_t len);

#endif
