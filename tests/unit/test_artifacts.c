/*
 * test_artifacts — pure logic of issue 5: image reference parsing (hosts,
 * ports, docker.io defaults), WWW-Authenticate parsing, manifest digest
 * checking, SHA256SUMS lines, the pinned reference helper, tar.gz packing,
 * credentials files, and the wire round trip of an upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "pack.h"
#include "registry.h"
#include "testlib.h"
#include "wire.h"

static void
test_ref_parse(void **state)
{
	struct registry_ref r;
	char msg[256];
	(void)state;

	assert_int_equal(registry_ref_parse("ghcr.io/crisisk/mr-dj-frontend:v1", &r, msg, sizeof msg), 0);
	assert_string_equal(r.host, "ghcr.io");
	assert_string_equal(r.api_host, "ghcr.io");
	assert_string_equal(r.name, "crisisk/mr-dj-frontend");
	assert_string_equal(r.tag, "v1");

	assert_int_equal(registry_ref_parse("localhost:5000/team/app:2.0_rc-1", &r, msg, sizeof msg), 0);
	assert_string_equal(r.host, "localhost:5000");
	assert_string_equal(r.name, "team/app");
	assert_string_equal(r.tag, "2.0_rc-1");

	assert_int_equal(registry_ref_parse("127.0.0.1:41234/a/b/c:t", &r, msg, sizeof msg), 0);
	assert_string_equal(r.host, "127.0.0.1:41234");
	assert_string_equal(r.name, "a/b/c");

	/* Docker Hub defaults: no host -> docker.io, official images under library/. */
	assert_int_equal(registry_ref_parse("nginx:1.27", &r, msg, sizeof msg), 0);
	assert_string_equal(r.host, "docker.io");
	assert_string_equal(r.api_host, "registry-1.docker.io");
	assert_string_equal(r.name, "library/nginx");
	assert_int_equal(registry_ref_parse("bitnami/redis:7", &r, msg, sizeof msg), 0);
	assert_string_equal(r.name, "bitnami/redis");
	assert_string_equal(r.host, "docker.io");
	assert_int_equal(registry_ref_parse("docker.io/nginx:1", &r, msg, sizeof msg), 0);
	assert_string_equal(r.name, "library/nginx");

	/* A tag is required; bad grammar refused. */
	assert_int_not_equal(registry_ref_parse("ghcr.io/x/app", &r, msg, sizeof msg), 0);
	assert_int_not_equal(registry_ref_parse("localhost:5000/app", &r, msg, sizeof msg), 0);
	assert_int_not_equal(registry_ref_parse("ghcr.io/X/app:v1", &r, msg, sizeof msg), 0);
	assert_int_not_equal(registry_ref_parse("", &r, msg, sizeof msg), 0);
}

static void
test_auth_parse(void **state)
{
	struct registry_challenge ch;
	(void)state;

	assert_int_equal(registry_auth_parse("Bearer realm=\"https://ghcr.io/token\","
	                                     "service=\"ghcr.io\",scope=\"repository:crisisk/app:pull\"",
	                                     &ch), 0);
	assert_string_equal(ch.scheme, "bearer");
	assert_string_equal(ch.realm, "https://ghcr.io/token");
	assert_string_equal(ch.service, "ghcr.io");
	assert_string_equal(ch.scope, "repository:crisisk/app:pull");

	/* Case, spaces, unquoted values, unknown params, escapes. */
	assert_int_equal(registry_auth_parse("  bearer  Realm=https://auth.docker.io/token , "
	                                     "error=\"insufficient_scope\", service=registry.docker.io,"
	                                     " scope=\"a\\\"b\"", &ch), 0);
	assert_string_equal(ch.realm, "https://auth.docker.io/token");
	assert_string_equal(ch.service, "registry.docker.io");
	assert_string_equal(ch.scope, "a\"b");

	assert_int_equal(registry_auth_parse("Basic realm=\"Registry Realm\"", &ch), 0);
	assert_string_equal(ch.scheme, "basic");
	assert_string_equal(ch.realm, "Registry Realm");

	assert_int_equal(registry_auth_parse("Bearer service=\"x\"", &ch), RW_EINVAL); /* no realm */
	assert_int_equal(registry_auth_parse("Negotiate abc", &ch), RW_EINVAL);
	assert_int_equal(registry_auth_parse("", &ch), RW_EINVAL);
	assert_int_equal(registry_auth_parse(NULL, &ch), RW_EINVAL);
	/* Unterminated quote: bounded, no overrun. */
	assert_int_equal(registry_auth_parse("Bearer realm=\"https://x", &ch), 0);
	assert_string_equal(ch.realm, "https://x");
}

static void
test_digest_check(void **state)
{
	char d[RW_DIGEST_MAX + 1], msg[300];
	const char *body = "{\"schemaVersion\":2}";
	(void)state;

	/* sha256 of "abc" */
	assert_int_equal(registry_digest_check("abc", 3, NULL, d, msg, sizeof msg), 0);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(registry_digest_check("abc", 3, d, d, msg, sizeof msg), 0);
	assert_int_equal(registry_digest_check(body, strlen(body),
	                                       "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	                                       d, msg, sizeof msg), RW_ECRYPTO);
	assert_non_null(strstr(msg, "hash to"));
	assert_int_equal(registry_digest_check(body, strlen(body), "", d, msg, sizeof msg), 0);
}

static void
test_loopback(void **state)
{
	(void)state;
	assert_true(registry_host_is_loopback("localhost:5000"));
	assert_true(registry_host_is_loopback("127.0.0.1:1"));
	assert_true(registry_host_is_loopback("127.1.2.3"));
	assert_true(registry_host_is_loopback("[::1]:5000"));
	assert_false(registry_host_is_loopback("127.0.0.1.evil.com"));
	assert_false(registry_host_is_loopback("localhost.evil.com"));
	assert_false(registry_host_is_loopback("ghcr.io"));
	assert_false(registry_host_is_loopback("10.0.0.1:5000"));
}

static void
test_sums_line(void **state)
{
	char line[200];
	const char *hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	(void)state;
	assert_int_equal(pack_sums_line(hex, "by-name/a-v1-config-archive.tar.gz", line, sizeof line), 0);
	assert_string_equal(line, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	                          "  by-name/a-v1-config-archive.tar.gz\n");
	assert_int_equal(pack_sums_line(hex, "a\nb", line, sizeof line), RW_EINVAL);
	assert_int_equal(pack_sums_line(hex, "a\\b", line, sizeof line), RW_EINVAL);
	assert_int_equal(pack_sums_line(hex, "/etc/passwd", line, sizeof line), RW_EINVAL);
	assert_int_equal(pack_sums_line(hex, "../x", line, sizeof line), RW_EINVAL);
	assert_int_equal(pack_sums_line("ABC", "x", line, sizeof line), RW_EINVAL);
	assert_int_equal(pack_sums_line(hex, "x", line, 10), RW_ETOOBIG);
}

static void
test_pinned_ref(void **state)
{
	rw_release_t r;
	char out[RW_IMAGE_MAX + RW_DIGEST_MAX + 2];
	(void)state;
	memset(&r, 0, sizeof r);
	strcpy(r.image_ref, "localhost:5000/team/app:v1");
	assert_int_equal(rw_release_pinned_ref(&r, out, sizeof out), RW_EINVAL); /* unpinned */
	strcpy(r.digest, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(rw_release_pinned_ref(&r, out, sizeof out), 0);
	assert_string_equal(out, "localhost:5000/team/app@sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(rw_release_pinned_ref(&r, out, 20), RW_ETOOBIG);
}

static void
test_pack(void **state)
{
	char dir[] = "/tmp/rewind-pack.XXXXXX", f[200], hex[65], hex2[65], msg[300] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int64_t size = 0;
	FILE *fp;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof f, "%s/a.yaml", dir);
	fp = fopen(f, "w");
	fputs("kind: Deployment\n", fp);
	fclose(fp);
	const char *files[] = {f};
	assert_int_equal(pack_targz(files, 1, RW_ARTIFACT_MAX, &buf, &len, msg, sizeof msg), 0);
	assert_true(len > 20 && buf[0] == 0x1f && buf[1] == 0x8b);  /* gzip magic */
	assert_int_equal(pack_sha256_buf(buf, len, hex), 0);
	free(buf);
	/* Too small a bound, a missing file, a '..' path: refused. */
	assert_int_equal(pack_targz(files, 1, 10, &buf, &len, msg, sizeof msg), RW_ETOOBIG);
	const char *missing[] = {"/nonexistent/x"};
	assert_int_equal(pack_targz(missing, 1, RW_ARTIFACT_MAX, &buf, &len, msg, sizeof msg), RW_EIO);
	const char *dotdot[] = {"../x"};
	assert_int_equal(pack_targz(dotdot, 1, RW_ARTIFACT_MAX, &buf, &len, msg, sizeof msg), RW_EINVAL);
	/* File hashing agrees with buffer hashing. */
	assert_int_equal(pack_sha256_file(f, hex2, &size), 0);
	assert_int_equal(size, 17);
	assert_int_equal(pack_sha256_buf("kind: Deployment\n", 17, hex), 0);
	assert_string_equal(hex, hex2);
	assert_int_equal(pack_sha256_file("/nonexistent/x", hex2, NULL), RW_ENOTFOUND);
	unlink(f);
	rmdir(dir);
}

static void
test_creds(void **state)
{
	char path[] = "/tmp/rewind-creds.XXXXXX", u[600], p[600], msg[300];
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	assert_true(write(fd, "# c\nghcr.io bob pw1\nlocalhost:5000 al pw2\n", 42) == 42);
	close(fd);
	chmod(path, 0600);
	assert_int_equal(registry_creds_lookup(path, "localhost:5000", u, sizeof u, p, sizeof p, msg, sizeof msg), 0);
	assert_string_equal(u, "al");
	assert_string_equal(p, "pw2");
	assert_int_equal(registry_creds_lookup(path, "quay.io", u, sizeof u, p, sizeof p, msg, sizeof msg), RW_ENOTFOUND);
	chmod(path, 0644);
	assert_int_equal(registry_creds_lookup(path, "ghcr.io", u, sizeof u, p, sizeof p, msg, sizeof msg), RW_EPERM);
	unlink(path);
}

static void
test_upload_wire(void **state)
{
	wire_msg_t *m = wire_msg_new(WIRE_ARTIFACT_ADD, 9), *out = NULL;
	uint8_t *buf;
	size_t len;
	char msg[256] = "";
	uint64_t rid;
	(void)state;

	m->u.upload.meta.release_id = 3;
	strcpy(m->u.upload.meta.kind, "config-archive");
	strcpy(m->u.upload.meta.name, "a-v1-config-archive.tar.gz");
	m->u.upload.len = 200 * 1024;  /* past WIRE_REQUEST_MAX: allowed for uploads only */
	m->u.upload.data = calloc(1, m->u.upload.len);
	assert_int_equal(pack_sha256_buf(m->u.upload.data, m->u.upload.len, m->u.upload.meta.sha256), 0);
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode_request(buf, len, &out, &rid, msg, sizeof msg), 0);
	assert_int_equal(out->u.upload.len, 200 * 1024);
	assert_int_equal(out->u.upload.meta.release_id, 3);
	wire_msg_free(out);
	free(buf);
	/* A bad kind is refused by the server's decoder. */
	strcpy(m->u.upload.meta.kind, "binary");
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	assert_int_equal(wire_decode_request(buf, len, &out, &rid, msg, sizeof msg), RW_EINVAL);
	free(buf);
	wire_msg_free(m);

	/* Any other request above 64 KiB: ETOOBIG. */
	m = wire_msg_new(WIRE_RELEASE_RECORD, 1);
	memset(m->u.release.notes, 'a', RW_TEXT_MAX);
	assert_int_equal(wire_encode(m, &buf, &len), 0);
	uint8_t *big = calloc(1, WIRE_REQUEST_MAX + 10);
	memcpy(big, buf, len);
	assert_int_equal(wire_decode_request(big, WIRE_REQUEST_MAX + 10, &out, &rid, msg, sizeof msg),
	                 RW_ETOOBIG);
	free(big);
	free(buf);
	wire_msg_free(m);
}

TL_MAIN("tests", NULL, NULL,
	test_ref_parse, test_auth_parse, test_digest_check, test_loopback, test_sums_line,
	test_pinned_ref, test_pack, test_creds, test_upload_wire)
