/*
 * schema: what a valid object of each served kind looks like. Owns the
 * known-field schema (unknown-field detection for fieldValidation
 * Strict/Warn/Ignore and JSON type checks), apiserver defaulting, and
 * validation rules that yield 422 causes. Does not store or patch objects.
 */
#ifndef KUBESIM_SCHEMA_H
#define KUBESIM_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

enum schema_fv { SCHEMA_FV_IGNORE, SCHEMA_FV_WARN, SCHEMA_FV_STRICT };

/* Parses the built-in schemas; idempotent and thread-safe. */
int schema_init(void);

/* Maps the fieldValidation query value (NULL = default Warn). -EINVAL for
 * anything else. */
int schema_fv_parse(const char *s, enum schema_fv *out);

/* Unknown fields: Strict fails with -EINVAL ("strict decoding error: unknown
 * field ..."), Warn removes them and appends a message per field to
 * warnings, Ignore removes them silently. A JSON type mismatch fails with
 * -EPROTO in every mode. err receives the message. */
int schema_check_fields(const char *kind, json_t *obj, enum schema_fv mode,
                        json_t *warnings, char *err, size_t errlen);

/* Fills in the defaults the apiserver would (strategy, probes, policies). */
void schema_default(const char *kind, json_t *obj);

/* Validates obj (old is the current object on update, NULL on create).
 * Appends metav1.StatusCause objects to causes; returns 0 or -EINVAL. */
int schema_validate(const char *kind, json_t *obj, json_t *old, json_t *causes);

/* "field: message, ..." summary of causes for a Status message. */
int schema_causes_message(json_t *causes, char *buf, size_t len);

#endif
