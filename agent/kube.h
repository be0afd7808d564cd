/*
 * kube — a small Kubernetes API client over libcurl, making requests the way
 * kubectl does (see shared/kube-api-notes.md): JSON only, bearer token only
 * over https, TLS verification on with the configured CA.
 *
 * Thread safety: kube_get/kube_patch share one easy handle (so one kept-alive
 * connection) behind a mutex; any thread may call them.  kube_watch uses its
 * own easy handle per call (a long-lived stream must not block the others).
 *
 * It does not retry, cache, or know about resource types: callers build
 * paths.  It does not log tokens.
 *
 * curl_global_init is NOT thread-safe: main calls kube_global_init() once
 * before starting threads, kube_global_cleanup() at exit.
 */
#ifndef REWIND_AGENT_KUBE_H
#define REWIND_AGENT_KUBE_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "kubecfg.h"

#define KUBE_BODY_MAX (16u * 1024 * 1024)       /* response bodies */
#define KUBE_WATCH_LINE_MAX (4u * 1024 * 1024)  /* one watch event */
#define KUBE_CONNECT_TIMEOUT_MS 5000
#define KUBE_DEFAULT_TIMEOUT_MS 30000

typedef struct kube kube_t;

int kube_global_init(void);
void kube_global_cleanup(void);

/* Creates a client; copies what it needs from cfg.  *out owned by the caller (kube_free). */
int kube_new(const struct kubecfg *cfg, kube_t **out, char *msg, size_t msgsz);
void kube_free(kube_t *k);

/* Total timeout for kube_get/kube_patch (default 30 s). */
void kube_set_timeout_ms(kube_t *k, long ms);

/*
 * A flag other threads may set to abort this client's transfers promptly
 * (checked from libcurl's progress callback, about every second or sooner).
 * Borrowed, must outlive k.  Aborted calls return RW_EUNAVAIL.
 */
void kube_set_cancel(kube_t *k, const atomic_int *cancel);

/*
 * GET path (starting with '/', query included, already escaped).  On 2xx,
 * *out gets the parsed JSON body (caller owns, json_decref).  On failure
 * *out is NULL and msg holds the server's metav1.Status message when there
 * was one.  *http_status (may be NULL) gets the status code or 0.
 *
 * Errors: 404 RW_ENOTFOUND, 401 RW_EAUTH, 403 RW_EPERM, 409/410 RW_ECONFLICT,
 * 400/422 RW_EINVAL, other HTTP errors / garbage RW_EIO, body over
 * KUBE_BODY_MAX RW_ETOOBIG, timeout RW_ETIMEDOUT, no connection
 * RW_ECONNECT, TLS verification RW_ECRYPTO, cancelled RW_EUNAVAIL.
 */
int kube_get(kube_t *k, const char *path, json_t **out, int *http_status, char *msg, size_t msgsz);

/* PATCH with the given content type (e.g. application/strategic-merge-patch+json). Same contract. */
int kube_patch(kube_t *k, const char *path, const char *content_type, const char *body,
               json_t **out, int *http_status, char *msg, size_t msgsz);

/*
 * One watch event: type is ADDED, MODIFIED, DELETED or BOOKMARK; object is
 * borrowed for the call.  Return 0 to continue, anything else to end the
 * watch (kube_watch then returns that value).
 */
typedef int (*kube_watch_fn)(void *arg, const char *type, json_t *object);

/*
 * Streams a watch (path must include watch=true) on its own easy handle.
 * timeout_s bounds the whole stream locally (0 = none; pass the server's
 * timeoutSeconds plus a margin).  stop (may be NULL) ends it promptly when
 * set from another thread.
 *
 * Returns 0 when the server ended the stream cleanly or stop was set; the
 * callback's non-zero value; RW_ECONFLICT for an ERROR event with code 410
 * (resourceVersion too old: re-list); RW_EIO for other ERROR events and
 * broken/truncated streams; RW_EPROTO for a line that is not a watch event;
 * RW_ETOOBIG for a line over KUBE_WATCH_LINE_MAX; RW_ETIMEDOUT when
 * timeout_s passed; plus kube_get's errors for a failed request.
 */
int kube_watch(kube_t *k, const char *path, int timeout_s, kube_watch_fn cb, void *arg,
               const atomic_int *stop, char *msg, size_t msgsz);

/*
 * New connections the shared get/patch handle has opened so far (libcurl's
 * CURLINFO_NUM_CONNECTS summed): stays at 1 while the connection is reused.
 * For metrics and tests.
 */
long kube_connects(kube_t *k);

/* Server base URL (for messages). */
const char *kube_server(const kube_t *k);

#endif
