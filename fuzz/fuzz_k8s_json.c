/*
 * fuzz_k8s_json — Kubernetes objects as the API server (or anything posing
 * as it) returns them: the input is parsed by jansson, then given to
 * podstate_from_json(), deploystate_from_json() and rollout_evaluate(),
 * whole and, when it is a List or watch event, item by item.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "podstate.h"
#include "rollout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_object(const json_t *o)
{
	rw_pod_state_t pod;
	rw_deploy_state_t dep;
	struct rollout_status rs;
	char ip[PODSTATE_IP_MAX + 1];
	char msg[256];

	podstate_from_json(o, "fuzz", &pod, ip, msg, sizeof(msg));
	podstate_from_json(o, "fuzz", &pod, NULL, msg, sizeof(msg));
	deploystate_from_json(o, "fuzz", &dep, msg, sizeof(msg));
	rollout_evaluate(o, &rs);
	/* The evaluator's message is printed by callers: it must be a string. */
	if (memchr(rs.message, '\0', sizeof(rs.message)) == NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	json_t *items, *obj, *it;
	size_t i;

	if (!root)
		return 0;
	one_object(root);
	if ((items = json_object_get(root, "items")) && json_is_array(items))
		json_array_foreach(items, i, it)
			one_object(it);
	if ((obj = json_object_get(root, "object")))
		one_object(obj);
	json_decref(root);
	return 0;
}
