/*
 * rewindd — Rewind's central server: applies the schema migrations, then
 * serves agents and consoles over mutually authenticated TLS until SIGINT or
 * SIGTERM.  Configuration comes from flags, with environment fallbacks.
 */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "coord.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "srv.h"
#include "store.h"

static void
usage(FILE *f)
{
	fprintf(f,
	        "Usage: rewindd [options]\n"
	        "\n"
	        "Rewind's central server: release history in PostgreSQL, sessions over TLS.\n"
	        "\n"
	        "Options:\n"
	        "  --listen URL        tls+tcp://HOST:PORT to serve on (env REWIND_LISTEN;\n"
	        "                      default tls+tcp://127.0.0.1:7443)\n"
	        "  --db CONNINFO       PostgreSQL conninfo or URI (env REWIND_DB)\n"
	        "  --pki-dir DIR       take ca.crt, server.crt and server.key from DIR (env REWIND_PKI_DIR)\n"
	        "  --ca FILE           fleet CA certificate (overrides --pki-dir)\n"
	        "  --cert FILE         server certificate\n"
	        "  --key FILE          server key\n"
	        "  --workers N         worker threads / database connections (default 4)\n"
	        "  --runners N         operations this rewindd runs at once, each with its own\n"
	        "                      database connection (default 4, at most 16)\n"
	        "  --contexts N        requests in flight, parked long polls included; at most\n"
	        "                      half may be parked (default 256; use 2x the agents)\n"
	        "  --max-sessions N    simultaneous connections (default 4096)\n"
	        "  --lease-ms N        how long an agent holds an action between progress\n"
	        "                      reports before another agent may take it (default 15000)\n"
	        "  --report-interval-ms N  agents' report and probe interval (default 5000)\n"
	        "  --max-wait-ms N     longest parked long poll (default 30000)\n"
	        "  --metrics-listen HOST:PORT  serve Prometheus metrics on /metrics\n"
	        "  --artifact-dir DIR  artifact store for config archives, migrations and database\n"
	        "                      dumps (env REWIND_ARTIFACT_DIR; none: uploads and backups\n"
	        "                      are refused)\n"
	        "  --pg-bin DIR        where pg_dump and pg_restore are (default: PATH)\n"
	        "  --backup-timeout S  longest pg_dump/pg_restore run (default 600)\n"
	        "  --audit-sign-interval S  sign the audit chain head every S seconds when it\n"
	        "                      grew (default 300; 0: only on demand, rewindctl audit sign)\n"
	        "  --migrate-only      apply migrations and exit\n"
	        "  --log-level LEVEL   debug|info|warn|error (default info)\n"
	        "  --log-file FILE     append logs to FILE instead of stderr\n"
	        "  -h, --help          this text\n"
	        "  --version           print the version\n");
}

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

struct args {
	struct srv_opts srv;
	const char *pki_dir;
	int migrate_only;
	int runners;
	char ca[4096], cert[4096], key[4096];
};

static int
parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return RW_EINVAL;
	*out = (int)v;
	return 0;
}

/* Returns 0 to run, 1 to exit successfully (help/version), 2 on usage error. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	enum { O_LISTEN = 256, O_DB, O_PKI, O_CA, O_CERT, O_KEY, O_WORKERS, O_CTX, O_MAXS,
	       O_MIGRATE, O_LEVEL, O_LOGFILE, O_VERSION, O_LEASE, O_INTERVAL, O_MAXWAIT,
	       O_ARTDIR, O_PGBIN, O_BTIMEOUT, O_METRICS, O_SIGN, O_RUNNERS };
	static const struct option opts[] = {
	    {"listen", required_argument, 0, O_LISTEN}, {"db", required_argument, 0, O_DB},
	    {"pki-dir", required_argument, 0, O_PKI},   {"ca", required_argument, 0, O_CA},
	    {"cert", required_argument, 0, O_CERT},     {"key", required_argument, 0, O_KEY},
	    {"workers", required_argument, 0, O_WORKERS},
	    {"runners", required_argument, 0, O_RUNNERS},
	    {"contexts", required_argument, 0, O_CTX},
	    {"max-sessions", required_argument, 0, O_MAXS},
	    {"migrate-only", no_argument, 0, O_MIGRATE},
	    {"lease-ms", required_argument, 0, O_LEASE},
	    {"report-interval-ms", required_argument, 0, O_INTERVAL},
	    {"max-wait-ms", required_argument, 0, O_MAXWAIT},
	    {"metrics-listen", required_argument, 0, O_METRICS},
	    {"artifact-dir", required_argument, 0, O_ARTDIR},
	    {"pg-bin", required_argument, 0, O_PGBIN},
	    {"backup-timeout", required_argument, 0, O_BTIMEOUT},
	    {"audit-sign-interval", required_argument, 0, O_SIGN},
	    {"log-level", required_argument, 0, O_LEVEL},
	    {"log-file", required_argument, 0, O_LOGFILE},
	    {"help", no_argument, 0, 'h'},              {"version", no_argument, 0, O_VERSION},
	    {0, 0, 0, 0}};
	int c, bad = 0;

	a->srv.listen_url = env_or("REWIND_LISTEN", "tls+tcp://127.0.0.1:7443");
	a->srv.db_conninfo = env_or("REWIND_DB", NULL);
	a->pki_dir = env_or("REWIND_PKI_DIR", NULL);
	a->srv.workers = 4;
	a->runners = 4;
	a->srv.contexts = 256;
	a->srv.max_sessions = 4096;
	a->srv.artifact_dir = env_or("REWIND_ARTIFACT_DIR", NULL);
	a->srv.backup_timeout_s = 600;
	a->srv.audit_sign_s = 300;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: a->srv.listen_url = optarg; break;
		case O_DB: a->srv.db_conninfo = optarg; break;
		case O_PKI: a->pki_dir = optarg; break;
		case O_CA: a->srv.ca_path = optarg; break;
		case O_CERT: a->srv.cert_path = optarg; break;
		case O_KEY: a->srv.key_path = optarg; break;
		case O_WORKERS: bad |= parse_int(optarg, 1, 256, &a->srv.workers); break;
		case O_RUNNERS: bad |= parse_int(optarg, 1, 16, &a->runners); break;
		case O_CTX: bad |= parse_int(optarg, 2, 65536, &a->srv.contexts); break;
		case O_MAXS: bad |= parse_int(optarg, 1, 1000000, &a->srv.max_sessions); break;
		case O_MIGRATE: a->migrate_only = 1; break;
		case O_LEASE: bad |= parse_int(optarg, 200, 3600000, &a->srv.lease_ms); break;
		case O_INTERVAL: bad |= parse_int(optarg, 100, 3600000, &a->srv.report_interval_ms); break;
		case O_MAXWAIT: bad |= parse_int(optarg, 100, 600000, &a->srv.max_wait_ms); break;
		case O_METRICS: a->srv.metrics_listen = optarg; break;
		case O_ARTDIR: a->srv.artifact_dir = optarg; break;
		case O_PGBIN: a->srv.pg_bin = optarg; break;
		case O_BTIMEOUT: bad |= parse_int(optarg, 1, 86400, &a->srv.backup_timeout_s); break;
		case O_SIGN: bad |= parse_int(optarg, 0, 86400 * 7, &a->srv.audit_sign_s); break;
		case O_LEVEL:
			if (log_set_level_name(optarg) != 0) {
				fprintf(stderr, "rewindd: unknown log level \"%s\"\n", optarg);
				return 2;
			}
			break;
		case O_LOGFILE:
			if (log_set_file(optarg) != 0) {
				fprintf(stderr, "rewindd: cannot open log file %s\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 1;
		case O_VERSION: printf("rewindd %s\n", REWIND_VERSION); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (bad || optind != argc) {
		fprintf(stderr, "rewindd: invalid arguments (see --help)\n");
		return 2;
	}
	if (!a->srv.db_conninfo) {
		fprintf(stderr, "rewindd: no database: give --db or set REWIND_DB\n");
		return 2;
	}
	if (a->pki_dir) {
		snprintf(a->ca, sizeof(a->ca), "%s/ca.crt", a->pki_dir);
		snprintf(a->cert, sizeof(a->cert), "%s/server.crt", a->pki_dir);
		snprintf(a->key, sizeof(a->key), "%s/server.key", a->pki_dir);
		if (!a->srv.ca_path) a->srv.ca_path = a->ca;
		if (!a->srv.cert_path) a->srv.cert_path = a->cert;
		if (!a->srv.key_path) a->srv.key_path = a->key;
	}
	if (!a->migrate_only && (!a->srv.ca_path || !a->srv.cert_path || !a->srv.key_path)) {
		fprintf(stderr, "rewindd: give --pki-dir, or --ca, --cert and --key\n");
		return 2;
	}
	return 0;
}

static int
migrate(const char *conninfo)
{
	char msg[512] = "";
	store_t *st;
	unsigned applied = 0;
	int version = 0, rv;

	if ((rv = store_open(conninfo, &st, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "rewindd: cannot connect to the database: %s\n", msg);
		return rv;
	}
	rv = store_migrate(st, &applied);
	if (rv == 0)
		rv = store_schema_version(st, &version);
	if (rv != 0)
		fprintf(stderr, "rewindd: migration failed: %s\n", store_errmsg(st));
	else
		log_info("schema.ready", "version=%d applied=%u", version, applied);
	store_close(st);
	return rv;
}

int
main(int argc, char **argv)
{
	struct args a;
	char msg[512] = "";
	sigset_t set;
	srv_t *srv;
	coord_t *coord = NULL;
	notifier_t *notifier = NULL;
	int rv, sig;

	/*
	 * Large blocks (a decoded report of 110 pods is ~400 KB) always mmap'd
	 * and returned on free: glibc's default threshold rises after the first
	 * large free, after which they were carved out of the arenas and kept
	 * (docs/reliability.md, "Soak").  The dispatcher also trims the arenas
	 * every 10 s (srv.c).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/*
	 * And two arenas per core rather than glibc's eight: with dozens of
	 * threads each arena fragments on its own and trimming cannot give the
	 * partly used pages back (+6 % in a 4-minute soak with trimming alone,
	 * flat with this).  Two arenas in all slowed 2,000 sessions' set-up from
	 * 129 s to 203 s.
	 */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	mallopt(M_ARENA_MAX, cores > 1 ? (int)(2 * cores) : 2);
	memset(&a, 0, sizeof(a));
	log_init("rewindd");
	if ((rv = parse_args(argc, argv, &a)) != 0)
		return rv == 1 ? 0 : 2;
	/* Block the stop signals in every thread; main waits for them below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: webhooks use libcurl */

	if (migrate(a.srv.db_conninfo) != 0)
		return 1;
	if (a.migrate_only)
		return 0;
	if ((rv = srv_start(&a.srv, &srv, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "rewindd: %s\n", msg[0] ? msg : rw_strerror(rv));
		return 1;
	}
	struct coord_opts co = {.conninfo = a.srv.db_conninfo, .runners = a.runners};
	if ((rv = coord_start(&co, &coord, msg, sizeof(msg))) != 0 ||
	    (rv = notifier_start(a.srv.db_conninfo, 5, &notifier, msg, sizeof(msg))) != 0) {
		fprintf(stderr, "rewindd: cannot start the coordinator: %s\n",
		        msg[0] ? msg : rw_strerror(rv));
		coord_stop(coord);
		srv_stop(srv);
		return 1;
	}
	log_info("listening", "url=%s workers=%d contexts=%d", a.srv.listen_url, a.srv.workers,
	         a.srv.contexts);
	sigwait(&set, &sig);
	log_info("stopping", "signal=%d", sig);
	notifier_stop(notifier);
	coord_stop(coord);
	srv_stop(srv);
	log_info("stopped", "%s", "");
	return 0;
}
