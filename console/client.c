/*
 * client — session setup and calls for the console commands.
 */
#include "client.h"

#include <stdio.h>

#include "err.h"

int
client_connect(struct cli *c, link_t **out)
{
	struct cli_conn conn;
	struct link_opts o = {0};
	char msg[512] = "";
	int rv;

	*out = NULL;
	if ((rv = cli_conn_resolve(c, &conn)) != 0)
		return rv;
	o.url = conn.server;
	o.ca_path = conn.ca;
	o.cert_path = conn.cert;
	o.key_path = conn.key;
	o.timeout_ms = conn.timeout_ms;
	o.client = "rewindctl/" REWIND_VERSION;
	rv = link_open(&o, out, msg, sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "error: cannot open a session with %s: %s\n", conn.server,
		        msg[0] ? msg : rw_strerror(rv));
		return rv == RW_EINVAL || rv == RW_EIO ? CLI_USAGE : CLI_CONNECT;
	}
	return 0;
}

int
client_call(link_t *l, wire_msg_t *req, enum wire_kind want, wire_msg_t **resp)
{
	char msg[600] = "";
	int rv = link_call(l, req, resp, msg, sizeof(msg));
	if (rv != 0) {
		fprintf(stderr, "error: %s\n", msg[0] ? msg : rw_strerror(rv));
		return cli_exit_for(rv);
	}
	if ((*resp)->kind != want) {
		fprintf(stderr, "error: unexpected reply \"%s\" from server\n",
		        wire_kind_name((*resp)->kind));
		wire_msg_free(*resp);
		*resp = NULL;
		return CLI_FAILED;
	}
	return 0;
}
