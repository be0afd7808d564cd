/*
 * rollout — kubectl's rollout-status decision (see rollout.h).  The order
 * of the checks is the contract: it is the order of kubectl's
 * DeploymentStatusViewer.Status.
 */
#include "rollout.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static int64_t
ro_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key)); /* 0 when absent or not an integer */
}

const char *
rollout_progress_reason(const json_t *status)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		if (type && !strcmp(type, "Progressing"))
			return json_string_value(json_object_get(c, "reason"));
	}
	return NULL;
}

int
rollout_evaluate(const json_t *d, struct rollout_status *out)
{
	memset(out, 0, sizeof(*out));
	const json_t *meta = json_object_get(d, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	if (!json_is_object(d) || !name) {
		snprintf(out->message, sizeof(out->message), "not a Deployment object (no metadata.name)");
		return RW_EINVAL;
	}
	const json_t *spec = json_object_get(d, "spec");
	const json_t *status = json_object_get(d, "status");
	const json_t *jrep = json_object_get(spec, "replicas");
	out->generation = ro_int(meta, "generation");
	out->observed_generation = ro_int(status, "observedGeneration");
	out->replicas = json_is_integer(jrep) ? (int32_t)json_integer_value(jrep) : -1;
	out->current = (int32_t)ro_int(status, "replicas");
	out->updated = (int32_t)ro_int(status, "updatedReplicas");
	out->available = (int32_t)ro_int(status, "availableReplicas");

	if (out->generation > out->observed_generation) {
		snprintf(out->message, sizeof(out->message), "Waiting for deployment spec update to be observed...");
		return 0;
	}
	const char *reason = rollout_progress_reason(status);
	if (reason && !strcmp(reason, "ProgressDeadlineExceeded")) {
		out->state = ROLLOUT_FAILED;
		snprintf(out->message, sizeof(out->message), "deployment \"%s\" exceeded its progress deadline", name);
		return 0;
	}
	if (out->replicas >= 0 && out->updated < out->replicas) {
		snprintf(out->message, sizeof(out->message),
		         "Waiting for deployment \"%s\" rollout to finish: %d out of %d new replicas have been updated...",
		         name, out->updated, out->replicas);
		return 0;
	}
	if (out->current > out->updated) {
		snprintf(out->message, sizeof(out->message),
		         "Waiting for deployment \"%s\" rollout to finish: %d old replicas are pending termination...",
		         name, out->current - out->updated);
		return 0;
	}
	if (out->available < out->updated) {
		snprintf(out->message, sizeof(out->message),
		         "Waiting for deployment \"%s\" rollout to finish: %d of %d updated replicas are available...",
		         name, out->available, out->updated);
		return 0;
	}
	out->state = ROLLOUT_DONE;
	snprintf(out->message, sizeof(out->message), "deployment \"%s\" successfully rolled out", name);
	return 0;
}
