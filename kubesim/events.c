/*
 * kev: Event objects in the store, named "<object>.<16 hex>" like the
 * apiserver's, with firstTimestamp/lastTimestamp/count aggregation.
 */
#include "events.h"
#include "kobj.h"
#include "kutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* An existing event for the same object, reason and message, or NULL. */
static json_t *kev_find(struct store *st, const char *ns, const char *uid, const char *reason,
                        const char *msg)
{
    json_t *all = store_list(st, kres_by_kind("Event"), ns);
    json_t *found = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) {
        const char *u = kobj_str(e, "involvedObject.uid"), *r = kobj_str(e, "reason"),
                   *m = kobj_str(e, "message");
        if (u && r && m && !strcmp(u, uid) && !strcmp(r, reason) && !strcmp(m, msg)) {
            found = e;
            break;
        }
    }
    json_decref(all);
    return found;
}

/* Drops the event with the oldest lastTimestamp while there are too many. */
static void kev_bound(struct store *st)
{
    const struct kres *r = kres_by_kind("Event");
    json_t *all = store_list(st, r, NULL);
    size_t n = json_array_size(all);
    while (n > KEV_MAX) {
        size_t i, oldest = 0;
        json_t *e;
        json_array_foreach(all, i, e) {
            const char *a = kobj_str(e, "lastTimestamp");
            const char *b = kobj_str(json_array_get(all, oldest), "lastTimestamp");
            if (a && b && strcmp(a, b) < 0)
                oldest = i;
        }
        e = json_array_get(all, oldest);
        store_delete(st, r, kobj_str(e, "metadata.namespace"), kobj_str(e, "metadata.name"), NULL);
        json_array_remove(all, oldest);
        n--;
    }
    json_decref(all);
}

static int kev_bump(struct store *st, json_t *old, const char *ts)
{
    json_t *copy = json_deep_copy(old);
    if (!copy)
        return -ENOMEM;
    kobj_set_int(copy, "count", kobj_int(old, "count", 1) + 1);
    kobj_set_str(copy, "lastTimestamp", ts);
    return store_update(st, kres_by_kind("Event"), copy, NULL);
}

int kev_record(struct store *st, json_t *obj, const char *type, const char *reason,
               const char *component, const char *fmt, ...)
{
    char msg[512], ts[32], hex[17], name[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    const char *ns = kobj_str(obj, "metadata.namespace");
    const char *uid = kobj_str(obj, "metadata.uid");
    if (!uid)
        return 0;
    if (!ns)
        ns = "default"; /* events about cluster-scoped objects */
    json_t *old = kev_find(st, ns, uid, reason, msg);
    if (old)
        return kev_bump(st, old, ts);
    if (ku_random_hex(hex, 16))
        return -EIO;
    snprintf(name, sizeof(name), "%.240s.%s", kobj_str(obj, "metadata.name"), hex);
    json_t *ev = json_pack("{s:{s:s, s:s}, s:{s:s?, s:s?, s:s?, s:s, s:s?, s:s?}, s:s, s:s, "
                           "s:{s:s}, s:s, s:s, s:i, s:s, s:n, s:s, s:s}",
                           "metadata", "name", name, "namespace", ns,
                           "involvedObject", "kind", kobj_str(obj, "kind"), "namespace",
                           kobj_str(obj, "metadata.namespace"), "name", kobj_str(obj, "metadata.name"),
                           "uid", uid, "apiVersion", kobj_str(obj, "apiVersion"), "resourceVersion",
                           kobj_str(obj, "metadata.resourceVersion"),
                           "reason", reason, "message", msg, "source", "component", component,
                           "firstTimestamp", ts, "lastTimestamp", ts, "count", 1, "type", type,
                           "eventTime", "reportingComponent", component, "reportingInstance", "");
    if (!ev)
        return -ENOMEM;
    int rc = store_create(st, kres_by_kind("Event"), ev, NULL);
    kev_bound(st);
    return rc;
}
