/*
 * handlers — what rewindd does with each decoded request: session
 * handshake, permission check against the pipe's bound identity, then the
 * store call.  Runs on worker threads only (it may block on the database);
 * never on NNG callback threads.  Knows nothing of sockets or protobuf.
 */
#ifndef REWIND_HANDLERS_H
#define REWIND_HANDLERS_H

#include <stdint.h>

#include "artifacts.h"
#include "authn.h"
#include "backup.h"
#include "store.h"
#include "wire.h"

struct handler_ctx {
	store_t *store;     /* this worker's own connection */
	authn_t *authn;
	uint32_t pipe;      /* the NNG pipe the request came in on */
	const struct backup_cfg *backup; /* artifact store (NULL store: none configured) */
};

/*
 * Produces the reply for req (never NULL unless out of memory): the
 * response message, or an ERROR carrying the code and a human reason.
 */
wire_msg_t *handlers_dispatch(struct handler_ctx *hc, const wire_msg_t *req);

#endif
