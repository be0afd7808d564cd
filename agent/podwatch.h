/*
 * podwatch — keeps the agent's view of the pods on its node, the way
 * client-go's informers do: list pods with fieldSelector
 * spec.nodeName=<node> (all namespaces), then watch from the list's
 * resourceVersion; resume a watch the server ended; re-list on 410 Gone,
 * errors, garbage or truncated streams, with jittered exponential backoff.
 * Never polls in a loop.
 *
 * It also tracks the Deployments owning those pods: when a pod of a
 * deployment appears or changes, the deployment is fetched with one GET,
 * debounced (several pod changes in a rollout give one GET), and
 * delivered with on_deploy.
 *
 * Threads: one watcher thread (on_snapshot, on_change) and one deployment
 * thread (on_deploy); callbacks run on those threads and must not block
 * for long or call podwatch_stop.  It does not report to the server or
 * probe; the session code does with what the callbacks give it.
 */
#ifndef REWIND_AGENT_PODWATCH_H
#define REWIND_AGENT_PODWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "kubecfg.h"
#include "podstate.h"

typedef struct podwatch podwatch_t;

struct podwatch_callbacks {
	/* After each (re)list: the full set of pods on the node (array valid for the call). */
	void (*on_snapshot)(void *arg, const rw_pod_state_t *pods, size_t n);
	/* One ADDED/MODIFIED/DELETED pod (deleted flag set for DELETED). */
	void (*on_change)(void *arg, const rw_pod_state_t *pod);
	/* A Deployment owning pods on this node, after it (or one of its pods) changed. */
	void (*on_deploy)(void *arg, const rw_deploy_state_t *d);
	/* Optional: a list/watch failed (then it retries by itself). */
	void (*on_error)(void *arg, int rc, const char *msg);
	void *arg;
};

struct podwatch_opts {
	int watch_timeout_s;     /* server timeoutSeconds; 0 = random 300..600 like kubectl */
	int backoff_min_ms;      /* 0 = 500 */
	int backoff_max_ms;      /* 0 = 30000 */
	int deploy_debounce_ms;  /* 0 = 500 */
	size_t max_pods;         /* 0 = 5000: more pods than that is refused as garbage */
};

struct podwatch_stats {
	uint64_t lists, watches, events, errors, deploy_gets, relists_410;
	size_t pods;
};

/*
 * Starts watching.  cfg is copied; node and cluster are copied; cb is
 * copied.  opts may be NULL.  *out owned by the caller: podwatch_stop().
 * Returns 0, RW_EINVAL, RW_ENOMEM.
 */
int podwatch_start(const struct kubecfg *cfg, const char *node, const char *cluster,
                   const struct podwatch_callbacks *cb, const struct podwatch_opts *opts,
                   podwatch_t **out, char *msg, size_t msgsz);

/* Stops both threads promptly (aborting transfers), joins them and frees pw. NULL is fine. */
void podwatch_stop(podwatch_t *pw);

/* status.podIP of a pod currently on the node (for probe_pod_url).  0 or RW_ENOTFOUND. */
int podwatch_pod_ip(podwatch_t *pw, const char *ns, const char *name, char *ip, size_t ipsz);

void podwatch_get_stats(podwatch_t *pw, struct podwatch_stats *out);

#endif
