/* Unit tests for tmpl: normalised template comparison and hashing. */
#include <string.h>

#include "podtmpl.h"
#include "testlib.h"

/* What kubectl rollout undo writes back versus what the RS holds. */
static void undo_copy_matches_rs_template(void **state)
{
    (void)state;
    json_t *rs = tl_json("{\"metadata\":{\"labels\":{\"app\":\"web\",\"pod-template-hash\":\"abc\"}},"
                         "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\",\"resources\":{}}],"
                         "\"securityContext\":{}}}");
    json_t *undo = tl_json("{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"app\":\"web\"}},"
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
    json_t *a = tl_json("{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\"}]}}");
    json_t *b = tl_json("{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"w:2\"}]}}");
    json_t *c = tl_json("{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"x\"}},"
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

TL_MAIN("tests", NULL, NULL,
    undo_copy_matches_rs_template, different_templates_differ)
