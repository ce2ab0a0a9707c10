/* Forwarder configuration (validated, deep-copied) and upstream health:
 * a failing upstream is skipped until its backoff expires. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fwd_int.h"
#include "sdns/error.h"

static const char *const reason_names[SDNS_FWD_R_COUNT] = {
	"timeout", "connect", "tls", "pin", "closed", "proto", "unavailable",
};

const char *sdns_fwd_reason_str(int reason)
{
	if (reason < 0 || reason >= SDNS_FWD_R_COUNT)
		return "unknown";
	return reason_names[reason];
}

int fwd_reason_err(int reason)
{
	switch (reason) {
	case SDNS_FWD_R_TIMEOUT: return SDNS_ETIMEOUT;
	case SDNS_FWD_R_PIN: return SDNS_ECERT;
	case SDNS_FWD_R_PROTO: return SDNS_EPROTO;
	case SDNS_FWD_R_UNAVAIL: return SDNS_EUNAVAIL;
	default: return SDNS_EIO;
	}
}

uint64_t fwd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int errf(char *err, size_t cap, const char *what, const char *v)
{
	if (err && cap)
		snprintf(err, cap, "%s: %s", what, v ? v : "(null)");
	return SDNS_ECONFIG;
}

/* "1.2.3.4:853", "[::1]:853", or either without a port (853). */
static int parse_addr(const char *s, fwd_upstream *up)
{
	char host[64];
	const char *port = NULL;
	size_t n;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] != 0 && e[1] != ':'))
			return -1;
		n = (size_t)(e - s - 1);
		port = e[1] ? e + 2 : NULL;
		s++;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* bare IPv6 without brackets: no port */
		n = c ? (size_t)(c - s) : strlen(s);
		port = c ? c + 1 : NULL;
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	long p = 853;
	if (port) {
		char *end;
		p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return -1;
	}
	memset(&up->sa, 0, sizeof(up->sa));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&up->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&up->sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		up->salen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		up->salen = sizeof(*v6);
	} else {
		return -1;
	}
	if (!up->fqdn && !(up->fqdn = strdup(host)))
		return -1;
	return 0;
}

static int decode_pin(const char *b64, uint8_t out[FWD_PIN_LEN])
{
	uint8_t buf[48];
	if (strlen(b64) != 44 || b64[43] != '=' || b64[42] == '=')
		return -1;
	if (EVP_DecodeBlock(buf, (const unsigned char *)b64, 44) != 33)
		return -1;
	memcpy(out, buf, FWD_PIN_LEN);
	return 0;
}

static bool is_ip(const char *s)
{
	uint8_t b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int build_one(const sdns_fwd_upstream *in, fwd_upstream *up,
                     char *err, size_t cap)
{
	if (!in->addr || strlen(in->addr) >= sizeof(up->addr))
		return errf(err, cap, "bad upstream address", in->addr);
	snprintf(up->addr, sizeof(up->addr), "%s", in->addr);
	if (in->fqdn && *in->fqdn && !(up->fqdn = strdup(in->fqdn)))
		return SDNS_ENOMEM;
	if (parse_addr(in->addr, up) != 0)
		return errf(err, cap, "bad upstream address", in->addr);
	up->fqdn_is_ip = is_ip(up->fqdn);
	if (in->n_pins > SDNS_FWD_MAX_PINS || (in->n_pins && !in->pins))
		return errf(err, cap, "too many pins for", in->addr);
	for (size_t i = 0; i < in->n_pins; i++) {
		if (!in->pins[i] || decode_pin(in->pins[i], up->pins[i]) != 0)
			return errf(err, cap, "bad pin (want base64 SHA-256)",
			            in->pins[i]);
	}
	up->n_pins = in->n_pins;
	return fwd_tls_ctx(up, in->ca_file, err, cap);
}

int fwd_conf_build(const sdns_fwd_conf *in, fwd_conf *out, char *err,
                   size_t cap)
{
	memset(out, 0, sizeof(*out));
	if (!in || !in->upstreams || in->n_upstreams == 0 ||
	    in->n_upstreams > SDNS_FWD_MAX_UPSTREAMS)
		return errf(err, cap, "upstreams", "need 1 to 8");
	if (in->max_inflight > 65535)
		return errf(err, cap, "max_inflight", "over 65535");
	out->ups = calloc(in->n_upstreams, sizeof(*out->ups));
	if (!out->ups)
		return SDNS_ENOMEM;
	out->n = in->n_upstreams;
	for (size_t i = 0; i < out->n; i++) {
		out->ups[i].idx = (int)i;
		int rc = build_one(&in->upstreams[i], &out->ups[i], err, cap);
		if (rc != 0) {
			fwd_conf_clear(out);
			return rc;
		}
	}
	out->timeout_ms = in->timeout_ms ? in->timeout_ms : 3000;
	out->attempt_ms = in->attempt_ms ? in->attempt_ms
	                                 : out->timeout_ms / (uint32_t)out->n;
	if (out->attempt_ms < 100)
		out->attempt_ms = 100;
	out->backoff_min_ms = in->backoff_min_ms ? in->backoff_min_ms : 500;
	out->backoff_max_ms = in->backoff_max_ms ? in->backoff_max_ms : 30000;
	if (out->backoff_max_ms < out->backoff_min_ms)
		out->backoff_max_ms = out->backoff_min_ms;
	out->max_inflight = in->max_inflight ? in->max_inflight : 1024;
	out->idle_ms = in->idle_ms ? in->idle_ms : 10000;
	out->observer = in->observer;
	out->observer_ctx = in->observer_ctx;
	return SDNS_OK;
}

/* Connections must already be gone (fwd thread closes them first). */
void fwd_conf_clear(fwd_conf *c)
{
	for (size_t i = 0; c->ups && i < c->n; i++) {
		fwd_upstream *up = &c->ups[i];
		free(up->fqdn);
		SSL_SESSION_free(up->session);
		SSL_CTX_free(up->ctx);
	}
	free(c->ups);
	memset(c, 0, sizeof(*c));
}

bool fwd_up_usable(const fwd_upstream *up, uint64_t now)
{
	return now >= up->down_until_ns;
}

void fwd_up_failed(const fwd_conf *c, fwd_upstream *up, uint64_t now)
{
	up->backoff_ms = up->backoff_ms ? up->backoff_ms * 2 : c->backoff_min_ms;
	if (up->backoff_ms > c->backoff_max_ms)
		up->backoff_ms = c->backoff_max_ms;
	up->down_until_ns = now + (uint64_t)up->backoff_ms * 1000000u;
}

void fwd_up_ok(const fwd_conf *c, fwd_upstream *up)
{
	(void)c;
	up->backoff_ms = 0;
	up->down_until_ns = 0;
}
