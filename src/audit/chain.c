/* The hash chain: building the hashed entry, BLAKE2b-256 over its
 * canonical form and the previous hash, Ed25519 signatures of the hash. */
#include "sdns/audit.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit_int.h"
#include "sdns/error.h"

/* A NULL string becomes JSON null (a refused caller may have no identity). */
static int set_str(json_t *o, const char *key, const char *s)
{
	json_t *v = s ? json_string(s) : json_null();
	return json_object_set_new(o, key, v);
}

static int set_json(json_t *o, const char *key, json_t *v)
{
	return json_object_set(o, key, v ? v : json_null());
}

json_t *sdns_audit_entry(int64_t id, const char *ts, const char *actor,
                         const char *actor_fp, const char *action,
                         const char *object, json_t *before, json_t *after,
                         const uint8_t prev[SDNS_AUDIT_HASH_LEN])
{
	if (!ts || !action || !object || !prev)
		return NULL;
	char hex[2 * SDNS_AUDIT_HASH_LEN + 1];
	sdns_audit_hex(prev, SDNS_AUDIT_HASH_LEN, hex);
	json_t *o = json_object();
	if (!o || json_object_set_new(o, "id", json_integer(id)) ||
	    set_str(o, "ts", ts) || set_str(o, "actor", actor) ||
	    set_str(o, "actor_fp", actor_fp) || set_str(o, "action", action) ||
	    set_str(o, "object", object) || set_json(o, "before", before) ||
	    set_json(o, "after", after) || set_str(o, "prev_hash", hex)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sdns_audit_hash(const json_t *entry, const uint8_t prev[SDNS_AUDIT_HASH_LEN],
                    uint8_t out[SDNS_AUDIT_HASH_LEN])
{
	if (!entry || !prev || !out)
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	char *c = NULL;
	size_t len = 0;
	rc = sdns_audit_canonical(entry, &c, &len);
	if (rc < 0)
		return rc;
	crypto_generichash_state st;
	if (crypto_generichash_init(&st, NULL, 0, SDNS_AUDIT_HASH_LEN) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)c, len) != 0 ||
	    crypto_generichash_update(&st, prev, SDNS_AUDIT_HASH_LEN) != 0 ||
	    crypto_generichash_final(&st, out, SDNS_AUDIT_HASH_LEN) != 0)
		rc = SDNS_ECRYPTO;
	free(c);
	return rc;
}

int sdns_audit_sign(const sdns_audit_key *k,
                    const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                    uint8_t sig[SDNS_AUDIT_SIG_LEN])
{
	if (!k || !hash || !sig)
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	return crypto_sign_detached(sig, NULL, hash, SDNS_AUDIT_HASH_LEN, k->sec)
	               == 0 ? SDNS_OK : SDNS_ECRYPTO;
}

int sdns_audit_verify_sig(const uint8_t pub[SDNS_AUDIT_PUB_LEN],
                          const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                          const uint8_t sig[SDNS_AUDIT_SIG_LEN])
{
	if (!pub || !hash || !sig)
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	return crypto_sign_verify_detached(sig, hash, SDNS_AUDIT_HASH_LEN, pub)
	               == 0 ? SDNS_OK : SDNS_ECRYPTO;
}

void sdns_audit_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sdns_audit_unhex(const char *hex, uint8_t *out, size_t n)
{
	if (!hex || !out || strlen(hex) != 2 * n)
		return SDNS_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SDNS_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return SDNS_OK;
}
