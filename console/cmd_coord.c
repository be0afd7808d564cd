/*
 * cmd_coord — the incident coordinator's commands: deploy, promote,
 * rollback and hotfix (operations rewindd runs; followed live here, per
 * service: updated/available replicas and health), decide (the runbook's
 * decision tree), incidents and their report, configuration hotfixes
 * (config set/revert), and the environment and service settings the
 * coordinator uses.  Exit codes say whether the operation succeeded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "cmds.h"
#include "domain.h"
#include "err.h"
#include "textfmt.h"

static int
usage_err(const char *usage)
{
	fprintf(stderr, "error: usage: %s\n", usage);
	return CLI_USAGE;
}

static int
copy(char *dst, size_t cap, const char *flag, const char *v)
{
	if (rw_strcpy(dst, cap, v ? v : "") != 0) {
		fprintf(stderr, "error: --%s is too long (at most %zu bytes)\n", flag, cap - 1);
		return CLI_USAGE;
	}
	return 0;
}
#define COPY(dst, flag, v) copy((dst), sizeof(dst), (flag), (v))

static int
parse_id(const char *what, const char *v, int64_t *out)
{
	unsigned id = 0;
	if (!v || cli_uint(what, v, 1, 2000000000u, &id) != 0)
		return CLI_USAGE;
	*out = id;
	return 0;
}

/* "a,b,c" into the request's release list. */
static int
split_releases(const char *v, rw_op_request_t *r)
{
	char buf[2048];
	char *save = NULL, *tok;
	if (!v || COPY(buf, "release", v))
		return CLI_USAGE;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->nreleases >= RW_OP_REFS_MAX) {
			fprintf(stderr, "error: at most %d releases\n", RW_OP_REFS_MAX);
			return CLI_USAGE;
		}
		if (COPY(r->releases[r->nreleases], "release", tok))
			return CLI_USAGE;
		r->nreleases++;
	}
	return r->nreleases ? 0 : usage_err("--release SERVICE:VERSION[,SERVICE:VERSION...]");
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
op_json(const rw_operation_t *o)
{
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

static int
incident_flag(struct cli *c, int64_t *id)
{
	const char *v = cli_get(c, "incident");
	*id = 0;
	return v ? parse_id("incident", v, id) : 0;
}

static int
deploy_cmd(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	int rv;
	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = RW_OP_DEPLOY;
	r->hotfix = cli_has(c, "hotfix");
	if (c->nwords != 1 || !cli_get(c, "env") ||
	    (rv = COPY(r->env, "env", cli_get(c, "env"))) ||
	    (rv = split_releases(cli_get(c, "release"), r)) ||
	    (rv = COPY(r->reason, "reason", cli_get(c, "reason"))) ||
	    (rv = incident_flag(c, &r->incident_id))) {
		wire_msg_free(req);
		return usage_err("rewindctl deploy --env E --release SERVICE:VERSION[,...] [--reason T] "
		                 "[--incident ID] [--no-wait|--no-observe]");
	}
	return op_run(c, req, true);
}

static int
promote_cmd(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_OP_START, 0);
	int rv;
	if (!req)
		return CLI_FAILED;
	rw_op_request_t *r = &req->u.opreq;
	r->kind = RW_OP_PROMOTE;
	r->hotfix = cli_has(c, "hotfix");
	if (c->nwords != 1 || !cli_get(c, "to") || (rv = COPY(r->env, "to", cli_get(c, "to"))) ||
	    (rv = COPY(r->from_env, "from", cli_get(c, "from"))) ||
	    (rv = split_releases(cli_get(c, "release"), r)) ||
	    (rv = COPY(r->reason, "reason", cli_get(c, "reason"))) ||
	    (rv = incident_flag(c, &r->incident_id))) {
		wire_msg_free(req);
		return usage_err("rewindctl promote --release SERVICE:VERSION[,...] --to ENV [--from ENV]");
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
		rv = COPY(r->services[r->nservices++], "service", svcs[i]);
	if (rv || c->nwords != 1 || !cli_get(c, "env") || (ns > 0) == all ||
	    (rv = COPY(r->env, "env", cli_get(c, "env"))) ||
	    (cli_get(c, "to") && (rv = split_releases(cli_get(c, "to"), r))) ||
	    (rv = COPY(r->reason, "reason", cli_get(c, "reason"))) ||
	    (rv = COPY(r->override_gate, "override-gate", cli_get(c, "override-gate"))) ||
	    (rv = incident_flag(c, &r->incident_id)) || !r->reason[0]) {
		wire_msg_free(req);
		return usage_err("rewindctl rollback --env E (--service S | --all) [--to SERVICE:VERSION] "
		                 "--reason TEXT [--override-gate REASON] [--incident ID]");
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

	if (c->nwords != 1 || !rel || !inc || parse_id("incident", inc, &id))
		return usage_err("rewindctl hotfix --incident ID --release SERVICE:VERSION[,...] "
		                 "[--branch-from COMMIT] [--staging ENV] [--production ENV]");
	for (int phase = 0; phase < 2; phase++) {
		if (!(req = wire_msg_new(WIRE_OP_START, 0)))
			return CLI_FAILED;
		rw_op_request_t *r = &req->u.opreq;
		r->kind = phase == 0 ? RW_OP_DEPLOY : RW_OP_PROMOTE;
		r->hotfix = true;
		r->incident_id = id;
		if ((rv = split_releases(rel, r)) ||
		    (rv = COPY(r->env, "env", phase == 0 ? (staging ? staging : "staging")
		                                         : (prod ? prod : "production"))) ||
		    (phase == 1 && (rv = COPY(r->from_env, "staging", staging ? staging : "staging"))) ||
		    (rv = COPY(r->branch_from, "branch-from", branch))) {
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
	wire_msg_t *req = wire_msg_new(WIRE_OP_GET, 0), *resp = NULL;
	link_t *l = NULL;
	int64_t id;
	int rv;

	if (!req)
		return CLI_FAILED;
	if (c->nwords != 3 || parse_id("id", c->words[2], &id)) {
		wire_msg_free(req);
		return usage_err("rewindctl op show ID [--wait]");
	}
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

static int
op_list(struct cli *c)
{
	static const char *h[] = {"ID", "KIND", "ENV", "STATE", "BY", "SERVICES", "RESULT"};
	wire_msg_t *req = wire_msg_new(WIRE_OP_LIST, 0), *resp = NULL;
	int rv;
	if (!req)
		return CLI_FAILED;
	if (c->nwords != 2 || COPY(req->u.query.env, "env", cli_get(c, "env")) ||
	    (rv = cli_check_unused(c, "op list"))) {
		wire_msg_free(req);
		return usage_err("rewindctl op list [--env E]");
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_OP_LIST_OK, &resp)))
		return rv;
	const rw_operation_t *o = resp->u.list.items;
	if (c->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < resp->u.list.n; i++)
			json_array_append_new(a, op_json(&o[i]));
		cmd_print_json(a);
	} else {
		textfmt_table_t *t = textfmt_table_new(7, h);
		for (size_t i = 0; t && i < resp->u.list.n; i++) {
			char id[24], svcs[600] = "";
			size_t n = 0;
			snprintf(id, sizeof(id), "%lld", (long long)o[i].id);
			for (uint32_t k = 0; k < o[i].nsteps && n < sizeof(svcs); k++)
				n += (size_t)snprintf(svcs + n, sizeof(svcs) - n, "%s%s:%s", k ? "," : "",
				                      o[i].steps[k].service, o[i].steps[k].version);
			const char *row[] = {id, rw_op_kind_name(o[i].kind), o[i].env, o[i].state,
			                     o[i].created_by, svcs[0] ? svcs : o[i].configmap,
			                     o[i].result[0] ? o[i].result : "-"};
			textfmt_table_add(t, row);
		}
		if (t)
			textfmt_table_print(t, stdout);
		textfmt_table_free(t);
	}
	wire_msg_free(resp);
	return 0;
}

/* --- decide --------------------------------------------------------------------- */

static const struct {
	const char *key, *question;
} questions[] = {
	{"config-fixable", "Can the issue be mitigated by configuration or a feature flag without code changes?"},
	{"low-risk-patch", "Is there a low-risk patch that can be validated within 15 minutes?"},
	{"code-change", "Does the issue require a code change?"},
	{"ttr-under-15", "Is the time-to-recover target under 15 minutes?"},
	{"regression-in-prior", "Is the regression present in the prior release too?"},
	{"infra-change", "Is the regression isolated to a new infrastructure change?"},
	{"customer-impact", NULL}, /* Rewind answers it; a flag overrides */
};

static int
ask(const char *question, char *out, size_t cap)
{
	char line[32];
	printf("%s [yes/no/skip] ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	snprintf(out, cap, "%s", !strcmp(line, "y") || !strcmp(line, "yes") ? "yes"
	                         : !strcmp(line, "n") || !strcmp(line, "no") ? "no" : "");
	return 0;
}

static int
decide_answers(struct cli *c, rw_decide_t *d)
{
	bool tty = isatty(0) && !cli_has(c, "no-prompt") && !c->json;
	for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++) {
		const char *v = cli_get(c, questions[i].key);
		rw_answer_t *a = &d->answers[d->nanswers];
		if (v && strcmp(v, "yes") && strcmp(v, "no")) {
			fprintf(stderr, "error: --%s takes yes or no\n", questions[i].key);
			return CLI_USAGE;
		}
		snprintf(a->key, sizeof(a->key), "%s", questions[i].key);
		if (v)
			snprintf(a->value, sizeof(a->value), "%s", v);
		else if (tty && questions[i].question && ask(questions[i].question, a->value, sizeof(a->value)))
			return CLI_USAGE;
		if (a->value[0])
			d->nanswers++;
	}
	return 0;
}

static int
decide_cmd(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_DECIDE, 0), *resp = NULL;
	int rv;
	if (!req)
		return CLI_FAILED;
	rw_decide_t *d = &req->u.decide;
	d->dry_run = cli_has(c, "dry-run");
	if (c->nwords != 1 || !cli_get(c, "env") || COPY(d->env, "env", cli_get(c, "env")) ||
	    incident_flag(c, &d->incident_id) || (rv = decide_answers(c, d)) != 0) {
		wire_msg_free(req);
		return usage_err("rewindctl decide --env E [--config-fixable yes|no] [--low-risk-patch "
		                 "yes|no] [--code-change yes|no] [--ttr-under-15 yes|no] "
		                 "[--regression-in-prior yes|no] [--infra-change yes|no] "
		                 "[--customer-impact yes|no] [--incident ID] [--dry-run] [--no-prompt]");
	}
	cli_has(c, "no-prompt");
	if ((rv = cli_check_unused(c, "decide")) || (rv = cmd_roundtrip(c, req, WIRE_DECISION, &resp)))
		return rv;
	const rw_decision_t *o = &resp->u.decision;
	if (c->json) {
		json_t *j = json_pack("{s:s,s:I}", "recommendation", o->recommendation, "incident",
		                      (json_int_t)o->incident_id);
		json_t *r = json_array(), *a = json_object(), *f = json_object();
		for (uint32_t i = 0; i < o->nreasons; i++)
			json_array_append_new(r, json_string(o->reasons[i]));
		for (uint32_t i = 0; i < o->nanswers; i++)
			json_object_set_new(a, o->answers[i].key, json_string(o->answers[i].value));
		for (uint32_t i = 0; i < o->nfacts; i++)
			json_object_set_new(f, o->facts[i].key, json_string(o->facts[i].value));
		json_object_set_new(j, "reasons", r);
		json_object_set_new(j, "answers", a);
		json_object_set_new(j, "facts", f);
		cmd_print_json(j);
	} else {
		printf("What Rewind knows:\n");
		for (uint32_t i = 0; i < o->nfacts; i++)
			printf("  %-32s %s\n", o->facts[i].key, o->facts[i].value);
		printf("Answers used:\n");
		for (uint32_t i = 0; i < o->nanswers; i++)
			printf("  %-32s %s\n", o->answers[i].key, o->answers[i].value);
		printf("\nRECOMMENDATION: %s\n", o->recommendation);
		for (uint32_t i = 0; i < o->nreasons; i++)
			printf("  - %s\n", o->reasons[i]);
		if (o->incident_id)
			printf("recorded on incident #%lld\n", (long long)o->incident_id);
	}
	wire_msg_free(resp);
	return 0;
}

/* --- incidents ------------------------------------------------------------------ */

static void
incident_print(const rw_incident_t *i)
{
	char t[40];
	printf("incident #%lld  %s  %s  %s\n", (long long)i->id, i->env, i->severity, i->status);
	printf("  title:       %s\n  coordinator: %s\n", i->title, i->coordinator);
	printf("  opened:      %s\n", textfmt_time(i->opened_at, t, sizeof(t)));
	if (i->detected_at)
		printf("  detected:    %s\n", textfmt_time(i->detected_at, t, sizeof(t)));
	if (i->recovered_at)
		printf("  recovered:   %s\n", textfmt_time(i->recovered_at, t, sizeof(t)));
	if (i->closed_at)
		printf("  closed:      %s\n", textfmt_time(i->closed_at, t, sizeof(t)));
	if (i->decision[0])
		printf("  decision:    %s\n", i->decision);
	for (size_t k = 0; k < i->ntimeline; k++)
		printf("  %s  %-12s %-22s %s\n", textfmt_time(i->timeline[k].at, t, sizeof(t)),
		       i->timeline[k].kind, i->timeline[k].actor, i->timeline[k].text);
}

static json_t *
incident_json(const rw_incident_t *i)
{
	char t[40];
	json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)i->id, "env",
	                      i->env, "title", i->title, "severity", i->severity, "coordinator",
	                      i->coordinator, "status", i->status, "decision", i->decision,
	                      "summary", i->summary);
	json_t *tl = json_array();
	cmd_jset(j, "openedAt", textfmt_time(i->opened_at, t, sizeof(t)));
	if (i->detected_at)
		cmd_jset(j, "detectedAt", textfmt_time(i->detected_at, t, sizeof(t)));
	if (i->recovered_at)
		cmd_jset(j, "recoveredAt", textfmt_time(i->recovered_at, t, sizeof(t)));
	for (size_t k = 0; k < i->ntimeline; k++)
		json_array_append_new(tl, json_pack("{s:s,s:s,s:s,s:s}", "at",
		                                    textfmt_time(i->timeline[k].at, t, sizeof(t)), "kind",
		                                    i->timeline[k].kind, "actor", i->timeline[k].actor,
		                                    "text", i->timeline[k].text));
	json_object_set_new(j, "timeline", tl);
	return j;
}

static int
incident_done(struct cli *c, wire_msg_t *resp, const char *verb)
{
	if (c->json)
		cmd_print_json(incident_json(&resp->u.incident));
	else if (verb)
		printf("incident #%lld %s (%s, coordinator %s)\n", (long long)resp->u.incident.id, verb,
		       resp->u.incident.env, resp->u.incident.coordinator);
	else
		incident_print(&resp->u.incident);
	wire_msg_free(resp);
	return 0;
}

static int
incident_open(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_INCIDENT_OPEN, 0), *resp = NULL;
	int rv;
	if (!req)
		return CLI_FAILED;
	rw_incident_t *i = &req->u.incident;
	if (c->nwords != 2 || !cli_get(c, "env") || COPY(i->env, "env", cli_get(c, "env")) ||
	    COPY(i->title, "title", cli_get(c, "title")) ||
	    COPY(i->severity, "severity", cli_get(c, "severity")) ||
	    COPY(i->coordinator, "coordinator", cli_get(c, "coordinator"))) {
		wire_msg_free(req);
		return usage_err("rewindctl incident open --env E --title T [--severity sev1..sev4] "
		                 "[--coordinator NAME]");
	}
	if ((rv = cli_check_unused(c, "incident open")) ||
	    (rv = cmd_roundtrip(c, req, WIRE_INCIDENT, &resp)))
		return rv;
	return incident_done(c, resp, "opened");
}

static int
incident_by_id(struct cli *c, enum wire_kind kind, const char *usage, wire_msg_t **out)
{
	wire_msg_t *req = wire_msg_new(kind, 0);
	int64_t id;
	int rv;
	*out = req;
	if (!req)
		return CLI_FAILED;
	if (c->nwords != 3 || parse_id("id", c->words[2], &id)) {
		wire_msg_free(req);
		*out = NULL;
		return usage_err(usage);
	}
	if (kind == WIRE_INCIDENT_CLOSE)
		req->u.incident.id = id;
	else
		req->u.opget.id = id;
	(void)rv;
	return 0;
}

static int
incident_show(struct cli *c)
{
	wire_msg_t *req, *resp = NULL;
	int rv = incident_by_id(c, WIRE_INCIDENT_GET, "rewindctl incident show ID", &req);
	if (rv || (rv = cli_check_unused(c, "incident show"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_INCIDENT, &resp)))
		return rv;
	return incident_done(c, resp, NULL);
}

static int
incident_close(struct cli *c)
{
	wire_msg_t *req, *resp = NULL;
	int rv = incident_by_id(c, WIRE_INCIDENT_CLOSE,
	                        "rewindctl incident close ID --summary TEXT [--root-cause TEXT]", &req);
	if (rv)
		return rv;
	if ((rv = COPY(req->u.incident.summary, "summary", cli_get(c, "summary"))) ||
	    (rv = COPY(req->u.incident.root_cause, "root-cause", cli_get(c, "root-cause"))) ||
	    (rv = cli_check_unused(c, "incident close"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_INCIDENT, &resp)))
		return rv;
	return incident_done(c, resp, "closed");
}

static int
incident_list(struct cli *c)
{
	static const char *h[] = {"ID", "ENV", "SEVERITY", "STATUS", "COORDINATOR", "DECISION", "OPENED", "TITLE"};
	wire_msg_t *req = wire_msg_new(WIRE_INCIDENT_LIST, 0), *resp = NULL;
	int rv;
	if (!req)
		return CLI_FAILED;
	if (c->nwords != 2 || COPY(req->u.query.env, "env", cli_get(c, "env")) ||
	    (rv = cli_check_unused(c, "incident list"))) {
		wire_msg_free(req);
		return usage_err("rewindctl incident list [--env E]");
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_INCIDENT_LIST_OK, &resp)))
		return rv;
	const rw_incident_t *in = resp->u.list.items;
	if (c->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < resp->u.list.n; i++)
			json_array_append_new(a, incident_json(&in[i]));
		cmd_print_json(a);
	} else {
		textfmt_table_t *t = textfmt_table_new(8, h);
		for (size_t i = 0; t && i < resp->u.list.n; i++) {
			char id[24], when[40];
			snprintf(id, sizeof(id), "%lld", (long long)in[i].id);
			const char *row[] = {id, in[i].env, in[i].severity, in[i].status, in[i].coordinator,
			                     in[i].decision[0] ? in[i].decision : "-",
			                     textfmt_time(in[i].opened_at, when, sizeof(when)), in[i].title};
			textfmt_table_add(t, row);
		}
		if (t)
			textfmt_table_print(t, stdout);
		textfmt_table_free(t);
	}
	wire_msg_free(resp);
	return 0;
}

static int
incident_report(struct cli *c)
{
	wire_msg_t *req, *resp = NULL;
	const char *out = cli_get(c, "out");
	int rv = incident_by_id(c, WIRE_INCIDENT_REPORT, "rewindctl incident report ID [--out FILE]", &req);
	if (rv || (rv = cli_check_unused(c, "incident report"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_REPORT, &resp)))
		return rv;
	if (out) {
		FILE *f = fopen(out, "w");
		if (!f || fputs(resp->u.text, f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "error: cannot write %s\n", out);
			wire_msg_free(resp);
			return CLI_FAILED;
		}
		printf("report written to %s\n", out);
	} else {
		fputs(resp->u.text, stdout);
	}
	wire_msg_free(resp);
	return 0;
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
	    COPY(r->env, "env", cli_get(c, "env")) ||
	    COPY(r->configmap, "configmap", cli_get(c, "configmap")) ||
	    COPY(r->namespace_, "namespace", cli_get(c, "namespace")) ||
	    COPY(r->reason, "reason", cli_get(c, "reason")) || incident_flag(c, &r->incident_id)) {
		wire_msg_free(req);
		return usage_err("rewindctl config set --env E --configmap NAME [--namespace NS] "
		                 "KEY=VALUE... [--reason T] [--incident ID]");
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
	if (c->nwords != 2 || !cli_get(c, "env") || COPY(r->env, "env", cli_get(c, "env")) ||
	    (id && parse_id("id", id, &r->revert_id)) || incident_flag(c, &r->incident_id) ||
	    COPY(r->reason, "reason", cli_get(c, "reason"))) {
		wire_msg_free(req);
		return usage_err("rewindctl config revert --env E [--id OPERATION] [--incident ID]");
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
	if (s->n >= RW_SETTINGS_MAX || COPY(s->items[s->n].key, "setting", key) ||
	    COPY(s->items[s->n].value, key, value))
		return CLI_USAGE;
	s->n++;
	return 0;
}

static int
env_set(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 3 || COPY(s->name, "env", c->words[2])) {
		wire_msg_free(req);
		return usage_err("rewindctl env set ENV [--observe-seconds N] [--verify-seconds N] "
		                 "[--action-timeout N] [--smoke-command CMD] [--smoke-timeout N] "
		                 "[--auto-rollback on|off] [--webhook-url URL] [--webhook-format "
		                 "slack|generic] [--promote-from ENV]");
	}
	for (size_t i = 0; env_setting_flags[i]; i++) {
		const char *v = cli_get(c, env_setting_flags[i]);
		if (v && add_setting(s, env_setting_flags[i], v)) {
			wire_msg_free(req);
			return CLI_USAGE;
		}
	}
	return settings_send(c, req, "env set");
}

/* env set-smoke E --command CMD [--timeout S]; env set-auto-rollback E on|off */
static int
env_set_smoke(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	const char *t = cli_get(c, "timeout-seconds");
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 3 || COPY(s->name, "env", c->words[2]) || !cli_get(c, "command") ||
	    add_setting(s, "smoke-command", cli_get(c, "command")) ||
	    (t && add_setting(s, "smoke-timeout", t))) {
		wire_msg_free(req);
		return usage_err("rewindctl env set-smoke ENV --command CMD [--timeout-seconds S]");
	}
	return settings_send(c, req, "env set-smoke");
}

static int
env_set_auto(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 4 || COPY(s->name, "env", c->words[2]) ||
	    add_setting(s, "auto-rollback", c->words[3])) {
		wire_msg_free(req);
		return usage_err("rewindctl env set-auto-rollback ENV on|off");
	}
	return settings_send(c, req, "env set-auto-rollback");
}

static int
env_show(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_GET, 0);
	if (!req)
		return CLI_FAILED;
	(void)RW_STRCPY(req->u.settings.scope, "env");
	if (c->nwords != 3 || COPY(req->u.settings.name, "env", c->words[2])) {
		wire_msg_free(req);
		return usage_err("rewindctl env show ENV");
	}
	return settings_send(c, req, "env show");
}

static int
service_set_order(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "service");
	if (c->nwords != 4 || COPY(s->name, "service", c->words[2]) ||
	    add_setting(s, "order", c->words[3])) {
		wire_msg_free(req);
		return usage_err("rewindctl service set-order SERVICE N   (lower deploys first)");
	}
	return settings_send(c, req, "service set-order");
}

const struct cmd cmds_coord[] = {
    {"deploy", NULL, deploy_cmd, "deploy releases to an environment, verified and observed (operator)",
     "Usage: rewindctl deploy --env E --release SERVICE:VERSION[,SERVICE:VERSION...]\n"
     "                        [--reason T] [--incident ID] [--hotfix] [--no-wait | --no-observe]\n\n"
     "rewindd sends a digest-pinned set-image per service in deploy order (service set-order),\n"
     "follows each rollout, checks health (pods ready, probes and public URL as the agents\n"
     "report them), runs the environment's smoke test, and observes the deployment for the\n"
     "environment's observation window: then it is known-good.  Exit 0 only when all of that\n"
     "passed (--no-observe: when verified).\n"},
    {"promote", NULL, promote_cmd, "deploy releases proven on staging to another environment (operator)",
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
    {"decide", NULL, decide_cmd, "walk the runbook's decision tree (operator)",
     "Usage: rewindctl decide --env E [--config-fixable yes|no] [--low-risk-patch yes|no]\n"
     "                        [--code-change yes|no] [--ttr-under-15 yes|no]\n"
     "                        [--regression-in-prior yes|no] [--infra-change yes|no]\n"
     "                        [--customer-impact yes|no] [--incident ID] [--dry-run] [--no-prompt]\n\n"
     "Rewind answers what it knows (failing health or crash loops and since when, whether\n"
     "that started after the latest deployment, whether an earlier release is known-good);\n"
     "the rest comes from flags, or questions on a terminal.  The answers and the\n"
     "recommendation are recorded on the environment's open incident (opened if none).\n"},
    {"incident", "open", incident_open, "open an incident with one coordinator (operator)",
     "Usage: rewindctl incident open --env E --title T [--severity sev1..sev4] [--coordinator NAME]\n"},
    {"incident", "show", incident_show, "an incident and its timeline", "Usage: rewindctl incident show ID\n"},
    {"incident", "list", incident_list, "list incidents", "Usage: rewindctl incident list [--env E]\n"},
    {"incident", "close", incident_close, "close an incident (operator)",
     "Usage: rewindctl incident close ID --summary TEXT [--root-cause TEXT]\n"},
    {"incident", "report", incident_report, "the incident's follow-up as Markdown",
     "Usage: rewindctl incident report ID [--out FILE]\n"},
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
