/*
 * store_release — the SQL of releases and of the questions asked of their
 * deployments (store_release.h): a service's history, the latest deployment
 * of a service in an environment, its known-good releases.
 *
 * What it does not do: write deployments (store_op.c does, as steps of an
 * operation), or check versions and images (domain.c, at the boundary).
 */
#include "store_release.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

/* A release row: STORE_RELEASE_COLS (aliases r = releases, s = services), in this order. */
#define STORE_RELEASE_COLS \
	"r.id, s.name, r.version, r.image_ref, r.digest, r.source_commit, r.notes, " \
	"r.created_by, rw_to_us(r.created_at), r.migrations_compat"
#define STORE_RELEASE_NCOLS 10
#define STORE_RELEASE_SKIP ".........."    /* store_scan: the STORE_RELEASE_NCOLS columns */
#define STORE_RELEASE_FROM " FROM releases r JOIN services s ON s.id = r.service_id"

/* Fills an rw_release_t from the STORE_RELEASE_COLS at the start of a row. */
static int
store_release_row(const PGresult *res, int row, void *dst)
{
	rw_release_t *r = dst;
	return store_scan(res, row, "lsssssssls", &r->id, STORE_BUF(r->service),
	                  STORE_BUF(r->version), STORE_BUF(r->image_ref), STORE_BUF(r->digest),
	                  STORE_BUF(r->source_commit), STORE_BUF(r->notes), STORE_BUF(r->created_by),
	                  &r->created_at, STORE_BUF(r->migrations_compat));
}

/* ------------------------------------------------------------------------ */
/* Releases                                                                   */

static bool
store_release_terminated(const rw_release_t *r)
{
	return STORE_TERMINATED(r->service) && STORE_TERMINATED(r->version) &&
	       STORE_TERMINATED(r->image_ref) && STORE_TERMINATED(r->digest) &&
	       STORE_TERMINATED(r->source_commit) && STORE_TERMINATED(r->notes) &&
	       STORE_TERMINATED(r->migrations_compat);
}

int
store_release_add(store_t *st, const rw_actor_t *who, rw_release_t *rel)
{
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !rel || !store_release_terminated(rel))
		return RW_EINVAL;
	rv = store_target(st, target, sizeof target, "release", rel->service, rel->version);
	if (rv)
		return rv;
	const char *params[8] = {rel->service, rel->version,       rel->image_ref, rel->digest,
	                         rel->source_commit, rel->notes, who->name,
	                         rel->migrations_compat};
	/* The service is resolved inside the INSERT: no row means no such service. */
	rv = store_change_begin(st,
	                        "INSERT INTO releases (service_id, version, image_ref, digest,"
	                        " source_commit, notes, created_by, migrations_compat)"
	                        " SELECT s.id, $2, $3, $4, $5, $6, $7, $8 FROM services s"
	                        " WHERE s.name = $1 RETURNING id, rw_to_us(created_at)",
	                        8, params, "no such service", row);
	if (rv)
		return rv;
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)row[0],
	                  "image", rel->image_ref, "digest", rel->digest, "commit",
	                  rel->source_commit, "migrations_compat", rel->migrations_compat);
	if ((rv = store_change_end(st, rv, who, "release.record", target, detail, NULL)) != 0)
		return rv;
	rel->id = row[0];
	rel->created_at = row[1];
	/* who->name fit the audit row's 128-byte bound, so it fits here too. */
	(void)RW_STRCPY(rel->created_by, who->name);
	return 0;
}

int
store_release_get(store_t *st, int64_t id, rw_release_t *out)
{
	if (!st || !out)
		return RW_EINVAL;
	return store_get_by_id(st, "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                       " WHERE r.id = $1::bigint",
	                       id, store_release_row, out);
}

int
store_release_find(store_t *st, const char *service, const char *version, rw_release_t *out)
{
	const char *params[2] = {service, version};

	if (!st || !service || !version || !out)
		return RW_EINVAL;
	return store_get_one(st, "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                     " WHERE s.name = $1 AND r.version = $2",
	                     2, params, store_release_row, out);
}

int
store_release_list(store_t *st, const char *service, uint32_t limit, rw_release_t **out,
                   size_t *n)
{
	if (!st || !out || !n)
		return RW_EINVAL;
	/* A named service must exist: "no such service" is not "no releases". */
	return store_list_named(st, store_service_id, service,
	                        "SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM
	                        " WHERE ($1::bigint = 0 OR r.service_id = $1::bigint)"
	                        " ORDER BY r.created_at DESC, r.id DESC LIMIT $2::bigint",
	                        limit, sizeof(rw_release_t), store_release_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* History                                                                    */

static int
store_outcome_parse(const char *s, enum rw_outcome *out)
{
	static const enum rw_outcome all[] = {RW_OUTCOME_PENDING, RW_OUTCOME_SUCCEEDED,
	                                      RW_OUTCOME_FAILED, RW_OUTCOME_ROLLED_BACK};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(s, rw_outcome_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return RW_EINTERNAL;
}

static int
store_history_row(const PGresult *res, int row, void *dst)
{
	rw_history_row_t *h = dst;

	/* The release's columns, then its deployment's (the outcome parsed below). */
	if (store_release_row(res, row, &h->release) ||
	    store_scan(res, row, STORE_RELEASE_SKIP "slll.b", STORE_BUF(h->env), &h->deployment_id,
	               &h->started_at, &h->finished_at, &h->known_good))
		return RW_EINTERNAL;
	return store_outcome_parse(PQgetvalue(res, row, STORE_RELEASE_NCOLS + 4), &h->outcome);
}

/*
 * With an environment, deployments elsewhere are left out and a release never
 * deployed THERE appears once with an empty env, so "recorded, not yet in
 * production" stays visible.  Ordered by deployment start (or recording time
 * for never-deployed releases), newest first.
 */
int
store_history(store_t *st, const char *service, const char *env, uint32_t limit,
              rw_history_row_t **out, size_t *n)
{
	char lim[STORE_I64_BUF], sid[STORE_I64_BUF], eid[STORE_I64_BUF];
	const char *params[3];
	int64_t service_id = 0, env_id = 0;
	int rv;

	if (!st || !service || !out || !n)
		return RW_EINVAL;
	*out = NULL;
	*n = 0;
	if ((rv = store_service_id(st, service, &service_id)) != 0)
		return rv;
	if (env && *env && (rv = store_env_id(st, env, &env_id)) != 0)
		return rv;
	params[0] = store_i64(sid, service_id);
	params[1] = store_i64(eid, env_id);
	params[2] = store_limit(lim, limit);
	return store_get_list(st,
	                      "SELECT " STORE_RELEASE_COLS ","
	                      " coalesce(e.name, ''), coalesce(d.id, 0),"
	                      " coalesce(rw_to_us(d.started_at), 0),"
	                      " coalesce(rw_to_us(d.finished_at), 0),"
	                      " coalesce(d.outcome, 'pending'), coalesce(d.known_good, false)"
	                      STORE_RELEASE_FROM
	                      " LEFT JOIN (deployments d JOIN environments e"
	                      "            ON e.id = d.environment_id)"
	                      "   ON d.release_id = r.id"
	                      "  AND ($2::bigint = 0 OR d.environment_id = $2::bigint)"
	                      " WHERE r.service_id = $1::bigint"
	                      " ORDER BY coalesce(d.started_at, r.created_at) DESC, r.id DESC,"
	                      "          d.id DESC"
	                      " LIMIT $3::bigint",
	                      3, params, sizeof(rw_history_row_t), store_history_row, (void **)out,
	                      n);
}

/* ------------------------------------------------------------------------ */
/* What runs where                                                            */

static int
store_current_row(const PGresult *res, int row, void *dst)
{
	struct store_current *c = dst;
	int rv = store_release_row(res, row, &c->release);
	if (rv)
		return rv;
	return store_scan(res, row, STORE_RELEASE_SKIP "llsssbll", &c->deployment_id, &c->op_id,
	                  STORE_BUF(c->image), STORE_BUF(c->state), STORE_BUF(c->outcome),
	                  &c->known_good, &c->started_at, &c->finished_at);
}

int
store_current(store_t *st, int64_t env_id, int64_t service_id, struct store_current *out)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF];
	const char *p[2] = {store_i64(env, env_id), store_i64(sid, service_id)};
	/* The newest deployment that got as far as changing the cluster. */
	return store_get_one(st,
	                     "SELECT " STORE_RELEASE_COLS ", d.id, coalesce(d.operation_id, 0), d.image,"
	                     " d.state, d.outcome, d.known_good, rw_to_us(d.started_at),"
	                     " coalesce(rw_to_us(d.finished_at), 0)"
	                     " FROM deployments d JOIN releases r ON r.id = d.release_id"
	                     " JOIN services s ON s.id = r.service_id"
	                     " WHERE d.environment_id = $1::bigint AND d.service_id = $2::bigint"
	                     "   AND (d.action_id IS NOT NULL OR d.operation_id IS NULL)"
	                     " ORDER BY d.id DESC LIMIT 1",
	                     2, p, store_current_row, out);
}

int
store_known_good(store_t *st, int64_t env_id, int64_t service_id, int64_t exclude_release,
                 rw_release_t *out)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF], ex[STORE_I64_BUF];
	const char *p[3] = {store_i64(env, env_id), store_i64(sid, service_id),
	                    store_i64(ex, exclude_release)};
	return store_get_one(st,
	                     "SELECT " STORE_RELEASE_COLS
	                     " FROM deployments d JOIN releases r ON r.id = d.release_id"
	                     " JOIN services s ON s.id = r.service_id"
	                     " WHERE d.environment_id = $1::bigint AND d.service_id = $2::bigint"
	                     "   AND d.known_good AND r.id <> $3::bigint"
	                     " ORDER BY d.id DESC LIMIT 1",
	                     3, p, store_release_row, out);
}

int
store_release_is_known_good(store_t *st, int64_t env_id, int64_t release_id, bool *good)
{
	char env[STORE_I64_BUF], rid[STORE_I64_BUF];
	const char *p[2] = {store_i64(env, env_id), store_i64(rid, release_id)};
	int64_t v;
	int rv = store_get_i64(st,
	                       "SELECT EXISTS (SELECT 1 FROM deployments WHERE environment_id = $1::bigint"
	                       " AND release_id = $2::bigint AND known_good)",
	                       2, p, &v, NULL);
	if (rv == 0)
		*good = v != 0;
	return rv;
}
