/* See testhttp.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testhttp.h"

static struct in_addr source;   /* 0 = the kernel's choice */

void sdns_http_set_source(const char *ipv4)
{
	source.s_addr = 0;
	if (ipv4) inet_pton(AF_INET, ipv4, &source);
}

static int tcp_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) return -1;
	if (source.s_addr) {
		struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr = source};
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static SSL_CTX *make_ctx(const sdns_http_tls *tls)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, tls->ca, NULL) != 1) goto bad;
	if (tls->cert &&
	    (SSL_CTX_use_certificate_chain_file(ctx, tls->cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, tls->key, SSL_FILETYPE_PEM) != 1))
		goto bad;
	return ctx;
bad:
	SSL_CTX_free(ctx);
	return NULL;
}

static int write_all(SSL *ssl, const char *p, size_t n)
{
	while (n) {
		int chunk = n > 65536 ? 65536 : (int)n;
		int w = SSL_write(ssl, p, chunk);
		if (w <= 0) return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static char *read_all(SSL *ssl, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	if (!buf) return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) break;
			buf = nb;
		}
		int r = SSL_read(ssl, buf + n, (int)(cap - n - 1));
		if (r <= 0) break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void parse(char *raw, size_t len, sdns_http_resp *out)
{
	char *sep = strstr(raw, "\r\n\r\n");
	size_t hlen = sep ? (size_t)(sep - raw) : len;
	out->head = strndup(raw, hlen);
	size_t boff = sep ? hlen + 4 : len;
	size_t blen = len - boff;
	char cl[32];
	if (sdns_http_header(out, "Content-Length", cl, sizeof(cl))) {
		size_t want = strtoul(cl, NULL, 10);
		if (want < blen) blen = want;
	}
	out->body = malloc(blen + 1);
	memcpy(out->body, raw + boff, blen);
	out->body[blen] = '\0';
	out->body_len = blen;
	if (strncmp(raw, "HTTP/1.", 7) == 0 && hlen > 12)
		out->status = atoi(raw + 9);
}

struct sdns_http_stream {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static void stream_close(sdns_http_stream *st, bool polite)
{
	if (st->ssl) {
		if (polite) SSL_shutdown(st->ssl);
		SSL_free(st->ssl);
	}
	if (st->fd >= 0) close(st->fd);
	SSL_CTX_free(st->ctx);
	ERR_clear_error();
	free(st);
}

int sdns_http_stream_open(uint16_t port, const sdns_http_tls *tls,
                          const char *method, const char *path,
                          const char *extra_headers, sdns_http_stream **out)
{
	*out = NULL;
	signal(SIGPIPE, SIG_IGN);
	sdns_http_stream *st = calloc(1, sizeof(*st));
	if (!st) return -1;
	st->fd = -1;
	st->ctx = make_ctx(tls);
	if (st->ctx) st->fd = tcp_connect(port);
	if (st->fd >= 0) st->ssl = SSL_new(st->ctx);
	if (!st->ssl) goto bad;
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(st->ssl), "127.0.0.1");
	SSL_set_fd(st->ssl, st->fd);
	if (SSL_connect(st->ssl) != 1) goto bad;
	char head[2048];
	snprintf(head, sizeof(head),
	         "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
	         "%s\r\n", method, path, port, extra_headers ? extra_headers : "");
	if (write_all(st->ssl, head, strlen(head)) != 0) goto bad;
	*out = st;
	return 0;
bad:
	stream_close(st, false);
	return -1;
}

int sdns_http_stream_write(sdns_http_stream *st, const void *data, size_t len)
{
	return write_all(st->ssl, data, len);
}

int sdns_http_stream_finish(sdns_http_stream *st, sdns_http_resp *out)
{
	memset(out, 0, sizeof(*out));
	size_t len = 0;
	char *raw = read_all(st->ssl, &len);
	int rc = raw ? 0 : -1;
	if (raw) parse(raw, len, out);
	free(raw);
	stream_close(st, true);
	return rc;
}

void sdns_http_stream_abort(sdns_http_stream *st)
{
	stream_close(st, false);
}

int sdns_http_request(uint16_t port, const sdns_http_tls *tls,
                      const char *method, const char *path,
                      const char *extra_headers, const char *body,
                      size_t body_len, sdns_http_resp *out)
{
	memset(out, 0, sizeof(*out));
	char hdrs[2048];
	snprintf(hdrs, sizeof(hdrs), "%s", extra_headers ? extra_headers : "");
	if (body) {
		size_t n = strlen(hdrs);
		snprintf(hdrs + n, sizeof(hdrs) - n, "Content-Length: %zu\r\n",
		         body_len);
	}
	if (body && body_len && !strcasestr(hdrs, "Content-Type:")) {
		size_t n = strlen(hdrs);
		snprintf(hdrs + n, sizeof(hdrs) - n,
		         "Content-Type: application/json\r\n");
	}
	sdns_http_stream *st;
	if (sdns_http_stream_open(port, tls, method, path, hdrs, &st) != 0)
		return -1;
	/* A server may answer (413, 401) before reading the whole body. */
	if (body) (void)write_all(st->ssl, body, body_len);
	return sdns_http_stream_finish(st, out);
}

void sdns_http_resp_free(sdns_http_resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

const char *sdns_http_header(const sdns_http_resp *r, const char *name,
                             char *buf, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = r->head; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			while (*v == ' ') v++;
			size_t vl = ll - (size_t)(v - p);
			if (vl >= cap) vl = cap - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = eol ? eol + 2 : p + ll;
	}
	return NULL;
}
