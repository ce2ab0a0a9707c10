/* Tests for src/zone/zedit.c: incremental edits give exactly the zone a
 * full build of the same records gives (same RRsets, same names, same
 * answers byte for byte), and share every untouched shard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/zone/zone_int.h"
#include "sdns/answer.h"
#include "sdns/error.h"
#include "testlib.h"
#include "zonetest.h"

#define APEX "example."
#define SOA_FMT "@ 3600 SOA ns1 hostmaster %u 7200 900 1209600 300"

/* --- a model: the records of each name, as zonetest lines --- */

#define MAX_NAMES 4096
#define MAX_LINES 4

typedef struct {
	char name[64];              /* relative to APEX, "@" = apex */
	char lines[MAX_LINES][128];
	int n;
} mname;

typedef struct {
	mname names[MAX_NAMES];
	int n;
} model;

static mname *m_get(model *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->names[i].name, name)) return &m->names[i];
	ck_assert_int_lt(m->n, MAX_NAMES);
	mname *x = &m->names[m->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	return x;
}

static sdns_zone *m_build(const model *m, const sdns_zone_opts *o)
{
	sdns_name apex = zt_name(APEX, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_ptr_nonnull(b);
	if (o) sdns_zbuild_set_opts(b, o);
	for (int i = 0; i < m->n; i++)
		for (int j = 0; j < m->names[i].n; j++)
			ck_assert_int_eq(zt_add(b, APEX, m->names[i].lines[j]), 0);
	sdns_zone *z = NULL;
	char err[256] = "";
	int rc = sdns_zbuild_finish(b, &z, err, sizeof(err));
	ck_assert_msg(rc == 0, "full build: %s", err);
	return z;
}

/* Put the model's records of x into the edit. */
static void e_put(sdns_zedit *e, const mname *x)
{
	sdns_name apex = zt_name(APEX, NULL);
	sdns_rr rr[MAX_LINES];
	uint8_t rd[MAX_LINES][512];
	for (int j = 0; j < x->n; j++)
		zt_rr(x->lines[j], &apex, &rr[j], rd[j], sizeof(rd[j]));
	sdns_name owner = zt_name(strcmp(x->name, "@") ? x->name : APEX, &apex);
	int rc = sdns_zedit_put(e, &owner, rr, (size_t)x->n);
	ck_assert_msg(rc == 0, "put %s: %s", x->name, sdns_zedit_error(e));
}

/* --- comparing two zones --- */

typedef struct {
	char **v;
	size_t n, cap;
} dumpv;

static int dump_set(void *ctx, const sdns_name *owner, const sdns_rrset *set,
                    bool auth)
{
	dumpv *l = ctx;
	for (uint16_t i = 0; i < set->count; i++) {
		char buf[1024];
		sdns_name low = *owner;
		sdns_name_lower(&low);
		int k = snprintf(buf, sizeof(buf), "%u:", low.len);
		for (int j = 0; j < low.len; j++)
			k += snprintf(buf + k, sizeof(buf) - k, "%02x", low.data[j]);
		k += snprintf(buf + k, sizeof(buf) - k, " %u %u %d ", set->type,
		              set->ttl, auth);
		for (int j = 0; j < set->rdlen[i] && k < 1000; j++)
			k += snprintf(buf + k, sizeof(buf) - k, "%02x",
			              set->rdata[i][j]);
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
		}
		l->v[l->n++] = strdup(buf);
	}
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump(const sdns_zone *z, dumpv *l)
{
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(sdns_zone_walk(z, dump_set, l), 0);
	qsort(l->v, l->n, sizeof(*l->v), str_cmp);
}

static void lines_free(dumpv *l)
{
	for (size_t i = 0; i < l->n; i++) free(l->v[i]);
	free(l->v);
}

static void answers_equal(const sdns_zone *a, const sdns_zone *b,
                          const char *qname)
{
	static const uint16_t types[] = { SDNS_T_A, SDNS_T_TXT, SDNS_T_NS,
	                                  SDNS_T_CNAME, SDNS_T_MX, SDNS_T_ANY,
	                                  SDNS_T_SOA, SDNS_T_AAAA };
	sdns_zone *za = (sdns_zone *)a, *zb = (sdns_zone *)b;
	sdns_zone_ref(za);
	sdns_zone_ref(zb);
	sdns_zoneset *sa, *sb;
	ck_assert_int_eq(sdns_zoneset_new(&za, 1, &sa), 0);
	ck_assert_int_eq(sdns_zoneset_new(&zb, 1, &sb), 0);
	sdns_name n = zt_name(qname, NULL);
	sdns_answer_opts o = { .max_size = 65535 };
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		uint8_t q[512], ra[65535], rb[65535];
		size_t ql, la, lb;
		ck_assert_int_eq(sdns_msg_make_query(q, sizeof(q), &ql, 7, &n,
		                                     types[t], true, NULL, 0), 0);
		ck_assert_int_eq(sdns_answer(sa, q, ql, &o, ra, sizeof(ra), &la), 0);
		ck_assert_int_eq(sdns_answer(sb, q, ql, &o, rb, sizeof(rb), &lb), 0);
		ck_assert_msg(la == lb && !memcmp(ra, rb, la),
		              "answers differ for %s type %u", qname, types[t]);
	}
	sdns_zoneset_unref(sa);
	sdns_zoneset_unref(sb);
}

/* Names worth asking for: every model name, their parents, misses. */
static void zones_equal(const sdns_zone *inc, const sdns_zone *full,
                        const model *m)
{
	dumpv a, b;
	dump(inc, &a);
	dump(full, &b);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) ck_assert_str_eq(a.v[i], b.v[i]);
	lines_free(&a);
	lines_free(&b);
	ck_assert_uint_eq(sdns_zone_name_count(inc), sdns_zone_name_count(full));
	ck_assert_uint_eq(sdns_zone_rr_count(inc), sdns_zone_rr_count(full));
	ck_assert_uint_eq(sdns_zone_dnssec_count(inc), sdns_zone_dnssec_count(full));
	ck_assert_uint_eq(sdns_zone_serial(inc), sdns_zone_serial(full));
	static const char *const extra[] = { "nothere", "x.w", "y.x.w", "z.b.c",
	                                     "c", "b.c", "q.sub", "www.sub",
	                                     "deep.ns.sub", "x.alias", NULL };
	char q[256];
	for (int i = 0; i < m->n; i++) {
		const char *nm = m->names[i].name;
		snprintf(q, sizeof(q), "%s%s%s", strcmp(nm, "@") ? nm : "",
		         strcmp(nm, "@") ? "." : "", APEX);
		sdns_name n = zt_name(q, NULL);
		ck_assert_int_eq(sdns_zone_name_exists(inc, &n),
		                 sdns_zone_name_exists(full, &n));
		if (i % 7 == 0 || m->n < 64) answers_equal(inc, full, q);
	}
	for (int i = 0; extra[i]; i++) {
		snprintf(q, sizeof(q), "%s.%s", extra[i], APEX);
		sdns_name n = zt_name(q, NULL);
		ck_assert_int_eq(sdns_zone_name_exists(inc, &n),
		                 sdns_zone_name_exists(full, &n));
		answers_equal(inc, full, q);
	}
}

/* --- random content --- */

static const char *const fixed_names[] = {
	"www", "mail", "a.b.c", "b.c", "*.w", "x.w", "sub", "ns.sub",
	"deep.ns.sub", "alias", "mx", "srv", "q.h1", "h1", "e.f.g.h",
};

static void random_content(mname *x, unsigned *seed, unsigned serial)
{
	x->n = 0;
	if (!strcmp(x->name, "@")) {
		snprintf(x->lines[x->n++], 128, SOA_FMT, serial);
		snprintf(x->lines[x->n++], 128, "@ 3600 NS ns1");
		if (rand_r(seed) % 2)
			snprintf(x->lines[x->n++], 128, "@ 300 TXT apex%u",
			         rand_r(seed) % 4);
		return;
	}
	int k = rand_r(seed) % 4;   /* 0: the name goes */
	char o[64];
	snprintf(o, sizeof(o), "%s", x->name);
	if (!strcmp(o, "alias")) {
		if (k) snprintf(x->lines[x->n++], 128, "alias %u CNAME www",
		                60 + rand_r(seed) % 3);
		return;
	}
	if (!strcmp(o, "sub")) {
		if (k) snprintf(x->lines[x->n++], 128, "sub 3600 NS ns.sub");
		if (k > 1) snprintf(x->lines[x->n++], 128, "sub 3600 NS ns2.sub");
		return;
	}
	for (int i = 0; i < k && x->n < MAX_LINES; i++) {
		unsigned v = rand_r(seed) % 5;
		switch (rand_r(seed) % 4) {
		case 0:
			snprintf(x->lines[x->n++], 128, "%s %u A 10.0.%u.%u", o,
			         300 + rand_r(seed) % 2, v, rand_r(seed) % 3);
			break;
		case 1:
			snprintf(x->lines[x->n++], 128, "%s 300 TXT t%u", o, v);
			break;
		case 2:
			snprintf(x->lines[x->n++], 128, "%s 300 MX %u mail", o, v);
			break;
		default:
			snprintf(x->lines[x->n++], 128, "%s 300 AAAA 2001:db8::%u", o,
			         v + 1);
		}
	}
}

static void seed_model(model *m, unsigned *seed)
{
	m->n = 0;
	mname *apex = m_get(m, "@");
	random_content(apex, seed, 1);
	for (size_t i = 0; i < sizeof(fixed_names) / sizeof(*fixed_names); i++) {
		mname *x = m_get(m, fixed_names[i]);
		random_content(x, seed, 1);
	}
}

static const char *pick_name(model *m, unsigned *seed, int many)
{
	static char buf[64];
	int r = rand_r(seed) % 10;
	if (r == 0) return "@";
	if (r < 5 || !many) {
		size_t n = sizeof(fixed_names) / sizeof(*fixed_names);
		return fixed_names[rand_r(seed) % n];
	}
	(void)m;
	snprintf(buf, sizeof(buf), "%sh%d", rand_r(seed) % 3 ? "" : "q.",
	         rand_r(seed) % many);
	return buf;
}

/* Random edits in random batches; after each batch the incremental zone
 * equals a full build of the model. */
static void run_random(unsigned seed, int steps, int many,
                       const sdns_zone_opts *o, int check_every)
{
	model *m = calloc(1, sizeof(*m));
	seed_model(m, &seed);
	sdns_zone *z = m_build(m, o);
	unsigned serial = 1;
	for (int step = 0, batches = 0; step < steps; batches++) {
		sdns_zedit *e = sdns_zedit_new(z, o);
		ck_assert_ptr_nonnull(e);
		int batch = 1 + rand_r(&seed) % 20;
		for (int i = 0; i < batch; i++, step++) {
			mname *x = m_get(m, pick_name(m, &seed, many));
			random_content(x, &seed, ++serial);
			e_put(e, x);
		}
		mname *apex = m_get(m, "@");
		random_content(apex, &seed, ++serial);
		e_put(e, apex);
		sdns_zone *next = NULL;
		char err[256] = "";
		ck_assert_msg(sdns_zedit_finish(e, &next, err, sizeof(err)) == 0,
		              "finish: %s", err);
		if (batches % check_every == 0 || step >= steps) {
			sdns_zone *full = m_build(m, o);
			zones_equal(next, full, m);
			sdns_zone_free(full);
		}
		sdns_zone_free(z);
		z = next;
	}
	sdns_zone_free(z);
	free(m);
}

START_TEST(test_random_edits_equal_full_builds)
{
	run_random(1, 400, 0, NULL, 1);
	run_random(2, 400, 40, NULL, 1);
}
END_TEST

START_TEST(test_growing_zone_splits_shards_and_stays_equal)
{
	/* Thousands of names: shards split and the directory deepens. */
	run_random(3, 3000, 2000, NULL, 10);
}
END_TEST

/* --- specific behaviour --- */

static sdns_zone *small_zone(void)
{
	static const char *const lines[] = {
		"@ 3600 SOA ns1 hostmaster 1 7200 900 1209600 300",
		"@ 3600 NS ns1", "ns1 3600 A 192.0.2.53", "www 300 A 192.0.2.1",
		NULL,
	};
	return zt_zone(APEX, lines);
}

static void put_line(sdns_zedit *e, const char *owner, const char *line)
{
	sdns_name apex = zt_name(APEX, NULL);
	sdns_name o = zt_name(owner, &apex);
	sdns_rr rr;
	uint8_t rd[512];
	if (!line) {
		ck_assert_int_eq(sdns_zedit_put(e, &o, NULL, 0), 0);
		return;
	}
	zt_rr(line, &apex, &rr, rd, sizeof(rd));
	ck_assert_int_eq(sdns_zedit_put(e, &o, &rr, 1), 0);
}

static sdns_zone *edit1(sdns_zone *z, const char *owner, const char *line)
{
	sdns_zedit *e = sdns_zedit_new(z, NULL);
	put_line(e, owner, line);
	sdns_zone *out = NULL;
	ck_assert_int_eq(sdns_zedit_finish(e, &out, NULL, 0), 0);
	return out;
}

static bool exists(const sdns_zone *z, const char *name)
{
	sdns_name n = zt_name(name, NULL);
	return sdns_zone_name_exists(z, &n);
}

START_TEST(test_new_deep_name_brings_its_empty_non_terminals)
{
	sdns_zone *z = small_zone();
	sdns_zone *z2 = edit1(z, "a.b.c", "a.b.c 300 TXT deep");
	ck_assert(exists(z2, "b.c.example."));
	ck_assert(exists(z2, "c.example."));
	ck_assert(!exists(z, "c.example."));  /* the base is unchanged */
	sdns_zone *z3 = edit1(z2, "a.b.c", NULL);
	ck_assert(!exists(z3, "a.b.c.example."));
	ck_assert(!exists(z3, "b.c.example."));
	ck_assert(!exists(z3, "c.example."));
	ck_assert_uint_eq(sdns_zone_name_count(z3), sdns_zone_name_count(z));
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
}
END_TEST

START_TEST(test_removing_data_keeps_a_name_with_children)
{
	sdns_zone *z = small_zone();
	sdns_zone *z2 = edit1(z, "b.c", "b.c 300 TXT mid");
	sdns_zone *z3 = edit1(z2, "a.b.c", "a.b.c 300 TXT deep");
	sdns_zone *z4 = edit1(z3, "b.c", NULL);
	ck_assert(exists(z4, "b.c.example."));  /* now an empty non-terminal */
	sdns_name bc = zt_name("b.c.example.", NULL);
	ck_assert_ptr_null(sdns_zone_find(z4, &bc, SDNS_T_TXT));
	sdns_zone *z5 = edit1(z4, "a.b.c", NULL);
	ck_assert(!exists(z5, "b.c.example."));
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
	sdns_zone_free(z4);
	sdns_zone_free(z5);
}
END_TEST

static size_t shared_shards(const sdns_zone *a, const sdns_zone *b)
{
	size_t same = 0;
	size_t n = (size_t)1 << b->gdepth;
	for (size_t i = 0; i < n;) {
		zshard *s = b->dir[i];
		size_t na = (size_t)1 << a->gdepth;
		for (size_t j = 0; j < na; j++)
			if (a->dir[j] == s) {
				same++;
				break;
			}
		i += (size_t)1 << (b->gdepth - s->depth);
	}
	return same;
}

START_TEST(test_an_edit_shares_every_untouched_shard)
{
	sdns_name apex = zt_name(APEX, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(zt_add(b, APEX, "@ 3600 SOA ns1 hostmaster 1 7200 900 "
	                        "1209600 300"), 0);
	char line[128];
	for (int i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line), "h%d 300 A 10.0.%d.%d", i, i / 256,
		         i % 256);
		ck_assert_int_eq(zt_add(b, APEX, line), 0);
	}
	sdns_zone *z = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &z, NULL, 0), 0);
	ck_assert_uint_gt(sdns_zone_shard_count(z), 32);
	sdns_zone *z2 = edit1(z, "h77", "h77 300 A 10.9.9.9");
	/* One shard re-laid; the apex's is untouched (h77 existed). */
	ck_assert_uint_eq(shared_shards(z, z2), sdns_zone_shard_count(z) - 1);
	sdns_name h = zt_name("h77.example.", NULL);
	const sdns_rrset *s = sdns_zone_find(z2, &h, SDNS_T_A);
	ck_assert_ptr_nonnull(s);
	ck_assert_mem_eq(s->rdata[0], "\x0a\x09\x09\x09", 4);
	s = sdns_zone_find(z, &h, SDNS_T_A);
	ck_assert_mem_eq(s->rdata[0], "\x0a\x00\x00\x4d", 4);
	/* A new name also moves the apex's child count: two shards at most. */
	sdns_zone *z3 = edit1(z2, "new1", "new1 300 A 10.1.1.1");
	ck_assert_uint_ge(shared_shards(z2, z3), sdns_zone_shard_count(z2) - 2);
	ck_assert_uint_eq(sdns_zone_rr_count(z3), sdns_zone_rr_count(z2) + 1);
	sdns_zone_free(z);
	sdns_zone_free(z2);
	sdns_zone_free(z3);
}
END_TEST

START_TEST(test_deleting_the_soa_fails_the_edit)
{
	sdns_zone *z = small_zone();
	sdns_zedit *e = sdns_zedit_new(z, NULL);
	put_line(e, "@", "@ 3600 NS ns1");
	sdns_zone *out = (sdns_zone *)1;
	char err[256];
	ck_assert_int_eq(sdns_zedit_finish(e, &out, err, sizeof(err)),
	                 SDNS_EZONE);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err, "example.: no SOA record at the zone apex");
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_strict_edit_refuses_a_cname_clash)
{
	sdns_zone *z = small_zone();
	sdns_zedit *e = sdns_zedit_new(z, NULL);
	sdns_name apex = zt_name(APEX, NULL);
	sdns_rr rr[2];
	uint8_t rd[2][64];
	zt_rr("www 300 A 192.0.2.1", &apex, &rr[0], rd[0], 64);
	zt_rr("www 300 CNAME mail", &apex, &rr[1], rd[1], 64);
	sdns_name www = zt_name("www", &apex);
	ck_assert_int_eq(sdns_zedit_put(e, &www, rr, 2), SDNS_EZONE);
	ck_assert_str_eq(sdns_zedit_error(e), "www.example.: CNAME and A at the "
	                 "same name (RFC 1034 §3.6.2)");
	sdns_zedit_free(e);
	sdns_zone_free(z);
}
END_TEST

typedef struct {
	int n;
	char last[512];
} reports;

static void on_report(void *ctx, const sdns_name *owner, uint16_t type,
                      const char *why)
{
	reports *r = ctx;
	char o[256];
	sdns_name_to_str(owner, o, sizeof(o));
	snprintf(r->last, sizeof(r->last), "%s %u %s", o, type, why);
	r->n++;
}

START_TEST(test_lenient_edit_drops_the_cname_and_reports_it)
{
	sdns_zone *z = small_zone();
	reports rep = { 0, "" };
	sdns_zone_opts o = { .report = on_report, .report_ctx = &rep };
	sdns_zedit *e = sdns_zedit_new(z, &o);
	sdns_name apex = zt_name(APEX, NULL);
	sdns_rr rr[2];
	uint8_t rd[2][64];
	zt_rr("www 300 A 192.0.2.7", &apex, &rr[0], rd[0], 64);
	zt_rr("www 300 CNAME mail", &apex, &rr[1], rd[1], 64);
	sdns_name www = zt_name("www", &apex);
	ck_assert_int_eq(sdns_zedit_put(e, &www, rr, 2), 0);
	sdns_zone *out = NULL;
	ck_assert_int_eq(sdns_zedit_finish(e, &out, NULL, 0), 0);
	ck_assert_int_eq(rep.n, 1);
	ck_assert_str_eq(rep.last, "www.example. 5 CNAME and A at the same name "
	                 "(RFC 1034 §3.6.2)");
	ck_assert_ptr_null(sdns_zone_find(out, &www, SDNS_T_CNAME));
	ck_assert_ptr_nonnull(sdns_zone_find(out, &www, SDNS_T_A));
	/* A lenient full build of the same records agrees. */
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	sdns_zbuild_set_opts(b, &o);
	ck_assert_int_eq(zt_add(b, APEX, "@ 3600 SOA ns1 hostmaster 1 7200 900 "
	                        "1209600 300"), 0);
	ck_assert_int_eq(zt_add(b, APEX, "@ 3600 NS ns1"), 0);
	ck_assert_int_eq(zt_add(b, APEX, "ns1 3600 A 192.0.2.53"), 0);
	ck_assert_int_eq(zt_add(b, APEX, "www 300 A 192.0.2.7"), 0);
	ck_assert_int_eq(zt_add(b, APEX, "www 300 CNAME mail"), 0);
	sdns_zone *full = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &full, NULL, 0), 0);
	ck_assert_int_eq(rep.n, 2);
	model *m = calloc(1, sizeof(*m));   /* empty: the fixed names only */
	zones_equal(out, full, m);
	free(m);
	sdns_zone_free(full);
	sdns_zone_free(out);
	sdns_zone_free(z);
}
END_TEST

START_TEST(test_put_outside_the_zone_and_bad_arguments)
{
	sdns_zone *z = small_zone();
	sdns_zedit *e = sdns_zedit_new(z, NULL);
	sdns_name other = zt_name("www.example.org.", NULL);
	ck_assert_int_eq(sdns_zedit_put(e, &other, NULL, 0), SDNS_EZONE);
	ck_assert_str_eq(sdns_zedit_error(e), "www.example.org. is outside the "
	                 "zone example.");
	sdns_name apex = zt_name(APEX, NULL);
	sdns_rr rr;
	uint8_t rd[64];
	zt_rr("mail 300 A 192.0.2.9", &apex, &rr, rd, sizeof(rd));
	sdns_name www = zt_name("www", &apex);
	/* A record must belong to the name it is put under. */
	ck_assert_int_eq(sdns_zedit_put(e, &www, &rr, 1), SDNS_EINVAL);
	ck_assert_int_eq(sdns_zedit_put(NULL, &www, &rr, 1), SDNS_EINVAL);
	ck_assert_ptr_null(sdns_zedit_new(NULL, NULL));
	ck_assert_int_eq(sdns_zedit_finish(NULL, NULL, NULL, 0), SDNS_EINVAL);
	sdns_zedit_free(e);
	sdns_zone_free(z);
}
END_TEST

static int count_name(void *ctx, const sdns_name *owner,
                      const sdns_rrset *sets, size_t n)
{
	(void)owner;
	(void)sets;
	(void)n;
	(*(size_t *)ctx)++;
	return 0;
}

START_TEST(test_walk_slice_visits_every_name_once_per_lap)
{
	sdns_name apex = zt_name(APEX, NULL);
	sdns_zbuild *b = sdns_zbuild_new(&apex);
	ck_assert_int_eq(zt_add(b, APEX, "@ 3600 SOA ns1 hostmaster 1 7200 900 "
	                        "1209600 300"), 0);
	char line[128];
	for (int i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "h%d.g%d 300 A 10.0.%d.%d", i, i % 5,
		         i / 256, i % 256);
		ck_assert_int_eq(zt_add(b, APEX, line), 0);
	}
	sdns_zone *z = NULL;
	ck_assert_int_eq(sdns_zbuild_finish(b, &z, NULL, 0), 0);
	size_t shards = sdns_zone_shard_count(z);
	ck_assert_uint_gt(shards, 4);
	size_t cursor = 0, seen = 0, calls = 0;
	do {
		ck_assert_int_eq(sdns_zone_walk_slice(z, &cursor, 3, count_name,
		                                      &seen), 0);
		calls++;
	} while (cursor != 0 && calls < 100000);
	/* Names with data only (the five g<i> are empty non-terminals). */
	ck_assert_uint_eq(seen, 3001);
	ck_assert_uint_eq(calls, (shards + 2) / 3);
	ck_assert_int_eq(sdns_zone_walk_slice(z, &cursor, 1, NULL, NULL),
	                 SDNS_EINVAL);
	sdns_zone_free(z);
}
END_TEST

static Suite *zedit_suite(void)
{
	Suite *s = suite_create("zedit");
	TCase *tc = tcase_create("zedit");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_edits_equal_full_builds);
	tcase_add_test(tc, test_growing_zone_splits_shards_and_stays_equal);
	tcase_add_test(tc, test_new_deep_name_brings_its_empty_non_terminals);
	tcase_add_test(tc, test_removing_data_keeps_a_name_with_children);
	tcase_add_test(tc, test_an_edit_shares_every_untouched_shard);
	tcase_add_test(tc, test_deleting_the_soa_fails_the_edit);
	tcase_add_test(tc, test_strict_edit_refuses_a_cname_clash);
	tcase_add_test(tc, test_lenient_edit_drops_the_cname_and_reports_it);
	tcase_add_test(tc, test_put_outside_the_zone_and_bad_arguments);
	tcase_add_test(tc, test_walk_slice_visits_every_name_once_per_lap);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(zedit_suite)
