/*
 * patch: JSON patch, JSON merge patch and strategic merge patch on jansson
 * documents. Merge keys are looked up by field name only (the Kubernetes
 * types kubesim serves have no field-name clashes that would need the full
 * path). Validation of the result is left to the caller.
 */
#include "patch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMP_DELETE 1 /* returned by smp_merge_map: "$patch": "delete" */

int patch_type_from_content_type(const char *ct, enum patch_type *out)
{
    if (!ct)
        return -EINVAL;
    size_t n = strcspn(ct, ";");
    if (n == strlen("application/json-patch+json") &&
        !strncmp(ct, "application/json-patch+json", n))
        *out = PATCH_JSON;
    else if (n == strlen("application/merge-patch+json") &&
             !strncmp(ct, "application/merge-patch+json", n))
        *out = PATCH_MERGE;
    else if (n == strlen("application/strategic-merge-patch+json") &&
             !strncmp(ct, "application/strategic-merge-patch+json", n))
        *out = PATCH_STRATEGIC;
    else
        return -EINVAL;
    return 0;
}

const char *patch_merge_key(const char *field)
{
    static const char *const keys[][2] = {
        {"containers", "name"}, {"initContainers", "name"},
        {"ephemeralContainers", "name"}, {"env", "name"}, {"volumes", "name"},
        {"volumeMounts", "mountPath"}, {"volumeDevices", "devicePath"},
        {"imagePullSecrets", "name"}, {"ports", "containerPort"},
        {"conditions", "type"}, {"ownerReferences", "uid"},
        {"hostAliases", "ip"}, {"resourceClaims", "name"},
        {"topologySpreadConstraints", "topologyKey"},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(keys[i][0], field))
            return keys[i][1];
    return NULL;
}

/* ---- JSON pointer (RFC 6901) ---- */

/* Splits a pointer into unescaped tokens; caller frees with ptr_free. */
static int ptr_parse(const char *ptr, char ***toks, size_t *n)
{
    *toks = NULL;
    *n = 0;
    if (!ptr)
        return -EINVAL;
    if (*ptr == '\0')
        return 0;
    if (*ptr != '/')
        return -EINVAL;
    const char *p = ptr;
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        char *t = malloc(len + 1);
        char **nt = realloc(*toks, (*n + 1) * sizeof(*nt));
        if (!t || !nt) {
            free(t);
            if (nt)
                *toks = nt;
            return -ENOMEM;
        }
        *toks = nt;
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
                t[o++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                t[o++] = p[i];
            }
        }
        t[o] = '\0';
        (*toks)[(*n)++] = t;
        p += len;
    }
    return 0;
}

static void ptr_free(char **toks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(toks[i]);
    free(toks);
}

/* Array index token: digits without leading zero; -1 if invalid. */
static long ptr_index(const char *t)
{
    if (!*t || (t[0] == '0' && t[1]) || strspn(t, "0123456789") != strlen(t))
        return -1;
    return strtol(t, NULL, 10);
}

/* Walks n tokens from doc; NULL when the path does not exist. */
static json_t *ptr_walk(json_t *doc, char **toks, size_t n)
{
    json_t *cur = doc;
    for (size_t i = 0; cur && i < n; i++) {
        if (json_is_object(cur)) {
            cur = json_object_get(cur, toks[i]);
        } else if (json_is_array(cur)) {
            long idx = ptr_index(toks[i]);
            cur = idx < 0 ? NULL : json_array_get(cur, (size_t)idx);
        } else {
            cur = NULL;
        }
    }
    return cur;
}

/* ---- JSON patch (RFC 6902) ---- */

struct jp_ctx {
    json_t *doc; /* owned; may be replaced by an op on "" */
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int jp_fail(struct jp_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* Adds val (stolen) at ptr; replace=1 demands the target exist. */
static int jp_put(struct jp_ctx *c, const char *ptr, json_t *val, int replace)
{
    char **toks;
    size_t n;
    int rc = ptr_parse(ptr, &toks, &n);
    if (rc) {
        json_decref(val);
        return rc == -EINVAL ? jp_fail(c, rc, "invalid JSON pointer \"%s\"", ptr) : rc;
    }
    if (n == 0) {
        json_decref(c->doc);
        c->doc = val;
        ptr_free(toks, n);
        return 0;
    }
    json_t *parent = ptr_walk(c->doc, toks, n - 1);
    const char *last = toks[n - 1];
    rc = -ENOENT;
    if (json_is_object(parent)) {
        if (!replace || json_object_get(parent, last))
            rc = json_object_set(parent, last, val) ? -ENOMEM : 0;
    } else if (json_is_array(parent)) {
        long idx = !strcmp(last, "-") && !replace ? (long)json_array_size(parent)
                                                  : ptr_index(last);
        size_t size = json_array_size(parent);
        if (idx >= 0 && replace && (size_t)idx < size)
            rc = json_array_set(parent, (size_t)idx, val) ? -ENOMEM : 0;
        else if (idx >= 0 && !replace && (size_t)idx <= size)
            rc = json_array_insert(parent, (size_t)idx, val) ? -ENOMEM : 0;
    }
    json_decref(val);
    ptr_free(toks, n);
    if (rc == -ENOENT && replace)
        return jp_fail(c, rc, "jsonpatch replace operation does not apply: doc is missing key: %s", ptr);
    if (rc == -ENOENT)
        return jp_fail(c, rc, "jsonpatch add operation does not apply: doc is missing path: \"%s\"", ptr);
    return rc;
}

static int jp_remove(struct jp_ctx *c, const char *ptr)
{
    char **toks;
    size_t n;
    int rc = ptr_parse(ptr, &toks, &n);
    if (rc || n == 0) {
        ptr_free(toks, n);
        return jp_fail(c, -EINVAL, "invalid JSON pointer \"%s\" for remove", ptr);
    }
    json_t *parent = ptr_walk(c->doc, toks, n - 1);
    const char *last = toks[n - 1];
    rc = -ENOENT;
    if (json_is_object(parent) && json_object_get(parent, last))
        rc = json_object_del(parent, last) ? -ENOENT : 0;
    else if (json_is_array(parent) && ptr_index(last) >= 0 &&
             (size_t)ptr_index(last) < json_array_size(parent))
        rc = json_array_remove(parent, (size_t)ptr_index(last)) ? -ENOENT : 0;
    ptr_free(toks, n);
    if (rc)
        return jp_fail(c, rc, "jsonpatch remove operation does not apply: doc is missing path: \"%s\"", ptr);
    return 0;
}

/* New reference to the value at ptr, or NULL. */
static json_t *jp_get(struct jp_ctx *c, const char *ptr)
{
    char **toks;
    size_t n;
    if (ptr_parse(ptr, &toks, &n))
        return NULL;
    json_t *v = ptr_walk(c->doc, toks, n);
    ptr_free(toks, n);
    return v ? json_deep_copy(v) : NULL;
}

static int jp_op(struct jp_ctx *c, json_t *op)
{
    const char *name = json_string_value(json_object_get(op, "op"));
    const char *path = json_string_value(json_object_get(op, "path"));
    const char *from = json_string_value(json_object_get(op, "from"));
    json_t *value = json_object_get(op, "value");
    if (!json_is_object(op) || !name || !path)
        return jp_fail(c, -EINVAL, "%s", "invalid JSON patch operation: op and path are required");
    if (!strcmp(name, "add") || !strcmp(name, "replace")) {
        if (!value)
            return jp_fail(c, -EINVAL, "jsonpatch %s operation is missing a value", name);
        return jp_put(c, path, json_deep_copy(value), name[0] == 'r');
    }
    if (!strcmp(name, "remove"))
        return jp_remove(c, path);
    if (!strcmp(name, "move") || !strcmp(name, "copy")) {
        json_t *v = from ? jp_get(c, from) : NULL;
        if (!v)
            return jp_fail(c, -ENOENT, "jsonpatch %s operation does not apply: doc is missing from path", name);
        if (name[0] == 'm') {
            int rc = jp_remove(c, from);
            if (rc) {
                json_decref(v);
                return rc;
            }
        }
        return jp_put(c, path, v, 0);
    }
    if (!strcmp(name, "test")) {
        json_t *v = jp_get(c, path);
        int eq = v && value && json_equal(v, value);
        json_decref(v);
        return eq ? 0 : jp_fail(c, -ENOENT, "testing value %s failed: test operation failed", path);
    }
    return jp_fail(c, -EINVAL, "Unexpected kind: %s", name);
}

static int patch_json(json_t *orig, json_t *patch, json_t **out, char *err,
                      size_t errlen)
{
    if (!json_is_array(patch)) {
        snprintf(err, errlen, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        return -EINVAL;
    }
    struct jp_ctx c = {json_deep_copy(orig), err, errlen};
    if (!c.doc)
        return -ENOMEM;
    size_t i;
    json_t *op;
    json_array_foreach(patch, i, op) {
        int rc = jp_op(&c, op);
        if (rc) {
            json_decref(c.doc);
            return rc;
        }
    }
    *out = c.doc;
    return 0;
}

/* ---- JSON merge patch (RFC 7386) ---- */

static json_t *merge_apply(json_t *target, json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *res = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (!res)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (json_is_null(v)) {
            json_object_del(res, k);
            continue;
        }
        json_t *m = merge_apply(json_object_get(res, k), v);
        if (!m || json_object_set_new(res, k, m)) {
            json_decref(res);
            return NULL;
        }
    }
    return res;
}

/* ---- strategic merge patch ---- */

struct smp_ctx {
    char *err;
    size_t errlen;
};

static int smp_merge_map(struct smp_ctx *c, json_t *orig, json_t *patch);

__attribute__((format(printf, 3, 4)))
static int smp_fail(struct smp_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* Index of the element of list whose key equals val, or -1. */
static long smp_find(json_t *list, const char *key, json_t *val)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        json_t *have = json_object_get(e, key);
        if (have && val && json_equal(have, val))
            return (long)i;
    }
    return -1;
}

/* A fresh copy of v with every SMP directive removed. */
static json_t *smp_clean_copy(struct smp_ctx *c, json_t *v)
{
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *o = json_object();
    if (o && smp_merge_map(c, o, v) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int smp_list_replace_directive(json_t *patch)
{
    size_t i;
    json_t *e;
    json_array_foreach(patch, i, e) {
        const char *d = json_string_value(json_object_get(e, "$patch"));
        if (d && !strcmp(d, "replace"))
            return 1;
    }
    return 0;
}

/* Merges patch (a list) into list cur by key; cur is modified. */
static int smp_merge_list(struct smp_ctx *c, json_t *cur, json_t *patch,
                          const char *key)
{
    int replace = smp_list_replace_directive(patch);
    if (replace)
        json_array_clear(cur);
    size_t i;
    json_t *e;
    json_array_foreach(patch, i, e) {
        if (!json_is_object(e))
            return smp_fail(c, -EINVAL, "list of %s must hold objects", key);
        const char *d = json_string_value(json_object_get(e, "$patch"));
        if (d && !strcmp(d, "replace"))
            continue;
        json_t *kv = json_object_get(e, key);
        if (!kv)
            return smp_fail(c, -EINVAL, "map does not contain declared merge key: %s", key);
        long idx = smp_find(cur, key, kv);
        if (d && !strcmp(d, "delete")) {
            if (idx >= 0)
                json_array_remove(cur, (size_t)idx);
            continue;
        }
        if (idx >= 0) {
            int rc = smp_merge_map(c, json_array_get(cur, (size_t)idx), e);
            if (rc < 0)
                return rc;
            continue;
        }
        json_t *n = smp_clean_copy(c, e);
        if (!n || json_array_append_new(cur, n))
            return -ENOMEM;
    }
    return 0;
}

/* Applies "$setElementOrder/<field>": listed elements first, in order. */
static int smp_set_order(json_t *orig, const char *field, json_t *order)
{
    json_t *list = json_object_get(orig, field);
    const char *key = patch_merge_key(field);
    if (!json_is_array(list) || !json_is_array(order))
        return 0;
    json_t *res = json_array();
    json_t *rest = json_deep_copy(list);
    if (!res || !rest) {
        json_decref(res);
        json_decref(rest);
        return -ENOMEM;
    }
    size_t i;
    json_t *o;
    json_array_foreach(order, i, o) {
        long idx = key ? smp_find(rest, key, json_object_get(o, key)) : -1;
        if (!key) {
            size_t j;
            json_t *e;
            json_array_foreach(rest, j, e) if (json_equal(e, o)) {
                idx = (long)j;
                break;
            }
        }
        if (idx < 0)
            continue;
        json_array_append(res, json_array_get(rest, (size_t)idx));
        json_array_remove(rest, (size_t)idx);
    }
    json_array_extend(res, rest);
    json_decref(rest);
    return json_object_set_new(orig, field, res) ? -ENOMEM : 0;
}

static void smp_delete_from_list(json_t *orig, const char *field, json_t *vals)
{
    json_t *list = json_object_get(orig, field);
    for (size_t i = json_array_size(list); i-- > 0;) {
        size_t j;
        json_t *v;
        json_array_foreach(vals, j, v) if (json_equal(v, json_array_get(list, i))) {
            json_array_remove(list, i);
            break;
        }
    }
}

static void smp_retain_keys(json_t *orig, json_t *keep)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(orig, tmp, k, v) {
        int found = 0;
        size_t i;
        json_t *kk;
        json_array_foreach(keep, i, kk) if (json_string_value(kk) &&
                                            !strcmp(json_string_value(kk), k)) found = 1;
        if (!found)
            json_object_del(orig, k);
    }
}

/* Merges one field of the patch into orig. */
static int smp_merge_field(struct smp_ctx *c, json_t *orig, const char *k, json_t *v)
{
    json_t *cur = json_object_get(orig, k);
    if (json_is_null(v)) {
        json_object_del(orig, k);
        return 0;
    }
    if (json_is_object(v)) {
        if (!json_is_object(cur)) {
            cur = json_object();
            if (!cur || json_object_set_new(orig, k, cur))
                return -ENOMEM;
        }
        int rc = smp_merge_map(c, cur, v);
        if (rc == SMP_DELETE)
            json_object_del(orig, k);
        return rc < 0 ? rc : 0;
    }
    const char *key = json_is_array(v) ? patch_merge_key(k) : NULL;
    if (key) {
        if (!json_is_array(cur)) {
            cur = json_array();
            if (!cur || json_object_set_new(orig, k, cur))
                return -ENOMEM;
        }
        return smp_merge_list(c, cur, v, key);
    }
    json_t *copy = json_is_array(v) ? json_array() : json_deep_copy(v);
    size_t i;
    json_t *e;
    if (copy && json_is_array(v))
        json_array_foreach(v, i, e) json_array_append_new(copy, smp_clean_copy(c, e));
    return !copy || json_object_set_new(orig, k, copy) ? -ENOMEM : 0;
}

static int smp_directives(struct smp_ctx *c, json_t *orig, json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (!strncmp(k, "$deleteFromPrimitiveList/", 25))
            smp_delete_from_list(orig, k + 25, v);
    }
    json_object_foreach(patch, k, v) {
        if (!strncmp(k, "$setElementOrder/", 17)) {
            int rc = smp_set_order(orig, k + 17, v);
            if (rc)
                return rc;
        }
    }
    json_t *keep = json_object_get(patch, "$retainKeys");
    if (keep && !json_is_array(keep))
        return smp_fail(c, -EINVAL, "%s", "$retainKeys must be a list");
    if (keep)
        smp_retain_keys(orig, keep);
    return 0;
}

/* Returns 0, SMP_DELETE when the map itself is to be deleted, or <0. */
static int smp_merge_map(struct smp_ctx *c, json_t *orig, json_t *patch)
{
    json_t *d = json_object_get(patch, "$patch");
    if (d) {
        const char *dv = json_string_value(d);
        if (dv && !strcmp(dv, "delete"))
            return SMP_DELETE;
        if (!dv || strcmp(dv, "replace"))
            return smp_fail(c, -EINVAL, "Unknown patch type: %s", dv ? dv : "?");
        json_object_clear(orig);
    }
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (k[0] == '$')
            continue;
        int rc = smp_merge_field(c, orig, k, v);
        if (rc)
            return rc;
    }
    return smp_directives(c, orig, patch);
}

static int patch_strategic(json_t *orig, json_t *patch, json_t **out,
                           char *err, size_t errlen)
{
    struct smp_ctx c = {err, errlen};
    if (!json_is_object(patch)) {
        snprintf(err, errlen, "strategic merge patch must be a JSON object");
        return -EINVAL;
    }
    json_t *doc = json_deep_copy(orig);
    if (!doc)
        return -ENOMEM;
    int rc = smp_merge_map(&c, doc, patch);
    if (rc == SMP_DELETE) {
        snprintf(err, errlen, "cannot delete the whole object with a patch");
        rc = -EINVAL;
    }
    if (rc) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

int patch_apply(enum patch_type t, json_t *orig, json_t *patch, json_t **out,
                char *err, size_t errlen)
{
    *out = NULL;
    switch (t) {
    case PATCH_JSON:
        return patch_json(orig, patch, out, err, errlen);
    case PATCH_MERGE:
        if (!json_is_object(patch)) {
            snprintf(err, errlen, "merge patch must be a JSON object");
            return -EINVAL;
        }
        *out = merge_apply(orig, patch);
        return *out ? 0 : -ENOMEM;
    case PATCH_STRATEGIC:
        return patch_strategic(orig, patch, out, err, errlen);
    }
    return -EINVAL;
}
