/* The stub over TCP (RFC 7766): 2-byte framing, pipelined queries answered
 * as they finish (out of order), idle timeout, a connection limit across
 * workers, and bounded buffers: a connection stops being read while too
 * many of its queries are in progress or too many answers wait to go out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdns/error.h"
#include "stub_int.h"

#define IN_CAP (2 + STUB_TCP_MAX_MSG)

static int conn_slot_new(stub_worker *w, stub_conn *c)
{
	for (uint32_t i = 0; i < w->nconns_cap; i++)
		if (!w->conns[i]) {
			c->slot = i;
			c->gen = ++w->gens[i];
			w->conns[i] = c;
			return SDNS_OK;
		}
	uint32_t ncap = w->nconns_cap ? w->nconns_cap * 2 : 16;
	stub_conn **nc = realloc(w->conns, ncap * sizeof(*nc));
	if (!nc)
		return SDNS_ENOMEM;
	w->conns = nc;
	uint32_t *ng = realloc(w->gens, ncap * sizeof(*ng));
	if (!ng)
		return SDNS_ENOMEM;
	w->gens = ng;
	for (uint32_t i = w->nconns_cap; i < ncap; i++)
		w->conns[i] = NULL, w->gens[i] = 0;
	w->nconns_cap = ncap;
	return conn_slot_new(w, c);
}

stub_conn *stub_conn_lookup(stub_worker *w, uint32_t slot, uint32_t gen)
{
	if (slot >= w->nconns_cap || !w->conns[slot])
		return NULL;
	return w->conns[slot]->gen == gen ? w->conns[slot] : NULL;
}

static void conn_close(stub_worker *w, stub_conn *c)
{
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	w->conns[c->slot] = NULL;
	atomic_fetch_sub(&w->s->tcp_open, 1);
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_arm(stub_worker *w, stub_conn *c, bool reading, bool want_out)
{
	if (reading == c->reading && want_out == c->want_out)
		return;
	c->reading = reading;
	c->want_out = want_out;
	struct epoll_event ev = {
		.events = (reading ? EPOLLIN : 0) | (want_out ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void stub_tcp_accept(stub_worker *w)
{
	sdns_stub *s = w->s;
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t peerlen = sizeof(peer);
		int fd = accept4(w->tcp_fd, (struct sockaddr *)&peer, &peerlen,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (atomic_fetch_add(&s->tcp_open, 1) >= s->conf.max_tcp_conns) {
			atomic_fetch_sub(&s->tcp_open, 1);
			STUB_INC(w, tcp_refused);
			close(fd);
			continue;
		}
		stub_conn *c = calloc(1, sizeof(*c));
		uint8_t *in = malloc(IN_CAP);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (!c || !in || conn_slot_new(w, c) < 0) {
			atomic_fetch_sub(&s->tcp_open, 1);
			free(c), free(in), close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = peer;
		c->peerlen = peerlen;
		c->in = in;
		c->reading = true;
		c->last_ns = stub_now_ns();
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(w, c);
			continue;
		}
		STUB_INC(w, tcp_accepted);
	}
}

static int queue_out(stub_conn *c, const uint8_t *resp, size_t len)
{
	if (c->out_len + 2 + len > c->out_cap) {
		size_t ncap = c->out_cap ? c->out_cap : 4096;
		while (ncap < c->out_len + 2 + len)
			ncap *= 2;
		uint8_t *n = realloc(c->out, ncap);
		if (!n)
			return SDNS_ENOMEM;
		c->out = n;
		c->out_cap = ncap;
	}
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, resp, len);
	c->out_len += 2 + len;
	return SDNS_OK;
}

/* Write what we can. Returns false when the connection was closed. */
static bool flush(stub_worker *w, stub_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(w, c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		if (c->out_len)
			c->last_ns = stub_now_ns(); /* a whole answer went out */
		c->out_off = c->out_len = 0;
	}
	return true;
}

static bool may_read(const stub_worker *w, const stub_conn *c)
{
	return c->inflight < w->s->conf.max_tcp_inflight &&
	       c->out_len - c->out_off < w->s->conf.max_tcp_outbuf;
}

/* Answer every complete frame while the limits allow. Returns false when
 * the connection was closed. */
static bool process(stub_worker *w, stub_conn *c)
{
	size_t off = 0;
	bool ok = true;
	while (may_read(w, c) && c->in_len - off >= 2) {
		size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (mlen == 0) { /* not a DNS message, no ID to answer */
			ok = false;
			break;
		}
		if (c->in_len - off < 2 + mlen)
			break;
		uint64_t t0 = stub_now_ns();
		size_t out_len = 0;
		int v = stub_query(w, SDNS_STUB_TCP, (struct sockaddr *)&c->peer,
		                   c->peerlen, c->in + off + 2, mlen,
		                   c, w->scratch, STUB_TCP_MAX_MSG, &out_len);
		off += 2 + mlen;
		c->last_ns = t0; /* only whole queries keep a connection alive */
		if (v == STUB_PENDING)
			c->inflight++;
		else if (v == STUB_DONE) {
			stub_count_response(w, SDNS_STUB_TCP, w->scratch, out_len, t0);
			if (queue_out(c, w->scratch, out_len) < 0) {
				ok = false;
				break;
			}
		}
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (!ok) {
		conn_close(w, c);
		return false;
	}
	return true;
}

/* Process, flush, and re-arm to match the limits. */
static void pump(stub_worker *w, stub_conn *c)
{
	if (!process(w, c) || !flush(w, c))
		return;
	conn_arm(w, c, may_read(w, c), c->out_len > c->out_off);
}

static void on_readable(stub_worker *w, stub_conn *c)
{
	while (may_read(w, c)) {
		ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len,
		                 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) { /* the client is done (or gone) */
			conn_close(w, c);
			return;
		}
		c->in_len += (size_t)n;
		if (!process(w, c))
			return;
	}
	if (flush(w, c))
		conn_arm(w, c, may_read(w, c), c->out_len > c->out_off);
}

void stub_tcp_event(stub_worker *w, stub_conn *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(w, c);
		return;
	}
	if (events & EPOLLIN)
		on_readable(w, c);
	else
		pump(w, c);
}

void stub_tcp_reply(stub_worker *w, stub_pending *p)
{
	stub_conn *c = stub_conn_lookup(w, p->conn_slot, p->conn_gen);
	if (!c)
		return; /* closed meanwhile */
	c->inflight--;
	size_t len = 0;
	if (stub_finish(w, p, w->scratch, STUB_TCP_MAX_MSG, &len) == SDNS_OK) {
		stub_count_response(w, SDNS_STUB_TCP, w->scratch, len, p->t0);
		if (queue_out(c, w->scratch, len) < 0) {
			conn_close(w, c);
			return;
		}
	}
	pump(w, c);
}

void stub_tcp_sweep(stub_worker *w, uint64_t now)
{
	uint64_t idle = (uint64_t)w->s->conf.tcp_idle_ms * 1000000u;
	for (uint32_t i = 0; i < w->nconns_cap; i++) {
		stub_conn *c = w->conns[i];
		if (c && c->inflight == 0 && now - c->last_ns >= idle) {
			STUB_INC(w, tcp_idle_closed);
			conn_close(w, c);
		}
	}
}

void stub_tcp_close_all(stub_worker *w)
{
	for (uint32_t i = 0; i < w->nconns_cap; i++)
		if (w->conns[i])
			conn_close(w, w->conns[i]);
}
