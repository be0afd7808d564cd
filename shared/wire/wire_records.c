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
static const struct wire_field service_fields[] = {
	WIRE_NUM(SERVICE_T, id), WIRE_NUM(SERVICE_T, created_at), WIRE_STR(SERVICE_T, name, "name"),
	WIRE_STR(SERVICE_T, namespace_, "namespace"), WIRE_STR(SERVICE_T, deployment, "deployment"),
	WIRE_STR(SERVICE_T, container, "container"), WIRE_STR_AS(SERVICE_T, image_repo, image_repo, "image"),
	WIRE_STR(SERVICE_T, health_path, "health-path"),
	WIRE_STR(SERVICE_T, health_expect, "health-expect"),
};
static const struct wire_item service =
	WIRE_ITEM("service", rewind__v1__service, rw_service_t, service_fields);

#define ENV_ADD_T wire_msg_t, Rewind__V1__EnvAdd
static const struct wire_field env_add_fields[] = {WIRE_MSG(ENV_ADD_T, u.env, env, &wire_env_item)};
static const struct wire_item env_add = WIRE_ITEM(NULL, rewind__v1__env_add, wire_msg_t, env_add_fields);

#define ENV_LIST_OK_T wire_msg_t, Rewind__V1__EnvListOk
static const struct wire_field env_list_ok_fields[] = {
	WIRE_ITEMS(ENV_LIST_OK_T, &wire_env_item, LIST_MAX),
};
static const struct wire_item env_list_ok =
	WIRE_ITEM(NULL, rewind__v1__env_list_ok, wire_msg_t, env_list_ok_fields);

#define SERVICE_ADD_T wire_msg_t, Rewind__V1__ServiceAdd
static const struct wire_field service_add_fields[] = {
	WIRE_MSG(SERVICE_ADD_T, u.service, service, &service),
};
static const struct wire_item service_add =
	WIRE_ITEM(NULL, rewind__v1__service_add, wire_msg_t, service_add_fields);

#define SERVICE_GET_T wire_msg_t, Rewind__V1__ServiceGet
static const struct wire_field service_get_fields[] = {
	WIRE_STR_AS(SERVICE_GET_T, u.query.service, name, "name"),
};
static const struct wire_item service_get =
	WIRE_ITEM(NULL, rewind__v1__service_get, wire_msg_t, service_get_fields);

#define SERVICE_LIST_OK_T wire_msg_t, Rewind__V1__ServiceListOk
static const struct wire_field service_list_ok_fields[] = {
	WIRE_ITEMS(SERVICE_LIST_OK_T, &service, LIST_MAX),
};
static const struct wire_item service_list_ok =
	WIRE_ITEM(NULL, rewind__v1__service_list_ok, wire_msg_t, service_list_ok_fields);

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

static const struct wire_form forms[] = {
	WIRE_FORM(WIRE_ENV_ADD, &env_add), WIRE_FORM_AT(WIRE_ENV, &wire_env_item, u.env),
	WIRE_FORM(WIRE_ENV_LIST, &wire_empty_item), WIRE_FORM(WIRE_ENV_LIST_OK, &env_list_ok),
	WIRE_FORM(WIRE_SERVICE_ADD, &service_add), WIRE_FORM_AT(WIRE_SERVICE, &service, u.service),
	WIRE_FORM(WIRE_SERVICE_GET, &service_get), WIRE_FORM(WIRE_SERVICE_LIST, &wire_empty_item),
	WIRE_FORM(WIRE_SERVICE_LIST_OK, &service_list_ok),
};

const struct wire_family wire_records =
	WIRE_FAMILY("records", WIRE_ENV_ADD, WIRE_SERVICE_LIST_OK, forms, validate);
