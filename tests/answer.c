/* Tests for src/zone/answer.c: authoritative responses, parsed back with
 * sdns_msg_parse and checked field by field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/answer.h"
#include "sdns/error.h"
#include "testlib.h"
#include "zonetest.h"

#define SOA "@ 3600 SOA ns1 hostmaster 2024010101 7200 900 1209600 300"
#define SOA_HEX "03 6e 73 31 07 65 78 61 6d 70 6c 65 00" \
	" 0a 68 6f 73 74 6d 61 73 74 65 72 07 65 78 61 6d 70 6c 65 00" \
	" 78 a3 f1 75 00 00 1c 20 00 00 03 84 00 12 75 00 00 00 01 2c"

static const char *const example[] = {
	SOA,
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	"www 300 AAAA 2001:db8::1",
	"a.b.c 300 TXT deep",
	"alias 300 CNAME www",
	"chain1 300 CNAME chain2",
	"chain2 300 CNAME www",
	"dangling 300 CNAME nothere",
	"loop1 300 CNAME loop2",
	"loop2 300 CNAME loop1",
	"ext 300 CNAME www.example.org.",
	"tosub 300 CNAME www.sub.example.",
	"*.wild 300 A 192.0.2.99",
	"sub.wild 300 A 192.0.2.98",
	"a.ent.wild 300 A 192.0.2.97",
	"*.cn 300 CNAME www",
	"mx 300 MX 10 mail",
	"mail 300 A 192.0.2.25",
	"deleg 3600 NS ns.deleg",
	"ns.deleg 3600 A 192.0.2.77",
	NULL,
};

static const char *const sub[] = {
	"@ 60 SOA ns1 hostmaster 7 7200 900 1209600 600",
	"www 300 A 192.0.2.200",
	NULL,
};

static sdns_zoneset *zs;

static void setup(void)
{
	sdns_zone *zones[] = { zt_zone("example.", example),
	                       zt_zone("sub.example.", sub) };
	ck_assert_int_eq(sdns_zoneset_new(zones, 2, &zs), SDNS_OK);
}

static void teardown(void)
{
	sdns_zoneset_unref(zs);
	zs = NULL;
}

static const sdns_answer_opts udp = {
	.max_size = 65535, .pad_block = 0, .our_udp_size = 1232 };

typedef struct {
	uint8_t q[512];
	size_t qlen;
	uint8_t wire[65535];
	size_t len;
	sdns_msg m;
} exch;

static exch *ex_new(void)
{
	exch *x = calloc(1, sizeof(*x));
	ck_assert_ptr_nonnull(x);
	return x;
}

static void ex_free(exch *x)
{
	sdns_msg_free(&x->m);
	free(x);
}

/* Build the query; edns NULL for none. */
static void make_q(exch *x, uint16_t id, const char *qname, uint16_t qtype,
                   const sdns_edns *edns)
{
	sdns_name n = zt_name(qname, NULL);
	ck_assert_int_eq(sdns_msg_make_query(x->q, sizeof(x->q), &x->qlen, id,
	                                     &n, qtype, true, edns, 0), SDNS_OK);
}

/* Answer x->q and parse the response, which must echo the ID. */
static void run(exch *x, const sdns_answer_opts *o)
{
	ck_assert_int_eq(sdns_answer(zs, x->q, x->qlen, o, x->wire,
	                             sizeof(x->wire), &x->len), SDNS_OK);
	ck_assert_int_eq(sdns_msg_parse(x->wire, x->len, &x->m), SDNS_OK);
	ck_assert_uint_eq(x->m.id, (uint16_t)(x->q[0] << 8 | x->q[1]));
	ck_assert(x->m.flags & SDNS_F_QR);
}

static exch *ask(const char *qname, uint16_t qtype)
{
	exch *x = ex_new();
	make_q(x, 0x1234, qname, qtype, NULL);
	run(x, &udp);
	return x;
}

static void assert_counts(const exch *x, int an, int ns, int ar)
{
	ck_assert_int_eq(x->m.count[SDNS_SEC_AN], an);
	ck_assert_int_eq(x->m.count[SDNS_SEC_NS], ns);
	ck_assert_int_eq(x->m.count[SDNS_SEC_AR], ar);
}

static void assert_rr(const exch *x, enum sdns_section sec, uint16_t i,
                      const char *owner, uint16_t type, uint32_t ttl,
                      const char *hex)
{
	const sdns_rr *rr = sdns_msg_rr(&x->m, sec, i);
	ck_assert_ptr_nonnull(rr);
	char buf[SDNS_NAME_STR_MAX];
	ck_assert_int_eq(sdns_name_to_str(&rr->owner, buf, sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, owner);
	ck_assert_uint_eq(rr->type, type);
	ck_assert_uint_eq(rr->rclass, SDNS_C_IN);
	ck_assert_uint_eq(rr->ttl, ttl);
	uint8_t want[512];
	int n = sdns_test_hex(hex, want, sizeof(want));
	ck_assert_int_ge(n, 0);
	ck_assert_uint_eq(rr->rdlen, (unsigned)n);
	ck_assert_mem_eq(rr->rdata, want, (size_t)n);
}

static void assert_soa(const exch *x)
{
	assert_rr(x, SDNS_SEC_NS, 0, "example.", SDNS_T_SOA, 300, SOA_HEX);
}

#define RCODE(x) SDNS_RCODE((x)->m.flags)

START_TEST(test_aa_set)
{
	exch *x = ask("www.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	ck_assert(x->m.flags & SDNS_F_AA);
	ck_assert(!(x->m.flags & SDNS_F_TC));
	ck_assert(!(x->m.flags & SDNS_F_RA));
	assert_counts(x, 1, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "www.example.", SDNS_T_A, 300, "c0000201");
	ck_assert(!x->m.edns.present);
	ex_free(x);
}
END_TEST

START_TEST(test_question_case_preserved)
{
	exch *x = ask("WwW.ExAmPle.", SDNS_T_A);
	char buf[SDNS_NAME_STR_MAX];
	sdns_name_to_str(&x->m.qname, buf, sizeof(buf));
	ck_assert_str_eq(buf, "WwW.ExAmPle.");
	ck_assert_uint_eq(x->m.qtype, SDNS_T_A);
	ck_assert_uint_eq(x->m.qclass, SDNS_C_IN);
	ck_assert_uint_eq(x->m.qdcount, 1);
	assert_rr(x, SDNS_SEC_AN, 0, "WwW.ExAmPle.", SDNS_T_A, 300, "c0000201");
	ex_free(x);
}
END_TEST

START_TEST(test_id_opcode_rd_cd_copied)
{
	exch *x = ex_new();
	make_q(x, 0xbeef, "www.example.", SDNS_T_A, NULL);
	x->q[3] |= SDNS_F_CD;
	run(x, &udp);
	ck_assert_uint_eq(x->m.id, 0xbeef);
	ck_assert(x->m.flags & SDNS_F_RD);
	ck_assert(x->m.flags & SDNS_F_CD);
	ck_assert_uint_eq(SDNS_OPCODE(x->m.flags), SDNS_OP_QUERY);
	ex_free(x);
	x = ex_new();
	make_q(x, 1, "www.example.", SDNS_T_A, NULL);
	x->q[2] &= (uint8_t)~(SDNS_F_RD >> 8);
	run(x, &udp);
	ck_assert(!(x->m.flags & (SDNS_F_RD | SDNS_F_CD)));
	ex_free(x);
}
END_TEST

START_TEST(test_any_returns_all_rrsets)
{
	exch *x = ask("www.example.", SDNS_T_ANY);
	assert_counts(x, 2, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "www.example.", SDNS_T_A, 300, "c0000201");
	assert_rr(x, SDNS_SEC_AN, 1, "www.example.", SDNS_T_AAAA, 300,
	          "20010db8000000000000000000000001");
	ex_free(x);
}
END_TEST

START_TEST(test_nxdomain_carries_soa_with_negative_ttl)
{
	exch *x = ask("nx.c.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NXDOMAIN);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_nodata_for_existing_name_other_type)
{
	exch *x = ask("www.example.", SDNS_T_MX);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_negative_ttl_is_soa_ttl_when_lower)
{
	/* sub.example.: SOA TTL 60, MINIMUM 600. */
	exch *x = ask("nx.sub.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NXDOMAIN);
	assert_counts(x, 0, 1, 0);
	const sdns_rr *rr = sdns_msg_rr(&x->m, SDNS_SEC_NS, 0);
	ck_assert_uint_eq(rr->type, SDNS_T_SOA);
	ck_assert_uint_eq(rr->ttl, 60);
	ex_free(x);
}
END_TEST

START_TEST(test_empty_non_terminal_is_nodata_not_nxdomain)
{
	exch *x = ask("b.c.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
	x = ask("c.example.", SDNS_T_ANY);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 0, 1, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_cname_chain_followed_in_zone)
{
	exch *x = ask("chain1.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 3, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "chain1.example.", SDNS_T_CNAME, 300,
	          "06 636861696e32 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AN, 1, "chain2.example.", SDNS_T_CNAME, 300,
	          "03 777777 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AN, 2, "www.example.", SDNS_T_A, 300, "c0000201");
	ex_free(x);
}
END_TEST

START_TEST(test_cname_query_is_not_followed)
{
	exch *x = ask("alias.example.", SDNS_T_CNAME);
	assert_counts(x, 1, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "alias.example.", SDNS_T_CNAME, 300,
	          "03 777777 07 6578616d706c65 00");
	ex_free(x);
}
END_TEST

START_TEST(test_cname_to_missing_name_is_nxdomain)
{
	/* RFC 6604: the rcode is that of the last name of the chain. */
	exch *x = ask("dangling.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NXDOMAIN);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 1, 1, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "dangling.example.", SDNS_T_CNAME, 300,
	          "07 6e6f7468657265 07 6578616d706c65 00");
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_cname_to_name_without_type_is_nodata)
{
	exch *x = ask("alias.example.", SDNS_T_MX);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 1, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_cname_loop_stops)
{
	exch *x = ask("loop1.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 2, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "loop1.example.", SDNS_T_CNAME, 300,
	          "05 6c6f6f7032 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AN, 1, "loop2.example.", SDNS_T_CNAME, 300,
	          "05 6c6f6f7031 07 6578616d706c65 00");
	ex_free(x);
}
END_TEST

START_TEST(test_long_cname_chain_capped)
{
	static const char *lines[12];
	char buf[10][64];
	lines[0] = "@ 60 SOA ns hm 1 2 3 4 5";
	for (int i = 0; i < 10; i++) {
		snprintf(buf[i], sizeof(buf[i]), "c%d 60 CNAME c%d", i, i + 1);
		lines[i + 1] = buf[i];
	}
	lines[11] = NULL;
	sdns_zone *zones[] = { zt_zone("long.", lines) };
	sdns_zoneset *saved = zs;
	ck_assert_int_eq(sdns_zoneset_new(zones, 1, &zs), SDNS_OK);
	exch *x = ask("c0.long.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 8, 0, 0);
	ex_free(x);
	sdns_zoneset_unref(zs);
	zs = saved;
}
END_TEST

START_TEST(test_cname_followed_into_other_zone)
{
	exch *x = ask("tosub.example.", SDNS_T_A);
	assert_counts(x, 2, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 1, "www.sub.example.", SDNS_T_A, 300,
	          "c00002c8");
	ex_free(x);
}
END_TEST

START_TEST(test_cname_out_of_zones_ends_chain)
{
	exch *x = ask("ext.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 1, 0, 0);
	ck_assert_uint_eq(sdns_msg_rr(&x->m, SDNS_SEC_AN, 0)->type, SDNS_T_CNAME);
	ex_free(x);
}
END_TEST

START_TEST(test_wildcard_synthesizes_owner_with_query_case)
{
	exch *x = ask("Foo.Bar.WILD.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 1, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "Foo.Bar.WILD.example.", SDNS_T_A, 300,
	          "c0000263");
	ex_free(x);
}
END_TEST

START_TEST(test_wildcard_nodata_for_other_type)
{
	exch *x = ask("foo.wild.example.", SDNS_T_MX);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_wildcard_not_applied_below_existing_name)
{
	/* sub.wild exists, so it is the closest encloser and has no "*". */
	exch *x = ask("x.sub.wild.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NXDOMAIN);
	assert_counts(x, 0, 1, 0);
	ex_free(x);
	x = ask("sub.wild.example.", SDNS_T_A);
	assert_rr(x, SDNS_SEC_AN, 0, "sub.wild.example.", SDNS_T_A, 300,
	          "c0000262");
	ex_free(x);
}
END_TEST

START_TEST(test_wildcard_not_applied_to_empty_non_terminal)
{
	exch *x = ask("ent.wild.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_wildcard_cname_followed)
{
	exch *x = ask("Any.cn.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 2, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "Any.cn.example.", SDNS_T_CNAME, 300,
	          "03 777777 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AN, 1, "www.example.", SDNS_T_A, 300, "c0000201");
	ex_free(x);
}
END_TEST

START_TEST(test_referral_below_delegation)
{
	exch *x = ask("www.deleg.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	ck_assert(!(x->m.flags & SDNS_F_AA));
	assert_counts(x, 0, 1, 1);
	assert_rr(x, SDNS_SEC_NS, 0, "deleg.example.", SDNS_T_NS, 3600,
	          "02 6e73 05 64656c6567 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AR, 0, "ns.deleg.example.", SDNS_T_A, 3600,
	          "c000024d");
	ex_free(x);
}
END_TEST

START_TEST(test_referral_for_cut_and_glue_names)
{
	exch *x = ask("deleg.example.", SDNS_T_NS);
	ck_assert(!(x->m.flags & SDNS_F_AA));
	assert_counts(x, 0, 1, 1);
	ex_free(x);
	x = ask("ns.deleg.example.", SDNS_T_A);
	ck_assert(!(x->m.flags & SDNS_F_AA));
	assert_counts(x, 0, 1, 1);
	ck_assert_uint_eq(sdns_msg_rr(&x->m, SDNS_SEC_NS, 0)->type, SDNS_T_NS);
	ex_free(x);
}
END_TEST

START_TEST(test_ds_at_cut_answered_by_parent)
{
	exch *x = ask("deleg.example.", 43);
	ck_assert(x->m.flags & SDNS_F_AA);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 0, 1, 0);
	assert_soa(x);
	ex_free(x);
}
END_TEST

START_TEST(test_longest_apex_wins)
{
	exch *x = ask("www.sub.example.", SDNS_T_A);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 1, 0, 0);
	assert_rr(x, SDNS_SEC_AN, 0, "www.sub.example.", SDNS_T_A, 300,
	          "c00002c8");
	ex_free(x);
	x = ask("sub.example.", SDNS_T_SOA);
	assert_counts(x, 1, 0, 0);
	ck_assert_uint_eq(sdns_msg_rr(&x->m, SDNS_SEC_AN, 0)->ttl, 60);
	ex_free(x);
}
END_TEST

START_TEST(test_mx_target_address_in_additional)
{
	exch *x = ask("mx.example.", SDNS_T_MX);
	assert_counts(x, 1, 0, 1);
	assert_rr(x, SDNS_SEC_AN, 0, "mx.example.", SDNS_T_MX, 300,
	          "000a 04 6d61696c 07 6578616d706c65 00");
	assert_rr(x, SDNS_SEC_AR, 0, "mail.example.", SDNS_T_A, 300, "c0000219");
	ex_free(x);
}
END_TEST

START_TEST(test_apex_ns_gets_addresses)
{
	exch *x = ask("example.", SDNS_T_NS);
	ck_assert(x->m.flags & SDNS_F_AA);
	assert_counts(x, 1, 0, 1);
	assert_rr(x, SDNS_SEC_AR, 0, "ns1.example.", SDNS_T_A, 3600, "c0000235");
	ex_free(x);
}
END_TEST

START_TEST(test_name_outside_zones_refused)
{
	exch *x = ask("www.example.org.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ck_assert(!(x->m.flags & SDNS_F_AA));
	ck_assert_uint_eq(x->m.qdcount, 1);
	assert_counts(x, 0, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_refused_with_edns_carries_ede_not_authoritative)
{
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 1232 };
	make_q(x, 7, "www.example.org.", SDNS_T_A, &e);
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ck_assert(x->m.edns.present);
	ck_assert(x->m.edns.has_ede);
	ck_assert_uint_eq(x->m.edns.ede_code, SDNS_EDE_NOT_AUTHORITATIVE);
	ex_free(x);
}
END_TEST

START_TEST(test_qclass_chaos_refused_and_any_answered)
{
	exch *x = ex_new();
	make_q(x, 9, "www.example.", SDNS_T_A, NULL);
	x->q[x->qlen - 1] = SDNS_C_CH;
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ck_assert_uint_eq(x->m.qclass, SDNS_C_CH);
	assert_counts(x, 0, 0, 0);
	ex_free(x);
	x = ex_new();
	make_q(x, 9, "www.example.", SDNS_T_A, NULL);
	x->q[x->qlen - 1] = SDNS_C_ANY;
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOERROR);
	assert_counts(x, 1, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_notimp_for_update_opcode)
{
	exch *x = ex_new();
	make_q(x, 11, "www.example.", SDNS_T_A, NULL);
	x->q[2] = (uint8_t)((x->q[2] & 0x87) | SDNS_OP_UPDATE << 3);
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOTIMP);
	ck_assert_uint_eq(SDNS_OPCODE(x->m.flags), SDNS_OP_UPDATE);
	ck_assert(!(x->m.flags & SDNS_F_AA));
	assert_counts(x, 0, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_qdcount_two_refused)
{
	exch *x = ex_new();
	make_q(x, 12, "www.example.", SDNS_T_A, NULL);
	size_t ql = x->qlen - SDNS_HDR_LEN;
	memcpy(x->q + x->qlen, x->q + SDNS_HDR_LEN, ql);
	x->qlen += ql;
	x->q[5] = 2;
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ck_assert_uint_eq(x->m.qdcount, 0);
	assert_counts(x, 0, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_qdcount_zero_refused)
{
	exch *x = ex_new();
	static const uint8_t q[] = { 0, 13, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(x->q, q, sizeof(q));
	x->qlen = sizeof(q);
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ck_assert_uint_eq(x->len, SDNS_HDR_LEN);
	ex_free(x);
}
END_TEST

START_TEST(test_meta_qtypes)
{
	exch *x = ask("example.", 252);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ex_free(x);
	x = ask("example.", 254);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_NOTIMP);
	ex_free(x);
	x = ask("example.", SDNS_T_OPT);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_FORMERR);
	ex_free(x);
}
END_TEST

START_TEST(test_padding_to_468_block_when_edns)
{
	static const sdns_answer_opts doq = {
		.max_size = 65535, .pad_block = 468, .our_udp_size = 1232 };
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 4096, .do_bit = true };
	make_q(x, 14, "www.example.", SDNS_T_A, &e);
	run(x, &doq);
	ck_assert_uint_eq(x->len % 468, 0);
	ck_assert_uint_eq(x->len, 468);
	ck_assert(x->m.edns.present);
	ck_assert(x->m.edns.has_padding);
	ck_assert(x->m.edns.do_bit);
	ck_assert_uint_eq(x->m.edns.udp_size, 1232);
	ck_assert_uint_eq(x->m.edns.version, 0);
	assert_counts(x, 1, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_no_opt_without_edns_in_query)
{
	static const sdns_answer_opts doq = {
		.max_size = 65535, .pad_block = 468, .our_udp_size = 1232 };
	exch *x = ex_new();
	make_q(x, 15, "www.example.", SDNS_T_A, NULL);
	run(x, &doq);
	ck_assert(!x->m.edns.present);
	ck_assert_uint_lt(x->len, 100);
	ex_free(x);
}
END_TEST

START_TEST(test_do_bit_clear_echoed)
{
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 512 };
	make_q(x, 16, "www.example.", SDNS_T_A, &e);
	run(x, &udp);
	ck_assert(x->m.edns.present);
	ck_assert(!x->m.edns.do_bit);
	ck_assert(!x->m.edns.has_padding);
	ex_free(x);
}
END_TEST

START_TEST(test_badvers)
{
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 1232, .version = 1 };
	make_q(x, 17, "www.example.", SDNS_T_A, &e);
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_BADVERS & 0xf);
	ck_assert(x->m.edns.present);
	ck_assert_uint_eq(x->m.edns.ext_rcode, SDNS_RC_BADVERS >> 4);
	ck_assert_uint_eq(x->m.edns.version, 0);
	ck_assert_uint_eq(x->m.qdcount, 1);
	assert_counts(x, 0, 0, 0);
	ex_free(x);
}
END_TEST

START_TEST(test_malformed_query_formerr)
{
	exch *x = ex_new();
	make_q(x, 0x4242, "www.example.", SDNS_T_A, NULL);
	x->qlen -= 3; /* cut into the question */
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_FORMERR);
	ck_assert(x->m.flags & SDNS_F_RD);
	ck_assert_uint_eq(x->len, SDNS_HDR_LEN);
	ex_free(x);
}
END_TEST

START_TEST(test_malformed_edns_option_formerr)
{
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 1232 };
	make_q(x, 0x4343, "www.example.", SDNS_T_A, &e);
	/* Append an option whose length runs past the RDATA. */
	static const uint8_t opt[] = { 0x00, 0x0a, 0x00, 0x08, 1, 2 };
	memcpy(x->q + x->qlen, opt, sizeof(opt));
	x->qlen += sizeof(opt);
	x->q[x->qlen - sizeof(opt) - 1] = sizeof(opt); /* OPT RDLENGTH */
	run(x, &udp);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_FORMERR);
	ex_free(x);
}
END_TEST

START_TEST(test_short_header_emalf_and_response_ignored)
{
	uint8_t out[512];
	size_t len = 77;
	static const uint8_t shortq[] = { 0, 1, 0, 0, 0 };
	ck_assert_int_eq(sdns_answer(zs, shortq, sizeof(shortq), &udp, out,
	                             sizeof(out), &len), SDNS_EMALF);
	ck_assert_uint_eq(len, 77);
	exch *x = ex_new();
	make_q(x, 18, "www.example.", SDNS_T_A, NULL);
	x->q[2] |= 0x80;
	ck_assert_int_eq(sdns_answer(zs, x->q, x->qlen, &udp, out, sizeof(out),
	                             &len), SDNS_EPROTO);
	ck_assert_uint_eq(len, 77);
	ex_free(x);
}
END_TEST

static sdns_zoneset *big_set(void)
{
	static const char *lines[42];
	static char buf[40][128];
	lines[0] = "@ 60 SOA ns hm 1 2 3 4 5";
	for (int i = 0; i < 40; i++) {
		snprintf(buf[i], sizeof(buf[i]), "big 60 TXT record-%02d-"
		         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
		lines[i + 1] = buf[i];
	}
	lines[41] = NULL;
	sdns_zone *zones[] = { zt_zone("big.", lines) };
	sdns_zoneset *s = NULL;
	ck_assert_int_eq(sdns_zoneset_new(zones, 1, &s), SDNS_OK);
	return s;
}

START_TEST(test_truncation_sets_tc)
{
	sdns_zoneset *saved = zs;
	zs = big_set();
	static const sdns_answer_opts small = {
		.max_size = 512, .pad_block = 0, .our_udp_size = 1232 };
	exch *x = ex_new();
	sdns_edns e = { .present = true, .udp_size = 512 };
	make_q(x, 19, "big.big.", SDNS_T_TXT, &e);
	run(x, &small);
	ck_assert(x->m.flags & SDNS_F_TC);
	ck_assert(x->m.flags & SDNS_F_AA);
	ck_assert_uint_le(x->len, 512);
	ck_assert_uint_eq(x->m.qdcount, 1);
	ck_assert(x->m.edns.present);
	assert_counts(x, 0, 0, 0);
	ex_free(x);
	/* The same over a stream fits whole. */
	x = ex_new();
	make_q(x, 20, "big.big.", SDNS_T_TXT, &e);
	run(x, &udp);
	ck_assert(!(x->m.flags & SDNS_F_TC));
	assert_counts(x, 40, 0, 0);
	ex_free(x);
	sdns_zoneset_unref(zs);
	zs = saved;
}
END_TEST

START_TEST(test_max_size_below_question_gives_bare_tc_header)
{
	static const sdns_answer_opts tiny = {
		.max_size = 20, .pad_block = 0, .our_udp_size = 1232 };
	exch *x = ex_new();
	make_q(x, 21, "www.example.", SDNS_T_A, NULL);
	run(x, &tiny);
	ck_assert(x->m.flags & SDNS_F_TC);
	ck_assert_uint_eq(x->len, SDNS_HDR_LEN);
	uint8_t out[8];
	size_t len;
	ck_assert_int_eq(sdns_answer(zs, x->q, 0, &udp, out, sizeof(out), &len),
	                 SDNS_EMALF);
	ck_assert_int_eq(sdns_answer(zs, x->q, x->qlen, &udp, out, sizeof(out),
	                             &len), SDNS_ESPACE);
	ex_free(x);
}
END_TEST

START_TEST(test_answer_msg_from_parsed_query)
{
	exch *x = ex_new();
	make_q(x, 22, "www.example.", SDNS_T_AAAA, NULL);
	sdns_msg q;
	ck_assert_int_eq(sdns_msg_parse(x->q, x->qlen, &q), SDNS_OK);
	ck_assert_int_eq(sdns_answer_msg(zs, &q, &udp, x->wire, sizeof(x->wire),
	                                 &x->len), SDNS_OK);
	sdns_msg_free(&q);
	ck_assert_int_eq(sdns_msg_parse(x->wire, x->len, &x->m), SDNS_OK);
	assert_rr(x, SDNS_SEC_AN, 0, "www.example.", SDNS_T_AAAA, 300,
	          "20010db8000000000000000000000001");
	ck_assert_int_eq(sdns_answer_msg(zs, NULL, &udp, x->wire, 1, &x->len),
	                 SDNS_EINVAL);
	ex_free(x);
}
END_TEST

START_TEST(test_empty_zoneset_refuses)
{
	sdns_zoneset *saved = zs;
	ck_assert_int_eq(sdns_zoneset_new(NULL, 0, &zs), SDNS_OK);
	exch *x = ask("www.example.", SDNS_T_A);
	ck_assert_uint_eq(RCODE(x), SDNS_RC_REFUSED);
	ex_free(x);
	sdns_zoneset_unref(zs);
	zs = saved;
}
END_TEST

static Suite *answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_aa_set);
	tcase_add_test(tc, test_question_case_preserved);
	tcase_add_test(tc, test_id_opcode_rd_cd_copied);
	tcase_add_test(tc, test_any_returns_all_rrsets);
	tcase_add_test(tc, test_nxdomain_carries_soa_with_negative_ttl);
	tcase_add_test(tc, test_nodata_for_existing_name_other_type);
	tcase_add_test(tc, test_negative_ttl_is_soa_ttl_when_lower);
	tcase_add_test(tc, test_empty_non_terminal_is_nodata_not_nxdomain);
	tcase_add_test(tc, test_cname_chain_followed_in_zone);
	tcase_add_test(tc, test_cname_query_is_not_followed);
	tcase_add_test(tc, test_cname_to_missing_name_is_nxdomain);
	tcase_add_test(tc, test_cname_to_name_without_type_is_nodata);
	tcase_add_test(tc, test_cname_loop_stops);
	tcase_add_test(tc, test_long_cname_chain_capped);
	tcase_add_test(tc, test_cname_followed_into_other_zone);
	tcase_add_test(tc, test_cname_out_of_zones_ends_chain);
	tcase_add_test(tc, test_wildcard_synthesizes_owner_with_query_case);
	tcase_add_test(tc, test_wildcard_nodata_for_other_type);
	tcase_add_test(tc, test_wildcard_not_applied_below_existing_name);
	tcase_add_test(tc, test_wildcard_not_applied_to_empty_non_terminal);
	tcase_add_test(tc, test_wildcard_cname_followed);
	tcase_add_test(tc, test_referral_below_delegation);
	tcase_add_test(tc, test_referral_for_cut_and_glue_names);
	tcase_add_test(tc, test_ds_at_cut_answered_by_parent);
	tcase_add_test(tc, test_longest_apex_wins);
	tcase_add_test(tc, test_mx_target_address_in_additional);
	tcase_add_test(tc, test_apex_ns_gets_addresses);
	tcase_add_test(tc, test_name_outside_zones_refused);
	tcase_add_test(tc, test_refused_with_edns_carries_ede_not_authoritative);
	tcase_add_test(tc, test_qclass_chaos_refused_and_any_answered);
	tcase_add_test(tc, test_notimp_for_update_opcode);
	tcase_add_test(tc, test_qdcount_two_refused);
	tcase_add_test(tc, test_qdcount_zero_refused);
	tcase_add_test(tc, test_meta_qtypes);
	tcase_add_test(tc, test_padding_to_468_block_when_edns);
	tcase_add_test(tc, test_no_opt_without_edns_in_query);
	tcase_add_test(tc, test_do_bit_clear_echoed);
	tcase_add_test(tc, test_badvers);
	tcase_add_test(tc, test_malformed_query_formerr);
	tcase_add_test(tc, test_malformed_edns_option_formerr);
	tcase_add_test(tc, test_short_header_emalf_and_response_ignored);
	tcase_add_test(tc, test_truncation_sets_tc);
	tcase_add_test(tc, test_max_size_below_question_gives_bare_tc_header);
	tcase_add_test(tc, test_answer_msg_from_parsed_query);
	tcase_add_test(tc, test_empty_zoneset_refuses);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(answer_suite)
