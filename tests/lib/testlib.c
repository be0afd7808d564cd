/*
 * testlib — shared helpers of the C tests: running a cmocka group, temporary
 * directories, small files, JSON fixtures and a clock (see testlib.h).
 * Nothing here tests anything by itself; it only asserts that its own steps
 * worked.
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

int
tl_run(const char *group, const char *names, const CMUnitTestFunction *fns, size_t n,
       CMFixtureFunction setup, CMFixtureFunction teardown)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	char *copy = strdup(names), *save = NULL, *name;
	size_t i = 0;
	int rc = -1;

	if (tests == NULL || copy == NULL)
		goto out;
	/* The stringified list: "test_a, test_b, ..." (the preprocessor folds white space). */
	for (name = strtok_r(copy, ", ", &save); name != NULL; name = strtok_r(NULL, ", ", &save)) {
		if (i == n)
			break;
		tests[i].name = name;
		tests[i].test_func = fns[i];
		i++;
	}
	if (i != n || name != NULL) {
		fprintf(stderr, "tl_run: \"%s\" does not name %zu test functions\n", names, n);
		goto out;
	}
	rc = _cmocka_run_group_tests(group, tests, n, setup, teardown);
out:
	free(copy);
	free(tests);
	return rc;
}

int
tl_tmpdir(char *out, size_t outsz, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	n = snprintf(out, outsz, "%s/%s-XXXXXX", tmp, name);
	if (n < 0 || (size_t)n >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) == NULL ? -1 : 0;
}

void
tl_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1024];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			tl_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

char *
tl_path(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	assert_true(n >= 0 && (size_t)n < outsz);
	return out;
}

void
tl_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

char *
tl_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	assert_non_null(f);
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	assert_false(ferror(f));
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int64_t
tl_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return ts.tv_sec * INT64_C(1000) + ts.tv_nsec / 1000000;
}

struct json_t *
tl_json(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		print_error("tl_json: %s at line %d: %s\n", e.text, e.line, text);
	assert_non_null(v);
	return v;
}
