/* Tests for src/pki/csr.c and the serial/SPKI of the revoked set:
 * enrollment requests made, signed and refused. Leaves are read back and
 * verified with OpenSSL. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "sdns/error.h"
#include "sdns/pki.h"
#include "testlib.h"
#include "testpki.h"

static char dir[512];
static char err[512];

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-csr", dir, sizeof(dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
}

static void teardown(void)
{
	sdns_test_rmtree(dir);
}

static const char *in_dir(const char *file)
{
	static char bufs[8][700];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, file);
	return b;
}

static X509 *cert_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_ptr_nonnull(x);
	return x;
}

static X509 *cert_from_file(const char *file)
{
	FILE *f = fopen(in_dir(file), "r");
	ck_assert_ptr_nonnull(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

static X509_REQ *req_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509_REQ *r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_ptr_nonnull(r);
	return r;
}

static int sign(const char *csr, sdns_role role, const char *name,
                char **pem)
{
	*pem = NULL;
	return sdns_pki_sign_csr(in_dir("ca.pem"), in_dir("ca.key"), csr,
	                         csr ? strlen(csr) : 0, role, NULL, name, NULL, 0,
	                         pem, err, sizeof(err));
}

/* 0 when leaf chains to the CA file, else the X509_V_ERR code. */
static int verify(const char *ca_file, X509 *leaf)
{
	X509_STORE *store = X509_STORE_new();
	X509 *ca = cert_from_file(ca_file);
	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	int ok = X509_verify_cert(ctx);
	int e = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	return ok == 1 ? 0 : e;
}

/* The SAN of x as "DNS:a IP:7f000001 URI:b" for one comparison. */
static void san_text(X509 *x, char *buf, size_t cap)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	buf[0] = '\0';
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		int type;
		const ASN1_STRING *s =
			GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
		const unsigned char *d = ASN1_STRING_get0_data(s);
		int len = ASN1_STRING_length(s);
		size_t used = strlen(buf);
		if (type == GEN_IPADD) {
			used += (size_t)snprintf(buf + used, cap - used, "%sIP:",
			                         i ? " " : "");
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

static void cn_is(X509 *x, const char *want)
{
	char cn[128];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	                                           NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, want);
}

static void same_key(X509 *leaf, EVP_PKEY *k)
{
	EVP_PKEY *lk = X509_get0_pubkey(leaf);
	ck_assert_ptr_nonnull(lk);
	ck_assert_int_eq(EVP_PKEY_eq(lk, k), 1);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A CSR of our own making for key k, with the given extension requests
 * (openssl.cnf syntax, NULL for none). */
static char *openssl_csr(EVP_PKEY *k, const char *cn, const char *san,
                         const char *bc, const char *eku)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
	                           MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                           -1, 0);
	X509_REQ_set_pubkey(req, k);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	struct { int nid; const char *v; } want[] = {
		{NID_subject_alt_name, san}, {NID_basic_constraints, bc},
		{NID_ext_key_usage, eku},
	};
	for (size_t i = 0; i < 3; i++) {
		if (!want[i].v)
			continue;
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, want[i].nid,
		                                        want[i].v);
		ck_assert_ptr_nonnull(e);
		sk_X509_EXTENSION_push(exts, e);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		ck_assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	const EVP_MD *md = EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448")
	                          ? NULL : EVP_sha256();
	ck_assert_int_gt(X509_REQ_sign(req, k, md), 0);
	BIO *b = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_X509_REQ(b, req), 1);
	char *data;
	long len = BIO_get_mem_data(b, &data);
	char *pem = strndup(data, (size_t)len);
	BIO_free(b);
	X509_REQ_free(req);
	return pem;
}

static const sdns_keyalg algs[] = {SDNS_KEY_ED25519, SDNS_KEY_P256};

START_TEST(test_make_csr_writes_a_0600_key_and_a_csr_for_it_with_cn)
{
	char *csr = NULL;
	ck_assert_msg(sdns_pki_make_csr(in_dir("n.key"), algs[_i], "node-beta",
	                                &csr, err, sizeof(err)) == SDNS_OK, "%s", err);
	struct stat st;
	ck_assert_int_eq(stat(in_dir("n.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	X509_REQ *req = req_from_pem(csr);
	EVP_PKEY *rk = X509_REQ_get0_pubkey(req);
	ck_assert_int_eq(X509_REQ_verify(req, rk), 1);
	char cn[64];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
	                 NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "node-beta");
	FILE *f = fopen(in_dir("n.key"), "r");
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, rk), 1);
	ck_assert_int_eq(EVP_PKEY_is_a(k, _i == 0 ? "ED25519" : "EC"), 1);
	EVP_PKEY_free(k);
	X509_REQ_free(req);
	free(csr);
}
END_TEST

START_TEST(test_make_csr_never_overwrites_a_key)
{
	ck_assert_int_eq(sdns_test_write_file(in_dir("n.key"), "keep me\n"), 0);
	char *csr = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), SDNS_KEY_ED25519,
	                                   "n", &csr, err, sizeof(err)),
	                 SDNS_EEXIST);
	ck_assert_ptr_null(csr);
	ck_assert_str_eq(read_text(in_dir("n.key")), "keep me\n");
}
END_TEST

START_TEST(test_make_csr_refuses_bad_names_and_algorithms)
{
	char *csr = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("a.key"), SDNS_KEY_ED25519,
	                                   "Bad Name", &csr, err, sizeof(err)),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("a.key"), (sdns_keyalg)7, "n",
	                                   &csr, err, sizeof(err)), SDNS_EINVAL);
	ck_assert_int_eq(sdns_pki_make_csr(NULL, SDNS_KEY_ED25519, "n", &csr, err,
	                                   sizeof(err)), SDNS_EINVAL);
	ck_assert_ptr_null(csr);
	ck_assert_int_ne(access(in_dir("a.key"), F_OK), 0);
}
END_TEST

static const struct {
	sdns_role role;
	const char *uri;
	uint32_t xku;
} roles[] = {
	{SDNS_ROLE_NODE, "URI:spiffe://test.mesh/node/node-beta",
	 XKU_SSL_SERVER | XKU_SSL_CLIENT},
	{SDNS_ROLE_ADMIN, "URI:spiffe://test.mesh/admin/node-beta", XKU_SSL_CLIENT},
	{SDNS_ROLE_CLIENT, "URI:spiffe://test.mesh/client/node-beta",
	 XKU_SSL_CLIENT},
};

START_TEST(test_signed_leaf_verifies_and_carries_the_role_uri_eku_and_csr_key)
{
	int r = _i % 3;
	char *csr = NULL, *pem = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), algs[_i / 3],
	                                   "node-beta", &csr, err, sizeof(err)),
	                 SDNS_OK);
	ck_assert_msg(sign(csr, roles[r].role, "node-beta", &pem) == SDNS_OK,
	              "%s", err);
	X509 *leaf = cert_from_pem(pem);
	ck_assert_int_eq(verify("ca.pem", leaf), 0);
	ck_assert_int_eq(verify("rogue-ca.pem", leaf),
	                 X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	char san[512];
	san_text(leaf, san, sizeof(san));
	ck_assert_str_eq(san, roles[r].uri);
	ck_assert_uint_eq(X509_get_extended_key_usage(leaf), roles[r].xku);
	ck_assert_int_eq(X509_check_ca(leaf), 0);
	cn_is(leaf, "node-beta");
	X509_REQ *req = req_from_pem(csr);
	same_key(leaf, X509_REQ_get0_pubkey(req));
	X509_REQ_free(req);
	/* leaf only: one certificate in the PEM */
	ck_assert_ptr_eq(strstr(pem + 1, "-----BEGIN"), NULL);
	X509_free(leaf);
	free(pem);
	free(csr);
}
END_TEST

START_TEST(test_node_sans_are_added_beside_the_uri)
{
	char *csr = NULL, *pem = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), SDNS_KEY_ED25519,
	                                   "n1", &csr, err, sizeof(err)), SDNS_OK);
	const char *sans[] = {"n1.example", "127.0.0.1"};
	ck_assert_msg(sdns_pki_sign_csr(in_dir("ca.pem"), in_dir("ca.key"), csr,
	                                strlen(csr), SDNS_ROLE_NODE, "test.mesh",
	                                "n1", sans, 2, &pem, err,
	                                sizeof(err)) == SDNS_OK, "%s", err);
	X509 *leaf = cert_from_pem(pem);
	char san[512];
	san_text(leaf, san, sizeof(san));
	ck_assert_str_eq(san, "DNS:n1.example IP:7f000001 "
	                      "URI:spiffe://test.mesh/node/n1");
	X509_free(leaf);
	free(pem);
	free(csr);
}
END_TEST

START_TEST(test_requested_extensions_and_subject_are_ignored)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *csr = openssl_csr(k, "admin",
	                        "DNS:evil.example,URI:spiffe://test.mesh/admin/evil",
	                        "critical,CA:TRUE", "codeSigning,serverAuth");
	char *pem = NULL;
	ck_assert_msg(sign(csr, SDNS_ROLE_CLIENT, "c1", &pem) == SDNS_OK, "%s",
	              err);
	X509 *leaf = cert_from_pem(pem);
	cn_is(leaf, "c1");
	char san[512];
	san_text(leaf, san, sizeof(san));
	ck_assert_str_eq(san, "URI:spiffe://test.mesh/client/c1");
	ck_assert_uint_eq(X509_get_extended_key_usage(leaf), XKU_SSL_CLIENT);
	ck_assert_int_eq(X509_check_ca(leaf), 0);
	/* exactly ours: bc, ku, eku, ski, aki, san */
	ck_assert_int_eq(X509_get_ext_count(leaf), 6);
	same_key(leaf, k);
	X509_free(leaf);
	free(pem);
	free(csr);
	EVP_PKEY_free(k);
}
END_TEST

/* The PEM of csr with one bit of its DER flipped at offset from the end
 * (the signature is the last field). */
static char *flip_der_bit(const char *csr, size_t from_end)
{
	X509_REQ *req = req_from_pem(csr);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(len, (int)from_end);
	der[len - 1 - (int)from_end] ^= 0x01;
	BIO *b = BIO_new(BIO_s_mem());
	ck_assert_int_gt(PEM_write_bio(b, "CERTIFICATE REQUEST", "", der, len), 0);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out = strndup(data, (size_t)n);
	BIO_free(b);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return out;
}

START_TEST(test_a_csr_with_a_tampered_signature_is_refused)
{
	char *csr = NULL, *pem = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), algs[_i], "n", &csr,
	                                   err, sizeof(err)), SDNS_OK);
	char *bad = flip_der_bit(csr, 3);
	ck_assert_int_eq(sign(bad, SDNS_ROLE_NODE, "n", &pem), SDNS_ECERT);
	ck_assert_ptr_null(pem);
	ck_assert_ptr_nonnull(strstr(err, "self-signature"));
	free(bad);
	free(csr);
}
END_TEST

START_TEST(test_a_csr_whose_key_was_swapped_is_refused)
{
	/* The subject key of one request under the signature of another. */
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *csr = openssl_csr(k1, "n", NULL, NULL, NULL);
	X509_REQ *req = req_from_pem(csr);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, k2), 1);
	unsigned char *der = NULL;
	int len = i2d_X509_REQ(req, &der);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio(b, "CERTIFICATE REQUEST", "", der, len);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *swapped = strndup(data, (size_t)n);
	char *pem = NULL;
	ck_assert_int_eq(sign(swapped, SDNS_ROLE_NODE, "n", &pem), SDNS_ECERT);
	BIO_free(b);
	OPENSSL_free(der);
	X509_REQ_free(req);
	free(swapped);
	free(csr);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}
END_TEST

START_TEST(test_garbage_is_refused_as_a_csr)
{
	char *pem = NULL;
	const char *bad[] = {
		"",
		"hello",
		"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
		"-----END CERTIFICATE REQUEST-----\n",
		read_text(in_dir("server.pem")), /* a certificate, not a request */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(sign(bad[i], SDNS_ROLE_NODE, "n", &pem), SDNS_ECERT);
		ck_assert_ptr_null(pem);
	}
	ck_assert_int_eq(sign(NULL, SDNS_ROLE_NODE, "n", &pem), SDNS_ECERT);
	/* truncated in the middle */
	char *csr = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), SDNS_KEY_ED25519, "n",
	                                   &csr, err, sizeof(err)), SDNS_OK);
	ck_assert_int_eq(sdns_pki_sign_csr(in_dir("ca.pem"), in_dir("ca.key"), csr,
	                                   strlen(csr) / 2, SDNS_ROLE_NODE, NULL,
	                                   "n", NULL, 0, &pem, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(pem);
	free(csr);
}
END_TEST

/* Key types outside Ed25519 and P-256, each refused with a message. */
START_TEST(test_rsa_and_other_curves_are_refused)
{
	EVP_PKEY *keys[] = {
		EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024),
		EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
		EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"),
		EVP_PKEY_Q_keygen(NULL, NULL, "ED448"),
	};
	const char *why[] = {"2048", "key type", "P-256", "key type"};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(keys[i]);
		char *csr = openssl_csr(keys[i], "n", NULL, NULL, NULL);
		char *pem = NULL;
		err[0] = '\0';
		ck_assert_int_eq(sign(csr, SDNS_ROLE_NODE, "n", &pem), SDNS_ECERT);
		ck_assert_msg(strstr(err, why[i]) != NULL, "%zu: %s", i, err);
		free(csr);
		EVP_PKEY_free(keys[i]);
	}
}
END_TEST

START_TEST(test_sign_csr_refuses_a_bad_identity_or_ca)
{
	char *csr = NULL, *pem = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(in_dir("n.key"), SDNS_KEY_ED25519, "n",
	                                   &csr, err, sizeof(err)), SDNS_OK);
	ck_assert_int_eq(sign(csr, SDNS_ROLE_NODE, "Bad", &pem), SDNS_EINVAL);
	ck_assert_int_eq(sign(csr, (sdns_role)42, "n", &pem), SDNS_EINVAL);
	const char *sans[] = {"a,b"};
	ck_assert_int_eq(sdns_pki_sign_csr(in_dir("ca.pem"), in_dir("ca.key"), csr,
	                                   strlen(csr), SDNS_ROLE_NODE, NULL, "n",
	                                   sans, 1, &pem, err, sizeof(err)),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_pki_sign_csr(in_dir("ca.pem"), in_dir("rogue-ca.key"),
	                                   csr, strlen(csr), SDNS_ROLE_NODE, NULL,
	                                   "n", NULL, 0, &pem, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_int_eq(sdns_pki_sign_csr(in_dir("none.pem"), in_dir("ca.key"),
	                                   csr, strlen(csr), SDNS_ROLE_NODE, NULL,
	                                   "n", NULL, 0, &pem, err, sizeof(err)),
	                 SDNS_ENOTFOUND);
	ck_assert_ptr_null(pem);
	free(csr);
}
END_TEST

static int der_of(X509 *x, unsigned char **der)
{
	*der = NULL;
	int len = i2d_X509(x, der);
	ck_assert_int_gt(len, 0);
	return len;
}

START_TEST(test_serial_and_spki_match_the_pin_and_openssl_serial)
{
	const char *files[] = {"server.pem", "client.pem", "admin.pem"};
	for (size_t i = 0; i < 3; i++) {
		X509 *x = cert_from_file(files[i]);
		unsigned char *der;
		int len = der_of(x, &der);
		char serial[80];
		uint8_t spki[32];
		ck_assert_int_eq(sdns_pki_serial_spki_der(der, (size_t)len, serial,
		                 sizeof(serial), spki), SDNS_OK);
		char pin[SDNS_PKI_PIN_MAX];
		ck_assert_int_eq(sdns_pki_spki_pin_file(in_dir(files[i]), pin,
		                                        sizeof(pin)), SDNS_OK);
		unsigned char raw[48];
		ck_assert_int_eq(EVP_DecodeBlock(raw, (const unsigned char *)pin, 44),
		                 33); /* 32 bytes and one '=' pad */
		ck_assert_mem_eq(spki, raw, 32);
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *hex = BN_bn2hex(bn);
		const char *h = hex;
		while (*h == '0' && h[1])
			h++;
		char lower[80];
		size_t j = 0;
		for (; h[j]; j++)
			lower[j] = (char)(h[j] >= 'A' && h[j] <= 'F' ? h[j] + 32 : h[j]);
		lower[j] = '\0';
		ck_assert_str_eq(serial, lower);
		OPENSSL_free(hex);
		BN_free(bn);
		OPENSSL_free(der);
		X509_free(x);
	}
}
END_TEST

/* A self-signed certificate with the given serial. */
static X509 *with_serial(long serial)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_set_pubkey(x, k);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60);
	ck_assert_int_gt(X509_sign(x, k, NULL), 0);
	EVP_PKEY_free(k);
	return x;
}

START_TEST(test_serial_hex_is_lowercase_without_leading_zeros)
{
	const struct { long v; const char *hex; } c[] = {
		{0, "0"}, {0xf, "f"}, {0x100, "100"}, {0xabcdef, "abcdef"},
		{0x0a0b, "a0b"}, {-5, "-5"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		X509 *x = with_serial(c[i].v);
		unsigned char *der;
		int len = der_of(x, &der);
		char serial[8];
		uint8_t spki[32];
		ck_assert_int_eq(sdns_pki_serial_spki_der(der, (size_t)len, serial,
		                 sizeof(serial), spki), SDNS_OK);
		ck_assert_str_eq(serial, c[i].hex);
		OPENSSL_free(der);
		X509_free(x);
	}
}
END_TEST

START_TEST(test_serial_spki_refuses_garbage_trailing_bytes_and_small_buffers)
{
	X509 *x = cert_from_file("server.pem");
	unsigned char *der;
	int len = der_of(x, &der);
	char serial[80];
	uint8_t spki[32];
	ck_assert_int_eq(sdns_pki_serial_spki_der(der, (size_t)len - 1, serial,
	                 sizeof(serial), spki), SDNS_ECERT);
	unsigned char *longer = malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	ck_assert_int_eq(sdns_pki_serial_spki_der(longer, (size_t)len + 1, serial,
	                 sizeof(serial), spki), SDNS_ECERT);
	ck_assert_int_eq(sdns_pki_serial_spki_der(der, (size_t)len, serial, 4,
	                 spki), SDNS_ESPACE);
	ck_assert_int_eq(sdns_pki_serial_spki_der(NULL, 0, serial, sizeof(serial),
	                 spki), SDNS_EINVAL);
	const uint8_t junk[] = "not a certificate";
	ck_assert_int_eq(sdns_pki_serial_spki_der(junk, sizeof(junk), serial,
	                 sizeof(serial), spki), SDNS_ECERT);
	free(longer);
	OPENSSL_free(der);
	X509_free(x);
}
END_TEST

static Suite *csr_suite(void)
{
	Suite *s = suite_create("csr");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_make_csr_writes_a_0600_key_and_a_csr_for_it_with_cn, 0, 2);
	tcase_add_test(tc, test_make_csr_never_overwrites_a_key);
	tcase_add_test(tc, test_make_csr_refuses_bad_names_and_algorithms);
	tcase_add_loop_test(tc, test_signed_leaf_verifies_and_carries_the_role_uri_eku_and_csr_key, 0, 6);
	tcase_add_test(tc, test_node_sans_are_added_beside_the_uri);
	tcase_add_test(tc, test_requested_extensions_and_subject_are_ignored);
	tcase_add_loop_test(tc, test_a_csr_with_a_tampered_signature_is_refused, 0, 2);
	tcase_add_test(tc, test_a_csr_whose_key_was_swapped_is_refused);
	tcase_add_test(tc, test_garbage_is_refused_as_a_csr);
	tcase_add_test(tc, test_rsa_and_other_curves_are_refused);
	tcase_add_test(tc, test_sign_csr_refuses_a_bad_identity_or_ca);
	tcase_add_test(tc, test_serial_and_spki_match_the_pin_and_openssl_serial);
	tcase_add_test(tc, test_serial_hex_is_lowercase_without_leading_zeros);
	tcase_add_test(tc, test_serial_spki_refuses_garbage_trailing_bytes_and_small_buffers);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(csr_suite)
