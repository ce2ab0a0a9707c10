/* Enrollment: a node makes its key and a PKCS#10 request; the CA signs a
 * leaf for the request's public key only. Subject, SANs, EKUs and
 * validity come from the caller (the enrollment token), never from the
 * request, so a request cannot ask for another identity or for CA:TRUE. */
#include "pki_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "sdns/error.h"
#include "sdns/identity.h"

/* A PEM request is a few hundred bytes; this only bounds the parser. */
#define CSR_MAX 65536

/* Only the key types the mesh itself makes: Ed25519 and ECDSA P-256. */
static int csr_key_ok(EVP_PKEY *k, char *err, size_t cap)
{
	if (EVP_PKEY_is_a(k, "ED25519"))
		return SDNS_OK;
	if (EVP_PKEY_is_a(k, "EC")) {
		char group[64];
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
		                                   group, sizeof(group), NULL) == 1 &&
		    strcmp(group, "prime256v1") == 0)
			return SDNS_OK;
		return pki_fail(err, cap, SDNS_ECERT, "csr",
		                "EC key is not on P-256; use Ed25519 or P-256");
	}
	if (EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) < 2048)
		return pki_fail(err, cap, SDNS_ECERT, "csr",
		                "RSA key shorter than 2048 bits");
	return pki_fail(err, cap, SDNS_ECERT, "csr",
	                "key type not accepted; use Ed25519 or P-256");
}

/* The request's public key (a new reference), once its self-signature
 * verifies: proof that the caller holds the private key. */
static int csr_pubkey(const char *pem, size_t len, EVP_PKEY **out, char *err,
                      size_t cap)
{
	if (!pem || len == 0 || len > CSR_MAX)
		return pki_fail(err, cap, SDNS_ECERT, "csr", "missing or too large");
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return pki_fail(err, cap, SDNS_ENOMEM, "csr", NULL);
	X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!req)
		return pki_fail(err, cap, SDNS_ECERT, "csr",
		                "not a PEM certificate request");
	int rc = SDNS_OK;
	EVP_PKEY *k = X509_REQ_get_pubkey(req);
	if (!k)
		rc = pki_fail(err, cap, SDNS_ECERT, "csr", "no usable public key");
	if (rc == SDNS_OK)
		rc = csr_key_ok(k, err, cap);
	if (rc == SDNS_OK && X509_REQ_verify(req, k) != 1)
		rc = pki_fail(err, cap, SDNS_ECERT, "csr",
		              "self-signature does not verify");
	X509_REQ_free(req);
	ERR_clear_error();
	if (rc < 0) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return SDNS_OK;
}

/* The contents of a memory BIO as a malloc'd string; the BIO is freed.
 * ok is the result of the PEM write into it. */
static int bio_string(BIO *b, int ok, char **out, const char *what,
                      char *err, size_t cap)
{
	char *data = NULL;
	long len = ok ? BIO_get_mem_data(b, &data) : 0;
	if (len <= 0) {
		BIO_free(b);
		return pki_fail(err, cap, SDNS_ECRYPTO, what, NULL);
	}
	char *s = malloc((size_t)len + 1);
	if (s) {
		memcpy(s, data, (size_t)len);
		s[len] = '\0';
	}
	BIO_free(b);
	if (!s)
		return pki_fail(err, cap, SDNS_ENOMEM, what, "no memory");
	*out = s;
	return SDNS_OK;
}

static int cert_to_pem(X509 *x, char **out, char *err, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return pki_fail(err, cap, SDNS_ENOMEM, "certificate", NULL);
	return bio_string(b, PEM_write_bio_X509(b, x), out, "certificate", err,
	                  cap);
}

int sdns_pki_sign_csr(const char *ca_cert_path, const char *ca_key_path,
                      const char *csr_pem, size_t csr_len, sdns_role role,
                      const char *mesh, const char *name,
                      const char *const *sans, size_t n_sans,
                      char **cert_pem, char *err, size_t err_cap)
{
	if (!ca_cert_path || !ca_key_path || !name || !cert_pem)
		return pki_fail(err, err_cap, SDNS_EINVAL, "sign", "missing option");
	sdns_pki_leaf_opts o = {
		.ca_cert_path = ca_cert_path, .ca_key_path = ca_key_path,
		.role = role, .mesh = mesh, .name = name,
		.sans = sans, .n_sans = n_sans,
	};
	int rc = pki_leaf_check_identity(&o, err, err_cap);
	if (rc < 0)
		return rc;
	EVP_PKEY *pub = NULL, *ca_key = NULL;
	X509 *ca = NULL, *leaf = NULL;
	rc = csr_pubkey(csr_pem, csr_len, &pub, err, err_cap);
	if (rc == SDNS_OK)
		rc = pki_load_ca(ca_cert_path, ca_key_path, &ca, &ca_key, err,
		                 err_cap);
	if (rc == SDNS_OK)
		rc = pki_leaf_make(&o, ca, ca_key, pub, &leaf, err, err_cap);
	if (rc == SDNS_OK)
		rc = cert_to_pem(leaf, cert_pem, err, err_cap);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(pub);
	return rc;
}

/* A request with CN = name and no extensions, signed by key. */
static X509_REQ *csr_build(EVP_PKEY *key, const char *name)
{
	X509_REQ *req = X509_REQ_new();
	if (!req)
		return NULL;
	X509_NAME *n = X509_REQ_get_subject_name(req);
	const char *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : "SHA256";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && X509_REQ_set_version(req, X509_REQ_VERSION_1) &&
	         X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	                                    (const unsigned char *)name, -1, -1,
	                                    0) &&
	         X509_REQ_set_pubkey(req, key) &&
	         EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1 &&
	         X509_REQ_sign_ctx(req, ctx) > 0;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

static int csr_to_pem(X509_REQ *req, char **out, char *err, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return pki_fail(err, cap, SDNS_ENOMEM, "csr", NULL);
	return bio_string(b, PEM_write_bio_X509_REQ(b, req), out, "csr", err, cap);
}

int sdns_pki_make_csr(const char *key_path, sdns_keyalg alg,
                      const char *name, char **csr_pem, char *err,
                      size_t err_cap)
{
	if (!key_path || !name || !csr_pem)
		return pki_fail(err, err_cap, SDNS_EINVAL, "csr", "missing option");
	if (sdns_identity_check_part(name, strlen(name)) < 0)
		return pki_fail(err, err_cap, SDNS_EINVAL, name,
		                "name must be 1-63 of a-z 0-9 . - (lowercase)");
	if (alg != SDNS_KEY_ED25519 && alg != SDNS_KEY_P256)
		return pki_fail(err, err_cap, SDNS_EINVAL, "alg", "unknown key type");
	EVP_PKEY *key = pki_keygen(alg);
	X509_REQ *req = key ? csr_build(key, name) : NULL;
	char *pem = NULL;
	int rc = req ? csr_to_pem(req, &pem, err, err_cap)
	             : pki_fail(err, err_cap, SDNS_ECRYPTO, name, NULL);
	/* The key is written last: nothing is left behind when a step fails,
	 * and an existing key file is never replaced (O_EXCL). */
	if (rc == SDNS_OK)
		rc = pki_write_key(key_path, key, err, err_cap);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	if (rc < 0) {
		free(pem);
		return rc;
	}
	*csr_pem = pem;
	return SDNS_OK;
}
