/*
 * appdb — libpq for the application database (see appdb.h).  Identifiers
 * that must go into SQL text (CREATE DATABASE cannot take parameters) are
 * quoted with PQescapeIdentifier, and are names Rewind generated anyway.
 */
#include "appdb.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"

/* Appends key='value' with libpq's quoting rules (\ and ' escaped). */
static int
kv_append(char *out, size_t outsz, size_t *len, const char *key, const char *val)
{
	int n = snprintf(out + *len, outsz - *len, "%s%s='", *len ? " " : "", key);
	if (n < 0 || (size_t)n >= outsz - *len)
		return RW_ETOOBIG;
	*len += (size_t)n;
	for (const char *p = val; *p; p++) {
		if (*len + 3 >= outsz)
			return RW_ETOOBIG;
		if (*p == '\\' || *p == '\'')
			out[(*len)++] = '\\';
		out[(*len)++] = *p;
	}
	if (*len + 2 >= outsz)
		return RW_ETOOBIG;
	out[(*len)++] = '\'';
	out[*len] = '\0';
	return 0;
}

static int
build(const char *url, const char *dbname, bool with_password, char *out, size_t outsz,
      char *password, size_t pwsz)
{
	PQconninfoOption *opts;
	char *perr = NULL;
	size_t len = 0;
	int rv = 0;

	out[0] = '\0';
	if (password && pwsz)
		password[0] = '\0';
	opts = PQconninfoParse(url, &perr);
	if (perr)
		PQfreemem(perr);  /* may quote the URL, password included: not passed on */
	if (!opts)
		return RW_EINVAL;
	for (PQconninfoOption *o = opts; o->keyword && rv == 0; o++) {
		const char *v = o->val;
		if (strcmp(o->keyword, "password") == 0) {
			if (v && password && rw_strcpy(password, pwsz, v) != 0)
				rv = RW_ETOOBIG;
			if (!with_password)
				continue;
		}
		if (strcmp(o->keyword, "dbname") == 0 && dbname)
			v = dbname;
		if (v && *v)
			rv = kv_append(out, outsz, &len, o->keyword, v);
	}
	PQconninfoFree(opts);
	return rv;
}

int
appdb_conninfo(const char *url, const char *dbname, char *out, size_t outsz, char *password,
               size_t pwsz)
{
	return build(url, dbname, false, out, outsz, password, pwsz);
}

int
appdb_redact(const char *url, char *out, size_t outsz)
{
	return build(url, NULL, false, out, outsz, NULL, 0);
}

/* Connects to url (or its server's database dbname); the error names no password. */
static PGconn *
connect_to(const char *url, const char *dbname, char *msg, size_t msgsz)
{
	char ci[4096];
	PGconn *c;

	if (build(url, dbname, true, ci, sizeof(ci), NULL, 0) != 0) {
		snprintf(msg, msgsz, "the database URL cannot be parsed");
		return NULL;
	}
	c = PQconnectdb(ci);
	memset(ci, 0, sizeof(ci));
	if (!c || PQstatus(c) != CONNECTION_OK) {
		/* libpq's connection errors name host and port, not the password. */
		snprintf(msg, msgsz, "cannot connect to the application database: %.300s",
		         c ? PQerrorMessage(c) : "out of memory");
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int
exec_ident(const char *url, const char *verb, const char *name, const char *suffix, char *msg,
           size_t msgsz)
{
	char sql[512];
	PGconn *c = connect_to(url, NULL, msg, msgsz);
	PGresult *res;
	char *id;
	int rv = 0;

	if (!c)
		return RW_ECONNECT;
	if (!(id = PQescapeIdentifier(c, name, strlen(name)))) {
		PQfinish(c);
		return RW_ENOMEM;
	}
	snprintf(sql, sizeof(sql), "%s %s%s", verb, id, suffix);
	PQfreemem(id);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(msg, msgsz, "%s: %.300s", verb, PQresultErrorMessage(res));
		rv = RW_EIO;
	}
	PQclear(res);
	PQfinish(c);
	return rv;
}

int
appdb_create(const char *url, const char *name, char *msg, size_t msgsz)
{
	return exec_ident(url, "CREATE DATABASE", name, "", msg, msgsz);
}

int
appdb_drop(const char *url, const char *name, char *msg, size_t msgsz)
{
	return exec_ident(url, "DROP DATABASE IF EXISTS", name, " WITH (FORCE)", msg, msgsz);
}

int
appdb_sanity(const char *url, const char *name, const char (*queries)[RW_SQL_MAX + 1],
             size_t n, char *msg, size_t msgsz)
{
	PGconn *c = connect_to(url, name, msg, msgsz);
	int rv = 0;

	if (!c)
		return RW_ECONNECT;
	PQclear(PQexec(c, "SET statement_timeout = '60s'"));
	for (size_t i = 0; i < n && rv == 0; i++) {
		PGresult *res = PQexecParams(c, queries[i], 0, NULL, NULL, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			snprintf(msg, msgsz, "sanity query %zu failed: %.300s", i + 1,
			         PQresultErrorMessage(res));
			rv = RW_EINVAL;
		} else if (PQntuples(res) < 1) {
			snprintf(msg, msgsz, "sanity query %zu returned no row", i + 1);
			rv = RW_EINVAL;
		}
		PQclear(res);
	}
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	PQfinish(c);
	return rv;
}
