/*
 * log — one line per event: time, level, component, message and key=value
 * fields, to stderr or a file.
 *
 * Callers pass fields as a printf-style tail ("release=%s id=%lld").  Values
 * containing spaces or quotes are the caller's job to quote with log_q().
 * This module never sees secrets on purpose: callers must not pass keys,
 * tokens or signatures, and the module does not try to detect them.
 */
#ifndef REWIND_LOG_H
#define REWIND_LOG_H

#include <stdio.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Sets the component name (e.g. "rewindd") used on every line. */
void log_init(const char *component);

/* Parses "debug|info|warn|error"; returns 0 or RW_EINVAL. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* Appends to PATH instead of stderr; returns 0 or RW_EIO. */
int log_set_file(const char *path);

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Quotes a value for a key=value field into buf (always NUL-terminated). */
const char *log_q(char *buf, size_t bufsz, const char *value);

#define log_debug(ev, ...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...)  log_msg(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_msg(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_msg(LOG_ERROR, ev, __VA_ARGS__)

#endif
