/*
 * probe — health probes: HTTP GETs run in parallel with libcurl's multi
 * interface, judged like the runbook's "200 and the expected JSON payload".
 *
 * It does not decide what to probe (the server assigns targets; the caller
 * expands pod URLs with probe_pod_url) and does not retry.  Redirects are
 * not followed; only http and https are allowed.
 */
#ifndef REWIND_AGENT_PROBE_H
#define REWIND_AGENT_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "podstate.h"

#define PROBE_BODY_MAX (64u * 1024)

/* One request.  All strings borrowed for the duration of probe_run. */
struct probe_req {
	uint32_t target_id;
	const char *subject;     /* pod name or the URL */
	const char *url;
	const char *expect;      /* JSON object the body must contain; NULL or "" = any body */
	int expect_status;       /* 0 = 200 */
	int timeout_ms;          /* 0 = probe_run's timeout_ms */
};

/*
 * Runs n requests in parallel and fills results[i] for reqs[i] (target_id,
 * subject, url, ok, http_status, latency_ms, error, at).  timeout_ms is the
 * default per-request timeout.  Returns 0 (individual failures are in the
 * results), RW_EINVAL for bad arguments, RW_ENOMEM.
 */
int probe_run(const struct probe_req *reqs, size_t n, int timeout_ms, rw_probe_result_t *results);

/*
 * True when body (len bytes) is JSON containing every field of the JSON
 * object expect, recursively: objects match by key (extra keys allowed),
 * arrays and scalars must be equal (1 and 1.0 are equal).  expect NULL or
 * "" matches anything.  On false, why gets a reason such as
 * `$.status: expected "ok", got "error"`.
 */
bool probe_json_matches(const char *body, size_t len, const char *expect, char *why, size_t whysz);

/*
 * Expands a URL template with {podIP} {port} {path} {namespace} {pod}
 * {node}, e.g. "http://{podIP}:{port}{path}" or, for the simulator,
 * "http://127.0.0.1:18081/pods/{namespace}/{pod}{path}".  pod_ip is passed
 * separately because rw_pod_state_t has no field for it.  Returns 0,
 * RW_EINVAL (unknown placeholder, unclosed brace, {podIP} with no IP, a
 * value with characters unsafe in a URL) or RW_ETOOBIG.
 */
int probe_pod_url(const char *tmpl, const rw_pod_state_t *pod, const char *pod_ip, const char *path,
                  int port, char *out, size_t outsz);

#endif
