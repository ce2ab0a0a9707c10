/* Tests for src/dnssec/signer.c: signing in zone builds and edits. After an
 * edit only the RRsets it touched carry new signatures, every authoritative
 * RRset keeps exactly one valid RRSIG through random edits (glue and the
 * NS of a cut none), and the re-signing decisions (due, due names, jitter)
 * hold as tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "testlib.h"
#include "zonetest.h"

#define APEX "example."
#define T0 1700000000u
#define VALIDITY 86400u

static const char *const base_lines[] = {
	"@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300",
	"@ 3600 NS ns1",
	"ns1 3600 A 192.0.2.53",
	"www 300 A 192.0.2.1",
	"www 300 TXT hello",
	"mail 300 A 192.0.2.25",
	"deleg 3600 NS ns.deleg",
	"ns.deleg 3600 A 192.0.2.77",
	NULL,
};

static sdns_dnssec_key key(void)
{
	uint8_t seed[32];
	for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(i * 7 + 1);
	sdns_dnssec_key k;
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &k), SDNS_OK);
	return k;
}

typedef struct {
	sdns_dnssec_key k;
	sdns_name apex;
	sdns_dnssec_signer s;
	sdns_zone_signer hook;
	sdns_zone_opts o;
} signing;

static void signing_at(signing *g, uint32_t now, const sdns_zone *base)
{
	g->k = key();
	g->apex = zt_name(APEX, NULL);
	g->s = (sdns_dnssec_signer){ &g->k, &g->apex, now, VALIDITY, 0, true,
	                             base };
	sdns_dnssec_signer_hook(&g->s, &g->hook);
	g->o = (sdns_zone_opts){ .signer = &g->hook, .threads = 2 };
}

static sdns_zone *signed_zone(const char *const *lines, uint32_t now)
{
	signing g;
	signing_at(&g, now, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&g.apex);
	sdns_zbuild_set_opts(b, &g.o);
	for (int i = 0; lines[i]; i++)
		ck_assert_int_eq(zt_add(b, APEX, lines[i]), SDNS_OK);
	uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
	sdns_rr dk;
	sdns_dnssec_dnskey_rr(&g.k, &g.apex, 3600, rd, &dk);
	ck_assert_int_eq(sdns_zbuild_add(b, &dk), SDNS_OK);
	sdns_zone *z = NULL;
	char err[256] = "";
	ck_assert_msg(sdns_zbuild_finish(b, &z, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	return z;
}

/* The RRSIG RDATA at name covering type, or NULL. */
static const uint8_t *sig_of(const sdns_zone *z, const char *name,
                             uint16_t type, uint16_t *len)
{
	sdns_name n = zt_name(name, NULL);
	const sdns_rrset *sigs = sdns_zone_find(z, &n, SDNS_T_RRSIG);
	for (uint16_t i = 0; sigs && i < sigs->count; i++)
		if ((uint16_t)(sigs->rdata[i][0] << 8 | sigs->rdata[i][1]) == type) {
			*len = sigs->rdlen[i];
			return sigs->rdata[i];
		}
	return NULL;
}

static bool same_sig(const sdns_zone *a, const sdns_zone *b, const char *name,
                     uint16_t type)
{
	uint16_t la = 0, lb = 0;
	const uint8_t *sa = sig_of(a, name, type, &la);
	const uint8_t *sb = sig_of(b, name, type, &lb);
	ck_assert_msg(sa && sb, "%s/%u lacks an RRSIG", name, type);
	return la == lb && !memcmp(sa, sb, la);
}

static sdns_zone *edit_put(sdns_zone *z, uint32_t now, const char *owner,
                           const char *const *lines)
{
	signing g;
	signing_at(&g, now, z);
	sdns_zedit *e = sdns_zedit_new(z, &g.o);
	sdns_rr rr[8];
	uint8_t rd[8][512];
	size_t n = 0;
	for (; lines && lines[n]; n++)
		zt_rr(lines[n], &g.apex, &rr[n], rd[n], sizeof(rd[n]));
	sdns_name o = zt_name(owner, &g.apex);
	ck_assert_int_eq(sdns_zedit_put(e, &o, rr, n), SDNS_OK);
	sdns_zone *out = NULL;
	ck_assert_int_eq(sdns_zedit_finish(e, &out, NULL, 0), SDNS_OK);
	return out;
}

START_TEST(test_edit_re_signs_only_the_rrsets_it_changed)
{
	sdns_zone *z = signed_zone(base_lines, T0);
	static const char *const www[] = { "www 300 A 192.0.2.9",
	                                   "www 300 TXT hello", NULL };
	sdns_zone *z2 = edit_put(z, T0 + 100, "www", www);
	ck_assert(!same_sig(z, z2, "www.example.", SDNS_T_A));
	ck_assert(same_sig(z, z2, "www.example.", SDNS_T_TXT));
	ck_assert(same_sig(z, z2, "mail.example.", SDNS_T_A));
	ck_assert(same_sig(z, z2, "example.", SDNS_T_SOA));
	ck_assert(same_sig(z, z2, "example.", SDNS_T_DNSKEY));
	/* The SOA of a change moves its serial: that one is signed again. */
	static const char *const apex[] = {
		"@ 3600 SOA ns1 hostmaster 2 7200 900 1209600 300",
		"@ 3600 NS ns1", NULL };
	sdns_zone *z3 = edit_put(z2, T0 + 200, "@", apex);
	ck_assert(!same_sig(z2, z3, "example.", SDNS_T_SOA));
	ck_assert(same_sig(z2, z3, "example.", SDNS_T_NS));
	uint16_t l;
	/* The apex was put without its DNSKEY: that RRset went with it. */
	ck_assert_ptr_null(sig_of(z3, "example.", SDNS_T_DNSKEY, &l));
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
}
END_TEST

/* Every authoritative RRset of z has exactly one RRSIG of ours that
 * verifies at now; glue and the NS of a cut have none. */
typedef struct {
	const sdns_zone *z;
	sdns_dnssec_key k;
	sdns_name apex;
	uint32_t now;
	int checked;
} vctx;

static int verify_set(void *ctx, const sdns_name *owner, const sdns_rrset *set,
                      bool auth)
{
	vctx *v = ctx;
	if (set->type == SDNS_T_RRSIG) return 0;
	const sdns_rrset *sigs = sdns_zone_find(v->z, owner, SDNS_T_RRSIG);
	int mine = 0;
	for (uint16_t i = 0; sigs && i < sigs->count; i++) {
		if ((uint16_t)(sigs->rdata[i][0] << 8 | sigs->rdata[i][1]) !=
		    set->type)
			continue;
		char why[200] = "";
		ck_assert_msg(sdns_dnssec_verify_rrset(&v->k, &v->apex, owner, set,
		              sigs->rdata[i], sigs->rdlen[i], v->now, why,
		              sizeof(why)) == SDNS_OK, "bogus: %s", why);
		mine++;
	}
	ck_assert_int_eq(mine, auth ? 1 : 0);
	v->checked++;
	return 0;
}

static int verify_all(const sdns_zone *z, uint32_t now)
{
	vctx v = { z, key(), zt_name(APEX, NULL), now, 0 };
	ck_assert_int_eq(sdns_zone_walk(z, verify_set, &v), 0);
	return v.checked;
}

START_TEST(test_random_edits_keep_one_valid_signature_per_rrset)
{
	sdns_zone *z = signed_zone(base_lines, T0);
	unsigned seed = 9;
	static const char *const names[] = { "www", "mail", "a.b", "deleg",
	                                     "ns.deleg", "x.deleg", "c", "q.c" };
	uint32_t now = T0;
	for (int step = 0; step < 300; step++) {
		now += 60;
		const char *o = names[rand_r(&seed) % 8];
		char l1[128], l2[128];
		const char *lines[3] = { l1, l2, NULL };
		if (!strcmp(o, "deleg") && rand_r(&seed) % 2) {
			/* The cut comes and goes: what is below turns glue. */
			snprintf(l1, sizeof(l1), "deleg 3600 NS ns.deleg");
			lines[1] = NULL;
		} else if (!strcmp(o, "deleg")) {
			snprintf(l1, sizeof(l1), "deleg 300 TXT nocut");
			lines[1] = NULL;
		} else {
			snprintf(l1, sizeof(l1), "%s 300 A 10.0.0.%u", o,
			         rand_r(&seed) % 4);
			snprintf(l2, sizeof(l2), "%s 300 TXT v%u", o, rand_r(&seed) % 3);
			if (rand_r(&seed) % 5 == 0) lines[0] = NULL;  /* removed */
		}
		sdns_zone *next = edit_put(z, now, o, lines);
		verify_all(next, now);
		sdns_zone_free(z);
		z = next;
	}
	ck_assert_int_gt(verify_all(z, now), 5);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_delegation_turns_names_below_into_unsigned_glue)
{
	sdns_zone *z = signed_zone(base_lines, T0);
	static const char *const a[] = { "x.sub 300 A 192.0.2.5", NULL };
	sdns_zone *z2 = edit_put(z, T0 + 1, "x.sub", a);
	uint16_t l;
	ck_assert_ptr_nonnull(sig_of(z2, "x.sub.example.", SDNS_T_A, &l));
	static const char *const ns[] = { "sub 3600 NS ns.deleg", NULL };
	sdns_zone *z3 = edit_put(z2, T0 + 2, "sub", ns);
	ck_assert_ptr_null(sig_of(z3, "x.sub.example.", SDNS_T_A, &l));
	ck_assert_ptr_null(sig_of(z3, "sub.example.", SDNS_T_NS, &l));
	sdns_zone *z4 = edit_put(z3, T0 + 3, "sub", NULL);
	ck_assert_ptr_nonnull(sig_of(z4, "x.sub.example.", SDNS_T_A, &l));
	verify_all(z4, T0 + 3);
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
	sdns_zone_free(z4);
}
END_TEST

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

START_TEST(test_rrsig_due_table)
{
	static const struct {
		uint32_t inc, exp, now, refresh;
		bool due;
	} t[] = {
		{ 1000, 5000, 2000, 1000, false },
		{ 1000, 5000, 4000, 1000, false },  /* exactly refresh left */
		{ 1000, 5000, 4001, 1000, true },
		{ 1000, 5000, 6000, 1000, true },   /* expired */
		{ 3000, 9000, 2000, 1000, true },   /* not yet valid */
		{ 0xfffff000u, 0x1000u, 0xfffff800u, 1000, false },  /* wraps */
	};
	uint8_t rd[18 + 9 + 64];
	memset(rd, 0, sizeof(rd));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		put32(rd + 8, t[i].exp);
		put32(rd + 12, t[i].inc);
		ck_assert_msg(sdns_dnssec_rrsig_due(rd, sizeof(rd), t[i].now,
		              t[i].refresh) == t[i].due, "row %zu", i);
	}
	ck_assert(sdns_dnssec_rrsig_due(rd, 10, T0, 0));  /* unreadable */
}
END_TEST

static void count_due(void *ctx, const sdns_name *owner)
{
	(void)owner;
	(*(size_t *)ctx)++;
}

START_TEST(test_due_names_spread_and_budget)
{
	sdns_name apex = zt_name(APEX, NULL);
	signing g;
	signing_at(&g, T0, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	sdns_zbuild_set_opts(b, &g.o);
	ck_assert_int_eq(zt_add(b, APEX, base_lines[0]), 0);
	char line[128];
	for (int i = 0; i < 4000; i++) {
		snprintf(line, sizeof(line), "h%d 300 A 10.0.%d.%d", i, i / 256,
		         i % 256);
		ck_assert_int_eq(zt_add(b, APEX, line), 0);
	}
	sdns_zone *z = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &z, NULL, 0), 0);
	size_t shards = sdns_zone_shard_count(z);
	uint32_t refresh = VALIDITY / 4;
	size_t cursor = 0, n = 0;
	/* Fresh: nothing due in a whole lap. */
	ck_assert_uint_eq(sdns_dnssec_due_names(z, &cursor, shards, 100000,
	                  T0 + 10, refresh, count_due, &n), 0);
	/* Jitter: expirations fill the last eighth of the validity, so the
	 * first renewals come an eighth before the last ones. */
	uint32_t early = T0 + VALIDITY - VALIDITY / 8 - refresh + 60;
	uint32_t late = T0 + VALIDITY - refresh + 1;
	n = 0;
	sdns_dnssec_due_names(z, &cursor, shards, 100000, early, refresh,
	                      count_due, &n);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, 4001 / 4);
	n = 0;
	sdns_dnssec_due_names(z, &cursor, shards, 100000, late, refresh,
	                      count_due, &n);
	ck_assert_uint_eq(n, 4001);
	/* A budget stops at whole shards: a few hundred names, not all. */
	n = 0;
	size_t got = sdns_dnssec_due_names(z, &cursor, shards, 10, late, refresh,
	                                   count_due, &n);
	ck_assert_uint_ge(got, 10);
	ck_assert_uint_lt(got, 4001);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_touch_renews_due_signatures_and_keeps_fresh_ones)
{
	sdns_zone *z = signed_zone(base_lines, T0);
	uint32_t later = T0 + VALIDITY - VALIDITY / 4 + 1;   /* all due */
	signing g;
	signing_at(&g, later, z);
	sdns_zedit *e = sdns_zedit_new(z, &g.o);
	sdns_name www = zt_name("www.example.", NULL);
	ck_assert_int_eq(sdns_zedit_touch(e, &www), 0);
	sdns_zone *z2 = NULL;
	ck_assert_int_eq(sdns_zedit_finish(e, &z2, NULL, 0), 0);
	ck_assert(!same_sig(z, z2, "www.example.", SDNS_T_A));
	ck_assert(!same_sig(z, z2, "www.example.", SDNS_T_TXT));
	ck_assert(same_sig(z, z2, "mail.example.", SDNS_T_A));
	uint16_t l;
	const uint8_t *s = sig_of(z2, "www.example.", SDNS_T_A, &l);
	ck_assert(!sdns_dnssec_rrsig_due(s, l, later, VALIDITY / 4));
	/* Touching again right away reuses the fresh signatures. */
	signing g2;
	signing_at(&g2, later + 5, z2);
	e = sdns_zedit_new(z2, &g2.o);
	ck_assert_int_eq(sdns_zedit_touch(e, &www), 0);
	sdns_zone *z3 = NULL;
	ck_assert_int_eq(sdns_zedit_finish(e, &z3, NULL, 0), 0);
	ck_assert(same_sig(z2, z3, "www.example.", SDNS_T_A));
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
}
END_TEST

START_TEST(test_renew_touches_only_due_names_and_keeps_the_rest)
{
	sdns_zone *z = signed_zone(base_lines, T0);
	size_t cursor = 0, n = 99;
	sdns_zone *out = (sdns_zone *)1;
	signing g;
	signing_at(&g, T0 + 60, z);
	/* Nothing due yet: no new zone. */
	ck_assert_int_eq(sdns_dnssec_renew(z, &g.s, NULL, &cursor,
	                 sdns_zone_shard_count(z), 1000, &out, &n), SDNS_OK);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(n, 0);
	/* Later, everything is: every signed name comes back renewed. */
	signing_at(&g, T0 + VALIDITY - VALIDITY / 4 + 1, z);
	ck_assert_int_eq(sdns_dnssec_renew(z, &g.s, NULL, &cursor,
	                 sdns_zone_shard_count(z), 1000, &out, &n), SDNS_OK);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(n, 4);   /* apex, ns1, www, mail (not the glue) */
	ck_assert(!same_sig(z, out, "www.example.", SDNS_T_A));
	verify_all(out, T0 + VALIDITY - VALIDITY / 4 + 1);
	sdns_zone_free(out);
	sdns_zone_free(z);
}
END_TEST

static Suite *signer_suite(void)
{
	Suite *s = suite_create("signer");
	TCase *tc = tcase_create("signer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_edit_re_signs_only_the_rrsets_it_changed);
	tcase_add_test(tc, test_random_edits_keep_one_valid_signature_per_rrset);
	tcase_add_test(tc, test_delegation_turns_names_below_into_unsigned_glue);
	tcase_add_test(tc, test_rrsig_due_table);
	tcase_add_test(tc, test_due_names_spread_and_budget);
	tcase_add_test(tc, test_touch_renews_due_signatures_and_keeps_fresh_ones);
	tcase_add_test(tc, test_renew_touches_only_due_names_and_keeps_the_rest);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(signer_suite)
