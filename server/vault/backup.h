/*
 * backup — database snapshots of an environment's application database:
 * pg_dump -Fc into the artifact store, and restore verification (restore
 * into a scratch database, run the environment's sanity queries, drop it).
 *
 * Runs on a worker thread (it blocks for as long as pg_dump/pg_restore run,
 * bounded by the timeout).  Records nothing in the release history: the
 * handler stores what this returns.
 */
#ifndef REWIND_BACKUP_H
#define REWIND_BACKUP_H

#include <stddef.h>

#include "artifacts.h"
#include "domain.h"
#include "store.h"

struct backup_cfg {
	artstore_t *store;
	const char *pg_bin;   /* directory of pg_dump/pg_restore; NULL: from PATH */
	int timeout_s;        /* per program run */
};

/* Dumps db into the store; fills b (env, kind "pg_dump", location, sha256, size). */
int backup_dump(const struct backup_cfg *cfg, const rw_env_db_t *db, rw_backup_t *b, char *msg,
                size_t msgsz);

/*
 * Verifies b by restoring it.  0 when it restored and every sanity query
 * returned a row; otherwise an error, with the human reason in result
 * (which is also what the backup's record shows).
 */
int backup_verify(const struct backup_cfg *cfg, const rw_env_db_t *db, const rw_backup_t *b,
                  char *result, size_t resultsz);

#endif
