/*
 * store_fixture — what the store tests (test_store*.c) share: a fresh
 * database per test, the group's admin connection, raw libpq helpers and
 * builders of domain structs; and the test cases of the other files, which
 * test_store.c's main() runs.
 *
 * Not here: assertions about the store (the test cases make them).
 */
#ifndef REWIND_TEST_STORE_FIXTURE_H
#define REWIND_TEST_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "domain.h"
#include "store.h"

struct fx {
	char db[64];
	char conninfo[2048];
	store_t *st;
	PGconn *raw;
};

/* The group's connection to the server's admin database (group_setup). */
extern PGconn *g_admin;

/* PGTEST_URL with another database name, as a key=value conninfo. */
void conninfo_for(const char *db, char *buf, size_t cap);
/* Raw libpq on a second connection: must succeed; must fail (its SQLSTATE); one number. */
void raw_ok(PGconn *c, const char *sql);
const char *raw_fail_state(PGconn *c, const char *sql);
long long raw_int(PGconn *c, const char *sql);
PGconn *raw_connect(const char *conninfo);
/* A fresh database (its name written to name), and dropping it. */
void db_create(char *name, size_t cap);
void db_drop(const char *name);
/* Domain structs with valid fields, for a test to adjust. */
rw_actor_t actor(const char *name, enum rw_role role);
rw_env_t mk_env(const char *name, const char *cluster);
rw_service_t mk_service(const char *name);
rw_release_t mk_release(const char *service, const char *version);
/* us lies within a minute of now. */
void assert_recent(int64_t us);
/* Every table there, every migration applied, the audit triggers in place. */
void assert_schema(PGconn *c);
/* Per test: a fresh database (empty, or migrated); per group: the admin connection. */
int fx_setup_empty(void **state);
int fx_setup(void **state);
int fx_teardown(void **state);
int group_setup(void **state);
int group_teardown(void **state);

/* Test cases of test_store_catalog.c: environments, services, releases, hostile text, history. */
void test_env_add_get_list(void **state);
void test_service_add_get_list(void **state);
void test_release_add_get_find_list(void **state);
void test_duplicates_eexist(void **state);
void test_unknown_enotfound(void **state);
void test_metacharacters_verbatim(void **state);
void test_history(void **state);
/* Test cases of test_store_audit.c: the audit log, schema checks, limits. */
void test_audit_same_transaction(void **state);
void test_audit_append_only(void **state);
void test_audit_list_filters(void **state);
void test_audit_append_bad_input(void **state);
void test_schema_checks(void **state);
void test_limits(void **state);

#endif
