/* Unit tests for tmpl: normalised template comparison and hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "podtmpl.h"

static json_t *load(const char *s)
{
    json_t *v = json_loads(s, 0, NULL);
    assert_non_null(v);
    return v;
}

/* What kubectl rollout undo writes back versus what the RS holds. */
static void undo_copy_matches_rs_template(void **state)
{
    (void)state;
    json_t *rs = load("{\"metadata\":{\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"abc\"}},"
                      "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\",\"resources\":{}}],"
                      "\"securityContext\":{}}}");
    json_t *undo = load("{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},"
                        "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\",\"resources\":{},"
                        "\"env\":[]}],\"nodeSelector\":null}}");
    assert_true(tmpl_equal(rs, undo));
    char h1[16], h2[16];
    assert_int_equal(tmpl_hash(rs, h1, sizeof(h1)), 0);
    assert_int_equal(tmpl_hash(undo, h2, sizeof(h2)), 0);
    assert_string_equal(h1, h2);
    assert_int_equal(strlen(h1), 10);
    json_decref(rs);
    json_decref(undo);
}

static void different_templates_differ(void **state)
{
    (void)state;
    json_t *a = load("{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\"}]}}");
    json_t *b = load("{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:2\"}]}}");
    json_t *c = load("{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"x\"}},"
                     "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\"}]}}");
    assert_false(tmpl_equal(a, b));
    assert_false(tmpl_equal(a, c));
    char h1[16], h2[16];
    tmpl_hash(a, h1, sizeof(h1));
    tmpl_hash(b, h2, sizeof(h2));
    assert_string_not_equal(h1, h2);
    /* The input is never modified by normalisation. */
    json_t *n = tmpl_normalize(a);
    assert_true(json_equal(n, a));
    json_decref(n);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(undo_copy_matches_rs_template),
        cmocka_unit_test(different_templates_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
