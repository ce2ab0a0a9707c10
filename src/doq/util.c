/* Clocks, addresses and randomness for the DoQ server and client. */
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doq_int.h"
#include "sdns/error.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t doq_now(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t doq_wall(void) { return clock_ns(CLOCK_REALTIME); }

void doq_rand(uint8_t *dst, size_t len)
{
	/* GNUTLS_RND_NONCE is enough for CIDs; it never fails once the
	 * library is initialised. Abort rather than send predictable CIDs. */
	if (gnutls_rnd(GNUTLS_RND_NONCE, dst, len) != 0) abort();
}

void doq_errf(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || cap == 0) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* Split "host:port" or "[v6]:port" into host and port strings. */
static int split_host_port(const char *s, char *host, size_t host_cap,
                           const char **port)
{
	const char *colon;
	size_t hlen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') return SDNS_ESYNTAX;
		hlen = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) return SDNS_ESYNTAX;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= host_cap || colon[1] == '\0') return SDNS_ESYNTAX;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	*port = colon + 1;
	return SDNS_OK;
}

int doq_parse_addr(const char *s, bool resolve, struct sockaddr_storage *ss,
                   socklen_t *len, char *host, size_t host_cap)
{
	char h[256];
	const char *port;
	if (!s || split_host_port(s, h, sizeof(h), &port) != SDNS_OK)
		return SDNS_ESYNTAX;
	char *end;
	unsigned long p = strtoul(port, &end, 10);
	if (*end != '\0' || p > 65535) return SDNS_ESYNTAX;
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = resolve ? 0 : AI_NUMERICHOST;
	if (getaddrinfo(h, NULL, &hints, &res) != 0 || !res)
		return resolve ? SDNS_ENOTFOUND : SDNS_ESYNTAX;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
	if (host && host_cap) snprintf(host, host_cap, "%s", h);
	return SDNS_OK;
}

void doq_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

void doq_cb_rand(uint8_t *dst, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	doq_rand(dst, len);
}
