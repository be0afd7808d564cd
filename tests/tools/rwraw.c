/*
 * rwraw — a test client that speaks to rewindd the wrong ways on purpose:
 * raw bytes instead of an envelope, no identity proof, or a proof with
 * someone else's certificate.  Prints the reply as "error NAME message" or
 * "ok KIND" so shell tests can assert on it.  Not installed; tests only.
 *
 *   rwraw --server URL --ca F --cert F --key F [--no-auth]
 *         [--proof-cert F --proof-key F] [--hex HEX | --size N | --list]
 *   rwraw --make-expired PKI_DIR --cert OUT.crt --key OUT.key
 *         (issues an operator certificate that expired yesterday)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "link.h"
#include "pki.h"
#include "wire.h"

static int
from_hex(const char *hex, uint8_t **out, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return RW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(b);
			return RW_EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = n;
	return 0;
}

static void
print_reply(int rv, wire_msg_t *resp, const char *msg)
{
	if (rv != 0)
		printf("fail %s %s\n", rw_errname(rv), msg);
	else if (resp->kind == WIRE_ERROR)
		printf("error %s %s\n", rw_errname(resp->u.error.code), resp->u.error.message);
	else
		printf("ok %s\n", wire_kind_name(resp->kind));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"server", 1, 0, 's'}, {"ca", 1, 0, 'a'},         {"cert", 1, 0, 'c'},
	    {"key", 1, 0, 'k'},    {"no-auth", 0, 0, 'n'},    {"proof-cert", 1, 0, 'P'},
	    {"proof-key", 1, 0, 'K'}, {"hex", 1, 0, 'x'},     {"size", 1, 0, 'z'},
	    {"list", 0, 0, 'l'},   {"make-expired", 1, 0, 'E'}, {0, 0, 0, 0}};
	const char *expired_dir = NULL;
	struct link_opts o = {.timeout_ms = 5000, .client = "rwraw"};
	const char *hex = NULL;
	size_t size = 0;
	char msg[600] = "";
	link_t *l;
	wire_msg_t *resp = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int c, rv;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.url = optarg; break;
		case 'a': o.ca_path = optarg; break;
		case 'c': o.cert_path = optarg; break;
		case 'k': o.key_path = optarg; break;
		case 'n': o.skip_handshake = 1; break;
		case 'P': o.proof_cert_path = optarg; break;
		case 'K': o.proof_key_path = optarg; break;
		case 'x': hex = optarg; break;
		case 'z': size = strtoul(optarg, NULL, 10); break;
		case 'l': break;
		case 'E': expired_dir = optarg; break;
		default: return 2;
		}
	}
	if (expired_dir) {
		rv = pki_issue(expired_dir, "operator", "expired-user", 1, -3 * 86400, o.key_path,
		               o.cert_path, msg, sizeof(msg));
		if (rv != 0)
			fprintf(stderr, "rwraw: %s\n", msg);
		return rv == 0 ? 0 : 1;
	}
	if ((rv = link_open(&o, &l, msg, sizeof(msg))) != 0) {
		printf("fail %s %s\n", rw_errname(rv), msg);
		return 1;
	}
	if (hex) {
		rv = from_hex(hex, &buf, &len);
	} else if (size) {
		/* Valid protobuf framing does not matter: the size bound must trip first. */
		buf = calloc(1, size);
		len = size;
		rv = buf ? 0 : RW_ENOMEM;
	} else {
		wire_msg_t *req = wire_msg_new(WIRE_SERVICE_LIST, 0);
		rv = req ? wire_encode(req, &buf, &len) : RW_ENOMEM;
		wire_msg_free(req);
	}
	if (rv == 0)
		rv = link_call_raw(l, buf, len, &resp, msg, sizeof(msg));
	print_reply(rv, resp, msg);
	wire_msg_free(resp);
	free(buf);
	link_close(l);
	return rv == 0 ? 0 : 1;
}
