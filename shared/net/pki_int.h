/*
 * pki_int — what the files of the fleet PKI share (pki.c, pki_x509.c,
 * pki_keys.c, pki_rand.c, pki_proof.c): bounds, the mbedTLS failure text,
 * the random-number callback, key and file helpers and the certificate
 * writer.  Not for use outside shared/net/pki*.c; callers use pki.h.
 */
#ifndef REWIND_PKI_INT_H
#define REWIND_PKI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>

#include "err.h"

#define SAN_MAX 64                   /* extra SANs accepted by pki_init */
#define KEY_PEM_MAX 1024             /* an EC P-256 SEC1 PEM key is ~230 bytes */
#define CA_FILE_MAX (64 * 1024)
#define KEY_FILE_MAX (16 * 1024)

/* Writes "<what>: <mbedTLS's text> (-0xNNNN)" as the reason and returns err. */
static inline int
pki_mbed_fail(int err, int mret, char *msg, size_t msgsz, const char *what)
{
	char text[128];

	mbedtls_strerror(mret, text, sizeof(text));
	return rw_fail(err, msg, msgsz, "%s: %s (-0x%04x)", what, text, (unsigned)-mret);
}

/* pki_rand.c: mbedTLS f_rng callback over the shared DRBG. */
int pki_rng(void *ctx, unsigned char *out, size_t len);

/* pki_keys.c */
void pki_free_secret(char *buf, size_t len);
/* A named PEM blob waiting to be written; key blobs are zeroed afterwards. */
struct pki_out_file {
	const char *path;
	unsigned char *data;
	size_t len;
	mode_t mode;
};

int pki_write_files(struct pki_out_file *files, size_t n, char *msg, size_t msgsz);
int pki_join_path(char *out, size_t outsz, const char *dir, const char *file);
int pki_gen_key(mbedtls_pk_context *pk, char *msg, size_t msgsz);
int pki_key_pem(mbedtls_pk_context *pk, unsigned char *buf, size_t *len, char *msg, size_t msgsz);

/* pki_x509.c */
/* A DNS name a certificate may carry as subjectAltName. */
int pki_dns_name_ok(const char *s);
/* What one certificate should say; the signing key and issuer come separately. */
struct pki_crt_spec {
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

int pki_make_crt(const struct pki_crt_spec *s, unsigned char **pem, size_t *pem_len, char *msg,
                 size_t msgsz);

#endif
