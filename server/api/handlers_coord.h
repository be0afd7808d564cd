/*
 * handlers_coord — rewindd's answers to the coordination requests
 * (settings, operations, incidents, decisions, reports).  Called by
 * handlers_dispatch() after the session and permission checks; knows
 * nothing of sockets or protobuf.
 */
#ifndef REWIND_HANDLERS_COORD_H
#define REWIND_HANDLERS_COORD_H

#include "handlers.h"

/* Reply for req (a coordination kind); NULL when out of memory or parked. */
wire_msg_t *handlers_coord(struct handler_ctx *hc, const wire_msg_t *req, const rw_actor_t *who);

#endif
