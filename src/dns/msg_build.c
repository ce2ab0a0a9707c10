/* Build a DNS message with name compression (RFC 1035 §4.1.4).
 * The compression table holds the offset of every label written so far (up
 * to SDNS_COMP_MAX): a new name is matched against it, longest suffix first,
 * case-insensitively, and ends in a pointer to the earliest match. */
#include <string.h>

#include "msg_internal.h"

#define PTR_LIMIT 0x4000u /* a pointer holds 14 bits of offset */

static inline uint8_t lower(uint8_t c)
{
	return (uint8_t)(c + (((unsigned)c - 'A') < 26u) * 32u);
}

int sdns_bld_init(sdns_bld *b, uint8_t *buf, size_t cap, uint16_t id,
                  uint16_t flags)
{
	memset(b, 0, sizeof(*b));
	sdns_wr_init(&b->w, buf, cap);
	if (cap < SDNS_HDR_LEN)
		return SDNS_ESPACE;
	sdns_wr_u16(&b->w, id);
	sdns_wr_u16(&b->w, flags);
	memset(b->w.p, 0, 8);
	b->w.p += 8;
	b->sec = SDNS_SEC_AN;
	return SDNS_OK;
}

void sdns_bld_set_rcode(sdns_bld *b, uint8_t rcode)
{
	b->w.start[3] = (uint8_t)((b->w.start[3] & 0xf0) | (rcode & 0x0f));
}

void sdns_bld_set_flags(sdns_bld *b, uint16_t set, uint16_t clear)
{
	uint16_t f = (uint16_t)(b->w.start[2] << 8 | b->w.start[3]);
	f = (uint16_t)((f & ~clear) | set);
	sdns_wr_put_u16_at(&b->w, 2, f);
}

void sdns_bld_reserve(sdns_bld *b, size_t n)
{
	b->reserve = n;
}

/* Does the (possibly compressed) name we wrote at off equal the
 * uncompressed suffix s? Our own pointers only go backwards. */
static bool written_eq(const uint8_t *buf, size_t off, const uint8_t *s)
{
	for (;;) {
		uint8_t c = buf[off];
		if ((c & 0xc0) == 0xc0) {
			off = (size_t)(c & 0x3f) << 8 | buf[off + 1];
			continue;
		}
		if (c != *s)
			return false;
		if (c == 0)
			return true;
		for (size_t i = 1; i <= c; i++)
			if (buf[off + i] != s[i] && lower(buf[off + i]) != lower(s[i]))
				return false;
		off += 1u + c;
		s += 1u + c;
	}
}

static int comp_find(const sdns_bld *b, const uint8_t *s, size_t slen)
{
	for (int j = 0; j < b->comp_n; j++)
		if (b->comp_len[j] == slen && written_eq(b->w.start, b->comp_off[j], s))
			return b->comp_off[j];
	return -1;
}

static void comp_add(sdns_bld *b, size_t off, size_t slen)
{
	if (b->comp_n < SDNS_COMP_MAX && off < PTR_LIMIT) {
		b->comp_off[b->comp_n] = (uint16_t)off;
		b->comp_len[b->comp_n] = (uint8_t)slen;
		b->comp_n++;
	}
}

/* Write n, ending in a pointer when a suffix was written before. */
static int put_name(sdns_bld *b, const sdns_name *n)
{
	size_t i = 0;
	int ptr = -1;
	/* The root alone is never worth a pointer, so stop before it. */
	while (n->data[i] != 0 && (ptr = comp_find(b, n->data + i, n->len - i)) < 0)
		i += 1u + n->data[i];

	size_t start = sdns_wr_len(&b->w);
	int rc = sdns_wr_bytes(&b->w, n->data, i);
	if (rc < 0)
		return rc;
	rc = ptr >= 0 ? sdns_wr_u16(&b->w, (uint16_t)(0xc000u | (unsigned)ptr))
	              : sdns_wr_u8(&b->w, 0);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < i; k += 1u + n->data[k])
		comp_add(b, start + k, n->len - k);
	return SDNS_OK;
}

/* Read one uncompressed name out of stored RDATA. */
static int rdata_name(sdns_rd *r, sdns_name *n)
{
	const uint8_t *at = r->p;
	int rc = sdns_name_unpack(r, n);
	if (rc < 0 || (size_t)(r->p - at) != n->len)
		return SDNS_EINVAL;
	return SDNS_OK;
}

static int put_fixed(sdns_bld *b, sdns_rd *r, size_t n)
{
	const uint8_t *p;
	if (sdns_rd_take(r, n, &p) < 0)
		return SDNS_EINVAL;
	return sdns_wr_bytes(&b->w, p, n);
}

static int put_rdata_name(sdns_bld *b, sdns_rd *r)
{
	sdns_name n;
	int rc = rdata_name(r, &n);
	return rc < 0 ? rc : put_name(b, &n);
}

/* NS, CNAME, PTR, MX, SOA: the only RDATA names we may compress. */
static int put_compressed_rdata(sdns_bld *b, const sdns_rr *rr)
{
	sdns_rd r;
	sdns_rd_init(&r, rr->rdata, rr->rdlen);
	int rc = SDNS_OK;
	switch (rr->type) {
	case SDNS_T_MX:
		if ((rc = put_fixed(b, &r, 2)) < 0)
			return rc;
		rc = put_rdata_name(b, &r);
		break;
	case SDNS_T_SOA:
		if ((rc = put_rdata_name(b, &r)) < 0 || (rc = put_rdata_name(b, &r)) < 0)
			return rc;
		rc = put_fixed(b, &r, 20);
		break;
	default:
		rc = put_rdata_name(b, &r);
		break;
	}
	if (rc < 0)
		return rc;
	return sdns_rd_left(&r) ? SDNS_EINVAL : SDNS_OK;
}

static int put_rr(sdns_bld *b, const sdns_rr *rr)
{
	int rc;
	if ((rc = put_name(b, &rr->owner)) < 0 ||
	    (rc = sdns_wr_u16(&b->w, rr->type)) < 0 ||
	    (rc = sdns_wr_u16(&b->w, rr->rclass)) < 0 ||
	    (rc = sdns_wr_u32(&b->w, rr->ttl)) < 0 ||
	    (rc = sdns_wr_u16(&b->w, 0)) < 0)
		return rc;
	size_t at = sdns_wr_len(&b->w);
	if (sdns_type_compressible(rr->type) && rr->rdlen > 0)
		rc = put_compressed_rdata(b, rr);
	else
		rc = sdns_wr_bytes(&b->w, rr->rdata, rr->rdlen);
	if (rc < 0)
		return rc;
	size_t rdlen = sdns_wr_len(&b->w) - at;
	if (rdlen > 0xffff)
		return SDNS_EINVAL;
	sdns_wr_put_u16_at(&b->w, at - 2, (uint16_t)rdlen);
	return SDNS_OK;
}

/* Run put() with the reserve held back; on failure leave no trace. */
typedef struct {
	uint8_t *p, *end;
	int comp_n;
} mark;

static mark begin(sdns_bld *b)
{
	mark m = {b->w.p, b->w.end, b->comp_n};
	size_t left = sdns_wr_left(&b->w);
	b->w.end -= b->reserve < left ? b->reserve : left;
	return m;
}

static int end(sdns_bld *b, mark m, int rc)
{
	b->w.end = m.end;
	if (rc < 0) {
		b->w.p = m.p;
		b->comp_n = m.comp_n;
	}
	return rc;
}

int sdns_bld_question(sdns_bld *b, const sdns_name *qname, uint16_t qtype,
                      uint16_t qclass)
{
	if (b->opt_done || b->count[0] || b->count[1] || b->count[2])
		return SDNS_EINVAL;
	mark m = begin(b);
	int rc = put_name(b, qname);
	if (rc == SDNS_OK && (rc = sdns_wr_u16(&b->w, qtype)) == SDNS_OK)
		rc = sdns_wr_u16(&b->w, qclass);
	if ((rc = end(b, m, rc)) == SDNS_OK)
		b->qdcount++;
	return rc;
}

int sdns_bld_rr(sdns_bld *b, enum sdns_section sec, const sdns_rr *rr)
{
	if (sec < b->sec || sec > SDNS_SEC_AR || b->opt_done ||
	    rr->type == SDNS_T_OPT)
		return SDNS_EINVAL;
	mark m = begin(b);
	int rc = end(b, m, put_rr(b, rr));
	if (rc == SDNS_OK) {
		b->sec = sec;
		b->count[sec]++;
	}
	return rc;
}

int sdns_bld_opt(sdns_bld *b, const sdns_edns *e, size_t pad_block)
{
	if (b->opt_done)
		return SDNS_EINVAL;
	uint8_t *p = b->w.p;
	int rc = sdns_edns_write(&b->w, e, pad_block);
	if (rc < 0) {
		b->w.p = p;
		return rc;
	}
	b->sec = SDNS_SEC_AR;
	b->count[SDNS_SEC_AR]++;
	b->opt_done = true;
	b->reserve = 0;
	return SDNS_OK;
}

int sdns_bld_finish(sdns_bld *b, size_t *len)
{
	if (sdns_wr_len(&b->w) < SDNS_HDR_LEN)
		return SDNS_EINVAL;
	sdns_wr_put_u16_at(&b->w, 4, b->qdcount);
	for (int i = 0; i < 3; i++)
		sdns_wr_put_u16_at(&b->w, 6 + 2 * (size_t)i, b->count[i]);
	*len = sdns_wr_len(&b->w);
	return SDNS_OK;
}

int sdns_msg_make_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
                        const sdns_name *qname, uint16_t qtype, bool rd,
                        const sdns_edns *edns, size_t pad_block)
{
	sdns_bld b;
	int rc = sdns_bld_init(&b, buf, cap, id, rd ? SDNS_F_RD : 0);
	if (rc == SDNS_OK)
		rc = sdns_bld_question(&b, qname, qtype, SDNS_C_IN);
	if (rc == SDNS_OK && edns)
		rc = sdns_bld_opt(&b, edns, pad_block);
	if (rc == SDNS_OK)
		rc = sdns_bld_finish(&b, len);
	return rc;
}
