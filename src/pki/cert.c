/* The parts every certificate shares: serial, validity, extensions,
 * signature. */
#include "pki_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static bool all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* 128 random bits with the top bit clear: positive, and unique without a
 * serial file to keep. */
static int set_serial(X509 *x)
{
	unsigned char b[16];
	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return 0;
		b[0] &= 0x7f;
	} while (all_zero(b, sizeof(b)));
	int ok = 0;
	BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (ai)
		ok = X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok;
}

static int set_cn(X509 *x, const char *cn)
{
	X509_NAME *n = X509_get_subject_name(x);
	return X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	                                  (const unsigned char *)cn, -1, -1, 0);
}

X509 *pki_cert_new(const char *cn, EVP_PKEY *pub, int64_t nb_s, int64_t na_s)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !set_cn(x, cn) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), (long)nb_s) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)na_s) ||
	    !X509_set_pubkey(x, pub)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int pki_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int pki_sign(X509 *x, EVP_PKEY *key)
{
	/* Ed25519 signs the message itself: no digest may be named. */
	const char *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : "SHA256";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return 0;
	int ok = EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1 &&
	         X509_sign_ctx(x, ctx) > 0;
	EVP_MD_CTX_free(ctx);
	return ok;
}
