/* Unit tests for store: resourceVersions, no-op updates, events, ring. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kobj.h"
#include "store.h"
#include "testlib.h"

static json_t *cm(const char *name, const char *v)
{
    return json_pack("{s:{s:s, s:s}, s:{s:s}}", "metadata", "name", name, "namespace", "default",
                     "data", "k", v);
}

static void create_update_delete(void **state)
{
    (void)state;
    struct store *s = store_new();
    const struct kres *r = kres_by_kind("ConfigMap");
    json_t *out = NULL;
    store_lock(s);
    assert_int_equal(store_create(s, r, cm("a", "1"), &out), 0);
    assert_string_equal(kobj_str(out, "metadata.resourceVersion"), "1");
    assert_string_equal(kobj_str(out, "kind"), "ConfigMap");
    assert_non_null(kobj_str(out, "metadata.uid"));
    assert_int_equal(store_create(s, r, cm("a", "1"), NULL), -EEXIST);
    assert_int_equal(store_create(s, r, cm("b", "1"), NULL), 0);
    /* An update that changes nothing keeps the resourceVersion. */
    json_t *same = json_deep_copy(store_get(s, r, "default", "a"));
    assert_int_equal(store_update(s, r, same, &out), 0);
    assert_int_equal(store_rv(s), 2);
    json_t *changed = json_deep_copy(store_get(s, r, "default", "a"));
    kobj_set_str(changed, "data.k", "2");
    assert_int_equal(store_update(s, r, changed, &out), 0);
    assert_string_equal(kobj_str(out, "metadata.resourceVersion"), "3");
    json_t *list = store_list(s, r, "default");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(kobj_str(json_array_get(list, 0), "metadata.name"), "a");
    json_decref(list);
    const struct store_event *ev;
    assert_int_equal(store_event_at(s, 3, &ev), 0);
    assert_int_equal(ev->type, STORE_MODIFIED);
    assert_string_equal(kobj_str(ev->obj, "data.k"), "2");
    assert_int_equal(store_delete(s, r, "default", "a", NULL), 0);
    assert_int_equal(store_delete(s, r, "default", "a", NULL), -ENOENT);
    assert_int_equal(store_event_at(s, 4, &ev), 0);
    assert_int_equal(ev->type, STORE_DELETED);
    assert_int_equal(store_event_at(s, 5, &ev), -EAGAIN);
    assert_null(store_get(s, r, "default", "a"));
    store_unlock(s);
    store_free(s);
}

/* Stored objects never alias what the caller passed in. */
static void stored_copies_are_private(void **state)
{
    (void)state;
    struct store *s = store_new();
    const struct kres *r = kres_by_kind("ConfigMap");
    json_t *data = json_pack("{s:s}", "k", "v");
    json_t *obj = json_pack("{s:{s:s, s:s}, s:O}", "metadata", "name", "x", "namespace", "default",
                            "data", data);
    store_lock(s);
    assert_int_equal(store_create(s, r, obj, NULL), 0);
    json_object_set_new(data, "k", json_string("changed"));
    assert_string_equal(kobj_str(store_get(s, r, "default", "x"), "data.k"), "v");
    store_unlock(s);
    json_decref(data);
    store_free(s);
}

static void ring_expires_old_events(void **state)
{
    (void)state;
    struct store *s = store_new();
    const struct kres *r = kres_by_kind("ConfigMap");
    store_lock(s);
    assert_int_equal(store_create(s, r, cm("a", "0"), NULL), 0);
    for (int i = 0; i < STORE_RING + 10; i++) {
        json_t *c = json_deep_copy(store_get(s, r, "default", "a"));
        char v[16];
        snprintf(v, sizeof(v), "%d", i + 1);
        kobj_set_str(c, "data.k", v);
        assert_int_equal(store_update(s, r, c, NULL), 0);
    }
    const struct store_event *ev;
    assert_int_equal(store_event_at(s, 1, &ev), -ERANGE);
    assert_int_equal(store_event_at(s, store_rv(s), &ev), 0);
    assert_int_equal(store_event_at(s, store_rv(s) - STORE_RING + 1, &ev), 0);
    assert_int_equal(store_event_at(s, store_rv(s) - STORE_RING, &ev), -ERANGE);
    store_unlock(s);
    store_free(s);
}

TL_MAIN("tests", NULL, NULL,
    create_update_delete, stored_copies_are_private, ring_expires_old_events)
