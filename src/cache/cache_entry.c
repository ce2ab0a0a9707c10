/* Turning a response into a cache entry: policy (what may be cached and for
 * how long, RFC 2308) and the offsets of the TTL fields so that a hit only
 * patches bytes and never parses. */
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "sdns/buf.h"
#include "sdns/error.h"
#include "sdns/msg.h"

#define NS_PER_S 1000000000ull

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Negative lifetime: min(SOA TTL, MINIMUM) of the first SOA in authority;
 * false when there is none (RFC 2308 §5: then do not cache). */
static bool neg_ttl(const sdns_msg *m, uint32_t *out)
{
	for (uint16_t i = 0; i < m->count[SDNS_SEC_NS]; i++) {
		const sdns_rr *rr = sdns_msg_rr(m, SDNS_SEC_NS, i);
		if (rr->type != SDNS_T_SOA || rr->rdlen < 20) continue;
		const uint8_t *p = rr->rdata + rr->rdlen - 4;
		uint32_t min = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		               (uint32_t)p[2] << 8 | p[3];
		*out = rr->ttl < min ? rr->ttl : min;
		return true;
	}
	return false;
}

/* Lifetime by policy; 0 = not cached. */
static uint32_t lifetime(const sdns_cache_conf *conf, const sdns_msg *m)
{
	uint16_t f = m->flags;
	if (!(f & SDNS_F_QR) || (f & SDNS_F_TC) ||
	    SDNS_OPCODE(f) != SDNS_OP_QUERY || m->edns.ext_rcode != 0 ||
	    m->qdcount != 1)
		return 0;
	uint32_t t;
	switch (SDNS_RCODE(f)) {
	case SDNS_RC_SERVFAIL:
		return conf->servfail_ttl;
	case SDNS_RC_NXDOMAIN:
		if (!neg_ttl(m, &t)) return 0;
		return clamp(t, conf->min_ttl, conf->neg_max_ttl);
	case SDNS_RC_NOERROR:
		if (m->count[SDNS_SEC_AN] == 0) {
			if (!neg_ttl(m, &t)) return 0;
			return clamp(t, conf->min_ttl, conf->neg_max_ttl);
		}
		t = UINT32_MAX;
		for (uint16_t i = 0; i < m->count[SDNS_SEC_AN]; i++) {
			uint32_t r = sdns_msg_rr(m, SDNS_SEC_AN, i)->ttl;
			if (r < t) t = r;
		}
		return clamp(t, conf->min_ttl, conf->max_ttl);
	default:
		return 0;
	}
}

/* Walk the records (already validated by sdns_msg_parse) and note where each
 * TTL sits; OPT's "TTL" is flags, not a TTL, and is left alone. */
static int find_ttls(const uint8_t *wire, size_t len, uint16_t *off,
                     size_t *n)
{
	sdns_rd r;
	sdns_name nm;
	uint16_t qd, an, ns, ar, type, rdlen;
	const uint8_t *skip;
	sdns_rd_init(&r, wire, len);
	r.p += 4;
	if (sdns_rd_u16(&r, &qd) || sdns_rd_u16(&r, &an) ||
	    sdns_rd_u16(&r, &ns) || sdns_rd_u16(&r, &ar))
		return SDNS_EMALF;
	for (uint16_t i = 0; i < qd; i++)
		if (sdns_name_unpack(&r, &nm) || sdns_rd_take(&r, 4, &skip))
			return SDNS_EMALF;
	size_t total = (size_t)an + ns + ar, k = 0;
	for (size_t i = 0; i < total; i++) {
		if (sdns_name_unpack(&r, &nm) || sdns_rd_u16(&r, &type) ||
		    sdns_rd_take(&r, 2, &skip))
			return SDNS_EMALF;
		if (type != SDNS_T_OPT) off[k++] = (uint16_t)sdns_rd_off(&r);
		if (sdns_rd_take(&r, 4, &skip) || sdns_rd_u16(&r, &rdlen) ||
		    sdns_rd_take(&r, rdlen, &skip))
			return SDNS_EMALF;
	}
	*n = k;
	return SDNS_OK;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The question must sit uncompressed at offset 12 so a hit can overwrite it
 * with the query's bytes. */
static bool question_plain(const uint8_t *wire, size_t len, const sdns_msg *m)
{
	return len >= SDNS_HDR_LEN + (size_t)m->qname.len &&
	       memcmp(wire + SDNS_HDR_LEN, m->qname.data, m->qname.len) == 0;
}

static sdns_centry *alloc_entry(const sdns_msg *m, size_t nttl, size_t len)
{
	size_t sz = sizeof(sdns_centry) + nttl * (sizeof(uint32_t) + 2) +
	            m->qname.len + len;
	sdns_centry *e = calloc(1, sz);
	if (!e) return NULL;
	e->size = sz;
	e->ttl = (uint32_t *)(e + 1);
	e->ttl_off = (uint16_t *)(e->ttl + nttl);
	e->name = (uint8_t *)(e->ttl_off + nttl);
	e->wire = e->name + m->qname.len;
	e->nttl = (uint16_t)nttl;
	e->wire_len = (uint16_t)len;
	e->name_len = m->qname.len;
	e->qtype = m->qtype;
	e->qclass = m->qclass;
	return e;
}

static int fill_entry(const sdns_cache_conf *conf, bool do_bit,
                      const uint8_t *resp, size_t len, uint64_t now_ns,
                      const sdns_msg *m, sdns_centry **out)
{
	uint32_t life = lifetime(conf, m);
	if (life == 0 || !question_plain(resp, len, m)) return SDNS_OK;
	size_t total = (size_t)m->count[0] + m->count[1] + m->count[2] + 1;
	uint16_t *off = malloc(total * sizeof(*off));
	if (!off) return SDNS_ENOMEM;
	size_t n = 0;
	int rc = find_ttls(resp, len, off, &n);
	sdns_centry *e = rc ? NULL : alloc_entry(m, n, len);
	if (!rc && !e) rc = SDNS_ENOMEM;
	if (rc) {
		free(off);
		return rc;
	}
	memcpy(e->wire, resp, len);
	bool neg = SDNS_RCODE(m->flags) != SDNS_RC_NOERROR ||
	           m->count[SDNS_SEC_AN] == 0;
	uint32_t hi = neg ? life : conf->max_ttl;
	for (size_t i = 0; i < n; i++) {
		e->ttl_off[i] = off[i];
		e->ttl[i] = clamp(get32(resp + off[i]), conf->min_ttl, hi);
	}
	free(off);
	sdns_cache_lower(m->qname.data, m->qname.len, e->name);
	e->do_bit = do_bit;
	e->hash = sdns_cache_key_hash(e->name, e->name_len, e->qtype, e->qclass,
	                              do_bit);
	e->born_ns = now_ns;
	e->expire_ns = now_ns + (uint64_t)life * NS_PER_S;
	*out = e;
	return SDNS_OK;
}

int sdns_centry_make(const sdns_cache_conf *conf, bool do_bit,
                     const uint8_t *resp, size_t len, uint64_t now_ns,
                     sdns_centry **out)
{
	*out = NULL;
	if (!resp || len > SDNS_MSG_MAX) return SDNS_EINVAL;
	sdns_msg m;
	int rc = sdns_msg_parse(resp, len, &m);
	if (rc) return rc;
	rc = fill_entry(conf, do_bit, resp, len, now_ns, &m, out);
	sdns_msg_free(&m);
	return rc;
}
