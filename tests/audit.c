/* Tests for src/audit: RFC 8785 canonical JSON, the BLAKE2b hash chain,
 * Ed25519 signatures and the audit key files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sdns/audit.h"
#include "sdns/error.h"
#include "testlib.h"
#include "testpki.h"

static char dir[512];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-audit", dir, sizeof(dir)), 0);
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

/* Canonical form of a JSON text (parsed by jansson), compared to want. */
static void check_jcs(const char *json, const char *want)
{
	json_error_t je;
	json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	ck_assert_msg(v != NULL, "bad test JSON: %s", je.text);
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(sdns_audit_canonical(v, &out, &len), SDNS_OK);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_mem_eq(out, want, len);
	ck_assert_int_eq(out[len], '\0');
	free(out);
	json_decref(v);
}

static int jcs_rc(json_t *v)
{
	char *out = NULL;
	size_t len = 0;
	int rc = sdns_audit_canonical(v, &out, &len);
	free(out);
	json_decref(v);
	return rc;
}

START_TEST(test_members_sort_by_utf16_units_as_in_rfc8785_3_2_3)
{
	/* The example of RFC 8785 section 3.2.3: the emoji (a surrogate pair,
	 * D83D DE00) sorts before U+FB33, unlike code point order. */
	check_jcs("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
	          "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
	          "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
	          "\"\\u0080\":\"Control\","
	          "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
	          "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
	          "\"\xc2\x80\":\"Control\","
	          "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
	          "\"\xe2\x82\xac\":\"Euro Sign\","
	          "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	          "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}
END_TEST

START_TEST(test_a_key_that_is_a_prefix_sorts_first)
{
	check_jcs("{\"ab\":1,\"a\":2,\"\":3,\"b\":4}",
	          "{\"\":3,\"a\":2,\"ab\":1,\"b\":4}");
}
END_TEST

START_TEST(test_string_escapes_match_rfc8785_3_2_2_2)
{
	check_jcs("\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"",
	          "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
}
END_TEST

START_TEST(test_control_characters_use_lowercase_u00xx_but_seven_short_forms)
{
	static const char *const want[32] = {
		[0x08] = "\\b", [0x09] = "\\t", [0x0a] = "\\n",
		[0x0c] = "\\f", [0x0d] = "\\r",
	};
	for (int c = 0; c < 0x20; c++) {
		char s[1] = {(char)c};
		char expect[16];
		if (want[c])
			snprintf(expect, sizeof(expect), "\"%s\"", want[c]);
		else
			snprintf(expect, sizeof(expect), "\"\\u%04x\"", c);
		json_t *v = json_stringn(s, 1);
		char *out = NULL;
		size_t len = 0;
		ck_assert_int_eq(sdns_audit_canonical(v, &out, &len), SDNS_OK);
		ck_assert_str_eq(out, expect);
		free(out);
		json_decref(v);
	}
	check_jcs("\"\\u001f\\u001F\\u007f\"", "\"\\u001f\\u001f\x7f\"");
}
END_TEST

START_TEST(test_quote_and_backslash_are_the_only_printable_escapes)
{
	check_jcs("\"a/b \\\"q\\\" c\\\\d <&>\"",
	          "\"a/b \\\"q\\\" c\\\\d <&>\"");
}
END_TEST

START_TEST(test_non_ascii_is_emitted_as_utf8_unescaped)
{
	check_jcs("[\"\\u00e9t\\u00e9\",\"\\u4e2d\",\"\\ud83d\\ude00\"]",
	          "[\"\xc3\xa9t\xc3\xa9\",\"\xe4\xb8\xad\",\"\xf0\x9f\x98\x80\"]");
}
END_TEST

START_TEST(test_an_embedded_nul_is_escaped)
{
	json_t *v = json_stringn("a\0b", 3);
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(sdns_audit_canonical(v, &out, &len), SDNS_OK);
	ck_assert_str_eq(out, "\"a\\u0000b\"");
	free(out);
	json_decref(v);
}
END_TEST

START_TEST(test_integers_print_as_plain_decimals)
{
	check_jcs("[0,-0,1,-1,42,-1234567890,9007199254740991,-9007199254740991]",
	          "[0,0,1,-1,42,-1234567890,9007199254740991,-9007199254740991]");
}
END_TEST

START_TEST(test_integers_beyond_2_pow_53_are_refused)
{
	ck_assert_int_eq(jcs_rc(json_integer(9007199254740992LL)), SDNS_EINVAL);
	ck_assert_int_eq(jcs_rc(json_integer(-9007199254740992LL)), SDNS_EINVAL);
}
END_TEST

START_TEST(test_reals_are_refused_even_when_nested)
{
	ck_assert_int_eq(jcs_rc(json_real(1.5)), SDNS_EINVAL);
	ck_assert_int_eq(jcs_rc(json_real(1.0)), SDNS_EINVAL);
	ck_assert_int_eq(jcs_rc(json_pack("{s:[i,{s:f}]}", "a", 1, "b", 2.0)),
	                 SDNS_EINVAL);
}
END_TEST

START_TEST(test_literals_and_nested_containers_have_no_white_space)
{
	check_jcs(" { \"z\" : [ 1 , [ ] , { } , [ true , false , null ] ] ,"
	          " \"a\" : { \"y\" : { \"x\" : [ \"s\" ] } , \"b\" : null } } ",
	          "{\"a\":{\"b\":null,\"y\":{\"x\":[\"s\"]}},"
	          "\"z\":[1,[],{},[true,false,null]]}");
	check_jcs("[]", "[]");
	check_jcs("{}", "{}");
	check_jcs("true", "true");
}
END_TEST

START_TEST(test_output_does_not_depend_on_insertion_order)
{
	json_t *a = json_pack("{s:i,s:s,s:{s:n,s:b}}", "zeta", 1, "alpha", "x",
	                      "mid", "q", "p", 1);
	json_t *b = json_object();
	json_t *mid = json_object();
	json_object_set_new(mid, "p", json_true());
	json_object_set_new(mid, "q", json_null());
	json_object_set_new(b, "mid", mid);
	json_object_set_new(b, "alpha", json_string("x"));
	json_object_set_new(b, "zeta", json_integer(1));
	char *ca = NULL, *cb = NULL;
	size_t la = 0, lb = 0;
	ck_assert_int_eq(sdns_audit_canonical(a, &ca, &la), SDNS_OK);
	ck_assert_int_eq(sdns_audit_canonical(b, &cb, &lb), SDNS_OK);
	ck_assert_str_eq(ca, "{\"alpha\":\"x\",\"mid\":{\"p\":true,\"q\":null},"
	                     "\"zeta\":1}");
	ck_assert_str_eq(ca, cb);
	free(ca);
	free(cb);
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(test_invalid_utf8_in_a_key_or_a_string_is_refused)
{
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "\xc0\xaf", json_true()); /* overlong */
	ck_assert_int_eq(jcs_rc(o), SDNS_EINVAL);
	ck_assert_int_eq(jcs_rc(json_stringn_nocheck("\xed\xa0\x80", 3)),
	                 SDNS_EINVAL); /* an encoded surrogate */
	ck_assert_int_eq(jcs_rc(json_stringn_nocheck("a\xe2\x82", 3)),
	                 SDNS_EINVAL); /* truncated */
	ck_assert_int_eq(jcs_rc(json_stringn_nocheck("\xf4\x90\x80\x80", 4)),
	                 SDNS_EINVAL); /* above U+10FFFF */
}
END_TEST

START_TEST(test_nesting_deeper_than_64_is_refused)
{
	json_t *v = json_array();
	for (int i = 0; i < 100; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, v);
		v = outer;
	}
	ck_assert_int_eq(jcs_rc(v), SDNS_EINVAL);
	ck_assert_int_eq(jcs_rc(NULL), SDNS_EINVAL);
}
END_TEST

/* The fixed entry of the pinned-hash test. */
static json_t *fixed_entry(uint8_t prev[SDNS_AUDIT_HASH_LEN])
{
	for (int i = 0; i < SDNS_AUDIT_HASH_LEN; i++)
		prev[i] = (uint8_t)i;
	json_t *after = json_pack("{s:i,s:s,s:s,s:i,s:s}", "id", 12, "name",
	                          "www.node-alpha.mesh", "type", "A", "ttl",
	                          3600, "value", "10.0.0.5");
	json_t *e = sdns_audit_entry(
		7, "2024-05-01T12:00:00.000000Z", "spiffe://test.mesh/admin/admin",
		"abababababababababababababababababababababababababababababababab",
		"record.create", "record:node-alpha.mesh/12", NULL, after, prev);
	json_decref(after);
	ck_assert_ptr_nonnull(e);
	return e;
}

START_TEST(test_entry_canonical_form_has_the_nine_fields_sorted)
{
	uint8_t prev[SDNS_AUDIT_HASH_LEN];
	json_t *e = fixed_entry(prev);
	char *c = NULL;
	size_t len = 0;
	ck_assert_int_eq(sdns_audit_canonical(e, &c, &len), SDNS_OK);
	ck_assert_str_eq(c,
		"{\"action\":\"record.create\","
		"\"actor\":\"spiffe://test.mesh/admin/admin\","
		"\"actor_fp\":\"abababababababababababababababab"
		"abababababababababababababababab\","
		"\"after\":{\"id\":12,\"name\":\"www.node-alpha.mesh\","
		"\"ttl\":3600,\"type\":\"A\",\"value\":\"10.0.0.5\"},"
		"\"before\":null,\"id\":7,\"object\":\"record:node-alpha.mesh/12\","
		"\"prev_hash\":\"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f\","
		"\"ts\":\"2024-05-01T12:00:00.000000Z\"}");
	free(c);
	json_decref(e);
}
END_TEST

START_TEST(test_hash_of_a_fixed_entry_matches_an_independent_blake2b)
{
	/* Pinned when this test was written, with Python's hashlib:
	 *   e = {...the fixed entry above..., "prev_hash": bytes(range(32)).hex()}
	 *   c = json.dumps(e, sort_keys=True, separators=(',', ':'),
	 *                  ensure_ascii=False).encode()
	 *   hashlib.blake2b(c + bytes(range(32)), digest_size=32).hexdigest()
	 * (for ASCII keys, sort_keys is the RFC 8785 order). */
	uint8_t prev[SDNS_AUDIT_HASH_LEN], h[SDNS_AUDIT_HASH_LEN];
	json_t *e = fixed_entry(prev);
	ck_assert_int_eq(sdns_audit_hash(e, prev, h), SDNS_OK);
	char hex[2 * SDNS_AUDIT_HASH_LEN + 1];
	sdns_audit_hex(h, sizeof(h), hex);
	ck_assert_str_eq(hex, "e10963ae3fa81c96965fcac7944ddfd6"
	                      "b40acd62e80a634a34b282d3aba8079a");
	json_decref(e);
}
END_TEST

START_TEST(test_hash_depends_on_prev_hash_and_on_every_field)
{
	uint8_t prev[SDNS_AUDIT_HASH_LEN], h1[32], h2[32];
	json_t *e = fixed_entry(prev);
	ck_assert_int_eq(sdns_audit_hash(e, prev, h1), SDNS_OK);
	prev[31] ^= 1;
	ck_assert_int_eq(sdns_audit_hash(e, prev, h2), SDNS_OK);
	ck_assert_mem_ne(h1, h2, 32);
	prev[31] ^= 1;
	json_object_set_new(e, "actor", json_string("spiffe://test.mesh/admin/x"));
	ck_assert_int_eq(sdns_audit_hash(e, prev, h2), SDNS_OK);
	ck_assert_mem_ne(h1, h2, 32);
	json_decref(e);
}
END_TEST

START_TEST(test_entry_without_an_actor_carries_nulls)
{
	uint8_t prev[SDNS_AUDIT_HASH_LEN] = {0};
	json_t *e = sdns_audit_entry(1, "2024-05-01T12:00:00.000000Z", NULL, NULL,
	                             "auth.refused", "api", NULL, NULL, prev);
	ck_assert_ptr_nonnull(e);
	ck_assert(json_is_null(json_object_get(e, "actor")));
	ck_assert(json_is_null(json_object_get(e, "actor_fp")));
	ck_assert_str_eq(json_string_value(json_object_get(e, "prev_hash")),
	                 "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_uint_eq(json_object_size(e), 9);
	json_decref(e);
	ck_assert_ptr_null(sdns_audit_entry(1, NULL, "a", "f", "x", "y", NULL,
	                                    NULL, prev));
	ck_assert_ptr_null(sdns_audit_entry(1, "t", "a", "f", NULL, "y", NULL,
	                                    NULL, prev));
}
END_TEST

START_TEST(test_entry_does_not_steal_before_and_after)
{
	uint8_t prev[SDNS_AUDIT_HASH_LEN] = {0};
	json_t *before = json_pack("{s:i}", "ttl", 1);
	json_t *e = sdns_audit_entry(1, "t", "a", "f", "x", "y", before, before,
	                             prev);
	ck_assert_ptr_nonnull(e);
	json_decref(e);
	ck_assert_int_eq(json_integer_value(json_object_get(before, "ttl")), 1);
	json_decref(before);
}
END_TEST

START_TEST(test_sign_then_verify_round_trip)
{
	sdns_audit_key k;
	uint8_t h[SDNS_AUDIT_HASH_LEN], sig[SDNS_AUDIT_SIG_LEN];
	memset(h, 0x5a, sizeof(h));
	ck_assert_int_eq(sdns_audit_key_generate(&k), SDNS_OK);
	ck_assert_int_eq(sdns_audit_sign(&k, h, sig), SDNS_OK);
	ck_assert_int_eq(sdns_audit_verify_sig(k.pub, h, sig), SDNS_OK);
}
END_TEST

START_TEST(test_a_flipped_bit_in_hash_sig_or_pub_fails)
{
	sdns_audit_key k;
	uint8_t h[SDNS_AUDIT_HASH_LEN], sig[SDNS_AUDIT_SIG_LEN];
	memset(h, 0x5a, sizeof(h));
	ck_assert_int_eq(sdns_audit_key_generate(&k), SDNS_OK);
	ck_assert_int_eq(sdns_audit_sign(&k, h, sig), SDNS_OK);
	h[_i / 8] ^= (uint8_t)(1u << (_i % 8));
	ck_assert_int_eq(sdns_audit_verify_sig(k.pub, h, sig), SDNS_ECRYPTO);
	h[_i / 8] ^= (uint8_t)(1u << (_i % 8));
	sig[(_i * 2) / 8] ^= (uint8_t)(1u << (_i % 8));
	ck_assert_int_eq(sdns_audit_verify_sig(k.pub, h, sig), SDNS_ECRYPTO);
	sig[(_i * 2) / 8] ^= (uint8_t)(1u << (_i % 8));
	k.pub[_i / 8] ^= (uint8_t)(1u << (_i % 8));
	ck_assert_int_eq(sdns_audit_verify_sig(k.pub, h, sig), SDNS_ECRYPTO);
	k.pub[_i / 8] ^= (uint8_t)(1u << (_i % 8));
	ck_assert_int_eq(sdns_audit_verify_sig(k.pub, h, sig), SDNS_OK);
}
END_TEST

START_TEST(test_key_from_an_ed25519_pem_has_the_openssl_public_key)
{
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
	sdns_audit_key k;
	ck_assert_int_eq(sdns_audit_key_load(in_dir("server.key"), &k), SDNS_OK);
	FILE *f = fopen(in_dir("server.key"), "r");
	ck_assert_ptr_nonnull(f);
	EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(pk);
	uint8_t pub[32];
	size_t len = sizeof(pub);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pk, pub, &len), 1);
	ck_assert_uint_eq(len, 32);
	ck_assert_mem_eq(k.pub, pub, 32);
	EVP_PKEY_free(pk);
	/* and the key signs what its public key verifies */
	uint8_t h[32] = {1}, sig[64];
	ck_assert_int_eq(sdns_audit_sign(&k, h, sig), SDNS_OK);
	ck_assert_int_eq(sdns_audit_verify_sig(pub, h, sig), SDNS_OK);
}
END_TEST

START_TEST(test_a_p256_pem_key_is_refused_with_etype)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(pk);
	FILE *f = fopen(in_dir("p256.key"), "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(pk);
	sdns_audit_key k;
	ck_assert_int_eq(sdns_audit_key_load(in_dir("p256.key"), &k), SDNS_ETYPE);
}
END_TEST

START_TEST(test_a_missing_or_non_key_pem_file_is_refused)
{
	sdns_audit_key k;
	ck_assert_int_eq(sdns_audit_key_load(in_dir("none.key"), &k),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(sdns_test_write_file(in_dir("junk.key"), "not a key\n"), 0);
	ck_assert_int_eq(sdns_audit_key_load(in_dir("junk.key"), &k), SDNS_EMALF);
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
	ck_assert_int_eq(sdns_audit_key_load(in_dir("ca.pem"), &k), SDNS_EMALF);
}
END_TEST

START_TEST(test_seed_file_round_trip_is_0600_and_never_overwritten)
{
	sdns_audit_key k, back;
	ck_assert_int_eq(sdns_audit_key_generate(&k), SDNS_OK);
	ck_assert_int_eq(sdns_audit_key_save_seed(&k, in_dir("audit.seed")),
	                 SDNS_OK);
	struct stat st;
	ck_assert_int_eq(stat(in_dir("audit.seed"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("audit.seed"), &back),
	                 SDNS_OK);
	ck_assert_mem_eq(back.pub, k.pub, 32);
	ck_assert_mem_eq(back.sec, k.sec, 64);
	sdns_audit_key other;
	ck_assert_int_eq(sdns_audit_key_generate(&other), SDNS_OK);
	ck_assert_int_eq(sdns_audit_key_save_seed(&other, in_dir("audit.seed")),
	                 SDNS_EEXIST);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("audit.seed"), &back),
	                 SDNS_OK);
	ck_assert_mem_eq(back.pub, k.pub, 32);
}
END_TEST

START_TEST(test_seed_file_of_the_wrong_length_is_refused)
{
	sdns_audit_key k;
	ck_assert_int_eq(sdns_test_write_file(in_dir("short"), "0123456789"), 0);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("short"), &k), SDNS_EMALF);
	ck_assert_int_eq(sdns_test_write_file(in_dir("long"),
	                 "0123456789abcdef0123456789abcdef\n"), 0);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("long"), &k), SDNS_EMALF);
	ck_assert_int_eq(sdns_test_write_file(in_dir("empty"), ""), 0);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("empty"), &k), SDNS_EMALF);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("none"), &k),
	                 SDNS_ENOTFOUND);
}
END_TEST

START_TEST(test_seed_of_a_pem_key_gives_the_same_key)
{
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
	sdns_audit_key k, back;
	ck_assert_int_eq(sdns_audit_key_load(in_dir("admin.key"), &k), SDNS_OK);
	ck_assert_int_eq(sdns_audit_key_save_seed(&k, in_dir("s")), SDNS_OK);
	ck_assert_int_eq(sdns_audit_key_load_seed(in_dir("s"), &back), SDNS_OK);
	ck_assert_mem_eq(back.sec, k.sec, 64);
}
END_TEST

START_TEST(test_hex_round_trip_and_bad_hex_refused)
{
	uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
	char hex[9];
	sdns_audit_hex(in, 4, hex);
	ck_assert_str_eq(hex, "00ab7fff");
	ck_assert_int_eq(sdns_audit_unhex("00AB7fff", out, 4), SDNS_OK);
	ck_assert_mem_eq(in, out, 4);
	ck_assert_int_eq(sdns_audit_unhex("00ab7ff", out, 4), SDNS_EINVAL);
	ck_assert_int_eq(sdns_audit_unhex("00ab7fff00", out, 4), SDNS_EINVAL);
	ck_assert_int_eq(sdns_audit_unhex("00ab7fgf", out, 4), SDNS_EINVAL);
	ck_assert_int_eq(sdns_audit_unhex(" 0ab7fff", out, 4), SDNS_EINVAL);
	ck_assert_int_eq(sdns_audit_unhex(NULL, out, 4), SDNS_EINVAL);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *jcs = tcase_create("jcs");
	tcase_add_test(jcs, test_members_sort_by_utf16_units_as_in_rfc8785_3_2_3);
	tcase_add_test(jcs, test_a_key_that_is_a_prefix_sorts_first);
	tcase_add_test(jcs, test_string_escapes_match_rfc8785_3_2_2_2);
	tcase_add_test(jcs, test_control_characters_use_lowercase_u00xx_but_seven_short_forms);
	tcase_add_test(jcs, test_quote_and_backslash_are_the_only_printable_escapes);
	tcase_add_test(jcs, test_non_ascii_is_emitted_as_utf8_unescaped);
	tcase_add_test(jcs, test_an_embedded_nul_is_escaped);
	tcase_add_test(jcs, test_integers_print_as_plain_decimals);
	tcase_add_test(jcs, test_integers_beyond_2_pow_53_are_refused);
	tcase_add_test(jcs, test_reals_are_refused_even_when_nested);
	tcase_add_test(jcs, test_literals_and_nested_containers_have_no_white_space);
	tcase_add_test(jcs, test_output_does_not_depend_on_insertion_order);
	tcase_add_test(jcs, test_invalid_utf8_in_a_key_or_a_string_is_refused);
	tcase_add_test(jcs, test_nesting_deeper_than_64_is_refused);
	suite_add_tcase(s, jcs);

	TCase *chain = tcase_create("chain");
	tcase_add_test(chain, test_entry_canonical_form_has_the_nine_fields_sorted);
	tcase_add_test(chain, test_hash_of_a_fixed_entry_matches_an_independent_blake2b);
	tcase_add_test(chain, test_hash_depends_on_prev_hash_and_on_every_field);
	tcase_add_test(chain, test_entry_without_an_actor_carries_nulls);
	tcase_add_test(chain, test_entry_does_not_steal_before_and_after);
	tcase_add_test(chain, test_sign_then_verify_round_trip);
	tcase_add_loop_test(chain, test_a_flipped_bit_in_hash_sig_or_pub_fails, 0, 256);
	tcase_add_test(chain, test_hex_round_trip_and_bad_hex_refused);
	suite_add_tcase(s, chain);

	TCase *keys = tcase_create("keys");
	tcase_add_checked_fixture(keys, setup, teardown);
	tcase_add_test(keys, test_key_from_an_ed25519_pem_has_the_openssl_public_key);
	tcase_add_test(keys, test_a_p256_pem_key_is_refused_with_etype);
	tcase_add_test(keys, test_a_missing_or_non_key_pem_file_is_refused);
	tcase_add_test(keys, test_seed_file_round_trip_is_0600_and_never_overwritten);
	tcase_add_test(keys, test_seed_file_of_the_wrong_length_is_refused);
	tcase_add_test(keys, test_seed_of_a_pem_key_gives_the_same_key);
	suite_add_tcase(s, keys);
	return s;
}

SDNS_TEST_MAIN(audit_suite)
