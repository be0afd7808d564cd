/*
 * patch: the three patch formats the apiserver accepts for updates: JSON
 * patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch
 * (lists merged by their Kubernetes merge key, $patch / $setElementOrder /
 * $retainKeys / $deleteFromPrimitiveList directives). Works on a copy and
 * never touches the original. Does not validate the result (see schema).
 */
#ifndef KUBESIM_PATCH_H
#define KUBESIM_PATCH_H

#include <jansson.h>
#include <stddef.h>

enum patch_type { PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC };

/* Maps a Content-Type to a patch type; -EINVAL for unsupported ones
 * (apply-patch included), which the API answers with 415. */
int patch_type_from_content_type(const char *ct, enum patch_type *out);

/* Applies patch to a deep copy of orig and stores the new document in *out
 * (caller owns). Returns 0, -EINVAL for a malformed patch (answer 400),
 * -ENOENT when a JSON patch does not apply or a test fails (answer 422),
 * -ENOMEM. err gets a message in the apiserver's words. */
int patch_apply(enum patch_type t, json_t *orig, json_t *patch, json_t **out,
                char *err, size_t errlen);

/* Merge key of a strategic-merge list field ("containers" -> "name"), or
 * NULL when the list is replaced as a whole. */
const char *patch_merge_key(const char *field);

#endif
