/*
 * wire_records — the records family: environments and services (add, get,
 * list).  Tables only, and the domain checks of its requests; the records
 * themselves are the store's business, not this file's.
 */
#include <stddef.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

/* Lists of records, as wire.c has always bounded them. */
#define LIST_MAX (RW_LIST_MAX * 10)

#define SERVICE_T rw_service_t, Rewind__V1__Service
WIRE_DEFINE(service, "service", rewind__v1__service, SERVICE_T,
	WIRE_NUM(SERVICE_T, id), WIRE_NUM(SERVICE_T, created_at), WIRE_STR(SERVICE_T, name, "name"),
	WIRE_STR(SERVICE_T, namespace_, "namespace"), WIRE_STR(SERVICE_T, deployment, "deployment"),
	WIRE_STR(SERVICE_T, container, "container"), WIRE_STR_AS(SERVICE_T, image_repo, image_repo, "image"),
	WIRE_STR(SERVICE_T, health_path, "health-path"),
	WIRE_STR(SERVICE_T, health_expect, "health-expect"));

static int
validate(struct dec *d, const wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_ENV_ADD:
		return rw_env_check(&m->u.env, d->msg, d->msgsz);
	case WIRE_SERVICE_ADD:
		return rw_service_check(&m->u.service, d->msg, d->msgsz);
	case WIRE_SERVICE_GET:
		return rw_check_name("service", m->u.query.service, d->msg, d->msgsz);
	default:
		return 0;
	}
}

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FLAT(WIRE_ENV_ADD, WIRE_MSG(WIRE_M(EnvAdd), u.env, env, &wire_env_item)),
	WIRE_FORM_AT(WIRE_ENV, &wire_env_item, u.env),
	WIRE_FORM(WIRE_ENV_LIST, &wire_empty_item),
	WIRE_FLAT(WIRE_ENV_LIST_OK, WIRE_ITEMS(WIRE_M(EnvListOk), &wire_env_item, LIST_MAX)),
	WIRE_FLAT(WIRE_SERVICE_ADD, WIRE_MSG(WIRE_M(ServiceAdd), u.service, service, &service)),
	WIRE_FORM_AT(WIRE_SERVICE, &service, u.service),
	WIRE_FLAT(WIRE_SERVICE_GET, WIRE_STR_AS(WIRE_M(ServiceGet), u.query.service, name, "name")),
	WIRE_FORM(WIRE_SERVICE_LIST, &wire_empty_item),
	WIRE_FLAT(WIRE_SERVICE_LIST_OK, WIRE_ITEMS(WIRE_M(ServiceListOk), &service, LIST_MAX)),
};

const struct wire_family wire_records =
	WIRE_FAMILY("records", WIRE_ENV_ADD, WIRE_SERVICE_LIST_OK, forms, validate);
