/*
 * srv — rewindd's network side: a REP socket on tls+tcp:// served by a
 * pool of NNG contexts with asynchronous I/O, and a pool of worker threads
 * that do the blocking work (database) so NNG's callback threads never
 * block.  Each worker owns one database connection.
 *
 * Flow per context: recv (async) -> callback queues the context -> a worker
 * decodes, dispatches (handlers.c), encodes -> async send -> recv again.
 * The number of contexts bounds the requests in flight; the queue can never
 * hold more than that.
 *
 * Long polls (an agent waiting for an action, a console waiting for one to
 * finish) are parked: the context keeps its request without a worker, and a
 * dispatcher thread re-queues it when PostgreSQL notifies its key (NOTIFY on
 * the actions channel, from this or any other rewindd sharing the database),
 * when a lease runs out, or when the wait ends.  At most half the contexts
 * may be parked, so ordinary requests always find one.
 */
#ifndef REWIND_SRV_H
#define REWIND_SRV_H

#include <stddef.h>

struct srv_opts {
	const char *listen_url;   /* tls+tcp://HOST:PORT */
	const char *ca_path;
	const char *cert_path;
	const char *key_path;
	const char *db_conninfo;
	int workers;              /* worker threads = database connections */
	int contexts;             /* concurrent requests in flight */
	int max_sessions;         /* most simultaneous pipes */
	int lease_ms;             /* action lease (agents report progress within it) */
	int report_interval_ms;   /* what agents are told to use */
	int max_wait_ms;          /* longest parked long poll */
	const char *metrics_listen; /* HOST:PORT for Prometheus metrics; NULL: none */
	const char *artifact_dir; /* NULL: no artifact store (uploads and backups refused) */
	const char *pg_bin;       /* directory of pg_dump/pg_restore; NULL: PATH */
	int backup_timeout_s;     /* per pg_dump/pg_restore run */
	int audit_sign_s;         /* sign the audit chain head this often (0: only on demand) */
};

typedef struct srv srv_t;

/* Starts listening.  *out owned by the caller; stop and free with srv_stop(). */
int srv_start(const struct srv_opts *o, srv_t **out, char *msg, size_t msgsz);
void srv_stop(srv_t *s);

#endif
