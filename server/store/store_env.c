/*
 * store_env — environments, their coordinator settings and configuration,
 * and their application databases (store_env.h).
 *
 * What it does: the SQL of the environments and environment_databases
 * tables, and of the settings columns of environments and services: a
 * setting's name maps onto a fixed column (never text from input) and its
 * value is parsed here.  Each change is written with its audit row.
 *
 * What it does not do: check names and URLs beyond the settings' own rules
 * (domain.c does at the boundary), or show a secret: a webhook URL reads
 * back as "(set)" and the audit row of a database names it without its
 * password (the caller passes the redacted URL).
 */
#include "store_env.h"

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
