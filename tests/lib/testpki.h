/*
 * testpki — the PKI fixture of the C tests: a temporary directory with a
 * fleet CA made by pki_init() (and, for tests of refusals, an unrelated
 * second CA) and certificates issued from them by pki_issue() into files.
 * Its steps assert, so a broken fixture fails the test; it checks nothing
 * about the certificates themselves (test_pki does that).
 */
#ifndef REWIND_TESTPKI_H
#define REWIND_TESTPKI_H

#include <stddef.h>
#include <stdint.h>

struct tpki {
	char root[256];    /* the temporary directory */
	char pki[300];     /* root/pki: the fleet CA (when made) */
	char other[300];   /* root/other: an unrelated CA (when made) */
	char msg[512];     /* the reason of the last refusal */
};

/*
 * Makes T's directory ($TMPDIR/NAME-XXXXXX) and NCAS CAs in it: 0 none, 1
 * the fleet CA in T->pki, 2 also the unrelated one in T->other.  Returns 0,
 * or -1 (T->msg or errno says why) for a cmocka set-up to return.  The
 * caller removes it all with tpki_close().
 */
int tpki_open(struct tpki *t, const char *name, int ncas);

/* Removes T's directory and everything in it. */
void tpki_close(struct tpki *t);

/*
 * cmocka set-ups and tear-down for tests whose state is a struct tpki:
 * a directory without a CA, with the fleet CA, with both CAs.  The tear-down
 * removes the directory and frees the state.
 */
int tpki_setup_dir(void **state);
int tpki_setup_ca(void **state);
int tpki_setup_two(void **state);
int tpki_teardown(void **state);

/*
 * Issues ROLE/NAME from the CA in CA_DIR (valid for DAYS, 0 for the default,
 * starting OFFSET seconds from now) into T->root/STEM.key and STEM.crt,
 * whose paths go to key and crt (sz bytes each).  Asserts success.
 */
void tpki_issue(struct tpki *t, const char *ca_dir, const char *role, const char *name, int days,
                int64_t offset, const char *stem, char *key, char *crt, size_t sz);

#endif
