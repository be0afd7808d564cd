/*
 * kubelet: per-container state machines kept in the pod's private store
 * data ({"c": {name: {st, start, readyAt, nextRestart, image, restarts,
 * logs}}}); the public pod status is rebuilt from it on every change so
 * status always agrees with what the health endpoints answer.
 */
#include "kubelet.h"
#include "events.h"
#include "kobj.h"
#include "kutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define KUBELET_MAX_LOG 2000

static int64_t kubelet_wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static json_t *kubelet_cstate(json_t *priv, const char *container)
{
    json_t *all = json_object_get(priv, "c");
    if (!all) {
        all = json_object();
        json_object_set_new(priv, "c", all);
    }
    json_t *c = json_object_get(all, container);
    if (!c) {
        c = json_pack("{s:s, s:i, s:[]}", "st", "creating", "restarts", 0, "logs");
        json_object_set_new(all, container, c);
    }
    return c;
}

static void kubelet_append(json_t *cst, const char *line)
{
    json_t *logs = json_object_get(cst, "logs");
    json_object_set_new(cst, "seq", json_integer(kobj_int(cst, "seq", 0) + 1));
    json_array_append_new(logs, json_pack("{s:I, s:s}", "t", (json_int_t)kubelet_wall_ms(),
                                          "m", line));
    while (json_array_size(logs) > KUBELET_MAX_LOG)
        json_array_remove(logs, 0);
}

/* Application-style line: "2025-01-15T12:00:00Z INFO  text". */
__attribute__((format(printf, 3, 4)))
static void kubelet_app_log(json_t *cst, const char *level, const char *fmt, ...)
{
    char ts[32], msg[512], line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    snprintf(line, sizeof(line), "%s %-5s %s", ts, level, msg);
    kubelet_append(cst, line);
}

int kubelet_log(struct store *st, const char *ns, const char *pod,
                const char *container, const char *line)
{
    json_t *priv = store_priv(st, kres_by_kind("Pod"), ns, pod);
    if (!priv)
        return -ENOENT;
    kubelet_append(kubelet_cstate(priv, container), line);
    return 0;
}

int kubelet_pod_ready(json_t *pod)
{
    if (kobj_str(pod, "metadata.deletionTimestamp"))
        return 0;
    const char *phase = kobj_str(pod, "status.phase");
    if (!phase || strcmp(phase, "Running"))
        return 0;
    size_t i;
    json_t *c;
    json_array_foreach(kobj_get(pod, "status.conditions"), i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && !strcmp(t, "Ready"))
            return !strcmp(json_string_value(json_object_get(c, "status")), "True");
    }
    return 0;
}

/* ---- container state machine ---- */

/* The pod a container belongs to, for events. */
struct kubelet_pod_ref {
    struct store *st;
    json_t *pod;
};

static void kubelet_start_events(const struct kubelet_pod_ref *p, const char *name, const char *image,
                                 int crash)
{
    kev_record(p->st, p->pod, "Normal", "Pulled", "kubelet",
               "Container image \"%s\" already present on machine", image);
    kev_record(p->st, p->pod, "Normal", "Created", "kubelet", "Created container: %s", name);
    kev_record(p->st, p->pod, "Normal", "Started", "kubelet", "Started container %s", name);
    if (crash)
        kev_record(p->st, p->pod, "Warning", "BackOff", "kubelet",
                   "Back-off restarting failed container %s in pod %s_%s(%s)", name,
                   kobj_str(p->pod, "metadata.name"), kobj_str(p->pod, "metadata.namespace"),
                   kobj_str(p->pod, "metadata.uid"));
}

static void kubelet_start(const struct kubelet_pod_ref *p, json_t *cst, const struct scn_image *im,
                          const char *name, const char *image, int64_t now)
{
    kubelet_start_events(p, name, image, im->behaviour == SCN_CRASH);
    char tag[128];
    kobj_image_tag(image, tag, sizeof(tag));
    json_object_set_new(cst, "image", json_string(image));
    json_object_set_new(cst, "start", json_integer(now));
    json_object_set_new(cst, "startWall", json_integer(time(NULL)));
    kubelet_app_log(cst, "INFO", "starting %s version %s", name, tag);
    if (im->behaviour == SCN_CRASH) {
        kubelet_app_log(cst, "FATAL", "%s", im->log ? im->log
                        : "uncaught exception: Error: Cannot find module '/app/server.js'");
        kubelet_app_log(cst, "ERROR", "process exited with code %s", "1");
        json_object_set_new(cst, "st", json_string("crashing"));
        json_object_set_new(cst, "restarts", json_integer(kobj_int(cst, "restarts", 0) + 1));
        json_object_set_new(cst, "lastExit", json_integer(time(NULL)));
        json_object_set_new(cst, "nextRestart", json_integer(now + im->restart_every_ms));
        return;
    }
    kubelet_app_log(cst, "INFO", "loading configuration from environment (NODE_ENV=production)");
    kubelet_app_log(cst, "INFO", "listening on http://0.0.0.0:%d", (int)kobj_int(cst, "port", 3000));
    if (im->log)
        kubelet_app_log(cst, "WARN", "%s", im->log);
    json_object_set_new(cst, "st", json_string("running"));
    json_object_set_new(cst, "readyAt",
                        json_integer(im->behaviour == SCN_SLOW ? now + im->ready_after_ms : now));
}

/* Advances one container; returns 1 if its state changed. */
static int kubelet_step(const struct kubelet_pod_ref *p, json_t *cst, const struct scn_image *im,
                        const char *name,
                        const char *image, int64_t now, int instant)
{
    const char *st = kobj_str(cst, "st");
    const char *had = kobj_str(cst, "image");
    if (had && strcmp(had, image)) {
        kubelet_app_log(cst, "INFO", "container image changed, restarting with %s", image);
        json_object_set_new(cst, "restarts", json_integer(kobj_int(cst, "restarts", 0) + 1));
        json_object_set_new(cst, "lastExit", json_integer(time(NULL)));
        kubelet_start(p, cst, im, name, image, now);
        return 1;
    }
    if (!strcmp(st, "creating")) {
        if (!instant && now - kobj_int(cst, "created", now) < 1)
            return 0;
        kubelet_start(p, cst, im, name, image, now);
        return 1;
    }
    if (!strcmp(st, "crashing") && now >= kobj_int(cst, "nextRestart", 0)) {
        kubelet_start(p, cst, im, name, image, now);
        return 1;
    }
    if (!strcmp(st, "running") && !json_is_true(json_object_get(cst, "ready")) &&
        (instant || now >= kobj_int(cst, "readyAt", 0))) {
        json_object_set_new(cst, "ready", json_true());
        kubelet_app_log(cst, "INFO", "ready in %lldms", (long long)(now - kobj_int(cst, "start", now)) + 212);
        json_object_set_new(cst, "nextProbe", json_integer(now));
        return 1;
    }
    if (!strcmp(st, "running") && json_is_true(json_object_get(cst, "ready")) &&
        now >= kobj_int(cst, "nextProbe", 0)) {
        /* The kubelet's readiness probe shows up in the application log. */
        int code = im->behaviour == SCN_UNHEALTHY ? im->health_status : 200;
        kubelet_app_log(cst, "INFO", "GET %s %d - kube-probe/1.32", kobj_str(cst, "probePath"), code);
        json_object_set_new(cst, "nextProbe", json_integer(now + 5000));
    }
    return 0;
}

/* ---- status rendering ---- */

static json_t *kubelet_container_status(json_t *cst, const char *name, const char *image,
                                        const char *pod_uid)
{
    char image_id[300], cid[80], ts[32], hex[65];
    kobj_image_id(image, image_id, sizeof(image_id));
    ku_sha256_hex(pod_uid, strlen(pod_uid), hex, sizeof(hex));
    snprintf(cid, sizeof(cid), "containerd://%s", hex);
    const char *st = kobj_str(cst, "st");
    int ready = json_is_true(json_object_get(cst, "ready")) && !strcmp(st, "running");
    json_t *state;
    if (!strcmp(st, "creating")) {
        state = json_pack("{s:{s:s}}", "waiting", "reason", "ContainerCreating");
    } else if (!strcmp(st, "crashing")) {
        char msg[300];
        snprintf(msg, sizeof(msg), "back-off 10s restarting failed container=%s", name);
        state = json_pack("{s:{s:s, s:s}}", "waiting", "reason", "CrashLoopBackOff", "message", msg);
    } else {
        ku_rfc3339((time_t)kobj_int(cst, "startWall", time(NULL)), ts, sizeof(ts));
        state = json_pack("{s:{s:s}}", "running", "startedAt", ts);
    }
    json_t *cs = json_pack("{s:s, s:o, s:{}, s:b, s:i, s:s, s:s, s:b}", "name", name, "state", state,
                           "lastState", "ready", ready, "restartCount",
                           (int)kobj_int(cst, "restarts", 0), "image", image, "imageID",
                           !strcmp(st, "creating") ? "" : image_id, "started",
                           !strcmp(st, "running"));
    if (cs && strcmp(st, "creating"))
        json_object_set_new(cs, "containerID", json_string(cid));
    if (cs && kobj_int(cst, "lastExit", 0)) {
        ku_rfc3339((time_t)kobj_int(cst, "lastExit", 0), ts, sizeof(ts));
        kobj_set(cs, "lastState.terminated",
                 json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", 1, "reason", "Error",
                           "startedAt", ts, "finishedAt", ts, "containerID", cid));
    }
    return cs;
}

static json_t *kubelet_condition(const char *type, int ok, const char *ts)
{
    return json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", ok ? "True" : "False",
                     "lastProbeTime", "lastTransitionTime", ts);
}

/* Keeps lastTransitionTime of conditions whose status did not change. */
static void kubelet_keep_transitions(json_t *conds, json_t *old)
{
    size_t i, j;
    json_t *c, *o;
    json_array_foreach(conds, i, c) {
        json_array_foreach(old, j, o) {
            if (json_equal(json_object_get(c, "type"), json_object_get(o, "type")) &&
                json_equal(json_object_get(c, "status"), json_object_get(o, "status")))
                json_object_set(c, "lastTransitionTime", json_object_get(o, "lastTransitionTime"));
        }
    }
}

static void kubelet_render(json_t *pod, json_t *priv, const char *host_ip)
{
    json_t *css = json_array();
    int all_ready = 1, any_running = 0;
    size_t i;
    json_t *c;
    json_array_foreach(kobj_get(pod, "spec.containers"), i, c) {
        const char *name = kobj_str(c, "name"), *image = kobj_str(c, "image");
        json_t *cst = kubelet_cstate(priv, name);
        json_array_append_new(css, kubelet_container_status(cst, name, image ? image : "",
                                                            kobj_str(pod, "metadata.uid")));
        const char *st = kobj_str(cst, "st");
        all_ready &= !strcmp(st, "running") && json_is_true(json_object_get(cst, "ready"));
        any_running |= strcmp(st, "creating") != 0;
    }
    char ts[32];
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    json_t *conds = json_pack("[o, o, o, o, o]",
                              kubelet_condition("PodReadyToStartContainers", any_running, ts),
                              kubelet_condition("Initialized", 1, ts),
                              kubelet_condition("Ready", all_ready, ts),
                              kubelet_condition("ContainersReady", all_ready, ts),
                              kubelet_condition("PodScheduled", 1, ts));
    kubelet_keep_transitions(conds, kobj_get(pod, "status.conditions"));
    json_t *status = kobj_ensure(pod, "status");
    json_object_set_new(status, "phase", json_string(any_running ? "Running" : "Pending"));
    json_object_set_new(status, "conditions", conds);
    json_object_set_new(status, "containerStatuses", css);
    json_object_set_new(status, "hostIP", json_string(host_ip));
    json_object_set_new(status, "hostIPs", json_pack("[{s:s}]", "ip", host_ip));
    json_object_set_new(status, "qosClass", json_string("BestEffort"));
    if (kobj_str(priv, "ip")) {
        json_object_set_new(status, "podIP", json_string(kobj_str(priv, "ip")));
        json_object_set_new(status, "podIPs", json_pack("[{s:s}]", "ip", kobj_str(priv, "ip")));
    }
    if (!json_object_get(status, "startTime"))
        json_object_set_new(status, "startTime", json_string(ts));
}

/* ---- pod pass ---- */

/* Node index and InternalIP of a node, for pod and host IPs. */
static int kubelet_node(struct store *st, const char *node, const char **ip)
{
    json_t *nodes = store_list(st, kres_by_kind("Node"), NULL);
    int idx = 0;
    size_t i;
    json_t *n;
    *ip = "10.0.0.10";
    json_array_foreach(nodes, i, n) {
        if (node && !strcmp(kobj_str(n, "metadata.name"), node)) {
            idx = (int)i;
            json_t *a = json_array_get(kobj_get(n, "status.addresses"), 0);
            *ip = json_string_value(json_object_get(a, "address"));
        }
    }
    json_decref(nodes);
    return idx;
}

static void kubelet_assign_ip(struct store *st, json_t *priv, const char *node)
{
    if (kobj_str(priv, "ip"))
        return;
    const char *host_ip;
    int idx = kubelet_node(st, node, &host_ip);
    json_t *npriv = store_priv(st, kres_by_kind("Node"), NULL, node);
    json_int_t next = kobj_int(npriv, "nextIP", 2);
    if (npriv)
        json_object_set_new(npriv, "nextIP", json_integer(next >= 250 ? 2 : next + 1));
    char ip[32];
    snprintf(ip, sizeof(ip), "10.42.%d.%d", idx, (int)next);
    json_object_set_new(priv, "ip", json_string(ip));
}

static int kubelet_pod(struct store *st, const struct scenario *scn, json_t *pod,
                       int64_t now, int instant)
{
    const struct kres *pr = kres_by_kind("Pod");
    const char *ns = kobj_str(pod, "metadata.namespace"), *name = kobj_str(pod, "metadata.name");
    json_t *priv = store_priv(st, pr, ns, name);
    if (!priv)
        return 0;
    struct kubelet_pod_ref ref = {st, pod};
    if (kobj_str(pod, "metadata.deletionTimestamp")) { /* graceful deletion done */
        size_t i;
        json_t *c;
        json_array_foreach(kobj_get(pod, "spec.containers"), i, c)
            kev_record(st, pod, "Normal", "Killing", "kubelet", "Stopping container %s",
                       kobj_str(c, "name"));
        return store_delete(st, pr, ns, name, NULL);
    }
    const char *node = kobj_str(pod, "spec.nodeName");
    if (!node)
        return 0; /* unscheduled: the controller places pods */
    kubelet_assign_ip(st, priv, node);
    int changed = 0;
    size_t i;
    json_t *c;
    json_array_foreach(kobj_get(pod, "spec.containers"), i, c) {
        const char *cname = kobj_str(c, "name"), *image = kobj_str(c, "image");
        if (!cname || !image)
            continue;
        json_t *cst = kubelet_cstate(priv, cname);
        if (!json_object_get(cst, "created")) {
            const char *probe = kobj_str(c, "readinessProbe.httpGet.path");
            json_t *port = kobj_get(json_array_get(json_object_get(c, "ports"), 0), "containerPort");
            json_object_set_new(cst, "created", json_integer(now));
            json_object_set_new(cst, "probePath", json_string(probe ? probe : "/api/health"));
            json_object_set_new(cst, "port", json_integer(json_is_integer(port) ? json_integer_value(port) : 3000));
        }
        changed |= kubelet_step(&ref, cst, scn_image_for(scn, image), cname, image, now, instant);
    }
    /* Status is a function of the container states: re-render only when
     * one of them moved (or the pod has never been rendered). */
    if (!changed && kobj_get(pod, "status.containerStatuses"))
        return 0;
    json_t *copy = json_deep_copy(pod);
    if (!copy)
        return -ENOMEM;
    const char *host_ip;
    kubelet_node(st, node, &host_ip);
    kubelet_render(copy, priv, host_ip ? host_ip : "10.0.0.10");
    return store_update(st, pr, copy, NULL);
}

int kubelet_tick(struct store *st, const struct scenario *scn, int64_t now_ms, int instant)
{
    json_t *pods = store_list(st, kres_by_kind("Pod"), NULL);
    if (!pods)
        return -ENOMEM;
    int rc = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        int r = kubelet_pod(st, scn, p, now_ms, instant);
        if (r && !rc)
            rc = r;
    }
    json_decref(pods);
    return rc;
}

/* ---- logs ---- */

static int kubelet_pick_container(json_t *pod, const char *want, const char **out,
                                  char *err, size_t errlen)
{
    json_t *cs = kobj_get(pod, "spec.containers");
    const char *pod_name = kobj_str(pod, "metadata.name");
    if (!want) {
        if (json_array_size(cs) == 1) {
            *out = kobj_str(json_array_get(cs, 0), "name");
            return 0;
        }
        snprintf(err, errlen, "a container name must be specified for pod %s", pod_name);
        return -EINVAL;
    }
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) {
        if (kobj_str(c, "name") && !strcmp(kobj_str(c, "name"), want)) {
            *out = want;
            return 0;
        }
    }
    snprintf(err, errlen, "container %s is not valid for pod %s", want, pod_name);
    return -EINVAL;
}

/* Formats lines [from, n) of logs, skipping those before since_ms. */
static char *kubelet_format(json_t *logs, size_t from, int64_t since_ms, int timestamps)
{
    size_t n = json_array_size(logs), cap = 1, len = 0;
    for (size_t i = from; i < n; i++)
        cap += strlen(kobj_str(json_array_get(logs, i), "m")) + 48;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    buf[0] = '\0';
    for (size_t i = from; i < n; i++) {
        json_t *e = json_array_get(logs, i);
        int64_t t = kobj_int(e, "t", 0);
        if (t < since_ms)
            continue;
        if (timestamps) {
            char ts[32];
            ku_rfc3339((time_t)(t / 1000), ts, sizeof(ts));
            len += (size_t)snprintf(buf + len, cap - len, "%.19s.%03d000000Z ", ts, (int)(t % 1000));
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s\n", kobj_str(e, "m"));
    }
    return buf;
}

int kubelet_logs(struct store *st, const char *ns, const char *pod,
                 const struct kubelet_log_opts *o, char **out, struct kubelet_log_pos *pos,
                 char *err, size_t errlen)
{
    const struct kres *pr = kres_by_kind("Pod");
    json_t *obj = store_get(st, pr, ns, pod);
    json_t *priv = store_priv(st, pr, ns, pod);
    const char *container = NULL;
    if (!obj)
        return -ENOENT;
    int rc = kubelet_pick_container(obj, o->container, &container, err, errlen);
    if (rc)
        return rc;
    json_t *cst = json_object_get(json_object_get(priv, "c"), container);
    if (o->previous && kobj_int(cst, "restarts", 0) == 0) {
        snprintf(err, errlen, "previous terminated container \"%s\" in pod \"%s\" not found",
                 container, pod);
        return -EINVAL;
    }
    const char *state = kobj_str(cst, "st");
    if (!o->previous && (!state || !strcmp(state, "creating"))) {
        snprintf(err, errlen, "container \"%s\" in pod \"%s\" is waiting to start: "
                 "ContainerCreating", container, pod);
        return -EAGAIN;
    }
    json_t *logs = json_object_get(cst, "logs");
    size_t n = json_array_size(logs), from = 0;
    if (o->tail >= 0 && (size_t)o->tail < n)
        from = n - (size_t)o->tail;
    int64_t since = o->since_seconds >= 0 ? kubelet_wall_ms() - o->since_seconds * 1000 : 0;
    char *buf = kubelet_format(logs, from, since, o->timestamps);
    if (!buf)
        return -ENOMEM;
    if (o->limit_bytes >= 0 && (size_t)o->limit_bytes < strlen(buf))
        buf[o->limit_bytes] = '\0';
    if (pos) {
        snprintf(pos->ns, sizeof(pos->ns), "%s", ns);
        snprintf(pos->pod, sizeof(pos->pod), "%s", pod);
        snprintf(pos->container, sizeof(pos->container), "%s", container);
        snprintf(pos->uid, sizeof(pos->uid), "%s", kobj_str(obj, "metadata.uid"));
        pos->next = (uint64_t)kobj_int(cst, "seq", 0);
    }
    *out = buf;
    return 0;
}

int kubelet_logs_since(struct store *st, struct kubelet_log_pos *pos, int timestamps, char **out)
{
    const struct kres *pr = kres_by_kind("Pod");
    json_t *obj = store_get(st, pr, pos->ns, pos->pod);
    const char *uid = kobj_str(obj, "metadata.uid");
    if (!obj || !uid || strcmp(uid, pos->uid) || kobj_str(obj, "metadata.deletionTimestamp"))
        return -ENOENT;
    json_t *priv = store_priv(st, pr, pos->ns, pos->pod);
    json_t *cst = json_object_get(json_object_get(priv, "c"), pos->container);
    json_t *logs = json_object_get(cst, "logs");
    uint64_t seq = (uint64_t)kobj_int(cst, "seq", 0), n = json_array_size(logs);
    /* The oldest kept line has sequence number seq - n. */
    uint64_t first = seq - n;
    size_t from = pos->next > first ? (size_t)(pos->next - first) : 0;
    *out = kubelet_format(logs, from, 0, timestamps);
    if (!*out)
        return -ENOMEM;
    pos->next = seq;
    return 0;
}
