/*
 * srv — NNG context pool + worker threads.  See srv.h for the flow.  This
 * module owns sockets, threads and the queue between them; what a request
 * means is server/api's business.
 */
#include "srv.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include "api_routes.h"
#include "authn.h"
#include "err.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "notary.h"
#include "stats.h"
#include "store.h"
#include "store_action.h"
#include "store_channel.h"
#include "wire.h"

enum slot_state { SLOT_RECV, SLOT_SEND };

#define SRV_WAKE_RING 64

enum park_result { PARK_OK, PARK_FULL, PARK_MISSED };

struct slot {
	struct srv *srv;
	nng_ctx ctx;
	nng_aio *aio;
	enum slot_state state;
	nng_msg *req;
	struct slot *next;      /* queue or parked-list link */
	uint32_t pipe;
	bool final;             /* the handler must answer this time */
	int64_t park_until;     /* unix us; 0 when not parked before */
	char park_key[96];
};

struct worker {
	struct srv *srv;
	pthread_t thread;
	store_t *store;
	bool started;
};

struct srv {
	nng_socket sock;
	bool sock_open;
	nng_listener listener;
	nng_tls_config *tls;
	authn_t *authn;
	struct backup_cfg backup;  /* artifact store and pg tools, shared by the workers */
	notary_t *notary;          /* audit chain signing/verification, shared */
	int64_t sign_every_us;     /* 0: no periodic signing */
	int64_t next_sign_us;

	struct slot *slots;
	int nslots;
	struct worker *workers;
	int nworkers;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot *head, *tail;
	bool stopping;

	struct api_cfg hcfg;
	struct slot *parked;    /* under lock */
	int nparked;
	int max_parked;
	/* The last SRV_WAKE_RING keys woken, so a poll does not park past its own wake-up. */
	uint64_t wake_seq;      /* under lock: wake-ups by key so far */
	unsigned ticks;         /* dispatcher ticks (its thread only) */
	char wake_ring[SRV_WAKE_RING][96];
	pthread_t dispatcher;
	bool dispatcher_started;
	metrics_server_t *metrics;
	store_t *listen_store;
};

static void srv_wake(struct srv *s, const char *key, uint32_t pipe);

/* --- queue between callbacks and workers ------------------------------------ */

static void
queue_push(struct srv *s, struct slot *sl)
{
	pthread_mutex_lock(&s->lock);
	sl->next = NULL;
	if (s->tail)
		s->tail->next = sl;
	else
		s->head = sl;
	s->tail = sl;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Blocks until a slot is queued; NULL when the server is stopping. */
static struct slot *
queue_pop(struct srv *s)
{
	struct slot *sl;
	pthread_mutex_lock(&s->lock);
	while (!s->head && !s->stopping)
		pthread_cond_wait(&s->cond, &s->lock);
	sl = s->stopping ? NULL : s->head;
	if (sl) {
		s->head = sl->next;
		if (!s->head)
			s->tail = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return sl;
}

/* --- parked long polls ------------------------------------------------------------ */

static int64_t
now_us(void)
{
	return rw_now_us();
}

/*
 * Moves parked slots back to the worker queue: those whose key matches (key
 * NULL: all keys), those of a closed pipe (pipe != 0), and those whose wait
 * ended (always).  Re-queued slots of a closed pipe or an ended wait must be
 * answered now (final).
 */
static void
srv_wake(struct srv *s, const char *key, uint32_t pipe)
{
	struct slot **pp, *sl, *ready = NULL;
	int64_t now = now_us();

	pthread_mutex_lock(&s->lock);
	if (key && *key) {
		snprintf(s->wake_ring[s->wake_seq % SRV_WAKE_RING], sizeof(s->wake_ring[0]), "%s", key);
		s->wake_seq++;
	}
	pp = &s->parked;
	while ((sl = *pp) != NULL) {
		bool expired = sl->park_until <= now, gone = pipe && sl->pipe == pipe;
		bool match = (!pipe && !key) || (key && strcmp(sl->park_key, key) == 0);
		if (!expired && !gone && !match) {
			pp = &sl->next;
			continue;
		}
		*pp = sl->next;
		s->nparked--;
		sl->final = expired || gone;
		sl->next = ready;
		ready = sl;
	}
	pthread_mutex_unlock(&s->lock);
	while ((sl = ready) != NULL) {
		ready = sl->next;
		queue_push(s, sl);
	}
}

static uint64_t
srv_wake_seq(struct srv *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t seq = s->wake_seq;
	pthread_mutex_unlock(&s->lock);
	return seq;
}

/* Under lock: was key woken since wake_seq was `seen` (or can we no longer tell)? */
static bool
srv_woken_since(const struct srv *s, uint64_t seen, const char *key)
{
	if (s->wake_seq - seen > SRV_WAKE_RING)
		return true;
	for (uint64_t i = seen; i < s->wake_seq; i++)
		if (strcmp(s->wake_ring[i % SRV_WAKE_RING], key) == 0)
			return true;
	return false;
}

/*
 * Keeps the slot's request for later.  PARK_MISSED: its key was woken while
 * the handler ran (after wake_seq was `seen`), so the change it waits for may
 * already be there — the handler must run again instead of sleeping through
 * it.  PARK_FULL: no more may be parked.
 */
static enum park_result
srv_park(struct srv *s, struct slot *sl, const struct api_ctx *hc, uint64_t seen)
{
	enum park_result r = PARK_OK;
	pthread_mutex_lock(&s->lock);
	if (s->nparked >= s->max_parked || s->stopping)
		r = PARK_FULL;
	else if (srv_woken_since(s, seen, hc->park_key))
		r = PARK_MISSED;
	if (r == PARK_OK) {
		if (sl->park_until == 0)
			sl->park_until = now_us() + (int64_t)hc->park_ms * 1000;
		snprintf(sl->park_key, sizeof(sl->park_key), "%s", hc->park_key);
		sl->next = s->parked;
		s->parked = sl;
		s->nparked++;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/*
 * The dispatcher: waits for notifications on its own database connection,
 * and wakes parked polls by key; once a second it also wakes the clusters
 * whose actions became runnable without a notification (a lease that ran
 * out because its agent vanished), and lets ended waits answer.
 */
/* Signs the audit chain head when the interval has passed and the chain grew. */
static void
dispatcher_sign(struct srv *s)
{
	bool signed_now = false;
	char q[300];
	int rv;

	if (!s->notary || s->sign_every_us <= 0 || now_us() < s->next_sign_us)
		return;
	s->next_sign_us = now_us() + s->sign_every_us;
	if ((rv = notary_sign(s->notary, s->listen_store, NULL, &signed_now)) != 0)
		log_warn("audit.sign-failed", "err=%s detail=%s", rw_errname(rv),
		         log_q(q, sizeof(q), store_errmsg(s->listen_store)));
}

static void
dispatcher_tick(struct srv *s)
{
	char clusters[32][RW_NAME_MAX + 1];
	size_t n = 0;

	if (store_action_runnable_clusters(s->listen_store, clusters, 32, &n) != 0) {
		srv_wake(s, NULL, 0); /* database trouble: let every poll retry on its own */
		return;
	}
	for (size_t i = 0; i < n; i++)
		srv_wake(s, clusters[i], 0);
	srv_wake(s, "", 0); /* only ended waits */
	dispatcher_sign(s);
	/*
	 * Every thread of rewindd (NNG's, the workers', the coordinator's) may
	 * get its own malloc arena, and each keeps the pages it freed: returned
	 * every 10 s, RSS stays flat under thousands of agents (a few ms of
	 * work; two arenas instead slowed 2,000 sessions' set-up by half).
	 */
	if (++s->ticks % 10 == 0)
		malloc_trim(0);
}

static void *
dispatcher_main(void *arg)
{
	struct srv *s = arg;
	int64_t next_tick = 0;
	bool listening = true;

	for (;;) {
		char payload[128];
		int got = 0;
		pthread_mutex_lock(&s->lock);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		if (!listening && store_ping(s->listen_store) == 0 &&
		    store_channel_listen(s->listen_store, STORE_ACTION_CHANNEL) == 0) {
			listening = true;
			log_info("dispatcher.listening", "channel=%s", STORE_ACTION_CHANNEL);
		}
		if (listening &&
		    store_channel_wait(s->listen_store, 200, payload, sizeof(payload), &got) != 0) {
			log_warn("dispatcher.lost", "reason=\"notification connection lost\"");
			listening = false;
		}
		if (!listening)
			nng_msleep(200);
		if (got)
			srv_wake(s, payload, 0);
		if (now_us() >= next_tick) {
			dispatcher_tick(s);
			next_tick = now_us() + 1000000;
		}
	}
	return NULL;
}

/* --- NNG callbacks: never block here ------------------------------------------ */

static void
slot_recv(struct slot *sl)
{
	sl->state = SLOT_RECV;
	nng_ctx_recv(sl->ctx, sl->aio);
}

static void
slot_cb(void *arg)
{
	struct slot *sl = arg;
	int rv = nng_aio_result(sl->aio);

	if (sl->state == SLOT_SEND) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(sl->aio));
		if (rv == NNG_ECLOSED)
			return;
		slot_recv(sl);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv != 0) {
		slot_recv(sl);
		return;
	}
	sl->req = nng_aio_get_msg(sl->aio);
	queue_push(sl->srv, sl);
}

static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct srv *s = arg;
	uint32_t id = (uint32_t)nng_pipe_id(p);

	if (ev == NNG_PIPE_EV_ADD_PRE) {
		if (authn_pipe_added(s->authn, id) != 0) {
			log_warn("session.rejected", "pipe=%u reason=\"too many sessions\"", id);
			nng_pipe_close(p);
		}
		return;
	}
	if (ev == NNG_PIPE_EV_REM_POST) {
		authn_pipe_removed(s->authn, id);
		srv_wake(s, NULL, id);
	}
}

/* --- workers --------------------------------------------------------------------- */

static wire_msg_t *
handle(struct worker *w, struct slot *sl, struct api_ctx *hc0)
{
	struct api_ctx hc = {.store = w->store, .authn = w->srv->authn, .cfg = &w->srv->hcfg,
	                     .backup = &w->srv->backup, .notary = w->srv->notary};
	nng_msg *req = sl->req;
	wire_msg_t *in = NULL, *out;
	uint64_t rid = 0;
	char why[256] = "";
	int rv;

	hc.pipe = (uint32_t)nng_pipe_id(nng_msg_get_pipe(req));
	hc.final = sl->final;
	sl->pipe = hc.pipe;
	rv = wire_decode_request(nng_msg_body(req), nng_msg_len(req), &in, &rid, why, sizeof(why));
	if (rv != 0) {
		char q[300];
		log_info("request.invalid", "pipe=%u err=%s reason=%s", hc.pipe, rw_errname(rv),
		         log_q(q, sizeof(q), why));
		stats_request(WIRE_NONE, rv);
		return wire_error_new(rid, rv, why);
	}
	out = api_dispatch(&hc, in);
	if (out || !hc.park)
		stats_request(in->kind, out && out->kind == WIRE_ERROR ? out->u.error.code : 0);
	log_debug("request", "pipe=%u kind=%s reply=%s", hc.pipe, wire_kind_name(in->kind),
	          out ? wire_kind_name(out->kind) : hc.park ? "parked" : "none");
	wire_msg_free(in);
	*hc0 = hc;
	return out;
}

static void
reply(struct slot *sl, wire_msg_t *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	nng_msg *m = NULL;

	if (!out || wire_encode(out, &buf, &len) != 0 || nng_msg_alloc(&m, 0) != 0 ||
	    nng_msg_append(m, buf, len) != 0) {
		/* Nothing we can send: drop the request; the peer's timeout tells it. */
		log_error("reply.failed", "reason=\"out of memory\"");
		if (m)
			nng_msg_free(m);
		free(buf);
		slot_recv(sl);
		return;
	}
	free(buf);
	sl->state = SLOT_SEND;
	nng_aio_set_msg(sl->aio, m);
	nng_ctx_send(sl->ctx, sl->aio);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct slot *sl;

	while ((sl = queue_pop(w->srv)) != NULL) {
		struct api_ctx hc;
		enum park_result pr = PARK_MISSED;
		wire_msg_t *out = NULL;
		/* Bounded: a key woken again and again while we look gets answered "nothing yet". */
		for (int tries = 0; pr == PARK_MISSED && tries < 3; tries++) {
			uint64_t seen = srv_wake_seq(w->srv);
			out = handle(w, sl, &hc);
			pr = !out && hc.park ? srv_park(w->srv, sl, &hc, seen) : PARK_OK;
		}
		if (!out && hc.park && pr == PARK_OK)
			continue; /* the request stays with the slot until it is woken */
		if (!out && hc.park) {
			/* Too many parked: answer now with whatever "nothing yet" means. */
			sl->final = true;
			out = handle(w, sl, &hc);
		}
		nng_msg_free(sl->req);
		sl->req = NULL;
		sl->park_until = 0;
		sl->final = false;
		reply(sl, out);
		wire_msg_free(out);
	}
	return NULL;
}

/* --- start / stop ------------------------------------------------------------------ */

static int
start_workers(struct srv *s, const struct srv_opts *o, char *msg, size_t msgsz)
{
	s->workers = calloc((size_t)o->workers, sizeof(*s->workers));
	if (!s->workers)
		return RW_ENOMEM;
	s->nworkers = o->workers;
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		int rv = store_open(o->db_conninfo, &w->store, msg, msgsz);
		w->srv = s;
		if (rv != 0)
			return rv;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			snprintf(msg, msgsz, "cannot start worker thread");
			return RW_ENOMEM;
		}
		w->started = true;
	}
	return 0;
}

static int
start_dispatcher(struct srv *s, const struct srv_opts *o, char *msg, size_t msgsz)
{
	int rv = store_open(o->db_conninfo, &s->listen_store, msg, msgsz);
	if (rv == 0 && (rv = store_channel_listen(s->listen_store, STORE_ACTION_CHANNEL)) != 0)
		snprintf(msg, msgsz, "cannot listen for notifications: %s",
		         store_errmsg(s->listen_store));
	if (rv != 0)
		return rv;
	if (pthread_create(&s->dispatcher, NULL, dispatcher_main, s) != 0) {
		snprintf(msg, msgsz, "cannot start the dispatcher thread");
		return RW_ENOMEM;
	}
	s->dispatcher_started = true;
	return 0;
}

static void
render_metrics(void *arg, metrics_buf_t *b)
{
	struct srv *s = arg;
	struct stats_gauges g = {0};
	g.sessions = authn_bound_count(s->authn, &g.agents);
	pthread_mutex_lock(&s->lock);
	g.parked = s->nparked;
	pthread_mutex_unlock(&s->lock);
	stats_render(b, &g);
}

static int
start_slots(struct srv *s, int n)
{
	s->slots = calloc((size_t)n, sizeof(*s->slots));
	if (!s->slots)
		return RW_ENOMEM;
	s->nslots = n;
	for (int i = 0; i < n; i++) {
		struct slot *sl = &s->slots[i];
		sl->srv = s;
		if (nng_aio_alloc(&sl->aio, slot_cb, sl) != 0 || nng_ctx_open(&sl->ctx, s->sock) != 0)
			return RW_ENOMEM;
	}
	for (int i = 0; i < n; i++)
		slot_recv(&s->slots[i]);
	return 0;
}

static int
start_listener(struct srv *s, const struct srv_opts *o, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = link_tls_config(NNG_TLS_MODE_SERVER, o->ca_path, o->cert_path, o->key_path, NULL,
	                          &s->tls, msg, msgsz)) != 0)
		return rv;
	if ((rv = nng_rep0_open(&s->sock)) != 0)
		return link_nng_err(rv);
	s->sock_open = true;
	/* Uploads (ARTIFACT_ADD) may be this big; wire_decode_request() holds every
	   other request to WIRE_REQUEST_MAX. */
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, WIRE_UPLOAD_MAX);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_PRE, pipe_cb, s);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, pipe_cb, s);
	if ((rv = nng_listener_create(&s->listener, s->sock, o->listen_url)) != 0 ||
	    (rv = nng_listener_set_ptr(s->listener, NNG_OPT_TLS_CONFIG, s->tls)) != 0 ||
	    (rv = nng_listener_start(s->listener, 0)) != 0) {
		snprintf(msg, msgsz, "cannot listen on %s: %s", o->listen_url, nng_strerror(rv));
		return rv == NNG_EADDRINUSE ? RW_EBUSY : RW_EINVAL;
	}
	return 0;
}

int
srv_start(const struct srv_opts *o, srv_t **out, char *msg, size_t msgsz)
{
	struct srv *s;
	int rv;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return RW_ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->hcfg.lease_ms = o->lease_ms > 0 ? o->lease_ms : 15000;
	s->hcfg.report_interval_ms = o->report_interval_ms > 0 ? o->report_interval_ms : 5000;
	s->hcfg.max_wait_ms = o->max_wait_ms > 0 ? o->max_wait_ms : 30000;
	s->max_parked = o->contexts / 2;
	rv = authn_new(o->ca_path, (size_t)o->max_sessions, &s->authn, msg, msgsz);
	s->backup.pg_bin = o->pg_bin;
	s->backup.timeout_s = o->backup_timeout_s;
	if (rv == 0 && o->artifact_dir)
		rv = artstore_open(o->artifact_dir, &s->backup.store, msg, msgsz);
	if (rv == 0)
		rv = notary_open(o->cert_path, o->key_path, &s->notary, msg, msgsz);
	s->sign_every_us = (int64_t)o->audit_sign_s * 1000000;
	s->next_sign_us = now_us() + s->sign_every_us;
	if (rv == 0)
		rv = start_workers(s, o, msg, msgsz);
	if (rv == 0)
		rv = start_dispatcher(s, o, msg, msgsz);
	if (rv == 0)
		rv = start_listener(s, o, msg, msgsz);
	if (rv == 0)
		rv = start_slots(s, o->contexts);
	if (rv == 0 && o->metrics_listen)
		rv = metrics_start(o->metrics_listen, render_metrics, s, &s->metrics, msg, msgsz);
	if (rv != 0) {
		srv_stop(s);
		return rv;
	}
	*out = s;
	return 0;
}

void
srv_stop(srv_t *s)
{
	if (!s)
		return;
	metrics_stop(s->metrics);
	s->metrics = NULL;
	/*
	 * Workers first: each finishes the request it holds (and queues its
	 * reply) before the socket goes away; then closing the socket makes the
	 * pending aios finish with NNG_ECLOSED, and they stop re-arming.
	 */
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < s->nworkers; i++)
		if (s->workers[i].started)
			pthread_join(s->workers[i].thread, NULL);
	if (s->dispatcher_started)
		pthread_join(s->dispatcher, NULL);
	store_close(s->listen_store);
	if (s->sock_open)
		nng_close(s->sock);
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].aio)
			nng_aio_stop(s->slots[i].aio);
	for (int i = 0; i < s->nworkers; i++)
		store_close(s->workers[i].store);
	/* Requests queued or parked but never served still hold their message. */
	for (struct slot *sl = s->head; sl; sl = sl->next)
		nng_msg_free(sl->req);
	for (struct slot *sl = s->parked; sl; sl = sl->next)
		nng_msg_free(sl->req);
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].aio)
			nng_aio_free(s->slots[i].aio);
	free(s->slots);
	free(s->workers);
	if (s->tls)
		nng_tls_config_free(s->tls);
	authn_free(s->authn);
	artstore_close(s->backup.store);
	notary_close(s->notary);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
