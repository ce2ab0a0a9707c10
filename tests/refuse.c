/* Tests for api/refuse.c: refused authentications are audited at most
 * per_addr times a minute per address and total_max times a minute
 * overall; the rest is counted in /metrics and writes no row.
 *
 * The decision (api_refuse_budget) is tested with its clock; one test then
 * drives real refusals over HTTPS from two loopback aliases whose slot was
 * the same in the old 256-slot table (FNV-1a of the address, mod 256) and
 * counts the audit rows in PostgreSQL. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../api/api_int.h"
#include "sdns/error.h"
#include "testapi.h"
#include "testlib.h"
#include "testpg.h"

#define PER_ADDR 4
#define TOTAL 12

/* ---------- the decision ---------- */

static struct api_refuse *limiter(sdns_api *api, unsigned per, unsigned total)
{
	memset(api, 0, sizeof(*api));
	sdns_api_conf conf = {.refusals_audit_per_addr = per,
	                      .refusals_audit_max = total};
	ck_assert_int_eq(api_refuse_init(api, &conf), 0);
	return api->refuse;
}

static unsigned allowed(struct api_refuse *rf, const char *addr, int n,
                        time_t now)
{
	unsigned k = 0;
	for (int i = 0; i < n; i++) k += api_refuse_budget(rf, addr, now);
	return k;
}

START_TEST(test_each_address_has_its_own_budget_per_minute)
{
	sdns_api api;
	struct api_refuse *rf = limiter(&api, PER_ADDR, TOTAL);
	time_t now = 6000000;  /* a minute boundary */
	ck_assert_uint_eq(allowed(rf, "192.0.2.1", 10, now), PER_ADDR);
	ck_assert_uint_eq(allowed(rf, "192.0.2.2", 10, now + 30), PER_ADDR);
	/* A new minute, new budgets. */
	ck_assert_uint_eq(allowed(rf, "192.0.2.1", 10, now + 60), PER_ADDR);
	api_refuse_free(&api);
}
END_TEST

START_TEST(test_alternating_addresses_never_reset_each_other)
{
	sdns_api api;
	struct api_refuse *rf = limiter(&api, PER_ADDR, 1000);
	time_t now = 6000000;
	/* Many addresses taking turns: in any table with fewer slots than
	 * addresses some share a slot; none may reset another's count. */
	char a[64];
	unsigned k = 0;
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(a, sizeof(a), "2001:db8::%x", i);
			k += api_refuse_budget(rf, a, now);
		}
	ck_assert_uint_eq(k, 1000);   /* the overall cap, below 300 x 4 */
	api_refuse_free(&api);
	rf = limiter(&api, PER_ADDR, 10000);
	k = 0;
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 300; i++) {
			snprintf(a, sizeof(a), "2001:db8::%x", i);
			k += api_refuse_budget(rf, a, now);
		}
	ck_assert_uint_eq(k, 300 * PER_ADDR);
	api_refuse_free(&api);
}
END_TEST

START_TEST(test_overall_cap_holds_across_addresses)
{
	sdns_api api;
	struct api_refuse *rf = limiter(&api, PER_ADDR, TOTAL);
	time_t now = 6000000;
	char a[64];
	unsigned k = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		k += allowed(rf, a, 2, now);
	}
	ck_assert_uint_eq(k, TOTAL);
	/* And the table stays small: only audited addresses are kept. */
	ck_assert_uint_eq(allowed(rf, "198.51.100.1", 1, now + 60), 1);
	api_refuse_free(&api);
}
END_TEST

/* ---------- over HTTPS ---------- */

static sdns_testapi t;

static void tune(sdns_api_conf *c)
{
	c->refusals_audit_per_addr = PER_ADDR;
	c->refusals_audit_max = TOTAL;
}

static void setup(void) { sdns_testapi_setup(&t, "sdns-refuse", tune); }
static void teardown(void) { sdns_testapi_teardown(&t); }

/* The old table's slot of an address. */
static unsigned old_slot(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
	return h % 256;
}

static void refused_from(const char *src)
{
	sdns_http_set_source(src);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_testapi_req(&t, NULL, "GET", "/zones", NULL, NULL,
	                                  &r), 401);
	sdns_http_resp_free(&r);
	sdns_http_set_source(NULL);
}

/* The budgets are per minute: start where the whole test fits in one. */
static void minute_room(int seconds)
{
	while (time(NULL) % 60 > 60 - seconds) usleep(200000);
}

#define REFUSED_ROWS "SELECT count(*) FROM audit WHERE action = 'auth.refused'"

START_TEST(test_colliding_addresses_taking_turns_are_audited_per_limit)
{
	char a[32], b[32];
	bool found = false;
	for (int i = 2; i < 255 && !found; i++)
		for (int j = i + 1; j < 255 && !found; j++) {
			snprintf(a, sizeof(a), "127.0.0.%d", i);
			snprintf(b, sizeof(b), "127.0.0.%d", j);
			found = old_slot(a) == old_slot(b);
		}
	ck_assert(found);
	minute_room(15);
	long rows0 = sdns_testapi_count(&t, REFUSED_ROWS);
	long un0 = sdns_testapi_metric(&t,
		"sdns_api_auth_refused_unaudited_total");
	for (int i = 0; i < 3 * PER_ADDR; i++) {
		refused_from(a);
		refused_from(b);
	}
	ck_assert_int_eq(sdns_testapi_count(&t, REFUSED_ROWS) - rows0,
	                 2 * PER_ADDR);
	ck_assert_int_eq(sdns_testapi_metric(&t,
		"sdns_api_auth_refused_unaudited_total") - un0, 4 * PER_ADDR);
	ck_assert_int_eq(sdns_testapi_count(&t,
		"SELECT count(DISTINCT object) FROM audit WHERE action = "
		"'auth.refused'"), 2);
}
END_TEST

START_TEST(test_many_addresses_stop_at_the_overall_cap)
{
	sdns_testapi_restart(&t, tune);   /* the whole budget of a minute */
	minute_room(20);
	long rows0 = sdns_testapi_count(&t, REFUSED_ROWS);
	long un0 = sdns_testapi_metric(&t,
		"sdns_api_auth_refused_unaudited_total");
	char a[32];
	for (int i = 0; i < 2 * TOTAL; i++) {
		snprintf(a, sizeof(a), "127.0.1.%d", i + 1);
		refused_from(a);
	}
	ck_assert_int_eq(sdns_testapi_count(&t, REFUSED_ROWS) - rows0, TOTAL);
	ck_assert_int_eq(sdns_testapi_metric(&t,
		"sdns_api_auth_refused_unaudited_total") - un0, TOTAL);
}
END_TEST

static Suite *refuse_suite(void)
{
	Suite *s = suite_create("refuse");
	TCase *tc = tcase_create("budget");
	tcase_add_test(tc, test_each_address_has_its_own_budget_per_minute);
	tcase_add_test(tc, test_alternating_addresses_never_reset_each_other);
	tcase_add_test(tc, test_overall_cap_holds_across_addresses);
	suite_add_tcase(s, tc);
	tc = tcase_create("https");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_colliding_addresses_taking_turns_are_audited_per_limit);
	tcase_add_test(tc, test_many_addresses_stop_at_the_overall_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(refuse_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
