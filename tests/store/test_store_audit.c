/*
 * test_store_audit — the store's audit log against a real PostgreSQL: the
 * audit row in the change's transaction, append-only, list filters, bad
 * input, the schema's length CHECKs, list limits.
 *
 * Not here: the fixture (store_fixture.c), main() (test_store.c).
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
#include "store_fixture.h"
#include "store_agents.h"
#include "store_audit.h"
#include "store_catalog.h"

/* ------------------------------------------------------------------------ */
/* Audit                                                                      */

/*
 * A change whose audit row cannot be written is not made: a trigger makes
 * every audit INSERT fail, and the env/service/release stays absent.
 */
void
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

void
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

void
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

void
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
void
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

void
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
