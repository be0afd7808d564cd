/*
 * test_store_catalog — the store's environments, services and releases
 * against a real PostgreSQL: adding, reading and listing them, duplicates
 * and unknown names, hostile text kept verbatim, a service's history.
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
/* Environments, services, releases                                           */

void
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

void
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

void
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

void
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

void
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

void
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

void
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
