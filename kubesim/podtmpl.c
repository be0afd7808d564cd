/*
 * tmpl: normalisation, comparison and hashing of pod templates. The hash is
 * not Kubernetes' FNV-based one; it only has to be stable and name-safe.
 */
#include "podtmpl.h"
#include "kutil.h"

#include <stdlib.h>
#include <string.h>

/* Drops nulls and empty containers below v; returns 1 if v is now empty. */
static int tmpl_prune(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, c) {
            if (json_is_null(c) || tmpl_prune(c))
                json_object_del(v, k);
        }
        return json_object_size(v) == 0;
    }
    if (json_is_array(v)) {
        for (size_t i = json_array_size(v); i-- > 0;) {
            json_t *c = json_array_get(v, i);
            if (json_is_null(c) || tmpl_prune(c))
                json_array_remove(v, i);
        }
        return json_array_size(v) == 0;
    }
    return 0;
}

json_t *tmpl_normalize(json_t *tmpl)
{
    json_t *n = tmpl ? json_deep_copy(tmpl) : json_object();
    if (!n)
        return NULL;
    json_t *labels = json_object_get(json_object_get(n, "metadata"), "labels");
    json_object_del(labels, "pod-template-hash");
    if (tmpl_prune(n) && !json_is_object(n)) {
        json_decref(n);
        return json_object();
    }
    return n;
}

int tmpl_equal(json_t *a, json_t *b)
{
    json_t *na = tmpl_normalize(a);
    json_t *nb = tmpl_normalize(b);
    int eq = na && nb && json_equal(na, nb);
    json_decref(na);
    json_decref(nb);
    return eq;
}

int tmpl_hash(json_t *tmpl, char *out, size_t len)
{
    if (len < 11)
        return -1;
    json_t *n = tmpl_normalize(tmpl);
    char *s = n ? json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(n);
    if (!s)
        return -1;
    int rc = ku_hash_name(s, strlen(s), out, 10);
    free(s);
    return rc;
}
