/* Signed checkpoints of the chain head, in JSON (files, the API) and as
 * TXT RDATA (published to mesh peers over DoQ), and the rule that a
 * chain's head never goes back. */
#include "sdns/audithead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit_int.h"
#include "sdns/error.h"

#define HEAD_TAG "sdns-audit-head-v1"

/* tag NUL id(8) hash(32) ts */
static size_t head_msg(const sdns_audit_head *h, uint8_t *m)
{
	size_t n = sizeof HEAD_TAG; /* with the NUL */
	memcpy(m, HEAD_TAG, n);
	uint64_t id = (uint64_t)h->id;
	for (int i = 7; i >= 0; i--)
		m[n++] = (uint8_t)(id >> (8 * i));
	memcpy(m + n, h->hash, SDNS_AUDIT_HASH_LEN);
	n += SDNS_AUDIT_HASH_LEN;
	size_t tl = strlen(h->ts);
	memcpy(m + n, h->ts, tl);
	return n + tl;
}

#define HEAD_MSG_MAX (sizeof HEAD_TAG + 8 + SDNS_AUDIT_HASH_LEN + SDNS_AUDIT_TS_MAX)

static bool ts_ok(const char *ts)
{
	size_t n = ts ? strlen(ts) : 0;
	if (n == 0 || n >= SDNS_AUDIT_TS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ts[i] <= ' ' || ts[i] > '~')
			return false;
	return true;
}

int sdns_audit_head_sign(const sdns_audit_key *k, int64_t id,
                         const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                         const char *ts, sdns_audit_head *h)
{
	if (!k || !hash || !h || id < 0 || !ts_ok(ts))
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	memset(h, 0, sizeof *h);
	h->id = id;
	memcpy(h->hash, hash, SDNS_AUDIT_HASH_LEN);
	snprintf(h->ts, sizeof h->ts, "%s", ts);
	memcpy(h->pub, k->pub, SDNS_AUDIT_PUB_LEN);
	uint8_t m[HEAD_MSG_MAX];
	size_t n = head_msg(h, m);
	return crypto_sign_detached(h->sig, NULL, m, n, k->sec) == 0
	               ? SDNS_OK : SDNS_ECRYPTO;
}

int sdns_audit_head_verify(const sdns_audit_head *h)
{
	if (!h || h->id < 0 || !ts_ok(h->ts))
		return SDNS_EINVAL;
	int rc = audit_sodium_ready();
	if (rc < 0)
		return rc;
	uint8_t m[HEAD_MSG_MAX];
	size_t n = head_msg(h, m);
	return crypto_sign_verify_detached(h->sig, m, n, h->pub) == 0
	               ? SDNS_OK : SDNS_ECRYPTO;
}

json_t *sdns_audit_head_to_json(const sdns_audit_head *h)
{
	char hash[2 * SDNS_AUDIT_HASH_LEN + 1], pub[2 * SDNS_AUDIT_PUB_LEN + 1];
	char sig[2 * SDNS_AUDIT_SIG_LEN + 1];
	sdns_audit_hex(h->hash, SDNS_AUDIT_HASH_LEN, hash);
	sdns_audit_hex(h->pub, SDNS_AUDIT_PUB_LEN, pub);
	sdns_audit_hex(h->sig, SDNS_AUDIT_SIG_LEN, sig);
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)h->id,
	                 "hash", hash, "ts", h->ts, "signer_pub", pub, "sig", sig);
}

int sdns_audit_head_from_json(const json_t *j, sdns_audit_head *h)
{
	if (!j || !h)
		return SDNS_EINVAL;
	memset(h, 0, sizeof *h);
	json_t *id = json_object_get(j, "id");
	const char *hash = json_string_value(json_object_get(j, "hash"));
	const char *ts = json_string_value(json_object_get(j, "ts"));
	const char *pub = json_string_value(json_object_get(j, "signer_pub"));
	const char *sig = json_string_value(json_object_get(j, "sig"));
	if (!json_is_object(j) || json_object_size(j) != 5 ||
	    !json_is_integer(id) || json_integer_value(id) < 0 || !ts_ok(ts) ||
	    sdns_audit_unhex(hash, h->hash, SDNS_AUDIT_HASH_LEN) ||
	    sdns_audit_unhex(pub, h->pub, SDNS_AUDIT_PUB_LEN) ||
	    sdns_audit_unhex(sig, h->sig, SDNS_AUDIT_SIG_LEN))
		return SDNS_EMALF;
	h->id = (int64_t)json_integer_value(id);
	snprintf(h->ts, sizeof h->ts, "%s", ts);
	return SDNS_OK;
}

static int put_str(uint8_t *rd, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (n > 255 || cap - *len < n + 1)
		return SDNS_ESPACE;
	rd[(*len)++] = (uint8_t)n;
	memcpy(rd + *len, s, n);
	*len += n;
	return SDNS_OK;
}

int sdns_audit_head_to_txt(const sdns_audit_head *h, uint8_t *rdata,
                           size_t cap, size_t *len)
{
	if (!h || !rdata || !len)
		return SDNS_EINVAL;
	char s[6][2 * SDNS_AUDIT_SIG_LEN + 8];
	char hex[2 * SDNS_AUDIT_SIG_LEN + 1];
	snprintf(s[0], sizeof s[0], "v=1");
	snprintf(s[1], sizeof s[1], "id=%lld", (long long)h->id);
	sdns_audit_hex(h->hash, SDNS_AUDIT_HASH_LEN, hex);
	snprintf(s[2], sizeof s[2], "hash=%s", hex);
	snprintf(s[3], sizeof s[3], "ts=%s", h->ts);
	sdns_audit_hex(h->pub, SDNS_AUDIT_PUB_LEN, hex);
	snprintf(s[4], sizeof s[4], "pub=%s", hex);
	sdns_audit_hex(h->sig, SDNS_AUDIT_SIG_LEN, hex);
	snprintf(s[5], sizeof s[5], "sig=%s", hex);
	*len = 0;
	for (int i = 0; i < 6; i++) {
		int rc = put_str(rdata, cap, len, s[i]);
		if (rc)
			return rc;
	}
	return SDNS_OK;
}

/* One "key=value" string of the TXT into h; *seen gets its bit. */
static int txt_field(const char *s, sdns_audit_head *h, unsigned *seen)
{
	static const char *const keys[] = { "v=", "id=", "hash=", "ts=",
	                                    "pub=", "sig=" };
	for (unsigned k = 0; k < 6; k++) {
		size_t kl = strlen(keys[k]);
		if (strncmp(s, keys[k], kl) != 0)
			continue;
		if (*seen & (1u << k))
			return SDNS_EMALF;
		*seen |= 1u << k;
		const char *v = s + kl;
		char *end = NULL;
		long long id;
		switch (k) {
		case 0: return strcmp(v, "1") == 0 ? SDNS_OK : SDNS_EMALF;
		case 1:
			if (*v < '0' || *v > '9')
				return SDNS_EMALF;
			id = strtoll(v, &end, 10);
			if (*end || id < 0 || strlen(v) > 18)
				return SDNS_EMALF;
			h->id = id;
			return SDNS_OK;
		case 2:
			return sdns_audit_unhex(v, h->hash, SDNS_AUDIT_HASH_LEN)
			               ? SDNS_EMALF : SDNS_OK;
		case 3:
			if (!ts_ok(v))
				return SDNS_EMALF;
			snprintf(h->ts, sizeof h->ts, "%s", v);
			return SDNS_OK;
		case 4:
			return sdns_audit_unhex(v, h->pub, SDNS_AUDIT_PUB_LEN)
			               ? SDNS_EMALF : SDNS_OK;
		default:
			return sdns_audit_unhex(v, h->sig, SDNS_AUDIT_SIG_LEN)
			               ? SDNS_EMALF : SDNS_OK;
		}
	}
	return SDNS_EMALF;
}

int sdns_audit_head_from_txt(const uint8_t *rdata, size_t len,
                             sdns_audit_head *h)
{
	if (!rdata || !h)
		return SDNS_EINVAL;
	memset(h, 0, sizeof *h);
	unsigned seen = 0;
	size_t off = 0;
	while (off < len) {
		size_t n = rdata[off++];
		if (n > len - off)
			return SDNS_EMALF;
		char s[256];
		memcpy(s, rdata + off, n);
		s[n] = '\0';
		if (memchr(s, '\0', n))
			return SDNS_EMALF;
		off += n;
		int rc = txt_field(s, h, &seen);
		if (rc)
			return rc;
	}
	return seen == 0x3f ? SDNS_OK : SDNS_EMALF;
}

sdns_audit_head_order sdns_audit_head_compare(const sdns_audit_head *seen,
                                              const sdns_audit_head *got)
{
	if (got->id < seen->id)
		return SDNS_AUDIT_HEAD_SHORTER;
	if (got->id > seen->id)
		return SDNS_AUDIT_HEAD_NEWER;
	return memcmp(got->hash, seen->hash, SDNS_AUDIT_HASH_LEN) == 0
	               ? SDNS_AUDIT_HEAD_SAME : SDNS_AUDIT_HEAD_FORKED;
}

const char *sdns_audit_head_order_str(sdns_audit_head_order o)
{
	static const char *const s[] = { "same", "newer", "shorter", "forked" };
	return (unsigned)o < 4 ? s[o] : "unknown";
}
