/* Pipelining on one connection (RFC 7766 framing): connection-local IDs,
 * a bounded number of queries in flight, the rest waiting in order;
 * answers matched by ID and question, the caller's ID restored. */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_int.h"
#include "sdns/buf.h"
#include "sdns/error.h"

/* Header plus the first question (QDCOUNT must be 1), or 0 when the
 * message is not a query we can match answers against. */
size_t fwd_question_len(const uint8_t *wire, size_t len)
{
	sdns_rd r;
	sdns_rd_init(&r, wire, len);
	uint16_t id, flags, qd;
	if (sdns_rd_u16(&r, &id) || sdns_rd_u16(&r, &flags) ||
	    sdns_rd_u16(&r, &qd) || qd != 1 || sdns_rd_left(&r) < 6)
		return 0;
	r.p += 6;
	for (;;) {
		uint8_t l;
		if (sdns_rd_u8(&r, &l) || l > 63 || sdns_rd_left(&r) < l)
			return 0;
		r.p += l;
		if (l == 0)
			break;
	}
	if (sdns_rd_left(&r) < 4)
		return 0;
	return sdns_rd_off(&r) + 4;
}

static int out_reserve(fwd_conn *c, size_t more)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + more <= c->out_cap)
		return 0;
	size_t cap = c->out_cap ? c->out_cap : 4096;
	while (cap < c->out_len + more)
		cap *= 2;
	uint8_t *n = realloc(c->out, cap);
	if (!n)
		return -1;
	c->out = n;
	c->out_cap = cap;
	return 0;
}

static int send_one(fwd_conn *c, fwd_query *q)
{
	if (out_reserve(c, q->len + 2) != 0)
		return -1;
	uint16_t id = c->next_id;
	while (c->slots[id])
		id++;
	c->next_id = (uint16_t)(id + 1);
	c->slots[id] = q;
	c->inflight++;
	q->wire_id = id;
	q->in_flight = true;
	q->sent_ns = fwd_now_ns();
	uint8_t *p = c->out + c->out_len;
	p[0] = (uint8_t)(q->len >> 8);
	p[1] = (uint8_t)q->len;
	memcpy(p + 2, q->wire, q->len);
	p[2] = (uint8_t)(id >> 8);
	p[3] = (uint8_t)id;
	c->out_len += q->len + 2;
	fwd_stat_event(c->fwd, c->up, SDNS_FWD_EV_QUERY, 0, 0);
	return 0;
}

void fwd_conn_pump(fwd_conn *c)
{
	if (c->state != CONN_READY)
		return;
	while (!fwd_list_empty(&c->waiting) &&
	       c->inflight < c->fwd->conf.max_inflight) {
		fwd_query *q = FWD_CONTAINER(c->waiting.next, fwd_query, wait);
		if (send_one(c, q) != 0)
			break;
		fwd_list_del(&q->wait);
	}
	c->last_use_ns = fwd_now_ns();
}

void fwd_conn_enqueue(fwd_conn *c, fwd_query *q)
{
	q->conn = c;
	q->in_flight = false;
	fwd_list_add_tail(&c->waiting, &q->wait);
	fwd_conn_pump(c);
}

void fwd_conn_forget(fwd_query *q)
{
	fwd_conn *c = q->conn;
	if (!c)
		return;
	if (q->in_flight) {
		/* The slot stays free for reuse; a late answer then fails the
		 * question check or finds no query and is dropped. */
		c->slots[q->wire_id] = NULL;
		c->inflight--;
	} else {
		fwd_list_del(&q->wait);
	}
	q->conn = NULL;
	q->in_flight = false;
}

void fwd_conn_detach(fwd_conn *c, fwd_link *out)
{
	for (uint32_t i = 0; c->inflight && i < 65536; i++) {
		fwd_query *q = c->slots[i];
		if (!q)
			continue;
		fwd_conn_forget(q);
		fwd_list_add_tail(out, &q->wait);
	}
	while (!fwd_list_empty(&c->waiting)) {
		fwd_query *q = FWD_CONTAINER(c->waiting.next, fwd_query, wait);
		fwd_conn_forget(q);
		fwd_list_add_tail(out, &q->wait);
	}
}

int fwd_conn_flush(fwd_conn *c)
{
	while (c->state == CONN_READY && c->out_off < c->out_len) {
		ERR_clear_error();
		size_t n = c->out_len - c->out_off;
		int w = SSL_write(c->ssl, c->out + c->out_off,
		                  n > 1 << 30 ? 1 << 30 : (int)n);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		int e = SSL_get_error(c->ssl, w);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			break;
		return SDNS_FWD_R_TLS;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	fwd_conn_set_events(c);
	return 0;
}

static uint8_t lower(uint8_t a)
{
	return (a >= 'A' && a <= 'Z') ? (uint8_t)(a + 32) : a;
}

/* The answer must carry the question we asked; the name compares without
 * case (upstreams may echo 0x20-randomised case), QTYPE and QCLASS as the
 * numbers they are (lowering their bytes would make 0x41 equal 0x61). */
static bool same_question(const uint8_t *msg, size_t len, const fwd_query *q)
{
	if (q->qlen < 16 || len < q->qlen || msg[4] != 0 || msg[5] != 1)
		return false;
	size_t name_end = q->qlen - 4;
	for (size_t i = 12; i < name_end; i++)
		if (lower(msg[i]) != lower(q->wire[i]))
			return false;
	return memcmp(msg + name_end, q->wire + name_end, 4) == 0;
}

static int handle_frame(fwd_conn *c, uint8_t *msg, size_t len)
{
	if (len < 12)
		return SDNS_FWD_R_PROTO;
	uint16_t id = (uint16_t)(msg[0] << 8 | msg[1]);
	fwd_query *q = c->slots[id];
	if (!q)
		return 0; /* late answer to a query that timed out */
	if (!same_question(msg, len, q))
		return 0; /* not ours: drop it, the query times out */
	fwd_conn_forget(q);
	msg[0] = (uint8_t)(q->client_id >> 8);
	msg[1] = (uint8_t)q->client_id;
	c->last_use_ns = fwd_now_ns();
	fwd_query_answer(c->fwd, q, msg, len);
	return 0;
}

static int parse_frames(fwd_conn *c)
{
	size_t off = 0;
	while (c->in_len - off >= 2) {
		size_t flen = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (c->in_len - off < 2 + flen)
			break;
		int rc = handle_frame(c, c->in + off + 2, flen);
		if (rc != 0)
			return rc;
		off += 2 + flen;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return 0;
}

int fwd_conn_read(fwd_conn *c)
{
	for (;;) {
		ERR_clear_error();
		int n = SSL_read(c->ssl, c->in + c->in_len,
		                 (int)(FWD_FRAME_MAX - c->in_len));
		if (n > 0) {
			c->in_len += (size_t)n;
			int rc = parse_frames(c);
			if (rc != 0)
				return rc;
			continue;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			return 0;
		if (e == SSL_ERROR_WANT_WRITE) {
			fwd_conn_set_events(c);
			return 0;
		}
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && (n == 0 || errno == ECONNRESET)))
			return SDNS_FWD_R_CLOSED;
		return SDNS_FWD_R_TLS;
	}
}
