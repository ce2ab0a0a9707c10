/* Tests for src/zone/zone.c and zone_build.c: building checks and lookup. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zone.h"
#include "testlib.h"
#include "zonetest.h"

#define SOA "@ 3600 SOA ns1 hostmaster 2024010101 7200 900 1209600 300"

static const char *const basic[] = {
	SOA,
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	"www 60 A 192.0.2.2",
	"WWW 300 A 192.0.2.1",
	"a.b.c 300 TXT deep",
	"alias 300 CNAME www",
	NULL,
};

static sdns_name N(const char *s) { return zt_name(s, NULL); }

static int build_err(const char *const *lines, char *err, size_t cap)
{
	sdns_zone *z = NULL;
	int rc = zt_build("example.", lines, &z, err, cap);
	ck_assert_ptr_null(z);
	return rc;
}

START_TEST(test_find_is_case_insensitive)
{
	sdns_zone *z = zt_zone("example.", basic);
	sdns_name n = N("wWw.ExAmPlE.");
	const sdns_rrset *s = sdns_zone_find(z, &n, SDNS_T_A);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->type, SDNS_T_A);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_duplicates_dropped_and_ttl_is_lowest)
{
	sdns_zone *z = zt_zone("example.", basic);
	sdns_name n = N("www.example.");
	const sdns_rrset *s = sdns_zone_find(z, &n, SDNS_T_A);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->count, 2);
	ck_assert_uint_eq(s->ttl, 60);
	ck_assert_uint_eq(s->rdlen[0], 4);
	ck_assert_mem_eq(s->rdata[0], "\xc0\x00\x02\x01", 4);
	ck_assert_mem_eq(s->rdata[1], "\xc0\x00\x02\x02", 4);
	/* 8 lines, one exact duplicate. */
	ck_assert_uint_eq(sdns_zone_rr_count(z), 7);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_empty_non_terminals_exist)
{
	sdns_zone *z = zt_zone("example.", basic);
	sdns_name bc = N("b.c.example."), c = N("c.example.");
	sdns_name none = N("x.c.example."), abc = N("a.b.c.example.");
	ck_assert(sdns_zone_name_exists(z, &bc));
	ck_assert(sdns_zone_name_exists(z, &c));
	ck_assert(sdns_zone_name_exists(z, &abc));
	ck_assert(!sdns_zone_name_exists(z, &none));
	ck_assert_ptr_null(sdns_zone_find(z, &bc, SDNS_T_TXT));
	ck_assert_ptr_nonnull(sdns_zone_find(z, &abc, SDNS_T_TXT));
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_find_misses_other_type_and_name)
{
	sdns_zone *z = zt_zone("example.", basic);
	sdns_name www = N("www.example."), other = N("mail.example.");
	ck_assert_ptr_null(sdns_zone_find(z, &www, SDNS_T_AAAA));
	ck_assert_ptr_null(sdns_zone_find(z, &other, SDNS_T_A));
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_serial_and_apex_come_from_soa)
{
	sdns_zone *z = zt_zone("Example.", basic);
	ck_assert_uint_eq(sdns_zone_serial(z), 2024010101u);
	sdns_name apex = N("example.");
	ck_assert_uint_eq(sdns_zone_apex(z)->len, apex.len);
	ck_assert_mem_eq(sdns_zone_apex(z)->data, apex.data, apex.len);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_missing_soa_refused)
{
	static const char *const lines[] = { "www 300 A 192.0.2.1", NULL };
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "example.: no SOA record at the zone apex");
}
END_TEST

START_TEST(test_empty_zone_refused)
{
	static const char *const lines[] = { NULL };
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
}
END_TEST

START_TEST(test_two_soa_refused)
{
	static const char *const lines[] = {
		SOA, "@ 3600 SOA ns2 hostmaster 2 7200 900 1209600 300", NULL,
	};
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "example.: 2 SOA records at the apex; exactly "
	                      "one allowed");
}
END_TEST

START_TEST(test_identical_soa_twice_is_one)
{
	static const char *const lines[] = { SOA, SOA, NULL };
	sdns_zone *z = zt_zone("example.", lines);
	ck_assert_uint_eq(sdns_zone_rr_count(z), 1);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_soa_below_apex_refused)
{
	static const char *const lines[] = {
		SOA, "sub 3600 SOA ns1 hostmaster 2 7200 900 1209600 300", NULL,
	};
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "sub.example.: SOA below the zone apex");
}
END_TEST

START_TEST(test_cname_and_a_clash_refused)
{
	static const char *const lines[] = {
		SOA, "www 300 CNAME web", "www 300 A 192.0.2.1", NULL,
	};
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "www.example.: CNAME and A at the same name "
	                      "(RFC 1034 §3.6.2)");
}
END_TEST

START_TEST(test_two_cnames_refused)
{
	static const char *const lines[] = {
		SOA, "www 300 CNAME web", "www 300 CNAME web2", NULL,
	};
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "www.example.: 2 CNAME records; a name has at "
	                      "most one");
}
END_TEST

START_TEST(test_cname_at_apex_refused)
{
	static const char *const lines[] = { SOA, "@ 300 CNAME web", NULL };
	char err[256];
	ck_assert_int_eq(build_err(lines, err, sizeof(err)), SDNS_EZONE);
	ck_assert_str_eq(err, "example.: CNAME at the zone apex");
}
END_TEST

START_TEST(test_cname_with_rrsig_and_nsec_allowed)
{
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(zt_add(b, "example.", SOA), SDNS_OK);
	ck_assert_int_eq(zt_add(b, "example.", "www 300 CNAME web"), SDNS_OK);
	static const uint8_t rrsig[] = {
		0, 5, 15, 2, 0, 0, 1, 44, 0x65, 0, 0, 0, 0x64, 0, 0, 0, 0x12, 0x34,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0xab, 0xcd,
	};
	static const uint8_t nsec[] = {
		3, 'x', 'y', 'z', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 6, 0x04, 0, 0, 0, 0, 0x03,
	};
	sdns_rr rr = { N("www.example."), SDNS_T_RRSIG, SDNS_C_IN, 300,
	               sizeof(rrsig), rrsig };
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_OK);
	rr.type = SDNS_T_NSEC;
	rr.rdata = nsec;
	rr.rdlen = sizeof(nsec);
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_OK);
	sdns_zone *z = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &z, NULL, 0), SDNS_OK);
	ck_assert_ptr_nonnull(sdns_zone_find(z, &rr.owner, SDNS_T_RRSIG));
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_out_of_zone_record_refused_with_message)
{
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(zt_add(b, "example.", "www.other. 300 A 192.0.2.1"),
	                 SDNS_EZONE);
	ck_assert_str_eq(sdns_zbuild_error(b),
	                 "www.other. is outside the zone example.");
	/* A name that merely ends in the same letters is outside too. */
	ck_assert_int_eq(zt_add(b, "example.", "badexample. 300 A 192.0.2.1"),
	                 SDNS_EZONE);
	sdns_zbuild_free(b);
}
END_TEST

START_TEST(test_bad_rdata_refused)
{
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	static const uint8_t three[] = { 1, 2, 3 };
	static const uint8_t cname_trailing[] = { 1, 'a', 0, 9 };
	static const uint8_t cname_cut[] = { 5, 'a', 'b' };
	static const uint8_t short_soa[] = { 0, 0, 0, 0, 0, 1 };
	sdns_rr rr = { N("www.example."), SDNS_T_A, SDNS_C_IN, 300,
	               sizeof(three), three };
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	ck_assert_str_eq(sdns_zbuild_error(b), "www.example.: bad RDATA for type 1");
	rr.type = SDNS_T_AAAA;
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	rr.type = SDNS_T_CNAME;
	rr.rdata = cname_trailing;
	rr.rdlen = sizeof(cname_trailing);
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	rr.rdata = cname_cut;
	rr.rdlen = sizeof(cname_cut);
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	rr.type = SDNS_T_MX;
	rr.rdlen = 1;
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	rr.type = SDNS_T_SOA;
	rr.rdata = short_soa;
	rr.rdlen = sizeof(short_soa);
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_ERDATA);
	sdns_zbuild_free(b);
}
END_TEST

START_TEST(test_non_in_class_and_meta_types_refused)
{
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	static const uint8_t ip[] = { 192, 0, 2, 1 };
	sdns_rr rr = { N("www.example."), SDNS_T_A, SDNS_C_CH, 300, 4, ip };
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_EZONE);
	rr.rclass = SDNS_C_IN;
	rr.type = SDNS_T_OPT;
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_EZONE);
	rr.type = SDNS_T_ANY;
	ck_assert_int_eq(sdns_zbuild_add(b, &rr), SDNS_EZONE);
	sdns_zbuild_free(b);
}
END_TEST

START_TEST(test_bad_arguments)
{
	ck_assert_ptr_null(sdns_zbuild_new(NULL));
	sdns_zone *z = (sdns_zone *)1;
	ck_assert_int_eq(sdns_zbuild_finish(NULL, &z, NULL, 0), SDNS_EINVAL);
	ck_assert_ptr_null(z);
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(sdns_zbuild_add(b, NULL), SDNS_EINVAL);
	ck_assert_int_eq(sdns_zbuild_finish(b, NULL, NULL, 0), SDNS_EINVAL);
	sdns_zone_free(NULL);
	sdns_zbuild_free(NULL);
}
END_TEST

START_TEST(test_many_names_all_found)
{
	sdns_name apex = N("example.");
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(zt_add(b, "example.", SOA), SDNS_OK);
	char line[128];
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "h%d.g%d 300 A 10.0.%d.%d", i,
		         i % 7, i / 256, i % 256);
		ck_assert_int_eq(zt_add(b, "example.", line), SDNS_OK);
	}
	sdns_zone *z = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &z, NULL, 0), SDNS_OK);
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "H%d.G%d.example.", i, i % 7);
		sdns_name n = N(line);
		const sdns_rrset *s = sdns_zone_find(z, &n, SDNS_T_A);
		ck_assert_msg(s != NULL, "%s missing", line);
		ck_assert_uint_eq(s->rdata[0][3], (unsigned)(i % 256));
	}
	sdns_name g3 = N("g3.example.");
	ck_assert(sdns_zone_name_exists(z, &g3));
	sdns_zone_free(z);
}
END_TEST

/* --- sdns_zone_load_file --- */

static int load(const char *text, char *path, size_t pcap, sdns_zone **z,
                char *err, size_t ecap)
{
	char dir[256];
	ck_assert_int_eq(sdns_test_mkdtemp("zone", dir, sizeof(dir)), 0);
	snprintf(path, pcap, "%s/example.zone", dir);
	ck_assert_int_eq(sdns_test_write_file(path, text), 0);
	sdns_name origin = N("example.");
	int rc = sdns_zone_load_file(path, &origin, z, err, ecap);
	sdns_test_rmtree(dir);
	return rc;
}

START_TEST(test_load_file_builds_zone)
{
	static const char text[] =
		"$TTL 600\n"
		"@ IN SOA ns1 hostmaster ( 42 7200 900 1209600 300 )\n"
		"  IN NS ns1\n"
		"ns1 A 192.0.2.53\n"
		"www 300 A 192.0.2.1\n"
		"a.b TXT \"deep\"\n";
	char path[512], err[256] = "";
	sdns_zone *z = NULL;
	ck_assert_int_eq(load(text, path, sizeof(path), &z, err, sizeof(err)),
	                 SDNS_OK);
	ck_assert_uint_eq(sdns_zone_serial(z), 42);
	ck_assert_uint_eq(sdns_zone_rr_count(z), 5);
	sdns_name n = N("ns1.example.");
	const sdns_rrset *s = sdns_zone_find(z, &n, SDNS_T_A);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->ttl, 600);
	n = N("b.example.");
	ck_assert(sdns_zone_name_exists(z, &n));
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_load_file_default_ttl_before_dollar_ttl)
{
	static const char text[] =
		"@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"
		"www A 192.0.2.1\n";
	char path[512], err[256] = "";
	sdns_zone *z = NULL;
	ck_assert_int_eq(load(text, path, sizeof(path), &z, err, sizeof(err)),
	                 SDNS_OK);
	sdns_name n = N("www.example.");
	ck_assert_uint_eq(sdns_zone_find(z, &n, SDNS_T_A)->ttl,
	                  SDNS_ZONE_DEFAULT_TTL);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_load_file_out_of_zone_record_names_line)
{
	static const char text[] =
		"$TTL 600\n"
		"@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"
		"\n"
		"www.other. A 192.0.2.1\n";
	char path[512], err[256] = "", want[600];
	sdns_zone *z = NULL;
	ck_assert_int_eq(load(text, path, sizeof(path), &z, err, sizeof(err)),
	                 SDNS_EZONE);
	ck_assert_ptr_null(z);
	snprintf(want, sizeof(want),
	         "%s: line 4: www.other. is outside the zone example.", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_load_file_syntax_error_names_line)
{
	static const char text[] =
		"$TTL 600\n"
		"@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"
		"www A 300.1.1.1\n";
	char path[512], err[256] = "", want[600];
	sdns_zone *z = NULL;
	ck_assert_int_lt(load(text, path, sizeof(path), &z, err, sizeof(err)), 0);
	ck_assert_ptr_null(z);
	snprintf(want, sizeof(want), "%s: line 3: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got %s", err);
}
END_TEST

START_TEST(test_load_file_zone_check_failure_reported)
{
	static const char text[] = "$TTL 600\nwww A 192.0.2.1\n";
	char path[512], err[256] = "", want[600];
	sdns_zone *z = NULL;
	ck_assert_int_eq(load(text, path, sizeof(path), &z, err, sizeof(err)),
	                 SDNS_EZONE);
	snprintf(want, sizeof(want), "%s: example.: no SOA record at the zone "
	         "apex", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_load_missing_file_is_eio)
{
	sdns_name origin = N("example.");
	sdns_zone *z = NULL;
	char err[256] = "";
	ck_assert_int_eq(sdns_zone_load_file("/nonexistent/x.zone", &origin, &z,
	                                     err, sizeof(err)), SDNS_EIO);
	ck_assert_ptr_null(z);
	ck_assert_msg(strstr(err, "/nonexistent/x.zone") != NULL, "%s", err);
	ck_assert_int_eq(sdns_zone_load_file(NULL, &origin, &z, err,
	                                     sizeof(err)), SDNS_EINVAL);
}
END_TEST

static Suite *zone_suite(void)
{
	Suite *s = suite_create("zone");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_find_is_case_insensitive);
	tcase_add_test(tc, test_duplicates_dropped_and_ttl_is_lowest);
	tcase_add_test(tc, test_empty_non_terminals_exist);
	tcase_add_test(tc, test_find_misses_other_type_and_name);
	tcase_add_test(tc, test_serial_and_apex_come_from_soa);
	tcase_add_test(tc, test_missing_soa_refused);
	tcase_add_test(tc, test_empty_zone_refused);
	tcase_add_test(tc, test_two_soa_refused);
	tcase_add_test(tc, test_identical_soa_twice_is_one);
	tcase_add_test(tc, test_soa_below_apex_refused);
	tcase_add_test(tc, test_cname_and_a_clash_refused);
	tcase_add_test(tc, test_two_cnames_refused);
	tcase_add_test(tc, test_cname_at_apex_refused);
	tcase_add_test(tc, test_cname_with_rrsig_and_nsec_allowed);
	tcase_add_test(tc, test_out_of_zone_record_refused_with_message);
	tcase_add_test(tc, test_bad_rdata_refused);
	tcase_add_test(tc, test_non_in_class_and_meta_types_refused);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_many_names_all_found);
	tcase_add_test(tc, test_load_file_builds_zone);
	tcase_add_test(tc, test_load_file_default_ttl_before_dollar_ttl);
	tcase_add_test(tc, test_load_file_out_of_zone_record_names_line);
	tcase_add_test(tc, test_load_file_syntax_error_names_line);
	tcase_add_test(tc, test_load_file_zone_check_failure_reported);
	tcase_add_test(tc, test_load_missing_file_is_eio);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(zone_suite)
