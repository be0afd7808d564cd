/*
 * main: command line, start-up order and shutdown of one simulated cluster
 * (one process per cluster). Parses flags, loads the scenario, seeds and
 * settles the store, generates TLS material, starts the listeners and the
 * controller, writes the kubeconfig, then waits for SIGTERM/SIGINT and
 * stops everything in reverse order. The only place that exits.
 */
#include "api.h"
#include "controller.h"
#include "health.h"
#include "http.h"
#include "kubeconfig.h"
#include "kutil.h"
#include "scenario.h"
#include "schema.h"
#include "store.h"
#include "tlsgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KUBESIM_VERSION "0.1.0"

struct opts {
    char listen_host[256];
    int listen_port;
    char tls_host[256];
    int tls_port;
    int tls;
    char health_host[256];
    int health_port;
    const char *token;
    const char *cert_dir;
    const char *scenario;
    const char *cluster;
    const char *kubeconfig_out;
    const char *info_out;
    const char *version;
    long step_ms;
    int verbose;
    const char *access_log;
};

/* Everything that runs; torn down by main_stop in reverse order. */
struct runtime {
    struct scenario *scn;
    struct store *st;
    struct ctl *ctl;
    struct api_ctx api;
    struct http_server *http, *https;
    struct health_server *health;
    FILE *access_log; /* --access-log, shared by both API listeners */
    struct tlsgen_out tls;
    char cert_dir[4096];
    char token[128];
    char server_addr[300];
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: rewind-kubesim [--listen HOST:PORT] [--tls-listen HOST:PORT [--token TOKEN]\n"
        "                      [--cert-dir DIR]] [--health-listen HOST:PORT] [--scenario FILE]\n"
        "                      [--cluster-name NAME] [--kubeconfig-out FILE] [--info-out FILE]\n"
        "                      [--step-ms N] [--k8s-version vX.Y.Z] [--verbose]\n"
        "                      [--access-log FILE]\n"
        "\n"
        "Simulates one k3s cluster's Kubernetes API for kubectl and Rewind.\n"
        "  --listen          plain HTTP API, loopback only, no auth (default 127.0.0.1:18080)\n"
        "  --tls-listen      HTTPS API requiring 'Authorization: Bearer TOKEN'\n"
        "  --token           bearer token for HTTPS (default: random, see kubeconfig)\n"
        "  --cert-dir        where ca.crt, server.crt, server.key go (default: new temp dir)\n"
        "  --health-listen   service/pod health endpoints (default: API host, any port)\n"
        "  --scenario        scenario JSON (default: the built-in default scenario)\n"
        "  --cluster-name    name used in the kubeconfig (default kubesim)\n"
        "  --kubeconfig-out  write the kubeconfig here (else it is printed)\n"
        "  --info-out        write a JSON summary (URLs, ports, token, CA file) here\n"
        "  --step-ms         controller step interval (default: scenario stepMs, 300)\n"
        "  --k8s-version     gitVersion reported by /version (default v1.32.4+k3s1)\n"
        "  --verbose         access log and microhttpd messages on stderr\n"
        "  --access-log      append one line per API request to FILE: arrival time in\n"
        "                    CLOCK_REALTIME microseconds, method, path, status, User-Agent\n"
        "Port 0 picks a free port; the chosen ports are printed and in --info-out.\n");
}

static int parse_hostport(const char *s, char *host, size_t hlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= hlen)
        return -EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!end || *end || end == colon + 1 || p < 0 || p > 65535)
        return -EINVAL;
    *port = (int)p;
    return 0;
}

static int valid_chars(const char *s, const char *extra, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (; *s; s++) {
        int ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr(extra, *s);
        if (!ok)
            return 0;
    }
    return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'}, {"tls-listen", required_argument, NULL, 't'},
        {"token", required_argument, NULL, 'k'}, {"cert-dir", required_argument, NULL, 'c'},
        {"health-listen", required_argument, NULL, 'H'}, {"scenario", required_argument, NULL, 's'},
        {"cluster-name", required_argument, NULL, 'n'}, {"kubeconfig-out", required_argument, NULL, 'o'},
        {"info-out", required_argument, NULL, 'i'}, {"step-ms", required_argument, NULL, 'S'},
        {"k8s-version", required_argument, NULL, 'V'}, {"verbose", no_argument, NULL, 'v'},
        {"access-log", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'x'}, {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
    o->listen_port = 18080;
    o->health_port = 0;
    o->cluster = "kubesim";
    int c, health_set = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'l': bad = parse_hostport(optarg, o->listen_host, sizeof(o->listen_host), &o->listen_port); break;
        case 't': bad = parse_hostport(optarg, o->tls_host, sizeof(o->tls_host), &o->tls_port); o->tls = 1; break;
        case 'H': bad = parse_hostport(optarg, o->health_host, sizeof(o->health_host), &o->health_port); health_set = 1; break;
        case 'k': o->token = optarg; break;
        case 'c': o->cert_dir = optarg; break;
        case 's': o->scenario = optarg; break;
        case 'n': o->cluster = optarg; break;
        case 'o': o->kubeconfig_out = optarg; break;
        case 'i': o->info_out = optarg; break;
        case 'S': o->step_ms = strtol(optarg, NULL, 10); bad = o->step_ms < 10 || o->step_ms > 60000; break;
        case 'V': o->version = optarg; bad = optarg[0] != 'v'; break;
        case 'v': o->verbose = 1; break;
        case 'a': o->access_log = optarg; break;
        case 'h': usage(stdout); return 1;
        case 'x': printf("rewind-kubesim %s\n", KUBESIM_VERSION); return 1;
        default: usage(stderr); return -EINVAL;
        }
        if (bad) {
            const char *name = "?";
            for (size_t i = 0; longs[i].name; i++)
                if (longs[i].val == c)
                    name = longs[i].name;
            fprintf(stderr, "rewind-kubesim: bad value for --%s: %s\n", name, optarg);
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rewind-kubesim: unexpected argument: %s\n", argv[optind]);
        return -EINVAL;
    }
    if (!health_set)
        snprintf(o->health_host, sizeof(o->health_host), "%s", o->listen_host);
    if (!valid_chars(o->cluster, "-", 1, 63)) {
        fprintf(stderr, "rewind-kubesim: --cluster-name must be 1-63 of [a-z0-9-]\n");
        return -EINVAL;
    }
    if (o->token && !valid_chars(o->token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ._~+/=-", 8, 120)) {
        fprintf(stderr, "rewind-kubesim: --token must be 8-120 of [A-Za-z0-9._~+/=-]\n");
        return -EINVAL;
    }
    return 0;
}

/* Plain HTTP has no authentication, so it may only listen on loopback. */
static int is_loopback(const char *host)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    if (http_resolve(host, 0, &ss, &v6))
        return 0;
    if (v6)
        return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
}

static void url_of(char *buf, size_t len, const char *scheme, const char *host, int port)
{
    const char *h = (!strcmp(host, "0.0.0.0") || !strcmp(host, "localhost")) ? "127.0.0.1" : host;
    if (strchr(h, ':') && h[0] != '[')
        snprintf(buf, len, "%s://[%s]:%d", scheme, h, port);
    else
        snprintf(buf, len, "%s://%s:%d", scheme, h, port);
}

static int start_model(const struct opts *o, struct runtime *rt)
{
    char err[512];
    int rc = o->scenario ? scn_load_file(o->scenario, &rt->scn, err, sizeof(err))
                         : scn_load_string(scn_default_json, &rt->scn, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "rewind-kubesim: %s\n", rc == -ENOMEM ? "out of memory" : err);
        return rc;
    }
    rt->st = store_new();
    if (!rt->st)
        return -ENOMEM;
    store_lock(rt->st);
    rc = scn_seed(rt->scn, rt->st);
    store_unlock(rt->st);
    if (rc) {
        fprintf(stderr, "rewind-kubesim: seeding the scenario failed: %s\n", strerror(-rc));
        return rc;
    }
    rt->ctl = ctl_new(rt->st, rt->scn, o->step_ms ? o->step_ms : rt->scn->step_ms);
    if (!rt->ctl)
        return -ENOMEM;
    return ctl_settle(rt->ctl);
}

static int start_tls(const struct opts *o, struct runtime *rt)
{
    char err[512];
    if (o->token)
        snprintf(rt->token, sizeof(rt->token), "%s", o->token);
    else {
        char hex[33];
        if (ku_random_hex(hex, 32))
            return -EIO;
        snprintf(rt->token, sizeof(rt->token), "kubesim-%s", hex);
    }
    if (o->cert_dir) {
        snprintf(rt->cert_dir, sizeof(rt->cert_dir), "%s", o->cert_dir);
    } else {
        snprintf(rt->cert_dir, sizeof(rt->cert_dir), "/tmp/rewind-kubesim-%s-XXXXXX", o->cluster);
        if (!mkdtemp(rt->cert_dir)) {
            fprintf(stderr, "rewind-kubesim: cannot create a cert dir: %s\n", strerror(errno));
            return -errno;
        }
    }
    int rc = tlsgen_generate(o->cluster, o->tls_host, &rt->tls, err, sizeof(err));
    if (!rc)
        rc = tlsgen_write(rt->cert_dir, &rt->tls, err, sizeof(err));
    if (rc)
        fprintf(stderr, "rewind-kubesim: %s\n", err);
    return rc;
}

static int start_servers(const struct opts *o, struct runtime *rt)
{
    char err[512];
    rt->api.st = rt->st;
    rt->api.scn = rt->scn;
    rt->api.version = o->version ? o->version : rt->scn->version;
    rt->api.server_addr = rt->server_addr;
    snprintf(rt->server_addr, sizeof(rt->server_addr), "%s:%d", o->listen_host, o->listen_port);
    if (o->access_log) {
        /* Line-buffered: a benchmark reads it while the simulator runs. */
        rt->access_log = fopen(o->access_log, "ae");
        if (!rt->access_log) {
            int e = errno;
            fprintf(stderr, "rewind-kubesim: cannot open --access-log %s: %s\n", o->access_log,
                    strerror(e));
            return -e;
        }
        setvbuf(rt->access_log, NULL, _IOLBF, 0);
    }
    struct http_opts ho = {o->listen_host, o->listen_port, NULL, NULL, NULL, o->verbose, &rt->api,
                           rt->access_log};
    int rc = http_start(&ho, &rt->http, err, sizeof(err));
    if (!rc && o->tls) {
        struct http_opts to = {o->tls_host, o->tls_port, rt->tls.cert_pem, rt->tls.key_pem,
                               rt->token, o->verbose, &rt->api, rt->access_log};
        rc = http_start(&to, &rt->https, err, sizeof(err));
    }
    if (!rc)
        rc = health_start(o->health_host, o->health_port, rt->st, rt->scn, &rt->health, err,
                          sizeof(err));
    if (rc)
        fprintf(stderr, "rewind-kubesim: %s\n", err);
    return rc;
}

static int write_info(const struct opts *o, struct runtime *rt, const char *http_url,
                      const char *https_url, const char *health_url, const char *kcfg_path)
{
    char ca[4200];
    snprintf(ca, sizeof(ca), "%s/ca.crt", rt->cert_dir);
    json_t *info = json_pack("{s:s, s:s, s:i, s:s, s:s?, s:i, s:s?, s:s?, s:s, s:i, s:s?, s:I}",
                             "cluster", o->cluster, "server", http_url, "port", http_port(rt->http),
                             "version", rt->api.version,
                             "tlsServer", https_url, "tlsPort", rt->https ? http_port(rt->https) : 0,
                             "token", o->tls ? rt->token : NULL, "caFile", o->tls ? ca : NULL,
                             "healthUrl", health_url, "healthPort", health_port(rt->health),
                             "kubeconfig", kcfg_path, "pid", (json_int_t)getpid());
    if (!info)
        return -ENOMEM;
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", o->info_out);
    int rc = json_dump_file(info, tmp, JSON_INDENT(2)) == 0 && rename(tmp, o->info_out) == 0 ? 0 : -EIO;
    json_decref(info);
    return rc;
}

static int announce(const struct opts *o, struct runtime *rt)
{
    char http_url[320], https_url[320] = "", health_url[320];
    url_of(http_url, sizeof(http_url), "http", o->listen_host, http_port(rt->http));
    if (rt->https)
        url_of(https_url, sizeof(https_url), "https", o->tls_host, http_port(rt->https));
    url_of(health_url, sizeof(health_url), "http", o->health_host, health_port(rt->health));
    struct kcfg k = {o->cluster, http_url, rt->https ? https_url : NULL, rt->tls.ca_pem,
                     rt->https ? rt->token : NULL, "default"};
    char *yaml = kcfg_render(&k);
    if (!yaml)
        return -ENOMEM;
    int rc = o->kubeconfig_out ? kcfg_write(o->kubeconfig_out, yaml) : 0;
    if (!rc && o->info_out)
        rc = write_info(o, rt, http_url, rt->https ? https_url : NULL, health_url, o->kubeconfig_out);
    if (rc) {
        fprintf(stderr, "rewind-kubesim: cannot write kubeconfig/info: %s\n", strerror(-rc));
        free(yaml);
        return rc;
    }
    printf("rewind-kubesim %s: cluster \"%s\" (%s), scenario %s\n", KUBESIM_VERSION, o->cluster,
           rt->api.version, o->scenario ? o->scenario : "(built-in default)");
    printf("  api:        %s  (no auth)\n", http_url);
    if (rt->https)
        printf("  api (tls):  %s  (bearer token; CA %s/ca.crt)\n", https_url, rt->cert_dir);
    printf("  health:     %s/services/<namespace>/<deployment>/api/health\n", health_url);
    printf("              %s/pods/<namespace>/<pod>/api/health\n", health_url);
    if (o->kubeconfig_out)
        printf("  kubeconfig: %s\n", o->kubeconfig_out);
    else
        printf("--- kubeconfig ---\n%s--- end kubeconfig ---\n", yaml);
    printf("ready\n");
    fflush(stdout);
    free(yaml);
    return 0;
}

static void stop_all(struct runtime *rt)
{
    if (rt->st)
        store_shutdown(rt->st); /* wakes watches so connection threads can end */
    http_stop(rt->http);
    http_stop(rt->https);
    health_stop(rt->health);
    if (rt->access_log)
        fclose(rt->access_log); /* after the listeners: no request can still write */
    ctl_free(rt->ctl);
    store_free(rt->st);
    scn_free(rt->scn);
    tlsgen_clear(&rt->tls);
}

static int run(const struct opts *o, sigset_t *sigs)
{
    struct runtime rt;
    memset(&rt, 0, sizeof(rt));
    int rc = is_loopback(o->listen_host) ? 0 : -EINVAL;
    if (rc)
        fprintf(stderr, "rewind-kubesim: --listen must be a loopback address (plain HTTP has no "
                "authentication); use --tls-listen for other addresses\n");
    if (!rc)
        rc = start_model(o, &rt);
    if (!rc && o->tls)
        rc = start_tls(o, &rt);
    if (!rc)
        rc = start_servers(o, &rt);
    if (!rc)
        rc = ctl_start(rt.ctl);
    if (!rc)
        rc = announce(o, &rt);
    if (!rc) {
        int sig = 0;
        sigwait(sigs, &sig);
        fprintf(stderr, "rewind-kubesim: %s, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    stop_all(&rt);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    /* Block the stop signals in every thread; main collects them with sigwait. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (ku_init() || schema_init()) {
        fprintf(stderr, "rewind-kubesim: initialisation failed\n");
        return 1;
    }
    rc = run(&o, &sigs);
    ku_shutdown();
    return rc ? 1 : 0;
}
