/*
 * textfmt — human output: aligned tables in the style of kubectl (upper-case
 * headers, columns separated by three spaces), times and ages.  Formatting
 * only; JSON output is built with jansson by the callers.
 */
#ifndef REWIND_TEXTFMT_H
#define REWIND_TEXTFMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct textfmt_table textfmt_table_t;

/* headers[ncols]; returns NULL when out of memory.  Free with textfmt_table_free(). */
textfmt_table_t *textfmt_table_new(size_t ncols, const char *const *headers);
/* Copies the cells (ncols of them; NULL prints as empty). */
int textfmt_table_add(textfmt_table_t *t, const char *const *cells);
void textfmt_table_print(const textfmt_table_t *t, FILE *f);
void textfmt_table_free(textfmt_table_t *t);

/* "2026-11-26T05:30:00Z", or "-" for 0. */
const char *textfmt_time(int64_t us, char *buf, size_t bufsz);
/* kubectl-style age relative to now_us: "45s", "12m", "3h", "5d". */
const char *textfmt_age(int64_t us, int64_t now_us, char *buf, size_t bufsz);

#endif
