/*
 * wire_agent — the agent half of the wire module: reports (pods,
 * deployments, probe results), long-polled actions and their progress and
 * results, action creation/listing, and status.  Same rules as wire.c:
 * bounded copies into domain structs, counts capped, requests validated;
 * protobuf-c structs never leave this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire_int.h"

/* ---------------------------------------------------------------------- */
/* decoding                                                               */

static int
dec_container(struct dec *d, const Rewind__V1__ContainerState *p, rw_container_state_t *c)
{
	c->ready = p->ready;
	c->restarts = p->restarts;
	return DEC_STR(d, c->name, p->name, "container") ?:
	       DEC_STR(d, c->image, p->image, "image") ?:
	       DEC_STR(d, c->image_digest, p->image_digest, "image-digest") ?:
	       DEC_STR(d, c->waiting_reason, p->waiting_reason, "waiting-reason");
}

static int
dec_pod(struct dec *d, const Rewind__V1__PodState *p, rw_pod_state_t *o)
{
	int rv;
	if (p->n_containers > RW_MAX_CONTAINERS)
		return wire_dec_fail(d, RW_ETOOBIG, "pod", "too many containers");
	o->ready = p->ready;
	o->deleted = p->deleted;
	o->observed_at = p->observed_at;
	if ((rv = DEC_STR(d, o->cluster, p->cluster, "cluster")) ||
	    (rv = DEC_STR(d, o->node, p->node, "node")) ||
	    (rv = DEC_STR(d, o->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, o->name, p->name, "pod")) ||
	    (rv = DEC_STR(d, o->deployment, p->deployment, "deployment")) ||
	    (rv = DEC_STR(d, o->phase, p->phase, "phase")))
		return rv;
	for (size_t i = 0; i < p->n_containers; i++)
		if ((rv = dec_container(d, p->containers[i], &o->containers[i])) != 0)
			return rv;
	o->ncontainers = (uint32_t)p->n_containers;
	return 0;
}

static int
dec_deploy(struct dec *d, const Rewind__V1__DeployState *p, rw_deploy_state_t *o)
{
	int rv;
	if (p->n_containers > RW_MAX_CONTAINERS)
		return wire_dec_fail(d, RW_ETOOBIG, "deployment", "too many containers");
	o->generation = p->generation;
	o->observed_generation = p->observed_generation;
	o->replicas = p->replicas;
	o->updated = p->updated;
	o->ready = p->ready;
	o->available = p->available;
	o->observed_at = p->observed_at;
	if ((rv = DEC_STR(d, o->cluster, p->cluster, "cluster")) ||
	    (rv = DEC_STR(d, o->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, o->name, p->name, "deployment")) ||
	    (rv = DEC_STR(d, o->progressing_reason, p->progressing_reason, "reason")))
		return rv;
	for (size_t i = 0; i < p->n_containers; i++) {
		if ((rv = DEC_STR(d, o->containers[i].name, p->containers[i]->name, "container")) ||
		    (rv = DEC_STR(d, o->containers[i].image, p->containers[i]->image, "image")))
			return rv;
	}
	o->ncontainers = (uint32_t)p->n_containers;
	return 0;
}

static int
dec_probe_result(struct dec *d, const Rewind__V1__ProbeResult *p, rw_probe_result_t *o)
{
	o->target_id = p->target_id;
	o->ok = p->ok;
	o->http_status = p->http_status;
	o->latency_ms = p->latency_ms;
	o->at = p->at;
	return DEC_STR(d, o->subject, p->subject, "subject") ?:
	       DEC_STR(d, o->url, p->url, "url") ?: DEC_STR(d, o->error, p->error, "error");
}

static int
dec_probe_target(struct dec *d, const Rewind__V1__ProbeTarget *p, rw_probe_target_t *o)
{
	o->id = p->id;
	o->expect_status = p->expect_status;
	o->timeout_ms = p->timeout_ms;
	return DEC_STR(d, o->namespace_, p->namespace_, "namespace") ?:
	       DEC_STR(d, o->deployment, p->deployment, "deployment") ?:
	       DEC_STR(d, o->path, p->path, "path") ?: DEC_STR(d, o->url, p->url, "url") ?:
	       DEC_STR(d, o->expect, p->expect, "expect");
}

static int
dec_agent_info(struct dec *d, const Rewind__V1__AgentInfo *p, rw_agent_info_t *o)
{
	o->last_seen = p->last_seen;
	o->connected = p->connected;
	return DEC_STR(d, o->name, p->name, "name") ?:
	       DEC_STR(d, o->cluster, p->cluster, "cluster") ?: DEC_STR(d, o->node, p->node, "node");
}

static int
dec_env(struct dec *d, const Rewind__V1__Env *p, rw_env_t *e)
{
	e->id = p->id;
	e->created_at = p->created_at;
	return DEC_STR(d, e->name, p->name, "name") ?:
	       DEC_STR(d, e->cluster, p->cluster, "cluster") ?:
	       DEC_STR(d, e->health_url, p->health_url, "health-url") ?:
	       DEC_STR(d, e->health_expect, p->health_expect, "health-expect");
}

static int
dec_action(struct dec *d, const Rewind__V1__Action *p, rw_action_t *a)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "action", "missing");
	if (p->n_data > RW_KV_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "data", "too many keys (at most 16)");
	a->id = p->id;
	a->kind = rw_action_kind_parse(p->kind);
	a->state = rw_action_state_parse(p->state);
	a->deadline = p->deadline;
	a->attempts = p->attempts;
	a->created_at = p->created_at;
	a->finished_at = p->finished_at;
	if ((rv = DEC_STR(d, a->cluster, p->cluster, "cluster")) ||
	    (rv = DEC_STR(d, a->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, a->name, p->name, "name")) ||
	    (rv = DEC_STR(d, a->container, p->container, "container")) ||
	    (rv = DEC_STR(d, a->image, p->image, "image")) ||
	    (rv = DEC_STR(d, a->owner, p->owner, "owner")) ||
	    (rv = DEC_STR(d, a->result, p->result, "result")) ||
	    (rv = DEC_STR(d, a->previous, p->previous, "previous")) ||
	    (rv = DEC_STR(d, a->created_by, p->created_by, "created-by")))
		return rv;
	for (size_t i = 0; i < p->n_data; i++) {
		if ((rv = DEC_STR(d, a->kv[i].key, p->data[i]->key, "key")) ||
		    (rv = DEC_STR(d, a->kv[i].value, p->data[i]->value, "value")))
			return rv;
	}
	a->nkv = (uint32_t)p->n_data;
	return 0;
}

/* Allocates *out as n items of size sz; n is capped so a message cannot ask for gigabytes. */
static int
dec_alloc(struct dec *d, size_t n, size_t sz, void **out)
{
	*out = NULL;
	if (n > WIRE_ITEMS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "list", "too many items");
	if (n == 0)
		return 0;
	*out = calloc(n, sz);
	return *out ? 0 : RW_ENOMEM;
}

#define DEC_ARRAY(d, dst, ndst, src, nsrc, fn)                                          \
	do {                                                                              \
		int rv_ = dec_alloc((d), (nsrc), sizeof(*(dst)), (void **)&(dst));        \
		if (rv_ != 0)                                                             \
			return rv_;                                                       \
		for (size_t i_ = 0; i_ < (nsrc); i_++) {                                  \
			if ((rv_ = fn((d), (src)[i_], &(dst)[i_])) != 0)                  \
				return rv_;                                               \
			(ndst) = i_ + 1;                                                  \
		}                                                                         \
	} while (0)

static int
dec_report(struct dec *d, const Rewind__V1__AgentReport *p, struct wire_state *st)
{
	int rv;
	st->epoch = p->epoch;
	st->seq = p->seq;
	st->full = p->full;
	if ((rv = DEC_STR(d, st->cluster, p->cluster, "cluster")) ||
	    (rv = DEC_STR(d, st->node, p->node, "node")))
		return rv;
	DEC_ARRAY(d, st->pods, st->npods, p->pods, p->n_pods, dec_pod);
	DEC_ARRAY(d, st->deploys, st->ndeploys, p->deployments, p->n_deployments, dec_deploy);
	DEC_ARRAY(d, st->probes, st->nprobes, p->probes, p->n_probes, dec_probe_result);
	return 0;
}

static int
dec_status(struct dec *d, const Rewind__V1__StatusOk *p, struct wire_state *st)
{
	DEC_ARRAY(d, st->pods, st->npods, p->pods, p->n_pods, dec_pod);
	DEC_ARRAY(d, st->deploys, st->ndeploys, p->deployments, p->n_deployments, dec_deploy);
	DEC_ARRAY(d, st->probes, st->nprobes, p->probes, p->n_probes, dec_probe_result);
	DEC_ARRAY(d, st->agents, st->nagents, p->agents, p->n_agents, dec_agent_info);
	DEC_ARRAY(d, st->envs, st->nenvs, p->envs, p->n_envs, dec_env);
	return 0;
}

static int
dec_report_ok(struct dec *d, const Rewind__V1__AgentReportOk *p, wire_msg_t *m)
{
	rw_probe_target_t *t = NULL;
	size_t n = 0;
	m->u.list.resync = p->resync;
	m->u.list.interval_ms = p->interval_ms;
	if (p->n_probes > RW_PROBE_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "probes", "too many probe targets");
	DEC_ARRAY(d, t, n, p->probes, p->n_probes, dec_probe_target);
	m->u.list.items = t;
	m->u.list.n = n;
	return 0;
}

static int
dec_action_list(struct dec *d, const Rewind__V1__ActionListOk *p, wire_msg_t *m)
{
	rw_action_t *a = NULL;
	size_t n = 0;
	int rv = dec_alloc(d, p->n_items, sizeof(*a), (void **)&a);
	if (rv != 0)
		return rv;
	m->u.list.items = a;
	for (size_t i = 0; i < p->n_items; i++) {
		if ((rv = dec_action(d, p->items[i], &a[i])) != 0)
			return rv;
		m->u.list.n = ++n;
	}
	return 0;
}

int
wire_dec_agent(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_AGENT_REPORT:
		return dec_report(d, e->agent_report, &m->u.state);
	case WIRE_AGENT_REPORT_OK:
		return dec_report_ok(d, e->agent_report_ok, m);
	case WIRE_ACTION_WAIT:
		m->u.wait.wait_ms = e->action_wait->wait_ms;
		return 0;
	case WIRE_ACTION_ASSIGN:
		m->u.assign.has = e->action_assign->action != NULL;
		return m->u.assign.has ? dec_action(d, e->action_assign->action, &m->u.assign.action) : 0;
	case WIRE_ACTION_PROGRESS:
		m->u.progress.id = e->action_progress->id;
		m->u.progress.updated = e->action_progress->updated;
		m->u.progress.available = e->action_progress->available;
		m->u.progress.replicas = e->action_progress->replicas;
		return DEC_STR(d, m->u.progress.message, e->action_progress->message, "message");
	case WIRE_ACTION_PROGRESS_OK:
		m->u.flag = e->action_progress_ok->cancel;
		return 0;
	case WIRE_ACTION_RESULT:
		m->u.progress.id = e->action_result->id;
		m->u.progress.ok = e->action_result->ok;
		return DEC_STR(d, m->u.progress.message, e->action_result->result, "result") ?:
		       DEC_STR(d, m->u.progress.previous, e->action_result->previous, "previous");
	case WIRE_ACTION_RESULT_OK:
		m->u.flag = e->action_result_ok->accepted;
		return 0;
	case WIRE_ACTION_CREATE:
		return dec_action(d, e->action_create->action, &m->u.action);
	case WIRE_ACTION:
		return dec_action(d, e->action, &m->u.action);
	case WIRE_ACTION_GET:
		m->u.wait.id = e->action_get->id;
		m->u.wait.wait_ms = e->action_get->wait_ms;
		return 0;
	case WIRE_ACTION_LIST:
		m->u.query.limit = e->action_list->limit;
		return DEC_STR(d, m->u.query.env, e->action_list->cluster, "cluster");
	case WIRE_ACTION_LIST_OK:
		return dec_action_list(d, e->action_list_ok, m);
	case WIRE_STATUS_GET:
		return DEC_STR(d, m->u.query.env, e->status_get->env, "env");
	case WIRE_STATUS_OK:
		return dec_status(d, e->status_ok, &m->u.state);
	default:
		return wire_dec_fail(d, RW_EPROTO, NULL, "unknown message type");
	}
}

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

int
wire_validate_agent(struct dec *d, wire_msg_t *m)
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

/* ---------------------------------------------------------------------- */
/* encoding                                                               */

#define S(x) ((char *)(x))


static Rewind__V1__PodState *
enc_pod(struct wire_arena *x, const rw_pod_state_t *o)
{
	Rewind__V1__PodState *p = wire_arena_alloc(x, 1, sizeof(*p));
	Rewind__V1__ContainerState *cs = wire_arena_alloc(x, o->ncontainers, sizeof(*cs));
	Rewind__V1__ContainerState **cp = wire_arena_alloc(x, o->ncontainers, sizeof(*cp));
	if (!p || !cs || !cp)
		return NULL;
	rewind__v1__pod_state__init(p);
	p->cluster = S(o->cluster);
	p->node = S(o->node);
	p->namespace_ = S(o->namespace_);
	p->name = S(o->name);
	p->deployment = S(o->deployment);
	p->phase = S(o->phase);
	p->ready = o->ready;
	p->deleted = o->deleted;
	p->observed_at = o->observed_at;
	for (uint32_t i = 0; i < o->ncontainers && i < RW_MAX_CONTAINERS; i++) {
		const rw_container_state_t *c = &o->containers[i];
		rewind__v1__container_state__init(&cs[i]);
		cs[i].name = S(c->name);
		cs[i].image = S(c->image);
		cs[i].image_digest = S(c->image_digest);
		cs[i].ready = c->ready;
		cs[i].restarts = c->restarts;
		cs[i].waiting_reason = S(c->waiting_reason);
		cp[i] = &cs[i];
	}
	p->n_containers = o->ncontainers;
	p->containers = cp;
	return p;
}

static Rewind__V1__DeployState *
enc_deploy(struct wire_arena *x, const rw_deploy_state_t *o)
{
	Rewind__V1__DeployState *p = wire_arena_alloc(x, 1, sizeof(*p));
	Rewind__V1__DeployContainer *cs = wire_arena_alloc(x, o->ncontainers, sizeof(*cs));
	Rewind__V1__DeployContainer **cp = wire_arena_alloc(x, o->ncontainers, sizeof(*cp));
	if (!p || !cs || !cp)
		return NULL;
	rewind__v1__deploy_state__init(p);
	p->cluster = S(o->cluster);
	p->namespace_ = S(o->namespace_);
	p->name = S(o->name);
	p->generation = o->generation;
	p->observed_generation = o->observed_generation;
	p->replicas = o->replicas;
	p->updated = o->updated;
	p->ready = o->ready;
	p->available = o->available;
	p->progressing_reason = S(o->progressing_reason);
	p->observed_at = o->observed_at;
	for (uint32_t i = 0; i < o->ncontainers && i < RW_MAX_CONTAINERS; i++) {
		rewind__v1__deploy_container__init(&cs[i]);
		cs[i].name = S(o->containers[i].name);
		cs[i].image = S(o->containers[i].image);
		cp[i] = &cs[i];
	}
	p->n_containers = o->ncontainers;
	p->containers = cp;
	return p;
}

static Rewind__V1__ProbeResult *
enc_probe_result(struct wire_arena *x, const rw_probe_result_t *o)
{
	Rewind__V1__ProbeResult *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return NULL;
	rewind__v1__probe_result__init(p);
	p->target_id = o->target_id;
	p->subject = S(o->subject);
	p->url = S(o->url);
	p->ok = o->ok;
	p->http_status = o->http_status;
	p->latency_ms = o->latency_ms;
	p->error = S(o->error);
	p->at = o->at;
	return p;
}

static Rewind__V1__ProbeTarget *
enc_probe_target(struct wire_arena *x, const rw_probe_target_t *o)
{
	Rewind__V1__ProbeTarget *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return NULL;
	rewind__v1__probe_target__init(p);
	p->id = o->id;
	p->namespace_ = S(o->namespace_);
	p->deployment = S(o->deployment);
	p->path = S(o->path);
	p->url = S(o->url);
	p->expect = S(o->expect);
	p->expect_status = o->expect_status;
	p->timeout_ms = o->timeout_ms;
	return p;
}

static Rewind__V1__AgentInfo *
enc_agent_info(struct wire_arena *x, const rw_agent_info_t *o)
{
	Rewind__V1__AgentInfo *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return NULL;
	rewind__v1__agent_info__init(p);
	p->name = S(o->name);
	p->cluster = S(o->cluster);
	p->node = S(o->node);
	p->last_seen = o->last_seen;
	p->connected = o->connected;
	return p;
}

static Rewind__V1__Env *
enc_env(struct wire_arena *x, const rw_env_t *o)
{
	Rewind__V1__Env *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return NULL;
	rewind__v1__env__init(p);
	p->id = o->id;
	p->name = S(o->name);
	p->cluster = S(o->cluster);
	p->health_url = S(o->health_url);
	p->health_expect = S(o->health_expect);
	p->created_at = o->created_at;
	return p;
}

static Rewind__V1__Action *
enc_action(struct wire_arena *x, const rw_action_t *a)
{
	Rewind__V1__Action *p = wire_arena_alloc(x, 1, sizeof(*p));
	Rewind__V1__KeyValue *kv = wire_arena_alloc(x, a->nkv, sizeof(*kv));
	Rewind__V1__KeyValue **kp = wire_arena_alloc(x, a->nkv, sizeof(*kp));
	if (!p || !kv || !kp)
		return NULL;
	rewind__v1__action__init(p);
	p->id = a->id;
	p->kind = S(rw_action_kind_name(a->kind));
	p->state = S(rw_action_state_name(a->state));
	p->cluster = S(a->cluster);
	p->namespace_ = S(a->namespace_);
	p->name = S(a->name);
	p->container = S(a->container);
	p->image = S(a->image);
	p->deadline = a->deadline;
	p->owner = S(a->owner);
	p->attempts = a->attempts;
	p->result = S(a->result);
	p->previous = S(a->previous);
	p->created_by = S(a->created_by);
	p->created_at = a->created_at;
	p->finished_at = a->finished_at;
	for (uint32_t i = 0; i < a->nkv && i < RW_KV_MAX; i++) {
		rewind__v1__key_value__init(&kv[i]);
		kv[i].key = S(a->kv[i].key);
		kv[i].value = S(a->kv[i].value);
		kp[i] = &kv[i];
	}
	p->n_data = a->nkv;
	p->data = kp;
	return p;
}

/* Encodes n items with fn into a pointer array allocated in x. */
#define ENC_ARRAY(x, dstp, ndst, src, nsrc, fn)                                        \
	do {                                                                             \
		(ndst) = (nsrc);                                                         \
		(dstp) = wire_arena_alloc((x), (nsrc), sizeof(*(dstp)));                        \
		if (!(dstp))                                                             \
			return RW_ENOMEM;                                                \
		for (size_t i_ = 0; i_ < (nsrc); i_++)                                   \
			if (!((dstp)[i_] = fn((x), &(src)[i_])))                         \
				return RW_ENOMEM;                                        \
	} while (0)

static int
enc_report(struct wire_arena *x, const struct wire_state *st, pb_env_t *e)
{
	Rewind__V1__AgentReport *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return RW_ENOMEM;
	rewind__v1__agent_report__init(p);
	p->cluster = S(st->cluster);
	p->node = S(st->node);
	p->epoch = st->epoch;
	p->seq = st->seq;
	p->full = st->full;
	ENC_ARRAY(x, p->pods, p->n_pods, st->pods, st->npods, enc_pod);
	ENC_ARRAY(x, p->deployments, p->n_deployments, st->deploys, st->ndeploys, enc_deploy);
	ENC_ARRAY(x, p->probes, p->n_probes, st->probes, st->nprobes, enc_probe_result);
	e->agent_report = p;
	return 0;
}

static int
enc_status(struct wire_arena *x, const struct wire_state *st, pb_env_t *e)
{
	Rewind__V1__StatusOk *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return RW_ENOMEM;
	rewind__v1__status_ok__init(p);
	ENC_ARRAY(x, p->pods, p->n_pods, st->pods, st->npods, enc_pod);
	ENC_ARRAY(x, p->deployments, p->n_deployments, st->deploys, st->ndeploys, enc_deploy);
	ENC_ARRAY(x, p->probes, p->n_probes, st->probes, st->nprobes, enc_probe_result);
	ENC_ARRAY(x, p->agents, p->n_agents, st->agents, st->nagents, enc_agent_info);
	ENC_ARRAY(x, p->envs, p->n_envs, st->envs, st->nenvs, enc_env);
	e->status_ok = p;
	return 0;
}

static int
enc_report_ok(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	Rewind__V1__AgentReportOk *p = wire_arena_alloc(x, 1, sizeof(*p));
	const rw_probe_target_t *t = m->u.list.items;
	if (!p)
		return RW_ENOMEM;
	rewind__v1__agent_report_ok__init(p);
	p->resync = m->u.list.resync;
	p->interval_ms = m->u.list.interval_ms;
	ENC_ARRAY(x, p->probes, p->n_probes, t, m->u.list.n, enc_probe_target);
	e->agent_report_ok = p;
	return 0;
}

static int
enc_action_list(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	Rewind__V1__ActionListOk *p = wire_arena_alloc(x, 1, sizeof(*p));
	const rw_action_t *a = m->u.list.items;
	if (!p)
		return RW_ENOMEM;
	rewind__v1__action_list_ok__init(p);
	ENC_ARRAY(x, p->items, p->n_items, a, m->u.list.n, enc_action);
	e->action_list_ok = p;
	return 0;
}

/* Small fixed messages: one allocation, filled in place. */
static int
enc_small(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_ACTION_WAIT: {
		Rewind__V1__ActionWait *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_wait__init(p);
		p->wait_ms = m->u.wait.wait_ms;
		e->action_wait = p;
		return 0;
	}
	case WIRE_ACTION_ASSIGN: {
		Rewind__V1__ActionAssign *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_assign__init(p);
		if (m->u.assign.has && !(p->action = enc_action(x, &m->u.assign.action)))
			return RW_ENOMEM;
		e->action_assign = p;
		return 0;
	}
	case WIRE_ACTION_PROGRESS: {
		Rewind__V1__ActionProgress *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_progress__init(p);
		p->id = m->u.progress.id;
		p->message = S(m->u.progress.message);
		p->updated = m->u.progress.updated;
		p->available = m->u.progress.available;
		p->replicas = m->u.progress.replicas;
		e->action_progress = p;
		return 0;
	}
	case WIRE_ACTION_PROGRESS_OK: {
		Rewind__V1__ActionProgressOk *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_progress_ok__init(p);
		p->cancel = m->u.flag;
		e->action_progress_ok = p;
		return 0;
	}
	case WIRE_ACTION_RESULT: {
		Rewind__V1__ActionResult *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_result__init(p);
		p->id = m->u.progress.id;
		p->ok = m->u.progress.ok;
		p->result = S(m->u.progress.message);
		p->previous = S(m->u.progress.previous);
		e->action_result = p;
		return 0;
	}
	case WIRE_ACTION_RESULT_OK: {
		Rewind__V1__ActionResultOk *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_result_ok__init(p);
		p->accepted = m->u.flag;
		e->action_result_ok = p;
		return 0;
	}
	case WIRE_ACTION_GET: {
		Rewind__V1__ActionGet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_get__init(p);
		p->id = m->u.wait.id;
		p->wait_ms = m->u.wait.wait_ms;
		e->action_get = p;
		return 0;
	}
	case WIRE_ACTION_LIST: {
		Rewind__V1__ActionList *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_list__init(p);
		p->cluster = S(m->u.query.env);
		p->limit = m->u.query.limit;
		e->action_list = p;
		return 0;
	}
	case WIRE_STATUS_GET: {
		Rewind__V1__StatusGet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__status_get__init(p);
		p->env = S(m->u.query.env);
		e->status_get = p;
		return 0;
	}
	default:
		return RW_EINVAL;
	}
}

int
wire_enc_agent(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_AGENT_REPORT:
		return enc_report(x, &m->u.state, e);
	case WIRE_STATUS_OK:
		return enc_status(x, &m->u.state, e);
	case WIRE_AGENT_REPORT_OK:
		return enc_report_ok(x, m, e);
	case WIRE_ACTION_LIST_OK:
		return enc_action_list(x, m, e);
	case WIRE_ACTION_CREATE: {
		Rewind__V1__ActionCreate *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__action_create__init(p);
		if (!(p->action = enc_action(x, &m->u.action)))
			return RW_ENOMEM;
		e->action_create = p;
		return 0;
	}
	case WIRE_ACTION:
		return (e->action = enc_action(x, &m->u.action)) ? 0 : RW_ENOMEM;
	default:
		return enc_small(x, m, e);
	}
}
