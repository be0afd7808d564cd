/*
 * store_coord — the store's coordination half: environment and service
 * settings, operations and their deployments rows (with the one-change-in-
 * flight index that makes concurrent rollbacks fail across rewindd
 * processes), observation, incidents and their timeline, webhook
 * notifications, and the health facts the coordinator reads.  Same rules
 * as store.c: parameterised SQL only, libpq results never leave this file,
 * every change audited in its own transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"
#include "store.h"
#include "store_int.h"

static const rw_actor_t store_self = {"rewindd", RW_ROLE_NONE};

/* Wakes consoles long-polling this operation (srv.c parks them on "op/ID"). */
static int
store_op_notify(store_t *st, int64_t op_id)
{
	char key[48];
	snprintf(key, sizeof(key), "op/%" PRId64, op_id);
	const char *p[2] = {STORE_ACTION_CHANNEL, key};
	return store_exec(st, "SELECT pg_notify($1, $2)", 2, p, NULL);
}

/* Runs sql (which must bump operations.seq of $1) and notifies. */
static int
store_op_touch(store_t *st, int64_t op_id)
{
	char id[STORE_I64_BUF];
	const char *p[1] = {store_i64(id, op_id)};
	int rv = store_exec(st, "UPDATE operations SET seq = seq + 1 WHERE id = $1::bigint", 1, p,
	                    NULL);
	return rv ? rv : store_op_notify(st, op_id);
}

/* ------------------------------------------------------------------------ */
/* Settings                                                                 */

#define STORE_ENV_CFG_COLS                                                                  \
	"id, name, cluster, health_url, health_expect, rw_to_us(created_at), observe_s,"    \
	" verify_s, action_timeout_s, smoke_timeout_s, smoke_command, auto_rollback,"       \
	" webhook_url, webhook_format, promote_from"

static int
store_env_cfg_row(const PGresult *res, int row, void *dst)
{
	struct store_env_cfg *c = dst;
	rw_env_t *e = &c->env;
	e->id = store_col_i64(res, row, 0);
	e->created_at = store_col_i64(res, row, 5);
	c->observe_s = (int)store_col_i64(res, row, 6);
	c->verify_s = (int)store_col_i64(res, row, 7);
	c->action_timeout_s = (int)store_col_i64(res, row, 8);
	c->smoke_timeout_s = (int)store_col_i64(res, row, 9);
	c->auto_rollback = store_col_bool(res, row, 11);
	if (STORE_COL_STR(e->name, res, row, 1) || STORE_COL_STR(e->cluster, res, row, 2) ||
	    STORE_COL_STR(e->health_url, res, row, 3) || STORE_COL_STR(e->health_expect, res, row, 4) ||
	    STORE_COL_STR(c->smoke_command, res, row, 10) ||
	    STORE_COL_STR(c->webhook_url, res, row, 12) ||
	    STORE_COL_STR(c->webhook_format, res, row, 13) ||
	    STORE_COL_STR(c->promote_from, res, row, 14))
		return RW_EINTERNAL;
	return 0;
}

int
store_env_cfg_get(store_t *st, const char *env, struct store_env_cfg *out)
{
	const char *p[1] = {env};
	return store_get_one(st, "SELECT " STORE_ENV_CFG_COLS " FROM environments WHERE name = $1", 1,
	                     p, store_env_cfg_row, out);
}

int
store_env_cfg_by_id(store_t *st, int64_t env_id, struct store_env_cfg *out)
{
	char id[STORE_I64_BUF];
	const char *p[1] = {store_i64(id, env_id)};
	return store_get_one(st,
	                     "SELECT " STORE_ENV_CFG_COLS " FROM environments WHERE id = $1::bigint",
	                     1, p, store_env_cfg_row, out);
}

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
		if (!*v || *end || n < k->lo || n > k->hi) {
			snprintf(msg, msgsz, "%s must be a number from %d to %d", k->key, k->lo, k->hi);
			return RW_EINVAL;
		}
		snprintf(out, cap, "%ld", n);
		return 0;
	case SET_BOOL:
		if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "yes") && strcmp(v, "no")) {
			snprintf(msg, msgsz, "%s must be on or off", k->key);
			return RW_EINVAL;
		}
		snprintf(out, cap, "%s", (!strcmp(v, "on") || !strcmp(v, "yes")) ? "true" : "false");
		return 0;
	case SET_FORMAT:
		if (strcmp(v, "slack") && strcmp(v, "generic")) {
			snprintf(msg, msgsz, "%s must be slack or generic", k->key);
			return RW_EINVAL;
		}
		break;
	case SET_URL:
		if (*v && strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) {
			snprintf(msg, msgsz, "%s must be an http:// or https:// URL (or empty)", k->key);
			return RW_EINVAL;
		}
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

int
store_settings_set(store_t *st, const rw_actor_t *who, const rw_settings_t *s, char *msg,
                   size_t msgsz)
{
	bool env = strcmp(s->scope, "env") == 0;
	const struct store_setting *table = env ? env_settings : service_settings;
	char value[RW_SETTING_VALUE_MAX + 1], sql[160], tgt[RW_IMAGE_MAX + 1];
	json_t *detail = json_object();
	PGresult *res;
	int rv;

	if (!detail)
		return RW_ENOMEM;
	if ((rv = store_begin(st))) {
		json_decref(detail);
		return rv;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		const struct store_setting *k = store_setting_find(table, s->items[i].key);
		if (!k) {
			snprintf(msg, msgsz, "unknown setting %s", s->items[i].key);
			rv = RW_EINVAL;
			break;
		}
		if ((rv = store_setting_value(k, s->items[i].value, value, sizeof(value), msg, msgsz)))
			break;
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = $2 WHERE name = $1 RETURNING id",
		         env ? "environments" : "services", k->column);
		const char *p[2] = {s->name, value};
		if ((rv = store_exec(st, sql, 2, p, &res)))
			break;
		rv = PQntuples(res) == 1 ? 0 : RW_ENOTFOUND;
		PQclear(res);
		if (rv) {
			snprintf(msg, msgsz, "%s \"%s\" not found", env ? "environment" : "service",
			         s->name);
			break;
		}
		/* A webhook URL may carry a token: the audit row says only that it changed. */
		json_object_set_new(detail, k->key,
		                    json_string(k->type == SET_URL && *value ? "(set)" : value));
	}
	if (rv) {
		json_decref(detail);
		return store_rollback(st, rv);
	}
	char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	if (!d)
		return store_rollback(st, RW_ENOMEM);
	if ((rv = store_target(st, tgt, sizeof(tgt), env ? "env" : "service", s->name, NULL))) {
		free(d);
		return store_rollback(st, rv);
	}
	return store_audit_commit(st, who, env ? "env.settings" : "service.settings", tgt, d);
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

int
store_service_order(store_t *st, const char *name, int *order)
{
	const char *p[1] = {name};
	PGresult *res;
	int rv = store_exec(st, "SELECT deploy_order FROM services WHERE name = $1", 1, p, &res);
	if (rv)
		return rv;
	rv = PQntuples(res) == 1 ? 0 : RW_ENOTFOUND;
	if (rv == 0)
		*order = (int)store_col_i64(res, 0, 0);
	PQclear(res);
	return rv;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */

static int
store_step_insert(store_t *st, const rw_actor_t *who, const struct store_plan *p, int64_t op_id,
                  size_t i)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF], rid[STORE_I64_BUF], op[STORE_I64_BUF],
	    step[STORE_I64_BUF];
	const struct store_plan_step *s = &p->steps[i];
	const char *params[8] = {store_i64(rid, s->release.id), store_i64(env, p->env_id),
	                         who->name, store_i64(sid, s->service.id), store_i64(op, op_id),
	                         p->dep_kind, store_i64(step, (int64_t)i), s->image};
	return store_exec(st,
	                  "INSERT INTO deployments (release_id, environment_id, actor, service_id,"
	                  " operation_id, kind, step, state, image)"
	                  " VALUES ($1::bigint, $2::bigint, $3, $4::bigint, $5::bigint, $6,"
	                  "   $7::int, 'queued', $8)",
	                  8, params, NULL);
}

/* Which operation holds a service of the plan in flight (for the refusal text). */
static void
store_busy_op(store_t *st, const struct store_plan *p, int64_t *busy)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF];
	PGresult *res;
	*busy = 0;
	for (size_t i = 0; i < p->nsteps && !*busy; i++) {
		const char *params[2] = {store_i64(env, p->env_id), store_i64(sid, p->steps[i].service.id)};
		if (store_exec(st,
		               "SELECT coalesce(operation_id, 0) FROM deployments WHERE"
		               " environment_id = $1::bigint AND service_id = $2::bigint"
		               " AND state IN ('queued', 'rolling-out', 'verifying')",
		               2, params, &res) != 0)
			return;
		if (PQntuples(res) > 0)
			*busy = store_col_i64(res, 0, 0);
		PQclear(res);
	}
}

int
store_in_flight(store_t *st, int64_t env_id, int64_t service_id, int64_t *op)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF];
	const char *params[2] = {store_i64(env, env_id), store_i64(sid, service_id)};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT coalesce(operation_id, 0) FROM deployments WHERE"
	                    " environment_id = $1::bigint AND service_id = $2::bigint"
	                    " AND state IN ('queued', 'rolling-out', 'verifying')",
	                    2, params, &res);
	if (rv)
		return rv;
	*op = PQntuples(res) > 0 ? store_col_i64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

int
store_op_create(store_t *st, const rw_actor_t *who, const struct store_plan *p, int64_t *op_id,
                int64_t *busy_op)
{
	char env[STORE_I64_BUF], inc[STORE_I64_BUF], tgt[64];
	char *detail = NULL;
	PGresult *res;
	int rv;

	*busy_op = 0;
	if (!store_actor_ok(who))
		return RW_EINVAL;
	const char *params[8] = {rw_op_kind_name(p->kind), store_i64(env, p->env_id),
	                         store_i64(inc, p->incident_id), p->reason ? p->reason : "",
	                         p->override_gate ? p->override_gate : "",
	                         p->warnings ? p->warnings : "", p->spec_json ? p->spec_json : "{}",
	                         who->name};
	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "INSERT INTO operations (kind, environment_id, incident_id, reason,"
	                " override_gate, warnings, spec, created_by)"
	                " VALUES ($1, $2::bigint, NULLIF($3::bigint, 0), $4, $5, $6, $7::jsonb, $8)"
	                " RETURNING id",
	                8, params, &res);
	if (rv)
		return store_rollback(st, rv);
	*op_id = store_col_i64(res, 0, 0);
	PQclear(res);
	for (size_t i = 0; i < p->nsteps; i++) {
		if ((rv = store_step_insert(st, who, p, *op_id, i)) != 0) {
			store_rollback(st, rv);
			if (rv == RW_EEXIST) {
				store_busy_op(st, p, busy_op);
				rv = RW_EBUSY;
			}
			return rv;
		}
	}
	const char *notify[2] = {STORE_OP_CHANNEL, "new"};
	snprintf(tgt, sizeof(tgt), "operation/%" PRId64, *op_id);
	if ((rv = store_exec(st, "SELECT pg_notify($1, $2)", 2, notify, NULL)) ||
	    (rv = store_detail(st, &detail, "{s:s,s:I,s:I,s:s}", "kind", rw_op_kind_name(p->kind),
	                       "steps", (json_int_t)p->nsteps, "incident",
	                       (json_int_t)p->incident_id, "override_gate",
	                       p->override_gate ? p->override_gate : "")))
		return store_rollback(st, rv);
	rv = store_audit_insert(st, who, "operation.start", tgt, detail, p->reason);
	free(detail);
	if (rv || (rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

#define STORE_OP_COLS                                                                       \
	"o.id, o.kind, e.name, o.state, o.phase, coalesce(o.incident_id, 0), o.reason,"         \
	" o.override_gate, o.warnings, o.result, o.smoke_rc, o.smoke_output, o.created_by,"     \
	" rw_to_us(o.created_at), coalesce(rw_to_us(o.started_at), 0),"                         \
	" coalesce(rw_to_us(o.finished_at), 0), o.seq, o.spec::text, coalesce(o.previous::text, '')"
#define STORE_OP_FROM " FROM operations o JOIN environments e ON e.id = o.environment_id"

static int
store_op_spec(const char *spec, rw_operation_t *o)
{
	json_error_t jerr;
	json_t *j = json_loads(spec, 0, &jerr), *data;
	const char *k;
	json_t *v;
	int rv = 0;

	if (!j)
		return RW_EINTERNAL;
	data = json_object_get(j, "data");
	if (rw_strcpy(o->configmap, sizeof(o->configmap),
	              json_string_value(json_object_get(j, "configmap")) ?: "") ||
	    rw_strcpy(o->namespace_, sizeof(o->namespace_),
	              json_string_value(json_object_get(j, "namespace")) ?: ""))
		rv = RW_EINTERNAL;
	json_object_foreach(data, k, v) {
		if (rv || o->nkv >= RW_KV_MAX)
			break;
		if (rw_strcpy(o->kv[o->nkv].key, sizeof(o->kv[0].key), k) ||
		    rw_strcpy(o->kv[o->nkv].value, sizeof(o->kv[0].value), json_string_value(v) ?: ""))
			rv = RW_EINTERNAL;
		o->nkv++;
	}
	json_decref(j);
	return rv;
}

static int
store_op_row(const PGresult *res, int row, void *dst)
{
	rw_operation_t *o = dst;
	memset(o, 0, sizeof(*o));
	o->id = store_col_i64(res, row, 0);
	o->kind = rw_op_kind_parse(PQgetvalue(res, row, 1));
	o->incident_id = store_col_i64(res, row, 5);
	o->smoke_rc = (int32_t)store_col_i64(res, row, 10);
	o->created_at = store_col_i64(res, row, 13);
	o->started_at = store_col_i64(res, row, 14);
	o->finished_at = store_col_i64(res, row, 15);
	o->seq = store_col_i64(res, row, 16);
	if (STORE_COL_STR(o->env, res, row, 2) || STORE_COL_STR(o->state, res, row, 3) ||
	    STORE_COL_STR(o->phase, res, row, 4) || STORE_COL_STR(o->reason, res, row, 6) ||
	    STORE_COL_STR(o->override_gate, res, row, 7) || STORE_COL_STR(o->warnings, res, row, 8) ||
	    STORE_COL_STR(o->result, res, row, 9) || STORE_COL_STR(o->smoke_output, res, row, 11) ||
	    STORE_COL_STR(o->created_by, res, row, 12) || STORE_COL_STR(o->previous, res, row, 18))
		return RW_EINTERNAL;
	return store_op_spec(PQgetvalue(res, row, 17), o);
}

static int
store_step_row(const PGresult *res, int row, void *dst)
{
	rw_op_step_t *s = dst;
	s->deployment_id = store_col_i64(res, row, 0);
	s->release_id = store_col_i64(res, row, 2);
	s->action_id = store_col_i64(res, row, 6);
	s->known_good = store_col_bool(res, row, 9);
	s->updated = (int32_t)store_col_i64(res, row, 10);
	s->available = (int32_t)store_col_i64(res, row, 11);
	s->replicas = (int32_t)store_col_i64(res, row, 12);
	s->observe_until = store_col_i64(res, row, 17);
	s->order = (int32_t)store_col_i64(res, row, 18);
	if (STORE_COL_STR(s->service, res, row, 1) || STORE_COL_STR(s->version, res, row, 3) ||
	    STORE_COL_STR(s->image, res, row, 4) || STORE_COL_STR(s->previous_image, res, row, 5) ||
	    STORE_COL_STR(s->state, res, row, 7) || STORE_COL_STR(s->outcome, res, row, 8) ||
	    STORE_COL_STR(s->health, res, row, 13) || STORE_COL_STR(s->message, res, row, 14) ||
	    STORE_COL_STR(s->migrations_compat, res, row, 15) ||
	    STORE_COL_STR(s->digest, res, row, 16))
		return RW_EINTERNAL;
	return 0;
}

static int
store_op_steps(store_t *st, rw_operation_t *o)
{
	char id[STORE_I64_BUF];
	const char *p[1] = {store_i64(id, o->id)};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT d.id, s.name, r.id, r.version, d.image, d.previous_image,"
	                    " coalesce(d.action_id, 0), d.state, d.outcome, d.known_good, d.updated,"
	                    " d.available, d.replicas, d.health, d.message, r.migrations_compat,"
	                    " r.digest, coalesce(rw_to_us(d.observe_until), 0), s.deploy_order"
	                    " FROM deployments d JOIN releases r ON r.id = d.release_id"
	                    " JOIN services s ON s.id = r.service_id"
	                    " WHERE d.operation_id = $1::bigint ORDER BY d.step, d.id",
	                    1, p, &res);
	if (rv)
		return rv;
	o->nsteps = 0;
	for (int i = 0; i < PQntuples(res) && o->nsteps < RW_OP_STEPS_MAX; i++) {
		if ((rv = store_step_row(res, i, &o->steps[o->nsteps])) != 0)
			break;
		o->nsteps++;
	}
	PQclear(res);
	return rv;
}

int
store_op_get(store_t *st, int64_t id, rw_operation_t *out)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, id)};
	int rv = store_get_one(st, "SELECT " STORE_OP_COLS STORE_OP_FROM " WHERE o.id = $1::bigint",
	                       1, p, store_op_row, out);
	return rv ? rv : store_op_steps(st, out);
}

int
store_op_list(store_t *st, const char *env, int64_t incident_id, uint32_t limit,
              rw_operation_t **out, size_t *n)
{
	char lim[STORE_I64_BUF], inc[STORE_I64_BUF];
	const char *p[3] = {env ? env : "", store_i64(inc, incident_id),
	                    store_limit(lim, limit > 100 || limit == 0 ? 100 : limit)};
	int rv = store_get_list(st,
	                        "SELECT " STORE_OP_COLS STORE_OP_FROM
	                        " WHERE ($1 = '' OR e.name = $1)"
	                        "   AND ($2::bigint = 0 OR o.incident_id = $2::bigint)"
	                        " ORDER BY o.id DESC LIMIT $3::bigint",
	                        3, p, sizeof(**out), store_op_row, (void **)out, n);
	for (size_t i = 0; rv == 0 && i < *n; i++)
		rv = store_op_steps(st, &(*out)[i]);
	if (rv) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rv;
}

/*
 * A running operation whose runner is gone: its PostgreSQL backend no longer
 * exists (the rewindd died or lost its connection), or it stopped
 * heartbeating for $STALE seconds (hung, or a backend we are not allowed to
 * see).  A backend hidden from us (NULL backend_start) counts as alive.
 */
#define STORE_OP_ORPHANED(stale)                                                          \
	"o.state = 'running' AND (o.heartbeat_at IS NULL"                                   \
	" OR o.heartbeat_at < now() - make_interval(secs => " stale "::float8)"             \
	" OR (o.owner_pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a"     \
	"   WHERE a.pid = o.owner_pid"                                                      \
	"   AND (a.backend_start IS NULL OR a.backend_start = o.owner_backend_start))))"

#define STORE_OP_OWNER_SET                                                                \
	" owner_pid = pg_backend_pid(), heartbeat_at = now(), seq = o.seq + 1,"             \
	" owner_backend_start = (SELECT backend_start FROM pg_stat_activity"                \
	"   WHERE pid = pg_backend_pid())"

/* An operation that took down STORE_OP_MAX_CLAIMS runners is failed, not resumed again. */
#define STORE_OP_MAX_CLAIMS "5"

static int
store_op_give_up(store_t *st, int stale_s)
{
	char stale[STORE_I64_BUF];
	const char *p[1] = {store_i64(stale, stale_s)};
	PGresult *res;
	int rv = store_exec(st,
	                    "UPDATE operations o SET state = 'failed', finished_at = now(),"
	                    " seq = seq + 1, phase = 'finished',"
	                    " result = 'abandoned: ' || claims || ' runners stopped while running it"
	                    " (last ' || owner || ') — check status and run it again'"
	                    " WHERE " STORE_OP_ORPHANED("$1") " AND o.claims >= " STORE_OP_MAX_CLAIMS
	                    " RETURNING id",
	                    1, p, &res);
	if (rv)
		return rv;
	for (int i = 0; rv == 0 && i < PQntuples(res); i++) {
		const char *q[1] = {PQgetvalue(res, i, 0)};
		char tgt[64];
		rv = store_exec(st,
		                "UPDATE deployments SET state = 'done', finished_at = now(),"
		                " outcome = 'failed', message = 'abandoned: its runners kept stopping'"
		                " WHERE operation_id = $1::bigint"
		                "   AND state IN ('queued', 'rolling-out', 'verifying')",
		                1, q, NULL);
		snprintf(tgt, sizeof(tgt), "operation/%s", q[0]);
		if (rv == 0)
			rv = store_audit_insert(st, &store_self, "operation.abandoned", tgt, NULL,
			                        "its runners kept stopping");
	}
	PQclear(res);
	return rv;
}

/* Takes over one orphaned operation; *found false when there is none. */
static int
store_op_resume(store_t *st, const char *owner, int stale_s, struct store_claim *c, bool *found)
{
	char stale[STORE_I64_BUF], tgt[64];
	const char *p[2] = {owner, store_i64(stale, stale_s)};
	char *detail = NULL;
	PGresult *res;
	int rv = store_exec(st,
	                    "WITH c AS (SELECT o.id, o.owner FROM operations o"
	                    "   WHERE " STORE_OP_ORPHANED("$2")
	                    "   ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)"
	                    " UPDATE operations o SET owner = $1, claims = o.claims + 1,"
	                    STORE_OP_OWNER_SET
	                    " FROM c WHERE o.id = c.id RETURNING o.id, o.claims, c.owner",
	                    2, p, &res);
	if (rv)
		return rv;
	if (PQntuples(res) == 1) {
		c->id = store_col_i64(res, 0, 0);
		c->token = (int32_t)store_col_i64(res, 0, 1);
		c->resumed = true;
		rw_strcpy(c->previous_owner, sizeof(c->previous_owner), PQgetvalue(res, 0, 2));
		*found = true;
	}
	PQclear(res);
	if (!*found)
		return 0;
	snprintf(tgt, sizeof(tgt), "operation/%" PRId64, c->id);
	if ((rv = store_detail(st, &detail, "{s:s,s:s,s:i}", "previous_owner", c->previous_owner,
	                       "owner", owner, "claim", (int)c->token)))
		return rv;
	rv = store_audit_insert(st, &store_self, "operation.resumed", tgt, detail, NULL);
	free(detail);
	return rv;
}

static int
store_op_take_queued(store_t *st, const char *owner, struct store_claim *c, bool *found)
{
	const char *p[1] = {owner};
	PGresult *res;
	int rv = store_exec(st,
	                    "UPDATE operations o SET state = 'running', owner = $1, started_at = now(),"
	                    " claims = o.claims + 1," STORE_OP_OWNER_SET
	                    " WHERE o.id = (SELECT id FROM operations WHERE state = 'queued'"
	                    "   ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)"
	                    " RETURNING o.id, o.claims",
	                    1, p, &res);
	if (rv)
		return rv;
	if (PQntuples(res) == 1) {
		c->id = store_col_i64(res, 0, 0);
		c->token = (int32_t)store_col_i64(res, 0, 1);
		*found = true;
	}
	PQclear(res);
	return 0;
}

int
store_op_claim(store_t *st, const char *owner, int stale_s, struct store_claim *c, bool *found)
{
	int rv;

	*found = false;
	memset(c, 0, sizeof(*c));
	if ((rv = store_begin(st)))
		return rv;
	if ((rv = store_op_give_up(st, stale_s)) ||
	    (rv = store_op_resume(st, owner, stale_s, c, found)))
		return store_rollback(st, rv);
	if (!*found && (rv = store_op_take_queued(st, owner, c, found)))
		return store_rollback(st, rv);
	if (*found && (rv = store_op_notify(st, c->id)))
		return store_rollback(st, rv);
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

/* Ours still: running, and nobody claimed it since we did. */
#define STORE_OP_FENCE " id = $1::bigint AND claims = $2::int AND state = 'running'"

/* Runs a statement on operation id that returns its row only if it is still ours. */
static int
store_op_fenced(store_t *st, int64_t id, const char *sql, int n, const char *const *p)
{
	PGresult *res;
	int rv = store_exec(st, sql, n, p, &res);
	if (rv)
		return rv;
	int rows = PQntuples(res);
	PQclear(res);
	if (rows != 1) {
		store_set_err(st, "operation %" PRId64 " was taken over by another runner", id);
		return RW_ECONFLICT;
	}
	return 0;
}

int
store_op_heartbeat(store_t *st, int64_t id, int32_t token, const char *phase)
{
	char idb[STORE_I64_BUF], tok[STORE_I64_BUF];
	const char *p[3] = {store_i64(idb, id), store_i64(tok, token), phase ? phase : ""};
	int rv = store_op_fenced(st, id,
	                         "UPDATE operations SET heartbeat_at = now(),"
	                         " phase = CASE WHEN $3 = '' THEN phase ELSE left($3, 255) END,"
	                         " seq = seq + CASE WHEN $3 = '' OR $3 = phase THEN 0 ELSE 1 END"
	                         " WHERE" STORE_OP_FENCE " RETURNING id",
	                         3, p);
	if (rv)
		return rv;
	return phase && *phase ? store_op_notify(st, id) : 0;
}

int
store_op_release(store_t *st, int64_t id, int32_t token)
{
	char idb[STORE_I64_BUF], tok[STORE_I64_BUF];
	const char *p[2] = {store_i64(idb, id), store_i64(tok, token)};
	/* No backend, a heartbeat from the beginning of time: orphaned at once. */
	return store_exec(st,
	                  "UPDATE operations SET owner_pid = NULL, heartbeat_at = '-infinity',"
	                  " phase = 'waiting to be resumed (its rewindd stopped)', seq = seq + 1"
	                  " WHERE" STORE_OP_FENCE,
	                  2, p, NULL);
}

/* Locks the operation if it is still ours; RW_ECONFLICT if not. */
static int
store_op_fence(store_t *st, int64_t id, int32_t token)
{
	char idb[STORE_I64_BUF], tok[STORE_I64_BUF];
	const char *p[2] = {store_i64(idb, id), store_i64(tok, token)};
	return store_op_fenced(st, id, "SELECT 1 FROM operations WHERE" STORE_OP_FENCE " FOR UPDATE",
	                       2, p);
}

/* The action already created for the step (or, dep_id 0, the operation); 0 if none. */
static int
store_op_action_of(store_t *st, int64_t op_id, int64_t dep_id, int64_t *action_id)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, dep_id ? dep_id : op_id)};
	PGresult *res;
	int rv = store_exec(st,
	                    dep_id ? "SELECT coalesce(action_id, 0) FROM deployments"
	                             " WHERE id = $1::bigint FOR UPDATE"
	                           : "SELECT coalesce(action_id, 0) FROM operations"
	                             " WHERE id = $1::bigint",
	                    1, p, &res);
	if (rv)
		return rv;
	*action_id = PQntuples(res) == 1 ? store_col_i64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

static int
store_op_action_link(store_t *st, int64_t op_id, int64_t dep_id, int64_t action_id)
{
	char idb[STORE_I64_BUF], act[STORE_I64_BUF];
	const char *p[2] = {store_i64(idb, dep_id ? dep_id : op_id), store_i64(act, action_id)};
	int rv = store_exec(st,
	                    dep_id ? "UPDATE deployments SET action_id = $2::bigint,"
	                             " state = 'rolling-out', message = 'queued for an agent'"
	                             " WHERE id = $1::bigint"
	                           : "UPDATE operations SET action_id = $2::bigint"
	                             " WHERE id = $1::bigint",
	                    2, p, NULL);
	return rv ? rv : store_op_touch(st, op_id);
}

int
store_op_action(store_t *st, int64_t op_id, int32_t token, int64_t dep_id, const rw_actor_t *who,
                rw_action_t *a, bool *existing)
{
	int64_t have = 0;
	int rv;

	*existing = false;
	if ((rv = store_begin(st)))
		return rv;
	if ((rv = store_op_fence(st, op_id, token)) ||
	    (rv = store_op_action_of(st, op_id, dep_id, &have)))
		return store_rollback(st, rv);
	if (have) {
		*existing = true;
		if ((rv = store_action_get(st, have, a)))
			return store_rollback(st, rv);
	} else if ((rv = store_action_create(st, who, a)) ||
	           (rv = store_op_action_link(st, op_id, dep_id, a->id))) {
		return store_rollback(st, rv);
	}
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_op_finish(store_t *st, int64_t id, int32_t token, bool ok, const char *result,
                int smoke_rc, const char *smoke_output)
{
	char idb[STORE_I64_BUF], rc[STORE_I64_BUF], tok[STORE_I64_BUF], tgt[64];
	char *detail = NULL;
	const char *p[6] = {store_i64(idb, id), ok ? "succeeded" : "failed",
	                    result ? result : "", store_i64(rc, smoke_rc),
	                    smoke_output ? smoke_output : "", store_i64(tok, token)};
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	rv = store_op_fenced(st, id,
	                     "UPDATE operations SET state = $2, finished_at = now(), seq = seq + 1,"
	                     " phase = 'finished', result = left($3, 2048), smoke_rc = $4::int,"
	                     " smoke_output = right($5, 1024)"
	                     " WHERE id = $1::bigint AND claims = $6::int AND state = 'running'"
	                     " RETURNING id",
	                     6, p);
	/* Steps that never started end with the operation. */
	if (rv == 0)
		rv = store_exec(st,
		                "UPDATE deployments SET state = 'done', outcome = 'failed',"
		                " finished_at = now(), message = CASE WHEN message = '' THEN"
		                "   'not started: the operation stopped before it' ELSE message END"
		                " WHERE operation_id = $1::bigint"
		                "   AND state IN ('queued', 'rolling-out', 'verifying')",
		                1, p, NULL);
	snprintf(tgt, sizeof(tgt), "operation/%" PRId64, id);
	if (rv == 0)
		rv = store_op_notify(st, id);
	if (rv == 0)
		rv = store_detail(st, &detail, "{s:s,s:s,s:i}", "state", p[1], "result", p[2],
		                  "smoke_rc", smoke_rc);
	if (rv)
		return store_rollback(st, rv);
	return store_audit_commit(st, &store_self, ok ? "operation.succeeded" : "operation.failed",
	                          tgt, detail);
}

int
store_op_previous(store_t *st, int64_t id, const char *previous_json)
{
	char idb[STORE_I64_BUF];
	const char *p[2] = {store_i64(idb, id), previous_json};
	return store_exec(st, "UPDATE operations SET previous = $2::jsonb WHERE id = $1::bigint", 2, p,
	                  NULL);
}

int
store_op_last_config(store_t *st, int64_t env_id, int64_t *op_id)
{
	char env[STORE_I64_BUF];
	const char *p[1] = {store_i64(env, env_id)};
	PGresult *res;
	/* Reverted: a later succeeded config-revert names it in its spec. */
	int rv = store_exec(st,
	                    "SELECT o.id FROM operations o WHERE o.environment_id = $1::bigint"
	                    " AND o.kind = 'config-set' AND o.state = 'succeeded'"
	                    " AND o.previous IS NOT NULL AND NOT EXISTS (SELECT 1 FROM operations r"
	                    "   WHERE r.kind = 'config-revert' AND r.state = 'succeeded'"
	                    "   AND (r.spec->>'revert_id')::bigint = o.id)"
	                    " ORDER BY o.id DESC LIMIT 1",
	                    1, p, &res);
	if (rv)
		return rv;
	*op_id = PQntuples(res) == 1 ? store_col_i64(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Steps and observation                                                    */

int
store_step_update(store_t *st, int64_t op_id, int64_t dep_id, const struct store_step_update *u)
{
	char id[STORE_I64_BUF], act[STORE_I64_BUF], up[STORE_I64_BUF], av[STORE_I64_BUF],
	    rep[STORE_I64_BUF];
	const char *p[10] = {store_i64(id, dep_id),  u->state ? u->state : "",
	                     u->outcome ? u->outcome : "",
	                     store_i64(act, u->action_id), store_i64(up, u->updated),
	                     store_i64(av, u->available), store_i64(rep, u->replicas),
	                     u->health, u->message, u->previous_image};
	int rv = store_exec(st,
	                    "UPDATE deployments SET"
	                    " state = CASE WHEN $2 = '' THEN state ELSE $2 END,"
	                    " outcome = CASE WHEN $3 = '' THEN outcome ELSE $3 END,"
	                    " finished_at = CASE WHEN $2 = 'done' THEN now() ELSE finished_at END,"
	                    " action_id = CASE WHEN $4::bigint = 0 THEN action_id ELSE $4::bigint END,"
	                    " updated = CASE WHEN $5::int < 0 THEN updated ELSE $5::int END,"
	                    " available = CASE WHEN $6::int < 0 THEN available ELSE $6::int END,"
	                    " replicas = CASE WHEN $7::int < 0 THEN replicas ELSE $7::int END,"
	                    " health = coalesce(left($8, 255), health),"
	                    " message = coalesce(left($9, 511), message),"
	                    " previous_image = coalesce($10, previous_image)"
	                    " WHERE id = $1::bigint",
	                    10, p, NULL);
	return rv ? rv : store_op_touch(st, op_id);
}

int
store_step_verified(store_t *st, int64_t op_id, int64_t dep_id, int observe_s)
{
	char id[STORE_I64_BUF], obs[STORE_I64_BUF], tgt[64];
	const char *p[2] = {store_i64(id, dep_id), store_i64(obs, observe_s)};
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "UPDATE deployments SET outcome = 'succeeded', verified_at = now(),"
	                " observe_until = now() + make_interval(secs => $2::float8),"
	                " state = CASE WHEN $2::int = 0 THEN 'done' ELSE 'observing' END,"
	                " known_good = $2::int = 0,"
	                " finished_at = now() WHERE id = $1::bigint",
	                2, p, NULL);
	snprintf(tgt, sizeof(tgt), "deployment/%" PRId64, dep_id);
	if (rv == 0)
		rv = store_audit_insert(st, &store_self, "deployment.verified", tgt, NULL, NULL);
	if (rv == 0)
		rv = store_op_touch(st, op_id);
	if (rv || (rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_deploy_superseded(store_t *st, int64_t env_id, int64_t service_id, int64_t dep_id,
                        bool rolled_back)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF], id[STORE_I64_BUF];
	const char *p[4] = {store_i64(env, env_id), store_i64(sid, service_id), store_i64(id, dep_id),
	                    rolled_back ? "t" : "f"};
	/*
	 * Earlier deployments still observing end here; when this is a
	 * rollback, the deployment it undoes (the newest before it that is not
	 * known-good) is marked rolled-back in the release log.
	 */
	int rv = store_exec(st,
	                    "UPDATE deployments SET state = 'done'"
	                    " WHERE environment_id = $1::bigint AND service_id = $2::bigint"
	                    "   AND id < $3::bigint AND state = 'observing'",
	                    3, p, NULL);
	if (rv == 0 && rolled_back)
		rv = store_exec(st,
		                "UPDATE deployments SET outcome = 'rolled-back',"
		                " finished_at = coalesce(finished_at, now())"
		                " WHERE id = (SELECT id FROM deployments WHERE environment_id = $1::bigint"
		                "   AND service_id = $2::bigint AND id < $3::bigint"
		                "   ORDER BY id DESC LIMIT 1) AND NOT known_good AND $4::boolean",
		                4, p, NULL);
	return rv;
}

static int
store_observed_row(const PGresult *res, int row, void *dst)
{
	struct store_observed *o = dst;
	o->id = store_col_i64(res, row, 0);
	o->op_id = store_col_i64(res, row, 1);
	o->env_id = store_col_i64(res, row, 2);
	o->service_id = store_col_i64(res, row, 3);
	o->release_id = store_col_i64(res, row, 4);
	o->incident_id = store_col_i64(res, row, 5);
	o->verified_at = store_col_i64(res, row, 12);
	o->observe_until = store_col_i64(res, row, 13);
	o->op_running = store_col_bool(res, row, 19);
	if (STORE_COL_STR(o->env, res, row, 6) || STORE_COL_STR(o->cluster, res, row, 7) ||
	    STORE_COL_STR(o->image, res, row, 8) || STORE_COL_STR(o->digest, res, row, 9) ||
	    STORE_COL_STR(o->version, res, row, 10) || STORE_COL_STR(o->dep_kind, res, row, 11) ||
	    STORE_COL_STR(o->service.name, res, row, 14) ||
	    STORE_COL_STR(o->service.namespace_, res, row, 15) ||
	    STORE_COL_STR(o->service.deployment, res, row, 16) ||
	    STORE_COL_STR(o->service.container, res, row, 17) ||
	    STORE_COL_STR(o->service.health_path, res, row, 18))
		return RW_EINTERNAL;
	o->service.id = o->service_id;
	return 0;
}

int
store_observing_list(store_t *st, struct store_observed **out, size_t *n)
{
	return store_get_list(st,
	                      "SELECT d.id, coalesce(d.operation_id, 0), d.environment_id,"
	                      " d.service_id, d.release_id, coalesce(o.incident_id, 0), e.name,"
	                      " e.cluster, d.image, r.digest, r.version, d.kind,"
	                      " coalesce(rw_to_us(d.verified_at), 0),"
	                      " coalesce(rw_to_us(d.observe_until), 0), s.name, s.namespace,"
	                      " s.deployment, s.container, s.health_path,"
	                      " coalesce(o.state IN ('queued', 'running'), false)"
	                      " FROM deployments d JOIN environments e ON e.id = d.environment_id"
	                      " JOIN releases r ON r.id = d.release_id"
	                      " JOIN services s ON s.id = d.service_id"
	                      " LEFT JOIN operations o ON o.id = d.operation_id"
	                      " WHERE d.state = 'observing' ORDER BY d.id LIMIT 200",
	                      0, NULL, sizeof(**out), store_observed_row, (void **)out, n);
}

int
store_observe_end(store_t *st, int64_t dep_id, bool good, const char *why)
{
	char id[STORE_I64_BUF], tgt[64];
	const char *p[2] = {store_i64(id, dep_id), why ? why : ""};
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	/* Only if still observing: two rewindd may look at the same deployment. */
	rv = store_exec(st,
	                good ? "UPDATE deployments SET state = 'done', known_good = true"
	                       " WHERE id = $1::bigint AND state = 'observing'"
	                       " RETURNING coalesce(operation_id, 0)"
	                     : "UPDATE deployments SET state = 'done', outcome = 'failed',"
	                       " message = left($2, 511), health = left($2, 255)"
	                       " WHERE id = $1::bigint AND state = 'observing'"
	                       " RETURNING coalesce(operation_id, 0)",
	                good ? 1 : 2, p, &res);
	if (rv)
		return store_rollback(st, rv);
	if (PQntuples(res) != 1) {
		PQclear(res);
		store_rollback(st, 0);
		return RW_ECONFLICT;
	}
	int64_t op = store_col_i64(res, 0, 0);
	PQclear(res);
	snprintf(tgt, sizeof(tgt), "deployment/%" PRId64, dep_id);
	rv = store_audit_insert(st, &store_self, good ? "deployment.known-good" : "deployment.failed",
	                        tgt, NULL, why);
	if (rv == 0 && op)
		rv = store_op_touch(st, op);
	if (rv || (rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* What runs where                                                          */


static int
store_current_row(const PGresult *res, int row, void *dst)
{
	struct store_current *c = dst;
	int rv = store_release_row(res, row, &c->release);
	if (rv)
		return rv;
	c->deployment_id = store_col_i64(res, row, 10);
	c->op_id = store_col_i64(res, row, 11);
	c->known_good = store_col_bool(res, row, 15);
	c->started_at = store_col_i64(res, row, 16);
	c->finished_at = store_col_i64(res, row, 17);
	if (STORE_COL_STR(c->image, res, row, 12) || STORE_COL_STR(c->state, res, row, 13) ||
	    STORE_COL_STR(c->outcome, res, row, 14))
		return RW_EINTERNAL;
	return 0;
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
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT EXISTS (SELECT 1 FROM deployments WHERE environment_id = $1::bigint"
	                    " AND release_id = $2::bigint AND known_good)",
	                    2, p, &res);
	if (rv)
		return rv;
	*good = store_col_bool(res, 0, 0);
	PQclear(res);
	return 0;
}

static int
store_svc_row(const PGresult *res, int row, void *dst)
{
	rw_service_t *s = dst;
	s->id = store_col_i64(res, row, 0);
	if (STORE_COL_STR(s->name, res, row, 1) || STORE_COL_STR(s->namespace_, res, row, 2) ||
	    STORE_COL_STR(s->deployment, res, row, 3) || STORE_COL_STR(s->container, res, row, 4) ||
	    STORE_COL_STR(s->image_repo, res, row, 5) || STORE_COL_STR(s->health_path, res, row, 6) ||
	    STORE_COL_STR(s->health_expect, res, row, 7))
		return RW_EINTERNAL;
	return 0;
}

int
store_env_services(store_t *st, int64_t env_id, rw_service_t **out, size_t *n)
{
	char env[STORE_I64_BUF];
	const char *p[1] = {store_i64(env, env_id)};
	return store_get_list(st,
	                      "SELECT s.id, s.name, s.namespace, s.deployment, s.container,"
	                      " s.image_repo, s.health_path, s.health_expect FROM services s"
	                      " WHERE EXISTS (SELECT 1 FROM deployments d WHERE d.service_id = s.id"
	                      "   AND d.environment_id = $1::bigint)"
	                      " ORDER BY s.deploy_order, s.name LIMIT 16",
	                      1, p, sizeof(**out), store_svc_row, (void **)out, n);
}

/* ------------------------------------------------------------------------ */
/* Health facts                                                             */

static int
store_pod_fill(const PGresult *res, int row, void *dst)
{
	rw_pod_state_t *p = dst;
	json_error_t jerr;
	json_t *cs, *c;
	size_t i;
	int rv = 0;

	if (STORE_COL_STR(p->cluster, res, row, 0) || STORE_COL_STR(p->namespace_, res, row, 1) ||
	    STORE_COL_STR(p->name, res, row, 2) || STORE_COL_STR(p->node, res, row, 3) ||
	    STORE_COL_STR(p->deployment, res, row, 4) || STORE_COL_STR(p->phase, res, row, 5))
		return RW_EINTERNAL;
	p->ready = store_col_bool(res, row, 6);
	p->observed_at = store_col_i64(res, row, 8);
	if (!(cs = json_loads(PQgetvalue(res, row, 7), 0, &jerr)))
		return RW_EINTERNAL;
	json_array_foreach(cs, i, c) {
		rw_container_state_t *o;
		if (i >= RW_MAX_CONTAINERS)
			break;
		o = &p->containers[i];
		if (rw_strcpy(o->name, sizeof(o->name), json_string_value(json_object_get(c, "name")) ?: "") ||
		    rw_strcpy(o->image, sizeof(o->image),
		              json_string_value(json_object_get(c, "image")) ?: "") ||
		    rw_strcpy(o->image_digest, sizeof(o->image_digest),
		              json_string_value(json_object_get(c, "digest")) ?: "") ||
		    rw_strcpy(o->waiting_reason, sizeof(o->waiting_reason),
		              json_string_value(json_object_get(c, "reason")) ?: "")) {
			rv = RW_EINTERNAL;
			break;
		}
		o->ready = json_is_true(json_object_get(c, "ready"));
		o->restarts = (int32_t)json_integer_value(json_object_get(c, "restarts"));
		p->ncontainers = (uint32_t)i + 1;
	}
	json_decref(cs);
	return rv;
}

int
store_pods_of(store_t *st, const char *cluster, const char *ns, const char *deployment,
              rw_pod_state_t **out, size_t *n)
{
	const char *p[3] = {cluster, ns, deployment};
	return store_get_list(st,
	                      "SELECT cluster, namespace, name, node, deployment, phase, ready,"
	                      " containers::text, rw_to_us(observed_at) FROM pod_states"
	                      " WHERE cluster = $1 AND namespace = $2 AND deployment = $3"
	                      " ORDER BY name LIMIT 500",
	                      3, p, sizeof(**out), store_pod_fill, (void **)out, n);
}

static int
store_dstate_row(const PGresult *res, int row, void *dst)
{
	rw_deploy_state_t *d = dst;
	d->generation = store_col_i64(res, row, 0);
	d->observed_generation = store_col_i64(res, row, 1);
	d->replicas = (int32_t)store_col_i64(res, row, 2);
	d->updated = (int32_t)store_col_i64(res, row, 3);
	d->ready = (int32_t)store_col_i64(res, row, 4);
	d->available = (int32_t)store_col_i64(res, row, 5);
	d->observed_at = store_col_i64(res, row, 7);
	return STORE_COL_STR(d->progressing_reason, res, row, 6) ? RW_EINTERNAL : 0;
}

int
store_deploy_state(store_t *st, const char *cluster, const char *ns, const char *name,
                   rw_deploy_state_t *out)
{
	const char *p[3] = {cluster, ns, name};
	return store_get_one(st,
	                     "SELECT generation, observed_generation, replicas, updated, ready,"
	                     " available, progressing_reason, rw_to_us(observed_at)"
	                     " FROM deploy_states WHERE cluster = $1 AND namespace = $2 AND name = $3",
	                     3, p, store_dstate_row, out);
}

static int
store_probe_fill(const PGresult *res, int row, void *dst)
{
	rw_probe_result_t *p = dst;
	p->ok = store_col_bool(res, row, 0);
	p->http_status = (int32_t)store_col_i64(res, row, 1);
	p->latency_ms = (int32_t)store_col_i64(res, row, 2);
	p->at = store_col_i64(res, row, 5);
	if (STORE_COL_STR(p->error, res, row, 3) || STORE_COL_STR(p->subject, res, row, 4))
		return RW_EINTERNAL;
	return 0;
}

int
store_probe_latest(store_t *st, const char *cluster, const char *subject, int64_t since_us,
                   rw_probe_result_t *out, bool *found)
{
	char since[STORE_I64_BUF];
	const char *p[3] = {cluster, subject, store_i64(since, since_us)};
	int rv = store_get_one(st,
	                       "SELECT ok, http_status, latency_ms, left(error, 255), subject,"
	                       " rw_to_us(at) FROM health_results"
	                       " WHERE cluster = $1 AND subject = $2 AND at >= rw_from_us($3::bigint)"
	                       " ORDER BY at DESC, id DESC LIMIT 1",
	                       3, p, store_probe_fill, out);
	*found = rv == 0;
	return rv == RW_ENOTFOUND ? 0 : rv;
}

int
store_probe_failing_since(store_t *st, const char *cluster, int64_t since_us, int64_t *first)
{
	char since[STORE_I64_BUF];
	const char *p[2] = {cluster, store_i64(since, since_us)};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT coalesce(rw_to_us(min(at)), 0) FROM health_results"
	                    " WHERE cluster = $1 AND NOT ok AND at >= rw_from_us($2::bigint)",
	                    2, p, &res);
	if (rv)
		return rv;
	*first = store_col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
store_agents_live(store_t *st, const char *cluster, int64_t since_us, int *n)
{
	char since[STORE_I64_BUF];
	const char *p[2] = {cluster, store_i64(since, since_us)};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT count(*) FROM agents WHERE cluster = $1"
	                    " AND last_seen >= rw_from_us($2::bigint)",
	                    2, p, &res);
	if (rv)
		return rv;
	*n = (int)store_col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

int
store_action_cancel(store_t *st, int64_t id, const char *why)
{
	char idb[STORE_I64_BUF], tgt[64];
	const char *p[2] = {store_i64(idb, id), why};
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "UPDATE actions SET state = 'cancelled', finished_at = now(),"
	                " result = jsonb_build_object('message', $2::text, 'previous', '')"
	                " WHERE id = $1::bigint AND state IN ('queued', 'leased') RETURNING id",
	                2, p, &res);
	if (rv)
		return store_rollback(st, rv);
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	snprintf(tgt, sizeof(tgt), "action/%" PRId64, id);
	if (changed) {
		const char *n[2] = {STORE_ACTION_CHANNEL, tgt};
		if ((rv = store_exec(st, "SELECT pg_notify($1, $2)", 2, n, NULL)) ||
		    (rv = store_audit_insert(st, &store_self, "action.cancelled", tgt, NULL, why)))
			return store_rollback(st, rv);
	}
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Incidents                                                                */

static int
store_event_insert(store_t *st, int64_t id, const char *kind, const char *actor, const char *text)
{
	char idb[STORE_I64_BUF];
	const char *p[4] = {store_i64(idb, id), kind, actor, text};
	return store_exec(st,
	                  "INSERT INTO incident_events (incident_id, kind, actor, text)"
	                  " VALUES ($1::bigint, $2, left($3, 128), left($4, 2048))",
	                  4, p, NULL);
}

int
store_incident_open(store_t *st, const rw_actor_t *who, rw_incident_t *inc)
{
	char tgt[64], text[RW_TEXT_MAX + 600];
	char *detail = NULL;
	int64_t env_id;
	PGresult *res;
	int rv;

	if ((rv = store_env_id(st, inc->env, &env_id)))
		return rv;
	if (!inc->severity[0])
		(void)RW_STRCPY(inc->severity, "sev2");
	if (!inc->coordinator[0])
		(void)RW_STRCPY(inc->coordinator, who->name);
	char eid[STORE_I64_BUF];
	const char *p[4] = {store_i64(eid, env_id), inc->severity, inc->coordinator, inc->title};
	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "INSERT INTO incidents (environment_id, severity, coordinator, title)"
	                " VALUES ($1::bigint, $2, $3, $4)"
	                " RETURNING id, rw_to_us(opened_at)",
	                4, p, &res);
	if (rv)
		return store_rollback(st, rv);
	inc->id = store_col_i64(res, 0, 0);
	inc->opened_at = store_col_i64(res, 0, 1);
	(void)RW_STRCPY(inc->status, "open");
	PQclear(res);
	snprintf(text, sizeof(text), "incident opened (%s) by %s, coordinator %s: %.1800s",
	         inc->severity, who->name, inc->coordinator, inc->title);
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, inc->id);
	if ((rv = store_event_insert(st, inc->id, "note", who->name, text)) ||
	    (rv = store_detail(st, &detail, "{s:s,s:s,s:s}", "env", inc->env, "severity",
	                       inc->severity, "coordinator", inc->coordinator)))
		return store_rollback(st, rv);
	return store_audit_commit(st, who, "incident.open", tgt, detail);
}

int
store_incident_open_id(store_t *st, int64_t env_id, int64_t *id)
{
	char env[STORE_I64_BUF];
	const char *p[1] = {store_i64(env, env_id)};
	PGresult *res;
	int rv = store_exec(st,
	                    "SELECT id FROM incidents WHERE environment_id = $1::bigint"
	                    " AND status <> 'closed'",
	                    1, p, &res);
	if (rv)
		return rv;
	rv = PQntuples(res) == 1 ? 0 : RW_ENOTFOUND;
	if (rv == 0)
		*id = store_col_i64(res, 0, 0);
	PQclear(res);
	return rv;
}

#define STORE_INC_COLS                                                                      \
	"i.id, e.name, i.title, i.severity, i.coordinator, i.status, rw_to_us(i.opened_at),"    \
	" coalesce(rw_to_us(i.detected_at), 0), coalesce(rw_to_us(i.recovered_at), 0),"         \
	" coalesce(rw_to_us(i.closed_at), 0), i.decision, i.answers::text, i.summary,"          \
	" i.root_cause FROM incidents i JOIN environments e ON e.id = i.environment_id"

static int
store_incident_row(const PGresult *res, int row, void *dst)
{
	rw_incident_t *o = dst;
	json_error_t jerr;
	json_t *a, *v;
	const char *k;

	memset(o, 0, sizeof(*o));
	o->id = store_col_i64(res, row, 0);
	o->opened_at = store_col_i64(res, row, 6);
	o->detected_at = store_col_i64(res, row, 7);
	o->recovered_at = store_col_i64(res, row, 8);
	o->closed_at = store_col_i64(res, row, 9);
	if (STORE_COL_STR(o->env, res, row, 1) || STORE_COL_STR(o->title, res, row, 2) ||
	    STORE_COL_STR(o->severity, res, row, 3) || STORE_COL_STR(o->coordinator, res, row, 4) ||
	    STORE_COL_STR(o->status, res, row, 5) || STORE_COL_STR(o->decision, res, row, 10) ||
	    STORE_COL_STR(o->summary, res, row, 12) || STORE_COL_STR(o->root_cause, res, row, 13))
		return RW_EINTERNAL;
	if (!(a = json_loads(PQgetvalue(res, row, 11), 0, &jerr)))
		return RW_EINTERNAL;
	json_object_foreach(a, k, v) {
		if (o->nanswers >= RW_ANSWERS_MAX)
			break;
		if (rw_strcpy(o->answers[o->nanswers].key, sizeof(o->answers[0].key), k) == 0 &&
		    rw_strcpy(o->answers[o->nanswers].value, sizeof(o->answers[0].value),
		              json_string_value(v) ?: "") == 0)
			o->nanswers++;
	}
	json_decref(a);
	return 0;
}

static int
store_event_row(const PGresult *res, int row, void *dst)
{
	rw_timeline_t *t = dst;
	t->at = store_col_i64(res, row, 0);
	if (STORE_COL_STR(t->kind, res, row, 1) || STORE_COL_STR(t->actor, res, row, 2) ||
	    STORE_COL_STR(t->text, res, row, 3))
		return RW_EINTERNAL;
	return 0;
}

int
store_incident_get(store_t *st, int64_t id, rw_incident_t *out)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, id)};
	int rv = store_get_one(st, "SELECT " STORE_INC_COLS " WHERE i.id = $1::bigint", 1, p,
	                       store_incident_row, out);
	if (rv)
		return rv;
	return store_get_list(st,
	                      "SELECT rw_to_us(at), kind, actor, text FROM incident_events"
	                      " WHERE incident_id = $1::bigint ORDER BY at, id LIMIT 500",
	                      1, p, sizeof(*out->timeline), store_event_row,
	                      (void **)&out->timeline, &out->ntimeline);
}

int
store_incident_list(store_t *st, const char *env, uint32_t limit, rw_incident_t **out, size_t *n)
{
	char lim[STORE_I64_BUF];
	const char *p[2] = {env ? env : "", store_limit(lim, limit)};
	return store_get_list(st,
	                      "SELECT " STORE_INC_COLS " WHERE ($1 = '' OR e.name = $1)"
	                      " ORDER BY i.id DESC LIMIT $2::bigint",
	                      2, p, sizeof(**out), store_incident_row, (void **)out, n);
}

int
store_incident_close(store_t *st, const rw_actor_t *who, int64_t id, const char *summary,
                     const char *root_cause)
{
	char idb[STORE_I64_BUF], tgt[64], text[RW_TEXT_MAX + 300];
	const char *p[3] = {store_i64(idb, id), summary ? summary : "", root_cause ? root_cause : ""};
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	rv = store_exec(st,
	                "UPDATE incidents SET status = 'closed', closed_at = now(),"
	                " summary = CASE WHEN $2 = '' THEN summary ELSE $2 END,"
	                " root_cause = CASE WHEN $3 = '' THEN root_cause ELSE $3 END,"
	                " recovered_at = coalesce(recovered_at, now())"
	                " WHERE id = $1::bigint AND status <> 'closed' RETURNING id",
	                3, p, &res);
	if (rv)
		return store_rollback(st, rv);
	bool closed = PQntuples(res) == 1;
	PQclear(res);
	if (!closed) {
		store_rollback(st, 0);
		if ((rv = store_exec(st, "SELECT 1 FROM incidents WHERE id = $1::bigint", 1, p, &res)))
			return rv;
		rv = PQntuples(res) == 1 ? RW_ECONFLICT : RW_ENOTFOUND;
		PQclear(res);
		return rv;
	}
	snprintf(text, sizeof(text), "incident closed by %s: %.1900s", who->name,
	         summary && *summary ? summary : "(no summary)");
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	if ((rv = store_event_insert(st, id, "note", who->name, text)))
		return store_rollback(st, rv);
	rv = store_audit_insert(st, who, "incident.close", tgt, NULL, summary);
	if (rv || (rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_incident_event(store_t *st, int64_t id, const char *kind, const char *actor,
                     const char *text)
{
	char tgt[64];
	const rw_actor_t who = {"rewindd", RW_ROLE_NONE};
	int rv;

	if ((rv = store_begin(st)))
		return rv;
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	if ((rv = store_event_insert(st, id, kind, actor, text)) ||
	    (rv = store_audit_insert(st, &who, "incident.event", tgt, NULL, text)))
		return store_rollback(st, rv);
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_incident_decision(store_t *st, const rw_actor_t *who, int64_t id, const rw_decision_t *d)
{
	char idb[STORE_I64_BUF], tgt[64], text[RW_TEXT_MAX + 1];
	json_t *a = json_object();
	char *answers;
	size_t off;
	int rv;

	for (uint32_t i = 0; a && i < d->nanswers; i++)
		json_object_set_new(a, d->answers[i].key, json_string(d->answers[i].value));
	answers = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(a);
	if (!answers)
		return RW_ENOMEM;
	const char *p[3] = {store_i64(idb, id), d->recommendation, answers};
	off = (size_t)snprintf(text, sizeof(text), "decision: %s", d->recommendation);
	for (uint32_t i = 0; i < d->nreasons && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s", i ? "; " : " — ",
		                        d->reasons[i]);
	if ((rv = store_begin(st))) {
		free(answers);
		return rv;
	}
	rv = store_exec(st,
	                "UPDATE incidents SET decision = $2, answers = $3::jsonb WHERE id = $1::bigint",
	                3, p, NULL);
	free(answers);
	snprintf(tgt, sizeof(tgt), "incident/%" PRId64, id);
	if (rv || (rv = store_event_insert(st, id, "decision", who->name, text)) ||
	    (rv = store_audit_insert(st, who, "incident.decision", tgt, NULL, d->recommendation)))
		return store_rollback(st, rv);
	if ((rv = store_commit(st)))
		return store_rollback(st, rv);
	return 0;
}

int
store_incident_mark(store_t *st, int64_t id, bool recovered)
{
	char idb[STORE_I64_BUF];
	const char *p[1] = {store_i64(idb, id)};
	return store_exec(st,
	                  recovered ? "UPDATE incidents SET recovered_at = now(),"
	                              " status = CASE WHEN status = 'open' THEN 'mitigated'"
	                              "   ELSE status END WHERE id = $1::bigint"
	                            : "UPDATE incidents SET detected_at = coalesce(detected_at, now())"
	                              " WHERE id = $1::bigint",
	                  1, p, NULL);
}

/* ------------------------------------------------------------------------ */
/* Notifications                                                            */

int
store_notify_enqueue(store_t *st, int64_t incident_id, const char *url, const char *format,
                     const char *event, const char *payload_json)
{
	char inc[STORE_I64_BUF];
	const char *p[5] = {store_i64(inc, incident_id), url, format, event, payload_json};
	return store_exec(st,
	                  "INSERT INTO notifications (incident_id, url, format, event, payload)"
	                  " VALUES (NULLIF($1::bigint, 0), $2, $3, $4, $5::jsonb)",
	                  5, p, NULL);
}

int
store_notify_claim(store_t *st, struct store_notification *out, bool *found)
{
	PGresult *res;
	int rv;

	*found = false;
	memset(out, 0, sizeof(*out));
	/*
	 * The claim pushes next_at a minute ahead: if this rewindd dies while
	 * sending, another one retries it then.
	 */
	rv = store_exec(st,
	                "UPDATE notifications SET state = 'sending', attempts = attempts + 1,"
	                " next_at = now() + interval '60 seconds'"
	                " WHERE id = (SELECT id FROM notifications WHERE state IN ('pending', 'sending')"
	                "   AND next_at <= now() ORDER BY next_at, id FOR UPDATE SKIP LOCKED LIMIT 1)"
	                " RETURNING id, url, format, event, payload::text, attempts",
	                0, NULL, &res);
	if (rv)
		return rv;
	if (PQntuples(res) == 1) {
		out->id = store_col_i64(res, 0, 0);
		out->attempts = (int)store_col_i64(res, 0, 5);
		if (STORE_COL_STR(out->url, res, 0, 1) || STORE_COL_STR(out->format, res, 0, 2) ||
		    STORE_COL_STR(out->event, res, 0, 3) || !(out->payload = strdup(PQgetvalue(res, 0, 4))))
			rv = RW_ENOMEM;
		else
			*found = true;
	}
	PQclear(res);
	return rv;
}

int
store_notify_done(store_t *st, int64_t id, bool ok, const char *error, int retry_in_s,
                  bool give_up)
{
	char idb[STORE_I64_BUF], retry[STORE_I64_BUF];
	const char *p[4] = {store_i64(idb, id), ok ? "sent" : give_up ? "failed" : "pending",
	                    error ? error : "", store_i64(retry, retry_in_s)};
	return store_exec(st,
	                  "UPDATE notifications SET state = $2, last_error = left($3, 512),"
	                  " sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE NULL END,"
	                  " next_at = now() + make_interval(secs => $4::float8)"
	                  " WHERE id = $1::bigint",
	                  4, p, NULL);
}
