/*
 * registry — pins an image tag to its manifest digest through the OCI
 * distribution API (libcurl): HEAD then GET /v2/<name>/manifests/<tag> with
 * the OCI index/manifest and Docker v2 list/manifest media types, anonymous,
 * HTTP basic, or the bearer-token challenge flow (GHCR, Docker Hub).
 *
 * The digest returned is always the SHA-256 of manifest bytes this module
 * read itself; a Docker-Content-Digest header that disagrees is an error.
 * The pure parts (reference parsing, WWW-Authenticate parsing, digest
 * checking, credentials file lookup) are separate functions for unit tests.
 * This module never logs credentials or tokens, and does not pull blobs.
 */
#ifndef REWIND_REGISTRY_H
#define REWIND_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

#define REGISTRY_MANIFEST_MAX (4 * 1024 * 1024) /* bytes of one manifest we accept */
#define REGISTRY_TOKEN_MAX (64 * 1024)          /* bytes of a token response */
#define REGISTRY_HOST_MAX 255
#define REGISTRY_CRED_MAX 512

/* An image reference split the way Docker does it. */
struct registry_ref {
	char host[REGISTRY_HOST_MAX + 1];  /* as written, e.g. ghcr.io, localhost:5000, docker.io */
	char api_host[REGISTRY_HOST_MAX + 1]; /* where the API lives (registry-1.docker.io for docker.io) */
	char name[RW_IMAGE_MAX + 1];       /* repository path, e.g. crisisk/app, library/nginx */
	char tag[RW_VERSION_MAX + 1];
};

/*
 * Parses REPO:TAG.  The first path component is a registry host when it has
 * a '.' or a ':' or is "localhost"; otherwise the image is on docker.io
 * (single names get "library/").  A tag is required.
 */
int registry_ref_parse(const char *image, struct registry_ref *out, char *msg, size_t msgsz);

/* One WWW-Authenticate challenge. */
struct registry_challenge {
	char scheme[16];                  /* "bearer" or "basic" (lower-cased) */
	char realm[RW_URL_MAX + 1];
	char service[REGISTRY_HOST_MAX + 1];
	char scope[512];
};

/* Parses `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
int registry_auth_parse(const char *header, struct registry_challenge *out);

/*
 * Computes sha256:<hex> of body into digest (RW_DIGEST_MAX + 1 bytes) and,
 * when header_digest is non-empty, checks that it is the same (RW_ECRYPTO
 * otherwise, with both in msg).
 */
int registry_digest_check(const void *body, size_t len, const char *header_digest, char *digest,
                          char *msg, size_t msgsz);

/* localhost, 127.0.0.0/8 or [::1], with or without a port. */
bool registry_host_is_loopback(const char *host);

/*
 * Finds HOST's credentials in a file of "HOST USER PASSWORD" lines (# for
 * comments).  RW_ENOTFOUND when the host has none; RW_EPERM when the file is
 * readable by group or others (it holds passwords).
 */
int registry_creds_lookup(const char *path, const char *host, char *user, size_t usersz,
                          char *pass, size_t passsz, char *msg, size_t msgsz);

struct registry_opts {
	const char *user;       /* NULL: anonymous */
	const char *password;
	bool insecure;          /* plain http, allowed for loopback registries only */
	long timeout_s;         /* per HTTP request; <= 0 means 30 */
};

/*
 * Resolves ref's tag to its manifest digest.  Errors: RW_ENOTFOUND (no such
 * tag or repository), RW_EAUTH (credentials missing or refused),
 * RW_ECONNECT (unreachable), RW_ECRYPTO (digest header disagrees with the
 * body), RW_EPROTO (not a manifest, HTTP error), RW_ETOOBIG, RW_EINVAL
 * (insecure for a non-loopback host).  msg says which, for the operator.
 */
int registry_resolve(const struct registry_ref *ref, const struct registry_opts *o, char *digest,
                     char *msg, size_t msgsz);

#endif
