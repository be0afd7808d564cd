/*
 * appdb — the environment's APPLICATION database, as seen by backups: the
 * one other place (besides store.c) that speaks libpq, and only to split a
 * connection URL, create and drop scratch databases, and run the sanity
 * queries on a restored copy.  PGresult never leaves appdb.c.
 *
 * Secrets: the URL may hold a password.  appdb_conninfo() separates it so
 * that child processes get it through PGPASSWORD (not argv, where `ps` shows
 * it), and appdb_redact() gives the text that may be logged, audited or
 * sent back.  Error texts from here never contain the password.
 */
#ifndef REWIND_APPDB_H
#define REWIND_APPDB_H

#include <stddef.h>

#include "domain.h"

/*
 * conninfo of url without its password, with dbname replaced when dbname is
 * not NULL, as "key='value' ..." text; password (may be NULL) receives the
 * password or "".  RW_EINVAL for a URL libpq cannot parse.
 */
int appdb_conninfo(const char *url, const char *dbname, char *out, size_t outsz, char *password,
                   size_t pwsz);

/* The URL without its password, for logs, audit rows and replies. */
int appdb_redact(const char *url, char *out, size_t outsz);

/* CREATE DATABASE / DROP DATABASE (WITH FORCE) name on url's server. */
int appdb_create(const char *url, const char *name, char *msg, size_t msgsz);
int appdb_drop(const char *url, const char *name, char *msg, size_t msgsz);

/*
 * Connects to database name on url's server and runs each query: every one
 * must succeed and return at least one row.  On failure RW_EINVAL with the
 * failing query and the server's reason in msg.
 */
int appdb_sanity(const char *url, const char *name, const char (*queries)[RW_SQL_MAX + 1],
                 size_t n, char *msg, size_t msgsz);

#endif
