/*
 * client — rewindctl's connection to rewindd: resolve settings, open an
 * authenticated session, make calls, and turn failures into a message on
 * stderr plus the documented exit code.
 */
#ifndef REWIND_CLIENT_H
#define REWIND_CLIENT_H

#include "cli.h"
#include "link.h"
#include "wire.h"

/* Opens a session; on failure prints why and returns a non-zero exit code. */
int client_connect(struct cli *c, link_t **out);

/*
 * Calls and checks that the reply is of kind want.  On failure prints
 * "error: ..." and returns the exit code; on success *resp is owned by the
 * caller (wire_msg_free()).  req is not freed.
 */
int client_call(link_t *l, wire_msg_t *req, enum wire_kind want, wire_msg_t **resp);

#endif
