/*
 * log — structured single-line logging.  Thread-safe: each line is formatted
 * into a local buffer and written with one fwrite under a lock, so lines from
 * different threads never interleave.  Does not rotate files.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"

static const char *component = "rewind";
static enum log_level min_level = LOG_INFO;
static FILE *out;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void
log_init(const char *name)
{
	component = name;
}

void
log_set_level(enum log_level level)
{
	min_level = level;
}

int
log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			min_level = (enum log_level)i;
			return 0;
		}
	}
	return RW_EINVAL;
}

int
log_enabled(enum log_level level)
{
	return level >= min_level;
}

int
log_set_file(const char *path)
{
	FILE *f = fopen(path, "ae");
	if (!f)
		return RW_EIO;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&lock);
	if (out)
		fclose(out);
	out = f;
	pthread_mutex_unlock(&lock);
	return 0;
}

const char *
log_q(char *buf, size_t bufsz, const char *value)
{
	size_t o = 0;
	if (bufsz < 3) {
		if (bufsz)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (const char *p = value ? value : ""; *p && o + 3 < bufsz; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '?'; /* control characters would break the one-line format */
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void
log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	             tm.tm_sec, ts.tv_nsec / 1000000L, level_names[level], component, event);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line) && fmt && *fmt) {
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* truncated: keep it one line */
	line[n++] = '\n';
	pthread_mutex_lock(&lock);
	fwrite(line, 1, (size_t)n, out ? out : stderr);
	pthread_mutex_unlock(&lock);
}
