/*
 * test_store — the store (server/store/) against a real PostgreSQL: main()
 * running every store test case, and the cases of the core (migrations, the
 * connection) and of agent reports.  The other cases are in
 * test_store_catalog.c and test_store_audit.c, the shared fixture in
 * store_fixture.c.
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
#include "store_agents.h"
#include "store_audit.h"
#include "store_catalog.h"
#include "store_migrations.h"
#include "store_fixture.h"

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
