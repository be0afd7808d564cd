/*
 * stats — counters as relaxed atomics; see stats.h.
 */
#include "stats.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static uint64_t requests[WIRE_KIND_COUNT];
static uint64_t errors[-RW_ERR_MIN + 1];
static uint64_t reports, report_pods, probes, probe_failures, probe_latency_sum;
static uint64_t actions_created, actions_succeeded, actions_failed, actions_duplicate;

static void
add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static double
get(const uint64_t *c)
{
	return (double)__atomic_load_n(c, __ATOMIC_RELAXED);
}

void
stats_request(enum wire_kind kind, int err)
{
	if ((unsigned)kind < WIRE_KIND_COUNT)
		add(&requests[kind], 1);
	if (err < 0 && err >= RW_ERR_MIN)
		add(&errors[-err], 1);
}

void
stats_report(size_t pods, size_t nprobes, uint64_t latency_sum, size_t failures)
{
	add(&reports, 1);
	add(&report_pods, pods);
	add(&probes, nprobes);
	add(&probe_latency_sum, latency_sum);
	add(&probe_failures, failures);
}

void
stats_action(const char *outcome)
{
	if (strcmp(outcome, "created") == 0)
		add(&actions_created, 1);
	else if (strcmp(outcome, "succeeded") == 0)
		add(&actions_succeeded, 1);
	else if (strcmp(outcome, "failed") == 0)
		add(&actions_failed, 1);
	else
		add(&actions_duplicate, 1);
}

void
stats_render(metrics_buf_t *b, const struct stats_gauges *g)
{
	char l[96];
	bool first = true;

	metrics_put(b, "rewind_server_sessions", "gauge", "Authenticated sessions", "", (double)g->sessions);
	metrics_put(b, "rewind_server_agents_connected", "gauge", "Authenticated agent sessions", "",
	            (double)g->agents);
	metrics_put(b, "rewind_server_parked_polls", "gauge", "Long polls waiting for work", "", g->parked);
	for (int k = 1; k < WIRE_KIND_COUNT; k++) {
		if (!get(&requests[k]))
			continue;
		snprintf(l, sizeof(l), "kind=\"%s\"", wire_kind_name((enum wire_kind)k));
		if (first)
			metrics_put(b, "rewind_server_requests_total", "counter", "Requests by message kind", l,
			            get(&requests[k]));
		else
			metrics_sample(b, "rewind_server_requests_total", l, get(&requests[k]));
		first = false;
	}
	first = true;
	for (int e = 1; e <= -RW_ERR_MIN; e++) {
		if (!get(&errors[e]))
			continue;
		snprintf(l, sizeof(l), "code=\"%s\"", rw_errname(-e));
		if (first)
			metrics_put(b, "rewind_server_errors_total", "counter", "Error replies by code", l,
			            get(&errors[e]));
		else
			metrics_sample(b, "rewind_server_errors_total", l, get(&errors[e]));
		first = false;
	}
	metrics_put(b, "rewind_server_reports_total", "counter", "Agent reports stored", "", get(&reports));
	metrics_put(b, "rewind_server_report_pods_total", "counter", "Pod states in agent reports", "",
	            get(&report_pods));
	metrics_put(b, "rewind_server_probes_total", "counter", "Probe results received", "", get(&probes));
	metrics_put(b, "rewind_server_probe_failures_total", "counter", "Failed probe results received",
	            "", get(&probe_failures));
	metrics_put(b, "rewind_server_probe_latency_ms_sum", "counter",
	            "Sum of reported probe latencies (ms)", "", get(&probe_latency_sum));
	metrics_put(b, "rewind_server_actions_total", "counter", "Actions by outcome",
	            "outcome=\"created\"", get(&actions_created));
	metrics_sample(b, "rewind_server_actions_total", "outcome=\"succeeded\"", get(&actions_succeeded));
	metrics_sample(b, "rewind_server_actions_total", "outcome=\"failed\"", get(&actions_failed));
	metrics_sample(b, "rewind_server_actions_total", "outcome=\"duplicate\"", get(&actions_duplicate));
}
