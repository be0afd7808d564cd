/*
 * wire_session — the session family: HELLO, CHALLENGE, AUTH (the
 * certificate and the proof), AUTH_OK and ERROR.  Tables and hooks only
 * (wire_base.h); the proof itself is checked by the caller (shared/net/pki),
 * not here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"
#include "wire_base.h"
#include "wire_family.h"

/* The nonce has one length, and is taken before the server's name, as always. */
static const struct wire_field challenge_fields[] = {
	WIRE_BYTES_AS(WIRE_M(Challenge), u.challenge.nonce, nonce, "nonce"),
	WIRE_STR_AS(WIRE_M(Challenge), u.challenge.server, server, "server"),
};
static const struct wire_item challenge =
	WIRE_ITEM(NULL, rewind__v1__challenge, wire_msg_t, challenge_fields);

static int
dec_auth(struct dec *d, const void *pb, void *dom)
{
	const Rewind__V1__Auth *p = pb;
	wire_msg_t *m = dom;
	size_t len = strlen(p->certificate_pem);
	if (len == 0)
		return wire_dec_fail(d, RW_EINVAL, "certificate", "missing");
	if (len > RW_CERT_PEM_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "certificate", "too long");
	if (p->signature.len == 0 || p->signature.len > RW_SIG_MAX)
		return wire_dec_fail(d, RW_EINVAL, "signature", "missing or too long");
	m->u.auth.cert_pem = strdup(p->certificate_pem);
	if (!m->u.auth.cert_pem)
		return RW_ENOMEM;
	m->u.auth.cert_len = len;
	memcpy(m->u.auth.sig, p->signature.data, p->signature.len);
	m->u.auth.sig_len = p->signature.len;
	return 0;
}

static int
enc_auth(struct wire_arena *a, void *pb, const void *dom)
{
	Rewind__V1__Auth *p = pb;
	const wire_msg_t *m = dom;
	(void)a;
	p->certificate_pem = m->u.auth.cert_pem ? m->u.auth.cert_pem : S("");
	p->signature.data = (uint8_t *)m->u.auth.sig;
	p->signature.len = m->u.auth.sig_len;
	return 0;
}

/* The certificate is owned and bounded by RW_CERT_PEM_MAX, not a buffer: hooks. */
static const struct wire_field auth_fields[] = {
	WIRE_OWNED(WIRE_M(Auth), u.auth.cert_pem),
};
static const struct wire_item auth = WIRE_ITEM(NULL, rewind__v1__auth, wire_msg_t, auth_fields,
                                               .dec_rest = dec_auth, .enc_rest = enc_auth);

/* The error's name is derived from its code, and only sent. */
static int
enc_error_name(struct wire_arena *a, void *pb, const void *dom)
{
	(void)a;
	((Rewind__V1__Error *)pb)->name = S(rw_errname(((const wire_msg_t *)dom)->u.error.code));
	return 0;
}

/* An error's text is the peer's to choose: truncated to fit, never refused. */
static const struct wire_field error_fields[] = {
	WIRE_NUM_AS(WIRE_M(Error), u.error.code, code),
	WIRE_TEXT_AS(WIRE_M(Error), u.error.message, message),
};
static const struct wire_item error =
	WIRE_ITEM(NULL, rewind__v1__error, wire_msg_t, error_fields, .enc_rest = enc_error_name);

/* Each kind's body: an item above, or the fields of wire_msg_t it carries (WIRE_FLAT). */
static const struct wire_form forms[] = {
	WIRE_FLAT(WIRE_HELLO, WIRE_STR_AS(WIRE_M(Hello), u.hello.client, client, "client")),
	WIRE_FORM(WIRE_CHALLENGE, &challenge),
	WIRE_FORM(WIRE_AUTH, &auth),
	WIRE_FLAT(WIRE_AUTH_OK,
	          WIRE_ENUM_AS(WIRE_M(AuthOk), u.auth_ok.role, role, rw_role_parse, rw_role_name),
	          WIRE_STR_AS(WIRE_M(AuthOk), u.auth_ok.name, name, "name")),
	WIRE_FORM(WIRE_ERROR, &error),
};

const struct wire_family wire_session = WIRE_FAMILY("session", WIRE_HELLO, WIRE_ERROR, forms, NULL);
