/* URL parsing and percent-encoding for the API client. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sdns/apiclient.h"
#include "sdns/error.h"

static int bad(char *err, size_t cap, const char *url, const char *why)
{
	if (err && cap)
		snprintf(err, cap, "bad API URL '%s': %s", url, why);
	return SDNS_EINVAL;
}

static bool is_ip(const char *host)
{
	unsigned char a[16];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static int parse_port(const char *p, size_t n, sdns_apiclient_url *u)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return SDNS_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SDNS_EINVAL;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return SDNS_EINVAL;
	snprintf(u->port, sizeof(u->port), "%u", v);
	return SDNS_OK;
}

int sdns_apiclient_url_parse(const char *url, sdns_apiclient_url *u, char *err,
                       size_t err_cap)
{
	memset(u, 0, sizeof(*u));
	if (!url || strncmp(url, "https://", 8) != 0)
		return bad(err, err_cap, url ? url : "", "must start with https://");
	const char *h = url + 8, *end = h + strcspn(h, "/?#");
	const char *hend, *port = NULL;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return bad(err, err_cap, url, "missing ']'");
		hend = rb;
		h++;
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return bad(err, err_cap, url, "junk after ']'");
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));
		hend = colon ? colon : end;
		port = colon ? colon + 1 : NULL;
	}
	size_t hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(u->host))
		return bad(err, err_cap, url, "bad host");
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)h[i] <= ' ' || h[i] == '@' || h[i] == '[')
			return bad(err, err_cap, url, "bad host");
	memcpy(u->host, h, hl);
	if (port ? parse_port(port, (size_t)(end - port), u) < 0
	         : parse_port("443", 3, u) < 0)
		return bad(err, err_cap, url, "bad port");
	u->is_ip = is_ip(u->host);
	if (memchr(u->host, ':', hl) && !u->is_ip)
		return bad(err, err_cap, url, "bad IPv6 literal");
	if (*end == '?' || *end == '#')
		return bad(err, err_cap, url, "no query or fragment allowed");
	size_t pl = strlen(end);
	while (pl > 0 && end[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(u->prefix))
		return bad(err, err_cap, url, "path too long");
	for (size_t i = 0; i < pl; i++)
		if ((unsigned char)end[i] <= ' ' || end[i] == '?' || end[i] == '#')
			return bad(err, err_cap, url, "bad path");
	memcpy(u->prefix, end, pl);
	return SDNS_OK;
}

int sdns_apiclient_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		            *p == '_' || *p == '~';
		size_t need = keep ? 1 : 3;
		if (o + need >= cap)
			return SDNS_ESPACE;
		if (keep) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= cap)
		return SDNS_ESPACE;
	out[o] = '\0';
	return SDNS_OK;
}
