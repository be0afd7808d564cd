/*
 * kubecfg — where the agent finds its Kubernetes API server and credentials.
 *
 * Two sources, like client-go: the in-cluster service account (env
 * KUBERNETES_SERVICE_HOST/PORT plus token, ca.crt and namespace files) or a
 * kubeconfig file (YAML, parsed with libyaml).  Only bearer tokens (inline or
 * tokenFile) and CA certificates (file or base64 data) are supported; client
 * certificates, exec/auth-provider plugins and basic auth are refused with a
 * clear error rather than silently ignored.
 *
 * It does not talk to the server (see kube.h) and never logs the token.
 * Files read are bounded (kubeconfig 1 MiB, token 64 KiB, CA 1 MiB).
 */
#ifndef REWIND_AGENT_KUBECFG_H
#define REWIND_AGENT_KUBECFG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBECFG_SERVER_MAX 1024
#define KUBECFG_TOKEN_MAX 16384
#define KUBECFG_PATH_MAX 4096
#define KUBECFG_NS_MAX 63
#define KUBECFG_FILE_MAX (1024 * 1024)
#define KUBECFG_TOKEN_FILE_MAX (64 * 1024)

#define KUBECFG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * A resolved configuration.  Owns ca_pem (heap); release with
 * kubecfg_clear(), which also wipes the token.  Copyable only via
 * kubecfg_copy() because of that pointer.
 */
struct kubecfg {
	char server[KUBECFG_SERVER_MAX + 1];   /* https://host:port, no trailing '/' */
	char token[KUBECFG_TOKEN_MAX + 1];     /* bearer token, '' if none */
	/* When set, kube.c re-reads the token from here (bound service-account
	 * tokens rotate; client-go re-reads them too). */
	char token_file[KUBECFG_PATH_MAX + 1];
	char *ca_pem;                          /* PEM bytes (owned), NULL = system CAs */
	size_t ca_len;
	bool insecure;                         /* insecure-skip-tls-verify */
	char namespace_[KUBECFG_NS_MAX + 1];   /* default namespace, "default" if unset */
};

/*
 * In-cluster configuration.  sa_dir NULL means KUBECFG_SA_DIR.  Needs
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (an IPv6 host gets
 * brackets), sa_dir/token and sa_dir/ca.crt; sa_dir/namespace is optional.
 * Returns 0, RW_ENOTFOUND (not in a cluster), RW_EIO, RW_ETOOBIG or RW_EINVAL
 * with a reason in msg.
 */
int kubecfg_load_incluster(const char *sa_dir, struct kubecfg *out, char *msg, size_t msgsz);

/*
 * Kubeconfig file.  context NULL means current-context.  Relative paths in
 * the file (certificate-authority, tokenFile) are resolved against the
 * file's directory, as kubectl does.  Returns 0, RW_ENOTFOUND (no such
 * context/cluster/user), RW_EINVAL (malformed YAML, unsupported auth),
 * RW_ETOOBIG or RW_EIO with a reason in msg.
 */
int kubecfg_load_file(const char *path, const char *context, struct kubecfg *out,
                      char *msg, size_t msgsz);

/* Parses kubeconfig text already in memory (for tests); base_dir resolves
 * relative paths (NULL = current directory). */
int kubecfg_load_text(const char *text, size_t len, const char *base_dir, const char *context,
                      struct kubecfg *out, char *msg, size_t msgsz);

/* Deep copy (dst gets its own ca_pem).  Returns 0 or RW_ENOMEM. */
int kubecfg_copy(struct kubecfg *dst, const struct kubecfg *src);

/* Frees ca_pem and wipes the token; the struct may be reused. */
void kubecfg_clear(struct kubecfg *c);

/*
 * Reads a whole file of at most max bytes into a NUL-terminated heap buffer
 * (*out, caller frees).  RW_ETOOBIG when larger, RW_EIO / RW_ENOTFOUND on
 * failure.  Shared with kube.c for token re-reads.
 */
int kubecfg_read_file(const char *path, size_t max, char **out, size_t *len, char *msg, size_t msgsz);

#endif
