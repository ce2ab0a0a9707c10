/* Tests for the message codec: src/dns/msg_parse.c, msg_build.c, edns.c. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/msg.h"
#include "testlib.h"

static sdns_name wire_name(const char *s)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_wire((const uint8_t *)s, strlen(s) + 1, &n),
	                 SDNS_OK);
	return n;
}
#define N(s) wire_name(s)

static int parse_hex(const char *hex, sdns_msg *m)
{
	static uint8_t buf[4096];
	int len = sdns_test_hex(hex, buf, sizeof(buf));
	ck_assert_int_ge(len, 0);
	return sdns_msg_parse(buf, (size_t)len, m);
}

static sdns_rr mkrr(const char *owner, uint16_t type, const void *rdata,
                    size_t rdlen)
{
	sdns_rr rr = {.owner = N(owner), .type = type, .rclass = SDNS_C_IN,
	              .ttl = 300, .rdlen = (uint16_t)rdlen, .rdata = rdata};
	return rr;
}

#define HDR_Q "abcd 0100 0001 0000 0000 0000"
#define QNAME "03777777 076578616d706c65 03636f6d 00"

/* --- parsing --- */

START_TEST(test_parse_query_keeps_header_and_question)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex(HDR_Q QNAME "0001 0001", &m), SDNS_OK);
	ck_assert_uint_eq(m.id, 0xabcd);
	ck_assert_uint_eq(m.flags, SDNS_F_RD);
	ck_assert_uint_eq(m.qdcount, 1);
	ck_assert_uint_eq(m.qtype, SDNS_T_A);
	ck_assert_uint_eq(m.qclass, SDNS_C_IN);
	sdns_name want = N("\3www\7example\3com");
	ck_assert(sdns_name_eq_ci(&m.qname, &want));
	ck_assert(!m.edns.present);
	ck_assert_ptr_null(m.arena);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_parse_keeps_qname_case)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex(HDR_Q "03577757 00 0001 0001", &m), SDNS_OK);
	ck_assert_mem_eq(m.qname.data, "\3WwW", 5);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_parse_response_decompresses_owner_and_rdata)
{
	sdns_msg m;
	/* www.example.com CNAME web.<ptr example.com>; web.<ptr> A 10.0.0.5 */
	ck_assert_int_eq(parse_hex("0001 8180 0001 0002 0000 0000" QNAME "0001 0001"
	                           "c00c 0005 0001 00000e10 0006 03776562 c010"
	                           "0377656 2c010 0001 0001 00000e10 0004 0a000005", &m),
	                 SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 2);
	const sdns_rr *c = sdns_msg_rr(&m, SDNS_SEC_AN, 0);
	const sdns_rr *a = sdns_msg_rr(&m, SDNS_SEC_AN, 1);
	ck_assert_uint_eq(c->type, SDNS_T_CNAME);
	ck_assert_uint_eq(c->ttl, 3600);
	ck_assert_uint_eq(c->rdlen, 17);
	ck_assert_mem_eq(c->rdata, "\3web\7example\3com", 17);
	sdns_name web = N("\3web\7example\3com");
	ck_assert(sdns_name_eq_ci(&a->owner, &web));
	ck_assert_uint_eq(a->rdlen, 4);
	ck_assert_mem_eq(a->rdata, "\x0a\0\0\5", 4);
	ck_assert_ptr_null(sdns_msg_rr(&m, SDNS_SEC_AN, 2));
	ck_assert_ptr_null(sdns_msg_rr(&m, SDNS_SEC_NS, 0));
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_parse_second_question_is_checked_not_kept)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("0001 0000 0002 0000 0000 0000" QNAME "0001 0001"
	                           "c00c 001c 0001", &m), SDNS_OK);
	ck_assert_uint_eq(m.qdcount, 2);
	ck_assert_uint_eq(m.qtype, SDNS_T_A);
	sdns_msg_free(&m);
	ck_assert_int_eq(parse_hex("0001 0000 0002 0000 0000 0000" QNAME "0001 0001"
	                           "c0ff 001c 0001", &m), SDNS_EPTR);
}
END_TEST

START_TEST(test_parse_accepts_update_deletes_with_empty_rdata)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("0001 2800 0001 0000 0001 0000" QNAME "0006 0001"
	                           "c00c 0001 00ff 00000000 0000", &m), SDNS_OK);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_NS, 0)->rdlen, 0);
	sdns_msg_free(&m);
	ck_assert_int_eq(parse_hex("0001 2800 0001 0000 0001 0000" QNAME "0006 0001"
	                           "c00c 0001 0001 00000000 0000", &m), SDNS_ERDATA);
}
END_TEST

/* --- every malformed case has its own code --- */

START_TEST(test_short_header_is_emalf)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("abcd 0100 0001 0000 0000 00", &m), SDNS_EMALF);
	ck_assert_int_eq(parse_hex("", &m), SDNS_EMALF);
}
END_TEST

START_TEST(test_counts_beyond_packet_are_ecount)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("0001 0000 0001 ffff 0000 0000" QNAME "0001 0001",
	                           &m), SDNS_ECOUNT);
	/* a record cut inside its fixed fields */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0001 0000 0000" QNAME "0001 0001"
	                           "00000000000000000000", &m), SDNS_EMALF);
	ck_assert_int_eq(parse_hex("0001 0000 0002 0000 0000 0000" QNAME "0001 0001",
	                           &m), SDNS_ECOUNT);
	ck_assert_int_eq(parse_hex("0001 0000 0001 0001 0000 0000 00 0001 0001"
	                           "00 0001 0001 00000000 0000", &m), SDNS_ERDATA);
	ck_assert_int_eq(parse_hex("0001 0000 0001 0002 0000 0000 00 0001 0001"
	                           "00 0010 0001 00000000 0001 00"
	                           "00 0010 0001 00", &m), SDNS_ECOUNT);
}
END_TEST

START_TEST(test_truncated_rdata_is_erdata)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("0001 8000 0001 0001 0000 0000" QNAME "0001 0001"
	                           "c00c 0001 0001 00000e10 0004 0a0000", &m),
	                 SDNS_ERDATA);
	ck_assert_int_eq(parse_hex("0001 8000 0001 0001 0000 0000" QNAME "0001 0001"
	                           "c00c 0001 0001 00000e10 0003 0a0000", &m),
	                 SDNS_ERDATA);
}
END_TEST

START_TEST(test_trailing_garbage_is_etrail)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex(HDR_Q QNAME "0001 0001 00", &m), SDNS_ETRAIL);
}
END_TEST

START_TEST(test_name_errors_in_a_message_keep_their_codes)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex(HDR_Q "c00c 0001 0001", &m), SDNS_EFWDPTR);
	ck_assert_int_eq(parse_hex(HDR_Q "c00e 0001 0001", &m), SDNS_EFWDPTR);
	ck_assert_int_eq(parse_hex(HDR_Q "c0ff 0001 0001", &m), SDNS_EPTR);
	ck_assert_int_eq(parse_hex(HDR_Q "0161 c00c 0001 0001", &m), SDNS_ELOOP);
	ck_assert_int_eq(parse_hex(HDR_Q "4161 00 0001 0001", &m), SDNS_EMALF);
	ck_assert_int_eq(parse_hex(HDR_Q "8161 00 0001 0001", &m), SDNS_EMALF);
	char hex[2048] = HDR_Q;
	for (int l = 0; l < 5; l++) {
		strcat(hex, "3f");
		for (int i = 0; i < 63; i++)
			strcat(hex, "61");
	}
	strcat(hex, "00 0001 0001");
	ck_assert_int_eq(parse_hex(hex, &m), SDNS_ENAME);
}
END_TEST

START_TEST(test_bad_opt_records_are_eopt)
{
	sdns_msg m;
	const char *opt = "00 0029 04d0 00008000 0000";
	char hex[512];
	snprintf(hex, sizeof(hex), "0001 0000 0001 0000 0000 0002 %s 0001 0001 %s %s",
	         QNAME, opt, opt);
	ck_assert_int_eq(parse_hex(hex, &m), SDNS_EOPT);
	snprintf(hex, sizeof(hex), "0001 0000 0001 0001 0000 0000 %s 0001 0001 %s",
	         QNAME, opt);
	ck_assert_int_eq(parse_hex(hex, &m), SDNS_EOPT);
	snprintf(hex, sizeof(hex), "0001 0000 0001 0000 0001 0000 %s 0001 0001 %s",
	         QNAME, opt);
	ck_assert_int_eq(parse_hex(hex, &m), SDNS_EOPT);
	/* owner not root */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "c00c 0029 04d0 00008000 0000", &m), SDNS_EOPT);
	/* option longer than the OPT RDATA */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "00 0029 04d0 00008000 0006 000c 0004 0000", &m),
	                 SDNS_EOPT);
	/* option header cut */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "00 0029 04d0 00008000 0002 000c", &m), SDNS_EOPT);
	/* EDE without its info-code */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "00 0029 04d0 00008000 0005 000f 0001 00", &m),
	                 SDNS_EOPT);
}
END_TEST

/* --- EDNS on input --- */

START_TEST(test_parse_edns_fields_and_options)
{
	sdns_msg m;
	/* udp 1232, ext rcode 1, version 0, DO; keepalive, padding 2, EDE 20 "no" */
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "00 0029 04d0 01008000 0012"
	                           "000b 0000  000c 0002 0000  000f 0004 0014 6e6f",
	                           &m), SDNS_OK);
	ck_assert(m.edns.present);
	ck_assert_uint_eq(m.edns.udp_size, 1232);
	ck_assert_uint_eq(m.edns.ext_rcode, 1);
	ck_assert_uint_eq(m.edns.version, 0);
	ck_assert(m.edns.do_bit);
	ck_assert(m.edns.has_keepalive);
	ck_assert(m.edns.has_padding);
	ck_assert(m.edns.has_ede);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NOT_AUTHORITATIVE);
	ck_assert_str_eq(m.edns.ede_text, "no");
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], 0);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_parse_edns_without_do_and_with_version)
{
	sdns_msg m;
	ck_assert_int_eq(parse_hex("0001 0000 0001 0000 0000 0001" QNAME "0001 0001"
	                           "00 0029 0200 00010000 0000", &m), SDNS_OK);
	ck_assert(!m.edns.do_bit);
	ck_assert_uint_eq(m.edns.version, 1);
	ck_assert_uint_eq(m.edns.udp_size, 512);
	ck_assert(!m.edns.has_ede);
	sdns_msg_free(&m);
}
END_TEST

/* --- building --- */

START_TEST(test_compression_gives_exact_bytes_with_backward_pointers)
{
	uint8_t buf[512], want[512];
	sdns_bld b;
	size_t len;
	ck_assert_int_eq(sdns_bld_init(&b, buf, sizeof(buf), 0xabcd,
	                               SDNS_F_QR | SDNS_F_AA | SDNS_F_RD), SDNS_OK);
	sdns_name q = N("\3www\7example\3com");
	ck_assert_int_eq(sdns_bld_question(&b, &q, SDNS_T_A, SDNS_C_IN), SDNS_OK);
	sdns_rr c = mkrr("\3www\7example\3com", SDNS_T_CNAME,
	                 "\4mail\7example\3com", 18);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &c), SDNS_OK);
	sdns_rr a = mkrr("\4MAIL\7EXAMPLE\3COM", SDNS_T_A, "\xc0\0\2\1", 4);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &a), SDNS_OK);
	ck_assert_int_eq(sdns_bld_finish(&b, &len), SDNS_OK);
	int wl = sdns_test_hex("abcd 8500 0001 0002 0000 0000" QNAME "0001 0001"
	                       "c00c 0005 0001 0000012c 0007 046d61696c c010"
	                       "c02d 0001 0001 0000012c 0004 c0000201",
	                       want, sizeof(want));
	ck_assert_int_eq((int)len, wl);
	ck_assert_mem_eq(buf, want, len);
}
END_TEST

START_TEST(test_compression_shrinks_a_response)
{
	uint8_t buf[1024];
	sdns_bld b;
	size_t len, plain = SDNS_HDR_LEN;
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
	sdns_name q = N("\7example\3com");
	sdns_bld_question(&b, &q, SDNS_T_NS, SDNS_C_IN);
	plain += q.len + 4u;
	static const char *const ns[] = {"\3ns1\7example\3com", "\3ns2\7example\3com",
	                                 "\3ns3\7example\3com"};
	for (int i = 0; i < 3; i++) {
		sdns_rr rr = mkrr("\7example\3com", SDNS_T_NS, ns[i], strlen(ns[i]) + 1);
		ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &rr), SDNS_OK);
		plain += rr.owner.len + 10u + rr.rdlen;
	}
	sdns_bld_finish(&b, &len);
	ck_assert_uint_lt(len, plain);
	/* every pointer in the answer points before itself */
	for (size_t i = 12; i + 1 < len; i++)
		if ((buf[i] & 0xc0) == 0xc0 && i > 29)
			ck_assert_uint_lt((size_t)((buf[i] & 0x3f) << 8 | buf[i + 1]), i);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert_mem_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 2)->rdata, ns[2], 17);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_srv_rrsig_nsec_names_are_never_compressed)
{
	uint8_t buf[512];
	sdns_bld b;
	size_t len;
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
	sdns_name q = N("\7example");
	sdns_bld_question(&b, &q, SDNS_T_SRV, SDNS_C_IN);
	uint8_t srv[] = "\0\1\0\2\0\x35\7example";
	sdns_rr rr = mkrr("\7example", SDNS_T_SRV, srv, sizeof(srv));
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &rr), SDNS_OK);
	sdns_bld_finish(&b, &len);
	/* owner compressed (2 octets), RDATA copied as it is */
	ck_assert_uint_eq(len, 12 + 13 + 2 + 10 + sizeof(srv));
	ck_assert_mem_eq(buf + len - sizeof(srv), srv, sizeof(srv));
}
END_TEST

START_TEST(test_pointers_only_to_offsets_below_0x4000)
{
	static uint8_t buf[40000];
	static uint8_t txt[20000];
	sdns_bld b;
	size_t len;
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
	for (size_t i = 0; i < sizeof(txt); i += 200)
		txt[i] = 199;
	sdns_rr big = mkrr("\3pad", SDNS_T_TXT, txt, sizeof(txt));
	sdns_rr x = mkrr("\1x\4test", SDNS_T_A, "\1\2\3\4", 4);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &big), SDNS_OK);
	size_t first = sdns_wr_len(&b.w);
	ck_assert_uint_gt(first, 0x4000);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &x), SDNS_OK);
	size_t second = sdns_wr_len(&b.w);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &x), SDNS_OK);
	ck_assert_mem_eq(buf + second, "\1x\4test\0", 8);
	ck_assert_int_eq(sdns_bld_finish(&b, &len), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	sdns_msg_free(&m);
}
END_TEST

/* One record of each supported type, plus an unknown one. */
static const struct {
	uint16_t type;
	const char *rdata;
	size_t len;
} samples[] = {
	{SDNS_T_A, "\xc0\0\2\1", 4},
	{SDNS_T_AAAA, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16},
	{SDNS_T_NS, "\3ns1\7example\3com", 17},
	{SDNS_T_CNAME, "\3WEB\7example\3com", 17},
	{SDNS_T_SOA, "\2ns\7example\3com\0\2hm\7example\3com\0"
	             "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5", 52},
	{SDNS_T_PTR, "\4host\7example\3com", 18},
	{SDNS_T_MX, "\0\x0a\4mail\7example\3com", 20},
	{SDNS_T_TXT, "\3abc\0\5hello", 11},
	{SDNS_T_SRV, "\0\1\0\2\x03\x55\3dns\7example\3com", 23},
	{SDNS_T_CAA, "\0\5issueca.org", 13},
	{SDNS_T_DNSKEY, "\1\1\3\x0f\xaa\xbb\xcc", 7},
	{SDNS_T_RRSIG, "\0\1\x0f\2\0\0\x0e\x10\x65\0\0\0\x64\0\0\0\x12\x34"
	               "\7example\3com\0\xaa\xbb", 33},
	{SDNS_T_NSEC, "\1a\7example\3com\0\0\1\x62", 18},
	{4242, "\xde\xad", 2},
};

START_TEST(test_every_type_round_trips)
{
	uint8_t buf[2048];
	sdns_bld b;
	size_t len, n = sizeof(samples) / sizeof(samples[0]);
	sdns_bld_init(&b, buf, sizeof(buf), 7, SDNS_F_QR);
	sdns_name q = N("\7example\3com");
	sdns_bld_question(&b, &q, SDNS_T_ANY, SDNS_C_IN);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(sdns_rdata_check(samples[i].type,
		                 (const uint8_t *)samples[i].rdata, (uint16_t)samples[i].len),
		                 SDNS_OK);
		sdns_rr rr = mkrr("\7example\3com", samples[i].type, samples[i].rdata,
		                  samples[i].len);
		rr.ttl = (uint32_t)i;
		ck_assert_int_eq(sdns_bld_rr(&b, i < 10 ? SDNS_SEC_AN : SDNS_SEC_AR, &rr),
		                 SDNS_OK);
	}
	ck_assert_int_eq(sdns_bld_finish(&b, &len), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 10);
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], n - 10);
	for (size_t i = 0; i < n; i++) {
		const sdns_rr *rr = i < 10 ? sdns_msg_rr(&m, SDNS_SEC_AN, (uint16_t)i)
		                           : sdns_msg_rr(&m, SDNS_SEC_AR, (uint16_t)(i - 10));
		ck_assert_uint_eq(rr->type, samples[i].type);
		ck_assert_uint_eq(rr->ttl, i);
		ck_assert_uint_eq(rr->rclass, SDNS_C_IN);
		ck_assert_uint_eq(rr->rdlen, samples[i].len);
		ck_assert_mem_eq(rr->rdata, samples[i].rdata, samples[i].len);
	}
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_bld_rr_without_space_leaves_message_unchanged)
{
	uint8_t buf[64], copy[64];
	sdns_bld b;
	size_t len;
	sdns_bld_init(&b, buf, sizeof(buf), 9, SDNS_F_QR);
	sdns_name q = N("\3www\7example\3com");
	sdns_bld_question(&b, &q, SDNS_T_A, SDNS_C_IN);
	sdns_rr a = mkrr("\3www\7example\3com", SDNS_T_A, "\1\2\3\4", 4);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &a), SDNS_OK); /* 49 */
	sdns_rr c = mkrr("\3www\7example\3com", SDNS_T_CNAME, "\4mail\3net", 10);
	memcpy(copy, buf, sizeof(buf));
	size_t at = sdns_wr_len(&b.w);
	int comp_n = b.comp_n;
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &c), SDNS_ESPACE);
	ck_assert_uint_eq(sdns_wr_len(&b.w), at);
	ck_assert_int_eq(b.comp_n, comp_n);
	ck_assert_uint_eq(b.count[SDNS_SEC_AN], 1);
	sdns_bld_set_flags(&b, SDNS_F_TC, 0);
	ck_assert_int_eq(sdns_bld_finish(&b, &len), SDNS_OK);
	ck_assert_uint_eq(len, at);
	ck_assert_mem_eq(buf + 12, copy + 12, len - 12);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert(m.flags & SDNS_F_TC);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 1);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_reserve_keeps_room_for_opt)
{
	uint8_t buf[100];
	sdns_bld b;
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232, .do_bit = true};
	sdns_bld_init(&b, buf, sizeof(buf), 9, SDNS_F_QR);
	sdns_name q = N("\3www\7example\3com");
	sdns_bld_question(&b, &q, SDNS_T_A, SDNS_C_IN);
	sdns_bld_reserve(&b, sdns_edns_wire_size(&e));
	sdns_rr a = mkrr("\3www\7example\3com", SDNS_T_A, "\1\2\3\4", 4);
	int added = 0;
	while (sdns_bld_rr(&b, SDNS_SEC_AN, &a) == SDNS_OK)
		added++;
	ck_assert_int_eq(added, 3); /* a 4th (97) fits, but not with the OPT's 11 */
	ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), SDNS_OK);
	ck_assert_int_eq(sdns_bld_finish(&b, &len), SDNS_OK);
	ck_assert_uint_eq(len, 33 + 3 * 16 + 11);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert(m.edns.do_bit);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_sections_only_move_forward_and_opt_is_last)
{
	uint8_t buf[256];
	sdns_bld b;
	sdns_edns e = {.present = true, .udp_size = 512};
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
	sdns_rr a = mkrr("\1a", SDNS_T_A, "\1\2\3\4", 4);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_NS, &a), SDNS_OK);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &a), SDNS_EINVAL);
	sdns_name q = N("\1a");
	ck_assert_int_eq(sdns_bld_question(&b, &q, 1, 1), SDNS_EINVAL);
	sdns_rr o = mkrr("", SDNS_T_OPT, "", 0);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AR, &o), SDNS_EINVAL);
	ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), SDNS_OK);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AR, &a), SDNS_EINVAL);
	ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), SDNS_EINVAL);
}
END_TEST

START_TEST(test_bad_compressible_rdata_is_einval)
{
	uint8_t buf[256];
	sdns_bld b;
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
	sdns_rr ns = mkrr("\1a", SDNS_T_NS, "\1b\0\0", 4);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &ns), SDNS_EINVAL);
	sdns_rr mx = mkrr("\1a", SDNS_T_MX, "\0", 1);
	ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &mx), SDNS_EINVAL);
	ck_assert_uint_eq(sdns_wr_len(&b.w), 12);
}
END_TEST

START_TEST(test_rcode_and_flags_setters)
{
	uint8_t buf[64];
	sdns_bld b;
	sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_RD);
	sdns_bld_set_flags(&b, SDNS_F_QR | SDNS_F_RA, SDNS_F_RD);
	sdns_bld_set_rcode(&b, SDNS_RC_NXDOMAIN);
	ck_assert_uint_eq(buf[2] << 8 | buf[3], SDNS_F_QR | SDNS_F_RA | 3);
	sdns_bld_set_rcode(&b, SDNS_RC_BADVERS); /* low 4 bits only */
	ck_assert_uint_eq(buf[3] & 0xf, 0);
	ck_assert_int_eq(sdns_bld_init(&b, buf, 11, 1, 0), SDNS_ESPACE);
}
END_TEST

/* --- EDNS on output --- */

START_TEST(test_make_query_with_do_bit_gives_exact_bytes)
{
	uint8_t buf[128], want[128];
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232, .do_bit = true};
	sdns_name q = N("\3www\7example\3com");
	ck_assert_int_eq(sdns_msg_make_query(buf, sizeof(buf), &len, 0x1234, &q,
	                                     SDNS_T_AAAA, true, &e, 0), SDNS_OK);
	int wl = sdns_test_hex("1234 0100 0001 0000 0000 0001" QNAME "001c 0001"
	                       "00 0029 04d0 00008000 0000", want, sizeof(want));
	ck_assert_int_eq((int)len, wl);
	ck_assert_mem_eq(buf, want, len);
	ck_assert_int_eq(sdns_msg_make_query(buf, sizeof(buf), &len, 1, &q,
	                                     SDNS_T_A, false, NULL, 0), SDNS_OK);
	ck_assert_uint_eq(len, 33);
	ck_assert_uint_eq(buf[2], 0);
}
END_TEST

START_TEST(test_ede_is_written_with_code_and_text)
{
	uint8_t buf[128], want[128];
	sdns_bld b;
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232, .ext_rcode = 1,
	               .has_ede = true, .ede_code = SDNS_EDE_PROHIBITED};
	strcpy(e.ede_text, "denied");
	sdns_bld_init(&b, buf, sizeof(buf), 5, SDNS_F_QR | SDNS_RC_REFUSED);
	ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), SDNS_OK);
	sdns_bld_finish(&b, &len);
	int wl = sdns_test_hex("0005 8005 0000 0000 0000 0001"
	                       "00 0029 04d0 01000000 000c 000f 0008 0012 64656e696564",
	                       want, sizeof(want));
	ck_assert_int_eq((int)len, wl);
	ck_assert_mem_eq(buf, want, len);
	ck_assert_uint_eq(sdns_edns_wire_size(&e), len - 12);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_PROHIBITED);
	ck_assert_str_eq(m.edns.ede_text, "denied");
	ck_assert_uint_eq(m.edns.ext_rcode, 1);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_padding_makes_response_a_multiple_of_468)
{
	uint8_t buf[4096];
	sdns_bld b;
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232, .do_bit = true,
	               .has_ede = true, .ede_code = SDNS_EDE_OTHER};
	sdns_bld_init(&b, buf, sizeof(buf), 5, SDNS_F_QR);
	sdns_name q = N("\3www\7example\3com");
	sdns_bld_question(&b, &q, SDNS_T_A, SDNS_C_IN);
	for (int i = 0; i < 40; i++) {
		sdns_rr a = mkrr("\3www\7example\3com", SDNS_T_A, "\1\2\3\4", 4);
		sdns_bld_rr(&b, SDNS_SEC_AN, &a);
	}
	ck_assert_int_eq(sdns_bld_opt(&b, &e, 468), SDNS_OK);
	sdns_bld_finish(&b, &len);
	ck_assert_uint_eq(len % 468, 0);
	ck_assert_uint_eq(len, 936);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert(m.edns.has_padding);
	ck_assert(m.edns.has_ede);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_query_padding_to_128)
{
	uint8_t buf[512];
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232};
	sdns_name q = N("\3www\7example\3com");
	ck_assert_int_eq(sdns_msg_make_query(buf, sizeof(buf), &len, 1, &q, SDNS_T_A,
	                                     true, &e, 128), SDNS_OK);
	ck_assert_uint_eq(len, 128);
	/* padding octets are zero */
	for (size_t i = 33 + 15; i < len; i++)
		ck_assert_uint_eq(buf[i], 0);
}
END_TEST

START_TEST(test_padding_fills_what_fits_when_block_does_not)
{
	uint8_t buf[100];
	size_t len;
	sdns_edns e = {.present = true, .udp_size = 1232};
	sdns_name q = N("\3www\7example\3com");
	/* 33 + 11 + 4 = 48: a 128 block does not fit, so pad up to 100 */
	ck_assert_int_eq(sdns_msg_make_query(buf, sizeof(buf), &len, 1, &q, SDNS_T_A,
	                                     true, &e, 128), SDNS_OK);
	ck_assert_uint_eq(len, 100);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert(m.edns.has_padding);
	sdns_msg_free(&m);
	/* less than an option header left: no padding option at all */
	ck_assert_int_eq(sdns_msg_make_query(buf, 47, &len, 1, &q, SDNS_T_A,
	                                     true, &e, 128), SDNS_OK);
	ck_assert_uint_eq(len, 44);
	ck_assert_int_eq(sdns_msg_parse(buf, len, &m), SDNS_OK);
	ck_assert(!m.edns.has_padding);
	sdns_msg_free(&m);
	/* not even the OPT fits */
	ck_assert_int_eq(sdns_msg_make_query(buf, 40, &len, 1, &q, SDNS_T_A,
	                                     true, &e, 128), SDNS_ESPACE);
}
END_TEST

START_TEST(test_rcode_names_follow_rfc_6895_mnemonics)
{
	char buf[16];
	ck_assert_str_eq(sdns_rcode_to_str(0, buf, sizeof(buf)), "NOERROR");
	ck_assert_str_eq(sdns_rcode_to_str(3, buf, sizeof(buf)), "NXDOMAIN");
	ck_assert_str_eq(sdns_rcode_to_str(5, buf, sizeof(buf)), "REFUSED");
	ck_assert_str_eq(sdns_rcode_to_str(16, buf, sizeof(buf)), "BADVERS");
	ck_assert_str_eq(sdns_rcode_to_str(23, buf, sizeof(buf)), "RCODE23");
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_query_keeps_header_and_question);
	tcase_add_test(tc, test_parse_keeps_qname_case);
	tcase_add_test(tc, test_parse_response_decompresses_owner_and_rdata);
	tcase_add_test(tc, test_parse_second_question_is_checked_not_kept);
	tcase_add_test(tc, test_parse_accepts_update_deletes_with_empty_rdata);
	tcase_add_test(tc, test_short_header_is_emalf);
	tcase_add_test(tc, test_counts_beyond_packet_are_ecount);
	tcase_add_test(tc, test_truncated_rdata_is_erdata);
	tcase_add_test(tc, test_trailing_garbage_is_etrail);
	tcase_add_test(tc, test_name_errors_in_a_message_keep_their_codes);
	tcase_add_test(tc, test_bad_opt_records_are_eopt);
	tcase_add_test(tc, test_parse_edns_fields_and_options);
	tcase_add_test(tc, test_parse_edns_without_do_and_with_version);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_add_test(tc, test_compression_gives_exact_bytes_with_backward_pointers);
	tcase_add_test(tc, test_compression_shrinks_a_response);
	tcase_add_test(tc, test_srv_rrsig_nsec_names_are_never_compressed);
	tcase_add_test(tc, test_pointers_only_to_offsets_below_0x4000);
	tcase_add_test(tc, test_every_type_round_trips);
	tcase_add_test(tc, test_bld_rr_without_space_leaves_message_unchanged);
	tcase_add_test(tc, test_reserve_keeps_room_for_opt);
	tcase_add_test(tc, test_sections_only_move_forward_and_opt_is_last);
	tcase_add_test(tc, test_bad_compressible_rdata_is_einval);
	tcase_add_test(tc, test_rcode_and_flags_setters);
	tcase_add_test(tc, test_make_query_with_do_bit_gives_exact_bytes);
	tcase_add_test(tc, test_ede_is_written_with_code_and_text);
	tcase_add_test(tc, test_padding_makes_response_a_multiple_of_468);
	tcase_add_test(tc, test_query_padding_to_128);
	tcase_add_test(tc, test_padding_fills_what_fits_when_block_does_not);
	tcase_add_test(tc, test_rcode_names_follow_rfc_6895_mnemonics);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(msg_suite)
