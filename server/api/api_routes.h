/*
 * api_routes — rewindd's one entry to its request handlers: which handler
 * answers each request kind, with the permission it needs, whether it
 * needs a bound session and the verb of its refusal text.  Called by
 * srv.c's workers; answers nothing itself but the refusals.
 */
#ifndef REWIND_API_ROUTES_H
#define REWIND_API_ROUTES_H

#include "api.h"

/*
 * Produces the reply for req: the response message, or an ERROR carrying
 * the code and a human reason.  NULL when out of memory, or when the
 * handler parked the request (ctx->park).  The caller owns the reply.
 */
wire_msg_t *api_dispatch(struct api_ctx *ctx, const wire_msg_t *req);

#endif
