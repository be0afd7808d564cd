/* Unit tests for scn: parsing, strictness, image behaviour matching, and
 * the shipped default scenario. */
#include <errno.h>
#include <string.h>

#include "kobj.h"
#include "scenario.h"
#include "testlib.h"

static void default_scenario_is_the_runbooks(void **state)
{
    (void)state;
    struct scenario *s = NULL;
    char err[300];
    assert_int_equal(scn_load_string(scn_default_json, &s, err, sizeof(err)), 0);
    const struct scn_deploy *fe = scn_deploy_find(s, "default", "mr-dj-frontend");
    const struct scn_deploy *be = scn_deploy_find(s, "misterdj", "misterdj-backend");
    assert_non_null(fe);
    assert_non_null(be);
    assert_int_equal(fe->replicas, 2);
    assert_int_equal(be->replicas, 2);
    assert_true(!strncmp(fe->image, "ghcr.io/crisisk/mr-dj-frontend:", 31));
    assert_true(!strncmp(be->image, "ghcr.io/crisisk/misterdj-backend:", 33));
    assert_int_equal(json_array_size(s->nodes), 2);
    assert_int_equal(scn_image_for(s, "ghcr.io/crisisk/mr-dj-frontend:v9-crash")->behaviour, SCN_CRASH);
    assert_int_equal(scn_image_for(s, "ghcr.io/crisisk/mr-dj-frontend:v9-unhealthy")->behaviour, SCN_UNHEALTHY);
    assert_int_equal(scn_image_for(s, "ghcr.io/crisisk/mr-dj-frontend:v9-slow")->behaviour, SCN_SLOW);
    assert_int_equal(scn_image_for(s, "ghcr.io/crisisk/mr-dj-frontend:v9")->behaviour, SCN_OK);
    scn_free(s);
}

static void exact_beats_pattern(void **state)
{
    (void)state;
    struct scenario *s = NULL;
    char err[300];
    assert_int_equal(scn_load_string("{\"images\":[{\"pattern\":\"r/*\",\"behaviour\":\"crash\"},"
                                     "{\"image\":\"r/a:1\",\"behaviour\":\"slow\",\"readyAfterMs\":50},"
                                     "{\"pattern\":\"*:bad\",\"behaviour\":\"unhealthy\"}]}",
                                     &s, err, sizeof(err)), 0);
    assert_int_equal(scn_image_for(s, "r/a:1")->behaviour, SCN_SLOW);
    assert_int_equal(scn_image_for(s, "r/a:1")->ready_after_ms, 50);
    assert_int_equal(scn_image_for(s, "r/b:1")->behaviour, SCN_CRASH);
    assert_int_equal(scn_image_for(s, "x/b:bad")->behaviour, SCN_UNHEALTHY);
    assert_int_equal(scn_image_for(s, "x/b:bad")->health_status, 503);
    assert_int_equal(scn_image_for(s, "other:1")->behaviour, SCN_OK);
    scn_free(s);
}

static void bad_scenarios_are_rejected(void **state)
{
    (void)state;
    const char *bad[] = {
        "{\"deployment\":[]}",
        "{\"deployments\":[{\"name\":\"x\"}]}",
        "{\"deployments\":[{\"name\":\"x\",\"image\":\"i\",\"replicas\":-1}]}",
        "{\"images\":[{\"image\":\"a\",\"behaviour\":\"explode\"}]}",
        "{\"images\":[{\"image\":\"a\",\"pattern\":\"b\",\"behaviour\":\"ok\"}]}",
        "{\"nodes\":[{\"ip\":\"1.2.3.4\"}]}",
        "{not json",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct scenario *s = NULL;
        char err[300] = "";
        assert_int_equal(scn_load_string(bad[i], &s, err, sizeof(err)), -EINVAL);
        assert_null(s);
        assert_true(strlen(err) > 0);
    }
}

static void image_ids(void **state)
{
    (void)state;
    char buf[300];
    assert_int_equal(kobj_image_tag("ghcr.io/crisisk/mr-dj-frontend:v2", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "v2");
    assert_int_equal(kobj_image_tag("localhost:5000/app", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "latest");
    assert_int_equal(kobj_image_id("localhost:5000/app:1", buf, sizeof(buf)), 0);
    assert_true(!strncmp(buf, "localhost:5000/app@sha256:", 26));
    assert_int_equal(strlen(buf), 26 + 64);
    char again[300];
    kobj_image_id("localhost:5000/app:1", again, sizeof(again));
    assert_string_equal(buf, again);
    const char *pinned = "r/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(kobj_image_id(pinned, buf, sizeof(buf)), 0);
    assert_string_equal(buf, pinned);
    assert_int_equal(kobj_image_tag(pinned, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0123456789ab");
}

TL_MAIN("tests", NULL, NULL,
    default_scenario_is_the_runbooks, exact_beats_pattern, bad_scenarios_are_rejected, image_ids)
