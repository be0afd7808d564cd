/*
 * sel: parsing and matching of label and field selectors with the grammar
 * of k8s.io/apimachinery/pkg/labels (=, ==, !=, in, notin, exists, !key).
 * Set-based operators on fields and numeric </> comparisons are rejected.
 */
#include "selector.h"
#include "kobj.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sel_free(struct sel *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->reqs[i].key);
        for (size_t j = 0; j < s->reqs[i].nvals; j++)
            free(s->reqs[i].vals[j]);
        free(s->reqs[i].vals);
    }
    free(s->reqs);
    free(s);
}

static int sel_is_keych(int c)
{
    return isalnum(c) || c == '.' || c == '/' || c == '_' || c == '-';
}

static void sel_skip_ws(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

/* Reads a key or value token; returns a new string or NULL. */
static char *sel_token(const char **p)
{
    const char *start = *p;
    while (sel_is_keych((unsigned char)**p))
        (*p)++;
    size_t n = (size_t)(*p - start);
    char *t = malloc(n + 1);
    if (!t)
        return NULL;
    memcpy(t, start, n);
    t[n] = '\0';
    return t;
}

static int sel_add_val(struct sel_req *r, char *v)
{
    char **nv = realloc(r->vals, (r->nvals + 1) * sizeof(*nv));
    if (!nv) {
        free(v);
        return -ENOMEM;
    }
    r->vals = nv;
    r->vals[r->nvals++] = v;
    return 0;
}

/* Parses "(a, b, c)" after in/notin. */
static int sel_parse_set(const char **p, struct sel_req *r)
{
    sel_skip_ws(p);
    if (**p != '(')
        return -EINVAL;
    (*p)++;
    for (;;) {
        sel_skip_ws(p);
        char *v = sel_token(p);
        if (!v)
            return -ENOMEM;
        int rc = sel_add_val(r, v);
        if (rc)
            return rc;
        sel_skip_ws(p);
        if (**p == ')') {
            (*p)++;
            return 0;
        }
        if (**p != ',')
            return -EINVAL;
        (*p)++;
    }
}

/* Parses the operator and value(s) following a key. */
static int sel_parse_op(const char **p, struct sel_req *r, int fields)
{
    sel_skip_ws(p);
    if (**p == ',' || **p == '\0') {
        r->op = SEL_EXISTS;
        return fields ? -EINVAL : 0;
    }
    if (!strncmp(*p, "==", 2) || !strncmp(*p, "!=", 2) || **p == '=') {
        r->op = **p == '!' ? SEL_NE : SEL_EQ;
        *p += (**p == '=' && (*p)[1] != '=') ? 1 : 2;
        sel_skip_ws(p);
        char *v = sel_token(p);
        return v ? sel_add_val(r, v) : -ENOMEM;
    }
    if (fields)
        return -EINVAL;
    if (!strncmp(*p, "notin", 5) && !sel_is_keych((unsigned char)(*p)[5])) {
        r->op = SEL_NOTIN;
        *p += 5;
        return sel_parse_set(p, r);
    }
    if (!strncmp(*p, "in", 2) && !sel_is_keych((unsigned char)(*p)[2])) {
        r->op = SEL_IN;
        *p += 2;
        return sel_parse_set(p, r);
    }
    return -EINVAL;
}

static int sel_parse_one(const char **p, struct sel *s)
{
    struct sel_req *nr = realloc(s->reqs, (s->n + 1) * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    s->reqs = nr;
    struct sel_req *r = &s->reqs[s->n];
    memset(r, 0, sizeof(*r));
    s->n++;
    sel_skip_ws(p);
    int negate = 0;
    if (**p == '!' && !s->fields) {
        negate = 1;
        (*p)++;
        sel_skip_ws(p);
    }
    r->key = sel_token(p);
    if (!r->key)
        return -ENOMEM;
    if (!*r->key)
        return -EINVAL;
    if (negate) {
        r->op = SEL_NOTEXISTS;
        sel_skip_ws(p);
        return 0;
    }
    int rc = sel_parse_op(p, r, s->fields);
    sel_skip_ws(p);
    return rc;
}

static int sel_parse(const char *text, int fields, struct sel **out)
{
    struct sel *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fields = fields;
    const char *p = text ? text : "";
    sel_skip_ws(&p);
    while (*p) {
        int rc = sel_parse_one(&p, s);
        if (rc == 0 && *p == ',' && p[1] != '\0')
            p++;
        else if (rc == 0 && *p != '\0')
            rc = -EINVAL;
        if (rc) {
            sel_free(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

int sel_parse_labels(const char *text, struct sel **out, char *err, size_t errlen)
{
    int rc = sel_parse(text, 0, out);
    if (rc == -EINVAL)
        snprintf(err, errlen, "unable to parse requirement: invalid label selector \"%s\"",
                 text);
    return rc;
}

/* Field labels the apiserver accepts per kind (metadata.* always). */
static int sel_field_supported(const char *kind, const char *field)
{
    static const char *const pod[] = {"spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
        "status.phase", "status.podIP", "status.nominatedNodeName", NULL};
    static const char *const ev[] = {"involvedObject.kind",
        "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source",
        "type", NULL};
    static const char *const node[] = {"spec.unschedulable", NULL};
    static const char *const ns[] = {"status.phase", NULL};
    static const char *const rs[] = {"status.replicas", NULL};
    if (!strcmp(field, "metadata.name") || !strcmp(field, "metadata.namespace"))
        return 1;
    const char *const *list = NULL;
    if (!strcmp(kind, "Pod"))
        list = pod;
    else if (!strcmp(kind, "Event"))
        list = ev;
    else if (!strcmp(kind, "Node"))
        list = node;
    else if (!strcmp(kind, "Namespace"))
        list = ns;
    else if (!strcmp(kind, "ReplicaSet"))
        list = rs;
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], field))
            return 1;
    return 0;
}

int sel_parse_fields(const char *text, const char *kind, struct sel **out,
                     char *err, size_t errlen)
{
    int rc = sel_parse(text, 1, out);
    if (rc == -EINVAL) {
        snprintf(err, errlen, "invalid field selector \"%s\"", text);
        return rc;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < (*out)->n; i++) {
        if (sel_field_supported(kind, (*out)->reqs[i].key))
            continue;
        snprintf(err, errlen, "field label not supported: %s", (*out)->reqs[i].key);
        sel_free(*out);
        *out = NULL;
        return -EINVAL;
    }
    return 0;
}

/* Field value as text: strings as is, numbers and booleans printed. */
static const char *sel_field_value(json_t *obj, const char *path, char *buf,
                                   size_t len)
{
    json_t *v = kobj_get(obj, path);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

static int sel_req_matches(const struct sel_req *r, const char *have)
{
    int in = 0;
    for (size_t i = 0; have && i < r->nvals; i++)
        if (!strcmp(have, r->vals[i]))
            in = 1;
    switch (r->op) {
    case SEL_EQ:
    case SEL_IN:
        return in;
    case SEL_NE:
    case SEL_NOTIN:
        return !in;
    case SEL_EXISTS:
        return have != NULL;
    case SEL_NOTEXISTS:
        return have == NULL;
    }
    return 0;
}

int sel_matches(const struct sel *s, json_t *obj)
{
    json_t *labels = kobj_get(obj, "metadata.labels");
    char buf[32];
    for (size_t i = 0; s && i < s->n; i++) {
        const struct sel_req *r = &s->reqs[i];
        const char *have;
        if (s->fields)
            have = sel_field_value(obj, r->key, buf, sizeof(buf));
        else
            have = json_string_value(json_object_get(labels, r->key));
        if (!sel_req_matches(r, have))
            return 0;
    }
    return 1;
}

int sel_field_name(const struct sel *s, const char **name)
{
    for (size_t i = 0; s && s->fields && i < s->n; i++) {
        if (s->reqs[i].op == SEL_EQ && !strcmp(s->reqs[i].key, "metadata.name")) {
            *name = s->reqs[i].vals[0];
            return 1;
        }
    }
    return 0;
}
