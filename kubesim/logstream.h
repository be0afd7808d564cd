/*
 * lstream: `kubectl logs -f`: a response that starts with the log text
 * asked for and then carries each new line of the container as the kubelet
 * writes it, until the pod is deleted or replaced, the client hangs up, or
 * the server stops. Does not produce log lines (see kubelet).
 */
#ifndef KUBESIM_LOGSTREAM_H
#define KUBESIM_LOGSTREAM_H

#include <sys/types.h>

#include "kubelet.h"
#include "store.h"

struct lstream;

/* initial (stolen) is sent first; pos says where it ended. */
int lstream_open(struct store *st, const struct kubelet_log_pos *pos, int timestamps,
                 char *initial, struct lstream **out);
/* api_stream read/free for a struct lstream. */
ssize_t lstream_read(void *ls, char *buf, size_t max, int (*alive)(void *ctx), void *ctx);
void lstream_free(void *ls);

#endif
