/* RFC 8785 (JSON Canonicalization Scheme) over jansson values: members
 * sorted by the UTF-16 code units of their names, no white space, the
 * ECMAScript string escapes, integers as plain decimals. */
#include "sdns/audit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"

/* Our own entries nest three or four levels; anything deeper is refused
 * rather than risking the stack on a hostile document. */
#define JCS_MAX_DEPTH 64
/* Beyond 2^53 an ECMAScript verifier would read a different number. */
#define JCS_MAX_SAFE_INT 9007199254740991LL

typedef struct {
	char *p;
	size_t len, cap;
} jbuf;

static int jb_put(jbuf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		return SDNS_ENOMEM;
	size_t need = b->len + n + 1; /* and the NUL */
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < need) {
			if (cap > SIZE_MAX / 2)
				return SDNS_ENOMEM;
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p)
			return SDNS_ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SDNS_OK;
}

static int jb_c(jbuf *b, char c)
{
	return jb_put(b, &c, 1);
}

/* One code point from valid UTF-8 (shortest form, no surrogates, at most
 * U+10FFFF); returns its length in bytes, 0 when the bytes are not valid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_next(u + i, n - i, &cp);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

/* Code points to UTF-16 units, one unit at a time: a pending low surrogate
 * is held until the next call. */
typedef struct {
	const unsigned char *s;
	size_t n, i;
	uint16_t low;
} u16_iter;

static bool u16_next(u16_iter *it, uint16_t *unit)
{
	if (it->low) {
		*unit = it->low;
		it->low = 0;
		return true;
	}
	if (it->i >= it->n)
		return false;
	uint32_t cp = 0;
	it->i += utf8_next(it->s + it->i, it->n - it->i, &cp);
	if (cp < 0x10000) {
		*unit = (uint16_t)cp;
	} else {
		cp -= 0x10000;
		*unit = (uint16_t)(0xd800 | cp >> 10);
		it->low = (uint16_t)(0xdc00 | (cp & 0x3ff));
	}
	return true;
}

typedef struct {
	const char *key;
	size_t len;
	json_t *value;
} member;

/* Keys were validated as UTF-8 before sorting, so utf8_next never fails
 * here. A prefix sorts first. */
static int member_cmp(const void *a, const void *b)
{
	const member *x = a, *y = b;
	u16_iter i = {(const unsigned char *)x->key, x->len, 0, 0};
	u16_iter j = {(const unsigned char *)y->key, y->len, 0, 0};
	for (;;) {
		uint16_t u = 0, v = 0;
		bool hu = u16_next(&i, &u), hv = u16_next(&j, &v);
		if (!hu || !hv)
			return hu - hv;
		if (u != v)
			return u < v ? -1 : 1;
	}
}

static int put_string(jbuf *b, const char *s, size_t n)
{
	if (!utf8_valid(s, n))
		return SDNS_EINVAL;
	int rc = jb_c(b, '"');
	size_t run = 0; /* bytes copied as they are, flushed in one go */
	for (size_t i = 0; rc == SDNS_OK && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[7];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(hex, sizeof(hex), "\\u%04x", c);
				esc = hex;
			}
		}
		if (!esc) {
			run++;
			continue;
		}
		rc = jb_put(b, s + i - run, run);
		run = 0;
		if (rc == SDNS_OK)
			rc = jb_put(b, esc, strlen(esc));
	}
	if (rc == SDNS_OK)
		rc = jb_put(b, s + n - run, run);
	return rc == SDNS_OK ? jb_c(b, '"') : rc;
}

static int put_value(jbuf *b, const json_t *v, int depth);

static int put_object(jbuf *b, const json_t *v, int depth)
{
	size_t n = json_object_size(v), k = 0;
	member *m = n ? calloc(n, sizeof(*m)) : NULL;
	if (n && !m)
		return SDNS_ENOMEM;
	const char *key;
	size_t klen;
	json_t *val;
	json_object_keylen_foreach((json_t *)v, key, klen, val) {
		if (k == n || !utf8_valid(key, klen)) {
			free(m);
			return SDNS_EINVAL;
		}
		m[k++] = (member){key, klen, val};
	}
	if (k > 1)
		qsort(m, k, sizeof(*m), member_cmp);
	int rc = jb_c(b, '{');
	for (size_t i = 0; rc == SDNS_OK && i < k; i++) {
		if (i)
			rc = jb_c(b, ',');
		if (rc == SDNS_OK)
			rc = put_string(b, m[i].key, m[i].len);
		if (rc == SDNS_OK)
			rc = jb_c(b, ':');
		if (rc == SDNS_OK)
			rc = put_value(b, m[i].value, depth + 1);
	}
	free(m);
	return rc == SDNS_OK ? jb_c(b, '}') : rc;
}

static int put_array(jbuf *b, const json_t *v, int depth)
{
	int rc = jb_c(b, '[');
	for (size_t i = 0; rc == SDNS_OK && i < json_array_size(v); i++) {
		if (i)
			rc = jb_c(b, ',');
		if (rc == SDNS_OK)
			rc = put_value(b, json_array_get(v, i), depth + 1);
	}
	return rc == SDNS_OK ? jb_c(b, ']') : rc;
}

static int put_integer(jbuf *b, json_int_t i)
{
	if (i > JCS_MAX_SAFE_INT || i < -JCS_MAX_SAFE_INT)
		return SDNS_EINVAL;
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", (long long)i);
	return jb_put(b, num, (size_t)n);
}

static int put_value(jbuf *b, const json_t *v, int depth)
{
	if (!v || depth > JCS_MAX_DEPTH)
		return SDNS_EINVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return put_object(b, v, depth);
	case JSON_ARRAY: return put_array(b, v, depth);
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return put_integer(b, json_integer_value(v));
	case JSON_TRUE: return jb_put(b, "true", 4);
	case JSON_FALSE: return jb_put(b, "false", 5);
	case JSON_NULL: return jb_put(b, "null", 4);
	case JSON_REAL: return SDNS_EINVAL;
	}
	return SDNS_EINVAL;
}

int sdns_audit_canonical(const json_t *v, char **out, size_t *len)
{
	if (!out || !len)
		return SDNS_EINVAL;
	jbuf b = {0};
	int rc = put_value(&b, v, 0);
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return SDNS_OK;
}
