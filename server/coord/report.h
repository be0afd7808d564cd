/*
 * report — an incident's follow-up as Markdown (runbook section 6):
 * summary, timeline, the decision with its answers, the operations with the
 * artifact hashes and image digests involved, migration decisions and gate
 * overrides, time to detect and time to recover, and the retro headings
 * (root cause, detection gaps, action items).  report_incident() reads the
 * store into struct report_facts, report_render() writes the Markdown from
 * them and nothing else; neither writes to the store.
 */
#ifndef REWIND_REPORT_H
#define REWIND_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "domain_coord.h"
#include "store.h"

/* A release of the incident's operations, with its artifacts. */
struct report_release {
	rw_release_t rel;
	rw_artifact_t *artifacts;       /* none when they could not be read */
	size_t nartifacts;
};

/* What a report says, as read. */
struct report_facts {
	rw_incident_t inc;              /* with its timeline */
	rw_operation_t *ops;            /* the incident's own and the failed deploy that caused it, */
	size_t nops;                    /* newest first */
	const rw_operation_t *cause;    /* into ops; NULL when none is known */
	struct report_release *releases; /* of the operations' steps, each once, in order of */
	size_t nreleases;               /* appearance (at most REPORT_RELEASES_MAX) */
};

#define REPORT_RELEASES_MAX 64

/* The Markdown of f: *md is malloc'd (free()); RW_ETOOBIG past RW_REPORT_MAX. */
int report_render(const struct report_facts *f, char **md);

/* *md is malloc'd (free()); RW_ENOTFOUND for an unknown incident. */
int report_incident(store_t *st, int64_t id, char **md);

#endif
