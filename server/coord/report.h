/*
 * report — an incident's follow-up as Markdown (runbook section 6):
 * summary, timeline, the decision with its answers, the operations with the
 * artifact hashes and image digests involved, migration decisions and gate
 * overrides, time to detect and time to recover, and the retro headings
 * (root cause, detection gaps, action items).  Reads the store; writes
 * nothing.
 */
#ifndef REWIND_REPORT_H
#define REWIND_REPORT_H

#include <stdint.h>

#include "store_catalog.h"
#include "store_coord.h"
#include "store_incident.h"
#include "store_vault.h"

/* *md is malloc'd (free()); RW_ENOTFOUND for an unknown incident. */
int report_incident(store_t *st, int64_t id, char **md);

#endif
