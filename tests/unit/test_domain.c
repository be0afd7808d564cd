/*
 * test_domain — unit tests of shared/domain.c: the validators every value
 * crossing a boundary goes through (names, tags, image references, digests,
 * JSON, UTF-8 text), the role matrix and rw_strcpy.  No I/O.
 */
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "err.h"
#include "testlib.h"

/* A string of n copies of c in a static buffer (n < 4096). */
static const char *
rep(char c, size_t n)
{
	static char buf[4096];
	assert_true(n < sizeof buf);
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* "<prefix>" followed by n copies of c, into dst of capacity cap. */
static void
prefixed(char *dst, size_t cap, const char *prefix, char c, size_t n)
{
	size_t pl = strlen(prefix);
	assert_true(pl + n < cap);
	memcpy(dst, prefix, pl);
	memset(dst + pl, c, n);
	dst[pl + n] = '\0';
}

/* ------------------------------------------------------------------------ */

static void
test_names(void **state)
{
	char msg[128];
	(void)state;

	assert_int_equal(rw_check_name("name", "production", msg, sizeof msg), 0);
	assert_int_equal(rw_check_name("name", "a", NULL, 0), 0);
	assert_int_equal(rw_check_name("name", "mr-dj-frontend", NULL, 0), 0);
	assert_int_equal(rw_check_name("name", "0abc9", NULL, 0), 0);
	assert_int_equal(rw_check_name("name", rep('a', RW_NAME_MAX), NULL, 0), 0);
	assert_int_equal(rw_check_name("name", rep('a', RW_NAME_MAX + 1), NULL, 0), RW_ETOOBIG);

	assert_int_equal(rw_check_name("name", "", msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "name"));
	assert_int_equal(rw_check_name("name", NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "Production", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "-a", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "a-", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "a_b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "a.b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "a b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "a'b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_name("name", "na\xc3\xafve", NULL, 0), RW_EINVAL);

	/* The message names the field and is cut, never overflowed, by a small buffer. */
	assert_int_equal(rw_check_name("cluster", "BAD", msg, sizeof msg), RW_EINVAL);
	assert_int_equal(strncmp(msg, "cluster:", 8), 0);
	memset(msg, 'X', sizeof msg);
	assert_int_equal(rw_check_name("cluster", "BAD", msg, 5), RW_EINVAL);
	assert_string_equal(msg, "clus");
	assert_int_equal(msg[5], 'X');
}

static void
test_tags(void **state)
{
	(void)state;
	assert_int_equal(rw_check_tag("version", "v1.4.2", NULL, 0), 0);
	assert_int_equal(rw_check_tag("version", "nextjs-standalone-202611260530", NULL, 0), 0);
	assert_int_equal(rw_check_tag("version", "_x", NULL, 0), 0);
	assert_int_equal(rw_check_tag("version", "Latest", NULL, 0), 0);
	assert_int_equal(rw_check_tag("version", rep('a', RW_VERSION_MAX), NULL, 0), 0);
	assert_int_equal(rw_check_tag("version", rep('a', RW_VERSION_MAX + 1), NULL, 0), RW_ETOOBIG);

	assert_int_equal(rw_check_tag("version", "", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", ".x", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "-x", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "a:b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "a/b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "a b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "v1';--", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_tag("version", "v\xc3\xa9", NULL, 0), RW_EINVAL);
}

static void
test_image_repo(void **state)
{
	(void)state;
	assert_int_equal(rw_check_image_repo("image", "ghcr.io/crisisk/mr-dj-frontend", NULL, 0), 0);
	assert_int_equal(rw_check_image_repo("image", "localhost:5000/app", NULL, 0), 0);
	assert_int_equal(rw_check_image_repo("image", "nginx", NULL, 0), 0);
	assert_int_equal(rw_check_image_repo("image", "a/b_c/d.e-f", NULL, 0), 0);
	assert_int_equal(rw_check_image_repo("image", rep('a', RW_IMAGE_MAX), NULL, 0), 0);

	assert_int_equal(rw_check_image_repo("image", rep('a', RW_IMAGE_MAX + 1), NULL, 0),
	                 RW_ETOOBIG);
	assert_int_equal(rw_check_image_repo("image", "", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "GHCR.io/x", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "/x", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "x/", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "a//b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "a b", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_repo("image", "a@b", NULL, 0), RW_EINVAL);
}

static void
test_image_ref(void **state)
{
	char msg[128];
	(void)state;

	assert_int_equal(rw_check_image_ref("image", "ghcr.io/crisisk/mr-dj-frontend:nextjs-1",
	                                    NULL, 0), 0);
	assert_int_equal(rw_check_image_ref("image", "localhost:5000/app:v1", NULL, 0), 0);
	assert_int_equal(rw_check_image_ref("image", "nginx:1.25", NULL, 0), 0);

	/* The tag is after the last ':' that follows the last '/': a registry port is not one. */
	assert_int_equal(rw_check_image_ref("image", "localhost:5000/app", msg, sizeof msg),
	                 RW_EINVAL);
	assert_non_null(strstr(msg, "REPOSITORY:TAG"));
	assert_int_equal(rw_check_image_ref("image", "nginx", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", "nginx:", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", ":v1", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", "nginx:-bad", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", "Nginx:v1", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", "ghcr.io/x@sha256:abc", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", "", NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", NULL, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_image_ref("image", rep('a', RW_IMAGE_MAX + 1), NULL, 0),
	                 RW_ETOOBIG);
}

static void
test_digests(void **state)
{
	char d[80];
	(void)state;

	assert_int_equal(rw_check_digest("digest", "", NULL, 0), 0);        /* not pinned */
	assert_int_equal(rw_check_digest("digest", NULL, NULL, 0), 0);
	prefixed(d, sizeof d, "sha256:", 'a', 64);
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), 0);
	snprintf(d, sizeof d, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), 0);

	d[7] = 'A';                                                          /* upper case */
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), RW_EINVAL);
	d[7] = 'g';                                                          /* not hex */
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), RW_EINVAL);
	prefixed(d, sizeof d, "sha256:", 'a', 63);
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), RW_EINVAL);
	prefixed(d, sizeof d, "sha256:", 'a', 65);
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), RW_EINVAL);
	prefixed(d, sizeof d, "sha512:", 'a', 64);
	assert_int_equal(rw_check_digest("digest", d, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_digest("digest", rep('a', 71), NULL, 0), RW_EINVAL);
}

static void
test_json_object(void **state)
{
	char big[RW_JSON_MAX + 16];
	(void)state;

	assert_int_equal(rw_check_json_object("expect", "", RW_JSON_MAX, NULL, 0), 0);
	assert_int_equal(rw_check_json_object("expect", NULL, RW_JSON_MAX, NULL, 0), 0);
	assert_int_equal(rw_check_json_object("expect", "{}", RW_JSON_MAX, NULL, 0), 0);
	assert_int_equal(rw_check_json_object("expect", "{\"status\": \"ok\", \"db\": {\"up\": true}}",
	                                      RW_JSON_MAX, NULL, 0), 0);

	assert_int_equal(rw_check_json_object("expect", "[]", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "1", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "\"s\"", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "null", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "{", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "{'a': 1}", RW_JSON_MAX, NULL, 0),
	                 RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "{} {}", RW_JSON_MAX, NULL, 0), RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "{\"a\":1,\"a\":2}", RW_JSON_MAX, NULL, 0),
	                 RW_EINVAL);
	assert_int_equal(rw_check_json_object("expect", "{\"a\":\"\xff\"}", RW_JSON_MAX, NULL, 0),
	                 RW_EINVAL);

	/* Bound: exactly max is fine, one more is too big. */
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[RW_JSON_MAX - 1] = '}';
	big[RW_JSON_MAX] = '\0';
	assert_int_equal(rw_check_json_object("expect", big, RW_JSON_MAX, NULL, 0), 0);
	big[RW_JSON_MAX - 1] = ' ';
	big[RW_JSON_MAX] = '}';
	big[RW_JSON_MAX + 1] = '\0';
	assert_int_equal(rw_check_json_object("expect", big, RW_JSON_MAX, NULL, 0), RW_ETOOBIG);
}

static void
test_text_utf8(void **state)
{
	static const char *const good[] = {
		"",
		"plain ASCII; with 'quotes' and \"double\" and \\",
		"tab\tand\nnewline",
		"na\xc3\xafve",                     /* U+00EF, 2 bytes */
		"\xe2\x98\x83 \xe6\x97\xa5",        /* U+2603, U+65E5, 3 bytes */
		"\xf0\x9f\x9a\x80",                 /* U+1F680, 4 bytes */
		"\xc2\x80",                         /* U+0080, smallest 2-byte */
		"\xef\xbf\xbf",                     /* U+FFFF */
		"\xf4\x8f\xbf\xbf",                 /* U+10FFFF, the last code point */
		"\xee\x80\x80",                     /* U+E000, just after the surrogates */
	};
	static const char *const bad[] = {
		"\r",                               /* control characters */
		"a\x01z",
		"\x1b[31m",
		"\x7f",
		"\x80",                             /* lone continuation byte */
		"\xc3",                             /* truncated 2-byte */
		"\xe2\x98",                         /* truncated 3-byte */
		"\xf0\x9f\x9a",                     /* truncated 4-byte */
		"\xc3\x28",                         /* bad continuation */
		"\xc0\xaf",                         /* overlong '/' */
		"\xc1\xbf",                         /* overlong */
		"\xe0\x80\xaf",                     /* overlong 3-byte '/' */
		"\xe0\x9f\xbf",                     /* overlong 3-byte U+07FF */
		"\xf0\x80\x80\xaf",                 /* overlong 4-byte '/' */
		"\xf0\x8f\xbf\xbf",                 /* overlong 4-byte U+FFFF */
		"\xed\xa0\x80",                     /* U+D800, a surrogate */
		"\xed\xbf\xbf",                     /* U+DFFF, a surrogate */
		"\xf4\x90\x80\x80",                 /* U+110000, beyond Unicode */
		"\xf5\x80\x80\x80",
		"\xff",
		"\xfe",
	};
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (rw_check_text("notes", good[i], RW_TEXT_MAX, NULL, 0) != 0)
			fail_msg("good text %zu refused", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (rw_check_text("notes", bad[i], RW_TEXT_MAX, NULL, 0) != RW_EINVAL)
			fail_msg("bad text %zu accepted", i);

	assert_int_equal(rw_check_text("notes", NULL, RW_TEXT_MAX, NULL, 0), 0);
	assert_int_equal(rw_check_text("notes", rep('a', 10), 10, NULL, 0), 0);
	assert_int_equal(rw_check_text("notes", rep('a', 11), 10, NULL, 0), RW_ETOOBIG);
}

static void
test_roles(void **state)
{
	/* allowed[role][perm] for READ, WRITE, ADMIN, AGENT */
	static const bool allowed[5][4] = {
		[RW_ROLE_NONE] = {false, false, false, false},
		[RW_ROLE_VIEWER] = {true, false, false, false},
		[RW_ROLE_OPERATOR] = {true, true, false, false},
		[RW_ROLE_ADMIN] = {true, true, true, false},
		[RW_ROLE_AGENT] = {false, false, false, true},
	};
	static const enum rw_perm perms[4] = {RW_PERM_READ, RW_PERM_WRITE, RW_PERM_ADMIN,
	                                      RW_PERM_AGENT};
	(void)state;

	for (int r = RW_ROLE_NONE; r <= RW_ROLE_AGENT; r++)
		for (int p = 0; p < 4; p++)
			if (rw_role_allows((enum rw_role)r, perms[p]) != allowed[r][p])
				fail_msg("role %s perm %d", rw_role_name((enum rw_role)r), p);
	assert_false(rw_role_allows((enum rw_role)42, RW_PERM_READ));

	for (int r = RW_ROLE_VIEWER; r <= RW_ROLE_AGENT; r++)
		assert_int_equal(rw_role_parse(rw_role_name((enum rw_role)r)), r);
	assert_string_equal(rw_role_name(RW_ROLE_OPERATOR), "operator");
	assert_string_equal(rw_role_name((enum rw_role)42), "none");
	assert_string_equal(rw_role_name((enum rw_role)-1), "none");
	assert_int_equal(rw_role_parse("none"), RW_ROLE_NONE);
	assert_int_equal(rw_role_parse("Admin"), RW_ROLE_NONE);
	assert_int_equal(rw_role_parse("root"), RW_ROLE_NONE);
	assert_int_equal(rw_role_parse(""), RW_ROLE_NONE);
	assert_int_equal(rw_role_parse(NULL), RW_ROLE_NONE);

	assert_string_equal(rw_outcome_name(RW_OUTCOME_PENDING), "pending");
	assert_string_equal(rw_outcome_name(RW_OUTCOME_SUCCEEDED), "succeeded");
	assert_string_equal(rw_outcome_name(RW_OUTCOME_FAILED), "failed");
	assert_string_equal(rw_outcome_name(RW_OUTCOME_ROLLED_BACK), "rolled-back");
	assert_string_equal(rw_outcome_name((enum rw_outcome)9), "unknown");
}

static void
test_strcpy(void **state)
{
	char buf[8];
	(void)state;

	assert_int_equal(RW_STRCPY(buf, "1234567"), 0);       /* 7 + NUL fits exactly */
	assert_string_equal(buf, "1234567");
	/* Over-long input is refused and leaves an empty string, never a truncated one. */
	assert_int_equal(RW_STRCPY(buf, "12345678"), RW_ETOOBIG);
	assert_string_equal(buf, "");
	assert_int_equal(RW_STRCPY(buf, NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(RW_STRCPY(buf, ""), 0);
	memset(buf, 'X', sizeof buf);
	assert_int_equal(rw_strcpy(buf, 0, "a"), RW_ETOOBIG);  /* cap 0 writes nothing */
	assert_int_equal(buf[0], 'X');
	assert_int_equal(rw_strcpy(buf, 1, ""), 0);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(rw_strcpy(buf, 1, "a"), RW_ETOOBIG);
	/* Only cap bytes are touched. */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(rw_strcpy(buf, 4, "abc"), 0);
	assert_int_equal(buf[4], 'X');
}

/* ------------------------------------------------------------------------ */
/* Whole structs                                                              */

/* The runbook's frontend, valid in every field; the checks below spoil one at a time. */
static rw_service_t
good_service(void)
{
	return (rw_service_t){.name = "mr-dj-frontend", .namespace_ = "default",
	                      .deployment = "mr-dj-frontend", .container = "mr-dj-frontend",
	                      .image_repo = "ghcr.io/crisisk/mr-dj-frontend",
	                      .health_path = "/api/health", .health_expect = "{\"status\":\"ok\"}"};
}

static void
test_service_check(void **state)
{
	rw_service_t s = good_service();
	char msg[128];
	(void)state;

	assert_int_equal(rw_service_check(&s, msg, sizeof msg), 0);
	s.health_path[0] = '\0';
	s.health_expect[0] = '\0';
	assert_int_equal(rw_service_check(&s, msg, sizeof msg), 0);   /* optional */

	s = good_service();
	RW_STRCPY(s.health_path, "api/health");
	assert_int_equal(rw_service_check(&s, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "health-path"));
	s = good_service();
	RW_STRCPY(s.namespace_, "Default");
	assert_int_equal(rw_service_check(&s, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "namespace"));
	s = good_service();
	RW_STRCPY(s.image_repo, "ghcr.io/x:tag ");
	assert_int_equal(rw_service_check(&s, msg, sizeof msg), RW_EINVAL);
	s = good_service();
	RW_STRCPY(s.health_expect, "[1]");
	assert_int_equal(rw_service_check(&s, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "health-expect"));
	s = good_service();
	s.container[0] = '\0';
	assert_int_equal(rw_service_check(&s, NULL, 0), RW_EINVAL);
}

static void
test_env_check(void **state)
{
	rw_env_t e;
	char msg[128];
	(void)state;

	memset(&e, 0, sizeof e);
	RW_STRCPY(e.name, "production");
	RW_STRCPY(e.cluster, "k3s-main");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), 0);
	RW_STRCPY(e.health_url, "https://mr-dj.sevensa.nl/api/health");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), 0);
	RW_STRCPY(e.health_url, "http://127.0.0.1:8080/health");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), 0);
	RW_STRCPY(e.health_url, "ftp://x/health");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "health-url"));
	RW_STRCPY(e.health_url, "https://x/\x01");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), RW_EINVAL);
	RW_STRCPY(e.health_url, "");
	RW_STRCPY(e.cluster, "k3s_main");
	assert_int_equal(rw_env_check(&e, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "cluster"));
}

/* A valid release of it (a hotfix, with notes); spoiled one field at a time below. */
static rw_release_t
good_release(void)
{
	return (rw_release_t){.service = "mr-dj-frontend", .version = "nextjs-standalone-202611260530",
	                      .image_ref = "ghcr.io/crisisk/mr-dj-frontend:nextjs-standalone-202611260530",
	                      .source_commit = "9f1c2ab3",
	                      .notes = "hotfix for the booking form \xe2\x9c\x93"};
}

static void
test_release_check(void **state)
{
	rw_release_t r = good_release();
	char msg[128];
	(void)state;

	assert_int_equal(rw_release_check(&r, msg, sizeof msg), 0);
	prefixed(r.digest, sizeof r.digest, "sha256:", '0', 64);
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), 0);
	r.source_commit[0] = '\0';
	r.notes[0] = '\0';
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), 0);

	r = good_release();
	RW_STRCPY(r.source_commit, "not-hex");
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "commit"));
	r = good_release();
	RW_STRCPY(r.digest, "sha256:short");
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "digest"));
	r = good_release();
	RW_STRCPY(r.version, "v1 ; DROP");
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), RW_EINVAL);
	r = good_release();
	RW_STRCPY(r.image_ref, "ghcr.io/crisisk/mr-dj-frontend");
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), RW_EINVAL);
	r = good_release();
	RW_STRCPY(r.notes, "bell\x07");
	assert_int_equal(rw_release_check(&r, msg, sizeof msg), RW_EINVAL);
	assert_non_null(strstr(msg, "notes"));
	r = good_release();
	RW_STRCPY(r.service, "");
	assert_int_equal(rw_release_check(&r, NULL, 0), RW_EINVAL);
}

static void
test_now(void **state)
{
	int64_t a = rw_now_us(), b = rw_now_us();
	(void)state;
	assert_true(a > 1600000000LL * 1000000);   /* after 2020 */
	assert_true(b >= a);
}

TL_MAIN("domain", NULL, NULL,
	test_names, test_tags, test_image_repo, test_image_ref, test_digests, test_json_object,
	test_text_utf8, test_roles, test_strcpy, test_service_check, test_env_check,
	test_release_check, test_now)
