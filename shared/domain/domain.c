/*
 * domain — validation rules and small helpers for the domain structs.
 * Pure functions; no I/O, no allocation except jansson's inside the JSON check.
 */
#include "domain.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"

static const char *role_names[] = {"none", "viewer", "operator", "admin", "agent"};

const char *
rw_role_name(enum rw_role role)
{
	if ((unsigned)role > RW_ROLE_AGENT)
		return "none";
	return role_names[role];
}

enum rw_role
rw_role_parse(const char *name)
{
	for (int i = RW_ROLE_VIEWER; i <= RW_ROLE_AGENT; i++)
		if (name && strcmp(name, role_names[i]) == 0)
			return (enum rw_role)i;
	return RW_ROLE_NONE;
}

const char *
rw_outcome_name(enum rw_outcome o)
{
	switch (o) {
	case RW_OUTCOME_PENDING: return "pending";
	case RW_OUTCOME_SUCCEEDED: return "succeeded";
	case RW_OUTCOME_FAILED: return "failed";
	case RW_OUTCOME_ROLLED_BACK: return "rolled-back";
	}
	return "unknown";
}

bool
rw_role_allows(enum rw_role role, enum rw_perm perm)
{
	switch (perm) {
	case RW_PERM_READ:
		return role == RW_ROLE_VIEWER || role == RW_ROLE_OPERATOR || role == RW_ROLE_ADMIN;
	case RW_PERM_WRITE:
		return role == RW_ROLE_OPERATOR || role == RW_ROLE_ADMIN;
	case RW_PERM_ADMIN:
		return role == RW_ROLE_ADMIN;
	case RW_PERM_AGENT:
		return role == RW_ROLE_AGENT;
	}
	return false;
}

int
rw_check_fail(int err, char *msg, size_t msgsz, const char *field, const char *why)
{
	return rw_fail(err, msg, msgsz, "%s: %s", field, why);
}

int
rw_strcpy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (cap == 0)
		return RW_ETOOBIG;
	if (n >= cap) {
		dst[0] = '\0';
		return RW_ETOOBIG;
	}
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return 0;
}

int64_t
rw_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec
rw_deadline(clockid_t clock, long ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric. */
int
rw_check_name(const char *field, const char *v, char *msg, size_t msgsz)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (n > RW_NAME_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "longer than 63 characters");
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
		if (!ok)
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "may contain only lower-case letters, digits and '-'");
	}
	if (v[0] == '-' || v[n - 1] == '-')
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must start and end with a letter or digit");
	return 0;
}

/*
 * Valid UTF-8 without control characters other than tab and newline.
 * Shortest form only (no overlong encodings), no surrogates, nothing past
 * U+10FFFF: what PostgreSQL and jansson accept too.
 */
static bool
text_ok(const char *v)
{
	static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
	const unsigned char *p = (const unsigned char *)v;
	while (*p) {
		unsigned c = *p;
		uint32_t cp;
		int extra;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				return false;
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			extra = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;   /* also stops at the NUL of a truncated sequence */
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

int
rw_check_text(const char *field, const char *v, size_t max, char *msg, size_t msgsz)
{
	if (!v)
		return 0;
	if (strlen(v) > max)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "too long");
	if (!text_ok(v))
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be UTF-8 text without control characters");
	return 0;
}

/* registry/path components: lower-case alphanumerics and . _ - / : (port) */
int
rw_check_image_repo(const char *field, const char *v, char *msg, size_t msgsz)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (n > RW_IMAGE_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "too long");
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		          c == '-' || c == '/' || c == ':';
		if (!ok)
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "not an image repository (lower-case letters, digits, . _ - / :)");
	}
	if (v[0] == '/' || v[n - 1] == '/' || strstr(v, "//"))
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "has an empty path component");
	return 0;
}

/* Docker tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
int
rw_check_tag(const char *field, const char *v, char *msg, size_t msgsz)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (n > RW_VERSION_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "longer than 128 characters");
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		bool ok = isalnum((unsigned char)c) || c == '_' || (i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "not a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]*)");
	}
	return 0;
}

int
rw_check_digest(const char *field, const char *v, char *msg, size_t msgsz)
{
	if (!v || !*v)
		return 0;
	if (strlen(v) != 71 || strncmp(v, "sha256:", 7) != 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be sha256: followed by 64 hex digits");
	for (size_t i = 7; i < 71; i++)
		if (!isxdigit((unsigned char)v[i]) || isupper((unsigned char)v[i]))
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "must be sha256: followed by 64 lower-case hex digits");
	return 0;
}

/* repo:tag, where the tag is after the last ':' that follows the last '/'. */
int
rw_check_image_ref(const char *field, const char *v, char *msg, size_t msgsz)
{
	char repo[RW_IMAGE_MAX + 1];
	const char *slash, *colon;
	size_t rlen;

	if (!v || !*v)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (strlen(v) > RW_IMAGE_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "too long");
	slash = strrchr(v, '/');
	colon = strrchr(slash ? slash : v, ':');
	if (!colon)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be REPOSITORY:TAG");
	rlen = (size_t)(colon - v);
	memcpy(repo, v, rlen);
	repo[rlen] = '\0';
	if (rw_check_image_repo(field, repo, msg, msgsz) != 0)
		return RW_EINVAL;
	return rw_check_tag(field, colon + 1, msg, msgsz);
}

int
rw_check_json_object(const char *field, const char *v, size_t max, char *msg, size_t msgsz)
{
	json_error_t jerr;
	json_t *j;

	if (!v || !*v)
		return 0;
	if (strlen(v) > max)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "too long");
	j = json_loads(v, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "is not valid JSON");
	bool obj = json_is_object(j);
	json_decref(j);
	if (!obj)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be a JSON object");
	return 0;
}

int
rw_service_check(const rw_service_t *s, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("name", s->name, msg, msgsz)) ||
	    (rv = rw_check_name("namespace", s->namespace_, msg, msgsz)) ||
	    (rv = rw_check_name("deployment", s->deployment, msg, msgsz)) ||
	    (rv = rw_check_name("container", s->container, msg, msgsz)) ||
	    (rv = rw_check_image_repo("image", s->image_repo, msg, msgsz)) ||
	    (rv = rw_check_text("health-path", s->health_path, RW_PATH_MAX, msg, msgsz)) ||
	    (rv = rw_check_json_object("health-expect", s->health_expect, RW_JSON_MAX, msg, msgsz)))
		return rv;
	if (s->health_path[0] && s->health_path[0] != '/')
		return rw_check_fail(RW_EINVAL, msg, msgsz, "health-path", "must start with '/'");
	return 0;
}

int
rw_env_check(const rw_env_t *e, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("name", e->name, msg, msgsz)) ||
	    (rv = rw_check_name("cluster", e->cluster, msg, msgsz)) ||
	    (rv = rw_check_text("health-url", e->health_url, RW_URL_MAX, msg, msgsz)) ||
	    (rv = rw_check_json_object("health-expect", e->health_expect, RW_JSON_MAX, msg, msgsz)))
		return rv;
	if (e->health_url[0] && strncmp(e->health_url, "http://", 7) != 0 &&
	    strncmp(e->health_url, "https://", 8) != 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "health-url", "must be an http:// or https:// URL");
	return 0;
}

int
rw_release_check(const rw_release_t *r, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("service", r->service, msg, msgsz)) ||
	    (rv = rw_check_tag("version", r->version, msg, msgsz)) ||
	    (rv = rw_check_image_ref("image", r->image_ref, msg, msgsz)) ||
	    (rv = rw_check_digest("digest", r->digest, msg, msgsz)) ||
	    (rv = rw_check_text("notes", r->notes, RW_TEXT_MAX, msg, msgsz)))
		return rv;
	for (const char *p = r->source_commit; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return rw_check_fail(RW_EINVAL, msg, msgsz, "commit", "must be a hexadecimal commit id");
	if (strlen(r->source_commit) > RW_COMMIT_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "commit", "too long");
	if (r->migrations_compat[0] && strcmp(r->migrations_compat, "yes") != 0 &&
	    strcmp(r->migrations_compat, "no") != 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "migrations-backward-compatible",
		            "must be yes or no");
	return 0;
}

int
rw_release_pinned_ref(const rw_release_t *r, char *out, size_t outsz)
{
	const char *slash = strrchr(r->image_ref, '/');
	const char *colon = strrchr(slash ? slash : r->image_ref, ':');
	size_t rlen = colon ? (size_t)(colon - r->image_ref) : strlen(r->image_ref);
	int n;

	if (!r->digest[0])
		return RW_EINVAL;
	n = snprintf(out, outsz, "%.*s@%s", (int)rlen, r->image_ref, r->digest);
	return n < 0 || (size_t)n >= outsz ? RW_ETOOBIG : 0;
}

int
rw_check_sha256_hex(const char *field, const char *v, char *msg, size_t msgsz)
{
	if (!v || strlen(v) != RW_SHA256_HEX)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be 64 lower-case hex digits");
	for (const char *p = v; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must be 64 lower-case hex digits");
	return 0;
}

int
rw_check_filename(const char *field, const char *v, char *msg, size_t msgsz)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (n > RW_FILENAME_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "too long");
	if (v[0] == '.')
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not start with '.'");
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "may contain only letters, digits, '.', '_' and '-'");
	return 0;
}

int
rw_artifact_check(const rw_artifact_t *a, char *msg, size_t msgsz)
{
	int rv;
	if (a->release_id <= 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "release", "must be a release id");
	if (strcmp(a->kind, "config-archive") != 0 && strcmp(a->kind, "migration") != 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "kind", "must be config-archive or migration");
	if ((rv = rw_check_filename("name", a->name, msg, msgsz)) ||
	    (rv = rw_check_sha256_hex("sha256", a->sha256, msg, msgsz)))
		return rv;
	return 0;
}

int
rw_env_db_check(const rw_env_db_t *d, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("env", d->env, msg, msgsz)) ||
	    (rv = rw_check_text("db-url", d->db_url, RW_URL_MAX, msg, msgsz)))
		return rv;
	if (!d->db_url[0])
		return rw_check_fail(RW_EINVAL, msg, msgsz, "db-url", "must not be empty");
	if (d->n_sanity > RW_SANITY_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, "sanity-sql", "at most 8 queries");
	for (size_t i = 0; i < d->n_sanity; i++) {
		if ((rv = rw_check_text("sanity-sql", d->sanity[i], RW_SQL_MAX, msg, msgsz)))
			return rv;
		if (!d->sanity[i][0])
			return rw_check_fail(RW_EINVAL, msg, msgsz, "sanity-sql", "must not be empty");
	}
	return 0;
}

int
rw_backup_check(const rw_backup_t *b, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("env", b->env, msg, msgsz)) ||
	    (rv = rw_check_name("kind", b->kind, msg, msgsz)) ||
	    (rv = rw_check_text("location", b->location, RW_LOCATION_MAX, msg, msgsz)))
		return rv;
	if (!b->location[0])
		return rw_check_fail(RW_EINVAL, msg, msgsz, "location", "must not be empty");
	if (b->sha256[0] && (rv = rw_check_sha256_hex("sha256", b->sha256, msg, msgsz)))
		return rv;
	if (b->size < 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "size", "must not be negative");
	return 0;
}

static const char *action_kinds[] = {"none", "set-image", "patch-configmap"};
static const char *action_states[] = {"queued", "leased", "succeeded", "failed", "cancelled"};

const char *
rw_action_kind_name(enum rw_action_kind k)
{
	return (unsigned)k <= RW_ACTION_PATCH_CONFIGMAP ? action_kinds[k] : "none";
}

enum rw_action_kind
rw_action_kind_parse(const char *s)
{
	for (int i = RW_ACTION_SET_IMAGE; i <= RW_ACTION_PATCH_CONFIGMAP; i++)
		if (s && strcmp(s, action_kinds[i]) == 0)
			return (enum rw_action_kind)i;
	return RW_ACTION_NONE;
}

const char *
rw_action_state_name(enum rw_action_state s)
{
	return (unsigned)s <= RW_ACTION_CANCELLED ? action_states[s] : "queued";
}

enum rw_action_state
rw_action_state_parse(const char *s)
{
	for (int i = RW_ACTION_QUEUED; i <= RW_ACTION_CANCELLED; i++)
		if (s && strcmp(s, action_states[i]) == 0)
			return (enum rw_action_state)i;
	return RW_ACTION_QUEUED;
}

int
rw_check_k8s_name(const char *field, const char *v, char *msg, size_t msgsz)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0)
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must not be empty");
	if (n > RW_POD_NAME_MAX)
		return rw_check_fail(RW_ETOOBIG, msg, msgsz, field, "longer than 253 characters");
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
		if (!ok)
			return rw_check_fail(RW_EINVAL, msg, msgsz, field,
			            "may contain only lower-case letters, digits, '-' and '.'");
	}
	if (!isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[n - 1]))
		return rw_check_fail(RW_EINVAL, msg, msgsz, field, "must start and end with a letter or digit");
	return 0;
}

/* ConfigMap keys: [-._a-zA-Z0-9]+ as the API server requires. */
static int
check_cm_key(const char *k, char *msg, size_t msgsz)
{
	size_t n = strlen(k);
	if (n == 0 || n > RW_KV_KEY_MAX)
		return rw_check_fail(RW_EINVAL, msg, msgsz, "key", "must be 1-253 characters");
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_' && k[i] != '.')
			return rw_check_fail(RW_EINVAL, msg, msgsz, "key", "may contain only letters, digits, '-', '_' and '.'");
	return 0;
}

int
rw_action_check(const rw_action_t *a, char *msg, size_t msgsz)
{
	int rv;
	if ((rv = rw_check_name("cluster", a->cluster, msg, msgsz)) ||
	    (rv = rw_check_name("namespace", a->namespace_, msg, msgsz)) ||
	    (rv = rw_check_k8s_name("name", a->name, msg, msgsz)))
		return rv;
	switch (a->kind) {
	case RW_ACTION_SET_IMAGE:
		if ((rv = rw_check_name("container", a->container, msg, msgsz)))
			return rv;
		if (strchr(a->image, '@')) {
			char repo[RW_IMAGE_MAX + 1];
			const char *at = strchr(a->image, '@');
			snprintf(repo, sizeof(repo), "%.*s", (int)(at - a->image), a->image);
			if ((rv = rw_check_image_repo("image", repo, msg, msgsz)))
				return rv;
			if (!at[1])
				return rw_check_fail(RW_EINVAL, msg, msgsz, "image", "empty digest");
			return rw_check_digest("image", at + 1, msg, msgsz);
		}
		return rw_check_image_ref("image", a->image, msg, msgsz);
	case RW_ACTION_PATCH_CONFIGMAP:
		if (a->nkv == 0 || a->nkv > RW_KV_MAX)
			return rw_check_fail(RW_EINVAL, msg, msgsz, "data", "give 1 to 16 KEY=VALUE pairs");
		for (uint32_t i = 0; i < a->nkv; i++) {
			if ((rv = check_cm_key(a->kv[i].key, msg, msgsz)) ||
			    (rv = rw_check_text("value", a->kv[i].value, RW_KV_VALUE_MAX, msg, msgsz)))
				return rv;
		}
		return 0;
	default:
		return rw_check_fail(RW_EINVAL, msg, msgsz, "kind", "must be set-image or patch-configmap");
	}
}

int
rw_agent_name_split(const char *name, char *cluster, size_t ccap, char *node, size_t ncap)
{
	const char *slash = name ? strchr(name, '/') : NULL;
	size_t clen;

	if (!slash || slash == name || !slash[1])
		return RW_EINVAL;
	clen = (size_t)(slash - name);
	if (clen >= ccap || strlen(slash + 1) >= ncap)
		return RW_ETOOBIG;
	memcpy(cluster, name, clen);
	cluster[clen] = '\0';
	memcpy(node, slash + 1, strlen(slash + 1) + 1);
	if (rw_check_name("cluster", cluster, NULL, 0) || rw_check_k8s_name("node", node, NULL, 0))
		return RW_EINVAL;
	return 0;
}
