/* Unit tests for agent/kubecfg: kubeconfig YAML and in-cluster loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kubecfg.h"
#include "testlib.h"

/* base64 of "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n" */
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"

static const char *good =
    "apiVersion: v1\nkind: Config\n"
    "clusters:\n"
    "- name: prod\n  cluster:\n    server: https://10.0.0.1:6443/\n"
    "    certificate-authority-data: " CA_B64 "\n"
    "- name: lab\n  cluster:\n    server: https://lab:6443\n    insecure-skip-tls-verify: true\n"
    "users:\n- name: agent\n  user:\n    token: \"s3cret-token\"\n"
    "- name: certuser\n  user:\n    client-certificate-data: AAAA\n    client-key-data: BBBB\n"
    "- name: execuser\n  user:\n    exec:\n      command: aws\n"
    "contexts:\n"
    "- name: prod\n  context:\n    cluster: prod\n    user: agent\n    namespace: misterdj\n"
    "- name: lab\n  context:\n    cluster: lab\n    user: agent\n"
    "- name: certs\n  context:\n    cluster: prod\n    user: certuser\n"
    "- name: exec\n  context:\n    cluster: prod\n    user: execuser\n"
    "- name: nocluster\n  context:\n    cluster: gone\n    user: agent\n"
    "current-context: prod\n";

static int
load(const char *text, const char *ctx, struct kubecfg *c, char *msg)
{
	return kubecfg_load_text(text, strlen(text), NULL, ctx, c, msg, 256);
}

static void
test_current_context(void **st)
{
	(void)st;
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load(good, NULL, &c, msg), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	assert_string_equal(c.token, "s3cret-token");
	assert_string_equal(c.namespace_, "misterdj");
	assert_non_null(c.ca_pem);
	assert_non_null(strstr(c.ca_pem, "BEGIN CERTIFICATE"));
	assert_false(c.insecure);
	kubecfg_clear(&c);
	assert_null(c.ca_pem);
}

static void
test_named_context_insecure(void **st)
{
	(void)st;
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load(good, "lab", &c, msg), 0);
	assert_string_equal(c.server, "https://lab:6443");
	assert_true(c.insecure);
	assert_null(c.ca_pem);
	assert_string_equal(c.namespace_, "default");
	kubecfg_clear(&c);
}

static void
test_missing_context_cluster(void **st)
{
	(void)st;
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load(good, "nope", &c, msg), RW_ENOTFOUND);
	assert_non_null(strstr(msg, "context \"nope\" not found"));
	assert_int_equal(load(good, "nocluster", &c, msg), RW_ENOTFOUND);
	assert_non_null(strstr(msg, "cluster \"gone\""));
	assert_int_equal(load("clusters: []\n", NULL, &c, msg), RW_ENOTFOUND);
	assert_non_null(strstr(msg, "current-context"));
}

static void
test_unsupported_auth(void **st)
{
	(void)st;
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load(good, "certs", &c, msg), RW_EINVAL);
	assert_non_null(strstr(msg, "client-certificate"));
	assert_non_null(strstr(msg, "not supported"));
	assert_int_equal(load(good, "exec", &c, msg), RW_EINVAL);
	assert_non_null(strstr(msg, "\"exec\""));
	assert_null(strstr(msg, "s3cret")); /* never echo tokens */
}

static void
test_malformed(void **st)
{
	(void)st;
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load("clusters: [\n  - {name: a\n", NULL, &c, msg), RW_EINVAL);
	assert_non_null(strstr(msg, "not valid YAML"));
	assert_int_equal(load("", NULL, &c, msg), RW_EINVAL);
	assert_int_equal(load("- a\n- b\n", NULL, &c, msg), RW_EINVAL);
	assert_int_equal(load("just a string", NULL, &c, msg), RW_EINVAL);
	/* server of the wrong type / scheme */
	assert_int_equal(load("clusters:\n- name: x\n  cluster:\n    server: [1]\ncontexts:\n- name: x\n"
	                      "  context: {cluster: x}\ncurrent-context: x\n", NULL, &c, msg), RW_EINVAL);
	assert_int_equal(load("clusters:\n- name: x\n  cluster:\n    server: ftp://x\ncontexts:\n- name: x\n"
	                      "  context: {cluster: x}\ncurrent-context: x\n", NULL, &c, msg), RW_EINVAL);
	/* cluster options that would change how we connect are refused, not ignored */
	assert_int_equal(load("clusters:\n- name: x\n  cluster:\n    server: https://x\n    tls-server-name: y\n"
	                      "contexts:\n- name: x\n  context: {cluster: x}\ncurrent-context: x\n", NULL, &c, msg), RW_EINVAL);
	assert_non_null(strstr(msg, "tls-server-name is not supported"));
	/* bad base64 CA */
	assert_int_equal(load("clusters:\n- name: x\n  cluster:\n    server: https://x\n"
	                      "    certificate-authority-data: '!!!notbase64'\ncontexts:\n- name: x\n"
	                      "  context: {cluster: x}\ncurrent-context: x\n", NULL, &c, msg), RW_EINVAL);
}

static void
test_billion_laughs(void **st)
{
	(void)st;
	/* 10 levels of 10 aliases = 10^10 nodes once expanded */
	char *y = malloc(8192);
	size_t o = (size_t)sprintf(y, "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n");
	for (int i = 1; i < 10; i++)
		o += (size_t)sprintf(y + o, "a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i,
		                     i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	struct kubecfg c;
	char msg[256] = "";
	assert_int_equal(load(y, NULL, &c, msg), RW_ETOOBIG);
	free(y);
}

static char tmpdir[256];

/* Writes NAME in the test's directory. */
static void
write_file(const char *name, const char *text)
{
	char p[512];
	tl_write(tl_path(p, sizeof(p), tmpdir, name), text);
}

static void
test_files_relative(void **st)
{
	(void)st;
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	write_file("tok", "file-token\n");
	write_file("kc", "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
	                 "    certificate-authority: ca.pem\n"
	                 "users:\n- name: u\n  user:\n    tokenFile: tok\n"
	                 "contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n");
	char p[512], msg[256] = "";
	snprintf(p, sizeof(p), "%s/kc", tmpdir);
	struct kubecfg c, d;
	assert_int_equal(kubecfg_load_file(p, NULL, &c, msg, sizeof(msg)), 0);
	assert_string_equal(c.token, "file-token");
	assert_non_null(strstr(c.token_file, "/tok"));
	assert_non_null(c.ca_pem);
	assert_int_equal(kubecfg_copy(&d, &c), 0);
	assert_ptr_not_equal(d.ca_pem, c.ca_pem);
	assert_string_equal(d.ca_pem, c.ca_pem);
	kubecfg_clear(&c);
	kubecfg_clear(&d);
	/* missing file */
	snprintf(p, sizeof(p), "%s/nope", tmpdir);
	assert_int_equal(kubecfg_load_file(p, NULL, &c, msg, sizeof(msg)), RW_ENOTFOUND);
}

static void
test_huge_file(void **st)
{
	(void)st;
	char p[512], msg[256] = "";
	snprintf(p, sizeof(p), "%s/huge", tmpdir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (int i = 0; i < 40000; i++)
		fputs("# padding padding padding padding\n", f);
	fclose(f);
	struct kubecfg c;
	assert_int_equal(kubecfg_load_file(p, NULL, &c, msg, sizeof(msg)), RW_ETOOBIG);
	assert_non_null(strstr(msg, "larger than"));
}

static void
test_incluster(void **st)
{
	(void)st;
	char msg[256] = "";
	struct kubecfg c;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kubecfg_load_incluster(tmpdir, &c, msg, sizeof(msg)), RW_ENOTFOUND);
	write_file("token", "sa-token\n");
	write_file("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	write_file("namespace", "rewind\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.43.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kubecfg_load_incluster(tmpdir, &c, msg, sizeof(msg)), 0);
	assert_string_equal(c.server, "https://10.43.0.1:443");
	assert_string_equal(c.token, "sa-token");
	assert_string_equal(c.namespace_, "rewind");
	kubecfg_clear(&c);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	assert_int_equal(kubecfg_load_incluster(tmpdir, &c, msg, sizeof(msg)), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	kubecfg_clear(&c);
	setenv("KUBERNETES_SERVICE_PORT", "44x", 1);
	assert_int_equal(kubecfg_load_incluster(tmpdir, &c, msg, sizeof(msg)), RW_EINVAL);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	write_file("token", "");
	assert_int_equal(kubecfg_load_incluster(tmpdir, &c, msg, sizeof(msg)), RW_EINVAL);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

int
main(void)
{
	if (tl_tmpdir(tmpdir, sizeof(tmpdir), "kubecfg-test") != 0)
		return 1;
	int rc = TL_RUN("tests", NULL, NULL,
	                test_current_context, test_named_context_insecure,
	                test_missing_context_cluster, test_unsupported_auth, test_malformed,
	                test_billion_laughs, test_files_relative, test_huge_file, test_incluster);
	tl_rmtree(tmpdir);
	return rc;
}
