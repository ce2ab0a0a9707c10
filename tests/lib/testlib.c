/* Shared helpers for the Check suites; see testlib.h. */
#include "testlib.h"

#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sdns_test_mkdtemp(const char *prefix, char *buf, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(buf, cap, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
	                 prefix);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

void sdns_test_rmtree(const char *path)
{
	if (path && *path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int sdns_test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t len = strlen(text);
	int ok = fwrite(text, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

int sdns_test_hex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p))
			return -1;
		int v = isdigit((unsigned char)*p) ? *p - '0'
		                                   : (tolower((unsigned char)*p) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}
