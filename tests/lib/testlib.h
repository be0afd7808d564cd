/*
 * testlib — what the C tests share: cmocka's set-up (its headers, and main()
 * running one group of tests), temporary directories and their removal,
 * reading and writing small files, parsing JSON fixtures, and a clock.
 * Every helper that can fail asserts, so a broken fixture fails the test
 * that uses it.  It knows none of Rewind's types (the simulator's tests use
 * it too); the PKI fixture (a CA and issued certificates) is testpki.h.
 */
#ifndef REWIND_TESTLIB_H
#define REWIND_TESTLIB_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

struct json_t;

/*
 * TL_RUN(GROUP, SETUP, TEARDOWN, TEST...): runs the test functions TEST... as
 * one cmocka group named GROUP, with the group fixtures SETUP and TEARDOWN
 * (NULL for none), and returns the number of tests that failed.  The names
 * cmocka prints are the TESTs' names, taken from the list's own text: list
 * plain function names.  (Tests with fixtures of their own use cmocka's
 * cmocka_run_group_tests() with cmocka_unit_test_setup_teardown() entries.)
 */
#define TL_RUN(group, setup, teardown, ...)                                                    \
	tl_run((group), #__VA_ARGS__, (const CMUnitTestFunction[]){__VA_ARGS__},               \
	       sizeof((const CMUnitTestFunction[]){__VA_ARGS__}) / sizeof(CMUnitTestFunction), \
	       (setup), (teardown))

/* TL_MAIN(GROUP, SETUP, TEARDOWN, TEST...): a main() that does TL_RUN and nothing else. */
#define TL_MAIN(group, setup, teardown, ...)                       \
	int main(void)                                             \
	{                                                          \
		return TL_RUN(group, setup, teardown, __VA_ARGS__); \
	}

/*
 * What TL_RUN calls: runs the N functions FNS, named by the comma-separated
 * NAMES, as the group GROUP.  Returns cmocka's count of failed tests, or -1
 * when NAMES does not name N tests.
 */
int tl_run(const char *group, const char *names, const CMUnitTestFunction *fns, size_t n,
           CMFixtureFunction setup, CMFixtureFunction teardown);

/*
 * A new empty directory $TMPDIR/NAME-XXXXXX (/tmp where TMPDIR is unset or
 * empty); its path goes to out.  Returns 0, or -1 with errno set (for cmocka
 * set-ups, which report failure by returning non-zero).  The caller removes
 * it with tl_rmtree().
 */
int tl_tmpdir(char *out, size_t outsz, const char *name);

/* Removes DIR and everything below it (symbolic links are removed, not followed). */
void tl_rmtree(const char *dir);

/* out = "DIR/NAME" (asserts that it fits); returns out. */
char *tl_path(char *out, size_t outsz, const char *dir, const char *name);

/* Creates or replaces the file PATH with TEXT (asserts). */
void tl_write(const char *path, const char *text);

/*
 * The whole file PATH, NUL-terminated; its length goes to *len when len is
 * not NULL.  Asserts that it can be read.  The caller frees the result.
 */
char *tl_read(const char *path, size_t *len);

/* Milliseconds on the monotonic clock, for timing steps within a test. */
int64_t tl_now_ms(void);

/* TEXT parsed as JSON (asserts that it parses); the caller owns it (json_decref). */
struct json_t *tl_json(const char *text);

#endif
