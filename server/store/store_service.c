/*
 * store_service — the SQL of the services table (store_service.h): adding
 * a service with its audit row, reading services back, a service's deploy
 * order, and which services an environment has seen deployed.
 *
 * What it does not do: check names or images (domain.c does at the
 * boundary), or know releases or deployments beyond that one question.
 */
#include "store_service.h"

#include <stdlib.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

/* The service columns without created_at, then created_at (STORE_SERVICE_COLS). */
#define STORE_SERVICE_BASE_COLS \
	"s.id, s.name, s.namespace, s.deployment, s.container, s.image_repo, s.health_path, " \
	"s.health_expect"
#define STORE_SERVICE_COLS STORE_SERVICE_BASE_COLS ", rw_to_us(s.created_at)"

/* A row of the STORE_SERVICE_BASE_COLS. */
static int
store_service_base_row(const PGresult *res, int row, void *dst)
{
	rw_service_t *s = dst;
	return store_scan(res, row, "lsssssss", &s->id, STORE_BUF(s->name), STORE_BUF(s->namespace_),
	                  STORE_BUF(s->deployment), STORE_BUF(s->container), STORE_BUF(s->image_repo),
	                  STORE_BUF(s->health_path), STORE_BUF(s->health_expect));
}

/* A row of the STORE_SERVICE_COLS. */
static int
store_service_row(const PGresult *res, int row, void *dst)
{
	rw_service_t *s = dst;
	s->created_at = store_col_i64(res, row, 8);
	return store_service_base_row(res, row, dst);
}

static bool
store_service_terminated(const rw_service_t *s)
{
	return STORE_TERMINATED(s->name) && STORE_TERMINATED(s->namespace_) &&
	       STORE_TERMINATED(s->deployment) && STORE_TERMINATED(s->container) &&
	       STORE_TERMINATED(s->image_repo) && STORE_TERMINATED(s->health_path) &&
	       STORE_TERMINATED(s->health_expect);
}

int
store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc)
{
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !svc || !store_service_terminated(svc))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "service", svc->name, NULL)) != 0)
		return rv;
	const char *params[7] = {svc->name,       svc->namespace_,  svc->deployment,
	                         svc->container,  svc->image_repo,  svc->health_path,
	                         svc->health_expect};
	rv = store_change_begin(st,
	                        "INSERT INTO services (name, namespace, deployment, container,"
	                        " image_repo, health_path, health_expect)"
	                        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
	                        " RETURNING id, rw_to_us(created_at)",
	                        7, params, NULL, row);
	if (rv)
		return rv;
	rv = store_detail(st, &detail, "{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)row[0],
	                  "namespace", svc->namespace_, "deployment", svc->deployment, "container",
	                  svc->container, "image_repo", svc->image_repo);
	if ((rv = store_change_end(st, rv, who, "service.add", target, detail, NULL)) != 0)
		return rv;
	svc->id = row[0];
	svc->created_at = row[1];
	return 0;
}

int
store_service_get(store_t *st, const char *name, rw_service_t *out)
{
	return store_get_by_name(st, "SELECT " STORE_SERVICE_COLS " FROM services s WHERE s.name = $1",
	                         name, store_service_row, out);
}

int
store_service_list(store_t *st, rw_service_t **out, size_t *n)
{
	return store_list_all(st, "SELECT " STORE_SERVICE_COLS " FROM services s"
	                      " ORDER BY s.name LIMIT $1::bigint",
	                      sizeof(rw_service_t), store_service_row, (void **)out, n);
}

int
store_service_order(store_t *st, const char *name, int *order)
{
	const char *p[1] = {name};
	int64_t v;
	bool found;
	int rv = store_get_i64(st, "SELECT deploy_order FROM services WHERE name = $1", 1, p, &v,
	                       &found);
	if (rv)
		return rv;
	if (!found)
		return RW_ENOTFOUND;
	*order = (int)v;
	return 0;
}

int
store_env_services(store_t *st, int64_t env_id, rw_service_t **out, size_t *n)
{
	char env[STORE_I64_BUF];
	const char *p[1] = {store_i64(env, env_id)};
	return store_get_list(st,
	                      "SELECT " STORE_SERVICE_BASE_COLS " FROM services s"
	                      " WHERE EXISTS (SELECT 1 FROM deployments d WHERE d.service_id = s.id"
	                      "   AND d.environment_id = $1::bigint)"
	                      " ORDER BY s.deploy_order, s.name LIMIT 16",
	                      1, p, sizeof(**out), store_service_base_row, (void **)out, n);
}
