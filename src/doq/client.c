/* DoQ client: one connection driven by the caller's thread. The handshake
 * counts as done only when the server confirms it (HANDSHAKE_DONE): the
 * server verifies our certificate after our side of TLS has finished, so an
 * earlier "connected" could still turn into a refusal. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doq_int.h"
#include "sdns/error.h"

#define CRX_SLOT 2048
#define TOKEN_MAX 256

typedef struct cstream {
	int64_t id;
	struct cstream *prev, *next;  /* all streams */
	struct cstream *wnext;        /* write queue */
	struct cstream *dnext;        /* finished, not yet reported */
	uint8_t *tx;
	size_t txlen, sent;
	bool fin, queued;
	uint8_t *rx;
	size_t rxlen, rxcap;
	bool done, delivered, nclosed;
	int status;
	uint64_t app_error;
} cstream;

struct sdns_doq_client {
	ngtcp2_crypto_conn_ref ref;
	ngtcp2_conn *qc;
	gnutls_session_t tls;
	doq_tls creds;
	int fd;
	struct sockaddr_storage local, remote;
	socklen_t locallen, remotelen;
	uint32_t timeout_ms;
	bool confirmed;
	bool closed, close_app;
	uint64_t close_code;
	int fail;                 /* why the connection is gone (sdns code) */
	char why[192];
	char name[256];           /* GnuTLS keeps pointers to these two */
	gnutls_typed_vdata_st vdata[2];
	unsigned nvdata;
	char expect_uri[512];     /* "" = server known by name only */
	bool uri_refused;
	unsigned verify_status;   /* from verify_uri */
	int wake_fd;              /* -1 = none */
	cstream *streams;
	cstream *wq_head, *wq_tail;
	cstream *dq_head, *dq_tail;
	uint8_t token[TOKEN_MAX];
	size_t token_len;
	doq_tx tx;
	uint8_t rbuf[DOQ_BATCH][CRX_SLOT];
	struct mmsghdr rmsg[DOQ_BATCH];
	struct iovec riov[DOQ_BATCH];
};

#define CLI(u) ((sdns_doq_client *)(u))

/* --- streams --- */

static void stream_finish(sdns_doq_client *c, cstream *st, int status,
                          uint64_t app_error)
{
	if (st->done) return;
	st->done = true;
	st->status = status;
	st->app_error = app_error;
	st->dnext = NULL;
	if (c->dq_tail) c->dq_tail->dnext = st;
	else c->dq_head = st;
	c->dq_tail = st;
}

static void stream_unlink_free(sdns_doq_client *c, cstream *st)
{
	if (st->prev) st->prev->next = st->next;
	else c->streams = st->next;
	if (st->next) st->next->prev = st->prev;
	free(st->tx);
	free(st->rx);
	free(st);
}

static int rx_append(cstream *st, const uint8_t *d, size_t n)
{
	if (st->rxlen + n > DOQ_FRAME_MAX) return SDNS_EPROTO;
	if (st->rxlen + n > st->rxcap) {
		size_t cap = st->rxcap ? st->rxcap * 2 : 1024;
		while (cap < st->rxlen + n) cap *= 2;
		uint8_t *b = realloc(st->rx, cap);
		if (!b) return SDNS_ENOMEM;
		st->rx = b;
		st->rxcap = cap;
	}
	memcpy(st->rx + st->rxlen, d, n);
	st->rxlen += n;
	return SDNS_OK;
}

/* --- callbacks --- */

static int cb_recv_stream_data(ngtcp2_conn *qc, uint32_t flags, int64_t id,
                               uint64_t off, const uint8_t *d, size_t n,
                               void *user, void *sud)
{
	(void)off;
	cstream *st = sud;
	ngtcp2_conn_extend_max_stream_offset(qc, id, n);
	ngtcp2_conn_extend_max_offset(qc, n);
	if (!st || st->done) return 0;
	if (rx_append(st, d, n) != SDNS_OK) {
		stream_finish(CLI(user), st, SDNS_EPROTO, 0);
		return 0;
	}
	if (!(flags & NGTCP2_STREAM_DATA_FLAG_FIN)) return 0;
	/* Exactly one length-prefixed message, then FIN. */
	bool ok = st->rxlen >= 2 &&
	          st->rxlen == 2 + ((size_t)st->rx[0] << 8 | st->rx[1]);
	stream_finish(CLI(user), st, ok ? SDNS_OK : SDNS_EPROTO, 0);
	return 0;
}

static int cb_stream_reset(ngtcp2_conn *qc, int64_t id, uint64_t final_size,
                           uint64_t app_error, void *user, void *sud)
{
	(void)qc;
	(void)id;
	(void)final_size;
	if (sud) stream_finish(CLI(user), sud, SDNS_ECLOSED, app_error);
	return 0;
}

static int cb_stream_close(ngtcp2_conn *qc, uint32_t flags, int64_t id,
                           uint64_t app_error, void *user, void *sud)
{
	(void)qc;
	(void)id;
	cstream *st = sud;
	if (!st) return 0;
	if (!(flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET)) app_error = 0;
	stream_finish(CLI(user), st, SDNS_ECLOSED, app_error);
	st->nclosed = true;
	return 0;
}

static int cb_handshake_confirmed(ngtcp2_conn *qc, void *user)
{
	(void)qc;
	CLI(user)->confirmed = true;
	return 0;
}

static int cb_recv_new_token(ngtcp2_conn *qc, const ngtcp2_vec *tok,
                             void *user)
{
	(void)qc;
	sdns_doq_client *c = CLI(user);
	if (tok->len <= sizeof(c->token)) {
		memcpy(c->token, tok->base, tok->len);
		c->token_len = tok->len;
	}
	return 0;
}

static int cb_new_cid(ngtcp2_conn *qc, ngtcp2_cid *cid, uint8_t *token,
                      size_t cidlen, void *user)
{
	(void)qc;
	(void)user;
	cid->datalen = cidlen;
	doq_rand(cid->data, cidlen);
	doq_rand(token, NGTCP2_STATELESS_RESET_TOKENLEN);
	return 0;
}

static void client_callbacks(ngtcp2_callbacks *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->client_initial = ngtcp2_crypto_client_initial_cb;
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->recv_stream_data = cb_recv_stream_data;
	cb->stream_reset = cb_stream_reset;
	cb->stream_close = cb_stream_close;
	cb->handshake_confirmed = cb_handshake_confirmed;
	cb->recv_new_token = cb_recv_new_token;
	cb->rand = doq_cb_rand;
	cb->get_new_connection_id = cb_new_cid;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return CLI(ref->user_data)->qc;
}

/* --- connection state --- */

static void mark_closed(sdns_doq_client *c, int fail)
{
	if (c->closed) return;
	c->closed = true;
	c->fail = fail;
	for (cstream *st = c->streams; st; st = st->next)
		stream_finish(c, st, SDNS_ECLOSED,
		              c->close_app ? c->close_code : 0);
}

static void remote_closed(sdns_doq_client *c)
{
	ngtcp2_connection_close_error ce;
	const ngtcp2_connection_close_error *e = &ce;
	ngtcp2_conn_get_connection_close_error(c->qc, &ce);
	c->close_app = e->type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION;
	c->close_code = e->error_code;
	char d[96];
	doq_tls_describe_code(e->error_code, c->close_app, d, sizeof(d));
	snprintf(c->why, sizeof(c->why), "connection closed by server: %s", d);
	int fail = SDNS_ECLOSED;
	if (!c->close_app && (e->error_code & ~0xffull) == NGTCP2_CRYPTO_ERROR)
		fail = SDNS_ECERT;
	else if ((!c->close_app && e->error_code == NGTCP2_CONNECTION_REFUSED) ||
	         (c->close_app && e->error_code == SDNS_DOQ_EXCESSIVE_LOAD))
		fail = SDNS_ELIMIT;
	mark_closed(c, fail);
}

static void local_close(sdns_doq_client *c, const ngtcp2_connection_close_error *e)
{
	uint8_t *buf = doq_tx_slot(&c->tx);
	ngtcp2_ssize n = ngtcp2_conn_write_connection_close(
		c->qc, NULL, NULL, buf, DOQ_PKT_MAX, e, doq_now());
	if (n > 0) doq_tx_commit(&c->tx, (size_t)n, (struct sockaddr *)&c->remote,
	                         c->remotelen, NULL);
	doq_tx_flush(&c->tx);
}

/* Session verify function when expect_uri is set: GnuTLS then leaves the
 * whole check to us (chain, purpose, name when asked, then the URI). */
static int verify_uri(gnutls_session_t s)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	sdns_doq_client *c = CLI(ref->user_data);
	unsigned status = 0;
	if (gnutls_certificate_verify_peers(s, c->vdata, c->nvdata, &status) < 0)
		status = GNUTLS_CERT_INVALID;
	c->verify_status = status;
	if (status) return -1;
	if (doq_tls_peer_uri_is(s, c->expect_uri)) return 0;
	c->uri_refused = true;
	return -1;
}

static void tls_failed(sdns_doq_client *c)
{
	uint8_t alert = ngtcp2_conn_get_tls_alert(c->qc);
	char d[96];
	doq_tls_describe_code(NGTCP2_CRYPTO_ERROR | alert, false, d, sizeof(d));
	gnutls_datum_t out = {0};
	/* With our verify function GnuTLS has no status of its own. */
	unsigned status = c->expect_uri[0]
	                          ? c->verify_status
	                          : gnutls_session_get_verify_cert_status(c->tls);
	if (c->uri_refused) {
		snprintf(c->why, sizeof(c->why),
		         "server certificate rejected: URI SAN is not %.140s",
		         c->expect_uri);
	} else if (status && gnutls_certificate_verification_status_print(
		              status, GNUTLS_CRT_X509, &out, 0) == 0) {
		snprintf(c->why, sizeof(c->why),
		         "server certificate rejected: %s", (char *)out.data);
		gnutls_free(out.data);
	} else {
		snprintf(c->why, sizeof(c->why), "TLS handshake failed: %s", d);
	}
	ngtcp2_connection_close_error e;
	ngtcp2_connection_close_error_default(&e);
	ngtcp2_connection_close_error_set_transport_error_tls_alert(&e, alert,
	                                                            NULL, 0);
	local_close(c, &e);
	mark_closed(c, SDNS_ECERT);
}

static void conn_failed(sdns_doq_client *c, int rv)
{
	if (rv == NGTCP2_ERR_DRAINING || rv == NGTCP2_ERR_CLOSING) {
		remote_closed(c);
	} else if (rv == NGTCP2_ERR_CRYPTO) {
		tls_failed(c);
	} else if (rv == NGTCP2_ERR_IDLE_CLOSE ||
	           rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
		snprintf(c->why, sizeof(c->why), "connection timed out (%s)",
		         ngtcp2_strerror(rv));
		mark_closed(c, SDNS_ETIMEOUT);
	} else {
		snprintf(c->why, sizeof(c->why), "QUIC error: %s",
		         ngtcp2_strerror(rv));
		ngtcp2_connection_close_error e;
		ngtcp2_connection_close_error_default(&e);
		ngtcp2_connection_close_error_set_transport_error_liberr(&e, rv,
		                                                         NULL, 0);
		local_close(c, &e);
		mark_closed(c, SDNS_EQUIC);
	}
}

/* --- I/O --- */

static void wq_push(sdns_doq_client *c, cstream *st)
{
	if (st->queued) return;
	st->queued = true;
	st->wnext = NULL;
	if (c->wq_tail) c->wq_tail->wnext = st;
	else c->wq_head = st;
	c->wq_tail = st;
}

static void wq_pop(sdns_doq_client *c)
{
	cstream *st = c->wq_head;
	c->wq_head = st->wnext;
	if (!c->wq_head) c->wq_tail = NULL;
	st->queued = false;
}

static int write_out(sdns_doq_client *c)
{
	if (c->closed) return SDNS_ECLOSED;
	ngtcp2_pkt_info pi;
	uint64_t ts = doq_now();
	for (;;) {
		cstream *st = c->wq_head;
		uint8_t *buf = doq_tx_slot(&c->tx);
		ngtcp2_vec v = {0};
		uint32_t fl = NGTCP2_WRITE_STREAM_FLAG_MORE;
		if (st) {
			v.base = st->tx + st->sent;
			v.len = st->txlen - st->sent;
			if (st->fin) fl |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		}
		ngtcp2_ssize nd = -1;
		ngtcp2_ssize n = ngtcp2_conn_writev_stream(
			c->qc, NULL, &pi, buf, DOQ_PKT_MAX, &nd, fl,
			st ? st->id : -1, &v, st ? 1 : 0, ts);
		if (st && nd >= 0) {
			st->sent += (size_t)nd;
			if (st->sent == st->txlen) wq_pop(c);
		}
		if (n == NGTCP2_ERR_WRITE_MORE) continue;
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED ||
		    n == NGTCP2_ERR_STREAM_SHUT_WR ||
		    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			/* Blocked streams wait for the next round. */
			if (st) {
				wq_pop(c);
				if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED) {
					doq_tx_flush(&c->tx);
					ngtcp2_conn_update_pkt_tx_time(c->qc, ts);
					wq_push(c, st);
					return SDNS_OK;
				}
			}
			continue;
		}
		if (n < 0) {
			conn_failed(c, (int)n);
			return c->fail;
		}
		if (n == 0) break;
		doq_tx_commit(&c->tx, (size_t)n, (struct sockaddr *)&c->remote,
		              c->remotelen, NULL);
	}
	doq_tx_flush(&c->tx);
	ngtcp2_conn_update_pkt_tx_time(c->qc, ts);
	return SDNS_OK;
}

static void read_in(sdns_doq_client *c)
{
	ngtcp2_path path = {
		.local = {(ngtcp2_sockaddr *)&c->local, c->locallen},
		.remote = {(ngtcp2_sockaddr *)&c->remote, c->remotelen},
	};
	for (;;) {
		int n = recvmmsg(c->fd, c->rmsg, DOQ_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == ECONNREFUSED && !c->closed) {
			/* the socket is connected, so the kernel hands us the ICMP port
			 * unreachable: nothing listens there, no need to wait for the
			 * handshake timeout */
			snprintf(c->why, sizeof(c->why), "connection refused (nothing "
			         "listens on that UDP port)");
			mark_closed(c, SDNS_ECLOSED);
			return;
		}
		if (n <= 0) return;
		for (int i = 0; i < n && !c->closed; i++) {
			ngtcp2_pkt_info pi = {0};
			int rv = ngtcp2_conn_read_pkt(c->qc, &path, &pi, c->rbuf[i],
			                              c->rmsg[i].msg_len, doq_now());
			if (rv != 0) conn_failed(c, rv);
		}
		if (c->closed || n < DOQ_BATCH) return;
	}
}

/* One round: send, wait for a datagram, a timer (at most until deadline)
 * or the wake fd, read, run timers, send. Returns whether the wake fd is
 * readable. */
static bool drive(sdns_doq_client *c, uint64_t deadline)
{
	if (write_out(c) != SDNS_OK) return false;
	uint64_t now = doq_now();
	uint64_t exp = ngtcp2_conn_get_expiry(c->qc);
	uint64_t until = exp < deadline ? exp : deadline;
	int ms = until <= now ? 0 : (int)((until - now + 999999) / 1000000);
	struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
	                      {.fd = c->wake_fd, .events = POLLIN}};
	bool woken = false;
	if (poll(p, c->wake_fd >= 0 ? 2 : 1, ms) > 0) {
		if (p[0].revents) read_in(c);
		woken = c->wake_fd >= 0 && (p[1].revents & POLLIN);
	}
	if (c->closed) return woken;
	now = doq_now();
	if (ngtcp2_conn_get_expiry(c->qc) <= now) {
		int rv = ngtcp2_conn_handle_expiry(c->qc, now);
		if (rv != 0) {
			conn_failed(c, rv);
			return woken;
		}
	}
	write_out(c);
	return woken;
}

/* --- public API --- */

static int setup(sdns_doq_client *c, const sdns_doq_client_conf *cf,
                 char *err, size_t cap)
{
	char host[256];
	if (doq_parse_addr(cf->server, true, &c->remote, &c->remotelen, host,
	                   sizeof(host)) != SDNS_OK) {
		doq_errf(err, cap, "bad server address '%s'",
		         cf->server ? cf->server : "");
		return SDNS_ECONFIG;
	}
	c->fd = socket(c->remote.ss_family,
	               SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&c->remote,
	                         c->remotelen) != 0) {
		doq_errf(err, cap, "socket: %s", strerror(errno));
		return SDNS_EIO;
	}
	c->locallen = sizeof(c->local);
	getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen);
	c->tx.fd = c->fd;
	for (int i = 0; i < DOQ_BATCH; i++) {
		c->riov[i].iov_base = c->rbuf[i];
		c->riov[i].iov_len = CRX_SLOT;
		c->rmsg[i].msg_hdr.msg_iov = &c->riov[i];
		c->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	int rv = doq_tls_client_init(&c->creds, cf->ca_path, cf->cert_path,
	                             cf->key_path, err, cap);
	if (rv) return rv;

	ngtcp2_cid dcid = {.datalen = DOQ_CID_LEN}, scid = {.datalen = DOQ_CID_LEN};
	doq_rand(dcid.data, dcid.datalen);
	doq_rand(scid.data, scid.datalen);
	ngtcp2_settings st;
	ngtcp2_settings_default(&st);
	st.initial_ts = doq_now();
	st.max_tx_udp_payload_size = DOQ_PKT_MAX;
	st.handshake_timeout = (uint64_t)c->timeout_ms * NGTCP2_MILLISECONDS;
	if (cf->token && cf->token_len) {
		st.token.base = (uint8_t *)(uintptr_t)cf->token;
		st.token.len = cf->token_len;
	}
	ngtcp2_transport_params p;
	ngtcp2_transport_params_default(&p);
	p.initial_max_stream_data_bidi_local = DOQ_FRAME_MAX;
	p.initial_max_data = 16u << 20;
	p.max_idle_timeout = 30 * NGTCP2_SECONDS;
	ngtcp2_path path = {
		.local = {(ngtcp2_sockaddr *)&c->local, c->locallen},
		.remote = {(ngtcp2_sockaddr *)&c->remote, c->remotelen},
	};
	ngtcp2_callbacks cb;
	client_callbacks(&cb);
	if (ngtcp2_conn_client_new(&c->qc, &dcid, &scid, &path,
	                           NGTCP2_PROTO_VER_V1, &cb, &st, &p, NULL, c)) {
		doq_errf(err, cap, "ngtcp2_conn_client_new failed");
		return SDNS_EQUIC;
	}
	snprintf(c->name, sizeof(c->name), "%s",
	         cf->server_name ? cf->server_name : host);
	/* A peer known by its SPIFFE id needs no host name in its
	 * certificate, unless one was asked for. */
	bool by_name = !cf->expect_uri || cf->server_name;
	c->nvdata = by_name ? 2 : 1;
	if (doq_tls_client_session(&c->creds, &c->ref, by_name ? c->name : NULL,
	                           cf->alpn ? cf->alpn : SDNS_DOQ_ALPN, c->vdata,
	                           cf->expect_uri ? verify_uri : NULL,
	                           &c->tls) != SDNS_OK) {
		doq_errf(err, cap, "TLS session setup failed");
		return SDNS_ETLS;
	}
	ngtcp2_conn_set_tls_native_handle(c->qc, c->tls);
	return SDNS_OK;
}

int sdns_doq_client_connect(const sdns_doq_client_conf *cf,
                            sdns_doq_client **out, char *err, size_t err_cap)
{
	*out = NULL;
	sdns_doq_client *c = calloc(1, sizeof(*c));
	if (!c) return SDNS_ENOMEM;
	c->fd = -1;
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	c->timeout_ms = cf->timeout_ms ? cf->timeout_ms : 5000;
	c->wake_fd = -1;
	int rv = SDNS_ECONFIG;
	if (cf->expect_uri && strlen(cf->expect_uri) >= sizeof(c->expect_uri)) {
		doq_errf(err, err_cap, "expect_uri too long");
		goto fail;
	}
	if (cf->expect_uri)
		memcpy(c->expect_uri, cf->expect_uri, strlen(cf->expect_uri) + 1);
	rv = setup(c, cf, err, err_cap);
	if (rv) goto fail;
	uint64_t deadline = doq_now() + (uint64_t)c->timeout_ms * NGTCP2_MILLISECONDS;
	while (!c->confirmed && !c->closed && doq_now() < deadline)
		drive(c, deadline);
	if (c->confirmed && !c->closed) {
		*out = c;
		return SDNS_OK;
	}
	if (c->closed) {
		rv = c->fail;
		doq_errf(err, err_cap, "%s", c->why);
	} else {
		rv = SDNS_ETIMEOUT;
		doq_errf(err, err_cap, "handshake timed out after %u ms",
		         c->timeout_ms);
	}
fail:
	c->closed = true; /* nothing to say to the server */
	sdns_doq_client_free(c);
	return rv;
}

void sdns_doq_client_free(sdns_doq_client *c)
{
	if (!c) return;
	if (c->qc && !c->closed) {
		ngtcp2_connection_close_error e;
		ngtcp2_connection_close_error_default(&e);
		ngtcp2_connection_close_error_set_application_error(
			&e, SDNS_DOQ_NO_ERROR, NULL, 0);
		local_close(c, &e);
	}
	while (c->streams) stream_unlink_free(c, c->streams);
	if (c->qc) ngtcp2_conn_del(c->qc);
	if (c->tls) gnutls_deinit(c->tls);
	doq_tls_deinit(&c->creds);
	if (c->fd >= 0) close(c->fd);
	free(c);
}

static int open_stream(sdns_doq_client *c, bool uni, const uint8_t *data,
                       size_t len, bool fin, bool flush, int64_t *id)
{
	if (c->closed) return SDNS_ECLOSED;
	cstream *st = calloc(1, sizeof(*st));
	if (!st || (len && !(st->tx = malloc(len)))) {
		free(st);
		return SDNS_ENOMEM;
	}
	int rv = uni ? ngtcp2_conn_open_uni_stream(c->qc, &st->id, st)
	             : ngtcp2_conn_open_bidi_stream(c->qc, &st->id, st);
	if (rv != 0) {
		free(st->tx);
		free(st);
		return rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? SDNS_ELIMIT : SDNS_EQUIC;
	}
	if (len) memcpy(st->tx, data, len);
	st->txlen = len;
	st->fin = fin;
	/* A uni stream never answers: count it as finished for us. */
	st->delivered = uni;
	st->next = c->streams;
	if (c->streams) c->streams->prev = st;
	c->streams = st;
	wq_push(c, st);
	if (id) *id = st->id;
	if (!flush) return SDNS_OK;
	return write_out(c) == SDNS_OK ? SDNS_OK : SDNS_ECLOSED;
}

static int send_framed(sdns_doq_client *c, const uint8_t *q, size_t len,
                       bool flush, int64_t *stream_id)
{
	if (len > 65535 || len < SDNS_HDR_LEN) return SDNS_EINVAL;
	uint8_t frame[DOQ_FRAME_MAX];
	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	memcpy(frame + 2, q, len);
	frame[2] = frame[3] = 0; /* RFC 9250 §4.2.1: Message ID 0 */
	return open_stream(c, false, frame, len + 2, true, flush, stream_id);
}

int sdns_doq_client_send(sdns_doq_client *c, const uint8_t *q, size_t len,
                         int64_t *stream_id)
{
	return send_framed(c, q, len, true, stream_id);
}

int sdns_doq_client_queue(sdns_doq_client *c, const uint8_t *q, size_t len,
                          int64_t *stream_id)
{
	return send_framed(c, q, len, false, stream_id);
}

int sdns_doq_client_flush(sdns_doq_client *c)
{
	return write_out(c) == SDNS_OK ? SDNS_OK : SDNS_ECLOSED;
}

int sdns_doq_client_send_raw(sdns_doq_client *c, const uint8_t *bytes,
                             size_t len, bool fin, bool uni,
                             int64_t *stream_id)
{
	if (len > DOQ_FRAME_MAX) return SDNS_EINVAL;
	return open_stream(c, uni, bytes, len, fin, true, stream_id);
}

static int deliver(sdns_doq_client *c, sdns_doq_resp_fn cb, void *ctx)
{
	int n = 0;
	while (c->dq_head) {
		cstream *st = c->dq_head;
		c->dq_head = st->dnext;
		if (!c->dq_head) c->dq_tail = NULL;
		if (st->delivered) continue;
		st->delivered = true;
		n++;
		if (cb) {
			bool ok = st->status == SDNS_OK;
			cb(ctx, st->id, st->status, st->app_error,
			   ok ? st->rx + 2 : NULL, ok ? st->rxlen - 2 : 0);
		}
	}
	/* Streams both reported and closed by the transport are gone. */
	cstream *st = c->streams;
	while (st) {
		cstream *next = st->next;
		if (st->delivered && (st->nclosed || c->closed) && !st->queued)
			stream_unlink_free(c, st);
		st = next;
	}
	return n;
}

int sdns_doq_client_poll(sdns_doq_client *c, int timeout_ms,
                         sdns_doq_resp_fn cb, void *ctx)
{
	uint64_t deadline = doq_now() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) *
	                                        NGTCP2_MILLISECONDS;
	for (;;) {
		int n = deliver(c, cb, ctx);
		if (n > 0) return n;
		if (c->closed) return c->fail ? c->fail : SDNS_ECLOSED;
		if (drive(c, deadline)) return deliver(c, cb, ctx);
		if (doq_now() >= deadline && !c->dq_head) return 0;
	}
}

typedef struct {
	int64_t id;
	bool found;
	int status;
	uint8_t *resp;
	size_t cap, *len;
} one_query;

static void on_one(void *ctx, int64_t id, int status, uint64_t app_error,
                   const uint8_t *resp, size_t len)
{
	(void)app_error;
	one_query *q = ctx;
	if (id != q->id) return;
	q->found = true;
	q->status = status;
	if (status != SDNS_OK) return;
	if (len > q->cap) {
		q->status = SDNS_ESPACE;
		return;
	}
	memcpy(q->resp, resp, len);
	*q->len = len;
}

int sdns_doq_client_query(sdns_doq_client *c, const uint8_t *q, size_t len,
                          uint8_t *resp, size_t cap, size_t *resp_len)
{
	one_query oq = {.resp = resp, .cap = cap, .len = resp_len};
	int rv = sdns_doq_client_send(c, q, len, &oq.id);
	if (rv) return rv;
	uint64_t deadline = doq_now() + (uint64_t)c->timeout_ms * NGTCP2_MILLISECONDS;
	/* Blocking: a readable wake fd would only make this spin. */
	int wake = c->wake_fd;
	c->wake_fd = -1;
	while (!oq.found) {
		uint64_t now = doq_now();
		if (now >= deadline) {
			rv = SDNS_ETIMEOUT;
			break;
		}
		rv = sdns_doq_client_poll(c, (int)((deadline - now) / 1000000) + 1,
		                          on_one, &oq);
		if (rv < 0 && !oq.found) break;
	}
	c->wake_fd = wake;
	return oq.found ? oq.status : rv;
}

uint64_t sdns_doq_client_streams_left(const sdns_doq_client *c)
{
	return c->closed ? 0 : ngtcp2_conn_get_streams_bidi_left(c->qc);
}

int sdns_doq_client_fd(const sdns_doq_client *c)
{
	return c->fd;
}

void sdns_doq_client_set_wake_fd(sdns_doq_client *c, int fd)
{
	c->wake_fd = fd;
}

size_t sdns_doq_client_token(const sdns_doq_client *c, uint8_t *buf,
                             size_t cap)
{
	if (buf && c->token_len <= cap) memcpy(buf, c->token, c->token_len);
	return c->token_len;
}

bool sdns_doq_client_closed(const sdns_doq_client *c, uint64_t *code,
                            bool *is_app_error)
{
	if (!c->closed) return false;
	if (code) *code = c->close_code;
	if (is_app_error) *is_app_error = c->close_app;
	return true;
}
