/*
 * tlsgen: certificate generation with mbedTLS 2.28's x509write API. That
 * version has no subjectAltName helper, so the SAN extension is DER-encoded
 * with mbedTLS's own ASN.1 writer and added as a raw extension.
 */
#include "tlsgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define TLSGEN_PEM_MAX 4096

struct tlsgen_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

static int tlsgen_rng_init(struct tlsgen_rng *r)
{
    static const char pers[] = "rewind-kubesim-tlsgen";
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
                                 (const unsigned char *)pers, sizeof(pers) - 1);
}

static void tlsgen_rng_free(struct tlsgen_rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
}

static int tlsgen_key(mbedtls_pk_context *pk, struct tlsgen_rng *r)
{
    int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc)
        return rc;
    return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
                               mbedtls_ctr_drbg_random, &r->drbg);
}

/* Writes one GeneralName ([2] dNSName or [7] iPAddress) backwards at *p. */
static int tlsgen_san_entry(unsigned char **p, unsigned char *start, const char *name)
{
    unsigned char ip[16];
    size_t len = 0;
    int tag, rc;
    if (inet_pton(AF_INET, name, ip) == 1) {
        len = 4;
        tag = 7;
    } else if (inet_pton(AF_INET6, name, ip) == 1) {
        len = 16;
        tag = 7;
    } else {
        tag = 2;
    }
    const unsigned char *data = tag == 7 ? ip : (const unsigned char *)name;
    size_t n = tag == 7 ? len : strlen(name);
    int total = 0;
    if ((rc = mbedtls_asn1_write_raw_buffer(p, start, data, n)) < 0)
        return rc;
    total += rc;
    if ((rc = mbedtls_asn1_write_len(p, start, n)) < 0)
        return rc;
    total += rc;
    if ((rc = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag)) < 0)
        return rc;
    return total + rc;
}

/* DER SubjectAltName (SEQUENCE OF GeneralName) at the end of buf. */
static int tlsgen_san(const char *const *names, unsigned char *buf, size_t size,
                      unsigned char **der, size_t *der_len)
{
    unsigned char *p = buf + size;
    int total = 0, rc;
    size_t n = 0;
    while (names[n])
        n++;
    for (size_t i = n; i-- > 0;) {
        if ((rc = tlsgen_san_entry(&p, buf, names[i])) < 0)
            return rc;
        total += rc;
    }
    if ((rc = mbedtls_asn1_write_len(&p, buf, (size_t)total)) < 0)
        return rc;
    total += rc;
    if ((rc = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return rc;
    total += rc;
    *der = p;
    *der_len = (size_t)total;
    return 0;
}

static void tlsgen_validity(char *from, char *to, size_t len)
{
    time_t now = time(NULL);
    time_t a = now - 3600, b = now + 365L * 24 * 3600;
    struct tm tm;
    gmtime_r(&a, &tm);
    strftime(from, len, "%Y%m%d%H%M%S", &tm);
    gmtime_r(&b, &tm);
    strftime(to, len, "%Y%m%d%H%M%S", &tm);
}

struct tlsgen_cert {
    const char *subject, *issuer;
    mbedtls_pk_context *subject_key, *issuer_key;
    int is_ca;
    int serial;
    const char *const *san;
};

static int tlsgen_sign(const struct tlsgen_cert *c, struct tlsgen_rng *r, char **pem)
{
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    char from[20], to[20];
    unsigned char san_buf[512], *san = NULL;
    size_t san_len = 0;
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    tlsgen_validity(from, to, sizeof(from));
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, c->subject_key);
    mbedtls_x509write_crt_set_issuer_key(&crt, c->issuer_key);
    int rc = mbedtls_mpi_lset(&serial, c->serial);
    if (!rc) rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
    if (!rc) rc = mbedtls_x509write_crt_set_subject_name(&crt, c->subject);
    if (!rc) rc = mbedtls_x509write_crt_set_issuer_name(&crt, c->issuer);
    if (!rc) rc = mbedtls_x509write_crt_set_validity(&crt, from, to);
    if (!rc) rc = mbedtls_x509write_crt_set_basic_constraints(&crt, c->is_ca, c->is_ca ? 0 : -1);
    if (!rc) rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt);
    if (!rc) rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt);
    if (!rc) rc = mbedtls_x509write_crt_set_key_usage(&crt, c->is_ca
                    ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN | MBEDTLS_X509_KU_DIGITAL_SIGNATURE
                    : MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT);
    if (!rc && c->san)
        rc = tlsgen_san(c->san, san_buf, sizeof(san_buf), &san, &san_len);
    if (!rc && c->san)
        rc = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                 san, san_len);
    *pem = rc ? NULL : calloc(1, TLSGEN_PEM_MAX);
    if (!rc && !*pem)
        rc = -ENOMEM;
    if (!rc)
        rc = mbedtls_x509write_crt_pem(&crt, (unsigned char *)*pem, TLSGEN_PEM_MAX,
                                       mbedtls_ctr_drbg_random, &r->drbg);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_mpi_free(&serial);
    return rc;
}

static int tlsgen_key_pem(mbedtls_pk_context *pk, char **pem)
{
    *pem = calloc(1, TLSGEN_PEM_MAX);
    if (!*pem)
        return -ENOMEM;
    return mbedtls_pk_write_key_pem(pk, (unsigned char *)*pem, TLSGEN_PEM_MAX);
}

void tlsgen_clear(struct tlsgen_out *out)
{
    free(out->ca_pem);
    free(out->cert_pem);
    free(out->key_pem);
    memset(out, 0, sizeof(*out));
}

int tlsgen_generate(const char *cluster, const char *extra_host, struct tlsgen_out *out,
                    char *err, size_t errlen)
{
    struct tlsgen_rng r;
    mbedtls_pk_context ca_key, srv_key;
    char ca_dn[300], srv_dn[300];
    const char *san[] = {"localhost", "127.0.0.1", "::1", NULL, NULL};
    memset(out, 0, sizeof(*out));
    if (extra_host && *extra_host && strcmp(extra_host, "0.0.0.0") && strcmp(extra_host, "::") &&
        strcmp(extra_host, "localhost") && strcmp(extra_host, "127.0.0.1"))
        san[3] = extra_host;
    snprintf(ca_dn, sizeof(ca_dn), "CN=k3s-server-ca@kubesim-%s,O=rewind-kubesim", cluster);
    snprintf(srv_dn, sizeof(srv_dn), "CN=k3s,O=k3s");
    mbedtls_pk_init(&ca_key);
    mbedtls_pk_init(&srv_key);
    int rc = tlsgen_rng_init(&r);
    if (!rc) rc = tlsgen_key(&ca_key, &r);
    if (!rc) rc = tlsgen_key(&srv_key, &r);
    struct tlsgen_cert ca = {ca_dn, ca_dn, &ca_key, &ca_key, 1, 1, NULL};
    struct tlsgen_cert srv = {srv_dn, ca_dn, &srv_key, &ca_key, 0, 2, san};
    if (!rc) rc = tlsgen_sign(&ca, &r, &out->ca_pem);
    if (!rc) rc = tlsgen_sign(&srv, &r, &out->cert_pem);
    if (!rc) rc = tlsgen_key_pem(&srv_key, &out->key_pem);
    mbedtls_pk_free(&ca_key);
    mbedtls_pk_free(&srv_key);
    tlsgen_rng_free(&r);
    if (rc) {
        snprintf(err, errlen, "certificate generation failed (mbedTLS error -0x%04x)",
                 (unsigned int)(rc < 0 ? -rc : rc));
        tlsgen_clear(out);
        return -EIO;
    }
    return 0;
}

static int tlsgen_write_file(const char *dir, const char *name, const char *data, mode_t mode,
                             char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -errno;
    }
    size_t n = strlen(data);
    ssize_t w = write(fd, data, n);
    int rc = (w < 0 || (size_t)w != n) ? -EIO : 0;
    if (close(fd) != 0 || rc) {
        snprintf(err, errlen, "cannot write %s", path);
        return -EIO;
    }
    return 0;
}

int tlsgen_write(const char *dir, const struct tlsgen_out *out, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -errno;
    }
    int rc = tlsgen_write_file(dir, "ca.crt", out->ca_pem, 0644, err, errlen);
    if (!rc)
        rc = tlsgen_write_file(dir, "server.crt", out->cert_pem, 0644, err, errlen);
    if (!rc)
        rc = tlsgen_write_file(dir, "server.key", out->key_pem, 0600, err, errlen);
    return rc;
}
