/*
 * kobj: dotted-path access, Status objects, owner references and image
 * reference parsing for jansson-held Kubernetes objects. Knows nothing about
 * which resources exist or where objects live.
 */
#include "kobj.h"
#include "kutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Copies the next path segment into seg; returns pointer past it or NULL. */
static const char *kobj_next_seg(const char *p, char *seg, size_t len)
{
    size_t n = strcspn(p, ".");
    if (n == 0 || n >= len)
        return NULL;
    memcpy(seg, p, n);
    seg[n] = '\0';
    return p[n] == '.' ? p + n + 1 : p + n;
}

json_t *kobj_get(json_t *obj, const char *path)
{
    char seg[256];
    const char *p = path;
    json_t *cur = obj;
    while (cur && *p) {
        if (!json_is_object(cur))
            return NULL;
        p = kobj_next_seg(p, seg, sizeof(seg));
        if (!p)
            return NULL;
        cur = json_object_get(cur, seg);
    }
    return cur;
}

const char *kobj_str(json_t *obj, const char *path)
{
    return json_string_value(kobj_get(obj, path));
}

json_int_t kobj_int(json_t *obj, const char *path, json_int_t def)
{
    json_t *v = kobj_get(obj, path);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

json_t *kobj_ensure(json_t *obj, const char *path)
{
    char seg[256];
    const char *p = path;
    json_t *cur = obj;
    while (*p) {
        if (!json_is_object(cur))
            return NULL;
        p = kobj_next_seg(p, seg, sizeof(seg));
        if (!p)
            return NULL;
        json_t *next = json_object_get(cur, seg);
        if (!next || json_is_null(next)) {
            next = json_object();
            if (!next || json_object_set_new(cur, seg, next) != 0)
                return NULL;
        }
        cur = next;
    }
    return json_is_object(cur) ? cur : NULL;
}

int kobj_set(json_t *obj, const char *path, json_t *val)
{
    if (!val)
        return -ENOMEM;
    const char *dot = strrchr(path, '.');
    json_t *parent = obj;
    const char *key = path;
    if (dot) {
        char head[512];
        size_t n = (size_t)(dot - path);
        if (n >= sizeof(head)) {
            json_decref(val);
            return -EINVAL;
        }
        memcpy(head, path, n);
        head[n] = '\0';
        parent = kobj_ensure(obj, head);
        key = dot + 1;
    }
    if (!parent) {
        json_decref(val);
        return -EINVAL;
    }
    return json_object_set_new(parent, key, val) == 0 ? 0 : -ENOMEM;
}

int kobj_set_str(json_t *obj, const char *path, const char *s)
{
    return kobj_set(obj, path, json_string(s));
}

int kobj_set_int(json_t *obj, const char *path, json_int_t v)
{
    return kobj_set(obj, path, json_integer(v));
}

json_t *kobj_status(int code, const char *reason, const char *message,
                    json_t *details)
{
    json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}",
                           "kind", "Status", "apiVersion", "v1", "metadata",
                           "status", code < 400 ? "Success" : "Failure",
                           "message", message ? message : "",
                           "reason", reason ? reason : "", "code", code);
    if (st && details)
        json_object_set(st, "details", details);
    json_decref(details);
    return st;
}

json_t *kobj_status_details(const char *name, const char *group,
                            const char *kind)
{
    json_t *d = json_object();
    if (!d)
        return NULL;
    if (name)
        json_object_set_new(d, "name", json_string(name));
    if (group && *group)
        json_object_set_new(d, "group", json_string(group));
    if (kind)
        json_object_set_new(d, "kind", json_string(kind));
    return d;
}

void kobj_prune_nulls(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, c) {
            if (json_is_null(c))
                json_object_del(v, k);
            else
                kobj_prune_nulls(c);
        }
        return;
    }
    if (!json_is_array(v))
        return;
    for (size_t i = json_array_size(v); i-- > 0;) {
        json_t *c = json_array_get(v, i);
        if (json_is_null(c))
            json_array_remove(v, i);
        else
            kobj_prune_nulls(c);
    }
}

const char *kobj_controller_uid(json_t *obj)
{
    json_t *refs = kobj_get(obj, "metadata.ownerReferences");
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref) {
        if (json_is_true(json_object_get(ref, "controller")))
            return json_string_value(json_object_get(ref, "uid"));
    }
    return NULL;
}

int kobj_add_controller_ref(json_t *obj, json_t *owner)
{
    json_t *ref = json_pack("{s:s?, s:s?, s:s?, s:s?, s:b, s:b}",
                            "apiVersion", kobj_str(owner, "apiVersion"),
                            "kind", kobj_str(owner, "kind"),
                            "name", kobj_str(owner, "metadata.name"),
                            "uid", kobj_str(owner, "metadata.uid"),
                            "controller", 1, "blockOwnerDeletion", 1);
    if (!ref)
        return -ENOMEM;
    json_t *meta = kobj_ensure(obj, "metadata");
    if (!meta) {
        json_decref(ref);
        return -ENOMEM;
    }
    json_t *refs = json_array();
    if (!refs || json_array_append_new(refs, ref) != 0) {
        json_decref(refs);
        json_decref(ref);
        return -ENOMEM;
    }
    return json_object_set_new(meta, "ownerReferences", refs) == 0 ? 0 : -ENOMEM;
}

int kobj_image_digest(const char *image, char *out, size_t len)
{
    const char *at = strstr(image, "@sha256:");
    if (at) {
        if ((size_t)snprintf(out, len, "%s", at + 1) >= len)
            return -ENOSPC;
        return 0;
    }
    char hex[65];
    int rc = ku_sha256_hex(image, strlen(image), hex, sizeof(hex));
    if (rc)
        return rc;
    return (size_t)snprintf(out, len, "sha256:%s", hex) >= len ? -ENOSPC : 0;
}

/* Length of the repository part: up to '@', or up to a ':' after the last
 * '/' (a ':' before it belongs to a registry port). */
static size_t kobj_repo_len(const char *image)
{
    size_t n = strcspn(image, "@");
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (image[i] == '/')
            slash = image + i;
    const char *from = slash ? slash : image;
    const char *colon = memchr(from, ':', n - (size_t)(from - image));
    return colon ? (size_t)(colon - image) : n;
}

int kobj_image_id(const char *image, char *out, size_t len)
{
    char digest[80];
    int rc = kobj_image_digest(image, digest, sizeof(digest));
    if (rc)
        return rc;
    int n = snprintf(out, len, "%.*s@%s", (int)kobj_repo_len(image), image,
                     digest);
    return (size_t)n >= len ? -ENOSPC : 0;
}

int kobj_image_tag(const char *image, char *out, size_t len)
{
    size_t repo = kobj_repo_len(image);
    size_t n = strcspn(image, "@");
    int w;
    if (image[repo] == ':')
        w = snprintf(out, len, "%.*s", (int)(n - repo - 1), image + repo + 1);
    else if (image[n] == '@') {
        const char *hex = strchr(image + n, ':');
        w = snprintf(out, len, "%.12s", hex ? hex + 1 : image + n + 1);
    } else
        w = snprintf(out, len, "latest");
    return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

/* One matchExpressions entry against labels. */
static int kobj_expr_matches(json_t *expr, json_t *labels)
{
    const char *key = json_string_value(json_object_get(expr, "key"));
    const char *op = json_string_value(json_object_get(expr, "operator"));
    json_t *vals = json_object_get(expr, "values");
    if (!key || !op)
        return 0;
    const char *have = json_string_value(json_object_get(labels, key));
    if (!strcmp(op, "Exists"))
        return have != NULL;
    if (!strcmp(op, "DoesNotExist"))
        return have == NULL;
    int in = 0;
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v) {
        if (have && json_string_value(v) && !strcmp(have, json_string_value(v)))
            in = 1;
    }
    if (!strcmp(op, "In"))
        return in;
    if (!strcmp(op, "NotIn"))
        return !in;
    return 0;
}

int kobj_selector_matches(json_t *selector, json_t *labels)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(selector, "matchLabels"), k, v) {
        const char *have = json_string_value(json_object_get(labels, k));
        if (!have || !json_string_value(v) || strcmp(have, json_string_value(v)))
            return 0;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(selector, "matchExpressions"), i, e) {
        if (!kobj_expr_matches(e, labels))
            return 0;
    }
    return 1;
}
