/* Tests for src/dnssec: keys and key tags (RFC 8080 example), canonical
 * form, RRSIG sign/verify, zone signing, the DO answer path of
 * src/zone/answer.c (RFC 9824 compact denial) and response validation with
 * each bogus case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sdns/answer.h"
#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/msg.h"
#include "testlib.h"
#include "zonetest.h"

#define NOW 1700000000u
#define RFC_SEED "82260384628080122645190204142262"
#define RFC_PUB "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="

static const char *const example[] = {
	"@ 3600 SOA ns1 hostmaster 2024010101 7200 900 1209600 300",
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	"www 300 A 192.0.2.2",
	"alias 300 CNAME www",
	"*.wild 300 A 192.0.2.99",
	"mx 300 MX 10 MAIL",
	"deleg 3600 NS ns.deleg",
	"ns.deleg 3600 A 192.0.2.77",
	NULL,
};

static sdns_name N(const char *s) { return zt_name(s, NULL); }

static sdns_dnssec_key rfc_key(void)
{
	sdns_dnssec_key k;
	ck_assert_int_eq(sdns_dnssec_key_from_seed((const uint8_t *)RFC_SEED,
	                                           &k), SDNS_OK);
	return k;
}

static sdns_dnssec_key other_key(void)
{
	uint8_t seed[32];
	memset(seed, 7, sizeof(seed));
	sdns_dnssec_key k;
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &k), SDNS_OK);
	return k;
}

/* A one-record RRset over caller storage. */
typedef struct {
	uint16_t rdlen[4];
	const uint8_t *rdata[4];
	uint8_t buf[4][256];
	sdns_rrset set;
} tset;

static void tset_init(tset *t, const char *apex, const char *const *lines)
{
	memset(t, 0, sizeof(*t));
	sdns_name origin = N(apex);
	for (int i = 0; lines[i]; i++) {
		sdns_rr rr;
		zt_rr(lines[i], &origin, &rr, t->buf[i], sizeof(t->buf[i]));
		t->rdlen[i] = rr.rdlen;
		t->rdata[i] = t->buf[i];
		t->set.type = rr.type;
		t->set.ttl = rr.ttl;
		t->set.count = (uint16_t)(i + 1);
	}
	t->set.rdlen = t->rdlen;
	t->set.rdata = t->rdata;
}

START_TEST(test_key_tag_of_rfc8080_example_is_3613)
{
	sdns_dnssec_key k = rfc_key(), p;
	ck_assert_uint_eq(k.tag, 3613);
	ck_assert(k.has_secret);
	ck_assert_int_eq(sdns_dnssec_key_from_b64(RFC_PUB "\n", &p), SDNS_OK);
	ck_assert_mem_eq(p.pub, k.pub, 32);
	ck_assert_uint_eq(p.tag, 3613);
	ck_assert(!p.has_secret);
	uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
	sdns_dnssec_dnskey_rdata(&k, rd);
	ck_assert_mem_eq(rd, "\x01\x01\x03\x0f", 4);
	sdns_dnssec_key d;
	ck_assert_int_eq(sdns_dnssec_key_from_dnskey(rd, sizeof(rd), &d), SDNS_OK);
	ck_assert_uint_eq(d.tag, 3613);
	rd[3] = 13;
	ck_assert_int_eq(sdns_dnssec_key_from_dnskey(rd, sizeof(rd), &d),
	                 SDNS_ETYPE);
	ck_assert_int_eq(sdns_dnssec_key_from_b64("not base64!", &d),
	                 SDNS_ESYNTAX);
	ck_assert_int_eq(sdns_dnssec_key_from_b64("AAAA", &d), SDNS_ESYNTAX);
}
END_TEST

/* RFC 8080 §6.1: Ed25519 is deterministic, so our RRSIG must be the RFC's
 * byte for byte. */
START_TEST(test_rfc8080_mx_rrsig_matches_the_rfc_bytes)
{
	static const char *const mx[] = { "@ 3600 MX 10 mail", NULL };
	tset t;
	tset_init(&t, "example.com.", mx);
	sdns_dnssec_key k = rfc_key();
	sdns_dnssec_window w = { 1438207200u, 1440021600u };
	sdns_name apex = N("example.com.");
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	ck_assert_int_eq(sdns_dnssec_sign_rrset(&k, &apex, &w, &apex, &t.set,
	                                        sig, sizeof(sig), &len), SDNS_OK);
	uint8_t want[200];
	int n = sdns_test_hex(
		"000f 0f 02 00000e10 55d4fc60 55b94ce0 0e1d"
		"076578616d706c6503636f6d00"
		"a0bf64ac9ba7ef17c138859c1878bb99a839fe1759aca5b0d798cf1ab1e98d07"
		"9102f4ddb3368f0fe40bb377f1f00e0cddedb799167d56b6e932783072ba8d02",
		want, sizeof(want));
	ck_assert_int_eq(n, (int)len);
	ck_assert_mem_eq(sig, want, len);
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &apex, &t.set, sig,
	                                          len, 1439000000u, NULL, 0),
	                 SDNS_OK);
}
END_TEST

START_TEST(test_canonical_rdata_lowercases_names_but_not_nsec)
{
	uint8_t out[64];
	size_t n = 0;
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_MX,
		(const uint8_t *)"\x00\x0a\x04MAIL\x02" "Ex\x00", 11, out,
		sizeof(out), &n), SDNS_OK);
	ck_assert_uint_eq(n, 11);
	ck_assert_mem_eq(out, "\x00\x0a\x04mail\x02" "ex\x00", 11);
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_SOA,
		(const uint8_t *)"\x01N\x00\x01H\x00" "AAAABBBBCCCCDDDDEEEE", 26,
		out, sizeof(out), &n), SDNS_OK);
	ck_assert_mem_eq(out, "\x01n\x00\x01h\x00" "AAAABBBBCCCCDDDDEEEE", 26);
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_NSEC,
		(const uint8_t *)"\x01X\x00\x00\x01\x40", 6, out, sizeof(out),
		&n), SDNS_OK);
	ck_assert_mem_eq(out, "\x01X\x00\x00\x01\x40", 6);
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_TXT,
		(const uint8_t *)"\x02Hi", 3, out, sizeof(out), &n), SDNS_OK);
	ck_assert_mem_eq(out, "\x02Hi", 3);
	/* A name running past the RDATA is refused. */
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_CNAME,
		(const uint8_t *)"\x05" "ab", 3, out, sizeof(out), &n),
		SDNS_ERDATA);
	ck_assert_int_eq(sdns_dnssec_canon_rdata(SDNS_T_A,
		(const uint8_t *)"\x01\x02\x03\x04", 4, out, 2, &n), SDNS_ESPACE);
}
END_TEST

START_TEST(test_sign_verify_round_trip_ignores_rdata_order_and_case)
{
	static const char *const ab[] = { "www 300 A 192.0.2.1",
	                                  "www 300 A 192.0.2.2", NULL };
	static const char *const ba[] = { "www 300 A 192.0.2.2",
	                                  "www 300 A 192.0.2.1", NULL };
	tset t1, t2;
	tset_init(&t1, "example.", ab);
	tset_init(&t2, "example.", ba);
	sdns_dnssec_key k = rfc_key();
	sdns_dnssec_window w;
	sdns_dnssec_window_at(NOW, 3600, &w);
	ck_assert_uint_eq(w.inception, NOW - 3600);
	ck_assert_uint_eq(w.expiration, NOW + 3600);
	sdns_name apex = N("example."), own = N("www.example.");
	sdns_name upper = N("WWW.Example.");
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	ck_assert_int_eq(sdns_dnssec_sign_rrset(&k, &apex, &w, &own, &t1.set,
	                                        sig, sizeof(sig), &len), SDNS_OK);
	ck_assert_uint_eq(sig[3], 2); /* labels */
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &upper, &t2.set,
	                                          sig, len, NOW, NULL, 0),
	                 SDNS_OK);
}
END_TEST

/* Each bogus case of one RRset, with the words that say why. */
START_TEST(test_verify_rejects_each_bogus_case)
{
	static const char *const a[] = { "www 300 A 192.0.2.1", NULL };
	static const char *const b[] = { "www 300 A 192.0.2.9", NULL };
	tset t, tb;
	tset_init(&t, "example.", a);
	tset_init(&tb, "example.", b);
	sdns_dnssec_key k = rfc_key(), o = other_key(), pub;
	sdns_dnssec_key_from_pub(o.pub, &pub);
	sdns_dnssec_window w;
	sdns_dnssec_window_at(NOW, 3600, &w);
	sdns_name apex = N("example."), own = N("www.example.");
	sdns_name sub = N("sub.example.");
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	char why[200];
	ck_assert_int_eq(sdns_dnssec_sign_rrset(&k, &apex, &w, &own, &t.set,
	                                        sig, sizeof(sig), &len), SDNS_OK);
	ck_assert_int_eq(sdns_dnssec_sign_rrset(&pub, &apex, &w, &own, &t.set,
	                                        sig, sizeof(sig), &len),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&o, &apex, &own, &t.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "RRSIG key tag 3613, want 53568");
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &tb.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "bad signature");
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 len, NOW + 3601, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "signature expired");
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 len, NOW - 3601, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "signature not yet valid");
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &sub, &own, &t.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "RRSIG signer is not the zone apex");
	t.set.type = SDNS_T_AAAA;
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "RRSIG covers A");
	t.set.type = SDNS_T_A;
	sig[len - 1] ^= 1;
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "bad signature");
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 10, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "malformed RRSIG");
	sig[2] = 13;
	ck_assert_int_eq(sdns_dnssec_verify_rrset(&k, &apex, &own, &t.set, sig,
	                 len, NOW, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "RRSIG algorithm 13, want 15");
}
END_TEST

START_TEST(test_window_uses_serial_arithmetic)
{
	ck_assert(sdns_dnssec_window_holds(0xfffff000u, 0x00001000u, 5));
	ck_assert(!sdns_dnssec_window_holds(0xfffff000u, 0x00001000u, 0x2000));
	ck_assert(sdns_dnssec_window_holds(10, 20, 10));
	ck_assert(sdns_dnssec_window_holds(10, 20, 20));
	ck_assert(!sdns_dnssec_window_holds(10, 20, 21));
}
END_TEST

START_TEST(test_compact_nsec_rdata_bytes)
{
	sdns_name n = N("x.example.");
	uint16_t types[] = { SDNS_T_NSEC, SDNS_T_RRSIG, SDNS_T_NXNAME,
	                     SDNS_T_A, SDNS_T_A };
	uint8_t out[128];
	size_t len = 0;
	ck_assert_int_eq(sdns_dnssec_compact_nsec(&n, types, 5, out, sizeof(out),
	                                          &len), SDNS_OK);
	uint8_t want[64];
	int wl = sdns_test_hex("0100 0178 076578616d706c6500"
	                       "00 11 40000000 0003 00000000000000000000 80", want,
	                       sizeof(want));
	ck_assert_int_eq(wl, (int)len);
	ck_assert_mem_eq(out, want, len);
	ck_assert(sdns_dnssec_nsec_has(out, len, SDNS_T_A));
	ck_assert(sdns_dnssec_nsec_has(out, len, SDNS_T_NXNAME));
	ck_assert(!sdns_dnssec_nsec_has(out, len, SDNS_T_AAAA));
	ck_assert(!sdns_dnssec_nsec_has(out, len, 1000));
	ck_assert(!sdns_dnssec_nsec_has(out, 3, SDNS_T_A));
	ck_assert_int_eq(sdns_dnssec_compact_nsec(&n, types, 5, out, 10, &len),
	                 SDNS_ESPACE);
}
END_TEST

START_TEST(test_key_load_reads_the_enroll_seed_file)
{
	char dir[256], path[300];
	ck_assert_int_eq(sdns_test_mkdtemp("dnssec", dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/zone.key", dir);
	ck_assert_int_eq(sdns_test_write_file(path, RFC_SEED), 0);
	sdns_dnssec_key k;
	ck_assert_int_eq(sdns_dnssec_key_load(path, &k), SDNS_OK);
	ck_assert_uint_eq(k.tag, 3613);
	sdns_dnssec_key_clear(&k);
	ck_assert(!k.has_secret);
	ck_assert_int_eq(sdns_test_write_file(path, "short"), 0);
	ck_assert_int_eq(sdns_dnssec_key_load(path, &k), SDNS_EMALF);
	ck_assert_int_eq(sdns_test_write_file(path, RFC_SEED "x"), 0);
	ck_assert_int_eq(sdns_dnssec_key_load(path, &k), SDNS_EMALF);
	snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(sdns_dnssec_key_load(path, &k), SDNS_ENOTFOUND);
	sdns_test_rmtree(dir);
}
END_TEST

static sdns_zone *signed_example(const sdns_dnssec_key *k)
{
	sdns_zone *z = zt_zone("example.", example), *s = NULL;
	sdns_dnssec_window w;
	sdns_dnssec_window_at(NOW, SDNS_DNSSEC_DEFAULT_VALIDITY, &w);
	ck_assert_int_eq(sdns_dnssec_sign_zone(z, k, &w, &s), SDNS_OK);
	sdns_zone_free(z);
	return s;
}

static int count_sigs(const sdns_zone *z, const char *name, uint16_t type)
{
	sdns_name n = N(name);
	const sdns_rrset *s = sdns_zone_find(z, &n, SDNS_T_RRSIG);
	int c = 0;
	for (uint16_t i = 0; s && i < s->count; i++)
		if ((s->rdata[i][0] << 8 | s->rdata[i][1]) == type) c++;
	return c;
}

START_TEST(test_sign_zone_signs_authoritative_sets_only)
{
	sdns_dnssec_key k = rfc_key();
	sdns_zone *z = signed_example(&k);
	sdns_name apex = N("example.");
	const sdns_rrset *dk = sdns_zone_find(z, &apex, SDNS_T_DNSKEY);
	ck_assert_ptr_nonnull(dk);
	ck_assert_uint_eq(dk->count, 1);
	ck_assert_uint_eq(dk->ttl, 3600);
	ck_assert_int_eq(count_sigs(z, "example.", SDNS_T_SOA), 1);
	ck_assert_int_eq(count_sigs(z, "example.", SDNS_T_NS), 1);
	ck_assert_int_eq(count_sigs(z, "example.", SDNS_T_DNSKEY), 1);
	ck_assert_int_eq(count_sigs(z, "www.example.", SDNS_T_A), 1);
	ck_assert_int_eq(count_sigs(z, "*.wild.example.", SDNS_T_A), 1);
	ck_assert_int_eq(count_sigs(z, "deleg.example.", SDNS_T_NS), 0);
	ck_assert_int_eq(count_sigs(z, "ns.deleg.example.", SDNS_T_A), 0);
	/* 10 records, DNSKEY, 8 RRSIGs (SOA NS DNSKEY ns1 www alias wild mx). */
	ck_assert_uint_eq(sdns_zone_rr_count(z), 10 + 1 + 8);
	/* what the signing added, which /metrics keeps apart from the records */
	ck_assert_uint_eq(sdns_zone_dnssec_count(z), 1 + 8);
	ck_assert_uint_eq(sdns_dnssec_zone_expiry(z),
	                  NOW + SDNS_DNSSEC_DEFAULT_VALIDITY);
	/* Signing again renews instead of piling up signatures. */
	sdns_dnssec_window w;
	sdns_dnssec_window_at(NOW + 100, 1000, &w);
	sdns_zone *again = NULL;
	ck_assert_int_eq(sdns_dnssec_sign_zone(z, &k, &w, &again), SDNS_OK);
	ck_assert_uint_eq(sdns_zone_rr_count(again), 19);
	ck_assert_uint_eq(sdns_dnssec_zone_expiry(again), NOW + 1100);
	ck_assert_uint_eq(sdns_zone_dnssec_count(again), 9);
	sdns_zone *u = zt_zone("example.", example);
	ck_assert_uint_eq(sdns_dnssec_zone_expiry(u), 0);
	ck_assert_uint_eq(sdns_zone_dnssec_count(u), 0);
	sdns_dnssec_key pub;
	sdns_dnssec_key_from_pub(k.pub, &pub);
	sdns_zone *none = NULL;
	ck_assert_int_eq(sdns_dnssec_sign_zone(u, &pub, &w, &none), SDNS_EINVAL);
	ck_assert_ptr_null(none);
	sdns_zone_free(u);
	sdns_zone_free(again);
	sdns_zone_free(z);
}
END_TEST

/* --- the DO answer path and validation of its responses --- */

static sdns_zoneset *zs;
static sdns_dnssec_key key;

static void setup(void)
{
	key = rfc_key();
	sdns_zone *z = signed_example(&key);
	ck_assert_int_eq(sdns_zoneset_new(&z, 1, &zs), SDNS_OK);
}

static void teardown(void)
{
	sdns_zoneset_unref(zs);
	zs = NULL;
}

typedef struct {
	uint8_t wire[65535];
	size_t len;
	sdns_msg m;
} resp;

static resp *ask_flags(const char *qname, uint16_t qtype, bool do_bit,
                       bool co_bit, const sdns_dnssec_key *k)
{
	resp *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	uint8_t q[512];
	size_t qlen = 0;
	sdns_name n = N(qname);
	sdns_edns e;
	memset(&e, 0, sizeof(e));
	e.present = true;
	e.udp_size = 1232;
	e.do_bit = do_bit;
	e.co_bit = co_bit;
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &qlen, 7, &n, qtype,
	                                     false, &e, 0), SDNS_OK);
	sdns_answer_opts o = { .max_size = 65535, .our_udp_size = 1232,
	                       .key = k, .now = NOW };
	ck_assert_int_eq(sdns_answer(zs, q, qlen, &o, r->wire, sizeof(r->wire),
	                             &r->len), SDNS_OK);
	ck_assert_int_eq(sdns_msg_parse(r->wire, r->len, &r->m), SDNS_OK);
	return r;
}

static resp *ask_do(const char *qname, uint16_t qtype, bool do_bit,
                    const sdns_dnssec_key *k)
{
	return ask_flags(qname, qtype, do_bit, false, k);
}

static void resp_free(resp *r)
{
	sdns_msg_free(&r->m);
	free(r);
}

static int validate(const resp *r, const sdns_dnssec_key *k, const char *apex,
                    uint32_t now, char *why, size_t cap)
{
	sdns_name a = N(apex);
	return sdns_dnssec_validate_msg(k, &a, r->wire, r->len, now, why, cap);
}

static void assert_secure(const resp *r)
{
	char why[256] = "";
	int rc = validate(r, &key, "example.", NOW, why, sizeof(why));
	ck_assert_msg(rc == SDNS_OK, "bogus: %s", why);
}

static const sdns_rr *rr_at(const resp *r, enum sdns_section s, uint16_t i)
{
	const sdns_rr *rr = sdns_msg_rr(&r->m, s, i);
	ck_assert_ptr_nonnull(rr);
	return rr;
}

START_TEST(test_do_answer_carries_rrsig_and_validates)
{
	resp *r = ask_do("www.example.", SDNS_T_A, true, &key);
	ck_assert_uint_eq(SDNS_RCODE(r->m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 3);
	const sdns_rr *sig = rr_at(r, SDNS_SEC_AN, 2);
	ck_assert_uint_eq(sig->type, SDNS_T_RRSIG);
	ck_assert_uint_eq(sig->ttl, 300);
	ck_assert(r->m.edns.do_bit);
	assert_secure(r);
	resp_free(r);
}
END_TEST

START_TEST(test_without_do_nothing_changes)
{
	resp *r = ask_do("www.example.", SDNS_T_A, false, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 2);
	resp *n = ask_do("nothere.example.", SDNS_T_A, false, &key);
	ck_assert_uint_eq(SDNS_RCODE(n->m.flags), SDNS_RC_NXDOMAIN);
	ck_assert_int_eq(n->m.count[SDNS_SEC_NS], 1);
	/* DO without a key: unsigned too. */
	resp *u = ask_do("www.example.", SDNS_T_A, true, NULL);
	ck_assert_int_eq(u->m.count[SDNS_SEC_AN], 2);
	char why[256];
	ck_assert_int_eq(validate(u, &key, "example.", NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	ck_assert_str_eq(why, "no RRSIG for www.example. A");
	resp_free(u);
	resp_free(n);
	resp_free(r);
}
END_TEST

START_TEST(test_nxdomain_is_noerror_with_compact_nsec)
{
	resp *r = ask_do("nothere.example.", SDNS_T_A, true, &key);
	ck_assert_uint_eq(SDNS_RCODE(r->m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 0);
	ck_assert_int_eq(r->m.count[SDNS_SEC_NS], 4);
	ck_assert_uint_eq(rr_at(r, SDNS_SEC_NS, 0)->type, SDNS_T_SOA);
	ck_assert_uint_eq(rr_at(r, SDNS_SEC_NS, 1)->type, SDNS_T_RRSIG);
	const sdns_rr *nsec = rr_at(r, SDNS_SEC_NS, 2);
	ck_assert_uint_eq(nsec->type, SDNS_T_NSEC);
	ck_assert_uint_eq(nsec->ttl, 300);
	uint8_t want[64];
	int wl = sdns_test_hex("0100 076e6f7468657265 076578616d706c6500"
	                       "00 11 00000000 0003 00000000000000000000 80", want,
	                       sizeof(want));
	ck_assert_int_eq(wl, nsec->rdlen);
	ck_assert_mem_eq(nsec->rdata, want, (size_t)wl);
	ck_assert_uint_eq(rr_at(r, SDNS_SEC_NS, 3)->type, SDNS_T_RRSIG);
	assert_secure(r);
	resp_free(r);
}
END_TEST

/* RFC 9824 §4: a resolver that sets Compact Answers OK gets the NXDOMAIN
 * rcode back with the same proof, and the CO flag echoed. */
START_TEST(test_co_flag_restores_nxdomain_rcode)
{
	resp *r = ask_flags("nothere.example.", SDNS_T_A, true, true, &key);
	ck_assert_uint_eq(SDNS_RCODE(r->m.flags), SDNS_RC_NXDOMAIN);
	ck_assert(r->m.edns.co_bit);
	ck_assert_int_eq(r->m.count[SDNS_SEC_NS], 4);
	const sdns_rr *nsec = rr_at(r, SDNS_SEC_NS, 2);
	ck_assert_uint_eq(nsec->type, SDNS_T_NSEC);
	ck_assert(sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen,
	                               SDNS_T_NXNAME));
	assert_secure(r);
	resp *plain = ask_do("nothere.example.", SDNS_T_A, true, &key);
	ck_assert(!plain->m.edns.co_bit);
	/* CO without DO: nothing is signed, nothing to echo. */
	resp *nodo = ask_flags("nothere.example.", SDNS_T_A, false, true, &key);
	ck_assert_uint_eq(SDNS_RCODE(nodo->m.flags), SDNS_RC_NXDOMAIN);
	ck_assert(!nodo->m.edns.co_bit);
	resp_free(nodo);
	resp_free(plain);
	resp_free(r);
}
END_TEST

START_TEST(test_nodata_nsec_lists_the_types_present)
{
	resp *r = ask_do("www.example.", SDNS_T_AAAA, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_NS], 4);
	const sdns_rr *nsec = rr_at(r, SDNS_SEC_NS, 2);
	ck_assert(sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, SDNS_T_A));
	ck_assert(sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, SDNS_T_RRSIG));
	ck_assert(sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, SDNS_T_NSEC));
	ck_assert(!sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen,
	                                SDNS_T_NXNAME));
	ck_assert(!sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, SDNS_T_AAAA));
	assert_secure(r);
	resp_free(r);
}
END_TEST

START_TEST(test_wildcard_signed_online_at_qname)
{
	resp *r = ask_do("a.wild.example.", SDNS_T_A, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 2);
	const sdns_rr *sig = rr_at(r, SDNS_SEC_AN, 1);
	ck_assert_uint_eq(sig->type, SDNS_T_RRSIG);
	ck_assert_uint_eq(sig->rdata[3], 3); /* labels of a.wild.example. */
	assert_secure(r);
	resp_free(r);
	r = ask_do("b.wild.example.", SDNS_T_TXT, true, &key);
	assert_secure(r);
	resp_free(r);
}
END_TEST

START_TEST(test_dnskey_cname_and_referral_with_do)
{
	resp *r = ask_do("example.", SDNS_T_DNSKEY, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 2);
	ck_assert_uint_eq(rr_at(r, SDNS_SEC_AN, 0)->type, SDNS_T_DNSKEY);
	assert_secure(r);
	resp_free(r);
	r = ask_do("alias.example.", SDNS_T_A, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 5);
	assert_secure(r);
	resp_free(r);
	r = ask_do("mx.example.", SDNS_T_MX, true, &key);
	assert_secure(r);
	resp_free(r);
	/* Referral: NS unsigned, a signed NSEC at the cut without DS. */
	r = ask_do("x.deleg.example.", SDNS_T_A, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_NS], 3);
	ck_assert_uint_eq(rr_at(r, SDNS_SEC_NS, 0)->type, SDNS_T_NS);
	const sdns_rr *nsec = rr_at(r, SDNS_SEC_NS, 1);
	ck_assert_uint_eq(nsec->type, SDNS_T_NSEC);
	ck_assert(sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, SDNS_T_NS));
	ck_assert(!sdns_dnssec_nsec_has(nsec->rdata, nsec->rdlen, 43));
	assert_secure(r);
	resp_free(r);
	/* The same referral without its NSEC is bogus. */
	r = ask_do("x.deleg.example.", SDNS_T_A, false, &key);
	char why[256];
	ck_assert_int_eq(validate(r, &key, "example.", NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	ck_assert_str_eq(why, "referral to deleg.example. without an NSEC proof");
	resp_free(r);
	/* ANY with DO: every RRset with its RRSIG beside it. */
	r = ask_do("www.example.", SDNS_T_ANY, true, &key);
	ck_assert_int_eq(r->m.count[SDNS_SEC_AN], 3);
	assert_secure(r);
	resp_free(r);
}
END_TEST

START_TEST(test_validate_rejects_wrong_key_time_and_zone)
{
	resp *r = ask_do("www.example.", SDNS_T_A, true, &key);
	sdns_dnssec_key o = other_key();
	char why[256];
	ck_assert_int_eq(validate(r, &o, "example.", NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	ck_assert_str_eq(why,
	                 "www.example. A: RRSIG key tag 3613, want 53568");
	ck_assert_int_eq(validate(r, &key, "example.", NOW + 15 * 86400, why,
	                          sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "www.example. A: signature expired");
	ck_assert_int_eq(validate(r, &key, "example.", NOW - 7200, why,
	                          sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "www.example. A: signature not yet valid");
	ck_assert_int_eq(validate(r, &key, "www.example.", NOW, why,
	                          sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why,
	                 "www.example. A: RRSIG signer is not the zone apex");
	ck_assert_int_eq(validate(r, &key, "other.", NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	ck_assert_str_eq(why, "www.example. is outside the zone");
	ck_assert_int_eq(validate(r, &key, "example.", NOW, NULL, 0), SDNS_OK);
	resp_free(r);
}
END_TEST

/* Flip the last octet of the first A RDATA in the wire. */
static void tamper_first_a(resp *r)
{
	const sdns_rr *a = rr_at(r, SDNS_SEC_AN, 0);
	ck_assert_uint_eq(a->type, SDNS_T_A);
	for (size_t i = SDNS_HDR_LEN; i + 4 <= r->len; i++)
		if (memcmp(r->wire + i, a->rdata, 4) == 0) {
			r->wire[i + 3] ^= 0x40;
			return;
		}
	ck_abort_msg("A RDATA not found");
}

START_TEST(test_validate_rejects_tampered_data)
{
	resp *r = ask_do("www.example.", SDNS_T_A, true, &key);
	tamper_first_a(r);
	char why[256];
	ck_assert_int_eq(validate(r, &key, "example.", NOW, why, sizeof(why)),
	                 SDNS_EBOGUS);
	ck_assert_str_eq(why, "www.example. A: bad signature");
	ck_assert_int_eq(sdns_dnssec_validate_msg(&key, &r->m.qname, r->wire, 5,
	                                          NOW, why, sizeof(why)),
	                 SDNS_EMALF);
	resp_free(r);
}
END_TEST

/* A response built by hand: header, question, then records. */
typedef struct {
	uint8_t wire[4096];
	size_t len;
	sdns_bld b;
	sdns_dnssec_window w;
} hand;

static void hand_start(hand *h, const char *qname, uint16_t qtype,
                       uint8_t rcode)
{
	ck_assert_int_eq(sdns_bld_init(&h->b, h->wire, sizeof(h->wire), 1,
	                               SDNS_F_QR | SDNS_F_AA), SDNS_OK);
	sdns_bld_set_rcode(&h->b, rcode);
	sdns_name n = N(qname);
	ck_assert_int_eq(sdns_bld_question(&h->b, &n, qtype, SDNS_C_IN), 0);
	sdns_dnssec_window_at(NOW, 3600, &h->w);
}

/* Add the set and, when sign, its RRSIG by key. */
static void hand_set(hand *h, enum sdns_section sec, const char *owner,
                     const sdns_rrset *set, bool sign)
{
	sdns_name o = N(owner), apex = N("example.");
	sdns_rr rr = { o, set->type, SDNS_C_IN, set->ttl, 0, NULL };
	for (uint16_t i = 0; i < set->count; i++) {
		rr.rdlen = set->rdlen[i];
		rr.rdata = set->rdata[i];
		ck_assert_int_eq(sdns_bld_rr(&h->b, sec, &rr), SDNS_OK);
	}
	if (!sign) return;
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	ck_assert_int_eq(sdns_dnssec_sign_rrset(&key, &apex, &h->w, &o, set, sig,
	                                        sizeof(sig), &len), SDNS_OK);
	rr.type = SDNS_T_RRSIG;
	rr.rdlen = (uint16_t)len;
	rr.rdata = sig;
	ck_assert_int_eq(sdns_bld_rr(&h->b, sec, &rr), SDNS_OK);
}

static void hand_nsec(hand *h, const char *owner, const char *next,
                      const uint16_t *types, size_t n)
{
	uint8_t rd[600];
	sdns_wr w;
	sdns_wr_init(&w, rd, sizeof(rd));
	sdns_name nx = N(next);
	ck_assert_int_eq(sdns_name_pack(&w, &nx), SDNS_OK);
	/* Reuse the compact encoder for the bitmap, then drop its name. */
	uint8_t tmp[600];
	size_t tl = 0;
	sdns_name root;
	sdns_name_root(&root);
	ck_assert_int_eq(sdns_dnssec_compact_nsec(&root, types, n, tmp,
	                                          sizeof(tmp), &tl), SDNS_OK);
	ck_assert_int_eq(sdns_wr_bytes(&w, tmp + 3, tl - 3), SDNS_OK);
	uint16_t rdlen = (uint16_t)sdns_wr_len(&w);
	const uint8_t *rdp = rd;
	sdns_rrset set = { SDNS_T_NSEC, 300, 1, &rdlen, &rdp };
	hand_set(h, SDNS_SEC_NS, owner, &set, true);
}

static int hand_validate(hand *h, char *why, size_t cap)
{
	ck_assert_int_eq(sdns_bld_finish(&h->b, &h->len), SDNS_OK);
	sdns_name apex = N("example.");
	return sdns_dnssec_validate_msg(&key, &apex, h->wire, h->len, NOW, why,
	                                cap);
}

static void hand_soa(hand *h)
{
	static const char *const soa[] = {
		"@ 300 SOA ns1 hostmaster 1 7200 900 1209600 300", NULL };
	tset t;
	tset_init(&t, "example.", soa);
	hand_set(h, SDNS_SEC_NS, "example.", &t.set, true);
}

START_TEST(test_validate_needs_a_denial_proof)
{
	char why[256];
	hand *h = calloc(1, sizeof(*h));
	hand_start(h, "nothere.example.", SDNS_T_A, SDNS_RC_NOERROR);
	hand_soa(h);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "no NSEC proof for nothere.example. A");
	/* An NSEC that says the type exists proves nothing. */
	static const uint16_t has_a[] = { SDNS_T_A, SDNS_T_RRSIG, SDNS_T_NSEC };
	hand_start(h, "nothere.example.", SDNS_T_A, SDNS_RC_NOERROR);
	hand_soa(h);
	hand_nsec(h, "nothere.example.", "\\000.nothere.example.", has_a, 3);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "NSEC at nothere.example. says A exists");
	/* An unsigned NSEC is refused before the proof is looked at. */
	hand_start(h, "nothere.example.", SDNS_T_A, SDNS_RC_NOERROR);
	hand_soa(h);
	static const char *const bare[] = { "@ 300 TXT x", NULL };
	tset t;
	tset_init(&t, "example.", bare);
	hand_set(h, SDNS_SEC_NS, "nothere.example.", &t.set, false);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "no RRSIG for nothere.example. TXT");
	free(h);
}
END_TEST

START_TEST(test_validate_accepts_a_classic_nsec_proof)
{
	char why[256] = "";
	hand *h = calloc(1, sizeof(*h));
	static const uint16_t t1[] = { SDNS_T_A, SDNS_T_RRSIG, SDNS_T_NSEC };
	/* m < nothere < www covers the name; example. < *.example. < m
	 * covers the wildcard. */
	hand_start(h, "nothere.example.", SDNS_T_A, SDNS_RC_NXDOMAIN);
	hand_soa(h);
	hand_nsec(h, "m.example.", "www.example.", t1, 3);
	hand_nsec(h, "example.", "m.example.", t1, 3);
	ck_assert_msg(hand_validate(h, why, sizeof(why)) == SDNS_OK, "%s", why);
	/* Without the wildcard proof it is bogus. */
	hand_start(h, "nothere.example.", SDNS_T_A, SDNS_RC_NXDOMAIN);
	hand_soa(h);
	hand_nsec(h, "m.example.", "www.example.", t1, 3);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why,
	                 "no NSEC proof against a wildcard for nothere.example.");
	free(h);
}
END_TEST

START_TEST(test_validate_refuses_servfail_and_cname_out_of_zone)
{
	char why[256];
	hand *h = calloc(1, sizeof(*h));
	hand_start(h, "www.example.", SDNS_T_A, SDNS_RC_SERVFAIL);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "rcode SERVFAIL");
	static const char *const cn[] = { "x 300 CNAME www.example.org.", NULL };
	tset t;
	tset_init(&t, "example.", cn);
	hand_start(h, "x.example.", SDNS_T_A, SDNS_RC_NOERROR);
	hand_set(h, SDNS_SEC_AN, "x.example.", &t.set, true);
	ck_assert_int_eq(hand_validate(h, why, sizeof(why)), SDNS_EBOGUS);
	ck_assert_str_eq(why, "CNAME leaves the zone at www.example.org.");
	free(h);
}
END_TEST

static Suite *dnssec_suite(void)
{
	Suite *s = suite_create("dnssec");
	TCase *t = tcase_create("lib");
	tcase_add_test(t, test_key_tag_of_rfc8080_example_is_3613);
	tcase_add_test(t, test_rfc8080_mx_rrsig_matches_the_rfc_bytes);
	tcase_add_test(t, test_canonical_rdata_lowercases_names_but_not_nsec);
	tcase_add_test(t, test_sign_verify_round_trip_ignores_rdata_order_and_case);
	tcase_add_test(t, test_verify_rejects_each_bogus_case);
	tcase_add_test(t, test_window_uses_serial_arithmetic);
	tcase_add_test(t, test_compact_nsec_rdata_bytes);
	tcase_add_test(t, test_key_load_reads_the_enroll_seed_file);
	tcase_add_test(t, test_sign_zone_signs_authoritative_sets_only);
	suite_add_tcase(s, t);
	TCase *a = tcase_create("answer");
	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_test(a, test_do_answer_carries_rrsig_and_validates);
	tcase_add_test(a, test_without_do_nothing_changes);
	tcase_add_test(a, test_nxdomain_is_noerror_with_compact_nsec);
	tcase_add_test(a, test_co_flag_restores_nxdomain_rcode);
	tcase_add_test(a, test_nodata_nsec_lists_the_types_present);
	tcase_add_test(a, test_wildcard_signed_online_at_qname);
	tcase_add_test(a, test_dnskey_cname_and_referral_with_do);
	tcase_add_test(a, test_validate_rejects_wrong_key_time_and_zone);
	tcase_add_test(a, test_validate_rejects_tampered_data);
	tcase_add_test(a, test_validate_needs_a_denial_proof);
	tcase_add_test(a, test_validate_accepts_a_classic_nsec_proof);
	tcase_add_test(a, test_validate_refuses_servfail_and_cname_out_of_zone);
	suite_add_tcase(s, a);
	return s;
}

SDNS_TEST_MAIN(dnssec_suite)
