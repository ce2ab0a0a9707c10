/* Tests for src/stub: a real stub on 127.0.0.1 port 0 with a local zone, a
 * fake upstream, the real cache and rate limiter, talked to with plain
 * sockets. Responses are parsed back and checked field by field. */
#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sdns/answer.h"
#include "sdns/cache.h"
#include "sdns/error.h"
#include "sdns/rrl.h"
#include "sdns/stub.h"
#include "testlib.h"
#include "zonetest.h"

static const char *const local_zone[] = {
	"@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300",
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	NULL,
};

typedef struct {
	sdns_zoneset *zs;
	sdns_cache *cache;
	sdns_rrl *rrl;
	atomic_int upstream_calls;
	atomic_ullong fake_now;   /* the rate limiter's clock */
	sdns_stub *stub;
	uint16_t port;
} fixture;

static fixture fx;

static int h_local(void *ctx, const sdns_msg *q, size_t max, uint8_t *out,
                   size_t cap, size_t *out_len)
{
	fixture *f = ctx;
	if (!sdns_zoneset_find(f->zs, &q->qname))
		return SDNS_ENOTFOUND;
	sdns_answer_opts o = {.max_size = max, .our_udp_size = 1232};
	return sdns_answer_msg(f->zs, q, &o, out, cap, out_len);
}

static int h_cache_get(void *ctx, const sdns_msg *q, uint64_t now,
                       uint8_t *out, size_t cap, size_t *out_len)
{
	fixture *f = ctx;
	sdns_cache_q cq = {&q->qname, q->qtype, q->qclass, q->edns.do_bit, q->id,
	                   (q->flags & SDNS_F_RD) != 0};
	return sdns_cache_lookup(f->cache, &cq, now, out, cap, out_len, NULL);
}

static void h_cache_put(void *ctx, const sdns_msg *q, const uint8_t *resp,
                        size_t len, uint64_t now)
{
	fixture *f = ctx;
	sdns_cache_insert(f->cache, q->edns.do_bit, resp, len, now, NULL);
}

static int h_limit(void *ctx, const struct sockaddr *src, socklen_t len,
                   int transport, uint64_t now)
{
	(void)len, (void)transport, (void)now;
	fixture *f = ctx;
	return f->rrl ? (int)sdns_rrl_check(f->rrl, src, atomic_load(&f->fake_now))
	              : SDNS_STUB_ALLOW;
}

/* The fake upstream: NXDOMAIN-free, answers "fail.*" with a timeout, "big.*"
 * with 40 TXT records (about 1 KB), anything else with one A record. */
static int upstream_answer(const uint8_t *wire, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
	sdns_msg q;
	int rc = sdns_msg_parse(wire, len, &q);
	if (rc < 0)
		return rc;
	char name[256];
	sdns_name_to_str(&q.qname, name, sizeof(name));
	sdns_bld b;
	sdns_bld_init(&b, out, cap, q.id, SDNS_F_QR | SDNS_F_RD | SDNS_F_RA);
	sdns_bld_question(&b, &q.qname, q.qtype, q.qclass);
	if (!strncmp(name, "fail.", 5)) {
		sdns_msg_free(&q);
		return SDNS_ETIMEOUT;
	}
	static const uint8_t txt[] = "\x14twenty-bytes-of-text";
	static const uint8_t a[] = {198, 51, 100, 7};
	bool big = !strncmp(name, "big.", 4);
	for (int i = 0; i < (big ? 40 : 1); i++) {
		sdns_rr rr = {q.qname, big ? SDNS_T_TXT : SDNS_T_A, SDNS_C_IN, 300,
		              big ? 21 : 4, big ? txt : a};
		rc = sdns_bld_rr(&b, SDNS_SEC_AN, &rr);
	}
	if (q.edns.present)
		sdns_bld_opt(&b, &(sdns_edns){.present = true, .udp_size = 1232}, 0);
	sdns_msg_free(&q);
	return rc == SDNS_OK ? sdns_bld_finish(&b, out_len) : rc;
}

static int h_forward(void *ctx, const uint8_t *wire, size_t len,
                     sdns_stub_done_fn done, void *token)
{
	fixture *f = ctx;
	atomic_fetch_add(&f->upstream_calls, 1);
	uint8_t out[4096];
	size_t n = 0;
	int rc = upstream_answer(wire, len, out, sizeof(out), &n);
	/* The fake answers with a different ID, as a real forwarder may. */
	out[0] ^= 0x5a;
	done(token, rc, rc == SDNS_OK ? out : NULL, rc == SDNS_OK ? n : 0);
	return SDNS_OK;
}

static void start_with(sdns_stub_conf *c)
{
	memset(&fx, 0, sizeof(fx));
	sdns_zone *z = zt_zone("local.test.", local_zone);
	ck_assert_int_eq(sdns_zoneset_new(&z, 1, &fx.zs), SDNS_OK);
	sdns_cache_conf cc;
	sdns_cache_conf_default(&cc);
	ck_assert_int_eq(sdns_cache_new(&cc, &fx.cache), SDNS_OK);
	atomic_store(&fx.fake_now, 1000000000ull);
	c->listen = "127.0.0.1:0";
	c->hooks = (sdns_stub_hooks){h_local, h_cache_get, h_cache_put, h_forward,
	                             h_limit, NULL, &fx};
	char err[256] = "";
	ck_assert_msg(sdns_stub_new(c, &fx.stub, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	ck_assert_int_eq(sdns_stub_start(fx.stub), SDNS_OK);
	fx.port = sdns_stub_port(fx.stub);
	ck_assert_uint_ne(fx.port, 0);
}

static void setup(void)
{
	sdns_stub_conf c = {.workers = 2};
	start_with(&c);
}

static void teardown(void)
{
	sdns_stub_free(fx.stub);
	sdns_cache_free(fx.cache);
	sdns_rrl_free(fx.rrl);
	sdns_zoneset_unref(fx.zs);
	memset(&fx, 0, sizeof(fx));
}

/* --- client helpers --- */

static struct sockaddr_in stub_addr(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(fx.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	set_timeout(fd, 5000);
	struct sockaddr_in a = stub_addr();
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* One datagram out, one in; returns the response length. */
static size_t udp_ask(const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap)
{
	int fd = udp_socket();
	ck_assert_int_eq(send(fd, q, qlen, 0), (ssize_t)qlen);
	ssize_t n = recv(fd, resp, cap, 0);
	close(fd);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t make_q(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                     uint16_t qtype, uint16_t edns_size)
{
	sdns_name n = zt_name(name, NULL);
	sdns_edns e = {.present = true, .udp_size = edns_size};
	size_t len = 0;
	ck_assert_int_eq(sdns_msg_make_query(buf, cap, &len, id, &n, qtype, true,
	                                     edns_size ? &e : NULL, 0), SDNS_OK);
	return len;
}

static int tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	set_timeout(fd, 5000);
	struct sockaddr_in a = stub_addr();
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* One framed message; 0 when the connection closed. */
static size_t tcp_read_msg(int fd, uint8_t *buf, size_t cap)
{
	uint8_t hdr[2];
	if (!read_full(fd, hdr, 2))
		return 0;
	size_t len = (size_t)hdr[0] << 8 | hdr[1];
	ck_assert_uint_le(len, cap);
	ck_assert(read_full(fd, buf, len));
	return len;
}

static void tcp_send_msg(int fd, const uint8_t *q, size_t len)
{
	uint8_t buf[2 + 512];
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, q, len);
	ck_assert_int_eq(send(fd, buf, len + 2, 0), (ssize_t)(len + 2));
}

static sdns_msg parse_ok(const uint8_t *r, size_t len)
{
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(r, len, &m), SDNS_OK);
	return m;
}

/* --- malformed and refused input --- */

START_TEST(test_short_packet_gets_formerr_header_with_its_id)
{
	uint8_t q[] = {0xab, 0xcd, 0x01, 0x00, 0x00, 0x01}, r[512];
	size_t n = udp_ask(q, sizeof(q), r, sizeof(r));
	uint8_t want[12];
	ck_assert_int_eq(sdns_test_hex("ab cd 81 81 00 00 00 00 00 00 00 00", want,
	                               sizeof(want)), 12);
	ck_assert_uint_eq(n, 12);
	ck_assert_mem_eq(r, want, 12);
}
END_TEST

START_TEST(test_counts_past_the_end_get_formerr)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 0x1234, "www.local.test.", SDNS_T_A, 0);
	q[7] = 3; /* ANCOUNT 3, no records */
	size_t n = udp_ask(q, len, r, sizeof(r));
	ck_assert_uint_eq(n, 12);
	ck_assert_uint_eq(r[0] << 8 | r[1], 0x1234);
	ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_FORMERR);
	ck_assert(r[2] & 0x80);
}
END_TEST

START_TEST(test_two_questions_refused_without_question)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 7, "www.local.test.", SDNS_T_A, 0);
	/* Repeat the question: QDCOUNT 2. */
	memcpy(q + len, q + 12, len - 12);
	len += len - 12;
	q[5] = 2;
	size_t n = udp_ask(q, len, r, sizeof(r));
	sdns_msg m = parse_ok(r, n);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_REFUSED);
	ck_assert_uint_eq(m.qdcount, 0);
	ck_assert_uint_eq(m.id, 7);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_update_opcode_gets_notimp)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 9, "local.test.", SDNS_T_SOA, 0);
	q[2] = (uint8_t)((q[2] & 0x87) | (SDNS_OP_UPDATE << 3));
	size_t n = udp_ask(q, len, r, sizeof(r));
	ck_assert_uint_eq(n, 12);
	ck_assert_uint_eq(SDNS_OPCODE(r[2] << 8), SDNS_OP_UPDATE);
	ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_NOTIMP);
	ck_assert_int_eq(atomic_load(&fx.upstream_calls), 0);
}
END_TEST

START_TEST(test_response_is_never_answered)
{
	uint8_t q[512], q2[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	q[2] |= 0x80; /* QR */
	size_t len2 = make_q(q2, sizeof(q2), 2, "www.local.test.", SDNS_T_A, 0);
	int fd = udp_socket();
	ck_assert_int_eq(send(fd, q, len, 0), (ssize_t)len);
	ck_assert_int_eq(send(fd, q2, len2, 0), (ssize_t)len2);
	ssize_t n = recv(fd, r, sizeof(r), 0);
	close(fd);
	ck_assert_int_gt(n, 12);
	ck_assert_uint_eq(r[0] << 8 | r[1], 2); /* the first got no answer */
}
END_TEST

START_TEST(test_any_gets_rfc8482_hinfo)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 3, "www.local.test.", SDNS_T_ANY, 1232);
	size_t n = udp_ask(q, len, r, sizeof(r));
	sdns_msg m = parse_ok(r, n);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 1);
	const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, 0);
	ck_assert_uint_eq(rr->type, 13);
	ck_assert_uint_eq(rr->rdlen, 9);
	ck_assert_mem_eq(rr->rdata, "\x07RFC8482\x00", 9);
	ck_assert(m.edns.present);
	ck_assert_int_eq(atomic_load(&fx.upstream_calls), 0);
	sdns_msg_free(&m);
}
END_TEST

/* --- answering --- */

START_TEST(test_local_zone_answered_authoritatively_without_upstream)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 0x4242, "WWW.local.test.", SDNS_T_A, 0);
	size_t n = udp_ask(q, len, r, sizeof(r));
	sdns_msg m = parse_ok(r, n);
	ck_assert_uint_eq(m.id, 0x4242);
	ck_assert(m.flags & SDNS_F_AA);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 1);
	ck_assert_mem_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata,
	                 "\xc0\x00\x02\x01", 4);
	ck_assert_int_eq(atomic_load(&fx.upstream_calls), 0);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_forwarded_answer_keeps_client_id_and_is_cached)
{
	uint8_t q[512], r[512];
	for (uint16_t id = 100; id < 103; id++) {
		size_t len = make_q(q, sizeof(q), id, "www.example.org.", SDNS_T_A, 0);
		size_t n = udp_ask(q, len, r, sizeof(r));
		sdns_msg m = parse_ok(r, n);
		ck_assert_uint_eq(m.id, id);
		ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
		ck_assert_uint_eq(m.count[SDNS_SEC_AN], 1);
		ck_assert_mem_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata,
		                 "\xc6\x33\x64\x07", 4);
		sdns_msg_free(&m);
	}
	ck_assert_int_eq(atomic_load(&fx.upstream_calls), 1);
	sdns_stub_stats s;
	sdns_stub_get_stats(fx.stub, &s);
	ck_assert_uint_eq(s.queries[SDNS_STUB_UDP], 3);
	ck_assert_uint_eq(s.responses[SDNS_STUB_UDP][0], 3);
	ck_assert_uint_eq(s.forwarded, 1);
}
END_TEST

START_TEST(test_upstream_failure_gets_servfail_with_ede_22)
{
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 5, "fail.example.org.", SDNS_T_A, 1232);
	size_t n = udp_ask(q, len, r, sizeof(r));
	sdns_msg m = parse_ok(r, n);
	ck_assert_uint_eq(m.id, 5);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert(m.edns.has_ede);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	ck_assert_uint_eq(m.qdcount, 1);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_udp_answer_over_512_truncated_without_edns)
{
	uint8_t q[512], r[4096];
	size_t len = make_q(q, sizeof(q), 6, "big.example.org.", SDNS_T_TXT, 0);
	size_t n = udp_ask(q, len, r, sizeof(r));
	ck_assert_uint_le(n, 512);
	sdns_msg m = parse_ok(r, n);
	ck_assert(m.flags & SDNS_F_TC);
	ck_assert_uint_lt(m.count[SDNS_SEC_AN], 40);
	ck_assert_uint_eq(m.id, 6);
	sdns_msg_free(&m);
	/* Cached now: the cached copy is cut the same way. */
	n = udp_ask(q, len, r, sizeof(r));
	ck_assert_uint_le(n, 512);
	ck_assert(r[2] & (SDNS_F_TC >> 8));
	ck_assert_int_eq(atomic_load(&fx.upstream_calls), 1);
}
END_TEST

START_TEST(test_udp_answer_full_with_edns_4096)
{
	uint8_t q[512], r[4096];
	size_t len = make_q(q, sizeof(q), 8, "big.example.org.", SDNS_T_TXT, 4096);
	size_t n = udp_ask(q, len, r, sizeof(r));
	ck_assert_uint_gt(n, 512);
	sdns_msg m = parse_ok(r, n);
	ck_assert(!(m.flags & SDNS_F_TC));
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 40);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_big_answer_whole_over_tcp)
{
	uint8_t q[512], r[4096];
	size_t len = make_q(q, sizeof(q), 10, "big.example.org.", SDNS_T_TXT, 0);
	int fd = tcp_connect();
	tcp_send_msg(fd, q, len);
	size_t n = tcp_read_msg(fd, r, sizeof(r));
	close(fd);
	sdns_msg m = parse_ok(r, n);
	ck_assert(!(m.flags & SDNS_F_TC));
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 40);
	sdns_msg_free(&m);
}
END_TEST

/* --- TCP --- */

START_TEST(test_tcp_pipelines_100_queries_on_one_connection)
{
	static uint8_t all[100 * 80];
	size_t off = 0;
	for (int i = 0; i < 100; i++) {
		char name[64];
		/* Local, forwarded and cached names interleaved. */
		snprintf(name, sizeof(name), i % 3 == 0 ? "www.local.test."
		         : "n%d.example.org.", i % 7);
		uint8_t q[80];
		size_t len = make_q(q, sizeof(q), (uint16_t)(1000 + i), name,
		                    SDNS_T_A, 0);
		all[off] = (uint8_t)(len >> 8);
		all[off + 1] = (uint8_t)len;
		memcpy(all + off + 2, q, len);
		off += 2 + len;
	}
	int fd = tcp_connect();
	ck_assert_int_eq(send(fd, all, off, 0), (ssize_t)off);
	bool seen[100] = {false};
	for (int i = 0; i < 100; i++) {
		uint8_t r[512];
		size_t n = tcp_read_msg(fd, r, sizeof(r));
		ck_assert_uint_gt(n, 12);
		int id = (r[0] << 8 | r[1]) - 1000;
		ck_assert_int_ge(id, 0);
		ck_assert_int_lt(id, 100);
		ck_assert(!seen[id]);
		seen[id] = true;
		ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_NOERROR);
	}
	close(fd);
}
END_TEST

START_TEST(test_idle_tcp_connection_closed_after_timeout)
{
	teardown();
	sdns_stub_conf c = {.workers = 1, .tcp_idle_ms = 200};
	start_with(&c);
	int fd = tcp_connect();
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	tcp_send_msg(fd, q, len);
	ck_assert_uint_gt(tcp_read_msg(fd, r, sizeof(r)), 0);
	/* Now idle: the server closes; recv sees EOF well before its 5 s. */
	ck_assert_int_eq(recv(fd, r, sizeof(r), 0), 0);
	close(fd);
	sdns_stub_stats s;
	sdns_stub_get_stats(fx.stub, &s);
	ck_assert_uint_eq(s.tcp_idle_closed, 1);
}
END_TEST

/* Slowloris: one byte of a query every 50 ms is not activity; the
 * connection goes once the idle time has passed since the last whole query. */
START_TEST(test_single_bytes_do_not_keep_a_tcp_connection_open)
{
	teardown();
	sdns_stub_conf c = {.workers = 1, .tcp_idle_ms = 300};
	start_with(&c);
	int fd = tcp_connect();
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	uint8_t framed[514] = {(uint8_t)(len >> 8), (uint8_t)len};
	memcpy(framed + 2, q, len);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool closed = false;
	for (size_t i = 0; i + 1 < len + 2 && !closed; i++) {
		if (send(fd, framed + i, 1, MSG_NOSIGNAL) != 1) closed = true;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 50) == 1 && recv(fd, r, sizeof r, 0) <= 0)
			closed = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	            (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* the whole query would take len+1 sends x 50 ms, over 1.5 s */
	ck_assert_msg(closed, "still open after %.0f ms of single bytes", ms);
	ck_assert_double_lt(ms, 1200);
	close(fd);
	sdns_stub_stats s;
	sdns_stub_get_stats(fx.stub, &s);
	ck_assert_uint_eq(s.tcp_idle_closed, 1);
}
END_TEST

START_TEST(test_connection_over_the_limit_is_closed)
{
	teardown();
	sdns_stub_conf c = {.workers = 1, .max_tcp_conns = 2};
	start_with(&c);
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	int fds[2];
	for (int i = 0; i < 2; i++) {
		fds[i] = tcp_connect();
		tcp_send_msg(fds[i], q, len);
		ck_assert_uint_gt(tcp_read_msg(fds[i], r, sizeof(r)), 0);
	}
	int third = tcp_connect();
	ck_assert_int_eq(recv(third, r, sizeof(r), 0), 0);
	close(third);
	sdns_stub_stats s;
	sdns_stub_get_stats(fx.stub, &s);
	ck_assert_uint_eq(s.tcp_refused, 1);
	ck_assert_uint_eq(s.conns_open, 2);
	/* A slot frees when one closes: the next client gets in. */
	close(fds[0]);
	int again = -1;
	for (int tries = 0; tries < 100; tries++) {
		again = tcp_connect();
		tcp_send_msg(again, q, len);
		if (tcp_read_msg(again, r, sizeof(r)) > 0)
			break;
		close(again);
		again = -1;
		usleep(10000);
	}
	ck_assert_int_ge(again, 0);
	close(again);
	close(fds[1]);
}
END_TEST

START_TEST(test_zero_length_tcp_frame_closes_connection)
{
	int fd = tcp_connect();
	uint8_t zero[2] = {0, 0}, r[64];
	ck_assert_int_eq(send(fd, zero, 2, 0), 2);
	ck_assert_int_eq(recv(fd, r, sizeof(r), 0), 0);
	close(fd);
}
END_TEST

/* --- rate limit --- */

START_TEST(test_rate_limit_applied_and_lifted)
{
	sdns_rrl_conf rc;
	sdns_rrl_conf_default(&rc);
	rc.rate = 1;
	rc.burst = 2;
	rc.slip = 2;
	ck_assert_int_eq(sdns_rrl_new(&rc, &fx.rrl), SDNS_OK);
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	int fd = udp_socket();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(send(fd, q, len, 0), (ssize_t)len);
	/* Two answered from the burst; of the two limited, one dropped and
	 * one slipped (TC, no records). */
	int full = 0, slipped = 0;
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(fd, r, sizeof(r), 0);
		ck_assert_int_ge(n, 12);
		if (r[2] & (SDNS_F_TC >> 8)) {
			slipped++;
			ck_assert_uint_eq(r[7], 0); /* ANCOUNT */
		} else {
			full++;
		}
	}
	ck_assert_int_eq(full, 2);
	ck_assert_int_eq(slipped, 1);
	sdns_stub_stats s;
	sdns_stub_get_stats(fx.stub, &s);
	ck_assert_uint_eq(s.ratelimited[SDNS_STUB_UDP], 2);
	ck_assert_uint_eq(s.dropped[SDNS_STUB_UDP], 1);
	/* Ten seconds later on the limiter's clock the bucket is full again. */
	atomic_fetch_add(&fx.fake_now, 10000000000ull);
	ck_assert_int_eq(send(fd, q, len, 0), (ssize_t)len);
	ssize_t n = recv(fd, r, sizeof(r), 0);
	ck_assert_int_gt(n, 12);
	ck_assert(!(r[2] & (SDNS_F_TC >> 8)));
	ck_assert_uint_eq(r[7], 1);
	close(fd);
}
END_TEST

START_TEST(test_rate_limited_tcp_query_refused)
{
	sdns_rrl_conf rc;
	sdns_rrl_conf_default(&rc);
	rc.rate = 1;
	rc.burst = 1;
	ck_assert_int_eq(sdns_rrl_new(&rc, &fx.rrl), SDNS_OK);
	uint8_t q[512], r[512];
	size_t len = make_q(q, sizeof(q), 1, "www.local.test.", SDNS_T_A, 0);
	int fd = tcp_connect();
	tcp_send_msg(fd, q, len);
	tcp_send_msg(fd, q, len);
	ck_assert_uint_gt(tcp_read_msg(fd, r, sizeof(r)), 12);
	ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_NOERROR);
	ck_assert_uint_eq(tcp_read_msg(fd, r, sizeof(r)), 12);
	ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_REFUSED);
	close(fd);
}
END_TEST

/* --- pure helpers --- */

START_TEST(test_udp_max_from_edns_clamped)
{
	sdns_msg m = {0};
	ck_assert_uint_eq(sdns_stub_udp_max(&m), 512);
	m.edns.present = true;
	m.edns.udp_size = 100;
	ck_assert_uint_eq(sdns_stub_udp_max(&m), 512);
	m.edns.udp_size = 1232;
	ck_assert_uint_eq(sdns_stub_udp_max(&m), 1232);
	m.edns.udp_size = 65000;
	ck_assert_uint_eq(sdns_stub_udp_max(&m), 4096);
}
END_TEST

START_TEST(test_truncate_keeps_leading_records_and_sets_tc)
{
	uint8_t q[512], r[4096];
	size_t qlen = make_q(q, sizeof(q), 77, "big.example.org.", SDNS_T_TXT, 0);
	size_t n = 0;
	ck_assert_int_eq(upstream_answer(q, qlen, r, sizeof(r), &n), SDNS_OK);
	ck_assert_uint_gt(n, 512);
	ck_assert_int_eq(sdns_stub_truncate(r, &n, sizeof(r), 512), SDNS_OK);
	ck_assert_uint_le(n, 512);
	sdns_msg m = parse_ok(r, n);
	ck_assert(m.flags & SDNS_F_TC);
	ck_assert_uint_eq(m.qdcount, 1);
	/* 12 + 21 question + 33 per record (compressed owner): 14 fit. */
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 14);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_truncate_leaves_small_answer_alone)
{
	uint8_t r[64] = {0};
	size_t n = 40;
	ck_assert_int_eq(sdns_stub_truncate(r, &n, sizeof(r), 512), SDNS_OK);
	ck_assert_uint_eq(n, 40);
}
END_TEST

START_TEST(test_truncate_rejects_garbage)
{
	uint8_t r[1024];
	memset(r, 0xff, sizeof(r));
	size_t n = sizeof(r);
	ck_assert_int_lt(sdns_stub_truncate(r, &n, sizeof(r), 512), 0);
	ck_assert_uint_eq(n, sizeof(r));
}
END_TEST

START_TEST(test_bad_listen_address_is_config_error)
{
	sdns_stub *s = NULL;
	char err[128] = "";
	sdns_stub_conf c = {.listen = "nowhere"};
	ck_assert_int_eq(sdns_stub_new(&c, &s, err, sizeof(err)), SDNS_ECONFIG);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "nowhere"));
}
END_TEST

static Suite *stub_suite(void)
{
	Suite *s = suite_create("stub");
	TCase *tc = tcase_create("front_door");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_short_packet_gets_formerr_header_with_its_id);
	tcase_add_test(tc, test_counts_past_the_end_get_formerr);
	tcase_add_test(tc, test_two_questions_refused_without_question);
	tcase_add_test(tc, test_update_opcode_gets_notimp);
	tcase_add_test(tc, test_response_is_never_answered);
	tcase_add_test(tc, test_any_gets_rfc8482_hinfo);
	tcase_add_test(tc, test_local_zone_answered_authoritatively_without_upstream);
	tcase_add_test(tc, test_forwarded_answer_keeps_client_id_and_is_cached);
	tcase_add_test(tc, test_upstream_failure_gets_servfail_with_ede_22);
	tcase_add_test(tc, test_udp_answer_over_512_truncated_without_edns);
	tcase_add_test(tc, test_udp_answer_full_with_edns_4096);
	tcase_add_test(tc, test_big_answer_whole_over_tcp);
	tcase_add_test(tc, test_tcp_pipelines_100_queries_on_one_connection);
	tcase_add_test(tc, test_idle_tcp_connection_closed_after_timeout);
	tcase_add_test(tc, test_single_bytes_do_not_keep_a_tcp_connection_open);
	tcase_add_test(tc, test_connection_over_the_limit_is_closed);
	tcase_add_test(tc, test_zero_length_tcp_frame_closes_connection);
	tcase_add_test(tc, test_rate_limit_applied_and_lifted);
	tcase_add_test(tc, test_rate_limited_tcp_query_refused);
	suite_add_tcase(s, tc);
	TCase *pure = tcase_create("pure");
	tcase_add_test(pure, test_udp_max_from_edns_clamped);
	tcase_add_test(pure, test_truncate_keeps_leading_records_and_sets_tc);
	tcase_add_test(pure, test_truncate_leaves_small_answer_alone);
	tcase_add_test(pure, test_truncate_rejects_garbage);
	tcase_add_test(pure, test_bad_listen_address_is_config_error);
	suite_add_tcase(s, pure);
	return s;
}

SDNS_TEST_MAIN(stub_suite)
