/* Signing a whole zone: a new build of its records with our DNSKEY at the
 * apex and the signer hook (src/dnssec/signer.c) making one RRSIG per
 * authoritative RRset; RRSIGs already in the zone are dropped, so signing
 * a signed zone renews it. */
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/rr.h"

typedef struct {
	sdns_zbuild *b;
	uint32_t soa_ttl;
	bool has_key;
	uint32_t min_exp;
	bool any_sig;
} sign_ctx;

static int copy_set(void *ctx, const sdns_name *owner, const sdns_rrset *set,
                    bool auth)
{
	(void)auth;
	sign_ctx *c = ctx;
	if (set->type == SDNS_T_SOA) c->soa_ttl = set->ttl;
	sdns_rr rr;
	rr.owner = *owner;
	rr.type = set->type;
	rr.rclass = SDNS_C_IN;
	rr.ttl = set->ttl;
	for (uint16_t i = 0; i < set->count; i++) {
		rr.rdlen = set->rdlen[i];
		rr.rdata = set->rdata[i];
		int rc = sdns_zbuild_add(c->b, &rr);
		if (rc) return rc;
	}
	return SDNS_OK;
}

int sdns_dnssec_sign_zone_with(const sdns_zone *z, const sdns_dnssec_signer *s,
                               unsigned threads, sdns_zone **out)
{
	if (!z || !s || !s->key || !out) return SDNS_EINVAL;
	if (!s->key->has_secret) return SDNS_EINVAL;
	const sdns_name *apex = sdns_zone_apex(z);
	sign_ctx c;
	memset(&c, 0, sizeof(c));
	c.b = sdns_zbuild_new(apex);
	if (!c.b) return SDNS_ENOMEM;
	int rc = sdns_zone_walk(z, copy_set, &c);
	if (!rc) {
		uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
		sdns_rr key;
		sdns_dnssec_dnskey_rr(s->key, apex, c.soa_ttl ? c.soa_ttl
		                                              : SDNS_ZONE_DEFAULT_TTL,
		                      rd, &key);
		rc = sdns_zbuild_add(c.b, &key);
	}
	if (rc) {
		sdns_zbuild_free(c.b);
		return rc;
	}
	sdns_dnssec_signer sg = *s;
	sg.apex = apex;
	sdns_zone_signer hook;
	sdns_dnssec_signer_hook(&sg, &hook);
	sdns_zone_opts o = { .signer = &hook, .threads = threads };
	memcpy(o.seed, sdns_zone_seed(z), sizeof(o.seed));
	sdns_zbuild_set_opts(c.b, &o);
	return sdns_zbuild_finish(c.b, out, NULL, 0);
}

int sdns_dnssec_sign_zone(const sdns_zone *z, const sdns_dnssec_key *k,
                          const sdns_dnssec_window *w, sdns_zone **out)
{
	if (!z || !k || !w || !out) return SDNS_EINVAL;
	/* inception = now - 3600 gives back w exactly. */
	uint32_t now = w->inception + 3600u;
	sdns_dnssec_signer s = { k, sdns_zone_apex(z), now, w->expiration - now,
	                         0, false, NULL };
	return sdns_dnssec_sign_zone_with(z, &s, 1, out);
}

static int min_expiry(void *ctx, const sdns_name *owner,
                      const sdns_rrset *set, bool auth)
{
	(void)owner;
	(void)auth;
	sign_ctx *c = ctx;
	if (set->type != SDNS_T_RRSIG) return SDNS_OK;
	for (uint16_t i = 0; i < set->count; i++) {
		if (set->rdlen[i] < RRSIG_FIXED) continue;
		const uint8_t *p = set->rdata[i] + 8;
		uint32_t e = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		             (uint32_t)p[2] << 8 | p[3];
		if (!c->any_sig || (int32_t)(e - c->min_exp) < 0) c->min_exp = e;
		c->any_sig = true;
	}
	return SDNS_OK;
}

uint32_t sdns_dnssec_zone_expiry(const sdns_zone *z)
{
	sign_ctx c;
	memset(&c, 0, sizeof(c));
	if (z) sdns_zone_walk(z, min_expiry, &c);
	return c.any_sig ? c.min_exp : 0;
}
