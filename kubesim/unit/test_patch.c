/* Unit tests for patch: strategic merge, JSON merge and JSON patch. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "kobj.h"
#include "patch.h"
#include "testlib.h"

static json_t *deploy(void)
{
    return tl_json("{\"metadata\":{\"name\":\"d\",\"annotations\":{\"a\":\"1\"}},"
                   "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":["
                   "{\"name\":\"web\",\"image\":\"web:v1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},"
                   "{\"name\":\"side\",\"image\":\"side:v1\"}]}}}}");
}

static int apply(enum patch_type t, json_t *orig, const char *p, json_t **out, char *err)
{
    json_t *pj = tl_json(p);
    int rc = patch_apply(t, orig, pj, out, err, 256);
    json_decref(pj);
    return rc;
}

/* The exact body kubectl set image sends. */
static void smp_set_image_merges_by_name(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_STRATEGIC, d,
        "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"},"
        "{\"name\":\"side\"}],\"containers\":[{\"image\":\"web:v2\",\"name\":\"web\"}]}}}}", &out, err), 0);
    json_t *cs = kobj_get(out, "spec.template.spec.containers");
    assert_int_equal(json_array_size(cs), 2);
    assert_string_equal(kobj_str(json_array_get(cs, 0), "image"), "web:v2");
    assert_string_equal(kobj_str(json_array_get(cs, 0), "env") ? "" : "env kept", "env kept");
    assert_non_null(kobj_get(json_array_get(cs, 0), "env"));
    assert_string_equal(kobj_str(json_array_get(cs, 1), "image"), "side:v1");
    assert_null(kobj_get(out, "spec.template.spec.$setElementOrder/containers"));
    /* The original is untouched. */
    assert_string_equal(kobj_str(json_array_get(kobj_get(d, "spec.template.spec.containers"), 0), "image"), "web:v1");
    json_decref(out);
    json_decref(d);
}

static void smp_new_container_appended_and_order(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_STRATEGIC, d,
        "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"side\"},"
        "{\"name\":\"new\"},{\"name\":\"web\"}],\"containers\":[{\"name\":\"new\",\"image\":\"n:1\"}]}}}}",
        &out, err), 0);
    json_t *cs = kobj_get(out, "spec.template.spec.containers");
    assert_int_equal(json_array_size(cs), 3);
    assert_string_equal(kobj_str(json_array_get(cs, 0), "name"), "side");
    assert_string_equal(kobj_str(json_array_get(cs, 1), "name"), "new");
    assert_string_equal(kobj_str(json_array_get(cs, 2), "name"), "web");
    json_decref(out);
    json_decref(d);
}

static void smp_directives(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_STRATEGIC, d,
        "{\"metadata\":{\"annotations\":{\"a\":null,\"b\":\"2\"}},\"spec\":{\"template\":{\"spec\":"
        "{\"containers\":[{\"name\":\"side\",\"$patch\":\"delete\"},{\"name\":\"web\",\"env\":"
        "[{\"name\":\"A\",\"$patch\":\"delete\"}]}]}}}}", &out, err), 0);
    assert_null(kobj_get(out, "metadata.annotations.a"));
    assert_string_equal(kobj_str(out, "metadata.annotations.b"), "2");
    json_t *cs = kobj_get(out, "spec.template.spec.containers");
    assert_int_equal(json_array_size(cs), 1);
    assert_int_equal(json_array_size(kobj_get(json_array_get(cs, 0), "env")), 0);
    json_decref(out);
    assert_int_equal(apply(PATCH_STRATEGIC, d,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},"
        "{\"name\":\"only\",\"image\":\"o:1\"}]}}}}", &out, err), 0);
    cs = kobj_get(out, "spec.template.spec.containers");
    assert_int_equal(json_array_size(cs), 1);
    assert_string_equal(kobj_str(json_array_get(cs, 0), "name"), "only");
    json_decref(out);
    json_decref(d);
}

static void smp_errors(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_STRATEGIC, d,
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}}}", &out, err), -EINVAL);
    assert_non_null(strstr(err, "merge key"));
    assert_int_equal(apply(PATCH_STRATEGIC, d, "[1]", &out, err), -EINVAL);
    assert_null(out);
    json_decref(d);
}

static void merge_patch_rfc7386(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_MERGE, d, "{\"spec\":{\"replicas\":5,\"template\":null},\"x\":{\"y\":1}}",
                           &out, err), 0);
    assert_int_equal(kobj_int(out, "spec.replicas", 0), 5);
    assert_null(kobj_get(out, "spec.template"));
    assert_int_equal(kobj_int(out, "x.y", 0), 1);
    json_decref(out);
    json_decref(d);
}

/* The body kubectl rollout undo sends, plus the other operations. */
static void json_patch_ops(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_JSON, d,
        "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":{\"metadata\":{\"creationTimestamp\":null},"
        "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"web:v0\",\"resources\":{}}]}}},"
        "{\"op\":\"replace\",\"path\":\"/metadata/annotations\",\"value\":{\"deployment.kubernetes.io/revision\":\"2\"}},"
        "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a/b\":\"x\"}},"
        "{\"op\":\"test\",\"path\":\"/metadata/labels/a~1b\",\"value\":\"x\"},"
        "{\"op\":\"copy\",\"from\":\"/spec/replicas\",\"path\":\"/spec/minReadySeconds\"},"
        "{\"op\":\"remove\",\"path\":\"/spec/replicas\"},"
        "{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/-\",\"value\":{\"name\":\"z\"}}]",
        &out, err), 0);
    assert_string_equal(kobj_str(json_array_get(kobj_get(out, "spec.template.spec.containers"), 0), "image"),
                        "web:v0");
    assert_int_equal(json_array_size(kobj_get(out, "spec.template.spec.containers")), 2);
    assert_null(kobj_get(out, "spec.replicas"));
    assert_int_equal(kobj_int(out, "spec.minReadySeconds", 0), 2);
    json_decref(out);
    json_decref(d);
}

static void json_patch_failures(void **state)
{
    (void)state;
    json_t *d = deploy(), *out = NULL;
    char err[256];
    assert_int_equal(apply(PATCH_JSON, d, "[{\"op\":\"replace\",\"path\":\"/metadata/labels\",\"value\":{}}]",
                           &out, err), -ENOENT);
    assert_non_null(strstr(err, "missing"));
    assert_int_equal(apply(PATCH_JSON, d, "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":3}]",
                           &out, err), -ENOENT);
    assert_int_equal(apply(PATCH_JSON, d, "[{\"op\":\"frob\",\"path\":\"/a\"}]", &out, err), -EINVAL);
    assert_int_equal(apply(PATCH_JSON, d, "{\"op\":\"add\"}", &out, err), -EINVAL);
    assert_int_equal(apply(PATCH_JSON, d, "[{\"op\":\"add\",\"path\":\"no-slash\",\"value\":1}]", &out, err),
                     -EINVAL);
    assert_null(out);
    json_decref(d);
}

static void content_types(void **state)
{
    (void)state;
    enum patch_type t;
    assert_int_equal(patch_type_from_content_type("application/strategic-merge-patch+json", &t), 0);
    assert_int_equal(t, PATCH_STRATEGIC);
    assert_int_equal(patch_type_from_content_type("application/merge-patch+json; charset=utf-8", &t), 0);
    assert_int_equal(t, PATCH_MERGE);
    assert_int_equal(patch_type_from_content_type("application/json-patch+json", &t), 0);
    assert_int_equal(t, PATCH_JSON);
    assert_int_equal(patch_type_from_content_type("application/apply-patch+yaml", &t), -EINVAL);
    assert_int_equal(patch_type_from_content_type(NULL, &t), -EINVAL);
    assert_string_equal(patch_merge_key("containers"), "name");
    assert_null(patch_merge_key("args"));
}

TL_MAIN("tests", NULL, NULL,
    smp_set_image_merges_by_name, smp_new_container_appended_and_order, smp_directives, smp_errors,
    merge_patch_rfc7386, json_patch_ops, json_patch_failures, content_types)
