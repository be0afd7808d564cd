/*
 * metrics — a Prometheus text-format endpoint (GET /metrics) on a local
 * HTTP port, served by libmicrohttpd.  The owner supplies a render function
 * that writes the current figures; this module only serves them and offers
 * small helpers to format lines.  It keeps no counters of its own.
 */
#ifndef REWIND_METRICS_H
#define REWIND_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct metrics_buf {
	char *data;
	size_t len, cap;
	int failed;       /* allocation failed: the scrape answers 500 */
} metrics_buf_t;

/* Appends "# HELP", "# TYPE" and one sample line. */
void metrics_put(metrics_buf_t *b, const char *name, const char *type, const char *help,
                 const char *labels, double value);
/* Appends one more sample of a metric already introduced. */
void metrics_sample(metrics_buf_t *b, const char *name, const char *labels, double value);

typedef void (*metrics_render_fn)(void *arg, metrics_buf_t *b);
typedef struct metrics_server metrics_server_t;

/*
 * Serves GET /metrics on HOST:PORT (loopback or any address the operator
 * chooses).  *out owned by the caller, stopped with metrics_stop().
 */
int metrics_start(const char *listen, metrics_render_fn fn, void *arg, metrics_server_t **out,
                  char *msg, size_t msgsz);
/* The port actually bound (useful with port 0). */
int metrics_port(const metrics_server_t *m);
void metrics_stop(metrics_server_t *m);

#endif
