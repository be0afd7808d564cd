/*
 * cmd_coord — the incident coordinator's commands: deploy, promote,
 * rollback and hotfix (operations rewindd runs; followed live here, per
 * service: updated/available replicas and health), configuration hotfixes
 * (config set/revert), and the environment and service settings the
 * coordinator uses.  Exit codes say whether the operation succeeded.
 * decide and the incident commands are in cmd_incidents.c.
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

/* "a,b,c" into the request's release list. */
static int
split_releases(const char *v, rw_op_request_t *r)
{
	char buf[2048];
	char *save = NULL, *tok;
	if (!v || CMD_COPY(buf, "release", v))
		return CLI_USAGE;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->nreleases >= RW_OP_REFS_MAX) {
			fprintf(stderr, "error: at most %d releases\n", RW_OP_REFS_MAX);
			return CLI_USAGE;
		}
		if (CMD_COPY(r->releases[r->nreleases], "release", tok))
			return CLI_USAGE;
		r->nreleases++;
	}
	if (r->nreleases == 0) {
		fprintf(stderr, "error: usage: --release SERVICE:VERSION[,SERVICE:VERSION...]\n");
		return CLI_USAGE;
	}
	return 0;
}

/* --- following an operation --------------------------------------------------- */

static bool
op_finished(const rw_operation_t *o)
{
	return !strcmp(o->state, "succeeded") || !strcmp(o->state, "failed");
}

static bool
steps_settled(const rw_operation_t *o)
{
	for (uint32_t i = 0; i < o->nsteps; i++)
		if (strcmp(o->steps[i].state, "done") != 0)
			return false;
	return true;
}

static void
step_line(const rw_op_step_t *s)
{
	printf("  %-18s %-28s %-11s %d/%d updated %d/%d available  %s\n", s->service, s->version,
	       s->state, s->updated, s->replicas, s->available, s->replicas,
	       s->health[0] ? s->health : s->message);
	fflush(stdout);
}

/* Prints what changed since prev (NULL: everything). */
static void
op_progress(const rw_operation_t *prev, const rw_operation_t *o)
{
	if (!prev || strcmp(prev->phase, o->phase) != 0) {
		if (o->phase[0])
			printf("%s\n", o->phase);
	}
	for (uint32_t i = 0; i < o->nsteps; i++) {
		const rw_op_step_t *s = &o->steps[i], *p = prev && i < prev->nsteps ? &prev->steps[i] : NULL;
		if (!p || strcmp(p->state, s->state) || p->updated != s->updated ||
		    p->available != s->available || p->replicas != s->replicas ||
		    strcmp(p->health, s->health) || (!s->health[0] && strcmp(p->message, s->message)) ||
		    p->known_good != s->known_good) {
			if (s->known_good && (!p || !p->known_good))
				printf("  %-18s %-28s known-good (healthy through the observation window)\n",
				       s->service, s->version);
			else
				step_line(s);
		}
	}
	fflush(stdout);
}

static json_t *
op_json(const void *item)
{
	const rw_operation_t *o = item;
	char t[40];
	json_t *steps = json_array();
	for (uint32_t i = 0; i < o->nsteps; i++) {
		const rw_op_step_t *s = &o->steps[i];
		json_array_append_new(steps,
		    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:i,s:i,s:s,s:s,s:I,s:I}", "service",
		              s->service, "version", s->version, "image", s->image, "previousImage",
		              s->previous_image, "state", s->state, "outcome", s->outcome, "knownGood",
		              s->known_good, "updated", s->updated, "available", s->available,
		              "replicas", s->replicas, "health", s->health, "message", s->message,
		              "deployment", (json_int_t)s->deployment_id, "action",
		              (json_int_t)s->action_id));
	}
	json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:i,s:o}", "id",
	                      (json_int_t)o->id, "kind", rw_op_kind_name(o->kind), "env", o->env,
	                      "state", o->state, "reason", o->reason, "overrideGate",
	                      o->override_gate, "warnings", o->warnings, "result", o->result,
	                      "incident", (json_int_t)o->incident_id, "createdBy", o->created_by,
	                      "smokeExitCode", o->smoke_rc, "steps", steps);
	cmd_jset(j, "createdAt", textfmt_time(o->created_at, t, sizeof(t)));
	if (o->finished_at)
		cmd_jset(j, "finishedAt", textfmt_time(o->finished_at, t, sizeof(t)));
	cmd_jset(j, "smokeOutput", o->smoke_output);
	cmd_jset(j, "previous", o->previous);
	return j;
}

static void
op_summary(const rw_operation_t *o)
{
	printf("operation #%lld (%s, %s): %s%s%s\n", (long long)o->id, rw_op_kind_name(o->kind), o->env,
	       !strcmp(o->state, "succeeded") ? "SUCCEEDED" : !strcmp(o->state, "failed") ? "FAILED" : o->state,
	       o->result[0] ? " — " : "", o->result);
	if (o->smoke_rc >= 0)
		printf("smoke test: exit code %d%s%s\n", o->smoke_rc, o->smoke_output[0] ? ", output tail:\n" : "",
		       o->smoke_output);
}

/*
 * Follows op until it finishes and, with observe, until every deployment
 * ends its observation window.  Exit code: 0 succeeded (and known-good),
 * 1 otherwise.
 */
static int
op_follow(struct cli *c, link_t *l, rw_operation_t *o, bool observe, unsigned timeout_s)
{
	int64_t until = rw_now_us() + (int64_t)timeout_s * 1000000;
	rw_operation_t *prev = malloc(sizeof(*prev));
	bool announced = false;
	int rv = 0;

	if (!prev)
		return CLI_FAILED;
	if (!c->json)
		op_progress(NULL, o);
	while (!op_finished(o) || (observe && !strcmp(o->state, "succeeded") && !steps_settled(o))) {
		wire_msg_t *req = wire_msg_new(WIRE_OP_GET, 0), *resp = NULL;
		if (!req) {
			rv = CLI_FAILED;
			break;
		}
		req->u.opget.id = o->id;
		req->u.opget.after_seq = o->seq;
		req->u.opget.wait_ms = 2000;
		rv = client_call(l, req, WIRE_OPERATION, &resp);
		wire_msg_free(req);
		if (rv)
			break;
		*prev = *o;
		*o = resp->u.op;
		wire_msg_free(resp);
		if (!c->json) {
			op_progress(prev, o);
			if (observe && !announced && !strcmp(o->state, "succeeded") && !steps_settled(o)) {
				printf("verified; observing until the observation window ends...\n");
				announced = true;
			}
		}
		if (rw_now_us() > until) {
			fprintf(stderr, "error: operation #%lld still %s after %u s (it goes on in rewindd: "
			                "rewindctl op show %lld --wait)\n",
			        (long long)o->id, o->state, timeout_s, (long long)o->id);
			rv = CLI_FAILED;
			break;
		}
	}
	free(prev);
	if (rv)
		return rv;
	if (c->json)
		cmd_print_json(op_json(o));
	else
		op_summary(o);
	if (strcmp(o->state, "succeeded") != 0)
		return CLI_FAILED;
	for (uint32_t i = 0; observe && i < o->nsteps; i++)
		if (!o->steps[i].known_good) {
			if (!c->json)
				printf("%s:%s failed during its observation window: %s\n", o->steps[i].service,
				       o->steps[i].version, o->steps[i].health);
			return CLI_FAILED;
		}
	return 0;
}

/* Sends OP_START, prints the plan, follows it unless --no-wait. */
static int
op_run(struct cli *c, wire_msg_t *req, bool observe_default)
{
	const char *timeout = cli_get(c, "wait-timeout");
	bool wait = !cli_has(c, "no-wait");
	bool observe = observe_default && !cli_has(c, "no-observe");
	unsigned wait_s = 1800;
	wire_msg_t *resp = NULL;
	link_t *l = NULL;
	int rv;

	if ((timeout && (rv = cli_uint("wait-timeout", timeout, 1, 86400, &wait_s))) ||
	    (rv = cli_check_unused(c, c->words[0])) || (rv = client_connect(c, &l))) {
		wire_msg_free(req);
		return rv;
	}
	rv = client_call(l, req, WIRE_OPERATION, &resp);
	wire_msg_free(req);
	if (rv) {
		link_close(l);
		return rv;
	}
	rw_operation_t *o = malloc(sizeof(*o));
	if (!o) {
		wire_msg_free(resp);
		link_close(l);
		return CLI_FAILED;
	}
	*o = resp->u.op;
	wire_msg_free(resp);
	if (!c->json) {
		printf("operation #%lld queued: %s in %s", (long long)o->id, rw_op_kind_name(o->kind), o->env);
		for (uint32_t i = 0; i < o->nsteps; i++)
			printf("%s%s:%s", i ? ", " : " — ", o->steps[i].service, o->steps[i].version);
		printf("\n");
		for (uint32_t i = 0; i < o->nsteps; i++)
			printf("  %s -> %s\n", o->steps[i].service, o->steps[i].image);
		if (o->warnings[0])
			printf("WARNING: %s\n", o->warnings);
	}
	if (wait)
		rv = op_follow(c, l, o, observe, wait_s);
	else if (c->json)
		cmd_print_json(op_json(o));
	link_close(l);
	free(o);
	return rv;
}

/*
 * deploy --env E and promote --to ENV [--from ENV], as the command was
 * named: the same request, but for where the releases go and where a
 * promotion takes them from.
 */
static int
ship_cmd(struct cli *c)
{
	enum rw_op_kind kind = strcmp(c->words[0], "promote") == 0 ? RW_OP_PROMOTE : RW_OP_DEPLOY;
	const char *where = kind == RW_OP_PROMOTE ? "to" : "env";
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	int rv;
	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = kind;
	r->hotfix = cli_has(c, "hotfix");
	if (c->nwords != 1 || !cli_get(c, where) ||
	    (rv = CMD_COPY(r->env, where, cli_get(c, where))) ||
	    (kind == RW_OP_PROMOTE && (rv = CMD_COPY(r->from_env, "from", cli_get(c, "from")))) ||
	    (rv = split_releases(cli_get(c, "release"), r)) ||
	    (rv = CMD_COPY(r->reason, "reason", cli_get(c, "reason"))) ||
	    (rv = cmd_id_flag(c, "incident", &r->incident_id))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return op_run(c, req, true);
}

static int
rollback_cmd(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	const char *svcs[RW_OP_REFS_MAX];
	size_t ns = cli_get_all(c, "service", svcs, RW_OP_REFS_MAX);
	bool all = cli_has(c, "all");
	int rv = 0;

	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = RW_OP_ROLLBACK;
	for (size_t i = 0; rv == 0 && i < ns; i++)
		rv = CMD_COPY(r->services[r->nservices++], "service", svcs[i]);
	if (rv || c->nwords != 1 || !cli_get(c, "env") || (ns > 0) == all ||
	    (rv = CMD_COPY(r->env, "env", cli_get(c, "env"))) ||
	    (cli_get(c, "to") && (rv = split_releases(cli_get(c, "to"), r))) ||
	    (rv = CMD_COPY(r->reason, "reason", cli_get(c, "reason"))) ||
	    (rv = CMD_COPY(r->override_gate, "override-gate", cli_get(c, "override-gate"))) ||
	    (rv = cmd_id_flag(c, "incident", &r->incident_id)) || !r->reason[0]) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	/* A rollback's verification matters now; its observation window need not be waited for. */
	return op_run(c, req, false);
}

/*
 * The whole hotfix path: deploy the hotfix release to staging (verified and
 * observed until known-good), then promote it to production and observe.
 */
static int
hotfix_cmd(struct cli *c)
{
	const char *rel = cli_get(c, "release"), *inc = cli_get(c, "incident");
	const char *staging = cli_get(c, "staging"), *prod = cli_get(c, "production");
	const char *branch = cli_get(c, "branch-from");
	wire_msg_t *req;
	int64_t id = 0;
	int rv;

	if (c->nwords != 1 || !rel || !inc || cmd_id("incident", inc, &id))
		return cmd_usage_err(c);
	for (int phase = 0; phase < 2; phase++) {
		if (!(req = wire_msg_new(WIRE_OP_START, 0)))
			return CLI_FAILED;
		rw_op_request_t *r = &req->u.opreq;
		r->kind = phase == 0 ? RW_OP_DEPLOY : RW_OP_PROMOTE;
		r->hotfix = true;
		r->incident_id = id;
		if ((rv = split_releases(rel, r)) ||
		    (rv = CMD_COPY(r->env, "env", phase == 0 ? (staging ? staging : "staging")
		                                         : (prod ? prod : "production"))) ||
		    (phase == 1 && (rv = CMD_COPY(r->from_env, "staging", staging ? staging : "staging"))) ||
		    (rv = CMD_COPY(r->branch_from, "branch-from", branch))) {
			wire_msg_free(req);
			return rv;
		}
		snprintf(r->reason, sizeof(r->reason), "hotfix for incident #%lld%s%.64s",
		         (long long)id, branch ? ", branched from " : "", branch ? branch : "");
		if (!c->json)
			printf("== hotfix step %d/2: %s %s\n", phase + 1,
			       phase == 0 ? "deploy to" : "promote to", r->env);
		if ((rv = op_run(c, req, true)) != 0)
			return rv;
	}
	return 0;
}

static int
op_show(struct cli *c)
{
	wire_msg_t *req, *resp = NULL;
	link_t *l = NULL;
	int64_t id;
	int rv;

	if (c->nwords != 3 || cmd_id("id", c->words[2], &id))
		return cmd_usage_err(c);
	if (!(req = wire_msg_new(WIRE_OP_GET, 0)))
		return CLI_FAILED;
	req->u.opget.id = id;
	/* Read before cli_check_unused(), which rejects flags nobody asked about. */
	bool wait = cli_has(c, "wait");
	if ((rv = cli_check_unused(c, "op show")) || (rv = client_connect(c, &l)) ||
	    (rv = client_call(l, req, WIRE_OPERATION, &resp))) {
		wire_msg_free(req);
		link_close(l);
		return rv;
	}
	wire_msg_free(req);
	rw_operation_t *o = malloc(sizeof(*o));
	if (o) {
		*o = resp->u.op;
		if (wait)
			rv = op_follow(c, l, o, true, 1800);
		else if (c->json)
			cmd_print_json(op_json(o));
		else {
			op_summary(o);
			for (uint32_t i = 0; i < o->nsteps; i++)
				step_line(&o->steps[i]);
		}
	}
	free(o);
	wire_msg_free(resp);
	link_close(l);
	return o ? rv : CLI_FAILED;
}

static void
op_row(textfmt_table_t *t, const void *item)
{
	const rw_operation_t *o = item;
	char id[CMD_INT_TEXT_MAX], svcs[600] = "";
	size_t n = 0;
	for (uint32_t k = 0; k < o->nsteps && n < sizeof(svcs); k++)
		n += (size_t)snprintf(svcs + n, sizeof(svcs) - n, "%s%s:%s", k ? "," : "",
		                      o->steps[k].service, o->steps[k].version);
	const char *row[] = {cmd_int_text(o->id, id), rw_op_kind_name(o->kind), o->env, o->state,
	                     o->created_by, svcs[0] ? svcs : o->configmap,
	                     o->result[0] ? o->result : "-"};
	textfmt_table_add(t, row);
}

static int
op_list(struct cli *c)
{
	static const char *const h[] = {"ID", "KIND", "ENV", "STATE", "BY", "SERVICES", "RESULT"};
	static const struct cmd_list l = {7, h, op_json, op_row};
	return cmd_list_env(c, "op list", WIRE_OP_LIST, WIRE_OP_LIST_OK, &l,
	                    sizeof(rw_operation_t));
}

/* --- configuration hotfix ---------------------------------------------------------- */

static int
config_set(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = RW_OP_CONFIG_SET;
	if (c->nwords < 3 || c->nwords - 2 > RW_KV_MAX || !cli_get(c, "env") ||
	    CMD_COPY(r->env, "env", cli_get(c, "env")) ||
	    CMD_COPY(r->configmap, "configmap", cli_get(c, "configmap")) ||
	    CMD_COPY(r->namespace_, "namespace", cli_get(c, "namespace")) ||
	    CMD_COPY(r->reason, "reason", cli_get(c, "reason")) || cmd_id_flag(c, "incident", &r->incident_id)) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	for (size_t i = 2; i < c->nwords; i++) {
		const char *w = c->words[i], *eq = strchr(w, '=');
		rw_kv_t *kv = &r->kv[r->nkv++];
		if (!eq || eq == w || (size_t)(eq - w) > RW_KV_KEY_MAX ||
		    rw_strcpy(kv->value, sizeof(kv->value), eq + 1)) {
			wire_msg_free(req);
			fprintf(stderr, "error: \"%.60s\" is not KEY=VALUE\n", w);
			return CLI_USAGE;
		}
		snprintf(kv->key, sizeof(kv->key), "%.*s", (int)(eq - w), w);
	}
	return op_run(c, req, false);
}

static int
config_revert(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	const char *id = cli_get(c, "id");
	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = RW_OP_CONFIG_REVERT;
	if (c->nwords != 2 || !cli_get(c, "env") || CMD_COPY(r->env, "env", cli_get(c, "env")) ||
	    (id && cmd_id("id", id, &r->revert_id)) || cmd_id_flag(c, "incident", &r->incident_id) ||
	    CMD_COPY(r->reason, "reason", cli_get(c, "reason"))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return op_run(c, req, false);
}

/* --- settings ------------------------------------------------------------------------ */

static const char *const env_setting_flags[] = {"observe-seconds", "verify-seconds", "action-timeout",
                                                "smoke-command",   "smoke-timeout",  "auto-rollback",
                                                "webhook-url",     "webhook-format", "promote-from",
                                                NULL};

static int
settings_print(struct cli *c, wire_msg_t *resp)
{
	const rw_settings_t *s = &resp->u.settings;
	if (c->json) {
		json_t *j = json_object();
		for (uint32_t i = 0; i < s->n; i++)
			json_object_set_new(j, s->items[i].key, json_string(s->items[i].value));
		cmd_print_json(j);
	} else {
		printf("%s/%s\n", s->scope, s->name);
		for (uint32_t i = 0; i < s->n; i++)
			printf("  %-18s %s\n", s->items[i].key, s->items[i].value);
	}
	wire_msg_free(resp);
	return 0;
}

static int
settings_send(struct cli *c, wire_msg_t *req, const char *cmd)
{
	wire_msg_t *resp = NULL;
	int rv;
	if ((rv = cli_check_unused(c, cmd))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_SETTINGS, &resp)))
		return rv;
	return settings_print(c, resp);
}

static int
add_setting(rw_settings_t *s, const char *key, const char *value)
{
	if (s->n >= RW_SETTINGS_MAX || CMD_COPY(s->items[s->n].key, "setting", key) ||
	    CMD_COPY(s->items[s->n].value, key, value))
		return CLI_USAGE;
	s->n++;
	return 0;
}

/*
 * A SETTINGS request of kind for SCOPE NAME, NAME being the third of
 * nwords words; *out is owned by the caller.
 */
static int
settings_new(struct cli *c, enum wire_kind kind, const char *scope, size_t nwords,
             wire_msg_t **out)
{
	wire_msg_t *req = wire_msg_new(kind, 0);

	*out = NULL;
	if (!req)
		return CLI_FAILED;
	(void)RW_STRCPY(req->u.settings.scope, scope);
	if (c->nwords != nwords || CMD_COPY(req->u.settings.name, scope, c->words[2])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	*out = req;
	return 0;
}

/* SCOPE NAME VALUE: the one setting key set to the fourth word. */
static int
settings_word(struct cli *c, const char *scope, const char *key, const char *cmd)
{
	wire_msg_t *req;
	int rv;

	if ((rv = settings_new(c, WIRE_SETTINGS_SET, scope, 4, &req)) != 0)
		return rv;
	if (add_setting(&req->u.settings, key, c->words[3])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, cmd);
}

static int
env_set(struct cli *c)
{
	wire_msg_t *req;
	int rv;

	if ((rv = settings_new(c, WIRE_SETTINGS_SET, "env", 3, &req)) != 0)
		return rv;
	for (size_t i = 0; env_setting_flags[i]; i++) {
		const char *v = cli_get(c, env_setting_flags[i]);
		if (v && add_setting(&req->u.settings, env_setting_flags[i], v)) {
			wire_msg_free(req);
			return CLI_USAGE;
		}
	}
	return settings_send(c, req, "env set");
}

/* env set-smoke E --command CMD [--timeout-seconds S]: the two smoke settings. */
static int
env_set_smoke(struct cli *c)
{
	const char *t = cli_get(c, "timeout-seconds");
	wire_msg_t *req;
	int rv;

	if ((rv = settings_new(c, WIRE_SETTINGS_SET, "env", 3, &req)) != 0)
		return rv;
	if (!cli_get(c, "command") ||
	    add_setting(&req->u.settings, "smoke-command", cli_get(c, "command")) ||
	    (t && add_setting(&req->u.settings, "smoke-timeout", t))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, "env set-smoke");
}

static int
env_set_auto(struct cli *c)
{
	return settings_word(c, "env", "auto-rollback", "env set-auto-rollback");
}

static int
env_show(struct cli *c)
{
	wire_msg_t *req;
	int rv = settings_new(c, WIRE_SETTINGS_GET, "env", 3, &req);
	return rv ? rv : settings_send(c, req, "env show");
}

static int
service_set_order(struct cli *c)
{
	return settings_word(c, "service", "order", "service set-order");
}

const struct cmd cmds_coord[] = {
    {"deploy", NULL, ship_cmd, "deploy releases to an environment, verified and observed (operator)",
     "Usage: rewindctl deploy --env E --release SERVICE:VERSION[,SERVICE:VERSION...]\n"
     "                        [--reason T] [--incident ID] [--hotfix] [--no-wait | --no-observe]\n\n"
     "rewindd sends a digest-pinned set-image per service in deploy order (service set-order),\n"
     "follows each rollout, checks health (pods ready, probes and public URL as the agents\n"
     "report them), runs the environment's smoke test, and observes the deployment for the\n"
     "environment's observation window: then it is known-good.  Exit 0 only when all of that\n"
     "passed (--no-observe: when verified).\n"},
    {"promote", NULL, ship_cmd, "deploy releases proven on staging to another environment (operator)",
     "Usage: rewindctl promote --release SERVICE:VERSION[,...] --to ENV [--from ENV]\n\n"
     "Refused unless every release is known-good on --from (default: the target's promote-from\n"
     "setting, staging).\n"},
    {"rollback", NULL, rollback_cmd, "return services to their last known-good release (operator)",
     "Usage: rewindctl rollback --env E (--service S... | --all) [--to SERVICE:VERSION[,...]]\n"
     "                          --reason TEXT [--override-gate REASON] [--incident ID]\n\n"
     "Gates: the latest backup of E must be verified; a release whose migrations are not\n"
     "backwards compatible blocks rolling back past it.  --override-gate records why they\n"
     "are overridden.  One change at a time per service and environment.\n"},
    {"hotfix", NULL, hotfix_cmd, "ship a hotfix release through staging to production (operator)",
     "Usage: rewindctl hotfix --incident ID --release SERVICE:VERSION[,...] [--branch-from COMMIT]\n"
     "                        [--staging ENV] [--production ENV]\n\n"
     "Deploys to staging and waits for known-good, then promotes to production and observes;\n"
     "both operations are recorded on the incident.\n"},
    {"op", "show", op_show, "show an operation (--wait follows it)", "Usage: rewindctl op show ID [--wait]\n"},
    {"op", "list", op_list, "list operations, newest first", "Usage: rewindctl op list [--env E]\n"},
    {0},
};

const struct cmd cmds_coord_config[] = {
    {"config", "set", config_set, "configuration hotfix: set ConfigMap keys (operator)",
     "Usage: rewindctl config set --env E --configmap NAME [--namespace NS] KEY=VALUE...\n"
     "                            [--reason T] [--incident ID]\n\n"
     "Applied by an agent; the previous values are recorded for config revert.\n"},
    {"config", "revert", config_revert, "restore the values before the last config set (operator)",
     "Usage: rewindctl config revert --env E [--id OPERATION] [--incident ID]\n"},
    {"env", "set", env_set, "coordinator settings of an environment (admin)",
     "Usage: rewindctl env set ENV [--observe-seconds N] [--verify-seconds N] [--action-timeout N]\n"
     "                        [--smoke-command CMD] [--smoke-timeout N] [--auto-rollback on|off]\n"
     "                        [--webhook-url URL] [--webhook-format slack|generic] [--promote-from ENV]\n"},
    {"env", "set-smoke", env_set_smoke, "set the smoke-test command (admin)",
     "Usage: rewindctl env set-smoke ENV --command CMD [--timeout-seconds S]\n"},
    {"env", "set-auto-rollback", env_set_auto, "opt an environment in or out of automatic rollback (admin)",
     "Usage: rewindctl env set-auto-rollback ENV on|off\n"},
    {"env", "show", env_show, "an environment's coordinator settings", "Usage: rewindctl env show ENV\n"},
    {"service", "set-order", service_set_order, "deploy order of a service, lower first (admin)",
     "Usage: rewindctl service set-order SERVICE N\n"},
    {0},
};
