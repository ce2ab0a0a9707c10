/* The console's static files: GET / (index.html) and GET /<file> from one
 * flat directory (--web-root), behind the same client-certificate check as
 * every other route.
 *
 * Names are whitelisted rather than paths cleaned: one segment of
 * [A-Za-z0-9._-], no leading dot, a known extension. The router never hands
 * over a '/', so "..", encoded slashes and subdirectories cannot reach the
 * file system; the file is opened relative to the directory descriptor with
 * O_NOFOLLOW and must be a regular file (no symlink escape, no listing). */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define STATIC_NAME_MAX 128
#define STATIC_FILE_MAX (4u << 20)

static const struct {
	const char *ext;
	const char *ctype;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".json", "application/json; charset=utf-8"},
	{".webmanifest", "application/manifest+json"},
	{".txt", "text/plain; charset=utf-8"},
	{".woff2", "font/woff2"},
};

void api_static_open(sdns_api *api, const char *web_root)
{
	api->web_fd = -1;
	if (!web_root || !*web_root) return;
	api->web_fd = open(web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (api->web_fd < 0)
		sdns_log(SDNS_LOG_WARN, "api_web_root_missing",
		         "dir=%s console=off", web_root);
	else
		sdns_log(SDNS_LOG_INFO, "api_web_root", "dir=%s", web_root);
}

void api_static_close(sdns_api *api)
{
	if (api->web_fd >= 0) close(api->web_fd);
	api->web_fd = -1;
}

static const char *ctype_of(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext);
		if (n > el && strcmp(name + n - el, types[i].ext) == 0)
			return types[i].ctype;
	}
	return NULL;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STATIC_NAME_MAX || name[0] == '.') return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The whole regular file, or NULL (not there, not regular, too big). */
static char *slurp(int dir_fd, const char *name, size_t *len)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return NULL;
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > STATIC_FILE_MAX)
		goto out;
	size_t want = (size_t)st.st_size, got = 0;
	buf = malloc(want ? want : 1);
	while (buf && got < want) {
		ssize_t k = read(fd, buf + got, want - got);
		if (k <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)k;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* If-None-Match: "*" or a list of (possibly weak) tags, one equal to ours. */
static bool etag_matches(const char *h, const char *tag)
{
	if (!h) return false;
	size_t tl = strlen(tag);
	while (*h) {
		h += strspn(h, " \t,");
		if (*h == '*') return true;
		if (strncmp(h, "W/", 2) == 0) h += 2;
		size_t n = strcspn(h, ",");
		while (n && (h[n - 1] == ' ' || h[n - 1] == '\t')) n--;
		if (n == tl && memcmp(h, tag, tl) == 0) return true;
		h += strcspn(h, ",");
	}
	return false;
}

static void etag_of(const char *buf, size_t len, char out[48])
{
	uint8_t h[16];
	crypto_generichash(h, sizeof(h), (const uint8_t *)buf, len, NULL, 0);
	out[0] = '"';
	sodium_bin2hex(out + 1, 33, h, sizeof(h));
	out[33] = '"';
	out[34] = '\0';
}

void api_h_static(api_req *r, api_resp *out)
{
	const char *name = r->params[0] ? r->params[0] : "index.html";
	const char *ctype = ctype_of(name);
	size_t len = 0;
	char *buf = NULL;
	if (r->api->web_fd >= 0 && ctype && name_ok(name))
		buf = slurp(r->api->web_fd, name, &len);
	if (!buf) {
		api_fail(out, API_E_NOT_FOUND, NULL, "no such resource");
		return;
	}
	etag_of(buf, len, out->etag_str);
	out->cache = "no-cache";
	if (etag_matches(api_header(r, "If-None-Match"), out->etag_str)) {
		free(buf);
		out->status = 304;
		return;
	}
	out->status = 200;
	out->text = buf;
	out->text_len = len;
	out->ctype = ctype;
}
