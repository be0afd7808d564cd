/*
 * store_coord — the SQL of operations and their steps (store_coord.h).
 *
 * What it does: queues an operation and its deployments rows in one
 * transaction (the one-change-in-flight unique index turns a concurrent
 * change into RW_EBUSY), claims operations with FOR UPDATE SKIP LOCKED,
 * fences every write of a runner with its claim count (the token), finds
 * orphans by their runner's PostgreSQL backend, and bumps operations.seq and
 * notifies "op/ID" on every change a console may be long-polling.
 *
 * What it does not do: plan, decide or act (server/coord/ does), or retry.
 */
#include "store_coord.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "store_action.h"
#include "store_channel.h"
#include "store_sql.h"

/* Wakes consoles long-polling this operation (srv.c parks them on "op/ID"). */
static int
store_op_notify(store_t *st, int64_t op_id)
{
	char key[48];
	snprintf(key, sizeof(key), "op/%" PRId64, op_id);
	return store_channel_notify(st, STORE_ACTION_CHANNEL, key);
}

/* Bumps operations.seq of the operation (what long-polls compare) and notifies. */
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

int
store_in_flight(store_t *st, int64_t env_id, int64_t service_id, int64_t *op)
{
	char env[STORE_I64_BUF], sid[STORE_I64_BUF];
	const char *params[2] = {store_i64(env, env_id), store_i64(sid, service_id)};
	return store_get_i64(st,
	                     "SELECT coalesce(operation_id, 0) FROM deployments WHERE"
	                     " environment_id = $1::bigint AND service_id = $2::bigint"
	                     " AND state IN ('queued', 'rolling-out', 'verifying')",
	                     2, params, op, NULL);
}

/* Which operation holds a service of the plan in flight (for the refusal text). */
static void
store_busy_op(store_t *st, const struct store_plan *p, int64_t *busy)
{
	*busy = 0;
	for (size_t i = 0; i < p->nsteps && !*busy; i++)
		if (store_in_flight(st, p->env_id, p->steps[i].service.id, busy) != 0)
			return;
}

int
store_op_create(store_t *st, const rw_actor_t *who, const struct store_plan *p, int64_t *op_id,
                int64_t *busy_op)
{
	char env[STORE_I64_BUF], inc[STORE_I64_BUF], tgt[64];
	char *detail = NULL;
	int64_t row[2];
	int rv;

	*busy_op = 0;
	if (!store_actor_ok(who))
		return RW_EINVAL;
	const char *params[8] = {rw_op_kind_name(p->kind), store_i64(env, p->env_id),
	                         store_i64(inc, p->incident_id), p->reason ? p->reason : "",
	                         p->override_gate ? p->override_gate : "",
	                         p->warnings ? p->warnings : "", p->spec_json ? p->spec_json : "{}",
	                         who->name};
	rv = store_change_begin(st,
	                        "INSERT INTO operations (kind, environment_id, incident_id, reason,"
	                        " override_gate, warnings, spec, created_by)"
	                        " VALUES ($1, $2::bigint, NULLIF($3::bigint, 0), $4, $5, $6,"
	                        " $7::jsonb, $8) RETURNING id",
	                        8, params, NULL, row);
	if (rv)
		return rv;
	*op_id = row[0];
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
	snprintf(tgt, sizeof(tgt), "operation/%" PRId64, *op_id);
	if ((rv = store_channel_notify(st, STORE_OP_CHANNEL, "new")) == 0)
		rv = store_detail(st, &detail, "{s:s,s:I,s:I,s:s}", "kind", rw_op_kind_name(p->kind),
		                  "steps", (json_int_t)p->nsteps, "incident", (json_int_t)p->incident_id,
		                  "override_gate", p->override_gate ? p->override_gate : "");
	return store_change_end(st, rv, who, "operation.start", tgt, detail, p->reason);
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
	if (STORE_JSON_STR(o->configmap, j, "configmap") ||
	    STORE_JSON_STR(o->namespace_, j, "namespace"))
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
	o->kind = rw_op_kind_parse(PQgetvalue(res, row, 1));
	if (store_scan(res, row, "l.ssslssssissllll.s", &o->id, STORE_BUF(o->env),
	               STORE_BUF(o->state), STORE_BUF(o->phase), &o->incident_id, STORE_BUF(o->reason),
	               STORE_BUF(o->override_gate), STORE_BUF(o->warnings), STORE_BUF(o->result),
	               &o->smoke_rc, STORE_BUF(o->smoke_output), STORE_BUF(o->created_by),
	               &o->created_at, &o->started_at, &o->finished_at, &o->seq,
	               STORE_BUF(o->previous)))
		return RW_EINTERNAL;
	return store_op_spec(PQgetvalue(res, row, 17), o);
}

static int
store_step_row(const PGresult *res, int row, void *dst)
{
	rw_op_step_t *s = dst;
	return store_scan(res, row, "lslssslssbiiissssli", &s->deployment_id, STORE_BUF(s->service),
	                  &s->release_id, STORE_BUF(s->version), STORE_BUF(s->image),
	                  STORE_BUF(s->previous_image), &s->action_id, STORE_BUF(s->state),
	                  STORE_BUF(s->outcome), &s->known_good, &s->updated, &s->available,
	                  &s->replicas, STORE_BUF(s->health), STORE_BUF(s->message),
	                  STORE_BUF(s->migrations_compat), STORE_BUF(s->digest), &s->observe_until,
	                  &s->order);
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
	int rv = store_get_by_id(st, "SELECT " STORE_OP_COLS STORE_OP_FROM " WHERE o.id = $1::bigint",
	                         id, store_op_row, out);
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
	if ((rv = store_op_give_up(st, stale_s)) == 0 &&
	    (rv = store_op_resume(st, owner, stale_s, c, found)) == 0 && !*found)
		rv = store_op_take_queued(st, owner, c, found);
	if (rv == 0 && *found)
		rv = store_op_notify(st, c->id);
	return store_end(st, rv);
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
	return store_get_i64(st,
	                     dep_id ? "SELECT coalesce(action_id, 0) FROM deployments"
	                              " WHERE id = $1::bigint FOR UPDATE"
	                            : "SELECT coalesce(action_id, 0) FROM operations"
	                              " WHERE id = $1::bigint",
	                     1, p, action_id, NULL);
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
	if ((rv = store_op_fence(st, op_id, token)) == 0 &&
	    (rv = store_op_action_of(st, op_id, dep_id, &have)) == 0) {
		if (have) {
			*existing = true;
			rv = store_action_get(st, have, a);
		} else if ((rv = store_action_create(st, who, a)) == 0) {
			rv = store_op_action_link(st, op_id, dep_id, a->id);
		}
	}
	return store_end(st, rv);
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
	return store_change_end(st, rv, &store_self,
	                        ok ? "operation.succeeded" : "operation.failed", tgt, detail, NULL);
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
	/* Reverted: a later succeeded config-revert names it in its spec. */
	return store_get_i64(st,
	                     "SELECT o.id FROM operations o WHERE o.environment_id = $1::bigint"
	                     " AND o.kind = 'config-set' AND o.state = 'succeeded'"
	                     " AND o.previous IS NOT NULL AND NOT EXISTS (SELECT 1 FROM operations r"
	                     "   WHERE r.kind = 'config-revert' AND r.state = 'succeeded'"
	                     "   AND (r.spec->>'revert_id')::bigint = o.id)"
	                     " ORDER BY o.id DESC LIMIT 1",
	                     1, p, op_id, NULL);
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
	int64_t ignored;
	int rv;

	rv = store_begin_with(st,
	                      "UPDATE deployments SET outcome = 'succeeded', verified_at = now(),"
	                      " observe_until = now() + make_interval(secs => $2::float8),"
	                      " state = CASE WHEN $2::int = 0 THEN 'done' ELSE 'observing' END,"
	                      " known_good = $2::int = 0,"
	                      " finished_at = now() WHERE id = $1::bigint",
	                      2, p, &ignored, NULL);
	if (rv)
		return rv;
	snprintf(tgt, sizeof(tgt), "deployment/%" PRId64, dep_id);
	rv = store_audit_insert(st, &store_self, "deployment.verified", tgt, NULL, NULL);
	if (rv == 0)
		rv = store_op_touch(st, op_id);
	return store_end(st, rv);
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
	o->service.id = store_col_i64(res, row, 3);
	return store_scan(res, row, "llllllssssssllsssssb", &o->id, &o->op_id,
	                  &o->env_id, &o->service_id, &o->release_id, &o->incident_id,
	                  STORE_BUF(o->env), STORE_BUF(o->cluster), STORE_BUF(o->image),
	                  STORE_BUF(o->digest), STORE_BUF(o->version), STORE_BUF(o->dep_kind),
	                  &o->verified_at, &o->observe_until, STORE_BUF(o->service.name),
	                  STORE_BUF(o->service.namespace_), STORE_BUF(o->service.deployment),
	                  STORE_BUF(o->service.container), STORE_BUF(o->service.health_path),
	                  &o->op_running);
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
	int64_t op;
	bool observing;
	int rv;

	/* Only if still observing: two rewindd may look at the same deployment. */
	rv = store_begin_with(st,
	                      good ? "UPDATE deployments SET state = 'done', known_good = true"
	                             " WHERE id = $1::bigint AND state = 'observing'"
	                             " RETURNING coalesce(operation_id, 0)"
	                           : "UPDATE deployments SET state = 'done', outcome = 'failed',"
	                             " message = left($2, 511), health = left($2, 255)"
	                             " WHERE id = $1::bigint AND state = 'observing'"
	                             " RETURNING coalesce(operation_id, 0)",
	                         good ? 1 : 2, p, &op, &observing);
	if (rv)
		return rv;
	if (!observing) {
		store_rollback(st, 0);
		return RW_ECONFLICT;
	}
	snprintf(tgt, sizeof(tgt), "deployment/%" PRId64, dep_id);
	rv = store_audit_insert(st, &store_self, good ? "deployment.known-good" : "deployment.failed",
	                        tgt, NULL, why);
	if (rv == 0 && op)
		rv = store_op_touch(st, op);
	return store_end(st, rv);
}
