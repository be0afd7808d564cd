/*
 * disc: discovery documents. kubectl picks legacy or aggregated parsing by
 * the response Content-Type alone, so negotiation must be exact; see
 * shared/kube-api-notes.md section 1.
 */
#include "discovery.h"
#include "resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISC_AGG "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"

/* 1 if the media range (first len bytes) has parameter tok ("v=v2"). */
static int disc_has_param(const char *range, size_t len, const char *tok)
{
    char buf[512];
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, range, len);
    buf[len] = '\0';
    char *save = NULL;
    for (char *p = strtok_r(buf, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        while (*p == ' ')
            p++;
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            p[--n] = '\0';
        if (!strcmp(p, tok))
            return 1;
    }
    return 0;
}

enum disc_fmt disc_negotiate(const char *accept)
{
    const char *p = accept;
    while (p && *p) {
        size_t len = strcspn(p, ",");
        if (disc_has_param(p, len, "g=apidiscovery.k8s.io") &&
            disc_has_param(p, len, "as=APIGroupDiscoveryList")) {
            if (disc_has_param(p, len, "v=v2"))
                return DISC_V2;
            if (disc_has_param(p, len, "v=v2beta1"))
                return DISC_V2BETA1;
        } else if (len > 0) {
            return DISC_LEGACY;
        }
        p += len;
        if (*p == ',')
            p++;
        while (*p == ' ')
            p++;
    }
    return DISC_LEGACY;
}

const char *disc_content_type(enum disc_fmt f)
{
    switch (f) {
    case DISC_V2:
        return "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    case DISC_V2BETA1:
        return "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
    default:
        return "application/json";
    }
}

json_t *disc_version(const char *git_version)
{
    int major = 1, minor = 32;
    if (git_version)
        sscanf(git_version, "v%d.%d", &major, &minor);
    char smaj[16], smin[16];
    snprintf(smaj, sizeof(smaj), "%d", major);
    snprintf(smin, sizeof(smin), "%d", minor);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", smaj,
                     "minor", smin, "gitVersion", git_version ? git_version : "v1.32.4+k3s1",
                     "gitCommit", "0000000000000000000000000000000000000000",
                     "gitTreeState", "clean", "buildDate", "2025-04-23T00:00:00Z",
                     "goVersion", "go1.23.6", "compiler", "gc", "platform", "linux/amd64");
}

static json_t *disc_strings(const char *const *v, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < max && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *disc_kind(const char *group, const char *version, const char *kind)
{
    return json_pack("{s:s, s:s, s:s}", "group", group, "version", version, "kind", kind);
}

static json_t *disc_sub_verbs(const char *sub)
{
    if (!strcmp(sub, "log"))
        return json_pack("[s]", "get");
    return json_pack("[s, s, s]", "get", "patch", "update");
}

static json_t *disc_agg_resource(const struct kres *r)
{
    json_t *subs = json_array();
    for (size_t i = 0; i < 3 && r->subresources[i]; i++) {
        const char *sub = r->subresources[i];
        json_t *kind = !strcmp(sub, "scale") ? disc_kind("autoscaling", "v1", "Scale")
                                             : disc_kind(r->group, r->version, r->kind);
        json_array_append_new(subs, json_pack("{s:s, s:o, s:o}", "subresource", sub,
                                              "responseKind", kind, "verbs", disc_sub_verbs(sub)));
    }
    json_t *e = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o}", "resource", r->plural,
                          "responseKind", disc_kind(r->group, r->version, r->kind),
                          "scope", r->namespaced ? "Namespaced" : "Cluster",
                          "singularResource", r->singular,
                          "verbs", disc_strings(r->verbs, 9), "subresources", subs);
    if (e && r->short_names[0])
        json_object_set_new(e, "shortNames", disc_strings(r->short_names, 3));
    if (e && r->categories[0])
        json_object_set_new(e, "categories", disc_strings(r->categories, 2));
    return e;
}

/* APIGroupDiscovery for one group ("" = core). */
static json_t *disc_agg_group(const char *group)
{
    json_t *res = json_array();
    for (size_t i = 0; res && i < kres_count(); i++)
        if (!strcmp(kres_at(i)->group, group))
            json_array_append_new(res, disc_agg_resource(kres_at(i)));
    json_t *meta = json_pack("{s:n}", "creationTimestamp");
    if (meta && *group)
        json_object_set_new(meta, "name", json_string(group));
    return json_pack("{s:o, s:[{s:s, s:o, s:s}]}", "metadata", meta, "versions",
                     "version", "v1", "resources", res, "freshness", "Current");
}

static json_t *disc_agg_list(enum disc_fmt f, const char *group)
{
    return json_pack("{s:s, s:s, s:{}, s:[o]}", "kind", "APIGroupDiscoveryList",
                     "apiVersion", f == DISC_V2 ? "apidiscovery.k8s.io/v2"
                                                : "apidiscovery.k8s.io/v2beta1",
                     "metadata", "items", disc_agg_group(group));
}

json_t *disc_api(enum disc_fmt f, const char *server_addr)
{
    if (f != DISC_LEGACY)
        return disc_agg_list(f, "");
    return json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
                     "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
                     "serverAddress", server_addr ? server_addr : "127.0.0.1:6443");
}

json_t *disc_group(const char *group)
{
    if (strcmp(group, "apps"))
        return NULL;
    return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "kind", "APIGroup",
                     "apiVersion", "v1", "name", "apps", "versions", "groupVersion",
                     "apps/v1", "version", "v1", "preferredVersion", "groupVersion",
                     "apps/v1", "version", "v1");
}

json_t *disc_apis(enum disc_fmt f)
{
    if (f != DISC_LEGACY)
        return disc_agg_list(f, "apps");
    json_t *g = disc_group("apps");
    if (g) {
        json_object_del(g, "kind");
        json_object_del(g, "apiVersion");
    }
    return json_pack("{s:s, s:s, s:[o]}", "kind", "APIGroupList", "apiVersion", "v1",
                     "groups", g);
}

static json_t *disc_legacy_resource(const struct kres *r, const char *sub)
{
    char name[64];
    snprintf(name, sizeof(name), "%s%s%s", r->plural, sub ? "/" : "", sub ? sub : "");
    json_t *e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName",
                          sub ? "" : r->singular, "namespaced", r->namespaced, "kind",
                          sub && !strcmp(sub, "scale") ? "Scale" : r->kind, "verbs",
                          sub ? disc_sub_verbs(sub) : disc_strings(r->verbs, 9));
    if (e && sub && !strcmp(sub, "scale")) {
        json_object_set_new(e, "group", json_string("autoscaling"));
        json_object_set_new(e, "version", json_string("v1"));
    }
    if (e && !sub && r->short_names[0])
        json_object_set_new(e, "shortNames", disc_strings(r->short_names, 3));
    if (e && !sub && r->categories[0])
        json_object_set_new(e, "categories", disc_strings(r->categories, 2));
    return e;
}

json_t *disc_resource_list(const char *group, const char *version)
{
    if (strcmp(version, "v1") || (*group && strcmp(group, "apps")))
        return NULL;
    json_t *res = json_array();
    for (size_t i = 0; res && i < kres_count(); i++) {
        const struct kres *r = kres_at(i);
        if (strcmp(r->group, group))
            continue;
        json_array_append_new(res, disc_legacy_resource(r, NULL));
        for (size_t j = 0; j < 3 && r->subresources[j]; j++)
            json_array_append_new(res, disc_legacy_resource(r, r->subresources[j]));
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", *group ? "apps/v1" : "v1", "resources", res);
}
