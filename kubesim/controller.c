/*
 * ctl: one tick = kubelet pass, garbage collection, then each Deployment
 * and bare ReplicaSet reconciled by at most one pod action, so rollouts
 * advance visibly one step per tick as `rollout status` expects.
 */
#include "controller.h"
#include "events.h"
#include "kobj.h"
#include "kubelet.h"
#include "kutil.h"
#include "podtmpl.h"
#include "schema.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REV_ANN "deployment.kubernetes.io/revision"

struct ctl {
    struct store *st;
    const struct scenario *scn;
    int64_t step_ms;
    pthread_t thread;
    int started;
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
};

/* What one deployment's pods look like right now. */
struct ctl_view {
    json_t *dep;     /* working copy of the Deployment (owned) */
    json_t *new_rs;  /* reference held by the view */
    json_t *old_rs;  /* array of borrowed old ReplicaSets (owned array) */
    json_t *new_pods, *old_pods; /* arrays of live (non-terminating) pods */
    int n_new, n_old, ready_new, ready_old;
    int replicas;
    int created_rs, found_rs;
};

struct ctl *ctl_new(struct store *st, const struct scenario *scn, int64_t step_ms)
{
    struct ctl *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->st = st;
    c->scn = scn;
    c->step_ms = step_ms > 0 ? step_ms : 300;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    return c;
}

void ctl_free(struct ctl *c)
{
    if (!c)
        return;
    ctl_stop(c);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int ctl_resolve_fenced(json_t *v, int replicas, int round_up, int def_percent)
{
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    int pct = def_percent;
    if (json_is_string(v))
        pct = atoi(json_string_value(v));
    long num = (long)pct * replicas;
    return (int)(round_up ? (num + 99) / 100 : num / 100);
}

static int ctl_revision(json_t *obj)
{
    json_t *ann = kobj_get(obj, "metadata.annotations");
    const char *r = json_string_value(json_object_get(ann, REV_ANN));
    return r ? atoi(r) : 0;
}

static void ctl_set_revision(json_t *obj, int rev)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", rev);
    json_t *ann = kobj_ensure(obj, "metadata.annotations");
    if (ann)
        json_object_set_new(ann, REV_ANN, json_string(buf));
}

/* Objects of type kind in ns controlled by uid (new array of borrowed refs). */
static json_t *ctl_owned(struct store *st, const char *kind, const char *ns, const char *uid)
{
    json_t *all = store_list(st, kres_by_kind(kind), ns);
    json_t *out = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        const char *owner = kobj_controller_uid(o);
        if (owner && uid && !strcmp(owner, uid))
            json_array_append(out, o);
    }
    json_decref(all);
    return out;
}

/* ---- garbage collection ---- */

/* Deletes objects of kind whose controller (of owner_kind) no longer
 * exists; the owners' uids are collected once so a pass stays linear. */
static void ctl_gc(struct store *st, const char *kind, const char *owner_kind)
{
    const struct kres *r = kres_by_kind(kind);
    json_t *owners = store_list(st, kres_by_kind(owner_kind), NULL);
    json_t *uids = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(owners, i, o) {
        const char *uid = kobj_str(o, "metadata.uid");
        if (uid)
            json_object_set_new(uids, uid, json_true());
    }
    json_decref(owners);
    json_t *all = store_list(st, r, NULL);
    json_array_foreach(all, i, o) {
        const char *uid = kobj_controller_uid(o);
        if (uid && !json_object_get(uids, uid))
            store_delete(st, r, kobj_str(o, "metadata.namespace"), kobj_str(o, "metadata.name"), NULL);
    }
    json_decref(all);
    json_decref(uids);
}

/* ---- pods ---- */

/* Node with the fewest of siblings' pods, then fewest pods overall. */
static const char *ctl_pick_node(struct store *st, json_t *siblings, json_t *nodes)
{
    json_t *all = store_list(st, kres_by_kind("Pod"), NULL);
    const char *best = NULL;
    long best_score = 0;
    size_t i, j;
    json_t *n, *p;
    json_array_foreach(nodes, i, n) {
        const char *name = kobj_str(n, "metadata.name");
        long mine = 0, total = 0;
        json_array_foreach(siblings, j, p) if (!strcmp(kobj_str(p, "spec.nodeName") ? kobj_str(p, "spec.nodeName") : "", name)) mine++;
        json_array_foreach(all, j, p) if (!strcmp(kobj_str(p, "spec.nodeName") ? kobj_str(p, "spec.nodeName") : "", name)) total++;
        long score = mine * 10000 + total;
        if (!best || score < best_score) {
            best = name;
            best_score = score;
        }
    }
    json_decref(all);
    return best;
}

static int ctl_create_pod(struct store *st, json_t *rs, json_t *siblings)
{
    char suffix[8], name[320];
    if (ku_random_name(suffix, 5))
        return -EIO;
    snprintf(name, sizeof(name), "%s-%s", kobj_str(rs, "metadata.name"), suffix);
    json_t *nodes = store_list(st, kres_by_kind("Node"), NULL);
    const char *node = ctl_pick_node(st, siblings, nodes);
    /* Deep copies: the pod is changed below and must not alias the RS. */
    json_t *pod = json_pack("{s:{s:s, s:s, s:o?}, s:o, s:{s:s}}", "metadata", "name", name,
                            "namespace", kobj_str(rs, "metadata.namespace"), "labels",
                            json_deep_copy(kobj_get(rs, "spec.template.metadata.labels")), "spec",
                            json_deep_copy(kobj_get(rs, "spec.template.spec")), "status", "phase",
                            "Pending");
    int rc = pod ? kobj_add_controller_ref(pod, rs) : -ENOMEM;
    if (!rc && node)
        rc = kobj_set_str(pod, "spec.nodeName", node);
    json_decref(nodes);
    if (rc) {
        json_decref(pod);
        return rc;
    }
    json_t *ann = kobj_get(rs, "spec.template.metadata.annotations");
    if (ann)
        kobj_set(pod, "metadata.annotations", json_deep_copy(ann));
    schema_default("Pod", pod);
    json_t *stored = NULL;
    rc = store_create(st, kres_by_kind("Pod"), pod, &stored);
    if (rc)
        return rc;
    kev_record(st, rs, "Normal", "SuccessfulCreate", "replicaset-controller", "Created pod: %s", name);
    if (node)
        kev_record(st, stored, "Normal", "Scheduled", "default-scheduler",
                   "Successfully assigned %s/%s to %s", kobj_str(stored, "metadata.namespace"), name, node);
    return 0;
}

/* Marks a pod terminating; the kubelet removes it on its next pass. */
static int ctl_delete_pod(struct store *st, json_t *pod)
{
    char ts[32];
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    json_t *copy = json_deep_copy(pod);
    if (!copy)
        return -ENOMEM;
    kobj_set_str(copy, "metadata.deletionTimestamp", ts);
    kobj_set_int(copy, "metadata.deletionGracePeriodSeconds", 30);
    json_t *owner = json_array_get(kobj_get(pod, "metadata.ownerReferences"), 0);
    json_t *rs = store_get(st, kres_by_kind("ReplicaSet"), kobj_str(pod, "metadata.namespace"),
                           kobj_str(owner, "name"));
    if (rs)
        kev_record(st, rs, "Normal", "SuccessfulDelete", "replicaset-controller", "Deleted pod: %s",
                   kobj_str(pod, "metadata.name"));
    return store_update(st, kres_by_kind("Pod"), copy, NULL);
}

/* The deployment controller's "Scaled up/down replica set" event. */
static void ctl_scaled(struct store *st, json_t *dep, json_t *rs, int from, int to)
{
    kev_record(st, dep, "Normal", "ScalingReplicaSet", "deployment-controller",
               "Scaled %s replica set %s from %d to %d", to > from ? "up" : "down",
               kobj_str(rs, "metadata.name"), from, to);
}

/* The ReplicaSet a pod belongs to (borrowed), or NULL. */
static json_t *ctl_pod_rs(struct store *st, json_t *pod)
{
    json_t *owner = json_array_get(kobj_get(pod, "metadata.ownerReferences"), 0);
    return store_get(st, kres_by_kind("ReplicaSet"), kobj_str(pod, "metadata.namespace"),
                     kobj_str(owner, "name"));
}

/* Live pods of rs, and how many of them are ready. */
static json_t *ctl_pods_of(struct store *st, json_t *rs, int *ready)
{
    json_t *pods = ctl_owned(st, "Pod", kobj_str(rs, "metadata.namespace"),
                             kobj_str(rs, "metadata.uid"));
    json_t *live = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        if (kobj_str(p, "metadata.deletionTimestamp"))
            continue;
        json_array_append(live, p);
        if (ready && kubelet_pod_ready(p))
            (*ready)++;
    }
    json_decref(pods);
    return live;
}

/* Picks the pod to remove: not-ready first, else the last one. */
static json_t *ctl_victim(json_t *pods, int only_unready)
{
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) if (!kubelet_pod_ready(p)) return p;
    return only_unready ? NULL : json_array_get(pods, json_array_size(pods) - 1);
}

/* ---- ReplicaSets ---- */

static int ctl_update_rs(struct store *st, json_t *rs, json_t *copy)
{
    if (!json_equal(json_object_get(rs, "spec"), json_object_get(copy, "spec")))
        kobj_set_int(copy, "metadata.generation", kobj_int(rs, "metadata.generation", 1) + 1);
    return store_update(st, kres_by_kind("ReplicaSet"), copy, NULL);
}

/* Sets spec.replicas and the status of an RS from its live pods. */
static int ctl_rs_sync(struct store *st, json_t *rs, int replicas, int desired_ann,
                       int max_ann)
{
    int ready = 0;
    json_t *pods = ctl_pods_of(st, rs, &ready);
    json_t *copy = json_deep_copy(rs);
    if (!pods || !copy) {
        json_decref(pods);
        json_decref(copy);
        return -ENOMEM;
    }
    int n = (int)json_array_size(pods);
    json_decref(pods);
    if (replicas >= 0)
        kobj_set_int(copy, "spec.replicas", replicas);
    if (desired_ann >= 0) {
        char a[16], b[16];
        snprintf(a, sizeof(a), "%d", desired_ann);
        snprintf(b, sizeof(b), "%d", max_ann);
        json_t *ann = kobj_ensure(copy, "metadata.annotations");
        json_object_set_new(ann, "deployment.kubernetes.io/desired-replicas", json_string(a));
        json_object_set_new(ann, "deployment.kubernetes.io/max-replicas", json_string(b));
    }
    json_t *status = json_pack("{s:i, s:I}", "replicas", n, "observedGeneration",
                               kobj_int(copy, "metadata.generation", 1));
    if (n)
        json_object_set_new(status, "fullyLabeledReplicas", json_integer(n));
    if (ready) {
        json_object_set_new(status, "readyReplicas", json_integer(ready));
        json_object_set_new(status, "availableReplicas", json_integer(ready));
    }
    json_object_set_new(copy, "status", status);
    return ctl_update_rs(st, rs, copy);
}

static int ctl_create_rs(struct store *st, json_t *dep, int revision, json_t **out)
{
    json_t *tmpl = json_deep_copy(kobj_get(dep, "spec.template"));
    char hash[16], name[320];
    if (!tmpl || tmpl_hash(tmpl, hash, sizeof(hash))) {
        json_decref(tmpl);
        return -ENOMEM;
    }
    snprintf(name, sizeof(name), "%s-%s", kobj_str(dep, "metadata.name"), hash);
    const char *ns = kobj_str(dep, "metadata.namespace");
    if (store_get(st, kres_by_kind("ReplicaSet"), ns, name)) {
        /* Hash collision with a foreign or stale RS: like collisionCount. */
        char extra[8];
        ku_random_name(extra, 5);
        snprintf(name, sizeof(name), "%s-%s%s", kobj_str(dep, "metadata.name"), hash, extra);
    }
    kobj_set_str(tmpl, "metadata.labels.pod-template-hash", hash);
    json_t *sel = json_deep_copy(kobj_get(dep, "spec.selector"));
    json_t *ml = sel ? kobj_ensure(sel, "matchLabels") : NULL;
    if (ml)
        json_object_set_new(ml, "pod-template-hash", json_string(hash));
    json_t *rs = json_pack("{s:{s:s, s:s, s:O?}, s:{s:i, s:o, s:o, s:I}}", "metadata", "name",
                           name, "namespace", ns, "labels", kobj_get(tmpl, "metadata.labels"),
                           "spec", "replicas", 0, "selector", sel, "template", tmpl,
                           "minReadySeconds", kobj_int(dep, "spec.minReadySeconds", 0));
    if (!rs || kobj_add_controller_ref(rs, dep)) {
        json_decref(rs);
        return -ENOMEM;
    }
    ctl_set_revision(rs, revision);
    schema_default("ReplicaSet", rs);
    return store_create(st, kres_by_kind("ReplicaSet"), rs, out);
}

/* Finds or creates the RS for the deployment's template; fills v. */
static int ctl_find_new_rs(struct store *st, struct ctl_view *v)
{
    json_t *rss = ctl_owned(st, "ReplicaSet", kobj_str(v->dep, "metadata.namespace"),
                            kobj_str(v->dep, "metadata.uid"));
    json_t *tmpl = kobj_get(v->dep, "spec.template");
    int maxrev = 0;
    size_t i;
    json_t *rs;
    v->old_rs = json_array();
    json_array_foreach(rss, i, rs) {
        if (ctl_revision(rs) > maxrev)
            maxrev = ctl_revision(rs);
        if (!v->new_rs && tmpl_equal(kobj_get(rs, "spec.template"), tmpl))
            v->new_rs = json_incref(rs);
        else
            json_array_append(v->old_rs, rs);
    }
    json_decref(rss);
    int rc = 0;
    if (!v->new_rs) {
        json_t *stored = NULL;
        rc = ctl_create_rs(st, v->dep, maxrev + 1, &stored);
        v->new_rs = rc ? NULL : json_incref(stored);
        v->created_rs = rc == 0;
    } else if (ctl_revision(v->new_rs) < maxrev) {
        /* Rolling back to an old template: it becomes the newest revision. */
        json_t *copy = json_deep_copy(v->new_rs);
        json_t *ann = copy ? kobj_ensure(copy, "metadata.annotations") : NULL;
        if (!ann) {
            json_decref(copy);
            return -ENOMEM;
        }
        const char *prev = json_string_value(json_object_get(ann, "deployment.kubernetes.io/revision-history"));
        char hist[256];
        snprintf(hist, sizeof(hist), "%s%s%d", prev ? prev : "", prev ? "," : "",
                 ctl_revision(v->new_rs));
        json_object_set_new(ann, "deployment.kubernetes.io/revision-history", json_string(hist));
        ctl_set_revision(copy, maxrev + 1);
        json_t *stored = NULL;
        rc = store_update(st, kres_by_kind("ReplicaSet"), copy, &stored);
        json_decref(v->new_rs);
        v->new_rs = rc ? NULL : json_incref(stored);
        v->found_rs = 1;
    }
    if (!rc)
        ctl_set_revision(v->dep, ctl_revision(v->new_rs));
    return rc;
}

/* ---- deployment step ---- */

static void ctl_collect(struct store *st, struct ctl_view *v)
{
    v->new_pods = ctl_pods_of(st, v->new_rs, &v->ready_new);
    v->n_new = (int)json_array_size(v->new_pods);
    v->old_pods = json_array();
    size_t i;
    json_t *rs;
    json_array_foreach(v->old_rs, i, rs) {
        json_t *p = ctl_pods_of(st, rs, &v->ready_old);
        json_array_extend(v->old_pods, p);
        json_decref(p);
    }
    v->n_old = (int)json_array_size(v->old_pods);
}

/* Rolling update: at most one pod created or removed per tick. */
static int ctl_rolling_step(struct store *st, struct ctl_view *v)
{
    json_t *ru = kobj_get(v->dep, "spec.strategy.rollingUpdate");
    int r = v->replicas;
    int surge = ctl_resolve_fenced(json_object_get(ru, "maxSurge"), r, 1, 25);
    int unavail = ctl_resolve_fenced(json_object_get(ru, "maxUnavailable"), r, 0, 25);
    if (surge == 0 && unavail == 0)
        unavail = 1;
    json_t *siblings = json_array();
    json_array_extend(siblings, v->new_pods);
    json_array_extend(siblings, v->old_pods);
    int rc = 0;
    if (v->n_new > r) {
        ctl_scaled(st, v->dep, v->new_rs, v->n_new, v->n_new - 1);
        rc = ctl_delete_pod(st, ctl_victim(v->new_pods, 0));
    } else if (v->n_new < r && v->n_new + v->n_old < r + surge) {
        ctl_scaled(st, v->dep, v->new_rs, v->n_new, v->n_new + 1);
        rc = ctl_create_pod(st, v->new_rs, siblings);
    } else if (v->n_old > 0) {
        json_t *victim = ctl_victim(v->old_pods, 1);
        if (!victim && v->ready_new + v->ready_old - 1 >= r - unavail)
            victim = ctl_victim(v->old_pods, 0);
        json_t *vrs = victim ? ctl_pod_rs(st, victim) : NULL;
        if (vrs)
            ctl_scaled(st, v->dep, vrs, (int)kobj_int(vrs, "status.replicas", 1),
                       (int)kobj_int(vrs, "status.replicas", 1) - 1);
        if (victim)
            rc = ctl_delete_pod(st, victim);
    }
    json_decref(siblings);
    return rc;
}

static int ctl_recreate_step(struct store *st, struct ctl_view *v)
{
    if (v->n_old > 0)
        return ctl_delete_pod(st, ctl_victim(v->old_pods, 0));
    if (v->n_new < v->replicas)
        return ctl_create_pod(st, v->new_rs, v->new_pods);
    if (v->n_new > v->replicas)
        return ctl_delete_pod(st, ctl_victim(v->new_pods, 0));
    return 0;
}

/* ---- deployment status ---- */

static json_t *ctl_find_cond(json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

/* Sets a condition, keeping timestamps unless status or reason moved
 * (lastUpdateTime also moves when bump is set: progress was made). */
static void ctl_set_cond(json_t *conds, const char *type, int ok, const char *reason,
                         const char *msg, int bump)
{
    char ts[32];
    ku_rfc3339(time(NULL), ts, sizeof(ts));
    json_t *old = ctl_find_cond(conds, type);
    const char *st = ok ? "True" : "False";
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", st,
                          "lastUpdateTime", ts, "lastTransitionTime", ts, "reason", reason,
                          "message", msg);
    if (old && !strcmp(kobj_str(old, "status"), st))
        json_object_set(c, "lastTransitionTime", json_object_get(old, "lastTransitionTime"));
    if (old && !bump && !strcmp(kobj_str(old, "status"), st) &&
        !strcmp(kobj_str(old, "reason"), reason))
        json_object_set(c, "lastUpdateTime", json_object_get(old, "lastUpdateTime"));
    size_t i;
    json_t *e;
    json_array_foreach(conds, i, e) {
        if (e == old) {
            json_array_set_new(conds, i, c);
            return;
        }
    }
    json_array_append_new(conds, c);
}

static int ctl_progressing(struct store *st, struct ctl_view *v, json_t *conds,
                           int64_t now)
{
    json_t *priv = store_priv(st, kres_by_kind("Deployment"), kobj_str(v->dep, "metadata.namespace"),
                              kobj_str(v->dep, "metadata.name"));
    const char *rsname = kobj_str(v->new_rs, "metadata.name");
    char sig[400], msg[400];
    snprintf(sig, sizeof(sig), "%s/%d/%d/%d/%d", rsname, v->n_new, v->ready_new, v->n_old,
             v->ready_old);
    int progressed = !kobj_str(priv, "sig") || strcmp(kobj_str(priv, "sig"), sig);
    if (progressed || v->created_rs || v->found_rs) {
        json_object_set_new(priv, "sig", json_string(sig));
        json_object_set_new(priv, "progressMs", json_integer(now));
    }
    int complete = v->n_new == v->replicas && v->ready_new == v->replicas && v->n_old == 0;
    int64_t deadline = kobj_int(v->dep, "spec.progressDeadlineSeconds", 600) * 1000;
    if (v->created_rs || v->found_rs) {
        snprintf(msg, sizeof(msg), "%s new replica set \"%s\"",
                 v->created_rs ? "Created" : "Found", rsname);
        ctl_set_cond(conds, "Progressing", 1, v->created_rs ? "NewReplicaSetCreated"
                     : "FoundNewReplicaSet", msg, 1);
    } else if (complete) {
        snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.", rsname);
        ctl_set_cond(conds, "Progressing", 1, "NewReplicaSetAvailable", msg, 0);
    } else if (now - kobj_int(priv, "progressMs", now) > deadline) {
        snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has timed out progressing.", rsname);
        ctl_set_cond(conds, "Progressing", 0, "ProgressDeadlineExceeded", msg, 0);
    } else {
        snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" is progressing.", rsname);
        ctl_set_cond(conds, "Progressing", 1, "ReplicaSetUpdated", msg, progressed);
    }
    return 0;
}

static void ctl_status_int(json_t *status, const char *key, int v)
{
    if (v > 0)
        json_object_set_new(status, key, json_integer(v));
}

static int ctl_deploy_status(struct store *st, struct ctl_view *v, int64_t now)
{
    json_t *ru = kobj_get(v->dep, "spec.strategy.rollingUpdate");
    int unavail = ctl_resolve_fenced(json_object_get(ru, "maxUnavailable"), v->replicas, 0, 25);
    int avail = v->ready_new + v->ready_old, total = v->n_new + v->n_old;
    json_t *old_conds = kobj_get(v->dep, "status.conditions");
    json_t *conds = old_conds ? json_deep_copy(old_conds) : json_array();
    json_t *status = json_pack("{s:I}", "observedGeneration",
                               kobj_int(v->dep, "metadata.generation", 1));
    if (!conds || !status) {
        json_decref(conds);
        json_decref(status);
        return -ENOMEM;
    }
    ctl_status_int(status, "replicas", total);
    ctl_status_int(status, "updatedReplicas", v->n_new);
    ctl_status_int(status, "readyReplicas", avail);
    ctl_status_int(status, "availableReplicas", avail);
    ctl_status_int(status, "unavailableReplicas", total - avail);
    int ok = avail >= v->replicas - unavail;
    ctl_set_cond(conds, "Available", ok, ok ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                 ok ? "Deployment has minimum availability."
                    : "Deployment does not have minimum availability.", 0);
    ctl_progressing(st, v, conds, now);
    json_object_set_new(status, "conditions", conds);
    json_object_set_new(v->dep, "status", status);
    return 0;
}

static void ctl_view_free(struct ctl_view *v)
{
    json_decref(v->dep);
    json_decref(v->new_rs);
    json_decref(v->old_rs);
    json_decref(v->new_pods);
    json_decref(v->old_pods);
}

static int ctl_sync_rsets(struct store *st, struct ctl_view *v)
{
    json_t *ru = kobj_get(v->dep, "spec.strategy.rollingUpdate");
    int surge = ctl_resolve_fenced(json_object_get(ru, "maxSurge"), v->replicas, 1, 25);
    int rc = ctl_rs_sync(st, v->new_rs, v->n_new, v->replicas, v->replicas + surge);
    size_t i;
    json_t *rs;
    json_array_foreach(v->old_rs, i, rs) {
        int ready = 0;
        json_t *pods = ctl_pods_of(st, rs, &ready);
        int n = (int)json_array_size(pods);
        json_decref(pods);
        if (!rc)
            rc = ctl_rs_sync(st, rs, n, -1, -1);
    }
    return rc;
}

/* Deletes the oldest scaled-down ReplicaSets beyond spec.revisionHistoryLimit. */
static int ctl_prune_history(struct store *st, struct ctl_view *v)
{
    int limit = (int)kobj_int(v->dep, "spec.revisionHistoryLimit", 10);
    for (;;) {
        json_t *oldest = NULL;
        int idle = 0;
        size_t i;
        json_t *rs;
        json_array_foreach(v->old_rs, i, rs) {
            json_t *live = store_get(st, kres_by_kind("ReplicaSet"), kobj_str(rs, "metadata.namespace"),
                                     kobj_str(rs, "metadata.name"));
            if (!live || kobj_int(live, "spec.replicas", 0) != 0 || kobj_int(live, "status.replicas", 0))
                continue;
            idle++;
            if (!oldest || ctl_revision(live) < ctl_revision(oldest))
                oldest = live;
        }
        if (idle <= limit || !oldest)
            return 0;
        int rc = store_delete(st, kres_by_kind("ReplicaSet"), kobj_str(oldest, "metadata.namespace"),
                              kobj_str(oldest, "metadata.name"), NULL);
        if (rc)
            return rc;
    }
}

static int ctl_deployment(struct ctl *c, json_t *dep, int64_t now)
{
    struct ctl_view v;
    memset(&v, 0, sizeof(v));
    v.dep = json_deep_copy(dep);
    if (!v.dep)
        return -ENOMEM;
    v.replicas = (int)kobj_int(v.dep, "spec.replicas", 1);
    int rc = ctl_find_new_rs(c->st, &v);
    if (rc) {
        ctl_view_free(&v);
        return rc;
    }
    ctl_collect(c->st, &v);
    const char *type = kobj_str(v.dep, "spec.strategy.type");
    if (!json_is_true(kobj_get(v.dep, "spec.paused")))
        rc = type && !strcmp(type, "Recreate") ? ctl_recreate_step(c->st, &v)
                                               : ctl_rolling_step(c->st, &v);
    /* Re-read: the step changed pods, and RS objects were replaced. */
    json_decref(v.new_pods);
    json_decref(v.old_pods);
    v.ready_new = v.ready_old = 0;
    ctl_collect(c->st, &v);
    if (!rc)
        rc = ctl_sync_rsets(c->st, &v);
    if (!rc)
        rc = ctl_prune_history(c->st, &v);
    if (!rc)
        rc = ctl_deploy_status(c->st, &v, now);
    if (!rc) {
        rc = store_update(c->st, kres_by_kind("Deployment"), v.dep, NULL);
        v.dep = NULL;
    }
    ctl_view_free(&v);
    return rc;
}

/* ReplicaSets without a Deployment keep spec.replicas pods. */
static int ctl_bare_rs(struct ctl *c, json_t *rs)
{
    int ready = 0;
    json_t *pods = ctl_pods_of(c->st, rs, &ready);
    int n = (int)json_array_size(pods), want = (int)kobj_int(rs, "spec.replicas", 1);
    int rc = 0;
    if (n < want)
        rc = ctl_create_pod(c->st, rs, pods);
    else if (n > want)
        rc = ctl_delete_pod(c->st, ctl_victim(pods, 0));
    json_decref(pods);
    json_t *live = store_get(c->st, kres_by_kind("ReplicaSet"), kobj_str(rs, "metadata.namespace"),
                             kobj_str(rs, "metadata.name"));
    return rc ? rc : live ? ctl_rs_sync(c->st, live, -1, -1, -1) : 0;
}

static int ctl_pass(struct ctl *c, int64_t now, int instant)
{
    int rc = kubelet_tick(c->st, c->scn, now, instant);
    ctl_gc(c->st, "ReplicaSet", "Deployment");
    ctl_gc(c->st, "Pod", "ReplicaSet");
    json_t *deps = store_list(c->st, kres_by_kind("Deployment"), NULL);
    size_t i;
    json_t *o;
    json_array_foreach(deps, i, o) {
        int r = ctl_deployment(c, o, now);
        if (r && !rc)
            rc = r;
    }
    json_decref(deps);
    json_t *rss = store_list(c->st, kres_by_kind("ReplicaSet"), NULL);
    json_array_foreach(rss, i, o) {
        if (kobj_controller_uid(o))
            continue;
        int r = ctl_bare_rs(c, o);
        if (r && !rc)
            rc = r;
    }
    json_decref(rss);
    return rc;
}

int ctl_tick(struct ctl *c, int instant)
{
    store_lock(c->st);
    int rc = ctl_pass(c, ku_mono_ms(), instant);
    store_unlock(c->st);
    return rc;
}

int ctl_settle(struct ctl *c)
{
    for (int i = 0; i < 200; i++) {
        store_lock(c->st);
        uint64_t before = store_rv(c->st);
        int rc = ctl_pass(c, ku_mono_ms(), 1);
        uint64_t after = store_rv(c->st);
        store_unlock(c->st);
        if (rc)
            return rc;
        if (before == after)
            return 0;
    }
    return 0;
}

static void *ctl_main(void *arg)
{
    struct ctl *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        pthread_mutex_unlock(&c->mu);
        int rc = ctl_tick(c, 0);
        if (rc)
            fprintf(stderr, "rewind-kubesim: controller pass failed: %s\n", strerror(-rc));
        pthread_mutex_lock(&c->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += c->step_ms / 1000;
        ts.tv_nsec += (c->step_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (!c->stop)
            pthread_cond_timedwait(&c->cond, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int ctl_start(struct ctl *c)
{
    if (pthread_create(&c->thread, NULL, ctl_main, c) != 0)
        return -EAGAIN;
    c->started = 1;
    return 0;
}

void ctl_stop(struct ctl *c)
{
    if (!c->started)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    c->started = 0;
}
