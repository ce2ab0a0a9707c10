/* The API client's connection: TLS context, TCP connect with a deadline,
 * the verified handshake, and non-blocking reads and writes. */
#include "apiclient_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sdns/error.h"

uint64_t apic_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int apic_fail(apic_io *io, int code, const char *fmt, ...)
{
	if (io->err && io->err_cap && !io->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(io->err, io->err_cap, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return code;
}

static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

static int ctx_fail(char *err, size_t cap, int code, const char *what,
                    const char *path)
{
	if (err && cap)
		snprintf(err, cap, "%s %s: %s", what, path, ossl_reason());
	ERR_clear_error();
	return code;
}

/* OpenSSL says "system lib" for a missing file: say what is wrong. */
static int readable(const char *what, const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (f) {
		fclose(f);
		return SDNS_OK;
	}
	if (err && cap)
		snprintf(err, cap, "%s %s: %s", what, path, strerror(errno));
	return SDNS_ECERT;
}

static int load_ctx(sdns_apiclient *c, const sdns_apiclient_conf *conf, char *err,
                    size_t cap)
{
	int rc = readable("cannot load CA", conf->ca_path, err, cap);
	if (rc == SDNS_OK && conf->cert_path)
		rc = readable("cannot load certificate", conf->cert_path, err, cap);
	if (rc == SDNS_OK && conf->key_path)
		rc = readable("cannot load key", conf->key_path, err, cap);
	if (rc < 0)
		return rc;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return ctx_fail(err, cap, SDNS_ENOMEM, "TLS context", "");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(c->ctx, conf->ca_path, NULL) != 1)
		return ctx_fail(err, cap, SDNS_ECERT, "cannot load CA", conf->ca_path);
	if (!conf->cert_path)
		return SDNS_OK;
	if (SSL_CTX_use_certificate_chain_file(c->ctx, conf->cert_path) != 1)
		return ctx_fail(err, cap, SDNS_ECERT, "cannot load certificate",
		                conf->cert_path);
	/* OpenSSL refuses a mismatched key while loading it; say which. */
	if (SSL_CTX_use_PrivateKey_file(c->ctx, conf->key_path,
	                                SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c->ctx) != 1) {
		unsigned long e = ERR_peek_last_error();
		if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			return ctx_fail(err, cap, SDNS_ECERT, "key does not match "
			                "certificate", conf->key_path);
		return ctx_fail(err, cap, SDNS_ECERT, "cannot load key",
		                conf->key_path);
	}
	return SDNS_OK;
}

int sdns_apiclient_new(const sdns_apiclient_conf *conf, sdns_apiclient **out,
                        char *err, size_t err_cap)
{
	*out = NULL;
	if (err && err_cap)
		err[0] = '\0';
	if (!conf->ca_path || (conf->cert_path && !conf->key_path) ||
	    (!conf->cert_path && conf->key_path)) {
		if (err && err_cap)
			snprintf(err, err_cap, "%s", !conf->ca_path
			         ? "a CA file is required to verify the server"
			         : "certificate and key go together");
		return SDNS_EINVAL;
	}
	sdns_apiclient *c = calloc(1, sizeof(*c));
	if (!c)
		return SDNS_ENOMEM;
	int rc = sdns_apiclient_url_parse(conf->url ? conf->url : SDNS_APICLIENT_DEFAULT_URL,
	                            &c->url, err, err_cap);
	if (rc == SDNS_OK)
		rc = load_ctx(c, conf, err, err_cap);
	if (rc < 0) {
		sdns_apiclient_free(c);
		return rc;
	}
	c->timeout_ms = conf->timeout_ms ? conf->timeout_ms : 10000;
	c->max_body = conf->max_body ? conf->max_body : SDNS_APICLIENT_BODY_MAX;
	*out = c;
	return SDNS_OK;
}

void sdns_apiclient_free(sdns_apiclient *c)
{
	if (!c)
		return;
	if (c->keep) {
		apic_close(c->keep);
		free(c->keep);
	}
	SSL_CTX_free(c->ctx);
	free(c);
}

/* Waits for fd to become ready for ev until the deadline. */
static int wait_fd(apic_io *io, short ev)
{
	for (;;) {
		uint64_t now = apic_now_ms();
		if (now >= io->deadline_ms)
			return apic_fail(io, SDNS_ETIMEOUT, "timed out");
		struct pollfd p = {.fd = io->fd, .events = ev};
		int n = poll(&p, 1, (int)(io->deadline_ms - now));
		if (n > 0)
			return SDNS_OK;
		if (n < 0 && errno != EINTR)
			return apic_fail(io, SDNS_EIO, "poll: %s", strerror(errno));
	}
}

static int connect_one(apic_io *io, const struct addrinfo *ai)
{
	io->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	                SOCK_CLOEXEC, ai->ai_protocol);
	if (io->fd < 0)
		return -errno;
	/* A request is written in one go and then answered: Nagle's wait for
	 * an ACK the server delays (40 ms on Linux) only adds latency. */
	int one = 1;
	setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(io->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	int rc = wait_fd(io, POLLOUT);
	if (rc < 0)
		return rc == SDNS_ETIMEOUT ? -ETIMEDOUT : -EIO;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -errno;
	return -soerr;
}

static int tcp_connect(sdns_apiclient *c, apic_io *io)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_ADDRCONFIG}, *res = NULL;
	if (c->url.is_ip)
		hints.ai_flags = AI_NUMERICHOST;
	int g = getaddrinfo(c->url.host, c->url.port, &hints, &res);
	if (g != 0)
		return apic_fail(io, SDNS_EIO, "cannot resolve %s: %s", c->url.host,
		                gai_strerror(g));
	int last = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		last = connect_one(io, ai);
		if (last == 0)
			break;
		if (io->fd >= 0)
			close(io->fd);
		io->fd = -1;
		if (last == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (last == -ETIMEDOUT)
		return apic_fail(io, SDNS_ETIMEOUT, "timed out connecting to %s port %s",
		                c->url.host, c->url.port);
	if (last < 0)
		return apic_fail(io, SDNS_EIO, "cannot connect to %s port %s: %s",
		                c->url.host, c->url.port,
		                last == -ECONNREFUSED ? "connection refused"
		                                      : strerror(-last));
	return SDNS_OK;
}

/* Turns an SSL_* result into wait / done / error. */
static int ssl_step(apic_io *io, int ret, const char *what)
{
	int e = SSL_get_error(io->ssl, ret);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(io, POLLIN);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(io, POLLOUT);
	if (e == SSL_ERROR_ZERO_RETURN)
		return apic_fail(io, SDNS_ECLOSED, "%s: connection closed", what);
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_error())
		return apic_fail(io, SDNS_EIO, "%s: %s", what,
		                errno ? strerror(errno) : "connection closed");
	return apic_fail(io, SDNS_ETLS, "%s: %s", what, ossl_reason());
}

static int handshake_failed(sdns_apiclient *c, apic_io *io, int rc)
{
	long v = SSL_get_verify_result(io->ssl);
	if (v != X509_V_OK && io->err && io->err_cap)
		io->err[0] = '\0'; /* the verify result says more than the alert */
	if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		return apic_fail(io, SDNS_ECERT, "server certificate does not match "
		                "host %s", c->url.host);
	if (v != X509_V_OK)
		return apic_fail(io, SDNS_ECERT, "server certificate refused: %s",
		                X509_verify_cert_error_string(v));
	if (rc == SDNS_ETLS && io->err && !io->err[0])
		return apic_fail(io, rc, "TLS handshake failed: %s", ossl_reason());
	return rc;
}

static int set_peer_checks(sdns_apiclient *c, apic_io *io)
{
	X509_VERIFY_PARAM *p = SSL_get0_param(io->ssl);
	if (c->url.is_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(p, c->url.host) == 1 ? 0 : -1;
	X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(p, c->url.host, 0) != 1)
		return -1;
	return SSL_set_tlsext_host_name(io->ssl, c->url.host) == 1 ? 0 : -1;
}

int apic_connect(sdns_apiclient *c, apic_io *io)
{
	int rc = tcp_connect(c, io);
	if (rc < 0)
		return rc;
	io->ssl = SSL_new(c->ctx);
	if (!io->ssl || SSL_set_fd(io->ssl, io->fd) != 1 ||
	    set_peer_checks(c, io) < 0)
		return apic_fail(io, SDNS_ENOMEM, "TLS setup: %s", ossl_reason());
	for (;;) {
		int ret = SSL_connect(io->ssl);
		if (ret == 1)
			return SDNS_OK;
		rc = ssl_step(io, ret, "TLS handshake");
		if (rc < 0)
			return handshake_failed(c, io, rc);
	}
}

void apic_close(apic_io *io)
{
	if (io->ssl) {
		SSL_set_shutdown(io->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
		SSL_free(io->ssl);
	}
	if (io->fd >= 0)
		close(io->fd);
	io->ssl = NULL;
	io->fd = -1;
}

int apic_write_all(apic_io *io, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 0) {
		size_t n = 0;
		int ret = SSL_write_ex(io->ssl, p, len, &n);
		if (ret == 1) {
			p += n;
			len -= n;
			continue;
		}
		int rc = ssl_step(io, ret, "sending the request");
		if (rc < 0)
			return rc;
	}
	return SDNS_OK;
}

static bool unexpected_eof(void)
{
	unsigned long e = ERR_peek_error();
	return e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

int apic_fill(apic_io *io)
{
	if (io->pos > 0) {
		memmove(io->buf, io->buf + io->pos, io->len - io->pos);
		io->len -= io->pos;
		io->pos = 0;
	}
	if (io->len == sizeof(io->buf))
		return apic_fail(io, SDNS_ETOOBIG, "response line over %zu bytes",
		                sizeof(io->buf));
	for (;;) {
		size_t n = 0;
		int ret = SSL_read_ex(io->ssl, io->buf + io->len,
		                      sizeof(io->buf) - io->len, &n);
		if (ret == 1) {
			io->len += n;
			io->got += n;
			return SDNS_OK;
		}
		int e = SSL_get_error(io->ssl, ret);
		/* Servers often close without close_notify after the last byte;
		 * framing (Content-Length, chunks) decides whether that is short. */
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SSL && unexpected_eof())) {
			ERR_clear_error();
			io->eof = true;
			return SDNS_OK;
		}
		int rc = ssl_step(io, ret, "reading the response");
		if (rc < 0)
			return rc;
	}
}
