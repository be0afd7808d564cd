/* Unit tests for disc: Accept negotiation and discovery documents. */
#include <string.h>

#include "discovery.h"
#include "kobj.h"
#include "testlib.h"

#define ACCEPT_132 "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," \
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
#define ACCEPT_127 "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList," \
    "application/json"

static void negotiation(void **state)
{
    (void)state;
    assert_int_equal(disc_negotiate(ACCEPT_132), DISC_V2);
    assert_int_equal(disc_negotiate(ACCEPT_127), DISC_V2BETA1);
    assert_int_equal(disc_negotiate("application/json, */*"), DISC_LEGACY);
    assert_int_equal(disc_negotiate(NULL), DISC_LEGACY);
    assert_int_equal(disc_negotiate("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"),
                     DISC_LEGACY);
    assert_string_equal(disc_content_type(DISC_V2),
                        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
}

static json_t *find_resource(json_t *resources, const char *key, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r) if (!strcmp(kobj_str(r, key), name)) return r;
    return NULL;
}

static void aggregated_has_short_names(void **state)
{
    (void)state;
    json_t *apis = disc_apis(DISC_V2);
    json_t *item = json_array_get(json_object_get(apis, "items"), 0);
    assert_string_equal(kobj_str(item, "metadata.name"), "apps");
    json_t *res = json_object_get(json_array_get(json_object_get(item, "versions"), 0), "resources");
    json_t *d = find_resource(res, "resource", "deployments");
    assert_non_null(d);
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "shortNames"), 0)), "deploy");
    assert_string_equal(kobj_str(d, "scope"), "Namespaced");
    json_decref(apis);
    json_t *api = disc_api(DISC_V2BETA1, "127.0.0.1:1");
    assert_string_equal(kobj_str(api, "apiVersion"), "apidiscovery.k8s.io/v2beta1");
    res = json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(api, "items"), 0),
                                                         "versions"), 0), "resources");
    json_t *po = find_resource(res, "resource", "pods");
    assert_string_equal(json_string_value(json_array_get(json_object_get(po, "shortNames"), 0)), "po");
    json_decref(api);
}

static void legacy_documents(void **state)
{
    (void)state;
    json_t *api = disc_api(DISC_LEGACY, "127.0.0.1:1");
    assert_string_equal(kobj_str(api, "kind"), "APIVersions");
    json_decref(api);
    json_t *l = disc_resource_list("", "v1");
    assert_string_equal(kobj_str(l, "groupVersion"), "v1");
    assert_non_null(find_resource(json_object_get(l, "resources"), "name", "pods/log"));
    assert_non_null(find_resource(json_object_get(l, "resources"), "name", "nodes"));
    json_decref(l);
    l = disc_resource_list("apps", "v1");
    json_t *d = find_resource(json_object_get(l, "resources"), "name", "deployments");
    assert_false(json_is_true(json_object_get(find_resource(json_object_get(l, "resources"), "name",
                                                            "deployments/scale"), "namespaced")) == 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "shortNames"), 0)), "deploy");
    json_decref(l);
    assert_null(disc_resource_list("batch", "v1"));
    json_t *v = disc_version("v1.27.16");
    assert_string_equal(kobj_str(v, "minor"), "27");
    json_decref(v);
}

TL_MAIN("tests", NULL, NULL,
    negotiation, aggregated_has_short_names, legacy_documents)
