/*
 * rollout — decides whether a Deployment's rollout is done, waiting or
 * failed, exactly as `kubectl rollout status` does (kube-api-notes.md §2,
 * kubectl's DeploymentStatusViewer), with the same message texts.
 *
 * Pure: no I/O, no allocation.  It does not follow a rollout over time
 * (kaction.c does, with a watch) and knows nothing of --timeout.
 */
#ifndef REWIND_AGENT_ROLLOUT_H
#define REWIND_AGENT_ROLLOUT_H

#include <stdint.h>

#include <jansson.h>

enum rollout_state {
	ROLLOUT_WAITING = 0,  /* not finished yet: keep watching */
	ROLLOUT_DONE = 1,     /* "successfully rolled out" */
	ROLLOUT_FAILED = 2,   /* Progressing reason ProgressDeadlineExceeded */
};

struct rollout_status {
	enum rollout_state state;
	/* What kubectl prints, without the trailing newline; for FAILED the
	 * text after "error: " (deployment "x" exceeded its progress deadline). */
	char message[384];
	int64_t generation, observed_generation;
	int32_t replicas;        /* spec.replicas, -1 when absent */
	int32_t current;         /* status.replicas */
	int32_t updated;         /* status.updatedReplicas */
	int32_t available;       /* status.availableReplicas */
};

/*
 * Evaluates one Deployment object (as returned by GET or a watch event).
 * Returns 0 with *out filled, or RW_EINVAL when d is not an object with a
 * metadata.name (message says why).  Missing numbers count as 0, like Go's
 * zero values; a missing spec.replicas skips the "new replicas" check, as
 * kubectl does for a nil pointer.
 */
int rollout_evaluate(const json_t *d, struct rollout_status *out);

/*
 * The reason of a Deployment status's Progressing condition
 * ("NewReplicaSetAvailable", "ProgressDeadlineExceeded", ...), NULL when it
 * has none.  Borrowed from status: valid while status is.
 */
const char *rollout_progress_reason(const json_t *status);

#endif
