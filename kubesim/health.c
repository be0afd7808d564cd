/*
 * health: a small libmicrohttpd daemon over the store. Service requests
 * pick among ready pods round robin (like kube-proxy spreading requests),
 * so a half-finished rollout answers with both versions.
 */
#include "health.h"
#include "http.h"
#include "kobj.h"
#include "kubelet.h"
#include "kutil.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct health_server {
    struct MHD_Daemon *d;
    struct store *st;
    const struct scenario *scn;
    unsigned long rr; /* round-robin counter, under the store lock */
};

/* The container serving HTTP: the one with a readinessProbe, else the first. */
static json_t *health_container(json_t *pod)
{
    json_t *cs = kobj_get(pod, "spec.containers");
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) if (kobj_get(c, "readinessProbe.httpGet")) return c;
    return json_array_get(cs, 0);
}

static const char *health_path(json_t *container)
{
    const char *p = kobj_str(container, "readinessProbe.httpGet.path");
    return p ? p : "/api/health";
}

/* Running state of a container from the pod status. */
static json_t *health_cstatus(json_t *pod, const char *name)
{
    size_t i;
    json_t *cs;
    json_array_foreach(kobj_get(pod, "status.containerStatuses"), i, cs) {
        if (name && kobj_str(cs, "name") && !strcmp(kobj_str(cs, "name"), name))
            return cs;
    }
    return NULL;
}

int health_answer(struct store *st, const struct scenario *scn, json_t *pod, const char *path,
                  int *status, char **body)
{
    json_t *c = health_container(pod);
    const char *image = kobj_str(c, "image");
    json_t *cs = health_cstatus(pod, kobj_str(c, "name"));
    *status = 0;
    *body = NULL;
    if (!c || !image || !cs || !kobj_get(cs, "state.running") ||
        kobj_str(pod, "metadata.deletionTimestamp"))
        return 0; /* nothing listening */
    const struct scn_image *im = scn_image_for(scn, image);
    char tag[128];
    kobj_image_tag(image, tag, sizeof(tag));
    const char *service = kobj_str(pod, "metadata.labels.app");
    if (!service)
        service = kobj_str(c, "name");
    json_t *doc;
    if (strcmp(path, health_path(c))) {
        *status = 404;
        doc = json_pack("{s:s, s:s}", "error", "not found", "path", path);
    } else if (!json_is_true(json_object_get(cs, "ready"))) {
        *status = 503;
        doc = json_pack("{s:s, s:s, s:s}", "status", "starting", "service", service, "version", tag);
    } else if (im->behaviour == SCN_UNHEALTHY) {
        *status = im->health_status;
        doc = im->health_body ? NULL
            : json_pack("{s:s, s:s, s:s, s:s}", "status", "error", "service", service, "version",
                        tag, "error", "health check failed: dependency unavailable");
        if (im->health_body)
            *body = strdup(im->health_body);
    } else {
        *status = 200;
        doc = json_pack("{s:s, s:s, s:s, s:s}", "status", "ok", "service", service, "version", tag,
                        "pod", kobj_str(pod, "metadata.name"));
    }
    if (doc) {
        *body = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }
    if (!*body)
        return -ENOMEM;
    char ts[32], line[300];
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    snprintf(line, sizeof(line), "%s INFO  GET %s %d", ts, path, *status);
    kubelet_log(st, kobj_str(pod, "metadata.namespace"), kobj_str(pod, "metadata.name"),
                kobj_str(c, "name"), line);
    return 0;
}

/* Splits "/<kind>/<ns>/<name><rest>"; rest keeps its leading '/'. */
static int health_split(const char *url, const char *kind, char *ns, char *name, size_t len,
                        const char **rest)
{
    size_t k = strlen(kind);
    if (strncmp(url, kind, k) || url[k] != '/')
        return -ENOENT;
    const char *p = url + k + 1;
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= len)
        return -ENOENT;
    memcpy(ns, p, n);
    ns[n] = '\0';
    p += n;
    if (*p != '/')
        return -ENOENT;
    p++;
    n = strcspn(p, "/");
    if (n == 0 || n >= len)
        return -ENOENT;
    memcpy(name, p, n);
    name[n] = '\0';
    *rest = p[n] ? p + n : "/";
    return 0;
}

/* A ready pod of deployment ns/name, round robin; NULL if none. */
static json_t *health_pick(struct health_server *h, const char *ns, const char *name, int *exists)
{
    json_t *dep = store_get(h->st, kres_by_kind("Deployment"), ns, name);
    *exists = dep != NULL;
    if (!dep)
        return NULL;
    json_t *pods = store_list(h->st, kres_by_kind("Pod"), ns);
    json_t *ready = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        if (kubelet_pod_ready(p) &&
            kobj_selector_matches(kobj_get(dep, "spec.selector"), kobj_get(p, "metadata.labels")))
            json_array_append(ready, p);
    }
    json_decref(pods);
    json_t *pick = NULL;
    if (json_array_size(ready))
        pick = json_incref(json_array_get(ready, h->rr++ % json_array_size(ready)));
    json_decref(ready);
    return pick;
}

static enum MHD_Result health_reply(struct MHD_Connection *c, int status, char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", body[0] == '{' ? "application/json" : "text/html");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *health_index(struct health_server *h)
{
    json_t *svcs = json_array(), *pods = json_array();
    json_t *deps = store_list(h->st, kres_by_kind("Deployment"), NULL);
    json_t *all = store_list(h->st, kres_by_kind("Pod"), NULL);
    size_t i;
    json_t *o;
    char url[600];
    json_array_foreach(deps, i, o) {
        snprintf(url, sizeof(url), "/services/%s/%s%s", kobj_str(o, "metadata.namespace"),
                 kobj_str(o, "metadata.name"),
                 health_path(json_array_get(kobj_get(o, "spec.template.spec.containers"), 0)));
        json_array_append_new(svcs, json_string(url));
    }
    json_array_foreach(all, i, o) {
        snprintf(url, sizeof(url), "/pods/%s/%s%s", kobj_str(o, "metadata.namespace"),
                 kobj_str(o, "metadata.name"), health_path(health_container(o)));
        json_array_append_new(pods, json_string(url));
    }
    json_decref(deps);
    json_decref(all);
    json_t *doc = json_pack("{s:o, s:o}", "services", svcs, "pods", pods);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

static enum MHD_Result health_route(struct health_server *h, struct MHD_Connection *c,
                                    const char *url)
{
    char ns[256], name[256];
    const char *rest;
    json_t *pod = NULL;
    int exists = 0;
    if (!strcmp(url, "/")) {
        char *idx = health_index(h);
        return idx ? health_reply(c, 200, idx) : MHD_NO;
    }
    if (!health_split(url, "/services", ns, name, sizeof(ns), &rest)) {
        pod = health_pick(h, ns, name, &exists);
    } else if (!health_split(url, "/pods", ns, name, sizeof(ns), &rest)) {
        pod = store_get(h->st, kres_by_kind("Pod"), ns, name);
        exists = pod != NULL;
        json_incref(pod);
    }
    if (!exists)
        return health_reply(c, 404, strdup("{\"error\":\"no such service or pod\"}"));
    if (!pod)
        return MHD_NO; /* no endpoints: refuse like an empty service */
    int status;
    char *body;
    int rc = health_answer(h->st, h->scn, pod, rest, &status, &body);
    json_decref(pod);
    if (rc || status == 0)
        return MHD_NO;
    return health_reply(c, status, body);
}

static enum MHD_Result health_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct health_server *h = cls;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        *con_cls = h; /* marks "headers seen" */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are ignored */
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return health_reply(c, 405, strdup("{\"error\":\"method not allowed\"}"));
    store_lock(h->st);
    enum MHD_Result ret = health_route(h, c, url);
    store_unlock(h->st);
    return ret;
}

static void health_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap; /* refused connections are the point; stay quiet */
}

int health_start(const char *host, int port, struct store *st, const struct scenario *scn,
                 struct health_server **out, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int ipv6 = 0;
    if (http_resolve(host, port, &ss, &ipv6)) {
        snprintf(err, errlen, "cannot resolve health listen address %s", host);
        return -EINVAL;
    }
    struct health_server *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->st = st;
    h->scn = scn;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, health_handler, h,
                            MHD_OPTION_EXTERNAL_LOGGER, health_log, h, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen for health on %s:%d", host, port);
        free(h);
        return -EADDRINUSE;
    }
    *out = h;
    return 0;
}

int health_port(struct health_server *h)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void health_stop(struct health_server *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
