/*
 * wire — the envelope: protobuf-c Envelope <-> wire_msg_t, by a table of
 * message families.
 *
 * wire_decode() unpacks and bounds one envelope, finds the family and form
 * of its body's kind, has wire_base.c copy the body into the message by the
 * form's item, and runs the family's checks on requests, so callers never
 * see an unchecked value.  wire_encode() allocates the body in an arena,
 * fills it by the same item and packs.  What each kind carries is said in
 * the family files (wire_session.c ... wire_audit.c), never here.
 */
#include "wire.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire_base.h"
#include "wire_family.h"

/*
 * The families, in kind order: every kind 1..WIRE_KIND_COUNT-1 belongs to
 * exactly one (tests/unit/test_wire.c checks it).
 */
const struct wire_family *const wire_families[] = {
	&wire_session, &wire_records, &wire_releases, &wire_agent,
	&wire_artifacts, &wire_coord, &wire_audit,
};
const size_t wire_nfamilies = sizeof(wire_families) / sizeof(wire_families[0]);

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

static const struct wire_family *
family_of(enum wire_kind kind)
{
	for (size_t i = 0; i < wire_nfamilies; i++)
		if ((int)kind >= wire_families[i]->first && (int)kind <= wire_families[i]->last)
			return wire_families[i];
	return NULL;
}

/* The form of a kind, or NULL for WIRE_NONE and anything out of range. */
static const struct wire_form *
form_of(const struct wire_family *fam, enum wire_kind kind)
{
	for (size_t i = 0; fam && i < fam->nforms; i++)
		if (fam->forms[i].kind == (int)kind)
			return &fam->forms[i];
	return NULL;
}

/* Where the body of a kind stands in the envelope (its oneof member). */
static const ProtobufCFieldDescriptor *
body_field(enum wire_kind kind)
{
	if ((unsigned)kind >= WIRE_KIND_COUNT || kind == WIRE_NONE)
		return NULL;
	return protobuf_c_message_descriptor_get_field(&rewind__v1__envelope__descriptor,
	                                               (unsigned)kind_cases[kind]);
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
	const struct wire_form *form;
	if (!m)
		return;
	if ((form = form_of(family_of(m->kind), m->kind)))
		wire_free_item(form->item, (char *)m + form->offset);
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

/* The body by its family's form, then the family's checks. */
static int
dec_body(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	const struct wire_family *fam = family_of(m->kind);
	const struct wire_form *form = form_of(fam, m->kind);
	const ProtobufCFieldDescriptor *fd = body_field(m->kind);
	int rv;

	if (!form || !fd)
		return wire_dec_fail(d, RW_EPROTO, NULL, "unknown message type");
	rv = wire_dec_item(d, form->item, *(void *const *)((const char *)e + fd->offset),
	                   (char *)m + form->offset);
	if (rv == 0 && fam->validate)
		rv = fam->validate(d, m);
	return rv;
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
		return rw_fail(RW_EVERSION, msg, msgsz,
		               "protocol version %u not supported (this side speaks %d)", v,
		               WIRE_VERSION);
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

/* The body, allocated in the arena and hung on the envelope, filled by the form's item. */
static int
enc_body(struct wire_arena *a, const wire_msg_t *m, pb_env_t *e)
{
	const struct wire_form *form = form_of(family_of(m->kind), m->kind);
	const ProtobufCFieldDescriptor *fd = body_field(m->kind);
	void *body;

	if (!form || !fd)
		return RW_EINVAL;
	if (!(body = wire_arena_msg(a, fd->descriptor)))
		return RW_ENOMEM;
	*(void **)((char *)e + fd->offset) = body;
	return wire_enc_item(a, form->item, body, (const char *)m + form->offset);
}

int
wire_encode(const wire_msg_t *m, uint8_t **buf, size_t *len)
{
	pb_env_t e = REWIND__V1__ENVELOPE__INIT;
	struct wire_arena a = {0};
	int rv;

	*buf = NULL;
	*len = 0;
	if ((unsigned)m->kind >= WIRE_KIND_COUNT || m->kind == WIRE_NONE)
		return RW_EINVAL;
	e.version = m->version ? m->version : WIRE_VERSION;
	e.request_id = m->request_id;
	e.body_case = kind_cases[m->kind];
	rv = enc_body(&a, m, &e);
	if (rv == 0) {
		size_t n = rewind__v1__envelope__get_packed_size(&e);
		*buf = malloc(n ? n : 1);
		if (!*buf)
			rv = RW_ENOMEM;
		else
			*len = rewind__v1__envelope__pack(&e, *buf);
	}
	wire_arena_free(&a);
	return rv;
}
