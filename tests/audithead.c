/* Tests for the audit module's trust parts (src/audit/trust.c, head.c,
 * book.c): trusted key files, signed heads in JSON and TXT, the rule that
 * a head never goes back, and the peers' book with its state file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sdns/audithead.h"
#include "sdns/error.h"
#include "testlib.h"

static char dir[512];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-audithead", dir, sizeof(dir)), 0);
}

static void teardown(void)
{
	sdns_test_rmtree(dir);
}

static const char *in_dir(const char *file)
{
	static char bufs[4][700];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, file);
	return b;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static sdns_audit_key key_n(int n)
{
	sdns_audit_key k;
	uint8_t seed[32] = { 0 };
	seed[0] = (uint8_t)n;
	/* Deterministic keys: a seed file round trip through a temp path. */
	char p[700];
	snprintf(p, sizeof p, "%s/seed%d", dir, n);
	FILE *f = fopen(p, "w");
	fwrite(seed, 1, 32, f);
	fclose(f);
	ck_assert_int_eq(sdns_audit_key_load_seed(p, &k), 0);
	remove(p);
	return k;
}

static sdns_audit_head head(const sdns_audit_key *k, int64_t id, uint8_t fill)
{
	uint8_t h[32];
	memset(h, fill, sizeof h);
	sdns_audit_head out;
	ck_assert_int_eq(sdns_audit_head_sign(k, id, h, "2026-12-03T10:00:00Z",
	                                      &out), 0);
	return out;
}

START_TEST(test_pub_parses_base64_and_hex_and_nothing_else)
{
	sdns_audit_key k = key_n(1);
	char b64[SDNS_AUDIT_PUB_B64_LEN + 1], hex[65];
	sdns_audit_pub_b64(k.pub, b64);
	sdns_audit_hex(k.pub, 32, hex);
	uint8_t p[32];
	ck_assert_int_eq(sdns_audit_pub_parse(b64, p), 0);
	ck_assert_mem_eq(p, k.pub, 32);
	ck_assert_int_eq(sdns_audit_pub_parse(hex, p), 0);
	ck_assert_mem_eq(p, k.pub, 32);
	ck_assert_int_eq(sdns_audit_pub_parse("AAAA", p), SDNS_EINVAL);
	b64[10] = '*';
	ck_assert_int_eq(sdns_audit_pub_parse(b64, p), SDNS_EINVAL);
}
END_TEST

START_TEST(test_trust_file_takes_names_comments_and_names_a_bad_line)
{
	sdns_audit_key a = key_n(1), b = key_n(2);
	char pa[45], pb[45], text[400];
	sdns_audit_pub_b64(a.pub, pa);
	sdns_audit_pub_b64(b.pub, pb);
	snprintf(text, sizeof text, "# the other sdnsd of this database\n\n"
	         "%s\nnode-beta   %s\n", pa, pb);
	write_text(in_dir("trust"), text);
	sdns_audit_trust t = { 0 };
	int line = -1;
	ck_assert_int_eq(sdns_audit_trust_load(&t, in_dir("trust"), &line), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_ptr_nonnull(sdns_audit_trust_find(&t, a.pub));
	const sdns_audit_trusted *k = sdns_audit_trust_by_name(&t, "node-beta");
	ck_assert_ptr_nonnull(k);
	ck_assert_mem_eq(k->pub, b.pub, 32);
	ck_assert_ptr_null(sdns_audit_trust_by_name(&t, "node-gamma"));
	sdns_audit_key c = key_n(3);
	ck_assert_ptr_null(sdns_audit_trust_find(&t, c.pub));
	write_text(in_dir("bad"), "# ok\nnode-x not-a-key\n");
	sdns_audit_trust t2 = { 0 };
	ck_assert_int_eq(sdns_audit_trust_load(&t2, in_dir("bad"), &line),
	                 SDNS_ESYNTAX);
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(sdns_audit_trust_load(&t2, in_dir("none"), &line),
	                 SDNS_ENOTFOUND);
}
END_TEST

START_TEST(test_head_signature_covers_id_hash_and_time)
{
	sdns_audit_key k = key_n(1);
	sdns_audit_head h = head(&k, 42, 7);
	ck_assert_int_eq(sdns_audit_head_verify(&h), 0);
	sdns_audit_head x = h;
	x.id = 41;
	ck_assert_int_eq(sdns_audit_head_verify(&x), SDNS_ECRYPTO);
	x = h;
	x.hash[31] ^= 1;
	ck_assert_int_eq(sdns_audit_head_verify(&x), SDNS_ECRYPTO);
	x = h;
	x.ts[3] = '7';
	ck_assert_int_eq(sdns_audit_head_verify(&x), SDNS_ECRYPTO);
	x = h;
	sdns_audit_key other = key_n(2);
	memcpy(x.pub, other.pub, 32);
	ck_assert_int_eq(sdns_audit_head_verify(&x), SDNS_ECRYPTO);
}
END_TEST

START_TEST(test_head_json_and_txt_round_trip)
{
	sdns_audit_key k = key_n(1);
	sdns_audit_head h = head(&k, 123456789, 0xab), back;
	json_t *j = sdns_audit_head_to_json(&h);
	ck_assert_int_eq(sdns_audit_head_from_json(j, &back), 0);
	ck_assert_mem_eq(&back, &h, sizeof h);
	json_object_set_new(j, "extra", json_true());
	ck_assert_int_eq(sdns_audit_head_from_json(j, &back), SDNS_EMALF);
	json_decref(j);
	uint8_t rd[512];
	size_t len = 0;
	ck_assert_int_eq(sdns_audit_head_to_txt(&h, rd, sizeof rd, &len), 0);
	ck_assert_int_eq(rd[0], 3);
	ck_assert_mem_eq(rd + 1, "v=1", 3);
	ck_assert_int_eq(sdns_audit_head_from_txt(rd, len, &back), 0);
	ck_assert_mem_eq(&back, &h, sizeof h);
	ck_assert_int_eq(sdns_audit_head_to_txt(&h, rd, 100, &len), SDNS_ESPACE);
}
END_TEST

START_TEST(test_head_txt_refuses_cut_duplicate_or_unknown_strings)
{
	sdns_audit_key k = key_n(1);
	sdns_audit_head h = head(&k, 5, 1), back;
	uint8_t rd[512];
	size_t len = 0;
	ck_assert_int_eq(sdns_audit_head_to_txt(&h, rd, sizeof rd, &len), 0);
	ck_assert_int_eq(sdns_audit_head_from_txt(rd, len - 1, &back), SDNS_EMALF);
	/* The first string again at the end: v=1 twice. */
	memcpy(rd + len, rd, 4);
	ck_assert_int_eq(sdns_audit_head_from_txt(rd, len + 4, &back), SDNS_EMALF);
	const uint8_t odd[] = { 3, 'x', '=', '1' };
	ck_assert_int_eq(sdns_audit_head_from_txt(odd, sizeof odd, &back),
	                 SDNS_EMALF);
	ck_assert_int_eq(sdns_audit_head_from_txt(rd, 0, &back), SDNS_EMALF);
}
END_TEST

START_TEST(test_compare_orders_heads_as_a_table)
{
	sdns_audit_key k = key_n(1);
	static const struct {
		int64_t seen_id; uint8_t seen_fill;
		int64_t got_id; uint8_t got_fill;
		sdns_audit_head_order want;
	} rows[] = {
		{ 10, 1, 10, 1, SDNS_AUDIT_HEAD_SAME },
		{ 10, 1, 11, 2, SDNS_AUDIT_HEAD_NEWER },
		{ 10, 1, 9, 1, SDNS_AUDIT_HEAD_SHORTER },
		{ 10, 1, 0, 0, SDNS_AUDIT_HEAD_SHORTER },
		{ 10, 1, 10, 2, SDNS_AUDIT_HEAD_FORKED },
		{ 0, 0, 0, 0, SDNS_AUDIT_HEAD_SAME },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sdns_audit_head s = head(&k, rows[i].seen_id, rows[i].seen_fill);
		sdns_audit_head g = head(&k, rows[i].got_id, rows[i].got_fill);
		ck_assert_msg(sdns_audit_head_compare(&s, &g) == rows[i].want,
		              "row %zu: %s", i,
		              sdns_audit_head_order_str(sdns_audit_head_compare(&s, &g)));
	}
}
END_TEST

#define TS "2026-12-03T11:00:00Z"

START_TEST(test_book_keeps_newer_heads_and_reports_going_back)
{
	sdns_audit_book b;
	ck_assert_int_eq(sdns_audit_book_init(&b, in_dir("peers.json")), 0);
	sdns_audit_key k = key_n(1);
	sdns_audit_head h10 = head(&k, 10, 1), h12 = head(&k, 12, 2);
	int src = -1;
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &h10, NULL, TS, &src),
	                 SDNS_AUDIT_SEEN_OK);
	ck_assert_int_eq(src, 0);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &h12, NULL, TS, &src),
	                 SDNS_AUDIT_SEEN_OK);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &h10, NULL, TS, &src),
	                 SDNS_AUDIT_SEEN_SHORTER);
	sdns_audit_head fork = head(&k, 12, 9);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &fork, NULL, TS, &src),
	                 SDNS_AUDIT_SEEN_FORKED);
	/* Refused heads are not kept: the newest good one stays. */
	ck_assert_int_eq(b.p[0].head.id, 12);
	ck_assert_int_eq(b.p[0].head.hash[0], 2);
	ck_assert_uint_eq(b.p[0].problems, 2);
	uint64_t c[SDNS_AUDIT_SEEN_KINDS];
	sdns_audit_book_counts(&b, c);
	ck_assert_uint_eq(c[SDNS_AUDIT_SEEN_SHORTER], 1);
	ck_assert_uint_eq(c[SDNS_AUDIT_SEEN_FORKED], 1);
	json_t *j = sdns_audit_book_json(&b);
	json_t *p = json_array_get(json_object_get(j, "peers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "last_problem")),
	                 "rewritten");
	ck_assert_int_eq(json_integer_value(json_object_get(
		json_object_get(p, "refused_head"), "id")), 12);
	json_decref(j);
	sdns_audit_book_destroy(&b);
}
END_TEST

START_TEST(test_book_pins_a_key_or_holds_to_the_trust_file)
{
	sdns_audit_book b;
	ck_assert_int_eq(sdns_audit_book_init(&b, NULL), 0);
	sdns_audit_key k = key_n(1), other = key_n(2);
	sdns_audit_head h = head(&k, 3, 1), o = head(&other, 4, 1);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &h, NULL, TS, NULL),
	                 SDNS_AUDIT_SEEN_OK);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &o, NULL, TS, NULL),
	                 SDNS_AUDIT_SEEN_KEY_CHANGED);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "gamma", &o, k.pub, TS, NULL),
	                 SDNS_AUDIT_SEEN_UNTRUSTED);
	sdns_audit_head bad = h;
	bad.sig[0] ^= 1;
	ck_assert_int_eq(sdns_audit_book_observe(&b, "delta", &bad, NULL, TS, NULL),
	                 SDNS_AUDIT_SEEN_BAD_SIG);
	ck_assert_uint_eq(b.n, 1); /* only beta got a head kept */
	sdns_audit_book_destroy(&b);
}
END_TEST

START_TEST(test_book_survives_a_restart_in_its_0600_state_file)
{
	sdns_audit_book b;
	ck_assert_int_eq(sdns_audit_book_init(&b, in_dir("peers.json")), 0);
	sdns_audit_key k = key_n(1);
	sdns_audit_head h = head(&k, 20, 5);
	int src = -1;
	sdns_audit_book_observe(&b, "beta", &h, NULL, TS, &src);
	ck_assert_int_eq(src, 0);
	sdns_audit_book_destroy(&b);
	struct stat st;
	ck_assert_int_eq(stat(in_dir("peers.json"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(sdns_audit_book_init(&b, in_dir("peers.json")), 0);
	ck_assert_uint_eq(b.n, 1);
	sdns_audit_head shorter = head(&k, 19, 5);
	ck_assert_int_eq(sdns_audit_book_observe(&b, "beta", &shorter, NULL, TS,
	                                         NULL), SDNS_AUDIT_SEEN_SHORTER);
	sdns_audit_book_destroy(&b);
	write_text(in_dir("junk.json"), "{\"peers\":[{\"name\":\"x\"}]}");
	ck_assert_int_eq(sdns_audit_book_init(&b, in_dir("junk.json")),
	                 SDNS_EMALF);
	ck_assert_uint_eq(b.n, 0);
	sdns_audit_book_destroy(&b);
}
END_TEST

static Suite *audithead_suite(void)
{
	Suite *s = suite_create("audithead");
	TCase *tc = tcase_create("trust");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pub_parses_base64_and_hex_and_nothing_else);
	tcase_add_test(tc, test_trust_file_takes_names_comments_and_names_a_bad_line);
	tcase_add_test(tc, test_head_signature_covers_id_hash_and_time);
	tcase_add_test(tc, test_head_json_and_txt_round_trip);
	tcase_add_test(tc, test_head_txt_refuses_cut_duplicate_or_unknown_strings);
	tcase_add_test(tc, test_compare_orders_heads_as_a_table);
	tcase_add_test(tc, test_book_keeps_newer_heads_and_reports_going_back);
	tcase_add_test(tc, test_book_pins_a_key_or_holds_to_the_trust_file);
	tcase_add_test(tc, test_book_survives_a_restart_in_its_0600_state_file);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(audithead_suite)
