/*
 * err — texts for the project-wide error codes and the message formatter.
 * Owns no state.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

struct err_text {
	const char *name;
	const char *text;
};

static const struct err_text texts[] = {
	[0] = {"OK", "success"},
	[1] = {"ENOMEM", "out of memory"},
	[2] = {"EINVAL", "invalid input"},
	[3] = {"ETOOBIG", "input too large"},
	[4] = {"ENOTFOUND", "not found"},
	[5] = {"EEXIST", "already exists"},
	[6] = {"EPERM", "permission denied for this role"},
	[7] = {"EAUTH", "authentication failed"},
	[8] = {"EPROTO", "protocol error"},
	[9] = {"EVERSION", "unsupported protocol version"},
	[10] = {"EIO", "input/output error"},
	[11] = {"EDB", "database error"},
	[12] = {"ECRYPTO", "cryptographic operation failed"},
	[13] = {"ETIMEDOUT", "timed out"},
	[14] = {"ECONNECT", "could not connect"},
	[15] = {"EBUSY", "busy; try again"},
	[16] = {"ECONFLICT", "conflicting change"},
	[17] = {"EINTERNAL", "internal error"},
	[18] = {"EUNAVAIL", "service unavailable"},
};

static const struct err_text *
lookup(int err)
{
	if (err > 0 || err < RW_ERR_MIN)
		return 0;
	return &texts[-err];
}

const char *
rw_strerror(int err)
{
	const struct err_text *t = lookup(err);
	return t ? t->text : "unknown error";
}

const char *
rw_errname(int err)
{
	const struct err_text *t = lookup(err);
	return t ? t->name : "EUNKNOWN";
}

int
rw_fail(int err, char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msgsz == 0)
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return err;
}
