/* RFC 4034 §6 canonical form: lowercase names inside the RDATA of the
 * §6.2 types (without NSEC, RFC 6840 §5.1), RRs sorted by canonical RDATA,
 * duplicates once, and the signed data built from it. */
#include <stdlib.h>
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/rr.h"

enum {
	T_MD = 3, T_MF = 4, T_MB = 7, T_MG = 8, T_MR = 9, T_MINFO = 14,
	T_RP = 17, T_AFSDB = 18, T_RT = 21, T_PX = 26, T_NAPTR = 35,
	T_KX = 36, T_DNAME = 39,
};

/* Lowercase the name at *off in buf, advancing *off past it. */
static int lower_name(uint8_t *buf, size_t len, size_t *off)
{
	size_t p = *off;
	for (;;) {
		if (p >= len) return SDNS_ERDATA;
		uint8_t ll = buf[p];
		if (ll > SDNS_LABEL_MAX || len - p < 1u + ll) return SDNS_ERDATA;
		for (size_t i = 1; i <= ll; i++)
			if (buf[p + i] >= 'A' && buf[p + i] <= 'Z')
				buf[p + i] = (uint8_t)(buf[p + i] + 32);
		p += 1u + ll;
		if (ll == 0) break;
	}
	*off = p;
	return SDNS_OK;
}

static int skip_str(const uint8_t *buf, size_t len, size_t *off)
{
	if (*off >= len || len - *off < 1u + buf[*off]) return SDNS_ERDATA;
	*off += 1u + buf[*off];
	return SDNS_OK;
}

/* Where the names sit: start offset and how many follow each other. */
static int name_layout(uint16_t type, size_t *start, int *count)
{
	*count = 1;
	switch (type) {
	case SDNS_T_NS: case T_MD: case T_MF: case SDNS_T_CNAME: case T_MB:
	case T_MG: case T_MR: case SDNS_T_PTR: case T_DNAME:
		*start = 0; return 1;
	case SDNS_T_SOA: case T_MINFO: case T_RP:
		*start = 0; *count = 2; return 1;
	case SDNS_T_MX: case T_AFSDB: case T_RT: case T_KX:
		*start = 2; return 1;
	case T_PX: *start = 2; *count = 2; return 1;
	case SDNS_T_SRV: *start = 6; return 1;
	case SDNS_T_RRSIG: *start = RRSIG_FIXED; return 1;
	default: return 0;
	}
}

int sdns_dnssec_canon_rdata(uint16_t type, const uint8_t *rdata,
                            uint16_t rdlen, uint8_t *out, size_t cap,
                            size_t *out_len)
{
	if ((!rdata && rdlen) || !out || !out_len) return SDNS_EINVAL;
	if (cap < rdlen) return SDNS_ESPACE;
	if (rdlen) memcpy(out, rdata, rdlen);
	*out_len = rdlen;
	size_t off = 0;
	int count = 0;
	if (type == T_NAPTR) {
		off = 4;
		if (off > rdlen || skip_str(out, rdlen, &off) ||
		    skip_str(out, rdlen, &off) || skip_str(out, rdlen, &off))
			return SDNS_ERDATA;
		count = 1;
	} else if (!name_layout(type, &off, &count)) {
		return SDNS_OK;
	}
	if (off > rdlen) return SDNS_ERDATA;
	for (int i = 0; i < count; i++)
		if (lower_name(out, rdlen, &off)) return SDNS_ERDATA;
	return SDNS_OK;
}

typedef struct {
	const uint8_t *p;
	uint16_t len;
} crd;

static int crd_cmp(const void *a, const void *b)
{
	const crd *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = n ? memcmp(x->p, y->p, n) : 0;
	if (d) return d;
	return (int)x->len - (int)y->len;
}

static int put_rr(sdns_wr *w, const sdns_name *owner, uint16_t type,
                  uint32_t ttl, const crd *c)
{
	int rc = sdns_wr_bytes(w, owner->data, owner->len);
	if (!rc) rc = sdns_wr_u16(w, type);
	if (!rc) rc = sdns_wr_u16(w, SDNS_C_IN);
	if (!rc) rc = sdns_wr_u32(w, ttl);
	if (!rc) rc = sdns_wr_u16(w, c->len);
	if (!rc) rc = sdns_wr_bytes(w, c->p, c->len);
	return rc;
}

int dnssec_signed_data(const uint8_t *head, size_t head_len,
                       const sdns_name *owner, uint32_t orig_ttl,
                       const sdns_rrset *set, uint8_t **out, size_t *out_len)
{
	size_t rd_total = 0;
	for (uint16_t i = 0; i < set->count; i++) rd_total += set->rdlen[i];
	size_t total = head_len + (size_t)set->count * (owner->len + 10u) +
	               rd_total;
	uint8_t *buf = malloc(total + rd_total + 1);
	crd *c = malloc(((size_t)set->count + 1) * sizeof(*c));
	if (!buf || !c) {
		free(buf);
		free(c);
		return SDNS_ENOMEM;
	}
	/* Canonical RDATA lives after the signed data area. */
	uint8_t *scratch = buf + total;
	size_t used = 0;
	int rc = SDNS_OK;
	for (uint16_t i = 0; i < set->count && !rc; i++) {
		size_t n = 0;
		rc = sdns_dnssec_canon_rdata(set->type, set->rdata[i],
		                             set->rdlen[i], scratch + used,
		                             rd_total - used, &n);
		c[i].p = scratch + used;
		c[i].len = (uint16_t)n;
		used += n;
	}
	if (!rc) qsort(c, set->count, sizeof(*c), crd_cmp);
	sdns_wr w;
	sdns_wr_init(&w, buf, total);
	if (!rc) rc = sdns_wr_bytes(&w, head, head_len);
	for (uint16_t i = 0; i < set->count && !rc; i++) {
		if (i && crd_cmp(&c[i - 1], &c[i]) == 0) continue;
		rc = put_rr(&w, owner, set->type, orig_ttl, &c[i]);
	}
	free(c);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*out_len = sdns_wr_len(&w);
	return SDNS_OK;
}
