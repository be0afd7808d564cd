/*
 * store_channel — LISTEN/NOTIFY over a store_t (store_channel.h).
 *
 * What it does: LISTEN with the channel quoted as an identifier, waits on
 * the connection's socket with poll(), and sends with pg_notify() (a
 * parameterised statement, so a payload is never SQL text).
 *
 * What it does not do: reconnect (the caller pings and listens again) or
 * remember notifications: one that arrives while nobody waits stays queued
 * in libpq until the next wait.
 */
#include "store_channel.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "store_sql.h"

int
store_channel_listen(store_t *st, const char *channel)
{
	char *ident = PQescapeIdentifier(st->conn, channel, strlen(channel));
	char sql[160];

	if (!ident) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	return store_exec(st, sql, 0, NULL, NULL);
}

/* Takes one notification libpq already holds (after reading what the socket has). */
static int
store_channel_take(store_t *st, char *payload, size_t cap, int *got)
{
	PGnotify *n;
	if (!PQconsumeInput(st->conn)) {
		store_set_err(st, "%s", PQerrorMessage(st->conn));
		return RW_EDB;
	}
	if ((n = PQnotifies(st->conn)) != NULL) {
		snprintf(payload, cap, "%s", n->extra ? n->extra : "");
		PQfreemem(n);
		*got = 1;
	}
	return 0;
}

int
store_channel_wait(store_t *st, int timeout_ms, char *payload, size_t cap, int *got)
{
	struct pollfd pfd;
	int rv;

	*got = 0;
	if ((rv = store_channel_take(st, payload, cap, got)) || *got)
		return rv;
	pfd.fd = PQsocket(st->conn);
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		store_set_err(st, "no connection");
		return RW_EDB;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	return store_channel_take(st, payload, cap, got);
}

int
store_channel_notify(store_t *st, const char *channel, const char *payload)
{
	const char *p[2] = {channel, payload};
	return store_exec(st, "SELECT pg_notify($1, $2)", 2, p, NULL);
}
