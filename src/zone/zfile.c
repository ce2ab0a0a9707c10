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

/* ---------- the incremental interface ----------
 *
 * The entry parser above reads one whole entry at a time and treats the end
 * of its buffer as the end of the file. So a framer in front of it follows
 * the same lexical rules byte by byte (comments, quotes, escapes,
 * parentheses) and hands it only complete entries: in place from the
 * caller's chunk, or from a carry buffer holding the one entry that spans
 * chunks. An entry ends at a newline outside parentheses, or right after a
 * byte the parser refuses on sight (a newline inside quotes, a nested '(',
 * a ')' without '('), so the parser fails there exactly as it would on the
 * whole text. Records, errors and line numbers are therefore those of
 * sdns_zfile_parse on the concatenation, whatever the chunk sizes. */

/* An entry (with its comments) longer than this is refused before the
 * parser sees it: that bounds the carry buffer. Above every record the
 * parser accepts (ZF_ENTRY_MAX of RDATA text plus a head). */
#define ZF_FRAME_MAX (ZF_ENTRY_MAX + 65536u)

typedef enum { ZL_TOP, ZL_COMMENT, ZL_QUOTE, ZL_QUOTE_ESC, ZL_TOKEN,
               ZL_TOKEN_ESC } zl_state;

struct sdns_zfile_parser {
	zf z;                   /* the entry parser's state across chunks */
	sdns_zfile_rr_cb cb;
	void *ctx;
	sdns_zfile_err err;     /* z.err points here */
	int rc;                 /* the first failure: every later call returns it */
	bool ended;
	/* the framer, after the last byte seen */
	zl_state st;
	bool paren;
	bool have_tok;          /* the current entry has a token */
	int line;               /* line of the next byte */
	int entry_line;         /* line of the current entry's first token */
	size_t entry_len;       /* bytes of the current entry so far */
	char *carry;            /* the current entry, when it spans chunks */
	size_t carry_len, carry_cap;
};

sdns_zfile_parser *sdns_zfile_new(const sdns_name *origin, uint32_t default_ttl,
                                  sdns_zfile_rr_cb cb, void *ctx)
{
	if (!cb)
		return NULL;
	sdns_zfile_parser *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->z.rdata = malloc(SDNS_RDATA_MAX + 1);
	if (!p->z.rdata) {
		free(p);
		return NULL;
	}
	p->z.line = p->line = p->entry_line = 1;
	p->z.err = &p->err;
	if (origin) {
		p->z.origin = *origin;
		p->z.have_origin = true;
	}
	if (default_ttl) {
		p->z.ttl = default_ttl;
		p->z.have_ttl = true;
	}
	p->cb = cb;
	p->ctx = ctx;
	return p;
}

void sdns_zfile_free(sdns_zfile_parser *p)
{
	if (!p)
		return;
	free(p->z.rdata);
	free(p->carry);
	free(p);
}

int sdns_zfile_line(const sdns_zfile_parser *p)
{
	return p->line;
}

static int zl_result(const sdns_zfile_parser *p, sdns_zfile_err *err)
{
	if (err) {
		if (p->rc)
			*err = p->err;
		else
			memset(err, 0, sizeof(*err));
	}
	return p->rc;
}

/* Parse complete entries text[0..len) (final: the end of the file). */
static int zl_run(sdns_zfile_parser *p, const char *text, size_t len)
{
	zf *z = &p->z;
	z->p = text;
	z->end = text + len;
	int rc = SDNS_OK;
	while (z->p < z->end && rc == SDNS_OK)
		rc = zf_entry(z, p->cb, p->ctx);
	if (rc)
		p->rc = rc;
	return rc;
}

static void zl_cut(sdns_zfile_parser *p)
{
	p->st = ZL_TOP;
	p->paren = false;
	p->have_tok = false;
	p->entry_len = 0;
	p->entry_line = p->line; /* until its first token says otherwise */
}

static void zl_token(sdns_zfile_parser *p, zl_state st)
{
	p->st = st;
	if (!p->have_tok) {
		p->have_tok = true;
		p->entry_line = p->line;
	}
}

/* One byte through the framer: true when it ends the entry. The same
 * rules as zf_skip and zf_next. */
static bool zl_byte(sdns_zfile_parser *p, char c)
{
	switch (p->st) {
	case ZL_COMMENT:
		if (c != '\n')
			return false;
		p->st = ZL_TOP;
		break;
	case ZL_QUOTE:
		if (c == '"')
			p->st = ZL_TOP;
		else if (c == '\\')
			p->st = ZL_QUOTE_ESC;
		else if (c == '\n')
			return true; /* the parser refuses it here */
		return false;
	case ZL_QUOTE_ESC:
		p->st = ZL_QUOTE;
		return false;
	case ZL_TOKEN_ESC:
		p->st = ZL_TOKEN;
		return false;
	case ZL_TOKEN:
		if (!zf_ends_token(c)) {
			if (c == '\\')
				p->st = ZL_TOKEN_ESC;
			return false;
		}
		p->st = ZL_TOP;
		break;
	case ZL_TOP:
		break;
	}
	switch (c) {
	case ' ': case '\t': case '\r':
		return false;
	case ';':
		p->st = ZL_COMMENT;
		return false;
	case '(':
		if (p->paren)
			return true; /* nested: refused here */
		p->paren = true;
		return false;
	case ')':
		if (!p->paren)
			return true; /* unopened: refused here */
		p->paren = false;
		return false;
	case '\n':
		return !p->paren;
	case '"':
		zl_token(p, ZL_QUOTE);
		return false;
	case '\\':
		zl_token(p, ZL_TOKEN_ESC);
		return false;
	default:
		zl_token(p, ZL_TOKEN);
		return false;
	}
}

static int zl_carry(sdns_zfile_parser *p, const char *buf, size_t len)
{
	if (len > p->carry_cap - p->carry_len) {
		size_t cap = p->carry_cap ? p->carry_cap : 4096;
		while (cap < p->carry_len + len)
			cap *= 2;
		char *nc = realloc(p->carry, cap);
		if (!nc) {
			p->z.rec_line = p->entry_line;
			return p->rc = zf_fail(&p->z, SDNS_ENOMEM, "out of memory");
		}
		p->carry = nc;
		p->carry_cap = cap;
	}
	memcpy(p->carry + p->carry_len, buf, len);
	p->carry_len += len;
	return SDNS_OK;
}

/* The carried entry ends at buf[len - 1]: complete and parse it. */
static int zl_flush_carry(sdns_zfile_parser *p, const char *buf, size_t len)
{
	int rc = zl_carry(p, buf, len);
	if (rc == SDNS_OK)
		rc = zl_run(p, p->carry, p->carry_len);
	p->carry_len = 0;
	return rc;
}

static int zl_too_long(sdns_zfile_parser *p)
{
	p->z.rec_line = p->entry_line;
	return p->rc = zf_fail(&p->z, SDNS_ELIMIT, "record longer than %u "
	                       "characters", ZF_ENTRY_MAX);
}

int sdns_zfile_feed(sdns_zfile_parser *p, const char *buf, size_t len,
                    sdns_zfile_err *err)
{
	if (!p->rc && (p->ended || (!buf && len))) {
		p->err.code = p->rc = SDNS_EINVAL;
		snprintf(p->err.msg, sizeof(p->err.msg), "bad arguments");
	}
	size_t done = 0, last = 0; /* parsed up to; last entry end seen */
	for (size_t i = 0; i < len && !p->rc; i++) {
		char c = buf[i];
		bool cut = zl_byte(p, c);
		if (c == '\n' && p->line < INT_MAX)
			p->line++;
		if (cut) {
			zl_cut(p);
			last = i + 1;
			if (p->carry_len && zl_flush_carry(p, buf, last) == SDNS_OK)
				done = last;
		} else if (++p->entry_len > ZF_FRAME_MAX) {
			if (last > done)
				zl_run(p, buf + done, last - done);
			if (!p->rc)
				zl_too_long(p);
		}
	}
	if (!p->rc && last > done)
		zl_run(p, buf + done, last - done);
	if (!p->rc && len > last)
		zl_carry(p, buf + last, len - last);
	return zl_result(p, err);
}

int sdns_zfile_end(sdns_zfile_parser *p, sdns_zfile_err *err)
{
	if (!p->rc && !p->ended && p->carry_len)
		zl_run(p, p->carry, p->carry_len);
	p->carry_len = 0;
	p->ended = true;
	return zl_result(p, err);
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
	sdns_zfile_parser *p = sdns_zfile_new(origin, default_ttl, cb, ctx);
	if (!p) {
		snprintf(err->msg, sizeof(err->msg), "line 1: out of memory");
		return err->code = SDNS_ENOMEM;
	}
	int rc = sdns_zfile_feed(p, text, len, err);
	if (rc == SDNS_OK)
		rc = sdns_zfile_end(p, err);
	sdns_zfile_free(p);
	return rc;
}

/* The file in chunks through the incremental parser. */
static int zl_load_stream(FILE *f, const char *path, const sdns_name *origin,
                          uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                          sdns_zfile_err *err)
{
	enum { CHUNK = 1 << 16 };
	char *buf = malloc(CHUNK);
	sdns_zfile_parser *p = buf ? sdns_zfile_new(origin, default_ttl, cb, ctx)
	                           : NULL;
	int rc = SDNS_OK;
	if (!p) {
		snprintf(err->msg, sizeof(err->msg), "out of memory reading '%s'", path);
		rc = err->code = SDNS_ENOMEM;
	}
	size_t got;
	while (rc == SDNS_OK && (got = fread(buf, 1, CHUNK, f)) > 0)
		rc = sdns_zfile_feed(p, buf, got, err);
	if (rc == SDNS_OK && ferror(f)) {
		snprintf(err->msg, sizeof(err->msg), "short read on zone file '%s'", path);
		rc = err->code = SDNS_EIO;
	}
	if (rc == SDNS_OK)
		rc = sdns_zfile_end(p, err);
	sdns_zfile_free(p);
	free(buf);
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
	if (!path || !cb)
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
	int rc = zl_load_stream(f, path, origin, default_ttl, cb, ctx, err);
	fclose(f);
	return rc;
}
