/* Tests for src/zone/zfile.c: RFC 1035 master files to records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/zfile.h"
#include "testlib.h"

#define MAX_RECS 16

typedef struct {
	int n;
	char line[MAX_RECS][600];
	uint8_t rdata[MAX_RECS][64];
	uint16_t rdlen[MAX_RECS];
	int stop_at;       /* return 7 on this record (1-based), 0 = never */
} collect;

static int on_rr(void *ctx, const sdns_rr *rr)
{
	collect *c = ctx;
	if (c->n >= MAX_RECS)
		return 0; /* count only */
	ck_assert_int_eq(sdns_rr_to_str(rr, c->line[c->n], sizeof(c->line[0])), SDNS_OK);
	if (rr->rdlen <= sizeof(c->rdata[0]))
		memcpy(c->rdata[c->n], rr->rdata, rr->rdlen);
	c->rdlen[c->n] = rr->rdlen;
	c->n++;
	return c->stop_at == c->n ? 7 : 0;
}

static sdns_zfile_err err;

static int parse(const char *text, const char *origin, uint32_t ttl, collect *c)
{
	sdns_name o;
	if (origin)
		ck_assert_int_eq(sdns_name_from_str(&o, origin, strlen(origin), NULL), SDNS_OK);
	memset(c, 0, sizeof(*c));
	return sdns_zfile_parse(text, strlen(text), origin ? &o : NULL, ttl, on_rr, c, &err);
}

static void fails(const char *text, int code, int line, const char *msg)
{
	collect c;
	int rc = parse(text, NULL, 0, &c);
	ck_assert_msg(rc == code, "rc %d want %d for:\n%s\nmsg: %s", rc, code, text, err.msg);
	ck_assert_int_eq(err.code, code);
	ck_assert_int_eq(err.line, line);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "message '%s' lacks '%s'", err.msg, msg);
}

static const char zone[] =
	"; a small zone\n"
	"$ORIGIN example.\n"
	"$TTL 1h\n"
	"\n"
	"@   IN  SOA ns1 hostmaster ( 2024010101 ; serial\n"
	"            1h 15m 1w 1d )   ; refresh retry expire minimum\n"
	"    IN  NS  ns1\n"
	"ns1     A   192.0.2.1\n"
	"www 300 IN A 192.0.2.2\n"
	"    IN 1h30m AAAA 2001:db8::2   ; blank owner, class then TTL\n"
	"mail    MX  10 mail.other.\n"
	"txt     TXT \"a; not a comment\" b\n"
	"sub.example. 2d CNAME www\n";

START_TEST(test_zone_with_all_the_features_gives_exact_records)
{
	static const char *const want[] = {
		"example.\t3600\tIN\tSOA\tns1.example. hostmaster.example. 2024010101 3600 900 604800 86400",
		"example.\t3600\tIN\tNS\tns1.example.",
		"ns1.example.\t3600\tIN\tA\t192.0.2.1",
		"www.example.\t300\tIN\tA\t192.0.2.2",
		"www.example.\t5400\tIN\tAAAA\t2001:db8::2",
		"mail.example.\t3600\tIN\tMX\t10 mail.other.",
		"txt.example.\t3600\tIN\tTXT\t\"a; not a comment\" \"b\"",
		"sub.example.\t172800\tIN\tCNAME\twww.example.",
	};
	collect c;
	ck_assert_int_eq(parse(zone, NULL, 0, &c), SDNS_OK);
	ck_assert_int_eq(c.n, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_str_eq(c.line[i], want[i]);
	ck_assert_int_eq(err.code, 0);
}
END_TEST

START_TEST(test_multiline_soa_gives_exact_wire)
{
	collect c;
	ck_assert_int_eq(parse(zone, NULL, 0, &c), SDNS_OK);
	uint8_t want[64];
	int wl = sdns_test_hex("036e7331 076578616d706c65 00"
	                       "0a686f73746d6173746572 076578616d706c65 00"
	                       "78a3f175 00000e10 00000384 00093a80 00015180",
	                       want, sizeof(want));
	ck_assert_int_eq(c.rdlen[0], wl);
	ck_assert_mem_eq(c.rdata[0], want, (size_t)wl);
}
END_TEST

START_TEST(test_caller_origin_and_default_ttl_apply)
{
	collect c;
	ck_assert_int_eq(parse("www A 10.0.0.1\n@ TXT hi\n", "corp.mesh.", 60, &c), SDNS_OK);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.line[0], "www.corp.mesh.\t60\tIN\tA\t10.0.0.1");
	ck_assert_str_eq(c.line[1], "corp.mesh.\t60\tIN\tTXT\t\"hi\"");
}
END_TEST

START_TEST(test_dollar_ttl_overrides_default_ttl)
{
	collect c;
	ck_assert_int_eq(parse("a A 10.0.0.1\n$TTL 2m\nb A 10.0.0.2\n", "x.", 60, &c),
	                 SDNS_OK);
	ck_assert_str_eq(c.line[0], "a.x.\t60\tIN\tA\t10.0.0.1");
	ck_assert_str_eq(c.line[1], "b.x.\t120\tIN\tA\t10.0.0.2");
}
END_TEST

START_TEST(test_origin_can_change_and_be_relative)
{
	collect c;
	ck_assert_int_eq(parse("$ORIGIN example.\n$TTL 5\na A 10.0.0.1\n"
	                       "$ORIGIN sub\nb A 10.0.0.2\n@ NS a\n", NULL, 0, &c),
	                 SDNS_OK);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.line[0], "a.example.\t5\tIN\tA\t10.0.0.1");
	ck_assert_str_eq(c.line[1], "b.sub.example.\t5\tIN\tA\t10.0.0.2");
	ck_assert_str_eq(c.line[2], "sub.example.\t5\tIN\tNS\ta.sub.example.");
}
END_TEST

START_TEST(test_blank_owner_inherits_across_directives_and_comments)
{
	collect c;
	ck_assert_int_eq(parse("a.x. 1 A 10.0.0.1\n; note\n\n\t1 A 10.0.0.2\r\n", NULL, 0, &c),
	                 SDNS_OK);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.line[1], "a.x.\t1\tIN\tA\t10.0.0.2");
}
END_TEST

START_TEST(test_ttl_and_class_in_either_order)
{
	collect c;
	ck_assert_int_eq(parse("a 10 IN A 10.0.0.1\nb IN 20 A 10.0.0.2\nc IN A 10.0.0.3\n",
	                       "x.", 30, &c), SDNS_OK);
	ck_assert_str_eq(c.line[0], "a.x.\t10\tIN\tA\t10.0.0.1");
	ck_assert_str_eq(c.line[1], "b.x.\t20\tIN\tA\t10.0.0.2");
	ck_assert_str_eq(c.line[2], "c.x.\t30\tIN\tA\t10.0.0.3");
}
END_TEST

START_TEST(test_generic_and_dnssec_records_parse)
{
	collect c;
	ck_assert_int_eq(parse("a TYPE1234 \\# 2 abcd\n"
	                       "a NSEC ( b A\n MX RRSIG NSEC TYPE1234 )\n"
	                       "a A \\# 4 0a000001\n", "x.", 9, &c), SDNS_OK);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.line[0], "a.x.\t9\tIN\tTYPE1234\t\\# 2 abcd");
	ck_assert_str_eq(c.line[1], "a.x.\t9\tIN\tNSEC\tb.x. A MX RRSIG NSEC TYPE1234");
	ck_assert_str_eq(c.line[2], "a.x.\t9\tIN\tA\t10.0.0.1");
}
END_TEST

START_TEST(test_empty_and_comment_only_text_gives_no_records)
{
	collect c;
	ck_assert_int_eq(parse("", NULL, 0, &c), SDNS_OK);
	ck_assert_int_eq(parse("; nothing\n\n   \n\t; still nothing", NULL, 0, &c), SDNS_OK);
	ck_assert_int_eq(c.n, 0);
}
END_TEST

START_TEST(test_error_on_line_9_says_line_9)
{
	fails("$ORIGIN example.\n"
	      "$TTL 300\n"
	      "@ SOA ns1 h (\n"
	      "  1 2 3\n"
	      "  4 5 )\n"
	      "ns1 A 10.0.0.1\n"
	      "; comment\n"
	      "\n"
	      "bad A 10.0.0.256\n",
	      SDNS_ESYNTAX, 9, "line 9: bad IPv4 address '10.0.0.256' in A record");
}
END_TEST

START_TEST(test_error_in_multiline_record_gives_its_first_line)
{
	fails("$ORIGIN x.\n$TTL 1\n@ SOA ns1 h (\n 1 2 3\n 4 five )\n",
	      SDNS_ESYNTAX, 3, "line 3: bad minimum 'five' in SOA record");
}
END_TEST

START_TEST(test_include_is_refused_for_security)
{
	fails("$ORIGIN x.\n$INCLUDE /etc/passwd\n", SDNS_EDENIED, 2,
	      "$INCLUDE is not supported");
	ck_assert_ptr_nonnull(strstr(err.msg, "security"));
}
END_TEST

START_TEST(test_first_record_without_owner_is_refused)
{
	fails("  IN A 10.0.0.1\n", SDNS_ESYNTAX, 1, "no owner name");
}
END_TEST

START_TEST(test_relative_name_without_origin_is_refused)
{
	fails("$TTL 1\nwww A 10.0.0.1\n", SDNS_ESYNTAX, 2,
	      "relative owner name 'www' but no $ORIGIN");
	fails("$TTL 1\nw.x. CNAME www\n", SDNS_ESYNTAX, 2,
	      "relative domain name 'www' in CNAME record but no origin");
	fails("$TTL 1\n@ A 10.0.0.1\n", SDNS_ESYNTAX, 2, "no $ORIGIN");
}
END_TEST

START_TEST(test_record_without_ttl_needs_dollar_ttl)
{
	fails("a.x. A 10.0.0.1\n", SDNS_ESYNTAX, 1, "no TTL");
}
END_TEST

START_TEST(test_head_errors_name_the_token)
{
	fails("$TTL 1\na.x. FOO 1\n", SDNS_ESYNTAX, 2, "unknown type 'FOO'");
	fails("$TTL 1\na.x. IN\n", SDNS_ESYNTAX, 2, "missing type");
	fails("$TTL 1\na.x.\n", SDNS_ESYNTAX, 2, "missing type");
	fails("$TTL 1x\n", SDNS_ESYNTAX, 1, "bad TTL '1x'");
	fails("$TTL 1 2\n", SDNS_ESYNTAX, 1, "unexpected '2' after $TTL");
	fails("$TTL\n", SDNS_ESYNTAX, 1, "$TTL needs an argument");
	fails("$ORIGIN a..b.\n", SDNS_ESYNTAX, 1, "bad $ORIGIN name 'a..b.'");
	fails("$GENERATE 1-2 a A 10.0.0.1\n", SDNS_ESYNTAX, 1, "unknown directive '$GENERATE'");
	fails("a.x. 2147483648 A 10.0.0.1\n", SDNS_ESYNTAX, 1, "above 2147483647");
	fails("$TTL 1\na..x. A 10.0.0.1\n", SDNS_ESYNTAX, 2, "bad owner name 'a..x.'");
	fails("$TTL 1\n\"a.x.\" A 10.0.0.1\n", SDNS_ESYNTAX, 2, "quoted owner name");
	fails("$TTL 1\na.x. A 10.0.0.1\nb.x. CH A 10.0.0.1\n", SDNS_ESYNTAX, 3,
	      "class differs");
}
END_TEST

START_TEST(test_parentheses_and_quotes_must_balance)
{
	fails("$TTL 1\na.x. TXT ( x\n y\n", SDNS_ESYNTAX, 2, "not closed");
	fails("$TTL 1\na.x. TXT x )\n", SDNS_ESYNTAX, 2, "')' without '('");
	fails("$TTL 1\na.x. TXT ( ( x ) )\n", SDNS_ESYNTAX, 2, "nested '('");
	fails("$TTL 1\na.x. TXT \"x\n", SDNS_ESYNTAX, 2, "newline inside quoted");
	fails("$TTL 1\na.x. TXT \"x", SDNS_ESYNTAX, 2, "unterminated quoted");
}
END_TEST

START_TEST(test_rdata_errors_per_type_carry_line)
{
	fails("$TTL 1\n\na.x. MX -1 m.x.\n", SDNS_ESYNTAX, 3, "bad preference '-1' in MX");
	fails("$TTL 1\na.x. SRV 0 0 70000 t.x.\n", SDNS_ESYNTAX, 2, "bad port '70000'");
	fails("$TTL 1\na.x. AAAA 1.2.3.4\n", SDNS_ESYNTAX, 2, "bad IPv6 address '1.2.3.4'");
	fails("$TTL 1\na.x. TYPE99 abc\n", SDNS_ETYPE, 2, "no text form for TYPE99");
}
END_TEST

START_TEST(test_too_many_tokens_is_elimit)
{
	size_t n = 70000;
	char *text = malloc(n * 2 + 32);
	ck_assert_ptr_nonnull(text);
	strcpy(text, "a.x. 1 TXT");
	size_t o = strlen(text);
	for (size_t i = 0; i < n; i++) {
		text[o++] = ' ';
		text[o++] = 'a';
	}
	text[o++] = '\n';
	text[o] = '\0';
	collect c;
	int rc = parse(text, NULL, 0, &c);
	free(text);
	ck_assert_int_eq(rc, SDNS_ELIMIT);
	ck_assert_int_eq(err.line, 1);
}
END_TEST

START_TEST(test_rdata_over_65535_octets_is_refused)
{
	/* 258 strings of 255 octets, on lines 2..259 inside parentheses */
	size_t cap = 300 * 258 + 64;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	strcpy(text, "\na.x. 1 TXT (\n");
	size_t o = strlen(text);
	for (int i = 0; i < 258; i++) {
		memset(text + o, 'z', 255);
		o += 255;
		text[o++] = '\n';
	}
	strcpy(text + o, ")\n");
	collect c;
	int rc = parse(text, NULL, 0, &c);
	free(text);
	ck_assert_int_eq(rc, SDNS_ESYNTAX);
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 2: RDATA longer than 65535 octets"));
}
END_TEST

START_TEST(test_callback_can_stop_parsing)
{
	collect c;
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	static const char text[] = "$TTL 1\na.x. A 10.0.0.1\nb.x. A 10.0.0.2\nc.x. A 10.0.0.3\n";
	int rc = sdns_zfile_parse(text, strlen(text), NULL, 0, on_rr, &c, &err);
	ck_assert_int_eq(rc, 7);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(err.line, 3);
}
END_TEST

START_TEST(test_load_reads_a_file)
{
	char dir[256], path[300];
	ck_assert_int_eq(sdns_test_mkdtemp("zfile", dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/z.zone", dir);
	ck_assert_int_eq(sdns_test_write_file(path, zone), 0);
	collect c;
	memset(&c, 0, sizeof(c));
	int rc = sdns_zfile_load(path, NULL, 0, on_rr, &c, &err);
	snprintf(path, sizeof(path), "%s/missing.zone", dir);
	int rc2 = sdns_zfile_load(path, NULL, 0, on_rr, &c, &err);
	int rc3 = sdns_zfile_load(dir, NULL, 0, on_rr, &c, &err);
	sdns_test_rmtree(dir);
	ck_assert_int_eq(rc, SDNS_OK);
	ck_assert_int_eq(c.n, 8);
	ck_assert_int_eq(rc2, SDNS_EIO);
	ck_assert_int_eq(rc3, SDNS_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
}
END_TEST

START_TEST(test_text_need_not_be_nul_terminated)
{
	collect c;
	memset(&c, 0, sizeof(c));
	static const char text[] = "a.x. 1 A 10.0.0.1\nGARBAGE";
	ck_assert_int_eq(sdns_zfile_parse(text, 18, NULL, 0, on_rr, &c, &err), SDNS_OK);
	ck_assert_int_eq(c.n, 1);
	/* and without a final newline */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(sdns_zfile_parse(text, 17, NULL, 0, on_rr, &c, &err), SDNS_OK);
	ck_assert_int_eq(c.n, 1);
}
END_TEST

/* ---------- the same text in chunks ---------- */

/* Everything a parse reports, in order: one line per record, then the
 * result with its code, line and message. */
typedef struct {
	char *buf;
	size_t len, cap;
	int stop_at, n;    /* the callback returns 7 on record stop_at */
} transcript;

static void tr_add(transcript *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n + 2 > t->cap) {
		t->cap = (t->len + n + 2) * 2;
		t->buf = realloc(t->buf, t->cap);
		ck_assert_ptr_nonnull(t->buf);
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = '\0';
}

static int tr_rr(void *ctx, const sdns_rr *rr)
{
	transcript *t = ctx;
	static char line[SDNS_RDATA_MAX * 4 + 600];
	ck_assert_int_eq(sdns_rr_to_str(rr, line, sizeof(line)), SDNS_OK);
	tr_add(t, line);
	return ++t->n == t->stop_at ? 7 : 0;
}

static void tr_result(transcript *t, int rc, const sdns_zfile_err *e)
{
	char r[300];
	snprintf(r, sizeof(r), "rc=%d code=%d line=%d msg=%s", rc, e->code,
	         e->line, e->msg);
	tr_add(t, r);
}

/* chunk 0: random sizes (1..97, now and then a large one). */
static void run_chunked(const char *text, size_t len, const sdns_name *o,
                        uint32_t ttl, size_t chunk, transcript *t)
{
	sdns_zfile_parser *p = sdns_zfile_new(o, ttl, tr_rr, t);
	ck_assert_ptr_nonnull(p);
	sdns_zfile_err e;
	int rc = SDNS_OK;
	size_t off = 0;
	while (off < len && rc == SDNS_OK) {
		size_t n = chunk ? chunk : (rand() % 16 == 0 ? 4096u : 1u + (size_t)(rand() % 97));
		if (n > len - off)
			n = len - off;
		rc = sdns_zfile_feed(p, text + off, n, &e);
		off += n;
	}
	if (rc == SDNS_OK)
		rc = sdns_zfile_end(p, &e);
	tr_result(t, rc, &e);
	sdns_zfile_free(p);
}

/* Whole, then in 1-byte, 7-byte and random chunks: the same transcript. */
static void same_in_chunks_len(const char *text, size_t len, const char *origin,
                               uint32_t ttl, int stop_at)
{
	sdns_name o;
	if (origin)
		ck_assert_int_eq(sdns_name_from_str(&o, origin, strlen(origin), NULL), SDNS_OK);
	transcript whole = {.stop_at = stop_at};
	sdns_zfile_err e;
	int rc = sdns_zfile_parse(text, len, origin ? &o : NULL, ttl, tr_rr, &whole, &e);
	tr_result(&whole, rc, &e);
	static const size_t sizes[] = { 1, 7, 0, 0, 0 };
	srand(11);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		transcript t = {.stop_at = stop_at};
		run_chunked(text, len, origin ? &o : NULL, ttl, sizes[i], &t);
		ck_assert_msg(t.len == whole.len && !memcmp(t.buf, whole.buf, t.len),
		              "chunks of %zu differ:\n%s\nwhole:\n%s", sizes[i],
		              t.buf, whole.buf);
		free(t.buf);
	}
	free(whole.buf);
}

static void same_in_chunks(const char *text, const char *origin, uint32_t ttl)
{
	same_in_chunks_len(text, strlen(text), origin, ttl, 0);
}

START_TEST(test_chunked_feed_gives_the_same_records)
{
	same_in_chunks(zone, NULL, 0);
	same_in_chunks("www A 10.0.0.1\n@ TXT hi\n", "corp.mesh.", 60);
	same_in_chunks("a A 10.0.0.1\n$TTL 2m\nb A 10.0.0.2\n", "x.", 60);
	same_in_chunks("$ORIGIN example.\n$TTL 5\na A 10.0.0.1\n"
	               "$ORIGIN sub\nb A 10.0.0.2\n@ NS a\n", NULL, 0);
	same_in_chunks("a.x. 1 A 10.0.0.1\n; note\n\n\t1 A 10.0.0.2\r\n", NULL, 0);
	same_in_chunks("a TYPE1234 \\# 2 abcd\na NSEC ( b A\n MX RRSIG NSEC TYPE1234 )\n"
	               "a A \\# 4 0a000001\n", "x.", 9);
	/* quotes holding ';' '(' and escaped quotes and newlines, comments
	 * holding quotes and parentheses, an escaped newline in a token */
	same_in_chunks("t TXT \"a;(b\" \"c\\\"d\" ( \"e\\\nf\" ; x \" ( \n g ) ; ) \"\n"
	               "u\\\nv TXT x\nw TXT \"no end", "x.", 9);
	same_in_chunks("", NULL, 0);
	same_in_chunks("; nothing\n\n   \n\t; still nothing", NULL, 0);
	same_in_chunks("a.x. 1 A 10.0.0.1", NULL, 0);
}
END_TEST

START_TEST(test_chunked_feed_with_crlf_gives_the_same_records)
{
	char crlf[sizeof(zone) * 2];
	size_t o = 0;
	for (size_t i = 0; zone[i]; i++) {
		if (zone[i] == '\n')
			crlf[o++] = '\r';
		crlf[o++] = zone[i];
	}
	crlf[o] = '\0';
	same_in_chunks(crlf, NULL, 0);
	transcript a = {0}, b = {0};
	run_chunked(zone, strlen(zone), NULL, 0, 1, &a);
	run_chunked(crlf, o, NULL, 0, 1, &b);
	ck_assert_str_eq(a.buf, b.buf);
	free(a.buf);
	free(b.buf);
}
END_TEST

START_TEST(test_chunked_feed_gives_the_same_errors_and_lines)
{
	static const char *const bad[] = {
		"$ORIGIN example.\n$TTL 300\n@ SOA ns1 h (\n  1 2 3\n  4 5 )\n"
		"ns1 A 10.0.0.1\n; comment\n\nbad A 10.0.0.256\nok A 10.0.0.1\n",
		"$ORIGIN x.\n$TTL 1\n@ SOA ns1 h (\n 1 2 3\n 4 five )\n",
		"$ORIGIN x.\n$INCLUDE /etc/passwd\n",
		"  IN A 10.0.0.1\n",
		"$TTL 1\nwww A 10.0.0.1\n",
		"a.x. A 10.0.0.1\n",
		"$TTL 1\na.x. FOO 1\n",
		"$TTL 1 2\n",
		"$TTL\n",
		"$TTL 1\na.x. A 10.0.0.1\nb.x. CH A 10.0.0.1\n",
		"$TTL 1\na.x. TXT ( x\n y\n",
		"$TTL 1\na.x. TXT x )\nb.x. TXT y\n",
		"$TTL 1\na.x. TXT ( ( x ) )\n",
		"$TTL 1\na.x. TXT ( x ) ) ( (\n",
		"$TTL 1\na.x. TXT \"x\ny\"\n",
		"$TTL 1\na.x. TXT \"x",
		"$TTL 1\n\na.x. MX -1 m.x.\n",
		"$TTL 1\na.x. TYPE99 abc\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		same_in_chunks(bad[i], NULL, 0);
}
END_TEST

START_TEST(test_chunked_feed_stops_where_the_callback_says)
{
	static const char text[] = "$TTL 1\na.x. A 10.0.0.1\nb.x. A 10.0.0.2\n"
	                           "c.x. A 10.0.0.3\n";
	same_in_chunks_len(text, strlen(text), NULL, 0, 2);
}
END_TEST

/* A record of more than 65535 octets of TXT inside parentheses (its lines
 * split by chunks at every byte), and an entry longer than the framer
 * keeps: both refused the same way whole and in chunks. */
START_TEST(test_chunked_feed_keeps_the_limits)
{
	size_t cap = 300 * 258 + 64;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	strcpy(text, "\na.x. 1 TXT (\n");
	size_t o = strlen(text);
	for (int i = 0; i < 258; i++) {
		memset(text + o, 'z', 255);
		o += 255;
		text[o++] = '\n';
	}
	strcpy(text + o, ")\n");
	same_in_chunks(text, NULL, 0);
	free(text);

	size_t n = (1u << 20) + 70000;
	char *huge = malloc(n + 64);
	ck_assert_ptr_nonnull(huge);
	strcpy(huge, "$TTL 1\nok.x. A 10.0.0.1\n; ");
	o = strlen(huge);
	memset(huge + o, 'c', n);
	strcpy(huge + o + n, "\nno.x. A 10.0.0.2\n");
	same_in_chunks(huge, NULL, 0);
	collect c;
	ck_assert_int_eq(parse(huge, NULL, 0, &c), SDNS_ELIMIT);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(c.n, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: record longer than"));
	free(huge);
}
END_TEST

START_TEST(test_failed_parser_takes_no_more_input)
{
	collect c;
	memset(&c, 0, sizeof(c));
	sdns_zfile_parser *p = sdns_zfile_new(NULL, 1, on_rr, &c);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sdns_zfile_feed(p, "a.x. A 10.0.0.256\n", 18, &err), SDNS_ESYNTAX);
	ck_assert_int_eq(sdns_zfile_feed(p, "b.x. A 10.0.0.1\n", 16, &err), SDNS_ESYNTAX);
	ck_assert_int_eq(sdns_zfile_end(p, &err), SDNS_ESYNTAX);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(c.n, 0);
	ck_assert_int_eq(sdns_zfile_line(p), 2);
	sdns_zfile_free(p);
}
END_TEST

static Suite *zfile_suite(void)
{
	Suite *s = suite_create("zfile");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_zone_with_all_the_features_gives_exact_records);
	tcase_add_test(tc, test_multiline_soa_gives_exact_wire);
	tcase_add_test(tc, test_caller_origin_and_default_ttl_apply);
	tcase_add_test(tc, test_dollar_ttl_overrides_default_ttl);
	tcase_add_test(tc, test_origin_can_change_and_be_relative);
	tcase_add_test(tc, test_blank_owner_inherits_across_directives_and_comments);
	tcase_add_test(tc, test_ttl_and_class_in_either_order);
	tcase_add_test(tc, test_generic_and_dnssec_records_parse);
	tcase_add_test(tc, test_empty_and_comment_only_text_gives_no_records);
	tcase_add_test(tc, test_error_on_line_9_says_line_9);
	tcase_add_test(tc, test_error_in_multiline_record_gives_its_first_line);
	tcase_add_test(tc, test_include_is_refused_for_security);
	tcase_add_test(tc, test_first_record_without_owner_is_refused);
	tcase_add_test(tc, test_relative_name_without_origin_is_refused);
	tcase_add_test(tc, test_record_without_ttl_needs_dollar_ttl);
	tcase_add_test(tc, test_head_errors_name_the_token);
	tcase_add_test(tc, test_parentheses_and_quotes_must_balance);
	tcase_add_test(tc, test_rdata_errors_per_type_carry_line);
	tcase_add_test(tc, test_too_many_tokens_is_elimit);
	tcase_add_test(tc, test_rdata_over_65535_octets_is_refused);
	tcase_add_test(tc, test_callback_can_stop_parsing);
	tcase_add_test(tc, test_load_reads_a_file);
	tcase_add_test(tc, test_text_need_not_be_nul_terminated);
	tcase_add_test(tc, test_chunked_feed_gives_the_same_records);
	tcase_add_test(tc, test_chunked_feed_with_crlf_gives_the_same_records);
	tcase_add_test(tc, test_chunked_feed_gives_the_same_errors_and_lines);
	tcase_add_test(tc, test_chunked_feed_stops_where_the_callback_says);
	tcase_add_test(tc, test_chunked_feed_keeps_the_limits);
	tcase_add_test(tc, test_failed_parser_takes_no_more_input);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(zfile_suite)
