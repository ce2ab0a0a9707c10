/* Shared between the message parser, the builder and the OPT code in
 * src/dns/; not part of the public contract. */
#ifndef SDNS_MSG_INTERNAL_H
#define SDNS_MSG_INTERNAL_H

#include "sdns/msg.h"

/* Fill e from the OPT record (rdata is its option list). SDNS_EOPT when an
 * option runs past the RDATA or an EDE option is shorter than its code. */
int sdns_edns_parse_opt(sdns_edns *e, const sdns_rr *opt);
/* Write the OPT record at w's cursor; on error the caller rolls back. */
int sdns_edns_write(sdns_wr *w, const sdns_edns *e, size_t pad_block);

#endif
