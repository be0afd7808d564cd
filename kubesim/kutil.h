/*
 * kutil: small process-wide helpers for kubesim: clocks, Kubernetes-style
 * timestamps and ages, random names and ids (mbedTLS CTR-DRBG), SHA-256 hex.
 * Not for JSON or object logic (see kobj) and not for anything with state
 * beyond the random generator.
 */
#ifndef KUBESIM_KUTIL_H
#define KUBESIM_KUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Seeds the random generator; call once from main before any thread starts. */
int ku_init(void);
void ku_shutdown(void);

/* Monotonic milliseconds, for timers and behaviour delays. */
int64_t ku_mono_ms(void);

/* Writes "2025-01-15T12:00:00Z" for t into buf (at least 21 bytes). */
void ku_rfc3339(time_t t, char *buf, size_t len);
/* Parses the form above; returns 0 or -EINVAL. */
int ku_parse_rfc3339(const char *s, time_t *out);
/* Kubernetes HumanDuration ("5s", "2m10s", "3h", "4d5h"...) for seconds. */
void ku_human_duration(int64_t seconds, char *buf, size_t len);

/* Fills buf with n random characters from the Kubernetes safe alphabet. */
int ku_random_name(char *buf, size_t n);
/* Random RFC 4122 v4 uuid into buf (at least 37 bytes). */
int ku_random_uuid(char *buf, size_t len);
/* Random lowercase hex of n characters (n even), NUL terminated. */
int ku_random_hex(char *buf, size_t n);

/* Lowercase hex SHA-256 of data into hex (at least 65 bytes). */
int ku_sha256_hex(const void *data, size_t len, char *hex, size_t hexlen);
/* Encodes the first n bytes of a SHA-256 of data in the safe alphabet. */
int ku_hash_name(const void *data, size_t len, char *out, size_t n);

/* strdup that also accepts NULL (returns NULL). */
char *ku_strdup(const char *s);

#endif
