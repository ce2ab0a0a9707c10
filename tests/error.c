/* Tests for src/util/error.c: every code has words; errno mapping. */
#include <errno.h>

#include "sdns/error.h"
#include "testlib.h"

START_TEST(test_every_error_code_has_words)
{
	for (int e = SDNS_ERR_MIN; e <= 0; e++)
		ck_assert_str_ne(sdns_strerror(e), "unknown error");
	ck_assert_str_eq(sdns_strerror(1), "unknown error");
	ck_assert_str_eq(sdns_strerror(SDNS_ERR_MIN - 1), "unknown error");
}
END_TEST

START_TEST(test_errno_maps_to_codes)
{
	ck_assert_int_eq(sdns_err_from_errno(EEXIST), SDNS_EEXIST);
	ck_assert_int_eq(sdns_err_from_errno(ENOENT), SDNS_ENOTFOUND);
	ck_assert_int_eq(sdns_err_from_errno(EACCES), SDNS_EIO);
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_every_error_code_has_words);
	tcase_add_test(tc, test_errno_maps_to_codes);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(error_suite)
