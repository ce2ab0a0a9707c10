/* Tests for src/zone/zoneset.c: longest apex, ordering, references. */
#include <string.h>

#include "sdns/error.h"
#include "sdns/zone.h"
#include "testlib.h"
#include "zonetest.h"

static sdns_name N(const char *s) { return zt_name(s, NULL); }

static sdns_zone *mkzone(const char *apex)
{
	static const char *const lines[] = {
		"@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300", NULL,
	};
	return zt_zone(apex, lines);
}

static bool apex_is(const sdns_zone *z, const char *apex)
{
	sdns_name n = N(apex);
	return z && sdns_name_eq_ci(sdns_zone_apex(z), &n);
}

static sdns_zoneset *mkset(void)
{
	sdns_zone *zones[] = { mkzone("sub.example."), mkzone("example."),
	                       mkzone("other."), mkzone("a.b.c.sub.example.") };
	sdns_zoneset *s = NULL;
	ck_assert_int_eq(sdns_zoneset_new(zones, 4, &s), SDNS_OK);
	return s;
}

START_TEST(test_longest_apex_wins)
{
	sdns_zoneset *s = mkset();
	sdns_name n = N("www.sub.example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "sub.example."));
	n = N("www.example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "example."));
	n = N("x.y.a.b.c.sub.example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "a.b.c.sub.example."));
	n = N("b.c.sub.example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "sub.example."));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_apex_itself_and_case_found)
{
	sdns_zoneset *s = mkset();
	sdns_name n = N("SUB.Example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "sub.example."));
	n = N("OTHER.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "other."));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_names_outside_every_zone_not_found)
{
	sdns_zoneset *s = mkset();
	sdns_name n = N("www.example.org.");
	ck_assert_ptr_null(sdns_zoneset_find(s, &n));
	n = N(".");
	ck_assert_ptr_null(sdns_zoneset_find(s, &n));
	n = N("notexample.");
	ck_assert_ptr_null(sdns_zoneset_find(s, &n));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_root_zone_encloses_everything)
{
	sdns_zone *zones[] = { mkzone("."), mkzone("example.") };
	sdns_zoneset *s = NULL;
	ck_assert_int_eq(sdns_zoneset_new(zones, 2, &s), SDNS_OK);
	sdns_name n = N("www.example.org.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "."));
	n = N("www.example.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "example."));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_zones_in_canonical_order)
{
	sdns_zoneset *s = mkset();
	ck_assert_uint_eq(sdns_zoneset_count(s), 4);
	ck_assert(apex_is(sdns_zoneset_at(s, 0), "example."));
	ck_assert(apex_is(sdns_zoneset_at(s, 1), "sub.example."));
	ck_assert(apex_is(sdns_zoneset_at(s, 2), "a.b.c.sub.example."));
	ck_assert(apex_is(sdns_zoneset_at(s, 3), "other."));
	ck_assert_ptr_null(sdns_zoneset_at(s, 4));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_empty_set_finds_nothing)
{
	sdns_zoneset *s = NULL;
	ck_assert_int_eq(sdns_zoneset_new(NULL, 0, &s), SDNS_OK);
	sdns_name n = N("example.");
	ck_assert_ptr_null(sdns_zoneset_find(s, &n));
	ck_assert_uint_eq(sdns_zoneset_count(s), 0);
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_duplicate_apex_refused_and_zones_kept)
{
	sdns_zone *zones[] = { mkzone("example."), mkzone("EXAMPLE.") };
	sdns_zoneset *s = NULL;
	ck_assert_int_eq(sdns_zoneset_new(zones, 2, &s), SDNS_EEXIST);
	ck_assert_ptr_null(s);
	sdns_zone_free(zones[0]);
	sdns_zone_free(zones[1]);
}
END_TEST

START_TEST(test_bad_arguments_refused)
{
	sdns_zoneset *s = NULL;
	sdns_zone *zones[] = { NULL };
	ck_assert_int_eq(sdns_zoneset_new(zones, 1, &s), SDNS_EINVAL);
	ck_assert_int_eq(sdns_zoneset_new(NULL, 1, &s), SDNS_EINVAL);
	ck_assert_int_eq(sdns_zoneset_new(NULL, 0, NULL), SDNS_EINVAL);
	sdns_zoneset_unref(NULL);
	sdns_zoneset_ref(NULL);
}
END_TEST

START_TEST(test_refs_keep_set_alive)
{
	/* Under ASan a premature free shows up as a use after free. */
	sdns_zoneset *s = mkset();
	sdns_zoneset_ref(s);
	sdns_zoneset_unref(s);
	sdns_name n = N("www.other.");
	ck_assert(apex_is(sdns_zoneset_find(s, &n), "other."));
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_replace_swaps_one_zone_and_shares_the_rest)
{
	sdns_zoneset *s1 = mkset();
	const sdns_zone *old_other = sdns_zoneset_at(s1, 3);
	const sdns_zone *sub = sdns_zoneset_at(s1, 1);
	sdns_zone *z = mkzone("OTHER.");
	sdns_zoneset *s2 = NULL;
	ck_assert_int_eq(sdns_zoneset_replace(s1, NULL, z, &s2), SDNS_OK);
	ck_assert_uint_eq(sdns_zoneset_count(s2), 4);
	sdns_name n = N("www.other.");
	ck_assert_ptr_eq(sdns_zoneset_find(s2, &n), z);
	ck_assert_ptr_eq(sdns_zoneset_find(s1, &n), old_other);
	/* The other zones are shared and outlive the first set. */
	ck_assert_ptr_eq(sdns_zoneset_at(s2, 1), sub);
	sdns_zoneset_unref(s1);
	n = N("www.sub.example.");
	ck_assert(apex_is(sdns_zoneset_find(s2, &n), "sub.example."));
	sdns_zoneset_unref(s2);
}
END_TEST

START_TEST(test_replace_without_zone_removes_it)
{
	sdns_zoneset *s1 = mkset(), *s2 = NULL;
	sdns_name apex = N("Sub.Example.");
	ck_assert_int_eq(sdns_zoneset_replace(s1, &apex, NULL, &s2), SDNS_OK);
	ck_assert_uint_eq(sdns_zoneset_count(s2), 3);
	sdns_name n = N("www.sub.example.");
	ck_assert(apex_is(sdns_zoneset_find(s2, &n), "example."));
	ck_assert(apex_is(sdns_zoneset_find(s1, &n), "sub.example."));
	sdns_zoneset_unref(s2);
	sdns_zoneset_unref(s1);
}
END_TEST

START_TEST(test_replace_adds_a_missing_zone)
{
	sdns_zoneset *s1 = mkset(), *s2 = NULL, *s3 = NULL;
	sdns_zone *z = mkzone("new.");
	ck_assert_int_eq(sdns_zoneset_replace(s1, NULL, z, &s2), SDNS_OK);
	ck_assert_uint_eq(sdns_zoneset_count(s2), 5);
	ck_assert_uint_eq(sdns_zoneset_count(s1), 4);
	sdns_zoneset_unref(s1);
	/* Removing an absent apex copies the set. */
	sdns_name gone = N("absent.");
	ck_assert_int_eq(sdns_zoneset_replace(s2, &gone, NULL, &s3), SDNS_OK);
	ck_assert_uint_eq(sdns_zoneset_count(s3), 5);
	sdns_zoneset_unref(s2);
	sdns_name n = N("a.new.");
	ck_assert_ptr_eq(sdns_zoneset_find(s3, &n), z);
	sdns_zoneset_unref(s3);
}
END_TEST

START_TEST(test_replace_from_no_set_makes_one_zone_set)
{
	sdns_zoneset *s = NULL;
	sdns_zone *z = mkzone("example.");
	ck_assert_int_eq(sdns_zoneset_replace(NULL, NULL, z, &s), SDNS_OK);
	ck_assert_uint_eq(sdns_zoneset_count(s), 1);
	ck_assert_ptr_eq(sdns_zoneset_at(s, 0), z);
	sdns_zoneset_unref(s);
}
END_TEST

START_TEST(test_replace_bad_arguments_refused)
{
	sdns_zoneset *s1 = mkset(), *s2 = NULL;
	ck_assert_int_eq(sdns_zoneset_replace(s1, NULL, NULL, &s2), SDNS_EINVAL);
	ck_assert_ptr_null(s2);
	sdns_zone *z = mkzone("x.");
	ck_assert_int_eq(sdns_zoneset_replace(s1, NULL, z, NULL), SDNS_EINVAL);
	sdns_zone_free(z); /* refused: still the caller's */
	sdns_zoneset_unref(s1);
}
END_TEST

START_TEST(test_zone_ref_keeps_zone_after_free)
{
	sdns_zone *z = mkzone("example.");
	sdns_zone_ref(z);
	sdns_zone_free(z);
	ck_assert_uint_eq(sdns_zone_serial(z), 1);
	sdns_zone_free(z);
	sdns_zone_ref(NULL);
	sdns_zone_free(NULL);
}
END_TEST

static Suite *zoneset_suite(void)
{
	Suite *s = suite_create("zoneset");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_longest_apex_wins);
	tcase_add_test(tc, test_apex_itself_and_case_found);
	tcase_add_test(tc, test_names_outside_every_zone_not_found);
	tcase_add_test(tc, test_root_zone_encloses_everything);
	tcase_add_test(tc, test_zones_in_canonical_order);
	tcase_add_test(tc, test_empty_set_finds_nothing);
	tcase_add_test(tc, test_duplicate_apex_refused_and_zones_kept);
	tcase_add_test(tc, test_bad_arguments_refused);
	tcase_add_test(tc, test_refs_keep_set_alive);
	tcase_add_test(tc, test_replace_swaps_one_zone_and_shares_the_rest);
	tcase_add_test(tc, test_replace_without_zone_removes_it);
	tcase_add_test(tc, test_replace_adds_a_missing_zone);
	tcase_add_test(tc, test_replace_from_no_set_makes_one_zone_set);
	tcase_add_test(tc, test_replace_bad_arguments_refused);
	tcase_add_test(tc, test_zone_ref_keeps_zone_after_free);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(zoneset_suite)
