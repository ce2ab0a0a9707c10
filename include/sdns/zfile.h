/* RFC 1035 master-file parser: $ORIGIN, $TTL, relative names, "@", owner
 * inheritance from the previous line, parentheses across lines, comments,
 * quoted strings, class and TTL in either order. Used by the zone loader, by
 * `sdnsctl zone import` and (later) by the API's import endpoint.
 * Pure: works on a text buffer; sdns_zfile_load() is the only file reader. */
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
int sdns_zfile_load(const char *path, const sdns_name *origin,
                    uint32_t default_ttl, sdns_zfile_rr_cb cb, void *ctx,
                    sdns_zfile_err *err);

#endif
