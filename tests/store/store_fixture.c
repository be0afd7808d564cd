/*
 * store_fixture — what the store tests (test_store*.c) share: a fresh
 * database per test (fx_setup/fx_teardown), the admin connection the group
 * opens, raw libpq helpers to set up what the store API does not offer and
 * to look at what it left behind, and builders of domain structs.
 *
 * Not here: any test case (the test_store*.c files).
 */
#include "store_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "domain.h"
#include "err.h"
#include "log.h"

#include "store_migrations.h"

static const char *g_url;
PGconn *g_admin;
static unsigned g_dbseq;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                    */

/* Appends key='value' (libpq quoting) to a conninfo buffer. */
static void
conninfo_add(char *buf, size_t cap, const char *key, const char *val)
{
	size_t o = strlen(buf);
	o += (size_t)snprintf(buf + o, cap - o, "%s%s='", o ? " " : "", key);
	for (const char *p = val; *p && o + 3 < cap; p++) {
		if (*p == '\'' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	assert_true(o + 2 < cap);
	buf[o++] = '\'';
	buf[o] = '\0';
}

/* PGTEST_URL with another database name, as a key=value conninfo. */
void
conninfo_for(const char *db, char *buf, size_t cap)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(g_url, &err);

	assert_non_null(opts);
	buf[0] = '\0';
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && *o->val && strcmp(o->keyword, "dbname") != 0)
			conninfo_add(buf, cap, o->keyword, o->val);
	conninfo_add(buf, cap, "dbname", db);
	PQconninfoFree(opts);
}

void
raw_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* Runs SQL expected to fail; returns its SQLSTATE in a static buffer. */
const char *
raw_fail_state(PGconn *c, const char *sql)
{
	static char state[8];
	PGresult *r = PQexec(c, sql);
	const char *s;

	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	snprintf(state, sizeof state, "%s", s ? s : "");
	PQclear(r);
	return state;
}

long long
raw_int(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long long v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(r));
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

PGconn *
raw_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, NULL, NULL);
	raw_ok(c, "SET client_min_messages = warning");
	return c;
}

void
db_create(char *name, size_t cap)
{
	char sql[160];
	snprintf(name, cap, "rwt_%d_%u", (int)getpid(), ++g_dbseq);
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	raw_ok(g_admin, sql);
}

void
db_drop(const char *name)
{
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	raw_ok(g_admin, sql);
}

rw_actor_t
actor(const char *name, enum rw_role role)
{
	rw_actor_t a;
	memset(&a, 0, sizeof a);
	assert_int_equal(RW_STRCPY(a.name, name), 0);
	a.role = role;
	return a;
}

rw_env_t
mk_env(const char *name, const char *cluster)
{
	rw_env_t e;
	memset(&e, 0, sizeof e);
	assert_int_equal(RW_STRCPY(e.name, name), 0);
	assert_int_equal(RW_STRCPY(e.cluster, cluster), 0);
	assert_int_equal(RW_STRCPY(e.health_url, "https://mr-dj.example/api/health"), 0);
	assert_int_equal(RW_STRCPY(e.health_expect, "{\"status\":\"ok\"}"), 0);
	return e;
}

rw_service_t
mk_service(const char *name)
{
	rw_service_t s;
	memset(&s, 0, sizeof s);
	assert_int_equal(RW_STRCPY(s.name, name), 0);
	assert_int_equal(RW_STRCPY(s.namespace_, "default"), 0);
	assert_int_equal(RW_STRCPY(s.deployment, name), 0);
	assert_int_equal(RW_STRCPY(s.container, name), 0);
	assert_int_equal(RW_STRCPY(s.image_repo, "ghcr.io/crisisk/mr-dj-frontend"), 0);
	assert_int_equal(RW_STRCPY(s.health_path, "/api/health"), 0);
	return s;
}

rw_release_t
mk_release(const char *service, const char *version)
{
	rw_release_t r;
	memset(&r, 0, sizeof r);
	assert_int_equal(RW_STRCPY(r.service, service), 0);
	assert_int_equal(RW_STRCPY(r.version, version), 0);
	snprintf(r.image_ref, sizeof r.image_ref, "ghcr.io/crisisk/mr-dj-frontend:%s", version);
	assert_int_equal(RW_STRCPY(r.digest, "sha256:0123456789abcdef0123456789abcdef"
	                                    "0123456789abcdef0123456789abcdef"), 0);
	assert_int_equal(RW_STRCPY(r.source_commit, "9f1c2ab"), 0);
	assert_int_equal(RW_STRCPY(r.notes, "release notes"), 0);
	return r;
}

void
assert_recent(int64_t us)
{
	int64_t d = rw_now_us() - us;
	if (d < 0)
		d = -d;
	assert_true(d < 60 * 1000000LL);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                   */

int
fx_setup_empty(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char msg[256];

	assert_non_null(f);
	db_create(f->db, sizeof f->db);
	conninfo_for(f->db, f->conninfo, sizeof f->conninfo);
	if (store_open(f->conninfo, &f->st, msg, sizeof msg) != 0)
		fail_msg("store_open: %s", msg);
	f->raw = raw_connect(f->conninfo);
	*state = f;
	return 0;
}

int
fx_setup(void **state)
{
	struct fx *f;
	fx_setup_empty(state);
	f = *state;
	if (store_migrate(f->st, NULL) != 0)
		fail_msg("store_migrate: %s", store_errmsg(f->st));
	return 0;
}

int
fx_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	PQfinish(f->raw);
	db_drop(f->db);
	free(f);
	return 0;
}

int
group_setup(void **state)
{
	(void)state;
	g_url = getenv("PGTEST_URL");
	if (!g_url || !*g_url) {
		fprintf(stderr, "test_store: PGTEST_URL is not set (run via run_store_tests.sh)\n");
		return -1;
	}
	g_admin = PQconnectdb(g_url);
	if (PQstatus(g_admin) != CONNECTION_OK) {
		fprintf(stderr, "test_store: %s\n", PQerrorMessage(g_admin));
		return -1;
	}
	PQsetNoticeProcessor(g_admin, NULL, NULL);
	return 0;
}

int
group_teardown(void **state)
{
	(void)state;
	PQfinish(g_admin);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The schema                                                                 */

static const char *const schema_tables[] = {
	"environments", "services", "releases",  "artifacts", "deployments",
	"backups",      "incidents", "actions",  "audit_log", "schema_migrations",
};

void
assert_schema(PGconn *c)
{
	char sql[256];
	for (size_t i = 0; i < sizeof schema_tables / sizeof schema_tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT (to_regclass('%s') IS NOT NULL)::int",
		         schema_tables[i]);
		if (raw_int(c, sql) != 1)
			fail_msg("table %s missing", schema_tables[i]);
	}
	assert_int_equal(raw_int(c, "SELECT count(*) FROM schema_migrations"),
	                 store_migrations_count);
	/* append-only (update/delete, truncate) and the hash chain (0006). */
	assert_int_equal(raw_int(c, "SELECT count(*) FROM pg_trigger WHERE tgrelid ="
	                            " 'audit_log'::regclass AND NOT tgisinternal"),
	                 3);
}
