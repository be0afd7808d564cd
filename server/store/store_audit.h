/*
 * store_audit — the audit log as rewindctl audit list shows it, and
 * appending a row outside any other change (a refused request worth
 * recording, a login).
 *
 * Not here: the audit row each change writes with itself (the change's own
 * file does that, through store_sql.c), audit queries over the read-only
 * views (store_auditq.h), the hash chain (store_ledger.h).
 */
#ifndef REWIND_STORE_AUDIT_H
#define REWIND_STORE_AUDIT_H

#include <stddef.h>

#include "domain.h"
#include "store.h"

/* Audit log, newest first, filtered; *out malloc'd, owned by the caller. */
int store_audit_list(store_t *st, const rw_audit_filter_t *f, rw_audit_t **out, size_t *n);

/* Appends an audit row outside any other change.  detail_json may be NULL. */
int store_audit_append(store_t *st, const rw_actor_t *who, const char *action,
                       const char *target, const char *detail_json, const char *reason);

#endif
