/* Unit tests for table: columns, cells and the AGE/STATUS/RESTARTS text. */
#include <stdlib.h>
#include <string.h>

#include "kobj.h"
#include "kutil.h"
#include "resource.h"
#include "table.h"
#include "testlib.h"

static const char *age(long s)
{
    static char buf[32];
    ku_human_duration(s, buf, sizeof(buf));
    return buf;
}

static void human_duration_like_kubectl(void **state)
{
    (void)state;
    assert_string_equal(age(-5), "<invalid>");
    assert_string_equal(age(0), "0s");
    assert_string_equal(age(119), "119s");
    assert_string_equal(age(120), "2m");
    assert_string_equal(age(130), "2m10s");
    assert_string_equal(age(600), "10m");
    assert_string_equal(age(3 * 3600), "3h");
    assert_string_equal(age(3 * 3600 + 60 * 5), "3h5m");
    assert_string_equal(age(20 * 3600), "20h");
    assert_string_equal(age(3 * 86400 + 2 * 3600), "3d2h");
    assert_string_equal(age(30 * 86400), "30d");
    assert_string_equal(age(800L * 86400), "2y70d");
}

static void deployment_row_and_columns(void **state)
{
    (void)state;
    time_t now = 1700000000;
    char ts[32];
    ku_rfc3339(now - 3600, ts, sizeof(ts));
    json_t *d = tl_json("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":"
                        "{\"tier\":\"fe\",\"app\":\"web\"}},\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
                        "\"image\":\"i:1\"},{\"name\":\"s\",\"image\":\"j:2\"}]}}},\"status\":{\"replicas\":2,"
                        "\"updatedReplicas\":2,\"readyReplicas\":1,\"availableReplicas\":1}}");
    kobj_set_str(d, "metadata.creationTimestamp", ts);
    json_t *items = json_pack("[o]", d);
    json_t *t = table_render(kres_by_kind("Deployment"), items, NULL, "42", now);
    assert_string_equal(kobj_str(t, "kind"), "Table");
    assert_string_equal(kobj_str(t, "apiVersion"), "meta.k8s.io/v1");
    assert_string_equal(kobj_str(t, "metadata.resourceVersion"), "42");
    json_t *cols = json_object_get(t, "columnDefinitions");
    assert_string_equal(kobj_str(json_array_get(cols, 0), "format"), "name");
    assert_int_equal(kobj_int(json_array_get(cols, 4), "priority", -1), 0);
    assert_int_equal(kobj_int(json_array_get(cols, 5), "priority", -1), 1);
    json_t *row = json_array_get(json_object_get(t, "rows"), 0);
    json_t *cells = json_object_get(row, "cells");
    char *s = json_dumps(cells, JSON_COMPACT);
    assert_string_equal(s, "[\"web\",\"1/2\",2,1,\"60m\",\"c,s\",\"i:1,j:2\",\"app=web,tier=fe\"]");
    free(s);
    assert_string_equal(kobj_str(row, "object.kind"), "PartialObjectMetadata");
    assert_string_equal(kobj_str(row, "object.metadata.name"), "web");
    json_decref(t);
    t = table_render(kres_by_kind("Deployment"), items, "None", NULL, now);
    assert_null(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "object"));
    json_decref(t);
    json_decref(items);
}

static void pod_status_text(void **state)
{
    (void)state;
    time_t now = 1700000000;
    char ts[32], fin[32];
    ku_rfc3339(now - 30, ts, sizeof(ts));
    ku_rfc3339(now - 12, fin, sizeof(fin));
    json_t *p;
    p = tl_json("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\"}],"
                "\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.5\","
                "\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,\"restartCount\":3,"
                "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},\"lastState\":"
                "{\"terminated\":{\"exitCode\":1}}}]}}");
    kobj_set_str(p, "metadata.creationTimestamp", ts);
    json_t *term = kobj_get(json_array_get(kobj_get(p, "status.containerStatuses"), 0), "lastState.terminated");
    json_object_set_new(term, "finishedAt", json_string(fin));
    json_t *cells = table_cells(kres_by_kind("Pod"), p, now);
    char *s = json_dumps(cells, JSON_COMPACT);
    assert_string_equal(s, "[\"p\",\"0/1\",\"CrashLoopBackOff\",\"3 (12s ago)\",\"30s\",\"10.42.0.5\","
                           "\"n1\",\"<none>\",\"<none>\"]");
    free(s);
    json_decref(cells);
    json_t *cs = json_array_get(kobj_get(p, "status.containerStatuses"), 0);
    json_object_set_new(cs, "state", json_pack("{s:{s:s}}", "waiting", "reason", "ContainerCreating"));
    assert_string_equal(table_pod_status(p), "ContainerCreating");
    json_object_set_new(cs, "state", json_pack("{s:{}}", "running"));
    assert_string_equal(table_pod_status(p), "Running");
    kobj_set_str(p, "metadata.deletionTimestamp", ts);
    assert_string_equal(table_pod_status(p), "Terminating");
    json_decref(p);
}

static void node_and_configmap(void **state)
{
    (void)state;
    json_t *n = tl_json("{\"metadata\":{\"name\":\"k3s\",\"labels\":{\"node-role.kubernetes.io/control-plane\":"
                        "\"true\"},\"creationTimestamp\":\"2023-11-14T22:13:20Z\"},\"status\":{\"conditions\":"
                        "[{\"type\":\"Ready\",\"status\":\"True\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.32.4+k3s1\"}}}");
    json_t *cells = table_cells(kres_by_kind("Node"), n, 1700000000 + 60);
    assert_string_equal(json_string_value(json_array_get(cells, 1)), "Ready");
    assert_string_equal(json_string_value(json_array_get(cells, 2)), "control-plane");
    assert_string_equal(json_string_value(json_array_get(cells, 3)), "60s");
    assert_string_equal(json_string_value(json_array_get(cells, 4)), "v1.32.4+k3s1");
    json_decref(cells);
    json_decref(n);
    json_t *cm = tl_json("{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    cells = table_cells(kres_by_kind("ConfigMap"), cm, 0);
    assert_int_equal(json_integer_value(json_array_get(cells, 1)), 2);
    json_decref(cells);
    json_decref(cm);
}

TL_MAIN("tests", NULL, NULL,
    human_duration_like_kubectl, deployment_row_and_columns, pod_status_text, node_and_configmap)
