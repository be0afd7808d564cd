/*
 * scn: scenario parsing (strict: unknown keys are errors, so typos do not
 * silently change a test) and seeding of the store.
 */
#include "scenario.h"
#include "kobj.h"
#include "podtmpl.h"
#include "schema.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct scn_image scn_ok = {"*", 1, SCN_OK, 200, NULL, 0, 0, NULL};

const char *scn_behaviour_name(enum scn_behaviour b)
{
    static const char *const names[] = {"ok", "crash", "unhealthy", "slow"};
    return names[b];
}

static int scn_behaviour_parse(const char *s, enum scn_behaviour *out)
{
    for (int b = SCN_OK; b <= SCN_SLOW; b++) {
        if (!strcmp(s, scn_behaviour_name((enum scn_behaviour)b))) {
            *out = (enum scn_behaviour)b;
            return 0;
        }
    }
    return -EINVAL;
}

void scn_free(struct scenario *s)
{
    if (!s)
        return;
    free(s->version);
    json_decref(s->namespaces);
    json_decref(s->nodes);
    json_decref(s->configmaps);
    for (size_t i = 0; i < s->ndeps; i++) {
        struct scn_deploy *d = &s->deps[i];
        free(d->name);
        free(d->ns);
        free(d->container);
        free(d->image);
        free(d->health_path);
        json_decref(d->labels);
        json_decref(d->history);
    }
    free(s->deps);
    for (size_t i = 0; i < s->nimages; i++) {
        free(s->images[i].match);
        free(s->images[i].health_body);
        free(s->images[i].log);
    }
    free(s->images);
    free(s);
}

static char *scn_dup(const char *v, const char *def)
{
    return strdup(v ? v : def);
}

static int scn_parse_image(json_t *j, struct scn_image *im, char *err, size_t errlen)
{
    const char *image = NULL, *pattern = NULL, *beh = NULL, *body = NULL, *log = NULL;
    json_int_t status = 0, ready = 1500, every = 1500;
    json_error_t e;
    if (json_unpack_ex(j, &e, JSON_STRICT, "{s?s, s?s, s:s, s?I, s?s, s?I, s?I, s?s}",
                       "image", &image, "pattern", &pattern, "behaviour", &beh,
                       "healthStatus", &status, "healthBody", &body, "readyAfterMs", &ready,
                       "restartEveryMs", &every, "log", &log)) {
        snprintf(err, errlen, "images: %s", e.text);
        return -EINVAL;
    }
    if (!image == !pattern || scn_behaviour_parse(beh, &im->behaviour)) {
        snprintf(err, errlen, "images: need exactly one of image/pattern and a behaviour of "
                 "ok, crash, unhealthy, slow");
        return -EINVAL;
    }
    im->pattern = pattern != NULL;
    im->match = strdup(pattern ? pattern : image);
    im->health_status = status ? (int)status : (body ? 200 : 503);
    im->health_body = body ? strdup(body) : NULL;
    im->ready_after_ms = ready;
    im->restart_every_ms = every > 100 ? every : 100;
    im->log = log ? strdup(log) : NULL;
    if (!im->match || (body && !im->health_body) || (log && !im->log))
        return -ENOMEM;
    return 0;
}

static int scn_parse_deploy(json_t *j, struct scn_deploy *d, char *err, size_t errlen)
{
    const char *name, *ns = NULL, *container = NULL, *image, *path = NULL;
    json_int_t replicas = 2, port = 3000, deadline = 600;
    json_t *labels = NULL, *history = NULL;
    json_error_t e;
    if (json_unpack_ex(j, &e, JSON_STRICT, "{s:s, s?s, s?I, s?s, s:s, s?o, s?s, s?I, s?I, s?o}",
                       "name", &name, "namespace", &ns, "replicas", &replicas,
                       "container", &container, "image", &image, "labels", &labels,
                       "healthPath", &path, "port", &port, "progressDeadlineSeconds",
                       &deadline, "previousImages", &history)) {
        snprintf(err, errlen, "deployments: %s", e.text);
        return -EINVAL;
    }
    if (replicas < 0 || replicas > 50 || port < 1 || port > 65535 || deadline < 1 ||
        (labels && !json_is_object(labels)) || (history && !json_is_array(history))) {
        snprintf(err, errlen, "deployments: %s: replicas 0..50, port 1..65535, "
                 "progressDeadlineSeconds >= 1, labels an object, previousImages a list", name);
        return -EINVAL;
    }
    d->name = strdup(name);
    d->ns = scn_dup(ns, "default");
    d->container = scn_dup(container, name);
    d->image = strdup(image);
    d->health_path = scn_dup(path, "/api/health");
    d->replicas = (int)replicas;
    d->port = (int)port;
    d->progress_deadline = (int)deadline;
    d->labels = labels ? json_deep_copy(labels) : json_pack("{s:s}", "app", name);
    d->history = history ? json_deep_copy(history) : json_array();
    if (!d->name || !d->ns || !d->container || !d->image || !d->health_path ||
        !d->labels || !d->history)
        return -ENOMEM;
    return 0;
}

/* Nodes may be given as names or as {name, internalIP, roles}. */
static json_t *scn_nodes(json_t *in, char *err, size_t errlen)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(in, i, n) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.0.0.%zu", 11 + i);
        json_t *node = json_is_string(n)
            ? json_pack("{s:O, s:s, s:[]}", "name", n, "internalIP", ip, "roles")
            : json_deep_copy(n);
        if (!node || !json_is_string(json_object_get(node, "name"))) {
            snprintf(err, errlen, "nodes: each node needs a name");
            json_decref(node);
            json_decref(out);
            return NULL;
        }
        if (!json_object_get(node, "internalIP"))
            json_object_set_new(node, "internalIP", json_string(ip));
        json_array_append_new(out, node);
    }
    return out;
}

static int scn_parse(json_t *root, struct scenario *s, char *err, size_t errlen)
{
    json_t *ns = NULL, *nodes = NULL, *deps = NULL, *images = NULL, *cms = NULL;
    const char *version = NULL, *comment = NULL;
    json_int_t step = 300;
    json_error_t e;
    if (json_unpack_ex(root, &e, JSON_STRICT, "{s?s, s?s, s?I, s?o, s?o, s?o, s?o, s?o}",
                       "comment", &comment, "version", &version, "stepMs", &step,
                       "namespaces", &ns, "nodes", &nodes, "deployments", &deps,
                       "images", &images, "configMaps", &cms)) {
        snprintf(err, errlen, "scenario: %s", e.text);
        return -EINVAL;
    }
    (void)comment;
    s->version = scn_dup(version, "v1.32.4+k3s1");
    s->step_ms = step < 10 ? 10 : step;
    s->namespaces = ns ? json_deep_copy(ns) : json_pack("[s]", "default");
    json_t *def_nodes = nodes ? NULL : json_pack("[s, s]", "k3s-server-1", "k3s-agent-1");
    s->nodes = scn_nodes(nodes ? nodes : def_nodes, err, errlen);
    json_decref(def_nodes);
    s->configmaps = cms ? json_deep_copy(cms) : json_array();
    if (!s->nodes || json_array_size(s->nodes) == 0)
        return -EINVAL;
    s->ndeps = json_array_size(deps);
    s->nimages = json_array_size(images);
    s->deps = calloc(s->ndeps + 1, sizeof(*s->deps));
    s->images = calloc(s->nimages + 1, sizeof(*s->images));
    if (!s->version || !s->namespaces || !s->configmaps || !s->deps || !s->images)
        return -ENOMEM;
    for (size_t i = 0; i < s->ndeps; i++) {
        int rc = scn_parse_deploy(json_array_get(deps, i), &s->deps[i], err, errlen);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < s->nimages; i++) {
        int rc = scn_parse_image(json_array_get(images, i), &s->images[i], err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

int scn_load_string(const char *text, struct scenario **out, char *err, size_t errlen)
{
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (!root) {
        snprintf(err, errlen, "scenario: line %d: %s", e.line, e.text);
        return -EINVAL;
    }
    struct scenario *s = calloc(1, sizeof(*s));
    int rc = s ? scn_parse(root, s, err, errlen) : -ENOMEM;
    json_decref(root);
    if (rc) {
        scn_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int scn_load_file(const char *path, struct scenario **out, char *err, size_t errlen)
{
    json_error_t e;
    json_t *root = json_load_file(path, 0, &e);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, e.line, e.text);
        return -EINVAL;
    }
    char *text = json_dumps(root, 0);
    json_decref(root);
    if (!text)
        return -ENOMEM;
    int rc = scn_load_string(text, out, err, errlen);
    free(text);
    return rc;
}

const struct scn_image *scn_image_for(const struct scenario *s, const char *image)
{
    for (size_t i = 0; s && image && i < s->nimages; i++)
        if (!s->images[i].pattern && !strcmp(s->images[i].match, image))
            return &s->images[i];
    for (size_t i = 0; s && image && i < s->nimages; i++)
        if (s->images[i].pattern && fnmatch(s->images[i].match, image, 0) == 0)
            return &s->images[i];
    return &scn_ok;
}

const struct scn_deploy *scn_deploy_find(const struct scenario *s, const char *ns,
                                         const char *name)
{
    for (size_t i = 0; s && ns && name && i < s->ndeps; i++)
        if (!strcmp(s->deps[i].ns, ns) && !strcmp(s->deps[i].name, name))
            return &s->deps[i];
    return NULL;
}

/* ---- seeding ---- */

static int scn_create(struct store *st, const char *kind, json_t *obj)
{
    const struct kres *r = kres_by_kind(kind);
    if (!obj)
        return -ENOMEM;
    schema_default(kind, obj);
    int rc = store_create(st, r, obj, NULL);
    return rc == -EEXIST ? 0 : rc;
}

static json_t *scn_node(json_t *n)
{
    const char *name = json_string_value(json_object_get(n, "name"));
    json_t *labels = json_pack("{s:s, s:s, s:s, s:s}", "kubernetes.io/hostname", name,
                               "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
                               "node.kubernetes.io/instance-type", "k3s");
    size_t i;
    json_t *role;
    json_array_foreach(json_object_get(n, "roles"), i, role) {
        char key[128];
        snprintf(key, sizeof(key), "node-role.kubernetes.io/%s", json_string_value(role));
        json_object_set_new(labels, key, json_string("true"));
    }
    return json_pack("{s:{s:s, s:o}, s:{s:s}, s:{s:[{s:s, s:s, s:s, s:s}], s:[{s:s, s:O}, {s:s, s:s}], "
                     "s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}}",
                     "metadata", "name", name, "labels", labels,
                     "spec", "podCIDR", "10.42.0.0/24",
                     "status", "conditions", "type", "Ready", "status", "True", "reason",
                     "KubeletReady", "message", "kubelet is posting ready status",
                     "addresses", "type", "InternalIP", "address", json_object_get(n, "internalIP"),
                     "type", "Hostname", "address", name,
                     "nodeInfo", "kubeletVersion", "v1.32.4+k3s1", "kubeProxyVersion", "v1.32.4+k3s1",
                     "osImage", "Debian GNU/Linux 12 (bookworm)", "kernelVersion", "6.1.0-28-amd64",
                     "containerRuntimeVersion", "containerd://1.7.23-k3s2",
                     "operatingSystem", "linux", "architecture", "amd64",
                     "capacity", "cpu", "2", "memory", "4008588Ki", "pods", "110");
}

/* The pod template for a deployment entry running image. */
static json_t *scn_template(const struct scn_deploy *d, const char *image)
{
    return json_pack("{s:{s:o}, s:{s:[{s:s, s:s, s:[{s:s, s:i, s:s}], s:{s:{s:s, s:i}, s:i}}]}}",
                     "metadata", "labels", json_deep_copy(d->labels),
                     "spec", "containers", "name", d->container, "image", image,
                     "ports", "name", "http", "containerPort", d->port, "protocol", "TCP",
                     "readinessProbe", "httpGet", "path", d->health_path, "port", d->port,
                     "periodSeconds", 5);
}

static json_t *scn_deployment(const struct scn_deploy *d, const char *image, int revision)
{
    char rev[16];
    snprintf(rev, sizeof(rev), "%d", revision);
    return json_pack("{s:{s:s, s:s, s:o, s:{s:s}}, s:{s:i, s:{s:o}, s:o, s:i}}",
                     "metadata", "name", d->name, "namespace", d->ns, "labels",
                     json_deep_copy(d->labels), "annotations", "deployment.kubernetes.io/revision",
                     rev, "spec", "replicas", d->replicas, "selector", "matchLabels",
                     json_deep_copy(d->labels),
                     "template", scn_template(d, image),
                     "progressDeadlineSeconds", d->progress_deadline);
}

/* An old ReplicaSet (scaled to 0) for history entry i of deployment dep. */
static json_t *scn_history_rs(const struct scn_deploy *d, json_t *dep, const char *image,
                              int revision)
{
    json_t *tmpl = scn_template(d, image);
    char hash[16], name[300], rev[16];
    if (!tmpl || tmpl_hash(tmpl, hash, sizeof(hash)))
        return NULL;
    snprintf(name, sizeof(name), "%s-%s", d->name, hash);
    snprintf(rev, sizeof(rev), "%d", revision);
    kobj_set_str(tmpl, "metadata.labels.pod-template-hash", hash);
    json_t *sel = json_deep_copy(d->labels);
    json_object_set_new(sel, "pod-template-hash", json_string(hash));
    json_t *rs = json_pack("{s:{s:s, s:s, s:O, s:{s:s, s:s, s:s}}, s:{s:i, s:{s:o}, s:o}}",
                           "metadata", "name", name, "namespace", d->ns, "labels",
                           kobj_get(tmpl, "metadata.labels"), "annotations",
                           "deployment.kubernetes.io/revision", rev,
                           "deployment.kubernetes.io/desired-replicas", "0",
                           "deployment.kubernetes.io/max-replicas", "0",
                           "spec", "replicas", 0, "selector", "matchLabels", sel,
                           "template", tmpl);
    if (rs && kobj_add_controller_ref(rs, dep)) {
        json_decref(rs);
        return NULL;
    }
    return rs;
}

static int scn_seed_deploy(const struct scn_deploy *d, struct store *st)
{
    size_t nh = json_array_size(d->history);
    json_t *dep = NULL;
    int rc = scn_create(st, "Deployment", scn_deployment(d, d->image, (int)nh + 1));
    if (rc)
        return rc;
    dep = store_get(st, kres_by_kind("Deployment"), d->ns, d->name);
    for (size_t i = 0; dep && i < nh; i++) {
        const char *img = json_string_value(json_array_get(d->history, i));
        if (!img)
            return -EINVAL;
        rc = scn_create(st, "ReplicaSet", scn_history_rs(d, dep, img, (int)i + 1));
        if (rc)
            return rc;
    }
    return 0;
}

static int scn_seed_configmaps(const struct scenario *s, struct store *st)
{
    size_t i;
    json_t *cm;
    json_array_foreach(s->configmaps, i, cm) {
        json_t *obj = json_pack("{s:{s:O?, s:s}, s:O?}", "metadata", "name",
                                json_object_get(cm, "name"), "namespace",
                                kobj_str(cm, "namespace") ? kobj_str(cm, "namespace") : "default",
                                "data", json_object_get(cm, "data"));
        int rc = scn_create(st, "ConfigMap", obj);
        if (rc)
            return rc;
    }
    return 0;
}

int scn_seed(const struct scenario *s, struct store *st)
{
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(s->namespaces, i, v) {
        rc = scn_create(st, "Namespace", json_pack("{s:{s:O}}", "metadata", "name", v));
        if (rc)
            return rc;
        /* k3s puts this config map in every namespace. */
        rc = scn_create(st, "ConfigMap", json_pack("{s:{s:s, s:O}, s:{s:s}}", "metadata", "name",
                        "kube-root-ca.crt", "namespace", v, "data", "ca.crt",
                        "-----BEGIN CERTIFICATE-----\n(simulated)\n-----END CERTIFICATE-----\n"));
        if (rc)
            return rc;
    }
    json_array_foreach(s->nodes, i, v) {
        rc = scn_create(st, "Node", scn_node(v));
        if (rc)
            return rc;
    }
    rc = scn_seed_configmaps(s, st);
    for (i = 0; !rc && i < s->ndeps; i++) {
        if (!store_get(st, kres_by_kind("Namespace"), NULL, s->deps[i].ns))
            rc = scn_create(st, "Namespace",
                            json_pack("{s:{s:s}}", "metadata", "name", s->deps[i].ns));
        if (!rc)
            rc = scn_seed_deploy(&s->deps[i], st);
    }
    return rc;
}
