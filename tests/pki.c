/* Tests for src/pki and `sdnsctl pki`: the CA, leaves, PKCS#12, pins, the
 * test fixture, and the command line. Certificates are read back with
 * OpenSSL, and pins are compared with the openssl command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "sdns/error.h"
#include "sdns/pki.h"
#include "testlib.h"
#include "testpki.h"

static char dir[512];
static char err[512];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-pki", dir, sizeof(dir)), 0);
}

static void teardown(void)
{
	sdns_test_rmtree(dir);
}

/* dir/file in a rotating static buffer, so a test can hold a few. */
static const char *in_dir(const char *file)
{
	static char bufs[8][700];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, file);
	return b;
}

static X509 *load(const char *file)
{
	FILE *f = fopen(in_dir(file), "r");
	ck_assert_msg(f != NULL, "cannot open %s", file);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(x != NULL, "cannot parse %s", file);
	return x;
}

static void init_default(sdns_keyalg alg)
{
	sdns_pki_init_opts o = {.dir = dir, .mesh = "corp", .node = "n1",
	                        .alg = alg};
	ck_assert_msg(sdns_pki_init(&o, err, sizeof(err)) == SDNS_OK, "%s", err);
}

static int file_mode(const char *file)
{
	struct stat st;
	ck_assert_int_eq(stat(in_dir(file), &st), 0);
	return (int)(st.st_mode & 07777);
}

/* The SAN of x as "DNS:a IP:4:7f000001 URI:b ..." for one comparison. */
static void san_text(X509 *x, char *buf, size_t cap)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	buf[0] = '\0';
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		int type;
		const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
		const unsigned char *d = ASN1_STRING_get0_data(s);
		int len = ASN1_STRING_length(s);
		size_t used = strlen(buf);
		if (type == GEN_IPADD) {
			used += (size_t)snprintf(buf + used, cap - used, "%sIP:%d:",
			                         i ? " " : "", len);
			for (int j = 0; j < len; j++)
				used += (size_t)snprintf(buf + used, cap - used, "%02x", d[j]);
		} else {
			snprintf(buf + used, cap - used, "%s%s:%.*s", i ? " " : "",
			         type == GEN_DNS ? "DNS" : type == GEN_URI ? "URI" : "?",
			         len, (const char *)d);
		}
	}
	GENERAL_NAMES_free(gens);
}

static int verify(const char *ca_file, const char *leaf_file)
{
	X509_STORE *store = X509_STORE_new();
	X509 *ca = load(ca_file), *leaf = load(leaf_file);
	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	int ok = X509_verify_cert(ctx);
	int e = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(leaf);
	return ok == 1 ? 0 : e;
}

static void ski_equals_aki(X509 *issuer, X509 *x)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	ck_assert_ptr_nonnull(ski);
	ck_assert_ptr_nonnull(aki);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(ski, aki), 0);
}

static bool ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	ck_assert_int_ge(i, 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i)) == 1;
}

static void cn_is(X509 *x, const char *want)
{
	char cn[128];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	                                           NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, want);
}

/* Days from now to t (negative: in the past). */
static int days_from_now(const ASN1_TIME *t)
{
	int days = 0, secs = 0;
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, NULL, t), 1);
	return days;
}

START_TEST(test_init_writes_every_file_with_private_keys_0600)
{
	init_default(SDNS_KEY_ED25519);
	ck_assert_int_eq(file_mode("ca.key"), 0600);
	ck_assert_int_eq(file_mode("node.key"), 0600);
	ck_assert_int_eq(file_mode("admin.key"), 0600);
	ck_assert_int_eq(file_mode("admin.p12"), 0600);
	ck_assert_int_eq(file_mode("ca.pem"), 0644);
	ck_assert_int_eq(file_mode("node.pem"), 0644);
	ck_assert_int_eq(file_mode("admin.pem"), 0644);
}
END_TEST

START_TEST(test_init_creates_a_missing_directory_mode_0700)
{
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/pki", dir);
	sdns_pki_init_opts o = {.dir = sub, .node = "n1"};
	ck_assert_int_eq(sdns_pki_init(&o, err, sizeof(err)), SDNS_OK);
	ck_assert_int_eq(file_mode("pki"), 0700);
	ck_assert_int_eq(file_mode("pki/ca.key"), 0600);
}
END_TEST

START_TEST(test_init_refuses_to_overwrite_an_existing_ca_key)
{
	init_default(SDNS_KEY_ED25519);
	char before[SDNS_PKI_PIN_MAX], after[SDNS_PKI_PIN_MAX];
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("ca.pem"), before,
	                                        sizeof(before)), SDNS_OK);
	sdns_pki_init_opts o = {.dir = dir, .mesh = "corp", .node = "n1"};
	ck_assert_int_eq(sdns_pki_init(&o, err, sizeof(err)), SDNS_EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "ca.key"));
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("ca.pem"), after,
	                                        sizeof(after)), SDNS_OK);
	ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_init_with_a_leftover_node_key_writes_nothing)
{
	ck_assert_int_eq(sdns_test_write_file(in_dir("node.key"), "old\n"), 0);
	sdns_pki_init_opts o = {.dir = dir, .node = "n1"};
	ck_assert_int_eq(sdns_pki_init(&o, err, sizeof(err)), SDNS_EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "node.key"));
	ck_assert_int_eq(access(in_dir("ca.key"), F_OK), -1);
	ck_assert_int_eq(access(in_dir("ca.pem"), F_OK), -1);
}
END_TEST

START_TEST(test_ca_is_critical_ca_true_pathlen_0_with_key_ids)
{
	init_default(SDNS_KEY_ED25519);
	X509 *ca = load("ca.pem");
	cn_is(ca, "corp mesh CA");
	ck_assert_int_eq(X509_check_ca(ca), 1);
	ck_assert(ext_critical(ca, NID_basic_constraints));
	ck_assert_int_eq(X509_get_pathlen(ca), 0);
	ck_assert(ext_critical(ca, NID_key_usage));
	ck_assert_uint_eq(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	ski_equals_aki(ca, ca);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(ca),
	                               X509_get_issuer_name(ca)), 0);
	ck_assert_int_ge(days_from_now(X509_get0_notAfter(ca)), 3649);
	ck_assert_int_eq(X509_get_signature_nid(ca), NID_ED25519);
	X509_free(ca);
}
END_TEST

START_TEST(test_node_cert_has_server_and_client_eku_and_its_sans)
{
	init_default(SDNS_KEY_ED25519);
	X509 *ca = load("ca.pem"), *x = load("node.pem");
	char sans[512];
	cn_is(x, "n1");
	ck_assert_uint_eq(X509_get_extended_key_usage(x),
	                  XKU_SSL_SERVER | XKU_SSL_CLIENT);
	san_text(x, sans, sizeof(sans));
	ck_assert_str_eq(sans, "DNS:localhost IP:4:7f000001 "
	                 "IP:16:00000000000000000000000000000001 "
	                 "URI:spiffe://corp/node/n1");
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert(ext_critical(x, NID_basic_constraints));
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	ski_equals_aki(ca, x);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(ca),
	                               X509_get_issuer_name(x)), 0);
	ck_assert_int_le(days_from_now(X509_get0_notBefore(x)), 0);
	ck_assert_int_ge(days_from_now(X509_get0_notAfter(x)), 89);
	ck_assert_int_le(days_from_now(X509_get0_notAfter(x)), 90);
	X509_free(ca);
	X509_free(x);
}
END_TEST

START_TEST(test_init_uses_the_given_sans_for_the_node)
{
	const char *sans[] = {"ns1.example.org", "192.0.2.1"};
	sdns_pki_init_opts o = {.dir = dir, .mesh = "corp", .node = "n1",
	                        .sans = sans, .n_sans = 2};
	ck_assert_int_eq(sdns_pki_init(&o, err, sizeof(err)), SDNS_OK);
	X509 *x = load("node.pem");
	char text[512];
	san_text(x, text, sizeof(text));
	ck_assert_str_eq(text, "DNS:ns1.example.org IP:4:c0000201 "
	                 "URI:spiffe://corp/node/n1");
	X509_free(x);
}
END_TEST

START_TEST(test_admin_cert_is_client_auth_only_with_uri_san)
{
	init_default(SDNS_KEY_ED25519);
	X509 *x = load("admin.pem");
	char sans[512];
	cn_is(x, "admin");
	ck_assert_uint_eq(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	san_text(x, sans, sizeof(sans));
	ck_assert_str_eq(sans, "URI:spiffe://corp/admin/admin");
	X509_free(x);
}
END_TEST

START_TEST(test_serials_are_positive_random_and_at_most_128_bits)
{
	init_default(SDNS_KEY_ED25519);
	X509 *a = load("node.pem"), *b = load("admin.pem");
	BIGNUM *sa = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
	BIGNUM *sb = ASN1_INTEGER_to_BN(X509_get0_serialNumber(b), NULL);
	ck_assert(!BN_is_negative(sa) && !BN_is_zero(sa));
	ck_assert_int_le(BN_num_bits(sa), 127);
	ck_assert_int_ge(BN_num_bits(sa), 64);  /* 2^-63 chance of a false fail */
	ck_assert_int_ne(BN_cmp(sa, sb), 0);
	BN_free(sa);
	BN_free(sb);
	X509_free(a);
	X509_free(b);
}
END_TEST

START_TEST(test_chain_verifies_against_ca_and_not_against_rogue_ca)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	ck_assert_int_eq(verify("ca.pem", "server.pem"), 0);
	ck_assert_int_eq(verify("ca.pem", "client.pem"), 0);
	ck_assert_int_eq(verify("rogue-ca.pem", "server.pem"),
	                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	ck_assert_int_eq(verify("ca.pem", "rogue.pem"),
	                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	ck_assert_int_eq(verify("rogue-ca.pem", "rogue.pem"), 0);
}
END_TEST

START_TEST(test_check_ca_key_takes_the_cas_key_and_names_another)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	ck_assert_int_eq(sdns_pki_check_ca_key(in_dir("ca.pem"), in_dir("ca.key"),
	                                       err, sizeof(err)), SDNS_OK);
	ck_assert_int_eq(sdns_pki_check_ca_key(in_dir("ca.pem"),
	                                       in_dir("rogue-ca.key"), err,
	                                       sizeof(err)), SDNS_ECERT);
	ck_assert_msg(strstr(err, "rogue-ca.key") &&
	              strstr(err, "not the key of the CA certificate"), "%s", err);
	ck_assert_int_ne(sdns_pki_check_ca_key(in_dir("ca.pem"), in_dir("none.key"),
	                                       err, sizeof(err)), SDNS_OK);
}
END_TEST

START_TEST(test_fixture_expired_and_notyet_fail_on_time)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	ck_assert_int_eq(verify("ca.pem", "expired.pem"), X509_V_ERR_CERT_HAS_EXPIRED);
	ck_assert_int_eq(verify("ca.pem", "notyet.pem"), X509_V_ERR_CERT_NOT_YET_VALID);
}
END_TEST

START_TEST(test_fixture_odd_leaves_have_what_testpki_h_says)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	static const struct { const char *file, *sans; uint32_t xku; } want[] = {
		{"server.pem", "DNS:localhost IP:4:7f000001 "
		 "IP:16:00000000000000000000000000000001 "
		 "URI:spiffe://test.mesh/node/server", XKU_SSL_SERVER | XKU_SSL_CLIENT},
		{"node2.pem", "DNS:localhost IP:4:7f000001 "
		 "IP:16:00000000000000000000000000000001 "
		 "URI:spiffe://test.mesh/node/node2", XKU_SSL_SERVER | XKU_SSL_CLIENT},
		{"client.pem", "URI:spiffe://test.mesh/client/client", XKU_SSL_CLIENT},
		{"admin.pem", "URI:spiffe://test.mesh/admin/admin", XKU_SSL_CLIENT},
		{"rogue.pem", "URI:spiffe://test.mesh/client/rogue", XKU_SSL_CLIENT},
		{"serveronly.pem", "URI:spiffe://test.mesh/client/serveronly",
		 XKU_SSL_SERVER},
		{"nouri.pem", "", XKU_SSL_CLIENT},
		{"othermesh.pem", "URI:spiffe://other.mesh/client/x", XKU_SSL_CLIENT},
		{"badrole.pem", "URI:spiffe://test.mesh/root/x", XKU_SSL_CLIENT},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		X509 *x = load(want[i].file);
		char sans[512];
		san_text(x, sans, sizeof(sans));
		ck_assert_msg(!strcmp(sans, want[i].sans), "%s: %s", want[i].file, sans);
		ck_assert_uint_eq(X509_get_extended_key_usage(x), want[i].xku);
		X509_free(x);
	}
	ck_assert_int_eq(verify("ca.pem", "othermesh.pem"), 0);
	ck_assert_int_eq(verify("ca.pem", "badrole.pem"), 0);
	ck_assert_int_eq(file_mode("server.key"), 0600);
}
END_TEST

START_TEST(test_p256_option_makes_ecdsa_certificates_that_verify)
{
	init_default(SDNS_KEY_P256);
	X509 *ca = load("ca.pem"), *x = load("node.pem");
	ck_assert(EVP_PKEY_is_a(X509_get0_pubkey(ca), "EC"));
	ck_assert(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	char name[32];
	size_t len = 0;
	ck_assert_int_eq(EVP_PKEY_get_group_name(X509_get0_pubkey(x), name,
	                                         sizeof(name), &len), 1);
	ck_assert_str_eq(name, "prime256v1");
	X509_free(ca);
	X509_free(x);
	ck_assert_int_eq(verify("ca.pem", "node.pem"), 0);
	ck_assert_int_eq(verify("ca.pem", "admin.pem"), 0);
}
END_TEST

/* The first line of a shell command's output, trailing newline cut. */
static void shell_line(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	out[0] = '\0';
	if (!fgets(out, (int)cap, p))
		out[0] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	out[strcspn(out, "\n")] = '\0';
}

START_TEST(test_pin_equals_the_openssl_cli_pin)
{
	init_default(SDNS_KEY_ED25519);
	static const char *const files[] = {"node.pem", "ca.pem"};
	for (size_t i = 0; i < 2; i++) {
		char cmd[2048], want[128], pin[SDNS_PKI_PIN_MAX];
		snprintf(cmd, sizeof(cmd),
		         "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin "
		         "-outform der | openssl dgst -sha256 -binary | base64",
		         in_dir(files[i]));
		shell_line(cmd, want, sizeof(want));
		ck_assert_int_eq(strlen(want), 44);
		ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir(files[i]), pin,
		                                        sizeof(pin)), SDNS_OK);
		ck_assert_str_eq(pin, want);
	}
}
END_TEST

START_TEST(test_p256_pin_equals_the_openssl_cli_pin)
{
	init_default(SDNS_KEY_P256);
	char cmd[2048], want[128], pin[SDNS_PKI_PIN_MAX];
	snprintf(cmd, sizeof(cmd),
	         "openssl x509 -in '%s' -pubkey -noout | openssl pkey -pubin "
	         "-outform der | openssl dgst -sha256 -binary | base64",
	         in_dir("admin.pem"));
	shell_line(cmd, want, sizeof(want));
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("admin.pem"), pin,
	                                        sizeof(pin)), SDNS_OK);
	ck_assert_str_eq(pin, want);
}
END_TEST

START_TEST(test_fingerprint_equals_the_openssl_cli_fingerprint)
{
	init_default(SDNS_KEY_ED25519);
	char cmd[2048], line[256], want[SDNS_PKI_FPR_MAX], fpr[SDNS_PKI_FPR_MAX];
	snprintf(cmd, sizeof(cmd),
	         "openssl x509 -in '%s' -noout -fingerprint -sha256",
	         in_dir("node.pem"));
	shell_line(cmd, line, sizeof(line));
	/* "sha256 Fingerprint=AB:CD:..." into "abcd..." */
	const char *p = strchr(line, '=');
	ck_assert_ptr_nonnull(p);
	size_t n = 0;
	for (p++; *p && n < sizeof(want) - 1; p++)
		if (*p != ':')
			want[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	want[n] = '\0';
	ck_assert_int_eq(sdns_pki_fingerprint_file(in_dir("node.pem"), fpr,
	                                           sizeof(fpr)), SDNS_OK);
	ck_assert_str_eq(fpr, want);
}
END_TEST

START_TEST(test_pin_and_fingerprint_of_der_equal_those_of_the_file)
{
	init_default(SDNS_KEY_ED25519);
	X509 *x = load("node.pem");
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	ck_assert_int_gt(len, 0);
	char a[SDNS_PKI_PIN_MAX], b[SDNS_PKI_PIN_MAX];
	char fa[SDNS_PKI_FPR_MAX], fb[SDNS_PKI_FPR_MAX];
	ck_assert_int_eq(sdns_pki_spki_pin_der(der, (size_t)len, a, sizeof(a)), 0);
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("node.pem"), b, sizeof(b)), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(sdns_pki_fingerprint_der(der, (size_t)len, fa, sizeof(fa)), 0);
	ck_assert_int_eq(sdns_pki_fingerprint_file(in_dir("node.pem"), fb, sizeof(fb)), 0);
	ck_assert_str_eq(fa, fb);
	/* Truncated, trailing garbage, too-small output buffers. */
	ck_assert_int_eq(sdns_pki_spki_pin_der(der, (size_t)len - 1, a, sizeof(a)),
	                 SDNS_ECERT);
	ck_assert_int_eq(sdns_pki_spki_pin_der(der, (size_t)len + 1, a, sizeof(a)),
	                 SDNS_ECERT);
	ck_assert_int_eq(sdns_pki_spki_pin_der(der, (size_t)len, a, 44), SDNS_ESPACE);
	ck_assert_int_eq(sdns_pki_fingerprint_der(der, (size_t)len, fa, 64),
	                 SDNS_ESPACE);
	ck_assert_int_eq(sdns_pki_spki_pin_der(NULL, 0, a, sizeof(a)), SDNS_EINVAL);
	OPENSSL_free(der);
	X509_free(x);
}
END_TEST

START_TEST(test_pin_of_missing_or_non_pem_file_fails)
{
	char pin[SDNS_PKI_PIN_MAX];
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("none.pem"), pin,
	                                        sizeof(pin)), SDNS_ENOTFOUND);
	ck_assert_int_eq(sdns_test_write_file(in_dir("junk.pem"), "hello\n"), 0);
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("junk.pem"), pin,
	                                        sizeof(pin)), SDNS_ECERT);
}
END_TEST

static void p12_parses(const char *file, const char *pass, const char *cn)
{
	FILE *f = fopen(in_dir(file), "rb");
	ck_assert_ptr_nonnull(f);
	PKCS12 *p12 = d2i_PKCS12_fp(f, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(p12);
	ck_assert_int_eq(PKCS12_verify_mac(p12, "wrong", -1), 0);
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	STACK_OF(X509) *ca = NULL;
	ck_assert_int_eq(PKCS12_parse(p12, pass, &key, &leaf, &ca), 1);
	ck_assert_ptr_nonnull(key);
	cn_is(leaf, cn);
	ck_assert_int_eq(X509_check_private_key(leaf, key), 1);
	ck_assert_int_eq(sk_X509_num(ca), 1);
	X509 *want_ca = load("ca.pem");
	ck_assert_int_eq(X509_cmp(sk_X509_value(ca, 0), want_ca), 0);
	X509_free(want_ca);
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
}

START_TEST(test_admin_p12_parses_back_with_key_leaf_and_ca)
{
	init_default(SDNS_KEY_ED25519);
	p12_parses("admin.p12", "", "admin");
}
END_TEST

START_TEST(test_p12_with_password_uses_aes256_and_sha256_mac)
{
	sdns_pki_init_opts o = {.dir = dir, .node = "n1", .alg = SDNS_KEY_P256,
	                        .p12_pass = "s3cret"};
	ck_assert_int_eq(sdns_pki_init(&o, err, sizeof(err)), SDNS_OK);
	p12_parses("admin.p12", "s3cret", "admin");
	char cmd[2048], line[256];
	snprintf(cmd, sizeof(cmd),
	         "openssl pkcs12 -in '%s' -info -noout -passin pass:s3cret 2>&1 "
	         "| grep -c -e 'MAC: sha256' -e 'PBES2, PBKDF2, AES-256-CBC'",
	         in_dir("admin.p12"));
	shell_line(cmd, line, sizeof(line));
	ck_assert_str_eq(line, "3");  /* the MAC, the certificates, the key */
}
END_TEST

static sdns_pki_leaf_opts client_opts(const char *name)
{
	sdns_pki_leaf_opts o = {
		.ca_cert_path = in_dir("ca.pem"), .ca_key_path = in_dir("ca.key"),
		.cert_path = in_dir("leaf.pem"), .key_path = in_dir("leaf.key"),
		.role = SDNS_ROLE_CLIENT, .name = name,
	};
	return o;
}

START_TEST(test_issue_without_mesh_takes_it_from_the_ca)
{
	init_default(SDNS_KEY_ED25519);
	char mesh[SDNS_ID_PART_MAX];
	ck_assert_int_eq(sdns_pki_ca_mesh(in_dir("ca.pem"), mesh, sizeof(mesh)), 0);
	ck_assert_str_eq(mesh, "corp");
	ck_assert_int_eq(sdns_pki_ca_mesh(in_dir("ca.pem"), mesh, 4), SDNS_ESPACE);
	ck_assert_int_eq(sdns_pki_ca_mesh(in_dir("node.pem"), mesh, sizeof(mesh)),
	                 SDNS_ECERT);
	sdns_pki_leaf_opts o = client_opts("app1");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_OK);
	X509 *x = load("leaf.pem");
	char sans[256];
	san_text(x, sans, sizeof(sans));
	ck_assert_str_eq(sans, "URI:spiffe://corp/client/app1");
	X509_free(x);
	ck_assert_int_eq(verify("ca.pem", "leaf.pem"), 0);
}
END_TEST

START_TEST(test_issue_refuses_an_unknown_role)
{
	init_default(SDNS_KEY_ED25519);
	sdns_pki_leaf_opts o = client_opts("app1");
	o.role = SDNS_ROLE_NONE;
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EINVAL);
	o.role = (sdns_role)7;
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "role"));
}
END_TEST

START_TEST(test_issue_refuses_bad_names)
{
	init_default(SDNS_KEY_ED25519);
	static const char *const bad[] = {"App", "a b", "", "-a", ".a", "a/b",
	                                  "a,b", "é"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sdns_pki_leaf_opts o = client_opts(bad[i]);
		ck_assert_msg(sdns_pki_issue(&o, err, sizeof(err)) == SDNS_EINVAL,
		              "accepted name '%s'", bad[i]);
	}
	sdns_pki_leaf_opts o = client_opts("ok");
	o.mesh = "Corp";
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EINVAL);
	sdns_pki_init_opts io = {.dir = dir, .node = "Node 1"};
	ck_assert_int_eq(sdns_pki_init(&io, err, sizeof(err)), SDNS_EINVAL);
}
END_TEST

START_TEST(test_node_names_are_one_label_client_names_may_hold_dots)
{
	init_default(SDNS_KEY_ED25519);
	sdns_pki_leaf_opts o = client_opts("x.alpha");
	o.role = SDNS_ROLE_NODE;
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "one label"));
	ck_assert_int_eq(access(in_dir("leaf.pem"), F_OK), -1);
	o.role = SDNS_ROLE_CLIENT;
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_OK);
	char d2[4096];
	snprintf(d2, sizeof d2, "%s/sub", dir);
	sdns_pki_init_opts io = {.dir = d2, .node = "x.alpha"};
	ck_assert_int_eq(sdns_pki_init(&io, err, sizeof(err)), SDNS_EINVAL);
}
END_TEST

START_TEST(test_issued_leaf_lives_90_days_unless_told)
{
	init_default(SDNS_KEY_ED25519);
	sdns_pki_leaf_opts o = client_opts("app1");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_OK);
	X509 *x = load("leaf.pem");
	ck_assert_int_ge(days_from_now(X509_get0_notAfter(x)), 89);
	ck_assert_int_le(days_from_now(X509_get0_notAfter(x)), 90);
	X509_free(x);
	o = client_opts("app2");
	o.cert_path = in_dir("leaf2.pem"), o.key_path = in_dir("leaf2.key");
	o.not_after_s = 7 * 86400;
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_OK);
	x = load("leaf2.pem");
	ck_assert_int_ge(days_from_now(X509_get0_notAfter(x)), 6);
	ck_assert_int_le(days_from_now(X509_get0_notAfter(x)), 7);
	X509_free(x);
}
END_TEST

START_TEST(test_issue_refuses_bad_sans)
{
	init_default(SDNS_KEY_ED25519);
	static const char *const bad[] = {"a b", "x,URI:spiffe://corp/admin/x",
	                                  "", "a\nb", "1.2.3.4/8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sdns_pki_leaf_opts o = client_opts("app1");
		o.sans = &bad[i], o.n_sans = 1;
		ck_assert_msg(sdns_pki_issue(&o, err, sizeof(err)) == SDNS_EINVAL,
		              "accepted san '%s'", bad[i]);
	}
	ck_assert_int_eq(access(in_dir("leaf.key"), F_OK), -1);
}
END_TEST

START_TEST(test_issue_refuses_to_overwrite_a_key)
{
	init_default(SDNS_KEY_ED25519);
	sdns_pki_leaf_opts o = client_opts("app1");
	o.key_path = in_dir("admin.key");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "admin.key"));
}
END_TEST

START_TEST(test_issue_with_an_existing_p12_writes_nothing)
{
	init_default(SDNS_KEY_ED25519);
	sdns_pki_leaf_opts o = client_opts("app1");
	o.p12_path = in_dir("admin.p12"), o.p12_pass = "";
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_EEXIST);
	ck_assert_int_eq(access(in_dir("leaf.key"), F_OK), -1);
	ck_assert_int_eq(access(in_dir("leaf.pem"), F_OK), -1);
}
END_TEST

START_TEST(test_issue_without_a_ca_fails_not_found)
{
	sdns_pki_leaf_opts o = client_opts("app1");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "ca.pem"));
	o.ca_cert_path = "/nonexistent/ca.pem";
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_ENOTFOUND);
}
END_TEST

START_TEST(test_issue_with_a_key_of_another_ca_fails)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	sdns_pki_leaf_opts o = client_opts("app1");
	o.ca_key_path = in_dir("rogue-ca.key");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_ECERT);
	o.ca_cert_path = in_dir("server.pem"), o.ca_key_path = in_dir("server.key");
	ck_assert_int_eq(sdns_pki_issue(&o, err, sizeof(err)), SDNS_ECERT);
}
END_TEST

START_TEST(test_init_and_ca_refuse_missing_options)
{
	sdns_pki_init_opts io = {.dir = NULL};
	ck_assert_int_eq(sdns_pki_init(&io, err, sizeof(err)), SDNS_EINVAL);
	io.dir = "";
	ck_assert_int_eq(sdns_pki_init(&io, err, sizeof(err)), SDNS_EINVAL);
	ck_assert_int_eq(sdns_pki_init(NULL, NULL, 0), SDNS_EINVAL);
	io.dir = "/nonexistent/deeper/pki", io.node = "n1";
	ck_assert_int_eq(sdns_pki_init(&io, err, sizeof(err)), SDNS_ENOTFOUND);
	sdns_pki_ca_opts co = {.cert_path = in_dir("c.pem"), .key_path = NULL,
	                       .mesh = "m"};
	ck_assert_int_eq(sdns_pki_make_ca(&co, err, sizeof(err)), SDNS_EINVAL);
	co.key_path = in_dir("c.key"), co.mesh = "M";
	ck_assert_int_eq(sdns_pki_make_ca(&co, err, sizeof(err)), SDNS_EINVAL);
	ck_assert_int_eq(sdns_pki_issue(NULL, err, sizeof(err)), SDNS_EINVAL);
}
END_TEST

START_TEST(test_fixture_is_fast_and_complete)
{
	ck_assert_int_eq(sdns_testpki_make(dir), SDNS_OK);
	static const char *const files[] = {
		"ca", "rogue-ca", "server", "client", "admin", "node2", "rogue",
		"expired", "notyet", "serveronly", "nouri", "othermesh", "badrole"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char f[64];
		snprintf(f, sizeof(f), "%s.pem", files[i]);
		ck_assert_int_eq(file_mode(f), 0644);
		snprintf(f, sizeof(f), "%s.key", files[i]);
		ck_assert_int_eq(file_mode(f), 0600);
	}
}
END_TEST

/* ---- sdnsctl pki ---- */

/* Runs bin/sdnsctl (or $BIN/sdnsctl) with args; exit status back, the
 * output (stdout and stderr) in out. */
static int ctl(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ctl(char *out, size_t cap, const char *fmt, ...)
{
	const char *bin = getenv("BIN");
	char args[2048], cmd[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s/sdnsctl pki %s 2>&1",
	         bin && *bin ? bin : "bin", args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_cli_init_issue_and_pin)
{
	char out[8192], pin[SDNS_PKI_PIN_MAX], fpr[SDNS_PKI_FPR_MAX], want[256];
	ck_assert_int_eq(ctl(out, sizeof(out), "init --dir %s --mesh corp --node n1 "
	                     "--san ns1.corp --san 10.0.0.1 --alg p256 "
	                     "--p12-pass pw", dir), 0);
	p12_parses("admin.p12", "pw", "admin");
	X509 *x = load("node.pem");
	san_text(x, out, sizeof(out));
	ck_assert_str_eq(out, "DNS:ns1.corp IP:4:0a000001 URI:spiffe://corp/node/n1");
	ck_assert(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"));
	X509_free(x);
	ck_assert_int_eq(ctl(out, sizeof(out), "issue --dir %s --role client "
	                     "--name app1 --p12", dir), 0);
	ck_assert_int_eq(file_mode("app1.key"), 0600);
	p12_parses("app1.p12", "", "app1");
	ck_assert_int_eq(verify("ca.pem", "app1.pem"), 0);
	ck_assert_int_eq(ctl(out, sizeof(out), "issue --dir %s --role node "
	                     "--name n2 --out %s/other", dir, dir), 0);
	x = load("other.pem");
	san_text(x, out, sizeof(out));
	ck_assert_str_eq(out, "DNS:localhost IP:4:7f000001 "
	                 "IP:16:00000000000000000000000000000001 "
	                 "URI:spiffe://corp/node/n2");
	X509_free(x);
	ck_assert_int_eq(ctl(out, sizeof(out), "pin --cert %s/app1.pem", dir), 0);
	ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir("app1.pem"), pin,
	                                        sizeof(pin)), 0);
	ck_assert_int_eq(sdns_pki_fingerprint_file(in_dir("app1.pem"), fpr,
	                                           sizeof(fpr)), 0);
	snprintf(want, sizeof(want), "pin-sha256 %s\nsha256 %s\n", pin, fpr);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_cli_usage_errors_exit_2_with_a_message)
{
	char out[8192];
	init_default(SDNS_KEY_ED25519);
	static const struct { const char *args, *says; } cases[] = {
		{"", "usage: sdnsctl pki"},
		{"frob", "unknown command 'frob'"},
		{"init", "--dir is required"},
		{"init --dir", "missing value for '--dir'"},
		{"init --dir /x --bogus", "unknown option '--bogus'"},
		{"init --dir /x --alg rsa", "--alg must be ed25519 or p256"},
		{"init --dir /x --role node", "unknown option '--role'"},
		{"init --dir /x extra", "unexpected argument 'extra'"},
		{"issue --dir @ --name a", "--role and --name are required"},
		{"issue --dir @ --role root --name a", "--role must be node"},
		{"issue --dir @ --role client --name App", "App : name must be"},
		{"issue --dir @ --role client --name 'a b'", "a b : name must be"},
		{"issue --dir @ --role client --name a --san 'x y'",
		 "x y : not an IP address or DNS name"},
		{"pin", "--cert is required"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char args[1024];
		const char *at = strchr(cases[i].args, '@');
		if (at)
			snprintf(args, sizeof(args), "%.*s%s%s",
			         (int)(at - cases[i].args), cases[i].args, dir, at + 1);
		else
			snprintf(args, sizeof(args), "%s", cases[i].args);
		int rc = ctl(out, sizeof(out), "%s", args);
		ck_assert_msg(rc == 2, "'%s' exited %d", args, rc);
		ck_assert_msg(strstr(out, cases[i].says), "'%s' said: %s", args, out);
	}
}
END_TEST

START_TEST(test_cli_failures_exit_1_with_what_and_why)
{
	char out[8192];
	init_default(SDNS_KEY_ED25519);
	ck_assert_int_eq(ctl(out, sizeof(out), "init --dir %s", dir), 1);
	ck_assert_ptr_nonnull(strstr(out, "sdnsctl pki: "));
	ck_assert_ptr_nonnull(strstr(out, "/ca.key : a CA already exists here"));
	ck_assert_int_eq(ctl(out, sizeof(out), "issue --dir %s/none --role client "
	                     "--name a", dir), 1);
	ck_assert_ptr_nonnull(strstr(out, "none/ca.pem : No such file"));
	ck_assert_int_eq(ctl(out, sizeof(out), "issue --dir %s --role client "
	                     "--name admin", dir), 1);
	ck_assert_ptr_nonnull(strstr(out, "admin.key : File exists"));
	ck_assert_int_eq(ctl(out, sizeof(out), "pin --cert %s/none.pem", dir), 1);
	ck_assert_ptr_nonnull(strstr(out, "sdnsctl pki: "));
}
END_TEST

START_TEST(test_cli_every_subcommand_documents_its_options)
{
	char out[8192];
	static const struct { const char *cmd, *opts[10]; } cases[] = {
		{"init", {"--dir", "--mesh", "--node", "--admin", "--san", "--alg",
		          "--p12-pass", "--help"}},
		{"issue", {"--dir", "--role", "--name", "--san", "--out", "--mesh",
		           "--alg", "--p12 ", "--p12-pass", "--help"}},
		{"pin", {"--cert", "--help"}},
	};
	ck_assert_int_eq(ctl(out, sizeof(out), "--help"), 0);
	ck_assert_ptr_nonnull(strstr(out, "issue"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(ctl(out, sizeof(out), "%s --help", cases[i].cmd), 0);
		for (size_t j = 0; j < 10 && cases[i].opts[j]; j++)
			ck_assert_msg(strstr(out, cases[i].opts[j]), "%s --help lacks %s",
			              cases[i].cmd, cases[i].opts[j]);
	}
}
END_TEST

static Suite *pki_suite(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_writes_every_file_with_private_keys_0600);
	tcase_add_test(tc, test_check_ca_key_takes_the_cas_key_and_names_another);
	tcase_add_test(tc, test_init_creates_a_missing_directory_mode_0700);
	tcase_add_test(tc, test_init_refuses_to_overwrite_an_existing_ca_key);
	tcase_add_test(tc, test_init_with_a_leftover_node_key_writes_nothing);
	tcase_add_test(tc, test_ca_is_critical_ca_true_pathlen_0_with_key_ids);
	tcase_add_test(tc, test_node_cert_has_server_and_client_eku_and_its_sans);
	tcase_add_test(tc, test_init_uses_the_given_sans_for_the_node);
	tcase_add_test(tc, test_admin_cert_is_client_auth_only_with_uri_san);
	tcase_add_test(tc, test_serials_are_positive_random_and_at_most_128_bits);
	tcase_add_test(tc, test_chain_verifies_against_ca_and_not_against_rogue_ca);
	tcase_add_test(tc, test_fixture_expired_and_notyet_fail_on_time);
	tcase_add_test(tc, test_fixture_odd_leaves_have_what_testpki_h_says);
	tcase_add_test(tc, test_fixture_is_fast_and_complete);
	tcase_add_test(tc, test_p256_option_makes_ecdsa_certificates_that_verify);
	tcase_add_test(tc, test_pin_equals_the_openssl_cli_pin);
	tcase_add_test(tc, test_p256_pin_equals_the_openssl_cli_pin);
	tcase_add_test(tc, test_fingerprint_equals_the_openssl_cli_fingerprint);
	tcase_add_test(tc, test_pin_and_fingerprint_of_der_equal_those_of_the_file);
	tcase_add_test(tc, test_pin_of_missing_or_non_pem_file_fails);
	tcase_add_test(tc, test_admin_p12_parses_back_with_key_leaf_and_ca);
	tcase_add_test(tc, test_p12_with_password_uses_aes256_and_sha256_mac);
	tcase_add_test(tc, test_issue_without_mesh_takes_it_from_the_ca);
	tcase_add_test(tc, test_issue_refuses_an_unknown_role);
	tcase_add_test(tc, test_issue_refuses_bad_names);
	tcase_add_test(tc, test_node_names_are_one_label_client_names_may_hold_dots);
	tcase_add_test(tc, test_issued_leaf_lives_90_days_unless_told);
	tcase_add_test(tc, test_issue_refuses_bad_sans);
	tcase_add_test(tc, test_issue_refuses_to_overwrite_a_key);
	tcase_add_test(tc, test_issue_with_an_existing_p12_writes_nothing);
	tcase_add_test(tc, test_issue_without_a_ca_fails_not_found);
	tcase_add_test(tc, test_issue_with_a_key_of_another_ca_fails);
	tcase_add_test(tc, test_init_and_ca_refuse_missing_options);
	tcase_add_test(tc, test_cli_init_issue_and_pin);
	tcase_add_test(tc, test_cli_usage_errors_exit_2_with_a_message);
	tcase_add_test(tc, test_cli_failures_exit_1_with_what_and_why);
	tcase_add_test(tc, test_cli_every_subcommand_documents_its_options);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(pki_suite)
