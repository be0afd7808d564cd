/*
 * store_catalog — what can be deployed where: environments (with the
 * coordinator's settings of an environment or a service, an environment's
 * configuration as the coordinator reads it, and its application
 * database), services (their deploy order, the services deployed in an
 * environment), and releases (a service's history, the latest deployment
 * of a service in an environment, its known-good releases).
 *
 * Not here: creating deployments (operations do, store_coord.h), the files of
 * a release and backups of an environment (store_vault.h).
 */
#ifndef REWIND_STORE_CATALOG_H
#define REWIND_STORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

/* --- environments ------------------------------------------------------- */

/* Environments.  env->id and env->created_at are set on success. */
int store_env_add(store_t *st, const rw_actor_t *who, rw_env_t *env);
int store_env_get(store_t *st, const char *name, rw_env_t *out);
/* *out is malloc'd, owned by the caller (free()); *n rows. */
int store_env_list(store_t *st, rw_env_t **out, size_t *n);

/* An environment with the coordinator's settings. */
struct store_env_cfg {
	rw_env_t env;
	int observe_s, verify_s, action_timeout_s, smoke_timeout_s;
	char smoke_command[RW_SETTING_VALUE_MAX + 1];
	bool auto_rollback;
	char webhook_url[RW_URL_MAX + 1];
	char webhook_format[16];
	char promote_from[RW_NAME_MAX + 1];
};
int store_env_cfg_get(store_t *st, const char *env, struct store_env_cfg *out);
int store_env_cfg_by_id(store_t *st, int64_t env_id, struct store_env_cfg *out);

/*
 * Applies settings of an environment or a service (checked names; values
 * parsed here: RW_EINVAL with a reason in msg) with one audit row.  get
 * fills s->items with every setting of the scope.
 */
int store_settings_set(store_t *st, const rw_actor_t *who, const rw_settings_t *s, char *msg,
                       size_t msgsz);
int store_settings_get(store_t *st, rw_settings_t *s);

/*
 * The application database of an environment.  redacted_url (the URL
 * without its password) is what the audit row shows.  RW_ENOTFOUND for an
 * unknown environment (set) or one without a database (get).  get returns
 * the full URL: callers must not send or log it.
 */
int store_env_db_set(store_t *st, const rw_actor_t *who, rw_env_db_t *d, const char *redacted_url);
int store_env_db_get(store_t *st, const char *env, rw_env_db_t *out);

/* --- services ------------------------------------------------------------ */

/* Services.  RW_EEXIST when the name is taken. */
int store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc);
int store_service_get(store_t *st, const char *name, rw_service_t *out);
/* *out malloc'd, owned by the caller (free()). */
int store_service_list(store_t *st, rw_service_t **out, size_t *n);

/* A service with its deploy order. */
int store_service_order(store_t *st, const char *name, int *order);

/* Services deployed (ever) in the environment, in deploy order; *out malloc'd, the caller's. */
int store_env_services(store_t *st, int64_t env_id, rw_service_t **out, size_t *n);

/* --- releases ------------------------------------------------------------ */

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
