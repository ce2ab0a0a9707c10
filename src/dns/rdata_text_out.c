/* Uncompressed wire RDATA → canonical presentation text, and whole records
 * as dig-like lines. Each type's layout is checked while printing (trailing
 * or missing octets are SDNS_ERDATA), so what we print parses back to the
 * same octets. Types without a native form print as RFC 3597 "\# len hex". */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "rdata_text.h"
#include "sdns/error.h"

void sdns_rt_put(sdns_rt_out *o, const char *s, size_t n)
{
	if (!o->buf) {
		o->len += n;
		return;
	}
	if (o->full || o->cap - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void sdns_rt_puts(sdns_rt_out *o, const char *s)
{
	sdns_rt_put(o, s, strlen(s));
}

void sdns_rt_putu(sdns_rt_out *o, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	sdns_rt_put(o, b, (size_t)n);
}

int sdns_rt_put_name(sdns_rt_out *o, sdns_rd *r)
{
	sdns_name n;
	size_t len = 0;
	for (;;) {
		uint8_t l;
		if (sdns_rd_u8(r, &l) < 0 || l > SDNS_LABEL_MAX ||
		    len + 1 + l > SDNS_NAME_MAX)
			return SDNS_ERDATA;
		n.data[len++] = l;
		if (l == 0)
			break;
		if (sdns_rd_copy(r, n.data + len, l) < 0)
			return SDNS_ERDATA;
		len += l;
	}
	n.len = (uint8_t)len;
	char buf[SDNS_NAME_STR_MAX];
	int rc = sdns_name_to_str(&n, buf, sizeof(buf));
	if (rc < 0)
		return SDNS_ERDATA;
	sdns_rt_puts(o, buf);
	return SDNS_OK;
}

/* A quoted string: '"' and '\' escaped, nonprintables as \DDD. */
static void put_quoted(sdns_rt_out *o, const uint8_t *p, size_t n)
{
	sdns_rt_put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char b[5];
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			b[0] = '\\';
			b[1] = (char)c;
			sdns_rt_put(o, b, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(b, sizeof(b), "\\%03u", (unsigned)c);
			sdns_rt_put(o, b, 4);
		} else {
			b[0] = (char)c;
			sdns_rt_put(o, b, 1);
		}
	}
	sdns_rt_put(o, "\"", 1);
}

static int out_ip(sdns_rt_out *o, sdns_rd *r, int af)
{
	size_t n = af == AF_INET ? 4 : 16;
	const uint8_t *p;
	char b[INET6_ADDRSTRLEN];
	if (sdns_rd_left(r) != n || sdns_rd_take(r, n, &p) < 0 ||
	    !inet_ntop(af, p, b, sizeof(b)))
		return SDNS_ERDATA;
	sdns_rt_puts(o, b);
	return SDNS_OK;
}

/* Print "n1 n2 ..." for count u16 fields. */
static int out_u16s(sdns_rt_out *o, sdns_rd *r, int count)
{
	for (int i = 0; i < count; i++) {
		uint16_t v;
		if (sdns_rd_u16(r, &v) < 0)
			return SDNS_ERDATA;
		sdns_rt_putu(o, v);
		sdns_rt_put(o, " ", 1);
	}
	return SDNS_OK;
}

static int out_soa(sdns_rt_out *o, sdns_rd *r)
{
	int rc;
	if ((rc = sdns_rt_put_name(o, r)) < 0)
		return rc;
	sdns_rt_put(o, " ", 1);
	if ((rc = sdns_rt_put_name(o, r)) < 0)
		return rc;
	for (int i = 0; i < 5; i++) {
		uint32_t v;
		if (sdns_rd_u32(r, &v) < 0)
			return SDNS_ERDATA;
		sdns_rt_put(o, " ", 1);
		sdns_rt_putu(o, v);
	}
	return SDNS_OK;
}

static int out_txt(sdns_rt_out *o, sdns_rd *r)
{
	if (sdns_rd_left(r) == 0)
		return SDNS_ERDATA;
	for (bool first = true; sdns_rd_left(r) > 0; first = false) {
		uint8_t n;
		const uint8_t *p;
		if (sdns_rd_u8(r, &n) < 0 || sdns_rd_take(r, n, &p) < 0)
			return SDNS_ERDATA;
		if (!first)
			sdns_rt_put(o, " ", 1);
		put_quoted(o, p, n);
	}
	return SDNS_OK;
}

static int out_caa(sdns_rt_out *o, sdns_rd *r)
{
	uint8_t flags, tl;
	const uint8_t *tag, *val;
	if (sdns_rd_u8(r, &flags) < 0 || sdns_rd_u8(r, &tl) < 0 || tl < 1 ||
	    tl > 15 || sdns_rd_take(r, tl, &tag) < 0)
		return SDNS_ERDATA;
	for (size_t i = 0; i < tl; i++) {
		uint8_t c = tag[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return SDNS_ERDATA;
	}
	size_t vl = sdns_rd_left(r);
	(void)sdns_rd_take(r, vl, &val);
	sdns_rt_putu(o, flags);
	sdns_rt_put(o, " ", 1);
	sdns_rt_put(o, (const char *)tag, tl);
	sdns_rt_put(o, " ", 1);
	put_quoted(o, val, vl);
	return SDNS_OK;
}

static void out_generic(sdns_rt_out *o, sdns_rd *r)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = sdns_rd_left(r);
	sdns_rt_puts(o, "\\# ");
	sdns_rt_putu(o, n);
	if (n)
		sdns_rt_put(o, " ", 1);
	for (size_t i = 0; i < n; i++) {
		char b[2] = {hex[r->p[i] >> 4], hex[r->p[i] & 15]};
		sdns_rt_put(o, b, 2);
	}
	r->p = r->end;
}

static int out_native(sdns_rt_out *o, sdns_rd *r, uint16_t type)
{
	int rc;
	switch (type) {
	case SDNS_T_A: return out_ip(o, r, AF_INET);
	case SDNS_T_AAAA: return out_ip(o, r, AF_INET6);
	case SDNS_T_NS: case SDNS_T_CNAME: case SDNS_T_PTR:
		return sdns_rt_put_name(o, r);
	case SDNS_T_MX:
		rc = out_u16s(o, r, 1);
		return rc < 0 ? rc : sdns_rt_put_name(o, r);
	case SDNS_T_SRV:
		rc = out_u16s(o, r, 3);
		return rc < 0 ? rc : sdns_rt_put_name(o, r);
	case SDNS_T_SOA: return out_soa(o, r);
	case SDNS_T_TXT: return out_txt(o, r);
	case SDNS_T_CAA: return out_caa(o, r);
	case SDNS_T_DNSKEY: return sdns_rt_out_dnskey(o, r);
	case SDNS_T_RRSIG: return sdns_rt_out_rrsig(o, r);
	case SDNS_T_NSEC: return sdns_rt_out_nsec(o, r);
	default:
		out_generic(o, r);
		return SDNS_OK;
	}
}

int sdns_rdata_to_str(uint16_t type, const uint8_t *rdata, uint16_t rdlen,
                      char *buf, size_t cap)
{
	static const uint8_t none[1];
	if ((!rdata && rdlen) || (!buf && cap))
		return SDNS_EINVAL;
	if (buf && cap == 0)
		return SDNS_ESPACE;
	sdns_rt_out o = {.buf = buf, .cap = cap};
	sdns_rd r;
	sdns_rd_init(&r, rdata ? rdata : none, rdlen);
	int rc = out_native(&o, &r, type);
	if (rc == SDNS_OK && sdns_rd_left(&r) != 0)
		rc = SDNS_ERDATA;
	if (rc < 0)
		return rc;
	if (o.full)
		return SDNS_ESPACE;
	if (buf)
		buf[o.len] = '\0';
	return SDNS_OK;
}

int sdns_rr_to_str(const sdns_rr *rr, char *buf, size_t cap)
{
	if (!rr || !buf || cap == 0)
		return SDNS_EINVAL;
	char owner[SDNS_NAME_STR_MAX], tb[16], cb[16];
	int rc = sdns_name_to_str(&rr->owner, owner, sizeof(owner));
	if (rc < 0)
		return rc;
	int n = snprintf(buf, cap, "%s\t%u\t%s\t%s\t", owner, (unsigned)rr->ttl,
	                 sdns_class_to_str(rr->rclass, cb, sizeof(cb)),
	                 sdns_type_to_str(rr->type, tb, sizeof(tb)));
	if (n < 0 || (size_t)n >= cap)
		return SDNS_ESPACE;
	return sdns_rdata_to_str(rr->type, rr->rdata, rr->rdlen, buf + n,
	                         cap - (size_t)n);
}
