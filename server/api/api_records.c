/*
 * api_records — the release history's own records: environments,
 * services, releases and the deployment history of a service in an
 * environment.  Each handler is one store call and its refusal texts; the
 * one rule checked here rather than in the store is that a release ships
 * its service's own image.  Nothing here touches a cluster, an artifact or
 * the coordinator.
 */
#include "api_handlers.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "store_catalog.h"

/* --- environments and services ---------------------------------------------- */

/*
 * Defines the handler `name` of a request that adds the record it carries
 * (u.member) with the store's `add`: the reply (of kind) is the record as
 * stored, and a name already taken is refused with `taken`.  A macro
 * because environments and services differ only in their types.
 */
#define ADD_REQUEST(name, kind, member, add, taken)                                         \
	wire_msg_t *name(struct api_call *c)                                                 \
	{                                                                                    \
		wire_msg_t *m = api_reply(c, kind);                                          \
		if (!m)                                                                      \
			return NULL;                                                         \
		m->u.member = c->req->u.member;                                              \
		return api_result(c, m, add(c->ctx->store, &c->who, &m->u.member), RW_EEXIST, \
		                  taken);                                                    \
	}

ADD_REQUEST(api_env_add, WIRE_ENV, env, store_env_add,
            "an environment with that name already exists")
ADD_REQUEST(api_service_add, WIRE_SERVICE, service, store_service_add,
            "a service with that name already exists")

wire_msg_t *
api_service_get(struct api_call *c)
{
	char text[160];
	wire_msg_t *m = api_reply(c, WIRE_SERVICE);
	if (!m)
		return NULL;
	snprintf(text, sizeof(text), "service \"%s\" not found", c->req->u.query.service);
	return api_result(c, m, store_service_get(c->ctx->store, c->req->u.query.service,
	                                          &m->u.service),
	                  RW_ENOTFOUND, text);
}

/* --- releases ----------------------------------------------------------------- */

/* A release must ship the service's own image, or a rollback would deploy a stranger. */
static bool
release_image_ok(const rw_release_t *rel, const rw_service_t *svc)
{
	size_t rlen = strlen(svc->image_repo);
	return strncmp(rel->image_ref, svc->image_repo, rlen) == 0 && rel->image_ref[rlen] == ':';
}

wire_msg_t *
api_release_record(struct api_call *c)
{
	char text[1400];
	rw_release_t rel = c->req->u.release;
	rw_service_t svc;
	int rv = store_service_get(c->ctx->store, rel.service, &svc);

	if (rv == 0 && !release_image_ok(&rel, &svc)) {
		snprintf(text, sizeof(text), "image %s is not in the repository of service \"%s\" (%s)",
		         rel.image_ref, rel.service, svc.image_repo);
		return api_fail(c, RW_EINVAL, text);
	}
	if (rv == 0)
		rv = store_release_add(c->ctx->store, &c->who, &rel);
	if (rv == RW_ENOTFOUND) {
		snprintf(text, sizeof(text), "service \"%s\" not found", rel.service);
		return api_fail(c, rv, text);
	}
	if (rv != 0) {
		snprintf(text, sizeof(text), "service \"%s\" already has a release \"%s\"",
		         rel.service, rel.version);
		return api_fail_on(c, rv, RW_EEXIST, text);
	}
	return API_REPLY_WITH(c, WIRE_RELEASE, release, rel);
}

wire_msg_t *
api_release_get(struct api_call *c)
{
	const struct wire_query *q = &c->req->u.query;
	wire_msg_t *m = api_reply(c, WIRE_RELEASE);
	int rv;
	if (!m)
		return NULL;
	rv = q->id > 0 ? store_release_get(c->ctx->store, q->id, &m->u.release)
	               : store_release_find(c->ctx->store, q->service, q->version, &m->u.release);
	return api_result(c, m, rv, RW_ENOTFOUND, "release not found");
}

