/*
 * wire_coord — the coordination family: settings, operations (deploy,
 * promote, rollback, config set/revert) and their progress, incidents with
 * their timeline, decisions and reports.  Tables, the enum and report hooks
 * and the domain checks of its requests; running an operation is
 * server/coord's business, not this file's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

#define ANSWER_T rw_answer_t, Rewind__V1__KeyValue
WIRE_DEFINE(answer, NULL, rewind__v1__key_value, ANSWER_T,
	WIRE_STR(ANSWER_T, key, "answer"), WIRE_STR(ANSWER_T, value, "answer value"));
#define ANSWERS(T, df, dn, pf) WIRE_ARRAY(T, df, dn, pf, &answer, NULL, "answers", "too many", false)

typedef typeof(((rw_settings_t *)0)->items[0]) setting_t;
#define SETTING_T setting_t, Rewind__V1__KeyValue
WIRE_DEFINE(setting, NULL, rewind__v1__key_value, SETTING_T,
	WIRE_STR(SETTING_T, key, "setting"), WIRE_STR(SETTING_T, value, "setting value"));

/* SettingsSet and Settings carry the same fields; SettingsGet only the scope and name. */
#define SETTINGS_FIELDS(...)                                                              \
	WIRE_STR(__VA_ARGS__, scope, "scope"), WIRE_STR(__VA_ARGS__, name, "name"),            \
	WIRE_ARRAY(__VA_ARGS__, items, n, items, &setting, NULL, "settings", "at most 16", true)
static const struct wire_field settings_set_fields[] = {
	SETTINGS_FIELDS(rw_settings_t, Rewind__V1__SettingsSet)};
static const struct wire_field settings_fields[] = {SETTINGS_FIELDS(rw_settings_t, Rewind__V1__Settings)};
static const struct wire_field settings_get_fields[] = {
	WIRE_STR(rw_settings_t, Rewind__V1__SettingsGet, scope, "scope"),
	WIRE_STR(rw_settings_t, Rewind__V1__SettingsGet, name, "name"),
};
static const struct wire_item settings_set =
	WIRE_ITEM(NULL, rewind__v1__settings_set, rw_settings_t, settings_set_fields);
static const struct wire_item settings = WIRE_ITEM(NULL, rewind__v1__settings, rw_settings_t, settings_fields);
static const struct wire_item settings_get =
	WIRE_ITEM(NULL, rewind__v1__settings_get, rw_settings_t, settings_get_fields);

/* Releases and services share one bound and one refusal, checked before any field. */
#define REFS(T, df, dn, nm) WIRE_ARRAY(T, df, dn, df, NULL, nm, "release", "at most 16 per operation", true)
#define OPREQ_T rw_op_request_t, Rewind__V1__OpStart
WIRE_DEFINE(opreq, NULL, rewind__v1__op_start, OPREQ_T,
	WIRE_ENUM(OPREQ_T, kind, rw_op_kind_parse, rw_op_kind_name), WIRE_NUM(OPREQ_T, incident_id), WIRE_NUM(OPREQ_T, revert_id), WIRE_BOOL(OPREQ_T, hotfix),
	WIRE_STR(OPREQ_T, env, "env"), WIRE_STR(OPREQ_T, from_env, "from"),
	WIRE_STR(OPREQ_T, reason, "reason"), WIRE_STR(OPREQ_T, override_gate, "override-gate"),
	WIRE_STR(OPREQ_T, configmap, "configmap"), WIRE_STR(OPREQ_T, namespace_, "namespace"),
	WIRE_STR(OPREQ_T, branch_from, "branch-from"), REFS(OPREQ_T, releases, nreleases, "release"),
	REFS(OPREQ_T, services, nservices, "service"), WIRE_KVS(OPREQ_T, kv, nkv, data, false));

#define STEP_T rw_op_step_t, Rewind__V1__OpStep
WIRE_DEFINE(step, NULL, rewind__v1__op_step, STEP_T,    /* in the message's order */
	WIRE_STR(STEP_T, service, "service"), WIRE_NUM(STEP_T, release_id),
	WIRE_STR(STEP_T, version, "version"), WIRE_STR(STEP_T, image, "image"),
	WIRE_STR(STEP_T, previous_image, "previous-image"), WIRE_NUM(STEP_T, deployment_id),
	WIRE_NUM(STEP_T, action_id), WIRE_STR(STEP_T, state, "state"),
	WIRE_STR(STEP_T, outcome, "outcome"), WIRE_BOOL(STEP_T, known_good),
	WIRE_NUM(STEP_T, updated), WIRE_NUM(STEP_T, available), WIRE_NUM(STEP_T, replicas),
	WIRE_STR(STEP_T, health, "health"), WIRE_STR(STEP_T, message, "message"),
	WIRE_STR(STEP_T, migrations_compat, "migrations-compat"), WIRE_STR(STEP_T, digest, "digest"),
	WIRE_NUM(STEP_T, observe_until));

#define OP_T rw_operation_t, Rewind__V1__Operation
WIRE_DEFINE(operation, "operation", rewind__v1__operation, OP_T,
	WIRE_NUM(OP_T, id), WIRE_ENUM(OP_T, kind, rw_op_kind_parse, rw_op_kind_name),
	WIRE_NUM(OP_T, incident_id), WIRE_NUM(OP_T, created_at),
	WIRE_NUM(OP_T, started_at), WIRE_NUM(OP_T, finished_at), WIRE_NUM(OP_T, seq),
	WIRE_NUM(OP_T, smoke_rc), WIRE_STR(OP_T, env, "env"), WIRE_STR(OP_T, state, "state"),
	WIRE_STR(OP_T, reason, "reason"), WIRE_STR(OP_T, override_gate, "override-gate"),
	WIRE_STR(OP_T, warnings, "warnings"), WIRE_STR(OP_T, result, "result"),
	WIRE_STR(OP_T, created_by, "created-by"), WIRE_STR(OP_T, smoke_output, "smoke-output"),
	WIRE_STR(OP_T, phase, "phase"), WIRE_STR(OP_T, configmap, "configmap"),
	WIRE_STR(OP_T, namespace_, "namespace"), WIRE_STR(OP_T, previous, "previous"),
	WIRE_ARRAY(OP_T, steps, nsteps, steps, &step, NULL, "steps", "too many", true),
	WIRE_KVS(OP_T, kv, nkv, data, false));

#define TIMELINE_T rw_timeline_t, Rewind__V1__TimelineEntry
WIRE_DEFINE(timeline, NULL, rewind__v1__timeline_entry, TIMELINE_T,
	WIRE_NUM(TIMELINE_T, at), WIRE_STR(TIMELINE_T, kind, "kind"),
	WIRE_STR(TIMELINE_T, actor, "actor"), WIRE_STR(TIMELINE_T, text, "text"));

/* The timeline is last: a listed incident is all but it (below). */
#define INCIDENT_T rw_incident_t, Rewind__V1__Incident
WIRE_DEFINE(incident, "incident", rewind__v1__incident, INCIDENT_T,
	WIRE_NUM(INCIDENT_T, id), WIRE_NUM(INCIDENT_T, opened_at), WIRE_NUM(INCIDENT_T, detected_at),
	WIRE_NUM(INCIDENT_T, recovered_at), WIRE_NUM(INCIDENT_T, closed_at),
	WIRE_STR(INCIDENT_T, env, "env"), WIRE_STR(INCIDENT_T, title, "title"),
	WIRE_STR(INCIDENT_T, severity, "severity"), WIRE_STR(INCIDENT_T, coordinator, "coordinator"),
	WIRE_STR(INCIDENT_T, status, "status"), WIRE_STR(INCIDENT_T, decision, "decision"),
	WIRE_STR(INCIDENT_T, summary, "summary"), WIRE_STR(INCIDENT_T, root_cause, "root-cause"),
	ANSWERS(INCIDENT_T, answers, nanswers, answers),
	WIRE_LIST(INCIDENT_T, timeline, ntimeline, timeline, &timeline, RW_TIMELINE_MAX, "timeline",
	          "too many entries"));

/* The timeline alone, for a listed incident that carries one. */
static const struct wire_item timeline_only = {
	.fields = &incident_fields[WIRE_NFIELDS(incident_fields) - 1],
	.nfields = 1,
};

static int
enc_listed_timeline(struct wire_arena *a, void *pb, const void *dom)
{
	return wire_enc_item(a, &timeline_only, pb, dom);
}

/*
 * In a list an incident's timeline is neither decoded nor owned (the list
 * replies are sent without one); it is still sent when the sender set one.
 */
static const struct wire_item listed_incident = {
	.name = "incident",
	.pb = &rewind__v1__incident__descriptor,
	.size = sizeof(rw_incident_t),
	.fields = incident_fields,
	.nfields = WIRE_NFIELDS(incident_fields) - 1,
	.enc_rest = enc_listed_timeline,
};

#define DECIDE_T rw_decide_t, Rewind__V1__Decide
WIRE_DEFINE(decide, NULL, rewind__v1__decide, DECIDE_T,
	WIRE_NUM(DECIDE_T, incident_id), WIRE_BOOL(DECIDE_T, dry_run), WIRE_STR(DECIDE_T, env, "env"),
	ANSWERS(DECIDE_T, answers, nanswers, answers));

#define DECISION_T rw_decision_t, Rewind__V1__Decision
WIRE_DEFINE(decision, NULL, rewind__v1__decision, DECISION_T,
	WIRE_NUM(DECISION_T, incident_id), WIRE_STR(DECISION_T, recommendation, "recommendation"),
	WIRE_ARRAY(DECISION_T, reasons, nreasons, reasons, NULL, "reason", "reasons", "too many", true),
	ANSWERS(DECISION_T, answers, nanswers, answers), ANSWERS(DECISION_T, facts, nfacts, facts));

/* A report is owned Markdown, bounded by RW_REPORT_MAX rather than a buffer. */
static int
dec_report(struct dec *d, const void *pb, void *dom)
{
	const char *md = ((const Rewind__V1__Report *)pb)->markdown;
	wire_msg_t *m = dom;
	size_t n = md ? strlen(md) : 0;
	if (n > RW_REPORT_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "report", "too long");
	if (!(m->u.text = malloc(n + 1)))
		return RW_ENOMEM;
	memcpy(m->u.text, n ? md : "", n + 1);
	return 0;
}

static int
enc_report(struct wire_arena *a, void *pb, const void *dom)
{
	const wire_msg_t *m = dom;
	(void)a;
	((Rewind__V1__Report *)pb)->markdown = m->u.text ? m->u.text : S("");
	return 0;
}

static const struct wire_field report_fields[] = {WIRE_OWNED(WIRE_M(Report), u.text)};
static const struct wire_item report = WIRE_ITEM(NULL, rewind__v1__report, wire_msg_t, report_fields,
                                                 .dec_rest = dec_report, .enc_rest = enc_report);

static int
validate(struct dec *d, const wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_SETTINGS_SET:
		return rw_settings_check(&m->u.settings, d->msg, d->msgsz);
	case WIRE_SETTINGS_GET:
		return m->u.settings.n == 0 ? rw_settings_check(&m->u.settings, d->msg, d->msgsz) : 0;
	case WIRE_OP_START:
		return rw_op_request_check(&m->u.opreq, d->msg, d->msgsz);
	case WIRE_OP_LIST:
	case WIRE_INCIDENT_LIST:
		return m->u.query.env[0] ? rw_check_name("env", m->u.query.env, d->msg, d->msgsz) : 0;
	case WIRE_INCIDENT_OPEN:
		return rw_incident_open_check(&m->u.incident, d->msg, d->msgsz);
	case WIRE_INCIDENT_CLOSE:
		if (m->u.incident.id <= 0)
			return wire_dec_fail(d, RW_EINVAL, "id", "must be an incident id");
		return rw_check_text("summary", m->u.incident.summary, RW_TEXT_MAX, d->msg, d->msgsz) ?:
		       rw_check_text("root-cause", m->u.incident.root_cause, RW_TEXT_MAX, d->msg,
		                     d->msgsz);
	case WIRE_DECIDE:
		return rw_decide_check(&m->u.decide, d->msg, d->msgsz);
	default:
		return 0;
	}
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FORM_AT(WIRE_SETTINGS_SET, &settings_set, u.settings),
	WIRE_FORM_AT(WIRE_SETTINGS, &settings, u.settings),
	WIRE_FORM_AT(WIRE_SETTINGS_GET, &settings_get, u.settings),
	WIRE_FORM_AT(WIRE_OP_START, &opreq, u.opreq),
	WIRE_FORM_AT(WIRE_OPERATION, &operation, u.op),
	WIRE_FLAT(WIRE_OP_GET, WIRE_NUM_AS(WIRE_M(OpGet), u.opget.id, id),
	          WIRE_NUM_AS(WIRE_M(OpGet), u.opget.wait_ms, wait_ms),
	          WIRE_NUM_AS(WIRE_M(OpGet), u.opget.after_seq, after_seq)),
	WIRE_FLAT(WIRE_OP_LIST, WIRE_NUM_AS(WIRE_M(OpList), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(OpList), u.query.env, env, "env")),
	WIRE_FLAT(WIRE_OP_LIST_OK, WIRE_ITEMS(WIRE_M(OpListOk), &operation, RW_LIST_MAX)),
	WIRE_FLAT(WIRE_INCIDENT_OPEN, WIRE_STR_AS(WIRE_M(IncidentOpen), u.incident.env, env, "env"),
	          WIRE_STR_AS(WIRE_M(IncidentOpen), u.incident.title, title, "title"),
	          WIRE_STR_AS(WIRE_M(IncidentOpen), u.incident.severity, severity, "severity"),
	          WIRE_STR_AS(WIRE_M(IncidentOpen), u.incident.coordinator, coordinator, "coordinator")),
	WIRE_FORM_AT(WIRE_INCIDENT, &incident, u.incident),
	WIRE_FLAT(WIRE_INCIDENT_GET, WIRE_NUM_AS(WIRE_M(IncidentGet), u.opget.id, id)),
	WIRE_FLAT(WIRE_INCIDENT_LIST, WIRE_NUM_AS(WIRE_M(IncidentList), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(IncidentList), u.query.env, env, "env")),
	WIRE_FLAT(WIRE_INCIDENT_LIST_OK,
	          WIRE_ITEMS(WIRE_M(IncidentListOk), &listed_incident, RW_LIST_MAX)),
	WIRE_FLAT(WIRE_INCIDENT_CLOSE, WIRE_NUM_AS(WIRE_M(IncidentClose), u.incident.id, id),
	          WIRE_STR_AS(WIRE_M(IncidentClose), u.incident.summary, summary, "summary"),
	          WIRE_STR_AS(WIRE_M(IncidentClose), u.incident.root_cause, root_cause, "root-cause")),
	WIRE_FORM_AT(WIRE_DECIDE, &decide, u.decide),
	WIRE_FORM_AT(WIRE_DECISION, &decision, u.decision),
	WIRE_FLAT(WIRE_INCIDENT_REPORT, WIRE_NUM_AS(WIRE_M(IncidentReport), u.opget.id, id)),
	WIRE_FORM(WIRE_REPORT, &report),
};

const struct wire_family wire_coord =
	WIRE_FAMILY("coord", WIRE_SETTINGS_SET, WIRE_REPORT, forms, validate);
