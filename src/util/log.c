/* key=value logging; see sdns/log.h. */
#include "sdns/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* Process-wide by nature (one stderr); set once by main before threads. */
static FILE *log_out;
static atomic_int log_level = SDNS_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void sdns_log_setup(FILE *out, int level)
{
	log_out = out;
	atomic_store(&log_level, level);
}

int sdns_log_level_from_str(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

int sdns_log_enabled(int level)
{
	return level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

void sdns_log(int level, const char *event, const char *fmt, ...)
{
	if (!sdns_log_enabled(level) || level < 0 || level > 3)
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
	                 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	                 level_names[level], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* cut, but keep the line whole */
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len++] = '\n';
	/* One fwrite per line: stdio locks the stream, so lines stay whole. */
	fwrite(line, 1, len, log_out ? log_out : stderr);
	fflush(log_out ? log_out : stderr);
}
