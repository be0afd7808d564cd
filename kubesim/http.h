/*
 * http: the API server's listeners on libmicrohttpd: plain HTTP (loopback,
 * no authentication, like a local proxy) and HTTPS with a bearer token
 * (GnuTLS inside libmicrohttpd, certificate from tlsgen). Owns request
 * bodies (bounded, 413 beyond the limit), authentication, the translation
 * of api responses to HTTP, watch streaming with client-gone detection, and
 * the optional access log (arrival time in CLOCK_REALTIME microseconds).
 * Does not implement any Kubernetes semantics (see api).
 */
#ifndef KUBESIM_HTTP_H
#define KUBESIM_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "api.h"

#define HTTP_MAX_BODY (1024 * 1024)

struct http_server;

struct http_opts {
    const char *host;     /* numeric address or "localhost" */
    int port;             /* 0: any free port */
    const char *cert_pem; /* HTTPS when set (with key_pem and token) */
    const char *key_pem;
    const char *token;
    int verbose;          /* access log on stderr */
    struct api_ctx *api;  /* borrowed; must outlive the server */
    FILE *access_log;     /* borrowed, or NULL: one line per request (see http_access) */
};

/* Starts listening; *out owned by the caller (http_stop). err gets a
 * message on failure. */
int http_start(const struct http_opts *o, struct http_server **out, char *err, size_t errlen);
/* The bound port (useful with port 0). */
int http_port(struct http_server *s);
void http_stop(struct http_server *s);

/* Resolves host into a sockaddr for MHD_OPTION_SOCK_ADDR; shared with the
 * health listener. Returns 0 or -EINVAL. */
struct sockaddr_storage;
int http_resolve(const char *host, int port, struct sockaddr_storage *ss, int *ipv6);

#endif
