/*
 * kres: static table of the resource types kubesim serves. Adding a type
 * here makes it discoverable and storable; behaviour (tables, controllers)
 * lives in the modules that own it.
 */
#include "resource.h"

#include <stdio.h>
#include <string.h>

#define KRES_RW {"create", "delete", "get", "list", "patch", "update", "watch", NULL}
#define KRES_RO {"get", "list", "watch", "patch", "update", NULL}

static const struct kres kres_table[] = {
    {"", "v1", "v1", "pods", "pod", "Pod", "PodList", {"po"}, {"all"}, 1,
     KRES_RW, {"log", "status"}},
    {"", "v1", "v1", "configmaps", "configmap", "ConfigMap", "ConfigMapList",
     {"cm"}, {NULL}, 1, KRES_RW, {NULL}},
    {"", "v1", "v1", "nodes", "node", "Node", "NodeList", {"no"}, {NULL}, 0,
     KRES_RO, {"status"}},
    {"", "v1", "v1", "namespaces", "namespace", "Namespace", "NamespaceList",
     {"ns"}, {NULL}, 0, KRES_RW, {"status"}},
    {"", "v1", "v1", "events", "event", "Event", "EventList", {"ev"}, {NULL},
     1, KRES_RW, {NULL}},
    {"apps", "v1", "apps/v1", "deployments", "deployment", "Deployment",
     "DeploymentList", {"deploy"}, {"all"}, 1, KRES_RW, {"status", "scale"}},
    {"apps", "v1", "apps/v1", "replicasets", "replicaset", "ReplicaSet",
     "ReplicaSetList", {"rs"}, {"all"}, 1, KRES_RW, {"status"}},
};

size_t kres_count(void)
{
    return sizeof(kres_table) / sizeof(kres_table[0]);
}

const struct kres *kres_at(size_t i)
{
    return i < kres_count() ? &kres_table[i] : NULL;
}

const struct kres *kres_find(const char *group, const char *version,
                             const char *plural)
{
    for (size_t i = 0; i < kres_count(); i++) {
        const struct kres *r = &kres_table[i];
        if (!strcmp(r->group, group) && !strcmp(r->version, version) &&
            !strcmp(r->plural, plural))
            return r;
    }
    return NULL;
}

const struct kres *kres_by_kind(const char *kind)
{
    for (size_t i = 0; kind && i < kres_count(); i++)
        if (!strcmp(kres_table[i].kind, kind))
            return &kres_table[i];
    return NULL;
}

const char *kres_qualified(const struct kres *r, char *buf, size_t len)
{
    if (*r->group)
        snprintf(buf, len, "%s.%s", r->plural, r->group);
    else
        snprintf(buf, len, "%s", r->plural);
    return buf;
}

int kres_has_verb(const struct kres *r, const char *verb)
{
    for (size_t i = 0; r->verbs[i]; i++)
        if (!strcmp(r->verbs[i], verb))
            return 1;
    return 0;
}

int kres_has_sub(const struct kres *r, const char *sub)
{
    for (size_t i = 0; i < 3 && r->subresources[i]; i++)
        if (!strcmp(r->subresources[i], sub))
            return 1;
    return 0;
}
