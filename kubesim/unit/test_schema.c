/* Unit tests for schema: unknown fields, types, defaults and validation. */
#include <errno.h>
#include <string.h>

#include "kobj.h"
#include "schema.h"
#include "testlib.h"

static json_t *deploy(void)
{
    return tl_json("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":"
                   "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
                   "{\"containers\":[{\"name\":\"web\",\"image\":\"w:1\"}]}}}}");
}

static void unknown_fields_by_mode(void **state)
{
    (void)state;
    char err[300];
    json_t *d = deploy();
    kobj_set_int(d, "spec.replicaz", 3);
    assert_int_equal(schema_check_fields("Deployment", d, SCHEMA_FV_STRICT, NULL, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "strict decoding error: unknown field \"spec.replicaz\"");
    kobj_set_str(json_array_get(kobj_get(d, "spec.template.spec.containers"), 0), "imagee", "x");
    json_t *w = json_array();
    assert_int_equal(schema_check_fields("Deployment", d, SCHEMA_FV_WARN, w, err, sizeof(err)), 0);
    assert_int_equal(json_array_size(w), 2);
    assert_string_equal(json_string_value(json_array_get(w, 0)),
                        "unknown field \"spec.template.spec.containers[0].imagee\"");
    assert_null(kobj_get(d, "spec.replicaz"));
    assert_int_equal(schema_check_fields("Deployment", d, SCHEMA_FV_STRICT, NULL, err, sizeof(err)), 0);
    json_decref(w);
    kobj_set_str(d, "spec.replicas", "two");
    assert_int_equal(schema_check_fields("Deployment", d, SCHEMA_FV_IGNORE, NULL, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "spec.replicas"));
    json_decref(d);
    enum schema_fv fv;
    assert_int_equal(schema_fv_parse(NULL, &fv), 0);
    assert_int_equal(fv, SCHEMA_FV_WARN);
    assert_int_equal(schema_fv_parse("Strict", &fv), 0);
    assert_int_equal(fv, SCHEMA_FV_STRICT);
    assert_int_equal(schema_fv_parse("strict", &fv), -EINVAL);
}

static void defaults_like_apiserver(void **state)
{
    (void)state;
    json_t *d = deploy();
    schema_default("Deployment", d);
    assert_string_equal(kobj_str(d, "spec.strategy.type"), "RollingUpdate");
    assert_string_equal(kobj_str(d, "spec.strategy.rollingUpdate.maxSurge"), "25%");
    assert_int_equal(kobj_int(d, "spec.progressDeadlineSeconds", 0), 600);
    assert_int_equal(kobj_int(d, "spec.revisionHistoryLimit", 0), 10);
    json_t *c = json_array_get(kobj_get(d, "spec.template.spec.containers"), 0);
    assert_string_equal(kobj_str(c, "imagePullPolicy"), "IfNotPresent");
    assert_string_equal(kobj_str(d, "spec.template.spec.restartPolicy"), "Always");
    json_object_set_new(c, "image", json_string("w"));
    json_object_del(c, "imagePullPolicy");
    schema_default("Deployment", d);
    assert_string_equal(kobj_str(c, "imagePullPolicy"), "Always");
    json_decref(d);
}

static void validation_causes(void **state)
{
    (void)state;
    json_t *d = deploy(), *causes = json_array();
    assert_int_equal(schema_validate("Deployment", d, NULL, causes), 0);
    json_array_append_new(kobj_get(d, "spec.template.spec.containers"), json_pack("{s:s}", "name", "nope"));
    assert_int_equal(schema_validate("Deployment", d, NULL, causes), -EINVAL);
    char msg[400];
    schema_causes_message(causes, msg, sizeof(msg));
    assert_string_equal(msg, "spec.template.spec.containers[1].image: Required value");
    assert_string_equal(kobj_str(json_array_get(causes, 0), "reason"), "FieldValueRequired");
    json_array_clear(causes);
    json_t *old = deploy();
    json_t *d2 = deploy();
    kobj_set_str(d2, "spec.selector.matchLabels.app", "other");
    kobj_set_str(d2, "spec.template.metadata.labels.app", "other");
    kobj_set_str(json_array_get(kobj_get(d2, "spec.template.spec.containers"), 0), "name", "Bad_Name");
    assert_int_equal(schema_validate("Deployment", d2, old, causes), -EINVAL);
    schema_causes_message(causes, msg, sizeof(msg));
    assert_non_null(strstr(msg, "spec.selector: Invalid value: field is immutable"));
    assert_non_null(strstr(msg, "containers[0].name: Invalid value: \"Bad_Name\""));
    assert_true(msg[0] == '[');
    json_decref(causes);
    json_decref(d);
    json_decref(d2);
    json_decref(old);
}

TL_MAIN("tests", NULL, NULL,
    unknown_fields_by_mode, defaults_like_apiserver, validation_causes)
