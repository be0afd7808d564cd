/*
 * kutil: clocks, timestamps, human ages, random ids and hashing for kubesim.
 * Randomness comes from mbedTLS CTR-DRBG behind its own mutex, so any thread
 * may ask for names. Does not touch JSON or the object store.
 */
#include "kutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/sha256.h>

/* The alphabet Kubernetes uses for generated name suffixes (no vowels). */
static const char ku_safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

static pthread_mutex_t ku_rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context ku_entropy;
static mbedtls_ctr_drbg_context ku_drbg;
static int ku_ready;

int ku_init(void)
{
    if (ku_ready)
        return 0;
    mbedtls_entropy_init(&ku_entropy);
    mbedtls_ctr_drbg_init(&ku_drbg);
    static const char pers[] = "rewind-kubesim";
    if (mbedtls_ctr_drbg_seed(&ku_drbg, mbedtls_entropy_func, &ku_entropy,
                              (const unsigned char *)pers, sizeof(pers) - 1) != 0)
        return -EIO;
    ku_ready = 1;
    return 0;
}

void ku_shutdown(void)
{
    if (!ku_ready)
        return;
    mbedtls_ctr_drbg_free(&ku_drbg);
    mbedtls_entropy_free(&ku_entropy);
    ku_ready = 0;
}

static int ku_random_bytes(unsigned char *out, size_t n)
{
    /* Unit tests may never call ku_init; seed lazily in that case. */
    if (!ku_ready && ku_init() != 0)
        return -EIO;
    pthread_mutex_lock(&ku_rng_lock);
    int rc = mbedtls_ctr_drbg_random(&ku_drbg, out, n);
    pthread_mutex_unlock(&ku_rng_lock);
    return rc == 0 ? 0 : -EIO;
}

int64_t ku_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ku_rfc3339(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ku_parse_rfc3339(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s)
        return -EINVAL;
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return -EINVAL;
    *out = timegm(&tm);
    return 0;
}

void ku_human_duration(int64_t seconds, char *buf, size_t len)
{
    /* Mirrors k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
    if (seconds < -1) {
        snprintf(buf, len, "<invalid>");
        return;
    }
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60 * 2) {
        snprintf(buf, len, "%llds", (long long)seconds);
        return;
    }
    long long minutes = seconds / 60;
    if (minutes < 10) {
        long long s = seconds % 60;
        if (s == 0)
            snprintf(buf, len, "%lldm", minutes);
        else
            snprintf(buf, len, "%lldm%llds", minutes, s);
        return;
    }
    if (minutes < 60 * 3) {
        snprintf(buf, len, "%lldm", minutes);
        return;
    }
    long long hours = seconds / 3600;
    if (hours < 8) {
        long long m = minutes % 60;
        if (m == 0)
            snprintf(buf, len, "%lldh", hours);
        else
            snprintf(buf, len, "%lldh%lldm", hours, m);
        return;
    }
    if (hours < 48) {
        snprintf(buf, len, "%lldh", hours);
        return;
    }
    if (hours < 24 * 8) {
        long long h = hours % 24;
        if (h == 0)
            snprintf(buf, len, "%lldd", hours / 24);
        else
            snprintf(buf, len, "%lldd%lldh", hours / 24, h);
        return;
    }
    if (hours < 24 * 365 * 2) {
        snprintf(buf, len, "%lldd", hours / 24);
        return;
    }
    if (hours < 24 * 365 * 8) {
        long long dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(buf, len, "%lldy", hours / 24 / 365);
        else
            snprintf(buf, len, "%lldy%lldd", hours / 24 / 365, dy);
        return;
    }
    snprintf(buf, len, "%lldy", hours / 24 / 365);
}

int ku_random_name(char *buf, size_t n)
{
    unsigned char raw[64];
    if (n > sizeof(raw))
        return -EINVAL;
    int rc = ku_random_bytes(raw, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        buf[i] = ku_safe_alphabet[raw[i] % (sizeof(ku_safe_alphabet) - 1)];
    buf[n] = '\0';
    return 0;
}

int ku_random_uuid(char *buf, size_t len)
{
    unsigned char b[16];
    if (len < 37)
        return -EINVAL;
    int rc = ku_random_bytes(b, sizeof(b));
    if (rc)
        return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, len,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

int ku_random_hex(char *buf, size_t n)
{
    unsigned char raw[64];
    if (n % 2 || n / 2 > sizeof(raw))
        return -EINVAL;
    int rc = ku_random_bytes(raw, n / 2);
    if (rc)
        return rc;
    for (size_t i = 0; i < n / 2; i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    buf[n] = '\0';
    return 0;
}

int ku_sha256_hex(const void *data, size_t len, char *hex, size_t hexlen)
{
    unsigned char sum[32];
    if (hexlen < 65)
        return -EINVAL;
    if (mbedtls_sha256_ret(data, len, sum, 0) != 0)
        return -EIO;
    for (size_t i = 0; i < sizeof(sum); i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    return 0;
}

int ku_hash_name(const void *data, size_t len, char *out, size_t n)
{
    unsigned char sum[32];
    if (n > sizeof(sum))
        return -EINVAL;
    if (mbedtls_sha256_ret(data, len, sum, 0) != 0)
        return -EIO;
    for (size_t i = 0; i < n; i++)
        out[i] = ku_safe_alphabet[sum[i] % (sizeof(ku_safe_alphabet) - 1)];
    out[n] = '\0';
    return 0;
}

char *ku_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}
