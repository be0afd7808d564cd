/*
 * store — the core of the store: the connection (open, close, ping, error
 * text), the transactions a caller groups store calls into, and the schema
 * migrations embedded at build time, applied under an advisory lock.
 *
 * What it does not do: any aggregate's SQL (store_catalog.c, store_coord.c, ...
 * own theirs), pool connections or lock between threads (one store_t per
 * thread), retry failed statements, or log SQL errors itself (callers log
 * store_errmsg()).  The statement and row helpers are store_sql.c's.
 *
 * Times cross the SQL boundary as unix microseconds through the schema's
 * rw_to_us() / rw_from_us() functions.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"
#include "log.h"
#include "store_migrations.h"
#include "store_sql.h"

/* pg_advisory_lock key serialising store_migrate() across processes ("RewndMig"). */
#define STORE_MIGRATE_LOCK_KEY "5937573838512712039"

/* ------------------------------------------------------------------------ */
/* Connection                                                                 */

/* Server NOTICEs ("relation already exists, skipping") go to the debug log, not stderr. */
static void
store_notice(void *arg, const char *message)
{
	char q[512];
	(void)arg;
	log_debug("store.notice", "msg=%s", log_q(q, sizeof q, message));
}

/*
 * libpq quotes pieces of a malformed connection string in its error, and
 * those may hold the password: check the syntax first and say only that.
 */
static int
store_conninfo_ok(const char *conninfo)
{
	PQconninfoOption *opts;
	char *perr = NULL;

	if (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
	    strncmp(conninfo, "postgres://", 11) != 0)
		return 1;                        /* a bare database name */
	opts = PQconninfoParse(conninfo, &perr);
	if (perr)
		PQfreemem(perr);
	if (!opts)
		return 0;
	PQconninfoFree(opts);
	return 1;
}

int
store_open(const char *conninfo, store_t **out, char *msg, size_t msgsz)
{
	/*
	 * Entries before dbname are defaults the conninfo may override; after it,
	 * forced.  JIT off: rewindd's statements are short, and on the audit
	 * queries over a large history JIT compilation cost more than the query
	 * (dora over 30 days of 1M releases: 2.8 s with it, 0.8 s without).
	 */
	const char *keys[] = {"application_name", "connect_timeout", "options", "dbname",
	                      "client_encoding", NULL};
	const char *vals[] = {"rewindd", "10", "-c jit=off", conninfo, "UTF8", NULL};
	store_t *st;
	int rv;

	if (msg && msgsz)
		msg[0] = '\0';
	if (!out)
		return RW_EINVAL;
	*out = NULL;
	if (!conninfo || !store_conninfo_ok(conninfo))
		return rw_fail(RW_EINVAL, msg, msgsz, "malformed database connection string");
	st = calloc(1, sizeof *st);
	if (!st)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	st->conn = PQconnectdbParams(keys, vals, 1);
	if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
		store_set_err(st, "%s", st->conn ? PQerrorMessage(st->conn) : "out of memory");
		rv = rw_fail(RW_EDB, msg, msgsz, "%s", st->err);
		store_close(st);
		return rv;
	}
	PQsetNoticeProcessor(st->conn, store_notice, NULL);
	*out = st;
	return 0;
}

void
store_close(store_t *st)
{
	if (st)
		PQfinish(st->conn);
	free(st);
}

const char *
store_errmsg(const store_t *st)
{
	return st ? st->err : "no store";
}

static int
store_probe(store_t *st)
{
	return PQstatus(st->conn) == CONNECTION_OK ? store_exec(st, "SELECT 1", 0, NULL, NULL)
	                                           : RW_EDB;
}

int
store_ping(store_t *st)
{
	if (!st)
		return RW_EINVAL;
	if (store_probe(st) == 0)
		return 0;
	log_warn("store.reconnect", "reason=\"connection unusable\"");
	st->depth = 0;
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	PQsetNoticeProcessor(st->conn, store_notice, NULL);
	return store_probe(st) ? RW_EDB : 0;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                               */

int
store_tx_begin(store_t *st)
{
	return st ? store_begin(st) : RW_EINVAL;
}

int
store_tx_end(store_t *st)
{
	if (PQtransactionStatus(st->conn) == PQTRANS_INERROR) {
		if (!st->err[0])
			store_set_err(st, "a statement of the transaction failed");
		return store_rollback(st, RW_EDB);
	}
	return store_end(st, 0);
}

void
store_tx_abort(store_t *st)
{
	(void)store_rollback(st, 0);
}

/* ------------------------------------------------------------------------ */
/* Migrations                                                                 */

/* 1: applied with the same text; 0: not applied.  A changed text is only warned about. */
static int
store_migration_done(store_t *st, const struct store_migration *m, int *done)
{
	char ver[STORE_I64_BUF];
	const char *params[2] = {store_i64(ver, m->version), m->sql};
	int64_t same;
	bool found;
	int rv = store_get_i64(st,
	                       "SELECT checksum = md5($2) FROM schema_migrations WHERE version = $1::int",
	                       2, params, &same, &found);
	if (rv)
		return rv;
	*done = found;
	if (found && !same)
		log_warn("store.migrate", "version=%d name=%s msg=\"applied text differs from the "
		         "embedded one (edited after release?)\"", m->version, m->name);
	return 0;
}

static int
store_migration_apply(store_t *st, const struct store_migration *m)
{
	char ver[STORE_I64_BUF];
	const char *params[3] = {store_i64(ver, m->version), m->name, m->sql};
	PGresult *res;
	int rv;

	if ((rv = store_begin(st)) != 0)
		return rv;
	/* Trusted SQL embedded at build time, possibly several statements: simple protocol. */
	res = PQexec(st->conn, m->sql);
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	             PQresultStatus(res) != PGRES_TUPLES_OK)) {
		rv = store_result_err(st, res);
		PQclear(res);
		log_error("store.migrate", "version=%d name=%s err=%s", m->version, m->name,
		          rw_errname(rv));
		return store_rollback(st, rv);
	}
	PQclear(res);
	rv = store_exec(st,
	                "INSERT INTO schema_migrations (version, name, checksum)"
	                " VALUES ($1::int, $2, md5($3))",
	                3, params, NULL);
	if ((rv = store_end(st, rv)) != 0)
		return rv;
	log_info("store.migrate", "version=%d name=%s applied=1", m->version, m->name);
	return 0;
}

/* Whether the schema_migrations table exists yet. */
static int
store_migrations_table(store_t *st, bool *exists)
{
	int64_t v;
	int rv = store_get_i64(st, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
	                       &v, NULL);
	if (rv == 0)
		*exists = v != 0;
	return rv;
}

/* Everything store_migrate() does while holding the advisory lock. */
static int
store_migrate_locked(store_t *st, unsigned *applied)
{
	int rv, done, version;
	bool exists;

	/*
	 * Create the table only when it is missing: CREATE ... IF NOT EXISTS
	 * needs CREATE on the schema even when the table exists, and rewindd
	 * runs as an application role without it (docs/audit.md, "Roles").
	 */
	if ((rv = store_migrations_table(st, &exists)) != 0)
		return rv;
	if (!exists)
		rv = store_exec(st,
		                "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                " version integer PRIMARY KEY,"
		                " name text NOT NULL,"
		                " checksum text NOT NULL DEFAULT '',"
		                " applied_at timestamptz NOT NULL DEFAULT now())",
		                0, NULL, NULL);
	if (rv)
		return rv;
	for (unsigned i = 0; i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];
		if ((rv = store_migration_done(st, m, &done)) != 0)
			return rv;
		if (done)
			continue;
		if ((rv = store_migration_apply(st, m)) != 0)
			return rv;
		(*applied)++;
	}
	if ((rv = store_schema_version(st, &version)) != 0)
		return rv;
	if (store_migrations_count > 0 &&
	    version > store_migrations[store_migrations_count - 1].version)
		log_warn("store.migrate", "version=%d known=%d msg=\"database is newer than this "
		         "binary\"", version, store_migrations[store_migrations_count - 1].version);
	return 0;
}

int
store_migrate(store_t *st, unsigned *applied)
{
	const char *key[1] = {STORE_MIGRATE_LOCK_KEY};
	unsigned count = 0;
	int rv;

	if (applied)
		*applied = 0;
	if (!st)
		return RW_EINVAL;
	/* Session-level lock: held across the per-migration transactions. */
	if ((rv = store_exec(st, "SELECT pg_advisory_lock($1::bigint)", 1, key, NULL)) != 0)
		return rv;
	rv = store_migrate_locked(st, &count);
	if (PQstatus(st->conn) == CONNECTION_OK) {
		char keep[sizeof st->err];
		memcpy(keep, st->err, sizeof keep);
		(void)store_exec(st, "SELECT pg_advisory_unlock($1::bigint)", 1, key, NULL);
		memcpy(st->err, keep, sizeof keep);
	}
	if (applied)
		*applied = count;
	return rv;
}

int
store_schema_version(store_t *st, int *version)
{
	int64_t v;
	bool exists;
	int rv;

	if (!st || !version)
		return RW_EINVAL;
	*version = 0;
	if ((rv = store_migrations_table(st, &exists)) != 0 || !exists)
		return rv;
	rv = store_get_i64(st, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
	                   &v, NULL);
	if (rv == 0)
		*version = (int)v;
	return rv;
}
