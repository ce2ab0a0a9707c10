/* Tests for src/dns/name.c: wire names, decompression limits, comparisons. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/name.h"
#include "testlib.h"

/* A C string literal of length-prefixed labels; its NUL is the root label. */
static sdns_name wire_name(const char *s)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)s, strlen(s) + 1, &n),
	                 SDNS_OK);
	return n;
}
#define N(s) wire_name(s)

/* Unpack the name at off inside hex-spelled bytes. */
static int unpack_hex(const char *hex, size_t off, sdns_name *out, size_t *end)
{
	uint8_t buf[1024];
	int len = sdns_test_hex(hex, buf, sizeof(buf));
	ck_assert_int_ge(len, 0);
	sdns_rd r;
	sdns_rd_init(&r, buf, (size_t)len);
	r.p += off;
	int rc = sdns_name_unpack(&r, out);
	if (end)
		*end = sdns_rd_off(&r);
	return rc;
}

START_TEST(test_unpack_plain_name_moves_cursor_past_root)
{
	sdns_name n;
	size_t end;
	ck_assert_int_eq(unpack_hex("03777777 076578616d706c65 03636f6d 00 ff", 0,
	                            &n, &end), SDNS_OK);
	ck_assert_int_eq(end, 17);
	ck_assert_int_eq(n.len, 17);
	ck_assert(sdns_name_eq_ci(&n, &(sdns_name){0}) == false);
	sdns_name want = N("\3www\7example\3com");
	ck_assert_mem_eq(n.data, want.data, want.len);
}
END_TEST

START_TEST(test_unpack_follows_pointer_and_cursor_stops_after_it)
{
	/* 0: example.com.  13: www + ptr(0)  19: 0xff */
	sdns_name n;
	size_t end;
	ck_assert_int_eq(unpack_hex("076578616d706c65 03636f6d 00 03777777 c000 ff",
	                            13, &n, &end), SDNS_OK);
	ck_assert_int_eq(end, 19);
	sdns_name want = N("\3www\7example\3com");
	ck_assert_int_eq(n.len, want.len);
	ck_assert_mem_eq(n.data, want.data, want.len);
}
END_TEST

START_TEST(test_unpack_keeps_case)
{
	sdns_name n;
	ck_assert_int_eq(unpack_hex("03577757 00", 0, &n, NULL), SDNS_OK);
	ck_assert_mem_eq(n.data, "\3WwW", 5);
}
END_TEST

START_TEST(test_extended_label_types_are_malformed)
{
	sdns_name n;
	ck_assert_int_eq(unpack_hex("41 00 00", 0, &n, NULL), SDNS_EMALF);
	ck_assert_int_eq(unpack_hex("80 00 00", 0, &n, NULL), SDNS_EMALF);
}
END_TEST

START_TEST(test_truncated_name_is_malformed)
{
	sdns_name n;
	ck_assert_int_eq(unpack_hex("03 7777", 0, &n, NULL), SDNS_EMALF);
	ck_assert_int_eq(unpack_hex("03 777777", 0, &n, NULL), SDNS_EMALF);
	ck_assert_int_eq(unpack_hex("00 c0", 1, &n, NULL), SDNS_EMALF);
}
END_TEST

START_TEST(test_name_over_255_octets_is_ename)
{
	/* four 63-octet labels = 256 octets with the root */
	char hex[1024] = "";
	for (int l = 0; l < 4; l++) {
		strcat(hex, "3f");
		for (int i = 0; i < 63; i++)
			strcat(hex, "61");
	}
	strcat(hex, "00");
	sdns_name n;
	ck_assert_int_eq(unpack_hex(hex, 0, &n, NULL), SDNS_ENAME);
}
END_TEST

START_TEST(test_name_of_exactly_255_octets_is_accepted)
{
	char hex[1024] = "";
	for (int l = 0; l < 3; l++) {
		strcat(hex, "3f");
		for (int i = 0; i < 63; i++)
			strcat(hex, "61");
	}
	strcat(hex, "3d"); /* 3*64 + 62 + 1 = 255 */
	for (int i = 0; i < 61; i++)
		strcat(hex, "62");
	strcat(hex, "00");
	sdns_name n;
	ck_assert_int_eq(unpack_hex(hex, 0, &n, NULL), SDNS_OK);
	ck_assert_int_eq(n.len, 255);
}
END_TEST

START_TEST(test_self_and_forward_pointers_are_efwdptr)
{
	sdns_name n;
	ck_assert_int_eq(unpack_hex("c000", 0, &n, NULL), SDNS_EFWDPTR);
	ck_assert_int_eq(unpack_hex("c002 00", 0, &n, NULL), SDNS_EFWDPTR);
}
END_TEST

START_TEST(test_pointer_beyond_packet_is_eptr)
{
	sdns_name n;
	ck_assert_int_eq(unpack_hex("00 c0ff", 1, &n, NULL), SDNS_EPTR);
	ck_assert_int_eq(unpack_hex("c003", 0, &n, NULL), SDNS_EPTR);
}
END_TEST

START_TEST(test_pointer_back_into_own_run_is_eloop)
{
	/* 0: "a" then pointer to 0 */
	sdns_name n;
	ck_assert_int_eq(unpack_hex("0161 c000", 0, &n, NULL), SDNS_ELOOP);
	/* 5: ptr->1; 1: "a" "b" then the same pointer again */
	ck_assert_int_eq(unpack_hex("00 0161 0162 c001", 5, &n, NULL), SDNS_ELOOP);
}
END_TEST

static size_t pointer_chain(char *hex, int links)
{
	/* 0: root, then each 2-octet pointer points to the one before it */
	strcpy(hex, "00 c000");
	for (int i = 1; i < links; i++) {
		char p[8];
		snprintf(p, sizeof(p), " c0%02x", 1 + 2 * (i - 1));
		strcat(hex, p);
	}
	return (size_t)(1 + 2 * (links - 1));
}

START_TEST(test_pointer_hops_are_capped)
{
	char hex[2048];
	sdns_name n;
	size_t start = pointer_chain(hex, 100);
	ck_assert_int_eq(unpack_hex(hex, start, &n, NULL), SDNS_OK);
	ck_assert_int_eq(n.len, 1);
	start = pointer_chain(hex, 129);
	ck_assert_int_eq(unpack_hex(hex, start, &n, NULL), SDNS_ELOOP);
}
END_TEST

START_TEST(test_from_wire_refuses_pointers_trailing_and_unterminated)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)"\1a\xc0\0", 4, &n),
	                 SDNS_EMALF);
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)"\1a\0\0", 4, &n),
	                 SDNS_ETRAIL);
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)"\1a", 2, &n),
	                 SDNS_EMALF);
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)"", 0, &n), SDNS_EMALF);
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)"\x40", 1, &n),
	                 SDNS_EMALF);
}
END_TEST

START_TEST(test_pack_writes_wire_and_reports_space)
{
	sdns_name n = N("\3www\7example");
	uint8_t buf[32];
	sdns_wr w;
	sdns_wr_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(sdns_name_pack(&w, &n), SDNS_OK);
	ck_assert_int_eq(sdns_wr_len(&w), 13);
	ck_assert_mem_eq(buf, "\3www\7example\0", 13);
	sdns_wr_init(&w, buf, 12);
	ck_assert_int_eq(sdns_name_pack(&w, &n), SDNS_ESPACE);
}
END_TEST

START_TEST(test_labels_root_and_parent)
{
	sdns_name n = N("\3www\7example\3com");
	ck_assert_int_eq(sdns_name_labels(&n), 3);
	sdns_name_parent(&n);
	sdns_name want = N("\7example\3com");
	ck_assert_int_eq(n.len, want.len);
	ck_assert_mem_eq(n.data, want.data, want.len);
	sdns_name_parent(&n);
	sdns_name_parent(&n);
	ck_assert_int_eq(n.len, 1);
	sdns_name_parent(&n);
	ck_assert_int_eq(n.len, 1);
	ck_assert_int_eq(sdns_name_labels(&n), 0);
	sdns_name r;
	sdns_name_root(&r);
	ck_assert(sdns_name_eq_ci(&n, &r));
}
END_TEST

START_TEST(test_eq_ci_ignores_ascii_case_only)
{
	sdns_name a = N("\3WwW\7Example"), b = N("\3www\7exAMPLE");
	ck_assert(sdns_name_eq_ci(&a, &b));
	sdns_name c = N("\3ww\xc0\7example"), d = N("\3ww\xe0\7example");
	ck_assert(!sdns_name_eq_ci(&c, &d));
	sdns_name e = N("\3www\6exampl");
	ck_assert(!sdns_name_eq_ci(&a, &e));
}
END_TEST

START_TEST(test_is_sub_ci_respects_label_boundaries)
{
	sdns_name apex = N("\7example\3com");
	sdns_name in = N("\1a\3WWW\7EXAMPLE\3com");
	sdns_name same = N("\7Example\3COM");
	sdns_name notsub = N("\10xexample\3com");
	sdns_name tricky = N("\2ab\7example\3org");
	sdns_name root;
	sdns_name_root(&root);
	ck_assert(sdns_name_is_sub_ci(&in, &apex));
	ck_assert(sdns_name_is_sub_ci(&same, &apex));
	ck_assert(!sdns_name_is_sub_ci(&notsub, &apex));
	ck_assert(!sdns_name_is_sub_ci(&tricky, &apex));
	ck_assert(!sdns_name_is_sub_ci(&apex, &in));
	ck_assert(sdns_name_is_sub_ci(&apex, &root));
	/* a label whose content looks like the apex is not a boundary */
	sdns_name inside = N("\14\7example\3com\7example\3com");
	ck_assert(sdns_name_is_sub_ci(&inside, &apex));
	sdns_name fake = N("\14\7example\3com");
	ck_assert(!sdns_name_is_sub_ci(&fake, &apex));
}
END_TEST

START_TEST(test_lower_lowers_ascii_only)
{
	sdns_name n = N("\4AbZ\xc4\2QZ");
	sdns_name_lower(&n);
	ck_assert_mem_eq(n.data, "\4abz\xc4\2qz", 9);
}
END_TEST

START_TEST(test_canon_cmp_follows_rfc4034_example_order)
{
	static const char *const order[] = {
		"\7example",
		"\1a\7example",
		"\10yljkjljk\1a\7example",
		"\1Z\1a\7example",
		"\4zABC\1a\7EXAMPLE",
		"\1z\7example",
		"\1\1\1z\7example",
		"\1*\1z\7example",
		"\1\200\1z\7example",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	for (size_t i = 0; i < n; i++) {
		sdns_name a = N(order[i]);
		ck_assert_int_eq(sdns_name_canon_cmp(&a, &a), 0);
		for (size_t j = i + 1; j < n; j++) {
			sdns_name b = N(order[j]);
			ck_assert_msg(sdns_name_canon_cmp(&a, &b) < 0, "%zu !< %zu", i, j);
			ck_assert_msg(sdns_name_canon_cmp(&b, &a) > 0, "%zu !> %zu", j, i);
		}
	}
	sdns_name x = N("\1Z\1a\7example"), y = N("\1z\1A\7EXAMPLE");
	ck_assert_int_eq(sdns_name_canon_cmp(&x, &y), 0);
}
END_TEST

START_TEST(test_prepend_adds_label_and_checks_limits)
{
	sdns_name n = N("\7example");
	ck_assert_int_eq(sdns_name_prepend(&n, (const uint8_t *)"*", 1), SDNS_OK);
	ck_assert_int_eq(n.len, 11);
	ck_assert_mem_eq(n.data, "\1*\7example\0", 11);
	uint8_t big[64];
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(sdns_name_prepend(&n, big, 64), SDNS_ELABEL);
	ck_assert_int_eq(sdns_name_prepend(&n, big, 0), SDNS_EINVAL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sdns_name_prepend(&n, big, 63), SDNS_OK);
	ck_assert_int_eq(n.len, 203);
	ck_assert_int_eq(sdns_name_prepend(&n, big, 52), SDNS_ENAME);
	ck_assert_int_eq(sdns_name_prepend(&n, big, 51), SDNS_OK);
	ck_assert_int_eq(n.len, 255);
}
END_TEST

START_TEST(test_hash_ci_is_equal_across_case)
{
	sdns_name a = N("\3WWW\7Example\3cOm"), b = N("\3www\7example\3com");
	sdns_name c = N("\3wwx\7example\3com");
	ck_assert_uint_eq(sdns_name_hash_ci(&a), sdns_name_hash_ci(&b));
	ck_assert_uint_ne(sdns_name_hash_ci(&a), sdns_name_hash_ci(&c));
}
END_TEST

static Suite *name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_unpack_plain_name_moves_cursor_past_root);
	tcase_add_test(tc, test_unpack_follows_pointer_and_cursor_stops_after_it);
	tcase_add_test(tc, test_unpack_keeps_case);
	tcase_add_test(tc, test_extended_label_types_are_malformed);
	tcase_add_test(tc, test_truncated_name_is_malformed);
	tcase_add_test(tc, test_name_over_255_octets_is_ename);
	tcase_add_test(tc, test_name_of_exactly_255_octets_is_accepted);
	tcase_add_test(tc, test_self_and_forward_pointers_are_efwdptr);
	tcase_add_test(tc, test_pointer_beyond_packet_is_eptr);
	tcase_add_test(tc, test_pointer_back_into_own_run_is_eloop);
	tcase_add_test(tc, test_pointer_hops_are_capped);
	tcase_add_test(tc, test_from_wire_refuses_pointers_trailing_and_unterminated);
	tcase_add_test(tc, test_pack_writes_wire_and_reports_space);
	tcase_add_test(tc, test_labels_root_and_parent);
	tcase_add_test(tc, test_eq_ci_ignores_ascii_case_only);
	tcase_add_test(tc, test_is_sub_ci_respects_label_boundaries);
	tcase_add_test(tc, test_lower_lowers_ascii_only);
	tcase_add_test(tc, test_canon_cmp_follows_rfc4034_example_order);
	tcase_add_test(tc, test_prepend_adds_label_and_checks_limits);
	tcase_add_test(tc, test_hash_ci_is_equal_across_case);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(name_suite)
