/* One line per event, key=value, level first:
 *   level=warn event=handshake_refused peer=127.0.0.1:50212 reason=unknown_ca
 * Lines go to stderr (or the configured stream) whole, so threads do not
 * interleave inside a line. The level and stream are process-wide settings
 * chosen once at start-up by the program's main. No secrets in logs. */
#ifndef SDNS_LOG_H
#define SDNS_LOG_H

#include <stdio.h>

enum sdns_log_level {
	SDNS_LOG_ERROR = 0, SDNS_LOG_WARN = 1, SDNS_LOG_INFO = 2, SDNS_LOG_DEBUG = 3,
};

void sdns_log_setup(FILE *out, int level);
/* "error", "warn", "info", "debug"; -1 when unknown. */
int sdns_log_level_from_str(const char *s);
int sdns_log_enabled(int level);
/* fmt formats the rest of the line: "peer=%s reason=%s". */
void sdns_log(int level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
