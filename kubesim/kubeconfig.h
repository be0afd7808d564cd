/*
 * kcfg: renders and writes the kubeconfig a client uses to reach a
 * simulated cluster: a context per listener (HTTPS with the CA and token,
 * and plain HTTP), the HTTPS one current when TLS is on. Does not parse
 * kubeconfigs.
 */
#ifndef KUBESIM_KUBECONFIG_H
#define KUBESIM_KUBECONFIG_H

struct kcfg {
    const char *name;      /* cluster name */
    const char *http_url;  /* NULL if no plain listener */
    const char *https_url; /* NULL if no TLS listener */
    const char *ca_pem;
    const char *token;
    const char *ns;        /* default namespace */
};

/* New YAML text (caller frees) or NULL on allocation failure. */
char *kcfg_render(const struct kcfg *k);
/* Writes text to path atomically (temp file + rename), mode 0600. */
int kcfg_write(const char *path, const char *text);

#endif
