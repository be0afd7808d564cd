/*
 * notary — signs chain heads and verifies the ledger (notary.h).
 *
 * A head signature covers SHA-256("rewind-audit-head-v1\n<seq>\n<row_hash>\n
 * <signed_at>\n") (ledger_head_digest), so a head cannot be moved to another
 * position or time.  key_id (SHA-256 of the public key, DER) lets verify
 * tell a head signed by another server key (rotation: reported, not
 * trusted) from a forged one (a signature that does not verify under the
 * key it names).
 */
#include "notary.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "err.h"
#include "log.h"
#include "pki.h"
#include "store_audit.h"

#define NOTARY_BATCH 5000
#define NOTARY_KEY_MAX (64 * 1024)

struct notary {
	pthread_mutex_t lock;
	mbedtls_pk_context key;        /* private, for signing */
	mbedtls_x509_crt crt;          /* public key for verifying */
	char key_id[LEDGER_HASH_HEX + 1];
	char signer[RW_ACTOR_MAX + 1];
};

static void
hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);
	if (len % 2 || len / 2 > cap)
		return RW_EINVAL;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return RW_EINVAL;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

/* key_id: SHA-256 of the DER public key (pk_write_pubkey_der writes at the buffer's end). */
static int
key_id_of(mbedtls_pk_context *pk, char out[LEDGER_HASH_HEX + 1])
{
	unsigned char der[512], sum[32];
	int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));
	if (n <= 0 || mbedtls_sha256_ret(der + sizeof(der) - n, (size_t)n, sum, 0) != 0)
		return RW_ECRYPTO;
	hex(sum, 32, out);
	return 0;
}

static int
rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return pki_random(out, len) == 0 ? 0 : -1;
}

static int
load(notary_t *n, const char *cert_path, const char *key_path, char *msg, size_t msgsz)
{
	char *buf = NULL, subject[256];
	size_t len = 0;
	int rv;

	if ((rv = pki_read_file(key_path, NOTARY_KEY_MAX, &buf, &len)) != 0) {
		return rw_fail(rv, msg, msgsz, "cannot read server key %s", key_path);
	}
	rv = mbedtls_pk_parse_key(&n->key, (unsigned char *)buf, len + 1, NULL, 0);
	memset(buf, 0, len);
	free(buf);
	if (rv != 0 || !mbedtls_pk_can_do(&n->key, MBEDTLS_PK_ECDSA)) {
		return rw_fail(RW_EINVAL, msg, msgsz, "server key %s is not an EC key", key_path);
	}
	if (mbedtls_x509_crt_parse_file(&n->crt, cert_path) != 0) {
		return rw_fail(RW_EINVAL, msg, msgsz, "cannot read server certificate %s", cert_path);
	}
	if ((rv = key_id_of(&n->crt.pk, n->key_id)) != 0)
		return rv;
	if (mbedtls_x509_dn_gets(subject, sizeof(subject), &n->crt.subject) < 0)
		snprintf(subject, sizeof(subject), "rewindd");
	snprintf(n->signer, sizeof(n->signer), "%.*s", RW_ACTOR_MAX, subject);
	return 0;
}

int
notary_open(const char *cert_path, const char *key_path, notary_t **out, char *msg, size_t msgsz)
{
	notary_t *n;
	int rv;

	*out = NULL;
	if (!cert_path || !key_path)
		return RW_EINVAL;
	if (!(n = calloc(1, sizeof(*n))))
		return RW_ENOMEM;
	pthread_mutex_init(&n->lock, NULL);
	mbedtls_pk_init(&n->key);
	mbedtls_x509_crt_init(&n->crt);
	if ((rv = load(n, cert_path, key_path, msg, msgsz)) != 0) {
		notary_close(n);
		return rv;
	}
	*out = n;
	return 0;
}

void
notary_close(notary_t *n)
{
	if (!n)
		return;
	mbedtls_pk_free(&n->key);
	mbedtls_x509_crt_free(&n->crt);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* --- signing ------------------------------------------------------------------ */

static int
sign_digest(notary_t *n, const uint8_t digest[32], char *sig_hex, size_t cap)
{
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t len = 0;
	int rv;

	pthread_mutex_lock(&n->lock);
	rv = mbedtls_pk_sign(&n->key, MBEDTLS_MD_SHA256, digest, 32, sig, &len, rng, NULL);
	pthread_mutex_unlock(&n->lock);
	if (rv != 0)
		return RW_ECRYPTO;
	if (2 * len + 1 > cap)
		return RW_ETOOBIG;
	hex(sig, len, sig_hex);
	return 0;
}

int
notary_sign(notary_t *n, store_t *st, rw_ledger_head_t *head, bool *signed_now)
{
	rw_ledger_head_t h;
	uint8_t digest[32];
	bool already = false;
	int rv;

	*signed_now = false;
	memset(&h, 0, sizeof(h));
	if ((rv = store_ledger_tip(st, &h.seq, h.row_hash, &already)) != 0)
		return rv;
	if (h.seq == 0 || already) {
		if (head)
			*head = h;
		return 0;
	}
	h.signed_at = rw_now_us();
	memcpy(h.key_id, n->key_id, sizeof(h.key_id));
	memcpy(h.signer, n->signer, sizeof(h.signer));
	if ((rv = ledger_head_digest(h.seq, h.row_hash, h.signed_at, digest)) != 0 ||
	    (rv = sign_digest(n, digest, h.signature, sizeof(h.signature))) != 0 ||
	    (rv = store_ledger_head_add(st, &h)) != 0)
		return rv;
	log_info("audit.head-signed", "seq=%" PRId64 " hash=%.16s id=%" PRId64, h.seq, h.row_hash,
	         h.id);
	*signed_now = true;
	if (head)
		*head = h;
	return 0;
}

int
notary_head_table(const rw_ledger_head_t *h, bool signed_now, rw_table_t *out)
{
	static const char *const names[] = {"position", "row_hash", "signed_at", "signer", "head",
	                                    "new"};
	char seq[24], at[24], id[24];
	int rv = rw_table_init(out, "itTtib", names);
	if (rv != 0)
		return rv;
	snprintf(seq, sizeof(seq), "%" PRId64, h->seq);
	snprintf(at, sizeof(at), "%" PRId64, h->signed_at);
	snprintf(id, sizeof(id), "%" PRId64, h->id);
	const char *row[] = {seq, h->row_hash, h->signed_at ? at : "", h->signer,
	                     h->id ? id : "", signed_now ? "t" : "f"};
	return rw_table_add(out, row);
}

/* --- verifying ------------------------------------------------------------------ */

static int
report_row(rw_table_t *t, const char *check, const char *status, int64_t pos, int64_t row,
           const char *detail)
{
	char p[24] = "", r[24] = "";
	if (pos)
		snprintf(p, sizeof(p), "%" PRId64, pos);
	if (row)
		snprintf(r, sizeof(r), "%" PRId64, row);
	const char *cells[] = {check, status, p, r, detail};
	return rw_table_add(t, cells);
}

/* "ok", "foreign" (another key: not trusted, not an accusation) or "forged". */
static const char *
head_status(notary_t *n, const rw_ledger_head_t *h)
{
	uint8_t digest[32], sig[200];
	size_t len = 0;
	int rv;

	if (strcmp(h->key_id, n->key_id) != 0)
		return "foreign";
	if (unhex(h->signature, sig, sizeof(sig), &len) != 0 || len == 0 ||
	    ledger_head_digest(h->seq, h->row_hash, h->signed_at, digest) != 0)
		return "forged";
	/* pk_verify on a shared certificate context: serialised like signing. */
	pthread_mutex_lock(&n->lock);
	rv = mbedtls_pk_verify(&n->crt.pk, MBEDTLS_MD_SHA256, digest, 32, sig, len);
	pthread_mutex_unlock(&n->lock);
	return rv == 0 ? "ok" : "forged";
}

/* Checks signatures; keeps the trusted heads (at the front of heads) for the chain walk. */
static int
verify_heads(notary_t *n, rw_ledger_head_t *heads, size_t *nheads, rw_table_t *rep,
             size_t *forged, size_t *foreign)
{
	size_t kept = 0;
	int rv = 0;
	char why[200];

	for (size_t i = 0; i < *nheads && rv == 0; i++) {
		const char *st = head_status(n, &heads[i]);
		if (strcmp(st, "ok") == 0) {
			heads[kept++] = heads[i];
			continue;
		}
		if (strcmp(st, "forged") == 0) {
			(*forged)++;
			snprintf(why, sizeof(why), "head %" PRId64 ": signature does not verify under "
			         "this server's key: forged or altered", heads[i].id);
		} else {
			(*foreign)++;
			snprintf(why, sizeof(why), "head %" PRId64 ": signed by another key (%.16s...):"
			         " not trusted", heads[i].id, heads[i].key_id);
		}
		rv = report_row(rep, "head", st, heads[i].seq, heads[i].id, why);
	}
	*nheads = kept;
	return rv;
}

/* Streams the chain through the checker; stops at the first fault. */
static int
walk(store_t *st, struct ledger_check *c)
{
	int64_t after_seq = 0, after_id = 0;

	for (;;) {
		rw_ledger_row_t *rows = NULL;
		size_t n = 0;
		int rv = store_ledger_batch(st, after_seq, after_id, NOTARY_BATCH, &rows, &n);
		if (rv != 0)
			return rv;
		for (size_t i = 0; i < n; i++) {
			if ((rv = ledger_check_row(c, &rows[i])) != 0) {
				free(rows);
				return rv < 0 ? rv : 0;
			}
		}
		if (n > 0) {
			after_seq = rows[n - 1].seq;
			after_id = rows[n - 1].id;
		}
		free(rows);
		if (n < NOTARY_BATCH)
			break;
	}
	return ledger_check_end(c) < 0 ? RW_EINTERNAL : 0;
}

int
notary_verify(notary_t *n, store_t *st, rw_table_t *rep, bool *intact)
{
	static const char *const names[] = {"check", "status", "position", "row", "detail"};
	rw_ledger_head_t *heads = NULL;
	size_t nheads = 0, forged = 0, foreign = 0;
	struct ledger_check c;
	char sum[400];
	int rv;

	*intact = false;
	if ((rv = rw_table_init(rep, "ttiit", names)) != 0)
		return rv;
	if ((rv = store_ledger_heads(st, &heads, &nheads)) != 0)
		goto out;
	size_t total_heads = nheads;
	if ((rv = verify_heads(n, heads, &nheads, rep, &forged, &foreign)) != 0)
		goto out;
	ledger_check_init(&c, heads, nheads);
	if ((rv = walk(st, &c)) != 0)
		goto out;
	if (c.fault)
		rv = report_row(rep, "chain", ledger_fault_name(c.fault), c.fault_seq, c.fault_id,
		                c.fault_msg);
	else
		rv = report_row(rep, "chain", "ok", c.have_prev ? c.prev_seq : 0, 0,
		                "every row matches its hash and links to the row before it");
	if (rv != 0)
		goto out;
	*intact = !c.fault && forged == 0;
	snprintf(sum, sizeof(sum),
	         "%" PRId64 " rows checked%s; %zu signed heads (%zu trusted, %zu forged, %zu by "
	         "another key); latest trusted head at position %" PRId64,
	         c.rows, c.fault ? " up to the first fault" : "", total_heads, nheads, forged,
	         foreign, nheads ? heads[nheads - 1].seq : 0);
	rv = report_row(rep, "summary", *intact ? "intact" : "tampered",
	                c.have_prev ? c.prev_seq : 0, c.rows, sum);
out:
	free(heads);
	if (rv != 0)
		rw_table_free(rep);
	return rv;
}
