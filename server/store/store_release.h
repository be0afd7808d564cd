/*
 * store_release — releases of services, a service's history (each release
 * with its deployments), and what runs where: the latest deployment of a
 * service in an environment and its known-good releases.
 *
 * Not here: creating deployments (operations do, store_op.h), artifacts of
 * a release (store_artifact.h).
 */
#ifndef REWIND_STORE_RELEASE_H
#define REWIND_STORE_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "store.h"

/*
 * Records a release of rel->service (RW_ENOTFOUND when the service does not
 * exist; RW_EEXIST when that service already has that version).  Sets id,
 * created_at and created_by (from who).
 */
int store_release_add(store_t *st, const rw_actor_t *who, rw_release_t *rel);
int store_release_get(store_t *st, int64_t id, rw_release_t *out);
int store_release_find(store_t *st, const char *service, const char *version, rw_release_t *out);
/* Newest first; service may be NULL/empty for all; limit 0 means RW_LIST_MAX. */
int store_release_list(store_t *st, const char *service, uint32_t limit, rw_release_t **out,
                       size_t *n);

/*
 * A service's history, newest first: every release with each of its
 * deployments (a release never deployed appears once with an empty env).
 * env may be NULL/empty for all environments; RW_ENOTFOUND for an unknown
 * service or environment.
 */
int store_history(store_t *st, const char *service, const char *env, uint32_t limit,
                  rw_history_row_t **out, size_t *n);

/* The latest deployment of a service in an environment (RW_ENOTFOUND: never deployed). */
struct store_current {
	int64_t deployment_id, op_id;
	rw_release_t release;
	char image[RW_IMAGE_MAX + 1];
	char state[16], outcome[16];
	bool known_good;
	int64_t started_at, finished_at;
};
int store_current(store_t *st, int64_t env_id, int64_t service_id, struct store_current *out);
/* Newest known-good release of the service in env other than exclude (RW_ENOTFOUND: none). */
int store_known_good(store_t *st, int64_t env_id, int64_t service_id, int64_t exclude_release,
                     rw_release_t *out);
int store_release_is_known_good(store_t *st, int64_t env_id, int64_t release_id, bool *good);

#endif
