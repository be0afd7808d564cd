/*
 * store_agents — what the agents report: applying a node's report (pods,
 * Deployments, probe results), the status of a cluster, the probe targets
 * of an agent, and the health facts the coordinator reads from the
 * reported state.
 *
 * Not here: the actions agents carry out (store_action.h), the wire format
 * of a report (shared/wire/), checking it (the boundary does).
 */
#ifndef REWIND_STORE_AGENTS_H
#define REWIND_STORE_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* One agent report, as decoded and checked at the boundary. */
struct store_report {
	const char *agent;          /* CLUSTER/NODE from the certificate */
	const char *cluster;
	const char *node;
	uint64_t epoch;
	uint64_t seq;
	bool full;                  /* a full snapshot of the node replaces what was stored */
	const rw_pod_state_t *pods;
	size_t npods;
	const rw_deploy_state_t *deploys;
	size_t ndeploys;
	const rw_probe_result_t *probes;
	size_t nprobes;
};

/*
 * Applies a report in one transaction (latest state wins).  A full snapshot
 * is always applied.  A change report is applied only when it follows the
 * last accepted report of the agent (same session epoch, next sequence
 * number); otherwise nothing is stored and *resync is set: the agent must
 * send a full snapshot.  That refuses a gap, a duplicate, and a report of an
 * old session that arrives late (a request the agent gave up on, still in a
 * closed TCP connection's send queue when the network came back) after a
 * newer session's snapshot — which would otherwise overwrite newer state.
 */
int store_report_apply(store_t *st, const struct store_report *r, bool *resync);

/* What status shows for one cluster; every array malloc'd, owned by the caller. */
struct store_status {
	rw_deploy_state_t *deploys;
	size_t ndeploys;
	rw_pod_state_t *pods;
	size_t npods;
	rw_probe_result_t *probes;   /* latest per subject */
	size_t nprobes;
	rw_agent_info_t *agents;
	size_t nagents;
};
int store_status_get(store_t *st, const char *cluster, int64_t connected_since_us,
                     struct store_status *out);
void store_status_free(struct store_status *s);

/*
 * Probe targets for an agent: one per service with a health path (pod
 * probes), plus the public URLs of the cluster's environments if this agent
 * is the cluster's probe leader (the first by name among agents seen since
 * alive_since_us).  *out malloc'd, owned by the caller.
 */
int store_probe_targets(store_t *st, const char *cluster, const char *agent,
                        int64_t alive_since_us, rw_probe_target_t **out, size_t *n);

/* --- health as the agents last reported it -------------------------------- */

/* *out malloc'd, owned by the caller. */
int store_pods_of(store_t *st, const char *cluster, const char *ns, const char *deployment,
                  rw_pod_state_t **out, size_t *n);
int store_deploy_state(store_t *st, const char *cluster, const char *ns, const char *name,
                       rw_deploy_state_t *out);
/* Latest probe result of subject at or after since_us; *found false when none. */
int store_probe_latest(store_t *st, const char *cluster, const char *subject, int64_t since_us,
                       rw_probe_result_t *out, bool *found);
/* Earliest failing probe of the cluster since since_us (0 if none). */
int store_probe_failing_since(store_t *st, const char *cluster, int64_t since_us, int64_t *first);
/* How many agents of the cluster were seen since since_us. */
int store_agents_live(store_t *st, const char *cluster, int64_t since_us, int *n);

#endif
