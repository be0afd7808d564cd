/*
 * api_session — the session handshake: HELLO (a challenge for this pipe)
 * and AUTH (the certificate and its signature bind the pipe to an actor).
 * The only requests answered without a bound session; checks nothing else.
 */
#ifndef REWIND_API_SESSION_H
#define REWIND_API_SESSION_H

#include "api.h"

wire_msg_t *api_hello(struct api_call *c);
wire_msg_t *api_auth(struct api_call *c);

#endif
