/* Tests for src/dns/rdata_text*.c: RDATA text ⇄ wire, records as text,
 * TTL units. Expected wire bytes come from the RFCs where they give them. */
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/rr.h"
#include "testlib.h"

static sdns_name origin;
static uint8_t wire[70000];
static size_t wire_len;
static char why[200];

static void setup(void)
{
	ck_assert_int_eq(sdns_name_from_str(&origin, "example.", 8, NULL), SDNS_OK);
}

static int from(uint16_t type, const char *text)
{
	sdns_wr w;
	sdns_wr_init(&w, wire, sizeof(wire));
	int rc = sdns_rdata_from_str_why(type, text, strlen(text), &origin, &w,
	                                 why, sizeof(why));
	wire_len = sdns_wr_len(&w);
	return rc;
}

static void wire_is(const char *hex)
{
	static uint8_t want[70000];
	int wl = sdns_test_hex(hex, want, sizeof(want));
	ck_assert_int_ge(wl, 0);
	ck_assert_uint_eq(wire_len, (size_t)wl);
	ck_assert_mem_eq(wire, want, (size_t)wl);
}

/* text → wire (checked) → text (checked) → wire again (same). */
static void both_ways(uint16_t type, const char *text, const char *hex,
                      const char *canon)
{
	ck_assert_msg(from(type, text) == SDNS_OK, "parse '%s': %s", text, why);
	if (hex)
		wire_is(hex);
	/* what we produce must satisfy the wire validator (src/dns/rdata_wire.c) */
	ck_assert_int_eq(sdns_rdata_check(type, wire, (uint16_t)wire_len), SDNS_OK);
	static char buf[300000];
	ck_assert_int_eq(sdns_rdata_to_str(type, wire, (uint16_t)wire_len, buf,
	                                   sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, canon);
	static uint8_t first[70000];
	size_t first_len = wire_len;
	memcpy(first, wire, wire_len);
	ck_assert_int_eq(from(type, buf), SDNS_OK);
	ck_assert_uint_eq(wire_len, first_len);
	ck_assert_mem_eq(wire, first, first_len);
}

static void bad(uint16_t type, const char *text)
{
	int rc = from(type, text);
	ck_assert_msg(rc == SDNS_ESYNTAX, "type %u accepted '%s' (rc %d)",
	              (unsigned)type, text, rc);
	ck_assert_msg(why[0] != '\0', "no reason for '%s'", text);
}

START_TEST(test_a_text_to_wire_and_back)
{
	both_ways(SDNS_T_A, "192.0.2.1", "c0000201", "192.0.2.1");
}
END_TEST

START_TEST(test_aaaa_text_to_wire_and_back)
{
	both_ways(SDNS_T_AAAA, "2001:DB8::1",
	          "20010db8000000000000000000000001", "2001:db8::1");
}
END_TEST

START_TEST(test_ns_cname_ptr_names_become_absolute)
{
	both_ways(SDNS_T_NS, "ns1", "036e7331 076578616d706c65 00", "ns1.example.");
	both_ways(SDNS_T_CNAME, "@", "076578616d706c65 00", "example.");
	both_ways(SDNS_T_PTR, "host.other.", "04686f7374 056f74686572 00", "host.other.");
}
END_TEST

START_TEST(test_mx_preference_and_exchange)
{
	both_ways(SDNS_T_MX, "10 mail", "000a 046d61696c 076578616d706c65 00",
	          "10 mail.example.");
}
END_TEST

START_TEST(test_soa_with_ttl_units)
{
	both_ways(SDNS_T_SOA, "ns1 hostmaster 2024010101 1h 15m 1w 1d",
	          "036e7331 076578616d706c65 00"
	          "0a686f73746d6173746572 076578616d706c65 00"
	          "78a3f175 00000e10 00000384 00093a80 00015180",
	          "ns1.example. hostmaster.example. 2024010101 3600 900 604800 86400");
}
END_TEST

START_TEST(test_soa_across_lines_in_parentheses)
{
	both_ways(SDNS_T_SOA, "ns1. h. (\n 1 ; serial\n 2 3 4 5 )",
	          "036e733100 016800 00000001 00000002 00000003 00000004 00000005",
	          "ns1. h. 1 2 3 4 5");
}
END_TEST

START_TEST(test_txt_multiple_strings_and_escapes)
{
	both_ways(SDNS_T_TXT, "\"hello world\" plain \"a\\\"b\\\\c\\065\" \"\"",
	          "0b 68656c6c6f20776f726c64 05 706c61696e 06 612262 5c 63 41 00",
	          "\"hello world\" \"plain\" \"a\\\"b\\\\cA\" \"\"");
}
END_TEST

START_TEST(test_txt_nonprintable_prints_as_ddd)
{
	both_ways(SDNS_T_TXT, "\"x\\010\\255;(\"", "05 780aff3b28",
	          "\"x\\010\\255;(\"");
}
END_TEST

START_TEST(test_srv_fields_and_target)
{
	both_ways(SDNS_T_SRV, "0 5 5060 sip.example.",
	          "0000 0005 13c4 03736970 076578616d706c65 00",
	          "0 5 5060 sip.example.");
}
END_TEST

START_TEST(test_caa_flags_tag_value)
{
	both_ways(SDNS_T_CAA, "0 issue \"ca.example.net\"",
	          "00 05 6973737565 63612e6578616d706c652e6e6574",
	          "0 issue \"ca.example.net\"");
	both_ways(SDNS_T_CAA, "128 iodef mailto:a@b",
	          "80 05 696f646566 6d61696c746f3a614062",
	          "128 iodef \"mailto:a@b\"");
}
END_TEST

START_TEST(test_nsec_bitmap_matches_rfc4034_example)
{
	/* RFC 4034 §4.3 */
	both_ways(SDNS_T_NSEC, "host.example.com. ( A MX RRSIG NSEC TYPE1234 )",
	          "04686f7374 076578616d706c65 03636f6d 00"
	          "0006 40010000 0003"
	          "041b 00000000 00000000 00000000 00000000 00000000 00000000"
	          "0000 20",
	          "host.example.com. A MX RRSIG NSEC TYPE1234");
}
END_TEST

START_TEST(test_nsec_types_unordered_and_repeated_still_canonical)
{
	both_ways(SDNS_T_NSEC, "a. NSEC A ns A", "016100 0006 60000000 0001",
	          "a. A NS NSEC");
	both_ways(SDNS_T_NSEC, "a.", "016100", "a.");
}
END_TEST

static const char rfc_key[] =
	"AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY"
	"+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyv"
	"hjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";

START_TEST(test_dnskey_base64_split_by_spaces)
{
	/* RFC 4034 §2.3, key split across lines as printed there */
	static const char text[] =
		"256 3 5 ( AQPSKmynfzW4kyBv015MUG2DeIQ3\n"
		"Cbl+BBZH4b/0PY1kxkmvHjcZc8no\n kfzj31GajIQKY+5CptLr3buXA10h\n"
		"WqTkF7H6RfoRqXQeogmMHfpftf6z\n Mv1LyBUgia7za6ZEzOJBOztyvhjL\n"
		"742iU/TpPSEDhm2SNKLijfUppn1U\n aNvv4w==  )";
	char canon[400];
	strcpy(canon, "256 3 5 ");
	strcat(canon, rfc_key);
	both_ways(SDNS_T_DNSKEY, text,
	          "010003050103d22a6ca77f35b893206fd35e4c506d8378843709b97e041647"
	          "e1bff43d8d64c649af1e371973c9e891fce3df519a8c840a63ee42a6d2ebdd"
	          "bb97035d215aa4e417b1fa45fa11a9741ea2098c1dfa5fb5feb332fd4bc815"
	          "2089aef36ba644cce2413b3b72be18cbef8da253f4e93d2103866d9234a2e2"
	          "8df529a67d5468dbefe3",
	          canon);
}
END_TEST

START_TEST(test_rrsig_matches_rfc4034_example)
{
	/* RFC 4034 §3.3 */
	static const char text[] =
		"A 5 3 86400 20030322173103 ( 20030220173103 2642 example.com.\n"
		" oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTr\n"
		" PYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o\n"
		" B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3t\n"
		" GNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG\n"
		" J5D6fwFm8nN+6pBzeDQfsS3Ap3o= )";
	both_ways(SDNS_T_RRSIG, text,
	          "0001 05 03 00015180 3e7c9dd7 3e5510d7 0a52 076578616d706c6503636f6d00"
	          "a090755ba58d1affa576f4375831b4310920e481218d18a9f164eb3d81afd3b8"
	          "75d3c75428631e0cf2a28d50875f70c329d7dbfafea807dc1fba1dc34c95d401"
	          "f23f334ce63bfcf3f1b5b44739e5f0eded18d6b33f040a911376d173d757a9f0"
	          "c1fa1798941bb0b36b2df9062790fa7f0166f2737eea907378341fb12dc0a77a",
	          "A 5 3 86400 20030322173103 20030220173103 2642 example.com. "
	          "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DD"
	          "Kdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nw"
	          "wfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=");
}
END_TEST

START_TEST(test_rrsig_integer_times_print_as_dates)
{
	both_ways(SDNS_T_RRSIG, "NSEC 13 2 300 1700000000 1690000000 1 . AAEC",
	          "002f 0d 02 0000012c 6553f100 64bb5a80 0001 00 000102",
	          "NSEC 13 2 300 20231114221320 20230722042640 1 . AAEC");
	both_ways(SDNS_T_RRSIG, "A 13 2 300 4294967295 0 1 . AA==",
	          "0001 0d 02 0000012c ffffffff 00000000 0001 00 00",
	          "A 13 2 300 21060207062815 19700101000000 1 . AA==");
}
END_TEST

START_TEST(test_generic_form_of_known_type_gives_native_wire)
{
	uint8_t native[64];
	ck_assert_int_eq(from(SDNS_T_MX, "10 mail.example."), SDNS_OK);
	size_t nl = wire_len;
	memcpy(native, wire, nl);
	ck_assert_int_eq(from(SDNS_T_MX, "\\# 16 000a 046d61696c 076578616d706c6500"),
	                 SDNS_OK);
	ck_assert_uint_eq(wire_len, nl);
	ck_assert_mem_eq(wire, native, nl);
	both_ways(SDNS_T_A, "\\# 4 C0000201", "c0000201", "192.0.2.1");
}
END_TEST

START_TEST(test_generic_form_for_unknown_type)
{
	both_ways(1234, "\\# 3 ab CD ef", "abcdef", "\\# 3 abcdef");
	both_ways(1234, "\\# 0", "", "\\# 0");
	both_ways(SDNS_T_OPT, "\\# 2 0102", "0102", "\\# 2 0102");
}
END_TEST

START_TEST(test_generic_form_errors)
{
	bad(1234, "\\# 3 abcd");
	bad(1234, "\\# 1 abcd");
	bad(1234, "\\# 2 abc");
	bad(1234, "\\# 1 zz");
	bad(1234, "\\# x 00");
	bad(1234, "\\# 65536");
	bad(1234, "\\#");
	bad(1234, "\\# 0 \"\"");
	bad(1234, "\\# 1 \"00\"");
	bad(SDNS_T_A, "\\# 3 010203");     /* not valid as an A */
	bad(SDNS_T_TXT, "\\# 2 0561");     /* string runs past the end */
}
END_TEST

START_TEST(test_native_text_of_unknown_type_is_etype)
{
	ck_assert_int_eq(from(1234, "abc"), SDNS_ETYPE);
	ck_assert_ptr_nonnull(strstr(why, "\\#"));
}
END_TEST

START_TEST(test_bad_ipv4_names_the_token)
{
	bad(SDNS_T_A, "10.0.0.256");
	ck_assert_str_eq(why, "bad IPv4 address '10.0.0.256' in A record");
	bad(SDNS_T_A, "1.2.3");
	bad(SDNS_T_A, "1.2.3.4.5");
	bad(SDNS_T_A, "\"1.2.3.4\"");
	bad(SDNS_T_A, "");
	bad(SDNS_T_A, "1.2.3.4 5.6.7.8");
	bad(SDNS_T_A, "1234567890123456789");
}
END_TEST

START_TEST(test_bad_aaaa)
{
	bad(SDNS_T_AAAA, "zz::1");
	bad(SDNS_T_AAAA, "1:2");
	bad(SDNS_T_AAAA, "1.2.3.4");
	bad(SDNS_T_AAAA, "::1 ::2");
}
END_TEST

START_TEST(test_bad_numbers_and_names)
{
	bad(SDNS_T_MX, "-1 mail");
	ck_assert_str_eq(why, "bad preference '-1' in MX record (0..65535)");
	bad(SDNS_T_MX, "65536 mail");
	bad(SDNS_T_MX, "10");
	ck_assert_str_eq(why, "missing exchange in MX record");
	bad(SDNS_T_MX, "10 a..b");
	bad(SDNS_T_MX, "10 \"mail\"");
	bad(SDNS_T_SRV, "0 5 70000 sip.");
	bad(SDNS_T_SRV, "0 5 +1 sip.");
	bad(SDNS_T_SRV, "0 5 5060");
	bad(SDNS_T_NS, "a. b.");
	bad(SDNS_T_SOA, "ns. h. 1 2 3 4");
	bad(SDNS_T_SOA, "ns. h. 4294967296 2 3 4 5");
	bad(SDNS_T_SOA, "ns. h. 1 2x 3 4 5");
	bad(SDNS_T_SOA, "ns. h. 1 2 3 4 5 6");
	bad(SDNS_T_CAA, "256 issue \"x\"");
}
END_TEST

START_TEST(test_relative_name_without_origin_is_refused)
{
	sdns_wr w;
	sdns_wr_init(&w, wire, sizeof(wire));
	ck_assert_int_eq(sdns_rdata_from_str(SDNS_T_NS, "ns1", 3, NULL, &w),
	                 SDNS_ESYNTAX);
	ck_assert_uint_eq(sdns_wr_len(&w), 0);
}
END_TEST

START_TEST(test_bad_txt)
{
	char big[300];
	big[0] = '"';
	memset(big + 1, 'x', 256);
	strcpy(big + 257, "\"");
	bad(SDNS_T_TXT, big);
	ck_assert_ptr_nonnull(strstr(why, "255"));
	bad(SDNS_T_TXT, "\"open");
	bad(SDNS_T_TXT, "");
	bad(SDNS_T_TXT, "\"a\\256\"");
	bad(SDNS_T_TXT, "\"a\\25\"");
	/* 255 x 'x' escaped as \120 is still 255 octets */
	char esc[1100];
	esc[0] = '"';
	for (int i = 0; i < 255; i++)
		memcpy(esc + 1 + i * 4, "\\120", 4);
	strcpy(esc + 1 + 255 * 4, "\"");
	ck_assert_int_eq(from(SDNS_T_TXT, esc), SDNS_OK);
	ck_assert_uint_eq(wire_len, 256);
}
END_TEST

START_TEST(test_txt_over_65535_octets_is_refused)
{
	/* 258 strings of 255 octets = 66048 octets of RDATA */
	size_t cap = 258 * 258 + 1;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	size_t o = 0;
	for (int i = 0; i < 258; i++) {
		memset(text + o, 'y', 255);
		o += 255;
		text[o++] = ' ';
	}
	text[o] = '\0';
	int rc = from(SDNS_T_TXT, text);
	free(text);
	ck_assert_int_eq(rc, SDNS_ESYNTAX);
	ck_assert_ptr_nonnull(strstr(why, "65535"));
}
END_TEST

START_TEST(test_bad_caa)
{
	bad(SDNS_T_CAA, "0 is-sue \"x\"");
	bad(SDNS_T_CAA, "0 abcdefghijklmnop \"x\"");
	bad(SDNS_T_CAA, "0 \"issue\" \"x\"");
	bad(SDNS_T_CAA, "0 issue");
	bad(SDNS_T_CAA, "0 issue \"x\" \"y\"");
}
END_TEST

START_TEST(test_bad_dnssec_fields)
{
	bad(SDNS_T_DNSKEY, "256 3 5");
	bad(SDNS_T_DNSKEY, "256 3 5 abc");
	bad(SDNS_T_DNSKEY, "256 3 5 ab=c");
	bad(SDNS_T_DNSKEY, "256 3 5 a===");
	bad(SDNS_T_DNSKEY, "256 3 5 AB==");      /* non-zero pad bits */
	bad(SDNS_T_DNSKEY, "256 3 5 AA== AAAA"); /* data after padding */
	bad(SDNS_T_DNSKEY, "256 3 5 AA*A");
	bad(SDNS_T_DNSKEY, "256 3 5 \"\" \"\"");
	bad(SDNS_T_DNSKEY, "256 3 5 \"AAAA\"");
	bad(SDNS_T_DNSKEY, "65536 3 5 AAAA");
	bad(SDNS_T_DNSKEY, "256 2 5 AAAA");
	bad(SDNS_T_RRSIG, "FOO 5 3 86400 20030322173103 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 20031322173103 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 20030230000000 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 20030322246000 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 19690101000000 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 4294967296 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 2003032217310 20030220173103 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 86400 20030322173103 20030220173103 1 .");
	bad(SDNS_T_NSEC, "a. A BOGUS");
	bad(SDNS_T_NSEC, "");
}
END_TEST

START_TEST(test_leap_day_is_accepted_in_leap_years_only)
{
	ck_assert_int_eq(from(SDNS_T_RRSIG, "A 5 3 1 20240229000000 0 1 . AA=="), SDNS_OK);
	bad(SDNS_T_RRSIG, "A 5 3 1 20230229000000 0 1 . AA==");
	bad(SDNS_T_RRSIG, "A 5 3 1 21000229000000 0 1 . AA==");
}
END_TEST

START_TEST(test_output_too_small_is_espace_and_untouched)
{
	uint8_t small[3];
	sdns_wr w;
	sdns_wr_init(&w, small, sizeof(small));
	ck_assert_int_eq(sdns_rdata_from_str(SDNS_T_A, "1.2.3.4", 7, NULL, &w),
	                 SDNS_ESPACE);
	ck_assert_uint_eq(sdns_wr_len(&w), 0);
}
END_TEST

START_TEST(test_to_str_refuses_bad_layout)
{
	uint8_t b[64];
	char out[256];
	int n = sdns_test_hex("c00002", b, sizeof(b));
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_A, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("000a 00 ff", b, sizeof(b));
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_MX, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("000a c00c", b, sizeof(b)); /* compression pointer */
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_MX, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("00 0002 4000", b, sizeof(b)); /* trailing zero octet */
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_NSEC, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("00 0001 40 0001 40", b, sizeof(b)); /* window repeated */
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_NSEC, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_TXT, b, 0, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("00 00", b, sizeof(b)); /* CAA empty tag */
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_CAA, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
	n = sdns_test_hex("0100 03 0d", b, sizeof(b)); /* DNSKEY without key */
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_DNSKEY, b, (uint16_t)n, out, sizeof(out)),
	                 SDNS_ERDATA);
}
END_TEST

START_TEST(test_to_str_espace_when_buffer_short)
{
	uint8_t b[4] = {192, 0, 2, 1};
	char out[10];
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_A, b, 4, out, 9), SDNS_ESPACE);
	ck_assert_int_eq(sdns_rdata_to_str(SDNS_T_A, b, 4, out, 10), SDNS_OK);
	ck_assert_str_eq(out, "192.0.2.1");
}
END_TEST

START_TEST(test_rr_to_str_is_tab_separated_like_dig)
{
	sdns_rr rr;
	uint8_t a[4] = {192, 0, 2, 1};
	char out[256];
	ck_assert_int_eq(sdns_name_from_str(&rr.owner, "www", 3, &origin), SDNS_OK);
	rr.type = SDNS_T_A;
	rr.rclass = SDNS_C_IN;
	rr.ttl = 3600;
	rr.rdlen = 4;
	rr.rdata = a;
	ck_assert_int_eq(sdns_rr_to_str(&rr, out, sizeof(out)), SDNS_OK);
	ck_assert_str_eq(out, "www.example.\t3600\tIN\tA\t192.0.2.1");
	rr.type = 999;
	rr.rclass = 4;
	ck_assert_int_eq(sdns_rr_to_str(&rr, out, sizeof(out)), SDNS_OK);
	ck_assert_str_eq(out, "www.example.\t3600\tCLASS4\tTYPE999\t\\# 4 c0000201");
	ck_assert_int_eq(sdns_rr_to_str(&rr, out, 20), SDNS_ESPACE);
}
END_TEST

START_TEST(test_ttl_units)
{
	uint32_t v;
	ck_assert_int_eq(sdns_ttl_from_str("3600", 4, &v), SDNS_OK);
	ck_assert_uint_eq(v, 3600);
	ck_assert_int_eq(sdns_ttl_from_str("1h30m", 5, &v), SDNS_OK);
	ck_assert_uint_eq(v, 5400);
	ck_assert_int_eq(sdns_ttl_from_str("2d", 2, &v), SDNS_OK);
	ck_assert_uint_eq(v, 172800);
	ck_assert_int_eq(sdns_ttl_from_str("1W", 2, &v), SDNS_OK);
	ck_assert_uint_eq(v, 604800);
	ck_assert_int_eq(sdns_ttl_from_str("1w2d3h4m5s", 10, &v), SDNS_OK);
	ck_assert_uint_eq(v, 604800 + 172800 + 10800 + 240 + 5);
	ck_assert_int_eq(sdns_ttl_from_str("4294967295", 10, &v), SDNS_OK);
	ck_assert_uint_eq(v, 4294967295u);
}
END_TEST

START_TEST(test_bad_ttls)
{
	static const char *const bad_ttl[] = {
		"", "h", "1x", "1h30", "-1", "4294967296", "7102w", "1.5h", " 1",
	};
	uint32_t v;
	for (size_t i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); i++)
		ck_assert_msg(sdns_ttl_from_str(bad_ttl[i], strlen(bad_ttl[i]), &v) ==
		              SDNS_ESYNTAX, "accepted '%s'", bad_ttl[i]);
}
END_TEST

static Suite *rdata_text_suite(void)
{
	Suite *s = suite_create("rdata_text");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_a_text_to_wire_and_back);
	tcase_add_test(tc, test_aaaa_text_to_wire_and_back);
	tcase_add_test(tc, test_ns_cname_ptr_names_become_absolute);
	tcase_add_test(tc, test_mx_preference_and_exchange);
	tcase_add_test(tc, test_soa_with_ttl_units);
	tcase_add_test(tc, test_soa_across_lines_in_parentheses);
	tcase_add_test(tc, test_txt_multiple_strings_and_escapes);
	tcase_add_test(tc, test_txt_nonprintable_prints_as_ddd);
	tcase_add_test(tc, test_srv_fields_and_target);
	tcase_add_test(tc, test_caa_flags_tag_value);
	tcase_add_test(tc, test_nsec_bitmap_matches_rfc4034_example);
	tcase_add_test(tc, test_nsec_types_unordered_and_repeated_still_canonical);
	tcase_add_test(tc, test_dnskey_base64_split_by_spaces);
	tcase_add_test(tc, test_rrsig_matches_rfc4034_example);
	tcase_add_test(tc, test_rrsig_integer_times_print_as_dates);
	tcase_add_test(tc, test_generic_form_of_known_type_gives_native_wire);
	tcase_add_test(tc, test_generic_form_for_unknown_type);
	tcase_add_test(tc, test_generic_form_errors);
	tcase_add_test(tc, test_native_text_of_unknown_type_is_etype);
	tcase_add_test(tc, test_bad_ipv4_names_the_token);
	tcase_add_test(tc, test_bad_aaaa);
	tcase_add_test(tc, test_bad_numbers_and_names);
	tcase_add_test(tc, test_relative_name_without_origin_is_refused);
	tcase_add_test(tc, test_bad_txt);
	tcase_add_test(tc, test_txt_over_65535_octets_is_refused);
	tcase_add_test(tc, test_bad_caa);
	tcase_add_test(tc, test_bad_dnssec_fields);
	tcase_add_test(tc, test_leap_day_is_accepted_in_leap_years_only);
	tcase_add_test(tc, test_output_too_small_is_espace_and_untouched);
	tcase_add_test(tc, test_to_str_refuses_bad_layout);
	tcase_add_test(tc, test_to_str_espace_when_buffer_short);
	tcase_add_test(tc, test_rr_to_str_is_tab_separated_like_dig);
	tcase_add_test(tc, test_ttl_units);
	tcase_add_test(tc, test_bad_ttls);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(rdata_text_suite)
