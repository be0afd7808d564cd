/*
 * health — is a service healthy in a cluster, as the agents last reported
 * it?  Reads pod states, the Deployment's rollout status and probe results
 * (store) and gives a verdict with a human reason.  Does not probe anything
 * itself and does not record the verdict (callers do).
 */
#ifndef REWIND_HEALTH_H
#define REWIND_HEALTH_H

#include <stdint.h>

#include "store_agents.h"

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
