/*
 * loadgen — N simulated agents speaking the real protocol to rewindd over
 * TLS (link_open: mutual TLS, then the signed-nonce identity proof), for the
 * benchmarks (bench/run.sh), the fault tests and the soak.  Two modes:
 *
 *   ingest  each agent sends a full report of --pods pods, then change
 *           reports of --changes pods each (their restart count set to the
 *           report's seq), one outstanding report per agent, as fast as the
 *           server acknowledges them.  Prints acknowledged changes per
 *           second.  --ack-log writes, per pod, the last acknowledged
 *           restart count: rewindd acknowledges only after commit, so the
 *           database must hold at least that value (tests check it).
 *   fanout  agent i is the only agent of cluster "<prefix>-i"; each keeps an
 *           ActionWait parked.  An operator session then creates one action
 *           per cluster, --rounds times; the figure is, per action, the time
 *           from just before ActionCreate is sent to its agent holding it
 *           (p50/p99/max), plus the time until every agent holds its action.
 *
 * Certificates come from --pki-dir (pki init'ed: ca.crt, ca.key): missing
 * agent/operator certificates are issued there with pki_issue().  Bounded in
 * time (--seconds) and count (--reports, --rounds); it stops by itself.
 * It prints figures and asserts nothing about speed.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "link.h"
#include "pki.h"
#include "wire.h"

enum lg_mode { LG_INGEST, LG_FANOUT };

struct lg_cfg {
	enum lg_mode mode;
	const char *url, *pki_dir, *ack_log, *prefix;
	int agents, pods, changes, rounds, seconds, open_retries_s;
	int interval_ms;         /* ingest: pause between an agent's reports (0: none) */
	int connect_parallel;    /* session set-ups (TLS + proof) in flight at once */
	long reports;            /* per agent, after the first snapshot */
	int64_t deadline_us;
};

struct lg_agent {
	int idx;
	pthread_t th;
	const struct lg_cfg *cfg;
	char cluster[RW_NAME_MAX + 1], node[RW_NAME_MAX + 1];
	char crt[512], key[512];
	link_t *l;
	int32_t *acked;          /* ingest: last acknowledged restarts per pod (-1: none) */
	uint64_t acked_changes, acked_reports, errors, reconnects, refused;
	atomic_int ready;        /* connected at least once */
	atomic_llong got_id;     /* fanout: last action id received */
	atomic_llong got_us;     /* fanout: when it was received */
	int64_t done_us;
};

static atomic_int lg_stop;
/*
 * Bounds concurrent session set-ups: a fleet does not connect all at once,
 * and thousands of simultaneous TLS handshakes on 2 shared cores make
 * rewindd drop connections that wait too long ("Connection shutdown").
 */
static sem_t lg_connect_sem;

/* ------------------------------------------------------------------------ */

static int
lg_ensure_cert(const char *pki_dir, const char *role, const char *name, char *crt, size_t crtsz,
               char *key, size_t keysz)
{
	char file[160], msg[256];
	struct stat sb;
	int rv;

	snprintf(file, sizeof(file), "%s", name);
	for (char *p = file; *p; p++)
		if (*p == '/')
			*p = '_';
	snprintf(crt, crtsz, "%s/%s.crt", pki_dir, file);
	snprintf(key, keysz, "%s/%s.key", pki_dir, file);
	if (stat(crt, &sb) == 0 && stat(key, &sb) == 0)
		return 0;
	if ((rv = pki_issue(pki_dir, role, name, 0, 0, key, crt, msg, sizeof(msg))))
		fprintf(stderr, "loadgen: issuing %s: %s\n", name, msg);
	return rv;
}

/* Dials with retries until cfg->open_retries_s passes (the server may be starting or busy). */
static int
lg_open(const struct lg_cfg *cfg, const char *crt, const char *key, link_t **out)
{
	char pki_ca[512], msg[512];
	struct link_opts o = {.url = cfg->url, .ca_path = pki_ca, .cert_path = crt,
	                      .key_path = key, .timeout_ms = 30000, .client = "loadgen"};
	int64_t give_up = rw_now_us() + (int64_t)cfg->open_retries_s * 1000000;
	int rv;

	snprintf(pki_ca, sizeof(pki_ca), "%s/ca.crt", cfg->pki_dir);
	for (;;) {
		while (sem_wait(&lg_connect_sem) != 0 && errno == EINTR)
			;
		rv = link_open(&o, out, msg, sizeof(msg));
		sem_post(&lg_connect_sem);
		if (rv == 0)
			return 0;
		if (rv != RW_ECONNECT || rw_now_us() > give_up || atomic_load(&lg_stop)) {
			fprintf(stderr, "loadgen: %s: %s\n", crt, msg);
			return rv;
		}
		usleep(100000 + (useconds_t)(rand() % 200000));
	}
}

static bool
lg_time_left(const struct lg_cfg *cfg)
{
	return !atomic_load(&lg_stop) && rw_now_us() < cfg->deadline_us;
}

static double
lg_ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* ------------------------------------------------------------------------ */
/* ingest                                                                   */

static void
lg_pod(const struct lg_agent *a, int i, int32_t restarts, rw_pod_state_t *p)
{
	memset(p, 0, sizeof(*p));
	RW_STRCPY(p->cluster, a->cluster);
	RW_STRCPY(p->node, a->node);
	RW_STRCPY(p->namespace_, "bench");
	snprintf(p->name, sizeof(p->name), "%s-pod-%04d", a->node, i);
	snprintf(p->deployment, sizeof(p->deployment), "dep-%d", i % 20);
	RW_STRCPY(p->phase, "Running");
	p->ready = true;
	p->ncontainers = 1;
	RW_STRCPY(p->containers[0].name, "app");
	snprintf(p->containers[0].image, sizeof(p->containers[0].image),
	         "ghcr.io/bench/app-%d:v1", i % 20);
	p->containers[0].ready = true;
	p->containers[0].restarts = restarts;
	p->observed_at = rw_now_us();
}

/* Builds report seq: the whole node (full) or the next --changes pods. */
static wire_msg_t *
lg_report(struct lg_agent *a, uint64_t epoch, uint64_t seq, bool full, int *first, int *n)
{
	const struct lg_cfg *cfg = a->cfg;
	wire_msg_t *m = wire_msg_new(WIRE_AGENT_REPORT, 0);
	int count = full ? cfg->pods : cfg->changes;
	rw_pod_state_t *pods;

	if (!m)
		return NULL;
	if (!(pods = calloc((size_t)count, sizeof(*pods)))) {
		wire_msg_free(m);
		return NULL;
	}
	*first = full ? 0 : (int)(((seq - 1) * (uint64_t)cfg->changes) % (uint64_t)cfg->pods);
	*n = count;
	for (int k = 0; k < count; k++)
		lg_pod(a, (*first + k) % cfg->pods, (int32_t)seq, &pods[k]);
	RW_STRCPY(m->u.state.cluster, a->cluster);
	RW_STRCPY(m->u.state.node, a->node);
	m->u.state.epoch = epoch;
	m->u.state.seq = seq;
	m->u.state.full = full;
	m->u.state.pods = pods;
	m->u.state.npods = (size_t)count;
	return m;
}

static void *
lg_ingest_agent(void *arg)
{
	struct lg_agent *a = arg;
	const struct lg_cfg *cfg = a->cfg;
	uint64_t epoch = ((uint64_t)rand() << 20) ^ (uint64_t)a->idx, seq = 0;
	bool full = true;
	char msg[512];

	if (lg_open(cfg, a->crt, a->key, &a->l))
		return NULL;
	atomic_store(&a->ready, 1);
	while (lg_time_left(cfg) && (cfg->reports < 0 || seq <= (uint64_t)cfg->reports)) {
		wire_msg_t *resp = NULL, *req;
		int first, n, rv;

		/* seq only grows, full or not: restart counts (= seq) only grow, so
		 * "the database holds at least the acknowledged value" is checkable. */
		if (!(req = lg_report(a, epoch, ++seq, full, &first, &n)))
			break;
		rv = link_call(a->l, req, &resp, msg, sizeof(msg));
		wire_msg_free(req);
		if (rv == 0 && resp->u.list.resync) {
			/* Refused (not in sequence after a failed report): nothing was
			 * stored; like rewind-agent, send a snapshot next. */
			a->refused++;
			full = true;
			wire_msg_free(resp);
			continue;
		}
		if (rv == 0) {
			/* Acknowledged = committed: remember what the database must hold. */
			for (int k = 0; k < n; k++)
				a->acked[(first + k) % cfg->pods] = (int32_t)seq;
			a->acked_changes += (uint64_t)n;
			a->acked_reports++;
			full = false;
			wire_msg_free(resp);
			/* Paced like a real agent (soak); short sleeps keep the deadline. */
			for (int ms = 0; ms < cfg->interval_ms && lg_time_left(cfg); ms += 100)
				usleep(100000);
			continue;
		}
		a->errors++;
		if (rv == RW_ECONNECT) { /* session gone: new session, full snapshot */
			link_close(a->l);
			a->l = NULL;
			a->reconnects++;
			if (lg_open(cfg, a->crt, a->key, &a->l))
				break;
			epoch++;
			full = true;
		} else {
			usleep(50000); /* e.g. EDB while PostgreSQL restarts: retry shortly */
			full = true;   /* what the failed report carried goes again as a snapshot */
		}
	}
	a->done_us = rw_now_us();
	return NULL;
}

static int
lg_write_acks(const struct lg_cfg *cfg, struct lg_agent *ag)
{
	FILE *f = fopen(cfg->ack_log, "w");
	if (!f) {
		perror(cfg->ack_log);
		return RW_EIO;
	}
	for (int i = 0; i < cfg->agents; i++)
		for (int p = 0; p < cfg->pods; p++)
			if (ag[i].acked[p] >= 0)
				fprintf(f, "%s %s-pod-%04d %d\n", ag[i].cluster, ag[i].node, p,
				        ag[i].acked[p]);
	return fclose(f) == 0 ? 0 : RW_EIO;
}

static void
lg_ingest_summary(const struct lg_cfg *cfg, struct lg_agent *ag, int64_t t0, int64_t t1)
{
	uint64_t changes = 0, reports = 0, errors = 0, reconnects = 0, refused = 0;
	for (int i = 0; i < cfg->agents; i++) {
		refused += ag[i].refused;
		changes += ag[i].acked_changes;
		reports += ag[i].acked_reports;
		errors += ag[i].errors;
		reconnects += ag[i].reconnects;
	}
	double secs = (double)(t1 - t0) / 1e6;
	printf("ingest: agents=%d pods/agent=%d changes/report=%d window=%.2fs\n", cfg->agents,
	       cfg->pods, cfg->changes, secs);
	printf("ingest: acked reports=%llu changes=%llu errors=%llu reconnects=%llu refused=%llu\n",
	       (unsigned long long)reports, (unsigned long long)changes,
	       (unsigned long long)errors, (unsigned long long)reconnects,
	       (unsigned long long)refused);
	printf("ingest: %.0f changes/s, %.0f reports/s (acknowledged = committed)\n",
	       (double)changes / secs, (double)reports / secs);
}

/* ------------------------------------------------------------------------ */
/* fanout                                                                   */

static void *
lg_fanout_agent(void *arg)
{
	struct lg_agent *a = arg;
	char msg[512];

	if (lg_open(a->cfg, a->crt, a->key, &a->l))
		return NULL;
	atomic_store(&a->ready, 1);
	while (!atomic_load(&lg_stop) && rw_now_us() < a->cfg->deadline_us) {
		wire_msg_t *req = wire_msg_new(WIRE_ACTION_WAIT, 0), *resp = NULL;
		int rv;

		if (!req)
			break;
		req->u.wait.wait_ms = 20000;
		rv = link_call_timeout(a->l, req, 25000, &resp, msg, sizeof(msg));
		wire_msg_free(req);
		if (rv != 0) {
			if (rv == RW_ECONNECT)
				break;       /* shut down by main, or server gone */
			a->errors++;
			usleep(100000);
			continue;
		}
		if (resp->u.assign.has) {
			int64_t now = rw_now_us();
			wire_msg_t *res = wire_msg_new(WIRE_ACTION_RESULT, 0), *ok = NULL;
			atomic_store(&a->got_us, now);
			atomic_store(&a->got_id, resp->u.assign.action.id);
			if (res) { /* finish it so the cluster is idle for the next round */
				res->u.progress.id = resp->u.assign.action.id;
				res->u.progress.ok = true;
				RW_STRCPY(res->u.progress.message, "bench");
				if (link_call(a->l, res, &ok, msg, sizeof(msg)) == 0)
					wire_msg_free(ok);
				wire_msg_free(res);
			}
		}
		wire_msg_free(resp);
	}
	return NULL;
}

static int
lg_cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Creates one action per cluster; returns 0 and fills lat[] (us) for those held in time. */
static int
lg_fanout_round(const struct lg_cfg *cfg, link_t *op, struct lg_agent *ag, int round,
                int64_t *lat, size_t *nlat, int64_t *all_us)
{
	int64_t *created = calloc((size_t)cfg->agents, sizeof(*created));
	int64_t *ids = calloc((size_t)cfg->agents, sizeof(*ids));
	int64_t first = 0, last = 0;
	char msg[512];
	int rv = 0;

	if (!created || !ids) {
		free(created);
		free(ids);
		return RW_ENOMEM;
	}
	for (int i = 0; i < cfg->agents && rv == 0; i++) {
		wire_msg_t *req = wire_msg_new(WIRE_ACTION_CREATE, 0), *resp = NULL;
		if (!req) {
			rv = RW_ENOMEM;
			break;
		}
		req->u.action.kind = RW_ACTION_SET_IMAGE;
		RW_STRCPY(req->u.action.cluster, ag[i].cluster);
		RW_STRCPY(req->u.action.namespace_, "bench");
		RW_STRCPY(req->u.action.name, "app");
		RW_STRCPY(req->u.action.container, "app");
		snprintf(req->u.action.image, sizeof(req->u.action.image), "ghcr.io/bench/app:r%d",
		         round);
		req->u.action.deadline = rw_now_us() + 60000000;
		created[i] = rw_now_us();
		if (i == 0)
			first = created[i];
		if ((rv = link_call(op, req, &resp, msg, sizeof(msg))) == 0) {
			ids[i] = resp->u.action.id;
			wire_msg_free(resp);
		} else {
			fprintf(stderr, "loadgen: action create: %s\n", msg);
		}
		wire_msg_free(req);
	}
	/* Wait (bounded) for every agent to hold its action. */
	int64_t until = rw_now_us() + 10000000;
	for (int i = 0; i < cfg->agents && rv == 0; i++) {
		while (atomic_load(&ag[i].got_id) != ids[i] && rw_now_us() < until)
			usleep(1000);
		if (atomic_load(&ag[i].got_id) == ids[i]) {
			int64_t got = atomic_load(&ag[i].got_us);
			lat[(*nlat)++] = got - created[i];
			if (got > last)
				last = got;
		}
	}
	*all_us = last - first;
	free(created);
	free(ids);
	return rv;
}

static void
lg_fanout_summary(const struct lg_cfg *cfg, int64_t *lat, size_t n, const int64_t *all_us)
{
	size_t want = (size_t)cfg->agents * (size_t)cfg->rounds;
	qsort(lat, n, sizeof(*lat), lg_cmp_i64);
	printf("fanout: agents=%d (one cluster each) rounds=%d actions held %zu/%zu\n", cfg->agents,
	       cfg->rounds, n, want);
	if (n == 0)
		return;
	printf("fanout: create->held p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       lg_ms(lat[n / 2]), lg_ms(lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]),
	       lg_ms(lat[n - 1]));
	for (int r = 0; r < cfg->rounds; r++)
		printf("fanout: round %d: first create -> every agent holding its action %.1f ms\n",
		       r + 1, lg_ms(all_us[r]));
}

static int
lg_fanout(const struct lg_cfg *cfg, struct lg_agent *ag)
{
	char crt[512], key[512];
	link_t *op = NULL;
	int64_t *lat = calloc((size_t)cfg->agents * (size_t)cfg->rounds, sizeof(*lat));
	int64_t *all = calloc((size_t)cfg->rounds, sizeof(*all));
	size_t n = 0;
	int rv;

	if (!lat || !all)
		rv = RW_ENOMEM;
	else if (!(rv = lg_ensure_cert(cfg->pki_dir, "operator", "bench-operator", crt, sizeof(crt),
	                               key, sizeof(key))))
		rv = lg_open(cfg, crt, key, &op);
	/* Give every agent time to park its first ActionWait. */
	usleep(1000000);
	for (int r = 0; rv == 0 && r < cfg->rounds && lg_time_left(cfg); r++) {
		rv = lg_fanout_round(cfg, op, ag, r + 1, lat, &n, &all[r]);
		usleep(300000); /* results land, agents park again */
	}
	if (rv == 0)
		lg_fanout_summary(cfg, lat, n, all);
	if (op)
		link_close(op);
	free(lat);
	free(all);
	return rv;
}

/* ------------------------------------------------------------------------ */

static void
lg_usage(void)
{
	fprintf(stderr,
	        "usage: loadgen ingest|fanout --server URL --pki-dir DIR [--agents N] [--pods N]\n"
	        "       [--changes N] [--reports N] [--seconds N] [--rounds N] [--prefix P]\n"
	        "       [--ack-log FILE] [--connect-retry-s N] [--interval-ms N] [--connect-parallel N]\n");
}

static int
lg_args(int argc, char **argv, struct lg_cfg *c)
{
	static const struct option opts[] = {
	    {"server", 1, 0, 's'}, {"pki-dir", 1, 0, 'p'}, {"agents", 1, 0, 'a'},
	    {"pods", 1, 0, 'n'},   {"changes", 1, 0, 'c'}, {"reports", 1, 0, 'r'},
	    {"seconds", 1, 0, 't'}, {"rounds", 1, 0, 'R'}, {"prefix", 1, 0, 'P'},
	    {"ack-log", 1, 0, 'A'}, {"connect-retry-s", 1, 0, 'C'}, {"interval-ms", 1, 0, 'I'},
	    {"connect-parallel", 1, 0, 'J'}, {0, 0, 0, 0}};
	int o;

	if (argc < 2)
		return RW_EINVAL;
	*c = (struct lg_cfg){.agents = 10, .pods = 110, .changes = 110, .reports = -1,
	                     .seconds = 10, .rounds = 3, .prefix = "bench", .open_retries_s = 20,
	                     .connect_parallel = 16};
	if (strcmp(argv[1], "ingest") == 0)
		c->mode = LG_INGEST;
	else if (strcmp(argv[1], "fanout") == 0)
		c->mode = LG_FANOUT;
	else
		return RW_EINVAL;
	optind = 2;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': c->url = optarg; break;
		case 'p': c->pki_dir = optarg; break;
		case 'a': c->agents = atoi(optarg); break;
		case 'n': c->pods = atoi(optarg); break;
		case 'c': c->changes = atoi(optarg); break;
		case 'r': c->reports = atol(optarg); break;
		case 't': c->seconds = atoi(optarg); break;
		case 'R': c->rounds = atoi(optarg); break;
		case 'P': c->prefix = optarg; break;
		case 'A': c->ack_log = optarg; break;
		case 'C': c->open_retries_s = atoi(optarg); break;
		case 'I': c->interval_ms = atoi(optarg); break;
		case 'J': c->connect_parallel = atoi(optarg); break;
		default: return RW_EINVAL;
		}
	}
	if (!c->url || !c->pki_dir || c->agents < 1 || c->agents > 20000 || c->pods < 1 ||
	    c->pods > 2000 || c->changes < 1 || c->changes > c->pods || c->seconds < 1 ||
	    c->seconds > 86400 || c->rounds < 1 || c->rounds > 1000 || c->interval_ms < 0 ||
	    c->interval_ms > 600000 || c->connect_parallel < 1 || c->connect_parallel > 10000)
		return RW_EINVAL;
	return 0;
}

static int
lg_setup_agents(const struct lg_cfg *cfg, struct lg_agent *ag)
{
	for (int i = 0; i < cfg->agents; i++) {
		char name[RW_ACTOR_MAX + 1];
		struct lg_agent *a = &ag[i];
		a->idx = i;
		a->cfg = cfg;
		if (cfg->mode == LG_FANOUT) {
			snprintf(a->cluster, sizeof(a->cluster), "%s-%d", cfg->prefix, i);
			RW_STRCPY(a->node, "node-1");
		} else {
			RW_STRCPY(a->cluster, cfg->prefix);
			snprintf(a->node, sizeof(a->node), "node-%d", i);
		}
		snprintf(name, sizeof(name), "%s/%s", a->cluster, a->node);
		if (lg_ensure_cert(cfg->pki_dir, "agent", name, a->crt, sizeof(a->crt), a->key,
		                   sizeof(a->key)))
			return RW_ECRYPTO;
		if (!(a->acked = malloc((size_t)cfg->pods * sizeof(*a->acked))))
			return RW_ENOMEM;
		for (int p = 0; p < cfg->pods; p++)
			a->acked[p] = -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct lg_cfg cfg;
	struct lg_agent *ag;
	int64_t t0, t1;
	int rv = 0, started = 0;

	if (lg_args(argc, argv, &cfg)) {
		lg_usage();
		return 2;
	}
	srand((unsigned)(getpid() ^ time(NULL)));
	if (sem_init(&lg_connect_sem, 0, (unsigned)cfg.connect_parallel) != 0)
		return 1;
	if (!(ag = calloc((size_t)cfg.agents, sizeof(*ag))) || lg_setup_agents(&cfg, ag))
		return 1;
	cfg.deadline_us = rw_now_us() + (int64_t)cfg.seconds * 1000000;
	t0 = rw_now_us();
	for (int i = 0; i < cfg.agents; i++, started++)
		if (pthread_create(&ag[i].th, NULL,
		                   cfg.mode == LG_INGEST ? lg_ingest_agent : lg_fanout_agent, &ag[i]))
			break;
	/* All sessions up (bounded by the deadline): fan-out starts its clock
	 * then; the soak measures rewindd's memory from then on. */
	for (int i = 0; i < started; i++)
		while (!atomic_load(&ag[i].ready) && lg_time_left(&cfg))
			usleep(10000);
	printf("%s: %d sessions up in %.1f s\n", cfg.mode == LG_FANOUT ? "fanout" : "ingest", started,
	       (double)(rw_now_us() - t0) / 1e6);
	fflush(stdout);
	if (cfg.mode == LG_FANOUT) {
		rv = lg_fanout(&cfg, ag);
		atomic_store(&lg_stop, 1);
		for (int i = 0; i < started; i++)
			if (ag[i].l)
				link_shutdown(ag[i].l); /* aborts the parked polls */
	}
	for (int i = 0; i < started; i++)
		pthread_join(ag[i].th, NULL);
	t1 = rw_now_us();
	if (cfg.mode == LG_INGEST) {
		lg_ingest_summary(&cfg, ag, t0, t1);
		if (cfg.ack_log && (rv = lg_write_acks(&cfg, ag)))
			fprintf(stderr, "loadgen: cannot write %s\n", cfg.ack_log);
	}
	for (int i = 0; i < cfg.agents; i++) {
		if (ag[i].l)
			link_close(ag[i].l);
		free(ag[i].acked);
	}
	free(ag);
	return rv == 0 && started == cfg.agents ? 0 : 1;
}
