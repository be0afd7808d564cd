/*
 * kres: the static registry of resource types kubesim serves (group,
 * version, plural, kind, shortNames, verbs, subresources). Discovery, the
 * router and the store all look types up here. Holds no objects.
 */
#ifndef KUBESIM_RESOURCE_H
#define KUBESIM_RESOURCE_H

#include <stddef.h>

struct kres {
    const char *group;      /* "" for the core group */
    const char *version;
    const char *api_version; /* "v1" or "apps/v1" */
    const char *plural;
    const char *singular;
    const char *kind;
    const char *list_kind;
    const char *short_names[3];
    const char *categories[2];
    int namespaced;
    const char *verbs[9];
    const char *subresources[3]; /* e.g. "log", "status", "scale" */
};

size_t kres_count(void);
const struct kres *kres_at(size_t i);
/* Lookup by group ("" for core), version and plural; NULL if unknown. */
const struct kres *kres_find(const char *group, const char *version,
                             const char *plural);
const struct kres *kres_by_kind(const char *kind);
/* "deployments.apps" or "pods", as Kubernetes names them in messages. */
const char *kres_qualified(const struct kres *r, char *buf, size_t len);
/* 1 if the type allows verb ("get", "watch", ...). */
int kres_has_verb(const struct kres *r, const char *verb);
int kres_has_sub(const struct kres *r, const char *sub);

#endif
