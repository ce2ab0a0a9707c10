/* PKCS#12 bundles (key + leaf + CA) for browsers and curl. Modern
 * algorithms only: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for both the key
 * and the certificates, and an HMAC-SHA256 MAC, instead of the legacy
 * RC2/3DES and SHA-1 defaults. Old browsers that only read legacy PKCS#12
 * cannot import these; Ed25519 keys need a recent browser as well, so
 * `--alg p256` is the choice for a wide browser import. */
#include "pki_int.h"

#include <openssl/pkcs12.h>

#include "sdns/error.h"

#define P12_ITER 100000

int pki_write_p12(const char *path, const char *pass, const char *friendly,
                  EVP_PKEY *key, X509 *leaf, X509 *ca, char *err, size_t cap)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	int len = 0, rc = SDNS_ECRYPTO;
	if (!chain || !sk_X509_push(chain, ca))
		goto out;
	/* mac_iter -1: no MAC here, so the SHA-256 one can be set below. */
	p12 = PKCS12_create_ex((char *)pass, (char *)friendly, key, leaf, chain,
	                       NID_aes_256_cbc, NID_aes_256_cbc, P12_ITER, -1, 0,
	                       NULL, NULL);
	if (!p12 || PKCS12_set_mac(p12, pass, -1, NULL, 0, P12_ITER,
	                           EVP_sha256()) != 1)
		goto out;
	len = i2d_PKCS12(p12, &der);
	if (len <= 0)
		goto out;
	rc = pki_write_file(path, der, (size_t)len, 0600, true, err, cap);
out:
	if (rc == SDNS_ECRYPTO)
		pki_fail(err, cap, rc, path, NULL);
	if (der)
		OPENSSL_clear_free(der, (size_t)len);
	PKCS12_free(p12);
	sk_X509_free(chain);
	return rc;
}
