/*
 * pki_x509 — writes and signs one X.509 v3 certificate (EC P-256, SHA-256)
 * from a struct pki_crt_spec with mbedtls_x509write_crt.  subjectAltName and
 * extendedKeyUsage are built as DER by hand because mbedTLS 2.28's writer
 * has no helper for them.  It decides nothing about who gets which
 * certificate (pki.c does) and writes no file.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "err.h"
#include "pki.h"
#include "pki_int.h"

#define SAN_LEN_MAX 253              /* longest DNS name */
#define CRT_PEM_BASE 4096            /* certificate PEM without the SAN list */

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

	if (pki_random(raw, sizeof(raw)) != 0)
		return rw_fail(RW_ECRYPTO, msg, msgsz, "random serial: DRBG failed");
	raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40);   /* positive, and a fixed length */
	mbedtls_mpi_init(&serial);
	ret = mbedtls_mpi_read_binary(&serial, raw, sizeof(raw));
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_serial(crt, &serial);
	mbedtls_mpi_free(&serial);
	return ret == 0 ? 0 : pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "serial");
}

/*
 * Wraps the len bytes at p (written backwards into start..) as a SEQUENCE
 * and sets them as the non-critical extension oid; mbedTLS's code when < 0.
 */
static int
set_sequence_ext(mbedtls_x509write_cert *crt, const char *oid, size_t oid_len, unsigned char *p,
                 unsigned char *start, size_t len)
{
	int ret = mbedtls_asn1_write_len(&p, start, len);
	if (ret < 0)
		return ret;
	len += (size_t)ret;
	ret = mbedtls_asn1_write_tag(&p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	if (ret < 0)
		return ret;
	len += (size_t)ret;
	return mbedtls_x509write_crt_set_extension(crt, oid, oid_len, 0, p, len);
}

/* A DNS name as we accept it in a SAN: letters, digits, '-', '.', and a leading "*.". */
int
pki_dns_name_ok(const char *s)
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
	else if (!pki_dns_name_ok(name))
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
		if (sans[i] == NULL || strlen(sans[i]) > SAN_LEN_MAX)
			return rw_fail(RW_EINVAL, msg, msgsz,
			               "subject alternative name %zu: missing or too long", i + 1);
		if (!name_listed(names, n, sans[i]))
			names[n++] = sans[i];
	}
	for (size_t i = 0; i < n; i++)
		cap += 2 * (strlen(names[i]) + 8);   /* dNSName + iPAddress, with headers */
	buf = malloc(cap);
	if (buf == NULL)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	p = buf + cap;
	for (size_t i = n; i-- > 0;) {
		ret = write_general_name(&p, buf, names[i]);
		if (ret < 0) {
			free(buf);
			return rw_fail(RW_EINVAL, msg, msgsz,
			               "subject alternative name \"%s\" is not a DNS name or IP address",
			               names[i]);
		}
		len += (size_t)ret;
	}
	ret = set_sequence_ext(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                       MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), p, buf, len);
	free(buf);
	return ret < 0 ? pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "subjectAltName") : 0;
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
	if (ret >= 0)
		ret = set_sequence_ext(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
		                       MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), p, buf, len);
	return ret < 0 ? pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "extendedKeyUsage") : 0;
}

/* Fills crt's fields common to every certificate we write. */
static int
crt_setup(mbedtls_x509write_cert *crt, const struct pki_crt_spec *s, char *msg, size_t msgsz)
{
	char nb[TIME_LEN + 1], na[TIME_LEN + 1];
	int ret, rv;

	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(crt, s->key);
	mbedtls_x509write_crt_set_issuer_key(crt, s->issuer_key);
	if ((ret = mbedtls_x509write_crt_set_subject_name(crt, s->subject)) != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "subject name");
	if ((ret = mbedtls_x509write_crt_set_issuer_name(crt, s->issuer)) != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "issuer name");
	if ((rv = set_serial(crt, msg, msgsz)) != 0)
		return rv;
	if (fmt_time(s->not_before, nb) != 0 || fmt_time(s->not_after, na) != 0)
		return rw_fail(RW_EINVAL, msg, msgsz, "validity period out of range");
	if ((ret = mbedtls_x509write_crt_set_validity(crt, nb, na)) != 0)
		return pki_mbed_fail(RW_EINVAL, ret, msg, msgsz, "validity");
	ret = mbedtls_x509write_crt_set_basic_constraints(crt, s->is_ca, s->is_ca ? 0 : -1);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(crt);
	if (ret == 0)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(crt);
	if (ret != 0)
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "certificate extensions");
	return 0;
}

/* Usage extensions: a CA signs certificates; a leaf signs handshakes and proofs. */
static int
crt_usage(mbedtls_x509write_cert *crt, const struct pki_crt_spec *s, char *msg, size_t msgsz)
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
		return pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "keyUsage");
	if (s->is_ca)
		return 0;
	if ((rv = add_eku(crt, s->server, msg, msgsz)) != 0)
		return rv;
	if (s->server)
		return add_san(crt, s->sans, s->nsans, msg, msgsz);
	return 0;
}

/* Builds and signs one certificate; *pem is malloc'd, NUL-terminated. */
int
pki_make_crt(const struct pki_crt_spec *s, unsigned char **pem, size_t *pem_len, char *msg,
             size_t msgsz)
{
	mbedtls_x509write_cert crt;
	size_t cap = CRT_PEM_BASE;
	unsigned char *buf;
	int ret, rv;

	*pem = NULL;
	for (size_t i = 0; i < s->nsans; i++)
		cap += s->sans[i] ? 4 * (strlen(s->sans[i]) + 8) : 0;   /* base64 + both SAN forms */
	buf = malloc(cap);
	if (buf == NULL)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	mbedtls_x509write_crt_init(&crt);
	rv = crt_setup(&crt, s, msg, msgsz);
	if (rv == 0)
		rv = crt_usage(&crt, s, msg, msgsz);
	if (rv == 0) {
		ret = mbedtls_x509write_crt_pem(&crt, buf, cap, pki_rng, NULL);
		if (ret != 0)
			rv = pki_mbed_fail(RW_ECRYPTO, ret, msg, msgsz, "certificate signing");
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
