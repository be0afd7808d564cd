/*
 * textfmt — tables are buffered (rows of strdup'd cells) so column widths
 * can be measured before printing.  Cells are printed verbatim except that
 * control characters become '?', so stored text cannot move the cursor or
 * break the layout of an operator's terminal.
 */
#include "textfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

struct textfmt_table {
	size_t ncols;
	size_t nrows, cap;
	char **cells; /* (nrows + 1) * ncols; row 0 holds the headers */
};

static char *
clean_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		return NULL;
	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

static int
append_row(textfmt_table_t *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, ncap * t->ncols * sizeof(*n));
		if (!n)
			return RW_ENOMEM;
		t->cells = n;
		t->cap = ncap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *d = clean_dup(cells[c]);
		if (!d) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return RW_ENOMEM;
		}
		t->cells[t->nrows * t->ncols + c] = d;
	}
	t->nrows++;
	return 0;
}

textfmt_table_t *
textfmt_table_new(size_t ncols, const char *const *headers)
{
	textfmt_table_t *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (append_row(t, headers) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

int
textfmt_table_add(textfmt_table_t *t, const char *const *cells)
{
	return append_row(t, cells);
}

/* Display width: counts UTF-8 lead bytes, so accented names still line up. */
static size_t
width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
textfmt_table_print(const textfmt_table_t *t, FILE *f)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c + 1 == t->ncols) {
				fprintf(f, "%s", cell);
				break;
			}
			fprintf(f, "%s%*s", cell, (int)(w[c] - width(cell) + 3), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void
textfmt_table_free(textfmt_table_t *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *
textfmt_time(int64_t us, char *buf, size_t bufsz)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	if (us == 0) {
		snprintf(buf, bufsz, "-");
		return buf;
	}
	gmtime_r(&s, &tm);
	strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *
textfmt_age(int64_t us, int64_t now_us, char *buf, size_t bufsz)
{
	int64_t s = (now_us - us) / 1000000;
	if (us == 0)
		snprintf(buf, bufsz, "-");
	else if (s < 0)
		snprintf(buf, bufsz, "0s");
	else if (s < 120)
		snprintf(buf, bufsz, "%llds", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, bufsz, "%lldm", (long long)(s / 60));
	else if (s < 48 * 3600)
		snprintf(buf, bufsz, "%lldh", (long long)(s / 3600));
	else
		snprintf(buf, bufsz, "%lldd", (long long)(s / 86400));
	return buf;
}
