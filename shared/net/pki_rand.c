/*
 * pki_rand — the fleet PKI's randomness: one process-wide CTR-DRBG, seeded
 * once from mbedtls_entropy, behind a mutex; it reseeds itself in a forked
 * child so parent and child never share a stream.  Keys, serials and
 * signatures draw from it (pki_rng); it knows nothing of certificates.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "err.h"
#include "pki.h"
#include "pki_int.h"

/* ------------------------------------------------------------------------ */
/* Random numbers                                                             */

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_seeded;
static pid_t rng_pid;

/* Caller holds rng_lock.  Seeds on first use; a forked child reseeds so it
 * never repeats its parent's stream. */
static int
rng_ready_locked(void)
{
	static const unsigned char pers[] = "rewind-pki";
	pid_t pid = getpid();

	if (rng_seeded) {
		if (rng_pid == pid)
			return 0;
		if (mbedtls_ctr_drbg_reseed(&rng_drbg, NULL, 0) != 0)
			return RW_ECRYPTO;
		rng_pid = pid;
		return 0;
	}
	mbedtls_entropy_init(&rng_entropy);
	mbedtls_ctr_drbg_init(&rng_drbg);
	if (mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy, pers,
	                          sizeof(pers) - 1) != 0) {
		/* Leave the contexts freed so the next call tries again from scratch. */
		mbedtls_ctr_drbg_free(&rng_drbg);
		mbedtls_entropy_free(&rng_entropy);
		return RW_ECRYPTO;
	}
	rng_seeded = 1;
	rng_pid = pid;
	return 0;
}

/* mbedTLS f_rng callback over the shared DRBG. */
int
pki_rng(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return pki_random(out, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int
pki_random(uint8_t *buf, size_t len)
{
	int rv;

	if (buf == NULL && len > 0)
		return RW_EINVAL;
	pthread_mutex_lock(&rng_lock);
	rv = rng_ready_locked();
	while (rv == 0 && len > 0) {
		/* CTR-DRBG hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call. */
		size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&rng_drbg, buf, n) != 0)
			rv = RW_ECRYPTO;
		buf += n;
		len -= n;
	}
	pthread_mutex_unlock(&rng_lock);
	return rv;
}
