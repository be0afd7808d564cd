/*
 * metrics — the /metrics endpoint.  libmicrohttpd runs its own thread; each
 * scrape calls the owner's render function and answers with its text.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "err.h"

struct metrics_server {
	struct MHD_Daemon *d;
	metrics_render_fn fn;
	void *arg;
	int port;
};

static void
buf_printf(metrics_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
buf_printf(metrics_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->data && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *nd = realloc(b->data, ncap);
		if (!nd) {
			b->failed = 1;
			return;
		}
		b->data = nd;
		b->cap = ncap;
	}
}

void
metrics_sample(metrics_buf_t *b, const char *name, const char *labels, double value)
{
	if (labels && *labels)
		buf_printf(b, "%s{%s} %.17g\n", name, labels, value);
	else
		buf_printf(b, "%s %.17g\n", name, value);
}

void
metrics_put(metrics_buf_t *b, const char *name, const char *type, const char *help,
            const char *labels, double value)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	metrics_sample(b, name, labels, value);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct metrics_server *m = cls;
	metrics_buf_t b = {0};
	struct MHD_Response *r;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_printf(&b, "only GET\n");
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		buf_printf(&b, "see /metrics\n");
	} else {
		m->fn(m->arg, &b);
	}
	if (b.failed) {
		free(b.data);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(b.len, b.data ? b.data : (char *)"",
	                                    b.data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(b.data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return RW_EINVAL;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return RW_EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa->sin_addr) != 1)
		return RW_EINVAL;
	return 0;
}

int
metrics_start(const char *listen, metrics_render_fn fn, void *arg, metrics_server_t **out,
              char *msg, size_t msgsz)
{
	struct metrics_server *m;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (parse_listen(listen, &sa) != 0) {
		snprintf(msg, msgsz, "metrics address %s: want IPv4-HOST:PORT", listen);
		return RW_EINVAL;
	}
	if (!(m = calloc(1, sizeof(*m))))
		return RW_ENOMEM;
	m->fn = fn;
	m->arg = arg;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                        answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!m->d) {
		snprintf(msg, msgsz, "cannot serve metrics on %s", listen);
		free(m);
		return RW_EBUSY;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : ntohs(sa.sin_port);
	*out = m;
	return 0;
}

int
metrics_port(const metrics_server_t *m)
{
	return m->port;
}

void
metrics_stop(metrics_server_t *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
