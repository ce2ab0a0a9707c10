/* RDATA presentation form → uncompressed wire form (RFC 1035 §5, RFC 3597
 * §5 for the generic "\# len hex" form). The lexer and the field helpers live
 * here; DNSSEC types are in rdata_text_dnssec.c, output in rdata_text_out.c.
 * Every failure leaves a reason naming the token, for zone-file errors. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rdata_text.h"
#include "sdns/error.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool ends_token(char c)
{
	return is_space(c) || c == '(' || c == ')' || c == ';' || c == '"';
}

int sdns_rt_next(sdns_rt_in *in, sdns_rt_tok *t)
{
	for (;;) {
		while (in->p < in->end && (is_space(*in->p) || *in->p == '(' ||
		                           *in->p == ')'))
			in->p++;
		if (in->p < in->end && *in->p == ';') {
			while (in->p < in->end && *in->p != '\n')
				in->p++;
			continue;
		}
		break;
	}
	if (in->p == in->end)
		return 0;
	if (*in->p == '"') {
		const char *s = ++in->p;
		while (in->p < in->end && *in->p != '"') {
			if (*in->p == '\\' && in->end - in->p > 1)
				in->p++;
			in->p++;
		}
		if (in->p >= in->end)
			return sdns_rt_fail(in, SDNS_ESYNTAX, "unterminated quoted string");
		t->p = s;
		t->len = (size_t)(in->p - s);
		t->quoted = true;
		in->p++;
		return 1;
	}
	const char *s = in->p;
	while (in->p < in->end && !ends_token(*in->p)) {
		if (*in->p == '\\' && in->end - in->p > 1)
			in->p++;
		in->p++;
	}
	t->p = s;
	t->len = (size_t)(in->p - s);
	t->quoted = false;
	return 1;
}

int sdns_rt_fail(sdns_rt_in *in, int code, const char *fmt, ...)
{
	if (in->why && in->why_cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(in->why, in->why_cap, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *sdns_rt_show(const sdns_rt_tok *t, char *buf, size_t cap)
{
	size_t n = t->len, o = 0;
	const size_t keep = 40;
	for (size_t i = 0; i < n && i < keep && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)t->p[i];
		buf[o++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
	}
	if (n > keep && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *sdns_rt_tname(const sdns_rt_in *in, char *buf, size_t cap)
{
	return sdns_type_to_str(in->type, buf, cap);
}

int sdns_rt_need(sdns_rt_in *in, sdns_rt_tok *t, const char *what)
{
	int rc = sdns_rt_next(in, t);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		char tb[16];
		return sdns_rt_fail(in, SDNS_ESYNTAX, "missing %s in %s record", what,
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	}
	return SDNS_OK;
}

int sdns_rt_dec(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	if (len == 0 || len > 20)
		return SDNS_ESYNTAX;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SDNS_ESYNTAX;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (max - d) / 10)
			return SDNS_ESYNTAX;
		v = v * 10 + d;
	}
	*out = v;
	return SDNS_OK;
}

static int read_uint(sdns_rt_in *in, const char *what, uint64_t max, uint64_t *out)
{
	sdns_rt_tok t;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	if (t.quoted || sdns_rt_dec(t.p, t.len, max, out) < 0) {
		char sb[48], tb[16];
		return sdns_rt_fail(in, SDNS_ESYNTAX, "bad %s '%s' in %s record (0..%llu)",
		                    what, sdns_rt_show(&t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)),
		                    (unsigned long long)max);
	}
	return SDNS_OK;
}

int sdns_rt_u8(sdns_rt_in *in, const char *what, uint8_t *out)
{
	uint64_t v;
	int rc = read_uint(in, what, UINT8_MAX, &v);
	if (rc < 0)
		return rc;
	*out = (uint8_t)v;
	return sdns_rt_wr(in, sdns_wr_u8(in->w, *out));
}

int sdns_rt_u16(sdns_rt_in *in, const char *what, uint16_t *out)
{
	uint64_t v;
	int rc = read_uint(in, what, UINT16_MAX, &v);
	if (rc < 0)
		return rc;
	*out = (uint16_t)v;
	return sdns_rt_wr(in, sdns_wr_u16(in->w, *out));
}

int sdns_rt_u32(sdns_rt_in *in, const char *what, uint32_t *out)
{
	uint64_t v;
	int rc = read_uint(in, what, UINT32_MAX, &v);
	if (rc < 0)
		return rc;
	*out = (uint32_t)v;
	return sdns_rt_wr(in, sdns_wr_u32(in->w, *out));
}

int sdns_rt_wr(sdns_rt_in *in, int rc)
{
	if (rc == SDNS_ESPACE)
		return sdns_rt_fail(in, SDNS_ESPACE, "RDATA does not fit the buffer");
	return rc;
}

/* sdns_name_root lives in the wire half (name.c); keep this file free of it. */
static void root_name(sdns_name *n)
{
	n->len = 1;
	n->data[0] = 0;
}

int sdns_rt_name(sdns_rt_in *in, const char *what)
{
	sdns_rt_tok t;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	sdns_name n;
	rc = t.quoted ? SDNS_ESYNTAX : sdns_name_from_str(&n, t.p, t.len, in->origin);
	if (rc < 0) {
		char sb[48], tb[16];
		sdns_name root;
		root_name(&root);
		if (rc == SDNS_ESYNTAX && !t.quoted && !in->origin &&
		    sdns_name_from_str(&n, t.p, t.len, &root) == SDNS_OK)
			return sdns_rt_fail(in, rc, "relative %s '%s' in %s record "
			                    "but no origin", what,
			                    sdns_rt_show(&t, sb, sizeof(sb)),
			                    sdns_rt_tname(in, tb, sizeof(tb)));
		return sdns_rt_fail(in, rc, "bad %s '%s' in %s record: %s", what,
		                    sdns_rt_show(&t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)), sdns_strerror(rc));
	}
	return sdns_rt_wr(in, sdns_wr_bytes(in->w, n.data, n.len));
}

int sdns_rt_end(sdns_rt_in *in)
{
	sdns_rt_tok t;
	int rc = sdns_rt_next(in, &t);
	if (rc <= 0)
		return rc;
	char sb[48], tb[16];
	return sdns_rt_fail(in, SDNS_ESYNTAX, "unexpected '%s' after %s record data",
	                    sdns_rt_show(&t, sb, sizeof(sb)),
	                    sdns_rt_tname(in, tb, sizeof(tb)));
}

int sdns_ttl_from_str(const char *text, size_t len, uint32_t *out)
{
	uint64_t total = 0, cur = 0;
	bool digits = false, units = false;
	if (!text || len == 0)
		return SDNS_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			if (cur > UINT32_MAX)
				return SDNS_ESYNTAX;
			digits = true;
			continue;
		}
		uint64_t mul;
		switch (c | 0x20) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: return SDNS_ESYNTAX;
		}
		if (!digits)
			return SDNS_ESYNTAX;
		total += cur * mul;
		if (total > UINT32_MAX)
			return SDNS_ESYNTAX;
		cur = 0;
		digits = false;
		units = true;
	}
	if (digits && units)
		return SDNS_ESYNTAX; /* "1h30": a number after units needs its own */
	if (digits)
		total = cur;
	*out = (uint32_t)total;
	return SDNS_OK;
}

static int ttl_field(sdns_rt_in *in, const char *what)
{
	sdns_rt_tok t;
	uint32_t v;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	if (t.quoted || sdns_ttl_from_str(t.p, t.len, &v) < 0) {
		char sb[48], tb[16];
		return sdns_rt_fail(in, SDNS_ESYNTAX, "bad %s '%s' in %s record",
		                    what, sdns_rt_show(&t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	}
	return sdns_rt_wr(in, sdns_wr_u32(in->w, v));
}

/* Decode a token's escapes (\X, \DDD) into w, at most max octets. */
static int decode_into(sdns_rt_in *in, const sdns_rt_tok *t, size_t max,
                       size_t *n)
{
	size_t i = 0, count = 0;
	while (i < t->len) {
		uint8_t c = (uint8_t)t->p[i++];
		if (c == '\\') {
			if (i == t->len)
				return SDNS_ESYNTAX;
			c = (uint8_t)t->p[i];
			if (c >= '0' && c <= '9') {
				uint64_t v;
				if (t->len - i < 3 || sdns_rt_dec(t->p + i, 3, 255, &v) < 0)
					return SDNS_ESYNTAX;
				c = (uint8_t)v;
				i += 3;
			} else {
				i++;
			}
		}
		if (++count > max)
			return SDNS_ELIMIT;
		int rc = sdns_wr_u8(in->w, c);
		if (rc < 0)
			return rc;
	}
	*n = count;
	return SDNS_OK;
}

/* One <character-string>: length octet then the decoded text. */
static int char_string(sdns_rt_in *in, const sdns_rt_tok *t)
{
	char sb[48], tb[16];
	if (sdns_wr_left(in->w) < 1)
		return sdns_rt_wr(in, SDNS_ESPACE);
	uint8_t *lenp = in->w->p++;
	size_t n = 0;
	int rc = decode_into(in, t, 255, &n);
	if (rc == SDNS_ELIMIT)
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "character-string '%s' longer than 255 octets in %s record",
		                    sdns_rt_show(t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	if (rc == SDNS_ESYNTAX)
		return sdns_rt_fail(in, rc, "bad escape in '%s' in %s record",
		                    sdns_rt_show(t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	if (rc < 0)
		return sdns_rt_wr(in, rc);
	*lenp = (uint8_t)n;
	return SDNS_OK;
}

static int in_ip(sdns_rt_in *in, int af)
{
	sdns_rt_tok t;
	const char *what = af == AF_INET ? "IPv4 address" : "IPv6 address";
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	char buf[INET6_ADDRSTRLEN];
	uint8_t addr[16];
	if (t.quoted || t.len >= sizeof(buf)) {
		rc = 0;
	} else {
		memcpy(buf, t.p, t.len);
		buf[t.len] = '\0';
		rc = inet_pton(af, buf, addr);
	}
	if (rc != 1) {
		char sb[48], tb[16];
		return sdns_rt_fail(in, SDNS_ESYNTAX, "bad %s '%s' in %s record", what,
		                    sdns_rt_show(&t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	}
	rc = sdns_rt_wr(in, sdns_wr_bytes(in->w, addr, af == AF_INET ? 4 : 16));
	return rc < 0 ? rc : sdns_rt_end(in);
}

static int in_soa(sdns_rt_in *in)
{
	uint32_t serial;
	int rc;
	if ((rc = sdns_rt_name(in, "primary server")) < 0 ||
	    (rc = sdns_rt_name(in, "mailbox")) < 0 ||
	    (rc = sdns_rt_u32(in, "serial", &serial)) < 0 ||
	    (rc = ttl_field(in, "refresh")) < 0 ||
	    (rc = ttl_field(in, "retry")) < 0 ||
	    (rc = ttl_field(in, "expire")) < 0 ||
	    (rc = ttl_field(in, "minimum")) < 0)
		return rc;
	return sdns_rt_end(in);
}

static int in_txt(sdns_rt_in *in)
{
	sdns_rt_tok t;
	int rc = sdns_rt_need(in, &t, "text");
	if (rc < 0)
		return rc;
	do {
		if ((rc = char_string(in, &t)) < 0)
			return rc;
	} while ((rc = sdns_rt_next(in, &t)) > 0);
	return rc;
}

static bool caa_tag_ok(const char *p, size_t len)
{
	if (len < 1 || len > 15)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static int in_caa(sdns_rt_in *in)
{
	uint8_t flags;
	sdns_rt_tok t;
	char sb[48];
	int rc = sdns_rt_u8(in, "flags", &flags);
	if (rc < 0 || (rc = sdns_rt_need(in, &t, "tag")) < 0)
		return rc;
	if (t.quoted || !caa_tag_ok(t.p, t.len))
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "bad tag '%s' in CAA record (1 to 15 letters or digits)",
		                    sdns_rt_show(&t, sb, sizeof(sb)));
	if ((rc = sdns_rt_wr(in, sdns_wr_u8(in->w, (uint8_t)t.len))) < 0 ||
	    (rc = sdns_rt_wr(in, sdns_wr_bytes(in->w, t.p, t.len))) < 0 ||
	    (rc = sdns_rt_need(in, &t, "value")) < 0)
		return rc;
	size_t n;
	rc = decode_into(in, &t, SDNS_RDATA_MAX, &n);
	if (rc == SDNS_ESYNTAX)
		return sdns_rt_fail(in, rc, "bad escape in value '%s' in CAA record",
		                    sdns_rt_show(&t, sb, sizeof(sb)));
	if (rc < 0)
		return sdns_rt_wr(in, rc == SDNS_ELIMIT ? SDNS_ESPACE : rc);
	return sdns_rt_end(in);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3597 §5: "\# <length> <hex>..." with hex split anywhere by spaces. */
static int in_generic(sdns_rt_in *in)
{
	uint64_t want;
	char sb[48], tb[16];
	int rc = read_uint(in, "generic RDATA length", SDNS_RDATA_MAX, &want);
	if (rc < 0)
		return rc;
	size_t got = 0;
	int hi = -1;
	sdns_rt_tok t;
	while ((rc = sdns_rt_next(in, &t)) > 0) {
		if (t.quoted)
			return sdns_rt_fail(in, SDNS_ESYNTAX, "quoted hex in generic %s record",
			                    sdns_rt_tname(in, tb, sizeof(tb)));
		for (size_t i = 0; i < t.len; i++) {
			int v = hexval(t.p[i]);
			if (v < 0)
				return sdns_rt_fail(in, SDNS_ESYNTAX,
				                    "bad hex '%s' in generic %s record",
				                    sdns_rt_show(&t, sb, sizeof(sb)),
				                    sdns_rt_tname(in, tb, sizeof(tb)));
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (++got > want)
				break;
			if ((rc = sdns_rt_wr(in, sdns_wr_u8(in->w, (uint8_t)(hi << 4 | v)))) < 0)
				return rc;
			hi = -1;
		}
		if (got > want)
			break;
	}
	if (rc < 0)
		return rc;
	if (hi >= 0 || got != want)
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "generic %s record says %llu octets but the hex %s",
		                    sdns_rt_tname(in, tb, sizeof(tb)),
		                    (unsigned long long)want,
		                    hi >= 0 ? "has an odd number of digits"
		                            : "does not match");
	return SDNS_OK;
}

/* The generic form of a type we know must still be valid for that type
 * (RFC 3597 §5): check it by rendering it natively, without keeping text. */
static int check_generic_known(sdns_rt_in *in, const uint8_t *wire, size_t len)
{
	char tb[16];
	int rc = sdns_rdata_to_str(in->type, wire, (uint16_t)len, NULL, 0);
	if (rc == SDNS_ERDATA)
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "generic RDATA is not valid for a %s record",
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	return SDNS_OK;
}

static int in_native(sdns_rt_in *in)
{
	uint16_t u16;
	char tb[16];
	int rc;
	switch (in->type) {
	case SDNS_T_A:
		return in_ip(in, AF_INET);
	case SDNS_T_AAAA:
		return in_ip(in, AF_INET6);
	case SDNS_T_NS: case SDNS_T_CNAME: case SDNS_T_PTR:
		rc = sdns_rt_name(in, "domain name");
		return rc < 0 ? rc : sdns_rt_end(in);
	case SDNS_T_MX:
		if ((rc = sdns_rt_u16(in, "preference", &u16)) < 0 ||
		    (rc = sdns_rt_name(in, "exchange")) < 0)
			return rc;
		return sdns_rt_end(in);
	case SDNS_T_SRV:
		if ((rc = sdns_rt_u16(in, "priority", &u16)) < 0 ||
		    (rc = sdns_rt_u16(in, "weight", &u16)) < 0 ||
		    (rc = sdns_rt_u16(in, "port", &u16)) < 0 ||
		    (rc = sdns_rt_name(in, "target")) < 0)
			return rc;
		return sdns_rt_end(in);
	case SDNS_T_SOA: return in_soa(in);
	case SDNS_T_TXT: return in_txt(in);
	case SDNS_T_CAA: return in_caa(in);
	case SDNS_T_DNSKEY: return sdns_rt_in_dnskey(in);
	case SDNS_T_RRSIG: return sdns_rt_in_rrsig(in);
	case SDNS_T_NSEC: return sdns_rt_in_nsec(in);
	default:
		return sdns_rt_fail(in, SDNS_ETYPE,
		                    "no text form for %s records; use \\# generic form",
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	}
}

bool sdns_rt_native(uint16_t type)
{
	switch (type) {
	case SDNS_T_A: case SDNS_T_AAAA: case SDNS_T_NS: case SDNS_T_CNAME:
	case SDNS_T_PTR: case SDNS_T_MX: case SDNS_T_SRV: case SDNS_T_SOA:
	case SDNS_T_TXT: case SDNS_T_CAA: case SDNS_T_DNSKEY: case SDNS_T_RRSIG:
	case SDNS_T_NSEC:
		return true;
	default:
		return false;
	}
}

static int parse(sdns_rt_in *in)
{
	/* Peek for the generic marker without consuming a native first field. */
	const char *save = in->p;
	sdns_rt_tok t;
	int rc = sdns_rt_next(in, &t);
	if (rc < 0)
		return rc;
	if (rc > 0 && !t.quoted && t.len == 2 && t.p[0] == '\\' && t.p[1] == '#') {
		uint8_t *start = in->w->p;
		if ((rc = in_generic(in)) < 0)
			return rc;
		if (sdns_rt_native(in->type))
			return check_generic_known(in, start, (size_t)(in->w->p - start));
		return SDNS_OK;
	}
	in->p = save;
	return in_native(in);
}

int sdns_rdata_from_str_why(uint16_t type, const char *text, size_t len,
                            const sdns_name *origin, sdns_wr *out,
                            char *why, size_t why_cap)
{
	if (why && why_cap)
		why[0] = '\0';
	if (!out || (!text && len))
		return SDNS_EINVAL;
	if (!text)
		text = "";
	/* Write through a copy capped at the RDATA maximum so that an oversized
	 * RDATA is a syntax error, not a short buffer, and a failure leaves out
	 * untouched. */
	sdns_wr w = *out;
	bool capped = sdns_wr_left(out) > SDNS_RDATA_MAX;
	if (capped)
		w.end = w.p + SDNS_RDATA_MAX;
	sdns_rt_in in = {
		.p = text, .end = text + len, .type = type, .origin = origin,
		.w = &w, .why = why, .why_cap = why_cap,
	};
	int rc = parse(&in);
	if (rc == SDNS_ESPACE && capped)
		rc = sdns_rt_fail(&in, SDNS_ESYNTAX, "RDATA longer than 65535 octets");
	if (rc < 0)
		return rc;
	out->p = w.p;
	return SDNS_OK;
}

int sdns_rdata_from_str(uint16_t type, const char *text, size_t len,
                        const sdns_name *origin, sdns_wr *out)
{
	return sdns_rdata_from_str_why(type, text, len, origin, out, NULL, 0);
}
