/*
 * handlers — what rewindd does with each decoded request: session
 * handshake, permission check against the pipe's bound identity, then the
 * store call.  Runs on worker threads only (it may block on the database);
 * never on NNG callback threads.  Knows nothing of sockets or protobuf.
 */
#ifndef REWIND_HANDLERS_H
#define REWIND_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "artifacts.h"
#include "authn.h"
#include "backup.h"
#include "notary.h"
#include "store_action.h"
#include "store_agents.h"
#include "store_audit.h"
#include "store_catalog.h"
#include "store_coord.h"
#include "store_incident.h"
#include "store_vault.h"
#include "wire.h"

/* Server settings handlers need. */
struct handler_cfg {
	int lease_ms;           /* how long an agent holds an action between progress reports */
	int report_interval_ms; /* how often agents report and probe */
	int max_wait_ms;        /* longest a long poll is parked */
};

struct handler_ctx {
	store_t *store;     /* this worker's own connection */
	authn_t *authn;
	const struct handler_cfg *cfg;
	uint32_t pipe;      /* the NNG pipe the request came in on */
	/*
	 * Long polls.  A handler with nothing to answer yet sets park: srv.c
	 * keeps the request and runs the handler again when park_key is
	 * notified or the wait ends; on that last run final is set and the
	 * handler must answer.
	 */
	bool final;
	bool park;
	uint32_t park_ms;
	char park_key[96];
	const struct backup_cfg *backup; /* artifact store (NULL store: none configured) */
	notary_t *notary;   /* signs and verifies the audit ledger (NULL: none) */
};

/*
 * Produces the reply for req: the response message, or an ERROR carrying
 * the code and a human reason.  NULL when out of memory, or when the
 * handler parked the request (hc->park).
 */
wire_msg_t *handlers_dispatch(struct handler_ctx *hc, const wire_msg_t *req);

#endif
