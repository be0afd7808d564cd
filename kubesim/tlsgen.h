/*
 * tlsgen: makes the HTTPS identity of a simulated cluster with mbedTLS:
 * a self-signed EC P-256 CA and a server certificate it signs, valid for
 * localhost, 127.0.0.1 and ::1 (plus one extra IP or DNS name), as PEM, and
 * writes ca.crt / server.crt / server.key. Does not serve TLS (libmicrohttpd
 * does) and never shells out to openssl.
 */
#ifndef KUBESIM_TLSGEN_H
#define KUBESIM_TLSGEN_H

#include <stddef.h>

struct tlsgen_out {
    char *ca_pem;   /* CA certificate: give it to clients */
    char *cert_pem; /* server certificate */
    char *key_pem;  /* server private key */
};

/* extra_host may be NULL; an IPv4/IPv6 literal becomes an IP SAN, anything
 * else a DNS SAN. Fills out (free with tlsgen_clear). */
int tlsgen_generate(const char *cluster, const char *extra_host, struct tlsgen_out *out,
                    char *err, size_t errlen);
void tlsgen_clear(struct tlsgen_out *out);
/* Writes DIR/ca.crt, DIR/server.crt and DIR/server.key (0600). */
int tlsgen_write(const char *dir, const struct tlsgen_out *out, char *err, size_t errlen);

#endif
