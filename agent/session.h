/*
 * session — rewind-agent's side of the conversation with rewindd.
 *
 * Keeps one authenticated link to one of the configured servers (failing
 * over between them with jittered backoff), and runs two threads on it:
 *   - the reporter: probes the assigned health endpoints and sends node
 *     reports every interval (a full snapshot after each (re)connect or when
 *     the server saw a gap, otherwise only the changes, coalesced so the
 *     latest state of each pod wins and memory stays bounded);
 *   - the actor: long-polls for actions (parked on the server, so an action
 *     arrives within milliseconds), executes them against the Kubernetes API
 *     (kaction.c), reports progress (which renews the lease) and the result.
 * Kubernetes watching is podwatch.c's job; this module only consumes its
 * callbacks.  Nothing here blocks an NNG callback thread.
 */
#ifndef REWIND_AGENT_SESSION_H
#define REWIND_AGENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "kubecfg.h"

#define SESSION_MAX_SERVERS 8

struct session_opts {
	const char *servers[SESSION_MAX_SERVERS]; /* tls+tcp://HOST:PORT, tried in order */
	size_t nservers;
	const char *ca_path;
	const char *cert_path;
	const char *key_path;
	const char *cluster;           /* from the certificate name CLUSTER/NODE */
	const char *node;
	const struct kubecfg *kube;
	const char *pod_probe_template; /* e.g. http://{podIP}:{port}{path} */
	int pod_probe_port;
	int report_interval_ms;        /* until the server says otherwise */
	int action_wait_ms;            /* long-poll length */
	int action_concurrency;        /* actions carried out at once (default 1, at most 16) */
	size_t max_pods;               /* bound on tracked pods */
};

typedef struct session session_t;

/* Counters for metrics and tests (a snapshot). */
struct session_stats {
	uint64_t reports_sent, report_errors, full_reports, resyncs;
	uint64_t actions_succeeded, actions_failed, actions_duplicate;
	uint64_t connects, disconnects, probes_run, probes_failed;
	uint64_t probe_latency_ms_sum;
	int connected;
	size_t pods;
	size_t pending_changes;
};

/* Starts watching and talking; *out owned by the caller (session_stop()). */
int session_start(const struct session_opts *o, session_t **out, char *msg, size_t msgsz);
void session_stop(session_t *s);
void session_get_stats(session_t *s, struct session_stats *out);

#endif
