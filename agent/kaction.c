/*
 * kaction — set-image and patch-configmap executors (see kaction.h).
 *
 * Following a rollout copies kubectl rollout status: list the deployment
 * with fieldSelector metadata.name=NAME, evaluate, then watch from the
 * list's resourceVersion and evaluate each event; a watch the server ends
 * is resumed from the last resourceVersion seen, a 410 re-lists.
 */
#include "kaction.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "err.h"
#include "log.h"
#include "podstate.h"
#include "rollout.h"

static int
ka_dump(const json_t *j, char *buf, size_t sz)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return RW_ENOMEM;
	int rc = rw_strcpy(buf, sz, s);
	free(s);
	return rc;
}

static void
ka_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* --- set-image ------------------------------------------------------------- */

static int
ka_find_container(json_t *containers, const char *name, json_t **found)
{
	size_t i;
	json_t *c;
	*found = NULL;
	json_array_foreach(containers, i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));
		if (n && !strcmp(n, name)) {
			*found = c;
			return 0;
		}
	}
	return RW_ENOTFOUND;
}

/* The strategic-merge patch body kubectl set image sends, with the same key order. */
static char *
ka_set_image_body(json_t *containers, const char *container, const char *image)
{
	json_t *order = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(containers, i, c)
		json_array_append_new(order, json_pack("{s:O}", "name", json_object_get(c, "name")));
	json_t *body = json_pack("{s:{s:{s:{s:o, s:[{s:s, s:s}]}}}}", "spec", "template", "spec",
	                         "$setElementOrder/containers", order, "containers",
	                         "image", image, "name", container);
	if (!body)
		return NULL;
	char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return s;
}

struct ka_follow {
	kaction_progress_fn progress;
	void *arg;
	char last[sizeof(((struct rollout_status *)0)->message)];
	char rv[128];
	struct rollout_status st;
	json_t *selector;        /* spec.selector.matchLabels of the latest object (owned) */
};

/* Evaluates one deployment object; returns 1 when the rollout ended (done or failed). */
static int
ka_observe(struct ka_follow *f, json_t *d)
{
	const char *rv = json_string_value(json_object_get(json_object_get(d, "metadata"), "resourceVersion"));
	if (rv)
		snprintf(f->rv, sizeof(f->rv), "%s", rv);
	json_t *sel = json_object_get(json_object_get(json_object_get(d, "spec"), "selector"), "matchLabels");
	if (json_is_object(sel)) {
		json_decref(f->selector);
		f->selector = json_deep_copy(sel);
	}
	if (rollout_evaluate(d, &f->st))
		return 0; /* not a deployment: ignore, like kubectl's decode warnings */
	if (strcmp(f->st.message, f->last)) {
		snprintf(f->last, sizeof(f->last), "%s", f->st.message);
		if (f->progress)
			f->progress(f->arg, f->st.message, f->st.updated, f->st.available,
			            f->st.replicas < 0 ? 0 : f->st.replicas);
	}
	return f->st.state != ROLLOUT_WAITING;
}

static int
ka_watch_cb(void *arg, const char *type, json_t *obj)
{
	struct ka_follow *f = arg;
	if (!strcmp(type, "BOOKMARK")) {
		const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
		if (rv)
			snprintf(f->rv, sizeof(f->rv), "%s", rv);
		return 0;
	}
	if (!strcmp(type, "DELETED"))
		return 2;
	return ka_observe(f, obj);
}

static long
ka_remaining_ms(int64_t deadline_us)
{
	int64_t left = (deadline_us - rw_now_us()) / 1000;
	return left > 0 ? (long)left : 0;
}

/* Lists the deployment by name (kubectl's first step); 1 = ended, 0 = keep watching. */
static int
ka_list(kube_t *k, const rw_action_t *a, struct ka_follow *f, char *result, size_t resultsz)
{
	char path[768];
	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments?fieldSelector=metadata.name%%3D%s",
	         a->namespace_, a->name);
	json_t *list = NULL;
	char msg[512];
	int rc = kube_get(k, path, &list, NULL, msg, sizeof(msg));
	if (rc)
		return rw_fail(rc, result, resultsz, "%s", msg);
	json_t *items = json_object_get(list, "items");
	json_t *d = json_array_get(items, 0);
	if (!d) {
		json_decref(list);
		return rw_fail(RW_ENOTFOUND, result, resultsz, "deployment %s/%s was deleted during the rollout",
		               a->namespace_, a->name);
	}
	f->rv[0] = '\0';
	int ended = ka_observe(f, d);
	const char *rv = json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"));
	if (rv)
		snprintf(f->rv, sizeof(f->rv), "%s", rv);
	json_decref(list);
	return ended;
}

/* "; pod X: CrashLoopBackOff (restarts 3)" for each unhealthy pod of the deployment. */
static void
ka_pod_reasons(kube_t *k, const rw_action_t *a, const json_t *selector, char *result, size_t resultsz)
{
	char sel[1024] = "";
	const char *key;
	json_t *v;
	size_t o = 0;
	json_object_foreach((json_t *)selector, key, v) {
		int w = snprintf(sel + o, sizeof(sel) - o, "%s%s=%s", o ? "," : "", key,
		                 json_string_value(v) ? json_string_value(v) : "");
		if (w < 0 || (size_t)w >= sizeof(sel) - o)
			return;
		o += (size_t)w;
	}
	if (!o)
		return;
	char *esc = curl_easy_escape(NULL, sel, 0);
	if (!esc)
		return;
	char path[2048];
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s", a->namespace_, esc);
	curl_free(esc);
	json_t *list = NULL;
	char msg[256];
	if (kube_get(k, path, &list, NULL, msg, sizeof(msg)))
		return;
	size_t i;
	json_t *pod;
	json_array_foreach(json_object_get(list, "items"), i, pod) {
		rw_pod_state_t ps;
		if (podstate_from_json(pod, a->cluster, &ps, NULL, msg, sizeof(msg)))
			continue;
		for (uint32_t c = 0; c < ps.ncontainers; c++) {
			const rw_container_state_t *cs = &ps.containers[c];
			if (!cs->waiting_reason[0] || cs->ready)
				continue;
			size_t len = strlen(result);
			snprintf(result + len, resultsz - len, "; pod %s: %s (restarts %d)", ps.name,
			         cs->waiting_reason, cs->restarts);
		}
	}
	json_decref(list);
}

static int
ka_follow(kube_t *k, const rw_action_t *a, struct ka_follow *f, int64_t deadline,
          char *result, size_t resultsz)
{
	char path[1024], msg[512];
	for (;;) {
		if (!ka_remaining_ms(deadline))
			return rw_fail(RW_ETIMEDOUT, result, resultsz, "timed out waiting for the rollout");
		int rc = ka_list(k, a, f, result, resultsz);
		if (rc == 1)
			break;
		if (rc < 0 && rc != RW_EIO && rc != RW_ETIMEDOUT && rc != RW_ECONNECT)
			return rc;
		if (rc < 0) {
			/* transient API trouble: retry the list within the deadline */
			log_warn("kaction_list", "action=%lld error=\"%s\"", (long long)a->id, result);
			ka_sleep_ms(1000);
			continue;
		}
		for (;;) {
			long left = ka_remaining_ms(deadline);
			if (!left)
				return rw_fail(RW_ETIMEDOUT, result, resultsz, "timed out waiting for the rollout");
			long secs = (left + 999) / 1000;
			int n = snprintf(path, sizeof(path),
			                 "/apis/apps/v1/namespaces/%s/deployments?allowWatchBookmarks=true"
			                 "&fieldSelector=metadata.name%%3D%s&resourceVersion=%s&timeoutSeconds=%ld&watch=true",
			                 a->namespace_, a->name, f->rv, secs > 300 ? 300 : secs);
			if (n < 0 || (size_t)n >= sizeof(path))
				return rw_fail(RW_ETOOBIG, result, resultsz, "watch path too long");
			int64_t started = rw_now_us();
			rc = kube_watch(k, path, (int)secs, ka_watch_cb, f, NULL, msg, sizeof(msg));
			if (rc == 1)
				goto ended;
			if (rc == 2)
				return rw_fail(RW_ENOTFOUND, result, resultsz,
				               "deployment %s/%s was deleted during the rollout", a->namespace_, a->name);
			if (rc == 0) {
				/* server ended the watch: resume from the last RV, without
				 * spinning on a server that closes watches at once */
				if (rw_now_us() - started < 1000000)
					ka_sleep_ms(200);
				continue;
			}
			if (rc == RW_ETIMEDOUT && !ka_remaining_ms(deadline))
				return rw_fail(RW_ETIMEDOUT, result, resultsz, "timed out waiting for the rollout");
			if (rc == RW_EUNAVAIL || rc == RW_EAUTH || rc == RW_EPERM)
				return rw_fail(rc, result, resultsz, "%s", msg);
			if (rc != RW_ECONFLICT) {
				log_warn("kaction_watch", "action=%lld error=\"%s\"", (long long)a->id, msg);
				ka_sleep_ms(500);
			}
			break;                     /* re-list */
		}
	}
ended:
	if (f->st.state == ROLLOUT_DONE)
		return rw_fail(0, result, resultsz, "%s", f->st.message);
	rw_fail(RW_EUNAVAIL, result, resultsz, "%s", f->st.message);
	if (f->selector)
		ka_pod_reasons(k, a, f->selector, result, resultsz);
	return RW_EUNAVAIL;
}

int
kaction_set_image(kube_t *k, const rw_action_t *a, kaction_progress_fn progress, void *arg,
                  char *previous, size_t prevsz, char *result, size_t resultsz)
{
	char msg[512], path[768];
	int rc;
	if (previous && prevsz)
		previous[0] = '\0';
	if (a->kind != RW_ACTION_SET_IMAGE)
		return rw_fail(RW_EINVAL, result, resultsz, "not a set-image action");
	if ((rc = rw_action_check(a, msg, sizeof(msg))))
		return rw_fail(rc, result, resultsz, "invalid action: %s", msg);
	int64_t deadline = a->deadline > 0 ? a->deadline : rw_now_us() + KACTION_DEFAULT_DEADLINE_S * 1000000LL;
	/* An action handed over late (lease expiry, reconnect) must not be applied after its deadline. */
	if (deadline <= rw_now_us())
		return rw_fail(RW_ETIMEDOUT, result, resultsz, "deadline passed before the action started; nothing changed");

	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s", a->namespace_, a->name);
	json_t *d = NULL;
	if ((rc = kube_get(k, path, &d, NULL, msg, sizeof(msg)))) {
		if (rc == RW_ENOTFOUND)
			return rw_fail(rc, result, resultsz, "deployment %s/%s not found", a->namespace_, a->name);
		return rw_fail(rc, result, resultsz, "%s", msg);
	}
	json_t *containers = json_object_get(json_object_get(json_object_get(json_object_get(d, "spec"),
	                                     "template"), "spec"), "containers");
	json_t *c;
	if (ka_find_container(containers, a->container, &c)) {
		json_decref(d);
		return rw_fail(RW_ENOTFOUND, result, resultsz, "deployment %s/%s has no container \"%s\"",
		               a->namespace_, a->name, a->container);
	}
	const char *old = json_string_value(json_object_get(c, "image"));
	json_t *prev = json_pack("{s:s}", "image", old ? old : "");
	rc = prev ? ka_dump(prev, previous, prevsz) : RW_ENOMEM;
	json_decref(prev);
	if (rc) {
		json_decref(d);
		return rw_fail(rc, result, resultsz, "previous image does not fit");
	}
	if (!old || strcmp(old, a->image)) {
		char *body = ka_set_image_body(containers, a->container, a->image);
		json_decref(d);
		if (!body)
			return rw_fail(RW_ENOMEM, result, resultsz, "out of memory");
		snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s?fieldManager=%s",
		         a->namespace_, a->name, KACTION_FIELD_MANAGER);
		json_t *patched = NULL;
		rc = kube_patch(k, path, "application/strategic-merge-patch+json", body, &patched, NULL,
		                msg, sizeof(msg));
		free(body);
		json_decref(patched);
		if (rc)
			return rw_fail(rc, result, resultsz, "%s", msg);
		log_info("kaction_set_image", "action=%lld deployment=%s/%s container=%s image=%s",
		         (long long)a->id, a->namespace_, a->name, a->container, a->image);
	} else {
		json_decref(d);
		log_info("kaction_set_image", "action=%lld deployment=%s/%s unchanged (image already set)",
		         (long long)a->id, a->namespace_, a->name);
	}
	struct ka_follow f = {.progress = progress, .arg = arg};
	rc = ka_follow(k, a, &f, deadline, result, resultsz);
	json_decref(f.selector);
	return rc;
}

/* --- patch-configmap ------------------------------------------------------- */

int
kaction_patch_configmap(kube_t *k, const rw_action_t *a, char *previous, size_t prevsz,
                        char *result, size_t resultsz)
{
	char msg[512], path[768];
	int rc;
	if (previous && prevsz)
		previous[0] = '\0';
	if (a->kind != RW_ACTION_PATCH_CONFIGMAP)
		return rw_fail(RW_EINVAL, result, resultsz, "not a patch-configmap action");
	if ((rc = rw_action_check(a, msg, sizeof(msg))))
		return rw_fail(rc, result, resultsz, "invalid action: %s", msg);
	if (a->deadline > 0 && a->deadline <= rw_now_us())
		return rw_fail(RW_ETIMEDOUT, result, resultsz, "deadline passed before the action started; nothing changed");
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps/%s", a->namespace_, a->name);
	json_t *cm = NULL;
	if ((rc = kube_get(k, path, &cm, NULL, msg, sizeof(msg)))) {
		if (rc == RW_ENOTFOUND)
			return rw_fail(rc, result, resultsz, "configmap %s/%s not found", a->namespace_, a->name);
		return rw_fail(rc, result, resultsz, "%s", msg);
	}
	json_t *data = json_object_get(cm, "data");
	json_t *prev = json_object(), *set = json_object();
	bool changed = false;
	for (uint32_t i = 0; prev && set && i < a->nkv; i++) {
		json_t *old = json_object_get(data, a->kv[i].key);
		json_object_set_new(prev, a->kv[i].key, json_is_string(old) ? json_copy(old) : json_null());
		json_object_set_new(set, a->kv[i].key, json_string(a->kv[i].value));
		if (!json_is_string(old) || strcmp(json_string_value(old), a->kv[i].value))
			changed = true;
	}
	json_decref(cm);
	rc = prev && set ? ka_dump(prev, previous, prevsz) : RW_ENOMEM;
	json_decref(prev);
	if (rc) {
		json_decref(set);
		return rw_fail(rc, result, resultsz, "previous values do not fit (%s)", rw_strerror(rc));
	}
	if (!changed) {
		json_decref(set);
		return rw_fail(0, result, resultsz, "configmap %s/%s unchanged (values already set)",
		               a->namespace_, a->name);
	}
	json_t *body = json_pack("{s:o}", "data", set);
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (!s)
		return rw_fail(RW_ENOMEM, result, resultsz, "out of memory");
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps/%s?fieldManager=%s", a->namespace_,
	         a->name, KACTION_FIELD_MANAGER);
	json_t *patched = NULL;
	rc = kube_patch(k, path, "application/merge-patch+json", s, &patched, NULL, msg, sizeof(msg));
	free(s);
	json_decref(patched);
	if (rc)
		return rw_fail(rc, result, resultsz, "%s", msg);
	log_info("kaction_patch_configmap", "action=%lld configmap=%s/%s keys=%u", (long long)a->id,
	         a->namespace_, a->name, a->nkv);
	return rw_fail(0, result, resultsz, "configmap %s/%s patched (%u key%s)", a->namespace_, a->name,
	               a->nkv, a->nkv == 1 ? "" : "s");
}
