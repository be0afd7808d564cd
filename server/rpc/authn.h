/*
 * authn — who is on each NNG pipe.
 *
 * NNG 1.5 cannot tell the server which certificate a TLS peer presented, so
 * every session proves it in its first exchange: the server hands out a
 * fresh nonce per pipe (authn_challenge), the peer returns its certificate
 * and a signature over the nonce (authn_prove), and the verified name and
 * role are bound to that pipe until it closes.  Later requests look the
 * binding up (authn_lookup).  Thread-safe.  Permissions are not decided
 * here (see domain.h rw_role_allows and handlers.c).
 */
#ifndef REWIND_AUTHN_H
#define REWIND_AUTHN_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "pki.h"

typedef struct authn authn_t;

/* Loads the fleet CA.  *out owned by the caller, freed with authn_free(). */
int authn_new(const char *ca_path, size_t max_sessions, authn_t **out, char *msg, size_t msgsz);
void authn_free(authn_t *a);

/* RW_EBUSY when max_sessions pipes are already tracked. */
int authn_pipe_added(authn_t *a, uint32_t pipe);
void authn_pipe_removed(authn_t *a, uint32_t pipe);

/* Issues a fresh single-use nonce for the pipe (replacing any earlier one). */
int authn_challenge(authn_t *a, uint32_t pipe, uint8_t nonce[RW_NONCE_LEN]);

/*
 * Checks the proof against the pipe's outstanding nonce (consumed either
 * way) and binds the identity on success.  RW_EAUTH with a reason otherwise.
 */
int authn_prove(authn_t *a, uint32_t pipe, const char *cert_pem, size_t cert_len,
                const uint8_t *sig, size_t sig_len, rw_actor_t *who, char *msg, size_t msgsz);

/* RW_EAUTH when the pipe has no proven identity. */
int authn_lookup(authn_t *a, uint32_t pipe, rw_actor_t *who);

/* Number of pipes with a proven identity, and of those, agents (may be NULL). */
size_t authn_bound_count(authn_t *a, size_t *agents);

#endif
