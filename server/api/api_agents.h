/*
 * api_agents — what agents and their operators ask about the clusters:
 * node-state reports (AGENT_REPORT, answered with the probe targets), the
 * action queue (an agent's long poll for work, its progress and results;
 * an operator's create, get and list) and the clusters' status.  Agents may
 * speak only for the CLUSTER/NODE their certificate names.
 */
#ifndef REWIND_API_AGENTS_H
#define REWIND_API_AGENTS_H

#include "api.h"

wire_msg_t *api_agent_report(struct api_call *c);
wire_msg_t *api_action_wait(struct api_call *c);
wire_msg_t *api_action_progress(struct api_call *c);
wire_msg_t *api_action_result(struct api_call *c);
wire_msg_t *api_action_create(struct api_call *c);
wire_msg_t *api_action_get(struct api_call *c);
wire_msg_t *api_action_list(struct api_call *c);
wire_msg_t *api_status(struct api_call *c);

#endif
