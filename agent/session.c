/*
 * session — the agent's link to rewindd: connection keeper with failover,
 * reporter thread, actor thread.  See session.h for what each does.
 *
 * Locking: one mutex guards the pod/deployment tables, the pending changes,
 * the probe targets and the connection pointer.  Network calls are made
 * without it, holding a reference on the link instead, so a reconnect
 * waits for calls in flight (which link_shutdown() aborts at once).
 */
#include "session.h"

#include <errno.h>
#include <malloc.h>
#include <sys/types.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "err.h"
#include "kaction.h"
#include "kube.h"
#include "link.h"
#include "log.h"
#include "pki.h"
#include "podwatch.h"
#include "probe.h"

#define DONE_RING 32            /* remembered finished actions (for retried assignments) */
#define ACTORS_MAX 16           /* actions carried out at once (--action-concurrency) */
#define HEARTBEAT_MS 1000       /* progress renews the lease at least this often (leases: 2 s and up) */
/*
 * Anti-entropy: every this many reports is a full snapshot, so a change the
 * watch never delivered (a missed DELETED) cannot stay wrong on the server
 * for longer than this many intervals.
 */
#define FULL_EVERY 10

struct done_action {
	int64_t id;
	bool ok;
	char result[RW_TEXT_MAX + 1];
	char previous[RW_TEXT_MAX + 1];
};

/* A table of pods keyed by namespace/name (small: one node's pods). */
struct podtab {
	rw_pod_state_t *v;
	size_t n, cap;
};

struct deptab {
	rw_deploy_state_t *v;
	size_t n, cap;
};

struct session;

/* One action at a time: its thread, its API connection, its result until delivered. */
struct actor {
	struct session *s;
	pthread_t thread;
	bool started;
	atomic_llong cur_action;     /* 0: idle */
	atomic_int cancel;
	atomic_llong last_progress_us;
	char last_progress[RW_TEXT_MAX + 1];  /* under s->lock */
	struct done_action unsent;   /* a result not yet acknowledged (id 0: none) */
};

struct session {
	struct session_opts o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;

	/* connection (under lock) */
	link_t *link;
	int link_refs;
	bool link_broken;
	size_t server_idx;

	/* node state (under lock) */
	struct podtab known, pending;
	struct deptab kdeps, pdeps;
	bool need_full;
	bool overflow_logged;
	uint64_t epoch, seq;
	rw_probe_target_t *targets;
	size_t ntargets;
	int interval_ms;

	/* actions */
	struct actor actors[ACTORS_MAX];
	int nactors;
	struct done_action done[DONE_RING];   /* under lock */
	size_t done_next;

	podwatch_t *pw;
	pthread_t keeper, reporter;
	bool keeper_started, reporter_started;

	struct session_stats stats; /* under lock */
};

/* ---------------------------------------------------------------------- */
/* small helpers                                                          */

static int64_t
now_us(void)
{
	return rw_now_us();
}

/* Waits on the session's condition for at most ms (or until signalled). */
static void
wait_ms_locked(struct session *s, int ms)
{
	struct timespec ts = rw_deadline(CLOCK_REALTIME, ms);
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

static bool
is_link_error(int rv)
{
	return rv == RW_ECONNECT || rv == RW_ETIMEDOUT || rv == RW_EAUTH || rv == RW_EPROTO ||
	       rv == RW_EIO;
}

/* ---------------------------------------------------------------------- */
/* tables                                                                 */

static ssize_t
pod_find(const struct podtab *t, const char *ns, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].namespace_, ns) == 0 && strcmp(t->v[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Inserts or replaces; RW_EBUSY when the table is at max. */
static int
pod_put(struct podtab *t, const rw_pod_state_t *p, size_t max)
{
	ssize_t i = pod_find(t, p->namespace_, p->name);
	if (i >= 0) {
		t->v[i] = *p;
		return 0;
	}
	if (t->n >= max)
		return RW_EBUSY;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		rw_pod_state_t *nv = realloc(t->v, ncap * sizeof(*nv));
		if (!nv)
			return RW_ENOMEM;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = *p;
	return 0;
}

static void
pod_del(struct podtab *t, const char *ns, const char *name)
{
	ssize_t i = pod_find(t, ns, name);
	if (i >= 0)
		t->v[i] = t->v[--t->n];
}

static int
dep_put(struct deptab *t, const rw_deploy_state_t *d, size_t max)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].namespace_, d->namespace_) == 0 && strcmp(t->v[i].name, d->name) == 0) {
			t->v[i] = *d;
			return 0;
		}
	}
	if (t->n >= max)
		return RW_EBUSY;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		rw_deploy_state_t *nv = realloc(t->v, ncap * sizeof(*nv));
		if (!nv)
			return RW_ENOMEM;
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = *d;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* podwatch callbacks (podwatch's thread)                                 */

static void
on_snapshot(void *arg, const rw_pod_state_t *pods, size_t n)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->known.n = 0;
	for (size_t i = 0; i < n; i++)
		if (pod_put(&s->known, &pods[i], s->o.max_pods) != 0 && !s->overflow_logged) {
			log_warn("pods.overflow", "max=%zu", s->o.max_pods);
			s->overflow_logged = true;
		}
	/* A re-list may have missed deletions: the next report replaces the node's pods. */
	s->pending.n = 0;
	s->need_full = true;
	s->stats.pods = s->known.n;
	pthread_mutex_unlock(&s->lock);
}

static void
on_change(void *arg, const rw_pod_state_t *pod)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	if (pod->deleted)
		pod_del(&s->known, pod->namespace_, pod->name);
	else if (pod_put(&s->known, pod, s->o.max_pods) != 0 && !s->overflow_logged) {
		log_warn("pods.overflow", "max=%zu", s->o.max_pods);
		s->overflow_logged = true;
	}
	/* Coalesced: only the latest state of each pod waits to be sent. */
	if (pod_put(&s->pending, pod, s->o.max_pods) != 0)
		s->need_full = true; /* too many changes to hold: send everything instead */
	s->stats.pods = s->known.n;
	s->stats.pending_changes = s->pending.n;
	pthread_mutex_unlock(&s->lock);
}

static void
on_deploy(void *arg, const rw_deploy_state_t *d)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	dep_put(&s->kdeps, d, s->o.max_pods);
	dep_put(&s->pdeps, d, s->o.max_pods);
	pthread_mutex_unlock(&s->lock);
}

static void
on_watch_error(void *arg, int rc, const char *msg)
{
	char q[300];
	(void)arg;
	log_warn("kube.watch", "err=%s reason=%s", rw_errname(rc), log_q(q, sizeof(q), msg));
}

/* ---------------------------------------------------------------------- */
/* connection                                                             */

static void
on_lost(void *arg)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->link_broken = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static link_t *
conn_acquire(struct session *s)
{
	link_t *l = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->link && !s->link_broken) {
		l = s->link;
		s->link_refs++;
	}
	pthread_mutex_unlock(&s->lock);
	return l;
}

static void
conn_release(struct session *s, int rv)
{
	pthread_mutex_lock(&s->lock);
	s->link_refs--;
	if (is_link_error(rv))
		s->link_broken = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Drops the current link once no call uses it (calls in flight are aborted). */
static void
conn_drop(struct session *s)
{
	link_t *old;
	pthread_mutex_lock(&s->lock);
	old = s->link;
	s->link_broken = true; /* no new calls on it */
	pthread_mutex_unlock(&s->lock);
	/*
	 * Outside the lock: closing runs NNG's pipe callbacks, and on_lost()
	 * takes the lock.
	 */
	if (old)
		link_shutdown(old);
	pthread_mutex_lock(&s->lock);
	while (old && s->link_refs > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	s->link = NULL;
	s->link_broken = false;
	pthread_mutex_unlock(&s->lock);
	if (old) {
		link_close(old);
		pthread_mutex_lock(&s->lock);
		s->stats.disconnects++;
		s->stats.connected = 0;
		pthread_mutex_unlock(&s->lock);
		log_warn("server.disconnected", "%s", "");
	}
}

/* One pass over the servers, starting with the one that worked last. */
static int
conn_try(struct session *s)
{
	for (size_t k = 0; k < s->o.nservers; k++) {
		size_t i = (s->server_idx + k) % s->o.nservers;
		struct link_opts lo = {.url = s->o.servers[i], .ca_path = s->o.ca_path,
		                       .cert_path = s->o.cert_path, .key_path = s->o.key_path,
		                       .timeout_ms = 10000, .client = "rewind-agent/" REWIND_VERSION,
		                       .on_lost = on_lost, .on_lost_arg = s};
		char msg[512] = "", q[600];
		link_t *l;
		int rv = link_open(&lo, &l, msg, sizeof(msg));
		if (rv != 0) {
			log_warn("server.unreachable", "url=%s err=%s reason=%s", s->o.servers[i],
			         rw_errname(rv), log_q(q, sizeof(q), msg));
			continue;
		}
		pthread_mutex_lock(&s->lock);
		s->link = l;
		s->link_broken = false;
		s->server_idx = i;
		s->need_full = true;       /* a new session starts with a snapshot */
		pki_random((uint8_t *)&s->epoch, sizeof(s->epoch));
		s->seq = 0;
		s->stats.connects++;
		s->stats.connected = 1;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		log_info("server.connected", "url=%s as=%s", s->o.servers[i], link_identity(l)->name);
		return 0;
	}
	return RW_ECONNECT;
}

/* Exponential backoff with full jitter: a fleet of agents does not reconnect in lockstep. */
static int
backoff_ms(int attempt)
{
	uint32_t r = 0;
	int cap = 500 << (attempt < 6 ? attempt : 6);
	if (cap > 30000)
		cap = 30000;
	pki_random((uint8_t *)&r, sizeof(r));
	return 250 + (int)(r % (uint32_t)cap);
}

static void *
keeper_main(void *arg)
{
	struct session *s = arg;
	int attempt = 0;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		if (s->link && !s->link_broken) {
			wait_ms_locked(s, 1000);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		conn_drop(s);
		int rv = conn_try(s);
		pthread_mutex_lock(&s->lock);
		if (rv == 0) {
			attempt = 0;
			continue;
		}
		if (!s->stopping)
			wait_ms_locked(s, backoff_ms(attempt++));
	}
	pthread_mutex_unlock(&s->lock);
	conn_drop(s);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* reporter                                                               */

/* A pod probe target applies to each running pod of its deployment. */
static bool
pod_probed(const rw_pod_state_t *p, const rw_probe_target_t *t)
{
	return strcmp(p->namespace_, t->namespace_) == 0 && strcmp(p->deployment, t->deployment) == 0 &&
	       strcmp(p->phase, "Running") == 0;
}

/* Probes the assigned targets; *out malloc'd (may be NULL when none). */
static size_t
run_probes(struct session *s, rw_probe_result_t **out)
{
	struct probe_req *reqs = NULL;
	char (*urls)[RW_URL_MAX + 1] = NULL;
	rw_probe_target_t *t;
	size_t nt, n = 0, max;

	*out = NULL;
	pthread_mutex_lock(&s->lock);
	nt = s->ntargets;
	t = nt ? malloc(nt * sizeof(*t)) : NULL;
	if (t)
		memcpy(t, s->targets, nt * sizeof(*t));
	struct podtab pods = {0};
	if (s->known.n && (pods.v = malloc(s->known.n * sizeof(*pods.v)))) {
		memcpy(pods.v, s->known.v, s->known.n * sizeof(*pods.v));
		pods.n = s->known.n;
	}
	pthread_mutex_unlock(&s->lock);
	if (!t)
		goto out;
	/* Exactly as many as will run (was nt * (pods + 1): with 11 targets
	 * and 110 pods, 1221 results and URLs, 3.2 MB allocated and zeroed per
	 * round for 110 probes; see docs/performance.md section 3). */
	max = 0;
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].deployment[0]) {
			max++;
			continue;
		}
		for (size_t k = 0; k < pods.n; k++)
			max += pod_probed(&pods.v[k], &t[i]);
	}
	if (max == 0)
		goto out;
	reqs = calloc(max, sizeof(*reqs));
	urls = calloc(max, sizeof(*urls));
	*out = calloc(max, sizeof(**out));
	if (!reqs || !urls || !*out)
		goto out;
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].deployment[0]) { /* a public URL */
			snprintf(urls[n], sizeof(urls[n]), "%s", t[i].url);
			reqs[n] = (struct probe_req){t[i].id, t[i].url, urls[n], t[i].expect,
			                             t[i].expect_status, t[i].timeout_ms};
			n++;
			continue;
		}
		for (size_t k = 0; k < pods.n; k++) {
			const rw_pod_state_t *p = &pods.v[k];
			char ip[64] = "";
			if (!pod_probed(p, &t[i]))
				continue;
			podwatch_pod_ip(s->pw, p->namespace_, p->name, ip, sizeof(ip));
			if (probe_pod_url(s->o.pod_probe_template, p, ip, t[i].path, s->o.pod_probe_port,
			                  urls[n], sizeof(urls[n])) != 0)
				continue;
			reqs[n] = (struct probe_req){t[i].id, p->name, urls[n], t[i].expect,
			                             t[i].expect_status, t[i].timeout_ms};
			n++;
		}
	}
	if (n)
		probe_run(reqs, n, 3000, *out);
out:
	free(t);
	free(pods.v);
	free(reqs);
	free(urls);
	if (n == 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}

/* Builds the report under the lock; the pending changes move into it. */
static wire_msg_t *
build_report(struct session *s, rw_probe_result_t *probes, size_t nprobes, bool *full)
{
	wire_msg_t *m = wire_msg_new(WIRE_AGENT_REPORT, 0);
	struct wire_state *st;
	if (!m)
		return NULL;
	st = &m->u.state;
	snprintf(st->cluster, sizeof(st->cluster), "%s", s->o.cluster);
	snprintf(st->node, sizeof(st->node), "%s", s->o.node);
	pthread_mutex_lock(&s->lock);
	st->epoch = s->epoch;
	st->seq = ++s->seq;
	if (st->seq % FULL_EVERY == 0)
		s->need_full = true;
	*full = st->full = s->need_full;
	struct podtab *pt = s->need_full ? &s->known : &s->pending;
	struct deptab *dt = s->need_full ? &s->kdeps : &s->pdeps;
	if (pt->n && (st->pods = malloc(pt->n * sizeof(*st->pods)))) {
		memcpy(st->pods, pt->v, pt->n * sizeof(*st->pods));
		st->npods = pt->n;
	}
	if (dt->n && (st->deploys = malloc(dt->n * sizeof(*st->deploys)))) {
		memcpy(st->deploys, dt->v, dt->n * sizeof(*st->deploys));
		st->ndeploys = dt->n;
	}
	/* Everything moves into this report; a failed send asks for a snapshot instead. */
	s->pending.n = 0;
	s->pdeps.n = 0;
	s->need_full = false;
	s->stats.pending_changes = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < st->npods; i++) {
		snprintf(st->pods[i].cluster, sizeof(st->pods[i].cluster), "%s", s->o.cluster);
		snprintf(st->pods[i].node, sizeof(st->pods[i].node), "%s", s->o.node);
	}
	for (size_t i = 0; i < st->ndeploys; i++)
		snprintf(st->deploys[i].cluster, sizeof(st->deploys[i].cluster), "%s", s->o.cluster);
	st->probes = probes;
	st->nprobes = nprobes;
	return m;
}

static void
apply_report_ok(struct session *s, wire_msg_t *resp)
{
	rw_probe_target_t *t = resp->u.list.items;
	pthread_mutex_lock(&s->lock);
	free(s->targets);
	s->targets = t;
	s->ntargets = resp->u.list.n;
	resp->u.list.items = NULL;
	resp->u.list.n = 0;
	if (resp->u.list.interval_ms >= 100 && resp->u.list.interval_ms <= 3600000)
		s->interval_ms = (int)resp->u.list.interval_ms;
	if (resp->u.list.resync) {
		s->need_full = true;
		s->stats.resyncs++;
	}
	pthread_mutex_unlock(&s->lock);
}

static void
send_report(struct session *s, link_t *l)
{
	rw_probe_result_t *probes = NULL;
	size_t nprobes = run_probes(s, &probes);
	uint64_t failed = 0, lat = 0;
	wire_msg_t *req, *resp = NULL;
	char msg[300] = "", q[320];
	bool full = false;
	int rv;

	for (size_t i = 0; i < nprobes; i++) {
		failed += !probes[i].ok;
		lat += (uint64_t)probes[i].latency_ms;
	}
	if (!(req = build_report(s, probes, nprobes, &full))) {
		free(probes);
		conn_release(s, 0);
		return;
	}
	rv = link_call(l, req, &resp, msg, sizeof(msg));
	wire_msg_free(req);
	if (rv == 0 && resp->kind == WIRE_AGENT_REPORT_OK)
		apply_report_ok(s, resp);
	wire_msg_free(resp);
	pthread_mutex_lock(&s->lock);
	s->stats.probes_run += nprobes;
	s->stats.probes_failed += failed;
	s->stats.probe_latency_ms_sum += lat;
	if (rv == 0) {
		s->stats.reports_sent++;
		s->stats.full_reports += full;
	} else {
		s->stats.report_errors++;
		s->need_full = true; /* what this report carried is resent as a snapshot */
	}
	pthread_mutex_unlock(&s->lock);
	if (rv != 0)
		log_warn("report.failed", "err=%s reason=%s", rw_errname(rv), log_q(q, sizeof(q), msg));
	conn_release(s, rv);
}

/* Renews the lease of a long action whose rollout produces no events for a while. */
static void
heartbeat(struct actor *ac)
{
	struct session *s = ac->s;
	int64_t id = atomic_load(&ac->cur_action);
	wire_msg_t *req, *resp = NULL;
	char msg[200];
	link_t *l;
	int rv;

	if (id == 0 || now_us() - atomic_load(&ac->last_progress_us) < HEARTBEAT_MS * 1000LL)
		return;
	if (!(l = conn_acquire(s)))
		return;
	if (!(req = wire_msg_new(WIRE_ACTION_PROGRESS, 0))) {
		conn_release(s, 0);
		return;
	}
	req->u.progress.id = id;
	pthread_mutex_lock(&s->lock);
	snprintf(req->u.progress.message, sizeof(req->u.progress.message), "%s", ac->last_progress);
	pthread_mutex_unlock(&s->lock);
	rv = link_call(l, req, &resp, msg, sizeof(msg));
	if (rv == 0 && resp->u.flag)
		atomic_store(&ac->cancel, 1); /* the lease went to another agent */
	if (rv == 0)
		atomic_store(&ac->last_progress_us, now_us());
	wire_msg_free(req);
	wire_msg_free(resp);
	conn_release(s, rv);
}

static void *
reporter_main(void *arg)
{
	struct session *s = arg;
	int64_t next = 0;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int interval = s->interval_ms;
		bool due = now_us() >= next && s->link && !s->link_broken;
		pthread_mutex_unlock(&s->lock);
		for (int i = 0; i < s->nactors; i++)
			heartbeat(&s->actors[i]);
		if (due) {
			link_t *l = conn_acquire(s);
			if (l)
				send_report(s, l);
			/* A probe round allocates and frees ~16 KB per probe (libcurl
			 * handles and connections) plus the results; glibc keeps freed
			 * pages inside its arenas: without this the agent's RSS stayed
			 * 1.7 MiB higher (docs/performance.md section 3). */
			malloc_trim(0);
			pthread_mutex_lock(&s->lock);
			interval = s->interval_ms; /* the server may have just set it */
			pthread_mutex_unlock(&s->lock);
			next = now_us() + (int64_t)interval * 1000;
		}
		pthread_mutex_lock(&s->lock);
		/* A new connection wants its snapshot now, not at the next tick. */
		if (s->need_full && s->link && !s->link_broken && s->seq == 0)
			next = 0;
		else if (!s->stopping)
			wait_ms_locked(s, interval < 500 ? interval : 500);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* actor                                                                  */

static void
progress_cb(void *arg, const char *message, int32_t updated, int32_t available, int32_t replicas)
{
	struct actor *ac = arg;
	struct session *s = ac->s;
	wire_msg_t *req, *resp = NULL;
	char msg[200];
	link_t *l;
	int rv;

	pthread_mutex_lock(&s->lock);
	snprintf(ac->last_progress, sizeof(ac->last_progress), "%s", message ? message : "");
	pthread_mutex_unlock(&s->lock);
	if (!(l = conn_acquire(s)))
		return; /* the result is kept and sent after reconnecting */
	if (!(req = wire_msg_new(WIRE_ACTION_PROGRESS, 0))) {
		conn_release(s, 0);
		return;
	}
	req->u.progress.id = atomic_load(&ac->cur_action);
	snprintf(req->u.progress.message, sizeof(req->u.progress.message), "%s",
	         message ? message : "");
	req->u.progress.updated = updated;
	req->u.progress.available = available;
	req->u.progress.replicas = replicas;
	rv = link_call(l, req, &resp, msg, sizeof(msg));
	if (rv == 0 && resp->u.flag) {
		log_warn("action.lease-lost", "id=%lld", (long long)req->u.progress.id);
		atomic_store(&ac->cancel, 1);
	}
	if (rv == 0)
		atomic_store(&ac->last_progress_us, now_us());
	wire_msg_free(req);
	wire_msg_free(resp);
	conn_release(s, rv);
}

/* Under lock: the remembered outcome of action id, or NULL. */
static const struct done_action *
done_find(struct session *s, int64_t id)
{
	for (size_t i = 0; i < DONE_RING; i++)
		if (s->done[i].id == id)
			return &s->done[i];
	return NULL;
}

/* Another actor of this agent is carrying out action id right now. */
static bool
running_elsewhere(struct actor *ac, int64_t id)
{
	struct session *s = ac->s;
	for (int i = 0; i < s->nactors; i++)
		if (&s->actors[i] != ac && atomic_load(&s->actors[i].cur_action) == id)
			return true;
	return false;
}

/* Runs one action against the API server (or recalls its earlier outcome). */
static void
execute(struct actor *ac, kube_t *k, const rw_action_t *a)
{
	struct session *s = ac->s;
	struct done_action d = {.id = a->id};
	bool dup = false;
	int rv;

	pthread_mutex_lock(&s->lock);
	const struct done_action *prev = done_find(s, a->id);
	if (prev)
		ac->unsent = *prev; /* our result never arrived: report it again, do not act twice */
	/* A lease of ours that lapsed came back to this agent: the actor on it reports. */
	dup = prev || running_elsewhere(ac, a->id);
	if (dup)
		s->stats.actions_duplicate++;
	pthread_mutex_unlock(&s->lock);
	if (dup)
		return;
	log_info("action.start", "id=%lld kind=%s target=%s/%s", (long long)a->id,
	         rw_action_kind_name(a->kind), a->namespace_, a->name);
	atomic_store(&ac->cancel, 0);
	atomic_store(&ac->cur_action, a->id);
	atomic_store(&ac->last_progress_us, now_us());
	if (a->kind == RW_ACTION_SET_IMAGE)
		rv = kaction_set_image(k, a, progress_cb, ac, d.previous, sizeof(d.previous), d.result,
		                       sizeof(d.result));
	else
		rv = kaction_patch_configmap(k, a, d.previous, sizeof(d.previous), d.result,
		                             sizeof(d.result));
	atomic_store(&ac->cur_action, 0);
	d.ok = rv == 0;
	if (!d.result[0])
		snprintf(d.result, sizeof(d.result), "%s", rw_strerror(rv));
	log_info("action.done", "id=%lld ok=%d", (long long)a->id, d.ok);
	pthread_mutex_lock(&s->lock);
	s->done[s->done_next++ % DONE_RING] = d;
	pthread_mutex_unlock(&s->lock);
	ac->unsent = d;
}

/* Sends the pending result; true when it was delivered (accepted or not). */
static bool
send_result(struct actor *ac, link_t *l)
{
	struct session *s = ac->s;
	wire_msg_t *req = wire_msg_new(WIRE_ACTION_RESULT, 0), *resp = NULL;
	char msg[200];
	int rv;

	if (!req) {
		conn_release(s, 0);
		return false;
	}
	req->u.progress.id = ac->unsent.id;
	req->u.progress.ok = ac->unsent.ok;
	snprintf(req->u.progress.message, sizeof(req->u.progress.message), "%s", ac->unsent.result);
	snprintf(req->u.progress.previous, sizeof(req->u.progress.previous), "%s",
	         ac->unsent.previous);
	rv = link_call(l, req, &resp, msg, sizeof(msg));
	if (rv == 0) {
		pthread_mutex_lock(&s->lock);
		if (!resp->u.flag)
			s->stats.actions_duplicate++;
		else if (ac->unsent.ok)
			s->stats.actions_succeeded++;
		else
			s->stats.actions_failed++;
		pthread_mutex_unlock(&s->lock);
		ac->unsent.id = 0;
	}
	wire_msg_free(req);
	wire_msg_free(resp);
	conn_release(s, rv);
	return rv == 0;
}

/* One long poll; *a filled and true when an action was assigned. */
static bool
poll_action(struct session *s, link_t *l, rw_action_t *a)
{
	wire_msg_t *req = wire_msg_new(WIRE_ACTION_WAIT, 0), *resp = NULL;
	char msg[200];
	bool got = false;
	int rv;

	if (!req) {
		conn_release(s, 0);
		return false;
	}
	req->u.wait.wait_ms = (uint32_t)s->o.action_wait_ms;
	rv = link_call_timeout(l, req, s->o.action_wait_ms + 10000, &resp, msg, sizeof(msg));
	if (rv == 0 && resp->kind == WIRE_ACTION_ASSIGN && resp->u.assign.has) {
		*a = resp->u.assign.action;
		got = true;
	}
	wire_msg_free(req);
	wire_msg_free(resp);
	conn_release(s, rv);
	if (rv != 0 && !is_link_error(rv))
		nng_msleep(500); /* a server-side refusal: do not spin */
	return got;
}

static void *
actor_main(void *arg)
{
	struct actor *ac = arg;
	struct session *s = ac->s;
	rw_action_t *a = malloc(sizeof(*a));
	char msg[300] = "";
	kube_t *k = NULL;

	if (!a || kube_new(s->o.kube, &k, msg, sizeof(msg)) != 0) {
		log_error("actor.failed", "reason=\"%s\"", msg[0] ? msg : "out of memory");
		free(a);
		return NULL;
	}
	kube_set_cancel(k, &ac->cancel);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		link_t *l = conn_acquire(s);
		if (!l) {
			pthread_mutex_lock(&s->lock);
			if (!s->stopping)
				wait_ms_locked(s, 200);
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		if (ac->unsent.id) {
			send_result(ac, l);
			continue;
		}
		if (poll_action(s, l, a))
			execute(ac, k, a);
	}
	kube_free(k);
	free(a);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* start / stop                                                           */

int
session_start(const struct session_opts *o, session_t **out, char *msg, size_t msgsz)
{
	struct podwatch_callbacks cb = {on_snapshot, on_change, on_deploy, on_watch_error, NULL};
	struct session *s = calloc(1, sizeof(*s));
	int rv;

	*out = NULL;
	if (!s)
		return RW_ENOMEM;
	s->o = *o;
	if (s->o.max_pods == 0)
		s->o.max_pods = 5000;
	if (s->o.action_wait_ms <= 0)
		s->o.action_wait_ms = 20000;
	s->interval_ms = o->report_interval_ms > 0 ? o->report_interval_ms : 5000;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	cb.arg = s;
	if ((rv = podwatch_start(o->kube, o->node, o->cluster, &cb, NULL, &s->pw, msg, msgsz)) != 0)
		goto fail;
	rv = RW_ENOMEM;
	if (pthread_create(&s->keeper, NULL, keeper_main, s) != 0)
		goto fail;
	s->keeper_started = true;
	if (pthread_create(&s->reporter, NULL, reporter_main, s) != 0)
		goto fail;
	s->reporter_started = true;
	s->nactors = o->action_concurrency > 0
	                 ? (o->action_concurrency > ACTORS_MAX ? ACTORS_MAX : o->action_concurrency)
	                 : 1;
	for (int i = 0; i < s->nactors; i++) {
		struct actor *ac = &s->actors[i];
		ac->s = s;
		if (pthread_create(&ac->thread, NULL, actor_main, ac) != 0)
			goto fail;
		ac->started = true;
	}
	*out = s;
	return 0;
fail:
	session_stop(s);
	return rv;
}

void
session_stop(session_t *s)
{
	if (!s)
		return;
	/* The keeper sees this, shuts the link down (aborting the long poll) and exits. */
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	for (int i = 0; i < s->nactors; i++)
		atomic_store(&s->actors[i].cancel, 1);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < s->nactors; i++)
		if (s->actors[i].started)
			pthread_join(s->actors[i].thread, NULL);
	if (s->reporter_started)
		pthread_join(s->reporter, NULL);
	if (s->keeper_started)
		pthread_join(s->keeper, NULL);
	podwatch_stop(s->pw);
	free(s->known.v);
	free(s->pending.v);
	free(s->kdeps.v);
	free(s->pdeps.v);
	free(s->targets);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
session_get_stats(session_t *s, struct session_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}
