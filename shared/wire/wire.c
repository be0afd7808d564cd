/*
 * wire — protobuf-c Envelope <-> domain structs, with validation.
 *
 * Decoding copies every string into the bounded buffers of the domain
 * structs (refusing, never truncating, anything too long) and runs the
 * domain checks on requests, so callers never see an unchecked value.
 * Encoding points protobuf structs at the caller's strings for the duration
 * of the pack; nothing here outlives the call except the returned buffer.
 */
#include "wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rewind.pb-c.h"
#include "wire_int.h"


static const char *kind_names[WIRE_KIND_COUNT] = {
	[WIRE_NONE] = "none",
	[WIRE_HELLO] = "hello",
	[WIRE_CHALLENGE] = "challenge",
	[WIRE_AUTH] = "auth",
	[WIRE_AUTH_OK] = "auth-ok",
	[WIRE_ERROR] = "error",
	[WIRE_ENV_ADD] = "env-add",
	[WIRE_ENV] = "env",
	[WIRE_ENV_LIST] = "env-list",
	[WIRE_ENV_LIST_OK] = "env-list-ok",
	[WIRE_SERVICE_ADD] = "service-add",
	[WIRE_SERVICE] = "service",
	[WIRE_SERVICE_GET] = "service-get",
	[WIRE_SERVICE_LIST] = "service-list",
	[WIRE_SERVICE_LIST_OK] = "service-list-ok",
	[WIRE_RELEASE_RECORD] = "release-record",
	[WIRE_RELEASE] = "release",
	[WIRE_RELEASE_GET] = "release-get",
	[WIRE_RELEASE_LIST] = "release-list",
	[WIRE_RELEASE_LIST_OK] = "release-list-ok",
	[WIRE_HISTORY] = "history",
	[WIRE_HISTORY_OK] = "history-ok",
	[WIRE_AUDIT_LOG] = "audit-log",
	[WIRE_AUDIT_LOG_OK] = "audit-log-ok",
	[WIRE_AGENT_REPORT] = "agent-report",
	[WIRE_AGENT_REPORT_OK] = "agent-report-ok",
	[WIRE_ACTION_WAIT] = "action-wait",
	[WIRE_ACTION_ASSIGN] = "action-assign",
	[WIRE_ACTION_PROGRESS] = "action-progress",
	[WIRE_ACTION_PROGRESS_OK] = "action-progress-ok",
	[WIRE_ACTION_RESULT] = "action-result",
	[WIRE_ACTION_RESULT_OK] = "action-result-ok",
	[WIRE_ACTION_CREATE] = "action-create",
	[WIRE_ACTION] = "action",
	[WIRE_ACTION_GET] = "action-get",
	[WIRE_ACTION_LIST] = "action-list",
	[WIRE_ACTION_LIST_OK] = "action-list-ok",
	[WIRE_STATUS_GET] = "status-get",
	[WIRE_STATUS_OK] = "status-ok",
	[WIRE_ARTIFACT_ADD] = "artifact-add",
	[WIRE_ARTIFACT] = "artifact",
	[WIRE_ARTIFACT_LIST] = "artifact-list",
	[WIRE_ARTIFACT_LIST_OK] = "artifact-list-ok",
	[WIRE_ARTIFACT_VERIFY] = "artifact-verify",
	[WIRE_ARTIFACT_VERIFY_OK] = "artifact-verify-ok",
	[WIRE_ENV_DB_SET] = "env-db-set",
	[WIRE_ENV_DB] = "env-db",
	[WIRE_BACKUP_RUN] = "backup-run",
	[WIRE_BACKUP] = "backup",
	[WIRE_BACKUP_RECORD] = "backup-record",
	[WIRE_BACKUP_VERIFY] = "backup-verify",
	[WIRE_BACKUP_LIST] = "backup-list",
	[WIRE_BACKUP_LIST_OK] = "backup-list-ok",
	[WIRE_SETTINGS_SET] = "settings-set",
	[WIRE_SETTINGS] = "settings",
	[WIRE_SETTINGS_GET] = "settings-get",
	[WIRE_OP_START] = "op-start",
	[WIRE_OPERATION] = "operation",
	[WIRE_OP_GET] = "op-get",
	[WIRE_OP_LIST] = "op-list",
	[WIRE_OP_LIST_OK] = "op-list-ok",
	[WIRE_INCIDENT_OPEN] = "incident-open",
	[WIRE_INCIDENT] = "incident",
	[WIRE_INCIDENT_GET] = "incident-get",
	[WIRE_INCIDENT_LIST] = "incident-list",
	[WIRE_INCIDENT_LIST_OK] = "incident-list-ok",
	[WIRE_INCIDENT_CLOSE] = "incident-close",
	[WIRE_DECIDE] = "decide",
	[WIRE_DECISION] = "decision",
	[WIRE_INCIDENT_REPORT] = "incident-report",
	[WIRE_REPORT] = "report",
	[WIRE_AUDIT_QUERY] = "audit-query",
	[WIRE_AUDIT_TABLE] = "audit-table",
};

/* Envelope body case for each kind; the table is the single source of the mapping. */
static const Rewind__V1__Envelope__BodyCase kind_cases[WIRE_KIND_COUNT] = {
	[WIRE_NONE] = REWIND__V1__ENVELOPE__BODY__NOT_SET,
	[WIRE_HELLO] = REWIND__V1__ENVELOPE__BODY_HELLO,
	[WIRE_CHALLENGE] = REWIND__V1__ENVELOPE__BODY_CHALLENGE,
	[WIRE_AUTH] = REWIND__V1__ENVELOPE__BODY_AUTH,
	[WIRE_AUTH_OK] = REWIND__V1__ENVELOPE__BODY_AUTH_OK,
	[WIRE_ERROR] = REWIND__V1__ENVELOPE__BODY_ERROR,
	[WIRE_ENV_ADD] = REWIND__V1__ENVELOPE__BODY_ENV_ADD,
	[WIRE_ENV] = REWIND__V1__ENVELOPE__BODY_ENV,
	[WIRE_ENV_LIST] = REWIND__V1__ENVELOPE__BODY_ENV_LIST,
	[WIRE_ENV_LIST_OK] = REWIND__V1__ENVELOPE__BODY_ENV_LIST_OK,
	[WIRE_SERVICE_ADD] = REWIND__V1__ENVELOPE__BODY_SERVICE_ADD,
	[WIRE_SERVICE] = REWIND__V1__ENVELOPE__BODY_SERVICE,
	[WIRE_SERVICE_GET] = REWIND__V1__ENVELOPE__BODY_SERVICE_GET,
	[WIRE_SERVICE_LIST] = REWIND__V1__ENVELOPE__BODY_SERVICE_LIST,
	[WIRE_SERVICE_LIST_OK] = REWIND__V1__ENVELOPE__BODY_SERVICE_LIST_OK,
	[WIRE_RELEASE_RECORD] = REWIND__V1__ENVELOPE__BODY_RELEASE_RECORD,
	[WIRE_RELEASE] = REWIND__V1__ENVELOPE__BODY_RELEASE,
	[WIRE_RELEASE_GET] = REWIND__V1__ENVELOPE__BODY_RELEASE_GET,
	[WIRE_RELEASE_LIST] = REWIND__V1__ENVELOPE__BODY_RELEASE_LIST,
	[WIRE_RELEASE_LIST_OK] = REWIND__V1__ENVELOPE__BODY_RELEASE_LIST_OK,
	[WIRE_HISTORY] = REWIND__V1__ENVELOPE__BODY_HISTORY,
	[WIRE_HISTORY_OK] = REWIND__V1__ENVELOPE__BODY_HISTORY_OK,
	[WIRE_AUDIT_LOG] = REWIND__V1__ENVELOPE__BODY_AUDIT_LOG,
	[WIRE_AUDIT_LOG_OK] = REWIND__V1__ENVELOPE__BODY_AUDIT_LOG_OK,
	[WIRE_AGENT_REPORT] = REWIND__V1__ENVELOPE__BODY_AGENT_REPORT,
	[WIRE_AGENT_REPORT_OK] = REWIND__V1__ENVELOPE__BODY_AGENT_REPORT_OK,
	[WIRE_ACTION_WAIT] = REWIND__V1__ENVELOPE__BODY_ACTION_WAIT,
	[WIRE_ACTION_ASSIGN] = REWIND__V1__ENVELOPE__BODY_ACTION_ASSIGN,
	[WIRE_ACTION_PROGRESS] = REWIND__V1__ENVELOPE__BODY_ACTION_PROGRESS,
	[WIRE_ACTION_PROGRESS_OK] = REWIND__V1__ENVELOPE__BODY_ACTION_PROGRESS_OK,
	[WIRE_ACTION_RESULT] = REWIND__V1__ENVELOPE__BODY_ACTION_RESULT,
	[WIRE_ACTION_RESULT_OK] = REWIND__V1__ENVELOPE__BODY_ACTION_RESULT_OK,
	[WIRE_ACTION_CREATE] = REWIND__V1__ENVELOPE__BODY_ACTION_CREATE,
	[WIRE_ACTION] = REWIND__V1__ENVELOPE__BODY_ACTION,
	[WIRE_ACTION_GET] = REWIND__V1__ENVELOPE__BODY_ACTION_GET,
	[WIRE_ACTION_LIST] = REWIND__V1__ENVELOPE__BODY_ACTION_LIST,
	[WIRE_ACTION_LIST_OK] = REWIND__V1__ENVELOPE__BODY_ACTION_LIST_OK,
	[WIRE_STATUS_GET] = REWIND__V1__ENVELOPE__BODY_STATUS_GET,
	[WIRE_STATUS_OK] = REWIND__V1__ENVELOPE__BODY_STATUS_OK,
	[WIRE_ARTIFACT_ADD] = REWIND__V1__ENVELOPE__BODY_ARTIFACT_ADD,
	[WIRE_ARTIFACT] = REWIND__V1__ENVELOPE__BODY_ARTIFACT,
	[WIRE_ARTIFACT_LIST] = REWIND__V1__ENVELOPE__BODY_ARTIFACT_LIST,
	[WIRE_ARTIFACT_LIST_OK] = REWIND__V1__ENVELOPE__BODY_ARTIFACT_LIST_OK,
	[WIRE_ARTIFACT_VERIFY] = REWIND__V1__ENVELOPE__BODY_ARTIFACT_VERIFY,
	[WIRE_ARTIFACT_VERIFY_OK] = REWIND__V1__ENVELOPE__BODY_ARTIFACT_VERIFY_OK,
	[WIRE_ENV_DB_SET] = REWIND__V1__ENVELOPE__BODY_ENV_DB_SET,
	[WIRE_ENV_DB] = REWIND__V1__ENVELOPE__BODY_ENV_DB,
	[WIRE_BACKUP_RUN] = REWIND__V1__ENVELOPE__BODY_BACKUP_RUN,
	[WIRE_BACKUP] = REWIND__V1__ENVELOPE__BODY_BACKUP,
	[WIRE_BACKUP_RECORD] = REWIND__V1__ENVELOPE__BODY_BACKUP_RECORD,
	[WIRE_BACKUP_VERIFY] = REWIND__V1__ENVELOPE__BODY_BACKUP_VERIFY,
	[WIRE_BACKUP_LIST] = REWIND__V1__ENVELOPE__BODY_BACKUP_LIST,
	[WIRE_BACKUP_LIST_OK] = REWIND__V1__ENVELOPE__BODY_BACKUP_LIST_OK,
	[WIRE_SETTINGS_SET] = REWIND__V1__ENVELOPE__BODY_SETTINGS_SET,
	[WIRE_SETTINGS] = REWIND__V1__ENVELOPE__BODY_SETTINGS,
	[WIRE_SETTINGS_GET] = REWIND__V1__ENVELOPE__BODY_SETTINGS_GET,
	[WIRE_OP_START] = REWIND__V1__ENVELOPE__BODY_OP_START,
	[WIRE_OPERATION] = REWIND__V1__ENVELOPE__BODY_OPERATION,
	[WIRE_OP_GET] = REWIND__V1__ENVELOPE__BODY_OP_GET,
	[WIRE_OP_LIST] = REWIND__V1__ENVELOPE__BODY_OP_LIST,
	[WIRE_OP_LIST_OK] = REWIND__V1__ENVELOPE__BODY_OP_LIST_OK,
	[WIRE_INCIDENT_OPEN] = REWIND__V1__ENVELOPE__BODY_INCIDENT_OPEN,
	[WIRE_INCIDENT] = REWIND__V1__ENVELOPE__BODY_INCIDENT,
	[WIRE_INCIDENT_GET] = REWIND__V1__ENVELOPE__BODY_INCIDENT_GET,
	[WIRE_INCIDENT_LIST] = REWIND__V1__ENVELOPE__BODY_INCIDENT_LIST,
	[WIRE_INCIDENT_LIST_OK] = REWIND__V1__ENVELOPE__BODY_INCIDENT_LIST_OK,
	[WIRE_INCIDENT_CLOSE] = REWIND__V1__ENVELOPE__BODY_INCIDENT_CLOSE,
	[WIRE_DECIDE] = REWIND__V1__ENVELOPE__BODY_DECIDE,
	[WIRE_DECISION] = REWIND__V1__ENVELOPE__BODY_DECISION,
	[WIRE_INCIDENT_REPORT] = REWIND__V1__ENVELOPE__BODY_INCIDENT_REPORT,
	[WIRE_REPORT] = REWIND__V1__ENVELOPE__BODY_REPORT,
	[WIRE_AUDIT_QUERY] = REWIND__V1__ENVELOPE__BODY_AUDIT_QUERY,
	[WIRE_AUDIT_TABLE] = REWIND__V1__ENVELOPE__BODY_AUDIT_TABLE,
};

const char *
wire_kind_name(enum wire_kind kind)
{
	if ((unsigned)kind >= WIRE_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

static enum wire_kind
kind_of_case(Rewind__V1__Envelope__BodyCase c)
{
	for (int k = 1; k < WIRE_KIND_COUNT; k++)
		if (kind_cases[k] == c)
			return (enum wire_kind)k;
	return WIRE_NONE;
}

static size_t
item_size(enum wire_kind kind)
{
	switch (kind) {
	case WIRE_ENV_LIST_OK: return sizeof(rw_env_t);
	case WIRE_SERVICE_LIST_OK: return sizeof(rw_service_t);
	case WIRE_RELEASE_LIST_OK: return sizeof(rw_release_t);
	case WIRE_HISTORY_OK: return sizeof(rw_history_row_t);
	case WIRE_AUDIT_LOG_OK: return sizeof(rw_audit_t);
	case WIRE_ACTION_LIST_OK: return sizeof(rw_action_t);
	case WIRE_AGENT_REPORT_OK: return sizeof(rw_probe_target_t);
	case WIRE_ARTIFACT_LIST_OK:
	case WIRE_ARTIFACT_VERIFY_OK: return sizeof(rw_artifact_t);
	case WIRE_BACKUP_LIST_OK: return sizeof(rw_backup_t);
	case WIRE_OP_LIST_OK: return sizeof(rw_operation_t);
	case WIRE_INCIDENT_LIST_OK: return sizeof(rw_incident_t);
	default: return 0;
	}
}

wire_msg_t *
wire_msg_new(enum wire_kind kind, uint64_t request_id)
{
	wire_msg_t *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->kind = kind;
	m->version = WIRE_VERSION;
	m->request_id = request_id;
	return m;
}

void
wire_msg_free(wire_msg_t *m)
{
	if (!m)
		return;
	if (m->kind == WIRE_AUTH)
		free(m->u.auth.cert_pem);
	if (m->kind == WIRE_ARTIFACT_ADD)
		free(m->u.upload.data);
	if (item_size(m->kind))
		free(m->u.list.items);
	if (m->kind == WIRE_AGENT_REPORT || m->kind == WIRE_STATUS_OK) {
		free(m->u.state.pods);
		free(m->u.state.deploys);
		free(m->u.state.probes);
		free(m->u.state.agents);
		free(m->u.state.envs);
	}
	if (WIRE_IS_COORD(m->kind))
		wire_coord_free(m);
	wire_free_audit(m);
	free(m);
}

void
wire_msg_set_list(wire_msg_t *m, void *items, size_t n)
{
	m->u.list.items = items;
	m->u.list.n = n;
}

wire_msg_t *
wire_error_new(uint64_t request_id, int code, const char *message)
{
	wire_msg_t *m = wire_msg_new(WIRE_ERROR, request_id);
	if (!m)
		return NULL;
	m->u.error.code = code;
	snprintf(m->u.error.message, sizeof(m->u.error.message), "%s",
	         message && *message ? message : rw_strerror(code));
	return m;
}

/* ---------------------------------------------------------------------- */
/* decoding                                                               */

/* field may be NULL when the reason is about the whole message. */
int
wire_dec_fail(struct dec *d, int err, const char *field, const char *why)
{
	if (d->msg && d->msgsz)
		snprintf(d->msg, d->msgsz, "%s%s%s", field ? field : "", field ? ": " : "", why);
	return err;
}

/* Copies a wire string into a bounded field; too long is refused with the field's name. */
int
wire_dec_str(struct dec *d, char *dst, size_t cap, const char *src, const char *field)
{
	if (rw_strcpy(dst, cap, src ? src : "") != 0)
		return wire_dec_fail(d, RW_ETOOBIG, field, "too long");
	return 0;
}


static int
dec_env(struct dec *d, const Rewind__V1__Env *p, rw_env_t *e)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "env", "missing");
	e->id = p->id;
	e->created_at = p->created_at;
	if ((rv = DEC_STR(d, e->name, p->name, "name")) ||
	    (rv = DEC_STR(d, e->cluster, p->cluster, "cluster")) ||
	    (rv = DEC_STR(d, e->health_url, p->health_url, "health-url")) ||
	    (rv = DEC_STR(d, e->health_expect, p->health_expect, "health-expect")))
		return rv;
	return 0;
}

static int
dec_service(struct dec *d, const Rewind__V1__Service *p, rw_service_t *s)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "service", "missing");
	s->id = p->id;
	s->created_at = p->created_at;
	if ((rv = DEC_STR(d, s->name, p->name, "name")) ||
	    (rv = DEC_STR(d, s->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, s->deployment, p->deployment, "deployment")) ||
	    (rv = DEC_STR(d, s->container, p->container, "container")) ||
	    (rv = DEC_STR(d, s->image_repo, p->image_repo, "image")) ||
	    (rv = DEC_STR(d, s->health_path, p->health_path, "health-path")) ||
	    (rv = DEC_STR(d, s->health_expect, p->health_expect, "health-expect")))
		return rv;
	return 0;
}

static int
dec_release(struct dec *d, const Rewind__V1__Release *p, rw_release_t *r)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "release", "missing");
	r->id = p->id;
	r->created_at = p->created_at;
	if ((rv = DEC_STR(d, r->service, p->service, "service")) ||
	    (rv = DEC_STR(d, r->version, p->version, "version")) ||
	    (rv = DEC_STR(d, r->image_ref, p->image_ref, "image")) ||
	    (rv = DEC_STR(d, r->digest, p->digest, "digest")) ||
	    (rv = DEC_STR(d, r->source_commit, p->source_commit, "commit")) ||
	    (rv = DEC_STR(d, r->notes, p->notes, "notes")) ||
	    (rv = DEC_STR(d, r->created_by, p->created_by, "created-by")) ||
	    (rv = DEC_STR(d, r->migrations_compat, p->migrations_compat,
	                  "migrations-backward-compatible")))
		return rv;
	return 0;
}

static int
dec_artifact(struct dec *d, const Rewind__V1__Artifact *p, rw_artifact_t *a)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "artifact", "missing");
	a->id = p->id;
	a->release_id = p->release_id;
	a->size = p->size;
	a->verified = p->verified;
	a->verified_at = p->verified_at;
	a->created_at = p->created_at;
	if ((rv = DEC_STR(d, a->kind, p->kind, "kind")) ||
	    (rv = DEC_STR(d, a->name, p->name, "name")) ||
	    (rv = DEC_STR(d, a->location, p->location, "location")) ||
	    (rv = DEC_STR(d, a->sha256, p->sha256, "sha256")) ||
	    (rv = DEC_STR(d, a->outcome, p->outcome, "outcome")) ||
	    (rv = DEC_STR(d, a->verified_by, p->verified_by, "verified-by")) ||
	    (rv = DEC_STR(d, a->created_by, p->created_by, "created-by")))
		return rv;
	return 0;
}

static int
dec_backup(struct dec *d, const Rewind__V1__Backup *p, rw_backup_t *b)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "backup", "missing");
	b->id = p->id;
	b->size = p->size;
	b->taken_at = p->taken_at;
	b->verified = p->verified;
	b->verified_at = p->verified_at;
	if ((rv = DEC_STR(d, b->env, p->env, "env")) ||
	    (rv = DEC_STR(d, b->kind, p->kind, "kind")) ||
	    (rv = DEC_STR(d, b->location, p->location, "location")) ||
	    (rv = DEC_STR(d, b->sha256, p->sha256, "sha256")) ||
	    (rv = DEC_STR(d, b->taken_by, p->taken_by, "taken-by")) ||
	    (rv = DEC_STR(d, b->outcome, p->outcome, "outcome")) ||
	    (rv = DEC_STR(d, b->verified_by, p->verified_by, "verified-by")) ||
	    (rv = DEC_STR(d, b->result, p->result, "result")))
		return rv;
	return 0;
}

/* EnvDbSet and EnvDb share their fields; the decoder takes them one by one. */
static int
dec_env_db(struct dec *d, const char *env, const char *url, char *const *sql, size_t n,
           int64_t updated_at, rw_env_db_t *o)
{
	int rv;
	if (n > RW_SANITY_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "sanity-sql", "at most 8 queries");
	o->updated_at = updated_at;
	o->n_sanity = n;
	if ((rv = DEC_STR(d, o->env, env, "env")) || (rv = DEC_STR(d, o->db_url, url, "db-url")))
		return rv;
	for (size_t i = 0; i < n; i++)
		if ((rv = DEC_STR(d, o->sanity[i], sql[i], "sanity-sql")) != 0)
			return rv;
	return 0;
}

static int
dec_upload(struct dec *d, const Rewind__V1__ArtifactAdd *p, wire_msg_t *m)
{
	int rv;
	m->u.upload.meta.release_id = p->release_id;
	if ((rv = DEC_STR(d, m->u.upload.meta.kind, p->kind, "kind")) ||
	    (rv = DEC_STR(d, m->u.upload.meta.name, p->name, "name")) ||
	    (rv = DEC_STR(d, m->u.upload.meta.sha256, p->sha256, "sha256")))
		return rv;
	if (p->data.len == 0)
		return wire_dec_fail(d, RW_EINVAL, "data", "empty archive");
	if (p->data.len > RW_ARTIFACT_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "data", "archive larger than 16 MiB");
	m->u.upload.data = malloc(p->data.len);
	if (!m->u.upload.data)
		return RW_ENOMEM;
	memcpy(m->u.upload.data, p->data.data, p->data.len);
	m->u.upload.len = p->data.len;
	m->u.upload.meta.size = (int64_t)p->data.len;
	return 0;
}

static enum rw_outcome
outcome_parse(const char *s)
{
	for (int o = RW_OUTCOME_PENDING; o <= RW_OUTCOME_ROLLED_BACK; o++)
		if (s && strcmp(s, rw_outcome_name((enum rw_outcome)o)) == 0)
			return (enum rw_outcome)o;
	return RW_OUTCOME_PENDING;
}

static int
dec_history(struct dec *d, const Rewind__V1__HistoryRow *p, rw_history_row_t *h)
{
	int rv;
	if ((rv = dec_release(d, p->release, &h->release)) != 0)
		return rv;
	h->deployment_id = p->deployment_id;
	h->started_at = p->started_at;
	h->finished_at = p->finished_at;
	h->outcome = outcome_parse(p->outcome);
	h->known_good = p->known_good;
	return DEC_STR(d, h->env, p->env, "env");
}

static int
dec_audit(struct dec *d, const Rewind__V1__AuditEntry *p, rw_audit_t *a)
{
	int rv;
	a->id = p->id;
	a->at = p->at;
	a->role = rw_role_parse(p->role);
	if ((rv = DEC_STR(d, a->actor, p->actor, "actor")) ||
	    (rv = DEC_STR(d, a->action, p->action, "action")) ||
	    (rv = DEC_STR(d, a->target, p->target, "target")) ||
	    (rv = DEC_STR(d, a->detail, p->detail, "detail")) ||
	    (rv = DEC_STR(d, a->reason, p->reason, "reason")))
		return rv;
	return 0;
}

/* Decodes a repeated field into a freshly allocated array of domain items. */
typedef int (*dec_item_fn)(struct dec *, const void *, void *);

static int
dec_list(struct dec *d, wire_msg_t *m, void *const *pitems, size_t n, dec_item_fn fn)
{
	size_t isz = item_size(m->kind);
	char *items;

	if (n > RW_LIST_MAX * 10)
		return wire_dec_fail(d, RW_ETOOBIG, "list", "too many items");
	if (n == 0)
		return 0;
	items = calloc(n, isz);
	if (!items)
		return RW_ENOMEM;
	m->u.list.items = items;
	for (size_t i = 0; i < n; i++) {
		int rv = fn(d, pitems[i], items + i * isz);
		if (rv != 0)
			return rv;
		m->u.list.n = i + 1;
	}
	return 0;
}

static int
dec_env_item(struct dec *d, const void *p, void *out)
{
	return dec_env(d, p, out);
}
static int
dec_service_item(struct dec *d, const void *p, void *out)
{
	return dec_service(d, p, out);
}
static int
dec_release_item(struct dec *d, const void *p, void *out)
{
	return dec_release(d, p, out);
}
static int
dec_history_item(struct dec *d, const void *p, void *out)
{
	return dec_history(d, p, out);
}
static int
dec_audit_item(struct dec *d, const void *p, void *out)
{
	return dec_audit(d, p, out);
}
static int
dec_artifact_item(struct dec *d, const void *p, void *out)
{
	return dec_artifact(d, p, out);
}
static int
dec_backup_item(struct dec *d, const void *p, void *out)
{
	return dec_backup(d, p, out);
}

static int
dec_auth(struct dec *d, const Rewind__V1__Auth *p, wire_msg_t *m)
{
	size_t len = strlen(p->certificate_pem);
	if (len == 0)
		return wire_dec_fail(d, RW_EINVAL, "certificate", "missing");
	if (len > RW_CERT_PEM_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "certificate", "too long");
	if (p->signature.len == 0 || p->signature.len > RW_SIG_MAX)
		return wire_dec_fail(d, RW_EINVAL, "signature", "missing or too long");
	m->u.auth.cert_pem = strdup(p->certificate_pem);
	if (!m->u.auth.cert_pem)
		return RW_ENOMEM;
	m->u.auth.cert_len = len;
	memcpy(m->u.auth.sig, p->signature.data, p->signature.len);
	m->u.auth.sig_len = p->signature.len;
	return 0;
}

static int
dec_query_release_get(struct dec *d, const Rewind__V1__ReleaseGet *p, struct wire_query *q)
{
	int rv;
	q->id = p->id;
	if ((rv = DEC_STR(d, q->service, p->service, "service")) ||
	    (rv = DEC_STR(d, q->version, p->version, "version")))
		return rv;
	if (q->id > 0)
		return 0;
	if (!q->service[0] || !q->version[0])
		return wire_dec_fail(d, RW_EINVAL, NULL, "release: give an id, or a service and a version");
	return 0;
}

/* Requests are checked against the domain rules here, once, for every caller. */
static int
dec_validate(struct dec *d, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_ENV_ADD:
		return rw_env_check(&m->u.env, d->msg, d->msgsz);
	case WIRE_SERVICE_ADD:
		return rw_service_check(&m->u.service, d->msg, d->msgsz);
	case WIRE_RELEASE_RECORD:
		return rw_release_check(&m->u.release, d->msg, d->msgsz);
	case WIRE_SERVICE_GET:
		return rw_check_name("service", m->u.query.service, d->msg, d->msgsz);
	case WIRE_RELEASE_GET:
		if (m->u.query.id > 0)
			return 0;
		return rw_check_name("service", m->u.query.service, d->msg, d->msgsz) ?:
		       rw_check_tag("version", m->u.query.version, d->msg, d->msgsz);
	case WIRE_RELEASE_LIST:
		if (!m->u.query.service[0])
			return 0;
		return rw_check_name("service", m->u.query.service, d->msg, d->msgsz);
	case WIRE_HISTORY:
		if (m->u.query.env[0] && rw_check_name("env", m->u.query.env, d->msg, d->msgsz))
			return RW_EINVAL;
		return rw_check_name("service", m->u.query.service, d->msg, d->msgsz);
	case WIRE_AGENT_REPORT:
	case WIRE_ACTION_CREATE:
	case WIRE_ACTION_PROGRESS:
	case WIRE_ACTION_RESULT:
	case WIRE_ACTION_LIST:
	case WIRE_STATUS_GET:
		return wire_validate_agent(d, m);
	case WIRE_SETTINGS_SET:
	case WIRE_SETTINGS_GET:
	case WIRE_OP_START:
	case WIRE_OP_LIST:
	case WIRE_INCIDENT_OPEN:
	case WIRE_INCIDENT_LIST:
	case WIRE_INCIDENT_CLOSE:
	case WIRE_DECIDE:
		return wire_validate_coord(d, m);
	case WIRE_AUDIT_LOG:
		return rw_check_text("actor", m->u.audit.actor, RW_ACTOR_MAX, d->msg, d->msgsz) ?:
		       rw_check_text("action", m->u.audit.action_prefix, RW_NAME_MAX, d->msg,
		                     d->msgsz);
	case WIRE_ARTIFACT_ADD:
		return rw_artifact_check(&m->u.upload.meta, d->msg, d->msgsz);
	case WIRE_ENV_DB_SET:
		return rw_env_db_check(&m->u.env_db, d->msg, d->msgsz);
	case WIRE_BACKUP_RECORD:
		return rw_backup_check(&m->u.backup, d->msg, d->msgsz);
	case WIRE_BACKUP_RUN:
		return rw_check_name("env", m->u.query.env, d->msg, d->msgsz);
	case WIRE_BACKUP_LIST:
		if (!m->u.query.env[0])
			return 0;
		return rw_check_name("env", m->u.query.env, d->msg, d->msgsz);
	case WIRE_BACKUP_VERIFY:
		return m->u.query.id > 0 ? 0 : wire_dec_fail(d, RW_EINVAL, "id", "must be a backup id");
	case WIRE_ARTIFACT_LIST:
		return m->u.query.id >= 0 ? 0 : wire_dec_fail(d, RW_EINVAL, "release", "must be an id");
	case WIRE_AUDIT_QUERY:
		return wire_validate_audit(d, m);
	default:
		return 0;
	}
}

/* Artifacts, environment databases and backups. */
static int
dec_body_artifacts(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_ARTIFACT_ADD:
		return dec_upload(d, e->artifact_add, m);
	case WIRE_ARTIFACT:
		return dec_artifact(d, e->artifact, &m->u.artifact);
	case WIRE_ARTIFACT_LIST:
		m->u.query.id = e->artifact_list->release_id;
		m->u.query.limit = e->artifact_list->limit;
		return 0;
	case WIRE_ARTIFACT_LIST_OK:
		return dec_list(d, m, (void *const *)e->artifact_list_ok->items,
		                e->artifact_list_ok->n_items, dec_artifact_item);
	case WIRE_ARTIFACT_VERIFY:
		return 0;
	case WIRE_ARTIFACT_VERIFY_OK:
		return dec_list(d, m, (void *const *)e->artifact_verify_ok->items,
		                e->artifact_verify_ok->n_items, dec_artifact_item);
	case WIRE_ENV_DB_SET:
		return dec_env_db(d, e->env_db_set->env, e->env_db_set->db_url,
		                  e->env_db_set->sanity_sql, e->env_db_set->n_sanity_sql, 0,
		                  &m->u.env_db);
	case WIRE_ENV_DB:
		return dec_env_db(d, e->env_db->env, e->env_db->db_url, e->env_db->sanity_sql,
		                  e->env_db->n_sanity_sql, e->env_db->updated_at, &m->u.env_db);
	case WIRE_BACKUP_RUN:
		return DEC_STR(d, m->u.query.env, e->backup_run->env, "env");
	case WIRE_BACKUP:
		return dec_backup(d, e->backup, &m->u.backup);
	case WIRE_BACKUP_RECORD:
		return dec_backup(d, e->backup_record->backup, &m->u.backup);
	case WIRE_BACKUP_VERIFY:
		m->u.query.id = e->backup_verify->id;
		return 0;
	case WIRE_BACKUP_LIST:
		m->u.query.limit = e->backup_list->limit;
		return DEC_STR(d, m->u.query.env, e->backup_list->env, "env");
	case WIRE_BACKUP_LIST_OK:
		return dec_list(d, m, (void *const *)e->backup_list_ok->items,
		                e->backup_list_ok->n_items, dec_backup_item);
	default:
		return wire_dec_fail(d, RW_EPROTO, NULL, "unknown message type");
	}
}

static int
dec_body(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_HELLO:
		return DEC_STR(d, m->u.hello.client, e->hello->client, "client");
	case WIRE_CHALLENGE:
		if (e->challenge->nonce.len != RW_NONCE_LEN)
			return wire_dec_fail(d, RW_EPROTO, "nonce", "wrong length");
		memcpy(m->u.challenge.nonce, e->challenge->nonce.data, RW_NONCE_LEN);
		return DEC_STR(d, m->u.challenge.server, e->challenge->server, "server");
	case WIRE_AUTH:
		return dec_auth(d, e->auth, m);
	case WIRE_AUTH_OK:
		m->u.auth_ok.role = rw_role_parse(e->auth_ok->role);
		return DEC_STR(d, m->u.auth_ok.name, e->auth_ok->name, "name");
	case WIRE_ERROR:
		m->u.error.code = e->error->code;
		snprintf(m->u.error.message, sizeof(m->u.error.message), "%s", e->error->message);
		return 0;
	case WIRE_ENV_ADD:
		return dec_env(d, e->env_add->env, &m->u.env);
	case WIRE_ENV:
		return dec_env(d, e->env, &m->u.env);
	case WIRE_ENV_LIST:
	case WIRE_SERVICE_LIST:
		return 0;
	case WIRE_ENV_LIST_OK:
		return dec_list(d, m, (void *const *)e->env_list_ok->items, e->env_list_ok->n_items,
		                dec_env_item);
	case WIRE_SERVICE_ADD:
		return dec_service(d, e->service_add->service, &m->u.service);
	case WIRE_SERVICE:
		return dec_service(d, e->service, &m->u.service);
	case WIRE_SERVICE_GET:
		return DEC_STR(d, m->u.query.service, e->service_get->name, "name");
	case WIRE_SERVICE_LIST_OK:
		return dec_list(d, m, (void *const *)e->service_list_ok->items,
		                e->service_list_ok->n_items, dec_service_item);
	case WIRE_RELEASE_RECORD:
		return dec_release(d, e->release_record->release, &m->u.release);
	case WIRE_RELEASE:
		return dec_release(d, e->release, &m->u.release);
	case WIRE_RELEASE_GET:
		return dec_query_release_get(d, e->release_get, &m->u.query);
	case WIRE_RELEASE_LIST:
		m->u.query.limit = e->release_list->limit;
		return DEC_STR(d, m->u.query.service, e->release_list->service, "service");
	case WIRE_RELEASE_LIST_OK:
		return dec_list(d, m, (void *const *)e->release_list_ok->items,
		                e->release_list_ok->n_items, dec_release_item);
	case WIRE_HISTORY:
		m->u.query.limit = e->history->limit;
		return DEC_STR(d, m->u.query.service, e->history->service, "service") ?:
		       DEC_STR(d, m->u.query.env, e->history->env, "env");
	case WIRE_HISTORY_OK:
		return dec_list(d, m, (void *const *)e->history_ok->items, e->history_ok->n_items,
		                dec_history_item);
	case WIRE_AUDIT_LOG:
		m->u.audit.since = e->audit_log->since;
		m->u.audit.until = e->audit_log->until;
		m->u.audit.limit = e->audit_log->limit;
		return DEC_STR(d, m->u.audit.actor, e->audit_log->actor, "actor") ?:
		       DEC_STR(d, m->u.audit.action_prefix, e->audit_log->action_prefix, "action");
	case WIRE_AUDIT_LOG_OK:
		return dec_list(d, m, (void *const *)e->audit_log_ok->items,
		                e->audit_log_ok->n_items, dec_audit_item);
	default:
		if (m->kind >= WIRE_AGENT_REPORT && m->kind <= WIRE_STATUS_OK)
			return wire_dec_agent(d, e, m);
		if (WIRE_IS_COORD(m->kind))
			return wire_dec_coord(d, e, m);
		if (m->kind >= WIRE_AUDIT_QUERY && m->kind <= WIRE_AUDIT_TABLE)
			return wire_dec_audit(d, e, m);
		return dec_body_artifacts(d, e, m);
	}
}

static int
decode(const void *buf, size_t len, size_t max, bool uploads, wire_msg_t **out,
       uint64_t *request_id, char *msg, size_t msgsz)
{
	struct dec d = {msg, msgsz};
	pb_env_t *e;
	wire_msg_t *m;
	int rv;

	*out = NULL;
	if (request_id)
		*request_id = 0;
	if (len > max)
		return wire_dec_fail(&d, RW_ETOOBIG, NULL, "message larger than allowed");
	e = rewind__v1__envelope__unpack(NULL, len, buf);
	if (!e && uploads && len > WIRE_REQUEST_MAX)
		return wire_dec_fail(&d, RW_ETOOBIG, NULL, "message larger than allowed");
	if (!e)
		return wire_dec_fail(&d, RW_EPROTO, NULL, "not a valid Rewind envelope");
	if (request_id)
		*request_id = e->request_id;
	if (e->version != WIRE_VERSION) {
		unsigned v = e->version;
		rewind__v1__envelope__free_unpacked(e, NULL);
		if (msg && msgsz)
			snprintf(msg, msgsz, "protocol version %u not supported (this side speaks %d)",
			         v, WIRE_VERSION);
		return RW_EVERSION;
	}
	/*
	 * Past the request bound only an upload (WIRE_UPLOAD_MAX) or a node
	 * report (WIRE_REPORT_MAX) may go.
	 */
	if (uploads && len > WIRE_REQUEST_MAX) {
		enum wire_kind k = kind_of_case(e->body_case);
		bool ok = k == WIRE_ARTIFACT_ADD || (k == WIRE_AGENT_REPORT && len <= WIRE_REPORT_MAX);
		if (!ok) {
			rewind__v1__envelope__free_unpacked(e, NULL);
			return wire_dec_fail(&d, RW_ETOOBIG, NULL, "message larger than allowed");
		}
	}
	m = wire_msg_new(kind_of_case(e->body_case), e->request_id);
	if (!m) {
		rewind__v1__envelope__free_unpacked(e, NULL);
		return RW_ENOMEM;
	}
	rv = dec_body(&d, e, m);
	rewind__v1__envelope__free_unpacked(e, NULL);
	if (rv == 0)
		rv = dec_validate(&d, m);
	if (rv != 0) {
		wire_msg_free(m);
		return rv;
	}
	*out = m;
	return 0;
}

int
wire_decode(const void *buf, size_t len, size_t max, wire_msg_t **out, uint64_t *request_id,
            char *msg, size_t msgsz)
{
	return decode(buf, len, max, false, out, request_id, msg, msgsz);
}

int
wire_decode_request(const void *buf, size_t len, wire_msg_t **out, uint64_t *request_id,
                    char *msg, size_t msgsz)
{
	return decode(buf, len, WIRE_UPLOAD_MAX, true, out, request_id, msg, msgsz);
}

/* ---------------------------------------------------------------------- */
/* encoding                                                               */

void *
wire_arena_alloc(struct wire_arena *a, size_t n, size_t sz)
{
	void *p;
	if (n == 0)
		n = 1;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		void **nb = realloc(a->blocks, ncap * sizeof(*nb));
		if (!nb)
			return NULL;
		a->blocks = nb;
		a->cap = ncap;
	}
	if (!(p = calloc(n, sz)))
		return NULL;
	a->blocks[a->n++] = p;
	return p;
}

void
wire_arena_free(struct wire_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	a->blocks = NULL;
	a->n = a->cap = 0;
}

/*
 * Protobuf-c wants char* where we hold const buffers; packing only reads
 * them, so the casts are safe.
 */
#define S(x) ((char *)(x))

static void
enc_env(Rewind__V1__Env *p, const rw_env_t *e)
{
	rewind__v1__env__init(p);
	p->id = e->id;
	p->name = S(e->name);
	p->cluster = S(e->cluster);
	p->health_url = S(e->health_url);
	p->health_expect = S(e->health_expect);
	p->created_at = e->created_at;
}

static void
enc_service(Rewind__V1__Service *p, const rw_service_t *s)
{
	rewind__v1__service__init(p);
	p->id = s->id;
	p->name = S(s->name);
	p->namespace_ = S(s->namespace_);
	p->deployment = S(s->deployment);
	p->container = S(s->container);
	p->image_repo = S(s->image_repo);
	p->health_path = S(s->health_path);
	p->health_expect = S(s->health_expect);
	p->created_at = s->created_at;
}

static void
enc_release(Rewind__V1__Release *p, const rw_release_t *r)
{
	rewind__v1__release__init(p);
	p->id = r->id;
	p->service = S(r->service);
	p->version = S(r->version);
	p->image_ref = S(r->image_ref);
	p->digest = S(r->digest);
	p->source_commit = S(r->source_commit);
	p->notes = S(r->notes);
	p->created_by = S(r->created_by);
	p->created_at = r->created_at;
	p->migrations_compat = S(r->migrations_compat);
}

static void
enc_artifact(Rewind__V1__Artifact *p, const rw_artifact_t *a)
{
	rewind__v1__artifact__init(p);
	p->id = a->id;
	p->release_id = a->release_id;
	p->kind = S(a->kind);
	p->name = S(a->name);
	p->location = S(a->location);
	p->sha256 = S(a->sha256);
	p->size = a->size;
	p->outcome = S(a->outcome);
	p->verified = a->verified;
	p->verified_at = a->verified_at;
	p->verified_by = S(a->verified_by);
	p->created_at = a->created_at;
	p->created_by = S(a->created_by);
}

static void
enc_backup(Rewind__V1__Backup *p, const rw_backup_t *b)
{
	rewind__v1__backup__init(p);
	p->id = b->id;
	p->env = S(b->env);
	p->kind = S(b->kind);
	p->location = S(b->location);
	p->sha256 = S(b->sha256);
	p->size = b->size;
	p->taken_at = b->taken_at;
	p->taken_by = S(b->taken_by);
	p->outcome = S(b->outcome);
	p->verified = b->verified;
	p->verified_at = b->verified_at;
	p->verified_by = S(b->verified_by);
	p->result = S(b->result);
}

/*
 * Per-item storage for list replies: each repeated item needs its own
 * protobuf struct (and a history row its nested release).
 */
union enc_item {
	Rewind__V1__Env env;
	Rewind__V1__Service service;
	Rewind__V1__Release release;
	struct {
		Rewind__V1__HistoryRow row;
		Rewind__V1__Release release;
	} history;
	Rewind__V1__AuditEntry audit;
	Rewind__V1__Artifact artifact;
	Rewind__V1__Backup backup;
};

static void
enc_item(enum wire_kind kind, union enc_item *it, const void *src)
{
	switch (kind) {
	case WIRE_ENV_LIST_OK:
		enc_env(&it->env, src);
		break;
	case WIRE_SERVICE_LIST_OK:
		enc_service(&it->service, src);
		break;
	case WIRE_RELEASE_LIST_OK:
		enc_release(&it->release, src);
		break;
	case WIRE_HISTORY_OK: {
		const rw_history_row_t *h = src;
		rewind__v1__history_row__init(&it->history.row);
		enc_release(&it->history.release, &h->release);
		it->history.row.release = &it->history.release;
		it->history.row.env = S(h->env);
		it->history.row.deployment_id = h->deployment_id;
		it->history.row.started_at = h->started_at;
		it->history.row.finished_at = h->finished_at;
		it->history.row.outcome = S(rw_outcome_name(h->outcome));
		it->history.row.known_good = h->known_good;
		break;
	}
	case WIRE_AUDIT_LOG_OK: {
		const rw_audit_t *a = src;
		rewind__v1__audit_entry__init(&it->audit);
		it->audit.id = a->id;
		it->audit.at = a->at;
		it->audit.actor = S(a->actor);
		it->audit.role = S(rw_role_name(a->role));
		it->audit.action = S(a->action);
		it->audit.target = S(a->target);
		it->audit.detail = S(a->detail);
		it->audit.reason = S(a->reason);
		break;
	}
	case WIRE_ARTIFACT_LIST_OK:
	case WIRE_ARTIFACT_VERIFY_OK:
		enc_artifact(&it->artifact, src);
		break;
	case WIRE_BACKUP_LIST_OK:
		enc_backup(&it->backup, src);
		break;
	default:
		break;
	}
}

/* Scratch space that must live until the envelope is packed. */
struct enc {
	union {
		Rewind__V1__Hello hello;
		Rewind__V1__Challenge challenge;
		Rewind__V1__Auth auth;
		Rewind__V1__AuthOk auth_ok;
		Rewind__V1__Error error;
		Rewind__V1__EnvAdd env_add;
		Rewind__V1__EnvList env_list;
		Rewind__V1__EnvListOk env_list_ok;
		Rewind__V1__ServiceAdd service_add;
		Rewind__V1__ServiceGet service_get;
		Rewind__V1__ServiceList service_list;
		Rewind__V1__ServiceListOk service_list_ok;
		Rewind__V1__ReleaseRecord release_record;
		Rewind__V1__ReleaseGet release_get;
		Rewind__V1__ReleaseList release_list;
		Rewind__V1__ReleaseListOk release_list_ok;
		Rewind__V1__History history;
		Rewind__V1__HistoryOk history_ok;
		Rewind__V1__AuditLog audit_log;
		Rewind__V1__AuditLogOk audit_log_ok;
		Rewind__V1__ArtifactAdd artifact_add;
		Rewind__V1__ArtifactList artifact_list;
		Rewind__V1__ArtifactListOk artifact_list_ok;
		Rewind__V1__ArtifactVerify artifact_verify;
		Rewind__V1__ArtifactVerifyOk artifact_verify_ok;
		Rewind__V1__EnvDbSet env_db_set;
		Rewind__V1__EnvDb env_db;
		Rewind__V1__BackupRun backup_run;
		Rewind__V1__BackupRecord backup_record;
		Rewind__V1__BackupVerify backup_verify;
		Rewind__V1__BackupList backup_list;
		Rewind__V1__BackupListOk backup_list_ok;
	} b;
	Rewind__V1__Env env;
	Rewind__V1__Service service;
	Rewind__V1__Release release;
	Rewind__V1__Artifact artifact;
	Rewind__V1__Backup backup;
	char *sanity[RW_SANITY_MAX];
	union enc_item *items;
	void **ptrs;
	struct wire_arena agent;
	struct wire_arena coord;
	struct enc_audit audit;
};

/* Fills ptrs with pointers to packed items; returns RW_ENOMEM on allocation failure. */
static int
enc_list(struct enc *x, const wire_msg_t *m, size_t *n_out, void ***ptrs_out)
{
	size_t n = m->u.list.n, isz = item_size(m->kind);
	*n_out = n;
	*ptrs_out = NULL;
	if (n == 0)
		return 0;
	x->items = calloc(n, sizeof(*x->items));
	x->ptrs = calloc(n, sizeof(*x->ptrs));
	if (!x->items || !x->ptrs)
		return RW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		enc_item(m->kind, &x->items[i], (const char *)m->u.list.items + i * isz);
		x->ptrs[i] = &x->items[i];
	}
	*ptrs_out = x->ptrs;
	return 0;
}

#define ENC_LIST(x, m, field, type)                                                         \
	enc_list((x), (m), &(x)->b.field.n_items, (void ***)&(x)->b.field.items)

static int
enc_session(struct enc *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_HELLO:
		rewind__v1__hello__init(&x->b.hello);
		x->b.hello.client = S(m->u.hello.client);
		e->hello = &x->b.hello;
		return 0;
	case WIRE_CHALLENGE:
		rewind__v1__challenge__init(&x->b.challenge);
		x->b.challenge.nonce.data = (uint8_t *)m->u.challenge.nonce;
		x->b.challenge.nonce.len = RW_NONCE_LEN;
		x->b.challenge.server = S(m->u.challenge.server);
		e->challenge = &x->b.challenge;
		return 0;
	case WIRE_AUTH:
		rewind__v1__auth__init(&x->b.auth);
		x->b.auth.certificate_pem = m->u.auth.cert_pem ? m->u.auth.cert_pem : S("");
		x->b.auth.signature.data = (uint8_t *)m->u.auth.sig;
		x->b.auth.signature.len = m->u.auth.sig_len;
		e->auth = &x->b.auth;
		return 0;
	case WIRE_AUTH_OK:
		rewind__v1__auth_ok__init(&x->b.auth_ok);
		x->b.auth_ok.name = S(m->u.auth_ok.name);
		x->b.auth_ok.role = S(rw_role_name(m->u.auth_ok.role));
		e->auth_ok = &x->b.auth_ok;
		return 0;
	case WIRE_ERROR:
		rewind__v1__error__init(&x->b.error);
		x->b.error.code = m->u.error.code;
		x->b.error.name = S(rw_errname(m->u.error.code));
		x->b.error.message = S(m->u.error.message);
		e->error = &x->b.error;
		return 0;
	default:
		return RW_EINVAL;
	}
}

static int
enc_records(struct enc *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_ENV_ADD:
		rewind__v1__env_add__init(&x->b.env_add);
		enc_env(&x->env, &m->u.env);
		x->b.env_add.env = &x->env;
		e->env_add = &x->b.env_add;
		return 0;
	case WIRE_ENV:
		enc_env(&x->env, &m->u.env);
		e->env = &x->env;
		return 0;
	case WIRE_ENV_LIST:
		rewind__v1__env_list__init(&x->b.env_list);
		e->env_list = &x->b.env_list;
		return 0;
	case WIRE_ENV_LIST_OK:
		rewind__v1__env_list_ok__init(&x->b.env_list_ok);
		e->env_list_ok = &x->b.env_list_ok;
		return ENC_LIST(x, m, env_list_ok, Rewind__V1__Env);
	case WIRE_SERVICE_ADD:
		rewind__v1__service_add__init(&x->b.service_add);
		enc_service(&x->service, &m->u.service);
		x->b.service_add.service = &x->service;
		e->service_add = &x->b.service_add;
		return 0;
	case WIRE_SERVICE:
		enc_service(&x->service, &m->u.service);
		e->service = &x->service;
		return 0;
	case WIRE_SERVICE_GET:
		rewind__v1__service_get__init(&x->b.service_get);
		x->b.service_get.name = S(m->u.query.service);
		e->service_get = &x->b.service_get;
		return 0;
	case WIRE_SERVICE_LIST:
		rewind__v1__service_list__init(&x->b.service_list);
		e->service_list = &x->b.service_list;
		return 0;
	case WIRE_SERVICE_LIST_OK:
		rewind__v1__service_list_ok__init(&x->b.service_list_ok);
		e->service_list_ok = &x->b.service_list_ok;
		return ENC_LIST(x, m, service_list_ok, Rewind__V1__Service);
	default:
		return RW_EINVAL;
	}
}

static int
enc_releases(struct enc *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_RELEASE_RECORD:
		rewind__v1__release_record__init(&x->b.release_record);
		enc_release(&x->release, &m->u.release);
		x->b.release_record.release = &x->release;
		e->release_record = &x->b.release_record;
		return 0;
	case WIRE_RELEASE:
		enc_release(&x->release, &m->u.release);
		e->release = &x->release;
		return 0;
	case WIRE_RELEASE_GET:
		rewind__v1__release_get__init(&x->b.release_get);
		x->b.release_get.id = m->u.query.id;
		x->b.release_get.service = S(m->u.query.service);
		x->b.release_get.version = S(m->u.query.version);
		e->release_get = &x->b.release_get;
		return 0;
	case WIRE_RELEASE_LIST:
		rewind__v1__release_list__init(&x->b.release_list);
		x->b.release_list.service = S(m->u.query.service);
		x->b.release_list.limit = m->u.query.limit;
		e->release_list = &x->b.release_list;
		return 0;
	case WIRE_RELEASE_LIST_OK:
		rewind__v1__release_list_ok__init(&x->b.release_list_ok);
		e->release_list_ok = &x->b.release_list_ok;
		return ENC_LIST(x, m, release_list_ok, Rewind__V1__Release);
	case WIRE_HISTORY:
		rewind__v1__history__init(&x->b.history);
		x->b.history.service = S(m->u.query.service);
		x->b.history.env = S(m->u.query.env);
		x->b.history.limit = m->u.query.limit;
		e->history = &x->b.history;
		return 0;
	case WIRE_HISTORY_OK:
		rewind__v1__history_ok__init(&x->b.history_ok);
		e->history_ok = &x->b.history_ok;
		return ENC_LIST(x, m, history_ok, Rewind__V1__HistoryRow);
	case WIRE_AUDIT_LOG:
		rewind__v1__audit_log__init(&x->b.audit_log);
		x->b.audit_log.actor = S(m->u.audit.actor);
		x->b.audit_log.action_prefix = S(m->u.audit.action_prefix);
		x->b.audit_log.since = m->u.audit.since;
		x->b.audit_log.until = m->u.audit.until;
		x->b.audit_log.limit = m->u.audit.limit;
		e->audit_log = &x->b.audit_log;
		return 0;
	case WIRE_AUDIT_LOG_OK:
		rewind__v1__audit_log_ok__init(&x->b.audit_log_ok);
		e->audit_log_ok = &x->b.audit_log_ok;
		return ENC_LIST(x, m, audit_log_ok, Rewind__V1__AuditEntry);
	default:
		return RW_EINVAL;
	}
}

/* Points the repeated sanity_sql of EnvDbSet/EnvDb at the struct's queries. */
static size_t
enc_sanity(struct enc *x, const rw_env_db_t *d)
{
	size_t n = d->n_sanity > RW_SANITY_MAX ? RW_SANITY_MAX : d->n_sanity;
	for (size_t i = 0; i < n; i++)
		x->sanity[i] = S(d->sanity[i]);
	return n;
}

static int
enc_backups(struct enc *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_BACKUP_RUN:
		rewind__v1__backup_run__init(&x->b.backup_run);
		x->b.backup_run.env = S(m->u.query.env);
		e->backup_run = &x->b.backup_run;
		return 0;
	case WIRE_BACKUP:
		enc_backup(&x->backup, &m->u.backup);
		e->backup = &x->backup;
		return 0;
	case WIRE_BACKUP_RECORD:
		rewind__v1__backup_record__init(&x->b.backup_record);
		enc_backup(&x->backup, &m->u.backup);
		x->b.backup_record.backup = &x->backup;
		e->backup_record = &x->b.backup_record;
		return 0;
	case WIRE_BACKUP_VERIFY:
		rewind__v1__backup_verify__init(&x->b.backup_verify);
		x->b.backup_verify.id = m->u.query.id;
		e->backup_verify = &x->b.backup_verify;
		return 0;
	case WIRE_BACKUP_LIST:
		rewind__v1__backup_list__init(&x->b.backup_list);
		x->b.backup_list.env = S(m->u.query.env);
		x->b.backup_list.limit = m->u.query.limit;
		e->backup_list = &x->b.backup_list;
		return 0;
	case WIRE_BACKUP_LIST_OK:
		rewind__v1__backup_list_ok__init(&x->b.backup_list_ok);
		e->backup_list_ok = &x->b.backup_list_ok;
		return ENC_LIST(x, m, backup_list_ok, Rewind__V1__Backup);
	default:
		return RW_EINVAL;
	}
}

static int
enc_artifacts(struct enc *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_ARTIFACT_ADD:
		rewind__v1__artifact_add__init(&x->b.artifact_add);
		x->b.artifact_add.release_id = m->u.upload.meta.release_id;
		x->b.artifact_add.kind = S(m->u.upload.meta.kind);
		x->b.artifact_add.name = S(m->u.upload.meta.name);
		x->b.artifact_add.sha256 = S(m->u.upload.meta.sha256);
		x->b.artifact_add.data.data = m->u.upload.data;
		x->b.artifact_add.data.len = m->u.upload.len;
		e->artifact_add = &x->b.artifact_add;
		return 0;
	case WIRE_ARTIFACT:
		enc_artifact(&x->artifact, &m->u.artifact);
		e->artifact = &x->artifact;
		return 0;
	case WIRE_ARTIFACT_LIST:
		rewind__v1__artifact_list__init(&x->b.artifact_list);
		x->b.artifact_list.release_id = m->u.query.id;
		x->b.artifact_list.limit = m->u.query.limit;
		e->artifact_list = &x->b.artifact_list;
		return 0;
	case WIRE_ARTIFACT_LIST_OK:
		rewind__v1__artifact_list_ok__init(&x->b.artifact_list_ok);
		e->artifact_list_ok = &x->b.artifact_list_ok;
		return ENC_LIST(x, m, artifact_list_ok, Rewind__V1__Artifact);
	case WIRE_ARTIFACT_VERIFY:
		rewind__v1__artifact_verify__init(&x->b.artifact_verify);
		e->artifact_verify = &x->b.artifact_verify;
		return 0;
	case WIRE_ARTIFACT_VERIFY_OK:
		rewind__v1__artifact_verify_ok__init(&x->b.artifact_verify_ok);
		e->artifact_verify_ok = &x->b.artifact_verify_ok;
		return ENC_LIST(x, m, artifact_verify_ok, Rewind__V1__Artifact);
	case WIRE_ENV_DB_SET:
		rewind__v1__env_db_set__init(&x->b.env_db_set);
		x->b.env_db_set.env = S(m->u.env_db.env);
		x->b.env_db_set.db_url = S(m->u.env_db.db_url);
		x->b.env_db_set.n_sanity_sql = enc_sanity(x, &m->u.env_db);
		x->b.env_db_set.sanity_sql = x->sanity;
		e->env_db_set = &x->b.env_db_set;
		return 0;
	case WIRE_ENV_DB:
		rewind__v1__env_db__init(&x->b.env_db);
		x->b.env_db.env = S(m->u.env_db.env);
		x->b.env_db.db_url = S(m->u.env_db.db_url);
		x->b.env_db.n_sanity_sql = enc_sanity(x, &m->u.env_db);
		x->b.env_db.sanity_sql = x->sanity;
		x->b.env_db.updated_at = m->u.env_db.updated_at;
		e->env_db = &x->b.env_db;
		return 0;
	default:
		return enc_backups(x, m, e);
	}
}

int
wire_encode(const wire_msg_t *m, uint8_t **buf, size_t *len)
{
	pb_env_t e = REWIND__V1__ENVELOPE__INIT;
	struct enc x;
	int rv;

	*buf = NULL;
	*len = 0;
	if ((unsigned)m->kind >= WIRE_KIND_COUNT || m->kind == WIRE_NONE)
		return RW_EINVAL;
	memset(&x, 0, sizeof(x));
	e.version = m->version ? m->version : WIRE_VERSION;
	e.request_id = m->request_id;
	e.body_case = kind_cases[m->kind];
	if (m->kind <= WIRE_ERROR)
		rv = enc_session(&x, m, &e);
	else if (m->kind <= WIRE_SERVICE_LIST_OK)
		rv = enc_records(&x, m, &e);
	else if (m->kind <= WIRE_AUDIT_LOG_OK)
		rv = enc_releases(&x, m, &e);
	else if (m->kind >= WIRE_AGENT_REPORT && m->kind <= WIRE_STATUS_OK)
		rv = wire_enc_agent(&x.agent, m, &e);
	else if (WIRE_IS_COORD(m->kind))
		rv = wire_enc_coord(&x.coord, m, &e);
	else if (m->kind >= WIRE_AUDIT_QUERY && m->kind <= WIRE_AUDIT_TABLE)
		rv = wire_enc_audit(&x.audit, m, &e);
	else
		rv = enc_artifacts(&x, m, &e);
	if (rv == 0) {
		size_t n = rewind__v1__envelope__get_packed_size(&e);
		*buf = malloc(n ? n : 1);
		if (!*buf)
			rv = RW_ENOMEM;
		else
			*len = rewind__v1__envelope__pack(&e, *buf);
	}
	free(x.items);
	free(x.ptrs);
	wire_arena_free(&x.agent);
	wire_arena_free(&x.coord);
	wire_enc_audit_free(&x.audit);
	return rv;
}
