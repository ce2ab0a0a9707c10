/* Bounds-checked byte readers and writers.
 * Every length that comes from the wire or from a user is checked here, once.
 * Network byte order throughout. Header-only: used on every hot path. */
#ifndef SDNS_BUF_H
#define SDNS_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "sdns/error.h"

/* Reader over [start, end); p is the cursor. start is kept so that
 * compression pointers (offsets from the message start) can be followed. */
typedef struct {
	const uint8_t *start, *p, *end;
} sdns_rd;

static inline void sdns_rd_init(sdns_rd *r, const uint8_t *buf, size_t len)
{
	r->start = r->p = buf;
	r->end = buf + len;
}

static inline size_t sdns_rd_left(const sdns_rd *r) { return (size_t)(r->end - r->p); }
static inline size_t sdns_rd_off(const sdns_rd *r) { return (size_t)(r->p - r->start); }

static inline int sdns_rd_u8(sdns_rd *r, uint8_t *out)
{
	if (r->end - r->p < 1) return SDNS_EMALF;
	*out = r->p[0];
	r->p += 1;
	return SDNS_OK;
}

static inline int sdns_rd_u16(sdns_rd *r, uint16_t *out)
{
	if (r->end - r->p < 2) return SDNS_EMALF;
	*out = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return SDNS_OK;
}

static inline int sdns_rd_u32(sdns_rd *r, uint32_t *out)
{
	if (r->end - r->p < 4) return SDNS_EMALF;
	*out = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	       (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	return SDNS_OK;
}

/* Borrow n bytes without copying. */
static inline int sdns_rd_take(sdns_rd *r, size_t n, const uint8_t **out)
{
	if ((size_t)(r->end - r->p) < n) return SDNS_EMALF;
	*out = r->p;
	r->p += n;
	return SDNS_OK;
}

static inline int sdns_rd_copy(sdns_rd *r, void *dst, size_t n)
{
	if ((size_t)(r->end - r->p) < n) return SDNS_EMALF;
	memcpy(dst, r->p, n);
	r->p += n;
	return SDNS_OK;
}

/* Writer over [start, end); p is the cursor. */
typedef struct {
	uint8_t *start, *p, *end;
} sdns_wr;

static inline void sdns_wr_init(sdns_wr *w, uint8_t *buf, size_t cap)
{
	w->start = w->p = buf;
	w->end = buf + cap;
}

static inline size_t sdns_wr_len(const sdns_wr *w) { return (size_t)(w->p - w->start); }
static inline size_t sdns_wr_left(const sdns_wr *w) { return (size_t)(w->end - w->p); }

static inline int sdns_wr_u8(sdns_wr *w, uint8_t v)
{
	if (w->end - w->p < 1) return SDNS_ESPACE;
	*w->p++ = v;
	return SDNS_OK;
}

static inline int sdns_wr_u16(sdns_wr *w, uint16_t v)
{
	if (w->end - w->p < 2) return SDNS_ESPACE;
	w->p[0] = (uint8_t)(v >> 8);
	w->p[1] = (uint8_t)v;
	w->p += 2;
	return SDNS_OK;
}

static inline int sdns_wr_u32(sdns_wr *w, uint32_t v)
{
	if (w->end - w->p < 4) return SDNS_ESPACE;
	w->p[0] = (uint8_t)(v >> 24);
	w->p[1] = (uint8_t)(v >> 16);
	w->p[2] = (uint8_t)(v >> 8);
	w->p[3] = (uint8_t)v;
	w->p += 4;
	return SDNS_OK;
}

static inline int sdns_wr_bytes(sdns_wr *w, const void *src, size_t n)
{
	if ((size_t)(w->end - w->p) < n) return SDNS_ESPACE;
	if (n) memcpy(w->p, src, n);
	w->p += n;
	return SDNS_OK;
}

/* Overwrite a u16 already written at offset off (for counts and lengths). */
static inline void sdns_wr_put_u16_at(sdns_wr *w, size_t off, uint16_t v)
{
	w->start[off] = (uint8_t)(v >> 8);
	w->start[off + 1] = (uint8_t)v;
}

#endif
