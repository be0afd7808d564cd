/*
 * test_report — unit tests of report_render() (server/coord/report.c): an
 * incident's follow-up in Markdown from hand-made facts — the headings in
 * order, the header fields, timeline rows (cells without '|' or newlines),
 * the decision with its answers, operations, releases with artifacts and
 * migration decisions, time to detect and to recover, the placeholders of
 * an incident without them, and the size bound.  No database
 * (report_incident's reads are not called).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report.h"

#define S(x) ((int64_t)(x) * 1000000)
#define T0 S(1700000000) /* 2023-11-14 22:13:20Z */

/* Fills a fixed buffer (cut to fit). */
#define SET(dst, s) snprintf((dst), sizeof(dst), "%s", (s))

static struct report_facts F;
static rw_operation_t OPS[2];
static rw_timeline_t TL[3];
static struct report_release REL[2];
static rw_artifact_t ART[1];
static char *MD;                /* the last report rendered */

/* An operation of one step, web at version, its outcome the operation's state. */
static void
op(rw_operation_t *o, int64_t id, enum rw_op_kind kind, const char *state, const char *version,
   const char *image)
{
	o->id = id;
	o->kind = kind;
	o->smoke_rc = -1;
	SET(o->state, state);
	o->nsteps = 1;
	SET(o->steps[0].service, "web");
	SET(o->steps[0].version, version);
	SET(o->steps[0].image, image);
	SET(o->steps[0].outcome, state);
}

static int
setup(void **state)
{
	rw_incident_t *inc = &F.inc;
	(void)state;

	memset(&F, 0, sizeof(F));
	memset(OPS, 0, sizeof(OPS));
	memset(TL, 0, sizeof(TL));
	memset(REL, 0, sizeof(REL));
	memset(ART, 0, sizeof(ART));

	inc->id = 3;
	SET(inc->env, "prod");
	SET(inc->title, "checkout down");
	SET(inc->severity, "sev2");
	SET(inc->coordinator, "alice");
	SET(inc->status, "mitigated");
	inc->opened_at = T0 + S(130);
	inc->detected_at = T0 + S(125);
	inc->recovered_at = T0 + S(125 + 8 * 60 + 3);
	SET(inc->decision, "rollback");
	inc->nanswers = 1;
	SET(inc->answers[0].key, "customer-impact");
	SET(inc->answers[0].value, "yes (rewindd: web | down)");

	TL[0].at = T0 + S(125);
	SET(TL[0].kind, "detection");
	SET(TL[0].actor, "rewindd");
	SET(TL[0].text, "deploy #7 failed its checks: a|b\nc");
	TL[1].at = T0 + S(200);
	SET(TL[1].kind, "note");
	inc->timeline = TL;
	inc->ntimeline = 2;

	/* Newest first: the rollback of the incident, then the deploy that caused it. */
	op(&OPS[0], 8, RW_OP_ROLLBACK, "succeeded", "v1", "ghcr.io/acme/web@sha256:01");
	OPS[0].incident_id = 3;
	OPS[0].smoke_rc = 0;
	SET(OPS[0].result, "1 service(s) rolled back and verified");
	SET(OPS[0].override_gate, "no time");
	OPS[0].steps[0].known_good = true;
	op(&OPS[1], 7, RW_OP_DEPLOY, "failed", "v2", "ghcr.io/acme/web:v2");
	OPS[1].started_at = T0;
	SET(OPS[1].warnings, "web:v2 is not digest-pinned");
	F.ops = OPS;
	F.nops = 2;
	F.cause = &OPS[1];

	rw_release_t *r = &REL[0].rel;
	SET(r->service, "web");
	SET(r->version, "v1");
	SET(r->image_ref, "ghcr.io/acme/web:v1");
	SET(r->digest, "sha256:01");
	SET(r->source_commit, "abc123");
	SET(r->migrations_compat, "yes");
	SET(ART[0].name, "config.tar.gz");
	SET(ART[0].kind, "config-archive");
	SET(ART[0].sha256, "ffee");
	ART[0].size = 1234;
	SET(ART[0].outcome, "ok");
	REL[0].artifacts = ART;
	REL[0].nartifacts = 1;
	r = &REL[1].rel;
	SET(r->service, "web");
	SET(r->version, "v2");
	SET(r->image_ref, "ghcr.io/acme/web:v2");
	SET(r->migrations_compat, "no");
	F.releases = REL;
	F.nreleases = 2;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(MD);
	MD = NULL;
	return 0;
}

/* Renders F into MD (the previous report freed). */
static void
render(void)
{
	free(MD);
	MD = NULL;
	assert_int_equal(report_render(&F, &MD), 0);
	assert_non_null(MD);
}

/* The report contains want (both printed when not, for a readable failure). */
static void
has(const char *want)
{
	if (!strstr(MD, want))
		fprintf(stderr, "missing:\n%s\nin:\n%s\n", want, MD);
	assert_non_null(strstr(MD, want));
}

static void
test_headings_in_order(void **state)
{
	static const char *headings[] = {
		"# Incident #3: checkout down\n", "\n## Summary\n", "\n## Timeline\n",
		"\n## Decision\n", "\n## Operations\n", "\n## Artifacts and digests\n",
		"\n## Migration decisions\n", "\n## Retro\n", "\n### Root cause\n",
		"\n### Detection gaps\n", "\n### Action items\n",
	};
	const char *at;
	(void)state;

	render();
	at = MD;
	assert_true(strncmp(MD, headings[0], strlen(headings[0])) == 0);
	for (size_t i = 0; i < sizeof(headings) / sizeof(headings[0]); i++) {
		const char *next = strstr(at, headings[i]);
		assert_non_null(next);
		at = next;
	}
}

static void
test_header(void **state)
{
	(void)state;
	render();
	has("- **Environment:** prod\n- **Severity:** sev2\n- **Coordinator:** alice\n"
	    "- **Status:** mitigated\n");
	has("- **Opened:** 2023-11-14 22:15:30Z\n- **Detected:** 2023-11-14 22:15:25Z\n"
	    "- **Recovered:** 2023-11-14 22:23:28Z\n- **Closed:** -\n");
	has("- **Caused by:** operation #7 (deploy), started 2023-11-14 22:13:20Z\n");
	has("## Summary\n\n_No summary yet (rewindctl incident close --summary)._\n");
}

static void
test_time_to_detect_and_recover(void **state)
{
	(void)state;
	render();
	/* Detect: from the causing operation's start; recover: from detection. */
	has("- **Time to detect:** 2 min 5 s\n");
	has("- **Time to recover:** 8 min 3 s\n");

	/* Without detection the opening counts; without a cause or recovery: unknown. */
	F.inc.detected_at = 0;
	F.inc.recovered_at = 0;
	render();
	has("- **Time to detect:** 2 min 10 s\n");
	has("- **Time to recover:** unknown\n");
	has("### Detection gaps\n\n- _To be written._\n");

	F.cause = NULL;
	render();
	has("- **Time to detect:** unknown\n");
	assert_null(strstr(MD, "Caused by"));

	/* Recovered "before" detection: unknown, not negative. */
	F.inc.detected_at = T0 + S(600);
	F.inc.recovered_at = T0 + S(500);
	render();
	has("- **Time to recover:** unknown\n");
}

static void
test_timeline_rows(void **state)
{
	(void)state;
	render();
	has("## Timeline\n\n| time (UTC) | kind | who | what |\n|---|---|---|---|\n"
	    "| 2023-11-14 22:15:25Z | detection | rewindd | deploy #7 failed its checks: a b c |\n"
	    "| 2023-11-14 22:16:40Z | note | - | - |\n");
}

static void
test_decision(void **state)
{
	(void)state;
	render();
	has("## Decision\n\nRecommendation: **rollback** (runbook section 2, decision tree and "
	    "choosing table).\n\n| question | answer |\n|---|---|\n"
	    "| customer-impact | yes (rewindd: web   down) |\n");

	F.inc.decision[0] = '\0';
	render();
	has("## Decision\n\n_No decision recorded (rewindctl decide --env prod)._\n");
}

static void
test_operations_and_releases(void **state)
{
	(void)state;
	render();
	/* Oldest first. */
	has("| # | kind | state | service | version | image sent | outcome |\n"
	    "|---|---|---|---|---|---|---|\n"
	    "| 7 | deploy | failed | web | v2 | `ghcr.io/acme/web:v2` | failed |\n"
	    "| 8 | rollback | succeeded | web | v1 | `ghcr.io/acme/web@sha256:01` | succeeded, "
	    "known-good |\n");
	has("\n- #7 warnings: web:v2 is not digest-pinned"
	    "\n- #8 result: 1 service(s) rolled back and verified"
	    "\n- #8 smoke test exit code 0\n");
	has("## Artifacts and digests\n\n"
	    "- **web:v1** — `ghcr.io/acme/web:v1`, digest `sha256:01`, commit `abc123`\n"
	    "  - artifact `config.tar.gz` (config-archive): sha256 `ffee`, 1234 bytes, last "
	    "check ok\n"
	    "- **web:v2** — `ghcr.io/acme/web:v2`, digest `(not pinned)`, commit `-`\n");
	has("## Migration decisions\n\n"
	    "- web:v1 — migrations backwards compatible: yes\n"
	    "- web:v2 — migrations backwards compatible: **no** (rolling back past it needs the "
	    "backend runbook)\n"
	    "- operation #8 overrode a gate: no time\n");
}

static void
test_retro(void **state)
{
	(void)state;
	render();
	has("## Retro\n\n### Root cause\n\n_To be written._\n\n### Detection gaps\n\n"
	    "- Detected by Rewind's health verification; check whether staging could have "
	    "caught it.\n\n### Action items\n\n- [ ] _To be written._\n");

	SET(F.inc.root_cause, "a bad migration");
	SET(F.inc.summary, "rolled back in 8 minutes");
	F.inc.title[0] = '\0';
	render();
	has("# Incident #3: (untitled)\n");
	has("## Summary\n\nrolled back in 8 minutes\n");
	has("### Root cause\n\na bad migration\n");
}

static void
test_too_big(void **state)
{
	static rw_timeline_t big[RW_TIMELINE_MAX];
	char *md = (char *)1;
	(void)state;

	/* 500 entries of 2 kB each: past RW_REPORT_MAX. */
	for (size_t i = 0; i < RW_TIMELINE_MAX; i++) {
		memset(big[i].text, 'x', RW_TEXT_MAX);
		big[i].text[RW_TEXT_MAX] = '\0';
		SET(big[i].kind, "note");
	}
	F.inc.timeline = big;
	F.inc.ntimeline = RW_TIMELINE_MAX;
	assert_int_equal(report_render(&F, &md), RW_ETOOBIG);
	assert_null(md);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_headings_in_order),
		T_(test_header),
		T_(test_time_to_detect_and_recover),
		T_(test_timeline_rows),
		T_(test_decision),
		T_(test_operations_and_releases),
		T_(test_retro),
		T_(test_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
