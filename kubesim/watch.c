/*
 * watch: cursor-based reading of the store's event ring. Each watch keeps
 * only its position (a resourceVersion) and a pending output line, so
 * writers never block on slow watchers; a watcher that falls out of the
 * ring gets a 410 Expired ERROR event, as from the real apiserver.
 */
#include "watch.h"
#include "kobj.h"
#include "kutil.h"
#include "table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_WAIT_MS 250
#define WATCH_BOOKMARK_MS 5000

struct watch {
    struct store *st;
    const struct kres *res;
    char *ns;
    struct sel *labels, *fields;
    int table, bookmarks;
    uint64_t cursor;
    int64_t deadline_ms, last_sent_ms;
    char *pending; /* queued bytes: initial ADDED events or the current line */
    size_t pending_len, pending_off;
    int ended;     /* an ERROR event was queued: end after it */
};

void watch_free(struct watch *w)
{
    if (!w)
        return;
    store_lock(w->st);
    store_watch_count(w->st, -1);
    store_unlock(w->st);
    sel_free(w->labels);
    sel_free(w->fields);
    free(w->ns);
    free(w->pending);
    free(w);
}

static int watch_matches(struct watch *w, const struct kres *r, json_t *obj)
{
    if (r != w->res)
        return 0;
    if (w->ns && r->namespaced && strcmp(kobj_str(obj, "metadata.namespace"), w->ns))
        return 0;
    return sel_matches(w->labels, obj) && sel_matches(w->fields, obj);
}

/* Appends one event line for obj to the pending buffer. */
static int watch_queue(struct watch *w, const char *type, json_t *obj)
{
    json_t *shown = obj;
    json_t *items = NULL;
    if (w->table && strcmp(type, "ERROR") && strcmp(type, "BOOKMARK")) {
        items = json_pack("[O]", obj);
        shown = items ? table_render(w->res, items, "Metadata", kobj_str(obj, "metadata.resourceVersion"), time(NULL)) : NULL;
        json_decref(items);
        if (!shown)
            return -ENOMEM;
    }
    json_t *ev = json_pack("{s:s, s:O}", "type", type, "object", shown);
    if (shown != obj)
        json_decref(shown);
    char *line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!line)
        return -ENOMEM;
    size_t n = strlen(line);
    char *buf = realloc(w->pending, w->pending_len + n + 2);
    if (!buf) {
        free(line);
        return -ENOMEM;
    }
    memcpy(buf + w->pending_len, line, n);
    buf[w->pending_len + n] = '\n';
    w->pending = buf;
    w->pending_len += n + 1;
    free(line);
    return 0;
}

/* Current objects as ADDED events (resourceVersion unset or "0"). */
static int watch_initial(struct watch *w)
{
    json_t *items = store_list(w->st, w->res, w->ns);
    if (!items)
        return -ENOMEM;
    int rc = 0;
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
        if (!rc && watch_matches(w, w->res, o))
            rc = watch_queue(w, "ADDED", o);
    }
    json_decref(items);
    return rc;
}

static int watch_parse_rv(const char *rv, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(rv, &end, 10);
    if (errno || !end || *end || end == rv)
        return -EINVAL;
    *out = v;
    return 0;
}

int watch_open(struct store *st, struct watch_opts *o, struct watch **out)
{
    struct watch *w = calloc(1, sizeof(*w));
    uint64_t rv = 0;
    int fresh = !o->rv || !*o->rv || !strcmp(o->rv, "0");
    if (!w || (o->ns && !(w->ns = strdup(o->ns)))) {
        free(w);
        sel_free(o->labels);
        sel_free(o->fields);
        return -ENOMEM;
    }
    w->st = st;
    w->res = o->res;
    w->labels = o->labels;
    w->fields = o->fields;
    w->table = o->table;
    w->bookmarks = o->bookmarks;
    w->last_sent_ms = ku_mono_ms();
    w->deadline_ms = o->timeout_ms > 0 ? ku_mono_ms() + o->timeout_ms : 0;
    o->labels = o->fields = NULL;
    store_lock(st);
    store_watch_count(st, 1);
    int rc = fresh ? 0 : watch_parse_rv(o->rv, &rv);
    w->cursor = fresh ? store_rv(st) : rv;
    if (!rc && fresh)
        rc = watch_initial(w);
    store_unlock(st);
    if (rc) {
        watch_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int watch_queue_expired(struct watch *w)
{
    char msg[128];
    snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
             (unsigned long long)w->cursor, (unsigned long long)store_rv(w->st));
    json_t *st = kobj_status(410, "Expired", msg, NULL);
    int rc = st ? watch_queue(w, "ERROR", st) : -ENOMEM;
    json_decref(st);
    w->ended = 1;
    return rc;
}

static int watch_queue_bookmark(struct watch *w)
{
    char rv[32];
    snprintf(rv, sizeof(rv), "%llu", (unsigned long long)w->cursor);
    json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "kind", w->res->kind, "apiVersion",
                          w->res->api_version, "metadata", "resourceVersion", rv);
    int rc = o ? watch_queue(w, "BOOKMARK", o) : -ENOMEM;
    json_decref(o);
    return rc;
}

/* Queues the next matching event, if any (lock held). 1 if queued. */
static int watch_next(struct watch *w)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED"};
    while (w->cursor < store_rv(w->st)) {
        const struct store_event *ev;
        int rc = store_event_at(w->st, w->cursor + 1, &ev);
        if (rc == -ERANGE)
            return watch_queue_expired(w) == 0;
        if (rc)
            return 0;
        w->cursor++;
        if (watch_matches(w, ev->res, ev->obj))
            return watch_queue(w, names[ev->type], ev->obj) == 0;
    }
    return 0;
}

static ssize_t watch_drain(struct watch *w, char *buf, size_t max)
{
    size_t n = w->pending_len - w->pending_off;
    if (n > max)
        n = max;
    memcpy(buf, w->pending + w->pending_off, n);
    w->pending_off += n;
    if (w->pending_off == w->pending_len) {
        free(w->pending);
        w->pending = NULL;
        w->pending_len = w->pending_off = 0;
    }
    w->last_sent_ms = ku_mono_ms();
    return (ssize_t)n;
}

ssize_t watch_read(struct watch *w, char *buf, size_t max, int (*alive)(void *ctx), void *ctx)
{
    if (w->pending_len > w->pending_off)
        return watch_drain(w, buf, max);
    if (w->ended)
        return 0;
    store_lock(w->st);
    for (;;) {
        if (store_stopping(w->st) || (w->deadline_ms && ku_mono_ms() >= w->deadline_ms))
            break;
        if (watch_next(w))
            break;
        if (alive && !alive(ctx)) {
            store_unlock(w->st);
            return -1;
        }
        if (w->bookmarks && ku_mono_ms() - w->last_sent_ms >= WATCH_BOOKMARK_MS) {
            watch_queue_bookmark(w);
            break;
        }
        store_wait(w->st, WATCH_WAIT_MS);
    }
    store_unlock(w->st);
    if (w->pending_len > w->pending_off)
        return watch_drain(w, buf, max);
    return 0;
}
