/*
 * wire_artifacts — the artifacts family: uploading, listing and verifying
 * artifacts, an environment's database settings, and backups.  Tables, the
 * upload's data hooks and the domain checks of its requests; the archive
 * format is shared/pack's business, not this file's.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

/* Lists of records, as wire.c has always bounded them. */
#define LIST_MAX (RW_LIST_MAX * 10)

#define ARTIFACT_T rw_artifact_t, Rewind__V1__Artifact
WIRE_DEFINE(artifact, "artifact", rewind__v1__artifact, ARTIFACT_T,
	WIRE_NUM(ARTIFACT_T, id), WIRE_NUM(ARTIFACT_T, release_id), WIRE_NUM(ARTIFACT_T, size),
	WIRE_BOOL(ARTIFACT_T, verified), WIRE_NUM(ARTIFACT_T, verified_at),
	WIRE_NUM(ARTIFACT_T, created_at), WIRE_STR(ARTIFACT_T, kind, "kind"),
	WIRE_STR(ARTIFACT_T, name, "name"), WIRE_STR(ARTIFACT_T, location, "location"),
	WIRE_STR(ARTIFACT_T, sha256, "sha256"), WIRE_STR(ARTIFACT_T, outcome, "outcome"),
	WIRE_STR(ARTIFACT_T, verified_by, "verified-by"), WIRE_STR(ARTIFACT_T, created_by, "created-by"));

#define BACKUP_T rw_backup_t, Rewind__V1__Backup
WIRE_DEFINE(backup, "backup", rewind__v1__backup, BACKUP_T,
	WIRE_NUM(BACKUP_T, id), WIRE_NUM(BACKUP_T, size), WIRE_NUM(BACKUP_T, taken_at),
	WIRE_BOOL(BACKUP_T, verified), WIRE_NUM(BACKUP_T, verified_at), WIRE_STR(BACKUP_T, env, "env"),
	WIRE_STR(BACKUP_T, kind, "kind"), WIRE_STR(BACKUP_T, location, "location"),
	WIRE_STR(BACKUP_T, sha256, "sha256"), WIRE_STR(BACKUP_T, taken_by, "taken-by"),
	WIRE_STR(BACKUP_T, outcome, "outcome"), WIRE_STR(BACKUP_T, verified_by, "verified-by"),
	WIRE_STR(BACKUP_T, result, "result"));

/* The archive: bounded, copied and owned (the envelope is freed after decoding). */
static int
dec_data(struct dec *d, const void *pb, void *dom)
{
	const Rewind__V1__ArtifactAdd *p = pb;
	wire_msg_t *m = dom;
	if (p->data.len == 0)
		return wire_dec_fail(d, RW_EINVAL, "data", "empty archive");
	if (p->data.len > RW_ARTIFACT_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "data", "archive larger than 16 MiB");
	if (!(m->u.upload.data = malloc(p->data.len)))
		return RW_ENOMEM;
	memcpy(m->u.upload.data, p->data.data, p->data.len);
	m->u.upload.len = p->data.len;
	m->u.upload.meta.size = (int64_t)p->data.len;
	return 0;
}

static int
enc_data(struct wire_arena *a, void *pb, const void *dom)
{
	Rewind__V1__ArtifactAdd *p = pb;
	const wire_msg_t *m = dom;
	(void)a;
	p->data.data = m->u.upload.data;
	p->data.len = m->u.upload.len;
	return 0;
}

static const struct wire_field add_fields[] = {
	WIRE_NUM_AS(WIRE_M(ArtifactAdd), u.upload.meta.release_id, release_id),
	WIRE_STR_AS(WIRE_M(ArtifactAdd), u.upload.meta.kind, kind, "kind"),
	WIRE_STR_AS(WIRE_M(ArtifactAdd), u.upload.meta.name, name, "name"),
	WIRE_STR_AS(WIRE_M(ArtifactAdd), u.upload.meta.sha256, sha256, "sha256"), WIRE_OWNED(WIRE_M(ArtifactAdd), u.upload.data),
};
static const struct wire_item add = WIRE_ITEM(NULL, rewind__v1__artifact_add, wire_msg_t, add_fields,
                                              .dec_rest = dec_data, .enc_rest = enc_data);

/* EnvDbSet and EnvDb share their fields; EnvDb adds when they were set. */
#define SANITY(T)                                                                         \
	WIRE_ARRAY(T, sanity, n_sanity, sanity_sql, NULL, "sanity-sql", "sanity-sql",          \
	           "at most 8 queries", true)
#define DB_SET_T rw_env_db_t, Rewind__V1__EnvDbSet
#define DB_T rw_env_db_t, Rewind__V1__EnvDb
static const struct wire_field db_set_fields[] = {
	WIRE_STR(DB_SET_T, env, "env"), WIRE_STR(DB_SET_T, db_url, "db-url"), SANITY(DB_SET_T),
};
static const struct wire_field db_fields[] = {
	WIRE_NUM(DB_T, updated_at), WIRE_STR(DB_T, env, "env"), WIRE_STR(DB_T, db_url, "db-url"),
	SANITY(DB_T),
};
static const struct wire_item db_set = WIRE_ITEM(NULL, rewind__v1__env_db_set, rw_env_db_t, db_set_fields);
static const struct wire_item db = WIRE_ITEM(NULL, rewind__v1__env_db, rw_env_db_t, db_fields);

static int
validate(struct dec *d, const wire_msg_t *m)
{
	const struct wire_query *q = &m->u.query;
	switch (m->kind) {
	case WIRE_ARTIFACT_ADD:
		return rw_artifact_check(&m->u.upload.meta, d->msg, d->msgsz);
	case WIRE_ARTIFACT_LIST:
		return q->id >= 0 ? 0 : wire_dec_fail(d, RW_EINVAL, "release", "must be an id");
	case WIRE_ENV_DB_SET:
		return rw_env_db_check(&m->u.env_db, d->msg, d->msgsz);
	case WIRE_BACKUP_RUN:
		return rw_check_name("env", q->env, d->msg, d->msgsz);
	case WIRE_BACKUP_RECORD:
		return rw_backup_check(&m->u.backup, d->msg, d->msgsz);
	case WIRE_BACKUP_VERIFY:
		return q->id > 0 ? 0 : wire_dec_fail(d, RW_EINVAL, "id", "must be a backup id");
	case WIRE_BACKUP_LIST:
		return q->env[0] ? rw_check_name("env", q->env, d->msg, d->msgsz) : 0;
	default:
		return 0;
	}
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FORM(WIRE_ARTIFACT_ADD, &add),
	WIRE_FORM_AT(WIRE_ARTIFACT, &artifact, u.artifact),
	WIRE_FLAT(WIRE_ARTIFACT_LIST, WIRE_NUM_AS(WIRE_M(ArtifactList), u.query.id, release_id),
	          WIRE_NUM_AS(WIRE_M(ArtifactList), u.query.limit, limit)),
	WIRE_FLAT(WIRE_ARTIFACT_LIST_OK, WIRE_ITEMS(WIRE_M(ArtifactListOk), &artifact, LIST_MAX)),
	WIRE_FORM(WIRE_ARTIFACT_VERIFY, &wire_empty_item),
	WIRE_FLAT(WIRE_ARTIFACT_VERIFY_OK,
	          WIRE_ITEMS(WIRE_M(ArtifactVerifyOk), &artifact, LIST_MAX)),
	WIRE_FORM_AT(WIRE_ENV_DB_SET, &db_set, u.env_db),
	WIRE_FORM_AT(WIRE_ENV_DB, &db, u.env_db),
	WIRE_FLAT(WIRE_BACKUP_RUN, WIRE_STR_AS(WIRE_M(BackupRun), u.query.env, env, "env")),
	WIRE_FORM_AT(WIRE_BACKUP, &backup, u.backup),
	WIRE_FLAT(WIRE_BACKUP_RECORD, WIRE_MSG(WIRE_M(BackupRecord), u.backup, backup, &backup)),
	WIRE_FLAT(WIRE_BACKUP_VERIFY, WIRE_NUM_AS(WIRE_M(BackupVerify), u.query.id, id)),
	WIRE_FLAT(WIRE_BACKUP_LIST, WIRE_NUM_AS(WIRE_M(BackupList), u.query.limit, limit),
	          WIRE_STR_AS(WIRE_M(BackupList), u.query.env, env, "env")),
	WIRE_FLAT(WIRE_BACKUP_LIST_OK, WIRE_ITEMS(WIRE_M(BackupListOk), &backup, LIST_MAX)),
};

const struct wire_family wire_artifacts =
	WIRE_FAMILY("artifacts", WIRE_ARTIFACT_ADD, WIRE_BACKUP_LIST_OK, forms, validate);
