/* Tests for src/dns/rdata_wire.c: RDATA layout checks and decompression. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/rr.h"
#include "testlib.h"

/* Check uncompressed RDATA spelled in hex. */
static int check_hex(uint16_t type, const char *hex)
{
	uint8_t buf[1024];
	int len = sdns_test_hex(hex, buf, sizeof(buf));
	ck_assert_int_ge(len, 0);
	return sdns_rdata_check(type, buf, (uint16_t)len);
}

/* Unpack the last rdlen octets of a hex "message" into out. */
static int unpack_hex(uint16_t type, const char *hex, size_t rdlen,
                      uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t buf[1024];
	int len = sdns_test_hex(hex, buf, sizeof(buf));
	ck_assert_int_ge(len, (int)rdlen);
	sdns_rd r;
	sdns_rd_init(&r, buf, (size_t)len);
	r.p = r.end - rdlen;
	sdns_wr w;
	sdns_wr_init(&w, out, cap);
	int rc = sdns_rdata_unpack(&r, type, (uint16_t)rdlen, &w);
	*outlen = sdns_wr_len(&w);
	if (rc == SDNS_OK)
		ck_assert(r.p == r.end);
	return rc;
}

START_TEST(test_a_and_aaaa_need_exact_lengths)
{
	ck_assert_int_eq(check_hex(SDNS_T_A, "0a000005"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_A, "0a0000"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_A, "0a00000500"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_AAAA, "20010db8000000000000000000000001"),
	                 SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_AAAA, "0a000005"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_single_name_types_need_one_name_exactly)
{
	static const uint16_t types[] = {SDNS_T_NS, SDNS_T_CNAME, SDNS_T_PTR};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(check_hex(types[i], "016100"), SDNS_OK);
		ck_assert_int_eq(check_hex(types[i], "01610000"), SDNS_ERDATA);
		ck_assert_int_eq(check_hex(types[i], "0161"), SDNS_ERDATA);
		ck_assert_int_eq(check_hex(types[i], ""), SDNS_ERDATA);
	}
}
END_TEST

START_TEST(test_soa_needs_two_names_and_five_numbers)
{
	const char *ok = "026e7300 02686d00 00000001 00000002 00000003 00000004 00000005";
	ck_assert_int_eq(check_hex(SDNS_T_SOA, ok), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_SOA,
	                 "026e7300 02686d00 00000001 00000002 00000003 00000004 000000"),
	                 SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_SOA,
	                 "026e7300 02686d00 00000001 00000002 00000003 00000004 00000005 00"),
	                 SDNS_ERDATA);
}
END_TEST

START_TEST(test_mx_and_srv_layouts)
{
	ck_assert_int_eq(check_hex(SDNS_T_MX, "000a 046d61696c00"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_MX, "000a"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_MX, "00"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_SRV, "0001 0002 0035 0373727600"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_SRV, "0001 0002 0035"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_txt_strings_must_fill_rdata_exactly)
{
	ck_assert_int_eq(check_hex(SDNS_T_TXT, "03616263 00 016a"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_TXT, "00"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_TXT, ""), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_TXT, "04616263"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_TXT, "03616263 02"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_caa_tag_is_1_to_15_alnum)
{
	/* 0 issue "ca.org" */
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00 05 6973737565 63612e6f7267"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "80 05 6973737565"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00 00"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00 10 61616161616161616161616161616161"),
	                 SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00 05 6973732d65"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00 05 697373"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_CAA, "00"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_dnskey_protocol_3_and_key_present)
{
	ck_assert_int_eq(check_hex(SDNS_T_DNSKEY, "0101 03 0f aabb"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_DNSKEY, "0101 02 0f aabb"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_DNSKEY, "0101 03 0f"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_rrsig_needs_signer_and_signature)
{
	const char *fixed = "0001 0f 02 00000e10 65000000 64000000 1234 ";
	char hex[256];
	snprintf(hex, sizeof(hex), "%s 076578616d706c6500 aabb", fixed);
	ck_assert_int_eq(check_hex(SDNS_T_RRSIG, hex), SDNS_OK);
	snprintf(hex, sizeof(hex), "%s 076578616d706c6500", fixed);
	ck_assert_int_eq(check_hex(SDNS_T_RRSIG, hex), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_RRSIG, "0001 0f 02 00000e10"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_nsec_bitmap_follows_rfc4034)
{
	/* next "a.", window 0 with A NS SOA (0x62), window 1 */
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0001 62 0101 40"), SDNS_OK);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100"), SDNS_OK);
	/* windows out of order, repeated, empty, too long, trailing zero */
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0101 40 0001 62"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0001 62 0001 62"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0000"), SDNS_ERDATA);
	char hex[256] = "016100 0021";
	for (int i = 0; i < 33; i++)
		strcat(hex, "ff");
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, hex), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0002 6200"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 0002 62"), SDNS_ERDATA);
	ck_assert_int_eq(check_hex(SDNS_T_NSEC, "016100 00"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_unknown_types_are_opaque)
{
	ck_assert_int_eq(check_hex(999, ""), SDNS_OK);
	ck_assert_int_eq(check_hex(999, "c000ff"), SDNS_OK);
}
END_TEST

START_TEST(test_stored_rdata_may_not_hold_pointers)
{
	ck_assert_int_eq(check_hex(SDNS_T_MX, "0000 0161 c000"), SDNS_ERDATA);
}
END_TEST

START_TEST(test_unpack_decompresses_mx_and_soa_names)
{
	/* 0: example.  9: MX 10 mail+ptr(0) */
	uint8_t out[64];
	size_t n;
	ck_assert_int_eq(unpack_hex(SDNS_T_MX, "076578616d706c6500 000a 046d61696c c000",
	                            9, out, sizeof(out), &n), SDNS_OK);
	ck_assert_int_eq(n, 16);
	ck_assert_mem_eq(out, "\0\x0a\4mail\7example\0", 16);
	ck_assert_int_eq(unpack_hex(SDNS_T_SOA,
	                 "076578616d706c6500 c000 c000 0000000100000002000000030000000400000005",
	                 24, out, sizeof(out), &n), SDNS_OK);
	ck_assert_int_eq(n, 38);
}
END_TEST

START_TEST(test_unpack_decompresses_srv_but_not_rrsig_or_nsec)
{
	uint8_t out[128];
	size_t n;
	ck_assert_int_eq(unpack_hex(SDNS_T_SRV, "076578616d706c6500 000100020035 c000",
	                            8, out, sizeof(out), &n), SDNS_OK);
	ck_assert_int_eq(n, 15);
	ck_assert_int_eq(unpack_hex(SDNS_T_NSEC, "076578616d706c6500 c000 000162",
	                            5, out, sizeof(out), &n), SDNS_ERDATA);
	ck_assert_int_eq(unpack_hex(SDNS_T_RRSIG,
	                 "076578616d706c6500 0001 0f 02 00000e10 65000000 64000000 1234 c000 aa",
	                 21, out, sizeof(out), &n), SDNS_ERDATA);
}
END_TEST

START_TEST(test_unpack_pointer_errors_keep_their_codes)
{
	uint8_t out[64];
	size_t n;
	ck_assert_int_eq(unpack_hex(SDNS_T_NS, "00 c005", 2, out, sizeof(out), &n),
	                 SDNS_EPTR);
	ck_assert_int_eq(unpack_hex(SDNS_T_NS, "00 c001", 2, out, sizeof(out), &n),
	                 SDNS_EFWDPTR);
}
END_TEST

START_TEST(test_unpack_rdlength_past_buffer_is_erdata)
{
	uint8_t buf[4] = {10, 0, 0, 5}, out[8];
	sdns_rd r;
	sdns_rd_init(&r, buf, 3);
	sdns_wr w;
	sdns_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(sdns_rdata_unpack(&r, SDNS_T_A, 4, &w), SDNS_ERDATA);
	ck_assert(r.p == buf);
}
END_TEST

START_TEST(test_unpack_small_output_is_espace_and_rolls_back)
{
	uint8_t out[8];
	size_t n;
	ck_assert_int_eq(unpack_hex(SDNS_T_MX, "076578616d706c6500 000a 046d61696c c000",
	                            9, out, sizeof(out), &n), SDNS_ESPACE);
	ck_assert_int_eq(n, 0);
}
END_TEST

static Suite *rdata_wire_suite(void)
{
	Suite *s = suite_create("rdata_wire");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_a_and_aaaa_need_exact_lengths);
	tcase_add_test(tc, test_single_name_types_need_one_name_exactly);
	tcase_add_test(tc, test_soa_needs_two_names_and_five_numbers);
	tcase_add_test(tc, test_mx_and_srv_layouts);
	tcase_add_test(tc, test_txt_strings_must_fill_rdata_exactly);
	tcase_add_test(tc, test_caa_tag_is_1_to_15_alnum);
	tcase_add_test(tc, test_dnskey_protocol_3_and_key_present);
	tcase_add_test(tc, test_rrsig_needs_signer_and_signature);
	tcase_add_test(tc, test_nsec_bitmap_follows_rfc4034);
	tcase_add_test(tc, test_unknown_types_are_opaque);
	tcase_add_test(tc, test_stored_rdata_may_not_hold_pointers);
	tcase_add_test(tc, test_unpack_decompresses_mx_and_soa_names);
	tcase_add_test(tc, test_unpack_decompresses_srv_but_not_rrsig_or_nsec);
	tcase_add_test(tc, test_unpack_pointer_errors_keep_their_codes);
	tcase_add_test(tc, test_unpack_rdlength_past_buffer_is_erdata);
	tcase_add_test(tc, test_unpack_small_output_is_espace_and_rolls_back);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(rdata_wire_suite)
