/*
 * kcfg: kubeconfig YAML. Every value written is either generated here or
 * checked by main (names and tokens are restricted to safe characters), so
 * plain quoting is enough.
 */
#include "kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>

static char *kcfg_b64(const char *s)
{
    size_t need = 0, n = strlen(s);
    mbedtls_base64_encode(NULL, 0, &need, (const unsigned char *)s, n);
    char *out = malloc(need + 1);
    if (!out)
        return NULL;
    if (mbedtls_base64_encode((unsigned char *)out, need + 1, &need, (const unsigned char *)s, n)) {
        free(out);
        return NULL;
    }
    out[need] = '\0';
    return out;
}

char *kcfg_render(const struct kcfg *k)
{
    char *ca = k->ca_pem ? kcfg_b64(k->ca_pem) : NULL;
    if (k->ca_pem && !ca)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        free(ca);
        return NULL;
    }
    const char *ns = k->ns ? k->ns : "default";
    const char *tok = k->token ? k->token : "kubesim";
    fprintf(f, "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
    if (k->https_url)
        fprintf(f, "- name: %s\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n",
                k->name, k->https_url, ca ? ca : "");
    if (k->http_url)
        fprintf(f, "- name: %s-http\n  cluster:\n    server: %s\n", k->name, k->http_url);
    fprintf(f, "users:\n- name: %s-admin\n  user:\n    token: \"%s\"\ncontexts:\n", k->name, tok);
    if (k->https_url)
        fprintf(f, "- name: %s\n  context:\n    cluster: %s\n    user: %s-admin\n    namespace: %s\n",
                k->name, k->name, k->name, ns);
    if (k->http_url)
        fprintf(f, "- name: %s-http\n  context:\n    cluster: %s-http\n    user: %s-admin\n"
                "    namespace: %s\n", k->name, k->name, k->name, ns);
    fprintf(f, "current-context: %s%s\n", k->name, k->https_url ? "" : "-http");
    free(ca);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int kcfg_write(const char *path, const char *text)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int rc = (w < 0 || (size_t)w != n) ? -EIO : 0;
    if (close(fd) != 0)
        rc = -EIO;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}
