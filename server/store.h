/*
 * store — Rewind's release history in PostgreSQL (libpq).
 *
 * The only module that speaks SQL.  All statements are parameterised; libpq
 * results never leave this file: callers get domain structs (domain.h).
 * Every write runs in one transaction together with its audit-log row, so a
 * change is either recorded with its audit entry or not at all.
 *
 * A store_t is one database connection and is NOT thread-safe: rewindd gives
 * each worker thread its own.  Schema migrations are embedded in the binary
 * (server/migrations/NNNN_name.sql) and applied by store_migrate().
 */
#ifndef REWIND_STORE_H
#define REWIND_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

typedef struct store store_t;

/*
 * Connects with a libpq conninfo string or URI.  On success *out is owned by
 * the caller and freed with store_close().  On failure a reason (never the
 * password) is written to msg.
 */
int store_open(const char *conninfo, store_t **out, char *msg, size_t msgsz);
void store_close(store_t *st);

/* Re-establishes a broken connection; 0 when the connection is usable. */
int store_ping(store_t *st);

/* Last error text of the connection for logs (owned by st, valid until the next call). */
const char *store_errmsg(const store_t *st);

/*
 * Applies pending migrations, each in its own transaction, serialised across
 * processes with an advisory lock, so two servers starting at once are safe.
 * *applied (may be NULL) receives how many were applied now.
 */
int store_migrate(store_t *st, unsigned *applied);
/* Highest applied migration version (0 on an empty database). */
int store_schema_version(store_t *st, int *version);

/* Environments.  env->id and env->created_at are set on success. */
int store_env_add(store_t *st, const rw_actor_t *who, rw_env_t *env);
int store_env_get(store_t *st, const char *name, rw_env_t *out);
/* *out is malloc'd, owned by the caller (free()); *n rows. */
int store_env_list(store_t *st, rw_env_t **out, size_t *n);

/* Services.  RW_EEXIST when the name is taken. */
int store_service_add(store_t *st, const rw_actor_t *who, rw_service_t *svc);
int store_service_get(store_t *st, const char *name, rw_service_t *out);
int store_service_list(store_t *st, rw_service_t **out, size_t *n);

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

/* Audit log, newest first, filtered. */
int store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n);

/*
 * Appends an audit row outside any other change (e.g. a refused request worth
 * recording, or a login).  detail_json may be NULL.
 */
int store_audit_append(store_t *st, const rw_actor_t *who, const char *action,
                       const char *target, const char *detail_json, const char *reason);

#endif
