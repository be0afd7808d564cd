/*
 * api: request routing and the REST verbs of the Kubernetes API over the
 * store. Every mutation is computed on a copy under the store lock and
 * committed in one store call, so a failing patch or validation leaves the
 * stored object untouched.
 */
#include "api.h"
#include "discovery.h"
#include "kobj.h"
#include "kubelet.h"
#include "kutil.h"
#include "logstream.h"
#include "patch.h"
#include "schema.h"
#include "selector.h"
#include "table.h"
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_NAME_MAX 254

struct route {
    const struct kres *r;
    const char *group, *version;
    char ns[API_NAME_MAX];
    int has_ns;
    char name[API_NAME_MAX];
    char sub[32];
};

void api_resp_clear(struct api_resp *resp)
{
    free(resp->body);
    json_decref(resp->warnings);
    if (resp->stream.impl)
        resp->stream.free(resp->stream.impl);
    memset(resp, 0, sizeof(*resp));
}

/* Serialises v (stolen) as the body. */
static int api_json(struct api_resp *resp, int code, json_t *v, const char *ctype)
{
    if (!v)
        return -ENOMEM;
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (!s)
        return -ENOMEM;
    free(resp->body);
    resp->body = s;
    resp->len = strlen(s);
    resp->code = code;
    resp->content_type = ctype ? ctype : "application/json";
    return 0;
}

static int api_status(struct api_resp *resp, int code, const char *reason, const char *msg,
                      json_t *details)
{
    return api_json(resp, code, kobj_status(code, reason, msg, details), NULL);
}

int api_error(struct api_resp *resp, int code, const char *reason, const char *msg)
{
    return api_status(resp, code, reason, msg, NULL);
}

static int api_text(struct api_resp *resp, int code, char *text)
{
    if (!text)
        return -ENOMEM;
    free(resp->body);
    resp->body = text;
    resp->len = strlen(text);
    resp->code = code;
    resp->content_type = "text/plain; charset=utf-8";
    return 0;
}

static const char *api_arg(const struct api_req *req, const char *key)
{
    return req->arg ? req->arg(req->arg_ctx, key) : NULL;
}

static int api_arg_bool(const struct api_req *req, const char *key)
{
    const char *v = api_arg(req, key);
    return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

static long api_arg_long(const struct api_req *req, const char *key, long def)
{
    const char *v = api_arg(req, key);
    char *end = NULL;
    if (!v || !*v)
        return def;
    long n = strtol(v, &end, 10);
    return end && *end == '\0' ? n : def;
}

static int api_wants_table(const struct api_req *req)
{
    return req->accept && strstr(req->accept, "as=Table") != NULL;
}

static const char *api_qualified(const struct kres *r, char *buf, size_t len)
{
    return kres_qualified(r, buf, len);
}

static int api_not_found(struct api_resp *resp, const struct kres *r, const char *name)
{
    char q[128], msg[512];
    snprintf(msg, sizeof(msg), "%s \"%s\" not found", api_qualified(r, q, sizeof(q)), name);
    return api_status(resp, 404, "NotFound", msg, kobj_status_details(name, r->group, r->plural));
}

static int api_no_resource(struct api_resp *resp)
{
    return api_error(resp, 404, "NotFound", "the server could not find the requested resource");
}

static int api_method_not_allowed(struct api_resp *resp, const char *method)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "the server does not allow this method on the requested resource (%s)",
             method);
    return api_error(resp, 405, "MethodNotAllowed", msg);
}

/* ---- routing ---- */

static int api_copy_seg(char *dst, size_t len, const char *seg, size_t n)
{
    if (n == 0 || n >= len)
        return -EINVAL;
    memcpy(dst, seg, n);
    dst[n] = '\0';
    return 0;
}

/* Splits rest ("namespaces/ns/pods/x/log") into the route. */
static int api_parse_route(const char *rest, struct route *rt)
{
    const char *segs[8];
    size_t lens[8], n = 0;
    const char *p = rest;
    while (*p == '/')
        p++;
    while (*p && n < 8) {
        size_t l = strcspn(p, "/");
        segs[n] = p;
        lens[n++] = l;
        p += l;
        while (*p == '/')
            p++;
    }
    if (*p || n == 0)
        return -ENOENT;
    size_t i = 0;
    char plural[64];
    if (n >= 3 && lens[0] == 10 && !strncmp(segs[0], "namespaces", 10)) {
        if (api_copy_seg(rt->ns, sizeof(rt->ns), segs[1], lens[1]))
            return -ENOENT;
        rt->has_ns = 1;
        i = 2;
    }
    if (api_copy_seg(plural, sizeof(plural), segs[i], lens[i]))
        return -ENOENT;
    rt->r = kres_find(rt->group, rt->version, plural);
    if (!rt->r || (rt->has_ns && !rt->r->namespaced))
        return -ENOENT;
    if (i + 1 < n && api_copy_seg(rt->name, sizeof(rt->name), segs[i + 1], lens[i + 1]))
        return -ENOENT;
    if (i + 2 < n && api_copy_seg(rt->sub, sizeof(rt->sub), segs[i + 2], lens[i + 2]))
        return -ENOENT;
    if (i + 3 < n || (rt->sub[0] && !kres_has_sub(rt->r, rt->sub)))
        return -ENOENT;
    /* A namespaced object is only addressable inside its namespace. */
    if (rt->name[0] && rt->r->namespaced && !rt->has_ns)
        return -ENOENT;
    return 0;
}

/* ---- discovery ---- */

static int api_discovery(struct api_ctx *ctx, const struct api_req *req, struct api_resp *resp,
                         int *handled)
{
    const char *p = req->path;
    enum disc_fmt f = disc_negotiate(req->accept);
    json_t *doc = NULL;
    const char *ctype = "application/json";
    *handled = 1;
    if (!strcmp(p, "/version") || !strcmp(p, "/version/")) {
        doc = disc_version(ctx->version);
    } else if (!strcmp(p, "/api") || !strcmp(p, "/api/")) {
        doc = disc_api(f, ctx->server_addr);
        ctype = disc_content_type(f);
    } else if (!strcmp(p, "/apis") || !strcmp(p, "/apis/")) {
        doc = disc_apis(f);
        ctype = disc_content_type(f);
    } else if (!strcmp(p, "/api/v1") || !strcmp(p, "/api/v1/")) {
        doc = disc_resource_list("", "v1");
    } else if (!strcmp(p, "/apis/apps") || !strcmp(p, "/apis/apps/")) {
        doc = disc_group("apps");
    } else if (!strcmp(p, "/apis/apps/v1") || !strcmp(p, "/apis/apps/v1/")) {
        doc = disc_resource_list("apps", "v1");
    } else if (!strcmp(p, "/healthz") || !strcmp(p, "/livez") || !strcmp(p, "/readyz")) {
        return api_text(resp, 200, strdup("ok"));
    } else if (!strcmp(p, "/kubesim/stats")) {
        store_lock(ctx->st);
        doc = json_pack("{s:i, s:I}", "watches", store_watches(ctx->st), "resourceVersion",
                        (json_int_t)store_rv(ctx->st));
        store_unlock(ctx->st);
    } else {
        *handled = 0;
        return 0;
    }
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
        return api_method_not_allowed(resp, req->method);
    return api_json(resp, 200, doc, ctype);
}

/* ---- read verbs ---- */

static int api_parse_selectors(const struct api_req *req, const struct kres *r, struct sel **ls,
                               struct sel **fs, struct api_resp *resp)
{
    char err[300];
    *ls = *fs = NULL;
    int rc = sel_parse_labels(api_arg(req, "labelSelector"), ls, err, sizeof(err));
    if (!rc)
        rc = sel_parse_fields(api_arg(req, "fieldSelector"), r->kind, fs, err, sizeof(err));
    if (rc == -EINVAL) {
        sel_free(*ls);
        *ls = NULL;
        return api_error(resp, 400, "BadRequest", err) ? -ENOMEM : -EINVAL;
    }
    return rc;
}

static json_t *api_list_item(json_t *o)
{
    json_t *c = json_deep_copy(o);
    json_object_del(c, "kind");
    json_object_del(c, "apiVersion");
    return c;
}

static int api_list(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                    struct api_resp *resp)
{
    struct sel *ls, *fs;
    int rc = api_parse_selectors(req, rt->r, &ls, &fs, resp);
    if (rc)
        return rc == -EINVAL ? 0 : rc;
    char rv[32];
    store_lock(ctx->st);
    json_t *all = store_list(ctx->st, rt->r, rt->has_ns ? rt->ns : NULL);
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)store_rv(ctx->st));
    json_t *items = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        if (sel_matches(ls, o) && sel_matches(fs, o))
            json_array_append_new(items, api_wants_table(req) ? json_deep_copy(o) : api_list_item(o));
    }
    json_decref(all);
    store_unlock(ctx->st);
    sel_free(ls);
    sel_free(fs);
    if (api_wants_table(req)) {
        json_t *t = table_render(rt->r, items, api_arg(req, "includeObject"), rv, time(NULL));
        json_decref(items);
        return api_json(resp, 200, t, NULL);
    }
    return api_json(resp, 200, json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", rt->r->list_kind,
                                         "apiVersion", rt->r->api_version, "metadata",
                                         "resourceVersion", rv, "items", items), NULL);
}

static ssize_t api_watch_read(void *w, char *buf, size_t max, int (*alive)(void *ctx), void *ctx)
{
    return watch_read(w, buf, max, alive, ctx);
}

static void api_watch_free(void *w)
{
    watch_free(w);
}

static int api_watch(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                     struct api_resp *resp)
{
    struct sel *ls, *fs;
    int rc = api_parse_selectors(req, rt->r, &ls, &fs, resp);
    if (rc)
        return rc == -EINVAL ? 0 : rc;
    struct watch_opts o = {rt->r, rt->has_ns ? rt->ns : NULL, ls, fs,
                           api_arg(req, "resourceVersion"), api_wants_table(req),
                           api_arg_bool(req, "allowWatchBookmarks"),
                           api_arg_long(req, "timeoutSeconds", 0) * 1000};
    if (rt->name[0]) {
        /* GET .../pods/x?watch=1 watches one object. */
        char fsel[300];
        snprintf(fsel, sizeof(fsel), "metadata.name=%s", rt->name);
        sel_free(o.fields);
        o.fields = NULL;
        char err[64];
        if (sel_parse_fields(fsel, rt->r->kind, &o.fields, err, sizeof(err)))
            o.fields = NULL;
    }
    struct watch *w = NULL;
    rc = watch_open(ctx->st, &o, &w);
    if (rc == -EINVAL)
        return api_error(resp, 400, "BadRequest", "invalid resourceVersion for watch");
    if (rc)
        return rc;
    resp->stream = (struct api_stream){w, api_watch_read, api_watch_free};
    resp->code = 200;
    resp->content_type = "application/json";
    return 0;
}

static char *api_selector_string(json_t *sel)
{
    char buf[1024] = "";
    size_t off = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
        if (off < sizeof(buf))
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s=%s", off ? "," : "", k,
                                    json_string_value(v));
    }
    return strdup(buf);
}

static json_t *api_scale(json_t *obj)
{
    char *sel = api_selector_string(kobj_get(obj, "spec.selector"));
    json_t *s = json_pack("{s:s, s:s, s:{s:O?, s:O?, s:O?, s:O?, s:O?}, s:{s:I}, s:{s:I, s:s}}",
                          "kind", "Scale", "apiVersion", "autoscaling/v1", "metadata",
                          "name", kobj_get(obj, "metadata.name"),
                          "namespace", kobj_get(obj, "metadata.namespace"),
                          "uid", kobj_get(obj, "metadata.uid"),
                          "resourceVersion", kobj_get(obj, "metadata.resourceVersion"),
                          "creationTimestamp", kobj_get(obj, "metadata.creationTimestamp"),
                          "spec", "replicas", kobj_int(obj, "spec.replicas", 1),
                          "status", "replicas", kobj_int(obj, "status.replicas", 0),
                          "selector", sel ? sel : "");
    free(sel);
    return s;
}

static int api_logs(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                    struct api_resp *resp)
{
    struct kubelet_log_opts o = {api_arg(req, "container"), api_arg_long(req, "tailLines", -1),
                                 api_arg_long(req, "limitBytes", -1),
                                 api_arg_long(req, "sinceSeconds", -1),
                                 api_arg_bool(req, "timestamps"), api_arg_bool(req, "previous")};
    char err[300] = "", *text = NULL;
    struct kubelet_log_pos pos;
    store_lock(ctx->st);
    int rc = kubelet_logs(ctx->st, rt->ns, rt->name, &o, &text, &pos, err, sizeof(err));
    store_unlock(ctx->st);
    if (rc == -ENOENT)
        return api_not_found(resp, rt->r, rt->name);
    if (rc == -EINVAL || rc == -EAGAIN)
        return api_error(resp, 400, "BadRequest", err);
    if (rc)
        return rc;
    if (!api_arg_bool(req, "follow") || o.previous)
        return api_text(resp, 200, text);
    struct lstream *ls = NULL;
    rc = lstream_open(ctx->st, &pos, o.timestamps, text, &ls);
    if (rc)
        return rc;
    resp->stream = (struct api_stream){ls, lstream_read, lstream_free};
    resp->code = 200;
    resp->content_type = "text/plain; charset=utf-8";
    return 0;
}

static int api_get(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                   struct api_resp *resp)
{
    if (!strcmp(rt->sub, "log"))
        return api_logs(ctx, req, rt, resp);
    store_lock(ctx->st);
    json_t *obj = store_get(ctx->st, rt->r, rt->ns, rt->name);
    json_t *copy = obj ? json_deep_copy(obj) : NULL;
    store_unlock(ctx->st);
    if (!obj)
        return api_not_found(resp, rt->r, rt->name);
    if (!copy)
        return -ENOMEM;
    if (!strcmp(rt->sub, "scale")) {
        json_t *s = api_scale(copy);
        json_decref(copy);
        return api_json(resp, 200, s, NULL);
    }
    if (api_wants_table(req)) {
        json_t *items = json_pack("[o]", copy);
        json_t *t = table_render(rt->r, items, api_arg(req, "includeObject"),
                                 kobj_str(copy, "metadata.resourceVersion"), time(NULL));
        json_decref(items);
        return api_json(resp, 200, t, NULL);
    }
    return api_json(resp, 200, copy, NULL);
}

/* ---- write helpers ---- */

/* Bodies of create and update must be JSON: protobuf (which client-go
 * prefers for built-in types) is refused with 415, and client-go then
 * retries the request as JSON. */
static int api_json_body_type(const struct api_req *req)
{
    const char *ct = req->content_type;
    if (!ct || !*ct)
        return 1;
    size_t n = strcspn(ct, ";");
    return (n == 16 && !strncmp(ct, "application/json", 16)) || (n == 3 && !strncmp(ct, "*/*", 3));
}

static int api_parse_body(const struct api_req *req, json_t **out, const char *what,
                          struct api_resp *resp)
{
    json_error_t e;
    *out = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (*out)
        return 0;
    char msg[400];
    snprintf(msg, sizeof(msg), "%s: %s (line %d, column %d)", what, e.text, e.line, e.column);
    return api_error(resp, 400, "BadRequest", msg) ? -ENOMEM : -EINVAL;
}

static int api_field_validation(const struct api_req *req, enum schema_fv *fv,
                                struct api_resp *resp)
{
    if (schema_fv_parse(api_arg(req, "fieldValidation"), fv) == 0)
        return 0;
    return api_error(resp, 400, "BadRequest",
                     "fieldValidation must be one of \"Ignore\", \"Warn\" or \"Strict\"")
               ? -ENOMEM : -EINVAL;
}

static int api_invalid(struct api_resp *resp, const struct kres *r, const char *name,
                       json_t *causes)
{
    char summary[1200], msg[1600];
    schema_causes_message(causes, summary, sizeof(summary));
    snprintf(msg, sizeof(msg), "%s%s%s \"%s\" is invalid: %s", r->kind, *r->group ? "." : "",
             r->group, name, summary);
    json_t *d = kobj_status_details(name, r->group, r->kind);
    if (d)
        json_object_set(d, "causes", causes);
    return api_status(resp, 422, "Invalid", msg, d);
}

static int api_conflict(struct api_resp *resp, const struct kres *r, const char *name)
{
    char q[128], msg[512];
    snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": the object has been "
             "modified; please apply your changes to the latest version and try again",
             api_qualified(r, q, sizeof(q)), name);
    return api_status(resp, 409, "Conflict", msg, kobj_status_details(name, r->group, r->plural));
}

/* Fields only the server sets: copied back from the stored object. */
static void api_keep_server_fields(json_t *obj, json_t *old)
{
    static const char *const keep[] = {"uid", "creationTimestamp", "generation",
                                       "deletionTimestamp", "deletionGracePeriodSeconds", NULL};
    json_t *meta = kobj_ensure(obj, "metadata");
    json_t *ometa = json_object_get(old, "metadata");
    for (size_t i = 0; meta && keep[i]; i++) {
        json_t *v = json_object_get(ometa, keep[i]);
        if (v)
            json_object_set(meta, keep[i], v);
        else
            json_object_del(meta, keep[i]);
    }
}

/* Status is owned by the status subresource; spec by the main resource. */
static json_t *api_merge_status(const struct route *rt, json_t *old, json_t *obj)
{
    if (!strcmp(rt->sub, "status")) {
        json_t *merged = json_deep_copy(old);
        json_t *st = json_object_get(obj, "status");
        if (merged && st)
            json_object_set(merged, "status", st);
        json_decref(obj);
        return merged;
    }
    if (kres_has_sub(rt->r, "status")) {
        json_t *st = json_object_get(old, "status");
        if (st)
            json_object_set(obj, "status", st);
        else
            json_object_del(obj, "status");
    }
    return obj;
}

/* Unknown fields and the object's identity (name, namespace,
 * resourceVersion precondition). Answers resp and returns -EINVAL when the
 * update must be refused. */
static int api_check_update(const struct api_req *req, struct route *rt, json_t *old, json_t *obj,
                            struct api_resp *resp)
{
    enum schema_fv fv;
    char err[600];
    int rc = api_field_validation(req, &fv, resp);
    if (rc)
        return rc;
    resp->warnings = json_array();
    if (schema_check_fields(rt->r->kind, obj, fv, resp->warnings, err, sizeof(err)))
        return api_error(resp, 400, "BadRequest", err) ? -ENOMEM : -EINVAL;
    const char *name = kobj_str(obj, "metadata.name");
    const char *ns = kobj_str(obj, "metadata.namespace");
    if (!name || strcmp(name, rt->name) || (rt->r->namespaced && ns && strcmp(ns, rt->ns))) {
        snprintf(err, sizeof(err), "the name of the object (%s) does not match the name on the "
                 "URL (%s)", name ? name : "", rt->name);
        return api_error(resp, 400, "BadRequest", err) ? -ENOMEM : -EINVAL;
    }
    const char *orv = kobj_str(old, "metadata.resourceVersion");
    const char *nrv = kobj_str(obj, "metadata.resourceVersion");
    if (nrv && *nrv && strcmp(nrv, orv))
        return api_conflict(resp, rt->r, rt->name) ? -ENOMEM : -EINVAL;
    return 0;
}

/* Validates obj (stolen) as the new state of old and stores it (lock held). */
static int api_commit_update(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                             json_t *old, json_t *obj, struct api_resp *resp)
{
    json_t *causes = json_array();
    kobj_prune_nulls(obj);
    int rc = causes ? api_check_update(req, rt, old, obj, resp) : -ENOMEM;
    if (rc)
        goto out;
    if (rt->r->namespaced)
        kobj_set_str(obj, "metadata.namespace", rt->ns);
    api_keep_server_fields(obj, old);
    obj = api_merge_status(rt, old, obj);
    if (!obj) {
        rc = -ENOMEM;
        goto out;
    }
    schema_default(rt->r->kind, obj);
    if (schema_validate(rt->r->kind, obj, old, causes)) {
        rc = api_invalid(resp, rt->r, rt->name, causes);
        goto out;
    }
    /* The apiserver's strategy: a spec change is a new generation. */
    if (kobj_get(old, "metadata.generation") &&
        !json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")))
        kobj_set_int(obj, "metadata.generation", kobj_int(old, "metadata.generation", 1) + 1);
    if (api_arg(req, "dryRun")) {
        rc = api_json(resp, 200, obj, NULL);
        obj = NULL;
        goto out;
    }
    json_t *stored = NULL;
    rc = store_update(ctx->st, rt->r, obj, &stored);
    obj = NULL;
    if (!rc)
        rc = api_json(resp, 200, json_deep_copy(stored), NULL);
out:
    json_decref(obj);
    json_decref(causes);
    return rc == -EINVAL ? 0 : rc;
}

/* ---- patch / update ---- */

static int api_unsupported_media(struct api_resp *resp, const char *ct)
{
    char msg[400];
    snprintf(msg, sizeof(msg), "the body of the request was in an unknown format (%s) - accepted "
             "media types include: application/json-patch+json, application/merge-patch+json, "
             "application/strategic-merge-patch+json", ct ? ct : "none");
    return api_error(resp, 415, "UnsupportedMediaType", msg);
}

/* Scale writes change spec.replicas of the parent. */
static int api_commit_scale(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                            json_t *old, json_t *scale, struct api_resp *resp)
{
    json_t *rep = kobj_get(scale, "spec.replicas");
    if (!json_is_integer(rep) || json_integer_value(rep) < 0) {
        json_t *causes = json_pack("[{s:s, s:s, s:s}]", "reason", "FieldValueInvalid", "message",
                                   "Invalid value: must be greater than or equal to 0", "field",
                                   "spec.replicas");
        int rc = api_invalid(resp, rt->r, rt->name, causes);
        json_decref(causes);
        return rc;
    }
    json_t *obj = json_deep_copy(old);
    if (!obj)
        return -ENOMEM;
    kobj_set_int(obj, "spec.replicas", json_integer_value(rep));
    struct route main = *rt;
    main.sub[0] = '\0';
    int rc = api_commit_update(ctx, req, &main, old, obj, resp);
    if (rc || resp->code != 200)
        return rc;
    json_t *stored = store_get(ctx->st, rt->r, rt->ns, rt->name);
    return api_json(resp, 200, api_scale(stored), NULL);
}

static int api_patch(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                     struct api_resp *resp)
{
    enum patch_type t;
    if (patch_type_from_content_type(req->content_type, &t))
        return api_unsupported_media(resp, req->content_type);
    json_t *p;
    int rc = api_parse_body(req, &p, "error decoding patch", resp);
    if (rc)
        return rc == -EINVAL ? 0 : rc;
    store_lock(ctx->st);
    json_t *old = store_get(ctx->st, rt->r, rt->ns, rt->name);
    json_t *base = !old ? NULL : !strcmp(rt->sub, "scale") ? api_scale(old) : json_incref(old);
    json_t *patched = NULL;
    char err[600] = "";
    if (!old) {
        rc = api_not_found(resp, rt->r, rt->name);
    } else if ((rc = patch_apply(t, base, p, &patched, err, sizeof(err))) != 0) {
        rc = rc == -ENOMEM ? rc
           : api_error(resp, rc == -ENOENT ? 422 : 400, rc == -ENOENT ? "Invalid" : "BadRequest", err);
    } else if (!strcmp(rt->sub, "scale")) {
        rc = api_commit_scale(ctx, req, rt, old, patched, resp);
    } else {
        rc = api_commit_update(ctx, req, rt, old, patched, resp);
        patched = NULL;
    }
    store_unlock(ctx->st);
    json_decref(patched);
    json_decref(base);
    json_decref(p);
    return rc;
}

static int api_unsupported_body(struct api_resp *resp, const char *ct)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "the body of the request was in an unknown format (%s) - accepted "
             "media types include: application/json", ct);
    return api_error(resp, 415, "UnsupportedMediaType", msg);
}

static int api_update(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                      struct api_resp *resp)
{
    json_t *body;
    if (!api_json_body_type(req))
        return api_unsupported_body(resp, req->content_type);
    int rc = api_parse_body(req, &body, "couldn't decode the object", resp);
    if (rc)
        return rc == -EINVAL ? 0 : rc;
    if (!json_is_object(body)) {
        json_decref(body);
        return api_error(resp, 400, "BadRequest", "the request body must be a JSON object");
    }
    store_lock(ctx->st);
    json_t *old = store_get(ctx->st, rt->r, rt->ns, rt->name);
    if (!old) {
        rc = api_not_found(resp, rt->r, rt->name);
        json_decref(body);
    } else if (!strcmp(rt->sub, "scale")) {
        rc = api_commit_scale(ctx, req, rt, old, body, resp);
        json_decref(body);
    } else {
        rc = api_commit_update(ctx, req, rt, old, body, resp);
    }
    store_unlock(ctx->st);
    return rc;
}

/* ---- create ---- */

static int api_create_prepare(const struct api_req *req, struct route *rt, json_t *obj,
                              struct api_resp *resp)
{
    const char *kind = kobj_str(obj, "kind");
    char msg[400];
    if (kind && strcmp(kind, rt->r->kind)) {
        snprintf(msg, sizeof(msg), "the kind of the object (%s) does not match the resource (%s)",
                 kind, rt->r->plural);
        return api_error(resp, 400, "BadRequest", msg) ? -ENOMEM : -EINVAL;
    }
    const char *ns = kobj_str(obj, "metadata.namespace");
    if (rt->r->namespaced && ns && strcmp(ns, rt->ns))
        return api_error(resp, 400, "BadRequest", "the namespace of the provided object does not "
                         "match the namespace sent on the request") ? -ENOMEM : -EINVAL;
    if (rt->r->namespaced)
        kobj_set_str(obj, "metadata.namespace", rt->ns);
    const char *gen = kobj_str(obj, "metadata.generateName");
    if (!kobj_str(obj, "metadata.name") && gen) {
        char suffix[8], name[300];
        ku_random_name(suffix, 5);
        snprintf(name, sizeof(name), "%s%s", gen, suffix);
        kobj_set_str(obj, "metadata.name", name);
    }
    json_t *meta = kobj_ensure(obj, "metadata");
    static const char *const server[] = {"uid", "resourceVersion", "creationTimestamp",
                                         "generation", "deletionTimestamp", NULL};
    for (size_t i = 0; meta && server[i]; i++)
        json_object_del(meta, server[i]);
    if (!strcmp(rt->r->kind, "Pod"))
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
    else if (kres_has_sub(rt->r, "status") && strcmp(rt->r->kind, "Namespace"))
        json_object_del(obj, "status");
    (void)req;
    return 0;
}

static int api_create_commit(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                             json_t *obj, struct api_resp *resp)
{
    char q[128], msg[600];
    const char *name = kobj_str(obj, "metadata.name");
    if (rt->r->namespaced && !store_get(ctx->st, kres_by_kind("Namespace"), NULL, rt->ns)) {
        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", rt->ns);
        json_decref(obj);
        return api_status(resp, 404, "NotFound", msg, kobj_status_details(rt->ns, "", "namespaces"));
    }
    json_t *causes = json_array();
    schema_default(rt->r->kind, obj);
    if (schema_validate(rt->r->kind, obj, NULL, causes)) {
        int rc = api_invalid(resp, rt->r, name ? name : "", causes);
        json_decref(causes);
        json_decref(obj);
        return rc;
    }
    json_decref(causes);
    if (api_arg(req, "dryRun"))
        return api_json(resp, 201, obj, NULL);
    json_t *stored = NULL;
    char *keep = ku_strdup(name);
    int rc = store_create(ctx->st, rt->r, obj, &stored);
    if (rc == -EEXIST) {
        snprintf(msg, sizeof(msg), "%s \"%s\" already exists", api_qualified(rt->r, q, sizeof(q)),
                 keep ? keep : "");
        rc = api_status(resp, 409, "AlreadyExists", msg,
                        kobj_status_details(keep, rt->r->group, rt->r->plural));
    } else if (!rc) {
        rc = api_json(resp, 201, json_deep_copy(stored), NULL);
    }
    free(keep);
    return rc;
}

static int api_create(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                      struct api_resp *resp)
{
    enum schema_fv fv;
    json_t *obj;
    char err[600];
    if (!api_json_body_type(req))
        return api_unsupported_body(resp, req->content_type);
    int rc = api_field_validation(req, &fv, resp);
    if (!rc)
        rc = api_parse_body(req, &obj, "couldn't decode the object", resp);
    if (rc)
        return rc == -EINVAL ? 0 : rc;
    if (!json_is_object(obj)) {
        json_decref(obj);
        return api_error(resp, 400, "BadRequest", "the request body must be a JSON object");
    }
    kobj_prune_nulls(obj);
    resp->warnings = json_array();
    rc = schema_check_fields(rt->r->kind, obj, fv, resp->warnings, err, sizeof(err));
    if (rc) {
        json_decref(obj);
        return api_error(resp, 400, "BadRequest", err);
    }
    rc = api_create_prepare(req, rt, obj, resp);
    if (rc) {
        json_decref(obj);
        return rc == -EINVAL ? 0 : rc;
    }
    store_lock(ctx->st);
    rc = api_create_commit(ctx, req, rt, obj, resp);
    store_unlock(ctx->st);
    return rc;
}

/* ---- delete ---- */

static int api_delete_namespace(struct api_ctx *ctx, const char *ns)
{
    for (size_t i = 0; i < kres_count(); i++) {
        const struct kres *r = kres_at(i);
        if (!r->namespaced)
            continue;
        json_t *all = store_list(ctx->st, r, ns);
        size_t j;
        json_t *o;
        json_array_foreach(all, j, o) store_delete(ctx->st, r, ns, kobj_str(o, "metadata.name"), NULL);
        json_decref(all);
    }
    return 0;
}

static int api_delete(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                      struct api_resp *resp)
{
    store_lock(ctx->st);
    json_t *obj = store_get(ctx->st, rt->r, rt->ns, rt->name);
    int rc = 0;
    if (!obj) {
        rc = api_not_found(resp, rt->r, rt->name);
    } else if (!strcmp(rt->r->kind, "Pod") && api_arg_long(req, "gracePeriodSeconds", 30) != 0) {
        /* Graceful: the kubelet removes it on its next pass. */
        json_t *copy = json_deep_copy(obj);
        char ts[32];
        ku_rfc3339(time(NULL), ts, sizeof(ts));
        if (copy && !kobj_str(copy, "metadata.deletionTimestamp")) {
            kobj_set_str(copy, "metadata.deletionTimestamp", ts);
            kobj_set_int(copy, "metadata.deletionGracePeriodSeconds", 30);
        }
        json_t *stored = NULL;
        rc = copy ? store_update(ctx->st, rt->r, copy, &stored) : -ENOMEM;
        if (!rc)
            rc = api_json(resp, 200, json_deep_copy(stored), NULL);
    } else {
        json_t *d = kobj_status_details(rt->name, rt->r->group, rt->r->plural);
        if (d)
            json_object_set(d, "uid", kobj_get(obj, "metadata.uid"));
        if (!strcmp(rt->r->kind, "Namespace"))
            api_delete_namespace(ctx, rt->name);
        rc = store_delete(ctx->st, rt->r, rt->ns, rt->name, NULL);
        json_t *st = kobj_status(200, NULL, NULL, d);
        if (st) {
            json_object_del(st, "message");
            json_object_del(st, "reason");
        }
        if (!rc)
            rc = api_json(resp, 200, st, NULL);
        else
            json_decref(st);
    }
    store_unlock(ctx->st);
    return rc;
}

/* ---- dispatch ---- */

static int api_resource(struct api_ctx *ctx, const struct api_req *req, struct route *rt,
                        struct api_resp *resp)
{
    const char *m = req->method;
    int item = rt->name[0] != '\0';
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) {
        if (api_arg_bool(req, "watch"))
            return api_watch(ctx, req, rt, resp);
        return item ? api_get(ctx, req, rt, resp) : api_list(ctx, req, rt, resp);
    }
    if (!strcmp(rt->sub, "log"))
        return api_method_not_allowed(resp, m);
    if (!strcmp(m, "POST") && !item && kres_has_verb(rt->r, "create"))
        return api_create(ctx, req, rt, resp);
    if (!strcmp(m, "PATCH") && item)
        return api_patch(ctx, req, rt, resp);
    if (!strcmp(m, "PUT") && item)
        return api_update(ctx, req, rt, resp);
    if (!strcmp(m, "DELETE") && item && !rt->sub[0] && kres_has_verb(rt->r, "delete"))
        return api_delete(ctx, req, rt, resp);
    return api_method_not_allowed(resp, m);
}

int api_handle(struct api_ctx *ctx, const struct api_req *req, struct api_resp *resp)
{
    int handled = 0;
    memset(resp, 0, sizeof(*resp));
    int rc = api_discovery(ctx, req, resp, &handled);
    if (handled)
        return rc;
    struct route rt;
    memset(&rt, 0, sizeof(rt));
    const char *rest = NULL;
    if (!strncmp(req->path, "/api/v1/", 8)) {
        rt.group = "";
        rest = req->path + 8;
    } else if (!strncmp(req->path, "/apis/apps/v1/", 14)) {
        rt.group = "apps";
        rest = req->path + 14;
    }
    rt.version = "v1";
    if (!rest || api_parse_route(rest, &rt) != 0)
        return api_no_resource(resp);
    return api_resource(ctx, req, &rt, resp);
}
