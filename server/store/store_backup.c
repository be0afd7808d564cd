/*
 * store_backup — the SQL of the backups table (store_backup.h), each change
 * with its audit row.
 *
 * What it does not do: touch a database or a file (server/vault/backup.c
 * does), or judge a restore: the caller says whether it passed.
 */
#include "store_backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

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

int
store_backup_get(store_t *st, int64_t id, rw_backup_t *out)
{
	if (!st || !out)
		return RW_EINVAL;
	return store_get_by_id(st, "SELECT " STORE_BACKUP_COLS STORE_BACKUP_FROM
	                       " WHERE b.id = $1::bigint",
	                       id, store_backup_row, out);
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
