/*
 * link — the TLS link over NNG: building TLS configurations from PEM files
 * for either side, and the client end of a session (dial, prove identity,
 * call).
 *
 * A client session is a REQ socket with one dialer.  After the TLS
 * handshake (mutual, fleet CA) the client proves which certificate it holds
 * by signing the server's nonce (docs/protocol.md); only then are other
 * requests answered.  This module does not interpret replies beyond the
 * handshake and the ERROR message; the server side lives in server/.
 */
#ifndef REWIND_LINK_H
#define REWIND_LINK_H

#include <stddef.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "domain.h"
#include "wire.h"

/*
 * Builds a TLS config (TLS 1.2+, peer certificate REQUIRED and verified
 * against ca_path).  server_name (client mode, may be NULL) is checked
 * against the server certificate's names.  On success *out is owned by the
 * caller (nng_tls_config_free()).
 */
int link_tls_config(nng_tls_mode mode, const char *ca_path, const char *cert_path,
                    const char *key_path, const char *server_name, nng_tls_config **out,
                    char *msg, size_t msgsz);

/* Maps an NNG error to the project's error space. */
int link_nng_err(int nng_rv);

struct link_opts {
	const char *url;        /* tls+tcp://host:port */
	const char *ca_path;
	const char *cert_path;
	const char *key_path;
	int timeout_ms;         /* per call; <= 0 means 30 s */
	const char *client;     /* free text sent in Hello, e.g. "rewindctl/0.1.0" */
	/*
	 * Diagnostics and tests only: prove identity with another certificate
	 * and key than the TLS ones (the server must refuse a mismatch), or skip
	 * the proof altogether (the server must refuse every later request).
	 */
	const char *proof_cert_path;
	const char *proof_key_path;
	int skip_handshake;
	/*
	 * Called (from an NNG thread; must not block) when the connection to
	 * the server is lost.  The session is then useless: its identity was
	 * bound to that connection.  May be NULL.
	 */
	void (*on_lost)(void *arg);
	void *on_lost_arg;
};

typedef struct link link_t;

/*
 * Dials and authenticates.  On success *out is owned by the caller and
 * freed with link_close().  Errors: RW_ECONNECT (unreachable, TLS refused),
 * RW_EAUTH (identity refused: reason in msg), RW_EIO (unreadable files).
 */
int link_open(const struct link_opts *o, link_t **out, char *msg, size_t msgsz);

/*
 * Closes the socket and frees the link, waiting at most LINK_CLOSE_WAIT_MS.
 * NNG 1.5.2 (Debian 12) sometimes never returns from nng_close() after the
 * peer reset a TLS pipe in the middle of a large send (about 1 run in 12 of
 * a 17 MB request that rewindd refuses); past the bound the close goes on in
 * a detached thread, which still frees the link if it ever returns, and a
 * warning is logged.  The caller must not touch l afterwards either way.
 */
#define LINK_CLOSE_WAIT_MS 3000
void link_close(link_t *l);

/*
 * Aborts every call in progress (they return RW_ECONNECT) and refuses new
 * ones; the link must still be freed with link_close() once no thread uses
 * it.  Safe to call from any thread, more than once.
 */
void link_shutdown(link_t *l);

/* The identity the server bound to this session. */
const rw_actor_t *link_identity(const link_t *l);

/*
 * Sends req (its request_id is assigned here) and waits for the reply.  An
 * ERROR reply is returned as its code with the server's text in msg, and
 * *resp stays NULL.  Otherwise *resp is owned by the caller (wire_msg_free()).
 */
int link_call(link_t *l, wire_msg_t *req, wire_msg_t **resp, char *msg, size_t msgsz);

/*
 * The same with its own timeout (long polls).  Calls may run concurrently
 * from several threads on one link: each uses its own NNG context.
 */
int link_call_timeout(link_t *l, wire_msg_t *req, int timeout_ms, wire_msg_t **resp, char *msg,
                      size_t msgsz);

/*
 * Sends raw bytes as one request and decodes the reply (diagnostics and
 * tests: malformed envelopes must get an ERROR back).  Same reply rules as
 * link_call(), except *resp may be an ERROR message: it is returned as is.
 */
int link_call_raw(link_t *l, const void *buf, size_t len, wire_msg_t **resp, char *msg,
                  size_t msgsz);

#endif
