/*
 * lstream: polls the container's log under the store lock every 250 ms
 * (log lines are not store writes, so there is nothing to wait on) and
 * hands out what is new.
 */
#include "logstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LSTREAM_POLL_MS 250

struct lstream {
    struct store *st;
    struct kubelet_log_pos pos;
    int timestamps;
    char *pending;
    size_t len, off;
    int ended;
};

int lstream_open(struct store *st, const struct kubelet_log_pos *pos, int timestamps,
                 char *initial, struct lstream **out)
{
    struct lstream *ls = calloc(1, sizeof(*ls));
    if (!ls) {
        free(initial);
        return -ENOMEM;
    }
    ls->st = st;
    ls->pos = *pos;
    ls->timestamps = timestamps;
    ls->pending = initial;
    ls->len = initial ? strlen(initial) : 0;
    *out = ls;
    return 0;
}

void lstream_free(void *p)
{
    struct lstream *ls = p;
    if (!ls)
        return;
    free(ls->pending);
    free(ls);
}

static ssize_t lstream_drain(struct lstream *ls, char *buf, size_t max)
{
    size_t n = ls->len - ls->off;
    if (n > max)
        n = max;
    memcpy(buf, ls->pending + ls->off, n);
    ls->off += n;
    if (ls->off == ls->len) {
        free(ls->pending);
        ls->pending = NULL;
        ls->len = ls->off = 0;
    }
    return (ssize_t)n;
}

/* Fetches new lines into pending (lock held): 1 if some, 0 if none, <0 at
 * the end of the stream. */
static int lstream_fetch(struct lstream *ls)
{
    char *text = NULL;
    int rc = kubelet_logs_since(ls->st, &ls->pos, ls->timestamps, &text);
    if (rc)
        return rc;
    if (!*text) {
        free(text);
        return 0;
    }
    ls->pending = text;
    ls->len = strlen(text);
    ls->off = 0;
    return 1;
}

ssize_t lstream_read(void *p, char *buf, size_t max, int (*alive)(void *ctx), void *ctx)
{
    struct lstream *ls = p;
    if (ls->len > ls->off)
        return lstream_drain(ls, buf, max);
    if (ls->ended)
        return 0;
    store_lock(ls->st);
    for (;;) {
        if (store_stopping(ls->st)) {
            ls->ended = 1;
            break;
        }
        int rc = lstream_fetch(ls);
        if (rc < 0)
            ls->ended = 1;
        if (rc != 0)
            break;
        if (alive && !alive(ctx)) {
            store_unlock(ls->st);
            return -1;
        }
        store_wait(ls->st, LSTREAM_POLL_MS);
    }
    store_unlock(ls->st);
    return ls->len > ls->off ? lstream_drain(ls, buf, max) : 0;
}
