/*
 * api_handlers — every request handler the route table (api_routes.c)
 * points at, grouped by the file that defines it.  Each answers one
 * request kind: a checked request and the caller in (struct api_call), the
 * reply or an ERROR out (the caller owns it; NULL when out of memory or
 * parked).  The session and permission checks are done before a handler
 * runs; handlers never call each other or the route table.
 */
#ifndef REWIND_API_HANDLERS_H
#define REWIND_API_HANDLERS_H

#include "api.h"

/* api_session.c: the session handshake */
wire_msg_t *api_hello(struct api_call *c);
wire_msg_t *api_auth(struct api_call *c);

/* api_records.c: environments, services, releases, history */
wire_msg_t *api_env_add(struct api_call *c);
wire_msg_t *api_env_list(struct api_call *c);
wire_msg_t *api_service_add(struct api_call *c);
wire_msg_t *api_service_get(struct api_call *c);
wire_msg_t *api_service_list(struct api_call *c);
wire_msg_t *api_release_record(struct api_call *c);
wire_msg_t *api_release_get(struct api_call *c);
wire_msg_t *api_release_list(struct api_call *c);
wire_msg_t *api_history(struct api_call *c);

/* api_agents.c: agent reports, the action queue, status */
wire_msg_t *api_agent_report(struct api_call *c);
wire_msg_t *api_action_wait(struct api_call *c);
wire_msg_t *api_action_progress(struct api_call *c);
wire_msg_t *api_action_result(struct api_call *c);
wire_msg_t *api_action_create(struct api_call *c);
wire_msg_t *api_action_get(struct api_call *c);
wire_msg_t *api_action_list(struct api_call *c);
wire_msg_t *api_status(struct api_call *c);

/* api_vault.c: artifacts, environment databases, backups */
wire_msg_t *api_artifact_add(struct api_call *c);
wire_msg_t *api_artifact_list(struct api_call *c);
wire_msg_t *api_artifact_verify(struct api_call *c);
wire_msg_t *api_env_db_set(struct api_call *c);
wire_msg_t *api_backup_run(struct api_call *c);
wire_msg_t *api_backup_record(struct api_call *c);
wire_msg_t *api_backup_verify(struct api_call *c);
wire_msg_t *api_backup_list(struct api_call *c);

/* api_coord.c: settings, operations, incidents, decisions, reports */
wire_msg_t *api_settings_set(struct api_call *c);
wire_msg_t *api_settings_get(struct api_call *c);
wire_msg_t *api_op_start(struct api_call *c);
wire_msg_t *api_op_get(struct api_call *c);
wire_msg_t *api_op_list(struct api_call *c);
wire_msg_t *api_incident_open(struct api_call *c);
wire_msg_t *api_incident_get(struct api_call *c);
wire_msg_t *api_incident_list(struct api_call *c);
wire_msg_t *api_incident_close(struct api_call *c);
wire_msg_t *api_decide(struct api_call *c);
wire_msg_t *api_incident_report(struct api_call *c);

/* api_audit.c: the audit log, audit queries, the ledger */
wire_msg_t *api_audit_log(struct api_call *c);
wire_msg_t *api_audit_query(struct api_call *c);

#endif
