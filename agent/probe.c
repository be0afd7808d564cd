/*
 * probe — parallel health probes over libcurl multi (see probe.h).
 */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "err.h"

/* libcurl's receive buffer per probe (its minimum is 1024, default 16384). */
#define PROBE_RECV_BUFFER 4096

struct probe_xfer {
	CURL *h;
	char *body;
	size_t len;
	bool overflow;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
probe_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct probe_xfer *x = ud;
	size_t n = size * nmemb;
	if (n > PROBE_BODY_MAX - x->len) {
		x->overflow = true;
		return 0;
	}
	char *nb = realloc(x->body, x->len + n + 1);
	if (!nb)
		return 0;
	x->body = nb;
	memcpy(x->body + x->len, ptr, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

/* --- JSON subset match ----------------------------------------------------- */

static void
pj_show(const json_t *v, char *buf, size_t sz)
{
	char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	snprintf(buf, sz, "%s", s ? s : "nothing");
	if (s && strlen(s) >= sz && sz > 4)
		memcpy(buf + sz - 4, "...", 4);
	free(s);
}

static bool
pj_scalar_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static bool
pj_match(const json_t *got, const json_t *want, char *path, size_t pathsz, char *why, size_t whysz)
{
	if (json_is_object(want)) {
		if (!json_is_object(got)) {
			char g[96];
			pj_show(got, g, sizeof(g));
			snprintf(why, whysz, "%s: expected an object, got %s", path, g);
			return false;
		}
		const char *key;
		json_t *wv;
		size_t plen = strlen(path);
		json_object_foreach((json_t *)want, key, wv) {
			snprintf(path + plen, pathsz - plen, ".%s", key);
			if (!pj_match(json_object_get(got, key), wv, path, pathsz, why, whysz))
				return false;
			path[plen] = '\0';
		}
		return true;
	}
	if (got && pj_scalar_equal(got, want))
		return true;
	char w[96], g[96];
	pj_show(want, w, sizeof(w));
	pj_show(got, g, sizeof(g));
	snprintf(why, whysz, "%s: expected %s, got %s", path, w, g);
	return false;
}

bool
probe_json_matches(const char *body, size_t len, const char *expect, char *why, size_t whysz)
{
	char dummy[8];
	if (!why || !whysz) {
		why = dummy;
		whysz = sizeof(dummy);
	}
	why[0] = '\0';
	if (!expect || !*expect)
		return true;
	json_t *want = json_loads(expect, 0, NULL);
	if (!json_is_object(want)) {
		json_decref(want);
		snprintf(why, whysz, "the expected JSON is not an object");
		return false;
	}
	json_t *got = body ? json_loadb(body, len, 0, NULL) : NULL;
	bool ok = false;
	if (!got) {
		snprintf(why, whysz, "body is not JSON");
	} else {
		char path[512] = "$";
		ok = pj_match(got, want, path, sizeof(path), why, whysz);
	}
	json_decref(got);
	json_decref(want);
	return ok;
}

/* --- URL templates ---------------------------------------------------------- */

/* Values spliced into URLs must not be able to change its structure. */
static bool
pu_safe(const char *v, bool is_path)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`{|}#", *p))
			return false;
		if (!is_path && strchr("/?@", *p))
			return false;
	}
	return true;
}

int
probe_pod_url(const char *tmpl, const rw_pod_state_t *pod, const char *pod_ip, const char *path,
              int port, char *out, size_t outsz)
{
	if (!tmpl || !pod || !out || !outsz)
		return RW_EINVAL;
	char portbuf[16];
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	size_t o = 0;
	out[0] = '\0';
	for (const char *p = tmpl; *p;) {
		const char *val = NULL;
		size_t lit = 1;
		if (*p == '{') {
			const char *end = strchr(p, '}');
			if (!end)
				return RW_EINVAL;
			size_t n = (size_t)(end - p - 1);
			bool is_path = false;
#define PU_IS(name) (n == strlen(name) && !strncmp(p + 1, name, n))
			if (PU_IS("podIP"))
				val = pod_ip;
			else if (PU_IS("port"))
				val = (port > 0 && port < 65536) ? portbuf : NULL;
			else if (PU_IS("path"))
				val = path ? path : "", is_path = true;
			else if (PU_IS("namespace"))
				val = pod->namespace_;
			else if (PU_IS("pod"))
				val = pod->name;
			else if (PU_IS("node"))
				val = pod->node;
			else
				return RW_EINVAL;
#undef PU_IS
			if (!val || (!*val && !is_path) || !pu_safe(val, is_path))
				return RW_EINVAL;
			if (is_path && *val && *val != '/')
				return RW_EINVAL;
			/* an IPv6 pod IP needs brackets in a URL */
			bool v6 = val == pod_ip && strchr(val, ':');
			int w = snprintf(out + o, outsz - o, v6 ? "[%s]" : "%s", val);
			if (w < 0 || (size_t)w >= outsz - o)
				return RW_ETOOBIG;
			o += (size_t)w;
			p = end + 1;
			continue;
		}
		if (o + lit >= outsz)
			return RW_ETOOBIG;
		out[o++] = *p++;
		out[o] = '\0';
	}
	return 0;
}

/* --- running probes --------------------------------------------------------- */

static void
probe_result_init(rw_probe_result_t *r, const struct probe_req *q)
{
	memset(r, 0, sizeof(*r));
	r->target_id = q->target_id;
	snprintf(r->subject, sizeof(r->subject), "%s", q->subject ? q->subject : "");
	snprintf(r->url, sizeof(r->url), "%s", q->url ? q->url : "");
	r->at = rw_now_us();
}

static int
probe_add(CURLM *m, const struct probe_req *q, int timeout_ms, struct probe_xfer *x, rw_probe_result_t *r)
{
	if (!q->url || !*q->url || strlen(q->url) > RW_URL_MAX) {
		snprintf(r->error, sizeof(r->error), "no URL or URL too long");
		return 0;
	}
	if (!(x->h = curl_easy_init()))
		return RW_ENOMEM;
	long to = q->timeout_ms > 0 ? q->timeout_ms : timeout_ms;
	curl_easy_setopt(x->h, CURLOPT_URL, q->url);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	/* Health answers are small; libcurl's default 16 KiB receive buffer per
	 * handle, times every probe in flight, was the largest allocation of a
	 * probe round (docs/performance.md section 3).  Bodies still grow to
	 * PROBE_BODY_MAX through probe_write. */
	curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, (long)PROBE_RECV_BUFFER);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, to);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, to);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, "rewind-agent/" REWIND_VERSION " (health probe)");
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, probe_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(m, x->h) != CURLM_OK) {
		curl_easy_cleanup(x->h);
		x->h = NULL;
		return RW_ENOMEM;
	}
	return 0;
}

static void
probe_judge(const struct probe_req *q, struct probe_xfer *x, CURLcode cc, rw_probe_result_t *r)
{
	long status = 0;
	curl_off_t us = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_TOTAL_TIME_T, &us);
	r->http_status = (int32_t)status;
	r->latency_ms = (int32_t)(us / 1000);
	int want = q->expect_status > 0 ? q->expect_status : 200;
	if (cc != CURLE_OK) {
		if (x->overflow)
			snprintf(r->error, sizeof(r->error), "body larger than %u bytes", PROBE_BODY_MAX);
		else
			snprintf(r->error, sizeof(r->error), "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
		return;
	}
	if (status != want) {
		snprintf(r->error, sizeof(r->error), "HTTP %ld, expected %d", status, want);
		return;
	}
	char why[200];
	if (!probe_json_matches(x->body, x->len, q->expect, why, sizeof(why))) {
		snprintf(r->error, sizeof(r->error), "unexpected body: %s", why);
		return;
	}
	r->ok = true;
}

int
probe_run(const struct probe_req *reqs, size_t n, int timeout_ms, rw_probe_result_t *results)
{
	if ((n && (!reqs || !results)) || timeout_ms <= 0)
		return RW_EINVAL;
	if (n == 0)
		return 0;
	struct probe_xfer *xs = calloc(n, sizeof(*xs));
	CURLM *m = curl_multi_init();
	int rc = 0;
	if (!xs || !m) {
		rc = RW_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		probe_result_init(&results[i], &reqs[i]);
		rc = probe_add(m, &reqs[i], timeout_ms, &xs[i], &results[i]);
	}
	int running = 1;
	while (!rc && running) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = RW_EIO;
			break;
		}
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			rc = RW_EIO;
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct probe_xfer *x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		size_t i = (size_t)(x - xs);
		probe_judge(&reqs[i], x, msg->data.result, &results[i]);
	}
out:
	for (size_t i = 0; xs && i < n; i++) {
		if (xs[i].h) {
			curl_multi_remove_handle(m, xs[i].h);
			curl_easy_cleanup(xs[i].h);
		}
		free(xs[i].body);
	}
	if (m)
		curl_multi_cleanup(m);
	free(xs);
	return rc;
}
