/* The stub's per-query pipeline: rate limit, header checks, RFC 8482 ANY,
 * local zones, cache, forwarder; and the pure response helpers it uses. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sdns/error.h"
#include "stub_int.h"

#define OUR_UDP_SIZE 1232
#define T_HINFO 13
#define ANY_TTL 3600

uint64_t stub_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

size_t sdns_stub_udp_max(const sdns_msg *q)
{
	if (!q || !q->edns.present)
		return 512;
	size_t n = q->edns.udp_size;
	return n < 512 ? 512 : n > 4096 ? 4096 : n;
}

static uint16_t reply_flags(const uint8_t *wire, size_t len)
{
	uint16_t f = len >= 4 ? (uint16_t)(wire[2] << 8 | wire[3]) : 0;
	return (uint16_t)(SDNS_F_QR | SDNS_F_RA | (f & (0x7800u | SDNS_F_RD)));
}

static void our_edns(const sdns_msg *q, int rcode, int ede, sdns_edns *e)
{
	memset(e, 0, sizeof(*e));
	e->present = true;
	e->udp_size = OUR_UDP_SIZE;
	e->ext_rcode = (uint8_t)(rcode >> 4);
	e->do_bit = q->edns.do_bit;
	if (ede >= 0) {
		e->has_ede = true;
		e->ede_code = (uint16_t)ede;
	}
}

/* Error answer; the question only when with_q (QDCOUNT 2 has no single
 * question to echo). tc: the RRL slip. */
static int build_error(const uint8_t *wire, size_t len, const sdns_msg *q,
                       bool with_q, int rcode, int ede, bool tc, uint8_t *out,
                       size_t cap, size_t *out_len)
{
	if (len < 2)
		return SDNS_EMALF;
	sdns_bld b;
	uint16_t id = (uint16_t)(wire[0] << 8 | wire[1]);
	uint16_t flags = (uint16_t)(reply_flags(wire, len) | (tc ? SDNS_F_TC : 0));
	int rc = sdns_bld_init(&b, out, cap, id, flags);
	sdns_bld_set_rcode(&b, (uint8_t)(rcode & 0xf));
	if (rc == SDNS_OK && q && with_q && q->qdcount == 1)
		rc = sdns_bld_question(&b, &q->qname, q->qtype, q->qclass);
	if (rc == SDNS_OK && q && q->edns.present) {
		sdns_edns e;
		our_edns(q, rcode, ede, &e);
		rc = sdns_bld_opt(&b, &e, 0);
	}
	return rc == SDNS_OK ? sdns_bld_finish(&b, out_len) : rc;
}

int sdns_stub_error(const uint8_t *wire, size_t len, const sdns_msg *q,
                    int rcode, int ede, uint8_t *out, size_t cap,
                    size_t *out_len)
{
	return build_error(wire, len, q, true, rcode, ede, false, out, cap,
	                   out_len);
}

int sdns_stub_any(const sdns_msg *q, uint8_t *out, size_t cap,
                  size_t *out_len)
{
	static const uint8_t hinfo[] = {7, 'R', 'F', 'C', '8', '4', '8', '2', 0};
	sdns_bld b;
	uint16_t flags = (uint16_t)(SDNS_F_QR | SDNS_F_RA | (q->flags & SDNS_F_RD));
	int rc = sdns_bld_init(&b, out, cap, q->id, flags);
	if (rc == SDNS_OK)
		rc = sdns_bld_question(&b, &q->qname, q->qtype, q->qclass);
	sdns_rr rr = {q->qname, T_HINFO, q->qclass, ANY_TTL, sizeof(hinfo), hinfo};
	if (rc == SDNS_OK)
		rc = sdns_bld_rr(&b, SDNS_SEC_AN, &rr);
	if (rc == SDNS_OK && q->edns.present) {
		sdns_edns e;
		our_edns(q, 0, -1, &e);
		rc = sdns_bld_opt(&b, &e, 0);
	}
	return rc == SDNS_OK ? sdns_bld_finish(&b, out_len) : rc;
}

static int rebuild_cut(const sdns_msg *m, uint8_t *tmp, size_t max,
                       size_t *out_len)
{
	sdns_bld b;
	int rc = sdns_bld_init(&b, tmp, max, m->id, m->flags | SDNS_F_TC);
	if (rc == SDNS_OK && m->qdcount >= 1)
		rc = sdns_bld_question(&b, &m->qname, m->qtype, m->qclass);
	if (rc < 0)
		return rc;
	if (m->edns.present)
		sdns_bld_reserve(&b, sdns_edns_wire_size(&m->edns));
	for (int sec = 0; sec < 3 && rc == SDNS_OK; sec++)
		for (uint16_t i = 0; i < m->count[sec] && rc == SDNS_OK; i++)
			rc = sdns_bld_rr(&b, (enum sdns_section)sec,
			                 sdns_msg_rr(m, (enum sdns_section)sec, i));
	if (rc != SDNS_OK && rc != SDNS_ESPACE)
		return rc;
	rc = m->edns.present ? sdns_bld_opt(&b, &m->edns, 0) : SDNS_OK;
	return rc == SDNS_OK ? sdns_bld_finish(&b, out_len) : rc;
}

int sdns_stub_truncate(uint8_t *resp, size_t *len, size_t cap, size_t max)
{
	if (*len <= max)
		return SDNS_OK;
	if (max < SDNS_HDR_LEN || max > cap)
		return SDNS_EINVAL;
	sdns_msg m;
	int rc = sdns_msg_parse(resp, *len, &m);
	if (rc < 0)
		return rc;
	uint8_t *tmp = malloc(max);
	size_t n = 0;
	rc = tmp ? rebuild_cut(&m, tmp, max, &n) : SDNS_ENOMEM;
	if (rc == SDNS_OK) {
		memcpy(resp, tmp, n);
		*len = n;
	}
	free(tmp);
	sdns_msg_free(&m);
	return rc;
}

static int limited(stub_worker *w, int transport, const struct sockaddr *src,
                   socklen_t srclen, const uint8_t *wire, size_t len,
                   uint8_t *out, size_t cap, size_t *out_len)
{
	const sdns_stub_hooks *h = &w->s->conf.hooks;
	int v = h->limit ? h->limit(h->ctx, src, srclen, transport, stub_now_ns())
	                 : SDNS_STUB_ALLOW;
	if (v == SDNS_STUB_ALLOW)
		return -1;
	STUB_INC(w, ratelimited[transport]);
	/* A slip tells a real UDP client to retry over TCP; over TCP the
	 * limit is a plain refusal. */
	if (transport == SDNS_STUB_TCP)
		return build_error(wire, len, NULL, false, SDNS_RC_REFUSED, -1, false,
		                   out, cap, out_len) < 0 ? STUB_NOREPLY : STUB_DONE;
	if (v == SDNS_STUB_SLIP &&
	    build_error(wire, len, NULL, false, SDNS_RC_NOERROR, -1, true, out,
	                cap, out_len) == SDNS_OK)
		return STUB_DONE;
	STUB_INC(w, dropped[transport]);
	return STUB_NOREPLY;
}

static int forward(stub_worker *w, int transport, const struct sockaddr *src,
                   socklen_t srclen, const uint8_t *wire, size_t len,
                   const stub_conn *conn);

/* The checks that need the parsed message. */
static int answer_parsed(stub_worker *w, int transport, const sdns_msg *q,
                         const uint8_t *wire, size_t len, uint8_t *out,
                         size_t cap, size_t *out_len)
{
	const sdns_stub_hooks *h = &w->s->conf.hooks;
	if (q->qdcount != 1)
		return build_error(wire, len, q, false, SDNS_RC_REFUSED, -1, false,
		                   out, cap, out_len);
	if (q->edns.present && q->edns.version > 0)
		return build_error(wire, len, q, true, SDNS_RC_BADVERS, -1, false,
		                   out, cap, out_len);
	if (q->qtype == SDNS_T_ANY)
		return sdns_stub_any(q, out, cap, out_len);
	size_t max = transport == SDNS_STUB_UDP ? sdns_stub_udp_max(q)
	                                        : STUB_TCP_MAX_MSG;
	int rc = h->local ? h->local(h->ctx, q, max, out, cap, out_len)
	                  : SDNS_ENOTFOUND;
	if (rc != SDNS_ENOTFOUND)
		return rc;
	rc = h->cache_get ? h->cache_get(h->ctx, q, stub_now_ns(), out, cap,
	                                 out_len)
	                  : SDNS_ENOTFOUND;
	if (rc == SDNS_OK && transport == SDNS_STUB_UDP &&
	    sdns_stub_truncate(out, out_len, cap, max) == SDNS_OK &&
	    *out_len > 0 && (out[2] & (SDNS_F_TC >> 8)))
		STUB_INC(w, truncated);
	return rc;
}

int stub_query(stub_worker *w, int transport, const struct sockaddr *src,
               socklen_t srclen, const uint8_t *wire, size_t len,
               const stub_conn *conn, uint8_t *out, size_t cap,
               size_t *out_len)
{
	STUB_INC(w, queries[transport]);
	/* Responses are never answered: two servers must not loop. */
	if (len < 3 || (wire[2] & 0x80)) {
		STUB_INC(w, dropped[transport]);
		return STUB_NOREPLY;
	}
	int v = limited(w, transport, src, srclen, wire, len, out, cap, out_len);
	if (v >= 0)
		return v;
	if (SDNS_OPCODE(wire[2] << 8) != SDNS_OP_QUERY)
		return build_error(wire, len, NULL, false, SDNS_RC_NOTIMP, -1, false,
		                   out, cap, out_len) < 0 ? STUB_NOREPLY : STUB_DONE;
	sdns_msg q;
	if (sdns_msg_parse(wire, len, &q) < 0)
		return build_error(wire, len, NULL, false, SDNS_RC_FORMERR, -1, false,
		                   out, cap, out_len) < 0 ? STUB_NOREPLY : STUB_DONE;
	int rc = answer_parsed(w, transport, &q, wire, len, out, cap, out_len);
	if (rc == SDNS_ENOTFOUND)
		rc = forward(w, transport, src, srclen, wire, len, conn);
	if (rc < 0) /* the forwarder refused the query or a builder failed */
		rc = build_error(wire, len, &q, true, SDNS_RC_SERVFAIL,
		                 SDNS_EDE_NO_REACHABLE_AUTHORITY, false, out, cap,
		                 out_len) < 0 ? STUB_NOREPLY : STUB_DONE;
	sdns_msg_free(&q);
	return rc;
}

static void forward_done(void *token, int err, const uint8_t *wire, size_t len)
{
	stub_pending *p = token;
	p->err = err;
	if (err == SDNS_OK && wire && len >= SDNS_HDR_LEN) {
		p->resp = malloc(len);
		if (p->resp) {
			memcpy(p->resp, wire, len);
			p->resp_len = len;
		} else {
			p->err = SDNS_ENOMEM;
		}
	} else if (err == SDNS_OK) {
		p->err = SDNS_EPROTO;
	}
	stub_worker *w = p->w;
	pthread_mutex_lock(&w->mu);
	p->next = w->replies;
	w->replies = p;
	pthread_mutex_unlock(&w->mu);
	uint64_t one = 1;
	ssize_t n = write(w->evfd, &one, sizeof(one));
	(void)n; /* a full eventfd counter still wakes the worker */
}

static int forward(stub_worker *w, int transport, const struct sockaddr *src,
                   socklen_t srclen, const uint8_t *wire, size_t len,
                   const stub_conn *conn)
{
	const sdns_stub_hooks *h = &w->s->conf.hooks;
	if (!h->forward)
		return SDNS_EUNAVAIL;
	stub_pending *p = calloc(1, sizeof(*p) + len);
	if (!p)
		return SDNS_ENOMEM;
	p->w = w;
	p->transport = transport;
	if (src && srclen <= sizeof(p->src))
		memcpy(&p->src, src, srclen);
	p->srclen = srclen;
	if (conn) {
		p->conn_slot = conn->slot;
		p->conn_gen = conn->gen;
	}
	p->t0 = stub_now_ns();
	p->qlen = len;
	memcpy(p->q, wire, len);
	int rc = h->forward(h->ctx, p->q, len, forward_done, p);
	if (rc < 0) {
		free(p);
		STUB_INC(w, forward_failed);
		return rc;
	}
	STUB_INC(w, forwarded);
	return STUB_PENDING;
}

static int ede_for(int err)
{
	return err == SDNS_EIO || err == SDNS_ECLOSED || err == SDNS_EPROTO
	           ? SDNS_EDE_NETWORK_ERROR : SDNS_EDE_NO_REACHABLE_AUTHORITY;
}

int stub_finish(stub_worker *w, stub_pending *p, uint8_t *out, size_t cap,
                size_t *out_len)
{
	const sdns_stub_hooks *h = &w->s->conf.hooks;
	sdns_msg q;
	if (sdns_msg_parse(p->q, p->qlen, &q) < 0)
		return SDNS_EMALF; /* cannot happen: it parsed before */
	int rc = p->err;
	if (rc == SDNS_OK && p->resp_len > cap)
		rc = SDNS_ESPACE;
	if (rc == SDNS_OK) {
		memcpy(out, p->resp, p->resp_len);
		out[0] = p->q[0], out[1] = p->q[1];
		*out_len = p->resp_len;
		if (h->cache_put)
			h->cache_put(h->ctx, &q, out, *out_len, stub_now_ns());
		if (p->transport == SDNS_STUB_UDP) {
			rc = sdns_stub_truncate(out, out_len, cap, sdns_stub_udp_max(&q));
			if (rc == SDNS_OK && (out[2] & (SDNS_F_TC >> 8)))
				STUB_INC(w, truncated);
		}
	}
	if (rc < 0) {
		STUB_INC(w, forward_failed);
		rc = sdns_stub_error(p->q, p->qlen, &q, SDNS_RC_SERVFAIL,
		                     ede_for(p->err ? p->err : rc), out, cap, out_len);
	}
	sdns_msg_free(&q);
	return rc;
}

void stub_count_response(stub_worker *w, int transport, const uint8_t *resp,
                         size_t len, uint64_t t0)
{
	int rcode = len >= 4 ? resp[3] & 0xf : SDNS_RC_SERVFAIL;
	atomic_fetch_add_explicit(&w->cnt.responses[transport][rcode], 1,
	                          memory_order_relaxed);
	const sdns_stub_hooks *h = &w->s->conf.hooks;
	if (h->observe)
		h->observe(h->ctx, transport, rcode, stub_now_ns() - t0);
}
