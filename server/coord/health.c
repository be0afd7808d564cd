/*
 * health — a service's verdict from what the agents reported (health.h).
 */
#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_agents.h"

static const rw_container_state_t *
container_of(const rw_pod_state_t *p, const char *name)
{
	for (uint32_t i = 0; i < p->ncontainers; i++)
		if (strcmp(p->containers[i].name, name) == 0)
			return &p->containers[i];
	return p->ncontainers ? &p->containers[0] : NULL;
}

/* A pod runs the image when its reference or its digest matches what was sent. */
static bool
runs_image(const rw_container_state_t *c, const char *image, const char *digest)
{
	const char *at;
	if (strcmp(c->image, image) == 0)
		return true;
	if (digest && *digest && strcmp(c->image_digest, digest) == 0)
		return true;
	at = strchr(image, '@');
	return at && (strcmp(c->image_digest, at + 1) == 0 || strstr(c->image, at) != NULL);
}

static bool
crash_looping(const rw_container_state_t *c)
{
	return strcmp(c->waiting_reason, "CrashLoopBackOff") == 0 ||
	       strcmp(c->waiting_reason, "Error") == 0 ||
	       strcmp(c->waiting_reason, "ImagePullBackOff") == 0 ||
	       strcmp(c->waiting_reason, "ErrImagePull") == 0;
}

/* Pods: how many run the image and are ready; FAILED on a crash loop. */
static void
check_pods(const rw_pod_state_t *pods, size_t n, const rw_service_t *svc, const char *image,
           const char *digest, struct health_verdict *v, int *old)
{
	*old = 0;
	for (size_t i = 0; i < n; i++) {
		const rw_container_state_t *c = container_of(&pods[i], svc->container);
		if (!c)
			continue;
		if (!runs_image(c, image, digest)) {
			(*old)++;
			continue;
		}
		if (crash_looping(c)) {
			v->state = HEALTH_FAILED;
			snprintf(v->text, sizeof(v->text), "pod %.100s is %s (%d restarts)", pods[i].name,
			         c->waiting_reason, c->restarts);
			return;
		}
		if (pods[i].ready && c->ready)
			v->ready_pods++;
	}
}

/* A probe's answer into the verdict: PENDING when none came, FAILED when not OK. */
static int
judge_probe(const struct health_probe *p, const char *subject, const char *what,
            struct health_verdict *v)
{
	if (p->rv)
		return p->rv;
	if (!p->found) {
		v->state = HEALTH_PENDING;
		snprintf(v->text, sizeof(v->text), "waiting for a health probe of %s %.120s", what,
		         subject);
	} else if (!p->result.ok) {
		v->state = HEALTH_FAILED;
		if (p->result.http_status)
			snprintf(v->text, sizeof(v->text), "health of %s %.100s: HTTP %d %.80s", what,
			         subject, p->result.http_status, p->result.error);
		else
			snprintf(v->text, sizeof(v->text), "health of %s %.100s failed: %.100s", what,
			         subject, p->result.error);
	}
	return 0;
}

int
health_judge(const struct health_facts *f, const rw_service_t *svc, const char *image,
             const char *digest, const char *health_url, struct health_verdict *v)
{
	const rw_deploy_state_t *d = &f->deploy;
	bool url = health_url && *health_url;
	int old = 0, rv;

	memset(v, 0, sizeof(*v));
	if (f->deploy_rv == RW_ENOTFOUND) {
		snprintf(v->text, sizeof(v->text), "no agent has reported deployment %s/%s yet",
		         svc->namespace_, svc->deployment);
		return 0;
	}
	if (f->deploy_rv || f->pods_rv)
		return f->deploy_rv ? f->deploy_rv : f->pods_rv;
	v->replicas = d->replicas;
	v->updated = d->updated;
	v->available = d->available;
	v->state = HEALTH_OK;
	check_pods(f->pods, f->npods, svc, image, digest, v, &old);
	if (v->state == HEALTH_FAILED)
		return 0;
	if (v->ready_pods < d->replicas || old > 0) {
		v->state = HEALTH_PENDING;
		snprintf(v->text, sizeof(v->text), "%d/%d pods ready on the new image, %d old", v->ready_pods,
		         d->replicas, old);
		return 0;
	}
	for (size_t i = 0; svc->health_path[0] && i < f->npods && v->state == HEALTH_OK; i++)
		if ((rv = judge_probe(&f->probes[i], f->pods[i].name, "pod", v)))
			return rv;
	if (v->state == HEALTH_OK && url && (rv = judge_probe(&f->url, health_url, "public URL", v)))
		return rv;
	if (v->state == HEALTH_OK)
		snprintf(v->text, sizeof(v->text), "%d/%d pods ready, health ok%s", v->ready_pods,
		         d->replicas, url ? ", public URL ok" : "");
	return 0;
}

static void
gather_probe(store_t *st, const char *cluster, const char *subject, int64_t since_us,
             struct health_probe *p)
{
	p->rv = store_probe_latest(st, cluster, subject, since_us, &p->result, &p->found);
}

/* Reads what health_judge() may consult into f (zeroed by the caller); free f->pods, f->probes. */
static int
gather(store_t *st, const char *cluster, const rw_service_t *svc, const char *health_url,
       int64_t since_us, struct health_facts *f)
{
	f->deploy_rv = store_deploy_state(st, cluster, svc->namespace_, svc->deployment, &f->deploy);
	if (f->deploy_rv)
		return 0;
	f->pods_rv = store_pods_of(st, cluster, svc->namespace_, svc->deployment, &f->pods, &f->npods);
	if (f->pods_rv)
		return 0;
	if (svc->health_path[0] && f->npods) {
		if (!(f->probes = calloc(f->npods, sizeof(*f->probes))))
			return RW_ENOMEM;
		for (size_t i = 0; i < f->npods; i++)
			gather_probe(st, cluster, f->pods[i].name, since_us, &f->probes[i]);
	}
	if (health_url && *health_url)
		gather_probe(st, cluster, health_url, since_us, &f->url);
	return 0;
}

int
health_check(store_t *st, const char *cluster, const rw_service_t *svc, const char *image,
             const char *digest, const char *health_url, int64_t since_us,
             struct health_verdict *v)
{
	struct health_facts f;
	int rv;

	memset(&f, 0, sizeof(f));
	memset(v, 0, sizeof(*v));
	if ((rv = gather(st, cluster, svc, health_url, since_us, &f)) == 0)
		rv = health_judge(&f, svc, image, digest, health_url, v);
	free(f.pods);
	free(f.probes);
	return rv;
}
