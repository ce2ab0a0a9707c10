/* NSEC RDATA for compact denial (RFC 9824) and type bitmap reads
 * (RFC 4034 §4.1.2). */
#include <stdlib.h>
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"

static int u16_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* One window block: window number, length, the bitmap octets. */
static int put_window(sdns_wr *w, uint8_t win, const uint8_t bits[32])
{
	int len = 32;
	while (len > 0 && bits[len - 1] == 0) len--;
	if (len == 0) return SDNS_OK;
	int rc = sdns_wr_u8(w, win);
	if (!rc) rc = sdns_wr_u8(w, (uint8_t)len);
	if (!rc) rc = sdns_wr_bytes(w, bits, (size_t)len);
	return rc;
}

static int put_bitmap(sdns_wr *w, const uint16_t *types, size_t n)
{
	uint16_t sorted[64];
	if (n > 64) return SDNS_ELIMIT;
	memcpy(sorted, types, n * sizeof(*types));
	qsort(sorted, n, sizeof(*sorted), u16_cmp);
	uint8_t bits[32];
	int win = -1, rc = SDNS_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		int tw = sorted[i] >> 8;
		if (tw != win) {
			if (win >= 0) rc = put_window(w, (uint8_t)win, bits);
			memset(bits, 0, sizeof(bits));
			win = tw;
		}
		uint8_t lo = sorted[i] & 0xff;
		bits[lo >> 3] |= (uint8_t)(0x80 >> (lo & 7));
	}
	if (!rc && win >= 0) rc = put_window(w, (uint8_t)win, bits);
	return rc;
}

int sdns_dnssec_compact_nsec(const sdns_name *name, const uint16_t *types,
                             size_t n_types, uint8_t *out, size_t cap,
                             size_t *out_len)
{
	if (!name || (!types && n_types) || !out || !out_len)
		return SDNS_EINVAL;
	if (name->len + 2u > SDNS_NAME_MAX) return SDNS_ENAME;
	sdns_wr w;
	sdns_wr_init(&w, out, cap);
	/* next = \000.name: the immediate successor in canonical order. */
	int rc = sdns_wr_u8(&w, 1);
	if (!rc) rc = sdns_wr_u8(&w, 0);
	if (!rc) rc = sdns_wr_bytes(&w, name->data, name->len);
	if (!rc) rc = put_bitmap(&w, types, n_types);
	if (!rc) *out_len = sdns_wr_len(&w);
	return rc;
}

/* Offset of the bitmap after the next-name field, or 0 when malformed. */
static size_t bitmap_off(const uint8_t *rd, size_t len)
{
	size_t p = 0;
	for (;;) {
		if (p >= len) return 0;
		uint8_t ll = rd[p];
		if (ll > SDNS_LABEL_MAX || len - p < 1u + ll) return 0;
		p += 1u + ll;
		if (!ll) return p;
	}
}

bool sdns_dnssec_nsec_has(const uint8_t *rd, size_t len, uint16_t type)
{
	if (!rd) return false;
	size_t p = bitmap_off(rd, len);
	if (!p) return false;
	while (len - p >= 2) {
		uint8_t win = rd[p], blen = rd[p + 1];
		p += 2;
		if (blen == 0 || blen > 32 || len - p < blen) return false;
		if (win == type >> 8) {
			uint8_t lo = type & 0xff;
			return (size_t)(lo >> 3) < blen &&
			       (rd[p + (lo >> 3)] & (0x80 >> (lo & 7)));
		}
		p += blen;
	}
	return false;
}
