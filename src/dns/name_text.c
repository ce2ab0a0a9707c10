/* Domain names in presentation form (RFC 1035 §5.1, RFC 4343 §2.1).
 * Parsing builds the wire form label by label, checking label and name length
 * as it goes; printing escapes every octet that would not survive a re-parse
 * inside a master file. */
#include <string.h>

#include "sdns/error.h"
#include "sdns/name.h"

/* Copy origin's wire form after the relative labels already in out. */
static int append_origin(sdns_name *out, size_t used, const sdns_name *origin)
{
	if (!origin || origin->len < 1)
		return SDNS_ESYNTAX;
	if (used + origin->len > SDNS_NAME_MAX)
		return SDNS_ENAME;
	memcpy(out->data + used, origin->data, origin->len);
	out->len = (uint8_t)(used + origin->len);
	return SDNS_OK;
}

/* Decode one escape at text[*i] (just after the backslash). \DDD needs
 * exactly three digits and a value <= 255; \X stands for X itself. */
static int read_escape(const char *text, size_t len, size_t *i, uint8_t *out)
{
	if (*i >= len)
		return SDNS_ESYNTAX;
	unsigned char c = (unsigned char)text[*i];
	if (c < '0' || c > '9') {
		*out = c;
		*i += 1;
		return SDNS_OK;
	}
	if (len - *i < 3)
		return SDNS_ESYNTAX;
	unsigned v = 0;
	for (size_t k = 0; k < 3; k++) {
		unsigned char d = (unsigned char)text[*i + k];
		if (d < '0' || d > '9')
			return SDNS_ESYNTAX;
		v = v * 10 + (unsigned)(d - '0');
	}
	if (v > 255)
		return SDNS_ESYNTAX;
	*out = (uint8_t)v;
	*i += 3;
	return SDNS_OK;
}

/* Characters that may not appear unescaped in a name: whitespace and other
 * controls would split or corrupt a master-file line. */
static int plain_ok(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

int sdns_name_from_str(sdns_name *out, const char *text, size_t len,
                       const sdns_name *origin)
{
	if (!out || (!text && len))
		return SDNS_EINVAL;
	if (len == 0)
		return SDNS_ESYNTAX;
	if (len == 1 && text[0] == '@') {
		if (!origin)
			return SDNS_ESYNTAX;
		*out = *origin;
		return SDNS_OK;
	}
	if (len == 1 && text[0] == '.') {
		out->len = 1;
		out->data[0] = 0;
		return SDNS_OK;
	}

	size_t used = 1;      /* wire octets so far; [0] is the first length */
	size_t lab = 0;       /* offset of the current label's length octet */
	size_t lablen = 0;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		if (c == '.') {
			if (lablen == 0)
				return SDNS_ESYNTAX;
			out->data[lab] = (uint8_t)lablen;
			i++;
			if (i == len) {
				/* absolute: add the root label */
				if (used + 1 > SDNS_NAME_MAX)
					return SDNS_ENAME;
				out->data[used++] = 0;
				out->len = (uint8_t)used;
				return SDNS_OK;
			}
			if (used + 1 > SDNS_NAME_MAX)
				return SDNS_ENAME;
			lab = used++;
			lablen = 0;
			continue;
		}
		uint8_t octet;
		if (c == '\\') {
			i++;
			int rc = read_escape(text, len, &i, &octet);
			if (rc < 0)
				return rc;
		} else {
			if (!plain_ok(c))
				return SDNS_ESYNTAX;
			octet = c;
			i++;
		}
		if (lablen == SDNS_LABEL_MAX)
			return SDNS_ELABEL;
		if (used + 1 > SDNS_NAME_MAX)
			return SDNS_ENAME;
		out->data[used++] = octet;
		lablen++;
	}
	/* relative: close the last label, then append the origin */
	out->data[lab] = (uint8_t)lablen;
	return append_origin(out, used, origin);
}

/* Escape set of RFC 1035 §5.1 plus '@' and '$', which open special tokens at
 * the start of a master-file field. */
static int needs_backslash(unsigned char c)
{
	return c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' ||
	       c == ';' || c == '@' || c == '$' || c == ' ';
}

int sdns_name_to_str(const sdns_name *n, char *buf, size_t cap)
{
	if (!n || !buf || cap == 0)
		return SDNS_EINVAL;
	size_t o = 0, i = 0;
	if (n->len < 1)
		return SDNS_EINVAL;
	if (n->data[0] == 0) {
		if (cap < 2)
			return SDNS_ESPACE;
		buf[0] = '.';
		buf[1] = '\0';
		return SDNS_OK;
	}
	for (;;) {
		if (i >= n->len)
			return SDNS_EINVAL;
		uint8_t l = n->data[i++];
		if (l == 0)
			break;
		/* the label and the next length octet must lie inside len */
		if (l > SDNS_LABEL_MAX || i + l >= n->len)
			return SDNS_EINVAL;
		for (uint8_t k = 0; k < l; k++) {
			unsigned char c = n->data[i + k];
			char tmp[5];
			size_t tl;
			if (needs_backslash(c)) {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c < 0x21 || c >= 0x7f) {
				tmp[0] = '\\';
				tmp[1] = (char)('0' + c / 100);
				tmp[2] = (char)('0' + c / 10 % 10);
				tmp[3] = (char)('0' + c % 10);
				tl = 4;
			} else {
				tmp[0] = (char)c;
				tl = 1;
			}
			if (cap - o < tl + 1)
				return SDNS_ESPACE;
			memcpy(buf + o, tmp, tl);
			o += tl;
		}
		i += l;
		if (cap - o < 2)
			return SDNS_ESPACE;
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return SDNS_OK;
}

/* Whether text holds a label separator (an unescaped '.'). */
static bool has_separator(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\')
			i++;
		else if (text[i] == '.')
			return true;
	}
	return false;
}

int sdns_name_owner_in_zone(const char *text, size_t len,
                            const sdns_name *apex, sdns_name *out)
{
	if (!text || !apex || !out || len == 0)
		return SDNS_ESYNTAX;
	if (len == 1 && text[0] == '@') {
		*out = *apex;
		return SDNS_OK;
	}
	char buf[SDNS_NAME_STR_MAX + 2];
	if (len > SDNS_NAME_STR_MAX)
		return SDNS_ENAME;
	bool dotted = text[len - 1] == '.';
	memcpy(buf, text, len);
	if (!dotted)
		buf[len] = '.';
	int rc = sdns_name_from_str(out, buf, len + (dotted ? 0 : 1), NULL);
	if (rc < 0)
		return rc;
	if (sdns_name_is_sub_ci(out, apex))
		return SDNS_OK;
	/* One label is relative to the zone; a dotted name outside it is a
	 * mistake more often than a relative name, so it is not guessed. */
	if (dotted || has_separator(text, len))
		return SDNS_EZONE;
	return sdns_name_from_str(out, text, len, apex);
}
