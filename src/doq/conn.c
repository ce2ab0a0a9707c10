/* One server connection: ngtcp2 callbacks, RFC 9250 stream framing, the
 * query handler call, writing, closing. Runs on the owning worker only.
 *
 * Callbacks never read or write packets: they record what to do (a stream
 * to send or reset, a connection error) and doq_conn_flush acts on it. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define CONN(u) ((doq_conn *)(u))
#define SRV(c) ((c)->w->srv)

static uint64_t pto3(doq_conn *c)
{
	return 3 * ngtcp2_conn_get_pto(c->qc);
}

/* --- errors --- */

static int conn_error(doq_conn *c, bool app, uint64_t code, const char *why)
{
	if (!c->close_set) {
		c->close_set = true;
		c->close_app = app;
		c->close_code = code;
		c->close_reason = why;
	}
	return NGTCP2_ERR_CALLBACK_FAILURE;
}

static int protocol_error(doq_conn *c, const char *why)
{
	return conn_error(c, true, SDNS_DOQ_PROTOCOL_ERROR, why);
}

static int excessive_load(doq_conn *c, const char *why)
{
	return conn_error(c, true, SDNS_DOQ_EXCESSIVE_LOAD, why);
}

/* The stream cannot be answered: RESET_STREAM + STOP_SENDING with code. */
static void stream_reset(doq_conn *c, doq_stream *st, uint64_t code)
{
	doq_defer_drop(c->w, st);
	doq_dlist_del(c, st);
	doq_acct_give(c, st, st->accounted);
	doq_stream_drop_buf(st);
	st->phase = ST_DONE;
	st->has_reset = true;
	st->reset_code = code;
	doq_wlist_add(c, st);
}

static void log_refusal(doq_conn *c, const char *reason)
{
	if (c->refusal_logged) return;
	c->refusal_logged = true;
	atomic_fetch_add_explicit(&c->w->ctr.handshakes_refused, 1,
	                          memory_order_relaxed);
	sdns_log(SDNS_LOG_WARN, "handshake_refused", "peer=%s reason=%s",
	         c->peer, reason);
}

/* --- queries --- */

static void close_requested(doq_conn *c);

/* Put the framed response on the stream for sending. owned, when not NULL,
 * is framed itself (malloc'd) and becomes the stream's or is freed. */
static int stream_respond(doq_conn *c, doq_stream *st, const uint8_t *framed,
                          size_t flen, uint8_t *owned)
{
	doq_dlist_del(c, st);
	st->phase = ST_TX;
	/* The request bytes are no longer needed. */
	doq_acct_give(c, st, st->accounted);
	if (!doq_acct_take(c, st, flen)) {
		free(owned);
		return excessive_load(c, "buffer_limit");
	}
	if (flen > sizeof(st->inl)) {
		uint8_t *b = owned ? owned : malloc(flen);
		if (!b) {
			stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
			return 0;
		}
		if (!owned) memcpy(b, framed, flen);
		owned = NULL;
		if (st->buf != st->inl) free(st->buf);
		st->buf = b;
		st->cap = flen;
	} else {
		doq_stream_drop_buf(st);
		memcpy(st->buf, framed, flen);
		free(owned);
	}
	st->len = flen;
	st->sent = st->acked = 0;
	doq_wlist_add(c, st);
	return 0;
}

/* The asynchronous handler: answered now (returned or replied through the
 * ticket from inside the call), or parked until sdns_doq_server_reply.
 * *done: the stream was dealt with here, the result is for ngtcp2;
 * otherwise it is the handler's, as from on_query. */
static int call_async(doq_conn *c, doq_stream *st, const sdns_msg *m,
                      const uint8_t *q, size_t len, size_t *rlen, bool *done)
{
	sdns_doq_server *srv = SRV(c);
	doq_worker *w = c->w;
	sdns_doq_ticket t = {(uint32_t)w->idx, c->serial, st->id};
	doq_defer_begin(w, &t);
	int rc = srv->conf.on_query_async(srv->conf.ctx, &c->id, m, q, len, &t,
	                                  w->resp + 2, sizeof(w->resp) - 2,
	                                  rlen);
	uint8_t *framed;
	size_t flen;
	bool pending = rc == SDNS_EPENDING;
	int er = doq_defer_end(w, st, pending, &framed, &flen);
	*done = true;
	if (er == 1) {
		if (framed) return stream_respond(c, st, framed, flen, framed);
		stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
		return 0;
	}
	if (!pending) {
		*done = false;
		return rc;
	}
	atomic_fetch_add_explicit(&w->ctr.deferred, 1, memory_order_relaxed);
	if (er != SDNS_OK) {
		stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
		return 0;
	}
	/* Parked: keeps its deadline and its place in the limits. */
	st->phase = ST_PEND;
	return 0;
}

static int answer(doq_conn *c, doq_stream *st, const uint8_t *q, size_t len)
{
	sdns_doq_server *srv = SRV(c);
	st->phase = ST_TX;
	if (len >= 2 && (q[0] | q[1]) != 0)
		return protocol_error(c, "nonzero_message_id");
	sdns_msg m;
	if (sdns_msg_parse(q, len, &m) != SDNS_OK) {
		/* No FORMERR: we could not even read a question to echo. */
		sdns_log(SDNS_LOG_INFO, "query_unparseable", "peer=%s stream=%lld",
		         c->peer, (long long)st->id);
		stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
		return 0;
	}
	if (m.edns.has_keepalive) {
		sdns_msg_free(&m);
		return protocol_error(c, "edns_keepalive");
	}
	doq_worker *w = c->w;
	size_t rlen = 0;
	bool done = false;
	int rc = srv->conf.on_query_async
	                 ? call_async(c, st, &m, q, len, &rlen, &done)
	                 : srv->conf.on_query(srv->conf.ctx, &c->id, &m, q, len,
	                                      w->resp + 2, sizeof(w->resp) - 2,
	                                      &rlen);
	sdns_msg_free(&m);
	atomic_fetch_add_explicit(&w->ctr.queries, 1, memory_order_relaxed);
	if (done) return rc;
	if (rc < 0 || rlen > sizeof(w->resp) - 2) {
		stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
		return 0;
	}
	w->resp[0] = (uint8_t)(rlen >> 8);
	w->resp[1] = (uint8_t)rlen;
	return stream_respond(c, st, w->resp, rlen + 2, NULL);
}

void doq_stream_deliver(doq_stream *st, uint8_t *framed, size_t flen)
{
	doq_conn *c = st->conn;
	if (c->state != CS_OPEN || st->phase != ST_PEND) {
		free(framed);
		return;
	}
	if (!framed) stream_reset(c, st, SDNS_DOQ_INTERNAL_ERROR);
	else if (stream_respond(c, st, framed, flen, framed) != 0)
		close_requested(c);
	doq_conn_mark_dirty(c);
}

static size_t frame_need(const uint8_t *p)
{
	return 2 + ((size_t)p[0] << 8 | p[1]);
}

static int stream_append(doq_conn *c, doq_stream *st, const uint8_t *data,
                         size_t len)
{
	size_t total = st->len + len;
	if (total > DOQ_FRAME_MAX) return protocol_error(c, "trailing_data");
	if (!doq_acct_take(c, st, len)) return excessive_load(c, "buffer_limit");
	if (total > st->cap) {
		size_t cap = st->cap * 2 > total ? st->cap * 2 : total;
		if (cap > DOQ_FRAME_MAX) cap = DOQ_FRAME_MAX;
		uint8_t *b = st->buf == st->inl ? malloc(cap) : realloc(st->buf, cap);
		if (!b) return excessive_load(c, "out_of_memory");
		if (st->buf == st->inl) memcpy(b, st->inl, st->len);
		st->buf = b;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, len);
	st->len = total;
	return 0;
}

static int stream_input(doq_conn *c, doq_stream *st, const uint8_t *data,
                        size_t len, bool fin)
{
	/* Reset by us: what was already in flight is dropped quietly. */
	if (st->phase == ST_DONE) return 0;
	if (st->phase != ST_RX)
		return len ? protocol_error(c, "trailing_data") : 0;
	/* Common case: the whole frame in one STREAM frame, no copy. */
	if (st->len == 0 && len >= 2) {
		size_t need = frame_need(data);
		if (len > need) return protocol_error(c, "trailing_data");
		if (len == need) return answer(c, st, data + 2, need - 2);
	}
	if (len) {
		int rv = stream_append(c, st, data, len);
		if (rv) return rv;
	}
	if (st->len >= 2) {
		size_t need = frame_need(st->buf);
		if (st->len > need) return protocol_error(c, "trailing_data");
		if (st->len == need) return answer(c, st, st->buf + 2, need - 2);
	}
	if (fin) return protocol_error(c, "fin_before_message");
	return 0;
}

/* --- ngtcp2 callbacks --- */

static int cb_recv_stream_data(ngtcp2_conn *qc, uint32_t flags, int64_t id,
                               uint64_t off, const uint8_t *data, size_t len,
                               void *user, void *sud)
{
	(void)off;
	doq_conn *c = CONN(user);
	doq_stream *st = sud;
	if (!ngtcp2_is_bidi_stream(id) || ngtcp2_conn_is_local_stream(qc, id))
		return protocol_error(c, "unidirectional_stream");
	if (!st) {
		if (!(st = doq_stream_new(c, id)))
			return excessive_load(c, "out_of_memory");
		ngtcp2_conn_set_stream_user_data(qc, id, st);
	}
	/* Connection credit comes back at once; the buffer limits, not flow
	 * control, bound what a client may park here. */
	ngtcp2_conn_extend_max_offset(qc, len);
	return stream_input(c, st, data, len,
	                    (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
}

static int cb_stream_close(ngtcp2_conn *qc, uint32_t flags, int64_t id,
                           uint64_t app_error, void *user, void *sud)
{
	(void)flags;
	(void)app_error;
	doq_conn *c = CONN(user);
	if (sud) doq_stream_free(c, sud);
	if (!ngtcp2_conn_is_local_stream(qc, id) && ngtcp2_is_bidi_stream(id))
		ngtcp2_conn_extend_max_streams_bidi(qc, 1);
	return 0;
}

static int cb_stream_reset(ngtcp2_conn *qc, int64_t id, uint64_t final_size,
                           uint64_t app_error, void *user, void *sud)
{
	(void)qc;
	(void)id;
	(void)final_size;
	(void)app_error;
	doq_stream *st = sud;
	/* The client gave up on this query: drop its state, stop our side. */
	if (st && (st->phase == ST_RX || st->phase == ST_PEND))
		stream_reset(CONN(user), st, SDNS_DOQ_REQUEST_CANCELLED);
	return 0;
}

static int cb_acked(ngtcp2_conn *qc, int64_t id, uint64_t off, uint64_t n,
                    void *user, void *sud)
{
	(void)qc;
	(void)id;
	doq_stream *st = sud;
	if (!st || st->phase != ST_TX) return 0;
	size_t upto = (size_t)(off + n);
	if (upto > st->acked) {
		doq_acct_give(CONN(user), st, upto - st->acked);
		st->acked = upto;
	}
	return 0;
}

static int cb_handshake_completed(ngtcp2_conn *qc, void *user)
{
	doq_conn *c = CONN(user);
	if (!doq_tls_alpn_is_doq(c->tls)) {
		log_refusal(c, "bad_alpn");
		return conn_error(c, false, NGTCP2_CRYPTO_ERROR | 120, NULL);
	}
	if (!c->verified) {
		log_refusal(c, "no_certificate");
		return conn_error(c, false, NGTCP2_CRYPTO_ERROR | 116, NULL);
	}
	c->handshake_done = true;
	atomic_fetch_add_explicit(&c->w->ctr.handshakes_ok, 1,
	                          memory_order_relaxed);
	sdns_log(SDNS_LOG_DEBUG, "connection_accepted", "peer=%s id=%s",
	         c->peer, c->id.uri);
	uint8_t tok[NGTCP2_CRYPTO_MAX_REGULAR_TOKENLEN];
	ngtcp2_ssize n = doq_token_regular(&SRV(c)->tokens,
	                                   (struct sockaddr *)&c->remote,
	                                   c->remotelen, tok, sizeof(tok));
	/* A client without a token only costs a Retry next time. */
	if (n > 0) ngtcp2_conn_submit_new_token(qc, tok, (size_t)n);
	return 0;
}

static int cb_new_cid(ngtcp2_conn *qc, ngtcp2_cid *cid, uint8_t *token,
                      size_t cidlen, void *user)
{
	(void)qc;
	doq_conn *c = CONN(user);
	cid->datalen = cidlen;
	do {
		doq_rand(cid->data, cidlen);
	} while (doq_cidtab_get(&c->w->cids, cid->data, cidlen));
	if (doq_reset_token(&SRV(c)->tokens, cid, token) != SDNS_OK ||
	    doq_cidtab_add(&c->w->cids, cid->data, cidlen, c) != SDNS_OK)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int cb_remove_cid(ngtcp2_conn *qc, const ngtcp2_cid *cid, void *user)
{
	(void)qc;
	doq_cidtab_del(&CONN(user)->w->cids, cid->data, cid->datalen);
	return 0;
}

void doq_conn_callbacks(ngtcp2_callbacks *cb)
{
	memset(cb, 0, sizeof(*cb));
	cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
	cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
	cb->encrypt = ngtcp2_crypto_encrypt_cb;
	cb->decrypt = ngtcp2_crypto_decrypt_cb;
	cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
	cb->update_key = ngtcp2_crypto_update_key_cb;
	cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
	cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
	cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
	cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
	cb->handshake_completed = cb_handshake_completed;
	cb->recv_stream_data = cb_recv_stream_data;
	cb->stream_close = cb_stream_close;
	cb->stream_reset = cb_stream_reset;
	cb->acked_stream_data_offset = cb_acked;
	cb->rand = doq_cb_rand;
	cb->get_new_connection_id = cb_new_cid;
	cb->remove_connection_id = cb_remove_cid;
}

/* GnuTLS verify function for the server credentials. */
int doq_verify_cb(gnutls_session_t s)
{
	ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
	doq_conn *c = ref->user_data;
	sdns_doq_server *srv = SRV(c);
	const char *reason = "internal";
	if (doq_verify_client(s, srv->mesh, srv->conf.admit, srv->conf.ctx,
	                      &c->id, &reason) != SDNS_OK) {
		log_refusal(c, reason);
		return -1;
	}
	c->verified = true;
	return 0;
}

/* --- reading, closing, writing --- */

void doq_conn_mark_dirty(doq_conn *c)
{
	if (c->dirty) return;
	c->dirty = true;
	c->dirty_next = c->w->dirty;
	c->w->dirty = c;
}

static void close_with(doq_conn *c, const ngtcp2_connection_close_error *e)
{
	if (c->state != CS_OPEN) return;
	doq_tx *tx = &c->w->tx;
	uint64_t now = doq_now();
	uint8_t *buf = doq_tx_slot(tx);
	ngtcp2_ssize n = ngtcp2_conn_write_connection_close(
		c->qc, NULL, NULL, buf, DOQ_PKT_MAX, e, now);
	if (n <= 0) {
		c->state = CS_DEAD;
		doq_conn_mark_dirty(c);
		return;
	}
	c->close_pkt = malloc((size_t)n);
	if (c->close_pkt) {
		memcpy(c->close_pkt, buf, (size_t)n);
		c->close_len = (size_t)n;
	}
	doq_tx_commit(tx, (size_t)n, (struct sockaddr *)&c->remote, c->remotelen,
	              (struct sockaddr *)&c->local);
	c->state = CS_CLOSING;
	c->close_deadline = now + pto3(c);
	doq_conn_mark_dirty(c);
}

void doq_conn_close(doq_conn *c, bool app, uint64_t code)
{
	ngtcp2_connection_close_error e;
	ngtcp2_connection_close_error_default(&e);
	if (app) ngtcp2_connection_close_error_set_application_error(&e, code,
	                                                             NULL, 0);
	else ngtcp2_connection_close_error_set_transport_error(&e, code, NULL, 0);
	close_with(c, &e);
}

static void close_requested(doq_conn *c)
{
	if (c->close_app && c->close_code == SDNS_DOQ_PROTOCOL_ERROR) {
		atomic_fetch_add_explicit(&c->w->ctr.protocol_errors, 1,
		                          memory_order_relaxed);
		sdns_log(SDNS_LOG_INFO, "protocol_error", "peer=%s reason=%s",
		         c->peer, c->close_reason);
	} else if (c->close_app && c->close_code == SDNS_DOQ_EXCESSIVE_LOAD) {
		atomic_fetch_add_explicit(&c->w->ctr.excessive_load, 1,
		                          memory_order_relaxed);
		sdns_log(SDNS_LOG_INFO, "excessive_load", "peer=%s reason=%s",
		         c->peer, c->close_reason);
	}
	doq_conn_close(c, c->close_app, c->close_code);
}

static void read_failed(doq_conn *c, int rv)
{
	ngtcp2_connection_close_error e;
	ngtcp2_connection_close_error_default(&e);
	switch (rv) {
	case NGTCP2_ERR_DRAINING:
		c->state = CS_DRAINING;
		c->close_deadline = doq_now() + pto3(c);
		return;
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
		c->state = CS_DEAD;
		return;
	case NGTCP2_ERR_CRYPTO: {
		uint8_t alert = ngtcp2_conn_get_tls_alert(c->qc);
		if (!c->handshake_done)
			log_refusal(c, alert == 116   ? "no_certificate"
			               : alert == 120 ? "bad_alpn"
			                              : "tls_error");
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
			&e, alert, NULL, 0);
		close_with(c, &e);
		return;
	}
	case NGTCP2_ERR_CALLBACK_FAILURE:
		if (c->close_set) {
			close_requested(c);
			return;
		}
		break;
	default:
		break;
	}
	ngtcp2_connection_close_error_set_transport_error_liberr(&e, rv, NULL, 0);
	close_with(c, &e);
}

void doq_conn_read(doq_conn *c, const uint8_t *pkt, size_t len,
                   const struct sockaddr *local, const struct sockaddr *sa,
                   socklen_t salen)
{
	if (c->state == CS_CLOSING) {
		/* RFC 9000 §10.2.1: answer packets with the saved close, but
		 * only the 1st, 2nd, 4th, 8th... so a peer (or a spoofer)
		 * that keeps sending cannot make us a reflector. */
		c->close_rx++;
		bool resend = (c->close_rx & (c->close_rx - 1)) == 0;
		if (c->close_pkt && resend) {
			uint8_t *buf = doq_tx_slot(&c->w->tx);
			memcpy(buf, c->close_pkt, c->close_len);
			doq_tx_commit(&c->w->tx, c->close_len, sa, salen, local);
		}
		return;
	}
	if (c->state != CS_OPEN) return;
	ngtcp2_path path = {
		.local = {(ngtcp2_sockaddr *)(uintptr_t)local,
		          doq_sockaddr_len(local)},
		.remote = {(ngtcp2_sockaddr *)(uintptr_t)sa, salen},
	};
	ngtcp2_pkt_info pi = {0};
	int rv = ngtcp2_conn_read_pkt(c->qc, &path, &pi, pkt, len, doq_now());
	if (rv != 0) read_failed(c, rv);
	doq_conn_mark_dirty(c);
}

void doq_conn_on_timer(doq_conn *c)
{
	uint64_t now = doq_now();
	if (c->state == CS_CLOSING || c->state == CS_DRAINING) {
		if (now >= c->close_deadline) c->state = CS_DEAD;
		doq_conn_mark_dirty(c);
		return;
	}
	if (c->state != CS_OPEN) return;
	if (ngtcp2_conn_get_expiry(c->qc) <= now) {
		int rv = ngtcp2_conn_handle_expiry(c->qc, now);
		if (rv == NGTCP2_ERR_IDLE_CLOSE || rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
			c->state = CS_DEAD;
		} else if (rv != 0) {
			ngtcp2_connection_close_error e;
			ngtcp2_connection_close_error_default(&e);
			ngtcp2_connection_close_error_set_transport_error_liberr(
				&e, rv, NULL, 0);
			close_with(c, &e);
		}
	}
	while (c->state == CS_OPEN && c->dhead && c->dhead->deadline <= now) {
		doq_stream *st = c->dhead;
		atomic_fetch_add_explicit(&c->w->ctr.stream_timeouts, 1,
		                          memory_order_relaxed);
		sdns_log(SDNS_LOG_INFO, "stream_timeout", "peer=%s stream=%lld",
		         c->peer, (long long)st->id);
		stream_reset(c, st, SDNS_DOQ_REQUEST_CANCELLED);
	}
	doq_conn_mark_dirty(c);
}

/* Streams to reset are shut down before any data is written. */
static void apply_resets(doq_conn *c)
{
	doq_stream *st = c->wlist.head;
	while (st) {
		doq_stream *next = st->wnext;
		if (st->has_reset) {
			doq_wlist_del(c, st);
			st->has_reset = false;
			ngtcp2_conn_shutdown_stream(c->qc, st->id, st->reset_code);
		}
		st = next;
	}
}

static int write_streams(doq_conn *c)
{
	doq_tx *tx = &c->w->tx;
	ngtcp2_pkt_info pi;
	ngtcp2_path_storage ps;
	ngtcp2_path_storage_zero(&ps);
	uint64_t ts = doq_now();
	doq_stream *st = c->wlist.head;
	for (;;) {
		uint8_t *buf = doq_tx_slot(tx);
		ngtcp2_vec v = {0};
		int64_t sid = -1;
		size_t vcnt = 0;
		uint32_t fl = NGTCP2_WRITE_STREAM_FLAG_MORE;
		if (st) {
			sid = st->id;
			v.base = st->buf + st->sent;
			v.len = st->len - st->sent;
			vcnt = 1;
			fl |= NGTCP2_WRITE_STREAM_FLAG_FIN;
		}
		ngtcp2_ssize nd = -1;
		ngtcp2_ssize n = ngtcp2_conn_writev_stream(
			c->qc, &ps.path, &pi, buf, DOQ_PKT_MAX, &nd, fl, sid, &v,
			vcnt, ts);
		if (st && nd >= 0) {
			st->sent += (size_t)nd;
			if (st->sent == st->len) {
				doq_stream *next = st->wnext;
				doq_wlist_del(c, st);
				st = next;
			} else if (n == NGTCP2_ERR_WRITE_MORE) {
				st = st->wnext; /* flow-limited: try others */
			}
		}
		if (n == NGTCP2_ERR_WRITE_MORE) continue;
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED ||
		    n == NGTCP2_ERR_STREAM_SHUT_WR ||
		    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			doq_stream *next = st ? st->wnext : NULL;
			if (st && n != NGTCP2_ERR_STREAM_DATA_BLOCKED)
				doq_wlist_del(c, st);
			st = next;
			continue;
		}
		if (n < 0) return (int)n;
		if (n == 0) break;
		/* ngtcp2 names the path: the source is the address the
		 * client wrote to (wildcard sockets). */
		doq_tx_commit(tx, (size_t)n, (struct sockaddr *)ps.path.remote.addr,
		              ps.path.remote.addrlen,
		              (struct sockaddr *)ps.path.local.addr);
	}
	ngtcp2_conn_update_pkt_tx_time(c->qc, ts);
	return 0;
}

static void unregister(doq_conn *c)
{
	size_t n = ngtcp2_conn_get_num_scid(c->qc);
	ngtcp2_cid ids[16];
	ngtcp2_cid *v = n <= 16 ? ids : malloc(n * sizeof(*v));
	if (v) {
		ngtcp2_conn_get_scid(c->qc, v);
		for (size_t i = 0; i < n; i++)
			doq_cidtab_del(&c->w->cids, v[i].data, v[i].datalen);
		if (v != ids) free(v);
	}
	doq_cidtab_del(&c->w->cids, c->odcid.data, c->odcid.datalen);
}

void doq_conn_free(doq_conn *c)
{
	doq_worker *w = c->w;
	if (c->qc) unregister(c);
	doq_heap_del(&w->heap, c);
	if (c->dirty) {
		doq_conn **pp = &w->dirty;
		while (*pp && *pp != c) pp = &(*pp)->dirty_next;
		if (*pp) *pp = c->dirty_next;
	}
	if (c->prev) c->prev->next = c->next;
	else if (w->conns == c) w->conns = c->next;
	if (c->next) c->next->prev = c->prev;
	/* ngtcp2_conn_del does not call stream_close: free ours here. */
	while (c->streams) doq_stream_free(c, c->streams);
	if (c->counted)
		doq_limits_conn_close(&SRV(c)->limits, (struct sockaddr *)&c->remote);
	if (c->qc) ngtcp2_conn_del(c->qc);
	if (c->tls) gnutls_deinit(c->tls);
	free(c->close_pkt);
	free(c);
}

/* A closing connection answers nothing more: its tickets are refused from
 * now on, not when the connection is finally freed. */
static void drop_pending(doq_conn *c)
{
	for (doq_stream *st = c->streams; st && c->npending; st = st->anext)
		doq_defer_drop(c->w, st);
}

void doq_conn_flush(doq_conn *c)
{
	c->dirty = false;
	if (c->state != CS_OPEN && c->npending) drop_pending(c);
	if (c->state == CS_OPEN) {
		apply_resets(c);
		int rv = write_streams(c);
		if (rv != 0) {
			ngtcp2_connection_close_error e;
			ngtcp2_connection_close_error_default(&e);
			ngtcp2_connection_close_error_set_transport_error_liberr(
				&e, rv, NULL, 0);
			close_with(c, &e);
		}
	}
	if (c->state == CS_DEAD) {
		doq_conn_free(c);
		return;
	}
	uint64_t exp = c->close_deadline;
	if (c->state == CS_OPEN) {
		exp = ngtcp2_conn_get_expiry(c->qc);
		if (c->dhead && c->dhead->deadline < exp) exp = c->dhead->deadline;
	}
	if (doq_heap_set(&c->w->heap, c, exp) != SDNS_OK) doq_conn_free(c);
}
