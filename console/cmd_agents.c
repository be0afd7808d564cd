/*
 * cmd_agents — console commands over what the agents see and do: status
 * (deployments, pods and health across clusters, like `kubectl get
 * deploy,po` for every environment at once) and actions (set-image and
 * patch-configmap, queued for an agent of the target cluster, optionally
 * followed to the end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "cmds.h"
#include "domain.h"
#include "err.h"
#include "textfmt.h"

/* --- status ---------------------------------------------------------------------- */

static const rw_probe_result_t *
probe_for(const struct wire_state *st, const char *subject)
{
	for (size_t i = 0; i < st->nprobes; i++)
		if (strcmp(st->probes[i].subject, subject) == 0)
			return &st->probes[i];
	return NULL;
}

static const char *
health_text(const rw_probe_result_t *p, char *buf, size_t cap)
{
	if (!p)
		snprintf(buf, cap, "-");
	else if (p->ok)
		snprintf(buf, cap, "ok %d %dms", p->http_status, p->latency_ms);
	else if (p->http_status)
		snprintf(buf, cap, "FAIL %d %.60s", p->http_status, p->error);
	else
		snprintf(buf, cap, "FAIL %.70s", p->error);
	return buf;
}

static void
rollout_text(const rw_deploy_state_t *d, char *buf, size_t cap)
{
	if (strcmp(d->progressing_reason, "ProgressDeadlineExceeded") == 0)
		snprintf(buf, cap, "FAILED (progress deadline exceeded)");
	else if (d->observed_generation < d->generation)
		snprintf(buf, cap, "waiting for spec update");
	else if (d->updated < d->replicas)
		snprintf(buf, cap, "rolling out: %d/%d updated", d->updated, d->replicas);
	else if (d->available < d->updated)
		snprintf(buf, cap, "rolling out: %d/%d available", d->available, d->updated);
	else
		snprintf(buf, cap, "complete");
}

static void
status_deploys(const struct wire_state *st, const char *cluster)
{
	static const char *h[] = {"DEPLOYMENT", "DESIRED IMAGE", "READY", "UP-TO-DATE", "AVAILABLE",
	                          "ROLLOUT"};
	textfmt_table_t *t = textfmt_table_new(6, h);
	for (size_t i = 0; t && i < st->ndeploys; i++) {
		const rw_deploy_state_t *d = &st->deploys[i];
		char name[400], ready[32], upd[16], av[16], ro[96];
		if (strcmp(d->cluster, cluster) != 0)
			continue;
		snprintf(name, sizeof(name), "%s/%s", d->namespace_, d->name);
		snprintf(ready, sizeof(ready), "%d/%d", d->ready, d->replicas);
		snprintf(upd, sizeof(upd), "%d", d->updated);
		snprintf(av, sizeof(av), "%d", d->available);
		rollout_text(d, ro, sizeof(ro));
		const char *row[] = {name, d->ncontainers ? d->containers[0].image : "-", ready, upd,
		                     av, ro};
		textfmt_table_add(t, row);
	}
	cmd_table_done(t);
}

static void
pod_status(const rw_pod_state_t *p, char *status, size_t scap, char *ready, size_t rcap,
           int *restarts)
{
	int nready = 0;
	*restarts = 0;
	snprintf(status, scap, "%s", p->phase[0] ? p->phase : "Unknown");
	for (uint32_t k = 0; k < p->ncontainers; k++) {
		nready += p->containers[k].ready;
		*restarts += p->containers[k].restarts;
		if (p->containers[k].waiting_reason[0])
			snprintf(status, scap, "%s", p->containers[k].waiting_reason);
	}
	snprintf(ready, rcap, "%d/%u", nready, p->ncontainers);
}

static void
status_pods(const struct wire_state *st, const char *cluster)
{
	static const char *h[] = {"POD", "NODE", "READY", "STATUS", "RESTARTS", "IMAGE", "HEALTH"};
	textfmt_table_t *t = textfmt_table_new(7, h);
	for (size_t i = 0; t && i < st->npods; i++) {
		const rw_pod_state_t *p = &st->pods[i];
		char name[400], status[80], ready[16], rs[16], health[128];
		int restarts;
		if (strcmp(p->cluster, cluster) != 0)
			continue;
		snprintf(name, sizeof(name), "%s/%s", p->namespace_, p->name);
		pod_status(p, status, sizeof(status), ready, sizeof(ready), &restarts);
		snprintf(rs, sizeof(rs), "%d", restarts);
		const char *row[] = {name, p->node, ready, status, rs,
		                     p->ncontainers ? p->containers[0].image : "-",
		                     health_text(probe_for(st, p->name), health, sizeof(health))};
		textfmt_table_add(t, row);
	}
	cmd_table_done(t);
}

static void
status_env(const struct wire_state *st, const rw_env_t *e)
{
	size_t agents = 0, live = 0;
	char health[128];
	for (size_t i = 0; i < st->nagents; i++) {
		if (strcmp(st->agents[i].cluster, e->cluster) != 0)
			continue;
		agents++;
		live += st->agents[i].connected;
	}
	printf("ENVIRONMENT %s   cluster %s   agents %zu/%zu reporting\n", e->name, e->cluster, live,
	       agents);
	if (e->health_url[0])
		printf("public health %s   %s\n", e->health_url,
		       health_text(probe_for(st, e->health_url), health, sizeof(health)));
	putchar('\n');
	status_deploys(st, e->cluster);
	putchar('\n');
	status_pods(st, e->cluster);
}

static json_t *
status_json(const struct wire_state *st)
{
	json_t *o = json_object(), *a;
	char when[40];

	a = json_array();
	for (size_t i = 0; i < st->nenvs; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", st->envs[i].name,
		                                   "cluster", st->envs[i].cluster, "healthUrl",
		                                   st->envs[i].health_url));
	json_object_set_new(o, "environments", a);
	a = json_array();
	for (size_t i = 0; i < st->ndeploys; i++) {
		const rw_deploy_state_t *d = &st->deploys[i];
		json_t *imgs = json_object();
		for (uint32_t k = 0; k < d->ncontainers; k++)
			json_object_set_new(imgs, d->containers[k].name, json_string(d->containers[k].image));
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:o,s:I,s:I,s:i,s:i,s:i,s:i,s:s}", "cluster", d->cluster,
		                 "namespace", d->namespace_, "name", d->name, "images", imgs,
		                 "generation", (json_int_t)d->generation, "observedGeneration",
		                 (json_int_t)d->observed_generation, "replicas", d->replicas,
		                 "updated", d->updated, "ready", d->ready, "available", d->available,
		                 "progressing", d->progressing_reason));
	}
	json_object_set_new(o, "deployments", a);
	a = json_array();
	for (size_t i = 0; i < st->npods; i++) {
		const rw_pod_state_t *p = &st->pods[i];
		json_t *cs = json_array();
		for (uint32_t k = 0; k < p->ncontainers; k++) {
			const rw_container_state_t *c = &p->containers[k];
			json_array_append_new(cs, json_pack("{s:s,s:s,s:s,s:b,s:i,s:s}", "name", c->name,
			                                    "image", c->image, "digest", c->image_digest,
			                                    "ready", c->ready, "restarts", c->restarts,
			                                    "waitingReason", c->waiting_reason));
		}
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:o}", "cluster",
		                                   p->cluster, "node", p->node, "namespace",
		                                   p->namespace_, "name", p->name, "deployment",
		                                   p->deployment, "phase", p->phase, "ready", p->ready,
		                                   "containers", cs));
	}
	json_object_set_new(o, "pods", a);
	a = json_array();
	for (size_t i = 0; i < st->nprobes; i++) {
		const rw_probe_result_t *p = &st->probes[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:i,s:i,s:s,s:s}", "subject",
		                                   p->subject, "url", p->url, "ok", p->ok, "status",
		                                   p->http_status, "latencyMs", p->latency_ms, "error",
		                                   p->error, "at",
		                                   textfmt_time(p->at, when, sizeof(when))));
	}
	json_object_set_new(o, "health", a);
	a = json_array();
	for (size_t i = 0; i < st->nagents; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b}", "name", st->agents[i].name,
		                                   "cluster", st->agents[i].cluster, "node",
		                                   st->agents[i].node, "reporting",
		                                   st->agents[i].connected));
	json_object_set_new(o, "agents", a);
	return o;
}

/*
 * A request of kind for a command of nwords words, with the optional --flag
 * (an environment or cluster name) in query.env; *out owned by the caller.
 */
static int
query_new(struct cli *c, enum wire_kind kind, size_t nwords, const char *flag, wire_msg_t **out)
{
	const char *v = cli_get(c, flag);
	wire_msg_t *req = wire_msg_new(kind, 0);

	*out = NULL;
	if (!req)
		return CLI_FAILED;
	if (c->nwords != nwords ||
	    (v && rw_strcpy(req->u.query.env, sizeof(req->u.query.env), v))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	*out = req;
	return 0;
}

static int
status_cmd(struct cli *c)
{
	wire_msg_t *req, *resp;
	int rv;

	if ((rv = query_new(c, WIRE_STATUS_GET, 1, "env", &req)) != 0)
		return rv;
	if ((rv = cli_check_unused(c, "status")) != 0) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_STATUS_OK, &resp)) != 0)
		return rv;
	if (c->json) {
		cmd_print_json(status_json(&resp->u.state));
	} else {
		for (size_t i = 0; i < resp->u.state.nenvs; i++) {
			if (i)
				printf("\n");
			status_env(&resp->u.state, &resp->u.state.envs[i]);
		}
	}
	wire_msg_free(resp);
	return 0;
}

/* --- actions ----------------------------------------------------------------------- */

static json_t *
action_json(const void *item)
{
	const rw_action_t *a = item;
	char when[40];
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)a->id, "kind",
	                      rw_action_kind_name(a->kind), "state", rw_action_state_name(a->state),
	                      "cluster", a->cluster, "namespace", a->namespace_, "name", a->name);
	if (a->kind == RW_ACTION_SET_IMAGE) {
		json_object_set_new(o, "container", json_string(a->container));
		json_object_set_new(o, "image", json_string(a->image));
	} else {
		json_t *d = json_object();
		for (uint32_t i = 0; i < a->nkv; i++)
			json_object_set_new(d, a->kv[i].key, json_string(a->kv[i].value));
		json_object_set_new(o, "data", d);
	}
	json_object_set_new(o, "owner", json_string(a->owner));
	json_object_set_new(o, "attempts", json_integer(a->attempts));
	json_object_set_new(o, "result", json_string(a->result));
	json_object_set_new(o, "previous", json_string(a->previous));
	json_object_set_new(o, "createdBy", json_string(a->created_by));
	json_object_set_new(o, "createdAt", json_string(textfmt_time(a->created_at, when, sizeof(when))));
	if (a->finished_at)
		json_object_set_new(o, "finishedAt",
		                    json_string(textfmt_time(a->finished_at, when, sizeof(when))));
	return o;
}

static bool
finished(const rw_action_t *a)
{
	return a->state == RW_ACTION_SUCCEEDED || a->state == RW_ACTION_FAILED ||
	       a->state == RW_ACTION_CANCELLED;
}

static void
action_print(const rw_action_t *a)
{
	printf("action/%lld %s %s/%s on cluster %s: %s%s%s\n", (long long)a->id,
	       rw_action_kind_name(a->kind), a->namespace_, a->name, a->cluster,
	       rw_action_state_name(a->state), a->result[0] ? " — " : "", a->result);
}

/*
 * Follows an action until it finishes: long polls of up to a second, so
 * progress (the agent's last message) is printed as it changes.
 */
static int
action_follow(struct cli *c, link_t *l, rw_action_t *a, unsigned timeout_s)
{
	char last[RW_TEXT_MAX + 1] = "";
	int64_t until = rw_now_us() + (int64_t)timeout_s * 1000000;
	int rv;

	while (!finished(a)) {
		wire_msg_t *req = wire_msg_new(WIRE_ACTION_GET, 0), *resp = NULL;
		if (!req)
			return CLI_FAILED;
		req->u.wait.id = a->id;
		req->u.wait.wait_ms = 1000;
		rv = client_call(l, req, WIRE_ACTION, &resp);
		wire_msg_free(req);
		if (rv != 0)
			return rv;
		*a = resp->u.action;
		wire_msg_free(resp);
		if (!c->json && strcmp(last, a->result) != 0 && a->result[0] && !finished(a)) {
			printf("  %s%s%s\n", a->owner[0] ? a->owner : "", a->owner[0] ? ": " : "", a->result);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", a->result);
		}
		if (!finished(a) && rw_now_us() > until) {
			fprintf(stderr, "error: action/%lld still %s after %us\n", (long long)a->id,
			        rw_action_state_name(a->state), timeout_s);
			return CLI_FAILED;
		}
	}
	return 0;
}

/* --cluster, or the cluster of --env (one env lookup). */
static int
resolve_cluster(struct cli *c, link_t *l, char *cluster, size_t cap)
{
	const char *cl = cli_get(c, "cluster"), *env = cli_get(c, "env");
	wire_msg_t *req, *resp = NULL;
	int rv = CLI_NOTFOUND;

	if (cl)
		return rw_strcpy(cluster, cap, cl) ? CLI_USAGE : 0;
	if (!env) {
		fprintf(stderr, "error: give --env ENV or --cluster CLUSTER\n");
		return CLI_USAGE;
	}
	if (!(req = wire_msg_new(WIRE_ENV_LIST, 0)))
		return CLI_FAILED;
	if ((rv = client_call(l, req, WIRE_ENV_LIST_OK, &resp)) == 0) {
		const rw_env_t *e = resp->u.list.items;
		rv = CLI_NOTFOUND;
		for (size_t i = 0; i < resp->u.list.n; i++)
			if (strcmp(e[i].name, env) == 0)
				rv = rw_strcpy(cluster, cap, e[i].cluster) ? CLI_FAILED : 0;
		if (rv == CLI_NOTFOUND)
			fprintf(stderr, "error: environment \"%s\" not found\n", env);
	}
	wire_msg_free(req);
	wire_msg_free(resp);
	return rv;
}

static int
parse_kv(const char *word, rw_kv_t *kv)
{
	const char *eq = strchr(word, '=');
	if (!eq || eq == word) {
		fprintf(stderr, "error: \"%s\" is not KEY=VALUE\n", word);
		return CLI_USAGE;
	}
	if ((size_t)(eq - word) > RW_KV_KEY_MAX || rw_strcpy(kv->value, sizeof(kv->value), eq + 1)) {
		fprintf(stderr, "error: \"%.40s...\" is too long\n", word);
		return CLI_USAGE;
	}
	snprintf(kv->key, sizeof(kv->key), "%.*s", (int)(eq - word), word);
	return 0;
}

static int
action_fill(struct cli *c, rw_action_t *a, bool set_image)
{
	const char *ns = cli_get(c, "namespace");
	const char *name = cli_get(c, set_image ? "deployment" : "configmap");
	const char *deadline = cli_get(c, "deadline");
	unsigned secs = 600;

	a->kind = set_image ? RW_ACTION_SET_IMAGE : RW_ACTION_PATCH_CONFIGMAP;
	if (rw_strcpy(a->namespace_, sizeof(a->namespace_), ns ? ns : "default") ||
	    rw_strcpy(a->name, sizeof(a->name), name ? name : "")) {
		fprintf(stderr, "error: --namespace or name too long\n");
		return CLI_USAGE;
	}
	if (deadline && cli_uint("deadline", deadline, 1, 86400, &secs) != 0)
		return CLI_USAGE;
	a->deadline = rw_now_us() + (int64_t)secs * 1000000;
	if (set_image) {
		const char *ctr = cli_get(c, "container"), *img = cli_get(c, "image");
		if (rw_strcpy(a->container, sizeof(a->container), ctr ? ctr : (name ? name : "")) ||
		    rw_strcpy(a->image, sizeof(a->image), img ? img : "")) {
			fprintf(stderr, "error: --container or --image too long\n");
			return CLI_USAGE;
		}
		return c->nwords == 2 ? 0 : cmd_usage_err(c);
	}
	if (c->nwords < 3 || c->nwords - 2 > RW_KV_MAX)
		return cmd_usage_err(c);
	for (size_t i = 2; i < c->nwords; i++)
		if (parse_kv(c->words[i], &a->kv[a->nkv++]) != 0)
			return CLI_USAGE;
	return 0;
}

static int
action_create_cmd(struct cli *c, bool set_image)
{
	wire_msg_t *req = wire_msg_new(WIRE_ACTION_CREATE, 0), *resp = NULL;
	bool wait = cli_has(c, "wait");
	const char *timeout = cli_get(c, "wait-timeout");
	unsigned wait_s = 900;
	char msg[256];
	link_t *l = NULL;
	int rv;

	if (!req)
		return CLI_FAILED;
	rw_action_t *a = &req->u.action;
	if ((rv = action_fill(c, a, set_image)) ||
	    (timeout && (rv = cli_uint("wait-timeout", timeout, 1, 86400, &wait_s))) ||
	    (rv = client_connect(c, &l)) ||
	    (rv = resolve_cluster(c, l, a->cluster, sizeof(a->cluster))) ||
	    (rv = cli_check_unused(c, set_image ? "action set-image" : "action patch-configmap")))
		goto out;
	if (rw_action_check(a, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "error: %s\n", msg);
		rv = CLI_USAGE;
		goto out;
	}
	if ((rv = client_call(l, req, WIRE_ACTION, &resp)) != 0)
		goto out;
	rw_action_t got = resp->u.action;
	if (!c->json)
		printf("action/%lld queued for cluster %s\n", (long long)got.id, got.cluster);
	if (wait && (rv = action_follow(c, l, &got, wait_s)) != 0)
		goto out;
	if (c->json)
		cmd_print_json(action_json(&got));
	else if (wait)
		action_print(&got);
	rv = !wait || got.state == RW_ACTION_SUCCEEDED ? 0 : CLI_FAILED;
out:
	link_close(l);
	wire_msg_free(req);
	wire_msg_free(resp);
	return rv;
}

static int
action_set_image(struct cli *c)
{
	return action_create_cmd(c, true);
}

static int
action_patch_configmap(struct cli *c)
{
	return action_create_cmd(c, false);
}

static int
action_show(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_ACTION_GET, 0), *resp = NULL;
	link_t *l = NULL;
	int rv;

	if (!req)
		return CLI_FAILED;
	if (c->nwords != 3) {
		rv = cmd_usage_err(c);
		goto out;
	}
	if ((rv = cmd_id("id", c->words[2], &req->u.wait.id)) ||
	    (rv = cli_check_unused(c, "action show")) || (rv = client_connect(c, &l)))
		goto out;
	if ((rv = client_call(l, req, WIRE_ACTION, &resp)) != 0)
		goto out;
	rw_action_t a = resp->u.action;
	if (cli_has(c, "wait") && (rv = action_follow(c, l, &a, 900)) != 0)
		goto out;
	if (c->json)
		cmd_print_json(action_json(&a));
	else
		action_print(&a);
out:
	link_close(l);
	wire_msg_free(req);
	wire_msg_free(resp);
	return rv;
}

static void
action_row(textfmt_table_t *t, const void *item)
{
	const rw_action_t *a = item;
	char id[CMD_INT_TEXT_MAX], tgt[400];
	snprintf(tgt, sizeof(tgt), "%s/%s", a->namespace_, a->name);
	const char *row[] = {cmd_int_text(a->id, id), rw_action_kind_name(a->kind), a->cluster, tgt,
	                     rw_action_state_name(a->state), a->owner[0] ? a->owner : "-",
	                     a->result[0] ? a->result : "-"};
	textfmt_table_add(t, row);
}

static int
action_list(struct cli *c)
{
	static const char *const h[] = {"ID",    "KIND",  "CLUSTER", "TARGET",
	                                "STATE", "AGENT", "RESULT"};
	static const struct cmd_list l = {7, h, action_json, action_row};
	wire_msg_t *req, *resp;
	int rv;

	if ((rv = query_new(c, WIRE_ACTION_LIST, 2, "cluster", &req)) != 0)
		return rv;
	if ((rv = cmd_limit(c, &req->u.query.limit)) || (rv = cli_check_unused(c, "action list"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_ACTION_LIST_OK, &resp)) != 0)
		return rv;
	cmd_print_list(c, &l, resp->u.list.items, resp->u.list.n, sizeof(rw_action_t));
	wire_msg_free(resp);
	return 0;
}

const struct cmd cmds_agents[] = {
    {"status", NULL, status_cmd, "deployments, pods and health per environment",
     "Usage: rewindctl status [--env E] [-o table|json]\n\n"
     "What the agents report: for each environment, every Deployment's desired image and\n"
     "rollout, every pod with its node, readiness, restarts and health probe, and the\n"
     "environment's public health URL.\n"},
    {"action", "set-image", action_set_image, "set a container's image through an agent (operator)",
     "Usage: rewindctl action set-image (--env E | --cluster C) [--namespace NS] --deployment D\n"
     "                                  [--container C] --image IMAGE [--deadline SECONDS]\n"
     "                                  [--wait [--wait-timeout SECONDS]]\n\n"
     "Queues what `kubectl set image` + `kubectl rollout status` do, for one agent of the\n"
     "cluster.  --wait follows the rollout; the exit code says whether it succeeded.\n"},
    {"action", "patch-configmap", action_patch_configmap, "set ConfigMap keys through an agent (operator)",
     "Usage: rewindctl action patch-configmap (--env E | --cluster C) [--namespace NS]\n"
     "                                        --configmap NAME KEY=VALUE... [--wait]\n\n"
     "The action's result keeps the previous values, so they can be restored.\n"},
    {"action", "show", action_show, "show one action", "Usage: rewindctl action show ID [--wait] [-o table|json]\n"},
    {"action", "list", action_list, "list actions, newest first",
     "Usage: rewindctl action list [--cluster C] [--limit N] [-o table|json]\n"},
    {0},
};
