/*
 * Measures podwatch's cost with 110 pods on one node (the kubelet's default
 * maximum): RSS and CPU of this process while it lists, idles on the watch,
 * and follows rollouts that replace 30 of the pods.  Run by
 * run_agent_it.sh against tests/agent/scenario-110pods.json; prints the
 * numbers and fails only on gross regressions (RSS > 64 MiB, pods != 110).
 * usage: bench_podwatch [idle_seconds]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "kube.h"
#include "kubecfg.h"
#include "log.h"
#include "podwatch.h"

#define NODE "k3s-load-1"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t snap_n;
static unsigned long changes, deploys;

static void
on_snapshot(void *arg, const rw_pod_state_t *pods, size_t n)
{
	(void)arg, (void)pods;
	pthread_mutex_lock(&mu);
	snap_n = n;
	pthread_mutex_unlock(&mu);
}

static void
on_change(void *arg, const rw_pod_state_t *p)
{
	(void)arg, (void)p;
	pthread_mutex_lock(&mu);
	changes++;
	pthread_mutex_unlock(&mu);
}

static void
on_deploy(void *arg, const rw_deploy_state_t *d)
{
	(void)arg, (void)d;
	pthread_mutex_lock(&mu);
	deploys++;
	pthread_mutex_unlock(&mu);
}

static double
cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmRSS / VmHWM in KiB from /proc/self/status. */
static long
proc_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void
phase(const char *name, double c0, double t0)
{
	double c = cpu_ms() - c0, t = now_s() - t0;
	pthread_mutex_lock(&mu);
	printf("%-28s wall %6.2f s  cpu %7.1f ms (%5.2f%% of one core)  RSS %5ld KiB  peak %5ld KiB  "
	       "pods %zu  changes %lu  deployment GETs delivered %lu\n", name, t, c, t > 0 ? c / (t * 10.0) : 0,
	       proc_kib("VmRSS"), proc_kib("VmHWM"), snap_n, changes, deploys);
	pthread_mutex_unlock(&mu);
}

int
main(int argc, char **argv)
{
	int idle = argc > 1 ? atoi(argv[1]) : 20;
	log_init("bench_podwatch");
	log_set_level(LOG_WARN);
	char msg[256];
	struct kubecfg cfg;
	if (kube_global_init() || kubecfg_load_file(getenv("AGENT_IT_KUBECONFIG"), NULL, &cfg, msg, sizeof(msg))) {
		fprintf(stderr, "setup: %s\n", msg);
		return 1;
	}
	printf("baseline (libs loaded)       RSS %5ld KiB\n", proc_kib("VmRSS"));
	struct podwatch_callbacks cb = {on_snapshot, on_change, on_deploy, NULL, NULL};
	podwatch_t *pw;
	double c0 = cpu_ms(), t0 = now_s();
	if (podwatch_start(&cfg, NODE, "load", &cb, NULL, &pw, msg, sizeof(msg))) {
		fprintf(stderr, "podwatch_start: %s\n", msg);
		return 1;
	}
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&mu);
		int ok = snap_n >= 110 && deploys >= 11;
		pthread_mutex_unlock(&mu);
		if (ok)
			break;
		usleep(10000);
	}
	phase("list 110 pods + 11 GETs", c0, t0);

	c0 = cpu_ms(), t0 = now_s();
	sleep((unsigned)idle);
	phase("idle watch", c0, t0);

	/* roll 3 deployments (30 pods replaced): patches from a separate client */
	kube_t *k;
	if (kube_new(&cfg, &k, msg, sizeof(msg)))
		return 1;
	c0 = cpu_ms(), t0 = now_s();
	for (int i = 0; i < 3; i++) {
		char path[256], body[256];
		json_t *out = NULL;
		snprintf(path, sizeof(path), "/apis/apps/v1/namespaces/load/deployments/svc-%02d?fieldManager=bench", i);
		snprintf(body, sizeof(body), "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"svc-%02d\","
		         "\"image\":\"ghcr.io/example/svc-%02d:v2\"}]}}}}", i, i);
		if (kube_patch(k, path, "application/strategic-merge-patch+json", body, &out, NULL, msg, sizeof(msg)))
			fprintf(stderr, "patch: %s\n", msg);
		json_decref(out);
	}
	sleep(10);
	phase("rollout of 30 pods (10 s)", c0, t0);
	kube_free(k);
	pthread_mutex_lock(&mu);
	size_t n = snap_n;
	pthread_mutex_unlock(&mu);
	struct podwatch_stats st;
	podwatch_get_stats(pw, &st);
	printf("podwatch stats: lists=%llu watches=%llu events=%llu errors=%llu deployment GETs=%llu pods now=%zu\n",
	       (unsigned long long)st.lists, (unsigned long long)st.watches, (unsigned long long)st.events,
	       (unsigned long long)st.errors, (unsigned long long)st.deploy_gets, st.pods);
	podwatch_stop(pw);
	long hwm = proc_kib("VmHWM");
	kubecfg_clear(&cfg);
	kube_global_cleanup();
	if (n != 110 || st.pods != 110 || hwm > 64 * 1024) {
		fprintf(stderr, "FAIL: pods %zu/%zu (want 110), peak RSS %ld KiB\n", n, st.pods, hwm);
		return 1;
	}
	return 0;
}
