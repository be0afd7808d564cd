/*
 * test_plan — unit tests of plan_make() (server/coord/planner.c): a request
 * and hand-made facts into a plan or a refusal — steps in deploy order with
 * pinned images, the known-good gate of promotions, the backup and
 * migration gates of rollbacks (and their override), nothing to do, a
 * release of another service, a change already in flight, config set and
 * revert specs — with the exact codes and reasons.  No database (the
 * facts' store reads in plan.c are not called).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "planner.h"

/* Large structs, one test at a time: static. */
static struct plan_facts F;
static struct plan_draft D;
static rw_op_request_t R;
static struct plan_target T[RW_OP_STEPS_MAX + 2];
static rw_operation_t OLD;
static char msg[1200];

static int
setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	memset(&D, 0, sizeof(D));
	memset(&R, 0, sizeof(R));
	memset(T, 0, sizeof(T));
	memset(&OLD, 0, sizeof(OLD));
	msg[0] = '\0';
	F.env.env.id = 1;
	snprintf(F.env.env.name, sizeof(F.env.env.name), "prod");
	snprintf(F.env.promote_from, sizeof(F.env.promote_from), "staging");
	snprintf(R.env, sizeof(R.env), "prod");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(D.spec);
	D.spec = NULL;
	return 0;
}

static void
release(rw_release_t *r, int64_t id, const char *service, const char *version, bool pinned)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	snprintf(r->service, sizeof(r->service), "%s", service);
	snprintf(r->version, sizeof(r->version), "%s", version);
	snprintf(r->image_ref, sizeof(r->image_ref), "ghcr.io/acme/%s:%s", service, version);
	if (pinned)
		snprintf(r->digest, sizeof(r->digest), "sha256:%04lld", (long long)id);
}

static void
service(struct plan_service *ps, int64_t id, const char *name, int order)
{
	memset(ps, 0, sizeof(*ps));
	ps->service.id = id;
	snprintf(ps->service.name, sizeof(ps->service.name), "%s", name);
	ps->order = order;
}

/* The request names SERVICE:VERSION as its next release (resolved as given). */
static struct plan_ref *
ref(int64_t rel_id, const char *svc, int64_t svc_id, const char *version, int order)
{
	struct plan_ref *r = &F.refs[R.nreleases];
	snprintf(R.releases[R.nreleases], sizeof(R.releases[0]), "%s:%s", svc, version);
	release(&r->rel, rel_id, svc, version, true);
	service(&r->svc, svc_id, svc, order);
	r->good = true;
	R.nreleases++;
	F.nrefs = R.nreleases;
	return r;
}

/* A service to roll back from current (id, version) to known-good (id - 1, its version). */
static struct plan_target *
target(int64_t svc_id, const char *svc, int64_t cur_id, const char *cur_v, const char *good_v)
{
	struct plan_target *t = &T[F.ntargets++];
	t->svc.id = svc_id;
	snprintf(t->svc.name, sizeof(t->svc.name), "%s", svc);
	release(&t->cur.release, cur_id, svc, cur_v, true);
	snprintf(t->cur.release.migrations_compat, sizeof(t->cur.release.migrations_compat), "yes");
	snprintf(t->cur.outcome, sizeof(t->cur.outcome), "succeeded");
	release(&t->good, cur_id - 1, svc, good_v, true);
	service(&t->good_svc, svc_id, svc, (int)svc_id);
	F.targets = T;
	return t;
}

static void
rollback(void)
{
	R.kind = RW_OP_ROLLBACK;
	F.nbackups = 1;
	F.backup.id = 7;
	F.backup.verified = true;
}

/* A rollback of web from cur_v (release 12) to good_v (11), the backup verified. */
static struct plan_target *
rollback_web(const char *cur_v, const char *good_v)
{
	rollback();
	return target(1, "web", 12, cur_v, good_v);
}

static int
make(void)
{
	return plan_make(&F, &R, &D, msg, sizeof(msg));
}

/* The request is refused with code and why. */
static void
refused(int code, const char *why)
{
	assert_int_equal(make(), code);
	assert_string_equal(msg, why);
}

static void
test_env_and_incident_not_found(void **state)
{
	(void)state;
	R.kind = RW_OP_DEPLOY;
	F.env_rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "environment \"prod\" not found");

	msg[0] = '\0';
	F.env_rv = RW_EDB;
	refused(RW_EDB, "");

	F.env_rv = 0;
	R.incident_id = 5;
	F.incident_rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "incident 5 not found");
}

static void
test_deploy_in_deploy_order(void **state)
{
	(void)state;

	R.kind = RW_OP_DEPLOY;
	snprintf(R.reason, sizeof(R.reason), "release day");
	ref(10, "web", 1, "v2", 2);
	ref(20, "db", 2, "v5", 1);
	ref(30, "api", 3, "v3", 2);
	assert_int_equal(make(), 0);
	assert_int_equal(D.plan.nsteps, 3);
	/* By deploy order, then in the order requested. */
	assert_string_equal(D.plan.steps[0].service.name, "db");
	assert_string_equal(D.plan.steps[1].service.name, "web");
	assert_string_equal(D.plan.steps[2].service.name, "api");
	assert_string_equal(D.plan.steps[1].image, "ghcr.io/acme/web@sha256:0010");
	assert_int_equal(D.plan.steps[1].release.id, 10);
	assert_string_equal(D.plan.dep_kind, "deploy");
	assert_int_equal(D.plan.kind, RW_OP_DEPLOY);
	assert_int_equal(D.plan.env_id, 1);
	assert_string_equal(D.plan.reason, "release day");
	assert_string_equal(D.plan.warnings, "");
	assert_null(D.plan.spec_json);

	memset(&D, 0, sizeof(D));
	R.hotfix = true;
	assert_int_equal(make(), 0);
	assert_string_equal(D.plan.dep_kind, "hotfix");
}

static void
test_deploy_unpinned_warns(void **state)
{
	(void)state;
	R.kind = RW_OP_DEPLOY;
	ref(10, "web", 1, "v2", 1)->rel.digest[0] = '\0';
	ref(20, "api", 2, "v3", 1)->rel.digest[0] = '\0';
	assert_int_equal(make(), 0);
	assert_string_equal(D.plan.steps[0].image, "ghcr.io/acme/web:v2");
	assert_string_equal(D.warnings, "web:v2 is not digest-pinned; deploying by tag; "
	                                "api:v3 is not digest-pinned; deploying by tag");
	assert_ptr_equal(D.plan.warnings, D.warnings);
}

static void
test_deploy_refusals(void **state)
{
	(void)state;
	R.kind = RW_OP_DEPLOY;
	ref(10, "web", 1, "v2", 1);
	ref(11, "web", 1, "v3", 1);
	refused(RW_EINVAL, "two releases of service web in one operation");

	memset(&D, 0, sizeof(D));
	F.refs[1].rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "release web:v3 not found (rewindctl release list)");

	memset(&D, 0, sizeof(D));
	F.refs[1].rv = 0;
	F.refs[1].svc.rv = RW_EDB;
	assert_int_equal(make(), RW_EDB);
}

static void
test_promote_known_good_gate(void **state)
{
	(void)state;
	R.kind = RW_OP_PROMOTE;
	F.from.env.id = 2;
	snprintf(F.from.env.name, sizeof(F.from.env.name), "staging");
	ref(10, "web", 1, "v2", 1);
	ref(20, "api", 2, "v3", 1)->good = false;
	refused(RW_ECONFLICT, "refused: api:v3 is not known-good on staging (deploy it there and "
	                      "let it stay healthy through the observation window first)");

	memset(&D, 0, sizeof(D));
	F.refs[1].good = true;
	assert_int_equal(make(), 0);
	assert_string_equal(D.plan.dep_kind, "promote");
	assert_int_equal(D.plan.nsteps, 2);

	memset(&D, 0, sizeof(D));
	F.refs[0].good_rv = RW_EDB;
	assert_int_equal(make(), RW_EDB);
}

static void
test_promote_source(void **state)
{
	(void)state;
	R.kind = RW_OP_PROMOTE;
	ref(10, "web", 1, "v2", 1);
	F.from_rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "environment \"staging\" (where releases are proven) not found");

	snprintf(R.from_env, sizeof(R.from_env), "qa");
	refused(RW_ENOTFOUND, "environment \"qa\" (where releases are proven) not found");

	F.from_rv = 0;
	F.from = F.env;
	snprintf(R.from_env, sizeof(R.from_env), "prod");
	refused(RW_EINVAL, "cannot promote from prod to itself");
}

static void
test_rollback_to_known_good(void **state)
{
	(void)state;

	rollback_web("v2", "v1");
	target(2, "api", 22, "v7", "v6")->cur.release.migrations_compat[0] = '\0';
	assert_int_equal(make(), 0);
	assert_string_equal(D.plan.dep_kind, "rollback");
	assert_int_equal(D.plan.nsteps, 2);
	assert_string_equal(D.plan.steps[0].service.name, "web");
	assert_string_equal(D.plan.steps[0].image, "ghcr.io/acme/web@sha256:0011");
	assert_string_equal(D.plan.steps[1].release.version, "v6");
	assert_string_equal(D.warnings,
	                    "api:v7 does not say whether its migrations are backwards compatible");
}

static void
test_rollback_to_named_release(void **state)
{
	(void)state;
	rollback_web("v3", "v2");
	ref(9, "web", 1, "v1", 1);
	assert_int_equal(make(), 0);
	assert_int_equal(D.plan.nsteps, 1);
	assert_int_equal(D.plan.steps[0].release.id, 9);

	/* An unknown --to release is refused even when another one names the service. */
	memset(&D, 0, sizeof(D));
	R.nreleases = 0;
	F.nrefs = 0;
	ref(9, "api", 2, "v1", 1)->rv = RW_ENOTFOUND;
	ref(10, "web", 1, "v1", 1);
	refused(RW_ENOTFOUND, "release api:v1 not found (rewindctl release list)");
}

static void
test_rollback_release_of_another_service(void **state)
{
	(void)state;
	rollback_web("v2", "v1");
	ref(30, "api", 2, "v1", 1);
	refused(RW_EINVAL, "release api:v1 belongs to service api, which this rollback does not "
	                   "touch");
}

static void
test_backup_gate(void **state)
{
	(void)state;
	rollback_web("v2", "v1");
	F.nbackups = 0;
	refused(RW_ECONFLICT, "refused by the backup gate: environment prod has no backup — run "
	                      "`rewindctl backup run --env prod` and `backup verify`, or give "
	                      "--override-gate REASON");

	F.nbackups = 1;
	F.backup.verified = false;
	snprintf(F.backup.result, sizeof(F.backup.result), "restore failed");
	refused(RW_ECONFLICT, "refused by the backup gate: the latest backup of prod (#7) is not "
	                      "verified: restore failed — run `rewindctl backup run --env prod` "
	                      "and `backup verify`, or give --override-gate REASON");

	F.backup.result[0] = '\0';
	snprintf(R.override_gate, sizeof(R.override_gate), "db is read-only");
	assert_int_equal(make(), 0);
	assert_string_equal(D.warnings, "gate overridden: the latest backup of prod (#7) is not "
	                                "verified (reason: db is read-only)");
	assert_string_equal(D.plan.override_gate, "db is read-only");

	memset(&D, 0, sizeof(D));
	F.backup_rv = RW_EDB;
	assert_int_equal(make(), RW_EDB);
}

static void
test_migrations_gate(void **state)
{
	struct plan_target *t;
	(void)state;

	t = rollback_web("v2", "v1");
	snprintf(t->cur.release.migrations_compat, sizeof(t->cur.release.migrations_compat), "no");
	refused(RW_ECONFLICT, "refused by the migration gate: web:v2 ran migrations that are not "
	                      "backwards compatible; the older image may fail on the new schema "
	                      "(see the backend runbook), or give --override-gate REASON");

	snprintf(R.override_gate, sizeof(R.override_gate), "restored by hand");
	assert_int_equal(make(), 0);
	assert_string_equal(D.warnings, "gate overridden: web:v2 has migrations that are NOT "
	                                "backwards compatible (reason: restored by hand)");
}

static void
test_rollback_nothing_to_do(void **state)
{
	struct plan_target *t;
	(void)state;

	rollback();
	refused(RW_ENOTFOUND, "nothing was ever deployed to prod: nothing to roll back");

	t = target(1, "web", 12, "v2", "v1");
	t->good = t->cur.release;
	refused(RW_EINVAL, "web is already running web:v2 in prod");

	/* Unless the current deployment failed: then rolling "back" to it redeploys it. */
	snprintf(t->cur.outcome, sizeof(t->cur.outcome), "failed");
	assert_int_equal(make(), 0);

	memset(&D, 0, sizeof(D));
	t->good_rv = RW_ENOTFOUND;
	refused(RW_ECONFLICT, "no known-good release of web in prod to roll back to (none passed "
	                      "its observation window there); name one with --to "
	                      "SERVICE:VERSION");

	t->cur_rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "service web was never deployed to prod: nothing to roll back");
}

static void
test_rollback_services_named(void **state)
{
	(void)state;
	rollback();
	R.nservices = 2;
	snprintf(R.services[0], sizeof(R.services[0]), "web");
	snprintf(R.services[1], sizeof(R.services[1]), "api");
	F.services_rv = RW_ENOTFOUND;
	F.services_missing = 1;
	refused(RW_ENOTFOUND, "service api not found");
}

static void
test_rollback_too_many_services(void **state)
{
	char name[16];
	(void)state;

	rollback();
	for (int i = 0; i <= RW_OP_STEPS_MAX; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		target(i + 1, name, 100 + 2 * i, "v2", "v1");
	}
	refused(RW_ETOOBIG, "at most 16 services per operation");
}

static void
test_busy(void **state)
{
	(void)state;
	rollback_web("v2", "v1");
	T[0].busy = 12;
	refused(RW_EBUSY, "refused: a change to web is already in flight in prod (operation "
	                  "#12); one at a time per service and environment");

	T[0].busy = 0;
	T[0].busy_rv = RW_EDB;
	assert_int_equal(make(), RW_EDB);

	assert_int_equal(plan_refuse_busy("these services", "staging", 3, msg, sizeof(msg)),
	                 RW_EBUSY);
	assert_string_equal(msg, "refused: a change to these services is already in flight in "
	                         "staging (operation #3); one at a time per service and environment");
}

static void
test_config_set(void **state)
{
	(void)state;
	R.kind = RW_OP_CONFIG_SET;
	snprintf(R.configmap, sizeof(R.configmap), "app");
	R.nkv = 2;
	snprintf(R.kv[0].key, sizeof(R.kv[0].key), "A");
	snprintf(R.kv[0].value, sizeof(R.kv[0].value), "1");
	snprintf(R.kv[1].key, sizeof(R.kv[1].key), "B");
	snprintf(R.kv[1].value, sizeof(R.kv[1].value), "two");
	assert_int_equal(make(), 0);
	assert_string_equal(D.spec,
	                    "{\"namespace\":\"default\",\"configmap\":\"app\",\"data\":{\"A\":\"1\","
	                    "\"B\":\"two\"}}");
	assert_ptr_equal(D.plan.spec_json, D.spec);
	assert_int_equal(D.plan.nsteps, 0);
	assert_null(D.plan.dep_kind);
}

static void
test_config_revert(void **state)
{
	(void)state;
	R.kind = RW_OP_CONFIG_REVERT;
	OLD.kind = RW_OP_CONFIG_SET;
	snprintf(OLD.env, sizeof(OLD.env), "prod");
	snprintf(OLD.namespace_, sizeof(OLD.namespace_), "shop");
	snprintf(OLD.configmap, sizeof(OLD.configmap), "app");
	snprintf(OLD.previous, sizeof(OLD.previous), "{\"A\":\"0\",\"B\":null}");
	F.revert = &OLD;
	F.revert_id = 41;
	assert_int_equal(make(), 0);
	assert_string_equal(D.spec, "{\"namespace\":\"shop\",\"configmap\":\"app\",\"data\":{\"A\":"
	                            "\"0\"},\"revert_id\":41}");
	assert_string_equal(D.warnings, "key B did not exist before; it is left in place");

	free(D.spec);
	memset(&D, 0, sizeof(D));
	snprintf(OLD.previous, sizeof(OLD.previous), "{\"B\":null}");
	refused(RW_EINVAL, "nothing to restore: every key was new");
}

static void
test_config_revert_not_found(void **state)
{
	(void)state;
	R.kind = RW_OP_CONFIG_REVERT;
	F.revert = &OLD;
	F.revert_rv = RW_ENOTFOUND;
	refused(RW_ENOTFOUND, "no applied config set in prod to revert");

	/* Named, but of another environment, another kind or without previous values. */
	F.revert_rv = 0;
	R.revert_id = 41;
	OLD.kind = RW_OP_CONFIG_SET;
	snprintf(OLD.env, sizeof(OLD.env), "staging");
	snprintf(OLD.previous, sizeof(OLD.previous), "{\"A\":\"0\"}");
	refused(RW_ENOTFOUND, "no applied config set in prod to revert with that id");
	snprintf(OLD.env, sizeof(OLD.env), "prod");
	OLD.kind = RW_OP_DEPLOY;
	assert_int_equal(make(), RW_ENOTFOUND);
	OLD.kind = RW_OP_CONFIG_SET;
	OLD.previous[0] = '\0';
	assert_int_equal(make(), RW_ENOTFOUND);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_env_and_incident_not_found),
		T_(test_deploy_in_deploy_order),
		T_(test_deploy_unpinned_warns),
		T_(test_deploy_refusals),
		T_(test_promote_known_good_gate),
		T_(test_promote_source),
		T_(test_rollback_to_known_good),
		T_(test_rollback_to_named_release),
		T_(test_rollback_release_of_another_service),
		T_(test_backup_gate),
		T_(test_migrations_gate),
		T_(test_rollback_nothing_to_do),
		T_(test_rollback_services_named),
		T_(test_rollback_too_many_services),
		T_(test_busy),
		T_(test_config_set),
		T_(test_config_revert),
		T_(test_config_revert_not_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
