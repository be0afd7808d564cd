/*
 * store_audit — reading the audit_log table back (store_audit.h) and
 * appending a row of its own.
 *
 * What it does not do: write the audit row of a change (store_sql.c's
 * store_change_end() does, in the change's transaction), or verify the
 * chain (store_ledger.c gives the rows, the caller checks them).
 */
#include "store_audit.h"

#include "err.h"
#include "store_sql.h"

static int
store_audit_row(const PGresult *res, int row, void *dst)
{
	rw_audit_t *a = dst;
	a->role = rw_role_parse(PQgetvalue(res, row, 3));
	return store_scan(res, row, "lls.ssss", &a->id, &a->at, STORE_BUF(a->actor),
	                  STORE_BUF(a->action), STORE_BUF(a->target), STORE_BUF(a->detail),
	                  STORE_BUF(a->reason));
}

int
store_audit_append(store_t *st, const rw_actor_t *who, const char *action, const char *target,
                   const char *detail_json, const char *reason)
{
	if (!st || !store_actor_ok(who) || !action)
		return RW_EINVAL;
	return store_audit_insert(st, who, action, target, detail_json, reason);
}

int
store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n)
{
	static const rw_audit_filter_t none;
	char since[STORE_I64_BUF], until[STORE_I64_BUF], lim[STORE_I64_BUF];
	const char *params[5];

	if (!st || !out || !n)
		return RW_EINVAL;
	if (!f)
		f = &none;
	if (!STORE_TERMINATED(f->actor) || !STORE_TERMINATED(f->action_prefix))
		return RW_EINVAL;
	params[0] = f->actor;
	params[1] = f->action_prefix;
	params[2] = store_i64(since, f->since);
	params[3] = store_i64(until, f->until);
	params[4] = store_limit(lim, f->limit);
	/* starts_with(), not LIKE: '%' and '_' in a prefix are plain characters. */
	return store_get_list(st,
	                      "SELECT id, rw_to_us(at), actor, role, action, target, detail::text,"
	                      " reason FROM audit_log"
	                      " WHERE ($1 = '' OR actor = $1)"
	                      "   AND ($2 = '' OR starts_with(action, $2))"
	                      "   AND ($3::bigint = 0 OR at >= rw_from_us($3::bigint))"
	                      "   AND ($4::bigint = 0 OR at <= rw_from_us($4::bigint))"
	                      " ORDER BY at DESC, id DESC LIMIT $5::bigint",
	                      5, params, sizeof(rw_audit_t), store_audit_row, (void **)out, n);
}
