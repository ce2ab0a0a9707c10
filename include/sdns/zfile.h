/* RFC 1035 master-file parser: $ORIGIN, $TTL, relative names, "@", owner
 * inheritance from the previous line, parentheses across lines, comments,
 * quoted strings, class and TTL in either order. Used by the zone loader, by
 * `sdnsctl zone check` and by the API's import endpoint.
 * Pure: works on text buffers; sdns_zfile_load() is the only file reader.
 * The text may come whole (sdns_zfile_parse) or in chunks split anywhere
 * (sdns_zfile_new/feed/end): the records, the errors and their line numbers
 * are the same either way, and memory stays bounded by one entry. */
#ifndef SDNS_ZFILE_H
#define SDNS_ZFILE_H

#include <stddef.h>
#include <stdint.h>
#include "sdns/rr.h"

typedef struct {
	int line;           /* 1-based line of the offending record, 0 if none */
	int code;           /* sdns error code */
	char msg[200];      /* human words: what is wrong and with which token */
} sdns_zfile_err;

/* Called once per record, in file order. rr->rdata is borrowed for the call
 * only. Return non-zero to stop parsing; that value is returned. */
typedef int (*sdns_zfile_rr_cb)(void *ctx, const sdns_rr *rr);

/* origin: initial $ORIGIN (may be NULL: then the file must set one before a
 * relative name). default_ttl: used until $TTL (RFC 2308) is seen; 0 means
 * "a record without TTL before $TTL is an error". */
int sdns_zfile_parse(const char *text, size_t len, const sdns_name *origin,
                     uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                     sdns_zfile_err *err);
/* Stream (src/zone/zfile.c). A parser keeps $ORIGIN, $TTL, the previous
 * owner and the line count across chunks; an entry split between chunks
 * (inside parentheses, quotes, comments, a CR LF) is carried over, so one
 * entry (at most about 1 MiB) is all it holds. new: NULL when out of memory
 * or cb is NULL; the parser is freed with sdns_zfile_free. */
typedef struct sdns_zfile_parser sdns_zfile_parser;
sdns_zfile_parser *sdns_zfile_new(const sdns_name *origin, uint32_t default_ttl,
                                  sdns_zfile_rr_cb cb, void *ctx);
/* The next len bytes. cb runs for every record completed by them. Returns
 * 0, or the first failure (err filled; may be NULL), which every later
 * call returns again: a failed parser takes no more input. */
int sdns_zfile_feed(sdns_zfile_parser *p, const char *text, size_t len,
                    sdns_zfile_err *err);
/* The end of the text: the last entry may lack its newline; an open '(' or
 * quote is an error here. */
int sdns_zfile_end(sdns_zfile_parser *p, sdns_zfile_err *err);
/* The line the next byte fed would be on (1-based). */
int sdns_zfile_line(const sdns_zfile_parser *p);
void sdns_zfile_free(sdns_zfile_parser *p);

/* The whole file, read in chunks through the stream interface. */
int sdns_zfile_load(const char *path, const sdns_name *origin,
                    uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                    sdns_zfile_err *err);

#endif
