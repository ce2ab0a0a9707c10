/* Zone signing: copy the zone, add our DNSKEY at the apex, then one RRSIG
 * per authoritative RRset. Two builds: the DNSKEY RRset must exist (and be
 * merged with any already there) before it can be signed. */
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/rr.h"

typedef struct {
	sdns_zbuild *b;
	const sdns_dnssec_key *k;
	const sdns_dnssec_window *w;
	const sdns_name *apex;
	uint32_t soa_ttl;
	uint32_t min_exp;
	bool any_sig;
} sign_ctx;

static int add_set(sdns_zbuild *b, const sdns_name *owner,
                   const sdns_rrset *set)
{
	sdns_rr rr;
	rr.owner = *owner;
	rr.type = set->type;
	rr.rclass = SDNS_C_IN;
	rr.ttl = set->ttl;
	for (uint16_t i = 0; i < set->count; i++) {
		rr.rdlen = set->rdlen[i];
		rr.rdata = set->rdata[i];
		int rc = sdns_zbuild_add(b, &rr);
		if (rc) return rc;
	}
	return SDNS_OK;
}

/* Pass 1: everything but old signatures. */
static int copy_unsigned(void *ctx, const sdns_name *owner,
                         const sdns_rrset *set, bool auth)
{
	(void)auth;
	sign_ctx *c = ctx;
	if (set->type == SDNS_T_SOA) c->soa_ttl = set->ttl;
	return set->type == SDNS_T_RRSIG ? SDNS_OK : add_set(c->b, owner, set);
}

/* Pass 2: the data and, for authoritative RRsets, their RRSIG. */
static int copy_signed(void *ctx, const sdns_name *owner,
                       const sdns_rrset *set, bool auth)
{
	sign_ctx *c = ctx;
	int rc = add_set(c->b, owner, set);
	if (rc || !auth || set->type == SDNS_T_RRSIG) return rc;
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	rc = sdns_dnssec_sign_rrset(c->k, c->apex, c->w, owner, set, sig,
	                            sizeof(sig), &len);
	if (rc) return rc;
	sdns_rr rr;
	rr.owner = *owner;
	rr.type = SDNS_T_RRSIG;
	rr.rclass = SDNS_C_IN;
	rr.ttl = set->ttl;
	rr.rdlen = (uint16_t)len;
	rr.rdata = sig;
	return sdns_zbuild_add(c->b, &rr);
}

static int add_dnskey(sign_ctx *c)
{
	uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
	sdns_dnssec_dnskey_rdata(c->k, rd);
	sdns_rr rr;
	rr.owner = *c->apex;
	rr.type = SDNS_T_DNSKEY;
	rr.rclass = SDNS_C_IN;
	rr.ttl = c->soa_ttl ? c->soa_ttl : SDNS_ZONE_DEFAULT_TTL;
	rr.rdlen = sizeof(rd);
	rr.rdata = rd;
	return sdns_zbuild_add(c->b, &rr);
}

static int build(const sdns_zone *z, sign_ctx *c, sdns_zone_walk_fn fn,
                 bool dnskey, sdns_zone **out)
{
	c->b = sdns_zbuild_new(c->apex);
	if (!c->b) return SDNS_ENOMEM;
	int rc = sdns_zone_walk(z, fn, c);
	if (!rc && dnskey) rc = add_dnskey(c);
	if (rc) {
		sdns_zbuild_free(c->b);
		return rc;
	}
	return sdns_zbuild_finish(c->b, out, NULL, 0);
}

int sdns_dnssec_sign_zone(const sdns_zone *z, const sdns_dnssec_key *k,
                          const sdns_dnssec_window *w, sdns_zone **out)
{
	if (!z || !k || !w || !out) return SDNS_EINVAL;
	if (!k->has_secret) return SDNS_EINVAL;
	sign_ctx c;
	memset(&c, 0, sizeof(c));
	c.k = k;
	c.w = w;
	c.apex = sdns_zone_apex(z);
	sdns_zone *tmp = NULL;
	int rc = build(z, &c, copy_unsigned, true, &tmp);
	if (rc) return rc;
	rc = build(tmp, &c, copy_signed, false, out);
	sdns_zone_free(tmp);
	return rc;
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
