/*
 * testpki — the PKI fixture of the C tests (see testpki.h): a directory with
 * one or two CAs, and certificates issued into it.  It uses shared/net/pki.c
 * only to build the fixture; what pki.c must get right is test_pki's business.
 */
#include "testpki.h"

#include <stdio.h>
#include <stdlib.h>

#include "pki.h"
#include "testlib.h"

int
tpki_open(struct tpki *t, const char *name, int ncas)
{
	if (tl_tmpdir(t->root, sizeof(t->root), name) != 0)
		return -1;
	snprintf(t->pki, sizeof(t->pki), "%s/pki", t->root);
	snprintf(t->other, sizeof(t->other), "%s/other", t->root);
	if (ncas >= 1 && pki_init(t->pki, NULL, 0, t->msg, sizeof(t->msg)) != 0)
		return -1;
	if (ncas >= 2 && pki_init(t->other, NULL, 0, t->msg, sizeof(t->msg)) != 0)
		return -1;
	return 0;
}

void
tpki_close(struct tpki *t)
{
	tl_rmtree(t->root);
}

/* A struct tpki with NCAS CAs as the test's state. */
static int
setup_with(void **state, int ncas)
{
	struct tpki *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (tpki_open(t, "rewind-pki", ncas) != 0) {
		fprintf(stderr, "tpki_open: %s\n", t->msg);
		tpki_close(t);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int
tpki_setup_dir(void **state)
{
	return setup_with(state, 0);
}

int
tpki_setup_ca(void **state)
{
	return setup_with(state, 1);
}

int
tpki_setup_two(void **state)
{
	return setup_with(state, 2);
}

int
tpki_teardown(void **state)
{
	struct tpki *t = *state;

	tpki_close(t);
	free(t);
	return 0;
}

void
tpki_issue(struct tpki *t, const char *ca_dir, const char *role, const char *name, int days,
           int64_t offset, const char *stem, char *key, char *crt, size_t sz)
{
	char file[64];
	int rv;

	snprintf(file, sizeof(file), "%s.key", stem);
	tl_path(key, sz, t->root, file);
	snprintf(file, sizeof(file), "%s.crt", stem);
	tl_path(crt, sz, t->root, file);
	rv = pki_issue(ca_dir, role, name, days, offset, key, crt, t->msg, sizeof(t->msg));
	if (rv != 0)
		print_error("pki_issue(%s, %s): %s\n", role, name, t->msg);
	assert_int_equal(rv, 0);
}
