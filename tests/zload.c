/* Tests for src/zone/zload.c: "[ORIGIN=]FILE" specs of --zone-file and
 * `sdnsctl zone check`. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zload.h"
#include "testlib.h"

static char dir[256], file[300];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-zload", dir, sizeof dir), 0);
	snprintf(file, sizeof file, "%s/z.txt", dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	/* relative names only: the origin comes from the spec */
	fputs("$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 1209600 300\n"
	      "www IN A 10.0.0.1\n", f);
	fclose(f);
}

static void teardown(void)
{
	sdns_test_rmtree(dir);
}

static void apex_is(const char *spec, const char *want)
{
	sdns_zone *z = NULL;
	char err[512] = "";
	ck_assert_msg(sdns_zload_spec(spec, &z, err, sizeof err) == SDNS_OK,
	              "%s: %s", spec, err);
	char text[300];
	sdns_name_to_str(sdns_zone_apex(z), text, sizeof text);
	ck_assert_str_eq(text, want);
	sdns_zone_free(z);
}

START_TEST(test_origin_with_or_without_the_final_dot)
{
	char spec[400];
	snprintf(spec, sizeof spec, "e.mesh.=%s", file);
	apex_is(spec, "e.mesh.");
	snprintf(spec, sizeof spec, "e.mesh=%s", file);
	apex_is(spec, "e.mesh.");
}
END_TEST

START_TEST(test_neither_reading_says_which_part_is_wrong)
{
	char spec[400], err[512] = "";
	sdns_zone *z = NULL;
	snprintf(spec, sizeof spec, "bad..name=%s", file);
	ck_assert_int_eq(sdns_zload_spec(spec, &z, err, sizeof err), SDNS_ENAME);
	ck_assert_msg(strstr(err, "'bad..name' in '") &&
	              strstr(err, "is not a zone name"), "%s", err);
	/* a name that is fine but a file that is missing names the file */
	snprintf(spec, sizeof spec, "e.mesh=%s/nope.txt", dir);
	ck_assert_int_lt(sdns_zload_spec(spec, &z, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "nope.txt"), "%s", err);
}
END_TEST

Suite *zload_suite(void);
Suite *zload_suite(void)
{
	Suite *s = suite_create("zload");
	TCase *tc = tcase_create("spec");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_origin_with_or_without_the_final_dot);
	tcase_add_test(tc, test_neither_reading_says_which_part_is_wrong);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(zload_suite)
