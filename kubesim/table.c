/*
 * table: columns and cells per kind, following the apiserver's printers
 * (pkg/printers/internalversion). Unknown kinds get NAME and AGE.
 */
#include "table.h"
#include "kobj.h"
#include "kutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct table_col {
    const char *name, *type, *format, *desc;
    int priority;
};

static const struct table_col cols_deploy[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Ready", "string", "", "Number of the pod with ready state", 0},
    {"Up-to-date", "integer", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0},
    {"Available", "integer", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {"Containers", "string", "", "Names of each container in the template.", 1},
    {"Images", "string", "", "Images referenced by each container in the template.", 1},
    {"Selector", "string", "", "Label selector for pods.", 1},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_rs[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Desired", "integer", "", "Replicas is the number of desired replicas.", 0},
    {"Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0},
    {"Ready", "integer", "", "The number of ready replicas for this replica set.", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {"Containers", "string", "", "Names of each container in the template.", 1},
    {"Images", "string", "", "Images referenced by each container in the template.", 1},
    {"Selector", "string", "", "Selector is a label query over pods that should match the replica count.", 1},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_pod[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
    {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
    {"Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {"IP", "string", "", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1},
    {"Node", "string", "", "NodeName is a request to schedule this pod onto a specific node.", 1},
    {"Nominated Node", "string", "", "nominatedNodeName is set when this pod preempts other pods on the node.", 1},
    {"Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod readiness.", 1},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_node[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Status", "string", "", "The status of the node", 0},
    {"Roles", "string", "", "The roles of the node", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {"Version", "string", "", "Kubelet Version reported by the node.", 0},
    {"Internal-IP", "string", "", "List of addresses reachable to the node.", 1},
    {"External-IP", "string", "", "List of addresses reachable to the node.", 1},
    {"OS-Image", "string", "", "OS Image reported by the node from /etc/os-release.", 1},
    {"Kernel-Version", "string", "", "Kernel Version reported by the node from 'uname -r'.", 1},
    {"Container-Runtime", "string", "", "ContainerRuntime Version reported by the node.", 1},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_cm[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Data", "integer", "", "Data contains the configuration data.", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_ns[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Status", "string", "", "The status of the namespace", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_ev[] = {
    {"Last Seen", "string", "", "Time when last event was seen", 0},
    {"Type", "string", "", "Type of this event (Normal, Warning).", 0},
    {"Reason", "string", "", "This should be a short, machine understandable string.", 0},
    {"Object", "string", "", "The object that this event is about.", 0},
    {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
    {"Name", "string", "name", "Name must be unique within a namespace.", 1},
    {NULL, NULL, NULL, NULL, 0}};
static const struct table_col cols_generic[] = {
    {"Name", "string", "name", "Name must be unique within a namespace.", 0},
    {"Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    {NULL, NULL, NULL, NULL, 0}};

static const struct table_col *table_cols(const struct kres *r)
{
    if (!strcmp(r->kind, "Deployment")) return cols_deploy;
    if (!strcmp(r->kind, "ReplicaSet")) return cols_rs;
    if (!strcmp(r->kind, "Pod")) return cols_pod;
    if (!strcmp(r->kind, "Node")) return cols_node;
    if (!strcmp(r->kind, "ConfigMap")) return cols_cm;
    if (!strcmp(r->kind, "Namespace")) return cols_ns;
    if (!strcmp(r->kind, "Event")) return cols_ev;
    return cols_generic;
}

static json_t *table_age(json_t *obj, const char *path, time_t now)
{
    time_t t;
    char buf[32];
    if (ku_parse_rfc3339(kobj_str(obj, path), &t) != 0)
        return json_string("<unknown>");
    ku_human_duration((int64_t)(now - t), buf, sizeof(buf));
    return json_string(buf);
}

/* Joins one string member of each element of arr with ','. */
static json_t *table_join(json_t *arr, const char *member)
{
    char buf[2048] = "";
    size_t off = 0, i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *v = json_string_value(json_object_get(e, member));
        off += (size_t)snprintf(buf + off, off < sizeof(buf) ? sizeof(buf) - off : 0,
                                "%s%s", i ? "," : "", v ? v : "");
        if (off >= sizeof(buf))
            break;
    }
    return json_string(buf);
}

static int table_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k=v,k2=v2" for matchLabels, sorted like Go's labels.FormatLabels. */
static json_t *table_selector(json_t *sel)
{
    json_t *ml = json_object_get(sel, "matchLabels");
    size_t n = json_object_size(ml), i = 0;
    if (n == 0)
        return json_string("<none>");
    const char **keys = calloc(n, sizeof(*keys));
    if (!keys)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach(ml, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), table_strcmp);
    char buf[1024] = "";
    size_t off = 0;
    for (i = 0; i < n && off < sizeof(buf); i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s=%s", i ? "," : "",
                                keys[i], json_string_value(json_object_get(ml, keys[i])));
    free(keys);
    return json_string(buf);
}

static json_t *table_cells_workload(json_t *o, time_t now, int deploy)
{
    json_t *cs = kobj_get(o, "spec.template.spec.containers");
    json_int_t want = kobj_int(o, "spec.replicas", 1);
    json_int_t ready = kobj_int(o, "status.readyReplicas", 0);
    json_t *cells = json_array();
    json_array_append_new(cells, json_string(kobj_str(o, "metadata.name")));
    if (deploy) {
        char rd[48];
        snprintf(rd, sizeof(rd), "%lld/%lld", (long long)ready, (long long)want);
        json_array_append_new(cells, json_string(rd));
        json_array_append_new(cells, json_integer(kobj_int(o, "status.updatedReplicas", 0)));
        json_array_append_new(cells, json_integer(kobj_int(o, "status.availableReplicas", 0)));
    } else {
        json_array_append_new(cells, json_integer(want));
        json_array_append_new(cells, json_integer(kobj_int(o, "status.replicas", 0)));
        json_array_append_new(cells, json_integer(ready));
    }
    json_array_append_new(cells, table_age(o, "metadata.creationTimestamp", now));
    json_array_append_new(cells, table_join(cs, "name"));
    json_array_append_new(cells, table_join(cs, "image"));
    json_array_append_new(cells, table_selector(kobj_get(o, "spec.selector")));
    return cells;
}

const char *table_pod_status(json_t *pod)
{
    const char *reason = kobj_str(pod, "status.phase");
    if (kobj_str(pod, "status.reason"))
        reason = kobj_str(pod, "status.reason");
    json_t *css = kobj_get(pod, "status.containerStatuses");
    for (size_t i = json_array_size(css); i-- > 0;) {
        json_t *cs = json_array_get(css, i);
        const char *w = kobj_str(cs, "state.waiting.reason");
        const char *t = kobj_str(cs, "state.terminated.reason");
        if (w && *w)
            reason = w;
        else if (t && *t)
            reason = t;
    }
    if (kobj_str(pod, "metadata.deletionTimestamp"))
        reason = "Terminating";
    return reason ? reason : "Unknown";
}

static json_t *table_restarts(json_t *pod, time_t now)
{
    json_int_t restarts = 0;
    time_t last = 0;
    size_t i;
    json_t *cs;
    json_array_foreach(kobj_get(pod, "status.containerStatuses"), i, cs) {
        restarts += kobj_int(cs, "restartCount", 0);
        time_t t;
        if (ku_parse_rfc3339(kobj_str(cs, "lastState.terminated.finishedAt"), &t) == 0 &&
            t > last)
            last = t;
    }
    char buf[64], age[32];
    if (last && restarts) {
        ku_human_duration((int64_t)(now - last), age, sizeof(age));
        snprintf(buf, sizeof(buf), "%lld (%s ago)", (long long)restarts, age);
    } else {
        snprintf(buf, sizeof(buf), "%lld", (long long)restarts);
    }
    return json_string(buf);
}

static json_t *table_str_or_none(const char *s)
{
    return json_string(s && *s ? s : "<none>");
}

static json_t *table_cells_pod(json_t *o, time_t now)
{
    json_t *css = kobj_get(o, "status.containerStatuses");
    size_t total = json_array_size(kobj_get(o, "spec.containers")), ready = 0, i;
    json_t *cs;
    json_array_foreach(css, i, cs) if (json_is_true(json_object_get(cs, "ready"))) ready++;
    char rd[48];
    snprintf(rd, sizeof(rd), "%zu/%zu", ready, total);
    json_t *cells = json_array();
    json_array_append_new(cells, json_string(kobj_str(o, "metadata.name")));
    json_array_append_new(cells, json_string(rd));
    json_array_append_new(cells, json_string(table_pod_status(o)));
    json_array_append_new(cells, table_restarts(o, now));
    json_array_append_new(cells, table_age(o, "metadata.creationTimestamp", now));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.podIP")));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "spec.nodeName")));
    json_array_append_new(cells, json_string("<none>"));
    json_array_append_new(cells, json_string("<none>"));
    return cells;
}

static json_t *table_node_roles(json_t *o)
{
    char buf[512] = "";
    size_t off = 0;
    const char *k;
    json_t *v;
    json_object_foreach(kobj_get(o, "metadata.labels"), k, v) {
        const char *pre = "node-role.kubernetes.io/";
        if (strncmp(k, pre, strlen(pre)) || off >= sizeof(buf))
            continue;
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "," : "",
                                k + strlen(pre));
    }
    return table_str_or_none(buf);
}

static json_t *table_node_address(json_t *o, const char *type)
{
    size_t i;
    json_t *a;
    json_array_foreach(kobj_get(o, "status.addresses"), i, a) {
        const char *t = json_string_value(json_object_get(a, "type"));
        if (t && !strcmp(t, type))
            return table_str_or_none(json_string_value(json_object_get(a, "address")));
    }
    return json_string("<none>");
}

static json_t *table_cells_node(json_t *o, time_t now)
{
    const char *status = "NotReady";
    size_t i;
    json_t *c;
    json_array_foreach(kobj_get(o, "status.conditions"), i, c) {
        const char *t = json_string_value(json_object_get(c, "type"));
        const char *s = json_string_value(json_object_get(c, "status"));
        if (t && s && !strcmp(t, "Ready"))
            status = !strcmp(s, "True") ? "Ready" : "NotReady";
    }
    char st[64];
    snprintf(st, sizeof(st), "%s%s", status,
             json_is_true(kobj_get(o, "spec.unschedulable")) ? ",SchedulingDisabled" : "");
    json_t *cells = json_array();
    json_array_append_new(cells, json_string(kobj_str(o, "metadata.name")));
    json_array_append_new(cells, json_string(st));
    json_array_append_new(cells, table_node_roles(o));
    json_array_append_new(cells, table_age(o, "metadata.creationTimestamp", now));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.nodeInfo.kubeletVersion")));
    json_array_append_new(cells, table_node_address(o, "InternalIP"));
    json_array_append_new(cells, table_node_address(o, "ExternalIP"));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.nodeInfo.osImage")));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.nodeInfo.kernelVersion")));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.nodeInfo.containerRuntimeVersion")));
    return cells;
}

static json_t *table_cells_event(json_t *o, time_t now)
{
    char obj[300], kind[64];
    snprintf(kind, sizeof(kind), "%s", kobj_str(o, "involvedObject.kind") ? kobj_str(o, "involvedObject.kind") : "");
    for (char *p = kind; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    snprintf(obj, sizeof(obj), "%s/%s", kind,
             kobj_str(o, "involvedObject.name") ? kobj_str(o, "involvedObject.name") : "");
    json_t *cells = json_array();
    json_array_append_new(cells, table_age(o, "lastTimestamp", now));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "type")));
    json_array_append_new(cells, table_str_or_none(kobj_str(o, "reason")));
    json_array_append_new(cells, json_string(obj));
    json_array_append_new(cells, json_string(kobj_str(o, "message") ? kobj_str(o, "message") : ""));
    json_array_append_new(cells, json_string(kobj_str(o, "metadata.name")));
    return cells;
}

json_t *table_cells(const struct kres *r, json_t *o, time_t now)
{
    const char *k = r->kind;
    if (!strcmp(k, "Deployment") || !strcmp(k, "ReplicaSet"))
        return table_cells_workload(o, now, k[0] == 'D');
    if (!strcmp(k, "Pod"))
        return table_cells_pod(o, now);
    if (!strcmp(k, "Node"))
        return table_cells_node(o, now);
    if (!strcmp(k, "Event"))
        return table_cells_event(o, now);
    json_t *cells = json_array();
    json_array_append_new(cells, json_string(kobj_str(o, "metadata.name")));
    if (!strcmp(k, "ConfigMap"))
        json_array_append_new(cells, json_integer((json_int_t)(
            json_object_size(json_object_get(o, "data")) +
            json_object_size(json_object_get(o, "binaryData")))));
    if (!strcmp(k, "Namespace"))
        json_array_append_new(cells, table_str_or_none(kobj_str(o, "status.phase")));
    json_array_append_new(cells, table_age(o, "metadata.creationTimestamp", now));
    return cells;
}

static json_t *table_row_object(json_t *o, const char *include)
{
    if (include && !strcmp(include, "Object"))
        return json_deep_copy(o);
    json_t *meta = json_deep_copy(json_object_get(o, "metadata"));
    if (!meta)
        return NULL;
    json_object_del(meta, "managedFields");
    return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
                     "meta.k8s.io/v1", "metadata", meta);
}

json_t *table_render(const struct kres *r, json_t *items, const char *include,
                     const char *rv, time_t now)
{
    json_t *defs = json_array(), *rows = json_array();
    json_t *t = json_pack("{s:s, s:s, s:{}, s:o, s:o}", "kind", "Table", "apiVersion",
                          "meta.k8s.io/v1", "metadata", "columnDefinitions", defs,
                          "rows", rows);
    if (!t)
        return NULL;
    if (rv)
        kobj_set_str(t, "metadata.resourceVersion", rv);
    for (const struct table_col *c = table_cols(r); c->name; c++)
        json_array_append_new(defs, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
                                              "type", c->type, "format", c->format,
                                              "description", c->desc, "priority", c->priority));
    size_t i;
    json_t *o;
    json_array_foreach(items, i, o) {
        json_t *row = json_pack("{s:o}", "cells", table_cells(r, o, now));
        if (!row)
            continue;
        if (!include || strcmp(include, "None"))
            json_object_set_new(row, "object", table_row_object(o, include));
        json_array_append_new(rows, row);
    }
    return t;
}
