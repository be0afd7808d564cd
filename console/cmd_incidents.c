/*
 * cmd_incidents — incidents and the runbook: decide (the decision tree,
 * answered from flags or a terminal, recorded on the environment's open
 * incident) and incident open|show|list|close|report.  Operations started
 * for an incident are in cmd_coord.c.
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

/* The DECIDE request from the flags (and a terminal's answers). */
static int
decide_fill(struct cli *c, rw_decide_t *d)
{
	d->dry_run = cli_has(c, "dry-run");
	if (c->nwords != 1 || !cli_get(c, "env") || CMD_COPY(d->env, "env", cli_get(c, "env")) ||
	    cmd_id_flag(c, "incident", &d->incident_id) || decide_answers(c, d) != 0)
		return cmd_usage_err(c);
	(void)cli_has(c, "no-prompt");
	return 0;
}

static void
decide_print(struct cli *c, const rw_decision_t *o)
{
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
		return;
	}
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

static int
incident_decide(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_DECIDE, 0), *resp = NULL;
	int rv = req ? decide_fill(c, &req->u.decide) : CLI_FAILED;

	if (rv != 0) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cli_check_unused(c, "decide")) || (rv = cmd_roundtrip(c, req, WIRE_DECISION, &resp)))
		return rv;
	decide_print(c, &resp->u.decision);
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
incident_json(const void *item)
{
	const rw_incident_t *i = item;
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
	if (c->nwords != 2 || !cli_get(c, "env") || CMD_COPY(i->env, "env", cli_get(c, "env")) ||
	    CMD_COPY(i->title, "title", cli_get(c, "title")) ||
	    CMD_COPY(i->severity, "severity", cli_get(c, "severity")) ||
	    CMD_COPY(i->coordinator, "coordinator", cli_get(c, "coordinator"))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	if ((rv = cli_check_unused(c, "incident open")) ||
	    (rv = cmd_roundtrip(c, req, WIRE_INCIDENT, &resp)))
		return rv;
	return incident_done(c, resp, "opened");
}

/* A request of kind for the incident named by the ID word; *out owned by the caller. */
static int
incident_by_id(struct cli *c, enum wire_kind kind, wire_msg_t **out)
{
	wire_msg_t *req;
	int64_t id;

	*out = NULL;
	if (c->nwords != 3 || cmd_id("id", c->words[2], &id))
		return cmd_usage_err(c);
	if (!(*out = req = wire_msg_new(kind, 0)))
		return CLI_FAILED;
	if (kind == WIRE_INCIDENT_CLOSE)
		req->u.incident.id = id;
	else
		req->u.opget.id = id;
	return 0;
}

/* "incident VERB ID" (cli_check_unused() name): kind's want reply; *resp owned by the caller. */
static int
incident_call(struct cli *c, enum wire_kind kind, enum wire_kind want, const char *name,
              wire_msg_t **resp)
{
	wire_msg_t *req;
	int rv = incident_by_id(c, kind, &req);

	*resp = NULL;
	if (rv || (rv = cli_check_unused(c, name))) {
		wire_msg_free(req);
		return rv;
	}
	return cmd_roundtrip(c, req, want, resp);
}

static int
incident_show(struct cli *c)
{
	wire_msg_t *resp;
	int rv = incident_call(c, WIRE_INCIDENT_GET, WIRE_INCIDENT, "incident show", &resp);
	return rv ? rv : incident_done(c, resp, NULL);
}

static int
incident_close(struct cli *c)
{
	wire_msg_t *req, *resp = NULL;
	int rv = incident_by_id(c, WIRE_INCIDENT_CLOSE, &req);
	if (rv)
		return rv;
	if ((rv = CMD_COPY(req->u.incident.summary, "summary", cli_get(c, "summary"))) ||
	    (rv = CMD_COPY(req->u.incident.root_cause, "root-cause", cli_get(c, "root-cause"))) ||
	    (rv = cli_check_unused(c, "incident close"))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_INCIDENT, &resp)))
		return rv;
	return incident_done(c, resp, "closed");
}

static void
incident_row(textfmt_table_t *t, const void *item)
{
	const rw_incident_t *in = item;
	char id[CMD_INT_TEXT_MAX], when[40];
	const char *row[] = {cmd_int_text(in->id, id), in->env, in->severity, in->status,
	                     in->coordinator, in->decision[0] ? in->decision : "-",
	                     textfmt_time(in->opened_at, when, sizeof(when)), in->title};
	textfmt_table_add(t, row);
}

static int
incident_list(struct cli *c)
{
	static const char *const h[] = {"ID",          "ENV",      "SEVERITY", "STATUS",
	                                "COORDINATOR", "DECISION", "OPENED",   "TITLE"};
	static const struct cmd_list l = {8, h, incident_json, incident_row};
	return cmd_list_env(c, "incident list", WIRE_INCIDENT_LIST, WIRE_INCIDENT_LIST_OK, &l,
	                    sizeof(rw_incident_t));
}

/* The report to --out FILE (saying so), or to stdout. */
static int
report_write(const char *out, const char *text)
{
	FILE *f;

	if (!out) {
		fputs(text, stdout);
		return 0;
	}
	f = fopen(out, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "error: cannot write %s\n", out);
		return CLI_FAILED;
	}
	printf("report written to %s\n", out);
	return 0;
}

static int
incident_report(struct cli *c)
{
	const char *out = cli_get(c, "out");
	wire_msg_t *resp;
	int rv = incident_call(c, WIRE_INCIDENT_REPORT, WIRE_REPORT, "incident report", &resp);

	if (rv != 0)
		return rv;
	rv = report_write(out, resp->u.text);
	wire_msg_free(resp);
	return rv;
}

const struct cmd cmds_incidents[] = {
    {"decide", NULL, incident_decide, "walk the runbook's decision tree (operator)",
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
    {0},
};
