/*
 * store_service — services: their rows, their deploy order, and the
 * services deployed in an environment.
 *
 * Not here: a service's settings (store_env.h, store_settings_set with
 * scope "service"), its releases (store_release.h).
 */
#ifndef REWIND_STORE_SERVICE_H
#define REWIND_STORE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/* Services.  RW_EEXIST when the name is taken. */
int store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc);
int store_service_get(store_t *st, const char *name, rw_service_t *out);
/* *out malloc'd, owned by the caller (free()). */
int store_service_list(store_t *st, rw_service_t **out, size_t *n);

/* A service with its deploy order. */
int store_service_order(store_t *st, const char *name, int *order);

/* Services deployed (ever) in the environment, in deploy order; *out malloc'd, owned by the caller. */
int store_env_services(store_t *st, int64_t env_id, rw_service_t **out, size_t *n);

#endif
