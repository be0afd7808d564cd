/*
 * api_coord — the coordination requests: settings (per environment or
 * service), operations (deploy, promote, roll back, change configuration;
 * OP_GET is a long poll on the operation), incidents, decisions and
 * incident reports.  Operations are only queued here (plan.c) and run by
 * coord.c; nothing here waits for a cluster.
 */
#ifndef REWIND_API_COORD_H
#define REWIND_API_COORD_H

#include "api.h"

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

#endif
