/*
 * notify — webhook queue and sender (notify.h).
 */
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "dbthread.h"
#include "err.h"
#include "log.h"
#include "stopflag.h"
#include "store_webhook.h"

#define NOTIFY_MAX_ATTEMPTS 5

int
notify_event(store_t *st, const struct store_env_cfg *env, int64_t incident_id, const char *event,
             const char *text)
{
	char line[RW_TEXT_MAX + 200];
	json_t *j;
	char *payload;
	int rv;

	if (!env->webhook_url[0])
		return 0;
	if (strcmp(env->webhook_format, "slack") == 0) {
		snprintf(line, sizeof(line), "[rewind] %s%s%lld %s: %s", env->env.name,
		         incident_id ? " incident #" : "", (long long)incident_id, event, text);
		j = json_pack("{s:s}", "text", line);
	} else {
		j = json_pack("{s:s,s:s,s:I,s:s,s:I}", "source", "rewind", "event", event, "incident",
		              (json_int_t)incident_id, "env", env->env.name, "at",
		              (json_int_t)rw_now_us());
		if (j)
			json_object_set_new(j, "text", json_string(text));
	}
	payload = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!payload)
		return RW_ENOMEM;
	rv = store_webhook_enqueue(st, incident_id, env->webhook_url, env->webhook_format, event,
	                          payload);
	free(payload);
	return rv;
}

struct notifier {
	struct dbthread t;          /* t.st: the sender's connection */
	struct stopflag stop;
	int timeout_s;
};

static size_t
discard(void *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* One POST; 0 on a 2xx answer, else the reason in err. */
static int
post(const char *url, const char *body, int timeout_s, char *err, size_t errsz)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode cc;

	if (!c || !h) {
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		snprintf(err, errsz, "out of memory");
		return RW_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(err, errsz, "%s", curl_easy_strerror(cc));
		return RW_ECONNECT;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errsz, "HTTP %ld", status);
		return RW_EIO;
	}
	return 0;
}

static void
send_one(struct notifier *n, struct store_webhook *m)
{
	char err[256] = "";
	int rv = post(m->url, m->payload, n->timeout_s, err, sizeof(err));
	bool give_up = rv != 0 && m->attempts >= NOTIFY_MAX_ATTEMPTS;
	int retry = 1 << (m->attempts < 6 ? m->attempts : 6);

	if (rv == 0)
		log_info("notify.sent", "id=%lld event=%s", (long long)m->id, m->event);
	else
		log_warn("notify.failed", "id=%lld event=%s attempt=%d give_up=%d error=\"%s\"",
		         (long long)m->id, m->event, m->attempts, give_up, err);
	if (store_webhook_done(n->t.st, m->id, rv == 0, err, retry, give_up) != 0)
		log_warn("notify.db", "id=%lld error=\"%s\"", (long long)m->id, store_errmsg(n->t.st));
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	for (;;) {
		struct store_webhook m;
		bool found = false;
		if (store_webhook_claim(n->t.st, &m, &found) != 0) {
			(void)store_ping(n->t.st);
			found = false;
		}
		if (found) {
			send_one(n, &m);
			free(m.payload);
			continue;
		}
		if (!stopflag_sleep(&n->stop, 300))
			break;
	}
	return NULL;
}

void
notifier_stop(notifier_t *n)
{
	if (!n)
		return;
	stopflag_raise(&n->stop);
	dbthread_join(&n->t);
	stopflag_destroy(&n->stop);
	free(n);
}

int
notifier_start(const char *conninfo, int timeout_s, notifier_t **out, char *msg, size_t msgsz)
{
	struct notifier *n = calloc(1, sizeof(*n));
	int rv;

	*out = NULL;
	if (!n)
		return RW_ENOMEM;
	stopflag_init(&n->stop);
	n->timeout_s = timeout_s > 0 ? timeout_s : 5;
	if ((rv = dbthread_start(&n->t, conninfo, notifier_main, n, "the notification thread", msg,
	                         msgsz)) != 0) {
		notifier_stop(n);
		return rv;
	}
	*out = n;
	return 0;
}
