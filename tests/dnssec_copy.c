/* Tests for the relay's side of src/dnssec (sdns_dnssec_verified_copy):
 * what of a response may be passed on and for how long, over genuine
 * answers of src/zone/answer.c that a relay has tampered with; and the
 * signed SOA that positive answers carry for the mesh (answer.c's
 * soa_with_answers). tests/dnssec.c has the rest of the module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/answer.h"
#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/msg.h"
#include "testlib.h"
#include "zonetest.h"

#define NOW 1700000000u
#define VALIDITY 86400u
#define HUGE_TTL 0x7fffffffu

static const char *const example[] = {
	"@ 3600 SOA ns1 hostmaster 2024010101 7200 900 1209600 300",
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	"www 300 A 192.0.2.2",
	"deleg 3600 NS ns.deleg",
	"ns.deleg 3600 A 192.0.2.77",
	NULL,
};

static sdns_zoneset *zs;
static sdns_dnssec_key key;
static sdns_name apex;

static sdns_name N(const char *s) { return zt_name(s, NULL); }

static void setup(void)
{
	uint8_t seed[32];
	memset(seed, 3, sizeof(seed));
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &key), SDNS_OK);
	sdns_zone *z = zt_zone("example.", example), *s = NULL;
	sdns_dnssec_window w;
	sdns_dnssec_window_at(NOW, VALIDITY, &w);
	ck_assert_int_eq(sdns_dnssec_sign_zone(z, &key, &w, &s), SDNS_OK);
	sdns_zone_free(z);
	ck_assert_int_eq(sdns_zoneset_new(&s, 1, &zs), SDNS_OK);
	apex = N("example.");
}

static void teardown(void)
{
	sdns_zoneset_unref(zs);
	zs = NULL;
}

typedef struct {
	uint8_t wire[8192];
	size_t len;
} buf;

/* The owner's answer (DO), with or without the SOA beside positive ones. */
static void ask(const char *qname, uint16_t qtype, bool soa, buf *out)
{
	uint8_t q[512];
	size_t qlen = 0;
	sdns_name n = N(qname);
	sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = true };
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &qlen, 7, &n, qtype,
	                                     false, &e, 0), SDNS_OK);
	sdns_answer_opts o = { .max_size = 65535, .our_udp_size = 1232,
	                       .key = &key, .now = NOW,
	                       .soa_with_answers = soa };
	ck_assert_int_eq(sdns_answer(zs, q, qlen, &o, out->wire,
	                             sizeof(out->wire), &out->len), SDNS_OK);
}

static int count_type(const sdns_msg *m, enum sdns_section s, uint16_t t)
{
	int n = 0;
	for (uint16_t i = 0; i < m->count[s]; i++)
		n += sdns_msg_rr(m, s, i)->type == t;
	return n;
}

static uint16_t covered(const sdns_rr *rr)
{
	return (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]);
}

/* What a lying relay does to in: every TTL set to ttl (0 = kept), and,
 * with extras, an unsigned A in each section (evil.example. in answer
 * and authority, www.example. in additional); with join, an unsigned A
 * added to the answer's www A RRset. */
static void tamper(const buf *in, uint32_t ttl, bool extras, bool join,
                   buf *out)
{
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(in->wire, in->len, &m), SDNS_OK);
	sdns_bld b;
	ck_assert_int_eq(sdns_bld_init(&b, out->wire, sizeof(out->wire), m.id,
	                               m.flags), SDNS_OK);
	ck_assert_int_eq(sdns_bld_question(&b, &m.qname, m.qtype, m.qclass), 0);
	static const uint8_t bad[4] = { 203, 0, 113, 9 };
	sdns_rr evil = { N("evil.example."), SDNS_T_A, SDNS_C_IN, HUGE_TTL, 4,
	                 bad };
	sdns_rr www = evil;
	www.owner = N("www.example.");
	for (int s = SDNS_SEC_AN; s <= SDNS_SEC_AR; s++) {
		for (uint16_t i = 0; i < m.count[s]; i++) {
			sdns_rr rr = *sdns_msg_rr(&m, (enum sdns_section)s, i);
			if (ttl) rr.ttl = ttl;
			ck_assert_int_eq(sdns_bld_rr(&b, (enum sdns_section)s, &rr), 0);
		}
		if (s == SDNS_SEC_AN && join)
			ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &www), 0);
		if (!extras) continue;
		const sdns_rr *x = s == SDNS_SEC_AR ? &www : &evil;
		ck_assert_int_eq(sdns_bld_rr(&b, (enum sdns_section)s, x), 0);
	}
	ck_assert_int_eq(sdns_bld_finish(&b, &out->len), SDNS_OK);
	sdns_msg_free(&m);
}

static int copy(const buf *in, uint32_t now, buf *out, char *why)
{
	return sdns_dnssec_verified_copy(&key, &apex, in->wire, in->len, now,
	                                 out->wire, sizeof(out->wire), &out->len,
	                                 why, 200);
}

/* --- the SOA beside positive answers --- */

START_TEST(test_positive_answer_carries_signed_soa_when_asked)
{
	buf r;
	sdns_msg m;
	char why[200];
	ask("www.example.", SDNS_T_A, true, &r);
	ck_assert_int_eq(sdns_msg_parse(r.wire, r.len, &m), SDNS_OK);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 2);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 2);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	ck_assert_uint_eq(covered(sdns_msg_rr(&m, SDNS_SEC_NS, 1)), SDNS_T_SOA);
	sdns_msg_free(&m);
	ck_assert_int_eq(sdns_dnssec_validate_msg(&key, &apex, r.wire, r.len, NOW,
	                                          why, sizeof(why)), SDNS_OK);
	ask("www.example.", SDNS_T_A, false, &r);       /* not asked: none */
	ck_assert_int_eq(sdns_msg_parse(r.wire, r.len, &m), SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 0);
	sdns_msg_free(&m);
	ask("example.", SDNS_T_SOA, true, &r);          /* the SOA once */
	ck_assert_int_eq(sdns_msg_parse(r.wire, r.len, &m), SDNS_OK);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_SOA), 1);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 0);
	sdns_msg_free(&m);
	ask("www.example.", SDNS_T_TXT, true, &r);      /* a denial: once */
	ck_assert_int_eq(sdns_msg_parse(r.wire, r.len, &m), SDNS_OK);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	sdns_msg_free(&m);
}
END_TEST

/* --- the verified copy --- */

/* The case, and the same in every section: the owner's signed
 * A relayed with a wire TTL of 2^31-1 and unsigned records added. */

START_TEST(test_copy_drops_unsigned_records_and_clamps_ttls)
{
	buf owner, lie, out;
	char why[200] = "";
	ask("www.example.", SDNS_T_A, true, &owner);
	tamper(&owner, HUGE_TTL, true, false, &lie);
	/* The strict check refuses the tampered answer outright... */
	ck_assert_int_eq(sdns_dnssec_validate_msg(&key, &apex, lie.wire, lie.len,
	                                          NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	/* ... the copy keeps what the owner signed, for as long as signed. */
	ck_assert_int_eq(copy(&lie, NOW, &out, why), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(out.wire, out.len, &m), SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 3);     /* 2 A + RRSIG */
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 2);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 2);     /* SOA + RRSIG */
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], 0);
	ck_assert(!m.edns.present);
	for (uint16_t i = 0; i < m.count[SDNS_SEC_AN]; i++) {
		const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, i);
		ck_assert_uint_eq(rr->ttl, 300);
		ck_assert(rr->type != SDNS_T_A || rr->rdata[0] == 192);
	}
	for (uint16_t i = 0; i < m.count[SDNS_SEC_NS]; i++)
		ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_NS, i)->ttl, 3600);
	ck_assert(!(m.flags & SDNS_F_AD));
	sdns_msg_free(&m);
	/* What is left is the owner's answer: it validates on its own. */
	ck_assert_int_eq(sdns_dnssec_validate_msg(&key, &apex, out.wire, out.len,
	                                          NOW, why, sizeof(why)), SDNS_OK);
}
END_TEST

START_TEST(test_copy_ttl_bounded_by_signature_expiry)
{
	buf owner, out;
	char why[200] = "";
	ask("www.example.", SDNS_T_A, true, &owner);
	ck_assert_int_eq(copy(&owner, NOW + VALIDITY - 10, &out, why), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(out.wire, out.len, &m), SDNS_OK);
	size_t n = (size_t)m.count[SDNS_SEC_AN] + m.count[SDNS_SEC_NS];
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++) ck_assert_uint_eq(m.rrs[i].ttl, 10);
	sdns_msg_free(&m);
	ck_assert_int_eq(copy(&owner, NOW + VALIDITY + 1, &out, why), SDNS_EBOGUS);
}
END_TEST

/* A denial relayed with huge TTLs: the NSEC keeps its signed TTL (300),
 * the SOA the negative TTL (its MINIMUM, 300), not its RRSIG's 3600. */
START_TEST(test_copy_of_denial_clamps_soa_and_nsec)
{
	buf owner, lie, out;
	char why[200] = "";
	ask("nothere.example.", SDNS_T_A, true, &owner);
	tamper(&owner, HUGE_TTL, true, false, &lie);
	ck_assert_int_eq(copy(&lie, NOW, &out, why), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(out.wire, out.len, &m), SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 4);     /* SOA NSEC + RRSIGs */
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], 0);
	for (uint16_t i = 0; i < m.count[SDNS_SEC_NS]; i++)
		ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_NS, i)->ttl, 300);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_copy_refuses_what_no_longer_proves_the_answer)
{
	buf owner, lie, out;
	char why[200] = "";
	ask("www.example.", SDNS_T_A, true, &owner);
	tamper(&owner, 0, false, true, &lie);   /* a record joins the RRset */
	ck_assert_int_eq(copy(&lie, NOW, &out, why), SDNS_EBOGUS);
	ck_assert(strstr(why, "www.example. A"));
	/* Unsigned data alone: dropped, nothing proves the answer. */
	ask("www.example.", SDNS_T_A, false, &owner);
	buf plain;
	uint8_t q[512];
	size_t ql = 0;
	sdns_name n = N("www.example.");
	sdns_edns e = { .present = true, .udp_size = 1232 };
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &ql, 7, &n, SDNS_T_A,
	                                     false, &e, 0), SDNS_OK);
	sdns_answer_opts o = { .max_size = 65535, .our_udp_size = 1232 };
	ck_assert_int_eq(sdns_answer(zs, q, ql, &o, plain.wire,
	                             sizeof(plain.wire), &plain.len), SDNS_OK);
	ck_assert_int_eq(copy(&plain, NOW, &out, why), SDNS_EBOGUS);
	ck_assert(strstr(why, "no NSEC proof"));
	ck_assert_int_eq(copy(&plain, NOW, &out, NULL), SDNS_EBOGUS);
	ck_assert_int_eq(sdns_dnssec_verified_copy(&key, &apex, plain.wire, 5, NOW,
	                 out.wire, sizeof(out.wire), &out.len, why, 200),
	                 SDNS_EMALF);
	ask("www.example.", SDNS_T_A, true, &owner);
	ck_assert_int_eq(sdns_dnssec_verified_copy(&key, &apex, owner.wire,
	                 owner.len, NOW, out.wire, 40, &out.len, why, 200),
	                 SDNS_ESPACE);
}
END_TEST

/* A referral: the NS of the cut is unsigned by design and stays, bounded
 * by the signed proof beside it; the glue goes. */
START_TEST(test_copy_keeps_referral_ns_bounded_by_its_proof)
{
	buf owner, lie, out;
	char why[200] = "";
	ask("host.deleg.example.", SDNS_T_A, true, &owner);
	tamper(&owner, HUGE_TTL, false, false, &lie);
	ck_assert_int_eq(copy(&lie, NOW + VALIDITY - 100, &out, why), SDNS_OK);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(out.wire, out.len, &m), SDNS_OK);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_NS), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_NSEC), 1);
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], 0);     /* glue dropped */
	for (uint16_t i = 0; i < m.count[SDNS_SEC_NS]; i++)
		ck_assert_uint_le(sdns_msg_rr(&m, SDNS_SEC_NS, i)->ttl, 100);
	sdns_msg_free(&m);
}
END_TEST

static Suite *dnssec_copy_suite(void)
{
	Suite *s = suite_create("dnssec_copy");
	TCase *tc = tcase_create("dnssec_copy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_positive_answer_carries_signed_soa_when_asked);
	tcase_add_test(tc, test_copy_drops_unsigned_records_and_clamps_ttls);
	tcase_add_test(tc, test_copy_ttl_bounded_by_signature_expiry);
	tcase_add_test(tc, test_copy_of_denial_clamps_soa_and_nsec);
	tcase_add_test(tc, test_copy_refuses_what_no_longer_proves_the_answer);
	tcase_add_test(tc, test_copy_keeps_referral_ns_bounded_by_its_proof);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(dnssec_copy_suite)
