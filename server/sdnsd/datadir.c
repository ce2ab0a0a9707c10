/* Where sdnsd finds its read-only data (the SQL migrations, the console's
 * files) when no option names them: first beside the binary, as in the
 * source tree (bin/sdnsd -> migrations/, web/) and the container image
 * (/opt/sdns/bin -> /opt/sdns/migrations); else under SDNS_DATADIR, the
 * share/sdns directory `make install` wrote (PREFIX/share/sdns, /usr/share/
 * sdns for the Debian package). Beside-the-binary comes first so a build
 * tree never picks up an older installed copy. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdnsd.h"

#ifndef SDNS_DATADIR
#define SDNS_DATADIR "/usr/local/share/sdns"
#endif

const char *sdnsd_datadir(void)
{
	return SDNS_DATADIR;
}

void sdnsd_data_path(const char *sub, char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;
	if (n > 0) {
		exe[n] = '\0';
		snprintf(out, cap, "%s/../%s", dirname(exe), sub);
		char *real = realpath(out, NULL);
		if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(out, cap, "%s", real);
			free(real);
			return;
		}
		free(real);
	}
	snprintf(out, cap, "%s/%s", SDNS_DATADIR, sub);
}

void sdnsd_web_root_default(char *out, size_t cap)
{
	sdnsd_data_path("web", out, cap);
}
