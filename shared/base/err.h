/*
 * err — Rewind's one project-wide error space.
 *
 * Every function that can fail returns 0 or a negative rw_err value, and
 * rw_strerror() gives the human message for it.  Modules that need to say
 * more (which field, which row) log it or fill a caller's message buffer;
 * this module only owns the codes, their fixed texts and rw_fail(), the
 * formatter that fills such a buffer.
 */
#ifndef REWIND_ERR_H
#define REWIND_ERR_H

enum rw_err {
	RW_OK = 0,
	RW_ENOMEM = -1,      /* allocation failed */
	RW_EINVAL = -2,      /* malformed or out-of-range input */
	RW_ETOOBIG = -3,     /* input exceeds a size bound */
	RW_ENOTFOUND = -4,   /* the named object does not exist */
	RW_EEXIST = -5,      /* the object already exists */
	RW_EPERM = -6,       /* the caller's role may not do this */
	RW_EAUTH = -7,       /* identity could not be proven */
	RW_EPROTO = -8,      /* peer broke the wire protocol */
	RW_EVERSION = -9,    /* unsupported protocol version */
	RW_EIO = -10,        /* file or socket I/O failed */
	RW_EDB = -11,        /* the database failed or is unreachable */
	RW_ECRYPTO = -12,    /* a cryptographic operation failed */
	RW_ETIMEDOUT = -13,  /* the operation did not finish in time */
	RW_ECONNECT = -14,   /* could not reach the peer */
	RW_EBUSY = -15,      /* resource held by someone else; retry later */
	RW_ECONFLICT = -16,  /* state changed underneath the request */
	RW_EINTERNAL = -17,  /* a bug: an invariant did not hold */
	RW_EUNAVAIL = -18,   /* service not ready (e.g. shutting down) */
	RW_ERR_MIN = -18
};

/* Fixed human text for an rw_err (never NULL; unknown codes get a generic text). */
const char *rw_strerror(int err);

/* Short stable identifier ("ENOTFOUND") for logs and JSON output. */
const char *rw_errname(int err);

#include <stddef.h>

/*
 * The one message formatter of the tree: writes the printf-style reason into
 * the caller's buffer (when msg is not NULL and msgsz > 0, truncating) and
 * returns err, so a failure path reads `return rw_fail(RW_EINVAL, msg, msgsz,
 * "...", ...);`.
 */
int rw_fail(int err, char *msg, size_t msgsz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
