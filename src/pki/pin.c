/* SPKI pins and certificate fingerprints, for configuration files and
 * logs (fingerprints are public; they are safe to log). */
#include "pki_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "sdns/error.h"

int pki_spki_sha256(X509 *x, uint8_t out[32])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		return SDNS_ECRYPTO;
	SHA256(der, (size_t)len, out);
	OPENSSL_free(der);
	return SDNS_OK;
}

static int pin_of(X509 *x, char *b64, size_t cap)
{
	if (cap < SDNS_PKI_PIN_MAX)
		return SDNS_ESPACE;
	unsigned char md[SHA256_DIGEST_LENGTH];
	int rc = pki_spki_sha256(x, md);
	if (rc < 0)
		return rc;
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	return SDNS_OK;
}

static int fpr_of(X509 *x, char *hex, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	if (cap < SDNS_PKI_FPR_MAX)
		return SDNS_ESPACE;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return SDNS_ECRYPTO;
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
	return SDNS_OK;
}

typedef int (*cert_fn)(X509 *x, char *out, size_t cap);

static int on_file(const char *path, cert_fn fn, char *out, size_t cap)
{
	X509 *x = NULL;
	int rc = pki_load_cert(path, &x, NULL, 0);
	if (rc == SDNS_OK)
		rc = fn(x, out, cap);
	X509_free(x);
	return rc;
}

/* Exactly one DER certificate, nothing after it. */
static int parse_der(const uint8_t *der, size_t len, X509 **out)
{
	if (!der || len == 0 || len > 65536)
		return SDNS_EINVAL;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return SDNS_ECERT;
	}
	*out = x;
	return SDNS_OK;
}

static int on_der(const uint8_t *der, size_t len, cert_fn fn, char *out,
                  size_t cap)
{
	X509 *x = NULL;
	int rc = parse_der(der, len, &x);
	if (rc == SDNS_OK)
		rc = fn(x, out, cap);
	X509_free(x);
	return rc;
}

int sdns_pki_spki_pin_file(const char *cert_path, char *b64, size_t cap)
{
	return on_file(cert_path, pin_of, b64, cap);
}

int sdns_pki_fingerprint_file(const char *cert_path, char *hex, size_t cap)
{
	return on_file(cert_path, fpr_of, hex, cap);
}

int sdns_pki_spki_pin_der(const uint8_t *der, size_t len, char *b64, size_t cap)
{
	return on_der(der, len, pin_of, b64, cap);
}

int sdns_pki_fingerprint_der(const uint8_t *der, size_t len, char *hex,
                             size_t cap)
{
	return on_der(der, len, fpr_of, hex, cap);
}

/* Lowercase hex without leading zeros ("0" for zero), "-" first for the
 * negative serials a foreign CA might write. */
static int serial_to_hex(X509 *x, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (!bn)
		return SDNS_ECRYPTO;
	unsigned char b[64];
	int n = BN_num_bytes(bn);
	bool neg = BN_is_negative(bn);
	int rc = n > (int)sizeof(b) ? SDNS_ECERT : SDNS_OK;
	if (rc == SDNS_OK)
		n = BN_bn2bin(bn, b);
	BN_free(bn);
	if (rc < 0)
		return rc;
	size_t o = 0;
	char hex[2 * sizeof(b) + 2];
	if (neg)
		hex[o++] = '-';
	for (int i = 0; i < n; i++) {
		if (o > (size_t)neg || b[i] >> 4)
			hex[o++] = digits[b[i] >> 4];
		if (o > (size_t)neg || b[i] & 15)
			hex[o++] = digits[b[i] & 15];
	}
	if (o == (size_t)neg)
		hex[o++] = '0';
	if (o >= cap)
		return SDNS_ESPACE;
	memcpy(out, hex, o);
	out[o] = '\0';
	return SDNS_OK;
}

int sdns_pki_serial_spki_der(const uint8_t *der, size_t len, char *serial_hex,
                             size_t serial_cap, uint8_t spki_sha256[32])
{
	if (!serial_hex || !spki_sha256)
		return SDNS_EINVAL;
	X509 *x = NULL;
	int rc = parse_der(der, len, &x);
	if (rc == SDNS_OK)
		rc = serial_to_hex(x, serial_hex, serial_cap);
	if (rc == SDNS_OK)
		rc = pki_spki_sha256(x, spki_sha256);
	X509_free(x);
	return rc;
}
