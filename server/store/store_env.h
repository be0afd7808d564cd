/*
 * store_env — environments: their rows, the coordinator's settings of an
 * environment or a service (rewindctl env|service set), an environment's
 * configuration as the coordinator reads it, and its application database.
 *
 * Not here: services themselves (store_service.h), what is deployed in an
 * environment (store_release.h, store_op.h).
 */
#ifndef REWIND_STORE_ENV_H
#define REWIND_STORE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

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

#endif
