/* Tests for src/cache: policy, TTL ageing, keys, LRU bounds, zones, threads. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sdns/cache.h"
#include "sdns/error.h"
#include "sdns/msg.h"
#include "testlib.h"

#define S 1000000000ull

static sdns_name nm(const char *text)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_str(&n, text, strlen(text), NULL), SDNS_OK);
	return n;
}

typedef struct {
	const char *qname;
	uint16_t qtype;
	uint8_t rcode;
	int nans;           /* A records */
	uint32_t ttl[4];
	bool soa;           /* SOA in authority */
	uint32_t soa_ttl, soa_min;
	bool opt, do_bit;
	uint16_t flags;     /* extra header flags */
} resp_spec;

/* A response built with the codec: answers are A 192.0.2.i. */
static size_t build(const resp_spec *sp, uint8_t *buf, size_t cap)
{
	sdns_bld b;
	sdns_name q = nm(sp->qname), apex = nm("example.");
	ck_assert_int_eq(sdns_bld_init(&b, buf, cap, 0x1234,
	                               SDNS_F_QR | SDNS_F_RD | SDNS_F_RA | sp->flags), 0);
	sdns_bld_set_rcode(&b, sp->rcode);
	ck_assert_int_eq(sdns_bld_question(&b, &q, sp->qtype, SDNS_C_IN), 0);
	for (int i = 0; i < sp->nans; i++) {
		uint8_t a[4] = { 192, 0, 2, (uint8_t)(i + 1) };
		sdns_rr rr = { .owner = q, .type = SDNS_T_A, .rclass = SDNS_C_IN,
		               .ttl = sp->ttl[i], .rdlen = 4, .rdata = a };
		ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_AN, &rr), 0);
	}
	if (sp->soa) {
		static uint8_t soa[] = {
			2, 'n', 's', 0, 4, 'h', 'o', 's', 't', 0,
			0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08,
			0, 0x09, 0x3a, 0x80, 0, 0, 0, 0,
		};
		soa[26] = (uint8_t)(sp->soa_min >> 24);
		soa[27] = (uint8_t)(sp->soa_min >> 16);
		soa[28] = (uint8_t)(sp->soa_min >> 8);
		soa[29] = (uint8_t)sp->soa_min;
		sdns_rr rr = { .owner = apex, .type = SDNS_T_SOA, .rclass = SDNS_C_IN,
		               .ttl = sp->soa_ttl, .rdlen = sizeof(soa), .rdata = soa };
		ck_assert_int_eq(sdns_bld_rr(&b, SDNS_SEC_NS, &rr), 0);
	}
	if (sp->opt) {
		sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = sp->do_bit };
		ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), 0);
	}
	size_t len;
	ck_assert_int_eq(sdns_bld_finish(&b, &len), 0);
	return len;
}

static sdns_cache *mk(size_t entries, size_t bytes)
{
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	conf.shards = 1;
	if (entries) conf.max_entries = entries;
	if (bytes) conf.max_bytes = bytes;
	sdns_cache *c;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), SDNS_OK);
	return c;
}

static bool put(sdns_cache *c, const resp_spec *sp, uint64_t now)
{
	uint8_t buf[1024];
	size_t len = build(sp, buf, sizeof(buf));
	bool stored;
	ck_assert_int_eq(sdns_cache_insert(c, sp->do_bit, buf, len, now, &stored), 0);
	return stored;
}

static int get(sdns_cache *c, const char *qname, uint16_t qtype, bool do_bit,
               uint64_t now, uint8_t *out, size_t *len)
{
	sdns_name q = nm(qname);
	sdns_cache_q cq = { .qname = &q, .qtype = qtype, .qclass = SDNS_C_IN,
	                    .do_bit = do_bit, .id = 0xbeef, .rd = true };
	return sdns_cache_lookup(c, &cq, now, out, 1024, len, NULL);
}

static uint32_t ttl_of(const uint8_t *wire, size_t len, enum sdns_section sec,
                       uint16_t i)
{
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(wire, len, &m), 0);
	uint32_t t = sdns_msg_rr(&m, sec, i)->ttl;
	sdns_msg_free(&m);
	return t;
}

START_TEST(test_hit_returns_bytes_with_ttl_decremented_by_age)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "www.example.", .qtype = SDNS_T_A, .nans = 2,
	                 .ttl = { 300, 600 } };
	uint8_t orig[1024], out[1024];
	size_t olen = build(&sp, orig, sizeof(orig)), len;
	ck_assert(put(c, &sp, 10 * S));
	ck_assert_int_eq(get(c, "www.example.", SDNS_T_A, false, 10 * S + 100 * S + 7,
	                     out, &len), SDNS_OK);
	ck_assert_uint_eq(len, olen);
	/* Expected bytes: the original with ID beef and TTLs 200 and 500. */
	orig[0] = 0xbe;
	orig[1] = 0xef;
	size_t t1 = 12 + 13 + 4 + 2 + 4, t2 = t1 + 16; /* owners are pointers */
	ck_assert_uint_eq(orig[t1 + 2] << 8 | orig[t1 + 3], 300);
	orig[t1 + 2] = 0; orig[t1 + 3] = 200;
	orig[t2 + 2] = 0x01; orig[t2 + 3] = 0xf4;
	ck_assert_mem_eq(out, orig, len);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_miss_after_expiry_and_entry_removed)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 } };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 59 * S, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_AN, 0), 1);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 60 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.expired, 1);
	ck_assert_uint_eq(st.hits, 1);
	ck_assert_uint_eq(st.misses, 1);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_lifetime_is_smallest_answer_ttl)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 2,
	                 .ttl = { 600, 30 } };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 29 * S, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_AN, 0), 571);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 30 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_nxdomain_ttl_is_min_of_soa_ttl_and_minimum)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "no.example.", .qtype = SDNS_T_A,
	                 .rcode = SDNS_RC_NXDOMAIN, .soa = true, .soa_ttl = 3600,
	                 .soa_min = 300 };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "no.example.", SDNS_T_A, false, 10 * S, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_NS, 0), 290);
	ck_assert_uint_eq(SDNS_RCODE(out[3]), SDNS_RC_NXDOMAIN);
	ck_assert_int_eq(get(c, "no.example.", SDNS_T_A, false, 300 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_nodata_ttl_clamped_to_negative_max)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_AAAA,
	                 .soa = true, .soa_ttl = 86400, .soa_min = 86400 };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_AAAA, false, 0, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_NS, 0), 3600);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_AAAA, false, 3600 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_negative_without_soa_is_not_cached)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "no.example.", .qtype = SDNS_T_A,
	                 .rcode = SDNS_RC_NXDOMAIN };
	ck_assert(!put(c, &sp, 0));
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_ttl_clamped_to_min_and_max)
{
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	conf.min_ttl = 30;
	conf.max_ttl = 100;
	sdns_cache *c;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 2,
	                 .ttl = { 5, 5000 } };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 0, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_AN, 0), 30);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_AN, 1), 100);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 30 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_zero_ttl_is_not_cached)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1 };
	ck_assert(!put(c, &sp, 0));
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_key_is_case_insensitive_and_answer_takes_query_case_and_id)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "WwW.ExAmple.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 } };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "www.EXAMPLE.", SDNS_T_A, false, 0, out, &len), 0);
	ck_assert_uint_eq(out[0], 0xbe);
	ck_assert_uint_eq(out[1], 0xef);
	ck_assert_mem_eq(out + 12, "\3www\7EXAMPLE\0", 13);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_rd_bit_follows_query)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 } };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	sdns_name q = nm("a.example.");
	sdns_cache_q cq = { .qname = &q, .qtype = SDNS_T_A, .qclass = SDNS_C_IN,
	                    .id = 7, .rd = false };
	ck_assert_int_eq(sdns_cache_lookup(c, &cq, 0, out, sizeof(out), &len, NULL), 0);
	ck_assert_uint_eq(out[2] & (SDNS_F_RD >> 8), 0);
	ck_assert_uint_eq(out[2] & 0x80, 0x80);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_qtype_and_do_bit_separate_keys)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 }, .opt = true, .do_bit = true };
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 0, out, &len),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_AAAA, true, 0, out, &len),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, true, 0, out, &len), 0);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_opt_ttl_field_is_not_aged)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 }, .opt = true, .do_bit = true };
	uint8_t orig[1024], out[1024];
	size_t olen = build(&sp, orig, sizeof(orig)), len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, true, 20 * S, out, &len), 0);
	/* OPT: root, type, class, then ext-rcode/version/DO: the last 6+2 bytes. */
	ck_assert_mem_eq(out + len - 8, orig + olen - 8, 8);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(out, len, &m), 0);
	ck_assert(m.edns.do_bit);
	sdns_msg_free(&m);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_servfail_not_cached_by_default_and_briefly_when_asked)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A,
	                 .rcode = SDNS_RC_SERVFAIL };
	ck_assert(!put(c, &sp, 0));
	sdns_cache_free(c);
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	conf.servfail_ttl = 5;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), 0);
	uint8_t out[1024];
	size_t len;
	ck_assert(put(c, &sp, 0));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 4 * S, out, &len), 0);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 5 * S, out, &len),
	                 SDNS_ENOTFOUND);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_truncated_refused_and_queries_are_not_cached)
{
	sdns_cache *c = mk(0, 0);
	resp_spec tc = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 }, .flags = SDNS_F_TC };
	resp_spec ref = { .qname = "a.example.", .qtype = SDNS_T_A,
	                  .rcode = SDNS_RC_REFUSED };
	ck_assert(!put(c, &tc, 0));
	ck_assert(!put(c, &ref, 0));
	uint8_t q[512];
	size_t qlen;
	sdns_name n = nm("a.example.");
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &qlen, 1, &n, SDNS_T_A,
	                                     true, NULL, 0), 0);
	bool stored = true;
	ck_assert_int_eq(sdns_cache_insert(c, false, q, qlen, 0, &stored), 0);
	ck_assert(!stored);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_malformed_response_is_refused_with_codec_error)
{
	sdns_cache *c = mk(0, 0);
	uint8_t junk[5] = { 1, 2, 3, 4, 5 };
	bool stored = true;
	ck_assert_int_lt(sdns_cache_insert(c, false, junk, sizeof(junk), 0, &stored), 0);
	ck_assert(!stored);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 } };
	uint8_t buf[1024];
	size_t len = build(&sp, buf, sizeof(buf));
	ck_assert_int_lt(sdns_cache_insert(c, false, buf, len - 1, 0, &stored), 0);
	ck_assert_int_eq(sdns_cache_insert(c, false, NULL, 0, 0, &stored), SDNS_EINVAL);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_small_output_buffer_is_espace)
{
	sdns_cache *c = mk(0, 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 60 } };
	ck_assert(put(c, &sp, 0));
	sdns_name q = nm("a.example.");
	sdns_cache_q cq = { .qname = &q, .qtype = SDNS_T_A, .qclass = SDNS_C_IN };
	uint8_t out[20];
	size_t len;
	ck_assert_int_eq(sdns_cache_lookup(c, &cq, 0, out, sizeof(out), &len, NULL),
	                 SDNS_ESPACE);
	sdns_cache_free(c);
}
END_TEST

static void put_name(sdns_cache *c, const char *qname, uint64_t now)
{
	resp_spec sp = { .qname = qname, .qtype = SDNS_T_A, .nans = 1, .ttl = { 600 } };
	ck_assert(put(c, &sp, now));
}

START_TEST(test_lru_evicts_least_recently_used_by_count)
{
	sdns_cache *c = mk(3, 0);
	uint8_t out[1024];
	size_t len;
	put_name(c, "a.example.", 0);
	put_name(c, "b.example.", 0);
	put_name(c, "c.example.", 0);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 0, out, &len), 0);
	put_name(c, "d.example.", 0);
	ck_assert_int_eq(get(c, "b.example.", SDNS_T_A, false, 0, out, &len),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 0, out, &len), 0);
	ck_assert_int_eq(get(c, "c.example.", SDNS_T_A, false, 0, out, &len), 0);
	ck_assert_int_eq(get(c, "d.example.", SDNS_T_A, false, 0, out, &len), 0);
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.evictions, 1);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_lru_evicts_by_bytes)
{
	sdns_cache *c = mk(0, 0);
	put_name(c, "a.example.", 0);
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	size_t one = st.bytes;
	sdns_cache_free(c);
	c = mk(100, one * 2 + one / 2);
	put_name(c, "a.example.", 0);
	put_name(c, "b.example.", 0);
	put_name(c, "c.example.", 0);
	uint8_t out[1024];
	size_t len;
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 0, out, &len),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(get(c, "c.example.", SDNS_T_A, false, 0, out, &len), 0);
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_le(st.bytes, one * 2 + one / 2);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_reinsert_replaces_entry)
{
	sdns_cache *c = mk(0, 0);
	uint8_t out[1024];
	size_t len;
	put_name(c, "a.example.", 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 30 } };
	ck_assert(put(c, &sp, 100 * S));
	ck_assert_int_eq(get(c, "a.example.", SDNS_T_A, false, 100 * S, out, &len), 0);
	ck_assert_uint_eq(ttl_of(out, len, SDNS_SEC_AN, 0), 30);
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_eq(st.entries, 1);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_drop_zone_removes_apex_and_below_only)
{
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	sdns_cache *c;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), 0);
	put_name(c, "mesh.example.", 0);
	put_name(c, "a.MESH.example.", 0);
	put_name(c, "b.c.mesh.example.", 0);
	put_name(c, "othermesh.example.", 0);
	put_name(c, "example.", 0);
	sdns_name apex = nm("Mesh.Example.");
	ck_assert_uint_eq(sdns_cache_drop_zone(c, &apex), 3);
	uint8_t out[1024];
	size_t len;
	ck_assert_int_eq(get(c, "a.mesh.example.", SDNS_T_A, false, 0, out, &len),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(get(c, "othermesh.example.", SDNS_T_A, false, 0, out, &len), 0);
	ck_assert_int_eq(get(c, "example.", SDNS_T_A, false, 0, out, &len), 0);
	sdns_cache_clear(c);
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_eq(st.bytes, 0);
	ck_assert_uint_eq(st.dropped, 3);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_prefetch_hint_once_for_popular_entry_near_expiry)
{
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	conf.prefetch_hits = 3;
	sdns_cache *c;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), 0);
	resp_spec sp = { .qname = "a.example.", .qtype = SDNS_T_A, .nans = 1,
	                 .ttl = { 100 } };
	ck_assert(put(c, &sp, 0));
	sdns_name q = nm("a.example.");
	sdns_cache_q cq = { .qname = &q, .qtype = SDNS_T_A, .qclass = SDNS_C_IN };
	uint8_t out[1024];
	size_t len;
	bool pf;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sdns_cache_lookup(c, &cq, 50 * S, out, 1024, &len, &pf), 0);
		ck_assert(!pf);
	}
	ck_assert_int_eq(sdns_cache_lookup(c, &cq, 95 * S, out, 1024, &len, &pf), 0);
	ck_assert(pf);
	ck_assert_int_eq(sdns_cache_lookup(c, &cq, 96 * S, out, 1024, &len, &pf), 0);
	ck_assert(!pf);
	sdns_cache_free(c);
}
END_TEST

START_TEST(test_bad_config_is_einval)
{
	sdns_cache_conf conf;
	sdns_cache *c;
	sdns_cache_conf_default(&conf);
	conf.min_ttl = 10;
	conf.max_ttl = 5;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), SDNS_EINVAL);
	sdns_cache_conf_default(&conf);
	conf.max_entries = 0;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), SDNS_EINVAL);
}
END_TEST

typedef struct {
	sdns_cache *c;
	int seed;
} thr_arg;

static void *worker(void *p)
{
	thr_arg *a = p;
	uint8_t buf[1024], out[1024];
	char name[32];
	size_t len, olen;
	for (int i = 0; i < 4000; i++) {
		int k = (i * 7 + a->seed) % 64;
		snprintf(name, sizeof(name), "h%d.example.", k);
		sdns_name q;
		sdns_name_from_str(&q, name, strlen(name), NULL);
		sdns_cache_q cq = { .qname = &q, .qtype = SDNS_T_A, .qclass = SDNS_C_IN };
		uint64_t now = (uint64_t)i * 1000000ull;
		if (sdns_cache_lookup(a->c, &cq, now, out, sizeof(out), &olen, NULL) == 0 &&
		    (olen < 12 || out[12] != 2 + (k >= 10)))
			return (void *)1;
		if (i % 3 == a->seed % 3) {
			sdns_bld b;
			uint8_t ip[4] = { 10, 0, 0, (uint8_t)k };
			sdns_rr rr = { .owner = q, .type = SDNS_T_A, .rclass = SDNS_C_IN,
			               .ttl = 1 + (uint32_t)(k % 5), .rdlen = 4, .rdata = ip };
			sdns_bld_init(&b, buf, sizeof(buf), 1, SDNS_F_QR);
			sdns_bld_question(&b, &q, SDNS_T_A, SDNS_C_IN);
			sdns_bld_rr(&b, SDNS_SEC_AN, &rr);
			sdns_bld_finish(&b, &len);
			if (sdns_cache_insert(a->c, false, buf, len, now, NULL)) return (void *)1;
		}
		if (i % 1000 == 999) {
			sdns_name apex;
			sdns_name_from_str(&apex, "h1.example.", 11, NULL);
			sdns_cache_drop_zone(a->c, &apex);
		}
	}
	return NULL;
}

START_TEST(test_four_threads_read_and_write_concurrently)
{
	sdns_cache_conf conf;
	sdns_cache_conf_default(&conf);
	conf.max_entries = 32;
	conf.shards = 4;
	sdns_cache *c;
	ck_assert_int_eq(sdns_cache_new(&conf, &c), 0);
	pthread_t t[4];
	thr_arg a[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (thr_arg){ c, i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		ck_assert_ptr_null(r);
	}
	sdns_cache_stats st;
	sdns_cache_stats_get(c, &st);
	ck_assert_uint_le(st.entries, 32);
	ck_assert_uint_eq(st.hits + st.misses, 16000);
	sdns_cache_free(c);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_hit_returns_bytes_with_ttl_decremented_by_age);
	tcase_add_test(tc, test_miss_after_expiry_and_entry_removed);
	tcase_add_test(tc, test_lifetime_is_smallest_answer_ttl);
	tcase_add_test(tc, test_nxdomain_ttl_is_min_of_soa_ttl_and_minimum);
	tcase_add_test(tc, test_nodata_ttl_clamped_to_negative_max);
	tcase_add_test(tc, test_negative_without_soa_is_not_cached);
	tcase_add_test(tc, test_ttl_clamped_to_min_and_max);
	tcase_add_test(tc, test_zero_ttl_is_not_cached);
	tcase_add_test(tc, test_key_is_case_insensitive_and_answer_takes_query_case_and_id);
	tcase_add_test(tc, test_rd_bit_follows_query);
	tcase_add_test(tc, test_qtype_and_do_bit_separate_keys);
	tcase_add_test(tc, test_opt_ttl_field_is_not_aged);
	tcase_add_test(tc, test_servfail_not_cached_by_default_and_briefly_when_asked);
	tcase_add_test(tc, test_truncated_refused_and_queries_are_not_cached);
	tcase_add_test(tc, test_malformed_response_is_refused_with_codec_error);
	tcase_add_test(tc, test_small_output_buffer_is_espace);
	tcase_add_test(tc, test_lru_evicts_least_recently_used_by_count);
	tcase_add_test(tc, test_lru_evicts_by_bytes);
	tcase_add_test(tc, test_reinsert_replaces_entry);
	tcase_add_test(tc, test_drop_zone_removes_apex_and_below_only);
	tcase_add_test(tc, test_prefetch_hint_once_for_popular_entry_near_expiry);
	tcase_add_test(tc, test_bad_config_is_einval);
	tcase_add_test(tc, test_four_threads_read_and_write_concurrently);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(cache_suite)
