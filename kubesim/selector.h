/*
 * sel: label selectors ("app=x,tier!=db,env in (a,b),!legacy") and field
 * selectors ("metadata.name=x,spec.nodeName!=n1") parsed from query strings
 * and matched against objects. Does not fetch objects or know the store.
 */
#ifndef KUBESIM_SELECTOR_H
#define KUBESIM_SELECTOR_H

#include <jansson.h>
#include <stddef.h>

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOTEXISTS };

struct sel_req {
    char *key;
    enum sel_op op;
    char **vals;
    size_t nvals;
};

struct sel {
    struct sel_req *reqs;
    size_t n;
    int fields; /* 1 for a field selector: keys are dotted paths */
};

/* Parses a label selector; NULL or "" gives an empty (match-all) selector.
 * On -EINVAL a message is written to err. Caller frees *out with sel_free. */
int sel_parse_labels(const char *text, struct sel **out, char *err, size_t errlen);
/* Parses a field selector for objects of kind; unsupported field labels are
 * rejected the way the apiserver does ("field label not supported: x"). */
int sel_parse_fields(const char *text, const char *kind, struct sel **out,
                     char *err, size_t errlen);
void sel_free(struct sel *s);

/* 1 if obj matches (labels from metadata.labels, or fields by path). */
int sel_matches(const struct sel *s, json_t *obj);
/* 1 if the selector is "metadata.name=X" (any position); name set to X. */
int sel_field_name(const struct sel *s, const char **name);

#endif
