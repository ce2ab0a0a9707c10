/* Tests for api/server.c's connection policy: before a request has
 * authenticated, a connection is cheap for an attacker and costly for us,
 * so one address holds at most max_per_address of them, the total is
 * larger than that, and an unauthenticated connection is closed after
 * handshake_timeout_s; an authenticated one then gets the long idle
 * timeout. Real sockets from loopback aliases (127.0.0.2 is an address of
 * lo on Linux without any set-up). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testapi.h"
#include "testlib.h"
#include "testpg.h"
#include "testsse.h"

#define IDLE_SOCKETS 300
#define PER_ADDR 32

static sdns_testapi t;

static void tune(sdns_api_conf *c)
{
	c->max_per_address = PER_ADDR;     /* the default, said out loud */
	c->handshake_timeout_s = 3;
	c->timeout_s = 30;
	c->keepalive_ms = 20000;           /* no traffic on idle streams */
	c->threads = 2;
}

static void setup(void) { sdns_testapi_setup(&t, "sdns-apisrv", tune); }
static void teardown(void) { sdns_testapi_teardown(&t); }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP connection from src to the API that never sends a byte. */
static int idle_socket(const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in me = {.sin_family = AF_INET};
	inet_pton(AF_INET, src, &me.sin_addr);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(t.port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* True when the server has closed fd (EOF or reset) within ms; what it
 * sends first (a TLS alert on a timeout) is read and dropped. */
static bool closed_within(int fd, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(end - now_ms());
		if (poll(&p, 1, left > 0 ? left : 0) <= 0) return false;
		char buf[256];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) return true;
		if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
	}
}

static int admin_get(int64_t *took_ms)
{
	sdns_http_resp r;
	int64_t t0 = now_ms();
	int st = sdns_testapi_req(&t, "admin", "GET", "/zones", NULL, NULL, &r);
	*took_ms = now_ms() - t0;
	sdns_http_resp_free(&r);
	return st;
}

START_TEST(test_admin_is_served_while_one_address_holds_hundreds_of_sockets)
{
	int fds[IDLE_SOCKETS];
	int64_t opened = now_ms();
	for (int i = 0; i < IDLE_SOCKETS; i++) fds[i] = idle_socket("127.0.0.2");
	int64_t took;
	ck_assert_int_eq(admin_get(&took), 200);
	fprintf(stderr, "api_server: admin GET /zones took %lld ms beside %d "
	        "idle sockets from 127.0.0.2\n", (long long)took, IDLE_SOCKETS);
	ck_assert_msg(took < 2000, "admin request took %lld ms", (long long)took);
	/* The address got its share and no more: the rest were closed as
	 * they were accepted, before the handshake timeout (3 s) could. */
	int closed = 0;
	bool gone[IDLE_SOCKETS] = {false};
	while (closed < IDLE_SOCKETS - PER_ADDR && now_ms() - opened < 2500) {
		for (int i = 0; i < IDLE_SOCKETS; i++)
			if (!gone[i] && closed_within(fds[i], 0))
				gone[i] = true, closed++;
		usleep(20000);
	}
	ck_assert_msg(closed >= IDLE_SOCKETS - PER_ADDR,
	              "only %d of %d closed within 2.5 s", closed, IDLE_SOCKETS);
	/* Another address is not affected either. */
	sdns_http_set_source("127.0.0.3");
	ck_assert_int_eq(admin_get(&took), 200);
	sdns_http_set_source(NULL);
	for (int i = 0; i < IDLE_SOCKETS; i++) close(fds[i]);
}
END_TEST

START_TEST(test_unauthenticated_idle_connection_is_closed_after_the_handshake_timeout)
{
	int fd = idle_socket("127.0.0.4");
	int64_t t0 = now_ms();
	ck_assert_msg(closed_within(fd, 8000),
	              "an idle connection was kept for 8 s");
	int64_t took = now_ms() - t0;
	ck_assert_msg(took >= 2000, "closed after %lld ms", (long long)took);
	close(fd);
}
END_TEST

START_TEST(test_authenticated_stream_outlives_the_handshake_timeout)
{
	char ca[300], cert[300], key[300];
	sdns_testapi_files(&t, "admin", ca, cert, key, sizeof(ca));
	sdns_sse c;
	ck_assert_int_eq(sdns_sse_open(&c, t.port, ca, cert, key, "/events", 0),
	                 200);
	ck_assert(sdns_sse_wait(&c, "retry: 2000\n\n", 10000));
	/* Two handshake timeouts with no byte either way. */
	ck_assert(!sdns_sse_wait_eof(&c, 7000));
	sdns_http_resp r;
	ck_assert_int_eq(sdns_testapi_req(&t, "admin", "POST", "/zones/late.test",
	                                  NULL, NULL, &r), 201);
	sdns_http_resp_free(&r);
	ck_assert(sdns_sse_wait(&c, "\"zone\":\"late.test\"", 10000));
	sdns_sse_close(&c);
}
END_TEST

/* 8 addresses with 32 each would fill the 256 places. Past half of them,
 * an address that holds 4 gets no more, so 12 such addresses hold at
 * most 4 x 32 + 8 x 4 (+ a few accepted meanwhile) and there is room. */
#define CROWD_ADDRS 12
START_TEST(test_many_addresses_with_full_shares_leave_room)
{
	static int fds[CROWD_ADDRS * PER_ADDR];
	int n = 0;
	for (int a = 0; a < CROWD_ADDRS; a++) {
		char src[32];
		snprintf(src, sizeof(src), "127.0.3.%d", a + 1);
		for (int i = 0; i < PER_ADDR; i++) fds[n++] = idle_socket(src);
	}
	usleep(100000);
	int64_t took;
	ck_assert_int_eq(admin_get(&took), 200);
	fprintf(stderr, "api_server: admin GET /zones took %lld ms beside %d "
	        "idle sockets from %d addresses\n", (long long)took, n,
	        CROWD_ADDRS);
	ck_assert_msg(took < 2000, "admin request took %lld ms", (long long)took);
	int closed = 0;
	for (int i = 0; i < n; i++) closed += closed_within(fds[i], 0);
	ck_assert_msg(n - closed <= 4 * PER_ADDR + 8 * 4 + 16,
	              "%d idle sockets kept", n - closed);
	for (int i = 0; i < n; i++) close(fds[i]);
}
END_TEST

static Suite *api_server_suite(void)
{
	Suite *s = suite_create("api_server");
	TCase *tc = tcase_create("limits");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_admin_is_served_while_one_address_holds_hundreds_of_sockets);
	tcase_add_test(tc, test_many_addresses_with_full_shares_leave_room);
	tcase_add_test(tc, test_unauthenticated_idle_connection_is_closed_after_the_handshake_timeout);
	tcase_add_test(tc, test_authenticated_stream_outlives_the_handshake_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_server_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
