/*
 * api_lists — the requests answered with rows: environments, services,
 * releases, a service's history, the audit log, actions, artifacts,
 * backups, operations and incidents.  Each is one store read (the store
 * owns the SQL, the order and the limits) whose rows the reply takes over,
 * so each is one line of the table below.  Single records, changes and the
 * audit tables are the other api_ files'.
 */
#include "api_handlers.h"

#include "err.h"
#include "store.h"
#include "store_action.h"
#include "store_audit.h"
#include "store_catalog.h"
#include "store_coord.h"
#include "store_incident.h"
#include "store_vault.h"

/*
 * Defines the handler `name` of one list request: rows of type T read by
 * `read args`, answered as a `kind` list; RW_ENOTFOUND is refused with
 * notfound (NULL: the generic text).  args may name st (the store), q (the
 * request's query), c (the call), rows and n (what the read fills).  A
 * macro because the requests differ only in types and in the read.
 */
#define LIST_REQUEST(name, T, kind, notfound, read, args)                                   \
	wire_msg_t *name(struct api_call *c)                                                 \
	{                                                                                    \
		store_t *st = c->ctx->store;                                                 \
		const struct wire_query *q = &c->req->u.query;                               \
		T *rows = NULL;                                                              \
		size_t n = 0;                                                                \
		int rv;                                                                      \
		(void)q;                                                                     \
		rv = read args;                                                              \
		return api_list_reply(c, kind, rv, notfound, rows, n);                       \
	}

LIST_REQUEST(api_env_list, rw_env_t, WIRE_ENV_LIST_OK, NULL, store_env_list, (st, &rows, &n))
LIST_REQUEST(api_service_list, rw_service_t, WIRE_SERVICE_LIST_OK, NULL, store_service_list,
             (st, &rows, &n))
LIST_REQUEST(api_release_list, rw_release_t, WIRE_RELEASE_LIST_OK, NULL, store_release_list,
             (st, q->service, q->limit, &rows, &n))
LIST_REQUEST(api_history, rw_history_row_t, WIRE_HISTORY_OK, "unknown service or environment",
             store_history, (st, q->service, q->env, q->limit, &rows, &n))
LIST_REQUEST(api_audit_log, rw_audit_t, WIRE_AUDIT_LOG_OK, NULL, store_audit_list,
             (st, &c->req->u.audit, &rows, &n))
LIST_REQUEST(api_action_list, rw_action_t, WIRE_ACTION_LIST_OK, NULL, store_action_list,
             (st, q->env, q->limit, &rows, &n))
LIST_REQUEST(api_artifact_list, rw_artifact_t, WIRE_ARTIFACT_LIST_OK, "release not found",
             store_artifact_list, (st, q->id, q->limit, &rows, &n))
LIST_REQUEST(api_backup_list, rw_backup_t, WIRE_BACKUP_LIST_OK, "environment not found",
             store_backup_list, (st, q->env, q->limit, &rows, &n))
LIST_REQUEST(api_op_list, rw_operation_t, WIRE_OP_LIST_OK, NULL, store_op_list,
             (st, q->env, 0, q->limit, &rows, &n))
LIST_REQUEST(api_incident_list, rw_incident_t, WIRE_INCIDENT_LIST_OK, NULL, store_incident_list,
             (st, q->env, q->limit, &rows, &n))
