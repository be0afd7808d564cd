/*
 * kubecfg — in-cluster and kubeconfig loading (see kubecfg.h).
 *
 * The kubeconfig is turned into a jansson tree first (libyaml's document
 * API, scalars as strings) and then navigated; that keeps the lookup code
 * small.  Aliases are resolved by libyaml as shared nodes, so the
 * conversion counts nodes to stop "billion laughs" documents.
 */
#include "kubecfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/base64.h>
#include <yaml.h>

#include "domain.h"
#include "err.h"

#define KUBECFG_YAML_NODES_MAX 100000

static void
kc_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

int
kubecfg_read_file(const char *path, size_t max, char **out, size_t *len, char *msg, size_t msgsz)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rw_fail(errno == ENOENT ? RW_ENOTFOUND : RW_EIO, msg, msgsz, "%s: %s", path,
		               strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rw_fail(RW_EIO, msg, msgsz, "%s: not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: larger than %zu bytes", path, max);
	}
	/* Read to EOF with a bound rather than trusting st_size (files may grow). */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			close(fd);
			return rw_fail(RW_EIO, msg, msgsz, "%s: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			close(fd);
			return rw_fail(RW_ETOOBIG, msg, msgsz, "%s: larger than %zu bytes", path, max);
		}
		if (n == cap) {
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

/* Strips trailing whitespace (token files end in a newline). */
static void
kc_rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int
kc_load_token_file(const char *path, struct kubecfg *out, char *msg, size_t msgsz)
{
	char *t = NULL;
	size_t n = 0;
	int rc = kubecfg_read_file(path, KUBECFG_TOKEN_FILE_MAX, &t, &n, msg, msgsz);
	if (rc)
		return rc;
	kc_rstrip(t);
	n = strlen(t);
	if (n == 0 || n > KUBECFG_TOKEN_MAX || strpbrk(t, "\r\n")) {
		kc_wipe(t, n);
		free(t);
		return rw_fail(n == 0 ? RW_EINVAL : RW_ETOOBIG, msg, msgsz,
		               "%s: token is empty, too long or has several lines", path);
	}
	memcpy(out->token, t, n + 1);
	kc_wipe(t, n);
	free(t);
	if (strlen(path) > KUBECFG_PATH_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "token file path too long");
	snprintf(out->token_file, sizeof(out->token_file), "%s", path);
	return 0;
}

static int
kc_load_ca_file(const char *path, struct kubecfg *out, char *msg, size_t msgsz)
{
	char *pem = NULL;
	size_t n = 0;
	int rc = kubecfg_read_file(path, KUBECFG_FILE_MAX, &pem, &n, msg, msgsz);
	if (rc)
		return rc;
	if (!strstr(pem, "-----BEGIN CERTIFICATE-----")) {
		free(pem);
		return rw_fail(RW_EINVAL, msg, msgsz, "%s: no PEM certificate in it", path);
	}
	free(out->ca_pem);
	out->ca_pem = pem;
	out->ca_len = n;
	return 0;
}

static void
kc_init(struct kubecfg *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->namespace_, sizeof(out->namespace_), "default");
}

void
kubecfg_clear(struct kubecfg *c)
{
	if (!c)
		return;
	free(c->ca_pem);
	kc_wipe(c->token, sizeof(c->token));
	memset(c, 0, sizeof(*c));
}

int
kubecfg_copy(struct kubecfg *dst, const struct kubecfg *src)
{
	*dst = *src;
	dst->ca_pem = NULL;
	if (src->ca_pem) {
		dst->ca_pem = malloc(src->ca_len + 1);
		if (!dst->ca_pem) {
			kc_wipe(dst->token, sizeof(dst->token));
			return RW_ENOMEM;
		}
		memcpy(dst->ca_pem, src->ca_pem, src->ca_len);
		dst->ca_pem[src->ca_len] = '\0';
	}
	return 0;
}

/* --- in-cluster ----------------------------------------------------------- */

static int
kc_join(char *out, size_t outsz, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, outsz, "%s/%s", dir, name) >= outsz)
		return RW_ETOOBIG;
	return 0;
}

int
kubecfg_load_incluster(const char *sa_dir, struct kubecfg *out, char *msg, size_t msgsz)
{
	kc_init(out);
	if (!sa_dir)
		sa_dir = KUBECFG_SA_DIR;
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port)
		return rw_fail(RW_ENOTFOUND, msg, msgsz,
		               "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set");
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return rw_fail(RW_EINVAL, msg, msgsz, "KUBERNETES_SERVICE_PORT is not a port number");
	int w = strchr(host, ':') ? snprintf(out->server, sizeof(out->server), "https://[%s]:%s", host, port)
	                          : snprintf(out->server, sizeof(out->server), "https://%s:%s", host, port);
	if (w < 0 || (size_t)w >= sizeof(out->server))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "KUBERNETES_SERVICE_HOST too long");

	char path[KUBECFG_PATH_MAX + 1];
	int rc;
	if (kc_join(path, sizeof(path), sa_dir, "token"))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "service account directory path too long");
	if ((rc = kc_load_token_file(path, out, msg, msgsz)))
		goto fail;
	kc_join(path, sizeof(path), sa_dir, "ca.crt");
	if ((rc = kc_load_ca_file(path, out, msg, msgsz)))
		goto fail;
	kc_join(path, sizeof(path), sa_dir, "namespace");
	char *ns = NULL;
	if (kubecfg_read_file(path, 1024, &ns, NULL, NULL, 0) == 0) {
		kc_rstrip(ns);
		if (*ns && strlen(ns) <= KUBECFG_NS_MAX)
			snprintf(out->namespace_, sizeof(out->namespace_), "%s", ns);
		free(ns);
	}
	return 0;
fail:
	kubecfg_clear(out);
	return rc;
}

/* --- kubeconfig: YAML to jansson ----------------------------------------- */

static json_t *
kc_yaml_node(yaml_document_t *doc, yaml_node_t *node, int depth, size_t *budget)
{
	if (!node || depth > 64 || *budget == 0)
		return NULL;
	(*budget)--;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return json_stringn((const char *)node->data.scalar.value, node->data.scalar.length);
	case YAML_SEQUENCE_NODE: {
		json_t *a = json_array();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     a && it < node->data.sequence.items.top; it++) {
			json_t *v = kc_yaml_node(doc, yaml_document_get_node(doc, *it), depth + 1, budget);
			if (!v || json_array_append_new(a, v)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case YAML_MAPPING_NODE: {
		json_t *o = json_object();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     o && p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			if (!k || k->type != YAML_SCALAR_NODE) {
				json_decref(o);
				return NULL;
			}
			json_t *v = kc_yaml_node(doc, yaml_document_get_node(doc, p->value), depth + 1, budget);
			char key[256];
			if (!v || k->data.scalar.length >= sizeof(key)) {
				json_decref(v);
				json_decref(o);
				return NULL;
			}
			memcpy(key, k->data.scalar.value, k->data.scalar.length);
			key[k->data.scalar.length] = '\0';
			json_object_set_new(o, key, v);
		}
		return o;
	}
	default:
		return NULL;
	}
}

static int
kc_parse_yaml(const char *text, size_t len, json_t **out, char *msg, size_t msgsz)
{
	yaml_parser_t p;
	yaml_document_t doc;
	*out = NULL;
	if (!yaml_parser_initialize(&p))
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		int rc = rw_fail(RW_EINVAL, msg, msgsz, "kubeconfig is not valid YAML: %s at line %zu",
		                 p.problem ? p.problem : "parse error", p.problem_mark.line + 1);
		yaml_parser_delete(&p);
		return rc;
	}
	size_t budget = KUBECFG_YAML_NODES_MAX;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	json_t *j = root ? kc_yaml_node(&doc, root, 0, &budget) : NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (!j)
		return rw_fail(budget == 0 ? RW_ETOOBIG : RW_EINVAL, msg, msgsz,
		               budget == 0 ? "kubeconfig has too many YAML nodes"
		                           : "kubeconfig is empty or has an unsupported structure");
	if (!json_is_object(j)) {
		json_decref(j);
		return rw_fail(RW_EINVAL, msg, msgsz, "kubeconfig is not a YAML mapping");
	}
	*out = j;
	return 0;
}

/* Finds the entry NAME in a kubeconfig list (clusters/users/contexts) and returns its FIELD. */
static json_t *
kc_named(json_t *root, const char *list, const char *name, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(root, list), i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n && !strcmp(n, name))
			return json_object_get(e, field);
	}
	return NULL;
}

static const char *
kc_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
kc_path(char *out, size_t outsz, const char *base, const char *p)
{
	int w = (p[0] == '/' || !base) ? snprintf(out, outsz, "%s", p) : snprintf(out, outsz, "%s/%s", base, p);
	return (w < 0 || (size_t)w >= outsz) ? RW_ETOOBIG : 0;
}

static int
kc_b64_ca(const char *b64, struct kubecfg *out, char *msg, size_t msgsz)
{
	size_t n = strlen(b64), need = 0;
	if (n > KUBECFG_FILE_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "certificate-authority-data too large");
	int r = mbedtls_base64_decode(NULL, 0, &need, (const unsigned char *)b64, n);
	if (r == MBEDTLS_ERR_BASE64_INVALID_CHARACTER || need == 0)
		return rw_fail(RW_EINVAL, msg, msgsz, "certificate-authority-data is not valid base64");
	unsigned char *pem = malloc(need + 1);
	if (!pem)
		return rw_fail(RW_ENOMEM, msg, msgsz, "out of memory");
	if (mbedtls_base64_decode(pem, need, &need, (const unsigned char *)b64, n)) {
		free(pem);
		return rw_fail(RW_EINVAL, msg, msgsz, "certificate-authority-data is not valid base64");
	}
	pem[need] = '\0';
	if (!strstr((char *)pem, "-----BEGIN CERTIFICATE-----")) {
		free(pem);
		return rw_fail(RW_EINVAL, msg, msgsz, "certificate-authority-data holds no PEM certificate");
	}
	free(out->ca_pem);
	out->ca_pem = (char *)pem;
	out->ca_len = need;
	return 0;
}

static int
kc_cluster(json_t *c, const char *name, const char *base, struct kubecfg *out, char *msg, size_t msgsz)
{
	const char *server = kc_str(c, "server");
	if (!server || !*server)
		return rw_fail(RW_EINVAL, msg, msgsz, "cluster \"%s\" has no server", name);
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))
		return rw_fail(RW_EINVAL, msg, msgsz, "cluster \"%s\": server must be http(s)://", name);
	if (rw_strcpy(out->server, sizeof(out->server), server))
		return rw_fail(RW_ETOOBIG, msg, msgsz, "cluster \"%s\": server URL too long", name);
	size_t sl = strlen(out->server);
	while (sl > 0 && out->server[sl - 1] == '/')
		out->server[--sl] = '\0';
	/* Refused rather than ignored: ignoring them would connect differently from kubectl. */
	if (json_object_get(c, "proxy-url"))
		return rw_fail(RW_EINVAL, msg, msgsz, "cluster \"%s\": proxy-url is not supported", name);
	if (json_object_get(c, "tls-server-name"))
		return rw_fail(RW_EINVAL, msg, msgsz, "cluster \"%s\": tls-server-name is not supported", name);
	const char *insecure = kc_str(c, "insecure-skip-tls-verify");
	out->insecure = insecure && !strcmp(insecure, "true");
	const char *data = kc_str(c, "certificate-authority-data");
	const char *file = kc_str(c, "certificate-authority");
	if (data && *data)
		return kc_b64_ca(data, out, msg, msgsz);
	if (file && *file) {
		char p[KUBECFG_PATH_MAX + 1];
		if (kc_path(p, sizeof(p), base, file))
			return rw_fail(RW_ETOOBIG, msg, msgsz, "certificate-authority path too long");
		return kc_load_ca_file(p, out, msg, msgsz);
	}
	return 0;
}

static int
kc_user(json_t *u, const char *name, const char *base, struct kubecfg *out, char *msg, size_t msgsz)
{
	static const char *const unsupported[] = {
		"client-certificate", "client-certificate-data", "client-key", "client-key-data",
		"exec", "auth-provider", "username", "password", "as", "impersonate", NULL};
	for (int i = 0; unsupported[i]; i++)
		if (json_object_get(u, unsupported[i]))
			return rw_fail(RW_EINVAL, msg, msgsz,
			               "user \"%s\": \"%s\" authentication is not supported "
			               "(use a bearer token: token or tokenFile)", name, unsupported[i]);
	const char *tok = kc_str(u, "token");
	const char *tfile = kc_str(u, "tokenFile");
	if (tok && *tok) {
		if (strlen(tok) > KUBECFG_TOKEN_MAX)
			return rw_fail(RW_ETOOBIG, msg, msgsz, "user \"%s\": token too long", name);
		memcpy(out->token, tok, strlen(tok) + 1);
		return 0;
	}
	if (tfile && *tfile) {
		char p[KUBECFG_PATH_MAX + 1];
		if (kc_path(p, sizeof(p), base, tfile))
			return rw_fail(RW_ETOOBIG, msg, msgsz, "tokenFile path too long");
		return kc_load_token_file(p, out, msg, msgsz);
	}
	return 0; /* anonymous: allowed, the server decides */
}

static int
kc_resolve(json_t *root, const char *base, const char *context, struct kubecfg *out,
           char *msg, size_t msgsz)
{
	if (!context)
		context = kc_str(root, "current-context");
	if (!context || !*context)
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "kubeconfig has no current-context");
	json_t *ctx = kc_named(root, "contexts", context, "context");
	if (!json_is_object(ctx))
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "context \"%s\" not found in kubeconfig", context);
	const char *cname = kc_str(ctx, "cluster"), *uname = kc_str(ctx, "user");
	const char *ns = kc_str(ctx, "namespace");
	if (!cname)
		return rw_fail(RW_EINVAL, msg, msgsz, "context \"%s\" names no cluster", context);
	json_t *cl = kc_named(root, "clusters", cname, "cluster");
	if (!json_is_object(cl))
		return rw_fail(RW_ENOTFOUND, msg, msgsz, "cluster \"%s\" not found in kubeconfig", cname);
	int rc = kc_cluster(cl, cname, base, out, msg, msgsz);
	if (rc)
		return rc;
	if (uname && *uname) {
		json_t *u = kc_named(root, "users", uname, "user");
		if (!json_is_object(u))
			return rw_fail(RW_ENOTFOUND, msg, msgsz, "user \"%s\" not found in kubeconfig", uname);
		if ((rc = kc_user(u, uname, base, out, msg, msgsz)))
			return rc;
	}
	if (ns && *ns) {
		if (strlen(ns) > KUBECFG_NS_MAX)
			return rw_fail(RW_ETOOBIG, msg, msgsz, "context namespace too long");
		snprintf(out->namespace_, sizeof(out->namespace_), "%s", ns);
	}
	return 0;
}

int
kubecfg_load_text(const char *text, size_t len, const char *base_dir, const char *context,
                  struct kubecfg *out, char *msg, size_t msgsz)
{
	kc_init(out);
	if (len > KUBECFG_FILE_MAX)
		return rw_fail(RW_ETOOBIG, msg, msgsz, "kubeconfig larger than %d bytes", KUBECFG_FILE_MAX);
	json_t *root = NULL;
	int rc = kc_parse_yaml(text, len, &root, msg, msgsz);
	if (rc)
		return rc;
	rc = kc_resolve(root, base_dir, context, out, msg, msgsz);
	json_decref(root); /* holds the token as a string: jansson frees it unwiped (accepted) */
	if (rc)
		kubecfg_clear(out);
	return rc;
}

int
kubecfg_load_file(const char *path, const char *context, struct kubecfg *out, char *msg, size_t msgsz)
{
	kc_init(out);
	char *text = NULL;
	size_t len = 0;
	int rc = kubecfg_read_file(path, KUBECFG_FILE_MAX, &text, &len, msg, msgsz);
	if (rc)
		return rc;
	char dir[KUBECFG_PATH_MAX + 1];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = kubecfg_load_text(text, len, slash ? (dir[0] ? dir : "/") : NULL, context, out, msg, msgsz);
	kc_wipe(text, len);
	free(text);
	return rc;
}
