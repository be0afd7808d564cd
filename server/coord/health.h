/*
 * health — is a service healthy in a cluster, as the agents last reported
 * it?  health_check() reads pod states, the Deployment's rollout status and
 * probe results (store) into struct health_facts and gives the verdict of
 * the pure health_judge() with a human reason.  Does not probe anything
 * itself and does not record the verdict (callers do).
 */
#ifndef REWIND_HEALTH_H
#define REWIND_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

enum health_state {
	HEALTH_PENDING = 0, /* not settled yet: keep waiting */
	HEALTH_OK = 1,
	HEALTH_FAILED = 2,  /* crash-looping, or a probe failed */
};

struct health_verdict {
	enum health_state state;
	int32_t replicas, updated, available;
	int ready_pods;          /* pods running the image and ready */
	char text[256];          /* "2/2 pods ready, health ok" or why not */
};

/* A probe's latest result at or after the time asked for, as read. */
struct health_probe {
	int rv;                     /* the read: 0 or the store's error */
	bool found;                 /* false: none since then (none yet, or only stale ones) */
	rw_probe_result_t result;
};

/* What the agents reported about a service's Deployment in a cluster. */
struct health_facts {
	int deploy_rv;              /* 0; RW_ENOTFOUND: no agent reported it yet */
	rw_deploy_state_t deploy;
	int pods_rv;
	rw_pod_state_t *pods;
	size_t npods;
	struct health_probe *probes; /* one per pod, when the service has a health path */
	struct health_probe url;    /* the environment's public URL, when one is checked */
};

/*
 * The verdict on facts: every pod runs image (or its digest), is ready and
 * not crash-looping, each pod's probe (svc has a health path) and then the
 * public URL's (health_url non-empty) answered OK.  Pure; returns 0, or a
 * fact's store error when the verdict needed that fact.
 */
int health_judge(const struct health_facts *f, const rw_service_t *svc, const char *image,
                 const char *digest, const char *health_url, struct health_verdict *out);

/*
 * Checks that every pod of svc's Deployment in cluster runs image (or its
 * digest), is ready and not crash-looping, that each answered its health
 * probe OK at or after since_us, and (health_url non-empty) that the
 * environment's public URL did too.
 */
int health_check(store_t *st, const char *cluster, const rw_service_t *svc, const char *image,
                 const char *digest, const char *health_url, int64_t since_us,
                 struct health_verdict *out);

#endif
