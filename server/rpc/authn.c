/*
 * authn — pipe id -> session state, in a chained hash table under one
 * mutex.  Signature verification runs outside the lock: it is the expensive
 * part and needs no shared state beyond the read-only CA.
 */
#include "authn.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define AUTHN_BUCKETS 4096

struct session {
	uint32_t pipe;
	bool has_nonce;
	bool bound;
	uint8_t nonce[RW_NONCE_LEN];
	rw_actor_t who;
	struct session *next;
};

struct authn {
	pthread_mutex_t lock;
	pki_verifier_t *verifier;
	size_t max_sessions;
	size_t count;
	size_t bound;
	size_t bound_agents;
	struct session *buckets[AUTHN_BUCKETS];
};

int
authn_new(const char *ca_path, size_t max_sessions, authn_t **out, char *msg, size_t msgsz)
{
	authn_t *a = calloc(1, sizeof(*a));
	int rv;

	*out = NULL;
	if (!a)
		return RW_ENOMEM;
	if ((rv = pki_verifier_new(ca_path, &a->verifier)) != 0) {
		snprintf(msg, msgsz, "cannot load CA %s: %s", ca_path, rw_strerror(rv));
		free(a);
		return rv;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->max_sessions = max_sessions;
	*out = a;
	return 0;
}

void
authn_free(authn_t *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < AUTHN_BUCKETS; i++) {
		struct session *s = a->buckets[i];
		while (s) {
			struct session *next = s->next;
			free(s);
			s = next;
		}
	}
	pki_verifier_free(a->verifier);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static struct session **
slot_of(authn_t *a, uint32_t pipe)
{
	struct session **pp = &a->buckets[pipe % AUTHN_BUCKETS];
	while (*pp && (*pp)->pipe != pipe)
		pp = &(*pp)->next;
	return pp;
}

int
authn_pipe_added(authn_t *a, uint32_t pipe)
{
	struct session *s;
	int rv = 0;

	pthread_mutex_lock(&a->lock);
	if (*slot_of(a, pipe))
		goto out;
	if (a->count >= a->max_sessions) {
		rv = RW_EBUSY;
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		rv = RW_ENOMEM;
		goto out;
	}
	s->pipe = pipe;
	s->next = a->buckets[pipe % AUTHN_BUCKETS];
	a->buckets[pipe % AUTHN_BUCKETS] = s;
	a->count++;
out:
	pthread_mutex_unlock(&a->lock);
	return rv;
}

void
authn_pipe_removed(authn_t *a, uint32_t pipe)
{
	struct session **pp, *s;

	pthread_mutex_lock(&a->lock);
	pp = slot_of(a, pipe);
	if ((s = *pp) != NULL) {
		*pp = s->next;
		a->count--;
		if (s->bound)
			a->bound--;
		if (s->bound && s->who.role == RW_ROLE_AGENT)
			a->bound_agents--;
		free(s);
	}
	pthread_mutex_unlock(&a->lock);
}

int
authn_challenge(authn_t *a, uint32_t pipe, uint8_t nonce[RW_NONCE_LEN])
{
	struct session *s;
	int rv;

	if ((rv = pki_random(nonce, RW_NONCE_LEN)) != 0)
		return rv;
	pthread_mutex_lock(&a->lock);
	s = *slot_of(a, pipe);
	if (s) {
		memcpy(s->nonce, nonce, RW_NONCE_LEN);
		s->has_nonce = true;
	}
	pthread_mutex_unlock(&a->lock);
	/* A pipe we never saw added is already gone (closed before we got here). */
	return s ? 0 : RW_EUNAVAIL;
}

/* Takes the pipe's nonce out, so each nonce can be used for one proof only. */
static int
take_nonce(authn_t *a, uint32_t pipe, uint8_t nonce[RW_NONCE_LEN])
{
	struct session *s;
	int rv = RW_EAUTH;

	pthread_mutex_lock(&a->lock);
	s = *slot_of(a, pipe);
	if (s && s->has_nonce) {
		memcpy(nonce, s->nonce, RW_NONCE_LEN);
		s->has_nonce = false;
		rv = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rv;
}

int
authn_prove(authn_t *a, uint32_t pipe, const char *cert_pem, size_t cert_len,
            const uint8_t *sig, size_t sig_len, rw_actor_t *who, char *msg, size_t msgsz)
{
	uint8_t nonce[RW_NONCE_LEN];
	struct session *s;
	int rv;

	if (take_nonce(a, pipe, nonce) != 0) {
		snprintf(msg, msgsz, "no challenge outstanding on this session: send hello first");
		return RW_EAUTH;
	}
	rv = pki_verify_proof(a->verifier, cert_pem, cert_len, nonce, sizeof(nonce), sig, sig_len,
	                      who, msg, msgsz);
	if (rv != 0)
		return RW_EAUTH;
	pthread_mutex_lock(&a->lock);
	s = *slot_of(a, pipe);
	if (s) {
		if (!s->bound)
			a->bound++;
		if (s->bound && s->who.role == RW_ROLE_AGENT)
			a->bound_agents--;
		if (who->role == RW_ROLE_AGENT)
			a->bound_agents++;
		s->bound = true;
		s->who = *who;
	}
	pthread_mutex_unlock(&a->lock);
	return s ? 0 : RW_EUNAVAIL;
}

int
authn_lookup(authn_t *a, uint32_t pipe, rw_actor_t *who)
{
	struct session *s;
	int rv = RW_EAUTH;

	pthread_mutex_lock(&a->lock);
	s = *slot_of(a, pipe);
	if (s && s->bound) {
		*who = s->who;
		rv = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rv;
}

size_t
authn_bound_count(authn_t *a, size_t *agents)
{
	size_t n;
	pthread_mutex_lock(&a->lock);
	n = a->bound;
	if (agents)
		*agents = a->bound_agents;
	pthread_mutex_unlock(&a->lock);
	return n;
}
