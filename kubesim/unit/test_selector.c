/* Unit tests for sel: label and field selectors. */
#include <errno.h>
#include <string.h>

#include "selector.h"
#include "testlib.h"

static json_t *pod(const char *name, const char *labels, const char *node)
{
    json_t *l = json_loads(labels, 0, NULL);
    json_t *p = json_pack("{s:{s:s, s:s, s:o}, s:{s:s}, s:{s:s}}", "metadata", "name", name,
                          "namespace", "default", "labels", l, "spec", "nodeName", node, "status",
                          "phase", "Running");
    assert_non_null(p);
    return p;
}

static int lmatch(const char *sel, json_t *obj)
{
    struct sel *s = NULL;
    char err[200];
    assert_int_equal(sel_parse_labels(sel, &s, err, sizeof(err)), 0);
    int m = sel_matches(s, obj);
    sel_free(s);
    return m;
}

static void labels_equality_and_sets(void **state)
{
    (void)state;
    json_t *p = pod("a", "{\"app\":\"web\",\"tier\":\"fe\"}", "n1");
    assert_true(lmatch("app=web", p));
    assert_true(lmatch("app==web,tier=fe", p));
    assert_false(lmatch("app=db", p));
    assert_true(lmatch("app!=db", p));
    assert_true(lmatch("app in (db, web)", p));
    assert_false(lmatch("app notin (db,web)", p));
    assert_true(lmatch("tier", p));
    assert_false(lmatch("!tier", p));
    assert_true(lmatch("!legacy", p));
    assert_true(lmatch("", p));
    assert_true(lmatch(NULL, p));
    assert_false(lmatch("missing=x", p));
    assert_true(lmatch("missing!=x", p));
    json_decref(p);
}

static void labels_syntax_errors(void **state)
{
    (void)state;
    const char *bad[] = {"app in (x", "app=web,", "=x", "app in x", "app >> 3", "app=web foo"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sel *s = NULL;
        char err[200] = "";
        assert_int_equal(sel_parse_labels(bad[i], &s, err, sizeof(err)), -EINVAL);
        assert_null(s);
        assert_non_null(strstr(err, "unable to parse requirement"));
    }
}

static void fields(void **state)
{
    (void)state;
    json_t *p = pod("web-1", "{}", "node-a");
    struct sel *s = NULL;
    char err[200];
    const char *name = NULL;
    assert_int_equal(sel_parse_fields("metadata.name=web-1,spec.nodeName=node-a", "Pod", &s, err,
                                      sizeof(err)), 0);
    assert_true(sel_matches(s, p));
    assert_true(sel_field_name(s, &name));
    assert_string_equal(name, "web-1");
    sel_free(s);
    assert_int_equal(sel_parse_fields("spec.nodeName!=node-a", "Pod", &s, err, sizeof(err)), 0);
    assert_false(sel_matches(s, p));
    sel_free(s);
    assert_int_equal(sel_parse_fields("status.phase=Running", "Pod", &s, err, sizeof(err)), 0);
    assert_true(sel_matches(s, p));
    sel_free(s);
    /* spec.nodeName is a pod field, not a deployment one. */
    assert_int_equal(sel_parse_fields("spec.nodeName=x", "Deployment", &s, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "field label not supported: spec.nodeName");
    assert_int_equal(sel_parse_fields("metadata.name in (a)", "Pod", &s, err, sizeof(err)), -EINVAL);
    json_decref(p);
}

TL_MAIN("tests", NULL, NULL,
    labels_equality_and_sets, labels_syntax_errors, fields)
