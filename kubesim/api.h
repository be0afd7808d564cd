/*
 * api: the Kubernetes REST semantics: routes a request (method, path,
 * query, headers, body) to discovery, get/list/watch, create, update,
 * patch, delete, and the log/status/scale subresources, and answers with a
 * status code, a JSON (or text) body, warnings, or a watch stream. Errors
 * are metav1.Status. Independent of the HTTP library (see http for that).
 */
#ifndef KUBESIM_API_H
#define KUBESIM_API_H

#include <jansson.h>
#include <stddef.h>

#include <sys/types.h>

#include "scenario.h"
#include "store.h"

struct api_ctx {
    struct store *st;
    const struct scenario *scn;
    const char *version;     /* gitVersion for /version */
    const char *server_addr; /* host:port for APIVersions */
};

struct api_req {
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    const char *accept;
    const char *content_type;
    /* Query parameter lookup (decoded), NULL if absent. */
    const char *(*arg)(void *ctx, const char *key);
    void *arg_ctx;
};

/* A body produced over time (watch events, followed logs). read blocks
 * until it has bytes, returns 0 at the end and -1 when alive(ctx) reports
 * the client gone; free releases impl. */
struct api_stream {
    void *impl;
    ssize_t (*read)(void *impl, char *buf, size_t max, int (*alive)(void *ctx), void *ctx);
    void (*free)(void *impl);
};

struct api_resp {
    int code;
    const char *content_type; /* static string */
    char *body;               /* owned */
    size_t len;
    json_t *warnings;         /* owned array of strings, or NULL */
    struct api_stream stream; /* owned; when impl is set, stream it instead of body */
};

/* Fills resp (caller clears it with api_resp_clear). Returns 0, or a
 * negative errno only for allocation failure (answer 500). */
int api_handle(struct api_ctx *ctx, const struct api_req *req, struct api_resp *resp);
void api_resp_clear(struct api_resp *resp);

/* Fills resp with a metav1.Status error (used by the HTTP layer too). */
int api_error(struct api_resp *resp, int code, const char *reason, const char *msg);

#endif
