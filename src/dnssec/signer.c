/* Signing as zones change: the hook that zone builds and edits call for
 * each authoritative RRset they lay out, reuse of signatures that are still
 * good, and the pure decisions of background re-signing (which signature is
 * due, which names of a slice of the zone need one). */
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/rr.h"

uint32_t sdns_dnssec_signer_refresh(const sdns_dnssec_signer *s)
{
	return s->refresh ? s->refresh : s->validity / 4;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

bool sdns_dnssec_rrsig_due(const uint8_t *rrsig, size_t len, uint32_t now,
                           uint32_t refresh)
{
	if (!rrsig || len < RRSIG_FIXED) return true;
	uint32_t exp = be32(rrsig + 8), inc = be32(rrsig + 12);
	/* RFC 4034 §3.1.5 serial arithmetic, as the validators use it. */
	return (int32_t)(exp - now) < (int32_t)refresh || (int32_t)(now - inc) < 0;
}

static bool same_set(const sdns_rrset *a, const sdns_rrset *b)
{
	if (a->type != b->type || a->ttl != b->ttl || a->count != b->count)
		return false;
	for (uint16_t i = 0; i < a->count; i++)
		if (a->rdlen[i] != b->rdlen[i] ||
		    memcmp(a->rdata[i], b->rdata[i], a->rdlen[i]))
			return false;
	return true;
}

/* An RRSIG in base's signatures at owner for set, ours and not due. */
static bool reuse(const sdns_dnssec_signer *s, const sdns_name *owner,
                  const sdns_rrset *set, uint8_t *out, size_t cap,
                  size_t *len)
{
	const sdns_rrset *old = sdns_zone_find(s->base, owner, set->type);
	if (!old || !same_set(old, set)) return false;
	const sdns_rrset *sigs = sdns_zone_find(s->base, owner, SDNS_T_RRSIG);
	uint32_t refresh = sdns_dnssec_signer_refresh(s);
	for (uint16_t i = 0; sigs && i < sigs->count; i++) {
		const uint8_t *rd = sigs->rdata[i];
		size_t n = sigs->rdlen[i];
		if (n < (size_t)RRSIG_FIXED + s->apex->len || n > cap) continue;
		if ((uint16_t)(rd[0] << 8 | rd[1]) != set->type ||
		    rd[2] != SDNS_DNSSEC_ALG_ED25519 || be32(rd + 4) != set->ttl ||
		    (uint16_t)(rd[16] << 8 | rd[17]) != s->key->tag)
			continue;
		sdns_name signer;
		signer.len = s->apex->len;
		memcpy(signer.data, rd + RRSIG_FIXED, signer.len);
		if (!sdns_name_eq_ci(&signer, s->apex) ||
		    sdns_dnssec_rrsig_due(rd, n, s->now, refresh))
			continue;
		memcpy(out, rd, n);
		*len = n;
		return true;
	}
	return false;
}

/* A fixed share of the last eighth of the validity for (owner, type). */
static uint32_t jitter_of(const sdns_name *owner, uint16_t type,
                          uint32_t span)
{
	sdns_name low = *owner;
	sdns_name_lower(&low);
	uint64_t h = sdns_name_hash_ci(&low) ^ type;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return span ? (uint32_t)(h % span) : 0;
}

static int sign_cb(void *ctx, const sdns_name *owner, const sdns_rrset *set,
                   uint8_t *out, size_t cap, size_t *len)
{
	const sdns_dnssec_signer *s = ctx;
	if (s->base && reuse(s, owner, set, out, cap, len)) return SDNS_OK;
	uint32_t validity = s->validity;
	if (s->jitter) validity -= jitter_of(owner, set->type, validity / 8);
	sdns_dnssec_window w;
	sdns_dnssec_window_at(s->now, validity, &w);
	return sdns_dnssec_sign_rrset(s->key, s->apex, &w, owner, set, out, cap,
	                              len);
}

void sdns_dnssec_signer_hook(const sdns_dnssec_signer *s,
                             sdns_zone_signer *out)
{
	out->sign = sign_cb;
	out->ctx = (void *)s;
}

typedef struct {
	uint32_t now, refresh;
	void (*fn)(void *ctx, const sdns_name *owner);
	void *ctx;
	size_t found;
} due_ctx;

static int due_name(void *ctx, const sdns_name *owner, const sdns_rrset *sets,
                    size_t n)
{
	due_ctx *d = ctx;
	for (size_t i = 0; i < n; i++) {
		if (sets[i].type != SDNS_T_RRSIG) continue;
		for (uint16_t j = 0; j < sets[i].count; j++) {
			if (!sdns_dnssec_rrsig_due(sets[i].rdata[j], sets[i].rdlen[j],
			                           d->now, d->refresh))
				continue;
			d->fn(d->ctx, owner);
			d->found++;
			return 0;
		}
	}
	return 0;
}

size_t sdns_dnssec_due_names(const sdns_zone *z, size_t *cursor,
                             size_t n_shards, size_t budget, uint32_t now,
                             uint32_t refresh,
                             void (*fn)(void *ctx, const sdns_name *owner),
                             void *ctx)
{
	if (!z || !cursor || !fn) return 0;
	due_ctx d = { now, refresh, fn, ctx, 0 };
	for (size_t k = 0; k < n_shards && d.found < budget; k++)
		sdns_zone_walk_slice(z, cursor, 1, due_name, &d);
	return d.found;
}

typedef struct {
	sdns_zedit *e;
	int rc;
} touch_ctx;

static void touch(void *ctx, const sdns_name *owner)
{
	touch_ctx *t = ctx;
	if (t->rc == SDNS_OK) t->rc = sdns_zedit_touch(t->e, owner);
}

int sdns_dnssec_renew(const sdns_zone *z, const sdns_dnssec_signer *s,
                      const sdns_zone_opts *opts, size_t *cursor,
                      size_t n_shards, size_t budget, sdns_zone **out,
                      size_t *renewed)
{
	*out = NULL;
	if (renewed) *renewed = 0;
	if (!z || !s || !cursor) return SDNS_EINVAL;
	sdns_zone_signer hook;
	sdns_dnssec_signer_hook(s, &hook);
	sdns_zone_opts o = opts ? *opts : (sdns_zone_opts){ 0 };
	o.signer = &hook;
	touch_ctx t = { sdns_zedit_new(z, &o), SDNS_OK };
	if (!t.e) return SDNS_ENOMEM;
	size_t n = sdns_dnssec_due_names(z, cursor, n_shards, budget, s->now,
	                                 sdns_dnssec_signer_refresh(s), touch, &t);
	if (!n || t.rc) {
		sdns_zedit_free(t.e);
		return t.rc;
	}
	int rc = sdns_zedit_finish(t.e, out, NULL, 0);
	if (rc == SDNS_OK && renewed) *renewed = n;
	return rc;
}

void sdns_dnssec_dnskey_rr(const sdns_dnssec_key *k, const sdns_name *apex,
                           uint32_t ttl, uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN],
                           sdns_rr *out)
{
	sdns_dnssec_dnskey_rdata(k, rd);
	memset(out, 0, sizeof(*out));
	out->owner = *apex;
	out->type = SDNS_T_DNSKEY;
	out->rclass = SDNS_C_IN;
	out->ttl = ttl;
	out->rdlen = SDNS_DNSSEC_DNSKEY_LEN;
	out->rdata = rd;
}
