/* Tests for src/pki: the CA, leaves, PKCS#12, pins, and the test fixture. */
#include <string.h>
#include <sys/stat.h>

#include "sdns/error.h"
#include "sdns/pki.h"
#include "testlib.h"
#include "testpki.h"

static char dir[512];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-pki", dir, sizeof(dir)), 0);
}

static void teardown(void)
{
	sdns_test_rmtree(dir);
}

START_TEST(test_fixture_makes_every_file)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
}
END_TEST

static Suite *pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixture_makes_every_file);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(pki_suite)
