/*
 * podstate — Pod/Deployment JSON to report structs (see podstate.h).
 */
#include "podstate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "rollout.h"

/*
 * Copies the string at o[key] into dst.  Absent (or JSON null) gives '' when
 * optional; a non-string is RW_EINVAL; too long is RW_ETOOBIG.
 */
static int
ps_str(char *dst, size_t cap, const json_t *o, const char *key, int required, char *msg, size_t msgsz)
{
	const json_t *v = json_object_get(o, key);
	dst[0] = '\0';
	if (!v || json_is_null(v))
		return required ? rw_fail(RW_EINVAL, msg, msgsz, "missing %s", key) : 0;
	if (!json_is_string(v))
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is not a string", key);
	if (json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "%s longer than %zu bytes or has NUL", key, cap - 1);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Integer field; absent gives 0, wrong type RW_EINVAL. */
static int
ps_int(int64_t *dst, const json_t *o, const char *key, char *msg, size_t msgsz)
{
	const json_t *v = json_object_get(o, key);
	*dst = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is not an integer", key);
	*dst = json_integer_value(v);
	return 0;
}

static int
ps_int32(int32_t *dst, const json_t *o, const char *key, char *msg, size_t msgsz)
{
	int64_t v;
	int rc = ps_int(&v, o, key, msg, msgsz);
	if (rc)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return rw_fail(RW_EINVAL, msg, msgsz, "%s out of range", key);
	*dst = (int32_t)v;
	return 0;
}

static int
ps_obj(const json_t **dst, const json_t *o, const char *key, char *msg, size_t msgsz)
{
	const json_t *v = json_object_get(o, key);
	*dst = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is not an object", key);
	*dst = v;
	return 0;
}

static int
ps_arr(const json_t **dst, const json_t *o, const char *key, char *msg, size_t msgsz)
{
	const json_t *v = json_object_get(o, key);
	*dst = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return rw_fail(RW_EINVAL, msg, msgsz, "%s is not an array", key);
	*dst = v;
	return 0;
}

const char *
podstate_digest(const char *image_id)
{
	if (!image_id)
		return "";
	const char *p = strstr(image_id, "sha256:");
	if (!p || (p != image_id && p[-1] != '@'))
		return "";
	return p;
}

/* Deployment name from the controlling ReplicaSet owner. */
static int
ps_owner(const json_t *meta, rw_pod_state_t *out, char *msg, size_t msgsz)
{
	const json_t *refs, *labels;
	int rc;
	if ((rc = ps_arr(&refs, meta, "ownerReferences", msg, msgsz)) ||
	    (rc = ps_obj(&labels, meta, "labels", msg, msgsz)))
		return rc;
	const char *hash = json_string_value(json_object_get(labels, "pod-template-hash"));
	size_t i;
	json_t *r;
	json_array_foreach(refs, i, r) {
		const char *kind = json_string_value(json_object_get(r, "kind"));
		const char *name = json_string_value(json_object_get(r, "name"));
		json_t *ctl = json_object_get(r, "controller");
		if (!kind || strcmp(kind, "ReplicaSet") || !name || (ctl && !json_is_true(ctl)))
			continue;
		size_t n = strlen(name), h = hash ? strlen(hash) : 0;
		/* Only when the RS name really ends in -<hash>: otherwise we would guess. */
		if (!h || n <= h + 1 || name[n - h - 1] != '-' || strcmp(name + n - h, hash))
			return 0;
		if (n - h - 1 > RW_POD_NAME_MAX)
			return rw_fail(RW_ETOOBIG, msg, msgsz, "owner name too long");
		memcpy(out->deployment, name, n - h - 1);
		out->deployment[n - h - 1] = '\0';
		return 0;
	}
	return 0;
}

static int
ps_container_status(const json_t *cs, rw_container_state_t *c, char *msg, size_t msgsz)
{
	char image_id[RW_IMAGE_MAX + 128];
	const json_t *state, *waiting;
	int64_t restarts;
	int rc;
	if (!json_is_object(cs))
		return rw_fail(RW_EINVAL, msg, msgsz, "containerStatuses entry is not an object");
	if ((rc = ps_str(c->name, sizeof(c->name), cs, "name", 1, msg, msgsz)) ||
	    (rc = ps_str(c->image, sizeof(c->image), cs, "image", 0, msg, msgsz)) ||
	    (rc = ps_str(image_id, sizeof(image_id), cs, "imageID", 0, msg, msgsz)) ||
	    (rc = ps_int(&restarts, cs, "restartCount", msg, msgsz)) ||
	    (rc = ps_obj(&state, cs, "state", msg, msgsz)) ||
	    (rc = ps_obj(&waiting, state, "waiting", msg, msgsz)) ||
	    (rc = ps_str(c->waiting_reason, sizeof(c->waiting_reason), waiting, "reason", 0, msg, msgsz)))
		return rc;
	const json_t *ready = json_object_get(cs, "ready");
	if (ready && !json_is_boolean(ready))
		return rw_fail(RW_EINVAL, msg, msgsz, "ready is not a boolean");
	c->ready = json_is_true(ready);
	c->restarts = restarts < 0 ? 0 : restarts > INT32_MAX ? INT32_MAX : (int32_t)restarts;
	const char *d = podstate_digest(image_id);
	if (strlen(d) > RW_DIGEST_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "image digest too long");
	snprintf(c->image_digest, sizeof(c->image_digest), "%s", d);
	return 0;
}

static int
ps_containers(const json_t *spec, const json_t *status, rw_pod_state_t *out, char *msg, size_t msgsz)
{
	const json_t *list;
	int rc;
	bool from_status = true;
	if ((rc = ps_arr(&list, status, "containerStatuses", msg, msgsz)))
		return rc;
	if (!list || json_array_size(list) == 0) {
		from_status = false;
		if ((rc = ps_arr(&list, spec, "containers", msg, msgsz)))
			return rc;
	}
	if (json_array_size(list) > RW_MAX_CONTAINERS)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "more than %d containers", RW_MAX_CONTAINERS);
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		rw_container_state_t *cs = &out->containers[i];
		if (from_status)
			rc = ps_container_status(c, cs, msg, msgsz);
		else if (!json_is_object(c))
			rc = rw_fail(RW_EINVAL, msg, msgsz, "containers entry is not an object");
		else if (!(rc = ps_str(cs->name, sizeof(cs->name), c, "name", 1, msg, msgsz)))
			rc = ps_str(cs->image, sizeof(cs->image), c, "image", 0, msg, msgsz);
		if (rc)
			return rc;
	}
	out->ncontainers = (uint32_t)json_array_size(list);
	return 0;
}

static bool
ps_ready(const json_t *status)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (type && st && !strcmp(type, "Ready"))
			return !strcmp(st, "True");
	}
	return false;
}

int
podstate_from_json(const json_t *pod, const char *cluster, rw_pod_state_t *out,
                   char ip[PODSTATE_IP_MAX + 1], char *msg, size_t msgsz)
{
	const json_t *meta, *spec, *status;
	int rc;
	memset(out, 0, sizeof(*out));
	if (ip)
		ip[0] = '\0';
	if (!json_is_object(pod))
		return rw_fail(RW_EINVAL, msg, msgsz, "pod is not a JSON object");
	if ((rc = ps_obj(&meta, pod, "metadata", msg, msgsz)) ||
	    (rc = ps_obj(&spec, pod, "spec", msg, msgsz)) ||
	    (rc = ps_obj(&status, pod, "status", msg, msgsz)))
		return rc;
	if (!meta)
		return rw_fail(RW_EINVAL, msg, msgsz, "pod has no metadata");
	if (rw_strcpy(out->cluster, sizeof(out->cluster), cluster ? cluster : ""))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "cluster name too long");
	if ((rc = ps_str(out->name, sizeof(out->name), meta, "name", 1, msg, msgsz)) ||
	    (rc = ps_str(out->namespace_, sizeof(out->namespace_), meta, "namespace", 1, msg, msgsz)) ||
	    (rc = ps_str(out->node, sizeof(out->node), spec, "nodeName", 0, msg, msgsz)) ||
	    (rc = ps_str(out->phase, sizeof(out->phase), status, "phase", 0, msg, msgsz)) ||
	    (rc = ps_owner(meta, out, msg, msgsz)) ||
	    (rc = ps_containers(spec, status, out, msg, msgsz)))
		return rc;
	if (ip && (rc = ps_str(ip, PODSTATE_IP_MAX + 1, status, "podIP", 0, msg, msgsz)))
		return rc;
	out->ready = ps_ready(status);
	out->observed_at = rw_now_us();
	return 0;
}

int
deploystate_from_json(const json_t *d, const char *cluster, rw_deploy_state_t *out, char *msg, size_t msgsz)
{
	const json_t *meta, *spec, *status, *tmpl, *tspec, *containers;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!json_is_object(d))
		return rw_fail(RW_EINVAL, msg, msgsz, "deployment is not a JSON object");
	if ((rc = ps_obj(&meta, d, "metadata", msg, msgsz)) || (rc = ps_obj(&spec, d, "spec", msg, msgsz)) ||
	    (rc = ps_obj(&status, d, "status", msg, msgsz)) || (rc = ps_obj(&tmpl, spec, "template", msg, msgsz)) ||
	    (rc = ps_obj(&tspec, tmpl, "spec", msg, msgsz)) ||
	    (rc = ps_arr(&containers, tspec, "containers", msg, msgsz)))
		return rc;
	if (!meta)
		return rw_fail(RW_EINVAL, msg, msgsz, "deployment has no metadata");
	if (rw_strcpy(out->cluster, sizeof(out->cluster), cluster ? cluster : ""))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "cluster name too long");
	const json_t *jrep = json_object_get(spec, "replicas");
	int64_t replicas = 1; /* the API server's default */
	if ((rc = ps_str(out->name, sizeof(out->name), meta, "name", 1, msg, msgsz)) ||
	    (rc = ps_str(out->namespace_, sizeof(out->namespace_), meta, "namespace", 1, msg, msgsz)) ||
	    (rc = ps_int(&out->generation, meta, "generation", msg, msgsz)) ||
	    (rc = ps_int(&out->observed_generation, status, "observedGeneration", msg, msgsz)) ||
	    (jrep && (rc = ps_int(&replicas, spec, "replicas", msg, msgsz))) ||
	    (rc = ps_int32(&out->updated, status, "updatedReplicas", msg, msgsz)) ||
	    (rc = ps_int32(&out->ready, status, "readyReplicas", msg, msgsz)) ||
	    (rc = ps_int32(&out->available, status, "availableReplicas", msg, msgsz)))
		return rc;
	if (replicas < 0 || replicas > INT32_MAX)
		return rw_fail(RW_EINVAL, msg, msgsz, "spec.replicas out of range");
	out->replicas = (int32_t)replicas;
	if (json_array_size(containers) > RW_MAX_CONTAINERS)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "more than %d containers", RW_MAX_CONTAINERS);
	size_t i;
	json_t *c;
	json_array_foreach(containers, i, c) {
		if (!json_is_object(c))
			return rw_fail(RW_EINVAL, msg, msgsz, "containers entry is not an object");
		if ((rc = ps_str(out->containers[i].name, sizeof(out->containers[i].name), c, "name", 1, msg, msgsz)) ||
		    (rc = ps_str(out->containers[i].image, sizeof(out->containers[i].image), c, "image", 0, msg, msgsz)))
			return rc;
	}
	out->ncontainers = (uint32_t)json_array_size(containers);
	const char *reason = rollout_progress_reason(status);
	if (reason && rw_strcpy(out->progressing_reason, sizeof(out->progressing_reason), reason))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "progressing reason too long");
	out->observed_at = rw_now_us();
	return 0;
}
