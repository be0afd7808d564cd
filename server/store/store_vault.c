/*
 * store_vault — the SQL of what server/vault/ keeps records of
 * (store_vault.h): the artifacts of releases and the backups of
 * environments' databases, each change with its audit row, and a
 * verification pass over both.
 *
 * What it does not do: read, hash, store or restore files (server/vault/
 * does), or judge a re-hash or a restore: the caller says what it found.
 */
#include "store_vault.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_catalog.h"
#include "store_sql.h"

/* ------------------------------------------------------------------------ */
/* Artifacts                                                                */

#define STORE_ARTIFACT_COLS \
	"a.id, a.release_id, a.kind, a.name, a.location, a.sha256, a.size, a.verify_outcome," \
	" a.verified, coalesce(rw_to_us(a.verified_at), 0), a.verified_by," \
	" rw_to_us(a.created_at), a.created_by"

static int
store_artifact_row(const PGresult *res, int row, void *dst)
{
	rw_artifact_t *a = dst;
	return store_scan(res, row, "llsssslsblsls", &a->id, &a->release_id, STORE_BUF(a->kind),
	                  STORE_BUF(a->name), STORE_BUF(a->location), STORE_BUF(a->sha256), &a->size,
	                  STORE_BUF(a->outcome), &a->verified, &a->verified_at,
	                  STORE_BUF(a->verified_by), &a->created_at, STORE_BUF(a->created_by));
}

static bool
store_artifact_terminated(const rw_artifact_t *a)
{
	return STORE_TERMINATED(a->kind) && STORE_TERMINATED(a->name) &&
	       STORE_TERMINATED(a->location) && STORE_TERMINATED(a->sha256);
}

int
store_artifact_add(store_t *st, const rw_actor_t *who, rw_artifact_t *a)
{
	char rid[STORE_I64_BUF], size[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !a || !store_artifact_terminated(a))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "artifact", a->sha256, NULL)) != 0)
		return rv;
	const char *params[7] = {store_i64(rid, a->release_id), a->kind, a->name, a->location,
	                         a->sha256, store_i64(size, a->size), who->name};
	rv = store_change_begin(st,
	                        "INSERT INTO artifacts (release_id, kind, name, location, sha256, size,"
	                        " created_by) VALUES ($1::bigint, $2, $3, $4, $5, $6::bigint, $7)"
	                        " RETURNING id, rw_to_us(created_at)",
	                        7, params, NULL, row);
	if (rv)
		return rv;
	rv = store_detail(st, &detail, "{s:I, s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)row[0],
	                  "release_id", (json_int_t)a->release_id, "kind", a->kind, "name",
	                  a->name, "sha256", a->sha256, "size", (json_int_t)a->size);
	if ((rv = store_change_end(st, rv, who, "artifact.add", target, detail, NULL)) != 0)
		return rv;
	a->id = row[0];
	a->created_at = row[1];
	(void)RW_STRCPY(a->created_by, who->name);
	(void)RW_STRCPY(a->outcome, "none");
	return 0;
}

int
store_artifact_list(store_t *st, int64_t release_id, uint32_t limit, rw_artifact_t **out,
                    size_t *n)
{
	rw_release_t rel;
	int rv;

	if (!st || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	/* A named release must exist: "no such release" is not "no artifacts". */
	if (release_id > 0 && (rv = store_release_get(st, release_id, &rel)) != 0)
		return rv;
	return store_list_by_id(st,
	                        "SELECT " STORE_ARTIFACT_COLS " FROM artifacts a"
	                        " WHERE ($1::bigint = 0 OR a.release_id = $1::bigint)"
	                        " ORDER BY a.id LIMIT $2::bigint",
	                        release_id, limit, sizeof(rw_artifact_t), store_artifact_row,
	                        (void **)out, n);
}

/*
 * Records the outcome of one verification pass: every artifact's outcome,
 * every re-hashed backup that failed, and one audit row, in one transaction.
 */
int
store_artifact_verified(store_t *st, const rw_actor_t *who, const rw_artifact_t *items,
                        size_t n, const rw_backup_t *bad_backups, size_t nbad)
{
	char id[STORE_I64_BUF], *detail = NULL;
	size_t ok = 0;
	int rv;

	if (!st || !store_actor_ok(who) || (n && !items) || (nbad && !bad_backups))
		return RW_EINVAL;
	if ((rv = store_begin(st)) != 0)
		return rv;
	for (size_t i = 0; rv == 0 && i < n; i++) {
		const char *params[3] = {store_i64(id, items[i].id), items[i].outcome, who->name};
		ok += strcmp(items[i].outcome, "ok") == 0;
		rv = store_exec(st,
		                "UPDATE artifacts SET verify_outcome = $2, verified = ($2 = 'ok'),"
		                " verified_at = now(), verified_by = $3 WHERE id = $1::bigint",
		                3, params, NULL);
	}
	for (size_t i = 0; rv == 0 && i < nbad; i++) {
		const char *params[3] = {store_i64(id, bad_backups[i].id), who->name,
		                         bad_backups[i].result};
		rv = store_exec(st,
		                "UPDATE backups SET verify_outcome = 'failed', verified = false,"
		                " verified_at = now(), verified_by = $2, result = $3"
		                " WHERE id = $1::bigint",
		                3, params, NULL);
	}
	if (rv == 0)
		rv = store_detail(st, &detail, "{s:I, s:I, s:I}", "artifacts", (json_int_t)n, "ok",
		                  (json_int_t)ok, "backups_failed", (json_int_t)nbad);
	return store_change_end(st, rv, who, "artifact.verify", "artifacts", detail, NULL);
}

/* ------------------------------------------------------------------------ */
/* Backups                                                                  */

#define STORE_BACKUP_COLS \
	"b.id, e.name, b.kind, b.location, b.sha256, b.size, rw_to_us(b.taken_at), b.taken_by," \
	" b.verify_outcome, b.verified, coalesce(rw_to_us(b.verified_at), 0), b.verified_by," \
	" b.result"
#define STORE_BACKUP_FROM " FROM backups b JOIN environments e ON e.id = b.environment_id"

static int
store_backup_row(const PGresult *res, int row, void *dst)
{
	rw_backup_t *b = dst;
	return store_scan(res, row, "lssssllssblss", &b->id, STORE_BUF(b->env), STORE_BUF(b->kind),
	                  STORE_BUF(b->location), STORE_BUF(b->sha256), &b->size, &b->taken_at,
	                  STORE_BUF(b->taken_by), STORE_BUF(b->outcome), &b->verified,
	                  &b->verified_at, STORE_BUF(b->verified_by), STORE_BUF(b->result));
}

static bool
store_backup_terminated(const rw_backup_t *b)
{
	return STORE_TERMINATED(b->env) && STORE_TERMINATED(b->kind) &&
	       STORE_TERMINATED(b->location) && STORE_TERMINATED(b->sha256) &&
	       STORE_TERMINATED(b->result);
}

int
store_backup_add(store_t *st, const rw_actor_t *who, const char *action, rw_backup_t *b)
{
	char size[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	int64_t row[2];
	bool verified;
	int rv;

	if (!st || !store_actor_ok(who) || !action || !b || !store_backup_terminated(b))
		return RW_EINVAL;
	verified = strcmp(b->outcome, "ok") == 0;
	const char *params[8] = {b->env,    b->kind,   b->location,
	                         b->sha256, store_i64(size, b->size),
	                         who->name, verified ? "ok" : "none", b->result};
	rv = store_change_begin(st,
	                        "INSERT INTO backups (environment_id, kind, location, sha256, size,"
	                        " taken_by, verify_outcome, verified, verified_at, verified_by, result)"
	                        " SELECT e.id, $2, $3, $4, $5::bigint, $6, $7, $7 = 'ok',"
	                        " CASE WHEN $7 = 'ok' THEN now() END,"
	                        " CASE WHEN $7 = 'ok' THEN $6 ELSE '' END,"
	                        " $8 FROM environments e WHERE e.name = $1"
	                        " RETURNING id, rw_to_us(taken_at)",
	                        8, params, "no such environment", row);
	if (rv)
		return rv;
	snprintf(target, sizeof target, "backup/%s/%" PRId64, b->env, row[0]);
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:I, s:b}", "id", (json_int_t)row[0],
	                  "kind", b->kind, "location", b->location, "sha256", b->sha256, "size",
	                  (json_int_t)b->size, "verified", verified);
	if ((rv = store_change_end(st, rv, who, action, target, detail, NULL)) != 0)
		return rv;
	b->id = row[0];
	b->taken_at = row[1];
	(void)RW_STRCPY(b->taken_by, who->name);
	if (verified) {
		b->verified = true;
		b->verified_at = row[1];
		(void)RW_STRCPY(b->verified_by, who->name);
	}
	(void)RW_STRCPY(b->outcome, verified ? "ok" : "none");
	return 0;
}

#define STORE_BACKUP_BY_ID \
	"SELECT " STORE_BACKUP_COLS STORE_BACKUP_FROM " WHERE b.id = $1::bigint"

int
store_backup_get(store_t *st, int64_t id, rw_backup_t *out)
{
	return store_get_by_id(st, STORE_BACKUP_BY_ID, id, store_backup_row, out);
}

int
store_backup_list(store_t *st, const char *env, uint32_t limit, rw_backup_t **out, size_t *n)
{
	if (!st || !out || !n)
		return RW_EINVAL;
	return store_list_named(st, store_env_id, env,
	                        "SELECT " STORE_BACKUP_COLS STORE_BACKUP_FROM
	                        " WHERE ($1::bigint = 0 OR b.environment_id = $1::bigint)"
	                        " ORDER BY b.taken_at DESC, b.id DESC LIMIT $2::bigint",
	                        limit, sizeof(rw_backup_t), store_backup_row, (void **)out, n);
}

int
store_backup_verified(store_t *st, const rw_actor_t *who, rw_backup_t *b, bool ok,
                      const char *result)
{
	char idbuf[STORE_I64_BUF], target[RW_IMAGE_MAX + 1], *detail = NULL;
	const char *outcome = ok ? "ok" : "failed";
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !b || !result)
		return RW_EINVAL;
	const char *params[4] = {store_i64(idbuf, b->id), outcome, who->name, result};
	rv = store_change_begin(st,
	                        "UPDATE backups SET verify_outcome = $2, verified = ($2 = 'ok'),"
	                        " verified_at = now(), verified_by = $3, result = $4"
	                        " WHERE id = $1::bigint RETURNING rw_to_us(verified_at)",
	                        4, params, "no such backup", row);
	if (rv)
		return rv;
	b->verified_at = row[0];
	snprintf(target, sizeof target, "backup/%s/%" PRId64, b->env, b->id);
	rv = store_detail(st, &detail, "{s:s, s:s}", "outcome", outcome, "result", result);
	if ((rv = store_change_end(st, rv, who, "backup.verify", target, detail, NULL)) != 0)
		return rv;
	b->verified = ok;
	(void)RW_STRCPY(b->outcome, outcome);
	(void)RW_STRCPY(b->verified_by, who->name);
	(void)RW_STRCPY(b->result, result);
	return 0;
}
