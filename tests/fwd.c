/* Tests for src/fwd: the DoT forwarder against a real unbound on loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/fwd.h"
#include "sdns/log.h"
#include "testlib.h"
#include "unbound.h"

#define BAD_PIN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, err;
	uint8_t ans[1024];
	size_t len;
} waiter;

static void on_answer(void *ctx, int err, const uint8_t *ans, size_t len)
{
	waiter *w = ctx;
	pthread_mutex_lock(&w->mu);
	w->err = err;
	w->len = len < sizeof(w->ans) ? len : sizeof(w->ans);
	if (ans)
		memcpy(w->ans, ans, w->len);
	w->done = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void waiter_init(waiter *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
}

/* Waits at most 10 s so a bug fails the test instead of hanging it. */
static int waiter_wait(waiter *w)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
			break;
	int done = w->done;
	pthread_mutex_unlock(&w->mu);
	return done ? 0 : -1;
}

static size_t make_query(uint8_t *buf, uint16_t id, const char *name,
                         uint16_t type)
{
	size_t n = 0;
	buf[n++] = (uint8_t)(id >> 8);
	buf[n++] = (uint8_t)id;
	buf[n++] = 0x01; /* RD */
	buf[n++] = 0;
	buf[n++] = 0, buf[n++] = 1, buf[n++] = 0, buf[n++] = 0;
	buf[n++] = 0, buf[n++] = 0, buf[n++] = 0, buf[n++] = 0;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	buf[n++] = (uint8_t)(type >> 8), buf[n++] = (uint8_t)type;
	buf[n++] = 0, buf[n++] = 1;
	return n;
}

/* One synchronous query; answer copied into w. */
static int ask(sdns_fwd *f, waiter *w, uint16_t id, const char *name)
{
	uint8_t q[300];
	waiter_init(w);
	size_t n = make_query(q, id, name, 1);
	int rc = sdns_fwd_query(f, q, n, on_answer, w);
	if (rc != 0)
		return rc;
	ck_assert_int_eq(waiter_wait(w), 0);
	return w->err;
}

static sdns_test_unbound ub;

static void up_setup(void)
{
	ck_assert_int_eq(sdns_test_unbound_start(&ub, NULL), 0);
}

static void up_teardown(void)
{
	sdns_test_unbound_free(&ub);
}

static sdns_fwd *make_fwd(const char *fqdn, const char *const *pins,
                          size_t n_pins, uint32_t idle_ms)
{
	sdns_fwd_upstream up = { .addr = ub.addr, .fqdn = fqdn, .pins = pins,
	                         .n_pins = n_pins, .ca_file = ub.ca };
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1,
	                    .timeout_ms = 2000, .backoff_min_ms = 20,
	                    .backoff_max_ms = 100, .idle_ms = idle_ms };
	sdns_fwd *f = NULL;
	char err[200];
	ck_assert_int_eq(sdns_fwd_new(&c, &f, err, sizeof(err)), SDNS_OK);
	return f;
}

static uint64_t handshakes(sdns_fwd *f, size_t i)
{
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	return s.up[i].handshakes;
}

START_TEST(test_local_data_name_is_answered_with_callers_id)
{
	const char *pins[] = { ub.pin };
	sdns_fwd *f = make_fwd("localhost", pins, 1, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 0xbeef, "a.test"), SDNS_OK);
	ck_assert_uint_ge(w.len, 16);
	ck_assert_uint_eq(w.ans[0], 0xbe);
	ck_assert_uint_eq(w.ans[1], 0xef);
	ck_assert_uint_eq(w.ans[3] & 0x0f, 0);           /* NOERROR */
	ck_assert_uint_eq(w.ans[7], 1);                  /* ANCOUNT */
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	ck_assert_mem_eq(w.ans + w.len - 4, addr, 4);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 1);
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.answered, 1);
	ck_assert_uint_eq(s.up[0].queries, 1);
	ck_assert_uint_eq(s.up[0].answers, 1);
	ck_assert_uint_eq(s.up[0].latency_count, 1);
	ck_assert_str_eq(s.up[0].addr, ub.addr);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_hundred_pipelined_queries_share_one_connection)
{
	const char *pins[] = { ub.pin };
	sdns_fwd *f = make_fwd("localhost", pins, 1, 0);
	static waiter w[100];
	uint8_t q[300];
	for (int i = 0; i < 100; i++) {
		waiter_init(&w[i]);
		size_t n = make_query(q, (uint16_t)(1000 + i),
		                      i % 2 ? "a.test" : "b.test", i % 2 ? 1 : 28);
		ck_assert_int_eq(sdns_fwd_query(f, q, n, on_answer, &w[i]), 0);
	}
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(waiter_wait(&w[i]), 0);
		ck_assert_int_eq(w[i].err, SDNS_OK);
		ck_assert_uint_eq((unsigned)(w[i].ans[0] << 8 | w[i].ans[1]),
		                  1000u + (unsigned)i);
		ck_assert_uint_eq(w[i].ans[7], 1);
		ck_assert_uint_eq(w[i].ans[21], (i % 2) ? 1u : 28u); /* qtype */
	}
	ck_assert_uint_eq(handshakes(f, 0), 1);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 100);
	sdns_fwd_free(f);
}
END_TEST

static char logbuf[8192];

START_TEST(test_wrong_pin_fails_logs_presented_pin_and_sends_nothing)
{
	FILE *lf = fmemopen(logbuf, sizeof(logbuf), "w");
	setvbuf(lf, NULL, _IONBF, 0);
	sdns_log_setup(lf, SDNS_LOG_WARN);
	const char *pins[] = { BAD_PIN };
	sdns_fwd *f = make_fwd("localhost", pins, 1, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 7, "a.test"), SDNS_ECERT);
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.up[0].pin_failures, 1);
	ck_assert_uint_eq(s.up[0].failures[SDNS_FWD_R_PIN], 1);
	ck_assert_uint_eq(s.up[0].queries, 0);
	ck_assert_uint_eq(s.failed, 1);
	sdns_fwd_free(f);
	fflush(lf);
	char want[200];
	snprintf(want, sizeof(want),
	         "level=warn event=upstream_pin_mismatch upstream=%s "
	         "presented_pin=%s", ub.addr, ub.pin);
	ck_assert_ptr_nonnull(strstr(logbuf, want));
	sdns_log_setup(stderr, SDNS_LOG_WARN);
	fclose(lf);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 0);
}
END_TEST

START_TEST(test_pin_set_with_stale_and_good_pin_works)
{
	const char *pins[] = { BAD_PIN, ub.pin };
	sdns_fwd *f = make_fwd("localhost", pins, 2, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 9, "a.test"), SDNS_OK);
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.up[0].pin_failures, 0);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_empty_pin_set_checks_chain_and_ip_name)
{
	sdns_fwd *f = make_fwd(NULL, NULL, 0, 0); /* name = 127.0.0.1 */
	waiter w;
	ck_assert_int_eq(ask(f, &w, 9, "a.test"), SDNS_OK);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_wrong_fqdn_fails_and_sends_nothing)
{
	const char *pins[] = { ub.pin };
	sdns_fwd *f = make_fwd("dns.example.com", pins, 1, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 9, "a.test"), SDNS_ECERT);
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.up[0].pin_failures, 1);
	ck_assert_uint_eq(s.up[0].queries, 0);
	sdns_fwd_free(f);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 0);
}
END_TEST

START_TEST(test_untrusted_ca_fails)
{
	sdns_fwd_upstream up = { .addr = ub.addr, .fqdn = "localhost",
	                         .ca_file = NULL }; /* system store */
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&c, &f, NULL, 0), SDNS_OK);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 9, "a.test"), SDNS_ECERT);
	sdns_fwd_free(f);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 0);
}
END_TEST

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(test_upstream_down_fails_in_time_then_recovers)
{
	const char *pins[] = { ub.pin };
	sdns_fwd *f = make_fwd("localhost", pins, 1, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 1, "a.test"), SDNS_OK);
	sdns_test_unbound_stop(&ub);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = ask(f, &w, 2, "a.test");
	ck_assert_int_ne(rc, SDNS_OK);
	ck_assert(since(&t0) < 2.5);
	ck_assert_int_eq(sdns_test_unbound_restart(&ub), 0);
	int ok = 0;
	for (int i = 0; i < 200 && !ok; i++) {
		ok = ask(f, &w, 3, "a.test") == SDNS_OK;
		if (!ok)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	ck_assert(ok);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_failover_to_second_upstream_when_first_is_dead)
{
	char dead[32];
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", sdns_test_free_port());
	const char *pins[] = { ub.pin };
	sdns_fwd_upstream ups[2] = {
		{ .addr = dead, .fqdn = "localhost", .pins = pins, .n_pins = 1,
		  .ca_file = ub.ca },
		{ .addr = ub.addr, .fqdn = "localhost", .pins = pins,
		  .n_pins = 1, .ca_file = ub.ca },
	};
	sdns_fwd_conf c = { .upstreams = ups, .n_upstreams = 2 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&c, &f, NULL, 0), SDNS_OK);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 5, "a.test"), SDNS_OK);
	ck_assert_int_eq(ask(f, &w, 6, "a.test"), SDNS_OK);
	sdns_fwd_counters s;
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.up[0].failures[SDNS_FWD_R_CONNECT], 1);
	ck_assert_int_eq(s.up[0].healthy, 0);  /* skipped while in backoff */
	ck_assert_uint_eq(s.up[1].answers, 2);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_session_is_resumed_on_reconnect)
{
	const char *pins[] = { ub.pin };
	sdns_fwd *f = make_fwd("localhost", pins, 1, 50);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 1, "a.test"), SDNS_OK);
	sdns_fwd_counters s;
	for (int i = 0; i < 500; i++) { /* wait for the idle close */
		sdns_fwd_stats(f, &s);
		if (!s.up[0].connected)
			break;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	ck_assert_int_eq(s.up[0].connected, 0);
	ck_assert_int_eq(ask(f, &w, 2, "t.test"), SDNS_OK);
	sdns_fwd_stats(f, &s);
	ck_assert_uint_eq(s.up[0].handshakes, 2);
	ck_assert_uint_eq(s.up[0].resumed, 1);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_reconfigure_from_bad_pin_to_good_pin)
{
	const char *bad[] = { BAD_PIN };
	sdns_fwd *f = make_fwd("localhost", bad, 1, 0);
	waiter w;
	ck_assert_int_eq(ask(f, &w, 1, "a.test"), SDNS_ECERT);
	const char *good[] = { ub.pin };
	sdns_fwd_upstream up = { .addr = ub.addr, .fqdn = "localhost",
	                         .pins = good, .n_pins = 1, .ca_file = ub.ca };
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1 };
	ck_assert_int_eq(sdns_fwd_reconfigure(f, &c, NULL, 0), SDNS_OK);
	ck_assert_int_eq(ask(f, &w, 2, "a.test"), SDNS_OK);
	ck_assert_int_eq(sdns_test_unbound_queries(&ub), 1);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_bad_configuration_is_refused)
{
	const char *badpin[] = { "not-a-pin" };
	const char *shortpin[] = { "AAAA" };
	sdns_fwd_upstream ups[] = {
		{ .addr = "127.0.0.1:99999" },
		{ .addr = "nohost:853" },
		{ .addr = "127.0.0.1:853", .pins = badpin, .n_pins = 1 },
		{ .addr = "127.0.0.1:853", .pins = shortpin, .n_pins = 1 },
		{ .addr = "127.0.0.1:853", .ca_file = "/nonexistent/ca.pem" },
		{ .addr = NULL },
	};
	for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
		sdns_fwd_conf c = { .upstreams = &ups[i], .n_upstreams = 1 };
		sdns_fwd *f = NULL;
		char err[200] = "";
		ck_assert_int_eq(sdns_fwd_new(&c, &f, err, sizeof(err)),
		                 SDNS_ECONFIG);
		ck_assert_ptr_null(f);
		ck_assert(err[0] != 0);
	}
	sdns_fwd_conf none = { .upstreams = ups, .n_upstreams = 0 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&none, &f, NULL, 0), SDNS_ECONFIG);
}
END_TEST

START_TEST(test_bad_query_lengths_and_reconfigure_are_refused)
{
	sdns_fwd_upstream up = { .addr = "[::1]:853" };
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&c, &f, NULL, 0), SDNS_OK);
	uint8_t q[16] = { 0 };
	waiter w;
	waiter_init(&w);
	ck_assert_int_eq(sdns_fwd_query(f, q, 11, on_answer, &w), SDNS_EINVAL);
	ck_assert_int_eq(sdns_fwd_query(f, q, 65536, on_answer, &w),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_fwd_query(f, NULL, 12, on_answer, &w),
	                 SDNS_EINVAL);
	sdns_fwd_upstream bad = { .addr = "::1]:1" };
	sdns_fwd_conf bc = { .upstreams = &bad, .n_upstreams = 1 };
	ck_assert_int_eq(sdns_fwd_reconfigure(f, &bc, NULL, 0), SDNS_ECONFIG);
	sdns_fwd_free(f);
}
END_TEST

START_TEST(test_free_fails_pending_queries_with_closed)
{
	/* Freed right after submitting: whatever has not been answered yet
	 * must still get its one callback. */
	sdns_fwd_upstream up = { .addr = ub.addr, .fqdn = "localhost",
	                         .ca_file = ub.ca };
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&c, &f, NULL, 0), SDNS_OK);
	waiter w[20];
	uint8_t q[300];
	for (int i = 0; i < 20; i++) {
		waiter_init(&w[i]);
		size_t n = make_query(q, (uint16_t)i, "a.test", 1);
		ck_assert_int_eq(sdns_fwd_query(f, q, n, on_answer, &w[i]), 0);
	}
	sdns_fwd_free(f);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(w[i].done, 1);  /* every callback ran once */
		ck_assert(w[i].err == SDNS_OK || w[i].err == SDNS_ECLOSED);
	}
}
END_TEST

/* A lying DoT upstream on the unbound fixture's certificate: odd IDs get
 * their QTYPE's 0x20 bit flipped (65 HTTPS comes back as 97), even IDs an
 * honest echo with the name in upper case (0x20 games are allowed). */
typedef struct {
	int lfd, port;
	pthread_t th;
} liar;

static bool read_full(SSL *ssl, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int r = SSL_read(ssl, buf + got, (int)(n - got));
		if (r <= 0) return false;
		got += (size_t)r;
	}
	return true;
}

static void *liar_main(void *arg)
{
	liar *l = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char pem[300], key[300];
	snprintf(pem, sizeof pem, "%s/server.pem", ub.dir);
	snprintf(key, sizeof key, "%s/server.key", ub.dir);
	SSL_CTX_use_certificate_chain_file(ctx, pem);
	SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
	int fd = accept(l->lfd, NULL, NULL);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	uint8_t m[514];
	if (SSL_accept(ssl) == 1) {
		while (read_full(ssl, m, 2)) {
			size_t n = (size_t)m[0] << 8 | m[1];
			if (n < 17 || n > 512 || !read_full(ssl, m + 2, n)) break;
			uint8_t *q = m + 2;
			q[2] |= 0x80; /* QR */
			if (q[1] & 1)
				q[n - 3] ^= 0x20; /* QTYPE low octet */
			else
				for (size_t i = 12; i + 4 < n; i++)
					if (q[i] >= 'a' && q[i] <= 'z') q[i] -= 32;
			if (SSL_write(ssl, m, (int)(n + 2)) <= 0) break;
		}
	}
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return NULL;
}

static void liar_start(liar *l)
{
	l->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	ck_assert_int_eq(bind(l->lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(l->lfd, 4), 0);
	getsockname(l->lfd, (struct sockaddr *)&a, &al);
	l->port = ntohs(a.sin_port);
	pthread_create(&l->th, NULL, liar_main, l);
}

static int ask_type(sdns_fwd *f, waiter *w, uint16_t id, uint16_t type)
{
	uint8_t q[300];
	waiter_init(w);
	size_t n = make_query(q, id, "a.test", type);
	ck_assert_int_eq(sdns_fwd_query(f, q, n, on_answer, w), 0);
	ck_assert_int_eq(waiter_wait(w), 0);
	return w->err;
}

START_TEST(test_answer_with_another_qtype_is_not_taken)
{
	liar l;
	liar_start(&l);
	char addr[40];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", l.port);
	const char *pins[] = { ub.pin };
	sdns_fwd_upstream up = { .addr = addr, .fqdn = "localhost", .pins = pins,
	                         .n_pins = 1, .ca_file = ub.ca };
	sdns_fwd_conf c = { .upstreams = &up, .n_upstreams = 1,
	                    .timeout_ms = 600, .backoff_min_ms = 20,
	                    .backoff_max_ms = 100 };
	sdns_fwd *f = NULL;
	ck_assert_int_eq(sdns_fwd_new(&c, &f, NULL, 0), SDNS_OK);
	waiter w;
	/* honest but upper-cased: taken, the answer says QTYPE 65 */
	ck_assert_int_eq(ask_type(f, &w, 2, 65), SDNS_OK);
	ck_assert_uint_eq(w.ans[w.len - 3], 65);
	/* QTYPE 65 answered as 97: dropped, the query runs out of time */
	ck_assert_int_ne(ask_type(f, &w, 3, 65), SDNS_OK);
	sdns_fwd_free(f);
	close(l.lfd);
	pthread_join(l.th, NULL);
}
END_TEST

Suite *fwd_suite(void);
Suite *fwd_suite(void)
{
	Suite *s = suite_create("fwd");
	TCase *tc = tcase_create("unbound");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, up_setup, up_teardown);
	tcase_add_test(tc, test_local_data_name_is_answered_with_callers_id);
	tcase_add_test(tc, test_hundred_pipelined_queries_share_one_connection);
	tcase_add_test(tc, test_wrong_pin_fails_logs_presented_pin_and_sends_nothing);
	tcase_add_test(tc, test_pin_set_with_stale_and_good_pin_works);
	tcase_add_test(tc, test_empty_pin_set_checks_chain_and_ip_name);
	tcase_add_test(tc, test_wrong_fqdn_fails_and_sends_nothing);
	tcase_add_test(tc, test_untrusted_ca_fails);
	tcase_add_test(tc, test_upstream_down_fails_in_time_then_recovers);
	tcase_add_test(tc, test_failover_to_second_upstream_when_first_is_dead);
	tcase_add_test(tc, test_session_is_resumed_on_reconnect);
	tcase_add_test(tc, test_reconfigure_from_bad_pin_to_good_pin);
	tcase_add_test(tc, test_free_fails_pending_queries_with_closed);
	tcase_add_test(tc, test_answer_with_another_qtype_is_not_taken);
	suite_add_tcase(s, tc);
	TCase *cfg = tcase_create("config");
	tcase_add_test(cfg, test_bad_configuration_is_refused);
	tcase_add_test(cfg, test_bad_query_lengths_and_reconfigure_are_refused);
	suite_add_tcase(s, cfg);
	return s;
}

SDNS_TEST_MAIN(fwd_suite)
