/*
 * wire_agent — the agent family: node reports (pods, deployments, probe
 * results) and their answer, long-polled actions with their progress and
 * results, creating and listing actions, and status.  Tables, the action's
 * enum hooks and the domain checks of its requests; what an agent does with
 * an action is agent/'s business, not this file's.
 */
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

#define CONTAINER_T rw_container_state_t, Rewind__V1__ContainerState
WIRE_DEFINE(container, NULL, rewind__v1__container_state, CONTAINER_T,
	WIRE_BOOL(CONTAINER_T, ready), WIRE_NUM(CONTAINER_T, restarts),
	WIRE_STR(CONTAINER_T, name, "container"), WIRE_STR(CONTAINER_T, image, "image"),
	WIRE_STR(CONTAINER_T, image_digest, "image-digest"),
	WIRE_STR(CONTAINER_T, waiting_reason, "waiting-reason"));

#define POD_T rw_pod_state_t, Rewind__V1__PodState
WIRE_DEFINE(pod, NULL, rewind__v1__pod_state, POD_T,
	WIRE_BOOL(POD_T, ready), WIRE_BOOL(POD_T, deleted), WIRE_NUM(POD_T, observed_at),
	WIRE_STR(POD_T, cluster, "cluster"), WIRE_STR(POD_T, node, "node"),
	WIRE_STR(POD_T, namespace_, "namespace"), WIRE_STR(POD_T, name, "pod"),
	WIRE_STR(POD_T, deployment, "deployment"), WIRE_STR(POD_T, phase, "phase"),
	WIRE_ARRAY(POD_T, containers, ncontainers, containers, &container, NULL, "pod",
	           "too many containers", true));

typedef typeof(((rw_deploy_state_t *)0)->containers[0]) deploy_container_t;
#define DCONTAINER_T deploy_container_t, Rewind__V1__DeployContainer
WIRE_DEFINE(dcontainer, NULL, rewind__v1__deploy_container, DCONTAINER_T,
	WIRE_STR(DCONTAINER_T, name, "container"), WIRE_STR(DCONTAINER_T, image, "image"));

#define DEPLOY_T rw_deploy_state_t, Rewind__V1__DeployState
WIRE_DEFINE(deploy, NULL, rewind__v1__deploy_state, DEPLOY_T,
	WIRE_NUM(DEPLOY_T, generation), WIRE_NUM(DEPLOY_T, observed_generation),
	WIRE_NUM(DEPLOY_T, replicas), WIRE_NUM(DEPLOY_T, updated), WIRE_NUM(DEPLOY_T, ready),
	WIRE_NUM(DEPLOY_T, available), WIRE_NUM(DEPLOY_T, observed_at),
	WIRE_STR(DEPLOY_T, cluster, "cluster"), WIRE_STR(DEPLOY_T, namespace_, "namespace"),
	WIRE_STR(DEPLOY_T, name, "deployment"), WIRE_STR(DEPLOY_T, progressing_reason, "reason"),
	WIRE_ARRAY(DEPLOY_T, containers, ncontainers, containers, &dcontainer, NULL, "deployment",
	           "too many containers", true));

#define PROBE_T rw_probe_result_t, Rewind__V1__ProbeResult
WIRE_DEFINE(probe, NULL, rewind__v1__probe_result, PROBE_T,
	WIRE_NUM(PROBE_T, target_id), WIRE_BOOL(PROBE_T, ok), WIRE_NUM(PROBE_T, http_status),
	WIRE_NUM(PROBE_T, latency_ms), WIRE_NUM(PROBE_T, at), WIRE_STR(PROBE_T, subject, "subject"),
	WIRE_STR(PROBE_T, url, "url"), WIRE_STR(PROBE_T, error, "error"));

#define TARGET_T rw_probe_target_t, Rewind__V1__ProbeTarget
WIRE_DEFINE(target, NULL, rewind__v1__probe_target, TARGET_T,
	WIRE_NUM(TARGET_T, id), WIRE_NUM(TARGET_T, expect_status), WIRE_NUM(TARGET_T, timeout_ms),
	WIRE_STR(TARGET_T, namespace_, "namespace"), WIRE_STR(TARGET_T, deployment, "deployment"),
	WIRE_STR(TARGET_T, path, "path"), WIRE_STR(TARGET_T, url, "url"),
	WIRE_STR(TARGET_T, expect, "expect"));

#define AGENT_T rw_agent_info_t, Rewind__V1__AgentInfo
WIRE_DEFINE(agent_info, NULL, rewind__v1__agent_info, AGENT_T,
	WIRE_NUM(AGENT_T, last_seen), WIRE_BOOL(AGENT_T, connected), WIRE_STR(AGENT_T, name, "name"),
	WIRE_STR(AGENT_T, cluster, "cluster"), WIRE_STR(AGENT_T, node, "node"));

#define ACTION_T rw_action_t, Rewind__V1__Action
WIRE_DEFINE(action, "action", rewind__v1__action, ACTION_T,
	WIRE_NUM(ACTION_T, id), WIRE_NUM(ACTION_T, deadline), WIRE_NUM(ACTION_T, attempts),
	WIRE_NUM(ACTION_T, created_at), WIRE_NUM(ACTION_T, finished_at),
	WIRE_ENUM(ACTION_T, kind, rw_action_kind_parse, rw_action_kind_name),
	WIRE_ENUM(ACTION_T, state, rw_action_state_parse, rw_action_state_name),
	WIRE_STR(ACTION_T, cluster, "cluster"), WIRE_STR(ACTION_T, namespace_, "namespace"),
	WIRE_STR(ACTION_T, name, "name"), WIRE_STR(ACTION_T, container, "container"),
	WIRE_STR(ACTION_T, image, "image"), WIRE_STR(ACTION_T, owner, "owner"),
	WIRE_STR(ACTION_T, result, "result"), WIRE_STR(ACTION_T, previous, "previous"),
	WIRE_STR(ACTION_T, created_by, "created-by"), WIRE_KVS(ACTION_T, kv, nkv, data, true));

/* A node's report and the status reply: lists of the items above. */
#define STATE_LIST(T, df, dn, pf, it) WIRE_LIST(T, df, dn, pf, it, WIRE_ITEMS_MAX, "list", "too many items")
#define REPORT_T struct wire_state, Rewind__V1__AgentReport
#define STATUS_T struct wire_state, Rewind__V1__StatusOk
static const struct wire_field report_fields[] = {
	WIRE_NUM(REPORT_T, epoch), WIRE_NUM(REPORT_T, seq), WIRE_BOOL(REPORT_T, full),
	WIRE_STR(REPORT_T, cluster, "cluster"), WIRE_STR(REPORT_T, node, "node"),
	STATE_LIST(REPORT_T, pods, npods, pods, &pod),
	STATE_LIST(REPORT_T, deploys, ndeploys, deployments, &deploy),
	STATE_LIST(REPORT_T, probes, nprobes, probes, &probe),
};
static const struct wire_field status_fields[] = {
	STATE_LIST(STATUS_T, pods, npods, pods, &pod),
	STATE_LIST(STATUS_T, deploys, ndeploys, deployments, &deploy),
	STATE_LIST(STATUS_T, probes, nprobes, probes, &probe),
	STATE_LIST(STATUS_T, agents, nagents, agents, &agent_info),
	STATE_LIST(STATUS_T, envs, nenvs, envs, &wire_env_item),
};
static const struct wire_item report =
	WIRE_ITEM(NULL, rewind__v1__agent_report, struct wire_state, report_fields);
static const struct wire_item status =
	WIRE_ITEM(NULL, rewind__v1__status_ok, struct wire_state, status_fields);

/* An assignment may carry no action: the long poll ended empty. */
static int
dec_assign(struct dec *d, const void *pb, void *dom)
{
	const Rewind__V1__ActionAssign *p = pb;
	wire_msg_t *m = dom;
	m->u.assign.has = p->action != NULL;
	return m->u.assign.has ? wire_dec_item(d, &action, p->action, &m->u.assign.action) : 0;
}

static int
enc_assign(struct wire_arena *a, void *pb, const void *dom)
{
	Rewind__V1__ActionAssign *p = pb;
	const wire_msg_t *m = dom;
	if (!m->u.assign.has)
		return 0;
	if (!(p->action = wire_arena_msg(a, action.pb)))
		return RW_ENOMEM;
	return wire_enc_item(a, &action, p->action, &m->u.assign.action);
}

static const struct wire_item assign = {
	.pb = &rewind__v1__action_assign__descriptor,
	.dec_rest = dec_assign,
	.enc_rest = enc_assign,
};

static int
validate_report(struct dec *d, const struct wire_state *st)
{
	int rv;
	if ((rv = rw_check_name("cluster", st->cluster, d->msg, d->msgsz)) ||
	    (rv = rw_check_k8s_name("node", st->node, d->msg, d->msgsz)))
		return rv;
	for (size_t i = 0; i < st->npods; i++) {
		const rw_pod_state_t *p = &st->pods[i];
		if ((rv = rw_check_name("pod namespace", p->namespace_, d->msg, d->msgsz)) ||
		    (rv = rw_check_k8s_name("pod name", p->name, d->msg, d->msgsz)))
			return rv;
		/* Each pod must be on the reporting node of the reporting cluster. */
		if (strcmp(p->cluster, st->cluster) != 0 || strcmp(p->node, st->node) != 0)
			return wire_dec_fail(d, RW_EPERM, "pod", "reported for another node or cluster");
	}
	for (size_t i = 0; i < st->ndeploys; i++) {
		if (strcmp(st->deploys[i].cluster, st->cluster) != 0)
			return wire_dec_fail(d, RW_EPERM, "deployment", "reported for another cluster");
		if ((rv = rw_check_k8s_name("deployment", st->deploys[i].name, d->msg, d->msgsz)))
			return rv;
	}
	return 0;
}

static int
validate(struct dec *d, const wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_AGENT_REPORT:
		return validate_report(d, &m->u.state);
	case WIRE_ACTION_CREATE:
		return rw_action_check(&m->u.action, d->msg, d->msgsz);
	case WIRE_ACTION_PROGRESS:
	case WIRE_ACTION_RESULT:
		if (m->u.progress.id <= 0)
			return wire_dec_fail(d, RW_EINVAL, "id", "must be positive");
		return rw_check_text("message", m->u.progress.message, RW_TEXT_MAX, d->msg, d->msgsz) ?:
		       rw_check_text("previous", m->u.progress.previous, RW_TEXT_MAX, d->msg, d->msgsz);
	case WIRE_ACTION_LIST:
	case WIRE_STATUS_GET:
		return m->u.query.env[0] ? rw_check_name("env", m->u.query.env, d->msg, d->msgsz) : 0;
	default:
		return 0;
	}
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FORM_AT(WIRE_AGENT_REPORT, &report, u.state),
	WIRE_FLAT(WIRE_AGENT_REPORT_OK, WIRE_BOOL_AS(WIRE_M(AgentReportOk), u.list.resync, resync),
	          WIRE_NUM_AS(WIRE_M(AgentReportOk), u.list.interval_ms, interval_ms),
	          WIRE_LIST(WIRE_M(AgentReportOk), u.list.items, u.list.n, probes, &target,
	                    RW_PROBE_MAX, "probes", "too many probe targets")),
	WIRE_FLAT(WIRE_ACTION_WAIT, WIRE_NUM_AS(WIRE_M(ActionWait), u.wait.wait_ms, wait_ms)),
	WIRE_FORM(WIRE_ACTION_ASSIGN, &assign),
	WIRE_FLAT(WIRE_ACTION_PROGRESS, WIRE_NUM_AS(WIRE_M(ActionProgress), u.progress.id, id),
	          WIRE_NUM_AS(WIRE_M(ActionProgress), u.progress.updated, updated),
	          WIRE_NUM_AS(WIRE_M(ActionProgress), u.progress.available, available),
	          WIRE_NUM_AS(WIRE_M(ActionProgress), u.progress.replicas, replicas),
	          WIRE_STR_AS(WIRE_M(ActionProgress), u.progress.message, message, "message")),
	WIRE_FLAT(WIRE_ACTION_PROGRESS_OK, WIRE_BOOL_AS(WIRE_M(ActionProgressOk), u.flag, cancel)),
	WIRE_FLAT(WIRE_ACTION_RESULT, WIRE_NUM_AS(WIRE_M(ActionResult), u.progress.id, id),
	          WIRE_BOOL_AS(WIRE_M(ActionResult), u.progress.ok, ok),
	          WIRE_STR_AS(WIRE_M(ActionResult), u.progress.message, result, "result"),
	          WIRE_STR_AS(WIRE_M(ActionResult), u.progress.previous, previous, "previous")),
	WIRE_FLAT(WIRE_ACTION_RESULT_OK, WIRE_BOOL_AS(WIRE_M(ActionResultOk), u.flag, accepted)),
	WIRE_FLAT(WIRE_ACTION_CREATE, WIRE_MSG(WIRE_M(ActionCreate), u.action, action, &action)),
	WIRE_FORM_AT(WIRE_ACTION, &action, u.action),
	WIRE_FLAT(WIRE_ACTION_GET, WIRE_NUM_AS(WIRE_M(ActionGet), u.wait.id, id),
	          WIRE_NUM_AS(WIRE_M(ActionGet), u.wait.wait_ms, wait_ms)),
	WIRE_FLAT(WIRE_ACTION_LIST, WIRE_NUM_AS(WIRE_M(ActionList), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(ActionList), u.query.env, cluster, "cluster")),
	WIRE_FLAT(WIRE_ACTION_LIST_OK, WIRE_ITEMS(WIRE_M(ActionListOk), &action, WIRE_ITEMS_MAX)),
	WIRE_FLAT(WIRE_STATUS_GET, WIRE_STR_AS(WIRE_M(StatusGet), u.query.env, env, "env")),
	WIRE_FORM_AT(WIRE_STATUS_OK, &status, u.state),
};

const struct wire_family wire_agent =
	WIRE_FAMILY("agent", WIRE_AGENT_REPORT, WIRE_STATUS_OK, forms, validate);
