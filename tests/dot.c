/* Tests for src/dot: real TLS 1.3 over TCP on 127.0.0.1 with certificates
 * made at test time (tests/lib/testpki.h), a GnuTLS client written here,
 * an in-process server on port 0 whose handler echoes the query with QR
 * set, or defers queries for "slow." to a thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sdns/dot.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/msg.h"
#include "testlib.h"
#include "testpki.h"

static char g_dir[256];
static sdns_dot_server *g_srv;

static struct {
	pthread_mutex_t mu;
	int calls;
	sdns_identity peer;
	bool never;          /* deferred queries are never answered */
	int slow_ms;
} g_h = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-dot", g_dir, sizeof g_dir), 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
}

static void pki_teardown(void)
{
	sdns_test_rmtree(g_dir);
}

static void each_setup(void)
{
	sdns_log_setup(NULL, SDNS_LOG_ERROR);
	g_h.calls = 0;
	g_h.never = false;
	g_h.slow_ms = 300;
	g_srv = NULL;
}

static void each_teardown(void)
{
	sdns_dot_server_free(g_srv);
	g_srv = NULL;
}

static const char *pki(const char *file)
{
	static _Thread_local char buf[4][512];
	static _Thread_local int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", g_dir, file);
	return buf[i];
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- server --- */

static int echo(void *ctx, const sdns_identity *peer, const sdns_msg *q,
                const uint8_t *wire, size_t len, uint8_t *resp, size_t cap,
                size_t *resp_len)
{
	(void)ctx, (void)q;
	pthread_mutex_lock(&g_h.mu);
	g_h.calls++;
	g_h.peer = *peer;
	pthread_mutex_unlock(&g_h.mu);
	if (len > cap) return SDNS_EINVAL;
	memcpy(resp, wire, len);
	resp[2] |= 0x80;
	*resp_len = len;
	return SDNS_OK;
}

typedef struct {
	sdns_dot_ticket t;
	uint8_t resp[512];
	size_t len;
	int delay_ms;
} late;

static void *late_reply(void *arg)
{
	late *l = arg;
	usleep((useconds_t)l->delay_ms * 1000);
	sdns_dot_server_reply(g_srv, &l->t, l->resp, l->len);
	free(l);
	return NULL;
}

static bool is_slow(const sdns_msg *q)
{
	return q->qname.len >= 6 && !memcmp(q->qname.data, "\4slow", 5);
}

/* "slow." is answered later from another thread (or never); the rest now.
 * The deferred answer carries ID 0, as DoQ-shaped answers do: the server
 * must put the client's ID back. */
static int deferring(void *ctx, const sdns_identity *peer, const sdns_msg *q,
                     const uint8_t *wire, size_t len,
                     const sdns_dot_ticket *t, uint8_t *resp, size_t cap,
                     size_t *resp_len)
{
	if (!is_slow(q)) return echo(ctx, peer, q, wire, len, resp, cap, resp_len);
	if (g_h.never) return SDNS_EPENDING;
	late *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_le(len, sizeof l->resp);
	l->t = *t;
	memcpy(l->resp, wire, len);
	l->resp[0] = l->resp[1] = 0;
	l->resp[2] |= 0x80;
	l->len = len;
	l->delay_ms = g_h.slow_ms;
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, late_reply, l), 0);
	pthread_detach(th);
	return SDNS_EPENDING;
}

static int deny_all(void *ctx, const sdns_identity *peer)
{
	(void)ctx, (void)peer;
	return SDNS_EDENIED;
}

static void srv_conf(sdns_dot_server_conf *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "127.0.0.1:0";
	c->cert_path = pki("server.pem");
	c->key_path = pki("server.key");
	c->ca_path = pki("ca.pem");
	c->mesh = SDNS_TESTPKI_MESH;
	c->on_query = echo;
}

static uint16_t srv_start(const sdns_dot_server_conf *c)
{
	char err[256] = "";
	int rv = sdns_dot_server_new(c, &g_srv, err, sizeof err);
	ck_assert_msg(rv == SDNS_OK, "server_new: %s", err);
	ck_assert_int_eq(sdns_dot_server_start(g_srv), SDNS_OK);
	uint16_t port = sdns_dot_server_port(g_srv);
	ck_assert_uint_ne(port, 0);
	return port;
}

static uint16_t srv_default(void)
{
	sdns_dot_server_conf c;
	srv_conf(&c);
	return srv_start(&c);
}

static sdns_dot_stats stats(void)
{
	sdns_dot_stats s;
	sdns_dot_server_stats(g_srv, &s);
	return s;
}

/* --- client --- */

typedef struct {
	int fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
} cli;

static int tcp_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* cert: basename without .pem (NULL = none); alpn NULL = "dot";
 * prio NULL = TLS 1.3. Returns the handshake result. */
static int cli_open(cli *c, uint16_t port, const char *cert, const char *alpn,
                    const char *prio)
{
	memset(c, 0, sizeof *c);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&c->cred), 0);
	ck_assert_int_gt(gnutls_certificate_set_x509_trust_file(
		                 c->cred, pki("ca.pem"), GNUTLS_X509_FMT_PEM), 0);
	if (cert) {
		char p[64], k[64];
		snprintf(p, sizeof p, "%s.pem", cert);
		snprintf(k, sizeof k, "%s.key", cert);
		ck_assert_int_eq(gnutls_certificate_set_x509_key_file(
			                 c->cred, pki(p), pki(k), GNUTLS_X509_FMT_PEM), 0);
	}
	ck_assert_int_eq(gnutls_init(&c->tls, GNUTLS_CLIENT), 0);
	ck_assert_int_eq(gnutls_priority_set_direct(
		                 c->tls, prio ? prio : "NORMAL:-VERS-ALL:+VERS-TLS1.3",
		                 NULL), 0);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred);
	gnutls_session_set_verify_cert(c->tls, "localhost", 0);
	const char *a = alpn ? alpn : SDNS_DOT_ALPN;
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)a, (unsigned)strlen(a)};
	gnutls_alpn_set_protocols(c->tls, &d, 1, 0);
	c->fd = tcp_connect(port);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, 5000);
	gnutls_record_set_timeout(c->tls, 5000);
	int rv;
	do rv = gnutls_handshake(c->tls);
	while (rv < 0 && !gnutls_error_is_fatal(rv));
	/* TLS 1.3: a refused client certificate shows on the first read. */
	return rv;
}

static void cli_close(cli *c)
{
	if (c->tls) gnutls_deinit(c->tls);
	if (c->fd > 0) close(c->fd);
	if (c->cred) gnutls_certificate_free_credentials(c->cred);
	memset(c, 0, sizeof *c);
}

static void cli_send(cli *c, const uint8_t *b, size_t len)
{
	ck_assert_int_eq(gnutls_record_send(c->tls, b, len), (ssize_t)len);
}

/* One framed message: its length, or a negative GnuTLS code / 0 at EOF. */
static ssize_t cli_recv(cli *c, uint8_t *buf, size_t cap)
{
	uint8_t hdr[2];
	size_t got = 0;
	while (got < 2) {
		ssize_t r = gnutls_record_recv(c->tls, hdr + got, 2 - got);
		if (r <= 0) return r;
		got += (size_t)r;
	}
	size_t n = (size_t)hdr[0] << 8 | hdr[1];
	ck_assert_uint_le(n, cap);
	for (got = 0; got < n;) {
		ssize_t r = gnutls_record_recv(c->tls, buf + got, n - got);
		if (r <= 0) return r;
		got += (size_t)r;
	}
	return (ssize_t)n;
}

/* A query for qname with the given ID, framed. */
static size_t framed_query(uint8_t *buf, size_t cap, uint16_t id,
                           const char *qname)
{
	uint8_t w[SDNS_NAME_MAX];
	size_t o = 0;
	for (const char *p = qname; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		w[o++] = (uint8_t)l;
		memcpy(w + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	w[o++] = 0;
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_wire(w, o, &n), SDNS_OK);
	size_t len = 0;
	ck_assert_int_eq(sdns_msg_make_query(buf + 2, cap - 2, &len, id, &n, 1,
	                                     true, NULL, 0), SDNS_OK);
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	return len + 2;
}

static uint16_t msg_id(const uint8_t *m)
{
	return (uint16_t)(m[0] << 8 | m[1]);
}

/* True when the server closed the connection (EOF or a TLS error) within
 * ms; *at gets when. */
static bool closed_within(cli *c, int ms, uint64_t *at)
{
	gnutls_record_set_timeout(c->tls, (unsigned)ms);
	uint8_t buf[512];
	ssize_t r = gnutls_record_recv(c->tls, buf, sizeof buf);
	if (at) *at = now_ms();
	return r == 0 || (r < 0 && r != GNUTLS_E_TIMEDOUT && r != GNUTLS_E_AGAIN);
}

/* --- framing, pure --- */

START_TEST(test_frame_next_bounds)
{
	const uint8_t *m;
	size_t ml, used;
	uint8_t b[8] = {0, 3, 'a', 'b', 'c', 0, 1, 'x'};
	ck_assert_int_eq(sdns_dot_frame_next(b, 0, 100, &m, &ml, &used),
	                 SDNS_EPENDING);
	ck_assert_int_eq(sdns_dot_frame_next(b, 1, 100, &m, &ml, &used),
	                 SDNS_EPENDING);
	ck_assert_int_eq(sdns_dot_frame_next(b, 4, 100, &m, &ml, &used),
	                 SDNS_EPENDING);
	ck_assert_int_eq(sdns_dot_frame_next(b, 5, 100, &m, &ml, &used), SDNS_OK);
	ck_assert_ptr_eq(m, b + 2);
	ck_assert_uint_eq(ml, 3);
	ck_assert_uint_eq(used, 5);
	ck_assert_int_eq(sdns_dot_frame_next(b + 5, 3, 100, &m, &ml, &used),
	                 SDNS_OK);
	ck_assert_uint_eq(ml, 1);
	const uint8_t zero[2] = {0, 0};
	ck_assert_int_eq(sdns_dot_frame_next(zero, 2, 100, &m, &ml, &used),
	                 SDNS_EMALF);
	const uint8_t big[2] = {0xff, 0xff};
	ck_assert_int_eq(sdns_dot_frame_next(big, 2, 512, &m, &ml, &used),
	                 SDNS_ETOOBIG);
	ck_assert_int_eq(sdns_dot_frame_next(big, 2, 65535, &m, &ml, &used),
	                 SDNS_EPENDING);
}
END_TEST

/* --- handshakes --- */

START_TEST(test_client_certificate_is_answered_with_its_identity_and_id)
{
	uint16_t port = srv_default();
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 0x1234, "a.example");
	cli_send(&c, q, ql);
	ssize_t n = cli_recv(&c, r, sizeof r);
	ck_assert_int_eq(n, (ssize_t)ql - 2);
	ck_assert_uint_eq(msg_id(r), 0x1234);    /* DoT keeps the client's ID */
	ck_assert(r[2] & 0x80);
	ck_assert_mem_eq(r + 4, q + 6, (size_t)n - 4);
	pthread_mutex_lock(&g_h.mu);
	ck_assert_int_eq(g_h.peer.role, SDNS_ROLE_CLIENT);
	ck_assert_str_eq(g_h.peer.name, "client");
	pthread_mutex_unlock(&g_h.mu);
	char alpn[8] = "";
	gnutls_datum_t p;
	ck_assert_int_eq(gnutls_alpn_get_selected_protocol(c.tls, &p), 0);
	memcpy(alpn, p.data, p.size < 7 ? p.size : 7);
	ck_assert_str_eq(alpn, "dot");
	ck_assert_int_eq(gnutls_protocol_get_version(c.tls), GNUTLS_TLS1_3);
	cli_close(&c);
	ck_assert_uint_eq(stats().handshakes_ok, 1);
}
END_TEST

/* Refused clients: the handshake fails, or (TLS 1.3, the client's
 * certificate is checked after the client finished) the first read does;
 * never an answer, and the handler never runs. */
static void expect_refused(const char *cert, const char *alpn,
                           const char *prio)
{
	uint16_t port = srv_default();
	cli c;
	int rv = cli_open(&c, port, cert, alpn, prio);
	if (rv == 0) {
		uint8_t q[512], r[512];
		size_t ql = framed_query(q, sizeof q, 7, "a.example");
		gnutls_record_send(c.tls, q, ql);
		ck_assert_int_le(cli_recv(&c, r, sizeof r), 0);
	}
	cli_close(&c);
	for (int i = 0; i < 50 && stats().handshakes_refused == 0; i++)
		usleep(10000);
	ck_assert_uint_eq(stats().handshakes_refused, 1);
	ck_assert_uint_eq(stats().handshakes_ok, 0);
	ck_assert_int_eq(g_h.calls, 0);
}

START_TEST(test_client_without_certificate_is_refused)
{
	expect_refused(NULL, NULL, NULL);
}
END_TEST

START_TEST(test_client_from_rogue_ca_is_refused)
{
	expect_refused("rogue", NULL, NULL);
}
END_TEST

START_TEST(test_expired_and_server_only_and_other_mesh_are_refused)
{
	expect_refused("expired", NULL, NULL);
	sdns_dot_server_free(g_srv);
	g_srv = NULL;
	expect_refused("serveronly", NULL, NULL);
	sdns_dot_server_free(g_srv);
	g_srv = NULL;
	expect_refused("othermesh", NULL, NULL);
}
END_TEST

START_TEST(test_wrong_alpn_is_refused)
{
	expect_refused("client", "doq", NULL);
}
END_TEST

START_TEST(test_tls12_is_refused)
{
	expect_refused("client", NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.2");
}
END_TEST

START_TEST(test_admit_denial_refuses_handshake)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.admit = deny_all;
	uint16_t port = srv_start(&sc);
	cli c;
	int rv = cli_open(&c, port, "client", NULL, NULL);
	if (rv == 0) {
		uint8_t q[512], r[512];
		size_t ql = framed_query(q, sizeof q, 7, "a.example");
		gnutls_record_send(c.tls, q, ql);
		ck_assert_int_le(cli_recv(&c, r, sizeof r), 0);
	}
	cli_close(&c);
	ck_assert_int_eq(g_h.calls, 0);
}
END_TEST

/* --- pipelining --- */

START_TEST(test_pipelined_queries_are_answered_out_of_order)
{
	g_h.slow_ms = 1000;
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.on_query_async = deferring;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	/* slow first, then three fast ones, all in one write */
	uint8_t q[2048], r[512];
	size_t ql = framed_query(q, sizeof q, 100, "slow");
	for (uint16_t i = 1; i <= 3; i++)
		ql += framed_query(q + ql, sizeof q - ql, (uint16_t)(100 + i), "fast");
	uint64_t t0 = now_ms();
	cli_send(&c, q, ql);
	uint16_t order[4];
	uint64_t first_at = 0;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
		order[i] = msg_id(r);
		if (i == 0) first_at = now_ms();
	}
	ck_assert_uint_eq(order[0], 101);
	ck_assert_uint_eq(order[1], 102);
	ck_assert_uint_eq(order[2], 103);
	ck_assert_uint_eq(order[3], 100);   /* ID put back on the late answer */
	ck_assert_uint_lt(first_at - t0, 700);   /* not behind the 1 s one */
	ck_assert_uint_eq(stats().deferred, 1);
	cli_close(&c);
}
END_TEST

START_TEST(test_deferred_query_past_its_deadline_gets_servfail)
{
	g_h.never = true;
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.on_query_async = deferring;
	sc.query_timeout_ms = 200;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 55, "slow");
	uint64_t t0 = now_ms();
	cli_send(&c, q, ql);
	ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
	uint64_t dt = now_ms() - t0;
	ck_assert_uint_eq(msg_id(r), 55);
	ck_assert_uint_eq(r[3] & 0xf, SDNS_RC_SERVFAIL);
	ck_assert_uint_ge(dt, 150);
	ck_assert_uint_lt(dt, 2000);
	ck_assert_uint_eq(stats().query_timeouts, 1);
	/* a ticket answered after its deadline is dropped, the connection
	 * goes on */
	sdns_dot_ticket t = {1, 0};
	ck_assert_int_eq(sdns_dot_server_reply(g_srv, &t, r, 12), SDNS_OK);
	ql = framed_query(q, sizeof q, 56, "fast");
	cli_send(&c, q, ql);
	ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
	ck_assert_uint_eq(msg_id(r), 56);
	cli_close(&c);
}
END_TEST

START_TEST(test_reply_checks_its_length)
{
	srv_default();
	sdns_dot_ticket t = {1, 0};
	uint8_t b[12] = {0};
	ck_assert_int_eq(sdns_dot_server_reply(g_srv, &t, b, 11), SDNS_EINVAL);
	ck_assert_int_eq(sdns_dot_server_reply(g_srv, &t, b, 70000), SDNS_EINVAL);
	ck_assert_int_eq(sdns_dot_server_reply(g_srv, &t, NULL, 0), SDNS_OK);
}
END_TEST

START_TEST(test_reply_after_the_client_went_away_is_dropped)
{
	g_h.slow_ms = 200;
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.on_query_async = deferring;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 9, "slow");
	cli_send(&c, q, ql);
	cli_close(&c);
	usleep(400000);   /* the late reply lands on a closed connection */
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	ql = framed_query(q, sizeof q, 10, "fast");
	cli_send(&c, q, ql);
	ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
	ck_assert_uint_eq(msg_id(r), 10);
	cli_close(&c);
}
END_TEST

/* --- framing on the wire --- */

START_TEST(test_zero_length_frame_closes_the_connection)
{
	uint16_t port = srv_default();
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	const uint8_t zero[2] = {0, 0};
	cli_send(&c, zero, 2);
	ck_assert(closed_within(&c, 2000, NULL));
	ck_assert_uint_eq(stats().framing_errors, 1);
	ck_assert_int_eq(g_h.calls, 0);
	cli_close(&c);
}
END_TEST

START_TEST(test_length_over_the_limit_closes_the_connection)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.max_msg = 512;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	const uint8_t hdr[4] = {0x02, 0x01, 0, 0};   /* 513 */
	cli_send(&c, hdr, sizeof hdr);
	ck_assert(closed_within(&c, 2000, NULL));
	ck_assert_uint_eq(stats().framing_errors, 1);
	cli_close(&c);
}
END_TEST

START_TEST(test_garbage_message_closes_the_connection)
{
	uint16_t port = srv_default();
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	const uint8_t bad[5] = {0, 3, 1, 2, 3};   /* shorter than a header */
	cli_send(&c, bad, sizeof bad);
	ck_assert(closed_within(&c, 2000, NULL));
	ck_assert_int_eq(g_h.calls, 0);
	cli_close(&c);
}
END_TEST

START_TEST(test_query_split_across_records_is_answered)
{
	uint16_t port = srv_default();
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 77, "split.example");
	for (size_t i = 0; i < ql; i++) cli_send(&c, q + i, 1);
	ck_assert_int_eq(cli_recv(&c, r, sizeof r), (ssize_t)ql - 2);
	ck_assert_uint_eq(msg_id(r), 77);
	cli_close(&c);
}
END_TEST

/* --- timers --- */

START_TEST(test_slowloris_trickling_one_byte_at_a_time_is_closed_by_idle)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.idle_timeout_ms = 400;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512];
	size_t ql = framed_query(q, sizeof q, 1, "a.long.name.example");
	uint64_t t0 = now_ms();
	bool closed = false;
	/* one byte every 100 ms, never finishing the frame within 400 ms */
	for (size_t i = 0; i + 1 < ql && !closed; i++) {
		if (gnutls_record_send(c.tls, q + i, 1) != 1) break;
		closed = closed_within(&c, 100, NULL);
	}
	uint64_t dt = now_ms() - t0;
	ck_assert_msg(closed, "still open after %llu ms", (unsigned long long)dt);
	ck_assert_uint_lt(dt, 1500);
	ck_assert_uint_ge(dt, 300);
	ck_assert_int_eq(g_h.calls, 0);
	ck_assert_uint_eq(stats().idle_closed, 1);
	cli_close(&c);
}
END_TEST

START_TEST(test_silent_tcp_client_is_closed_by_the_handshake_timer)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.handshake_timeout_ms = 300;
	uint16_t port = srv_start(&sc);
	int fd = tcp_connect(port);
	/* one byte of a ClientHello, then nothing */
	ck_assert_int_eq(write(fd, "\x16", 1), 1);
	uint64_t t0 = now_ms();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 3000), 1);
	char b[16];
	ck_assert_int_le(read(fd, b, sizeof b), 0);
	uint64_t dt = now_ms() - t0;
	ck_assert_uint_ge(dt, 250);
	ck_assert_uint_lt(dt, 1500);
	ck_assert_uint_eq(stats().handshakes_refused, 1);
	close(fd);
}
END_TEST

START_TEST(test_idle_connection_is_closed_and_answers_move_the_deadline)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.idle_timeout_ms = 800;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[512], r[512];
	/* queries every 300 ms keep it past its idle timeout */
	for (int i = 0; i < 4; i++) {
		size_t ql = framed_query(q, sizeof q, (uint16_t)i, "a.example");
		cli_send(&c, q, ql);
		ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
		usleep(300000);
	}
	uint64_t at, t0 = now_ms();
	ck_assert(closed_within(&c, 3000, &at));
	ck_assert_uint_lt(at - t0, 800);
	cli_close(&c);
}
END_TEST

/* --- limits --- */

START_TEST(test_per_address_limit_refuses_the_next_connection)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.max_conns_per_addr = 2;
	uint16_t port = srv_start(&sc);
	cli a, b, x;
	ck_assert_int_eq(cli_open(&a, port, "client", NULL, NULL), 0);
	ck_assert_int_eq(cli_open(&b, port, "client", NULL, NULL), 0);
	ck_assert_int_lt(cli_open(&x, port, "client", NULL, NULL), 0);
	ck_assert_uint_eq(stats().limit_refused, 1);
	cli_close(&x);
	/* the first two still answer; one gone frees a place */
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 3, "a.example");
	cli_send(&b, q, ql);
	ck_assert_int_gt(cli_recv(&b, r, sizeof r), 0);
	cli_close(&a);
	for (int i = 0; i < 50 && stats().conns_open > 1; i++) usleep(10000);
	ck_assert_int_eq(cli_open(&x, port, "client", NULL, NULL), 0);
	cli_close(&x);
	cli_close(&b);
}
END_TEST

START_TEST(test_total_limit_refuses_the_next_connection)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.max_conns = 1;
	uint16_t port = srv_start(&sc);
	cli a, x;
	ck_assert_int_eq(cli_open(&a, port, "client", NULL, NULL), 0);
	ck_assert_int_lt(cli_open(&x, port, "client", NULL, NULL), 0);
	ck_assert_uint_eq(stats().limit_refused, 1);
	cli_close(&x);
	cli_close(&a);
}
END_TEST

START_TEST(test_inflight_limit_holds_reading_until_answers_come)
{
	g_h.slow_ms = 300;
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.on_query_async = deferring;
	sc.max_inflight = 1;
	uint16_t port = srv_start(&sc);
	cli c;
	ck_assert_int_eq(cli_open(&c, port, "client", NULL, NULL), 0);
	uint8_t q[1024], r[512];
	size_t ql = framed_query(q, sizeof q, 1, "slow");
	ql += framed_query(q + ql, sizeof q - ql, 2, "fast");
	cli_send(&c, q, ql);
	/* the fast one waits behind the only in-flight place */
	ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
	ck_assert_uint_eq(msg_id(r), 1);
	ck_assert_int_gt(cli_recv(&c, r, sizeof r), 0);
	ck_assert_uint_eq(msg_id(r), 2);
	cli_close(&c);
}
END_TEST

/* --- revocation, ports --- */

static bool match_client(void *ctx, const sdns_identity *id)
{
	(void)ctx;
	return !strcmp(id->name, "client");
}

START_TEST(test_close_matching_closes_only_the_matching_identity)
{
	uint16_t port = srv_default();
	cli a, b;
	ck_assert_int_eq(cli_open(&a, port, "client", NULL, NULL), 0);
	ck_assert_int_eq(cli_open(&b, port, "admin", NULL, NULL), 0);
	/* a query each, so both handshakes are complete on the server */
	uint8_t q[512], r[512];
	size_t ql = framed_query(q, sizeof q, 1, "a.example");
	cli_send(&a, q, ql);
	ck_assert_int_gt(cli_recv(&a, r, sizeof r), 0);
	cli_send(&b, q, ql);
	ck_assert_int_gt(cli_recv(&b, r, sizeof r), 0);
	ck_assert_int_eq(sdns_dot_server_close_matching(g_srv, match_client,
	                                                NULL), 1);
	ck_assert(closed_within(&a, 2000, NULL));
	cli_send(&b, q, ql);
	ck_assert_int_gt(cli_recv(&b, r, sizeof r), 0);
	ck_assert_uint_eq(stats().closed_by_request, 1);
	cli_close(&a);
	cli_close(&b);
}
END_TEST

START_TEST(test_held_port_is_refused_as_address_in_use)
{
	uint16_t port = srv_default();
	char listen[32], err[256] = "";
	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.listen = listen;
	sdns_dot_server *two = NULL;
	ck_assert_int_eq(sdns_dot_server_new(&sc, &two, err, sizeof err),
	                 SDNS_EIO);
	ck_assert_ptr_null(two);
	ck_assert_ptr_nonnull(strstr(err, "address already in use"));
}
END_TEST

START_TEST(test_missing_credentials_are_a_config_error)
{
	sdns_dot_server_conf sc;
	srv_conf(&sc);
	sc.ca_path = NULL;
	char err[256] = "";
	ck_assert_int_eq(sdns_dot_server_new(&sc, &g_srv, err, sizeof err),
	                 SDNS_ECONFIG);
	sc.ca_path = pki("ca.pem");
	sc.listen = "nonsense";
	ck_assert_int_eq(sdns_dot_server_new(&sc, &g_srv, err, sizeof err),
	                 SDNS_ECONFIG);
}
END_TEST

static Suite *dot_suite(void)
{
	Suite *s = suite_create("dot");
	TCase *tc = tcase_create("dot");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_frame_next_bounds);
	tcase_add_test(tc, test_client_certificate_is_answered_with_its_identity_and_id);
	tcase_add_test(tc, test_client_without_certificate_is_refused);
	tcase_add_test(tc, test_client_from_rogue_ca_is_refused);
	tcase_add_test(tc, test_expired_and_server_only_and_other_mesh_are_refused);
	tcase_add_test(tc, test_wrong_alpn_is_refused);
	tcase_add_test(tc, test_tls12_is_refused);
	tcase_add_test(tc, test_admit_denial_refuses_handshake);
	tcase_add_test(tc, test_pipelined_queries_are_answered_out_of_order);
	tcase_add_test(tc, test_deferred_query_past_its_deadline_gets_servfail);
	tcase_add_test(tc, test_reply_checks_its_length);
	tcase_add_test(tc, test_reply_after_the_client_went_away_is_dropped);
	tcase_add_test(tc, test_zero_length_frame_closes_the_connection);
	tcase_add_test(tc, test_length_over_the_limit_closes_the_connection);
	tcase_add_test(tc, test_garbage_message_closes_the_connection);
	tcase_add_test(tc, test_query_split_across_records_is_answered);
	tcase_add_test(tc, test_slowloris_trickling_one_byte_at_a_time_is_closed_by_idle);
	tcase_add_test(tc, test_silent_tcp_client_is_closed_by_the_handshake_timer);
	tcase_add_test(tc, test_idle_connection_is_closed_and_answers_move_the_deadline);
	tcase_add_test(tc, test_per_address_limit_refuses_the_next_connection);
	tcase_add_test(tc, test_total_limit_refuses_the_next_connection);
	tcase_add_test(tc, test_inflight_limit_holds_reading_until_answers_come);
	tcase_add_test(tc, test_close_matching_closes_only_the_matching_identity);
	tcase_add_test(tc, test_held_port_is_refused_as_address_in_use);
	tcase_add_test(tc, test_missing_credentials_are_a_config_error);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(dot_suite)
