/*
 * store: a sorted array of entries (few hundred objects at most, so linear
 * search is fine) plus a ring of the last STORE_RING events indexed by
 * resourceVersion, which is global and increases by one per write.
 */
#include "store.h"
#include "kobj.h"
#include "kutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct store_entry {
    const struct kres *res;
    char *ns;
    char *name;
    json_t *obj;
    json_t *priv;
};

struct store {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct store_entry *entries;
    size_t n, cap;
    uint64_t rv;
    struct store_event ring[STORE_RING];
    int stopping;
    int watches;
};

struct store *store_new(void)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    return s;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->entries[i].ns);
        free(s->entries[i].name);
        json_decref(s->entries[i].obj);
        json_decref(s->entries[i].priv);
    }
    free(s->entries);
    for (size_t i = 0; i < STORE_RING; i++)
        json_decref(s->ring[i].obj);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void store_lock(struct store *s)
{
    pthread_mutex_lock(&s->mu);
}

void store_unlock(struct store *s)
{
    pthread_mutex_unlock(&s->mu);
}

void store_shutdown(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

int store_stopping(struct store *s)
{
    return s->stopping;
}

uint64_t store_rv(struct store *s)
{
    return s->rv;
}

static const char *store_ns(const struct kres *r, const char *ns)
{
    return r->namespaced && ns ? ns : "";
}

/* Ordering key: type (by table order), namespace, name. */
static int store_cmp(const struct store_entry *e, const struct kres *r,
                     const char *ns, const char *name)
{
    if (e->res != r)
        return e->res < r ? -1 : 1;
    int c = strcmp(e->ns, ns);
    return c ? c : strcmp(e->name, name);
}

/* Index of the entry, or -(insertion point) - 1. */
static long store_find(struct store *s, const struct kres *r, const char *ns,
                       const char *name)
{
    ns = store_ns(r, ns);
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = store_cmp(&s->entries[mid], r, ns, name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

json_t *store_get(struct store *s, const struct kres *r, const char *ns,
                  const char *name)
{
    long i = name ? store_find(s, r, ns, name) : -1;
    return i >= 0 ? s->entries[i].obj : NULL;
}

json_t *store_priv(struct store *s, const struct kres *r, const char *ns,
                   const char *name)
{
    long i = name ? store_find(s, r, ns, name) : -1;
    return i >= 0 ? s->entries[i].priv : NULL;
}

json_t *store_list(struct store *s, const struct kres *r, const char *ns)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        struct store_entry *e = &s->entries[i];
        if (e->res != r || (ns && r->namespaced && strcmp(e->ns, ns)))
            continue;
        if (json_array_append(arr, e->obj)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* Records an event for the current rv (already bumped) and wakes waiters. */
static int store_emit(struct store *s, enum store_ev_type type,
                      const struct kres *r, json_t *obj)
{
    json_t *snap = json_deep_copy(obj);
    if (!snap)
        return -ENOMEM;
    struct store_event *ev = &s->ring[s->rv % STORE_RING];
    json_decref(ev->obj);
    ev->rv = s->rv;
    ev->type = type;
    ev->res = r;
    ev->obj = snap;
    pthread_cond_broadcast(&s->cond);
    return 0;
}

static int store_stamp_rv(struct store *s, json_t *obj)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(s->rv + 1));
    return kobj_set_str(obj, "metadata.resourceVersion", buf);
}

static int store_stamp_new(const struct kres *r, json_t *obj)
{
    char uid[40], ts[32];
    int rc = ku_random_uuid(uid, sizeof(uid));
    if (rc)
        return rc;
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    if (kobj_set_str(obj, "metadata.uid", uid) ||
        (!kobj_str(obj, "metadata.creationTimestamp") &&
         kobj_set_str(obj, "metadata.creationTimestamp", ts)) ||
        kobj_set_str(obj, "kind", r->kind) ||
        kobj_set_str(obj, "apiVersion", r->api_version))
        return -ENOMEM;
    if (!strcmp(r->kind, "Deployment") || !strcmp(r->kind, "ReplicaSet"))
        return kobj_set_int(obj, "metadata.generation", 1);
    return 0;
}

static int store_grow(struct store *s)
{
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct store_entry *e = realloc(s->entries, cap * sizeof(*e));
    if (!e)
        return -ENOMEM;
    s->entries = e;
    s->cap = cap;
    return 0;
}

/* Stored objects must share no subtree with anything else: callers often
 * build objects from parts of other objects. Steals obj. */
static json_t *store_own(const struct kres *r, json_t *obj)
{
    json_t *copy = obj ? json_deep_copy(obj) : NULL;
    /* kind and apiVersion first, as the apiserver serialises them. */
    json_t *own = copy ? json_pack("{s:s, s:s}", "kind", r->kind, "apiVersion", r->api_version) : NULL;
    if (own && json_object_update(own, copy) == 0) {
        json_object_set_new(own, "kind", json_string(r->kind));
        json_object_set_new(own, "apiVersion", json_string(r->api_version));
    } else {
        json_decref(own);
        own = NULL;
    }
    json_decref(copy);
    json_decref(obj);
    return own;
}

int store_create(struct store *s, const struct kres *r, json_t *obj, json_t **out)
{
    obj = store_own(r, obj);
    if (!obj)
        return -ENOMEM;
    const char *name = kobj_str(obj, "metadata.name");
    const char *ns = store_ns(r, kobj_str(obj, "metadata.namespace"));
    long at = name ? store_find(s, r, ns, name) : -1;
    int rc = !name ? -EINVAL : at >= 0 ? -EEXIST : store_grow(s);
    if (!rc)
        rc = store_stamp_new(r, obj);
    if (!rc)
        rc = store_stamp_rv(s, obj);
    struct store_entry e = {r, strdup(ns), ku_strdup(name), obj, json_object()};
    if (!rc && (!e.ns || !e.name || !e.priv))
        rc = -ENOMEM;
    if (rc) {
        free(e.ns);
        free(e.name);
        json_decref(e.priv);
        json_decref(obj);
        return rc;
    }
    size_t pos = (size_t)(-at - 1);
    memmove(&s->entries[pos + 1], &s->entries[pos], (s->n - pos) * sizeof(e));
    s->entries[pos] = e;
    s->n++;
    s->rv++;
    if (out)
        *out = obj;
    return store_emit(s, STORE_ADDED, r, obj);
}

/* Equal apart from metadata.resourceVersion? Compared in place: this runs
 * for every controller write, most of which change nothing. */
static int store_same(json_t *a, json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return 0;
    const char *k;
    json_t *va;
    json_object_foreach(a, k, va) {
        json_t *vb = json_object_get(b, k);
        if (!vb)
            return 0;
        if (strcmp(k, "metadata")) {
            if (!json_equal(va, vb))
                return 0;
            continue;
        }
        size_t na = json_object_size(va) - (json_object_get(va, "resourceVersion") ? 1 : 0);
        size_t nb = json_object_size(vb) - (json_object_get(vb, "resourceVersion") ? 1 : 0);
        if (!json_is_object(va) || !json_is_object(vb) || na != nb)
            return 0;
        const char *mk;
        json_t *ma;
        json_object_foreach(va, mk, ma) {
            if (strcmp(mk, "resourceVersion") && !json_equal(ma, json_object_get(vb, mk)))
                return 0;
        }
    }
    return 1;
}

int store_update(struct store *s, const struct kres *r, json_t *obj, json_t **out)
{
    const char *name = kobj_str(obj, "metadata.name");
    long at = name ? store_find(s, r, kobj_str(obj, "metadata.namespace"), name) : -1;
    if (at < 0) {
        json_decref(obj);
        return -ENOENT;
    }
    struct store_entry *e = &s->entries[at];
    if (kobj_set_str(obj, "kind", r->kind) || kobj_set_str(obj, "apiVersion", r->api_version)) {
        json_decref(obj);
        return -ENOMEM;
    }
    if (store_same(e->obj, obj)) {
        json_decref(obj);
        if (out)
            *out = e->obj;
        return 0;
    }
    obj = store_own(r, obj);
    if (!obj)
        return -ENOMEM;
    if (kobj_set_str(obj, "kind", r->kind) ||
        kobj_set_str(obj, "apiVersion", r->api_version) || store_stamp_rv(s, obj)) {
        json_decref(obj);
        return -ENOMEM;
    }
    json_decref(e->obj);
    e->obj = obj;
    s->rv++;
    if (out)
        *out = obj;
    return store_emit(s, STORE_MODIFIED, r, obj);
}

int store_delete(struct store *s, const struct kres *r, const char *ns,
                 const char *name, json_t **last)
{
    long at = store_find(s, r, ns, name);
    if (at < 0)
        return -ENOENT;
    struct store_entry e = s->entries[at];
    memmove(&s->entries[at], &s->entries[at + 1], (s->n - (size_t)at - 1) * sizeof(e));
    s->n--;
    store_stamp_rv(s, e.obj);
    s->rv++;
    int rc = store_emit(s, STORE_DELETED, r, e.obj);
    if (last)
        *last = json_incref(e.obj);
    free(e.ns);
    free(e.name);
    json_decref(e.obj);
    json_decref(e.priv);
    return rc;
}

int store_event_at(struct store *s, uint64_t rv, const struct store_event **ev)
{
    if (rv > s->rv)
        return -EAGAIN;
    if (rv == 0 || (s->rv >= STORE_RING && rv <= s->rv - STORE_RING))
        return -ERANGE;
    const struct store_event *e = &s->ring[rv % STORE_RING];
    if (e->rv != rv)
        return -ERANGE;
    *ev = e;
    return 0;
}

int store_wait(struct store *s, int64_t timeout_ms)
{
    if (s->stopping)
        return -ESHUTDOWN;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&s->cond, &s->mu, &ts);
    return s->stopping ? -ESHUTDOWN : 0;
}

void store_watch_count(struct store *s, int delta)
{
    s->watches += delta;
}

int store_watches(struct store *s)
{
    return s->watches;
}
