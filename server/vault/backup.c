/*
 * backup — pg_dump and restore verification.  Programs run through proc.c
 * (posix_spawn, argv only, timeout); the password travels in PGPASSWORD of
 * the child only.  Every scratch database this creates is dropped again,
 * whatever happened in between.
 */
#include "backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appdb.h"
#include "err.h"
#include "log.h"
#include "pki.h"
#include "proc.h"

#define BACKUP_CONNINFO_MAX 4096

static void
program(const struct backup_cfg *cfg, const char *name, char *out, size_t outsz)
{
	if (cfg->pg_bin && *cfg->pg_bin)
		snprintf(out, outsz, "%s/%s", cfg->pg_bin, name);
	else
		snprintf(out, outsz, "%s", name);
}

int
backup_dump(const struct backup_cfg *cfg, const rw_env_db_t *db, rw_backup_t *b, char *msg,
            size_t msgsz)
{
	char conninfo[BACKUP_CONNINFO_MAX], pw[RW_URL_MAX + 1], tmp[1200], prog[1100], name[160];
	char err[400];
	uint8_t rnd[4];
	time_t now = time(NULL);
	struct tm tm;
	int fd, rv;

	if (appdb_conninfo(db->db_url, NULL, conninfo, sizeof(conninfo), pw, sizeof(pw)) != 0) {
		snprintf(msg, msgsz, "the environment's database URL cannot be parsed");
		return RW_EINVAL;
	}
	if ((rv = artstore_tmpfile(cfg->store, tmp, sizeof(tmp), &fd)) != 0) {
		snprintf(msg, msgsz, "cannot create a temp file in the artifact store");
		return rv;
	}
	close(fd);
	program(cfg, "pg_dump", prog, sizeof(prog));
	const char *argv[] = {prog, "-Fc", "--no-password", "-f", tmp, "-d", conninfo, NULL};
	struct proc_run pr = {.argv = argv, .password = pw[0] ? pw : NULL,
	                      .timeout_s = cfg->timeout_s};
	rv = proc_run(&pr, err, sizeof(err));
	memset(pw, 0, sizeof(pw));
	if (rv != 0) {
		unlink(tmp);
		snprintf(msg, msgsz, "pg_dump failed: %s", err);
		return rv;
	}
	/* Two dumps in one second must not collide on a name (names are never overwritten). */
	if (pki_random(rnd, sizeof(rnd)) != 0) {
		unlink(tmp);
		return RW_ECRYPTO;
	}
	gmtime_r(&now, &tm);
	snprintf(name, sizeof(name), "%s-pgdump-%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x%02x.dump",
	         db->env, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, rnd[0], rnd[1], rnd[2], rnd[3]);
	RW_STRCPY(b->env, db->env);
	RW_STRCPY(b->kind, "pg_dump");
	return artstore_adopt(cfg->store, tmp, name, b->sha256, &b->size, b->location,
	                      sizeof(b->location), msg, msgsz);
}

/* pg_restore into the scratch database, then the sanity queries. */
static int
restore_and_check(const struct backup_cfg *cfg, const rw_env_db_t *db, const char *file,
                  const char *scratch, char *result, size_t resultsz)
{
	char conninfo[BACKUP_CONNINFO_MAX], pw[RW_URL_MAX + 1], prog[1100], err[400];
	int rv;

	if (appdb_conninfo(db->db_url, scratch, conninfo, sizeof(conninfo), pw, sizeof(pw)) != 0) {
		snprintf(result, resultsz, "the environment's database URL cannot be parsed");
		return RW_EINVAL;
	}
	program(cfg, "pg_restore", prog, sizeof(prog));
	const char *argv[] = {prog, "--no-owner", "--no-privileges", "--exit-on-error",
	                      "--no-password", "-d", conninfo, file, NULL};
	struct proc_run pr = {.argv = argv, .password = pw[0] ? pw : NULL,
	                      .timeout_s = cfg->timeout_s};
	rv = proc_run(&pr, err, sizeof(err));
	memset(pw, 0, sizeof(pw));
	if (rv != 0) {
		snprintf(result, resultsz, "restore failed: %s", err);
		return rv;
	}
	if (db->n_sanity == 0) {
		snprintf(result, resultsz, "restored; no sanity queries configured");
		return 0;
	}
	rv = appdb_sanity(db->db_url, scratch, (const char(*)[RW_SQL_MAX + 1])db->sanity,
	                  db->n_sanity, result, resultsz);
	if (rv == 0)
		snprintf(result, resultsz, "restored; %zu sanity quer%s returned rows", db->n_sanity,
		         db->n_sanity == 1 ? "y" : "ies");
	return rv;
}

int
backup_verify(const struct backup_cfg *cfg, const rw_env_db_t *db, const rw_backup_t *b,
              char *result, size_t resultsz)
{
	char file[1200], outcome[16], scratch[64], why[400];
	uint8_t rnd[4];
	int rv;

	if (artstore_path(cfg->store, b->location, file, sizeof(file)) != 0) {
		snprintf(result, resultsz, "backup is not in this server's artifact store (%s)",
		         b->location);
		return RW_EINVAL;
	}
	rv = artstore_check(cfg->store, b->location, b->sha256, b->size, outcome, sizeof(outcome));
	if (rv != 0 || strcmp(outcome, "ok") != 0) {
		snprintf(result, resultsz, "dump file %s: %s", b->location, rv ? rw_strerror(rv) : outcome);
		return RW_ECRYPTO;
	}
	if (pki_random(rnd, sizeof(rnd)) != 0)
		return RW_ECRYPTO;
	snprintf(scratch, sizeof(scratch), "rewind_verify_%" PRId64 "_%02x%02x%02x%02x", b->id,
	         rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((rv = appdb_create(db->db_url, scratch, result, resultsz)) != 0)
		return rv;
	rv = restore_and_check(cfg, db, file, scratch, result, resultsz);
	if (appdb_drop(db->db_url, scratch, why, sizeof(why)) != 0) {
		char q[500];
		log_error("backup.scratch-left", "db=%s reason=%s", scratch, log_q(q, sizeof(q), why));
	}
	return rv;
}
