/*
 * store — Rewind's release history in PostgreSQL (libpq): the connection,
 * transactions a caller groups calls into, and the schema migrations.
 *
 * The store is the only module that speaks SQL.  All statements are
 * parameterised; libpq results never leave server/store/: callers get domain
 * structs (domain.h).  Every write runs in one transaction together with its
 * audit-log row, so a change is either recorded with its audit entry or not
 * at all.
 *
 * This header is the core only.  Each aggregate has its own header, which
 * includes this one: store_catalog.h (environments and their settings,
 * services, releases and what runs where), store_vault.h (artifacts,
 * backups), store_audit.h (audit queries, the ledger, the audit log),
 * store_agents.h (reports, status, probes, health facts), store_action.h
 * (the action queue), store_coord.h (operations, steps, observation),
 * store_incident.h, store_webhook.h (the webhook queue), store_channel.h
 * (LISTEN/NOTIFY between rewindd processes).
 *
 * A store_t is one database connection and is NOT thread-safe: rewindd gives
 * each worker thread its own.  Schema migrations are embedded in the binary
 * (server/store/migrations/NNNN_name.sql) and applied by store_migrate().
 */
#ifndef REWIND_STORE_H
#define REWIND_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * Groups the calls between them into one transaction (the calls' own
 * transactions become savepoints).  store_tx_end commits, or rolls back and
 * returns RW_EDB when a statement inside failed; store_tx_abort rolls back.
 */
int store_tx_begin(store_t *st);
int store_tx_end(store_t *st);
void store_tx_abort(store_t *st);

#endif
