/*
 * api_routes — the route table and the dispatch (see api_routes.h): the
 * session and permission checks every request passes before its handler,
 * and one retry on a fresh database connection.  Holds no handler; the
 * handler files never call back here.
 */
#include "api_routes.h"

#include <stdio.h>

#include "api_handlers.h"
#include "err.h"
#include "log.h"
#include "store.h"

struct route {
	api_handler_fn fn;
	enum rw_perm perm;
	bool needs_session;
	const char *action; /* past-tense-free verb for the refusal text */
};

static const struct route routes[WIRE_KIND_COUNT] = {
	[WIRE_HELLO] = {api_hello, RW_PERM_READ, false, "start a session"},
	[WIRE_AUTH] = {api_auth, RW_PERM_READ, false, "authenticate"},
	[WIRE_ENV_ADD] = {api_env_add, RW_PERM_ADMIN, true, "add environments"},
	[WIRE_ENV_LIST] = {api_env_list, RW_PERM_READ, true, "list environments"},
	[WIRE_SERVICE_ADD] = {api_service_add, RW_PERM_ADMIN, true, "add services"},
	[WIRE_SERVICE_GET] = {api_service_get, RW_PERM_READ, true, "read services"},
	[WIRE_SERVICE_LIST] = {api_service_list, RW_PERM_READ, true, "list services"},
	[WIRE_RELEASE_RECORD] = {api_release_record, RW_PERM_WRITE, true, "record releases"},
	[WIRE_RELEASE_GET] = {api_release_get, RW_PERM_READ, true, "read releases"},
	[WIRE_RELEASE_LIST] = {api_release_list, RW_PERM_READ, true, "list releases"},
	[WIRE_HISTORY] = {api_history, RW_PERM_READ, true, "read history"},
	[WIRE_AUDIT_LOG] = {api_audit_log, RW_PERM_READ, true, "read the audit log"},
	[WIRE_AGENT_REPORT] = {api_agent_report, RW_PERM_AGENT, true, "report node state"},
	[WIRE_ACTION_WAIT] = {api_action_wait, RW_PERM_AGENT, true, "take actions"},
	[WIRE_ACTION_PROGRESS] = {api_action_progress, RW_PERM_AGENT, true, "report action progress"},
	[WIRE_ACTION_RESULT] = {api_action_result, RW_PERM_AGENT, true, "report action results"},
	[WIRE_ACTION_CREATE] = {api_action_create, RW_PERM_WRITE, true, "create actions"},
	[WIRE_ACTION_GET] = {api_action_get, RW_PERM_READ, true, "read actions"},
	[WIRE_ACTION_LIST] = {api_action_list, RW_PERM_READ, true, "list actions"},
	[WIRE_STATUS_GET] = {api_status, RW_PERM_READ, true, "read status"},
	[WIRE_ARTIFACT_ADD] = {api_artifact_add, RW_PERM_WRITE, true, "add artifacts"},
	[WIRE_ARTIFACT_LIST] = {api_artifact_list, RW_PERM_READ, true, "list artifacts"},
	[WIRE_ARTIFACT_VERIFY] = {api_artifact_verify, RW_PERM_WRITE, true, "verify artifacts"},
	[WIRE_ENV_DB_SET] = {api_env_db_set, RW_PERM_ADMIN, true, "configure environment databases"},
	[WIRE_BACKUP_RUN] = {api_backup_run, RW_PERM_WRITE, true, "run backups"},
	[WIRE_BACKUP_RECORD] = {api_backup_record, RW_PERM_WRITE, true, "record backups"},
	[WIRE_BACKUP_VERIFY] = {api_backup_verify, RW_PERM_WRITE, true, "verify backups"},
	[WIRE_BACKUP_LIST] = {api_backup_list, RW_PERM_READ, true, "list backups"},
	[WIRE_SETTINGS_SET] = {api_settings_set, RW_PERM_ADMIN, true, "change settings"},
	[WIRE_SETTINGS_GET] = {api_settings_get, RW_PERM_READ, true, "read settings"},
	[WIRE_OP_START] = {api_op_start, RW_PERM_WRITE, true,
	                   "deploy, promote, roll back or change configuration"},
	[WIRE_OP_GET] = {api_op_get, RW_PERM_READ, true, "read operations"},
	[WIRE_OP_LIST] = {api_op_list, RW_PERM_READ, true, "list operations"},
	[WIRE_INCIDENT_OPEN] = {api_incident_open, RW_PERM_WRITE, true, "open incidents"},
	[WIRE_INCIDENT_GET] = {api_incident_get, RW_PERM_READ, true, "read incidents"},
	[WIRE_INCIDENT_LIST] = {api_incident_list, RW_PERM_READ, true, "list incidents"},
	[WIRE_INCIDENT_CLOSE] = {api_incident_close, RW_PERM_WRITE, true, "close incidents"},
	[WIRE_DECIDE] = {api_decide, RW_PERM_WRITE, true, "record decisions"},
	[WIRE_INCIDENT_REPORT] = {api_incident_report, RW_PERM_READ, true, "read incident reports"},
	[WIRE_AUDIT_QUERY] = {api_audit_query, RW_PERM_READ, true, "query the audit ledger"},
};

wire_msg_t *
api_dispatch(struct api_ctx *ctx, const wire_msg_t *req)
{
	struct api_call c = {.ctx = ctx, .req = req};
	const struct route *r;
	wire_msg_t *out;
	char text[160];
	char q[160];

	if ((unsigned)req->kind >= WIRE_KIND_COUNT || !routes[req->kind].fn)
		return api_fail(&c, RW_EPROTO, "not a request this server answers");
	r = &routes[req->kind];
	if (!r->needs_session)
		return r->fn(&c);
	if (authn_lookup(ctx->authn, ctx->pipe, &c.who) != 0)
		return api_fail(&c, RW_EAUTH, "session not authenticated: send hello and auth first");
	if (!rw_role_allows(c.who.role, r->perm)) {
		log_warn("request.denied", "pipe=%u name=%s role=%s kind=%s", ctx->pipe,
		         log_q(q, sizeof(q), c.who.name), rw_role_name(c.who.role),
		         wire_kind_name(req->kind));
		snprintf(text, sizeof(text), "role %s may not %s", rw_role_name(c.who.role),
		         r->action);
		return api_fail(&c, RW_EPERM, text);
	}
	out = r->fn(&c);
	/*
	 * A connection broken since the last request (database restarted) shows
	 * up as EDB: reconnect and run the request once more.  Writes are single
	 * transactions, so a retry after a failed one cannot apply twice.
	 */
	if (out && out->kind == WIRE_ERROR && out->u.error.code == RW_EDB && !ctx->park &&
	    store_ping(ctx->store) == 0) {
		wire_msg_free(out);
		out = r->fn(&c);
	}
	return out;
}
