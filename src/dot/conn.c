/* One DoT connection on the loop thread: admission by the limits, the
 * handshake under its deadline, reading frames, answering each query as it
 * comes (pipelined, out of order), parking deferred ones, writing answers
 * back, and the idle deadline. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dot_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define READ_CHUNK 16384

static bool same_ip(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	               &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

static void format_addr(const struct sockaddr_storage *ss, char *buf,
                        size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	}
}

int dot_conn_accept(sdns_dot_server *s, int fd,
                    const struct sockaddr_storage *ss)
{
	char peer[64];
	format_addr(ss, peer, sizeof peer);
	uint32_t same = 0;
	for (dot_conn *c = s->conns; c; c = c->next)
		same += same_ip(&c->addr, ss);
	const char *limit = s->nconns >= s->conf.max_conns ? "max_conns"
	                    : same >= s->conf.max_conns_per_addr
	                            ? "max_conns_per_addr" : NULL;
	if (limit) {
		DOT_INC(s, limit_refused);
		sdns_log(SDNS_LOG_INFO, "dot_conn_refused", "peer=%s limit=%s",
		         peer, limit);
		close(fd);
		return SDNS_ELIMIT;
	}
	dot_conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return SDNS_ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->addr = *ss;
	memcpy(c->peer, peer, sizeof peer);
	c->serial = ++s->serials;
	c->deadline_ns = dot_now_ns() + MS(s->conf.handshake_timeout_ms);
	c->events = EPOLLIN;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (dot_tls_session(s, c) != SDNS_OK ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		if (c->tls) gnutls_deinit(c->tls);
		close(fd);
		free(c);
		return SDNS_ETLS;
	}
	c->next = s->conns;
	if (s->conns) s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	DOT_INC(s, conns_open);
	return SDNS_OK;
}

void dot_conn_close(sdns_dot_server *s, dot_conn *c, const char *reason)
{
	if (reason)
		sdns_log(SDNS_LOG_DEBUG, "dot_conn_closed", "peer=%s reason=%s",
		         c->peer, reason);
	/* Best effort close_notify: the socket is non-blocking. */
	if (c->established) gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	gnutls_deinit(c->tls);
	for (uint32_t i = 0; i < c->npend; i++) free(c->pend[i].q);
	free(c->pend);
	free(c->in);
	free(c->out);
	if (c->prev) c->prev->next = c->next;
	else s->conns = c->next;
	if (c->next) c->next->prev = c->prev;
	s->nconns--;
	atomic_fetch_sub_explicit(&s->ctr.conns_open, 1, memory_order_relaxed);
	free(c);
}

/* --- writing --- */

static bool can_read(const sdns_dot_server *s, const dot_conn *c)
{
	return c->npend < s->conf.max_inflight &&
	       c->out_len - c->out_off < s->conf.max_conn_buffer;
}

static void arm(sdns_dot_server *s, dot_conn *c)
{
	uint32_t want = 0;
	if (!c->established)
		want = gnutls_record_get_direction(c->tls) ? EPOLLOUT : EPOLLIN;
	else {
		if (can_read(s, c)) want |= EPOLLIN;
		if (c->out_len > c->out_off) want |= EPOLLOUT;
	}
	if (want == c->events) return;
	struct epoll_event ev = {.events = want, .data.ptr = c};
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

/* 0, or -1 when the connection was closed. */
static int flush(sdns_dot_server *s, dot_conn *c)
{
	while (c->out_off < c->out_len) {
		size_t n = c->send_try;
		if (!n) {
			n = c->out_len - c->out_off;
			if (n > READ_CHUNK) n = READ_CHUNK;
		}
		ssize_t r = gnutls_record_send(c->tls, c->out + c->out_off, n);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			c->send_try = n;   /* GnuTLS wants the same call again */
			return 0;
		}
		c->send_try = 0;
		if (r < 0) {
			dot_conn_close(s, c, "send_failed");
			return -1;
		}
		c->out_off += (size_t)r;
		c->deadline_ns = dot_now_ns() + MS(s->conf.idle_timeout_ms);
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Append one framed answer, the client's ID put back (deferred answers
 * come from elsewhere and DoQ-shaped handlers may answer with ID 0). */
static int queue_answer(dot_conn *c, uint16_t id, const uint8_t *resp,
                        size_t len)
{
	if (len < SDNS_HDR_LEN || len > SDNS_DOT_MSG_MAX) return SDNS_EINVAL;
	if (c->out_off && !c->send_try) {   /* compact what was sent */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	size_t need = c->out_len + 2 + len;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 1024;
		while (cap < need) cap *= 2;
		uint8_t *b = realloc(c->out, cap);
		if (!b) return SDNS_ENOMEM;
		c->out = b;
		c->out_cap = cap;
	}
	uint8_t *p = c->out + c->out_len;
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	memcpy(p + 2, resp, len);
	p[2] = (uint8_t)(id >> 8);
	p[3] = (uint8_t)id;
	c->out_len = need;
	return SDNS_OK;
}

/* SERVFAIL echoing the question (and an OPT, padded, when the query had
 * EDNS), for a failed handler or a deferred answer that never came. */
static int queue_servfail(dot_conn *c, const uint8_t *q, size_t qlen)
{
	sdns_msg m;
	if (sdns_msg_parse(q, qlen, &m) != SDNS_OK) return SDNS_EMALF;
	uint8_t buf[SDNS_NAME_MAX + 128];
	sdns_bld b;
	size_t len = 0;
	uint16_t flags = SDNS_F_QR | (m.flags & (0x7800u | SDNS_F_RD | SDNS_F_CD));
	int rc = sdns_bld_init(&b, buf, sizeof buf, m.id, flags);
	if (rc == SDNS_OK && m.qdcount)
		rc = sdns_bld_question(&b, &m.qname, m.qtype, m.qclass);
	sdns_bld_set_rcode(&b, SDNS_RC_SERVFAIL);
	if (rc == SDNS_OK && m.edns.present) {
		const sdns_edns e = {.present = true, .udp_size = 1232};
		rc = sdns_bld_opt(&b, &e, 468);
	}
	if (rc == SDNS_OK) rc = sdns_bld_finish(&b, &len);
	uint16_t id = m.id;
	sdns_msg_free(&m);
	return rc == SDNS_OK ? queue_answer(c, id, buf, len) : rc;
}

/* --- queries --- */

static int park(sdns_dot_server *s, dot_conn *c, uint32_t seq,
                const uint8_t *q, size_t len)
{
	if (c->npend == c->pend_cap) {
		uint32_t cap = c->pend_cap ? c->pend_cap * 2 : 8;
		dot_pending *p = realloc(c->pend, cap * sizeof *p);
		if (!p) return SDNS_ENOMEM;
		c->pend = p;
		c->pend_cap = cap;
	}
	uint8_t *copy = malloc(len);
	if (!copy) return SDNS_ENOMEM;
	memcpy(copy, q, len);
	c->pend[c->npend++] = (dot_pending){
		.seq = seq, .id = (uint16_t)(q[0] << 8 | q[1]),
		.deadline_ns = dot_now_ns() + MS(s->conf.query_timeout_ms),
		.q = copy, .qlen = len,
	};
	DOT_INC(s, deferred);
	return SDNS_OK;
}

static void unpark(dot_conn *c, uint32_t i)
{
	free(c->pend[i].q);
	c->pend[i] = c->pend[--c->npend];
}

/* 0, or -1 when the connection was closed. */
static int answer(sdns_dot_server *s, dot_conn *c, const uint8_t *q,
                  size_t len)
{
	DOT_INC(s, queries);
	c->deadline_ns = dot_now_ns() + MS(s->conf.idle_timeout_ms);
	sdns_msg m;
	if (sdns_msg_parse(q, len, &m) != SDNS_OK) {
		/* No FORMERR: nothing we could trust to echo. */
		sdns_log(SDNS_LOG_INFO, "query_unparseable", "transport=dot "
		         "peer=%s", c->peer);
		DOT_INC(s, framing_errors);
		dot_conn_close(s, c, "unparseable");
		return -1;
	}
	uint16_t id = m.id;
	uint8_t *resp = s->resp;
	size_t rlen = 0, cap = sizeof s->resp;
	int rc;
	if (s->conf.on_query_async) {
		sdns_dot_ticket t = {c->serial, c->next_seq++};
		rc = s->conf.on_query_async(s->conf.ctx, &c->id, &m, q, len, &t,
		                            resp, cap, &rlen);
		if (rc == SDNS_EPENDING) {
			sdns_msg_free(&m);
			rc = park(s, c, t.query, q, len);
			if (rc == SDNS_OK) return 0;
			rc = queue_servfail(c, q, len);
			return rc == SDNS_OK ? 0 : (dot_conn_close(s, c, "no_memory"), -1);
		}
	} else {
		rc = s->conf.on_query(s->conf.ctx, &c->id, &m, q, len, resp, cap,
		                      &rlen);
	}
	sdns_msg_free(&m);
	if (rc == SDNS_OK && rlen <= cap) rc = queue_answer(c, id, resp, rlen);
	else rc = queue_servfail(c, q, len);
	if (rc != SDNS_OK) {
		dot_conn_close(s, c, "no_answer");
		return -1;
	}
	return 0;
}

/* Answer every complete frame while the limits allow. 0 or -1 (closed). */
static int process(sdns_dot_server *s, dot_conn *c)
{
	size_t off = 0;
	int rc = 0;
	while (can_read(s, c)) {
		const uint8_t *msg;
		size_t mlen, used;
		int fr = sdns_dot_frame_next(c->in + off, c->in_len - off,
		                             s->conf.max_msg, &msg, &mlen, &used);
		if (fr == SDNS_EPENDING) break;
		if (fr != SDNS_OK) {
			sdns_log(SDNS_LOG_INFO, "dot_framing_error", "peer=%s "
			         "error=\"%s\"", c->peer, sdns_strerror(fr));
			DOT_INC(s, framing_errors);
			dot_conn_close(s, c, "framing");
			return -1;
		}
		if (answer(s, c, msg, mlen) != 0) return -1;
		off += used;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (c->out_len > c->out_off) rc = flush(s, c);
	return rc;
}

/* Read records until the socket and GnuTLS are dry or a limit stops us. */
static int read_input(sdns_dot_server *s, dot_conn *c)
{
	const size_t max = s->conf.max_msg + 2;
	while (can_read(s, c)) {
		if (c->in_cap - c->in_len < READ_CHUNK && c->in_cap < max + READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			if (cap > max + READ_CHUNK) cap = max + READ_CHUNK;
			uint8_t *b = realloc(c->in, cap);
			if (!b) {
				dot_conn_close(s, c, "no_memory");
				return -1;
			}
			c->in = b;
			c->in_cap = cap;
		}
		if (c->in_len == c->in_cap) break;  /* full of complete frames */
		ssize_t r = gnutls_record_recv(c->tls, c->in + c->in_len,
		                               c->in_cap - c->in_len);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) break;
		if (r <= 0) {
			dot_conn_close(s, c, r == 0 ? "eof" : gnutls_strerror((int)r));
			return -1;
		}
		c->in_len += (size_t)r;
		if (process(s, c) != 0) return -1;
	}
	return 0;
}

static int handshake(sdns_dot_server *s, dot_conn *c)
{
	int rv = gnutls_handshake(c->tls);
	if (rv == GNUTLS_E_AGAIN || rv == GNUTLS_E_INTERRUPTED) return 0;
	gnutls_datum_t p = {NULL, 0};
	if (rv == 0 && (gnutls_alpn_get_selected_protocol(c->tls, &p) != 0 ||
	                p.size != strlen(SDNS_DOT_ALPN) ||
	                memcmp(p.data, SDNS_DOT_ALPN, p.size) != 0))
		rv = GNUTLS_E_NO_APPLICATION_PROTOCOL;
	if (rv < 0) {
		if (!c->refused)   /* the verify callback logged its own */
			sdns_log(SDNS_LOG_INFO, "dot_handshake_refused",
			         "peer=%s reason=\"%s\"", c->peer, gnutls_strerror(rv));
		DOT_INC(s, handshakes_refused);
		dot_conn_close(s, c, NULL);
		return -1;
	}
	c->established = true;
	DOT_INC(s, handshakes_ok);
	c->deadline_ns = dot_now_ns() + MS(s->conf.idle_timeout_ms);
	sdns_log(SDNS_LOG_DEBUG, "dot_handshake_ok", "peer=%s id=%s", c->peer,
	         c->id.uri);
	return read_input(s, c);
}

void dot_conn_event(sdns_dot_server *s, dot_conn *c, uint32_t ev)
{
	if ((ev & (EPOLLERR | EPOLLHUP)) && !(ev & EPOLLIN)) {
		dot_conn_close(s, c, "hangup");
		return;
	}
	int rc = 0;
	if (!c->established) rc = handshake(s, c);
	else {
		if (ev & EPOLLOUT) rc = flush(s, c);
		if (rc == 0 && (ev & EPOLLIN)) rc = read_input(s, c);
	}
	if (rc == 0) arm(s, c);
}

/* An answer freed room: take the frames already received, then the ones
 * GnuTLS or the socket still hold. */
static void resume(sdns_dot_server *s, dot_conn *c)
{
	if (process(s, c) != 0) return;
	if (can_read(s, c) && read_input(s, c) != 0) return;
	arm(s, c);
}

void dot_conn_deliver(sdns_dot_server *s, dot_mail *m)
{
	dot_conn *c = s->conns;
	while (c && c->serial != m->t.conn_serial) c = c->next;
	if (!c) return;
	for (uint32_t i = 0; i < c->npend; i++) {
		dot_pending *p = &c->pend[i];
		if (p->seq != m->t.query) continue;
		int rc = m->len ? queue_answer(c, p->id, m->resp, m->len)
		                : queue_servfail(c, p->q, p->qlen);
		unpark(c, i);
		if (rc != SDNS_OK) {
			dot_conn_close(s, c, "no_answer");
			return;
		}
		resume(s, c);
		return;
	}
}

void dot_conn_timers(sdns_dot_server *s, uint64_t now, uint64_t *next)
{
	for (dot_conn *c = s->conns, *nx; c; c = nx) {
		nx = c->next;
		bool changed = false;
		for (uint32_t i = 0; i < c->npend;) {
			dot_pending *p = &c->pend[i];
			if (p->deadline_ns > now) {
				if (p->deadline_ns < *next) *next = p->deadline_ns;
				i++;
				continue;
			}
			DOT_INC(s, query_timeouts);
			int rc = queue_servfail(c, p->q, p->qlen);
			unpark(c, i);
			if (rc != SDNS_OK) break;
			changed = true;
		}
		if (changed) {
			resume(s, c);
			continue;   /* may be gone; looked at again next round */
		}
		if (c->npend == 0 && now >= c->deadline_ns) {
			DOT_INC(s, idle_closed);
			if (!c->established) {
				DOT_INC(s, handshakes_refused);
				sdns_log(SDNS_LOG_INFO, "dot_handshake_refused",
				         "peer=%s reason=timeout", c->peer);
			}
			dot_conn_close(s, c, c->established ? "idle" : "handshake_timeout");
			continue;
		}
		if (c->npend == 0 && c->deadline_ns < *next) *next = c->deadline_ns;
	}
}
