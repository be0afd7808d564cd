/*
 * test_pki_nng — proves the certificates shared/pki.c writes work with NNG's
 * TLS transport (mbedTLS underneath) for both ends: a REP listener with
 * server.crt from pki_init and mutual authentication required, and REQ
 * dialers with certificates from pki_issue.
 *
 * Covered: the round trip works (dialing by IP and by name); a client with a
 * certificate from another CA, a client without a certificate, a client that
 * expects another host name, and a listener wearing a client-only
 * certificate are all refused.  Everything stays on 127.0.0.1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "err.h"
#include "pki.h"
#include "testlib.h"
#include "testpki.h"

#define TIMEOUT_MS 1500

struct fx {
	struct tpki ca;   /* the fleet CA in ca.pki, an unrelated one in ca.other */
	nng_socket rep;
	char url[64];
};

/* A TLS config with our own certificate (if any) and the CA at CA_DIR. */
static nng_tls_config *
tls_config(nng_tls_mode mode, const char *ca_dir, const char *crt, const char *key,
           const char *server_name)
{
	nng_tls_config *cfg = NULL;
	char p[512];

	assert_int_equal(nng_tls_config_alloc(&cfg, mode), 0);
	/* As shared/link.c configures it: NNG's mbedTLS 2.28 engine caps 1.3 to 1.2. */
	assert_int_equal(nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_3), 0);
	char *ca = tl_read(tl_path(p, sizeof(p), ca_dir, "ca.crt"), NULL);
	assert_int_equal(nng_tls_config_ca_chain(cfg, ca, NULL), 0);
	free(ca);
	if (crt != NULL) {
		char *c = tl_read(crt, NULL), *k = tl_read(key, NULL);
		int rv = nng_tls_config_own_cert(cfg, c, k, NULL);
		if (rv != 0)
			print_error("own_cert: %s\n", nng_strerror(rv));
		assert_int_equal(rv, 0);
		memset(k, 0, strlen(k));
		free(c);
		free(k);
	}
	if (server_name != NULL)
		assert_int_equal(nng_tls_config_server_name(cfg, server_name), 0);
	assert_int_equal(nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED), 0);
	return cfg;
}

/*
 * Starts a REP listener on tls+tcp://127.0.0.1 with mutual TLS.  Port 0 with
 * NNG_OPT_TCP_BOUND_PORT would be nicer, but we fall back to random ports in
 * 20000-40000 if the TLS transport does not report the bound port.
 */
static void
listen_tls(struct fx *f, const char *crt, const char *key)
{
	nng_tls_config *cfg = tls_config(NNG_TLS_MODE_SERVER, f->ca.pki, crt, key, NULL);
	nng_listener l;
	uint8_t r[2];
	int rv = -1, port = 0;

	assert_int_equal(nng_rep0_open(&f->rep), 0);
	assert_int_equal(nng_socket_set_ms(f->rep, NNG_OPT_RECVTIMEO, TIMEOUT_MS), 0);
	assert_int_equal(nng_socket_set_ms(f->rep, NNG_OPT_SENDTIMEO, TIMEOUT_MS), 0);

	assert_int_equal(nng_listener_create(&l, f->rep, "tls+tcp://127.0.0.1:0"), 0);
	assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg), 0);
	if (nng_listener_start(l, 0) == 0 &&
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) == 0 && port > 0) {
		snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d", port);
		nng_tls_config_free(cfg);
		print_message("listening on %s (bound port 0)\n", f->url);
		return;
	}
	nng_listener_close(l);
	for (int tries = 0; tries < 50 && rv != 0; tries++) {
		assert_int_equal(pki_random(r, sizeof(r)), 0);
		port = 20000 + ((r[0] << 8) | r[1]) % 20000;
		snprintf(f->url, sizeof(f->url), "tls+tcp://127.0.0.1:%d", port);
		assert_int_equal(nng_listener_create(&l, f->rep, f->url), 0);
		assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg), 0);
		rv = nng_listener_start(l, 0);
		if (rv != 0)
			nng_listener_close(l);
		if (rv != 0 && rv != NNG_EADDRINUSE)
			fail_msg("listen %s: %s", f->url, nng_strerror(rv));
	}
	assert_int_equal(rv, 0);
	nng_tls_config_free(cfg);
}

/* A REQ socket dialing f->url (non-blocking, so a refused handshake cannot hang). */
static nng_socket
dial_tls(struct fx *f, const char *ca_dir, const char *crt, const char *key,
         const char *server_name, const char *url)
{
	nng_tls_config *cfg = tls_config(NNG_TLS_MODE_CLIENT, ca_dir, crt, key, server_name);
	nng_socket s;
	nng_dialer d;

	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, TIMEOUT_MS), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, TIMEOUT_MS), 0);
	assert_int_equal(nng_dialer_create(&d, s, url ? url : f->url), 0);
	assert_int_equal(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg), 0);
	assert_int_equal(nng_dialer_start(d, NNG_FLAG_NONBLOCK), 0);
	nng_tls_config_free(cfg);
	return s;
}

/*
 * One request/reply: returns 0 when "ping" reached the server and "pong"
 * came back, else the first NNG error.  The server side also insists the
 * TLS layer verified the peer's certificate.
 */
static int
exchange(struct fx *f, nng_socket req)
{
	char *buf = NULL;
	size_t len = 0;
	nng_msg *m = NULL;
	bool verified = false;
	int rv;

	if ((rv = nng_send(req, "ping", 5, 0)) != 0)
		return rv;
	if ((rv = nng_recvmsg(f->rep, &m, 0)) != 0)
		return rv;
	assert_int_equal(nng_msg_len(m), 5);
	assert_string_equal((char *)nng_msg_body(m), "ping");
	assert_int_equal(nng_pipe_get_bool(nng_msg_get_pipe(m), NNG_OPT_TLS_VERIFIED, &verified), 0);
	assert_true(verified);
	nng_msg_free(m);
	assert_int_equal(nng_send(f->rep, "pong", 5, 0), 0);
	if ((rv = nng_recv(req, &buf, &len, NNG_FLAG_ALLOC)) != 0)
		return rv;
	assert_int_equal(len, 5);
	assert_string_equal(buf, "pong");
	nng_free(buf, len);
	return 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (tpki_open(&f->ca, "rewind-pkinng", 2) != 0) {
		tpki_close(&f->ca);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nng_close(f->rep);
	tpki_close(&f->ca);
	free(f);
	return 0;
}

/* Issues ROLE/NAME from CA_DIR into the fixture's directory, as <stem>.{key,crt}. */
static void
issue(struct fx *f, const char *ca_dir, const char *role, const char *name, const char *stem,
      char *key, char *crt, size_t sz)
{
	tpki_issue(&f->ca, ca_dir, role, name, 0, 0, stem, key, crt, sz);
}

static void
server_files(struct fx *f, char *key, char *crt, size_t sz)
{
	tl_path(key, sz, f->ca.pki, "server.key");
	tl_path(crt, sz, f->ca.pki, "server.crt");
}

static void
test_roundtrip(void **state)
{
	struct fx *f = *state;
	char skey[512], scrt[512], key[512], crt[512], url[96];
	nng_socket s;
	int rv;

	server_files(f, skey, scrt, sizeof(skey));
	listen_tls(f, scrt, skey);

	/* An operator console, dialing by IP with no explicit server name. */
	issue(f, f->ca.pki, "operator", "otto", "otto", key, crt, sizeof(key));
	s = dial_tls(f, f->ca.pki, crt, key, NULL, NULL);
	rv = exchange(f, s);
	if (rv != 0)
		print_error("exchange: %s\n", nng_strerror(rv));
	assert_int_equal(rv, 0);
	nng_close(s);

	/* Explicit server name = the IP: mbedTLS 2.28 needs the dNSName twin of the iPAddress SAN. */
	s = dial_tls(f, f->ca.pki, crt, key, "127.0.0.1", NULL);
	rv = exchange(f, s);
	if (rv != 0)
		print_error("exchange with server name 127.0.0.1: %s\n", nng_strerror(rv));
	assert_int_equal(rv, 0);
	nng_close(s);

	/* An agent whose name has a '/', dialing "localhost". */
	issue(f, f->ca.pki, "agent", "prod/node-1", "agent", key, crt, sizeof(key));
	snprintf(url, sizeof(url), "tls+tcp://localhost:%s", strrchr(f->url, ':') + 1);
	s = dial_tls(f, f->ca.pki, crt, key, NULL, url);
	rv = exchange(f, s);
	if (rv != 0)
		print_error("exchange via localhost: %s\n", nng_strerror(rv));
	assert_int_equal(rv, 0);
	nng_close(s);
}

static void
test_foreign_client_refused(void **state)
{
	struct fx *f = *state;
	char skey[512], scrt[512], key[512], crt[512];
	nng_socket s;

	server_files(f, skey, scrt, sizeof(skey));
	listen_tls(f, scrt, skey);
	/* Trusts our CA (so the server looks fine to it) but holds another CA's cert. */
	issue(f, f->ca.other, "admin", "eve", "eve", key, crt, sizeof(key));
	s = dial_tls(f, f->ca.pki, crt, key, NULL, NULL);
	assert_int_not_equal(exchange(f, s), 0);
	nng_close(s);
}

static void
test_client_without_cert_refused(void **state)
{
	struct fx *f = *state;
	char skey[512], scrt[512];
	nng_socket s;

	server_files(f, skey, scrt, sizeof(skey));
	listen_tls(f, scrt, skey);
	s = dial_tls(f, f->ca.pki, NULL, NULL, NULL, NULL);
	assert_int_not_equal(exchange(f, s), 0);
	nng_close(s);
}

static void
test_wrong_server_name_refused(void **state)
{
	struct fx *f = *state;
	char skey[512], scrt[512], key[512], crt[512];
	nng_socket s;

	server_files(f, skey, scrt, sizeof(skey));
	listen_tls(f, scrt, skey);
	issue(f, f->ca.pki, "viewer", "vera", "vera", key, crt, sizeof(key));
	s = dial_tls(f, f->ca.pki, crt, key, "rewind.elsewhere.example", NULL);
	assert_int_not_equal(exchange(f, s), 0);
	nng_close(s);

	/* The same client with the right name gets through. */
	s = dial_tls(f, f->ca.pki, crt, key, "localhost", NULL);
	assert_int_equal(exchange(f, s), 0);
	nng_close(s);
}

static void
test_client_cert_cannot_serve(void **state)
{
	struct fx *f = *state;
	char key[512], crt[512], ckey[512], ccrt[512];
	nng_socket s;

	/* A listener wearing a console certificate (clientAuth only, no SANs). */
	issue(f, f->ca.pki, "admin", "localhost", "fake-server", key, crt, sizeof(key));
	listen_tls(f, crt, key);
	issue(f, f->ca.pki, "viewer", "vera", "vera", ckey, ccrt, sizeof(ckey));
	s = dial_tls(f, f->ca.pki, ccrt, ckey, "localhost", NULL);
	assert_int_not_equal(exchange(f, s), 0);
	nng_close(s);
}

static void
test_issued_server_cert_serves(void **state)
{
	struct fx *f = *state;
	char key[512], crt[512], ckey[512], ccrt[512];
	nng_socket s;

	/* pki_issue role "server" (e.g. a replacement server certificate). */
	issue(f, f->ca.pki, "server", "rewind.example.com", "srv2", key, crt, sizeof(key));
	listen_tls(f, crt, key);
	issue(f, f->ca.pki, "admin", "ada", "ada", ckey, ccrt, sizeof(ckey));
	s = dial_tls(f, f->ca.pki, ccrt, ckey, "rewind.example.com", NULL);
	assert_int_equal(exchange(f, s), 0);
	nng_close(s);
}

/* Every test gets both CAs and a REP socket to listen on. */
#define FX(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_roundtrip), FX(test_foreign_client_refused), FX(test_client_without_cert_refused),
		FX(test_wrong_server_name_refused), FX(test_client_cert_cannot_serve),
		FX(test_issued_server_cert_serves),
	};

	return cmocka_run_group_tests_name("pki_nng", tests, NULL, NULL);
}
