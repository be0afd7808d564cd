/*
 * kube — Kubernetes API client over libcurl (see kube.h).
 *
 * Request/response handling lives in three layers: kube_setup() sets the
 * options every request needs (TLS, headers, bounds, timeouts),
 * kube_transfer_err() maps libcurl failures, kube_http_err() maps HTTP
 * failures and pulls metav1.Status messages out of error bodies.
 */
#include "kube.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"
#include "log.h"

#define KUBE_TOKEN_REREAD_S 60
#define KUBE_ERRBODY_MAX (64u * 1024)

struct kube {
	pthread_mutex_t mu;       /* guards easy, cfg.token and token_read_at */
	CURL *easy;               /* the shared handle for get/patch: keeps the connection */
	struct kubecfg cfg;       /* own copy (owns ca_pem) */
	bool https;
	long timeout_ms;
	const atomic_int *cancel; /* borrowed */
	time_t token_read_at;
	long connects;            /* new connections made by easy (guarded by mu) */
	char user_agent[64];
};

/* A growing, bounded response body. */
struct kbuf {
	char *data;
	size_t len, cap, max;
	bool overflow;
};

struct kprogress {
	const atomic_int *a, *b; /* either set aborts the transfer */
};

int
kube_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : RW_EINTERNAL;
}

void
kube_global_cleanup(void)
{
	curl_global_cleanup();
}

int
kube_new(const struct kubecfg *cfg, kube_t **out, char *msg, size_t msgsz)
{
	*out = NULL;
	if (!cfg->server[0])
		return rw_fail(RW_EINVAL, msg, msgsz, "no API server URL configured");
	kube_t *k = calloc(1, sizeof(*k));
	if (!k)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	if (kubecfg_copy(&k->cfg, cfg)) {
		free(k);
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	}
	k->easy = curl_easy_init();
	if (!k->easy || pthread_mutex_init(&k->mu, NULL)) {
		if (k->easy)
			curl_easy_cleanup(k->easy);
		kubecfg_clear(&k->cfg);
		free(k);
		return rw_fail(RW_ENOMEM, msg, msgsz, "cannot create a libcurl handle");
	}
	k->https = !strncmp(cfg->server, "https://", 8);
	k->timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	k->token_read_at = time(NULL);
	snprintf(k->user_agent, sizeof(k->user_agent), "rewind-agent/%s", REWIND_VERSION);
	*out = k;
	return 0;
}

void
kube_free(kube_t *k)
{
	if (!k)
		return;
	curl_easy_cleanup(k->easy);
	pthread_mutex_destroy(&k->mu);
	kubecfg_clear(&k->cfg);
	free(k);
}

void
kube_set_timeout_ms(kube_t *k, long ms)
{
	pthread_mutex_lock(&k->mu);
	k->timeout_ms = ms > 0 ? ms : KUBE_DEFAULT_TIMEOUT_MS;
	pthread_mutex_unlock(&k->mu);
}

void
kube_set_cancel(kube_t *k, const atomic_int *cancel)
{
	pthread_mutex_lock(&k->mu);
	k->cancel = cancel;
	pthread_mutex_unlock(&k->mu);
}

long
kube_connects(kube_t *k)
{
	pthread_mutex_lock(&k->mu);
	long n = k->connects;
	pthread_mutex_unlock(&k->mu);
	return n;
}

const char *
kube_server(const kube_t *k)
{
	return k->cfg.server;
}

/* --- building requests ----------------------------------------------------- */

static size_t
kbuf_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct kbuf *b = ud;
	size_t n = size * nmemb;
	if (n > b->max - b->len) {
		b->overflow = true;
		return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 16384;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *nd = realloc(b->data, ncap);
		if (!nd)
			return 0;
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int
kube_xferinfo(void *ud, curl_off_t dltot, curl_off_t dlnow, curl_off_t ultot, curl_off_t ulnow)
{
	(void)dltot, (void)dlnow, (void)ultot, (void)ulnow;
	struct kprogress *p = ud;
	return (p->a && atomic_load(p->a)) || (p->b && atomic_load(p->b));
}

/* Re-reads a rotating service-account token at most once a minute; called with mu held. */
static void
kube_refresh_token(kube_t *k)
{
	if (!k->cfg.token_file[0] || time(NULL) - k->token_read_at < KUBE_TOKEN_REREAD_S)
		return;
	k->token_read_at = time(NULL);
	char *t = NULL;
	size_t n = 0;
	char why[256];
	if (kubecfg_read_file(k->cfg.token_file, KUBECFG_TOKEN_FILE_MAX, &t, &n, why, sizeof(why))) {
		log_warn("kube_token_reread", "error=\"%s\" (keeping the old token)", why);
		return;
	}
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	if (n > 0 && n <= KUBECFG_TOKEN_MAX)
		memcpy(k->cfg.token, t, n + 1);
	memset(t, 0, n);
	free(t);
}

/*
 * Headers for one request.  The bearer token goes only over https, as
 * kubectl does: never send a credential in clear text.  Caller frees the
 * list with kube_free_headers(), which wipes the token first.
 */
static struct curl_slist *
kube_headers(kube_t *k, const char *content_type, bool *ok)
{
	struct curl_slist *h = NULL, *t;
	*ok = false;
	if (!(t = curl_slist_append(h, "Accept: application/json")))
		return NULL;
	h = t;
	if (content_type) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		if (!(t = curl_slist_append(h, ct)))
			goto fail;
		h = t;
	}
	if (k->https && k->cfg.token[0]) {
		size_t n = strlen(k->cfg.token) + sizeof("Authorization: Bearer ");
		char *auth = malloc(n);
		if (!auth)
			goto fail;
		snprintf(auth, n, "Authorization: Bearer %s", k->cfg.token);
		t = curl_slist_append(h, auth);
		memset(auth, 0, n);
		free(auth);
		if (!t)
			goto fail;
		h = t;
	}
	*ok = true;
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

/* Wipes header strings (the token) before freeing the list. */
static void
kube_free_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		memset(p->data, 0, strlen(p->data));
	curl_slist_free_all(h);
}

static void
kube_setup(kube_t *k, CURL *h, const char *url, struct curl_slist *hdrs, char *errbuf,
           struct kprogress *prog)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, k->user_agent);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)KUBE_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, k->cfg.insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, k->cfg.insecure ? 0L : 2L);
	if (k->cfg.ca_pem) {
		struct curl_blob blob = {k->cfg.ca_pem, k->cfg.ca_len, CURL_BLOB_COPY};
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, kube_xferinfo);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, prog);
}

static int
kube_url(kube_t *k, const char *path, char **url, char *msg, size_t msgsz)
{
	if (!path || path[0] != '/')
		return rw_fail(RW_EINVAL, msg, msgsz, "API path must start with '/'");
	if (asprintf(url, "%s%s", k->cfg.server, path) < 0) {
		*url = NULL;
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	}
	return 0;
}

/* --- interpreting answers --------------------------------------------------- */

static int
kube_transfer_err(CURLcode cc, const char *errbuf, bool overflow, const char *what,
                  char *msg, size_t msgsz)
{
	const char *why = errbuf && errbuf[0] ? errbuf : curl_easy_strerror(cc);
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return rw_fail(RW_ETIMEDOUT, msg, msgsz, "%s: timed out: %s", what, why);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return rw_fail(RW_ECONNECT, msg, msgsz, "%s: cannot connect: %s", what, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return rw_fail(RW_ECRYPTO, msg, msgsz, "%s: TLS: %s", what, why);
	case CURLE_ABORTED_BY_CALLBACK:
		return rw_fail(RW_EUNAVAIL, msg, msgsz, "%s: cancelled", what);
	case CURLE_WRITE_ERROR:
		if (overflow)
			return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: response larger than allowed", what);
		return rw_fail(RW_EIO, msg, msgsz, "%s: %s", what, why);
	default:
		return rw_fail(RW_EIO, msg, msgsz, "%s: %s", what, why);
	}
}

static int
kube_status_code_err(long status)
{
	switch (status) {
	case 400: case 422: return RW_EINVAL;
	case 401: return RW_EAUTH;
	case 403: return RW_EPERM;
	case 404: return RW_ENOTFOUND;
	case 409: case 410: return RW_ECONFLICT;
	case 429: return RW_EBUSY;
	default: return RW_EIO;
	}
}

/* An HTTP error: message from a metav1.Status body when there is one. */
static int
kube_http_err(long status, const char *body, size_t len, const char *what, char *msg, size_t msgsz)
{
	int rc = kube_status_code_err(status);
	json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	const char *kind = json_string_value(json_object_get(j, "kind"));
	if (m && kind && !strcmp(kind, "Status"))
		rw_fail(rc, msg, msgsz, "%s", m);
	else
		rw_fail(rc, msg, msgsz, "%s: HTTP %ld from the API server", what, status);
	json_decref(j);
	return rc;
}

static int
kube_request(kube_t *k, const char *method, const char *path, const char *content_type,
             const char *body, json_t **out, int *http_status, char *msg, size_t msgsz)
{
	*out = NULL;
	if (http_status)
		*http_status = 0;
	char *url = NULL;
	int rc = kube_url(k, path, &url, msg, msgsz);
	if (rc)
		return rc;
	char what[320];
	snprintf(what, sizeof(what), "%s %.280s", method, path);
	struct kbuf b = {.max = KUBE_BODY_MAX};
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;

	pthread_mutex_lock(&k->mu);
	kube_refresh_token(k);
	bool ok;
	struct curl_slist *hdrs = kube_headers(k, content_type, &ok);
	if (!ok) {
		pthread_mutex_unlock(&k->mu);
		free(url);
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	}
	/* reset keeps the connection cache: that is the reuse we want */
	curl_easy_reset(k->easy);
	struct kprogress prog = {k->cancel, NULL};
	kube_setup(k, k->easy, url, hdrs, errbuf, &prog);
	curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, k->timeout_ms);
	curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, kbuf_write);
	curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, &b);
	if (body) {
		curl_easy_setopt(k->easy, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	CURLcode cc = curl_easy_perform(k->easy);
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
	long nconn = 0;
	if (curl_easy_getinfo(k->easy, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		k->connects += nconn;
	/* the handle must not keep pointers to our stack/heap after unlock */
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, NULL);
	pthread_mutex_unlock(&k->mu);
	kube_free_headers(hdrs);
	free(url);

	if (http_status)
		*http_status = (int)status;
	if (cc != CURLE_OK)
		rc = kube_transfer_err(cc, errbuf, b.overflow, what, msg, msgsz);
	else if (status < 200 || status > 299)
		rc = kube_http_err(status, b.data, b.len, what, msg, msgsz);
	else if (!(*out = b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL))
		rc = rw_fail(RW_EIO, msg, msgsz, "%s: the API server answered %ld with a body that is not JSON",
		               what, status);
	free(b.data);
	return rc;
}

int
kube_get(kube_t *k, const char *path, json_t **out, int *http_status, char *msg, size_t msgsz)
{
	return kube_request(k, "GET", path, NULL, NULL, out, http_status, msg, msgsz);
}

int
kube_patch(kube_t *k, const char *path, const char *content_type, const char *body,
           json_t **out, int *http_status, char *msg, size_t msgsz)
{
	if (!content_type || !body)
		return rw_fail(RW_EINVAL, msg, msgsz, "PATCH needs a content type and a body");
	return kube_request(k, "PATCH", path, content_type, body, out, http_status, msg, msgsz);
}

/* --- watch ------------------------------------------------------------------ */

struct kwatch {
	CURL *h;
	kube_watch_fn cb;
	void *arg;
	char *line;              /* the event being assembled */
	size_t len, cap;
	int rc;                  /* why the write callback stopped the transfer */
	long status;             /* 0 until the first body bytes arrive */
	struct kbuf err;         /* body of a non-200 answer */
	char *msg;
	size_t msgsz;
};

static bool
kw_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int
kw_event(struct kwatch *w, const char *s, size_t n)
{
	if (kw_blank(s, n))
		return 0;
	json_t *ev = json_loadb(s, n, 0, NULL);
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	if (!type || !json_is_object(obj)) {
		json_decref(ev);
		return rw_fail(RW_EPROTO, w->msg, w->msgsz, "watch: a line is not a watch event (%zu bytes)", n);
	}
	int rc;
	if (!strcmp(type, "ERROR")) {
		json_int_t code = json_integer_value(json_object_get(obj, "code"));
		const char *m = json_string_value(json_object_get(obj, "message"));
		rc = rw_fail(code == 410 ? RW_ECONFLICT : RW_EIO, w->msg, w->msgsz, "watch: %s (code %lld)",
		               m ? m : "error event", (long long)code);
	} else {
		rc = w->cb(w->arg, type, obj);
	}
	json_decref(ev);
	return rc;
}

static size_t
kw_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct kwatch *w = ud;
	size_t n = size * nmemb;
	if (!w->status)
		curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->status != 200)
		return kbuf_write(ptr, size, nmemb, &w->err);
	size_t off = 0;
	while (off < n) {
		const char *nl = memchr(ptr + off, '\n', n - off);
		size_t seg = nl ? (size_t)(nl - (ptr + off)) : n - off;
		if (w->len + seg > KUBE_WATCH_LINE_MAX) {
			w->rc = rw_fail(RW_ETOOBIG, w->msg, w->msgsz, "watch: an event is larger than %u bytes",
			                  KUBE_WATCH_LINE_MAX);
			return 0;
		}
		if (w->len + seg + 1 > w->cap) {
			size_t ncap = w->cap ? w->cap : 65536;
			while (ncap < w->len + seg + 1)
				ncap *= 2;
			char *nl2 = realloc(w->line, ncap);
			if (!nl2) {
				w->rc = rw_fail(RW_ENOMEM, w->msg, w->msgsz, "out of memory");
				return 0;
			}
			w->line = nl2;
			w->cap = ncap;
		}
		memcpy(w->line + w->len, ptr + off, seg);
		w->len += seg;
		off += seg;
		if (!nl)
			break;
		off++; /* the newline */
		int rc = kw_event(w, w->line, w->len);
		w->len = 0;
		if (rc) {
			w->rc = rc;
			return 0;
		}
	}
	return n;
}

int
kube_watch(kube_t *k, const char *path, int timeout_s, kube_watch_fn cb, void *arg,
           const atomic_int *stop, char *msg, size_t msgsz)
{
	char *url = NULL;
	int rc = kube_url(k, path, &url, msg, msgsz);
	if (rc)
		return rc;
	CURL *h = curl_easy_init();
	if (!h) {
		free(url);
		return rw_fail(RW_ENOMEM, msg, msgsz, "cannot create a libcurl handle");
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	pthread_mutex_lock(&k->mu);
	kube_refresh_token(k);
	bool ok;
	struct curl_slist *hdrs = kube_headers(k, NULL, &ok);
	const atomic_int *cancel = k->cancel;
	pthread_mutex_unlock(&k->mu);
	if (!ok) {
		curl_easy_cleanup(h);
		free(url);
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	}
	struct kwatch w = {.h = h, .cb = cb, .arg = arg, .err = {.max = KUBE_ERRBODY_MAX},
	                   .msg = msg, .msgsz = msgsz};
	struct kprogress prog = {cancel, stop};
	kube_setup(k, h, url, hdrs, errbuf, &prog);
	if (timeout_s > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_s * 1000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, kw_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	kube_free_headers(hdrs);

	char what[320];
	snprintf(what, sizeof(what), "watch %.280s", path);
	free(url);
	if (w.rc)
		rc = w.rc;
	else if (cc == CURLE_ABORTED_BY_CALLBACK && stop && atomic_load(stop))
		rc = 0;
	else if (status && status != 200 && (cc == CURLE_OK || w.err.len))
		rc = kube_http_err(status, w.err.data, w.err.len, what, msg, msgsz);
	else if (cc != CURLE_OK)
		rc = kube_transfer_err(cc, errbuf, w.err.overflow, what, msg, msgsz);
	else
		rc = w.len ? kw_event(&w, w.line, w.len) : 0; /* last line without '\n' */
	free(w.line);
	free(w.err.data);
	return rc;
}
