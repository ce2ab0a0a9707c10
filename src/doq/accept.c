/* Datagram dispatch on a worker: known connection IDs go to their
 * connection; a new client's Initial passes version negotiation, address
 * validation (Retry when busy) and the connection limits before any TLS
 * state is made for it. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((doq_conn *)ref->user_data)->qc;
}

static void fresh_cid(doq_worker *w, ngtcp2_cid *cid)
{
	cid->datalen = DOQ_CID_LEN;
	do {
		doq_rand(cid->data, cid->datalen);
	} while (doq_cidtab_get(&w->cids, cid->data, cid->datalen));
}

static void set_params(const sdns_doq_server *srv, const ngtcp2_pkt_hd *hd,
                       const ngtcp2_cid *odcid, ngtcp2_transport_params *p)
{
	const sdns_doq_server_conf *cf = &srv->conf;
	ngtcp2_transport_params_default(p);
	/* One message per stream: a whole frame fits the stream window, so
	 * stream credit never needs extending. */
	p->initial_max_stream_data_bidi_remote = DOQ_FRAME_MAX;
	p->initial_max_data = cf->max_conn_buffer;
	p->initial_max_streams_bidi = cf->max_streams;
	/* DoQ uses no unidirectional streams: the transport refuses them. */
	p->initial_max_streams_uni = 0;
	p->max_idle_timeout = (uint64_t)cf->idle_timeout_ms * NGTCP2_MILLISECONDS;
	p->disable_active_migration = 1;
	if (odcid) {
		p->original_dcid = *odcid;
		p->retry_scid = hd->dcid;
		p->retry_scid_present = 1;
	} else {
		p->original_dcid = hd->dcid;
	}
}

int doq_conn_new(doq_worker *w, const ngtcp2_pkt_hd *hd,
                 const struct sockaddr *local, const struct sockaddr *sa,
                 socklen_t salen, const ngtcp2_cid *odcid, bool validated,
                 doq_conn **out)
{
	sdns_doq_server *srv = w->srv;
	doq_conn *c = calloc(1, sizeof(*c));
	if (!c) return SDNS_ENOMEM;
	c->ref.get_conn = get_conn;
	c->ref.user_data = c;
	c->w = w;
	c->serial = ++w->next_serial;
	c->heap_idx = (size_t)-1;
	memcpy(&c->remote, sa, salen);
	c->remotelen = salen;
	/* On a wildcard socket: the address the client wrote to. */
	c->locallen = doq_sockaddr_len(local);
	memcpy(&c->local, local, c->locallen);
	doq_format_addr(sa, c->peer, sizeof(c->peer));
	c->odcid = hd->dcid;

	ngtcp2_cid scid;
	fresh_cid(w, &scid);
	ngtcp2_settings st;
	ngtcp2_settings_default(&st);
	st.initial_ts = doq_now();
	st.max_tx_udp_payload_size = DOQ_PKT_MAX;
	if (validated) st.token = hd->token;
	ngtcp2_transport_params p;
	set_params(srv, hd, odcid, &p);
	p.stateless_reset_token_present = 1;
	int rv = SDNS_EQUIC;
	if (doq_reset_token(&srv->tokens, &scid, p.stateless_reset_token))
		goto fail;
	ngtcp2_path path = {
		.local = {(ngtcp2_sockaddr *)&c->local, c->locallen},
		.remote = {(ngtcp2_sockaddr *)&c->remote, c->remotelen},
	};
	if (ngtcp2_conn_server_new(&c->qc, &hd->scid, &scid, &path, hd->version,
	                           &srv->cb, &st, &p, NULL, c) != 0)
		goto fail;
	if ((rv = doq_tls_server_session(&srv->tls, &c->ref, &c->tls)))
		goto fail;
	ngtcp2_conn_set_tls_native_handle(c->qc, c->tls);
	if ((rv = doq_cidtab_add(&w->cids, scid.data, scid.datalen, c)))
		goto fail;
	if ((rv = doq_cidtab_add(&w->cids, c->odcid.data, c->odcid.datalen, c))) {
		doq_cidtab_del(&w->cids, scid.data, scid.datalen);
		goto fail;
	}
	c->next = w->conns;
	if (w->conns) w->conns->prev = c;
	w->conns = c;
	*out = c;
	return SDNS_OK;
fail:
	if (c->tls) gnutls_deinit(c->tls);
	if (c->qc) ngtcp2_conn_del(c->qc);
	free(c);
	return rv ? rv : SDNS_EQUIC;
}

static void send_version_negotiation(doq_worker *w, const ngtcp2_version_cid *vc,
                                     size_t len, const struct sockaddr *local,
                                     const struct sockaddr *sa, socklen_t salen)
{
	/* Only for datagrams large enough to be Initials: no amplification. */
	if (len < NGTCP2_MAX_UDP_PAYLOAD_SIZE) return;
	uint32_t sv[] = {NGTCP2_PROTO_VER_V1};
	uint8_t r;
	doq_rand(&r, 1);
	uint8_t *buf = doq_tx_slot(&w->tx);
	ngtcp2_ssize n = ngtcp2_pkt_write_version_negotiation(
		buf, DOQ_PKT_MAX, r, vc->scid, vc->scidlen, vc->dcid,
		vc->dcidlen, sv, 1);
	if (n > 0) doq_tx_commit(&w->tx, (size_t)n, sa, salen, local);
}

static void send_retry(doq_worker *w, const ngtcp2_pkt_hd *hd,
                       const struct sockaddr *local, const struct sockaddr *sa,
                       socklen_t salen)
{
	uint8_t *buf = doq_tx_slot(&w->tx);
	ngtcp2_ssize n = doq_retry_write(&w->srv->tokens, hd, sa, salen, buf,
	                                 DOQ_PKT_MAX);
	if (n <= 0) return;
	doq_tx_commit(&w->tx, (size_t)n, sa, salen, local);
	atomic_fetch_add_explicit(&w->ctr.retries_sent, 1, memory_order_relaxed);
}

/* Over a connection limit: a stateless CONNECTION_CLOSE with
 * CONNECTION_REFUSED, before any TLS work is spent on the client. */
static void send_refusal(doq_worker *w, const ngtcp2_pkt_hd *hd,
                         const struct sockaddr *local,
                         const struct sockaddr *sa, socklen_t salen)
{
	char peer[DOQ_PEER_MAX];
	doq_format_addr(sa, peer, sizeof(peer));
	sdns_log(SDNS_LOG_INFO, "connection_refused", "peer=%s reason=conn_limit",
	         peer);
	atomic_fetch_add_explicit(&w->ctr.excessive_load, 1, memory_order_relaxed);
	uint8_t *buf = doq_tx_slot(&w->tx);
	ngtcp2_ssize n = ngtcp2_crypto_write_connection_close(
		buf, DOQ_PKT_MAX, hd->version, &hd->scid, &hd->dcid,
		NGTCP2_CONNECTION_REFUSED, NULL, 0);
	if (n > 0) doq_tx_commit(&w->tx, (size_t)n, sa, salen, local);
}

static void new_client(doq_worker *w, const uint8_t *pkt, size_t len,
                       const struct sockaddr *local,
                       const struct sockaddr *sa, socklen_t salen)
{
	sdns_doq_server *srv = w->srv;
	ngtcp2_pkt_hd hd;
	if (ngtcp2_accept(&hd, pkt, len) != 0) return;
	if (atomic_load_explicit(&w->stop, memory_order_relaxed)) return;
	ngtcp2_cid odcid;
	bool after_retry;
	int tv = doq_token_check(&srv->tokens, &hd, sa, salen, &odcid,
	                         &after_retry);
	if (tv < 0) return; /* forged or stale Retry token */
	uint32_t open = (uint32_t)atomic_load_explicit(&srv->limits.conns,
	                                               memory_order_relaxed);
	if (tv == 0 && open >= srv->conf.retry_threshold) {
		send_retry(w, &hd, local, sa, salen);
		return;
	}
	if (doq_limits_conn_open(&srv->limits, sa) != SDNS_OK) {
		send_refusal(w, &hd, local, sa, salen);
		return;
	}
	doq_conn *c;
	if (doq_conn_new(w, &hd, local, sa, salen, after_retry ? &odcid : NULL,
	                 tv == 1, &c) != SDNS_OK) {
		doq_limits_conn_close(&srv->limits, sa);
		return;
	}
	c->counted = true;
	doq_conn_read(c, pkt, len, local, sa, salen);
}

void doq_worker_packet(doq_worker *w, const uint8_t *pkt, size_t len,
                       const struct sockaddr *local,
                       const struct sockaddr *sa, socklen_t salen)
{
	ngtcp2_version_cid vc;
	int rv = ngtcp2_pkt_decode_version_cid(&vc, pkt, len, DOQ_CID_LEN);
	if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
		send_version_negotiation(w, &vc, len, local, sa, salen);
		return;
	}
	if (rv != 0) return;
	doq_conn *c = doq_cidtab_get(&w->cids, vc.dcid, vc.dcidlen);
	if (c) {
		doq_conn_read(c, pkt, len, local, sa, salen);
		return;
	}
	/* Short header for an unknown connection: dropped (no stateless
	 * reset: clients reconnect on idle timeout). */
	if (vc.version == 0) return;
	new_client(w, pkt, len, local, sa, salen);
}
