/* See testsse.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testsse.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap) return;
	size_t nc = *cap ? *cap : 4096;
	while (nc < need) nc *= 2;
	char *nb = realloc(*buf, nc);
	if (!nb) abort();
	*buf = nb;
	*cap = nc;
}

static void body_add(sdns_sse *c, const char *p, size_t n)
{
	grow(&c->body, &c->bcap, c->blen + n + 1);
	memcpy(c->body + c->blen, p, n);
	c->blen += n;
	c->body[c->blen] = '\0';
}

/* Move complete chunks (or everything, unchunked) from raw into body. */
static void dechunk(sdns_sse *c)
{
	if (!c->chunked) {
		body_add(c, c->raw + c->parsed, c->rlen - c->parsed);
		c->parsed = c->rlen;
		if (c->clen >= 0 && c->blen >= (size_t)c->clen) c->eof = true;
		return;
	}
	for (;;) {
		const char *p = c->raw + c->parsed;
		const char *eol = strstr(p, "\r\n");
		if (!eol) return;
		size_t size = strtoul(p, NULL, 16);
		size_t need = (size_t)(eol - p) + 2 + size + 2;
		if (c->rlen - c->parsed < need) return;
		if (size == 0) c->eof = true;
		body_add(c, eol + 2, size);
		c->parsed += need;
		if (c->eof) return;
	}
}

static void headers_done(sdns_sse *c)
{
	char *end = strstr(c->raw, "\r\n\r\n");
	if (!end) return;
	c->body_off = (size_t)(end - c->raw) + 4;
	c->parsed = c->body_off;
	if (strncmp(c->raw, "HTTP/1.", 7) == 0) c->status = atoi(c->raw + 9);
	*end = '\0';
	c->chunked = strcasestr(c->raw, "transfer-encoding: chunked") != NULL;
	const char *cl = strcasestr(c->raw, "\r\ncontent-length:");
	c->clen = cl ? atol(cl + 17) : -1;
	*end = '\r';
}

/* One read (waiting at most ms); false on end of stream or timeout. */
static bool read_some(sdns_sse *c, int ms)
{
	SSL *ssl = c->ssl;
	if (c->eof) return false;
	if (SSL_pending(ssl) == 0) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (poll(&pfd, 1, ms < 0 ? 0 : ms) <= 0) return false;
	}
	grow(&c->raw, &c->rcap, c->rlen + 16384 + 1);
	int r = SSL_read(ssl, c->raw + c->rlen, 16384);
	if (r <= 0) {
		int e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ) return true;
		c->eof = true;
		return false;
	}
	c->rlen += (size_t)r;
	c->raw[c->rlen] = '\0';
	if (!c->body_off) headers_done(c);
	if (c->body_off) dechunk(c);
	return true;
}

int sdns_sse_open(sdns_sse *c, uint16_t port, const char *ca,
                  const char *cert, const char *key, const char *path,
                  int rcvbuf)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	signal(SIGPIPE, SIG_IGN);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	c->ctx = ctx;
	if (!ctx) return 0;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) return 0;
	if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	             SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1))
		return 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0) return 0;
	if (rcvbuf > 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) return 0;
	SSL *ssl = SSL_new(ctx);
	c->ssl = ssl;
	if (!ssl) return 0;
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
	SSL_set_fd(ssl, c->fd);
	if (SSL_connect(ssl) != 1) return 0;
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u"
	                 "\r\nAccept: text/event-stream\r\n\r\n", path, port);
	if (SSL_write(ssl, req, n) != n) return 0;
	int64_t end = now_ms() + 10000;
	while (!c->body_off && !c->eof && now_ms() < end)
		read_some(c, (int)(end - now_ms()));
	return c->status;
}

bool sdns_sse_wait(sdns_sse *c, const char *needle, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		const char *hit = c->body ? strstr(c->body + c->seen, needle) : NULL;
		if (hit) {
			c->seen = (size_t)(hit - c->body) + strlen(needle);
			return true;
		}
		int64_t left = end - now_ms();
		if (left <= 0 || (!read_some(c, (int)left) && c->eof)) {
			hit = c->body ? strstr(c->body + c->seen, needle) : NULL;
			if (hit) c->seen = (size_t)(hit - c->body) + strlen(needle);
			return hit != NULL;
		}
	}
}

bool sdns_sse_wait_eof(sdns_sse *c, int ms)
{
	int64_t end = now_ms() + ms;
	while (!c->eof && now_ms() < end) read_some(c, (int)(end - now_ms()));
	return c->eof;
}

void sdns_sse_close(sdns_sse *c)
{
	if (c->ssl) SSL_free(c->ssl);
	if (c->ctx) SSL_CTX_free(c->ctx);
	if (c->fd >= 0) close(c->fd);
	free(c->raw);
	free(c->body);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
