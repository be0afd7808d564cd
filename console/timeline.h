/*
 * timeline — the audit timeline as a picture: each service's releases,
 * deployments (by kind and outcome), rollbacks and the environment's
 * incidents on one time axis, as a standalone SVG document or an HTML page
 * embedding it.  Plain C, no library: every text that reaches the document
 * goes through timeline_xml_escape().
 */
#ifndef REWIND_TIMELINE_H
#define REWIND_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "auditq.h"

#define TIMELINE_WIDTH 1200

/*
 * Escapes text for XML content and attribute values (& < > " '); drops
 * control characters XML 1.0 cannot carry.  Writes at most cap bytes
 * including the NUL (truncating at a character boundary of the escaped
 * form) and returns the length the full escape needs.
 */
size_t timeline_xml_escape(const char *in, char *out, size_t cap);

/*
 * Draws the items of an audit timeline table (columns service, item, label,
 * start_at, end_at, outcome) between since and until (unix us).  html wraps
 * the SVG in a page.  Returns 0 or RW_EINVAL (wrong columns) / RW_EIO.
 */
int timeline_render(FILE *f, const rw_table_t *t, const char *env, int64_t since, int64_t until,
                    bool html);

#endif
