/*
 * api_agents — what agents and their operators ask about the clusters:
 * node-state reports (AGENT_REPORT, answered with the probe targets), the
 * action queue (an agent's long poll for work, its progress and results;
 * an operator's create, get and list) and the clusters' status.  Checks
 * that an agent speaks only for the CLUSTER/NODE its certificate names,
 * parks the long polls and counts what came in (stats.c); leasing,
 * sequencing and staleness rules are the store's.
 */
#include "api_handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "stats.h"
#include "store_action.h"
#include "store_agents.h"
#include "store_catalog.h"

/* Agents' state older than this (unix us) is stale: three report intervals. */
static int64_t
stale_before(const struct api_call *c)
{
	return rw_now_us() - 3000LL * c->ctx->cfg->report_interval_ms;
}

/* The cluster and node an agent's certificate names (CLUSTER/NODE). */
static int
agent_identity(struct api_call *c, char *cluster, size_t ccap, char *node, size_t ncap)
{
	return rw_agent_name_split(c->who.name, cluster, ccap, node, ncap);
}

/* --- reports -------------------------------------------------------------------- */

/* Counts a stored report's pods and probes (stats.c). */
static void
count_report(const struct wire_state *in)
{
	uint64_t lat = 0;
	size_t failed = 0;
	for (size_t i = 0; i < in->nprobes; i++) {
		lat += (uint64_t)(in->probes[i].latency_ms > 0 ? in->probes[i].latency_ms : 0);
		failed += !in->probes[i].ok;
	}
	stats_report(in->npods, in->nprobes, lat, failed);
}

wire_msg_t *
api_agent_report(struct api_call *c)
{
	const struct wire_state *in = &c->req->u.state;
	char cluster[RW_NAME_MAX + 1], node[RW_POD_NAME_MAX + 1], text[800];
	struct store_report r;
	rw_probe_target_t *targets = NULL;
	size_t ntargets = 0;
	bool resync = false;
	wire_msg_t *m;
	int rv;

	if (agent_identity(c, cluster, sizeof(cluster), node, sizeof(node)) != 0)
		return api_fail(c, RW_EPERM, "agent certificate name is not CLUSTER/NODE");
	if (strcmp(cluster, in->cluster) != 0 || strcmp(node, in->node) != 0) {
		snprintf(text, sizeof(text), "certificate for %s may not report for %s/%s",
		         c->who.name, in->cluster, in->node);
		return api_fail(c, RW_EPERM, text);
	}
	r = (struct store_report){c->who.name, cluster, node, in->epoch, in->seq, in->full,
	                          in->pods, in->npods, in->deploys, in->ndeploys, in->probes,
	                          in->nprobes};
	if ((rv = store_report_apply(c->ctx->store, &r, &resync)) != 0)
		return api_fail(c, rv, NULL);
	if (resync) /* a refused change report stored nothing */
		log_info("agent.gap", "agent=%s epoch=%llu seq=%llu refused: snapshot asked for",
		         c->who.name, (unsigned long long)in->epoch, (unsigned long long)in->seq);
	else
		count_report(in);
	rv = store_probe_targets(c->ctx->store, cluster, c->who.name, stale_before(c), &targets,
	                         &ntargets);
	if (!(m = api_list_reply(c, WIRE_AGENT_REPORT_OK, rv, NULL, targets, ntargets)) ||
	    m->kind == WIRE_ERROR)
		return m;
	m->u.list.resync = resync;
	m->u.list.interval_ms = (uint32_t)c->ctx->cfg->report_interval_ms;
	return m;
}

/* --- the action queue ----------------------------------------------------------- */

wire_msg_t *
api_action_wait(struct api_call *c)
{
	char cluster[RW_NAME_MAX + 1], node[RW_POD_NAME_MAX + 1];
	wire_msg_t *m;
	bool found = false;
	uint32_t wait = c->req->u.wait.wait_ms;
	int rv;

	if (!(m = api_reply(c, WIRE_ACTION_ASSIGN)))
		return NULL;
	if (agent_identity(c, cluster, sizeof(cluster), node, sizeof(node)) != 0) {
		wire_msg_free(m);
		return api_fail(c, RW_EPERM, "agent certificate name is not CLUSTER/NODE");
	}
	rv = store_action_claim(c->ctx->store, c->who.name, cluster, c->ctx->cfg->lease_ms,
	                        &m->u.assign.action, &found);
	if (rv != 0)
		return api_result(c, m, rv, 0, NULL);
	if (found) {
		m->u.assign.has = true;
		log_info("action.leased", "id=%lld agent=%s attempt=%d",
		         (long long)m->u.assign.action.id, c->who.name, m->u.assign.action.attempts);
		return m;
	}
	if (c->ctx->final || wait == 0)
		return m; /* nothing to do: an empty assignment */
	wire_msg_free(m);
	return api_park(c, wait, "%s", cluster);
}

wire_msg_t *
api_action_progress(struct api_call *c)
{
	bool ours = false;
	int rv = store_action_progress(c->ctx->store, c->who.name, c->req->u.progress.id,
	                               c->req->u.progress.message, c->ctx->cfg->lease_ms, &ours);
	if (rv != 0)
		return api_fail(c, rv, NULL);
	/* The flag says cancel: the lease went to another agent. */
	return API_REPLY_WITH(c, WIRE_ACTION_PROGRESS_OK, flag, !ours);
}

wire_msg_t *
api_action_result(struct api_call *c)
{
	int64_t id = c->req->u.progress.id;
	bool ok = c->req->u.progress.ok;
	bool accepted = false;
	int rv = store_action_finish(c->ctx->store, &c->who, id, ok, c->req->u.progress.message,
	                             c->req->u.progress.previous, &accepted);
	if (rv != 0)
		return api_fail(c, rv, NULL);
	log_info(accepted ? "action.finished" : "action.duplicate", "id=%lld agent=%s ok=%d",
	         (long long)id, c->who.name, ok);
	stats_action(!accepted ? "duplicate" : ok ? "succeeded" : "failed");
	return API_REPLY_WITH(c, WIRE_ACTION_RESULT_OK, flag, accepted);
}

wire_msg_t *
api_action_create(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_ACTION);
	int rv;
	if (!m)
		return NULL;
	m->u.action = c->req->u.action;
	m->u.action.state = RW_ACTION_QUEUED;
	if ((rv = store_action_create(c->ctx->store, &c->who, &m->u.action)) != 0)
		return api_result(c, m, rv, 0, NULL);
	stats_action("created");
	log_info("action.created", "id=%lld kind=%s cluster=%s by=%s", (long long)m->u.action.id,
	         rw_action_kind_name(m->u.action.kind), m->u.action.cluster, c->who.name);
	return m;
}

static bool
action_done(const rw_action_t *a)
{
	return a->state == RW_ACTION_SUCCEEDED || a->state == RW_ACTION_FAILED ||
	       a->state == RW_ACTION_CANCELLED;
}

wire_msg_t *
api_action_get(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_ACTION);
	uint32_t wait = c->req->u.wait.wait_ms;
	int rv;

	if (!m)
		return NULL;
	rv = store_action_get(c->ctx->store, c->req->u.wait.id, &m->u.action);
	if (rv != 0)
		return api_result(c, m, rv, RW_ENOTFOUND, "action not found");
	if (action_done(&m->u.action) || c->ctx->final || wait == 0)
		return m;
	wire_msg_free(m);
	return api_park(c, wait, "action/%lld", (long long)c->req->u.wait.id);
}

/* --- status ---------------------------------------------------------------------- */

/* Appends src (n items of sz) to *dst (holding *ndst); frees src. */
static int
append(void **dst, size_t *ndst, void *src, size_t n, size_t sz)
{
	char *grown;
	if (n == 0) {
		free(src);
		return 0;
	}
	if (!(grown = realloc(*dst, (*ndst + n) * sz))) {
		free(src);
		return RW_ENOMEM;
	}
	memcpy(grown + *ndst * sz, src, n * sz);
	free(src);
	*dst = grown;
	*ndst += n;
	return 0;
}

/* Adds one cluster's state to the reply, unless an earlier environment shared the cluster. */
static int
status_add_cluster(struct api_call *c, struct wire_state *out, const rw_env_t *envs, size_t i)
{
	struct store_status s;
	int rv;

	for (size_t k = 0; k < i; k++)
		if (strcmp(envs[k].cluster, envs[i].cluster) == 0)
			return 0;
	if ((rv = store_status_get(c->ctx->store, envs[i].cluster, stale_before(c), &s)) != 0)
		return rv;
	if ((rv = append((void **)&out->deploys, &out->ndeploys, s.deploys, s.ndeploys,
	                 sizeof(*s.deploys))) ||
	    (rv = append((void **)&out->pods, &out->npods, s.pods, s.npods, sizeof(*s.pods))) ||
	    (rv = append((void **)&out->probes, &out->nprobes, s.probes, s.nprobes,
	                 sizeof(*s.probes))) ||
	    (rv = append((void **)&out->agents, &out->nagents, s.agents, s.nagents,
	                 sizeof(*s.agents))))
		return rv;
	return 0;
}

wire_msg_t *
api_status(struct api_call *c)
{
	wire_msg_t *m = api_reply(c, WIRE_STATUS_OK);
	rw_env_t *envs = NULL;
	size_t n = 0;
	int rv;

	if (!m)
		return NULL;
	if (c->req->u.query.env[0]) {
		envs = calloc(1, sizeof(*envs));
		rv = envs ? store_env_get(c->ctx->store, c->req->u.query.env, envs) : RW_ENOMEM;
		n = rv == 0 ? 1 : 0;
	} else {
		rv = store_env_list(c->ctx->store, &envs, &n);
	}
	for (size_t i = 0; rv == 0 && i < n; i++)
		rv = status_add_cluster(c, &m->u.state, envs, i);
	if (rv != 0) {
		free(envs);
		return api_result(c, m, rv, RW_ENOTFOUND, "environment not found");
	}
	m->u.state.envs = envs;
	m->u.state.nenvs = n;
	return m;
}
