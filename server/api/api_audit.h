/*
 * api_audit — reading the audit trail: the audit log (AUDIT_LOG), the
 * auditors' queries answered as tables (what ran, rollbacks, a release's
 * life, DORA metrics, the timeline) and signing and verifying the ledger's
 * hash chain with the server's notary key.  Writes nothing but the
 * ledger's signed head.
 */
#ifndef REWIND_API_AUDIT_H
#define REWIND_API_AUDIT_H

#include "api.h"

wire_msg_t *api_audit_log(struct api_call *c);
wire_msg_t *api_audit_query(struct api_call *c);

#endif
