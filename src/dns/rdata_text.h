/* Internal to src/dns/rdata_text*.c: the RDATA lexer, the parse context with
 * its error message, and the text output buffer shared by the per-concept
 * files. Not a public header: other modules use include/sdns/rr.h. */
#ifndef SDNS_RDATA_TEXT_H
#define SDNS_RDATA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdns/buf.h"
#include "sdns/name.h"
#include "sdns/rr.h"

/* One token, raw: escapes are not decoded; for a quoted string p/len cover
 * the text between the quotes. */
typedef struct {
	const char *p;
	size_t len;
	bool quoted;
} sdns_rt_tok;

/* Parse state for one RDATA text. */
typedef struct {
	const char *p, *end;      /* lexer cursor over the RDATA text */
	uint16_t type;
	const sdns_name *origin;
	sdns_wr *w;
	char *why;                /* may be NULL */
	size_t why_cap;
} sdns_rt_in;

/* Next token: 1 when one was read, 0 at the end, SDNS_ESYNTAX for an
 * unterminated quoted string. Whitespace, parentheses and ';' comments
 * separate tokens. */
int sdns_rt_next(sdns_rt_in *in, sdns_rt_tok *t);
/* Record the reason (printf-style) in in->why and return code. */
int sdns_rt_fail(sdns_rt_in *in, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The token printed safely for a message: truncated, nonprintables as '?'. */
const char *sdns_rt_show(const sdns_rt_tok *t, char *buf, size_t cap);
/* Type mnemonic for messages ("A", "TYPE1234"). */
const char *sdns_rt_tname(const sdns_rt_in *in, char *buf, size_t cap);

/* Read one required token; what names it in the message ("preference"). */
int sdns_rt_need(sdns_rt_in *in, sdns_rt_tok *t, const char *what);
int sdns_rt_u8(sdns_rt_in *in, const char *what, uint8_t *out);
int sdns_rt_u16(sdns_rt_in *in, const char *what, uint16_t *out);
int sdns_rt_u32(sdns_rt_in *in, const char *what, uint32_t *out);
/* A domain name token, relative to in->origin, written in wire form. */
int sdns_rt_name(sdns_rt_in *in, const char *what);
/* Error when tokens are left after the last field. */
int sdns_rt_end(sdns_rt_in *in);
/* Map a write error (SDNS_ESPACE) to the reason "RDATA does not fit". */
int sdns_rt_wr(sdns_rt_in *in, int rc);
/* Parse decimal into at most max; 0 or SDNS_ESYNTAX. */
int sdns_rt_dec(const char *p, size_t len, uint64_t max, uint64_t *out);

/* True for the types with a native text form here (others use \#). */
bool sdns_rt_native(uint16_t type);

/* DNSSEC types (rdata_text_dnssec.c). */
int sdns_rt_in_dnskey(sdns_rt_in *in);
int sdns_rt_in_rrsig(sdns_rt_in *in);
int sdns_rt_in_nsec(sdns_rt_in *in);

/* Text output buffer: appends never overrun; full remembers that something
 * did not fit so the caller can return SDNS_ESPACE once. With buf NULL it
 * only counts: a dry run that validates the wire layout. */
typedef struct {
	char *buf;
	size_t cap, len;
	bool full;
} sdns_rt_out;

void sdns_rt_put(sdns_rt_out *o, const char *s, size_t n);
void sdns_rt_puts(sdns_rt_out *o, const char *s);
void sdns_rt_putu(sdns_rt_out *o, uint64_t v);
/* Read an uncompressed wire name from r and print it absolute. */
int sdns_rt_put_name(sdns_rt_out *o, sdns_rd *r);

int sdns_rt_out_dnskey(sdns_rt_out *o, sdns_rd *r);
int sdns_rt_out_rrsig(sdns_rt_out *o, sdns_rd *r);
int sdns_rt_out_nsec(sdns_rt_out *o, sdns_rd *r);

#endif
