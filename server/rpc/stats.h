/*
 * stats — rewindd's counters for its Prometheus endpoint: requests and
 * errors by message kind, agent reports, actions by outcome, probe results
 * received.  Lock-free (relaxed atomics): counters are advisory and read
 * only by the metrics scrape.  Rendering lives here too; serving is
 * shared/metrics.c's job.
 */
#ifndef REWIND_STATS_H
#define REWIND_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "wire.h"

void stats_request(enum wire_kind kind, int err);
void stats_report(size_t pods, size_t probes, uint64_t probe_latency_ms_sum, size_t probe_failures);
void stats_action(const char *outcome);   /* created | succeeded | failed | duplicate */

/* Gauges the server supplies at scrape time. */
struct stats_gauges {
	size_t sessions;      /* authenticated pipes */
	size_t agents;        /* of which agents */
	int parked;           /* long polls waiting */
};

void stats_render(metrics_buf_t *b, const struct stats_gauges *g);

#endif
