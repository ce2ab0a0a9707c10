/* DNSSEC RDATA in presentation form (RFC 4034 §2.2, §3.2, §4.2): DNSKEY and
 * RRSIG with base64 (RFC 4648, strict: canonical padding bits, no stray
 * characters), RRSIG times as YYYYMMDDHHmmSS, NSEC type bitmaps. */
#include <stdio.h>
#include <string.h>

#include "rdata_text.h"
#include "sdns/error.h"

/* ---- base64 ---- */

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

typedef struct {
	uint8_t q[4];
	int n, pads;
	bool done;
} b64_state;

/* Feed one character; a full quantum is written to w. */
static int b64_feed(b64_state *s, char c, sdns_wr *w)
{
	if (s->done)
		return SDNS_ESYNTAX;
	if (c == '=') {
		if (s->n < 2)
			return SDNS_ESYNTAX;
		s->q[s->n++] = 0;
		s->pads++;
	} else {
		int v = b64_val(c);
		if (v < 0 || s->pads)
			return SDNS_ESYNTAX;
		s->q[s->n++] = (uint8_t)v;
	}
	if (s->n < 4)
		return SDNS_OK;
	/* non-canonical encodings would not print back the same */
	if ((s->pads == 1 && (s->q[2] & 3)) || (s->pads == 2 && (s->q[1] & 15)))
		return SDNS_ESYNTAX;
	uint8_t b[3] = {
		(uint8_t)(s->q[0] << 2 | s->q[1] >> 4),
		(uint8_t)((s->q[1] & 15) << 4 | s->q[2] >> 2),
		(uint8_t)((s->q[2] & 3) << 6 | s->q[3]),
	};
	s->n = 0;
	s->done = s->pads > 0;
	return sdns_wr_bytes(w, b, (size_t)(3 - s->pads));
}

/* The rest of the RDATA text as base64, possibly split by spaces. */
static int b64_in(sdns_rt_in *in, const char *what)
{
	b64_state s = {{0}, 0, 0, false};
	sdns_rt_tok t;
	char sb[48], tb[16];
	const uint8_t *start = in->w->p;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	do {
		if (t.quoted)
			return sdns_rt_fail(in, SDNS_ESYNTAX, "quoted base64 %s in %s record",
			                    what, sdns_rt_tname(in, tb, sizeof(tb)));
		for (size_t i = 0; i < t.len; i++) {
			rc = b64_feed(&s, t.p[i], in->w);
			if (rc == SDNS_ESPACE)
				return sdns_rt_wr(in, rc);
			if (rc < 0)
				return sdns_rt_fail(in, rc, "bad base64 %s '%s' in %s record",
				                    what, sdns_rt_show(&t, sb, sizeof(sb)),
				                    sdns_rt_tname(in, tb, sizeof(tb)));
		}
	} while ((rc = sdns_rt_next(in, &t)) > 0);
	if (rc < 0)
		return rc;
	if (s.n != 0 || in->w->p == start)
		return sdns_rt_fail(in, SDNS_ESYNTAX, "%s base64 %s in %s record",
		                    s.n ? "truncated" : "empty", what,
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	return SDNS_OK;
}

static void b64_out(sdns_rt_out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char b[4] = {
			b64_alpha[v >> 18 & 63], b64_alpha[v >> 12 & 63],
			i + 1 < n ? b64_alpha[v >> 6 & 63] : '=',
			i + 2 < n ? b64_alpha[v & 63] : '=',
		};
		sdns_rt_put(o, b, 4);
	}
}

/* ---- RRSIG times (RFC 4034 §3.2: YYYYMMDDHHmmSS UTC, or seconds) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int parse_date(const char *p, uint32_t *out)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	uint64_t y, mo, d, h, mi, s;
	if (sdns_rt_dec(p, 4, 9999, &y) < 0 || sdns_rt_dec(p + 4, 2, 12, &mo) < 0 ||
	    sdns_rt_dec(p + 6, 2, 31, &d) < 0 || sdns_rt_dec(p + 8, 2, 23, &h) < 0 ||
	    sdns_rt_dec(p + 10, 2, 59, &mi) < 0 || sdns_rt_dec(p + 12, 2, 59, &s) < 0)
		return SDNS_ESYNTAX;
	if (y < 1970 || mo < 1 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap((int64_t)y)))
		return SDNS_ESYNTAX;
	int64_t t = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d) * 86400 +
	            (int64_t)(h * 3600 + mi * 60 + s);
	*out = (uint32_t)((uint64_t)t & 0xffffffffu); /* serial arithmetic */
	return SDNS_OK;
}

static int time_in(sdns_rt_in *in, const char *what)
{
	sdns_rt_tok t;
	uint32_t v = 0;
	uint64_t u;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	if (!t.quoted && t.len == 14)
		rc = parse_date(t.p, &v);
	else if (!t.quoted && t.len <= 10 && sdns_rt_dec(t.p, t.len, UINT32_MAX, &u) == 0)
		v = (uint32_t)u;
	else
		rc = SDNS_ESYNTAX;
	if (rc < 0) {
		char sb[48];
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "bad %s '%s' in RRSIG record (YYYYMMDDHHmmSS or seconds)",
		                    what, sdns_rt_show(&t, sb, sizeof(sb)));
	}
	return sdns_rt_wr(in, sdns_wr_u32(in->w, v));
}

static void time_out(sdns_rt_out *o, uint32_t v)
{
	int64_t y;
	unsigned m, d;
	civil_from_days((int64_t)(v / 86400), &y, &m, &d);
	unsigned s = v % 86400;
	char b[40];
	snprintf(b, sizeof(b), "%04lld%02u%02u%02u%02u%02u", (long long)y, m, d,
	         s / 3600, s / 60 % 60, s % 60);
	sdns_rt_puts(o, b);
}

/* ---- types ---- */

static int type_in(sdns_rt_in *in, const char *what, uint16_t *out)
{
	sdns_rt_tok t;
	int rc = sdns_rt_need(in, &t, what);
	if (rc < 0)
		return rc;
	if (t.quoted || sdns_type_from_str(t.p, t.len, out) < 0) {
		char sb[48], tb[16];
		return sdns_rt_fail(in, SDNS_ESYNTAX, "unknown type '%s' in %s record",
		                    sdns_rt_show(&t, sb, sizeof(sb)),
		                    sdns_rt_tname(in, tb, sizeof(tb)));
	}
	return SDNS_OK;
}

int sdns_rt_in_dnskey(sdns_rt_in *in)
{
	uint16_t flags;
	uint8_t proto, alg;
	int rc;
	if ((rc = sdns_rt_u16(in, "flags", &flags)) < 0 ||
	    (rc = sdns_rt_u8(in, "protocol", &proto)) < 0 ||
	    (rc = sdns_rt_u8(in, "algorithm", &alg)) < 0)
		return rc;
	if (proto != 3) /* RFC 4034 §2.1.2; the wire validator agrees */
		return sdns_rt_fail(in, SDNS_ESYNTAX,
		                    "protocol %u in DNSKEY record must be 3", proto);
	return b64_in(in, "public key");
}

int sdns_rt_in_rrsig(sdns_rt_in *in)
{
	uint16_t covered, tag;
	uint8_t alg, labels;
	uint32_t ttl;
	int rc;
	if ((rc = type_in(in, "type covered", &covered)) < 0 ||
	    (rc = sdns_rt_wr(in, sdns_wr_u16(in->w, covered))) < 0 ||
	    (rc = sdns_rt_u8(in, "algorithm", &alg)) < 0 ||
	    (rc = sdns_rt_u8(in, "labels", &labels)) < 0 ||
	    (rc = sdns_rt_u32(in, "original TTL", &ttl)) < 0 ||
	    (rc = time_in(in, "expiration")) < 0 ||
	    (rc = time_in(in, "inception")) < 0 ||
	    (rc = sdns_rt_u16(in, "key tag", &tag)) < 0 ||
	    (rc = sdns_rt_name(in, "signer")) < 0)
		return rc;
	return b64_in(in, "signature");
}

int sdns_rt_in_nsec(sdns_rt_in *in)
{
	uint8_t bits[256][32];
	uint8_t used[256];
	sdns_rt_tok t;
	int rc = sdns_rt_name(in, "next domain name");
	if (rc < 0)
		return rc;
	memset(used, 0, sizeof(used));
	memset(bits, 0, sizeof(bits));
	for (;;) {
		const char *save = in->p;
		if ((rc = sdns_rt_next(in, &t)) <= 0)
			break;
		in->p = save;
		uint16_t ty;
		if ((rc = type_in(in, "type", &ty)) < 0)
			return rc;
		uint8_t win = (uint8_t)(ty >> 8), lo = (uint8_t)ty;
		bits[win][lo >> 3] |= (uint8_t)(0x80 >> (lo & 7));
		if (used[win] < (lo >> 3) + 1)
			used[win] = (uint8_t)((lo >> 3) + 1);
	}
	if (rc < 0)
		return rc;
	/* RFC 4034 §4.1.2: windows in order, each cut after its last non-zero octet */
	for (int win = 0; win < 256; win++) {
		if (!used[win])
			continue;
		if ((rc = sdns_rt_wr(in, sdns_wr_u8(in->w, (uint8_t)win))) < 0 ||
		    (rc = sdns_rt_wr(in, sdns_wr_u8(in->w, used[win]))) < 0 ||
		    (rc = sdns_rt_wr(in, sdns_wr_bytes(in->w, bits[win], used[win]))) < 0)
			return rc;
	}
	return SDNS_OK;
}

int sdns_rt_out_dnskey(sdns_rt_out *o, sdns_rd *r)
{
	uint16_t flags;
	uint8_t proto, alg;
	if (sdns_rd_u16(r, &flags) < 0 || sdns_rd_u8(r, &proto) < 0 ||
	    sdns_rd_u8(r, &alg) < 0 || proto != 3 || sdns_rd_left(r) == 0)
		return SDNS_ERDATA;
	sdns_rt_putu(o, flags);
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, proto);
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, alg);
	sdns_rt_put(o, " ", 1);
	b64_out(o, r->p, sdns_rd_left(r));
	r->p = r->end;
	return SDNS_OK;
}

int sdns_rt_out_rrsig(sdns_rt_out *o, sdns_rd *r)
{
	uint16_t covered, tag;
	uint8_t alg, labels;
	uint32_t ttl, exp, inc;
	char tb[16];
	if (sdns_rd_u16(r, &covered) < 0 || sdns_rd_u8(r, &alg) < 0 ||
	    sdns_rd_u8(r, &labels) < 0 || sdns_rd_u32(r, &ttl) < 0 ||
	    sdns_rd_u32(r, &exp) < 0 || sdns_rd_u32(r, &inc) < 0 ||
	    sdns_rd_u16(r, &tag) < 0)
		return SDNS_ERDATA;
	sdns_rt_puts(o, sdns_type_to_str(covered, tb, sizeof(tb)));
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, alg);
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, labels);
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, ttl);
	sdns_rt_put(o, " ", 1);
	time_out(o, exp);
	sdns_rt_put(o, " ", 1);
	time_out(o, inc);
	sdns_rt_put(o, " ", 1);
	sdns_rt_putu(o, tag);
	sdns_rt_put(o, " ", 1);
	int rc = sdns_rt_put_name(o, r);
	if (rc < 0)
		return rc;
	if (sdns_rd_left(r) == 0)
		return SDNS_ERDATA;
	sdns_rt_put(o, " ", 1);
	b64_out(o, r->p, sdns_rd_left(r));
	r->p = r->end;
	return SDNS_OK;
}

int sdns_rt_out_nsec(sdns_rt_out *o, sdns_rd *r)
{
	int rc = sdns_rt_put_name(o, r);
	if (rc < 0)
		return rc;
	int last = -1;
	while (sdns_rd_left(r) > 0) {
		uint8_t win, n;
		const uint8_t *p;
		if (sdns_rd_u8(r, &win) < 0 || sdns_rd_u8(r, &n) < 0 || n < 1 ||
		    n > 32 || (int)win <= last || sdns_rd_take(r, n, &p) < 0 ||
		    p[n - 1] == 0)
			return SDNS_ERDATA;
		last = win;
		for (unsigned i = 0; i < (unsigned)n * 8; i++) {
			if (!(p[i >> 3] & (0x80 >> (i & 7))))
				continue;
			char tb[16];
			sdns_rt_put(o, " ", 1);
			sdns_rt_puts(o, sdns_type_to_str((uint16_t)(win << 8 | i), tb,
			                                 sizeof(tb)));
		}
	}
	return SDNS_OK;
}
