/*
 * podwatch — list+watch of the node's pods and their Deployments (see
 * podwatch.h).
 *
 * State: the pod table (pods[] with a parallel ips[]) and the set of
 * owning deployments with a "due" time for the debounced GET, all under
 * pw->mu.  The watcher thread owns the list/watch loop; the deployment
 * thread sleeps on pw->cv until a deployment is due or stop is set.
 */
#include "podwatch.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"
#include "kube.h"
#include "log.h"

struct pw_deploy {
	char ns[RW_NAME_MAX + 1];
	char name[RW_POD_NAME_MAX + 1];
	int64_t due_ms;                 /* 0 = nothing pending */
};

struct podwatch {
	char node[RW_POD_NAME_MAX + 1];
	char cluster[RW_NAME_MAX + 1];
	struct podwatch_callbacks cb;
	struct podwatch_opts opts;
	kube_t *kw;                     /* watcher thread's client */
	kube_t *kd;                     /* deployment thread's client */
	atomic_int stop;

	pthread_mutex_t mu;
	pthread_cond_t cv;              /* CLOCK_MONOTONIC */
	rw_pod_state_t *pods;
	char (*ips)[PODSTATE_IP_MAX + 1];
	size_t npods, cap;
	struct pw_deploy *deps;
	size_t ndeps, depcap;
	struct podwatch_stats stats;

	char rv[128];                   /* watcher thread only */
	pthread_t watcher, deployer;
	bool watcher_started, deployer_started;
	unsigned int seed;
};

static int64_t
pw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms or until stop; called without mu. */
static void
pw_sleep(podwatch_t *pw, long ms)
{
	struct timespec ts = rw_deadline(CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&pw->mu);
	while (!atomic_load(&pw->stop) && pthread_cond_timedwait(&pw->cv, &pw->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&pw->mu);
}

/* Full jitter in [ms/2, ms]: agents of a cluster must not re-list in lockstep. */
static long
pw_jitter(podwatch_t *pw, long ms)
{
	return ms / 2 + (long)(rand_r(&pw->seed) % (unsigned)(ms / 2 + 1));
}

static void
pw_error(podwatch_t *pw, int rc, const char *what, const char *msg)
{
	pthread_mutex_lock(&pw->mu);
	pw->stats.errors++;
	pthread_mutex_unlock(&pw->mu);
	log_warn("podwatch_error", "node=%s what=%s rc=%s error=\"%s\"", pw->node, what, rw_errname(rc), msg);
	if (pw->cb.on_error)
		pw->cb.on_error(pw->cb.arg, rc, msg);
}

/* --- deployments ------------------------------------------------------------ */

/* Marks the deployment of a pod for a debounced GET; mu held. */
static void
pw_mark_deploy_locked(podwatch_t *pw, const rw_pod_state_t *p)
{
	if (!p->deployment[0])
		return;
	int64_t due = pw_now_ms() + pw->opts.deploy_debounce_ms;
	for (size_t i = 0; i < pw->ndeps; i++) {
		struct pw_deploy *d = &pw->deps[i];
		if (!strcmp(d->ns, p->namespace_) && !strcmp(d->name, p->deployment)) {
			if (!d->due_ms)
				d->due_ms = due;  /* keep an earlier due: debounce, don't postpone forever */
			pthread_cond_broadcast(&pw->cv);
			return;
		}
	}
	if (pw->ndeps == pw->depcap) {
		size_t ncap = pw->depcap ? pw->depcap * 2 : 16;
		struct pw_deploy *nd = realloc(pw->deps, ncap * sizeof(*nd));
		if (!nd)
			return; /* reported on the next change; a lost GET is not fatal */
		pw->deps = nd;
		pw->depcap = ncap;
	}
	struct pw_deploy *d = &pw->deps[pw->ndeps++];
	snprintf(d->ns, sizeof(d->ns), "%s", p->namespace_);
	snprintf(d->name, sizeof(d->name), "%s", p->deployment);
	d->due_ms = due;
	pthread_cond_broadcast(&pw->cv);
}

static bool
pw_deploy_has_pods_locked(podwatch_t *pw, const struct pw_deploy *d)
{
	for (size_t i = 0; i < pw->npods; i++)
		if (!strcmp(pw->pods[i].namespace_, d->ns) && !strcmp(pw->pods[i].deployment, d->name))
			return true;
	return false;
}

static void
pw_fetch_deploy(podwatch_t *pw, const char *ns, const char *name)
{
	char path[768], msg[512];
	snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/%s/deployments/%s", ns, name);
	json_t *d = NULL;
	int rc = kube_get(pw->kd, path, &d, NULL, msg, sizeof(msg));
	pthread_mutex_lock(&pw->mu);
	pw->stats.deploy_gets++;
	pthread_mutex_unlock(&pw->mu);
	if (rc == RW_ENOTFOUND || rc == RW_EUNAVAIL)
		return;
	if (rc) {
		pw_error(pw, rc, "get-deployment", msg);
		return;
	}
	rw_deploy_state_t ds;
	if ((rc = deploystate_from_json(d, pw->cluster, &ds, msg, sizeof(msg))))
		log_warn("podwatch_bad_deployment", "deployment=%s/%s error=\"%s\"", ns, name, msg);
	else if (pw->cb.on_deploy)
		pw->cb.on_deploy(pw->cb.arg, &ds);
	json_decref(d);
}

static void *
pw_deployer(void *arg)
{
	podwatch_t *pw = arg;
	pthread_mutex_lock(&pw->mu);
	while (!atomic_load(&pw->stop)) {
		int64_t now = pw_now_ms(), next = 0;
		struct pw_deploy due = {0};
		for (size_t i = 0; i < pw->ndeps; i++) {
			struct pw_deploy *d = &pw->deps[i];
			if (!d->due_ms)
				continue;
			if (d->due_ms <= now && !due.name[0]) {
				due = *d;
				d->due_ms = 0;
			} else if (d->due_ms > now && (!next || d->due_ms < next)) {
				next = d->due_ms;
			}
		}
		if (due.name[0]) {
			bool wanted = pw_deploy_has_pods_locked(pw, &due);
			if (!wanted) { /* no pods of it left on this node: forget it */
				for (size_t i = 0; i < pw->ndeps; i++)
					if (!strcmp(pw->deps[i].ns, due.ns) && !strcmp(pw->deps[i].name, due.name)) {
						pw->deps[i] = pw->deps[--pw->ndeps];
						break;
					}
				continue;
			}
			pthread_mutex_unlock(&pw->mu);
			pw_fetch_deploy(pw, due.ns, due.name);
			pthread_mutex_lock(&pw->mu);
			continue;
		}
		if (!next) {
			pthread_cond_wait(&pw->cv, &pw->mu);
		} else {
			struct timespec ts = {next / 1000, (next % 1000) * 1000000L};
			pthread_cond_timedwait(&pw->cv, &pw->mu, &ts);
		}
	}
	pthread_mutex_unlock(&pw->mu);
	return NULL;
}

/* --- pods ---------------------------------------------------------------------- */

static ssize_t
pw_find_locked(podwatch_t *pw, const char *ns, const char *name)
{
	for (size_t i = 0; i < pw->npods; i++)
		if (!strcmp(pw->pods[i].name, name) && !strcmp(pw->pods[i].namespace_, ns))
			return (ssize_t)i;
	return -1;
}

static int
pw_reserve_locked(podwatch_t *pw, size_t n)
{
	if (n <= pw->cap)
		return 0;
	size_t ncap = pw->cap ? pw->cap : 64;
	while (ncap < n)
		ncap *= 2;
	rw_pod_state_t *np = realloc(pw->pods, ncap * sizeof(*np));
	if (!np)
		return RW_ENOMEM;
	pw->pods = np;
	char (*ni)[PODSTATE_IP_MAX + 1] = realloc(pw->ips, ncap * sizeof(*ni));
	if (!ni)
		return RW_ENOMEM;
	pw->ips = ni;
	pw->cap = ncap;
	return 0;
}

static void
pw_set_rv(podwatch_t *pw, json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	if (rv && strlen(rv) < sizeof(pw->rv))
		snprintf(pw->rv, sizeof(pw->rv), "%s", rv);
}

/* List: replaces the table and delivers the snapshot. */
static int
pw_list(podwatch_t *pw, char *msg, size_t msgsz)
{
	char *node = curl_easy_escape(NULL, pw->node, 0);
	if (!node)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	char path[1024];
	snprintf(path, sizeof(path), "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", node);
	curl_free(node);
	json_t *list = NULL;
	int rc = kube_get(pw->kw, path, &list, NULL, msg, msgsz);
	if (rc)
		return rc;
	json_t *items = json_object_get(list, "items");
	const char *rv = json_string_value(json_object_get(json_object_get(list, "metadata"), "resourceVersion"));
	if (!json_is_array(items) || !rv || !*rv || strlen(rv) >= sizeof(pw->rv)) {
		json_decref(list);
		return rw_fail(RW_EPROTO, msg, msgsz, "pod list without items or metadata.resourceVersion");
	}
	if (json_array_size(items) > pw->opts.max_pods) {
		json_decref(list);
		return rw_fail(RW_ETOOBIG, msg, msgsz, "pod list has more than %zu pods", pw->opts.max_pods);
	}
	pthread_mutex_lock(&pw->mu);
	if ((rc = pw_reserve_locked(pw, json_array_size(items)))) {
		pthread_mutex_unlock(&pw->mu);
		json_decref(list);
		return rw_fail(rc, msg, msgsz, "out of memory");
	}
	pw->npods = 0;
	size_t i;
	json_t *pod;
	char why[256];
	json_array_foreach(items, i, pod) {
		rw_pod_state_t *p = &pw->pods[pw->npods];
		if (podstate_from_json(pod, pw->cluster, p, pw->ips[pw->npods], why, sizeof(why))) {
			log_warn("podwatch_bad_pod", "node=%s error=\"%s\" (skipped)", pw->node, why);
			continue;
		}
		pw->npods++;
		pw_mark_deploy_locked(pw, p);
	}
	snprintf(pw->rv, sizeof(pw->rv), "%s", rv);
	pw->stats.lists++;
	pw->stats.pods = pw->npods;
	/* The callback gets a copy, outside the lock, so it may call
	 * podwatch_pod_ip; re-lists are rare enough for the copy not to matter. */
	size_t n = pw->npods;
	rw_pod_state_t *copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (copy)
		memcpy(copy, pw->pods, n * sizeof(*copy));
	pthread_mutex_unlock(&pw->mu);
	json_decref(list);
	if (n && !copy)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	if (pw->cb.on_snapshot)
		pw->cb.on_snapshot(pw->cb.arg, copy, n);
	free(copy);
	return 0;
}

static void
pw_apply(podwatch_t *pw, const char *type, json_t *obj)
{
	rw_pod_state_t p;
	char ip[PODSTATE_IP_MAX + 1], why[256];
	if (podstate_from_json(obj, pw->cluster, &p, ip, why, sizeof(why))) {
		log_warn("podwatch_bad_pod", "node=%s event=%s error=\"%s\" (skipped)", pw->node, type, why);
		return;
	}
	/* A server ignoring the field selector must not make us report other nodes' pods. */
	bool gone = !strcmp(type, "DELETED") || strcmp(p.node, pw->node);
	pthread_mutex_lock(&pw->mu);
	pw->stats.events++;
	ssize_t at = pw_find_locked(pw, p.namespace_, p.name);
	if (gone) {
		if (at < 0) {
			pthread_mutex_unlock(&pw->mu);
			return;
		}
		pw->pods[at] = pw->pods[pw->npods - 1];
		memcpy(pw->ips[at], pw->ips[pw->npods - 1], sizeof(pw->ips[at]));
		pw->npods--;
		p.deleted = true;
	} else if (at < 0) {
		if (pw->npods >= pw->opts.max_pods || pw_reserve_locked(pw, pw->npods + 1)) {
			pthread_mutex_unlock(&pw->mu);
			log_warn("podwatch_full", "node=%s pods=%zu (pod %s/%s not tracked)", pw->node, pw->npods,
			         p.namespace_, p.name);
			return;
		}
		at = (ssize_t)pw->npods++;
	}
	if (!gone) {
		pw->pods[at] = p;
		memcpy(pw->ips[at], ip, sizeof(ip));
	}
	pw->stats.pods = pw->npods;
	pw_mark_deploy_locked(pw, &p);
	pthread_mutex_unlock(&pw->mu);
	if (pw->cb.on_change)
		pw->cb.on_change(pw->cb.arg, &p);
}

static int
pw_event(void *arg, const char *type, json_t *obj)
{
	podwatch_t *pw = arg;
	pw_set_rv(pw, obj);
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED") || !strcmp(type, "DELETED"))
		pw_apply(pw, type, obj);
	return atomic_load(&pw->stop) ? 1 : 0;
}

/* Watches until the watch needs a re-list (returns the reason) or stop. */
static int
pw_watch_loop(podwatch_t *pw)
{
	char msg[512], path[1024];
	char *node = curl_easy_escape(NULL, pw->node, 0);
	if (!node)
		return RW_ENOMEM;
	int rc = 0;
	while (!atomic_load(&pw->stop)) {
		int t = pw->opts.watch_timeout_s ? pw->opts.watch_timeout_s : 300 + rand_r(&pw->seed) % 301;
		snprintf(path, sizeof(path),
		         "/api/v1/pods?allowWatchBookmarks=true&fieldSelector=spec.nodeName%%3D%s"
		         "&resourceVersion=%s&timeoutSeconds=%d&watch=true", node, pw->rv, t);
		pthread_mutex_lock(&pw->mu);
		pw->stats.watches++;
		uint64_t events_before = pw->stats.events;
		pthread_mutex_unlock(&pw->mu);
		int64_t started = pw_now_ms();
		/* local bound: the server's timeout plus a margin for a server that forgets it */
		rc = kube_watch(pw->kw, path, t + 30, pw_event, pw, &pw->stop, msg, sizeof(msg));
		if (atomic_load(&pw->stop))
			break;
		if (rc == 0) {
			pthread_mutex_lock(&pw->mu);
			bool idle = pw->stats.events == events_before;
			pthread_mutex_unlock(&pw->mu);
			/* A watch closed at once with nothing in it is a broken server, not
			 * a timeout (kubectl warns "very short watch"): back off, re-list. */
			if (idle && pw_now_ms() - started < 1000) {
				rc = RW_EPROTO;
				pw_error(pw, rc, "watch", "very short watch: closed at once without events");
				break;
			}
			/* normal expiry: resume from the last resourceVersion; a server that
			 * keeps closing watches quickly (poll-style) must not make us spin */
			if (pw_now_ms() - started < 1000)
				pw_sleep(pw, pw_jitter(pw, 200));
			continue;
		}
		if (rc == RW_ECONFLICT) {
			pthread_mutex_lock(&pw->mu);
			pw->stats.relists_410++;
			pthread_mutex_unlock(&pw->mu);
			log_info("podwatch_relist", "node=%s reason=\"%s\"", pw->node, msg);
		} else {
			pw_error(pw, rc, "watch", msg);
		}
		break;
	}
	curl_free(node);
	return rc;
}

static void *
pw_watcher(void *arg)
{
	podwatch_t *pw = arg;
	long backoff = pw->opts.backoff_min_ms;
	char msg[512];
	while (!atomic_load(&pw->stop)) {
		int rc = pw_list(pw, msg, sizeof(msg));
		if (atomic_load(&pw->stop))
			break;
		if (rc) {
			pw_error(pw, rc, "list", msg);
			pw_sleep(pw, pw_jitter(pw, backoff));
			backoff = backoff * 2 > pw->opts.backoff_max_ms ? pw->opts.backoff_max_ms : backoff * 2;
			continue;
		}
		pthread_mutex_lock(&pw->mu);
		uint64_t events_before = pw->stats.events;
		pthread_mutex_unlock(&pw->mu);
		int64_t started = pw_now_ms();
		rc = pw_watch_loop(pw);
		if (atomic_load(&pw->stop))
			break;
		pthread_mutex_lock(&pw->mu);
		bool worked = pw->stats.events != events_before || pw_now_ms() - started >= 10000;
		pthread_mutex_unlock(&pw->mu);
		/* The backoff resets only once a watch really worked, so a server that
		 * lists fine but breaks every watch still gets backed off. */
		if (worked)
			backoff = pw->opts.backoff_min_ms;
		if (rc == RW_ECONFLICT) {
			/* expected now and then: re-list at once (small jitter), keep the backoff */
			pw_sleep(pw, pw_jitter(pw, 200));
			continue;
		}
		pw_sleep(pw, pw_jitter(pw, backoff));
		backoff = backoff * 2 > pw->opts.backoff_max_ms ? pw->opts.backoff_max_ms : backoff * 2;
	}
	return NULL;
}

/* --- lifecycle ------------------------------------------------------------------ */

static void
pw_free(podwatch_t *pw)
{
	kube_free(pw->kw);
	kube_free(pw->kd);
	pthread_cond_destroy(&pw->cv);
	pthread_mutex_destroy(&pw->mu);
	free(pw->pods);
	free(pw->ips);
	free(pw->deps);
	free(pw);
}

int
podwatch_start(const struct kubecfg *cfg, const char *node, const char *cluster,
               const struct podwatch_callbacks *cb, const struct podwatch_opts *opts,
               podwatch_t **out, char *msg, size_t msgsz)
{
	*out = NULL;
	if (!cfg || !node || !*node || !cb)
		return rw_fail(RW_EINVAL, msg, msgsz, "podwatch needs a config, a node name and callbacks");
	podwatch_t *pw = calloc(1, sizeof(*pw));
	if (!pw)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&pw->mu, NULL);
	pthread_cond_init(&pw->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rw_strcpy(pw->node, sizeof(pw->node), node) ||
	    rw_strcpy(pw->cluster, sizeof(pw->cluster), cluster ? cluster : "")) {
		pw_free(pw);
		return rw_fail(RW_ETOOBIG, msg, msgsz, "node or cluster name too long");
	}
	pw->cb = *cb;
	if (opts)
		pw->opts = *opts;
	if (pw->opts.backoff_min_ms <= 0)
		pw->opts.backoff_min_ms = 500;
	if (pw->opts.backoff_max_ms < pw->opts.backoff_min_ms)
		pw->opts.backoff_max_ms = pw->opts.backoff_min_ms > 30000 ? pw->opts.backoff_min_ms : 30000;
	if (pw->opts.deploy_debounce_ms <= 0)
		pw->opts.deploy_debounce_ms = 500;
	if (!pw->opts.max_pods)
		pw->opts.max_pods = 5000;
	pw->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)pw;
	int rc;
	if ((rc = kube_new(cfg, &pw->kw, msg, msgsz)) || (rc = kube_new(cfg, &pw->kd, msg, msgsz))) {
		pw_free(pw);
		return rc;
	}
	kube_set_cancel(pw->kw, &pw->stop);
	kube_set_cancel(pw->kd, &pw->stop);
	if (pthread_create(&pw->deployer, NULL, pw_deployer, pw)) {
		pw_free(pw);
		return rw_fail(RW_ENOMEM, msg, msgsz, "cannot start a thread");
	}
	pw->deployer_started = true;
	if (pthread_create(&pw->watcher, NULL, pw_watcher, pw)) {
		podwatch_stop(pw);
		return rw_fail(RW_ENOMEM, msg, msgsz, "cannot start a thread");
	}
	pw->watcher_started = true;
	*out = pw;
	return 0;
}

void
podwatch_stop(podwatch_t *pw)
{
	if (!pw)
		return;
	pthread_mutex_lock(&pw->mu);
	atomic_store(&pw->stop, 1);
	pthread_cond_broadcast(&pw->cv);
	pthread_mutex_unlock(&pw->mu);
	if (pw->watcher_started)
		pthread_join(pw->watcher, NULL);
	if (pw->deployer_started)
		pthread_join(pw->deployer, NULL);
	pw_free(pw);
}

int
podwatch_pod_ip(podwatch_t *pw, const char *ns, const char *name, char *ip, size_t ipsz)
{
	pthread_mutex_lock(&pw->mu);
	ssize_t at = pw_find_locked(pw, ns, name);
	int rc = at < 0 || !pw->ips[at][0] ? RW_ENOTFOUND : rw_strcpy(ip, ipsz, pw->ips[at]);
	pthread_mutex_unlock(&pw->mu);
	return rc;
}

void
podwatch_get_stats(podwatch_t *pw, struct podwatch_stats *out)
{
	pthread_mutex_lock(&pw->mu);
	*out = pw->stats;
	pthread_mutex_unlock(&pw->mu);
}
