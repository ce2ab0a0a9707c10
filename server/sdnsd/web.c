/* Where the console's files live by default: ../web beside the binary
 * (bin/sdnsd -> web/), like the migrations. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sdnsd.h"

void sdnsd_web_root_default(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(out, cap, "web");
		return;
	}
	exe[n] = '\0';
	snprintf(out, cap, "%s/../web", dirname(exe));
	char *real = realpath(out, NULL);
	if (real) {
		snprintf(out, cap, "%s", real);
		free(real);
	}
}
