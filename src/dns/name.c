/* Domain names in wire form: decompression, validation, comparison.
 * Names are fixed-size values; nothing here allocates. */
#include <string.h>

#include "sdns/name.h"

/* Hard cap on pointers followed for one name, on top of the rule that each
 * pointer must land before the run it ends (which alone forbids loops). */
#define PTR_HOPS_MAX 128

static inline uint8_t lower(uint8_t c)
{
	return (uint8_t)(c + (((unsigned)c - 'A') < 26u) * 32u);
}

int sdns_name_unpack(sdns_rd *r, sdns_name *out)
{
	const uint8_t *p = r->p;
	const uint8_t *run = r->p;   /* start of the bytes read since the last jump */
	const uint8_t *after = NULL; /* cursor once the name ends; set at 1st jump */
	size_t len = 0;
	int hops = 0;

	for (;;) {
		if (p >= r->end)
			return SDNS_EMALF;
		uint8_t c = *p;
		if (c == 0) {
			out->data[len++] = 0;
			out->len = (uint8_t)len;
			r->p = after ? after : p + 1;
			return SDNS_OK;
		}
		switch (c & 0xc0) {
		case 0x00:
			if (len + 1 + c + 1 > SDNS_NAME_MAX)
				return SDNS_ENAME;
			if ((size_t)(r->end - p) < 1u + c)
				return SDNS_EMALF;
			memcpy(out->data + len, p, 1u + c);
			len += 1u + c;
			p += 1u + c;
			break;
		case 0xc0: {
			if (r->end - p < 2)
				return SDNS_EMALF;
			size_t target = (size_t)(c & 0x3f) << 8 | p[1];
			size_t here = (size_t)(p - r->start);
			if (target >= (size_t)(r->end - r->start))
				return SDNS_EPTR;
			if (target >= here)
				return SDNS_EFWDPTR;
			/* Landing inside the run we just read would replay it. */
			if (r->start + target >= run || ++hops > PTR_HOPS_MAX)
				return SDNS_ELOOP;
			if (!after)
				after = p + 2;
			p = run = r->start + target;
			break;
		}
		default: /* 01 extended (RFC 6891 §5), 10 reserved */
			return SDNS_EMALF;
		}
	}
}

int sdns_name_pack(sdns_wr *w, const sdns_name *n)
{
	return sdns_wr_bytes(w, n->data, n->len);
}

int sdns_name_from_wire(const uint8_t *wire, size_t len, sdns_name *out)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = wire[i];
		if (c == 0) {
			if (i + 1 != len)
				return SDNS_ETRAIL;
			memcpy(out->data, wire, len);
			out->len = (uint8_t)len;
			return SDNS_OK;
		}
		if (c & 0xc0)
			return SDNS_EMALF; /* pointers and extended labels */
		if (i + 1 + c + 1 > SDNS_NAME_MAX)
			return SDNS_ENAME;
		i += 1u + c;
	}
	return SDNS_EMALF;
}

void sdns_name_root(sdns_name *out)
{
	out->len = 1;
	out->data[0] = 0;
}

int sdns_name_labels(const sdns_name *n)
{
	int count = 0;
	for (size_t i = 0; i < n->len && n->data[i]; i += 1u + n->data[i])
		count++;
	return count;
}

static bool eq_ci_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i] && lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Length octets are <= 63 so lowering them is harmless: a byte-wise
 * case-insensitive compare of two well-formed names is a name compare. */
bool sdns_name_eq_ci(const sdns_name *a, const sdns_name *b)
{
	return a->len == b->len && eq_ci_bytes(a->data, b->data, a->len);
}

bool sdns_name_is_sub_ci(const sdns_name *n, const sdns_name *apex)
{
	if (n->len < apex->len)
		return false;
	size_t want = (size_t)(n->len - apex->len);
	size_t i = 0;
	while (i < want)
		i += 1u + n->data[i];
	return i == want && eq_ci_bytes(n->data + i, apex->data, apex->len);
}

void sdns_name_lower(sdns_name *n)
{
	for (size_t i = 0; i < n->len; i++)
		n->data[i] = lower(n->data[i]);
}

void sdns_name_parent(sdns_name *n)
{
	if (n->len <= 1)
		return;
	size_t drop = 1u + n->data[0];
	memmove(n->data, n->data + drop, n->len - drop);
	n->len = (uint8_t)(n->len - drop);
}

/* Offsets of each label, leftmost first; returns the count (root excluded). */
static int label_offsets(const sdns_name *n, uint8_t offs[128])
{
	int count = 0;
	for (size_t i = 0; i < n->len && n->data[i]; i += 1u + n->data[i])
		offs[count++] = (uint8_t)i;
	return count;
}

static int label_cmp(const uint8_t *a, const uint8_t *b)
{
	size_t la = a[0], lb = b[0], n = la < lb ? la : lb;
	for (size_t i = 1; i <= n; i++) {
		int d = (int)lower(a[i]) - (int)lower(b[i]);
		if (d)
			return d;
	}
	return (int)la - (int)lb;
}

int sdns_name_canon_cmp(const sdns_name *a, const sdns_name *b)
{
	uint8_t oa[128], ob[128];
	int na = label_offsets(a, oa), nb = label_offsets(b, ob);
	while (na > 0 && nb > 0) {
		int d = label_cmp(a->data + oa[--na], b->data + ob[--nb]);
		if (d)
			return d;
	}
	return na - nb;
}

int sdns_name_prepend(sdns_name *n, const uint8_t *label, size_t len)
{
	if (len == 0)
		return SDNS_EINVAL;
	if (len > SDNS_LABEL_MAX)
		return SDNS_ELABEL;
	if (n->len + 1u + len > SDNS_NAME_MAX)
		return SDNS_ENAME;
	memmove(n->data + 1 + len, n->data, n->len);
	n->data[0] = (uint8_t)len;
	memcpy(n->data + 1, label, len);
	n->len = (uint8_t)(n->len + 1u + len);
	return SDNS_OK;
}

uint64_t sdns_name_hash_ci(const sdns_name *n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n->len; i++) {
		h ^= lower(n->data[i]);
		h *= 0x100000001b3ull;
	}
	return h;
}
