/*
 * Integration tests of the agent's Kubernetes side against rewind-kubesim
 * (HTTPS, CA from the generated kubeconfig, bearer token) and against
 * python3 fakes on loopback.  Driven by run_agent_it.sh, which sets:
 *   AGENT_IT_KUBECONFIG  kubeconfig written by kubesim --kubeconfig-out
 *   AGENT_IT_HEALTH      kubesim's health base URL (http://127.0.0.1:P)
 *   AGENT_IT_FAKE        fakeapi.py base URL (http://127.0.0.1:P)
 * Only loopback addresses are ever contacted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kaction.h"
#include "kube.h"
#include "kubecfg.h"
#include "log.h"
#include "podwatch.h"
#include "probe.h"
#include "testlib.h"

#define FE "mr-dj-frontend"
#define FE_PATH "/apis/apps/v1/namespaces/default/deployments/" FE
#define IMG_V1 "ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202501151200"
#define NODE "k3s-agent-1"

static struct kubecfg cfg;
static kube_t *kc;

static int
setup(void **st)
{
	(void)st;
	char msg[256];
	const char *path = getenv("AGENT_IT_KUBECONFIG");
	if (!path || kubecfg_load_file(path, NULL, &cfg, msg, sizeof(msg))) {
		fprintf(stderr, "cannot load AGENT_IT_KUBECONFIG: %s\n", path ? msg : "unset");
		return -1;
	}
	if (kube_new(&cfg, &kc, msg, sizeof(msg)))
		return -1;
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	kube_free(kc);
	kubecfg_clear(&cfg);
	return 0;
}

static int64_t
generation(void)
{
	json_t *d = NULL;
	char msg[256];
	assert_int_equal(kube_get(kc, FE_PATH, &d, NULL, msg, sizeof(msg)), 0);
	int64_t g = json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation"));
	json_decref(d);
	return g;
}

static void
action(rw_action_t *a, const char *name, const char *container, const char *image, int deadline_s)
{
	memset(a, 0, sizeof(*a));
	a->id = 1;
	a->kind = RW_ACTION_SET_IMAGE;
	strcpy(a->cluster, "it");
	strcpy(a->namespace_, "default");
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->container, sizeof(a->container), "%s", container);
	snprintf(a->image, sizeof(a->image), "%s", image);
	a->deadline = rw_now_us() + (int64_t)deadline_s * 1000000;
}

struct progress_log {
	int n;
	char last[384];
};

static void
on_progress(void *arg, const char *message, int32_t updated, int32_t available, int32_t replicas)
{
	struct progress_log *p = arg;
	p->n++;
	snprintf(p->last, sizeof(p->last), "%s", message);
	fprintf(stderr, "  progress: %s (%d/%d/%d)\n", message, updated, available, replicas);
}

/* --- kube --------------------------------------------------------------------- */

static void
test_https_get_and_errors(void **st)
{
	(void)st;
	json_t *d = NULL;
	char msg[256];
	int status = 0;
	assert_true(!strncmp(cfg.server, "https://", 8));
	assert_int_equal(kube_get(kc, FE_PATH, &d, &status, msg, sizeof(msg)), 0);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "Deployment");
	json_decref(d);
	assert_int_equal(kube_get(kc, "/apis/apps/v1/namespaces/default/deployments/nope", &d, &status, msg,
	                          sizeof(msg)), RW_ENOTFOUND);
	assert_null(d);
	assert_int_equal(status, 404);
	assert_string_equal(msg, "deployments.apps \"nope\" not found");
	for (int i = 0; i < 5; i++) {
		assert_int_equal(kube_get(kc, FE_PATH, &d, &status, msg, sizeof(msg)), 0);
		json_decref(d);
	}
	fprintf(stderr, "  7 requests over %ld connection(s)\n", kube_connects(kc));
	assert_int_equal(kube_connects(kc), 1); /* one reused HTTPS connection */

	/* a wrong token: 401 -> RW_EAUTH */
	struct kubecfg bad;
	kube_t *kb;
	assert_int_equal(kubecfg_copy(&bad, &cfg), 0);
	strcpy(bad.token, "wrong-token-123");
	assert_int_equal(kube_new(&bad, &kb, msg, sizeof(msg)), 0);
	assert_int_equal(kube_get(kb, FE_PATH, &d, &status, msg, sizeof(msg)), RW_EAUTH);
	assert_int_equal(status, 401);
	kube_free(kb);
	/* no CA (system store): the simulator's certificate must not verify */
	free(bad.ca_pem);
	bad.ca_pem = NULL;
	bad.ca_len = 0;
	assert_int_equal(kube_new(&bad, &kb, msg, sizeof(msg)), 0);
	assert_int_equal(kube_get(kb, FE_PATH, &d, &status, msg, sizeof(msg)), RW_ECRYPTO);
	kube_free(kb);
	kubecfg_clear(&bad);
	/* nothing listening */
	struct kubecfg off;
	memset(&off, 0, sizeof(off));
	strcpy(off.server, "http://127.0.0.1:1");
	assert_int_equal(kube_new(&off, &kb, msg, sizeof(msg)), 0);
	assert_int_equal(kube_get(kb, "/version", &d, NULL, msg, sizeof(msg)), RW_ECONNECT);
	kube_free(kb);
}

/* --- set-image ------------------------------------------------------------------ */

static void
test_set_image_healthy(void **st)
{
	(void)st;
	rw_action_t a;
	struct progress_log pl = {0};
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	int64_t g0 = generation();
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v2", 60);
	int64_t t0 = tl_now_ms();
	int rc = kaction_set_image(kc, &a, on_progress, &pl, prev, sizeof(prev), res, sizeof(res));
	fprintf(stderr, "  set-image v2: rc=%d in %lld ms: %s\n", rc, (long long)(tl_now_ms() - t0), res);
	assert_int_equal(rc, 0);
	assert_string_equal(res, "deployment \"mr-dj-frontend\" successfully rolled out");
	assert_string_equal(prev, "{\"image\":\"" IMG_V1 "\"}");
	assert_true(pl.n >= 3); /* several Waiting lines, then done */
	assert_string_equal(pl.last, res);
	assert_int_equal(generation(), g0 + 1);
}

static void
test_set_image_twice(void **st)
{
	(void)st;
	rw_action_t a;
	struct progress_log pl = {0};
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	int64_t g0 = generation();
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v2", 30);
	assert_int_equal(kaction_set_image(kc, &a, on_progress, &pl, prev, sizeof(prev), res, sizeof(res)), 0);
	assert_string_equal(prev, "{\"image\":\"ghcr.io/crisisk/mr-dj-frontend:v2\"}");
	assert_int_equal(generation(), g0); /* no PATCH: generation not bumped */
	assert_int_equal(pl.n, 1);            /* only "successfully rolled out" */
}

static void
test_set_image_crash(void **st)
{
	(void)st;
	rw_action_t a;
	struct progress_log pl = {0};
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v3-crash", 60);
	int64_t t0 = tl_now_ms();
	int rc = kaction_set_image(kc, &a, on_progress, &pl, prev, sizeof(prev), res, sizeof(res));
	fprintf(stderr, "  set-image crash: rc=%d in %lld ms: %s\n", rc, (long long)(tl_now_ms() - t0), res);
	assert_int_equal(rc, RW_EUNAVAIL);
	assert_non_null(strstr(res, "deployment \"mr-dj-frontend\" exceeded its progress deadline"));
	assert_non_null(strstr(res, "CrashLoopBackOff (restarts "));
	assert_non_null(strstr(res, "pod mr-dj-frontend-"));
	assert_string_equal(prev, "{\"image\":\"ghcr.io/crisisk/mr-dj-frontend:v2\"}");
	/* back to a healthy image for the next tests */
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v2", 60);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), 0);
}

static void
test_set_image_deadline(void **st)
{
	(void)st;
	rw_action_t a;
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	/* a slow image (ready after 1 s) with a 1 s action deadline */
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v7-slow", 1);
	int64_t t0 = tl_now_ms();
	int rc = kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res));
	int64_t took = tl_now_ms() - t0;
	fprintf(stderr, "  deadline: rc=%d in %lld ms: %s\n", rc, (long long)took, res);
	assert_int_equal(rc, RW_ETIMEDOUT);
	assert_non_null(strstr(res, "timed out waiting for the rollout"));
	assert_true(took < 2500);
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v2", 60);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), 0);
}

static void
test_set_image_unknown(void **st)
{
	(void)st;
	rw_action_t a;
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	int64_t g0 = generation();
	action(&a, "nope", "nope", "ghcr.io/crisisk/x:v1", 10);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), RW_ENOTFOUND);
	assert_string_equal(res, "deployment default/nope not found");
	action(&a, FE, "sidecar", "ghcr.io/crisisk/x:v1", 10);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), RW_ENOTFOUND);
	assert_string_equal(res, "deployment default/mr-dj-frontend has no container \"sidecar\"");
	action(&a, FE, FE, "Not An Image!", 10);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), RW_EINVAL);
	/* handed over after its deadline: refused, nothing patched */
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v99", 10);
	a.deadline = rw_now_us() - 1;
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), RW_ETIMEDOUT);
	assert_non_null(strstr(res, "nothing changed"));
	assert_int_equal(generation(), g0);
}

/* --- configmap -------------------------------------------------------------------- */

static void
test_patch_configmap(void **st)
{
	(void)st;
	rw_action_t a;
	memset(&a, 0, sizeof(a));
	a.kind = RW_ACTION_PATCH_CONFIGMAP;
	strcpy(a.cluster, "it");
	strcpy(a.namespace_, "default");
	strcpy(a.name, "mr-dj-frontend-config");
	a.nkv = 2;
	strcpy(a.kv[0].key, "NODE_ENV");
	strcpy(a.kv[0].value, "maintenance");
	strcpy(a.kv[1].key, "MAINTENANCE");
	strcpy(a.kv[1].value, "true");
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1], msg[256];
	assert_int_equal(kaction_patch_configmap(kc, &a, prev, sizeof(prev), res, sizeof(res)), 0);
	assert_string_equal(prev, "{\"NODE_ENV\":\"production\",\"MAINTENANCE\":null}");
	assert_string_equal(res, "configmap default/mr-dj-frontend-config patched (2 keys)");
	json_t *cm = NULL;
	assert_int_equal(kube_get(kc, "/api/v1/namespaces/default/configmaps/mr-dj-frontend-config", &cm, NULL,
	                          msg, sizeof(msg)), 0);
	json_t *data = json_object_get(cm, "data");
	assert_string_equal(json_string_value(json_object_get(data, "NODE_ENV")), "maintenance");
	assert_string_equal(json_string_value(json_object_get(data, "MAINTENANCE")), "true");
	assert_string_equal(json_string_value(json_object_get(data, "NEXT_PUBLIC_API_URL")),
	                    "https://mr-dj.sevensa.nl/api");
	json_decref(cm);
	/* again: nothing to do */
	assert_int_equal(kaction_patch_configmap(kc, &a, prev, sizeof(prev), res, sizeof(res)), 0);
	assert_non_null(strstr(res, "unchanged"));
	strcpy(a.name, "nope");
	assert_int_equal(kaction_patch_configmap(kc, &a, prev, sizeof(prev), res, sizeof(res)), RW_ENOTFOUND);
	assert_string_equal(res, "configmap default/nope not found");
}

/* --- podwatch against the simulator ------------------------------------------------- */

struct seen {
	pthread_mutex_t mu;
	int snapshots, changes, deploys, deleted, wrong_node;
	size_t last_n;
	char first_ns[RW_NAME_MAX + 1], first[RW_POD_NAME_MAX + 1];
	char images[8][RW_IMAGE_MAX + 1];
	int nimages;
	char deploy_image[RW_IMAGE_MAX + 1];
	int32_t deploy_updated;
};

static void
note_pod(struct seen *s, const rw_pod_state_t *p, const char *node)
{
	if (strcmp(p->node, node))
		s->wrong_node++;
	if (p->deleted)
		s->deleted++;
	for (uint32_t c = 0; c < p->ncontainers && s->nimages < 8; c++) {
		int known = 0;
		for (int i = 0; i < s->nimages; i++)
			known |= !strcmp(s->images[i], p->containers[c].image);
		if (!known && p->containers[c].image[0])
			snprintf(s->images[s->nimages++], RW_IMAGE_MAX + 1, "%s", p->containers[c].image);
	}
}

static void
sim_snapshot(void *arg, const rw_pod_state_t *pods, size_t n)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->mu);
	s->snapshots++;
	s->last_n = n;
	if (n) {
		snprintf(s->first_ns, sizeof(s->first_ns), "%s", pods[0].namespace_);
		snprintf(s->first, sizeof(s->first), "%s", pods[0].name);
	}
	for (size_t i = 0; i < n; i++)
		note_pod(s, &pods[i], NODE);
	pthread_mutex_unlock(&s->mu);
}

static void
sim_change(void *arg, const rw_pod_state_t *p)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->mu);
	s->changes++;
	note_pod(s, p, NODE);
	pthread_mutex_unlock(&s->mu);
}

static void
sim_deploy(void *arg, const rw_deploy_state_t *d)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->mu);
	s->deploys++;
	if (!strcmp(d->name, FE)) {
		snprintf(s->deploy_image, sizeof(s->deploy_image), "%s", d->containers[0].image);
		s->deploy_updated = d->updated;
	}
	pthread_mutex_unlock(&s->mu);
}

static int
wait_for(struct seen *s, int (*cond)(struct seen *), int ms)
{
	for (int64_t end = tl_now_ms() + ms; tl_now_ms() < end; usleep(20000)) {
		pthread_mutex_lock(&s->mu);
		int ok = cond(s);
		pthread_mutex_unlock(&s->mu);
		if (ok)
			return 1;
	}
	return 0;
}

static int have_snapshot(struct seen *s) { return s->snapshots >= 1 && s->deploys >= 2; }
static int have_v8(struct seen *s)
{
	for (int i = 0; i < s->nimages; i++)
		if (strstr(s->images[i], ":v8"))
			return s->deleted > 0 && strstr(s->deploy_image, ":v8") != NULL;
	return 0;
}

static void
test_podwatch_sim(void **st)
{
	(void)st;
	struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct podwatch_callbacks cb = {sim_snapshot, sim_change, sim_deploy, NULL, &s};
	struct podwatch_opts o = {.watch_timeout_s = 5, .deploy_debounce_ms = 200};
	podwatch_t *pw;
	char msg[256];
	assert_int_equal(podwatch_start(&cfg, NODE, "it", &cb, &o, &pw, msg, sizeof(msg)), 0);
	assert_true(wait_for(&s, have_snapshot, 5000));
	pthread_mutex_lock(&s.mu);
	fprintf(stderr, "  snapshot: %zu pods on %s, %d deployments\n", s.last_n, NODE, s.deploys);
	assert_true(s.last_n >= 2); /* one pod of each deployment on this node */
	assert_int_equal(s.wrong_node, 0);
	char ip[64];
	assert_int_equal(podwatch_pod_ip(pw, s.first_ns, s.first, ip, sizeof(ip)), 0);
	assert_true(!strncmp(ip, "10.", 3)); /* the simulator's fake pod IPs: never contacted */
	assert_int_equal(podwatch_pod_ip(pw, "default", "no-such-pod", ip, sizeof(ip)), RW_ENOTFOUND);
	pthread_mutex_unlock(&s.mu);
	rw_action_t a;
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v8", 60);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), res, sizeof(res)), 0);
	assert_true(wait_for(&s, have_v8, 5000));
	pthread_mutex_lock(&s.mu);
	fprintf(stderr, "  during rollout: %d changes, %d deleted, %d deployment updates\n", s.changes,
	        s.deleted, s.deploys);
	assert_int_equal(s.wrong_node, 0);
	pthread_mutex_unlock(&s.mu);
	struct podwatch_stats ps;
	podwatch_get_stats(pw, &ps);
	assert_int_equal(ps.errors, 0);
	assert_int_equal(ps.lists, 1);
	int64_t t0 = tl_now_ms();
	podwatch_stop(pw);
	assert_true(tl_now_ms() - t0 < 2000);
}

/* --- podwatch against a broken API server ------------------------------------------ */

struct fakeseen {
	pthread_mutex_t mu;
	int snapshots, errors;
	int saw_b;
};

static void
fk_snapshot(void *arg, const rw_pod_state_t *pods, size_t n)
{
	(void)pods, (void)n;
	struct fakeseen *s = arg;
	pthread_mutex_lock(&s->mu);
	s->snapshots++;
	pthread_mutex_unlock(&s->mu);
}

static void
fk_change(void *arg, const rw_pod_state_t *p)
{
	struct fakeseen *s = arg;
	pthread_mutex_lock(&s->mu);
	if (!strcmp(p->name, "web-abc12-bbbbb"))
		s->saw_b = 1;
	pthread_mutex_unlock(&s->mu);
}

static void
fk_error(void *arg, int rc, const char *msg)
{
	struct fakeseen *s = arg;
	fprintf(stderr, "  podwatch error %s: %s\n", rw_errname(rc), msg);
	pthread_mutex_lock(&s->mu);
	s->errors++;
	pthread_mutex_unlock(&s->mu);
}

static void
test_podwatch_garbage(void **st)
{
	(void)st;
	const char *fake = getenv("AGENT_IT_FAKE");
	assert_non_null(fake);
	struct kubecfg fc;
	memset(&fc, 0, sizeof(fc));
	snprintf(fc.server, sizeof(fc.server), "%s", fake);
	struct fakeseen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct podwatch_callbacks cb = {fk_snapshot, fk_change, NULL, fk_error, &s};
	struct podwatch_opts o = {.watch_timeout_s = 30, .backoff_min_ms = 50, .backoff_max_ms = 200};
	podwatch_t *pw;
	char msg[256];
	assert_int_equal(podwatch_start(&fc, "node-1", "it", &cb, &o, &pw, msg, sizeof(msg)), 0);
	int64_t end = tl_now_ms() + 10000;
	for (;;) {
		pthread_mutex_lock(&s.mu);
		int done = s.saw_b;
		pthread_mutex_unlock(&s.mu);
		if (done || tl_now_ms() > end)
			break;
		usleep(20000);
	}
	struct podwatch_stats ps;
	podwatch_get_stats(pw, &ps);
	fprintf(stderr, "  fake server: lists=%llu watches=%llu errors=%llu relists_410=%llu events=%llu\n",
	        (unsigned long long)ps.lists, (unsigned long long)ps.watches, (unsigned long long)ps.errors,
	        (unsigned long long)ps.relists_410, (unsigned long long)ps.events);
	assert_true(s.saw_b);
	assert_true(s.snapshots >= 3);      /* re-listed after the truncated, garbage and 410 watches */
	assert_true(ps.errors >= 4);        /* 500 list, garbage list, truncated watch, garbage watch */
	assert_int_equal(ps.relists_410, 1);
	assert_int_equal(ps.pods, 2);
	char ip[64];
	assert_int_equal(podwatch_pod_ip(pw, "default", "web-abc12-bbbbb", ip, sizeof(ip)), 0);
	assert_string_equal(ip, "10.42.0.9");
	/* the last watch is idle and long: stop must still be prompt */
	int64_t t0 = tl_now_ms();
	podwatch_stop(pw);
	fprintf(stderr, "  stop during an idle watch took %lld ms\n", (long long)(tl_now_ms() - t0));
	assert_true(tl_now_ms() - t0 < 2000);
}

/* --- kube against the fake: error mapping, bounds, no token over http ------------- */

static int
count_cb(void *arg, const char *type, json_t *obj)
{
	(void)type, (void)obj;
	(*(int *)arg)++;
	return 0;
}

static void
test_kube_fake(void **st)
{
	(void)st;
	struct kubecfg fc;
	memset(&fc, 0, sizeof(fc));
	snprintf(fc.server, sizeof(fc.server), "%s", getenv("AGENT_IT_FAKE"));
	strcpy(fc.token, "must-not-leak-over-http");
	kube_t *k;
	char msg[256];
	json_t *j = NULL;
	int status = 0;
	assert_int_equal(kube_new(&fc, &k, msg, sizeof(msg)), 0);
	static const struct { int code, rc; } map[] = {
		{400, RW_EINVAL}, {401, RW_EAUTH}, {403, RW_EPERM}, {404, RW_ENOTFOUND}, {409, RW_ECONFLICT},
		{410, RW_ECONFLICT}, {422, RW_EINVAL}, {500, RW_EIO}, {503, RW_EIO}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		char path[32], want[64];
		snprintf(path, sizeof(path), "/status/%d", map[i].code);
		assert_int_equal(kube_get(k, path, &j, &status, msg, sizeof(msg)), map[i].rc);
		assert_null(j);
		assert_int_equal(status, map[i].code);
		snprintf(want, sizeof(want), "fake status %d", map[i].code);
		assert_string_equal(msg, want);
	}
	assert_int_equal(kube_get(k, "/garbage", &j, &status, msg, sizeof(msg)), RW_EIO);
	assert_non_null(strstr(msg, "not JSON"));
	assert_int_equal(kube_get(k, "/big", &j, &status, msg, sizeof(msg)), RW_ETOOBIG);
	int n = 0;
	assert_int_equal(kube_watch(k, "/longline", 10, count_cb, &n, NULL, msg, sizeof(msg)), RW_ETOOBIG);
	assert_int_equal(n, 0);
	assert_int_equal(kube_watch(k, "/status/410", 10, count_cb, &n, NULL, msg, sizeof(msg)), RW_ECONFLICT);
	/* a total timeout on an API call */
	kube_set_timeout_ms(k, 300);
	int64_t t0 = tl_now_ms();
	assert_int_equal(kube_get(k, "/hang", &j, &status, msg, sizeof(msg)), RW_ETIMEDOUT);
	assert_true(tl_now_ms() - t0 < 1500);
	kube_set_timeout_ms(k, 0);
	/* the connection survives all that: the next request works */
	assert_int_equal(kube_get(k, "/stats", &j, &status, msg, sizeof(msg)), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "auth")), 0); /* bearer only over https */
	json_decref(j);
	/* kaction follows a rollout through empty and garbage watches without spinning */
	rw_action_t a;
	action(&a, "web", "web", "web:1", 20);
	strcpy(a.namespace_, "fake");
	struct progress_log pl = {0};
	char prev[RW_TEXT_MAX + 1], res[RW_TEXT_MAX + 1];
	t0 = tl_now_ms();
	int arc = kaction_set_image(k, &a, on_progress, &pl, prev, sizeof(prev), res, sizeof(res));
	fprintf(stderr, "  kaction vs fake: rc=%d %s\n", arc, res);
	assert_int_equal(arc, 0);
	assert_string_equal(res, "deployment \"web\" successfully rolled out");
	assert_int_equal(kube_get(k, "/stats", &j, &status, msg, sizeof(msg)), 0);
	fprintf(stderr, "  kaction vs fake: %lld ms, %lld lists, %lld watches\n", (long long)(tl_now_ms() - t0),
	        (long long)json_integer_value(json_object_get(j, "dlists")),
	        (long long)json_integer_value(json_object_get(j, "dwatches")));
	assert_int_equal(json_integer_value(json_object_get(j, "dlists")), 2);   /* first + after garbage */
	assert_int_equal(json_integer_value(json_object_get(j, "dwatches")), 4); /* no hot loop */
	assert_int_equal(pl.n, 2); /* "spec update to be observed", then done */
	json_decref(j);
	/* a body over the probe bound fails the probe */
	char big[256];
	snprintf(big, sizeof(big), "%s/big", getenv("AGENT_IT_FAKE"));
	struct probe_req q = {.target_id = 1, .subject = "big", .url = big};
	rw_probe_result_t r;
	assert_int_equal(probe_run(&q, 1, 2000, &r), 0);
	assert_false(r.ok);
	assert_non_null(strstr(r.error, "body larger than"));
	kube_free(k);
}

/* --- probes ------------------------------------------------------------------------- */

static int
pod_names(char names[][RW_POD_NAME_MAX + 1], int max)
{
	json_t *l = NULL;
	char msg[256];
	assert_int_equal(kube_get(kc, "/api/v1/namespaces/default/pods?labelSelector=app%3Dmr-dj-frontend", &l,
	                          NULL, msg, sizeof(msg)), 0);
	int n = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(l, "items"), i, p) {
		const char *ph = json_string_value(json_object_get(json_object_get(p, "status"), "phase"));
		if (n < max && ph && !strcmp(ph, "Running") &&
		    !json_object_get(json_object_get(p, "metadata"), "deletionTimestamp"))
			snprintf(names[n++], RW_POD_NAME_MAX + 1, "%s",
			         json_string_value(json_object_get(json_object_get(p, "metadata"), "name")));
	}
	json_decref(l);
	return n;
}

static int
probe_pods(const char *expect, rw_probe_result_t *res, int max)
{
	char names[4][RW_POD_NAME_MAX + 1], urls[4][RW_URL_MAX + 1], tmpl[256];
	snprintf(tmpl, sizeof(tmpl), "%s/pods/{namespace}/{pod}{path}", getenv("AGENT_IT_HEALTH"));
	int n = pod_names(names, max < 4 ? max : 4);
	struct probe_req reqs[4];
	for (int i = 0; i < n; i++) {
		rw_pod_state_t p;
		memset(&p, 0, sizeof(p));
		strcpy(p.namespace_, "default");
		strcpy(p.name, names[i]);
		assert_int_equal(probe_pod_url(tmpl, &p, NULL, "/api/health", 0, urls[i], sizeof(urls[i])), 0);
		reqs[i] = (struct probe_req){.target_id = 7, .subject = names[i], .url = urls[i], .expect = expect};
	}
	assert_int_equal(probe_run(reqs, (size_t)n, 2000, res), 0);
	return n;
}

static void
test_probe_sim(void **st)
{
	(void)st;
	rw_probe_result_t res[4];
	int n = probe_pods("{\"status\":\"ok\",\"service\":\"mr-dj-frontend\"}", res, 4);
	assert_true(n >= 2);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "  probe %s: ok=%d http=%d latency=%d ms %s\n", res[i].subject, res[i].ok,
		        res[i].http_status, res[i].latency_ms, res[i].error);
		assert_true(res[i].ok);
		assert_int_equal(res[i].http_status, 200);
		assert_int_equal(res[i].target_id, 7);
	}
	/* 64 probes at once (RW_PROBE_MAX) against the simulator's pod endpoints */
	struct probe_req many[RW_PROBE_MAX];
	static rw_probe_result_t mres[RW_PROBE_MAX];
	for (int i = 0; i < RW_PROBE_MAX; i++)
		many[i] = (struct probe_req){.target_id = (uint32_t)i, .subject = res[i % n].subject,
		                             .url = res[i % n].url, .expect = "{\"status\":\"ok\"}"};
	int64_t t0 = tl_now_ms();
	assert_int_equal(probe_run(many, RW_PROBE_MAX, 2000, mres), 0);
	int64_t wall = tl_now_ms() - t0;
	int maxl = 0, okn = 0;
	long suml = 0;
	for (int i = 0; i < RW_PROBE_MAX; i++) {
		okn += mres[i].ok;
		suml += mres[i].latency_ms;
		maxl = mres[i].latency_ms > maxl ? mres[i].latency_ms : maxl;
	}
	fprintf(stderr, "  %d parallel probes: %d ok, wall %lld ms, latency avg %.1f ms max %d ms\n", RW_PROBE_MAX,
	        okn, (long long)wall, (double)suml / RW_PROBE_MAX, maxl);
	assert_int_equal(okn, RW_PROBE_MAX);
	n = probe_pods("{\"status\":\"ok\",\"version\":\"v0\"}", res, 4);
	assert_false(res[0].ok);
	assert_non_null(strstr(res[0].error, "$.version: expected \"v0\""));

	rw_action_t a;
	char prev[RW_TEXT_MAX + 1], r[RW_TEXT_MAX + 1];
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v9-unhealthy", 60);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), r, sizeof(r)), 0);
	usleep(500000); /* old pods finish terminating */
	n = probe_pods("{\"status\":\"ok\"}", res, 4);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "  probe %s: ok=%d http=%d latency=%d ms %s\n", res[i].subject, res[i].ok,
		        res[i].http_status, res[i].latency_ms, res[i].error);
		assert_false(res[i].ok);
		assert_int_equal(res[i].http_status, 503);
		assert_string_equal(res[i].error, "HTTP 503, expected 200");
	}
	/* expecting 503 makes it pass only when the JSON also matches */
	struct probe_req q = {.target_id = 1, .subject = "x", .url = res[0].url, .expect_status = 503,
	                      .expect = "{\"status\":\"error\"}"};
	rw_probe_result_t one;
	assert_int_equal(probe_run(&q, 1, 2000, &one), 0);
	assert_true(one.ok);
	action(&a, FE, FE, "ghcr.io/crisisk/mr-dj-frontend:v2", 60);
	assert_int_equal(kaction_set_image(kc, &a, NULL, NULL, prev, sizeof(prev), r, sizeof(r)), 0);
}

static void
test_probe_timeouts(void **st)
{
	(void)st;
	char hang[256], refused[] = "http://127.0.0.1:1/x";
	snprintf(hang, sizeof(hang), "%s/hang", getenv("AGENT_IT_FAKE"));
	struct probe_req reqs[6];
	for (int i = 0; i < 5; i++)
		reqs[i] = (struct probe_req){.target_id = (uint32_t)i, .subject = "hang", .url = hang};
	reqs[4].timeout_ms = 200; /* per-request timeout overrides the default */
	reqs[5] = (struct probe_req){.target_id = 5, .subject = "refused", .url = refused};
	rw_probe_result_t res[6];
	int64_t t0 = tl_now_ms();
	assert_int_equal(probe_run(reqs, 6, 500, res), 0);
	int64_t took = tl_now_ms() - t0;
	fprintf(stderr, "  6 failing probes in parallel took %lld ms\n", (long long)took);
	assert_true(took < 1200); /* parallel: not 5 x 500 ms */
	for (int i = 0; i < 5; i++) {
		fprintf(stderr, "  probe hang[%d]: latency=%d ms error=%s\n", i, res[i].latency_ms, res[i].error);
		assert_false(res[i].ok);
		assert_int_equal(res[i].http_status, 0);
		assert_true(res[i].latency_ms >= (i == 4 ? 150 : 450));
		assert_true(res[i].latency_ms < (i == 4 ? 450 : 1000));
	}
	assert_false(res[5].ok);
	assert_true(res[5].error[0] != '\0');
}

int
main(void)
{
	log_init("it_agent");
	if (kube_global_init())
		return 1;
	int rc = TL_RUN("tests", setup, teardown,
	                test_https_get_and_errors, test_set_image_healthy, test_set_image_twice,
	                test_set_image_crash, test_set_image_deadline, test_set_image_unknown,
	                test_patch_configmap, test_podwatch_sim, test_podwatch_garbage,
	                test_kube_fake, test_probe_sim, test_probe_timeouts);
	kube_global_cleanup();
	return rc;
}
