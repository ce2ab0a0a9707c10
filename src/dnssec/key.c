/* Zone keys: Ed25519 from a 32-byte seed (the zone.key file) or a public
 * key alone (a peer's trust anchor), DNSKEY RDATA and key tags. */
#include "sdns/dnssec.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "dnssec_int.h"
#include "sdns/error.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_rc;

static void sodium_start(void)
{
	sodium_rc = sodium_init() < 0 ? SDNS_ECRYPTO : SDNS_OK;
}

int dnssec_sodium_ready(void)
{
	if (pthread_once(&sodium_once, sodium_start) != 0)
		return SDNS_ECRYPTO;
	return sodium_rc;
}

static void set_tag(sdns_dnssec_key *k)
{
	uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
	sdns_dnssec_dnskey_rdata(k, rd);
	k->tag = sdns_dnssec_key_tag(rd, sizeof(rd));
}

int sdns_dnssec_key_from_seed(const uint8_t seed[32], sdns_dnssec_key *out)
{
	if (!seed || !out) return SDNS_EINVAL;
	int rc = dnssec_sodium_ready();
	if (rc) return rc;
	memset(out, 0, sizeof(*out));
	if (crypto_sign_seed_keypair(out->pub, out->sec, seed) != 0)
		return SDNS_ECRYPTO;
	out->has_secret = true;
	set_tag(out);
	return SDNS_OK;
}

int sdns_dnssec_key_from_pub(const uint8_t pub[32], sdns_dnssec_key *out)
{
	if (!pub || !out) return SDNS_EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->pub, pub, 32);
	set_tag(out);
	return SDNS_OK;
}

int sdns_dnssec_key_load(const char *seed_path, sdns_dnssec_key *out)
{
	if (!seed_path || !out) return SDNS_EINVAL;
	int fd = open(seed_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return sdns_err_from_errno(errno);
	uint8_t seed[33];
	ssize_t n = read(fd, seed, sizeof(seed));
	close(fd);
	int rc = n == 32 ? sdns_dnssec_key_from_seed(seed, out)
	       : n < 0 ? SDNS_EIO : SDNS_EMALF;
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int sdns_dnssec_key_from_b64(const char *b64, sdns_dnssec_key *out)
{
	if (!b64 || !out) return SDNS_EINVAL;
	size_t len = strlen(b64);
	while (len && (b64[len - 1] == '\n' || b64[len - 1] == '\r' ||
	               b64[len - 1] == ' ' || b64[len - 1] == '\t'))
		len--;
	uint8_t pub[33];
	size_t bin = 0;
	const char *end = NULL;
	if (dnssec_sodium_ready() ||
	    sodium_base642bin(pub, sizeof(pub), b64, len, NULL, &bin, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + len || bin != 32)
		return SDNS_ESYNTAX;
	return sdns_dnssec_key_from_pub(pub, out);
}

int sdns_dnssec_key_from_dnskey(const uint8_t *rdata, size_t len,
                                sdns_dnssec_key *out)
{
	if (!rdata || !out) return SDNS_EINVAL;
	if (len != SDNS_DNSSEC_DNSKEY_LEN || rdata[2] != 3 ||
	    rdata[3] != SDNS_DNSSEC_ALG_ED25519)
		return SDNS_ETYPE;
	return sdns_dnssec_key_from_pub(rdata + 4, out);
}

void sdns_dnssec_dnskey_rdata(const sdns_dnssec_key *k,
                              uint8_t out[SDNS_DNSSEC_DNSKEY_LEN])
{
	out[0] = SDNS_DNSSEC_FLAGS_CSK >> 8;
	out[1] = SDNS_DNSSEC_FLAGS_CSK & 0xff;
	out[2] = 3;
	out[3] = SDNS_DNSSEC_ALG_ED25519;
	memcpy(out + 4, k->pub, 32);
}

uint16_t sdns_dnssec_key_tag(const uint8_t *rd, size_t len)
{
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

void sdns_dnssec_key_clear(sdns_dnssec_key *k)
{
	if (!k) return;
	sodium_memzero(k->sec, sizeof(k->sec));
	k->has_secret = false;
}

void sdns_dnssec_window_at(uint32_t now, uint32_t validity_s,
                           sdns_dnssec_window *w)
{
	w->inception = now - 3600u;
	w->expiration = now + validity_s;
}

bool sdns_dnssec_window_holds(uint32_t inception, uint32_t expiration,
                              uint32_t now)
{
	/* Serial arithmetic: differences as signed 32-bit values. */
	return (int32_t)(now - inception) >= 0 &&
	       (int32_t)(expiration - now) >= 0;
}
