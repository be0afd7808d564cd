/*
 * rewind-agent — runs on every k3s node.  Reads its settings (flags, then
 * environment), finds its Kubernetes API (in-cluster service account or a
 * kubeconfig), proves which node it is with its certificate, and runs the
 * session with rewindd (agent/session.c) until SIGINT or SIGTERM.  Also
 * serves Prometheus metrics when asked to.
 */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kube.h"
#include "kubecfg.h"
#include "log.h"
#include "metrics.h"
#include "pki.h"
#include "session.h"

static void
usage(FILE *f)
{
	fprintf(f,
	        "Usage: rewind-agent --server URL [--server URL]... --ca FILE --cert FILE --key FILE\n"
	        "                    [--kubeconfig FILE [--context NAME]] [options]\n"
	        "\n"
	        "Reports this node's pods and health to rewindd and executes its actions.\n"
	        "\n"
	        "  --server URL          tls+tcp://HOST:PORT of a rewindd; repeat for failover\n"
	        "                        (env REWIND_SERVERS, comma-separated)\n"
	        "  --ca, --cert, --key   fleet CA, this agent's certificate and key (env REWIND_CA,\n"
	        "                        REWIND_CERT, REWIND_KEY); the certificate names CLUSTER/NODE\n"
	        "  --kubeconfig FILE     API server from a kubeconfig (server, CA, token); without it\n"
	        "                        the in-cluster service account is used\n"
	        "  --context NAME        kubeconfig context (default: current-context)\n"
	        "  --node NAME           must equal the certificate's NODE (env NODE_NAME)\n"
	        "  --pod-probe-url TMPL  how to reach a pod's health path (default\n"
	        "                        http://{podIP}:{port}{path}; also {namespace} {pod} {node})\n"
	        "  --pod-probe-port N    {port} in the template (default 80)\n"
	        "  --report-interval-ms N  until the server says otherwise (default 5000)\n"
	        "  --action-wait-ms N    long-poll length (default 20000)\n"
	        "  --action-concurrency N  actions carried out at once, each following its\n"
	        "                        rollout (default 8, at most 16); rewindd never gives\n"
	        "                        out two actions on one Deployment at once\n"
	        "  --metrics-listen HOST:PORT  serve Prometheus metrics on /metrics\n"
	        "  --log-level LEVEL     debug|info|warn|error\n"
	        "  --log-file FILE       append logs to FILE instead of stderr\n");
}

struct args {
	struct session_opts s;
	const char *kubeconfig, *context, *node, *metrics;
	char servers_env[2048];
	char cluster[RW_NAME_MAX + 1];
	char nodebuf[RW_POD_NAME_MAX + 1];
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int
add_server(struct args *a, const char *url)
{
	if (a->s.nservers >= SESSION_MAX_SERVERS) {
		fprintf(stderr, "rewind-agent: at most %d servers\n", SESSION_MAX_SERVERS);
		return 2;
	}
	a->s.servers[a->s.nservers++] = url;
	return 0;
}

static int
parse_num(const char *flag, const char *v, int lo, int hi, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < lo || n > hi) {
		fprintf(stderr, "rewind-agent: --%s must be %d..%d\n", flag, lo, hi);
		return 2;
	}
	*out = (int)n;
	return 0;
}

/* Returns 0 to run, 1 after --help, 2 on a usage error. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_SERVER = 256, O_CA, O_CERT, O_KEY, O_KCFG, O_CTX, O_NODE, O_TMPL, O_PORT,
	       O_INTERVAL, O_WAIT, O_METRICS, O_LEVEL, O_LOGFILE, O_CONC };
	static const struct option opts[] = {
	    {"server", 1, 0, O_SERVER},          {"ca", 1, 0, O_CA},
	    {"cert", 1, 0, O_CERT},              {"key", 1, 0, O_KEY},
	    {"kubeconfig", 1, 0, O_KCFG},        {"context", 1, 0, O_CTX},
	    {"node", 1, 0, O_NODE},              {"pod-probe-url", 1, 0, O_TMPL},
	    {"pod-probe-port", 1, 0, O_PORT},    {"report-interval-ms", 1, 0, O_INTERVAL},
	    {"action-wait-ms", 1, 0, O_WAIT},    {"action-concurrency", 1, 0, O_CONC},    {"metrics-listen", 1, 0, O_METRICS},
	    {"log-level", 1, 0, O_LEVEL},        {"log-file", 1, 0, O_LOGFILE},
	    {"help", 0, 0, 'h'},                 {0, 0, 0, 0}};
	int c, rv = 0;

	a->s.ca_path = env("REWIND_CA");
	a->s.cert_path = env("REWIND_CERT");
	a->s.key_path = env("REWIND_KEY");
	a->node = env("NODE_NAME");
	a->s.pod_probe_template = "http://{podIP}:{port}{path}";
	a->s.pod_probe_port = 80;
	a->s.report_interval_ms = 5000;
	a->s.action_wait_ms = 20000;
	a->s.action_concurrency = 8;
	while (rv == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_SERVER: rv = add_server(a, optarg); break;
		case O_CA: a->s.ca_path = optarg; break;
		case O_CERT: a->s.cert_path = optarg; break;
		case O_KEY: a->s.key_path = optarg; break;
		case O_KCFG: a->kubeconfig = optarg; break;
		case O_CTX: a->context = optarg; break;
		case O_NODE: a->node = optarg; break;
		case O_TMPL: a->s.pod_probe_template = optarg; break;
		case O_PORT: rv = parse_num("pod-probe-port", optarg, 1, 65535, &a->s.pod_probe_port); break;
		case O_INTERVAL:
			rv = parse_num("report-interval-ms", optarg, 100, 3600000, &a->s.report_interval_ms);
			break;
		case O_WAIT: rv = parse_num("action-wait-ms", optarg, 100, 300000, &a->s.action_wait_ms); break;
		case O_CONC: rv = parse_num("action-concurrency", optarg, 1, 16, &a->s.action_concurrency); break;
		case O_METRICS: a->metrics = optarg; break;
		case O_LEVEL:
			if (log_set_level_name(optarg) != 0) {
				fprintf(stderr, "rewind-agent: unknown log level \"%s\"\n", optarg);
				rv = 2;
			}
			break;
		case O_LOGFILE:
			if (log_set_file(optarg) != 0) {
				fprintf(stderr, "rewind-agent: cannot open log file %s\n", optarg);
				rv = 2;
			}
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (rv != 0)
		return rv;
	if (optind != argc) {
		fprintf(stderr, "rewind-agent: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (a->s.nservers == 0 && env("REWIND_SERVERS")) {
		char *save = NULL;
		snprintf(a->servers_env, sizeof(a->servers_env), "%s", env("REWIND_SERVERS"));
		for (char *t = strtok_r(a->servers_env, ",", &save); t && rv == 0;
		     t = strtok_r(NULL, ",", &save))
			rv = add_server(a, t);
	}
	if (rv == 0 && (a->s.nservers == 0 || !a->s.ca_path || !a->s.cert_path || !a->s.key_path)) {
		fprintf(stderr, "rewind-agent: give --server, --ca, --cert and --key (see --help)\n");
		rv = 2;
	}
	return rv;
}

/* The certificate decides who this agent is; --node may only confirm it. */
static int
identity(struct args *a)
{
	rw_actor_t who;
	char msg[300] = "";

	if (pki_cert_identity(a->s.cert_path, &who, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "rewind-agent: %s\n", msg);
		return 1;
	}
	if (who.role != RW_ROLE_AGENT ||
	    rw_agent_name_split(who.name, a->cluster, sizeof(a->cluster), a->nodebuf,
	                        sizeof(a->nodebuf)) != 0) {
		fprintf(stderr, "rewind-agent: %s is not an agent certificate named CLUSTER/NODE\n",
		        a->s.cert_path);
		return 1;
	}
	if (a->node && strcmp(a->node, a->nodebuf) != 0) {
		fprintf(stderr, "rewind-agent: this node is %s but the certificate is for %s\n", a->node,
		        who.name);
		return 1;
	}
	a->s.cluster = a->cluster;
	a->s.node = a->nodebuf;
	return 0;
}

static void
render(void *arg, metrics_buf_t *b)
{
	struct session_stats st;
	char l[64];
	session_get_stats(arg, &st);
	metrics_put(b, "rewind_agent_connected", "gauge", "1 while a session with rewindd is up", "",
	            st.connected);
	metrics_put(b, "rewind_agent_reports_total", "counter", "Reports sent", "", (double)st.reports_sent);
	metrics_put(b, "rewind_agent_report_errors_total", "counter", "Reports that failed", "",
	            (double)st.report_errors);
	metrics_put(b, "rewind_agent_full_reports_total", "counter", "Full snapshots sent", "",
	            (double)st.full_reports);
	metrics_put(b, "rewind_agent_resyncs_total", "counter", "Snapshots the server asked for", "",
	            (double)st.resyncs);
	snprintf(l, sizeof(l), "outcome=\"succeeded\"");
	metrics_put(b, "rewind_agent_actions_total", "counter", "Actions by outcome", l,
	            (double)st.actions_succeeded);
	metrics_sample(b, "rewind_agent_actions_total", "outcome=\"failed\"", (double)st.actions_failed);
	metrics_sample(b, "rewind_agent_actions_total", "outcome=\"duplicate\"",
	               (double)st.actions_duplicate);
	metrics_put(b, "rewind_agent_connects_total", "counter", "Sessions opened", "", (double)st.connects);
	metrics_put(b, "rewind_agent_pods", "gauge", "Pods on this node", "", (double)st.pods);
	metrics_put(b, "rewind_agent_pending_changes", "gauge", "Pod changes waiting to be reported",
	            "", (double)st.pending_changes);
	metrics_put(b, "rewind_agent_probes_total", "counter", "Health probes run", "",
	            (double)st.probes_run);
	metrics_put(b, "rewind_agent_probe_failures_total", "counter", "Health probes that failed", "",
	            (double)st.probes_failed);
	metrics_put(b, "rewind_agent_probe_latency_ms_sum", "counter", "Sum of probe latencies (ms)",
	            "", (double)st.probe_latency_ms_sum);
}

int
main(int argc, char **argv)
{
	struct args a;
	struct kubecfg kc;
	char msg[512] = "";
	session_t *s = NULL;
	metrics_server_t *m = NULL;
	sigset_t set;
	int rv, sig;

	/* Before any thread exists: glibc gives threads their own malloc arenas
	 * (up to 8 per core), and NNG alone starts 2 task threads per core; the
	 * agent's threads allocate little and rarely at once, so two arenas are
	 * plenty (docs/performance.md section 3). */
	mallopt(M_ARENA_MAX, 2);
	memset(&a, 0, sizeof(a));
	memset(&kc, 0, sizeof(kc));
	log_init("rewind-agent");
	if ((rv = parse_args(argc, argv, &a)) != 0)
		return rv == 1 ? 0 : 2;
	if (identity(&a) != 0)
		return 1;
	rv = a.kubeconfig ? kubecfg_load_file(a.kubeconfig, a.context, &kc, msg, sizeof(msg))
	                  : kubecfg_load_incluster(NULL, &kc, msg, sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "rewind-agent: Kubernetes API settings: %s\n", msg);
		return 1;
	}
	a.s.kube = &kc;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (kube_global_init() != 0) {
		fprintf(stderr, "rewind-agent: libcurl initialisation failed\n");
		kubecfg_clear(&kc);
		return 1;
	}
	if ((rv = session_start(&a.s, &s, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "rewind-agent: %s\n", msg[0] ? msg : rw_strerror(rv));
		kubecfg_clear(&kc);
		return 1;
	}
	if (a.metrics && metrics_start(a.metrics, render, s, &m, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "rewind-agent: %s\n", msg);
		session_stop(s);
		kubecfg_clear(&kc);
		return 1;
	}
	log_info("started", "cluster=%s node=%s api=%s servers=%zu", a.cluster, a.nodebuf, kc.server,
	         a.s.nservers);
	sigwait(&set, &sig);
	log_info("stopping", "signal=%d", sig);
	metrics_stop(m);
	session_stop(s);
	kube_global_cleanup();
	kubecfg_clear(&kc);
	log_info("stopped", "%s", "");
	return 0;
}
