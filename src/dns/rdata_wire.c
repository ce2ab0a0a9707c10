/* RDATA in wire form: decompress embedded names and validate the layout of
 * every type we know. One walker serves both the packet path (names may be
 * compressed where RFC 3597 §4 allows) and the store path (no pointers). */
#include <string.h>

#include "sdns/rr.h"

/* Where the walker writes: out may be NULL to only validate. */
typedef struct {
	sdns_rd *r;       /* bounded to the RDATA; r->start is the message start */
	sdns_wr *out;
	bool may_ptr;     /* packet path: pointers allowed in decompressible names */
} walk;

static int map(int rc)
{
	/* Running off the end of the RDATA is an RDATA error, not a packet one. */
	return rc == SDNS_EMALF ? SDNS_ERDATA : rc;
}

static int copy(walk *k, size_t n)
{
	const uint8_t *p;
	if (sdns_rd_take(k->r, n, &p) < 0)
		return SDNS_ERDATA;
	return k->out ? sdns_wr_bytes(k->out, p, n) : SDNS_OK;
}

static int copy_rest(walk *k, size_t min)
{
	size_t n = sdns_rd_left(k->r);
	return n < min ? SDNS_ERDATA : copy(k, n);
}

/* ptr_ok: this field may carry a compression pointer on the wire. */
static int name(walk *k, bool ptr_ok)
{
	sdns_name n;
	const uint8_t *at = k->r->p;
	int rc = sdns_name_unpack(k->r, &n);
	if (rc < 0)
		return map(rc);
	/* A pointer makes the wire shorter than the name it stands for. */
	if ((size_t)(k->r->p - at) != n.len && !(ptr_ok && k->may_ptr))
		return SDNS_ERDATA;
	return k->out ? sdns_name_pack(k->out, &n) : SDNS_OK;
}

static int txt(walk *k)
{
	if (sdns_rd_left(k->r) == 0)
		return SDNS_ERDATA;
	while (sdns_rd_left(k->r) > 0) {
		uint8_t n = *k->r->p;
		int rc = copy(k, 1u + n);
		if (rc < 0)
			return rc;
	}
	return SDNS_OK;
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static int caa(walk *k)
{
	const uint8_t *p = k->r->p;
	if (sdns_rd_left(k->r) < 2)
		return SDNS_ERDATA;
	uint8_t tlen = p[1];
	if (tlen < 1 || tlen > 15 || sdns_rd_left(k->r) < 2u + tlen)
		return SDNS_ERDATA;
	for (size_t i = 0; i < tlen; i++)
		if (!alnum(p[2 + i]))
			return SDNS_ERDATA;
	return copy_rest(k, 0);
}

static int dnskey(walk *k)
{
	if (sdns_rd_left(k->r) < 5 || k->r->p[2] != 3)
		return SDNS_ERDATA;
	return copy_rest(k, 5);
}

/* RFC 4034 §4.1.2: ascending windows, 1..32 octets, no trailing zeros. */
static int type_bitmap(walk *k)
{
	const uint8_t *p = k->r->p, *end = k->r->end;
	int last = -1;
	while (p < end) {
		if (end - p < 2)
			return SDNS_ERDATA;
		int win = p[0], blen = p[1];
		if (win <= last || blen < 1 || blen > 32 || end - p - 2 < blen ||
		    p[1 + blen] == 0)
			return SDNS_ERDATA;
		last = win;
		p += 2 + blen;
	}
	return copy_rest(k, 0);
}

static int walk_type(walk *k, uint16_t type)
{
	int rc;
	switch (type) {
	case SDNS_T_A:
		return sdns_rd_left(k->r) == 4 ? copy(k, 4) : SDNS_ERDATA;
	case SDNS_T_AAAA:
		return sdns_rd_left(k->r) == 16 ? copy(k, 16) : SDNS_ERDATA;
	case SDNS_T_NS:
	case SDNS_T_CNAME:
	case SDNS_T_PTR:
		return name(k, true);
	case SDNS_T_SOA:
		if ((rc = name(k, true)) < 0 || (rc = name(k, true)) < 0)
			return rc;
		return copy(k, 20);
	case SDNS_T_MX:
		if ((rc = copy(k, 2)) < 0)
			return rc;
		return name(k, true);
	case SDNS_T_TXT:
		return txt(k);
	case SDNS_T_SRV: /* RFC 2782 forbids compression, RFC 3597 §4 decompresses */
		if ((rc = copy(k, 6)) < 0)
			return rc;
		return name(k, true);
	case SDNS_T_CAA:
		return caa(k);
	case SDNS_T_DNSKEY:
		return dnskey(k);
	case SDNS_T_RRSIG: /* RFC 4034 §3.1.7: signer never compressed */
		if ((rc = copy(k, 18)) < 0 || (rc = name(k, false)) < 0)
			return rc;
		return copy_rest(k, 1);
	case SDNS_T_NSEC: /* RFC 4034 §4.1.1: next name never compressed */
		if ((rc = name(k, false)) < 0)
			return rc;
		return type_bitmap(k);
	default:
		return copy_rest(k, 0);
	}
}

static int walk_all(walk *k, uint16_t type)
{
	int rc = walk_type(k, type);
	if (rc < 0)
		return rc;
	return sdns_rd_left(k->r) == 0 ? SDNS_OK : SDNS_ERDATA;
}

int sdns_rdata_unpack(sdns_rd *r, uint16_t type, uint16_t rdlen, sdns_wr *out)
{
	if (sdns_rd_left(r) < rdlen)
		return SDNS_ERDATA;
	sdns_rd sub = {.start = r->start, .p = r->p, .end = r->p + rdlen};
	walk k = {.r = &sub, .out = out, .may_ptr = true};
	uint8_t *mark = out ? out->p : NULL;
	int rc = walk_all(&k, type);
	if (rc < 0) {
		if (out)
			out->p = mark;
		return rc;
	}
	r->p = sub.end;
	return SDNS_OK;
}

int sdns_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	sdns_rd sub;
	sdns_rd_init(&sub, rdata, rdlen);
	walk k = {.r = &sub, .out = NULL, .may_ptr = false};
	return walk_all(&k, type);
}
