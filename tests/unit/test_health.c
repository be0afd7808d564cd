/*
 * test_health — unit tests of health_judge() (server/coord/health.c): the
 * verdict on what the agents reported, from hand-made facts — pending (no
 * report yet, pods on the old image, not ready, no probe since the step
 * began), ok (with and without probes and the public URL) and failed
 * (crash-looping, a pod's probe, the public URL) — and which read errors
 * the verdict passes on.  No database (health_check is not called).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "health.h"

#define IMAGE "ghcr.io/acme/web@sha256:aaaa"
#define URL "https://shop.example/health"

/* Fills a fixed buffer (cut to fit). */
#define SET(dst, s) snprintf((dst), sizeof(dst), "%s", (s))

struct world {
	rw_service_t svc;
	rw_pod_state_t pods[3];
	struct health_probe probes[3];
	struct health_facts f;
	struct health_verdict v;
};

static void
pod(rw_pod_state_t *p, const char *name, const char *image, bool ready)
{
	memset(p, 0, sizeof(*p));
	SET(p->name, name);
	p->ready = ready;
	p->ncontainers = 1;
	SET(p->containers[0].name, "web");
	SET(p->containers[0].image, image);
	p->containers[0].ready = ready;
}

static void
probe_ok(struct health_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->found = true;
	p->result.ok = true;
	p->result.http_status = 200;
}

static void
probe_failed(struct health_probe *p, int http_status, const char *error)
{
	memset(p, 0, sizeof(*p));
	p->found = true;
	p->result.http_status = http_status;
	SET(p->result.error, error);
}

/* Two ready pods on the new image, probes answered OK, the URL too. */
static struct world *
healthy(void)
{
	static struct world w;
	memset(&w, 0, sizeof(w));
	SET(w.svc.name, "web");
	SET(w.svc.namespace_, "shop");
	SET(w.svc.deployment, "web");
	SET(w.svc.container, "web");
	w.f.deploy.replicas = 2;
	w.f.deploy.updated = 2;
	w.f.deploy.available = 2;
	pod(&w.pods[0], "web-1", IMAGE, true);
	pod(&w.pods[1], "web-2", IMAGE, true);
	w.f.pods = w.pods;
	w.f.npods = 2;
	probe_ok(&w.probes[0]);
	probe_ok(&w.probes[1]);
	w.f.probes = w.probes;
	probe_ok(&w.f.url);
	return &w;
}

static int
setup(void **state)
{
	*state = healthy();
	return 0;
}

static int
judge(struct world *w, const char *url)
{
	return health_judge(&w->f, &w->svc, IMAGE, "sha256:aaaa", url, &w->v);
}

/* The verdict on w (public URL url) is state, said as text. */
static void
verdict(struct world *w, const char *url, enum health_state state, const char *text)
{
	assert_int_equal(judge(w, url), 0);
	assert_int_equal(w->v.state, state);
	assert_string_equal(w->v.text, text);
}

static void
test_no_report_yet(void **state)
{
	struct world *w = *state;

	w->f.deploy_rv = RW_ENOTFOUND;
	verdict(w, NULL, HEALTH_PENDING, "no agent has reported deployment shop/web yet");
}

static void
test_read_errors(void **state)
{
	struct world *w = *state;

	w->f.deploy_rv = RW_EDB;
	assert_int_equal(judge(w, NULL), RW_EDB);
	w->f.deploy_rv = 0;
	w->f.pods_rv = RW_EDB;
	assert_int_equal(judge(w, NULL), RW_EDB);
}

static void
test_ok_without_probes(void **state)
{
	struct world *w = *state;

	/* No health path: the probes are not looked at. */
	w->f.probes = NULL;
	verdict(w, NULL, HEALTH_OK, "2/2 pods ready, health ok");
	assert_int_equal(w->v.ready_pods, 2);
	assert_int_equal(w->v.replicas, 2);
	assert_int_equal(w->v.updated, 2);
	assert_int_equal(w->v.available, 2);
}

static void
test_ok_with_probes_and_url(void **state)
{
	struct world *w = *state;

	SET(w->svc.health_path, "/health");
	verdict(w, URL, HEALTH_OK, "2/2 pods ready, health ok, public URL ok");
	/* An empty URL is no URL. */
	assert_int_equal(judge(w, ""), 0);
	assert_string_equal(w->v.text, "2/2 pods ready, health ok");
}

static void
test_image_matched_by_digest(void **state)
{
	struct world *w = *state;

	/* The reference differs; the digest reported (or the one in the image sent) matches. */
	SET(w->pods[0].containers[0].image, "ghcr.io/acme/web:v2");
	SET(w->pods[0].containers[0].image_digest, "sha256:aaaa");
	SET(w->pods[1].containers[0].image, "docker.io/ghcr.io/acme/web@sha256:aaaa");
	assert_int_equal(health_judge(&w->f, &w->svc, IMAGE, NULL, NULL, &w->v), 0);
	assert_int_equal(w->v.state, HEALTH_OK);
}

static void
test_wrong_image_pending(void **state)
{
	struct world *w = *state;

	SET(w->pods[1].containers[0].image, "ghcr.io/acme/web:v1");
	verdict(w, URL, HEALTH_PENDING, "1/2 pods ready on the new image, 1 old");
}

static void
test_not_ready_pending(void **state)
{
	struct world *w = *state;

	w->pods[0].containers[0].ready = false;
	verdict(w, URL, HEALTH_PENDING, "1/2 pods ready on the new image, 0 old");

	/* Fewer pods than replicas. */
	w = healthy();
	w->f.npods = 1;
	verdict(w, URL, HEALTH_PENDING, "1/2 pods ready on the new image, 0 old");
}

static void
test_crash_looping_failed(void **state)
{
	static const char *reasons[] = {"CrashLoopBackOff", "Error", "ImagePullBackOff",
	                                "ErrImagePull"};
	(void)state;

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		struct world *w = healthy();
		rw_container_state_t *c = &w->pods[1].containers[0];
		SET(c->waiting_reason, reasons[i]);
		c->restarts = 5;
		c->ready = false;
		assert_int_equal(judge(w, URL), 0);
		assert_int_equal(w->v.state, HEALTH_FAILED);
		char want[128];
		snprintf(want, sizeof(want), "pod web-2 is %s (5 restarts)", reasons[i]);
		assert_string_equal(w->v.text, want);
	}
}

static void
test_crash_loop_of_old_pod_ignored(void **state)
{
	struct world *w = *state;
	rw_container_state_t *c = &w->pods[2].containers[0];

	/* A third pod, still on the old image, crash-looping: pending, not failed. */
	pod(&w->pods[2], "web-0", "ghcr.io/acme/web:v1", false);
	SET(c->waiting_reason, "CrashLoopBackOff");
	w->f.npods = 3;
	verdict(w, URL, HEALTH_PENDING, "2/2 pods ready on the new image, 1 old");
}

static void
test_container_chosen_by_name(void **state)
{
	struct world *w = *state;
	rw_pod_state_t *p = &w->pods[0];

	/* A sidecar first: the service's container is found by name. */
	p->containers[1] = p->containers[0];
	SET(p->containers[0].name, "proxy");
	SET(p->containers[0].image, "envoy:1");
	p->ncontainers = 2;
	assert_int_equal(judge(w, NULL), 0);
	assert_int_equal(w->v.state, HEALTH_OK);

	/* No container of that name: the first one counts. */
	SET(p->containers[1].name, "other");
	verdict(w, NULL, HEALTH_PENDING, "1/2 pods ready on the new image, 1 old");

	/* No containers at all: the pod is not counted either way. */
	p->ncontainers = 0;
	assert_int_equal(judge(w, NULL), 0);
	assert_string_equal(w->v.text, "1/2 pods ready on the new image, 0 old");
}

static void
test_pod_probe_failed(void **state)
{
	struct world *w = *state;

	SET(w->svc.health_path, "/health");
	probe_failed(&w->probes[1], 503, "unexpected body");
	verdict(w, URL, HEALTH_FAILED, "health of pod web-2: HTTP 503 unexpected body");

	probe_failed(&w->probes[0], 0, "connection refused");
	verdict(w, URL, HEALTH_FAILED, "health of pod web-1 failed: connection refused");
}

static void
test_stale_probe_pending(void **state)
{
	struct world *w = *state;

	/* Only results older than the step are there: none found since. */
	SET(w->svc.health_path, "/health");
	w->probes[0].found = false;
	verdict(w, URL, HEALTH_PENDING, "waiting for a health probe of pod web-1");

	w = healthy();
	w->f.url.found = false;
	verdict(w, URL, HEALTH_PENDING, "waiting for a health probe of public URL " URL);
}

static void
test_public_url_failed(void **state)
{
	struct world *w = *state;

	probe_failed(&w->f.url, 500, "Internal Server Error");
	verdict(w, URL, HEALTH_FAILED, "health of public URL " URL ": HTTP 500 Internal Server Error");

	/* Not checked without a URL. */
	assert_int_equal(judge(w, NULL), 0);
	assert_int_equal(w->v.state, HEALTH_OK);
}

static void
test_probe_read_errors(void **state)
{
	struct world *w = *state;

	/* A probe read that failed matters only when the verdict gets to it. */
	SET(w->svc.health_path, "/health");
	w->probes[1].rv = RW_EDB;
	assert_int_equal(judge(w, URL), RW_EDB);
	probe_failed(&w->probes[0], 0, "timeout");
	assert_int_equal(judge(w, URL), 0);
	assert_int_equal(w->v.state, HEALTH_FAILED);

	w = healthy();
	w->f.url.rv = RW_EDB;
	assert_int_equal(judge(w, URL), RW_EDB);
	assert_int_equal(judge(w, NULL), 0);
	w->pods[0].ready = false;
	assert_int_equal(judge(w, URL), 0);
	assert_int_equal(w->v.state, HEALTH_PENDING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_no_report_yet, setup),
		cmocka_unit_test_setup(test_read_errors, setup),
		cmocka_unit_test_setup(test_ok_without_probes, setup),
		cmocka_unit_test_setup(test_ok_with_probes_and_url, setup),
		cmocka_unit_test_setup(test_image_matched_by_digest, setup),
		cmocka_unit_test_setup(test_wrong_image_pending, setup),
		cmocka_unit_test_setup(test_not_ready_pending, setup),
		cmocka_unit_test_setup(test_crash_looping_failed, setup),
		cmocka_unit_test_setup(test_crash_loop_of_old_pod_ignored, setup),
		cmocka_unit_test_setup(test_container_chosen_by_name, setup),
		cmocka_unit_test_setup(test_pod_probe_failed, setup),
		cmocka_unit_test_setup(test_stale_probe_pending, setup),
		cmocka_unit_test_setup(test_public_url_failed, setup),
		cmocka_unit_test_setup(test_probe_read_errors, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
