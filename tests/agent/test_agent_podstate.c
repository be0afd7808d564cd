/* Unit tests for agent/podstate: Pod/Deployment JSON to report structs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "podstate.h"
#include "testlib.h"

static const char *pod_json =
    "{\"metadata\":{\"name\":\"mr-dj-frontend-7d9f8b6c5d-x2k4p\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"mr-dj-frontend\",\"pod-template-hash\":\"7d9f8b6c5d\"},"
    "\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"mr-dj-frontend-7d9f8b6c5d\",\"controller\":true}]},"
    "\"spec\":{\"nodeName\":\"k3s-agent-1\",\"containers\":[{\"name\":\"mr-dj-frontend\",\"image\":\"x:1\"}]},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.1.7\","
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],"
    "\"containerStatuses\":[{\"name\":\"mr-dj-frontend\",\"image\":\"ghcr.io/crisisk/mr-dj-frontend:v3-crash\","
    "\"imageID\":\"ghcr.io/crisisk/mr-dj-frontend@sha256:"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"ready\":false,\"restartCount\":3,"
    "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}";

static int
parse(const char *text, rw_pod_state_t *p, char *ip, char *msg)
{
	json_t *j = tl_json(text);
	int rc = podstate_from_json(j, "prod", p, ip, msg, 256);
	json_decref(j);
	return rc;
}

static void
test_pod(void **s)
{
	(void)s;
	rw_pod_state_t p;
	char ip[PODSTATE_IP_MAX + 1], msg[256] = "";
	assert_int_equal(parse(pod_json, &p, ip, msg), 0);
	assert_string_equal(p.cluster, "prod");
	assert_string_equal(p.namespace_, "default");
	assert_string_equal(p.name, "mr-dj-frontend-7d9f8b6c5d-x2k4p");
	assert_string_equal(p.node, "k3s-agent-1");
	assert_string_equal(p.deployment, "mr-dj-frontend");
	assert_string_equal(p.phase, "Running");
	assert_false(p.ready);
	assert_int_equal(p.ncontainers, 1);
	assert_string_equal(p.containers[0].image, "ghcr.io/crisisk/mr-dj-frontend:v3-crash");
	assert_string_equal(p.containers[0].image_digest,
	                    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(p.containers[0].restarts, 3);
	assert_string_equal(p.containers[0].waiting_reason, "CrashLoopBackOff");
	assert_string_equal(ip, "10.42.1.7");
	assert_true(p.observed_at > 0);
}

static void
test_digest(void **s)
{
	(void)s;
	assert_string_equal(podstate_digest("docker-pullable://nginx@sha256:abc"), "sha256:abc");
	assert_string_equal(podstate_digest("sha256:def"), "sha256:def");
	assert_string_equal(podstate_digest("nginx:1.25"), "");
	assert_string_equal(podstate_digest("weird-sha256:x"), "");
	assert_string_equal(podstate_digest(NULL), "");
}

static void
test_pending_and_owners(void **s)
{
	(void)s;
	rw_pod_state_t p;
	char msg[256] = "";
	/* no status yet: containers from spec; no owner; no ip param */
	assert_int_equal(parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},"
	                       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i:1\"}]}}", &p, NULL, msg), 0);
	assert_int_equal(p.ncontainers, 1);
	assert_string_equal(p.containers[0].image, "i:1");
	assert_string_equal(p.deployment, "");
	assert_string_equal(p.phase, "");
	/* RS name not ending in -<hash>: no guess */
	assert_int_equal(parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"labels\":"
	                       "{\"pod-template-hash\":\"abc\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\","
	                       "\"name\":\"web-xyz\",\"controller\":true}]}}", &p, NULL, msg), 0);
	assert_string_equal(p.deployment, "");
	/* a StatefulSet owner is not a deployment */
	assert_int_equal(parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"labels\":"
	                       "{\"pod-template-hash\":\"abc\"},\"ownerReferences\":[{\"kind\":\"StatefulSet\","
	                       "\"name\":\"db-abc\"}]}}", &p, NULL, msg), 0);
	assert_string_equal(p.deployment, "");
	/* ready condition */
	assert_int_equal(parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"conditions\":"
	                       "[{\"type\":\"Ready\",\"status\":\"True\"}]}}", &p, NULL, msg), 0);
	assert_true(p.ready);
}

static void
test_garbage(void **s)
{
	(void)s;
	rw_pod_state_t p;
	char msg[256] = "";
	static const char *bad[] = {
		"[]", "{}", "{\"metadata\":[]}", "{\"metadata\":{\"name\":\"p\"}}",
		"{\"metadata\":{\"name\":1,\"namespace\":\"n\"}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"phase\":7}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":{}}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":[7]}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":[{\"image\":\"x\"}]}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":"
		"[{\"name\":\"c\",\"restartCount\":\"3\"}]}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":"
		"[{\"name\":\"c\",\"ready\":\"yes\"}]}}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"spec\":\"x\"}",
		"{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"ownerReferences\":{}}}",
		NULL};
	for (int i = 0; bad[i]; i++) {
		int rc = parse(bad[i], &p, NULL, msg);
		if (rc != RW_EINVAL)
			fail_msg("case %d: rc %d for %s", i, rc, bad[i]);
	}
	assert_int_equal(podstate_from_json(NULL, "c", &p, NULL, msg, sizeof(msg)), RW_EINVAL);
}

static void
test_too_long(void **s)
{
	(void)s;
	rw_pod_state_t p;
	char msg[256] = "";
	char *big = malloc(4096), *name = malloc(300);
	memset(name, 'a', 299);
	name[299] = '\0';
	snprintf(big, 4096, "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"n\"}}", name);
	assert_int_equal(parse(big, &p, NULL, msg), RW_ETOOBIG);
	snprintf(big, 4096, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"containerStatuses\":"
	         "[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},{\"name\":\"d\"},{\"name\":\"e\"}]}}");
	assert_int_equal(parse(big, &p, NULL, msg), RW_ETOOBIG);
	snprintf(big, 4096, "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\"status\":{\"podIP\":\"%s\"}}", name);
	char ip[PODSTATE_IP_MAX + 1];
	assert_int_equal(parse(big, &p, ip, msg), RW_ETOOBIG);
	free(big);
	free(name);
}

static void
test_deployment(void **s)
{
	(void)s;
	json_t *d = json_loads("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"generation\":4},"
	    "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:2\"},"
	    "{\"name\":\"side\",\"image\":\"s:1\"}]}}},\"status\":{\"observedGeneration\":3,\"updatedReplicas\":1,"
	    "\"readyReplicas\":2,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Progressing\","
	    "\"reason\":\"ReplicaSetUpdated\"}]}}", 0, NULL);
	rw_deploy_state_t ds;
	char msg[256] = "";
	assert_int_equal(deploystate_from_json(d, "prod", &ds, msg, sizeof(msg)), 0);
	assert_string_equal(ds.name, "web");
	assert_int_equal(ds.ncontainers, 2);
	assert_string_equal(ds.containers[1].image, "s:1");
	assert_int_equal(ds.generation, 4);
	assert_int_equal(ds.observed_generation, 3);
	assert_int_equal(ds.replicas, 3);
	assert_int_equal(ds.updated, 1);
	assert_int_equal(ds.ready, 2);
	assert_int_equal(ds.available, 2);
	assert_string_equal(ds.progressing_reason, "ReplicaSetUpdated");
	json_decref(d);
	d = json_loads("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":\"3\"}}", 0, NULL);
	assert_int_equal(deploystate_from_json(d, "prod", &ds, msg, sizeof(msg)), RW_EINVAL);
	json_decref(d);
	d = json_loads("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"template\":"
	               "{\"spec\":{\"containers\":[1]}}}}", 0, NULL);
	assert_int_equal(deploystate_from_json(d, "prod", &ds, msg, sizeof(msg)), RW_EINVAL);
	json_decref(d);
	d = json_loads("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}", 0, NULL);
	assert_int_equal(deploystate_from_json(d, "prod", &ds, msg, sizeof(msg)), 0);
	assert_int_equal(ds.replicas, 1); /* API default */
	json_decref(d);
}

TL_MAIN("tests", NULL, NULL,
	test_pod, test_digest, test_pending_and_owners, test_garbage, test_too_long, test_deployment)
