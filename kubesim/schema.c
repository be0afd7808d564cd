/*
 * schema: known fields, defaulting and validation for the kinds kubesim
 * serves. The field schema is a compact JSON description: an object lists
 * known members, [x] is a list of x, and the leaves are "s" string, "i"
 * integer, "b" boolean, "n" number, "is" int-or-string, "m" string map and
 * "a" anything. Subtrees that kubesim never interprets are "a".
 */
#include "schema.h"
#include "kobj.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define S_META "{\"name\":\"s\",\"generateName\":\"s\",\"namespace\":\"s\",\"selfLink\":\"s\"," \
    "\"uid\":\"s\",\"resourceVersion\":\"s\",\"generation\":\"i\",\"creationTimestamp\":\"a\"," \
    "\"deletionTimestamp\":\"s\",\"deletionGracePeriodSeconds\":\"i\",\"labels\":\"m\"," \
    "\"annotations\":\"m\",\"ownerReferences\":[{\"apiVersion\":\"s\",\"kind\":\"s\",\"name\":\"s\"," \
    "\"uid\":\"s\",\"controller\":\"b\",\"blockOwnerDeletion\":\"b\"}],\"finalizers\":[\"s\"]," \
    "\"managedFields\":\"a\"}"
#define S_CONTAINER "{\"name\":\"s\",\"image\":\"s\",\"command\":[\"s\"],\"args\":[\"s\"]," \
    "\"workingDir\":\"s\",\"ports\":[{\"name\":\"s\",\"hostPort\":\"i\",\"containerPort\":\"i\"," \
    "\"protocol\":\"s\",\"hostIP\":\"s\"}],\"envFrom\":\"a\",\"env\":[{\"name\":\"s\",\"value\":\"s\"," \
    "\"valueFrom\":\"a\"}],\"resources\":\"a\",\"resizePolicy\":\"a\",\"restartPolicy\":\"s\"," \
    "\"volumeMounts\":\"a\",\"volumeDevices\":\"a\",\"livenessProbe\":\"a\",\"readinessProbe\":\"a\"," \
    "\"startupProbe\":\"a\",\"lifecycle\":\"a\",\"terminationMessagePath\":\"s\"," \
    "\"terminationMessagePolicy\":\"s\",\"imagePullPolicy\":\"s\",\"securityContext\":\"a\"," \
    "\"stdin\":\"b\",\"stdinOnce\":\"b\",\"tty\":\"b\"}"
#define S_PODSPEC "{\"volumes\":\"a\",\"initContainers\":[" S_CONTAINER "],\"containers\":[" \
    S_CONTAINER "],\"ephemeralContainers\":\"a\",\"restartPolicy\":\"s\"," \
    "\"terminationGracePeriodSeconds\":\"i\",\"activeDeadlineSeconds\":\"i\",\"dnsPolicy\":\"s\"," \
    "\"nodeSelector\":\"m\",\"serviceAccountName\":\"s\",\"serviceAccount\":\"s\"," \
    "\"automountServiceAccountToken\":\"b\",\"nodeName\":\"s\",\"hostNetwork\":\"b\",\"hostPID\":\"b\"," \
    "\"hostIPC\":\"b\",\"shareProcessNamespace\":\"b\",\"securityContext\":\"a\"," \
    "\"imagePullSecrets\":\"a\",\"hostname\":\"s\",\"subdomain\":\"s\",\"affinity\":\"a\"," \
    "\"schedulerName\":\"s\",\"tolerations\":\"a\",\"hostAliases\":\"a\",\"priorityClassName\":\"s\"," \
    "\"priority\":\"i\",\"dnsConfig\":\"a\",\"readinessGates\":\"a\",\"runtimeClassName\":\"s\"," \
    "\"enableServiceLinks\":\"b\",\"preemptionPolicy\":\"s\",\"overhead\":\"a\"," \
    "\"topologySpreadConstraints\":\"a\",\"setHostnameAsFQDN\":\"b\",\"os\":\"a\",\"hostUsers\":\"b\"," \
    "\"schedulingGates\":\"a\",\"resourceClaims\":\"a\",\"resources\":\"a\"}"
#define S_TEMPLATE "{\"metadata\":" S_META ",\"spec\":" S_PODSPEC "}"
#define S_SELECTOR "{\"matchLabels\":\"m\",\"matchExpressions\":\"a\"}"
#define S_HEAD "\"apiVersion\":\"s\",\"kind\":\"s\",\"metadata\":" S_META

static const char *const schema_src[][2] = {
    {"Deployment", "{" S_HEAD ",\"spec\":{\"replicas\":\"i\",\"selector\":" S_SELECTOR
                   ",\"template\":" S_TEMPLATE ",\"strategy\":{\"type\":\"s\",\"rollingUpdate\":"
                   "{\"maxUnavailable\":\"is\",\"maxSurge\":\"is\"}},\"minReadySeconds\":\"i\","
                   "\"revisionHistoryLimit\":\"i\",\"paused\":\"b\",\"progressDeadlineSeconds\":\"i\"},"
                   "\"status\":\"a\"}"},
    {"ReplicaSet", "{" S_HEAD ",\"spec\":{\"replicas\":\"i\",\"minReadySeconds\":\"i\","
                   "\"selector\":" S_SELECTOR ",\"template\":" S_TEMPLATE "},\"status\":\"a\"}"},
    {"Pod", "{" S_HEAD ",\"spec\":" S_PODSPEC ",\"status\":\"a\"}"},
    {"ConfigMap", "{" S_HEAD ",\"data\":\"m\",\"binaryData\":\"m\",\"immutable\":\"b\"}"},
    {"Node", "{" S_HEAD ",\"spec\":\"a\",\"status\":\"a\"}"},
    {"Namespace", "{" S_HEAD ",\"spec\":\"a\",\"status\":\"a\"}"},
    {"Event", "{" S_HEAD ",\"involvedObject\":\"a\",\"reason\":\"s\",\"message\":\"s\","
              "\"source\":\"a\",\"firstTimestamp\":\"a\",\"lastTimestamp\":\"a\",\"count\":\"i\","
              "\"type\":\"s\",\"eventTime\":\"a\",\"series\":\"a\",\"action\":\"s\",\"related\":\"a\","
              "\"reportingComponent\":\"s\",\"reportingInstance\":\"s\"}"},
};

#define SCHEMA_N (sizeof(schema_src) / sizeof(schema_src[0]))
static json_t *schema_docs[SCHEMA_N];
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static int schema_init_rc;

static void schema_load(void)
{
    for (size_t i = 0; i < SCHEMA_N; i++) {
        json_error_t e;
        schema_docs[i] = json_loads(schema_src[i][1], 0, &e);
        if (!schema_docs[i]) {
            fprintf(stderr, "kubesim: schema for %s: %s\n", schema_src[i][0], e.text);
            schema_init_rc = -EINVAL;
        }
    }
}

int schema_init(void)
{
    pthread_once(&schema_once, schema_load);
    return schema_init_rc;
}

static json_t *schema_for(const char *kind)
{
    if (schema_init() != 0)
        return NULL;
    for (size_t i = 0; kind && i < SCHEMA_N; i++)
        if (!strcmp(schema_src[i][0], kind))
            return schema_docs[i];
    return NULL;
}

int schema_fv_parse(const char *s, enum schema_fv *out)
{
    if (!s || !*s || !strcmp(s, "Warn"))
        *out = SCHEMA_FV_WARN;
    else if (!strcmp(s, "Strict"))
        *out = SCHEMA_FV_STRICT;
    else if (!strcmp(s, "Ignore"))
        *out = SCHEMA_FV_IGNORE;
    else
        return -EINVAL;
    return 0;
}

/* ---- unknown fields and types ---- */

struct fcheck {
    enum schema_fv mode;
    json_t *warnings;
    char *err;
    size_t errlen;
};

static const char *schema_type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "number";
    case JSON_REAL: return "number";
    default: return "bool";
    }
}

static int schema_leaf_ok(const char *t, json_t *v)
{
    if (!strcmp(t, "a"))
        return 1;
    if (!strcmp(t, "s"))
        return json_is_string(v);
    if (!strcmp(t, "i"))
        return json_is_integer(v);
    if (!strcmp(t, "b"))
        return json_is_boolean(v);
    if (!strcmp(t, "n"))
        return json_is_number(v);
    if (!strcmp(t, "is"))
        return json_is_integer(v) || json_is_string(v);
    if (strcmp(t, "m") || !json_is_object(v))
        return 0;
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) if (!json_is_string(c) && !json_is_null(c)) return 0;
    return 1;
}

static int schema_walk(struct fcheck *c, json_t *sch, json_t *v, const char *path);

static int schema_type_error(struct fcheck *c, json_t *v, const char *path)
{
    snprintf(c->err, c->errlen,
             "json: cannot unmarshal %s into Go struct field %s of the expected type",
             schema_type_name(v), path);
    return -EPROTO;
}

static int schema_walk_object(struct fcheck *c, json_t *sch, json_t *v,
                              const char *path)
{
    const char *k;
    json_t *child;
    void *tmp;
    char sub[512];
    json_object_foreach_safe(v, tmp, k, child) {
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
        json_t *cs = json_object_get(sch, k);
        if (cs) {
            int rc = schema_walk(c, cs, child, sub);
            if (rc)
                return rc;
            continue;
        }
        if (c->mode == SCHEMA_FV_STRICT) {
            snprintf(c->err, c->errlen, "strict decoding error: unknown field \"%s\"", sub);
            return -EINVAL;
        }
        if (c->mode == SCHEMA_FV_WARN && c->warnings) {
            char w[600];
            snprintf(w, sizeof(w), "unknown field \"%s\"", sub);
            json_array_append_new(c->warnings, json_string(w));
        }
        json_object_del(v, k);
    }
    return 0;
}

static int schema_walk(struct fcheck *c, json_t *sch, json_t *v, const char *path)
{
    if (json_is_null(v))
        return 0;
    if (json_is_string(sch))
        return schema_leaf_ok(json_string_value(sch), v) ? 0 : schema_type_error(c, v, path);
    if (json_is_array(sch)) {
        if (!json_is_array(v))
            return schema_type_error(c, v, path);
        size_t i;
        json_t *e;
        char sub[512];
        json_array_foreach(v, i, e) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            int rc = schema_walk(c, json_array_get(sch, 0), e, sub);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!json_is_object(v))
        return schema_type_error(c, v, path);
    return schema_walk_object(c, sch, v, path);
}

int schema_check_fields(const char *kind, json_t *obj, enum schema_fv mode,
                        json_t *warnings, char *err, size_t errlen)
{
    json_t *sch = schema_for(kind);
    if (!sch)
        return 0;
    struct fcheck c = {mode, warnings, err, errlen};
    return schema_walk(&c, sch, obj, "");
}

/* ---- defaulting ---- */

static void schema_def(json_t *obj, const char *key, json_t *val)
{
    if (!obj || !val) {
        json_decref(val);
        return;
    }
    if (!json_object_get(obj, key))
        json_object_set(obj, key, val);
    json_decref(val);
}

static void schema_default_probe(json_t *p)
{
    if (!json_is_object(p))
        return;
    schema_def(p, "timeoutSeconds", json_integer(1));
    schema_def(p, "periodSeconds", json_integer(10));
    schema_def(p, "successThreshold", json_integer(1));
    schema_def(p, "failureThreshold", json_integer(3));
    json_t *get = json_object_get(p, "httpGet");
    if (json_is_object(get))
        schema_def(get, "scheme", json_string("HTTP"));
}

static void schema_default_container(json_t *c)
{
    const char *image = json_string_value(json_object_get(c, "image"));
    int latest = 0;
    if (image) {
        char tag[128];
        latest = kobj_image_tag(image, tag, sizeof(tag)) == 0 && !strcmp(tag, "latest") &&
                 !strchr(image, '@');
    }
    schema_def(c, "terminationMessagePath", json_string("/dev/termination-log"));
    schema_def(c, "terminationMessagePolicy", json_string("File"));
    schema_def(c, "imagePullPolicy", json_string(latest ? "Always" : "IfNotPresent"));
    schema_def(c, "resources", json_object());
    size_t i;
    json_t *port;
    json_array_foreach(json_object_get(c, "ports"), i, port) {
        if (json_is_object(port))
            schema_def(port, "protocol", json_string("TCP"));
    }
    schema_default_probe(json_object_get(c, "readinessProbe"));
    schema_default_probe(json_object_get(c, "livenessProbe"));
    schema_default_probe(json_object_get(c, "startupProbe"));
}

static void schema_default_podspec(json_t *spec)
{
    if (!json_is_object(spec))
        return;
    schema_def(spec, "restartPolicy", json_string("Always"));
    schema_def(spec, "terminationGracePeriodSeconds", json_integer(30));
    schema_def(spec, "dnsPolicy", json_string("ClusterFirst"));
    schema_def(spec, "securityContext", json_object());
    schema_def(spec, "schedulerName", json_string("default-scheduler"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c) {
        if (json_is_object(c))
            schema_default_container(c);
    }
}

static void schema_default_deployment(json_t *obj)
{
    json_t *spec = json_object_get(obj, "spec");
    if (!json_is_object(spec))
        return;
    schema_def(spec, "replicas", json_integer(1));
    schema_def(spec, "revisionHistoryLimit", json_integer(10));
    schema_def(spec, "progressDeadlineSeconds", json_integer(600));
    schema_def(spec, "strategy", json_object());
    json_t *st = json_object_get(spec, "strategy");
    if (json_is_object(st)) {
        schema_def(st, "type", json_string("RollingUpdate"));
        const char *type = json_string_value(json_object_get(st, "type"));
        if (type && !strcmp(type, "RollingUpdate")) {
            schema_def(st, "rollingUpdate", json_object());
            json_t *ru = json_object_get(st, "rollingUpdate");
            if (json_is_object(ru)) {
                schema_def(ru, "maxUnavailable", json_string("25%"));
                schema_def(ru, "maxSurge", json_string("25%"));
            }
        }
    }
    schema_default_podspec(kobj_get(spec, "template.spec"));
}

void schema_default(const char *kind, json_t *obj)
{
    if (!kind || !json_is_object(obj))
        return;
    if (!strcmp(kind, "Deployment")) {
        schema_default_deployment(obj);
    } else if (!strcmp(kind, "ReplicaSet")) {
        json_t *spec = json_object_get(obj, "spec");
        schema_def(spec, "replicas", json_integer(1));
        schema_default_podspec(kobj_get(obj, "spec.template.spec"));
    } else if (!strcmp(kind, "Pod")) {
        json_t *spec = json_object_get(obj, "spec");
        schema_default_podspec(spec);
        schema_def(spec, "serviceAccountName", json_string("default"));
        schema_def(spec, "enableServiceLinks", json_boolean(1));
        schema_def(spec, "priority", json_integer(0));
        schema_def(spec, "preemptionPolicy", json_string("PreemptLowerPriority"));
    } else if (!strcmp(kind, "Namespace")) {
        schema_def(obj, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
        schema_def(obj, "status", json_pack("{s:s}", "phase", "Active"));
    }
}

/* ---- validation ---- */

static void schema_cause(json_t *causes, const char *reason, const char *field,
                         const char *msg)
{
    json_array_append_new(causes, json_pack("{s:s, s:s, s:s}", "reason", reason,
                                            "message", msg, "field", field));
}

/* RFC 1123 label (max 63) or subdomain (max 253, dots allowed). */
static int schema_dns_ok(const char *s, int subdomain)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > (subdomain ? 253u : 63u))
        return 0;
    if (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(islower(ch) || isdigit(ch) || ch == '-' || (subdomain && ch == '.')))
            return 0;
    }
    return 1;
}

static void schema_validate_name(json_t *obj, json_t *causes)
{
    const char *name = kobj_str(obj, "metadata.name");
    if (!name || !*name) {
        schema_cause(causes, "FieldValueRequired", "metadata.name",
                     "Required value: name or generateName is required");
        return;
    }
    if (!schema_dns_ok(name, 1)) {
        char msg[400];
        snprintf(msg, sizeof(msg),
                 "Invalid value: \"%.200s\": a lowercase RFC 1123 subdomain must consist of "
                 "lower case alphanumeric characters, '-' or '.', and must start and end "
                 "with an alphanumeric character", name);
        schema_cause(causes, "FieldValueInvalid", "metadata.name", msg);
    }
}

static void schema_validate_container(json_t *c, const char *path, json_t *seen,
                                      json_t *causes)
{
    char field[512], msg[400];
    const char *name = json_string_value(json_object_get(c, "name"));
    snprintf(field, sizeof(field), "%s.name", path);
    if (!name || !*name) {
        schema_cause(causes, "FieldValueRequired", field, "Required value");
    } else if (!schema_dns_ok(name, 0)) {
        snprintf(msg, sizeof(msg), "Invalid value: \"%.100s\": a lowercase RFC 1123 label "
                 "must consist of lower case alphanumeric characters or '-'", name);
        schema_cause(causes, "FieldValueInvalid", field, msg);
    } else if (json_object_get(seen, name)) {
        snprintf(msg, sizeof(msg), "Duplicate value: \"%.100s\"", name);
        schema_cause(causes, "FieldValueDuplicate", field, msg);
    } else {
        json_object_set_new(seen, name, json_true());
    }
    const char *image = json_string_value(json_object_get(c, "image"));
    snprintf(field, sizeof(field), "%s.image", path);
    if (!image || !*image)
        schema_cause(causes, "FieldValueRequired", field, "Required value");
    else if (isspace((unsigned char)image[0]) || isspace((unsigned char)image[strlen(image) - 1]))
        schema_cause(causes, "FieldValueInvalid", field,
                     "Invalid value: must not have leading or trailing whitespace");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c, "ports"), i, p) {
        json_int_t port = json_integer_value(json_object_get(p, "containerPort"));
        if (port >= 1 && port <= 65535)
            continue;
        snprintf(field, sizeof(field), "%s.ports[%zu].containerPort", path, i);
        schema_cause(causes, "FieldValueInvalid", field,
                     "Invalid value: must be between 1 and 65535, inclusive");
    }
}

static void schema_validate_podspec(json_t *spec, const char *path, int template,
                                    json_t *causes)
{
    char field[512];
    json_t *cs = json_object_get(spec, "containers");
    snprintf(field, sizeof(field), "%s.containers", path);
    if (json_array_size(cs) == 0) {
        schema_cause(causes, "FieldValueRequired", field, "Required value");
        return;
    }
    json_t *seen = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c) {
        char cpath[300];
        snprintf(cpath, sizeof(cpath), "%s.containers[%zu]", path, i);
        schema_validate_container(c, cpath, seen, causes);
    }
    json_decref(seen);
    const char *rp = json_string_value(json_object_get(spec, "restartPolicy"));
    if (template && rp && strcmp(rp, "Always")) {
        snprintf(field, sizeof(field), "%s.restartPolicy", path);
        schema_cause(causes, "FieldValueNotSupported", field,
                     "Unsupported value: \"Never\": supported values: \"Always\"");
    }
}

/* Workload (Deployment/ReplicaSet) selector, template labels, replicas. */
static void schema_validate_workload(json_t *obj, json_t *old, json_t *causes)
{
    json_t *spec = json_object_get(obj, "spec");
    if (kobj_int(spec, "replicas", 0) < 0)
        schema_cause(causes, "FieldValueInvalid", "spec.replicas",
                     "Invalid value: must be greater than or equal to 0");
    json_t *sel = json_object_get(spec, "selector");
    if (json_object_size(json_object_get(sel, "matchLabels")) == 0 &&
        json_array_size(json_object_get(sel, "matchExpressions")) == 0) {
        schema_cause(causes, "FieldValueRequired", "spec.selector", "Required value");
    } else if (!kobj_selector_matches(sel, kobj_get(spec, "template.metadata.labels"))) {
        schema_cause(causes, "FieldValueInvalid", "spec.template.metadata.labels",
                     "Invalid value: `selector` does not match template `labels`");
    }
    if (old && !json_equal(sel, kobj_get(old, "spec.selector")))
        schema_cause(causes, "FieldValueInvalid", "spec.selector",
                     "Invalid value: field is immutable");
    schema_validate_podspec(kobj_get(spec, "template.spec"), "spec.template.spec", 1, causes);
}

static void schema_validate_strategy(json_t *obj, json_t *causes)
{
    json_t *st = kobj_get(obj, "spec.strategy");
    const char *type = json_string_value(json_object_get(st, "type"));
    if (type && strcmp(type, "RollingUpdate") && strcmp(type, "Recreate"))
        schema_cause(causes, "FieldValueNotSupported", "spec.strategy.type",
                     "Unsupported value: supported values: \"Recreate\", \"RollingUpdate\"");
    if (type && !strcmp(type, "Recreate") && json_object_get(st, "rollingUpdate"))
        schema_cause(causes, "FieldValueForbidden", "spec.strategy.rollingUpdate",
                     "Forbidden: may not be specified when strategy `type` is 'Recreate'");
    json_t *ru = json_object_get(st, "rollingUpdate");
    json_t *ms = json_object_get(ru, "maxSurge"), *mu = json_object_get(ru, "maxUnavailable");
    int zs = (json_is_integer(ms) && json_integer_value(ms) == 0) ||
             (json_is_string(ms) && !strcmp(json_string_value(ms), "0%"));
    int zu = (json_is_integer(mu) && json_integer_value(mu) == 0) ||
             (json_is_string(mu) && !strcmp(json_string_value(mu), "0%"));
    if (ms && mu && zs && zu)
        schema_cause(causes, "FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable",
                     "Invalid value: may not be 0 when `maxSurge` is 0");
}

/* A pod's spec may only change in its container images. */
static void schema_validate_pod_update(json_t *obj, json_t *old, json_t *causes)
{
    json_t *a = json_deep_copy(json_object_get(obj, "spec"));
    json_t *b = json_deep_copy(json_object_get(old, "spec"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(a, "containers"), i, c) json_object_del(c, "image");
    json_array_foreach(json_object_get(b, "containers"), i, c) json_object_del(c, "image");
    if (!json_equal(a, b))
        schema_cause(causes, "FieldValueForbidden", "spec",
                     "Forbidden: pod updates may not change fields other than "
                     "`spec.containers[*].image`");
    json_decref(a);
    json_decref(b);
}

int schema_validate(const char *kind, json_t *obj, json_t *old, json_t *causes)
{
    size_t before = json_array_size(causes);
    schema_validate_name(obj, causes);
    if (!strcmp(kind, "Deployment")) {
        schema_validate_workload(obj, old, causes);
        schema_validate_strategy(obj, causes);
    } else if (!strcmp(kind, "ReplicaSet")) {
        schema_validate_workload(obj, old, causes);
    } else if (!strcmp(kind, "Pod")) {
        schema_validate_podspec(json_object_get(obj, "spec"), "spec", 0, causes);
        if (old)
            schema_validate_pod_update(obj, old, causes);
    }
    return json_array_size(causes) > before ? -EINVAL : 0;
}

int schema_causes_message(json_t *causes, char *buf, size_t len)
{
    size_t n = json_array_size(causes), off = 0;
    buf[0] = '\0';
    if (n > 1)
        off += (size_t)snprintf(buf, len, "[");
    for (size_t i = 0; i < n && off < len; i++) {
        json_t *c = json_array_get(causes, i);
        off += (size_t)snprintf(buf + off, len - off, "%s%s: %s", i ? ", " : "",
                                kobj_str(c, "field"), kobj_str(c, "message"));
    }
    if (n > 1 && off < len)
        snprintf(buf + off, len - off, "]");
    return 0;
}
