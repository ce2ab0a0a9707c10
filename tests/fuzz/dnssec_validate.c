/* Fuzz sdns_dnssec_validate_msg: every input is a response from the owner
 * of example. The fuzz build links neither src/dnssec nor libsodium, so the
 * module is compiled in here with a stand-in for the crypto: a signature
 * "verifies" when its first octet equals the key's, which lets the fuzzer
 * get past the signature checks into the denial-proof logic (the real
 * Ed25519 path is covered by tests/dnssec.c). Checks: no crash, no leak,
 * a result code from the contract and a NUL-terminated reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../src/dnssec/canon.c"
#include "../../src/dnssec/key.c"
#include "../../src/dnssec/nsec.c"
#include "../../src/dnssec/rrsig.c"
#include "../../src/dnssec/validate.c"

int sodium_init(void) { return 0; }

void sodium_memzero(void *const p, const size_t n) { memset(p, 0, n); }

int crypto_sign_seed_keypair(unsigned char *pk, unsigned char *sk,
                             const unsigned char *seed)
{
	memcpy(pk, seed, 32);
	memcpy(sk, seed, 32);
	memcpy(sk + 32, seed, 32);
	return 0;
}

int crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
                         const unsigned char *m, unsigned long long mlen,
                         const unsigned char *sk)
{
	(void)m, (void)mlen;
	memset(sig, 0, 64);
	sig[0] = sk[32];
	if (siglen) *siglen = 64;
	return 0;
}

int crypto_sign_verify_detached(const unsigned char *sig,
                                const unsigned char *m,
                                unsigned long long mlen,
                                const unsigned char *pk)
{
	(void)m, (void)mlen;
	return sig[0] == pk[0] ? 0 : -1;
}

int sodium_base642bin(unsigned char *const bin, const size_t bin_maxlen,
                      const char *const b64, const size_t b64_len,
                      const char *const ignore, size_t *const bin_len,
                      const char **const b64_end, const int variant)
{
	(void)bin, (void)bin_maxlen, (void)b64, (void)b64_len, (void)ignore;
	(void)bin_len, (void)b64_end, (void)variant;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sdns_dnssec_key key;
	static sdns_name apex;
	if (!apex.len) {
		uint8_t pub[32];
		memset(pub, 0x11, sizeof(pub));
		sdns_dnssec_key_from_pub(pub, &key);
		if (sdns_name_from_str(&apex, "example.", 8, NULL)) abort();
	}
	char why[128];
	memset(why, 'x', sizeof(why));
	int rc = sdns_dnssec_validate_msg(&key, &apex, data, size, 1700000000u,
	                                  why, sizeof(why));
	if (rc != SDNS_OK && rc != SDNS_EBOGUS && rc != SDNS_EMALF &&
	    rc != SDNS_ENOMEM)
		abort();
	if (!memchr(why, '\0', sizeof(why))) abort();
	return 0;
}
