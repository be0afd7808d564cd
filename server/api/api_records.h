/*
 * api_records — the release history's own records: environments,
 * services, releases and the deployment history of a service in an
 * environment.  Reads and writes go straight to the store; nothing here
 * touches a cluster, an artifact or the coordinator.
 */
#ifndef REWIND_API_RECORDS_H
#define REWIND_API_RECORDS_H

#include "api.h"

wire_msg_t *api_env_add(struct api_call *c);
wire_msg_t *api_env_list(struct api_call *c);
wire_msg_t *api_service_add(struct api_call *c);
wire_msg_t *api_service_get(struct api_call *c);
wire_msg_t *api_service_list(struct api_call *c);
wire_msg_t *api_release_record(struct api_call *c);
wire_msg_t *api_release_get(struct api_call *c);
wire_msg_t *api_release_list(struct api_call *c);
wire_msg_t *api_history(struct api_call *c);

#endif
