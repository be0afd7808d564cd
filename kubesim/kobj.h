/*
 * kobj: helpers for Kubernetes objects held as jansson values: dotted-path
 * access, metav1.Status construction, owner references, and image reference
 * parsing (tag, digest, imageID). Does not know about resources, storage or
 * HTTP; every function works on the value it is handed.
 */
#ifndef KUBESIM_KOBJ_H
#define KUBESIM_KOBJ_H

#include <jansson.h>
#include <stddef.h>

/* Borrowed value at a dotted path ("metadata.name"), or NULL. */
json_t *kobj_get(json_t *obj, const char *path);
/* String at path, or NULL when missing or not a string. */
const char *kobj_str(json_t *obj, const char *path);
/* Integer at path, or def when missing or not an integer. */
json_int_t kobj_int(json_t *obj, const char *path, json_int_t def);
/* Object at path, created (with parents) when missing; NULL on failure or
 * when something that is not an object is in the way. Borrowed. */
json_t *kobj_ensure(json_t *obj, const char *path);
/* Sets path to val; steals val in all cases. Returns 0 or -ENOMEM/-EINVAL. */
int kobj_set(json_t *obj, const char *path, json_t *val);
int kobj_set_str(json_t *obj, const char *path, const char *s);
int kobj_set_int(json_t *obj, const char *path, json_int_t v);

/* New metav1.Status (caller owns). details may be NULL; it is stolen. */
json_t *kobj_status(int code, const char *reason, const char *message,
                    json_t *details);
/* Status details {name, group, kind}; group may be "" for core. */
json_t *kobj_status_details(const char *name, const char *group,
                            const char *kind);

/* Removes null members and null array elements, recursively. */
void kobj_prune_nulls(json_t *v);

/* uid of the ownerReference with controller:true, or NULL. Borrowed. */
const char *kobj_controller_uid(json_t *obj);
/* Adds {apiVersion, kind, name, uid, controller, blockOwnerDeletion}. */
int kobj_add_controller_ref(json_t *obj, json_t *owner);

/* "sha256:<hex>": taken from an "@sha256:" reference, else derived from
 * a SHA-256 of the reference so the same image always has the same id. */
int kobj_image_digest(const char *image, char *out, size_t len);
/* "repo@sha256:<hex>", the way containerd reports status.imageID. */
int kobj_image_id(const char *image, char *out, size_t len);
/* The tag of a reference ("v2"), "latest" when none, or the first 12 hex
 * characters of its digest for digest-only references. */
int kobj_image_tag(const char *image, char *out, size_t len);

/* Matches a label map against {matchLabels, matchExpressions}; 1 or 0. */
int kobj_selector_matches(json_t *selector, json_t *labels);

#endif
