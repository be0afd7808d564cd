/*
 * http: libmicrohttpd glue for the API. One thread per connection, so a
 * watch may block in its content callback; the callback polls the socket
 * for a hang-up between events so an abandoned watch ends within a quarter
 * second instead of lingering until its next write.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct http_server {
    struct MHD_Daemon *d;
    struct http_opts o;
    char *token;
};

/* Per-request state, created on the first handler call. */
struct http_req {
    long long arrived_us; /* CLOCK_REALTIME when the request's headers were in */
    char *body;
    size_t len;
    int too_large;
    int answered;
};

int http_resolve(const char *host, int port, struct sockaddr_storage *ss, int *ipv6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char h[256];
    size_t n = strlen(host);
    /* "[::1]" -> "::1" */
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(h)) {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        snprintf(h, sizeof(h), "%s", host);
    }
    if (getaddrinfo(h, NULL, &hints, &res) != 0 || !res)
        return -EINVAL;
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *ipv6 = res->ai_family == AF_INET6;
    if (*ipv6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return 0;
}

static const char *http_arg(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static const char *http_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Access log line: ARRIVED_US METHOD PATH STATUS USER-AGENT, where ARRIVED_US
 * is the CLOCK_REALTIME microsecond at which the request's headers had been
 * read (before the body and before any work), so a client can time how long
 * a request took to reach the API server.  One fprintf per line: stdio locks
 * the stream, so lines from connection threads never interleave. */
static void http_access(struct http_server *s, struct MHD_Connection *c,
                        const struct http_req *rq, const char *method, const char *url, int code)
{
    if (!s->o.access_log)
        return;
    const char *ua = http_header(c, "User-Agent");
    fprintf(s->o.access_log, "%lld %s %s %d %s\n", rq->arrived_us, method, url, code,
            ua && *ua ? ua : "-");
}

static long long http_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- streaming (watches, followed logs) ---- */

struct http_stream {
    struct api_stream s;
    struct MHD_Connection *conn;
};

/* 0 once the peer has hung up (or the socket failed). */
static int http_alive(void *ctx)
{
    struct http_stream *hs = ctx;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(hs->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    struct pollfd p = {ci->connect_fd, POLLRDHUP, 0};
    if (poll(&p, 1, 0) < 0)
        return 1;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

static ssize_t http_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_stream *hs = cls;
    (void)pos;
    ssize_t n = hs->s.read(hs->s.impl, buf, max, http_alive, hs);
    if (n > 0)
        return n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void http_stream_free(void *cls)
{
    struct http_stream *hs = cls;
    hs->s.free(hs->s.impl);
    free(hs);
}

/* ---- responses ---- */

static void http_add_warnings(struct MHD_Response *r, json_t *warnings)
{
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w) {
        char hdr[700], esc[600];
        const char *s = json_string_value(w);
        size_t o = 0;
        for (; s && *s && o + 2 < sizeof(esc); s++) {
            if (*s == '"' || *s == '\\')
                esc[o++] = '\\';
            esc[o++] = *s;
        }
        esc[o] = '\0';
        snprintf(hdr, sizeof(hdr), "299 - \"%s\"", esc);
        MHD_add_response_header(r, "Warning", hdr);
    }
}

static enum MHD_Result http_send(struct MHD_Connection *c, struct api_resp *ar)
{
    struct MHD_Response *r;
    if (ar->stream.impl) {
        struct http_stream *hs = calloc(1, sizeof(*hs));
        if (!hs)
            return MHD_NO;
        hs->s = ar->stream;
        hs->conn = c;
        memset(&ar->stream, 0, sizeof(ar->stream));
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, http_stream_read, hs,
                                              http_stream_free);
        if (!r) {
            http_stream_free(hs);
            return MHD_NO;
        }
    } else {
        r = MHD_create_response_from_buffer(ar->len, ar->body ? ar->body : (char *)"",
                                            MHD_RESPMEM_MUST_COPY);
        if (!r)
            return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ar->content_type ? ar->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    http_add_warnings(r, ar->warnings);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)ar->code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result http_send_error(struct MHD_Connection *c, int code, const char *reason,
                                       const char *msg)
{
    struct api_resp ar;
    memset(&ar, 0, sizeof(ar));
    if (api_error(&ar, code, reason, msg))
        return MHD_NO;
    enum MHD_Result ret = http_send(c, &ar);
    api_resp_clear(&ar);
    return ret;
}

/* ---- request handling ---- */

static int http_token_ok(struct http_server *s, struct MHD_Connection *c)
{
    const char *auth = http_header(c, "Authorization");
    const char *pre = "Bearer ";
    if (!auth || strncmp(auth, pre, strlen(pre)))
        return 0;
    const char *tok = auth + strlen(pre);
    size_t a = strlen(tok), b = strlen(s->token);
    /* Compare in time independent of where the first difference is. */
    unsigned char diff = (unsigned char)(a != b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned char)(tok[i] ^ s->token[i]);
    return diff == 0;
}

static int http_public_path(const char *url)
{
    return !strcmp(url, "/version") || !strcmp(url, "/healthz") || !strcmp(url, "/livez") ||
           !strcmp(url, "/readyz");
}

/* First call for a request: set up state, reject oversized bodies early. */
static enum MHD_Result http_begin(struct http_server *s, struct MHD_Connection *c,
                                  const char *url, const char *method, void **con_cls)
{
    struct http_req *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return MHD_NO;
    rq->arrived_us = http_now_us();
    *con_cls = rq;
    const char *cl = http_header(c, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > HTTP_MAX_BODY) {
        rq->answered = 1;
        http_access(s, c, rq, method, url, 413);
        return http_send_error(c, 413, "RequestEntityTooLarge",
                               "Request entity too large: limit is 1048576");
    }
    return MHD_YES;
}

static void http_take_body(struct http_req *rq, const char *data, size_t n)
{
    if (rq->too_large || rq->len + n > HTTP_MAX_BODY) {
        rq->too_large = 1;
        return;
    }
    char *b = realloc(rq->body, rq->len + n + 1);
    if (!b) {
        rq->too_large = 1;
        return;
    }
    memcpy(b + rq->len, data, n);
    rq->len += n;
    b[rq->len] = '\0';
    rq->body = b;
}

static enum MHD_Result http_dispatch(struct http_server *s, struct MHD_Connection *c,
                                     const char *url, const char *method, struct http_req *rq)
{
    if (rq->too_large) {
        http_access(s, c, rq, method, url, 413);
        return http_send_error(c, 413, "RequestEntityTooLarge",
                               "Request entity too large: limit is 1048576");
    }
    if (s->token && !http_public_path(url) && !http_token_ok(s, c)) {
        http_access(s, c, rq, method, url, 401);
        return http_send_error(c, 401, "Unauthorized", "Unauthorized");
    }
    struct api_req req = {method, url, rq->body, rq->len, http_header(c, "Accept"),
                          http_header(c, "Content-Type"), http_arg, c};
    struct api_resp ar;
    int rc = api_handle(s->o.api, &req, &ar);
    if (rc) {
        api_resp_clear(&ar);
        http_access(s, c, rq, method, url, 500);
        return http_send_error(c, 500, "InternalError", "kubesim: out of memory");
    }
    http_access(s, c, rq, method, url, ar.code);
    if (s->o.verbose)
        fprintf(stderr, "kubesim: %s %s -> %d%s [%s]\n", method, url, ar.code,
                ar.stream.impl ? " (stream)" : "", http_header(c, "User-Agent") ? http_header(c, "User-Agent") : "-");
    enum MHD_Result ret = http_send(c, &ar);
    api_resp_clear(&ar);
    return ret;
}

static enum MHD_Result http_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    struct http_server *s = cls;
    struct http_req *rq = *con_cls;
    (void)version;
    if (!rq)
        return http_begin(s, c, url, method, con_cls);
    if (*upload_data_size) {
        http_take_body(rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->answered)
        return MHD_YES;
    rq->answered = 1;
    return http_dispatch(s, c, url, method, rq);
}

static void http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    struct http_req *rq = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (!rq)
        return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void http_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    if (!s->o.verbose)
        return;
    fprintf(stderr, "kubesim: microhttpd: ");
    vfprintf(stderr, fmt, ap);
}

int http_start(const struct http_opts *o, struct http_server **out, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int ipv6 = 0;
    if (http_resolve(o->host, o->port, &ss, &ipv6)) {
        snprintf(err, errlen, "cannot resolve listen address %s", o->host);
        return -EINVAL;
    }
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->o = *o;
    if (o->cert_pem && !(s->token = strdup(o->token ? o->token : ""))) {
        free(s);
        return -ENOMEM;
    }
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    if (o->cert_pem)
        flags |= MHD_USE_TLS;
    if (o->cert_pem)
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, s,
                                MHD_OPTION_EXTERNAL_LOGGER, http_log, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
                                MHD_OPTION_HTTPS_MEM_KEY, o->key_pem,
                                MHD_OPTION_HTTPS_MEM_CERT, o->cert_pem, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, http_handler, s,
                                MHD_OPTION_EXTERNAL_LOGGER, http_log, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s:%d (%s)", o->host, o->port,
                 errno ? strerror(errno) : "microhttpd refused the options");
        free(s->token);
        free(s);
        return -EADDRINUSE;
    }
    *out = s;
    return 0;
}

int http_port(struct http_server *s)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s->token);
    free(s);
}
