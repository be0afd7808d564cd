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

static struct report_facts F;
static rw_operation_t OPS[2];
static rw_timeline_t TL[3];
static struct report_release REL[2];
static rw_artifact_t ART[1];

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
	snprintf(inc->env, sizeof(inc->env), "prod");
	snprintf(inc->title, sizeof(inc->title), "checkout down");
	snprintf(inc->severity, sizeof(inc->severity), "sev2");
	snprintf(inc->coordinator, sizeof(inc->coordinator), "alice");
	snprintf(inc->status, sizeof(inc->status), "mitigated");
	inc->opened_at = T0 + S(130);
	inc->detected_at = T0 + S(125);
	inc->recovered_at = T0 + S(125 + 8 * 60 + 3);
	snprintf(inc->decision, sizeof(inc->decision), "rollback");
	inc->nanswers = 1;
	snprintf(inc->answers[0].key, sizeof(inc->answers[0].key), "customer-impact");
	snprintf(inc->answers[0].value, sizeof(inc->answers[0].value), "yes (rewindd: web | down)");

	TL[0].at = T0 + S(125);
	snprintf(TL[0].kind, sizeof(TL[0].kind), "detection");
	snprintf(TL[0].actor, sizeof(TL[0].actor), "rewindd");
	snprintf(TL[0].text, sizeof(TL[0].text), "deploy #7 failed its checks: a|b\nc");
	TL[1].at = T0 + S(200);
	snprintf(TL[1].kind, sizeof(TL[1].kind), "note");
	inc->timeline = TL;
	inc->ntimeline = 2;

	/* Newest first: the rollback of the incident, then the deploy that caused it. */
	OPS[0].id = 8;
	OPS[0].kind = RW_OP_ROLLBACK;
	snprintf(OPS[0].state, sizeof(OPS[0].state), "succeeded");
	OPS[0].incident_id = 3;
	OPS[0].smoke_rc = 0;
	snprintf(OPS[0].result, sizeof(OPS[0].result), "1 service(s) rolled back and verified");
	snprintf(OPS[0].override_gate, sizeof(OPS[0].override_gate), "no time");
	OPS[0].nsteps = 1;
	snprintf(OPS[0].steps[0].service, sizeof(OPS[0].steps[0].service), "web");
	snprintf(OPS[0].steps[0].version, sizeof(OPS[0].steps[0].version), "v1");
	snprintf(OPS[0].steps[0].image, sizeof(OPS[0].steps[0].image), "ghcr.io/acme/web@sha256:01");
	snprintf(OPS[0].steps[0].outcome, sizeof(OPS[0].steps[0].outcome), "succeeded");
	OPS[0].steps[0].known_good = true;
	OPS[1].id = 7;
	OPS[1].kind = RW_OP_DEPLOY;
	snprintf(OPS[1].state, sizeof(OPS[1].state), "failed");
	OPS[1].started_at = T0;
	OPS[1].smoke_rc = -1;
	snprintf(OPS[1].warnings, sizeof(OPS[1].warnings), "web:v2 is not digest-pinned");
	OPS[1].nsteps = 1;
	snprintf(OPS[1].steps[0].service, sizeof(OPS[1].steps[0].service), "web");
	snprintf(OPS[1].steps[0].version, sizeof(OPS[1].steps[0].version), "v2");
	snprintf(OPS[1].steps[0].image, sizeof(OPS[1].steps[0].image), "ghcr.io/acme/web:v2");
	snprintf(OPS[1].steps[0].outcome, sizeof(OPS[1].steps[0].outcome), "failed");
	F.ops = OPS;
	F.nops = 2;
	F.cause = &OPS[1];

	rw_release_t *r = &REL[0].rel;
	snprintf(r->service, sizeof(r->service), "web");
	snprintf(r->version, sizeof(r->version), "v1");
	snprintf(r->image_ref, sizeof(r->image_ref), "ghcr.io/acme/web:v1");
	snprintf(r->digest, sizeof(r->digest), "sha256:01");
	snprintf(r->source_commit, sizeof(r->source_commit), "abc123");
	snprintf(r->migrations_compat, sizeof(r->migrations_compat), "yes");
	snprintf(ART[0].name, sizeof(ART[0].name), "config.tar.gz");
	snprintf(ART[0].kind, sizeof(ART[0].kind), "config-archive");
	snprintf(ART[0].sha256, sizeof(ART[0].sha256), "ffee");
	ART[0].size = 1234;
	snprintf(ART[0].outcome, sizeof(ART[0].outcome), "ok");
	REL[0].artifacts = ART;
	REL[0].nartifacts = 1;
	r = &REL[1].rel;
	snprintf(r->service, sizeof(r->service), "web");
	snprintf(r->version, sizeof(r->version), "v2");
	snprintf(r->image_ref, sizeof(r->image_ref), "ghcr.io/acme/web:v2");
	snprintf(r->migrations_compat, sizeof(r->migrations_compat), "no");
	F.releases = REL;
	F.nreleases = 2;
	return 0;
}

static char *
render(void)
{
	char *md = NULL;
	assert_int_equal(report_render(&F, &md), 0);
	assert_non_null(md);
	return md;
}

/* s contains want (printed when not, for a readable failure). */
static void
has(const char *s, const char *want)
{
	if (!strstr(s, want))
		fprintf(stderr, "missing:\n%s\nin:\n%s\n", want, s);
	assert_non_null(strstr(s, want));
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
	char *md = render();
	const char *at = md;
	(void)state;

	assert_true(strncmp(md, headings[0], strlen(headings[0])) == 0);
	for (size_t i = 0; i < sizeof(headings) / sizeof(headings[0]); i++) {
		const char *next = strstr(at, headings[i]);
		assert_non_null(next);
		at = next;
	}
	free(md);
}

static void
test_header(void **state)
{
	char *md = render();
	(void)state;

	has(md, "- **Environment:** prod\n- **Severity:** sev2\n- **Coordinator:** alice\n"
	        "- **Status:** mitigated\n");
	has(md, "- **Opened:** 2023-11-14 22:15:30Z\n- **Detected:** 2023-11-14 22:15:25Z\n"
	        "- **Recovered:** 2023-11-14 22:23:28Z\n- **Closed:** -\n");
	has(md, "- **Caused by:** operation #7 (deploy), started 2023-11-14 22:13:20Z\n");
	has(md, "## Summary\n\n_No summary yet (rewindctl incident close --summary)._\n");
	free(md);
}

static void
test_time_to_detect_and_recover(void **state)
{
	char *md = render();
	(void)state;

	/* Detect: from the causing operation's start; recover: from detection. */
	has(md, "- **Time to detect:** 2 min 5 s\n");
	has(md, "- **Time to recover:** 8 min 3 s\n");
	free(md);

	/* Without detection the opening counts; without a cause or recovery: unknown. */
	F.inc.detected_at = 0;
	F.inc.recovered_at = 0;
	md = render();
	has(md, "- **Time to detect:** 2 min 10 s\n");
	has(md, "- **Time to recover:** unknown\n");
	has(md, "### Detection gaps\n\n- _To be written._\n");
	free(md);

	F.cause = NULL;
	md = render();
	has(md, "- **Time to detect:** unknown\n");
	assert_null(strstr(md, "Caused by"));
	free(md);

	/* Recovered "before" detection: unknown, not negative. */
	F.inc.detected_at = T0 + S(600);
	F.inc.recovered_at = T0 + S(500);
	md = render();
	has(md, "- **Time to recover:** unknown\n");
	free(md);
}

static void
test_timeline_rows(void **state)
{
	char *md = render();
	(void)state;

	has(md, "## Timeline\n\n| time (UTC) | kind | who | what |\n|---|---|---|---|\n"
	        "| 2023-11-14 22:15:25Z | detection | rewindd | deploy #7 failed its checks: a b c |\n"
	        "| 2023-11-14 22:16:40Z | note | - | - |\n");
	free(md);
}

static void
test_decision(void **state)
{
	char *md = render();
	(void)state;

	has(md, "## Decision\n\nRecommendation: **rollback** (runbook section 2, decision tree and "
	        "choosing table).\n\n| question | answer |\n|---|---|\n"
	        "| customer-impact | yes (rewindd: web   down) |\n");
	free(md);

	F.inc.decision[0] = '\0';
	md = render();
	has(md, "## Decision\n\n_No decision recorded (rewindctl decide --env prod)._\n");
	free(md);
}

static void
test_operations_and_releases(void **state)
{
	char *md = render();
	(void)state;

	/* Oldest first. */
	has(md, "| # | kind | state | service | version | image sent | outcome |\n"
	        "|---|---|---|---|---|---|---|\n"
	        "| 7 | deploy | failed | web | v2 | `ghcr.io/acme/web:v2` | failed |\n"
	        "| 8 | rollback | succeeded | web | v1 | `ghcr.io/acme/web@sha256:01` | succeeded, "
	        "known-good |\n");
	has(md, "\n- #7 warnings: web:v2 is not digest-pinned"
	        "\n- #8 result: 1 service(s) rolled back and verified"
	        "\n- #8 smoke test exit code 0\n");
	has(md, "## Artifacts and digests\n\n"
	        "- **web:v1** — `ghcr.io/acme/web:v1`, digest `sha256:01`, commit `abc123`\n"
	        "  - artifact `config.tar.gz` (config-archive): sha256 `ffee`, 1234 bytes, last "
	        "check ok\n"
	        "- **web:v2** — `ghcr.io/acme/web:v2`, digest `(not pinned)`, commit `-`\n");
	has(md, "## Migration decisions\n\n"
	        "- web:v1 — migrations backwards compatible: yes\n"
	        "- web:v2 — migrations backwards compatible: **no** (rolling back past it needs the "
	        "backend runbook)\n"
	        "- operation #8 overrode a gate: no time\n");
	free(md);
}

static void
test_retro(void **state)
{
	char *md = render();
	(void)state;

	has(md, "## Retro\n\n### Root cause\n\n_To be written._\n\n### Detection gaps\n\n"
	        "- Detected by Rewind's health verification; check whether staging could have "
	        "caught it.\n\n### Action items\n\n- [ ] _To be written._\n");
	free(md);

	snprintf(F.inc.root_cause, sizeof(F.inc.root_cause), "a bad migration");
	snprintf(F.inc.summary, sizeof(F.inc.summary), "rolled back in 8 minutes");
	F.inc.title[0] = '\0';
	md = render();
	has(md, "# Incident #3: (untitled)\n");
	has(md, "## Summary\n\nrolled back in 8 minutes\n");
	has(md, "### Root cause\n\na bad migration\n");
	free(md);
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
		snprintf(big[i].kind, sizeof(big[i].kind), "note");
	}
	F.inc.timeline = big;
	F.inc.ntimeline = RW_TIMELINE_MAX;
	assert_int_equal(report_render(&F, &md), RW_ETOOBIG);
	assert_null(md);
}

#define T_(fn) cmocka_unit_test_setup(fn, setup)

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
