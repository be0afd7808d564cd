/*
 * report — incident follow-up in Markdown (report.h).  Built in a growing
 * buffer capped at RW_REPORT_MAX; text from the database is written as is
 * except that table cells lose their '|' and newlines.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "store_catalog.h"
#include "store_coord.h"
#include "store_incident.h"
#include "store_vault.h"

struct buf {
	char *s;
	size_t n, cap;
	int err;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->err = RW_EINTERNAL;
			return;
		}
		if ((size_t)k < b->cap - b->n) {
			b->n += (size_t)k;
			return;
		}
		size_t ncap = b->cap * 2;
		char *ns;
		if (ncap > RW_REPORT_MAX) {
			b->err = RW_ETOOBIG;
			return;
		}
		if (!(ns = realloc(b->s, ncap))) {
			b->err = RW_ENOMEM;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
}

/* A table cell: no '|' or newline. */
static const char *
cell(const char *in, char *out, size_t cap)
{
	size_t i = 0;
	for (; *in && i + 1 < cap; in++)
		out[i++] = (*in == '|' || *in == '\n') ? ' ' : *in;
	out[i] = '\0';
	return out[0] ? out : "-";
}

static const char *
when(int64_t us, char *out, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!us)
		return "-";
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm);
	return out;
}

static void
duration(struct buf *b, const char *label, int64_t from, int64_t to)
{
	if (!from || !to || to < from) {
		put(b, "- **%s:** unknown\n", label);
		return;
	}
	long long s = (long long)((to - from) / 1000000);
	put(b, "- **%s:** %lld min %lld s\n", label, s / 60, s % 60);
}

static void
header(struct buf *b, const rw_incident_t *inc, const rw_operation_t *cause)
{
	char t1[40], t2[40], t3[40], t4[40];
	put(b, "# Incident #%lld: %s\n\n", (long long)inc->id, inc->title[0] ? inc->title : "(untitled)");
	put(b, "- **Environment:** %s\n- **Severity:** %s\n- **Coordinator:** %s\n- **Status:** %s\n",
	    inc->env, inc->severity, inc->coordinator, inc->status);
	put(b, "- **Opened:** %s\n- **Detected:** %s\n- **Recovered:** %s\n- **Closed:** %s\n",
	    when(inc->opened_at, t1, sizeof(t1)), when(inc->detected_at, t2, sizeof(t2)),
	    when(inc->recovered_at, t3, sizeof(t3)), when(inc->closed_at, t4, sizeof(t4)));
	if (cause)
		put(b, "- **Caused by:** operation #%lld (%s), started %s\n", (long long)cause->id,
		    rw_op_kind_name(cause->kind), when(cause->started_at, t1, sizeof(t1)));
	int64_t detected = inc->detected_at ? inc->detected_at : inc->opened_at;
	duration(b, "Time to detect", cause ? cause->started_at : 0, detected);
	duration(b, "Time to recover", detected, inc->recovered_at);
	put(b, "\n## Summary\n\n%s\n", inc->summary[0] ? inc->summary
	                                              : "_No summary yet (rewindctl incident close "
	                                                "--summary)._");
}

static void
timeline(struct buf *b, const rw_incident_t *inc)
{
	char t[40], c1[300], c2[2100];
	put(b, "\n## Timeline\n\n| time (UTC) | kind | who | what |\n|---|---|---|---|\n");
	for (size_t i = 0; i < inc->ntimeline; i++) {
		const rw_timeline_t *e = &inc->timeline[i];
		put(b, "| %s | %s | %s | %s |\n", when(e->at, t, sizeof(t)), e->kind,
		    cell(e->actor, c1, sizeof(c1)), cell(e->text, c2, sizeof(c2)));
	}
}

static void
decision(struct buf *b, const rw_incident_t *inc)
{
	char c[400];
	put(b, "\n## Decision\n\n");
	if (!inc->decision[0]) {
		put(b, "_No decision recorded (rewindctl decide --env %s)._\n", inc->env);
		return;
	}
	put(b, "Recommendation: **%s** (runbook section 2, decision tree and choosing table).\n\n",
	    inc->decision);
	put(b, "| question | answer |\n|---|---|\n");
	for (uint32_t i = 0; i < inc->nanswers; i++)
		put(b, "| %s | %s |\n", inc->answers[i].key, cell(inc->answers[i].value, c, sizeof(c)));
}

static void
artifacts_of(struct buf *b, const struct report_release *r)
{
	for (size_t i = 0; i < r->nartifacts; i++) {
		const rw_artifact_t *a = &r->artifacts[i];
		put(b, "  - artifact `%s` (%s): sha256 `%s`, %lld bytes, last check %s\n", a->name,
		    a->kind, a->sha256, (long long)a->size, a->outcome);
	}
}

/* Releases of the operations, each once: image, digest, commit, artifacts, migrations. */
static void
releases(struct buf *b, const struct report_facts *f)
{
	put(b, "\n## Artifacts and digests\n\n");
	for (size_t i = 0; i < f->nreleases; i++) {
		const rw_release_t *r = &f->releases[i].rel;
		put(b, "- **%s:%s** — `%s`, digest `%s`, commit `%s`\n", r->service, r->version,
		    r->image_ref, r->digest[0] ? r->digest : "(not pinned)",
		    r->source_commit[0] ? r->source_commit : "-");
		artifacts_of(b, &f->releases[i]);
	}
	put(b, "\n## Migration decisions\n\n");
	for (size_t i = 0; i < f->nreleases; i++) {
		const rw_release_t *r = &f->releases[i].rel;
		put(b, "- %s:%s — migrations backwards compatible: %s\n", r->service, r->version,
		    !strcmp(r->migrations_compat, "yes")  ? "yes"
		    : !strcmp(r->migrations_compat, "no") ? "**no** (rolling back past it needs the "
		                                            "backend runbook)"
		                                          : "not stated");
	}
	for (size_t i = 0; i < f->nops; i++)
		if (f->ops[i].override_gate[0])
			put(b, "- operation #%lld overrode a gate: %s\n", (long long)f->ops[i].id,
			    f->ops[i].override_gate);
}

static void
operations(struct buf *b, const rw_operation_t *ops, size_t n)
{
	char c[600];
	put(b, "\n## Operations\n\n| # | kind | state | service | version | image sent | outcome |"
	       "\n|---|---|---|---|---|---|---|\n");
	for (size_t i = n; i-- > 0;)
		for (uint32_t k = 0; k < ops[i].nsteps; k++) {
			const rw_op_step_t *s = &ops[i].steps[k];
			put(b, "| %lld | %s | %s | %s | %s | `%s` | %s%s |\n", (long long)ops[i].id,
			    rw_op_kind_name(ops[i].kind), ops[i].state, s->service, s->version, s->image,
			    s->outcome, s->known_good ? ", known-good" : "");
		}
	for (size_t i = n; i-- > 0;) {
		if (ops[i].result[0])
			put(b, "\n- #%lld result: %s", (long long)ops[i].id, cell(ops[i].result, c, sizeof(c)));
		if (ops[i].warnings[0])
			put(b, "\n- #%lld warnings: %s", (long long)ops[i].id,
			    cell(ops[i].warnings, c, sizeof(c)));
		if (ops[i].smoke_rc >= 0)
			put(b, "\n- #%lld smoke test exit code %d", (long long)ops[i].id, ops[i].smoke_rc);
	}
	put(b, "\n");
}

static void
retro(struct buf *b, const rw_incident_t *inc)
{
	put(b, "\n## Retro\n\n### Root cause\n\n%s\n\n", inc->root_cause[0] ? inc->root_cause : "_To be written._");
	put(b, "### Detection gaps\n\n%s\n\n",
	    inc->detected_at ? "- Detected by Rewind's health verification; check whether staging "
	                       "could have caught it."
	                     : "- _To be written._");
	put(b, "### Action items\n\n- [ ] _To be written._\n");
}

int
report_render(const struct report_facts *f, char **md)
{
	struct buf b = {0};

	*md = NULL;
	if (!(b.s = malloc(b.cap = 16384)))
		return RW_ENOMEM;
	header(&b, &f->inc, f->cause);
	timeline(&b, &f->inc);
	decision(&b, &f->inc);
	operations(&b, f->ops, f->nops);
	releases(&b, f);
	retro(&b, &f->inc);
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*md = b.s;
	return 0;
}

/* --- gathering ------------------------------------------------------------------ */

/* The incident's operations plus the failed deploy that caused it (newest first). */
static int
load_ops(store_t *st, const rw_incident_t *inc, rw_operation_t **ops, size_t *n,
         const rw_operation_t **cause)
{
	rw_operation_t *all = NULL;
	size_t na = 0;
	int rv = store_op_list(st, inc->env, 0, 50, &all, &na);
	int64_t detected = inc->detected_at ? inc->detected_at : inc->opened_at;

	*ops = NULL;
	*n = 0;
	*cause = NULL;
	if (rv)
		return rv;
	/* Keep the incident's own and the newest failed deploy/promote before detection. */
	bool have_cause = false;
	for (size_t i = 0; i < na; i++) {
		bool mine = all[i].incident_id == inc->id;
		bool is_cause = !have_cause && !mine && all[i].created_at <= detected &&
		                !strcmp(all[i].state, "failed") &&
		                (all[i].kind == RW_OP_DEPLOY || all[i].kind == RW_OP_PROMOTE);
		if (!mine && !is_cause)
			continue;
		if (is_cause)
			have_cause = true;
		if (*n != i)
			all[*n] = all[i];
		if (is_cause)
			*cause = &all[*n];
		(*n)++;
	}
	*ops = all;
	return 0;
}

/* The releases of the operations' steps, each once, with their artifacts. */
static int
load_releases(store_t *st, struct report_facts *f)
{
	if (!(f->releases = calloc(REPORT_RELEASES_MAX, sizeof(*f->releases))))
		return RW_ENOMEM;
	for (size_t i = 0; i < f->nops; i++)
		for (uint32_t k = 0; k < f->ops[i].nsteps; k++) {
			int64_t id = f->ops[i].steps[k].release_id;
			struct report_release *r = &f->releases[f->nreleases];
			bool dup = false;
			for (size_t j = 0; j < f->nreleases; j++)
				dup |= f->releases[j].rel.id == id;
			if (dup || f->nreleases >= REPORT_RELEASES_MAX || store_release_get(st, id, &r->rel))
				continue;
			f->nreleases++;
			if (store_artifact_list(st, r->rel.id, 0, &r->artifacts, &r->nartifacts) != 0) {
				r->artifacts = NULL;
				r->nartifacts = 0;
			}
		}
	return 0;
}

static void
facts_clear(struct report_facts *f)
{
	for (size_t i = 0; i < f->nreleases; i++)
		free(f->releases[i].artifacts);
	free(f->releases);
	free(f->inc.timeline);
	free(f->ops);
}

int
report_incident(store_t *st, int64_t id, char **md)
{
	struct report_facts *f = calloc(1, sizeof(*f));
	int rv;

	*md = NULL;
	if (!f)
		return RW_ENOMEM;
	if ((rv = store_incident_get(st, id, &f->inc)) == 0 &&
	    (rv = load_ops(st, &f->inc, &f->ops, &f->nops, &f->cause)) == 0 &&
	    (rv = load_releases(st, f)) == 0)
		rv = report_render(f, md);
	facts_clear(f);
	free(f);
	return rv;
}
