/*
 * test_store — the store (server/store.c) against a real PostgreSQL.
 *
 * Needs PGTEST_URL (a libpq URI of a database on a server where the user may
 * CREATE DATABASE); tests/store/run_store_tests.sh starts a private server
 * with tests/lib/pgtest.sh and sets it.  Every test gets a fresh database,
 * dropped afterwards, so tests neither share state nor depend on order.
 *
 * Besides the store API, tests use a second, raw libpq connection to the same
 * database to set up fixtures the API does not offer yet (deployments, old
 * audit rows) and to look at what the store left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "domain.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_agent.h"
#include "store_audit.h"
#include "store_env.h"
#include "store_migrations.h"
#include "store_release.h"
#include "store_service.h"

struct fx {
	char db[64];
	char conninfo[2048];
	store_t *st;
	PGconn *raw;
};

static const char *g_url;
static PGconn *g_admin;
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
static void
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

static void
raw_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

/* Runs SQL expected to fail; returns its SQLSTATE in a static buffer. */
static const char *
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

static long long
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

static PGconn *
raw_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, NULL, NULL);
	raw_ok(c, "SET client_min_messages = warning");
	return c;
}

static void
db_create(char *name, size_t cap)
{
	char sql[160];
	snprintf(name, cap, "rwt_%d_%u", (int)getpid(), ++g_dbseq);
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	raw_ok(g_admin, sql);
}

static void
db_drop(const char *name)
{
	char sql[160];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	raw_ok(g_admin, sql);
}

static rw_actor_t
actor(const char *name, enum rw_role role)
{
	rw_actor_t a;
	memset(&a, 0, sizeof a);
	assert_int_equal(RW_STRCPY(a.name, name), 0);
	a.role = role;
	return a;
}

static rw_env_t
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

static rw_service_t
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

static rw_release_t
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

static void
assert_recent(int64_t us)
{
	int64_t d = rw_now_us() - us;
	if (d < 0)
		d = -d;
	assert_true(d < 60 * 1000000LL);
}

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                   */

static int
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

static int
fx_setup(void **state)
{
	struct fx *f;
	fx_setup_empty(state);
	f = *state;
	if (store_migrate(f->st, NULL) != 0)
		fail_msg("store_migrate: %s", store_errmsg(f->st));
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	PQfinish(f->raw);
	db_drop(f->db);
	free(f);
	return 0;
}

static int
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

static int
group_teardown(void **state)
{
	(void)state;
	PQfinish(g_admin);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Migrations                                                                 */

static int
last_version(void)
{
	return store_migrations[store_migrations_count - 1].version;
}

static void
test_migrate_idempotent(void **state)
{
	struct fx *f = *state;
	unsigned applied = 99;
	int version = -1;

	assert_true(store_migrations_count >= 1);
	assert_int_equal(store_schema_version(f->st, &version), 0);
	assert_int_equal(version, 0);

	assert_int_equal(store_migrate(f->st, &applied), 0);
	assert_int_equal(applied, store_migrations_count);
	assert_int_equal(store_schema_version(f->st, &version), 0);
	assert_int_equal(version, last_version());

	assert_int_equal(store_migrate(f->st, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(store_migrate(f->st, NULL), 0);
	assert_int_equal(store_schema_version(f->st, &version), 0);
	assert_int_equal(version, last_version());
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM schema_migrations"),
	                 store_migrations_count);
	/* The session lock was released: another session can take it at once. */
	assert_int_equal(raw_int(f->raw, "SELECT pg_try_advisory_lock(5937573838512712039)::int"),
	                 1);
	raw_ok(f->raw, "SELECT pg_advisory_unlock(5937573838512712039)");
}

static const char *const schema_tables[] = {
	"environments", "services", "releases",  "artifacts", "deployments",
	"backups",      "incidents", "actions",  "audit_log", "schema_migrations",
};

static void
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

/* A child: connect, wait on the barrier, migrate; exit 10+applied or 1. */
static void
migrate_child(const char *conninfo, int barrier)
{
	store_t *st = NULL;
	unsigned applied = 0;
	char msg[256], c;

	if (store_open(conninfo, &st, msg, sizeof msg) != 0)
		_exit(2);
	while (read(barrier, &c, 1) > 0)
		;
	if (store_migrate(st, &applied) != 0) {
		fprintf(stderr, "child %d: %s\n", (int)getpid(), store_errmsg(st));
		_exit(1);
	}
	store_close(st);
	_exit(10 + (int)applied);
}

/*
 * Several rounds of two processes migrating the same fresh database at the
 * same instant: both succeed, exactly one applies each migration.
 */
static void
test_migrate_concurrent(void **state)
{
	(void)state;
	for (int round = 0; round < 5; round++) {
		char db[64], conninfo[2048];
		pid_t pids[2];
		int p[2], total = 0;
		PGconn *c;

		db_create(db, sizeof db);
		conninfo_for(db, conninfo, sizeof conninfo);
		assert_int_equal(pipe(p), 0);
		fflush(NULL);
		for (int k = 0; k < 2; k++) {
			pids[k] = fork();
			assert_true(pids[k] >= 0);
			if (pids[k] == 0) {
				close(p[1]);
				migrate_child(conninfo, p[0]);
			}
		}
		close(p[0]);
		usleep(100 * 1000);     /* let both connect and block on the barrier */
		close(p[1]);            /* release both at once */
		for (int k = 0; k < 2; k++) {
			int ws = 0;
			assert_int_equal(waitpid(pids[k], &ws, 0), pids[k]);
			assert_true(WIFEXITED(ws));
			if (WEXITSTATUS(ws) < 10)
				fail_msg("round %d: child %d failed with %d", round, k, WEXITSTATUS(ws));
			total += WEXITSTATUS(ws) - 10;
		}
		assert_int_equal(total, (int)store_migrations_count);
		c = raw_connect(conninfo);
		assert_schema(c);
		PQfinish(c);
		db_drop(db);
	}
}

/* ------------------------------------------------------------------------ */
/* Environments, services, releases                                           */

static void
test_env_add_get_list(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_env_t prod = mk_env("production", "k3s-main");
	rw_env_t stag = mk_env("staging", "k3s-main");
	rw_env_t got, *list = NULL;
	size_t n = 99;

	assert_int_equal(store_env_list(f->st, &list, &n), 0);
	assert_null(list);
	assert_int_equal(n, 0);

	assert_int_equal(store_env_add(f->st, &admin, &stag), 0);
	assert_int_equal(store_env_add(f->st, &admin, &prod), 0);
	assert_true(prod.id > 0 && stag.id > 0 && prod.id != stag.id);
	assert_recent(prod.created_at);

	memset(&got, 0, sizeof got);
	assert_int_equal(store_env_get(f->st, "production", &got), 0);
	assert_int_equal(got.id, prod.id);
	assert_string_equal(got.name, "production");
	assert_string_equal(got.cluster, "k3s-main");
	assert_string_equal(got.health_url, prod.health_url);
	assert_string_equal(got.health_expect, "{\"status\":\"ok\"}");
	assert_int_equal(got.created_at, prod.created_at);

	assert_int_equal(store_env_get(f->st, "nope", &got), RW_ENOTFOUND);

	assert_int_equal(store_env_list(f->st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "production");   /* by name */
	assert_string_equal(list[1].name, "staging");
	free(list);

	/* Its audit row: action, target, actor, role, detail. */
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log WHERE action = 'env.add'"
	                                 " AND target = 'env/production' AND actor = 'alice'"
	                                 " AND role = 'admin'"
	                                 " AND detail->>'cluster' = 'k3s-main'"),
	                 1);
}

static void
test_service_add_get_list(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_service_t fe = mk_service("mr-dj-frontend"), be = mk_service("misterdj-backend");
	rw_service_t got, *list = NULL;
	size_t n = 0;

	assert_int_equal(RW_STRCPY(fe.health_expect, "{\"status\": \"ok\", \"db\": true}"), 0);
	assert_int_equal(store_service_add(f->st, &admin, &fe), 0);
	assert_int_equal(store_service_add(f->st, &admin, &be), 0);
	assert_true(fe.id > 0);
	assert_recent(fe.created_at);

	assert_int_equal(store_service_get(f->st, "mr-dj-frontend", &got), 0);
	assert_int_equal(got.id, fe.id);
	assert_string_equal(got.namespace_, "default");
	assert_string_equal(got.deployment, "mr-dj-frontend");
	assert_string_equal(got.container, "mr-dj-frontend");
	assert_string_equal(got.image_repo, "ghcr.io/crisisk/mr-dj-frontend");
	assert_string_equal(got.health_path, "/api/health");
	/* Stored as text: the operator's spacing survives. */
	assert_string_equal(got.health_expect, "{\"status\": \"ok\", \"db\": true}");
	assert_int_equal(got.created_at, fe.created_at);
	assert_int_equal(store_service_get(f->st, "nope", &got), RW_ENOTFOUND);

	assert_int_equal(store_service_list(f->st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "misterdj-backend");
	assert_string_equal(list[1].name, "mr-dj-frontend");
	free(list);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log WHERE action ="
	                                 " 'service.add' AND target = 'service/mr-dj-frontend'"),
	                 1);
}

static void
test_release_add_get_find_list(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN), op = actor("bob", RW_ROLE_OPERATOR);
	rw_service_t fe = mk_service("mr-dj-frontend"), be = mk_service("misterdj-backend");
	rw_release_t r1 = mk_release("mr-dj-frontend", "nextjs-standalone-202611260530");
	rw_release_t r2 = mk_release("mr-dj-frontend", "nextjs-standalone-202611270900");
	rw_release_t r3 = mk_release("misterdj-backend", "v1.4.2");
	rw_release_t got, *list = NULL;
	size_t n = 0;

	assert_int_equal(store_service_add(f->st, &admin, &fe), 0);
	assert_int_equal(store_service_add(f->st, &admin, &be), 0);
	assert_int_equal(store_release_add(f->st, &op, &r1), 0);
	assert_int_equal(store_release_add(f->st, &op, &r2), 0);
	assert_int_equal(store_release_add(f->st, &admin, &r3), 0);
	assert_true(r1.id > 0 && r2.id > r1.id);
	assert_string_equal(r1.created_by, "bob");
	assert_string_equal(r3.created_by, "alice");
	assert_recent(r1.created_at);

	assert_int_equal(store_release_get(f->st, r1.id, &got), 0);
	assert_int_equal(got.id, r1.id);
	assert_string_equal(got.service, "mr-dj-frontend");
	assert_string_equal(got.version, r1.version);
	assert_string_equal(got.image_ref, r1.image_ref);
	assert_string_equal(got.digest, r1.digest);
	assert_string_equal(got.source_commit, "9f1c2ab");
	assert_string_equal(got.notes, "release notes");
	assert_string_equal(got.created_by, "bob");
	assert_int_equal(got.created_at, r1.created_at);
	assert_int_equal(store_release_get(f->st, 999999, &got), RW_ENOTFOUND);

	assert_int_equal(store_release_find(f->st, "misterdj-backend", "v1.4.2", &got), 0);
	assert_int_equal(got.id, r3.id);
	assert_int_equal(store_release_find(f->st, "mr-dj-frontend", "v1.4.2", &got), RW_ENOTFOUND);

	/* All services, newest first. */
	assert_int_equal(store_release_list(f->st, NULL, 0, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, r3.id);
	assert_int_equal(list[1].id, r2.id);
	assert_int_equal(list[2].id, r1.id);
	free(list);
	assert_int_equal(store_release_list(f->st, "", 0, &list, &n), 0);
	assert_int_equal(n, 3);
	free(list);
	/* One service. */
	assert_int_equal(store_release_list(f->st, "mr-dj-frontend", 0, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, r2.id);
	free(list);
	assert_int_equal(store_release_list(f->st, "mr-dj-frontend", 1, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, r2.id);
	free(list);

	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log WHERE action ="
	                                 " 'release.record' AND target ="
	                                 " 'release/mr-dj-frontend/nextjs-standalone-202611260530'"
	                                 " AND actor = 'bob' AND role = 'operator'"
	                                 " AND detail->>'commit' = '9f1c2ab'"),
	                 1);
}

static void
test_duplicates_eexist(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_env_t e = mk_env("production", "k3s-main"), e2 = mk_env("production", "other");
	rw_service_t s = mk_service("web"), s2 = mk_service("web"), t = mk_service("api");
	rw_release_t r = mk_release("web", "v1"), r2 = mk_release("web", "v1");
	rw_release_t r3 = mk_release("api", "v1");
	long long audits;

	assert_int_equal(store_env_add(f->st, &admin, &e), 0);
	assert_int_equal(store_service_add(f->st, &admin, &s), 0);
	assert_int_equal(store_service_add(f->st, &admin, &t), 0);
	assert_int_equal(store_release_add(f->st, &admin, &r), 0);
	audits = raw_int(f->raw, "SELECT count(*) FROM audit_log");

	assert_int_equal(store_env_add(f->st, &admin, &e2), RW_EEXIST);
	assert_int_equal(e2.id, 0);
	assert_int_equal(store_service_add(f->st, &admin, &s2), RW_EEXIST);
	assert_int_equal(store_release_add(f->st, &admin, &r2), RW_EEXIST);
	assert_int_equal(r2.id, 0);
	assert_true(strlen(store_errmsg(f->st)) > 0);
	/* A refused change leaves no audit row. */
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), audits);
	/* The same version of another service is fine. */
	assert_int_equal(store_release_add(f->st, &admin, &r3), 0);
	/* And the connection is usable after the failures (no transaction left open). */
	assert_int_equal(store_ping(f->st), 0);
	assert_int_equal(PQtransactionStatus(f->raw), PQTRANS_IDLE);
}

static void
test_unknown_enotfound(void **state)
{
	struct fx *f = *state;
	rw_actor_t op = actor("bob", RW_ROLE_OPERATOR);
	rw_release_t r = mk_release("ghost", "v1");
	rw_history_row_t *h = NULL;
	rw_release_t *list = NULL;
	rw_service_t s = mk_service("web");
	size_t n = 0;

	assert_int_equal(store_release_add(f->st, &op, &r), RW_ENOTFOUND);
	assert_int_equal(r.id, 0);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 0);
	assert_int_equal(store_release_list(f->st, "ghost", 0, &list, &n), RW_ENOTFOUND);
	assert_null(list);
	assert_int_equal(store_history(f->st, "ghost", NULL, 0, &h, &n), RW_ENOTFOUND);
	assert_int_equal(store_service_add(f->st, &op, &s), 0);
	assert_int_equal(store_history(f->st, "web", "nowhere", 0, &h, &n), RW_ENOTFOUND);
	assert_null(h);
	/* A known service with no releases is an empty history, not an error. */
	assert_int_equal(store_history(f->st, "web", NULL, 0, &h, &n), 0);
	assert_int_equal(n, 0);
	assert_null(h);
}

/* ------------------------------------------------------------------------ */
/* Hostile text                                                               */

static const char *const evil[] = {
	"'; DROP TABLE releases; --",
	"Robert'); DELETE FROM audit_log;--",
	"\"double\" 'single' `back` ; --",
	"back\\slash \\' \\\\ \\x00 \\n",
	"$1 $$ $tag$ %s %n %% ? :name",
	"na\xc3\xafve \xe2\x98\x83 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
	"tab\there\nnewline */ /* -- #",
};
#define NEVIL (sizeof evil / sizeof evil[0])

/* A JSON object text whose value is s (so the JSON columns get hostile text too). */
static void
json_with(char *dst, size_t cap, const char *s)
{
	json_t *j = json_pack("{s:s, s:s}", "q", s, "k'; --", "v\\");
	char *txt;

	assert_non_null(j);
	txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(txt);
	assert_int_equal(rw_strcpy(dst, cap, txt), 0);
	free(txt);
	json_decref(j);
}

static void
assert_tables_intact(PGconn *c)
{
	assert_schema(c);
}

static void
test_metacharacters_verbatim(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NEVIL; i++) {
		const char *s = evil[i];
		rw_actor_t who = actor(s, RW_ROLE_ADMIN);
		rw_env_t e, ge;
		rw_service_t v, gv;
		rw_release_t r, gr;
		rw_audit_filter_t af;
		rw_audit_t *al = NULL;
		rw_history_row_t *h = NULL;
		char target[RW_IMAGE_MAX + 1];
		size_t n = 0;

		memset(&e, 0, sizeof e);
		assert_int_equal(RW_STRCPY(e.name, s), 0);
		assert_int_equal(RW_STRCPY(e.cluster, s), 0);
		assert_int_equal(RW_STRCPY(e.health_url, s), 0);
		json_with(e.health_expect, sizeof e.health_expect, s);
		assert_int_equal(store_env_add(f->st, &who, &e), 0);
		assert_int_equal(store_env_get(f->st, s, &ge), 0);
		assert_string_equal(ge.name, s);
		assert_string_equal(ge.cluster, s);
		assert_string_equal(ge.health_url, s);
		assert_string_equal(ge.health_expect, e.health_expect);

		memset(&v, 0, sizeof v);
		assert_int_equal(RW_STRCPY(v.name, s), 0);
		assert_int_equal(RW_STRCPY(v.namespace_, s), 0);
		assert_int_equal(RW_STRCPY(v.deployment, s), 0);
		assert_int_equal(RW_STRCPY(v.container, s), 0);
		assert_int_equal(RW_STRCPY(v.image_repo, s), 0);
		assert_int_equal(RW_STRCPY(v.health_path, s), 0);
		json_with(v.health_expect, sizeof v.health_expect, s);
		assert_int_equal(store_service_add(f->st, &who, &v), 0);
		assert_int_equal(store_service_get(f->st, s, &gv), 0);
		assert_string_equal(gv.name, s);
		assert_string_equal(gv.namespace_, s);
		assert_string_equal(gv.deployment, s);
		assert_string_equal(gv.container, s);
		assert_string_equal(gv.image_repo, s);
		assert_string_equal(gv.health_path, s);
		assert_string_equal(gv.health_expect, v.health_expect);

		memset(&r, 0, sizeof r);
		assert_int_equal(RW_STRCPY(r.service, s), 0);
		assert_int_equal(RW_STRCPY(r.version, s), 0);
		assert_int_equal(RW_STRCPY(r.image_ref, s), 0);
		assert_int_equal(RW_STRCPY(r.digest, s), 0);
		assert_int_equal(RW_STRCPY(r.source_commit, s), 0);
		assert_int_equal(RW_STRCPY(r.notes, s), 0);
		assert_int_equal(store_release_add(f->st, &who, &r), 0);
		assert_int_equal(store_release_find(f->st, s, s, &gr), 0);
		assert_int_equal(gr.id, r.id);
		assert_string_equal(gr.service, s);
		assert_string_equal(gr.version, s);
		assert_string_equal(gr.image_ref, s);
		assert_string_equal(gr.digest, s);
		assert_string_equal(gr.source_commit, s);
		assert_string_equal(gr.notes, s);
		assert_string_equal(gr.created_by, s);

		assert_int_equal(store_history(f->st, s, s, 0, &h, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(h[0].release.notes, s);
		assert_string_equal(h[0].env, "");
		free(h);

		/* Audit rows: actor, target and the JSON detail keep the text. */
		assert_int_equal(store_audit_append(f->st, &who, "login", s, NULL, s), 0);
		memset(&af, 0, sizeof af);
		assert_int_equal(RW_STRCPY(af.actor, s), 0);
		assert_int_equal(store_audit_list(f->st, &af, &al, &n), 0);
		assert_int_equal(n, 4);   /* login, release.record, service.add, env.add */
		assert_string_equal(al[0].action, "login");
		assert_string_equal(al[0].target, s);
		assert_string_equal(al[0].reason, s);
		assert_string_equal(al[0].detail, "{}");
		assert_string_equal(al[1].action, "release.record");
		snprintf(target, sizeof target, "release/%s/%s", s, s);
		assert_string_equal(al[1].target, target);
		{
			json_error_t jerr;
			json_t *d = json_loads(al[1].detail, 0, &jerr);
			assert_non_null(d);
			assert_string_equal(json_string_value(json_object_get(d, "image")), s);
			assert_string_equal(json_string_value(json_object_get(d, "commit")), s);
			assert_int_equal(json_integer_value(json_object_get(d, "id")), r.id);
			json_decref(d);
		}
		for (size_t k = 0; k < n; k++)
			assert_string_equal(al[k].actor, s);
		free(al);
	}

	/* Lookups with hostile keys find nothing and break nothing. */
	{
		rw_service_t gv;
		rw_release_t gr;
		assert_int_equal(store_service_get(f->st, "x' OR '1'='1", &gv), RW_ENOTFOUND);
		assert_int_equal(store_release_find(f->st, "x' OR 1=1 --", "' OR ''='", &gr),
		                 RW_ENOTFOUND);
	}
	assert_tables_intact(f->raw);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM releases"), NEVIL);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 4 * NEVIL);
}

/* ------------------------------------------------------------------------ */
/* History                                                                    */

static void
deploy(PGconn *c, const char *version, const char *env, int secs, const char *outcome,
       int finished, int known_good)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "INSERT INTO deployments (release_id, environment_id, started_at, finished_at,"
	         " outcome, known_good, actor)"
	         " SELECT r.id, e.id, now() + interval '%d seconds',"
	         "  CASE WHEN %d = 1 THEN now() + interval '%d seconds' END, '%s', %s, 'bob'"
	         " FROM releases r, environments e WHERE r.version = '%s' AND e.name = '%s'",
	         secs, finished, secs + 5, outcome, known_good ? "true" : "false", version, env);
	raw_ok(c, sql);
}

static void
assert_hist(const rw_history_row_t *h, const char *version, const char *env,
            enum rw_outcome o, bool known_good)
{
	assert_string_equal(h->release.version, version);
	assert_string_equal(h->env, env);
	if (*env) {
		assert_true(h->deployment_id > 0);
		assert_true(h->started_at > 0);
		assert_int_equal(h->outcome, o);
		assert_int_equal(h->known_good, known_good);
	} else {
		assert_int_equal(h->deployment_id, 0);
		assert_int_equal(h->started_at, 0);
		assert_int_equal(h->finished_at, 0);
	}
}

static void
test_history(void **state)
{
	struct fx *f = *state;
	rw_actor_t op = actor("bob", RW_ROLE_OPERATOR);
	rw_env_t prod = mk_env("production", "k3s"), stag = mk_env("staging", "k3s");
	rw_service_t web = mk_service("web"), other = mk_service("other");
	const char *versions[] = {"v1", "v2", "v3", "v4"};
	rw_release_t o1 = mk_release("other", "o1");
	rw_history_row_t *h = NULL;
	size_t n = 0;

	assert_int_equal(store_env_add(f->st, &op, &prod), 0);
	assert_int_equal(store_env_add(f->st, &op, &stag), 0);
	assert_int_equal(store_service_add(f->st, &op, &web), 0);
	assert_int_equal(store_service_add(f->st, &op, &other), 0);
	for (int i = 0; i < 4; i++) {
		rw_release_t r = mk_release("web", versions[i]);
		assert_int_equal(store_release_add(f->st, &op, &r), 0);
	}
	assert_int_equal(store_release_add(f->st, &op, &o1), 0);
	deploy(f->raw, "o1", "production", 100, "succeeded", 1, 1);   /* other service */
	deploy(f->raw, "v1", "production", 10, "succeeded", 1, 1);
	deploy(f->raw, "v2", "staging", 20, "succeeded", 1, 1);
	deploy(f->raw, "v2", "production", 30, "rolled-back", 1, 0);
	deploy(f->raw, "v1", "production", 40, "succeeded", 1, 1);    /* the rollback */
	deploy(f->raw, "v3", "staging", 50, "pending", 0, 0);         /* still running */
	/* v4: recorded, never deployed */

	assert_int_equal(store_history(f->st, "web", NULL, 0, &h, &n), 0);
	assert_int_equal(n, 6);
	assert_hist(&h[0], "v3", "staging", RW_OUTCOME_PENDING, false);
	assert_int_equal(h[0].finished_at, 0);
	assert_hist(&h[1], "v1", "production", RW_OUTCOME_SUCCEEDED, true);
	assert_true(h[1].finished_at > h[1].started_at);
	assert_hist(&h[2], "v2", "production", RW_OUTCOME_ROLLED_BACK, false);
	assert_hist(&h[3], "v2", "staging", RW_OUTCOME_SUCCEEDED, true);
	assert_hist(&h[4], "v1", "production", RW_OUTCOME_SUCCEEDED, true);
	assert_hist(&h[5], "v4", "", RW_OUTCOME_PENDING, false);
	assert_true(h[1].started_at > h[2].started_at);
	assert_string_equal(h[1].release.service, "web");
	assert_string_equal(h[1].release.created_by, "bob");
	free(h);

	/* Empty env means all environments. */
	assert_int_equal(store_history(f->st, "web", "", 0, &h, &n), 0);
	assert_int_equal(n, 6);
	free(h);

	/* Production only; releases never deployed there appear once, newest first. */
	assert_int_equal(store_history(f->st, "web", "production", 0, &h, &n), 0);
	assert_int_equal(n, 5);
	assert_hist(&h[0], "v1", "production", RW_OUTCOME_SUCCEEDED, true);
	assert_hist(&h[1], "v2", "production", RW_OUTCOME_ROLLED_BACK, false);
	assert_hist(&h[2], "v1", "production", RW_OUTCOME_SUCCEEDED, true);
	assert_hist(&h[3], "v4", "", RW_OUTCOME_PENDING, false);
	assert_hist(&h[4], "v3", "", RW_OUTCOME_PENDING, false);
	free(h);

	/* Limit. */
	assert_int_equal(store_history(f->st, "web", NULL, 2, &h, &n), 0);
	assert_int_equal(n, 2);
	assert_hist(&h[0], "v3", "staging", RW_OUTCOME_PENDING, false);
	free(h);
}

/* ------------------------------------------------------------------------ */
/* Audit                                                                      */

/*
 * A change whose audit row cannot be written is not made: a trigger makes
 * every audit INSERT fail, and the env/service/release stays absent.
 */
static void
test_audit_same_transaction(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_env_t e = mk_env("production", "k3s"), got;
	rw_service_t s = mk_service("web"), s2 = mk_service("api"), gs;
	rw_release_t r = mk_release("web", "v1"), gr;

	raw_ok(f->raw, "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS"
	               " $$ BEGIN RAISE EXCEPTION 'audit insert refused by test'; END $$");
	raw_ok(f->raw, "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log"
	               " FOR EACH ROW EXECUTE FUNCTION fail_audit()");

	assert_int_not_equal(store_env_add(f->st, &admin, &e), 0);
	assert_non_null(strstr(store_errmsg(f->st), "audit insert refused by test"));
	assert_int_equal(e.id, 0);
	assert_int_equal(store_env_get(f->st, "production", &got), RW_ENOTFOUND);
	assert_int_not_equal(store_service_add(f->st, &admin, &s2), 0);
	assert_int_equal(store_service_get(f->st, "api", &gs), RW_ENOTFOUND);

	raw_ok(f->raw, "ALTER TABLE audit_log DISABLE TRIGGER fail_audit");
	assert_int_equal(store_service_add(f->st, &admin, &s), 0);
	raw_ok(f->raw, "ALTER TABLE audit_log ENABLE TRIGGER fail_audit");
	assert_int_not_equal(store_release_add(f->st, &admin, &r), 0);
	assert_int_equal(store_release_find(f->st, "web", "v1", &gr), RW_ENOTFOUND);

	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM environments"), 0);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM releases"), 0);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM services"), 1);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 1);

	/* With the audit log working again, the same changes go through. */
	raw_ok(f->raw, "DROP TRIGGER fail_audit ON audit_log");
	assert_int_equal(store_env_add(f->st, &admin, &e), 0);
	assert_int_equal(store_release_add(f->st, &admin, &r), 0);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 3);
	/* Change and audit row were written by the same transaction. */
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM releases r JOIN audit_log a"
	                                 " ON a.target = 'release/web/v1'"
	                                 " WHERE r.xmin = a.xmin AND r.created_at = a.at"),
	                 1);
}

static void
test_audit_append_only(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);

	assert_int_equal(store_audit_append(f->st, &admin, "login", "session/1", NULL, ""), 0);
	assert_int_equal(store_audit_append(f->st, &admin, "logout", "session/1", NULL, ""), 0);
	assert_string_equal(raw_fail_state(f->raw, "UPDATE audit_log SET actor = 'mallory'"),
	                    "42501");
	assert_string_equal(raw_fail_state(f->raw, "UPDATE audit_log SET reason = 'x' WHERE id ="
	                                           " (SELECT min(id) FROM audit_log)"),
	                    "42501");
	assert_string_equal(raw_fail_state(f->raw, "DELETE FROM audit_log"), "42501");
	assert_string_equal(raw_fail_state(f->raw, "TRUNCATE audit_log"), "42501");
	assert_string_equal(raw_fail_state(f->raw, "TRUNCATE audit_log CASCADE"), "42501");
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log WHERE actor = 'alice'"),
	                 2);
}

static void
test_audit_list_filters(void **state)
{
	struct fx *f = *state;
	rw_actor_t alice = actor("alice", RW_ROLE_ADMIN), bob = actor("bob", RW_ROLE_OPERATOR);
	rw_audit_filter_t af;
	rw_audit_t *a = NULL;
	size_t n = 0;
	const int64_t y2021 = 1609459200LL * 1000000;   /* 2021-01-01T00:00:00Z */

	assert_int_equal(store_audit_append(f->st, &alice, "env.add", "env/x", "{\"a\":1}", "r"), 0);
	assert_int_equal(store_audit_append(f->st, &bob, "release.record", "release/x/1", NULL,
	                                    NULL), 0);
	assert_int_equal(store_audit_append(f->st, &bob, "release.deploy", "", NULL, ""), 0);
	assert_int_equal(store_audit_append(f->st, &bob, "rel%_x", "", NULL, ""), 0);
	assert_int_equal(store_audit_append(f->st, &bob, "relXYx", "", NULL, ""), 0);
	raw_ok(f->raw, "INSERT INTO audit_log (at, actor, role, action) VALUES"
	               " ('2020-01-01Z', 'timey', 'viewer', 'old.a'),"
	               " ('2021-01-01Z', 'timey', 'viewer', 'old.b'),"
	               " ('2022-01-01Z', 'timey', 'viewer', 'old.c')");

	/* No filter (NULL): everything, newest first. */
	assert_int_equal(store_audit_list(f->st, NULL, &a, &n), 0);
	assert_int_equal(n, 8);
	assert_string_equal(a[n - 1].action, "old.a");
	for (size_t i = 1; i < n; i++)
		assert_true(a[i - 1].at >= a[i].at);
	free(a);

	memset(&af, 0, sizeof af);
	assert_int_equal(RW_STRCPY(af.actor, "alice"), 0);
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].action, "env.add");
	assert_string_equal(a[0].target, "env/x");
	assert_string_equal(a[0].detail, "{\"a\": 1}");   /* jsonb's text form */
	assert_string_equal(a[0].reason, "r");
	assert_int_equal(a[0].role, RW_ROLE_ADMIN);
	assert_recent(a[0].at);
	free(a);

	memset(&af, 0, sizeof af);
	assert_int_equal(RW_STRCPY(af.action_prefix, "release."), 0);
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].role, RW_ROLE_OPERATOR);
	free(a);

	/* LIKE wildcards in a prefix are plain characters. */
	assert_int_equal(RW_STRCPY(af.action_prefix, "rel%_"), 0);
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].action, "rel%_x");
	free(a);
	assert_int_equal(RW_STRCPY(af.action_prefix, "%"), 0);
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 0);
	assert_null(a);

	/* Actor and prefix together. */
	assert_int_equal(RW_STRCPY(af.actor, "bob"), 0);
	assert_int_equal(RW_STRCPY(af.action_prefix, "env."), 0);
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 0);

	/* Time bounds (inclusive). */
	memset(&af, 0, sizeof af);
	assert_int_equal(RW_STRCPY(af.actor, "timey"), 0);
	af.since = y2021;
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].action, "old.c");
	assert_string_equal(a[1].action, "old.b");
	assert_int_equal(a[1].at, y2021);
	free(a);
	af.since = 0;
	af.until = y2021;
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].action, "old.b");
	free(a);
	af.since = y2021;
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 1);
	free(a);

	/* Limit. */
	memset(&af, 0, sizeof af);
	af.limit = 3;
	assert_int_equal(store_audit_list(f->st, &af, &a, &n), 0);
	assert_int_equal(n, 3);
	free(a);
}

static void
test_audit_append_bad_input(void **state)
{
	struct fx *f = *state;
	rw_actor_t alice = actor("alice", RW_ROLE_ADMIN), nobody = actor("", RW_ROLE_NONE);
	char longaction[80];

	memset(longaction, 'a', 64);
	longaction[64] = '\0';
	assert_int_equal(store_audit_append(f->st, &alice, "x", "", "{not json", ""), RW_EINVAL);
	assert_int_equal(store_audit_append(f->st, &alice, "x", "", "[1,2]", ""), RW_EINVAL);
	assert_int_equal(store_audit_append(f->st, &alice, longaction, "", NULL, ""), RW_ETOOBIG);
	assert_int_equal(store_audit_append(f->st, &alice, "", "", NULL, ""), RW_EINVAL);
	assert_int_equal(store_audit_append(f->st, &nobody, "x", "", NULL, ""), RW_EINVAL);
	assert_int_equal(store_audit_append(f->st, NULL, "x", "", NULL, ""), RW_EINVAL);
	assert_int_equal(store_audit_append(f->st, &alice, "x", "", "\"\xff\"", ""), RW_EINVAL);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 0);
}

/* Length CHECKs: over-long text the domain layer would refuse is RW_ETOOBIG, bad JSON RW_EINVAL. */
static void
test_schema_checks(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_env_t e = mk_env("production", "k3s");
	rw_service_t s = mk_service("web");

	assert_int_equal(RW_STRCPY(e.health_expect, "[\"not an object\"]"), 0);
	assert_int_equal(store_env_add(f->st, &admin, &e), RW_EINVAL);
	assert_int_equal(RW_STRCPY(e.health_expect, "{broken"), 0);
	assert_int_equal(store_env_add(f->st, &admin, &e), RW_EINVAL);
	e.health_expect[0] = '\0';
	e.cluster[0] = '\0';
	assert_int_equal(store_env_add(f->st, &admin, &e), RW_EINVAL);
	/* A struct whose buffer is not NUL-terminated is refused before SQL. */
	memset(s.name, 'x', sizeof s.name);
	assert_int_equal(store_service_add(f->st, &admin, &s), RW_EINVAL);
	/* Invalid UTF-8 is refused by the database (UTF8 encoding). */
	s = mk_service("web");
	assert_int_equal(RW_STRCPY(s.container, "\xc3\x28"), 0);
	assert_int_equal(store_service_add(f->st, &admin, &s), RW_EINVAL);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 0);
	/* Other tables' CHECKs: outcome must be one of four. */
	assert_string_equal(raw_fail_state(f->raw, "INSERT INTO deployments (release_id,"
	                                           " environment_id, outcome, actor)"
	                                           " VALUES (1, 1, 'exploded', 'x')"),
	                    "23514");
}

/* ------------------------------------------------------------------------ */
/* Limits                                                                     */

static void
test_limits(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_service_t s = mk_service("bulk");
	rw_release_t *rl = NULL;
	rw_history_row_t *h = NULL;
	rw_env_t *el = NULL;
	rw_service_t *sl = NULL;
	rw_audit_t *al = NULL;
	rw_audit_filter_t af;
	size_t n = 0;

	assert_int_equal(store_service_add(f->st, &admin, &s), 0);
	raw_ok(f->raw, "INSERT INTO releases (service_id, version, image_ref, created_by, created_at)"
	               " SELECT (SELECT id FROM services WHERE name = 'bulk'), 'v' || i,"
	               " 'repo:v' || i, 'gen', now() - (2000 - i) * interval '1 second'"
	               " FROM generate_series(1, 1005) AS i");
	raw_ok(f->raw, "INSERT INTO environments (name, cluster)"
	               " SELECT 'env-' || i, 'c' FROM generate_series(1, 1005) AS i");
	raw_ok(f->raw, "INSERT INTO services (name, namespace, deployment, container, image_repo)"
	               " SELECT 'svc-' || i, 'n', 'd', 'c', 'r' FROM generate_series(1, 1005) AS i");
	raw_ok(f->raw, "INSERT INTO audit_log (actor, role, action)"
	               " SELECT 'gen', 'agent', 'bulk.' || i FROM generate_series(1, 1005) AS i");

	assert_int_equal(store_release_list(f->st, "bulk", 0, &rl, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	assert_string_equal(rl[0].version, "v1005");       /* newest first */
	assert_string_equal(rl[999].version, "v6");
	free(rl);
	assert_int_equal(store_release_list(f->st, "bulk", 7, &rl, &n), 0);
	assert_int_equal(n, 7);
	free(rl);
	assert_int_equal(store_release_list(f->st, NULL, 5000, &rl, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(rl);

	assert_int_equal(store_history(f->st, "bulk", NULL, 0, &h, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(h);
	assert_int_equal(store_history(f->st, "bulk", NULL, 3, &h, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(h[0].release.version, "v1005");
	free(h);

	assert_int_equal(store_env_list(f->st, &el, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(el);
	assert_int_equal(store_service_list(f->st, &sl, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(sl);

	memset(&af, 0, sizeof af);
	assert_int_equal(store_audit_list(f->st, &af, &al, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(al);
	af.limit = UINT32_MAX;
	assert_int_equal(store_audit_list(f->st, &af, &al, &n), 0);
	assert_int_equal(n, RW_LIST_MAX);
	free(al);
	af.limit = 10;
	assert_int_equal(RW_STRCPY(af.action_prefix, "bulk."), 0);
	assert_int_equal(store_audit_list(f->st, &af, &al, &n), 0);
	assert_int_equal(n, 10);
	free(al);
}

/* ------------------------------------------------------------------------ */
/* Connection                                                                 */

static void
test_open_errors(void **state)
{
	store_t *st = (store_t *)0x1;
	char msg[512];
	(void)state;

	assert_int_equal(store_open(NULL, &st, msg, sizeof msg), RW_EINVAL);
	assert_null(st);

	/* Malformed strings: libpq would echo them, password included. */
	assert_int_equal(store_open("postgresql://u:s3cr3tpw@127.0.0.1:1/x?bogus=1", &st, msg,
	                            sizeof msg),
	                 RW_EINVAL);
	assert_null(strstr(msg, "s3cr3tpw"));
	assert_true(strlen(msg) > 0);
	assert_int_equal(store_open("host=127.0.0.1 password='s3cr3tpw", &st, msg, sizeof msg),
	                 RW_EINVAL);
	assert_null(strstr(msg, "s3cr3tpw"));
	assert_int_equal(store_open("host=127.0.0.1 s3cr3tpw", &st, msg, sizeof msg), RW_EINVAL);
	assert_null(strstr(msg, "s3cr3tpw"));

	/* Nothing listens on port 1. */
	assert_int_equal(store_open("host=127.0.0.1 port=1 user=u password=s3cr3tpw dbname=x"
	                            " connect_timeout=2",
	                            &st, msg, sizeof msg),
	                 RW_EDB);
	assert_null(st);
	assert_true(strlen(msg) > 0);
	assert_null(strstr(msg, "s3cr3tpw"));
	assert_int_equal(store_open("postgresql://u:s3cr3tpw@127.0.0.1:1/x", &st, msg, sizeof msg),
	                 RW_EDB);
	assert_null(strstr(msg, "s3cr3tpw"));
	/* msg may be NULL. */
	assert_int_equal(store_open("host=127.0.0.1 port=1", &st, NULL, 0), RW_EDB);
}

/* The server kills our backend: the next call fails with RW_EDB, store_ping reconnects. */
static void
test_ping_reconnects(void **state)
{
	struct fx *f = *state;
	rw_env_t *list = NULL;
	size_t n = 0;

	assert_int_equal(store_ping(f->st), 0);
	assert_int_equal(raw_int(f->raw, "SELECT count(pg_terminate_backend(pid)) FROM"
	                                 " pg_stat_activity WHERE datname = current_database()"
	                                 " AND pid <> pg_backend_pid()"),
	                 1);
	usleep(100 * 1000);
	assert_int_equal(store_env_list(f->st, &list, &n), RW_EDB);
	assert_true(strlen(store_errmsg(f->st)) > 0);
	assert_int_equal(store_ping(f->st), 0);
	assert_int_equal(store_env_list(f->st, &list, &n), 0);
	assert_int_equal(n, 0);
}

/*
 * A real server restart (pgtest_restart, the data directory kept): calls fail
 * with RW_EDB while the old connection is dead, store_ping reconnects, and
 * committed rows are still there.  Needs PGTEST_LIB (set by the wrapper).
 */
static void
test_server_restart(void **state)
{
	struct fx *f = *state;
	rw_actor_t admin = actor("alice", RW_ROLE_ADMIN);
	rw_env_t e = mk_env("production", "k3s"), got;
	const char *lib = getenv("PGTEST_LIB");
	char cmd[1200];

	if (!lib || !*lib)
		skip();
	assert_int_equal(store_env_add(f->st, &admin, &e), 0);
	snprintf(cmd, sizeof cmd, "bash -c '. \"$PGTEST_LIB\" && pgtest_restart fast'");
	fflush(NULL);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(store_env_get(f->st, "production", &got), RW_EDB);
	assert_int_equal(store_ping(f->st), 0);
	assert_int_equal(store_env_get(f->st, "production", &got), 0);
	assert_int_equal(got.id, e.id);
	/* The test's own connections died too. */
	PQreset(g_admin);
	PQreset(f->raw);
	assert_int_equal(PQstatus(g_admin), CONNECTION_OK);
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM audit_log"), 1);
}

/* A pod change of agent prod/node-1 in a report of the given position. */
static struct store_report
report_at(rw_pod_state_t *p, const char *phase, uint64_t epoch, uint64_t seq, bool full)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->cluster, "prod");
	strcpy(p->node, "node-1");
	strcpy(p->namespace_, "default");
	strcpy(p->name, "web-1");
	strcpy(p->deployment, "web");
	strcpy(p->phase, phase);
	p->observed_at = (int64_t)(epoch * 1000 + seq);
	return (struct store_report){"prod/node-1", "prod", "node-1", epoch, seq, full,
	                             p, 1, NULL, 0, NULL, 0};
}

/* The stored phase of pod web-1 (a static buffer). */
static const char *
stored_phase(struct fx *f)
{
	static char phase[64];
	PGresult *r = PQexec(f->raw, "SELECT phase FROM pod_states WHERE name = 'web-1'");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	snprintf(phase, sizeof(phase), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return phase;
}

/* Applies r (which must not fail) and says whether the store asked for a snapshot. */
static bool
refused(struct fx *f, const struct store_report *r)
{
	bool resync = false;
	assert_int_equal(store_report_apply(f->st, r, &resync), 0);
	return resync;
}

/*
 * Reports are applied in sequence only: a change report that does not follow
 * the last accepted one (a gap, a duplicate, a late report of an older
 * session) stores nothing, keeps the position and asks for a snapshot.
 */
static void
test_report_sequence(void **state)
{
	struct fx *f = *state;
	rw_pod_state_t p;
	struct store_report r;

	r = report_at(&p, "Pending", 1, 1, true); /* session 1 starts with a snapshot */
	assert_false(refused(f, &r));
	r = report_at(&p, "Running", 1, 2, false);
	assert_false(refused(f, &r));
	assert_string_equal(stored_phase(f), "Running");

	r = report_at(&p, "Failed", 1, 4, false); /* seq 3 never arrived */
	assert_true(refused(f, &r));
	assert_string_equal(stored_phase(f), "Running");
	r = report_at(&p, "Failed", 1, 2, false); /* a duplicate */
	assert_true(refused(f, &r));
	assert_string_equal(stored_phase(f), "Running");

	r = report_at(&p, "Succeeded", 2, 1, true); /* session 2's snapshot */
	assert_false(refused(f, &r));
	/* Session 1's seq 3, given up by the agent, delivered late. */
	r = report_at(&p, "Failed", 1, 3, false);
	assert_true(refused(f, &r));
	assert_string_equal(stored_phase(f), "Succeeded");
	assert_int_equal(raw_int(f->raw, "SELECT epoch FROM agents WHERE name = 'prod/node-1'"), 2);
	/* Session 2 goes on where it was. */
	r = report_at(&p, "Running", 2, 2, false);
	assert_false(refused(f, &r));
	assert_string_equal(stored_phase(f), "Running");

	/* An unknown agent's first change report is refused too. */
	r = report_at(&p, "Running", 9, 5, false);
	r.agent = "prod/node-2";
	r.node = "node-2";
	strcpy(p.node, "node-2");
	assert_true(refused(f, &r));
	assert_int_equal(raw_int(f->raw, "SELECT count(*) FROM agents WHERE name = 'prod/node-2'"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_idempotent, fx_setup_empty, fx_teardown),
		cmocka_unit_test(test_migrate_concurrent),
		cmocka_unit_test_setup_teardown(test_env_add_get_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_service_add_get_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_release_add_get_find_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_eexist, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_enotfound, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_metacharacters_verbatim, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_history, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_same_transaction, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_only, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_list_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_bad_input, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_schema_checks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_limits, fx_setup, fx_teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_ping_reconnects, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_restart, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_sequence, fx_setup, fx_teardown),
	};

	log_init("test_store");
	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
