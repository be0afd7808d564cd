/*
 * link — NNG TLS configuration and the client session.  Blocking calls on
 * purpose: the console and the agent's control loop make one request at a
 * time; the server's asynchronous side is server/srv.c.
 */
#include "link.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/protocol/reqrep0/req.h>
#include <mbedtls/platform_util.h>

#include "err.h"
#include "log.h"
#include "pki.h"

/* A call in progress, registered so link_shutdown() can cancel its aio. */
struct link_call_slot {
	nng_aio *aio;
	struct link_call_slot *next;
};

struct link {
	nng_socket sock;
	nng_dialer dialer;
	nng_tls_config *tls;
	uint64_t next_id;
	int timeout_ms;
	rw_actor_t who;
	int open;
	int shut;              /* atomic: link_shutdown() was called */
	/*
	 * Calls in flight.  link_shutdown() cancels their aios instead of
	 * closing the socket under them: NNG 1.5.2 panics ("pthread_mutex_unlock:
	 * Invalid argument") when nng_ctx_close() runs after another thread
	 * closed the socket.  The socket is closed only by link_close(), when no
	 * thread uses the link any more.  lock guards calls and shut's transition.
	 */
	pthread_mutex_t lock;
	struct link_call_slot *calls;
	int established;       /* atomic: the handshake completed */
	void (*on_lost)(void *);
	void *on_lost_arg;
};

int
link_nng_err(int rv)
{
	switch (rv) {
	case 0: return 0;
	case NNG_ENOMEM: return RW_ENOMEM;
	case NNG_ETIMEDOUT: return RW_ETIMEDOUT;
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_EADDRINVAL:
	case NNG_EUNREACHABLE:
	case NNG_ECLOSED: return RW_ECONNECT;
	case NNG_EPEERAUTH:
	case NNG_ECRYPTO: return RW_EAUTH;
	case NNG_EMSGSIZE: return RW_ETOOBIG;
	case NNG_EINVAL: return RW_EINVAL;
	default: return RW_EIO;
	}
}

static int
read_pem(const char *what, const char *path, char **out, char *msg, size_t msgsz)
{
	size_t len;
	int rv = pki_read_file(path, 64 * 1024, out, &len);
	if (rv != 0)
		snprintf(msg, msgsz, "cannot read %s %s: %s", what, path, rw_strerror(rv));
	return rv;
}

int
link_tls_config(nng_tls_mode mode, const char *ca_path, const char *cert_path,
                const char *key_path, const char *server_name, nng_tls_config **out, char *msg,
                size_t msgsz)
{
	nng_tls_config *cfg = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;
	int rv, nrv;

	*out = NULL;
	if ((rv = read_pem("CA certificate", ca_path, &ca, msg, msgsz)) ||
	    (rv = read_pem("certificate", cert_path, &cert, msg, msgsz)) ||
	    (rv = read_pem("key", key_path, &key, msg, msgsz)))
		goto done;
	if ((nrv = nng_tls_config_alloc(&cfg, mode)) != 0 ||
	    (nrv = nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_3)) != 0 ||
	    (nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0 ||
	    (nrv = nng_tls_config_ca_chain(cfg, ca, NULL)) != 0 ||
	    (nrv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0 ||
	    (server_name && (nrv = nng_tls_config_server_name(cfg, server_name)) != 0)) {
		snprintf(msg, msgsz, "TLS configuration refused: %s", nng_strerror(nrv));
		rv = RW_ECRYPTO;
		goto done;
	}
	*out = cfg;
	cfg = NULL;
	rv = 0;
done:
	if (cfg)
		nng_tls_config_free(cfg);
	if (key) {
		mbedtls_platform_zeroize(key, strlen(key));
		free(key);
	}
	free(cert);
	free(ca);
	return rv;
}

static void
lost_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	link_t *l = arg;
	(void)p;
	if (ev == NNG_PIPE_EV_REM_POST && __atomic_load_n(&l->established, __ATOMIC_ACQUIRE) &&
	    l->on_lost)
		l->on_lost(l->on_lost_arg);
}

void
link_shutdown(link_t *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	__atomic_store_n(&l->shut, 1, __ATOMIC_RELEASE);
	/* Pending sends/receives finish with NNG_ECANCELED; no new ones start. */
	for (struct link_call_slot *c = l->calls; c; c = c->next)
		nng_aio_cancel(c->aio);
	pthread_mutex_unlock(&l->lock);
}

/* Host part of tls+tcp://host:port, for certificate name checks. */
static int
url_host(const char *url, char *host, size_t cap)
{
	const char *p = strstr(url, "://");
	const char *end;
	size_t n;

	if (!p)
		return RW_EINVAL;
	p += 3;
	if (*p == '[') {
		end = strchr(++p, ']');
	} else {
		end = strrchr(p, ':');
	}
	if (!end || end == p)
		return RW_EINVAL;
	n = (size_t)(end - p);
	if (n >= cap)
		return RW_ETOOBIG;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

/*
 * One request/reply on its own NNG context, so several threads can share a
 * session (the agent long-polls for actions while it reports).
 */
/*
 * Starts one operation (send or receive) of a registered call, unless the
 * link was shut down: under l->lock, so link_shutdown() either sees the
 * operation pending and cancels it, or this sees shut and does not start.
 */
static int
ctx_start(link_t *l, nng_ctx ctx, nng_aio *aio, int send)
{
	int shut;
	pthread_mutex_lock(&l->lock);
	shut = __atomic_load_n(&l->shut, __ATOMIC_ACQUIRE);
	if (!shut) {
		if (send)
			nng_ctx_send(ctx, aio);
		else
			nng_ctx_recv(ctx, aio);
	}
	pthread_mutex_unlock(&l->lock);
	if (shut)
		return NNG_ECLOSED;
	nng_aio_wait(aio);
	return nng_aio_result(aio);
}

static void
call_register(link_t *l, struct link_call_slot *slot)
{
	pthread_mutex_lock(&l->lock);
	slot->next = l->calls;
	l->calls = slot;
	pthread_mutex_unlock(&l->lock);
}

static void
call_unregister(link_t *l, struct link_call_slot *slot)
{
	pthread_mutex_lock(&l->lock);
	for (struct link_call_slot **pp = &l->calls; *pp; pp = &(*pp)->next)
		if (*pp == slot) {
			*pp = slot->next;
			break;
		}
	pthread_mutex_unlock(&l->lock);
}

static int
ctx_call(link_t *l, const void *buf, size_t len, int timeout_ms, nng_msg **reply, char *msg,
         size_t msgsz)
{
	struct link_call_slot slot = {0};
	nng_ctx ctx;
	nng_aio *aio = NULL;
	nng_msg *m = NULL;
	int rv;

	*reply = NULL;
	if (__atomic_load_n(&l->shut, __ATOMIC_ACQUIRE)) {
		snprintf(msg, msgsz, "link shut down");
		return RW_ECONNECT;
	}
	if ((rv = nng_ctx_open(&ctx, l->sock)) != 0)
		goto out;
	nng_ctx_set_ms(ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0 || (rv = nng_msg_alloc(&m, 0)) != 0 ||
	    (rv = nng_msg_append(m, buf, len)) != 0)
		goto close;
	nng_aio_set_timeout(aio, timeout_ms > 0 ? timeout_ms : l->timeout_ms);
	nng_aio_set_msg(aio, m);
	slot.aio = aio;
	call_register(l, &slot);
	if ((rv = ctx_start(l, ctx, aio, 1)) != 0) {
		snprintf(msg, msgsz, "send failed: %s", nng_strerror(rv));
		goto unregister; /* the message is still ours */
	}
	m = NULL;
	if ((rv = ctx_start(l, ctx, aio, 0)) != 0)
		snprintf(msg, msgsz, "no reply from server: %s", nng_strerror(rv));
	else
		*reply = nng_aio_get_msg(aio);
unregister:
	call_unregister(l, &slot);
close:
	nng_ctx_close(ctx);
out:
	if (m)
		nng_msg_free(m);
	if (aio)
		nng_aio_free(aio);
	/* A call cancelled by link_shutdown() failed because the link is gone. */
	if (rv == NNG_ECANCELED && __atomic_load_n(&l->shut, __ATOMIC_ACQUIRE))
		rv = NNG_ECLOSED;
	return rv ? link_nng_err(rv) : 0;
}

static int
send_recv_timeout(link_t *l, wire_msg_t *req, int timeout_ms, wire_msg_t **resp, char *msg,
                  size_t msgsz)
{
	uint8_t *buf;
	size_t len;
	nng_msg *m = NULL;
	uint64_t rid;
	int rv;

	*resp = NULL;
	req->request_id = __atomic_add_fetch(&l->next_id, 1, __ATOMIC_RELAXED);
	if ((rv = wire_encode(req, &buf, &len)) != 0)
		return rv;
	rv = ctx_call(l, buf, len, timeout_ms, &m, msg, msgsz);
	free(buf);
	if (rv != 0)
		return rv;
	rv = wire_decode(nng_msg_body(m), nng_msg_len(m), WIRE_RESPONSE_MAX, resp, &rid, msg,
	                 msgsz);
	nng_msg_free(m);
	if (rv != 0)
		return rv;
	if ((*resp)->request_id != req->request_id) {
		wire_msg_free(*resp);
		*resp = NULL;
		snprintf(msg, msgsz, "reply to another request");
		return RW_EPROTO;
	}
	if ((*resp)->kind == WIRE_ERROR) {
		int code = (*resp)->u.error.code;
		snprintf(msg, msgsz, "%s", (*resp)->u.error.message);
		wire_msg_free(*resp);
		*resp = NULL;
		return (code < 0 && code >= RW_ERR_MIN) ? code : RW_EPROTO;
	}
	return 0;
}

static int
send_recv(link_t *l, wire_msg_t *req, wire_msg_t **resp, char *msg, size_t msgsz)
{
	return send_recv_timeout(l, req, 0, resp, msg, msgsz);
}

int
link_call_timeout(link_t *l, wire_msg_t *req, int timeout_ms, wire_msg_t **resp, char *msg,
                  size_t msgsz)
{
	return send_recv_timeout(l, req, timeout_ms, resp, msg, msgsz);
}

int
link_call_raw(link_t *l, const void *buf, size_t len, wire_msg_t **resp, char *msg, size_t msgsz)
{
	nng_msg *m = NULL;
	uint64_t rid;
	int rv = ctx_call(l, buf, len, 0, &m, msg, msgsz);

	*resp = NULL;
	if (rv != 0)
		return rv;
	rv = wire_decode(nng_msg_body(m), nng_msg_len(m), WIRE_RESPONSE_MAX, resp, &rid, msg, msgsz);
	nng_msg_free(m);
	return rv;
}

int
link_call(link_t *l, wire_msg_t *req, wire_msg_t **resp, char *msg, size_t msgsz)
{
	return send_recv(l, req, resp, msg, msgsz);
}

/* Hello -> Challenge -> Auth(cert, signature) -> AuthOk. */
static int
handshake(link_t *l, const struct link_opts *o, char *msg, size_t msgsz)
{
	wire_msg_t *req, *resp = NULL;
	uint8_t nonce[RW_NONCE_LEN];
	int rv;

	if (!(req = wire_msg_new(WIRE_HELLO, 0)))
		return RW_ENOMEM;
	snprintf(req->u.hello.client, sizeof(req->u.hello.client), "%s",
	         o->client ? o->client : "rewind");
	rv = send_recv(l, req, &resp, msg, msgsz);
	wire_msg_free(req);
	if (rv != 0)
		return rv;
	if (resp->kind != WIRE_CHALLENGE) {
		wire_msg_free(resp);
		snprintf(msg, msgsz, "server did not send a challenge");
		return RW_EPROTO;
	}
	memcpy(nonce, resp->u.challenge.nonce, sizeof(nonce));
	wire_msg_free(resp);

	if (!(req = wire_msg_new(WIRE_AUTH, 0)))
		return RW_ENOMEM;
	const char *cert = o->proof_cert_path ? o->proof_cert_path : o->cert_path;
	const char *key = o->proof_key_path ? o->proof_key_path : o->key_path;
	rv = pki_read_file(cert, RW_CERT_PEM_MAX, &req->u.auth.cert_pem, &req->u.auth.cert_len);
	if (rv == 0)
		rv = pki_sign_nonce(key, nonce, sizeof(nonce), req->u.auth.sig, &req->u.auth.sig_len);
	if (rv != 0) {
		snprintf(msg, msgsz, "cannot prove identity with %s: %s", cert, rw_strerror(rv));
		wire_msg_free(req);
		return rv;
	}
	rv = send_recv(l, req, &resp, msg, msgsz);
	wire_msg_free(req);
	if (rv != 0)
		return rv;
	if (resp->kind != WIRE_AUTH_OK) {
		wire_msg_free(resp);
		snprintf(msg, msgsz, "server did not confirm the session");
		return RW_EPROTO;
	}
	l->who = resp->u.auth_ok;
	wire_msg_free(resp);
	return 0;
}

static int
dial(link_t *l, const struct link_opts *o, char *msg, size_t msgsz)
{
	char host[256];
	int rv, timeout = o->timeout_ms > 0 ? o->timeout_ms : 30000;

	if (url_host(o->url, host, sizeof(host)) != 0) {
		snprintf(msg, msgsz, "bad server URL %s (want tls+tcp://HOST:PORT)", o->url);
		return RW_EINVAL;
	}
	if ((rv = link_tls_config(NNG_TLS_MODE_CLIENT, o->ca_path, o->cert_path, o->key_path, host,
	                          &l->tls, msg, msgsz)) != 0)
		return rv;
	if ((rv = nng_req0_open(&l->sock)) != 0)
		return link_nng_err(rv);
	l->open = 1;
	l->timeout_ms = timeout;
	/* A resent request would reach the server on a new, unauthenticated pipe. */
	nng_socket_set_ms(l->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_size(l->sock, NNG_OPT_RECVMAXSZ, WIRE_RESPONSE_MAX);
	l->on_lost = o->on_lost;
	l->on_lost_arg = o->on_lost_arg;
	if (o->on_lost)
		nng_pipe_notify(l->sock, NNG_PIPE_EV_REM_POST, lost_cb, l);
	if ((rv = nng_dialer_create(&l->dialer, l->sock, o->url)) != 0 ||
	    (rv = nng_dialer_set_ptr(l->dialer, NNG_OPT_TLS_CONFIG, l->tls)) != 0) {
		snprintf(msg, msgsz, "cannot dial %s: %s", o->url, nng_strerror(rv));
		return rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP ? RW_EINVAL : link_nng_err(rv);
	}
	if ((rv = nng_dialer_start(l->dialer, 0)) != 0) {
		snprintf(msg, msgsz, "cannot connect to %s: %s", o->url, nng_strerror(rv));
		return link_nng_err(rv) == RW_EAUTH ? RW_EAUTH : RW_ECONNECT;
	}
	return 0;
}

int
link_open(const struct link_opts *o, link_t **out, char *msg, size_t msgsz)
{
	link_t *l;
	int rv;

	*out = NULL;
	if (!o->url || !o->ca_path || !o->cert_path || !o->key_path) {
		snprintf(msg, msgsz, "server URL, CA, certificate and key are all required");
		return RW_EINVAL;
	}
	if (!(l = calloc(1, sizeof(*l))))
		return RW_ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	rv = dial(l, o, msg, msgsz);
	if (rv == 0 && !o->skip_handshake)
		rv = handshake(l, o, msg, msgsz);
	if (rv != 0) {
		link_close(l);
		return rv;
	}
	__atomic_store_n(&l->established, 1, __ATOMIC_RELEASE);
	*out = l;
	return 0;
}

static void
link_free(link_t *l)
{
	if (l->open)
		nng_close(l->sock);
	if (l->tls)
		nng_tls_config_free(l->tls);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* A close in progress on its own thread; freed by whichever of the two lets go last. */
struct closer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	link_t *l;
	int done;
	int refs;
};

static void
closer_put(struct closer *c)
{
	int last;
	pthread_mutex_lock(&c->mu);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (!last)
		return;
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void *
closer_main(void *arg)
{
	struct closer *c = arg;
	link_free(c->l);
	pthread_mutex_lock(&c->mu);
	c->done = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	closer_put(c);
	return NULL;
}

/* Starts the close on a detached thread; -1 when that cannot be done. */
static int
closer_start(struct closer *c)
{
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	int rv;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rv = pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0)
		return -1;
	pthread_mutex_init(&c->mu, NULL);
	if (pthread_attr_init(&ta) != 0)
		goto fail;
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rv = pthread_create(&t, &ta, closer_main, c);
	pthread_attr_destroy(&ta);
	if (rv == 0)
		return 0;
fail:
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	return -1;
}

void
link_close(link_t *l)
{
	struct closer *c;
	struct timespec until;
	int done;

	if (!l)
		return;
	if (!l->open || !(c = calloc(1, sizeof(*c)))) {
		link_free(l);
		return;
	}
	c->l = l;
	c->refs = 2;
	if (closer_start(c) != 0) {
		free(c);
		link_free(l);
		return;
	}
	until = rw_deadline(CLOCK_MONOTONIC, LINK_CLOSE_WAIT_MS);
	pthread_mutex_lock(&c->mu);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
		;
	done = c->done;
	pthread_mutex_unlock(&c->mu);
	closer_put(c);
	if (!done)
		log_warn("link.close-stuck", "waited=%dms (NNG did not finish closing; left to a thread)",
		         LINK_CLOSE_WAIT_MS);
}

const rw_actor_t *
link_identity(const link_t *l)
{
	return &l->who;
}
