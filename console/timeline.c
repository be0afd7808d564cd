/*
 * timeline — SVG drawing of an audit timeline (timeline.h).
 *
 * Layout: a header, one lane per service (incidents are bands across all
 * lanes, since an incident belongs to the environment), a UTC time axis
 * with round ticks, and a legend.  Deployments are bars from start to
 * finish (a running one reaches the right edge), coloured by kind and
 * outcome; captured releases are small diamonds.  Every item has a <title>
 * so a browser shows details on hover.
 */
#include "timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"

#define TL_LEFT 200
#define TL_RIGHT 30
#define TL_TOP 70
#define TL_LANE 44
#define TL_MAX_LANES 200

size_t
timeline_xml_escape(const char *in, char *out, size_t cap)
{
	size_t need = 0, used = 0;
	bool full = false;

	for (const unsigned char *p = (const unsigned char *)in; p && *p; p++) {
		char one[2] = {(char)*p, '\0'};
		const char *rep = one;
		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				rep = ""; /* not representable in XML 1.0 */
			break;
		}
		size_t n = strlen(rep);
		need += n;
		if (!full && out && used + n < cap) {
			memcpy(out + used, rep, n);
			used += n;
		} else {
			full = true; /* never emit half an entity */
		}
	}
	if (out && cap)
		out[used] = '\0';
	return need;
}

/* Prints escaped text (bounded; long labels are cut before escaping). */
static void
put_text(FILE *f, const char *s, size_t max)
{
	char cut[512], esc[3000];
	snprintf(cut, sizeof(cut) < max + 1 ? sizeof(cut) : max + 1, "%s", s ? s : "");
	timeline_xml_escape(cut, esc, sizeof(esc));
	fputs(esc, f);
}

struct tl {
	FILE *f;
	int64_t since, until;
	double plot_w;
	const char *lanes[TL_MAX_LANES];
	size_t nlanes;
};

static double
x_of(const struct tl *t, int64_t us)
{
	if (us < t->since)
		us = t->since;
	if (us > t->until)
		us = t->until;
	return TL_LEFT + (double)(us - t->since) / (double)(t->until - t->since) * t->plot_w;
}

static void
fmt_time(int64_t us, char *buf, size_t cap, bool date)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, cap, date ? "%Y-%m-%d %H:%M" : "%H:%M", &tm);
}

/* The lane of a service, added on first sight (incidents have none). */
static int
lane_of(struct tl *t, const char *service)
{
	for (size_t i = 0; i < t->nlanes; i++)
		if (strcmp(t->lanes[i], service) == 0)
			return (int)i;
	if (t->nlanes == TL_MAX_LANES)
		return -1;
	t->lanes[t->nlanes] = service;
	return (int)t->nlanes++;
}

/* The first rule that matches the item (or its outcome) gives the fill. */
static const char *
colour(const char *item, const char *outcome)
{
	static const struct {
		bool of_outcome;
		const char *is, *fill;
	} rules[] = {
		{false, "incident", "#d32f2f"}, {false, "release", "#546e7a"},
		{true, "failed", "#c62828"},    {true, "rolled-back", "#ef6c00"},
		{true, "pending", "#9e9e9e"},   {false, "rollback", "#6a1b9a"},
		{false, "hotfix", "#1565c0"},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].of_outcome ? outcome : item, rules[i].is) == 0)
			return rules[i].fill;
	return "#2e7d32";
}

static void
axis(struct tl *t, double bottom)
{
	static const int64_t steps[] = {60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
	                                7 * 86400, 30 * 86400};
	int64_t span = (t->until - t->since) / 1000000, step = steps[9];
	char buf[40];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 8) {
			step = steps[i];
			break;
		}
	fprintf(t->f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
	        TL_LEFT, bottom, TL_LEFT + t->plot_w, bottom);
	for (int64_t s = (t->since / 1000000 / step + 1) * step; s * 1000000 <= t->until; s += step) {
		double x = x_of(t, s * 1000000);
		fmt_time(s * 1000000, buf, sizeof(buf), step >= 3600 || s % 86400 == 0);
		fprintf(t->f,
		        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
		        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
		        "fill=\"#333\">%s</text>\n",
		        x, TL_TOP - 10, x, bottom, x, bottom + 16, buf);
	}
}

static void
item_title(struct tl *t, const char *item, const char *label, int64_t a, int64_t b,
           const char *outcome)
{
	char s[40], e[40];
	fmt_time(a, s, sizeof(s), true);
	if (b)
		fmt_time(b, e, sizeof(e), true);
	fputs("<title>", t->f);
	put_text(t->f, item, 32);
	fputs(" ", t->f);
	put_text(t->f, label, 200);
	fprintf(t->f, " %s UTC%s%s", s, b ? " to " : "", b ? e : "");
	if (outcome[0]) {
		fputs(" (", t->f);
		put_text(t->f, outcome, 32);
		fputs(")", t->f);
	}
	fputs("</title>", t->f);
}

static void
draw_item(struct tl *t, const rw_table_t *tab, size_t r, double bottom)
{
	const char *svc = rw_table_cell(tab, r, 0), *item = rw_table_cell(tab, r, 1);
	const char *label = rw_table_cell(tab, r, 2), *outcome = rw_table_cell(tab, r, 5);
	int64_t a = strtoll(rw_table_cell(tab, r, 3), NULL, 10);
	int64_t b = strtoll(rw_table_cell(tab, r, 4), NULL, 10);
	double x0 = x_of(t, a), x1 = x_of(t, b ? b : t->until);
	const char *col = colour(item, outcome);

	if (strcmp(item, "incident") == 0) {
		fprintf(t->f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		        "fill-opacity=\"0.15\" stroke=\"%s\" stroke-dasharray=\"4 3\">",
		        x0, TL_TOP, x1 - x0 < 2 ? 2 : x1 - x0, bottom - TL_TOP, col, col);
		item_title(t, item, label, a, b, outcome);
		fprintf(t->f, "</rect>\n<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"%s\">",
		        x0 + 3, TL_TOP - 22, col);
		put_text(t->f, label, 40);
		fputs("</text>\n", t->f);
		return;
	}
	int lane = lane_of(t, svc);
	if (lane < 0)
		return;
	double y = TL_TOP + lane * TL_LANE;
	if (strcmp(item, "release") == 0) {
		fprintf(t->f, "<path d=\"M%.1f %.1f l5 5 l-5 5 l-5 -5 z\" fill=\"%s\">", x0, y + 2,
		        col);
		item_title(t, "release captured", label, a, 0, "");
		fputs("</path>\n", t->f);
		return;
	}
	fprintf(t->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" rx=\"3\" "
	        "fill=\"%s\">", x0, y + 14, x1 - x0 < 3 ? 3 : x1 - x0, col);
	item_title(t, item, label, a, b, outcome);
	fprintf(t->f, "</rect>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#222\">%s",
	        x0 + 2, y + 40, strcmp(item, "rollback") == 0 ? "\xe2\x86\xba " : "");
	put_text(t->f, label, 24);
	fputs("</text>\n", t->f);
}

static void
legend(struct tl *t, double y)
{
	static const char *const names[][2] = {
	    {"#2e7d32", "deploy succeeded"}, {"#1565c0", "hotfix"}, {"#6a1b9a", "rollback"},
	    {"#ef6c00", "rolled back mid-rollout"}, {"#c62828", "failed"}, {"#9e9e9e", "running"},
	    {"#546e7a", "release captured"}, {"#d32f2f", "incident"}};
	double x = TL_LEFT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fprintf(t->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">%s</text>\n",
		        x, y, names[i][0], x + 16, y + 10, names[i][1]);
		x += 28 + 7.0 * (double)strlen(names[i][1]);
	}
}

int
timeline_render(FILE *f, const rw_table_t *tab, const char *env, int64_t since, int64_t until,
                bool html)
{
	struct tl t = {.f = f, .since = since, .until = until};
	char a[40], b[40];
	double bottom;
	int height;

	if (tab->ncols != 6 || strcmp(tab->cols[0], "service") != 0 || until <= since)
		return RW_EINVAL;
	t.plot_w = TIMELINE_WIDTH - TL_LEFT - TL_RIGHT;
	/* Lanes first, so the height is known before drawing. */
	for (size_t r = 0; r < tab->nrows; r++)
		if (strcmp(rw_table_cell(tab, r, 1), "incident") != 0)
			(void)lane_of(&t, rw_table_cell(tab, r, 0));
	bottom = TL_TOP + (double)(t.nlanes ? t.nlanes : 1) * TL_LANE;
	height = (int)bottom + 70;
	if (html)
		fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Rewind "
		        "timeline</title><style>body{margin:0;background:#fff;font-family:sans-serif}"
		        "</style></head><body>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	        TIMELINE_WIDTH, height, TIMELINE_WIDTH, height);
	fmt_time(since, a, sizeof(a), true);
	fmt_time(until, b, sizeof(b), true);
	fputs("<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\" fill=\"#111\">", f);
	put_text(f, env, 63);
	fprintf(f, ": releases, deployments, rollbacks and incidents, %s to %s UTC</text>\n", a, b);
	for (size_t i = 0; i < t.nlanes; i++) {
		double y = TL_TOP + (double)i * TL_LANE;
		fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", y,
		        TIMELINE_WIDTH, TL_LANE, i % 2 ? "#f7f7f7" : "#eef3f8");
		fprintf(f, "<text x=\"10\" y=\"%.1f\" font-size=\"13\" fill=\"#111\">", y + 26);
		put_text(f, t.lanes[i], 28);
		fputs("</text>\n", f);
	}
	axis(&t, bottom);
	for (size_t r = 0; r < tab->nrows; r++)
		draw_item(&t, tab, r, bottom);
	legend(&t, bottom + 36);
	fputs("</svg>\n", f);
	if (html)
		fputs("</body></html>\n", f);
	return ferror(f) ? RW_EIO : 0;
}
