/* RFC 1035 §5.1 master files. The text is cut into entries (a line, or
 * several joined by parentheses); the head of an entry (owner, TTL, class,
 * type) is read here and the rest is handed as raw text to
 * sdns_rdata_from_str_why, whose lexer treats parentheses, newlines and
 * comments the same way ours does. $INCLUDE is refused: a zone file must not
 * make the server read other files (it may come from an API upload). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sdns/error.h"
#include "sdns/zfile.h"

/* Limits: the text of one entry, its token count, and a whole file. */
#define ZF_ENTRY_MAX (1u << 20)
#define ZF_TOKENS_MAX 65536
#define ZF_FILE_MAX ((size_t)1 << 30)
#define ZF_TTL_MAX 0x7fffffffu /* RFC 2181 §8 */

typedef struct {
	const char *p;
	size_t len;
	bool quoted;
	int line;
} zf_tok;

typedef struct {
	const char *p, *end;
	int line;               /* line of the cursor */
	int depth;              /* open parentheses */
	const char *entry_end;  /* where the current entry stopped */

	int rec_line;           /* first line of the current entry */
	sdns_name origin;
	bool have_origin;
	uint32_t ttl;           /* $TTL or default_ttl */
	bool have_ttl;
	sdns_name prev;
	bool have_prev;
	uint16_t zclass;        /* class of the first record */
	bool have_class;

	uint8_t *rdata;         /* SDNS_RDATA_MAX + 1 octets */
	sdns_zfile_err *err;
} zf;

static int zf_fail(zf *z, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int zf_fail(zf *z, int code, const char *fmt, ...)
{
	z->err->line = z->rec_line;
	z->err->code = code;
	int n = snprintf(z->err->msg, sizeof(z->err->msg), "line %d: ", z->rec_line);
	if (n < 0 || (size_t)n >= sizeof(z->err->msg))
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(z->err->msg + n, sizeof(z->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* A token for a message: at most 40 printable characters. */
static const char *zf_show(const zf_tok *t, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < t->len && i < 40 && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)t->p[i];
		buf[o++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
	}
	if (t->len > 40 && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Same token boundaries as the RDATA lexer in src/dns/rdata_text.c. */
static bool zf_ends_token(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' ||
	       c == ')' || c == ';' || c == '"';
}

static void zf_newline(zf *z)
{
	if (z->line < INT_MAX)
		z->line++;
}

/* Skip blanks, comments and parentheses. Returns 1 when a token starts at
 * z->p, 0 at the end of the entry (consuming its newline), <0 on error. */
static int zf_skip(zf *z)
{
	while (z->p < z->end) {
		char c = *z->p;
		if (c == ' ' || c == '\t' || c == '\r') {
			z->p++;
		} else if (c == ';') {
			while (z->p < z->end && *z->p != '\n')
				z->p++;
		} else if (c == '(') {
			if (z->depth)
				return zf_fail(z, SDNS_ESYNTAX, "nested '('");
			z->depth = 1;
			z->p++;
		} else if (c == ')') {
			if (!z->depth)
				return zf_fail(z, SDNS_ESYNTAX, "')' without '('");
			z->depth = 0;
			z->p++;
		} else if (c == '\n') {
			if (!z->depth) {
				z->entry_end = z->p++;
				zf_newline(z);
				return 0;
			}
			z->p++;
			zf_newline(z);
		} else {
			return 1;
		}
	}
	if (z->depth)
		return zf_fail(z, SDNS_ESYNTAX, "'(' not closed before end of file");
	z->entry_end = z->p;
	return 0;
}

static int zf_next(zf *z, zf_tok *t)
{
	int rc = zf_skip(z);
	if (rc <= 0)
		return rc;
	t->line = z->line;
	t->quoted = *z->p == '"';
	if (t->quoted) {
		const char *s = ++z->p;
		while (z->p < z->end && *z->p != '"') {
			if (*z->p == '\n')
				return zf_fail(z, SDNS_ESYNTAX, "newline inside quoted string");
			if (*z->p == '\\' && z->end - z->p > 1) {
				z->p++;
				if (*z->p == '\n')
					zf_newline(z);
			}
			z->p++;
		}
		if (z->p >= z->end)
			return zf_fail(z, SDNS_ESYNTAX, "unterminated quoted string");
		t->p = s;
		t->len = (size_t)(z->p - s);
		z->p++;
		return 1;
	}
	const char *s = z->p;
	while (z->p < z->end && !zf_ends_token(*z->p)) {
		if (*z->p == '\\' && z->end - z->p > 1) {
			z->p++;
			if (*z->p == '\n')
				zf_newline(z);
		}
		z->p++;
	}
	t->p = s;
	t->len = (size_t)(z->p - s);
	return 1;
}

/* Consume the rest of the entry, enforcing the limits. */
static int zf_rest(zf *z, const char *start, size_t *ntok)
{
	zf_tok t;
	int rc;
	size_t n = 0;
	while ((rc = zf_next(z, &t)) > 0) {
		if (++n > ZF_TOKENS_MAX)
			return zf_fail(z, SDNS_ELIMIT, "more than %d tokens in one record",
			               ZF_TOKENS_MAX);
		if ((size_t)(z->p - start) > ZF_ENTRY_MAX)
			return zf_fail(z, SDNS_ELIMIT, "record longer than %u characters",
			               ZF_ENTRY_MAX);
	}
	*ntok = n;
	return rc;
}

static int zf_name(zf *z, const zf_tok *t, const char *what, sdns_name *out)
{
	char sb[48];
	if (t->quoted)
		return zf_fail(z, SDNS_ESYNTAX, "quoted %s '%s'", what,
		               zf_show(t, sb, sizeof(sb)));
	int rc = sdns_name_from_str(out, t->p, t->len, z->have_origin ? &z->origin : NULL);
	if (rc == SDNS_ESYNTAX && !z->have_origin) {
		/* was it relative? try again as if an origin existed */
		sdns_name root, tmp;
		sdns_name_from_str(&root, ".", 1, NULL);
		if (sdns_name_from_str(&tmp, t->p, t->len, &root) == SDNS_OK)
			return zf_fail(z, SDNS_ESYNTAX,
			               "relative %s '%s' but no $ORIGIN is set", what,
			               zf_show(t, sb, sizeof(sb)));
	}
	if (rc < 0)
		return zf_fail(z, rc, "bad %s '%s': %s", what, zf_show(t, sb, sizeof(sb)),
		               sdns_strerror(rc));
	return SDNS_OK;
}

static int zf_ttl(zf *z, const zf_tok *t, uint32_t *out)
{
	char sb[48];
	if (t->quoted || sdns_ttl_from_str(t->p, t->len, out) < 0)
		return zf_fail(z, SDNS_ESYNTAX, "bad TTL '%s'", zf_show(t, sb, sizeof(sb)));
	if (*out > ZF_TTL_MAX)
		return zf_fail(z, SDNS_ESYNTAX, "TTL '%s' above 2147483647",
		               zf_show(t, sb, sizeof(sb)));
	return SDNS_OK;
}

/* One argument and nothing else after a directive. */
static int zf_one_arg(zf *z, const char *dir, zf_tok *arg)
{
	int rc = zf_next(z, arg);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return zf_fail(z, SDNS_ESYNTAX, "%s needs an argument", dir);
	zf_tok extra;
	rc = zf_next(z, &extra);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		char sb[48];
		return zf_fail(z, SDNS_ESYNTAX, "unexpected '%s' after %s",
		               zf_show(&extra, sb, sizeof(sb)), dir);
	}
	return SDNS_OK;
}

static int zf_directive(zf *z, const zf_tok *t)
{
	zf_tok arg;
	char sb[48];
	int rc;
	if (t->len == 7 && strncasecmp(t->p, "$ORIGIN", 7) == 0) {
		sdns_name n;
		if ((rc = zf_one_arg(z, "$ORIGIN", &arg)) < 0 ||
		    (rc = zf_name(z, &arg, "$ORIGIN name", &n)) < 0)
			return rc;
		z->origin = n;
		z->have_origin = true;
		return SDNS_OK;
	}
	if (t->len == 4 && strncasecmp(t->p, "$TTL", 4) == 0) {
		if ((rc = zf_one_arg(z, "$TTL", &arg)) < 0 ||
		    (rc = zf_ttl(z, &arg, &z->ttl)) < 0)
			return rc;
		z->have_ttl = true;
		return SDNS_OK;
	}
	if (t->len == 8 && strncasecmp(t->p, "$INCLUDE", 8) == 0)
		return zf_fail(z, SDNS_EDENIED,
		               "$INCLUDE is not supported: a zone file may not make the "
		               "server read other files (security)");
	return zf_fail(z, SDNS_ESYNTAX, "unknown directive '%s'",
	               zf_show(t, sb, sizeof(sb)));
}

/* TTL and class, in either order, each at most once. On entry t is the
 * token after the owner (*more says whether there is one); on return t is
 * the type token. */
static int zf_ttl_class(zf *z, zf_tok *t, int more, uint32_t *ttl, bool *has_ttl,
                        uint16_t *rclass, bool *has_class)
{
	for (;;) {
		if (more < 0)
			return more;
		if (more == 0)
			return zf_fail(z, SDNS_ESYNTAX, "missing type");
		uint32_t v;
		uint16_t c;
		if (!t->quoted && !*has_ttl && sdns_ttl_from_str(t->p, t->len, &v) == 0) {
			int rc = zf_ttl(z, t, ttl);
			if (rc < 0)
				return rc;
			*has_ttl = true;
		} else if (!t->quoted && !*has_class &&
		           sdns_class_from_str(t->p, t->len, &c) == 0) {
			*rclass = c;
			*has_class = true;
		} else {
			return SDNS_OK;
		}
		more = zf_next(z, t);
	}
}

static int zf_record(zf *z, zf_tok *t, bool indented, sdns_zfile_rr_cb cb, void *ctx)
{
	sdns_rr rr;
	char sb[48];
	int rc, more = 1;
	if (indented) {
		if (!z->have_prev)
			return zf_fail(z, SDNS_ESYNTAX,
			               "record has no owner name and there is no previous one");
		rr.owner = z->prev;
	} else {
		if ((rc = zf_name(z, t, "owner name", &rr.owner)) < 0)
			return rc;
		more = zf_next(z, t);
	}
	bool has_ttl = false, has_class = false;
	uint16_t rclass = z->have_class ? z->zclass : SDNS_C_IN;
	if ((rc = zf_ttl_class(z, t, more, &rr.ttl, &has_ttl, &rclass, &has_class)) < 0)
		return rc;
	if (t->quoted || sdns_type_from_str(t->p, t->len, &rr.type) < 0)
		return zf_fail(z, SDNS_ESYNTAX, "unknown type '%s'", zf_show(t, sb, sizeof(sb)));
	if (!has_ttl) {
		if (!z->have_ttl)
			return zf_fail(z, SDNS_ESYNTAX, "record has no TTL and no $TTL is set");
		rr.ttl = z->ttl;
	}
	if (z->have_class && rclass != z->zclass)
		return zf_fail(z, SDNS_ESYNTAX, "class differs from the zone's first record");
	const char *start = z->p;
	size_t ntok;
	if ((rc = zf_rest(z, start, &ntok)) < 0)
		return rc;

	sdns_wr w;
	char why[160];
	/* one spare octet: the RDATA parser then reports "longer than 65535" */
	sdns_wr_init(&w, z->rdata, SDNS_RDATA_MAX + 1);
	rc = sdns_rdata_from_str_why(rr.type, start, (size_t)(z->entry_end - start),
	                             z->have_origin ? &z->origin : NULL, &w, why,
	                             sizeof(why));
	if (rc < 0)
		return zf_fail(z, rc, "%s", why[0] ? why : sdns_strerror(rc));
	rr.rclass = rclass;
	rr.rdlen = (uint16_t)sdns_wr_len(&w);
	rr.rdata = z->rdata;
	z->prev = rr.owner;
	z->have_prev = true;
	z->zclass = rclass;
	z->have_class = true;
	rc = cb(ctx, &rr);
	if (rc != 0) {
		zf_fail(z, rc < 0 ? rc : SDNS_EINVAL, "stopped by the record handler");
		z->err->code = rc;
	}
	return rc;
}

static int zf_entry(zf *z, sdns_zfile_rr_cb cb, void *ctx)
{
	bool indented = *z->p == ' ' || *z->p == '\t';
	z->rec_line = z->line;
	zf_tok t;
	int rc = zf_next(z, &t);
	if (rc <= 0)
		return rc;
	z->rec_line = t.line;
	if (!indented && !t.quoted && t.len > 0 && t.p[0] == '$')
		return zf_directive(z, &t);
	return zf_record(z, &t, indented, cb, ctx);
}

int sdns_zfile_parse(const char *text, size_t len, const sdns_name *origin,
                     uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                     sdns_zfile_err *err)
{
	sdns_zfile_err dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!cb || (!text && len))
		return err->code = SDNS_EINVAL;
	if (!text)
		text = "";
	zf z;
	memset(&z, 0, sizeof(z));
	z.p = text;
	z.end = text + len;
	z.line = 1;
	z.err = err;
	if (origin) {
		z.origin = *origin;
		z.have_origin = true;
	}
	if (default_ttl) {
		z.ttl = default_ttl;
		z.have_ttl = true;
	}
	z.rdata = malloc(SDNS_RDATA_MAX + 1);
	if (!z.rdata)
		return zf_fail(&z, SDNS_ENOMEM, "out of memory");
	int rc = SDNS_OK;
	while (z.p < z.end && rc == SDNS_OK)
		rc = zf_entry(&z, cb, ctx);
	free(z.rdata);
	return rc;
}

int sdns_zfile_load(const char *path, const sdns_name *origin,
                    uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                    sdns_zfile_err *err)
{
	sdns_zfile_err dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!path)
		return err->code = SDNS_EINVAL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "cannot open zone file '%s': %s",
		         path, strerror(errno));
		return err->code = SDNS_EIO;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		snprintf(err->msg, sizeof(err->msg), "zone file '%s' is not a regular file",
		         path);
		return err->code = SDNS_EIO;
	}
	if ((uint64_t)st.st_size > ZF_FILE_MAX) {
		fclose(f);
		snprintf(err->msg, sizeof(err->msg), "zone file '%s' larger than %zu octets",
		         path, ZF_FILE_MAX);
		return err->code = SDNS_ELIMIT;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fclose(f);
		snprintf(err->msg, sizeof(err->msg), "out of memory reading '%s'", path);
		return err->code = SDNS_ENOMEM;
	}
	size_t got = fread(buf, 1, size, f);
	bool bad = ferror(f) || got != size;
	fclose(f);
	if (bad) {
		free(buf);
		snprintf(err->msg, sizeof(err->msg), "short read on zone file '%s'", path);
		return err->code = SDNS_EIO;
	}
	int rc = sdns_zfile_parse(buf, size, origin, default_ttl, cb, ctx, err);
	free(buf);
	return rc;
}
