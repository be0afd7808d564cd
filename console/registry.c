/*
 * registry — manifest digest resolution over the OCI distribution API.
 *
 * What it does: parses references and challenges, runs HEAD then GET on the
 * manifest URL with libcurl (answering a 401 challenge once, with basic
 * credentials or a bearer token fetched from the realm), caps every
 * response body, and hashes the manifest with mbedTLS.  Why GET after HEAD:
 * HEAD tells us cheaply whether the tag exists and whether we are allowed,
 * but Rewind pins only digests of bytes it hashed itself, so the manifest is
 * always fetched and checked against the registry's Docker-Content-Digest.
 *
 * What it does not: follow redirects, pull blobs, cache tokens, or log
 * anything (the caller decides what to tell the operator; secrets never
 * reach msg).
 */
#include "registry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>
#include <mbedtls/sha256.h>

#include "err.h"

static const char *const registry_accept =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

/* --- pure parts -------------------------------------------------------------- */

static bool
is_host_component(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && strncmp(s, "localhost", 9) == 0);
}

int
registry_ref_parse(const char *image, struct registry_ref *out, char *msg, size_t msgsz)
{
	const char *slash, *colon, *first, *path;
	size_t hlen, plen;

	memset(out, 0, sizeof(*out));
	if (rw_check_image_ref("image", image, msg, msgsz) != 0)
		return RW_EINVAL;
	slash = strrchr(image, '/');
	colon = strrchr(slash ? slash : image, ':');
	first = strchr(image, '/');
	if (first && is_host_component(image, (size_t)(first - image))) {
		hlen = (size_t)(first - image);
		path = first + 1;
	} else {
		hlen = 0;
		path = image;
	}
	if (hlen > REGISTRY_HOST_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "image: registry host too long");
	plen = (size_t)(colon - path);
	if (hlen) {
		memcpy(out->host, image, hlen);
		out->host[hlen] = '\0';
	} else {
		snprintf(out->host, sizeof(out->host), "docker.io");
	}
	/* Docker Hub's API is not on docker.io itself; official images live under library/. */
	bool hub = strcmp(out->host, "docker.io") == 0 || strcmp(out->host, "index.docker.io") == 0;
	snprintf(out->api_host, sizeof(out->api_host), "%s", hub ? "registry-1.docker.io" : out->host);
	if (snprintf(out->name, sizeof(out->name), "%s%.*s",
	             hub && !memchr(path, '/', plen) ? "library/" : "", (int)plen,
	             path) >= (int)sizeof(out->name))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "image: repository too long");
	return RW_STRCPY(out->tag, colon + 1) ? RW_ETOOBIG : 0;
}

/* Copies one auth-param value (quoted or token) from *p into dst; advances *p. */
static void
auth_value(const char **p, char *dst, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	bool quoted = *s == '"';

	if (quoted)
		s++;
	while (*s && (quoted ? *s != '"' : (*s != ',' && !isspace((unsigned char)*s)))) {
		if (quoted && *s == '\\' && s[1])
			s++;
		if (n + 1 < cap)
			dst[n++] = *s;
		s++;
	}
	dst[n] = '\0';
	if (quoted && *s == '"')
		s++;
	*p = s;
}

int
registry_auth_parse(const char *header, struct registry_challenge *out)
{
	const char *p = header;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!header)
		return RW_EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	while (isalpha((unsigned char)p[n]))
		n++;
	if (n == 0 || n >= sizeof(out->scheme))
		return RW_EINVAL;
	for (size_t i = 0; i < n; i++)
		out->scheme[i] = (char)tolower((unsigned char)p[i]);
	if (strcmp(out->scheme, "bearer") != 0 && strcmp(out->scheme, "basic") != 0)
		return RW_EINVAL;
	p += n;
	while (*p) {
		char key[32];
		size_t k = 0;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		while (*p && *p != '=' && *p != ',' && k + 1 < sizeof(key))
			key[k++] = (char)tolower((unsigned char)*p++);
		key[k] = '\0';
		if (*p != '=')
			break;
		p++;
		if (strcmp(key, "realm") == 0)
			auth_value(&p, out->realm, sizeof(out->realm));
		else if (strcmp(key, "service") == 0)
			auth_value(&p, out->service, sizeof(out->service));
		else if (strcmp(key, "scope") == 0)
			auth_value(&p, out->scope, sizeof(out->scope));
		else {
			char skip[512];
			auth_value(&p, skip, sizeof(skip));
		}
	}
	if (strcmp(out->scheme, "bearer") == 0 && !out->realm[0])
		return RW_EINVAL;
	return 0;
}

int
registry_digest_check(const void *body, size_t len, const char *header_digest, char *digest,
                       char *msg, size_t msgsz)
{
	unsigned char sum[32];

	if (mbedtls_sha256_ret(body, len, sum, 0) != 0)
		return rw_fail(RW_ECRYPTO, msg, msgsz, "cannot hash the manifest");
	memcpy(digest, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(digest + 7 + 2 * i, 3, "%02x", sum[i]);
	if (header_digest && *header_digest && strcmp(header_digest, digest) != 0)
		return rw_fail(RW_ECRYPTO, msg, msgsz,
		               "registry says the manifest is %.80s but its bytes hash to %s",
		               header_digest, digest);
	return 0;
}

bool
registry_host_is_loopback(const char *host)
{
	size_t n = strcspn(host, ":");
	if (strncmp(host, "[::1]", 5) == 0)
		return true;
	if (n == 9 && strncmp(host, "localhost", 9) == 0)
		return true;
	if (strncmp(host, "127.", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return false;
	return true;
}

int
registry_creds_lookup(const char *path, const char *host, char *user, size_t usersz, char *pass,
                      size_t passsz, char *msg, size_t msgsz)
{
	struct stat sb;
	char line[1200];
	int rv = RW_ENOTFOUND;
	FILE *f = fopen(path, "r");

	if (!f)
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "no credentials file %s", path);
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077)) {
		fclose(f);
		return rw_fail(RW_EPERM, msg, msgsz,
		               "%s is readable by others; it holds passwords (chmod 600 it)", path);
	}
	while (fgets(line, sizeof(line), f)) {
		char h[REGISTRY_HOST_MAX + 1], u[REGISTRY_CRED_MAX + 1], pw[REGISTRY_CRED_MAX + 1];
		if (line[0] == '#' || sscanf(line, "%255s %512s %512s", h, u, pw) != 3)
			continue;
		if (strcmp(h, host) != 0)
			continue;
		if (rw_strcpy(user, usersz, u) || rw_strcpy(pass, passsz, pw))
			rv = rw_fail(RW_ETOOBIG, msg, msgsz, "credentials for %s too long", host);
		else
			rv = 0;
		break;
	}
	memset(line, 0, sizeof(line));
	fclose(f);
	return rv;
}

/* --- HTTP -------------------------------------------------------------------------- */

struct resp {
	long status;
	char *body;
	size_t len, cap;         /* cap: most bytes accepted */
	bool too_big;
	char digest[RW_DIGEST_MAX + 8];
	char content_type[128];
	char www_auth[2048];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	char *nb;

	if (r->len + n > r->cap) {
		r->too_big = true;
		return 0;                         /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Copies a header's value (trimmed) into dst when its name matches. */
static void
header_take(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
	size_t k = strlen(name), v;
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	line += k + 1;
	n -= k + 1;
	while (n && isspace((unsigned char)*line)) {
		line++;
		n--;
	}
	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	v = n < cap - 1 ? n : cap - 1;
	memcpy(dst, line, v);
	dst[v] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	header_take(line, n, "docker-content-digest", r->digest, sizeof(r->digest));
	header_take(line, n, "content-type", r->content_type, sizeof(r->content_type));
	header_take(line, n, "www-authenticate", r->www_auth, sizeof(r->www_auth));
	return n;
}

/* How a request authenticates: nothing, basic user/password, or a bearer token. */
struct auth {
	const char *user, *password;
	char *bearer;             /* owned */
};

static int
http(const char *method, const char *url, const struct auth *a, const struct registry_opts *o,
     size_t cap, struct resp *r, char *msg, size_t msgsz)
{
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();
	CURLcode cc;
	int rv = 0;

	memset(r, 0, sizeof(*r));
	r->cap = cap;
	if (!c || !(hdrs = curl_slist_append(NULL, registry_accept))) {
		curl_easy_cleanup(c);
		return RW_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s > 0 ? o->timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "rewind/" REWIND_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (a && a->bearer) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, a->bearer);
	} else if (a && a->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, a->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, a->password ? a->password : "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	} else if (r->too_big) {
		rv = rw_fail(RW_ETOOBIG, msg, msgsz, "registry response larger than %zu bytes", cap);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rv = rw_fail(RW_ETIMEDOUT, msg, msgsz, "registry did not answer in time");
	} else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
		rv = rw_fail(RW_ECONNECT, msg, msgsz, "cannot reach the registry: %s",
		             curl_easy_strerror(cc));
	} else {
		rv = rw_fail(RW_EPROTO, msg, msgsz, "registry request failed: %s",
		             curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rv;
}

static void
resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* Realms get the same scheme rule as registries: https, or http on loopback with insecure. */
static int
realm_ok(const char *realm, const struct registry_opts *o)
{
	if (strncmp(realm, "https://", 8) == 0)
		return 1;
	return o->insecure && strncmp(realm, "http://", 7) == 0 &&
	       registry_host_is_loopback(realm + 7);
}

/* GET realm?service=&scope= (with basic credentials when we have them) for a bearer token. */
static int
fetch_token(const struct registry_challenge *ch, const struct registry_opts *o, struct auth *a,
            char *msg, size_t msgsz)
{
	char url[RW_URL_MAX * 2 + 1024];
	struct auth basic = {o->user, o->password, NULL};
	json_error_t jerr;
	struct resp r;
	json_t *j, *t;
	CURL *esc = curl_easy_init();
	char *svc, *scope;
	int rv;

	if (!realm_ok(ch->realm, o)) {
		curl_easy_cleanup(esc);
		return rw_fail(RW_EAUTH, msg, msgsz, "refusing token realm %.200s (not https)",
		               ch->realm);
	}
	if (!esc)
		return RW_ENOMEM;
	svc = curl_easy_escape(esc, ch->service, 0);
	scope = curl_easy_escape(esc, ch->scope, 0);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", ch->realm,
	         strchr(ch->realm, '?') ? "&" : "?", svc ? svc : "", scope ? scope : "");
	curl_free(svc);
	curl_free(scope);
	curl_easy_cleanup(esc);
	rv = http("GET", url, o->user ? &basic : NULL, o, REGISTRY_TOKEN_MAX, &r, msg, msgsz);
	if (rv)
		return rv;
	if (r.status == 401 || r.status == 403) {
		resp_free(&r);
		return rw_fail(RW_EAUTH, msg, msgsz, "the token service refused %s (HTTP %ld)",
		               o->user ? "the credentials" : "anonymous access", r.status);
	}
	j = r.status == 200 && r.body ? json_loads(r.body, 0, &jerr) : NULL;
	resp_free(&r);
	t = json_object_get(j, "token");
	if (!json_is_string(t))
		t = json_object_get(j, "access_token");
	if (!json_is_string(t) || !*json_string_value(t)) {
		json_decref(j);
		return rw_fail(RW_EPROTO, msg, msgsz, "the token service gave no token (HTTP %ld)",
		               r.status);
	}
	a->bearer = strdup(json_string_value(t));
	json_decref(j);
	return a->bearer ? 0 : RW_ENOMEM;
}

/* Turns a 401 into the authentication the registry asked for. */
static int
answer_challenge(const struct resp *r, const struct registry_opts *o, struct auth *a, char *msg,
                 size_t msgsz)
{
	struct registry_challenge ch;

	if (registry_auth_parse(r->www_auth, &ch) != 0)
		return rw_fail(RW_EAUTH, msg, msgsz,
		               "registry answered 401 without a usable WWW-Authenticate challenge");
	if (strcmp(ch.scheme, "bearer") == 0)
		return fetch_token(&ch, o, a, msg, msgsz);
	if (!o->user)
		return rw_fail(RW_EAUTH, msg, msgsz,
		               "registry needs credentials (REWIND_REGISTRY_USER/PASSWORD or "
		               "--registry-auth FILE)");
	a->user = o->user;
	a->password = o->password;
	return 0;
}

static int
status_err(const struct resp *r, const struct registry_ref *ref, bool authed, char *msg,
           size_t msgsz)
{
	if (r->status == 404)
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "%s/%s:%s not found in the registry",
		               ref->host, ref->name, ref->tag);
	if (r->status == 401 || r->status == 403)
		return rw_fail(RW_EAUTH, msg, msgsz, "registry refused %s (HTTP %ld)",
		               authed ? "the credentials" : "anonymous access", r->status);
	return rw_fail(RW_EPROTO, msg, msgsz, "registry answered HTTP %ld", r->status);
}

static bool
manifest_type_ok(const char *ct)
{
	static const char *const types[] = {
	    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
	    "application/vnd.docker.distribution.manifest.list.v2+json",
	    "application/vnd.docker.distribution.manifest.v2+json"};
	size_t n = strcspn(ct, "; ");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && strncmp(ct, types[i], n) == 0)
			return true;
	return false;
}

/* The GET's body must be a manifest: right media type, a JSON object with schemaVersion 2. */
static int
manifest_check(const struct resp *r, const char *head_digest, char *digest, char *msg,
               size_t msgsz)
{
	json_error_t jerr;
	json_t *j;
	int rv;

	if (!manifest_type_ok(r->content_type))
		return rw_fail(RW_EPROTO, msg, msgsz, "registry sent %.100s, not an image manifest",
		               r->content_type[0] ? r->content_type : "no content type");
	j = r->body ? json_loads(r->body, 0, &jerr) : NULL;
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "schemaVersion")) != 2) {
		json_decref(j);
		return rw_fail(RW_EPROTO, msg, msgsz, "registry sent a body that is not a manifest");
	}
	json_decref(j);
	if ((rv = registry_digest_check(r->body, r->len, r->digest, digest, msg, msgsz)) != 0)
		return rv;
	/* The tag must not have moved between HEAD and GET either. */
	return registry_digest_check(r->body, r->len, head_digest, digest, msg, msgsz);
}

int
registry_resolve(const struct registry_ref *ref, const struct registry_opts *o, char *digest,
                 char *msg, size_t msgsz)
{
	char url[RW_IMAGE_MAX * 2 + 64], head_digest[RW_DIGEST_MAX + 8];
	struct auth a = {0};
	struct resp r;
	int rv;

	digest[0] = '\0';
	if (o->insecure && !registry_host_is_loopback(ref->api_host))
		return rw_fail(RW_EINVAL, msg, msgsz,
		               "--registry-insecure is allowed for loopback registries only");
	snprintf(url, sizeof(url), "%s://%s/v2/%s/manifests/%s", o->insecure ? "http" : "https",
	         ref->api_host, ref->name, ref->tag);
	if ((rv = http("HEAD", url, NULL, o, 0, &r, msg, msgsz)) != 0)
		return rv;
	if (r.status == 401) {
		if ((rv = answer_challenge(&r, o, &a, msg, msgsz)) != 0)
			goto out;
		if ((rv = http("HEAD", url, &a, o, 0, &r, msg, msgsz)) != 0)
			goto out;
	}
	if (r.status != 200) {
		rv = status_err(&r, ref, a.user || a.bearer, msg, msgsz);
		goto out;
	}
	snprintf(head_digest, sizeof(head_digest), "%s", r.digest);
	if ((rv = http("GET", url, &a, o, REGISTRY_MANIFEST_MAX, &r, msg, msgsz)) != 0)
		goto out;
	if (r.status != 200)
		rv = status_err(&r, ref, a.user || a.bearer, msg, msgsz);
	else
		rv = manifest_check(&r, head_digest, digest, msg, msgsz);
	resp_free(&r);
out:
	if (a.bearer) {
		memset(a.bearer, 0, strlen(a.bearer));
		free(a.bearer);
	}
	if (rv)
		digest[0] = '\0';
	return rv;
}
