/* Tests for src/rrl: token bucket, slip, prefix aggregation, bounded table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/rrl.h"
#include "testlib.h"

#define MS 1000000ull

static struct sockaddr_storage v4(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &s->sin6_addr), 1);
	return ss;
}

static sdns_rrl *mk(uint32_t rate, uint32_t burst, uint32_t slip, uint32_t max)
{
	sdns_rrl_conf c = { .rate = rate, .burst = burst, .slip = slip,
	                    .max_clients = max };
	sdns_rrl *r;
	ck_assert_int_eq(sdns_rrl_new(&c, &r), SDNS_OK);
	return r;
}

static enum sdns_rrl_verdict chk(sdns_rrl *r, const struct sockaddr_storage *ss,
                                 uint64_t now)
{
	return sdns_rrl_check(r, (const struct sockaddr *)ss, now);
}

START_TEST(test_burst_allowed_then_limited)
{
	sdns_rrl *r = mk(10, 5, 0, 1024);
	struct sockaddr_storage a = v4("192.0.2.1");
	for (int i = 0; i < 5; i++) ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_DROP);
	sdns_rrl_stats st;
	sdns_rrl_stats_get(r, &st);
	ck_assert_uint_eq(st.allowed, 5);
	ck_assert_uint_eq(st.dropped, 2);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_tokens_refill_with_passed_in_time)
{
	sdns_rrl *r = mk(10, 5, 0, 1024);
	struct sockaddr_storage a = v4("192.0.2.1");
	for (int i = 0; i < 5; i++) chk(r, &a, 0);
	ck_assert_int_eq(chk(r, &a, 50 * MS), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &a, 100 * MS), SDNS_RRL_ALLOW); /* one token */
	ck_assert_int_eq(chk(r, &a, 100 * MS), SDNS_RRL_DROP);
	/* Fractions add up: 20 ms + 80 ms is one token too. */
	ck_assert_int_eq(chk(r, &a, 120 * MS), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &a, 200 * MS), SDNS_RRL_ALLOW);
	/* A long pause refills to the burst, not beyond. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(chk(r, &a, 100000 * MS), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &a, 100000 * MS), SDNS_RRL_DROP);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_every_slip_th_limited_query_slips)
{
	sdns_rrl *r = mk(1, 1, 3, 1024);
	struct sockaddr_storage a = v4("192.0.2.1");
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	enum sdns_rrl_verdict want[] = {
		SDNS_RRL_DROP, SDNS_RRL_DROP, SDNS_RRL_SLIP,
		SDNS_RRL_DROP, SDNS_RRL_DROP, SDNS_RRL_SLIP,
	};
	for (size_t i = 0; i < 6; i++) ck_assert_int_eq(chk(r, &a, 0), want[i]);
	sdns_rrl_stats st;
	sdns_rrl_stats_get(r, &st);
	ck_assert_uint_eq(st.slipped, 2);
	ck_assert_uint_eq(st.dropped, 4);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_default_slip_is_every_other)
{
	sdns_rrl_conf c;
	sdns_rrl_conf_default(&c);
	ck_assert_uint_eq(c.slip, 2);
	c.burst = 1;
	sdns_rrl *r;
	ck_assert_int_eq(sdns_rrl_new(&c, &r), 0);
	struct sockaddr_storage a = v4("192.0.2.1");
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_SLIP);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_clients_have_separate_buckets)
{
	sdns_rrl *r = mk(1, 1, 0, 1024);
	struct sockaddr_storage a = v4("192.0.2.1"), b = v4("192.0.2.2");
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &b, 0), SDNS_RRL_ALLOW);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_ipv6_aggregated_by_64_prefix)
{
	sdns_rrl *r = mk(1, 2, 0, 1024);
	struct sockaddr_storage a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"),
	                        c = v6("2001:db8:1:3::1");
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &b, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &b, 0), SDNS_RRL_DROP);
	ck_assert_int_eq(chk(r, &c, 0), SDNS_RRL_ALLOW);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_v4_mapped_v6_shares_the_v4_bucket)
{
	sdns_rrl *r = mk(1, 1, 0, 1024);
	struct sockaddr_storage a = v4("192.0.2.7"), m = v6("::ffff:192.0.2.7");
	ck_assert_int_eq(chk(r, &a, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(chk(r, &m, 0), SDNS_RRL_DROP);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_table_is_bounded_and_recycles_old_clients)
{
	sdns_rrl *r = mk(1, 1, 0, 64);
	char ip[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		struct sockaddr_storage a = v4(ip);
		ck_assert_int_eq(chk(r, &a, (uint64_t)i), SDNS_RRL_ALLOW);
	}
	sdns_rrl_stats st;
	sdns_rrl_stats_get(r, &st);
	ck_assert_uint_ge(st.recycled, 5000 - 16 * 16);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_other_families_and_null_are_allowed)
{
	sdns_rrl *r = mk(1, 1, 0, 64);
	struct sockaddr_storage u;
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	for (int i = 0; i < 3; i++) ck_assert_int_eq(chk(r, &u, 0), SDNS_RRL_ALLOW);
	ck_assert_int_eq(sdns_rrl_check(r, NULL, 0), SDNS_RRL_ALLOW);
	sdns_rrl_free(r);
}
END_TEST

START_TEST(test_zero_rate_or_burst_is_einval)
{
	sdns_rrl_conf c = { .rate = 0, .burst = 1 };
	sdns_rrl *r;
	ck_assert_int_eq(sdns_rrl_new(&c, &r), SDNS_EINVAL);
	c.rate = 1;
	c.burst = 0;
	ck_assert_int_eq(sdns_rrl_new(&c, &r), SDNS_EINVAL);
	ck_assert_ptr_null(r);
}
END_TEST

static Suite *rrl_suite(void)
{
	Suite *s = suite_create("rrl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_burst_allowed_then_limited);
	tcase_add_test(tc, test_tokens_refill_with_passed_in_time);
	tcase_add_test(tc, test_every_slip_th_limited_query_slips);
	tcase_add_test(tc, test_default_slip_is_every_other);
	tcase_add_test(tc, test_clients_have_separate_buckets);
	tcase_add_test(tc, test_ipv6_aggregated_by_64_prefix);
	tcase_add_test(tc, test_v4_mapped_v6_shares_the_v4_bucket);
	tcase_add_test(tc, test_table_is_bounded_and_recycles_old_clients);
	tcase_add_test(tc, test_other_families_and_null_are_allowed);
	tcase_add_test(tc, test_zero_rate_or_burst_is_einval);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(rrl_suite)
