/* Tests for src/dns/name_text.c: names in presentation form. */
#include <string.h>

#include "sdns/error.h"
#include "sdns/name.h"
#include "testlib.h"

static int parse(const char *s, sdns_name *n, const sdns_name *origin)
{
	return sdns_name_from_str(n, s, strlen(s), origin);
}

static void wire_is(const sdns_name *n, const char *hex)
{
	uint8_t want[SDNS_NAME_MAX];
	int wl = sdns_test_hex(hex, want, sizeof(want));
	ck_assert_int_ge(wl, 1);
	ck_assert_int_eq(n->len, wl);
	ck_assert_mem_eq(n->data, want, (size_t)wl);
}

static void round_trip(const char *in, const char *want_out)
{
	sdns_name n;
	char buf[SDNS_NAME_STR_MAX];
	ck_assert_msg(parse(in, &n, NULL) == SDNS_OK, "parse %s", in);
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, want_out);
	sdns_name again;
	ck_assert_int_eq(parse(buf, &again, NULL), SDNS_OK);
	ck_assert_int_eq(again.len, n.len);
	ck_assert_mem_eq(again.data, n.data, n.len);
}

START_TEST(test_absolute_name_gives_wire_labels)
{
	sdns_name n;
	ck_assert_int_eq(parse("www.Example.", &n, NULL), SDNS_OK);
	wire_is(&n, "03 777777 07 4578616d706c65 00");
}
END_TEST

START_TEST(test_root_is_single_zero_octet)
{
	sdns_name n;
	char buf[8];
	ck_assert_int_eq(parse(".", &n, NULL), SDNS_OK);
	wire_is(&n, "00");
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, ".");
}
END_TEST

START_TEST(test_relative_name_appends_origin)
{
	sdns_name origin, n;
	ck_assert_int_eq(parse("example.", &origin, NULL), SDNS_OK);
	ck_assert_int_eq(parse("a.b", &n, &origin), SDNS_OK);
	wire_is(&n, "0161 0162 076578616d706c65 00");
}
END_TEST

START_TEST(test_at_is_the_origin)
{
	sdns_name origin, n;
	ck_assert_int_eq(parse("example.", &origin, NULL), SDNS_OK);
	ck_assert_int_eq(parse("@", &n, &origin), SDNS_OK);
	wire_is(&n, "076578616d706c65 00");
}
END_TEST

START_TEST(test_relative_or_at_without_origin_is_syntax_error)
{
	sdns_name n;
	ck_assert_int_eq(parse("www", &n, NULL), SDNS_ESYNTAX);
	ck_assert_int_eq(parse("@", &n, NULL), SDNS_ESYNTAX);
}
END_TEST

START_TEST(test_escapes_decode_to_octets)
{
	sdns_name n;
	ck_assert_int_eq(parse("a\\.b\\065\\000\\255.", &n, NULL), SDNS_OK);
	wire_is(&n, "06 612e62 41 00 ff 00");
}
END_TEST

START_TEST(test_bad_escapes_are_syntax_errors)
{
	static const char *const bad[] = {
		"a\\256.", "a\\1.", "a\\12.", "a\\12x.", "a\\", "\\99",
	};
	sdns_name n;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &n, NULL) == SDNS_ESYNTAX, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_empty_labels_are_syntax_errors)
{
	static const char *const bad[] = {"a..b.", ".a.", "..", "", "a b.", "a\tb."};
	sdns_name n;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &n, NULL) == SDNS_ESYNTAX, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_label_of_64_octets_is_elabel)
{
	char s[80];
	sdns_name n;
	memset(s, 'a', 63);
	strcpy(s + 63, ".");
	ck_assert_int_eq(parse(s, &n, NULL), SDNS_OK);
	memset(s, 'a', 64);
	strcpy(s + 64, ".");
	ck_assert_int_eq(parse(s, &n, NULL), SDNS_ELABEL);
}
END_TEST

START_TEST(test_name_over_255_octets_is_ename)
{
	/* 4 labels of 63 = 256 octets with lengths, + root = 257 */
	char s[300];
	size_t o = 0;
	for (int k = 0; k < 4; k++) {
		memset(s + o, 'a', 63);
		o += 63;
		s[o++] = '.';
	}
	s[o] = '\0';
	sdns_name n;
	ck_assert_int_eq(parse(s, &n, NULL), SDNS_ENAME);
	/* 3 x 63 + 61 -> 64*3 + 62 + 1 = 255: the longest legal name */
	o = 0;
	for (int k = 0; k < 3; k++) {
		memset(s + o, 'b', 63);
		o += 63;
		s[o++] = '.';
	}
	memset(s + o, 'c', 61);
	o += 61;
	s[o++] = '.';
	s[o] = '\0';
	ck_assert_int_eq(parse(s, &n, NULL), SDNS_OK);
	ck_assert_int_eq(n.len, 255);
}
END_TEST

START_TEST(test_relative_name_too_long_with_origin_is_ename)
{
	char s[300];
	memset(s, 'a', 63);
	s[63] = '.';
	memset(s + 64, 'a', 63);
	s[127] = '.';
	memset(s + 128, 'a', 63);
	s[191] = '.';
	memset(s + 192, 'a', 60);
	s[252] = '\0';
	sdns_name origin, n;
	ck_assert_int_eq(parse("example.", &origin, NULL), SDNS_OK);
	ck_assert_int_eq(parse(s, &n, &origin), SDNS_ENAME);
}
END_TEST

START_TEST(test_to_str_escapes_specials_and_nonprintables)
{
	round_trip("a\\.b\\\\c\\\"d\\(\\)\\;\\@\\$\\ e.", "a\\.b\\\\c\\\"d\\(\\)\\;\\@\\$\\ e.");
	round_trip("\\000\\010\\127\\200.x.", "\\000\\010\\127\\200.x.");
	round_trip("\\097b.", "ab.");
	round_trip("@x.", "\\@x.");
}
END_TEST

START_TEST(test_to_str_keeps_case_and_adds_trailing_dot)
{
	sdns_name origin, n;
	char buf[64];
	ck_assert_int_eq(parse("Example.", &origin, NULL), SDNS_OK);
	ck_assert_int_eq(parse("WwW", &n, &origin), SDNS_OK);
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, "WwW.Example.");
}
END_TEST

START_TEST(test_to_str_reports_espace)
{
	sdns_name n;
	char buf[13];
	ck_assert_int_eq(parse("www.example.", &n, NULL), SDNS_OK);
	ck_assert_int_eq(sdns_name_to_str(&n, buf, 12), SDNS_ESPACE);
	ck_assert_int_eq(sdns_name_to_str(&n, buf, 13), SDNS_OK);
	ck_assert_str_eq(buf, "www.example.");
}
END_TEST

START_TEST(test_longest_escaped_name_fits_str_max)
{
	/* every octet \DDD: 4 labels -> well under SDNS_NAME_STR_MAX */
	sdns_name n;
	n.len = 255;
	size_t o = 0;
	for (int k = 0; k < 3; k++) {
		n.data[o++] = 63;
		memset(n.data + o, 0x01, 63);
		o += 63;
	}
	n.data[o++] = 61;
	memset(n.data + o, 0xfe, 61);
	o += 61;
	n.data[o++] = 0;
	ck_assert_int_eq((int)o, 255);
	char buf[SDNS_NAME_STR_MAX];
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_OK);
	sdns_name back;
	ck_assert_int_eq(parse(buf, &back, NULL), SDNS_OK);
	ck_assert_mem_eq(back.data, n.data, 255);
}
END_TEST

START_TEST(test_to_str_refuses_malformed_wire)
{
	sdns_name n;
	char buf[64];
	n.len = 3;
	n.data[0] = 5; /* label runs past len */
	n.data[1] = 'a';
	n.data[2] = 0;
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_EINVAL);
	n.len = 2;
	n.data[0] = 1;
	n.data[1] = 'a'; /* no root label */
	ck_assert_int_eq(sdns_name_to_str(&n, buf, sizeof(buf)), SDNS_EINVAL);
}
END_TEST

START_TEST(test_text_need_not_be_nul_terminated)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_str(&n, "ab.cd.XXXX", 6, NULL), SDNS_OK);
	wire_is(&n, "026162 026364 00");
}
END_TEST

/* The owner rule of the API and sdnsctl. */
START_TEST(test_owner_in_zone_rule)
{
	sdns_name apex, n;
	ck_assert_int_eq(sdns_name_from_str(&apex, "z.mesh.", 7, NULL), SDNS_OK);
	static const struct { const char *in; int rc; const char *out; } t[] = {
		{ "@", SDNS_OK, "z.mesh." },
		{ "www", SDNS_OK, "www.z.mesh." },
		{ "www.z.mesh", SDNS_OK, "www.z.mesh." },
		{ "www.Z.MESH.", SDNS_OK, "www.Z.MESH." },
		{ "z.mesh", SDNS_OK, "z.mesh." },
		{ "mesh", SDNS_OK, "mesh.z.mesh." },
		{ "a\\.b", SDNS_OK, "a\\.b.z.mesh." },
		{ "x.example.com", SDNS_EZONE, NULL },
		{ "x.example.com.", SDNS_EZONE, NULL },
		{ "z.mesh.evil", SDNS_EZONE, NULL },
		{ "a..b", SDNS_ESYNTAX, NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		int rc = sdns_name_owner_in_zone(t[i].in, strlen(t[i].in), &apex, &n);
		ck_assert_msg(rc == t[i].rc, "%s: %d", t[i].in, rc);
		if (!t[i].out) continue;
		char buf[300];
		ck_assert_int_ge(sdns_name_to_str(&n, buf, sizeof buf), 0);
		ck_assert_str_eq(buf, t[i].out);
	}
	ck_assert_int_eq(sdns_name_owner_in_zone("", 0, &apex, &n), SDNS_ESYNTAX);
}
END_TEST

static Suite *name_text_suite(void)
{
	Suite *s = suite_create("name_text");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_absolute_name_gives_wire_labels);
	tcase_add_test(tc, test_root_is_single_zero_octet);
	tcase_add_test(tc, test_relative_name_appends_origin);
	tcase_add_test(tc, test_at_is_the_origin);
	tcase_add_test(tc, test_relative_or_at_without_origin_is_syntax_error);
	tcase_add_test(tc, test_escapes_decode_to_octets);
	tcase_add_test(tc, test_bad_escapes_are_syntax_errors);
	tcase_add_test(tc, test_empty_labels_are_syntax_errors);
	tcase_add_test(tc, test_label_of_64_octets_is_elabel);
	tcase_add_test(tc, test_name_over_255_octets_is_ename);
	tcase_add_test(tc, test_relative_name_too_long_with_origin_is_ename);
	tcase_add_test(tc, test_to_str_escapes_specials_and_nonprintables);
	tcase_add_test(tc, test_to_str_keeps_case_and_adds_trailing_dot);
	tcase_add_test(tc, test_to_str_reports_espace);
	tcase_add_test(tc, test_longest_escaped_name_fits_str_max);
	tcase_add_test(tc, test_to_str_refuses_malformed_wire);
	tcase_add_test(tc, test_text_need_not_be_nul_terminated);
	tcase_add_test(tc, test_owner_in_zone_rule);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(name_text_suite)
