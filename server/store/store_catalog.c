/*
 * store_catalog — the SQL of what can be deployed where (store_catalog.h):
 * environments with their coordinator settings, configuration and
 * application databases; services; releases, a service's history and what
 * runs where.  Each change is written with its audit row.
 *
 * What it does not do: check names, images or URLs beyond the settings'
 * own rules (domain.c does at the boundary), write deployments (store_coord.c
 * does, as steps of an operation), or show a secret: a webhook URL reads
 * back as "(set)" and the audit row of a database names it without its
 * password (the caller passes the redacted URL).
 */
#include "store_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_sql.h"

/* ------------------------------------------------------------------------ */
/* Environments                                                               */

#define STORE_ENV_COLS \
	"e.id, e.name, e.cluster, e.health_url, e.health_expect, rw_to_us(e.created_at)"

static int
store_env_row(const PGresult *res, int row, void *dst)
{
	rw_env_t *e = dst;
	return store_scan(res, row, "lssssl", &e->id, STORE_BUF(e->name), STORE_BUF(e->cluster),
	                  STORE_BUF(e->health_url), STORE_BUF(e->health_expect), &e->created_at);
}

static bool
store_env_terminated(const rw_env_t *e)
{
	return STORE_TERMINATED(e->name) && STORE_TERMINATED(e->cluster) &&
	       STORE_TERMINATED(e->health_url) && STORE_TERMINATED(e->health_expect);
}

int
store_env_add(store_t *st, const rw_actor_t *who, rw_env_t *env)
{
	char target[RW_IMAGE_MAX + 1], *detail = NULL;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !env || !store_env_terminated(env))
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "env", env->name, NULL)) != 0)
		return rv;
	const char *params[4] = {env->name, env->cluster, env->health_url, env->health_expect};
	rv = store_change_begin(st,
	                        "INSERT INTO environments (name, cluster, health_url, health_expect)"
	                        " VALUES ($1, $2, $3, $4) RETURNING id, rw_to_us(created_at)",
	                        4, params, NULL, row);
	if (rv)
		return rv;
	rv = store_detail(st, &detail, "{s:I, s:s, s:s}", "id", (json_int_t)row[0], "cluster",
	                  env->cluster, "health_url", env->health_url);
	if ((rv = store_change_end(st, rv, who, "env.add", target, detail, NULL)) != 0)
		return rv;
	env->id = row[0];
	env->created_at = row[1];
	return 0;
}

int
store_env_get(store_t *st, const char *name, rw_env_t *out)
{
	return store_get_by_name(st, "SELECT " STORE_ENV_COLS " FROM environments e WHERE e.name = $1",
	                         name, store_env_row, out);
}

int
store_env_list(store_t *st, rw_env_t **out, size_t *n)
{
	return store_list_all(st, "SELECT " STORE_ENV_COLS " FROM environments e"
	                      " ORDER BY e.name LIMIT $1::bigint",
	                      sizeof(rw_env_t), store_env_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* The coordinator's view of an environment                                   */

#define STORE_ENV_CFG_COLS                                                                  \
	"id, name, cluster, health_url, health_expect, rw_to_us(created_at), observe_s,"    \
	" verify_s, action_timeout_s, smoke_timeout_s, smoke_command, auto_rollback,"       \
	" webhook_url, webhook_format, promote_from"

/* The environment's columns (as store_env_row), then its settings. */
static int
store_env_cfg_row(const PGresult *res, int row, void *dst)
{
	struct store_env_cfg *c = dst;
	int rv = store_env_row(res, row, &c->env);
	if (rv)
		return rv;
	return store_scan(res, row, "......nnnnsbsss", &c->observe_s, &c->verify_s,
	                  &c->action_timeout_s, &c->smoke_timeout_s, STORE_BUF(c->smoke_command),
	                  &c->auto_rollback, STORE_BUF(c->webhook_url), STORE_BUF(c->webhook_format),
	                  STORE_BUF(c->promote_from));
}

int
store_env_cfg_get(store_t *st, const char *env, struct store_env_cfg *out)
{
	return store_get_by_name(st, "SELECT " STORE_ENV_CFG_COLS " FROM environments WHERE name = $1",
	                         env, store_env_cfg_row, out);
}

int
store_env_cfg_by_id(store_t *st, int64_t env_id, struct store_env_cfg *out)
{
	return store_get_by_id(st,
	                       "SELECT " STORE_ENV_CFG_COLS " FROM environments WHERE id = $1::bigint",
	                       env_id, store_env_cfg_row, out);
}

/* ------------------------------------------------------------------------ */
/* Settings                                                                   */

/* How each setting is stored: the column (fixed text, never from input) and its type. */
enum store_setting_type { SET_INT, SET_BOOL, SET_TEXT, SET_FORMAT, SET_URL, SET_NAME };
struct store_setting {
	const char *key, *column;
	enum store_setting_type type;
	int lo, hi;
};
static const struct store_setting env_settings[] = {
	{"observe-seconds", "observe_s", SET_INT, 0, 86400},
	{"verify-seconds", "verify_s", SET_INT, 1, 86400},
	{"action-timeout", "action_timeout_s", SET_INT, 1, 86400},
	{"smoke-command", "smoke_command", SET_TEXT, 0, 0},
	{"smoke-timeout", "smoke_timeout_s", SET_INT, 1, 86400},
	{"auto-rollback", "auto_rollback", SET_BOOL, 0, 0},
	{"webhook-url", "webhook_url", SET_URL, 0, 0},
	{"webhook-format", "webhook_format", SET_FORMAT, 0, 0},
	{"promote-from", "promote_from", SET_NAME, 0, 0},
	{NULL, NULL, SET_INT, 0, 0},
};
static const struct store_setting service_settings[] = {
	{"order", "deploy_order", SET_INT, 0, 10000},
	{NULL, NULL, SET_INT, 0, 0},
};

/* Parses a setting's text into what its column takes ("true"/"false", digits, text). */
static int
store_setting_value(const struct store_setting *k, const char *v, char *out, size_t cap,
                    char *msg, size_t msgsz)
{
	char *end;
	long n;

	switch (k->type) {
	case SET_INT:
		n = strtol(v, &end, 10);
		if (!*v || *end || n < k->lo || n > k->hi)
			return rw_fail(RW_EINVAL, msg, msgsz, "%s must be a number from %d to %d",
			               k->key, k->lo, k->hi);
		snprintf(out, cap, "%ld", n);
		return 0;
	case SET_BOOL:
		if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "yes") && strcmp(v, "no"))
			return rw_fail(RW_EINVAL, msg, msgsz, "%s must be on or off", k->key);
		snprintf(out, cap, "%s", (!strcmp(v, "on") || !strcmp(v, "yes")) ? "true" : "false");
		return 0;
	case SET_FORMAT:
		if (strcmp(v, "slack") && strcmp(v, "generic"))
			return rw_fail(RW_EINVAL, msg, msgsz, "%s must be slack or generic", k->key);
		break;
	case SET_URL:
		if (*v && strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return rw_fail(RW_EINVAL, msg, msgsz,
			               "%s must be an http:// or https:// URL (or empty)", k->key);
		break;
	case SET_NAME:
		if (rw_check_name(k->key, v, msg, msgsz))
			return RW_EINVAL;
		break;
	case SET_TEXT:
		break;
	}
	return rw_strcpy(out, cap, v) ? RW_ETOOBIG : 0;
}

static const struct store_setting *
store_setting_find(const struct store_setting *table, const char *key)
{
	for (; table->key; table++)
		if (strcmp(table->key, key) == 0)
			return table;
	return NULL;
}

/* Sets one setting (key = text) of the environment or service name; adds it to detail. */
static int
store_setting_set(store_t *st, bool env, const char *name, const char *key, const char *text,
                  json_t *detail, char *msg, size_t msgsz)
{
	const struct store_setting *k = store_setting_find(env ? env_settings : service_settings,
	                                                   key);
	char value[RW_SETTING_VALUE_MAX + 1], sql[160];
	int64_t id;
	bool found;
	int rv;

	if (!k)
		return rw_fail(RW_EINVAL, msg, msgsz, "unknown setting %s", key);
	if ((rv = store_setting_value(k, text, value, sizeof(value), msg, msgsz)))
		return rv;
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = $2 WHERE name = $1 RETURNING id",
	         env ? "environments" : "services", k->column);
	const char *p[2] = {name, value};
	if ((rv = store_get_i64(st, sql, 2, p, &id, &found)))
		return rv;
	if (!found)
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "%s \"%s\" not found",
		               env ? "environment" : "service", name);
	/* A webhook URL may carry a token: the audit row says only that it changed. */
	json_object_set_new(detail, k->key,
	                    json_string(k->type == SET_URL && *value ? "(set)" : value));
	return 0;
}

int
store_settings_set(store_t *st, const rw_actor_t *who, const rw_settings_t *s, char *msg,
                   size_t msgsz)
{
	bool env = strcmp(s->scope, "env") == 0;
	char tgt[RW_IMAGE_MAX + 1], *d = NULL;
	json_t *detail = json_object();
	int rv;

	if (!detail)
		return RW_ENOMEM;
	if ((rv = store_begin(st))) {
		json_decref(detail);
		return rv;
	}
	for (uint32_t i = 0; rv == 0 && i < s->n; i++)
		rv = store_setting_set(st, env, s->name, s->items[i].key, s->items[i].value, detail,
		                       msg, msgsz);
	if (rv == 0 && !(d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)))
		rv = RW_ENOMEM;
	json_decref(detail);
	if (rv == 0)
		rv = store_target(st, tgt, sizeof(tgt), env ? "env" : "service", s->name, NULL);
	return store_change_end(st, rv, who, env ? "env.settings" : "service.settings", tgt, d, NULL);
}

int
store_settings_get(store_t *st, rw_settings_t *s)
{
	bool env = strcmp(s->scope, "env") == 0;
	const struct store_setting *table = env ? env_settings : service_settings;
	const char *p[1] = {s->name};
	PGresult *res;
	int rv;

	/* Every column as text, in the table's order. */
	rv = store_exec(st,
	                env ? "SELECT observe_s::text, verify_s::text, action_timeout_s::text,"
	                      " smoke_command, smoke_timeout_s::text,"
	                      " CASE WHEN auto_rollback THEN 'on' ELSE 'off' END, webhook_url,"
	                      " webhook_format, promote_from FROM environments WHERE name = $1"
	                    : "SELECT deploy_order::text FROM services WHERE name = $1",
	                1, p, &res);
	if (rv)
		return rv;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return RW_ENOTFOUND;
	}
	s->n = 0;
	for (int i = 0; table[i].key && s->n < RW_SETTINGS_MAX; i++, s->n++) {
		(void)RW_STRCPY(s->items[s->n].key, table[i].key);
		if (table[i].type == SET_URL && PQgetvalue(res, 0, i)[0])
			(void)RW_STRCPY(s->items[s->n].value, "(set)");
		else
			(void)RW_STRCPY(s->items[s->n].value, PQgetvalue(res, 0, i));
	}
	PQclear(res);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Environment databases                                                      */

/* The sanity queries as the JSON array text of the sanity_sql column; NULL: out of memory. */
static char *
store_sanity_json(const rw_env_db_t *d)
{
	json_t *arr = json_array();
	char *s;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < d->n_sanity; i++)
		json_array_append_new(arr, json_string(d->sanity[i]));
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

int
store_env_db_set(store_t *st, const rw_actor_t *who, rw_env_db_t *d, const char *redacted_url)
{
	char target[RW_IMAGE_MAX + 1], *detail = NULL, *sanity;
	int64_t row[2];
	int rv;

	if (!st || !store_actor_ok(who) || !d || !redacted_url || d->n_sanity > RW_SANITY_MAX)
		return RW_EINVAL;
	if ((rv = store_target(st, target, sizeof target, "env", d->env, "db")) != 0)
		return rv;
	if (!(sanity = store_sanity_json(d)))
		return RW_ENOMEM;
	const char *params[4] = {d->env, d->db_url, sanity, who->name};
	rv = store_change_begin(st,
	                        "INSERT INTO environment_databases (environment_id, db_url, sanity_sql,"
	                        " updated_by) SELECT e.id, $2, $3::jsonb, $4 FROM environments e"
	                        " WHERE e.name = $1"
	                        " ON CONFLICT (environment_id) DO UPDATE SET db_url = EXCLUDED.db_url,"
	                        " sanity_sql = EXCLUDED.sanity_sql, updated_by = EXCLUDED.updated_by,"
	                        " updated_at = now() RETURNING rw_to_us(updated_at)",
	                        4, params, "no such environment", row);
	free(sanity);
	if (rv)
		return rv;
	d->updated_at = row[0];
	/* The audit row names the database without its password. */
	rv = store_detail(st, &detail, "{s:s, s:I}", "db", redacted_url, "sanity_queries",
	                  (json_int_t)d->n_sanity);
	return store_change_end(st, rv, who, "env.set-db", target, detail, NULL);
}

static int
store_env_db_row(const PGresult *res, int row, void *dst)
{
	rw_env_db_t *d = dst;
	json_error_t jerr;
	json_t *arr, *v;
	size_t i;

	if (store_scan(res, row, "ss.l", STORE_BUF(d->env), STORE_BUF(d->db_url), &d->updated_at))
		return RW_EINTERNAL;
	arr = json_loads(PQgetvalue(res, row, 2), 0, &jerr);
	if (!json_is_array(arr) || json_array_size(arr) > RW_SANITY_MAX) {
		json_decref(arr);
		return RW_EINTERNAL;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || RW_STRCPY(d->sanity[i], json_string_value(v)) != 0) {
			json_decref(arr);
			return RW_EINTERNAL;
		}
	}
	d->n_sanity = json_array_size(arr);
	json_decref(arr);
	return 0;
}

int
store_env_db_get(store_t *st, const char *env, rw_env_db_t *out)
{
	return store_get_by_name(st,
	                         "SELECT e.name, d.db_url, d.sanity_sql::text, rw_to_us(d.updated_at)"
	                         " FROM environment_databases d JOIN environments e"
	                         " ON e.id = d.environment_id WHERE e.name = $1",
	                         env, store_env_db_row, out);
}

/* ------------------------------------------------------------------------ */
/* Services                                                                 */

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

#define STORE_RELEASE_BY_ID \
	"SELECT " STORE_RELEASE_COLS STORE_RELEASE_FROM " WHERE r.id = $1::bigint"

int
store_release_get(store_t *st, int64_t id, rw_release_t *out)
{
	return store_get_by_id(st, STORE_RELEASE_BY_ID, id, store_release_row, out);
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
