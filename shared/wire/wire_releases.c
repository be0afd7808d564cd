/*
 * wire_releases — the releases family: recording and finding releases, a
 * service's deploy history, and the audit log.  Tables, the enum hooks and
 * the domain checks of its requests; what a release may be is domain.c's to
 * say, not this file's.
 */
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

/* Lists of records, as wire.c has always bounded them. */
#define LIST_MAX (RW_LIST_MAX * 10)

#define RELEASE_T rw_release_t, Rewind__V1__Release
WIRE_DEFINE(release, "release", rewind__v1__release, RELEASE_T,
	WIRE_NUM(RELEASE_T, id), WIRE_NUM(RELEASE_T, created_at),
	WIRE_STR(RELEASE_T, service, "service"), WIRE_STR(RELEASE_T, version, "version"),
	WIRE_STR(RELEASE_T, image_ref, "image"), WIRE_STR(RELEASE_T, digest, "digest"),
	WIRE_STR(RELEASE_T, source_commit, "commit"), WIRE_STR(RELEASE_T, notes, "notes"),
	WIRE_STR(RELEASE_T, created_by, "created-by"),
	WIRE_STR(RELEASE_T, migrations_compat, "migrations-backward-compatible"));

static enum rw_outcome
outcome_parse(const char *s)
{
	for (int o = RW_OUTCOME_PENDING; o <= RW_OUTCOME_ROLLED_BACK; o++)
		if (s && strcmp(s, rw_outcome_name((enum rw_outcome)o)) == 0)
			return (enum rw_outcome)o;
	return RW_OUTCOME_PENDING;
}

#define HISTORY_T rw_history_row_t, Rewind__V1__HistoryRow
WIRE_DEFINE(history_row, NULL, rewind__v1__history_row, HISTORY_T,
	WIRE_MSG(HISTORY_T, release, release, &release), WIRE_NUM(HISTORY_T, deployment_id),
	WIRE_NUM(HISTORY_T, started_at), WIRE_NUM(HISTORY_T, finished_at),
	WIRE_BOOL(HISTORY_T, known_good), WIRE_ENUM(HISTORY_T, outcome, outcome_parse, rw_outcome_name),
	WIRE_STR(HISTORY_T, env, "env"));

#define AUDIT_T rw_audit_t, Rewind__V1__AuditEntry
WIRE_DEFINE(audit_entry, NULL, rewind__v1__audit_entry, AUDIT_T,
	WIRE_NUM(AUDIT_T, id), WIRE_NUM(AUDIT_T, at), WIRE_ENUM(AUDIT_T, role, rw_role_parse, rw_role_name),
	WIRE_STR(AUDIT_T, actor, "actor"),
	WIRE_STR(AUDIT_T, action, "action"), WIRE_STR(AUDIT_T, target, "target"),
	WIRE_STR(AUDIT_T, detail, "detail"), WIRE_STR(AUDIT_T, reason, "reason"));

/* A release is named by its id, or by its service and version. */
static int
validate_get(struct dec *d, const struct wire_query *q)
{
	if (q->id > 0)
		return 0;
	if (!q->service[0] || !q->version[0])
		return wire_dec_fail(d, RW_EINVAL, NULL, "release: give an id, or a service and a version");
	return rw_check_name("service", q->service, d->msg, d->msgsz) ?:
	       rw_check_tag("version", q->version, d->msg, d->msgsz);
}

static int
validate(struct dec *d, const wire_msg_t *m)
{
	const struct wire_query *q = &m->u.query;
	switch (m->kind) {
	case WIRE_RELEASE_RECORD:
		return rw_release_check(&m->u.release, d->msg, d->msgsz);
	case WIRE_RELEASE_GET:
		return validate_get(d, q);
	case WIRE_RELEASE_LIST:
		return q->service[0] ? rw_check_name("service", q->service, d->msg, d->msgsz) : 0;
	case WIRE_HISTORY:
		if (q->env[0] && rw_check_name("env", q->env, d->msg, d->msgsz))
			return RW_EINVAL;
		return rw_check_name("service", q->service, d->msg, d->msgsz);
	case WIRE_AUDIT_LOG:
		return rw_check_text("actor", m->u.audit.actor, RW_ACTOR_MAX, d->msg, d->msgsz) ?:
		       rw_check_text("action", m->u.audit.action_prefix, RW_NAME_MAX, d->msg, d->msgsz);
	default:
		return 0;
	}
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FLAT(WIRE_RELEASE_RECORD,
	          WIRE_MSG(WIRE_M(ReleaseRecord), u.release, release, &release)),
	WIRE_FORM_AT(WIRE_RELEASE, &release, u.release),
	WIRE_FLAT(WIRE_RELEASE_GET, WIRE_NUM_AS(WIRE_M(ReleaseGet), u.query.id, id),
	          WIRE_STR_AS(WIRE_M(ReleaseGet), u.query.service, service, "service"),
	          WIRE_STR_AS(WIRE_M(ReleaseGet), u.query.version, version, "version")),
	WIRE_FLAT(WIRE_RELEASE_LIST, WIRE_NUM_AS(WIRE_M(ReleaseList), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(ReleaseList), u.query.service, service, "service")),
	WIRE_FLAT(WIRE_RELEASE_LIST_OK, WIRE_ITEMS(WIRE_M(ReleaseListOk), &release, LIST_MAX)),
	WIRE_FLAT(WIRE_HISTORY, WIRE_NUM_AS(WIRE_M(History), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(History), u.query.service, service, "service"),
	          WIRE_STR_AS(WIRE_M(History), u.query.env, env, "env")),
	WIRE_FLAT(WIRE_HISTORY_OK, WIRE_ITEMS(WIRE_M(HistoryOk), &history_row, LIST_MAX)),
	WIRE_FLAT(WIRE_AUDIT_LOG, WIRE_NUM_AS(WIRE_M(AuditLog), u.audit.since, since),
	          WIRE_NUM_AS(WIRE_M(AuditLog), u.audit.until, until),
	          WIRE_NUM_AS(WIRE_M(AuditLog), u.audit.limit, limit),
	          WIRE_STR_AS(WIRE_M(AuditLog), u.audit.actor, actor, "actor"),
	          WIRE_STR_AS(WIRE_M(AuditLog), u.audit.action_prefix, action_prefix, "action")),
	WIRE_FLAT(WIRE_AUDIT_LOG_OK, WIRE_ITEMS(WIRE_M(AuditLogOk), &audit_entry, LIST_MAX)),
};

const struct wire_family wire_releases =
	WIRE_FAMILY("releases", WIRE_RELEASE_RECORD, WIRE_AUDIT_LOG_OK, forms, validate);
