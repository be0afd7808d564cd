/* Unit tests for api over a seeded, settled store (no HTTP): status codes,
 * Status bodies, generation bumps, atomic patches, tables, the controller's
 * ReplicaSet reuse on rollback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "controller.h"
#include "kobj.h"
#include "scenario.h"
#include "schema.h"
#include "testlib.h"

#define DEP "/apis/apps/v1/namespaces/default/deployments/web"

static const char scenario_text[] =
    "{\"stepMs\":10,\"namespaces\":[\"default\"],\"nodes\":[\"n1\",\"n2\"],"
    "\"deployments\":[{\"name\":\"web\",\"image\":\"r/web:v1\",\"previousImages\":[\"r/web:v0\"]},"
    "{\"name\":\"db\",\"image\":\"r/db:v1\",\"replicas\":1}],"
    "\"images\":[{\"pattern\":\"*-crash\",\"behaviour\":\"crash\"}]}";

struct fixture {
    struct scenario *scn;
    struct store *st;
    struct ctl *ctl;
    struct api_ctx api;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[200];
    assert_int_equal(scn_load_string(scenario_text, &f->scn, err, sizeof(err)), 0);
    f->st = store_new();
    store_lock(f->st);
    assert_int_equal(scn_seed(f->scn, f->st), 0);
    store_unlock(f->st);
    f->ctl = ctl_new(f->st, f->scn, 10);
    assert_int_equal(ctl_settle(f->ctl), 0);
    f->api = (struct api_ctx){f->st, f->scn, "v1.32.4+k3s1", "127.0.0.1:1"};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ctl_free(f->ctl);
    store_free(f->st);
    scn_free(f->scn);
    free(f);
    return 0;
}

/* Query: "k=v&k2=v2" (already decoded). */
static const char *arg(void *ctx, const char *key)
{
    static char val[256];
    const char *q = ctx;
    size_t kl = strlen(key);
    for (const char *p = q; p && *p;) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, "&");
            snprintf(val, sizeof(val), "%.*s", (int)n, p + kl + 1);
            return val;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return NULL;
}

static json_t *call(struct fixture *f, const char *method, const char *path, const char *query,
                    const char *ctype, const char *body, const char *accept, int *code)
{
    struct api_req req = {method, path, body, body ? strlen(body) : 0, accept, ctype, arg,
                          (void *)(query ? query : "")};
    struct api_resp resp;
    assert_int_equal(api_handle(&f->api, &req, &resp), 0);
    *code = resp.code;
    json_t *out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
    api_resp_clear(&resp);
    return out;
}

static void get_and_not_found(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *d = call(f, "GET", DEP, NULL, NULL, NULL, "application/json", &code);
    assert_int_equal(code, 200);
    assert_string_equal(kobj_str(d, "kind"), "Deployment");
    assert_int_equal(kobj_int(d, "status.observedGeneration", 0), 1);
    assert_int_equal(kobj_int(d, "status.availableReplicas", 0), 2);
    assert_string_equal(json_string_value(json_object_get(kobj_get(d, "metadata.annotations"),
                                                          "deployment.kubernetes.io/revision")), "2");
    json_decref(d);
    d = call(f, "GET", "/apis/apps/v1/namespaces/default/deployments/nope", NULL, NULL, NULL, NULL, &code);
    assert_int_equal(code, 404);
    assert_string_equal(kobj_str(d, "kind"), "Status");
    assert_string_equal(kobj_str(d, "reason"), "NotFound");
    assert_string_equal(kobj_str(d, "message"), "deployments.apps \"nope\" not found");
    json_decref(d);
    d = call(f, "GET", "/api/v1/namespaces/default/gizmos", NULL, NULL, NULL, NULL, &code);
    assert_int_equal(code, 404);
    json_decref(d);
}

static void list_with_selectors_and_table(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *l = call(f, "GET", "/api/v1/namespaces/default/pods", "labelSelector=app=web", NULL, NULL, NULL,
                     &code);
    assert_int_equal(code, 200);
    assert_string_equal(kobj_str(l, "kind"), "PodList");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    assert_null(kobj_get(json_array_get(json_object_get(l, "items"), 0), "kind"));
    json_decref(l);
    l = call(f, "GET", "/api/v1/pods", "fieldSelector=spec.nodeName=n1", NULL, NULL, NULL, &code);
    size_t on_n1 = json_array_size(json_object_get(l, "items"));
    json_decref(l);
    l = call(f, "GET", "/api/v1/pods", "fieldSelector=spec.nodeName!=n1", NULL, NULL, NULL, &code);
    assert_int_equal(on_n1 + json_array_size(json_object_get(l, "items")), 3);
    assert_true(on_n1 >= 1 && on_n1 <= 2); /* spread over both nodes */
    json_decref(l);
    json_t *t = call(f, "GET", "/apis/apps/v1/namespaces/default/deployments", NULL, NULL, NULL,
                     "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", &code);
    assert_string_equal(kobj_str(t, "kind"), "Table");
    assert_int_equal(json_array_size(json_object_get(t, "rows")), 2);
    json_decref(t);
}

static void set_image_bumps_generation_and_rolls(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *d = call(f, "PATCH", DEP, "fieldManager=kubectl-set", "application/strategic-merge-patch+json",
                     "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"}],"
                     "\"containers\":[{\"image\":\"r/web:v2\",\"name\":\"web\"}]}}}}", NULL, &code);
    assert_int_equal(code, 200);
    assert_int_equal(kobj_int(d, "metadata.generation", 0), 2);
    assert_int_equal(kobj_int(d, "status.observedGeneration", 0), 1);
    json_decref(d);
    for (int i = 0; i < 40; i++)
        ctl_tick(f->ctl, 1);
    d = call(f, "GET", DEP, NULL, NULL, NULL, NULL, &code);
    assert_int_equal(kobj_int(d, "status.observedGeneration", 0), 2);
    assert_int_equal(kobj_int(d, "status.updatedReplicas", 0), 2);
    assert_int_equal(kobj_int(d, "status.replicas", 0), 2);
    json_t *ann = kobj_get(d, "metadata.annotations");
    assert_string_equal(json_string_value(json_object_get(ann, "deployment.kubernetes.io/revision")), "3");
    json_decref(d);
}

/* A JSON patch back to the v0 template reuses the old ReplicaSet. */
static void undo_reuses_old_replicaset(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *rsl = call(f, "GET", "/apis/apps/v1/namespaces/default/replicasets", "labelSelector=app=web", NULL,
                       NULL, NULL, &code);
    json_t *old = NULL;
    size_t i;
    json_t *rs;
    json_array_foreach(json_object_get(rsl, "items"), i, rs) {
        json_t *ann = kobj_get(rs, "metadata.annotations");
        if (!strcmp(json_string_value(json_object_get(ann, "deployment.kubernetes.io/revision")), "1"))
            old = rs;
    }
    assert_non_null(old);
    assert_true(json_is_true(json_object_get(json_array_get(kobj_get(old, "metadata.ownerReferences"), 0),
                                             "controller")));
    json_t *tmpl = json_deep_copy(kobj_get(old, "spec.template"));
    json_object_del(kobj_get(tmpl, "metadata.labels"), "pod-template-hash");
    kobj_set(tmpl, "metadata.creationTimestamp", json_null());
    json_t *patch = json_pack("[{s:s, s:s, s:o}]", "op", "replace", "path", "/spec/template", "value", tmpl);
    char *body = json_dumps(patch, 0);
    json_t *d = call(f, "PATCH", DEP, NULL, "application/json-patch+json", body, NULL, &code);
    assert_int_equal(code, 200);
    free(body);
    json_decref(patch);
    json_decref(d);
    for (int k = 0; k < 40; k++)
        ctl_tick(f->ctl, 1);
    json_t *after = call(f, "GET", "/apis/apps/v1/namespaces/default/replicasets", "labelSelector=app=web",
                         NULL, NULL, NULL, &code);
    assert_int_equal(json_array_size(json_object_get(after, "items")),
                     json_array_size(json_object_get(rsl, "items")));
    json_t *dep = call(f, "GET", DEP, NULL, NULL, NULL, NULL, &code);
    assert_string_equal(json_string_value(json_object_get(kobj_get(dep, "metadata.annotations"),
                                                          "deployment.kubernetes.io/revision")), "4");
    json_decref(dep);
    json_decref(after);
    json_decref(rsl);
}

static void rejected_patches_change_nothing(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *before = call(f, "GET", DEP, NULL, NULL, NULL, NULL, &code);
    json_t *r = call(f, "PATCH", DEP, NULL, "application/strategic-merge-patch+json",
                     "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"ghost\"}]}}}}", NULL, &code);
    assert_int_equal(code, 422);
    assert_string_equal(kobj_str(r, "reason"), "Invalid");
    json_decref(r);
    r = call(f, "PATCH", DEP, "fieldValidation=Strict", "application/merge-patch+json", "{\"spec\":{\"x\":1}}",
             NULL, &code);
    assert_int_equal(code, 400);
    json_decref(r);
    r = call(f, "PATCH", DEP, NULL, "application/merge-patch+json", "{not json", NULL, &code);
    assert_int_equal(code, 400);
    json_decref(r);
    r = call(f, "PATCH", DEP, NULL, "application/apply-patch+yaml", "{}", NULL, &code);
    assert_int_equal(code, 415);
    json_decref(r);
    json_t *after = call(f, "GET", DEP, NULL, NULL, NULL, NULL, &code);
    assert_string_equal(kobj_str(before, "metadata.resourceVersion"), kobj_str(after, "metadata.resourceVersion"));
    json_decref(before);
    json_decref(after);
}

static void scale_logs_and_discovery(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *s = call(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/db/scale", NULL,
                     "application/merge-patch+json", "{\"spec\":{\"replicas\":3}}", NULL, &code);
    assert_int_equal(code, 200);
    assert_string_equal(kobj_str(s, "kind"), "Scale");
    assert_int_equal(kobj_int(s, "spec.replicas", 0), 3);
    json_decref(s);
    json_t *pods = call(f, "GET", "/api/v1/namespaces/default/pods", "labelSelector=app=db", NULL, NULL, NULL,
                        &code);
    const char *name = kobj_str(json_array_get(json_object_get(pods, "items"), 0), "metadata.name");
    char path[300];
    snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods/%s/log", name);
    struct api_req req = {"GET", path, NULL, 0, NULL, NULL, arg, (void *)"tailLines=2"};
    struct api_resp resp;
    assert_int_equal(api_handle(&f->api, &req, &resp), 0);
    assert_int_equal(resp.code, 200);
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    int lines = 0;
    for (char *p = resp.body; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    api_resp_clear(&resp);
    json_decref(pods);
    json_t *v = call(f, "GET", "/version", NULL, NULL, NULL, NULL, &code);
    assert_string_equal(kobj_str(v, "gitVersion"), "v1.32.4+k3s1");
    json_decref(v);
}

static void revision_history_is_pruned(void **state)
{
    struct fixture *f = *state;
    int code;
    json_t *r = call(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/db", NULL,
                     "application/merge-patch+json", "{\"spec\":{\"revisionHistoryLimit\":1}}", NULL, &code);
    assert_int_equal(code, 200);
    json_decref(r);
    for (int v = 2; v <= 5; v++) {
        char body[200];
        snprintf(body, sizeof(body), "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                 "[{\"name\":\"db\",\"image\":\"r/db:v%d\"}]}}}}", v);
        r = call(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/db", NULL,
                 "application/strategic-merge-patch+json", body, NULL, &code);
        assert_int_equal(code, 200);
        json_decref(r);
        for (int k = 0; k < 30; k++)
            ctl_tick(f->ctl, 1);
    }
    json_t *l = call(f, "GET", "/apis/apps/v1/namespaces/default/replicasets", "labelSelector=app=db", NULL,
                     NULL, NULL, &code);
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
}

TL_MAIN("tests", setup, teardown,
    get_and_not_found, list_with_selectors_and_table, set_image_bumps_generation_and_rolls,
    undo_reuses_old_replicaset, rejected_patches_change_nothing, scale_logs_and_discovery,
    revision_history_is_pruned)
