/* One TLS connection to an upstream: non-blocking TCP connect, handshake
 * with chain + name + pin verification inside the handshake (and again
 * after it, since a resumed session skips the verify callback), session
 * resumption. Nothing is ever written before fwd_conn_handshake says 0. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwd_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

void fwd_pin_b64(const uint8_t pin[FWD_PIN_LEN], char *b64, size_t cap)
{
	unsigned char tmp[48];
	int n = EVP_EncodeBlock(tmp, pin, FWD_PIN_LEN);
	if (cap == 0 || n < 0 || (size_t)n >= cap) {
		if (cap)
			b64[0] = 0;
		return;
	}
	memcpy(b64, tmp, (size_t)n + 1);
}

static int spki_pin(X509 *x, uint8_t pin[FWD_PIN_LEN])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		return -1;
	unsigned int mdlen = 0;
	int ok = EVP_Digest(der, (size_t)len, pin, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok == 1 && mdlen == FWD_PIN_LEN ? 0 : -1;
}

static bool pin_ok(const fwd_upstream *up, const uint8_t pin[FWD_PIN_LEN])
{
	if (up->n_pins == 0)
		return true;
	bool ok = false;
	for (size_t i = 0; i < up->n_pins; i++)
		ok |= CRYPTO_memcmp(pin, up->pins[i], FWD_PIN_LEN) == 0;
	return ok;
}

/* Runs for every certificate of the chain; the pin is checked on the leaf
 * once the chain and name checks passed. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	fwd_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	if (!c)
		return 0;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	uint8_t pin[FWD_PIN_LEN];
	bool have = leaf && spki_pin(leaf, pin) == 0;
	if (have && !c->presented_pin[0])
		fwd_pin_b64(pin, c->presented_pin, sizeof(c->presented_pin));
	if (!ok) {
		int e = X509_STORE_CTX_get_error(xs);
		c->verify_fail = SDNS_FWD_R_PIN;
		c->verify_why = (e == X509_V_ERR_HOSTNAME_MISMATCH ||
		                 e == X509_V_ERR_IP_ADDRESS_MISMATCH) ? "name"
		                                                       : "chain";
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(xs) == 0 &&
	    (!have || !pin_ok(c->up, pin))) {
		c->verify_fail = SDNS_FWD_R_PIN;
		c->verify_why = "pin";
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	fwd_conn *c = SSL_get_app_data(ssl);
	if (!c || !c->up)
		return 0;
	SSL_SESSION_free(c->up->session);
	c->up->session = sess;
	return 1; /* we keep the reference */
}

int fwd_tls_ctx(fwd_upstream *up, const char *ca_file, char *err, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return SDNS_ECRYPTO;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	                                    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	int ok = ca_file && *ca_file
	         ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	         : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		SSL_CTX_free(ctx);
		ERR_clear_error();
		if (err && cap)
			snprintf(err, cap, "cannot load CA file: %s",
			         ca_file ? ca_file : "(system)");
		return SDNS_ECONFIG;
	}
	up->ctx = ctx;
	return SDNS_OK;
}

static int setup_ssl(fwd_conn *c)
{
	fwd_upstream *up = c->up;
	c->ssl = SSL_new(up->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	SSL_set_app_data(c->ssl, c);
	if (up->fqdn_is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		                                  up->fqdn) != 1)
			return -1;
	} else if (SSL_set1_host(c->ssl, up->fqdn) != 1 ||
	           SSL_set_tlsext_host_name(c->ssl, up->fqdn) != 1) {
		return -1;
	}
	if (up->session)
		SSL_set_session(c->ssl, up->session);
	SSL_set_connect_state(c->ssl);
	return 0;
}

fwd_conn *fwd_conn_open(struct sdns_fwd *fwd, fwd_upstream *up, int *reason)
{
	*reason = SDNS_FWD_R_CONNECT;
	fwd_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fwd = fwd;
	c->up = up;
	c->fd = -1;
	fwd_list_init(&c->waiting);
	c->slots = calloc(65536, sizeof(*c->slots));
	c->in = malloc(FWD_FRAME_MAX);
	if (!c->slots || !c->in)
		goto fail;
	c->fd = socket(up->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	               SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&up->sa, up->salen) != 0 &&
	    errno != EINPROGRESS)
		goto fail;
	c->state = CONN_CONNECTING;
	*reason = SDNS_FWD_R_TLS;
	if (setup_ssl(c) != 0)
		goto fail;
	return c;
fail:
	fwd_conn_destroy(c);
	return NULL;
}

static void log_mismatch(fwd_conn *c)
{
	sdns_log(SDNS_LOG_WARN, "upstream_pin_mismatch",
	         "upstream=%s presented_pin=%s reason=%s fqdn=%s", c->up->addr,
	         c->presented_pin[0] ? c->presented_pin : "-",
	         c->verify_why ? c->verify_why : "chain", c->up->fqdn);
}

/* A resumed session skips verify_cb: check what the session remembers. */
static int post_check(fwd_conn *c)
{
	X509 *peer = SSL_get0_peer_certificate(c->ssl);
	uint8_t pin[FWD_PIN_LEN];
	if (!peer || spki_pin(peer, pin) != 0) {
		c->verify_why = "chain";
		return -1;
	}
	fwd_pin_b64(pin, c->presented_pin, sizeof(c->presented_pin));
	if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
		c->verify_why = "chain";
		return -1;
	}
	if (!pin_ok(c->up, pin)) {
		c->verify_why = "pin";
		return -1;
	}
	return 0;
}

int fwd_conn_handshake(fwd_conn *c)
{
	if (c->state == CONN_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
		    soerr != 0)
			return -(SDNS_FWD_R_CONNECT + 1);
		c->state = CONN_HANDSHAKE;
	}
	ERR_clear_error();
	int rc = SSL_connect(c->ssl);
	if (rc == 1) {
		if (post_check(c) != 0) {
			log_mismatch(c);
			return -(SDNS_FWD_R_PIN + 1);
		}
		c->state = CONN_READY;
		return 0;
	}
	int e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 1;
	ERR_clear_error();
	if (c->verify_fail == SDNS_FWD_R_PIN) {
		log_mismatch(c);
		return -(SDNS_FWD_R_PIN + 1);
	}
	sdns_log(SDNS_LOG_INFO, "upstream_tls_failed", "upstream=%s",
	         c->up->addr);
	return -(SDNS_FWD_R_TLS + 1);
}

void fwd_conn_destroy(fwd_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		if (c->state == CONN_READY) {
			/* Best effort close_notify; never blocks (non-blocking). */
			SSL_shutdown(c->ssl);
		}
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	free(c->slots);
	free(c->in);
	free(c->out);
	free(c);
}
