/* Resource record types, classes and RDATA in wire and presentation form.
 * RDATA is always held uncompressed; names inside it are plain wire names. */
#ifndef SDNS_RR_H
#define SDNS_RR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/buf.h"
#include "sdns/name.h"

enum sdns_type {
	SDNS_T_A = 1, SDNS_T_NS = 2, SDNS_T_CNAME = 5, SDNS_T_SOA = 6,
	SDNS_T_PTR = 12, SDNS_T_MX = 15, SDNS_T_TXT = 16, SDNS_T_AAAA = 28,
	SDNS_T_SRV = 33, SDNS_T_OPT = 41, SDNS_T_RRSIG = 46, SDNS_T_NSEC = 47,
	SDNS_T_DNSKEY = 48, SDNS_T_ANY = 255, SDNS_T_CAA = 257,
};
enum sdns_class { SDNS_C_IN = 1, SDNS_C_CH = 3, SDNS_C_ANY = 255 };

#define SDNS_RDATA_MAX 65535

/* A record with borrowed RDATA. The owner of the sdns_rr says how long rdata
 * lives (message arena, zone snapshot, caller's buffer). */
typedef struct {
	sdns_name owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
} sdns_rr;

/* --- names of types and classes (src/dns/rrtype.c) --- */
/* "A", "AAAA", ..., and "TYPE123" (RFC 3597) for the rest; buf >= 16. */
const char *sdns_type_to_str(uint16_t type, char *buf, size_t cap);
int sdns_type_from_str(const char *text, size_t len, uint16_t *out);
int sdns_class_from_str(const char *text, size_t len, uint16_t *out);
const char *sdns_class_to_str(uint16_t rclass, char *buf, size_t cap);
/* True for the types whose RDATA names RFC 3597 §4 lets us compress on output
 * and obliges us to decompress on input: NS, CNAME, SOA, PTR, MX. */
bool sdns_type_compressible(uint16_t type);

/* --- wire RDATA (src/dns/rdata_wire.c) --- */

/* Read RDLENGTH bytes of RDATA for type at r's cursor (r->start = message
 * start), decompressing embedded names, and validate the layout of every
 * supported type (A is 4 octets, SOA has two names and five u32, ...).
 * Unknown types are copied as opaque bytes. out receives the uncompressed form
 * (out may be NULL to validate only; on error out's cursor is restored).
 * SDNS_ERDATA when the RDATA does not match its type or RDLENGTH, or when it
 * runs past r's end; pointer errors keep their own codes (SDNS_EPTR, ...).
 * Names are decompressed for NS/CNAME/SOA/PTR/MX and SRV (RFC 3597 §4); a
 * pointer in the RRSIG signer or NSEC next name is SDNS_ERDATA (RFC 4034).
 * TXT needs >= 1 string; CAA tag 1..15 alnum; DNSKEY protocol 3 and a key;
 * RRSIG a signature; NSEC windows ascending, 1..32 octets, no trailing zero
 * octet (RFC 4034 §4.1.2); an empty NSEC bitmap is accepted. */
int sdns_rdata_unpack(sdns_rd *r, uint16_t type, uint16_t rdlen,
                      sdns_wr *out);
/* Validate already-uncompressed RDATA (e.g. from the store): the same rules,
 * and no compression pointer anywhere. */
int sdns_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen);

/* --- presentation RDATA (src/dns/rdata_text.c) --- */

/* Text such as "10 mail" (MX), "\"v=spf1 -all\"" (TXT), "0 issue \"ca.org\""
 * (CAA), "\# 4 0a000005" (RFC 3597 generic, any type) to uncompressed wire
 * form. Relative names resolve against origin. */
int sdns_rdata_from_str(uint16_t type, const char *text, size_t len,
                        const sdns_name *origin, sdns_wr *out);
/* Wire to presentation text (absolute names, TXT quoted and escaped,
 * base64 for DNSKEY/RRSIG, type bitmaps for NSEC). */
int sdns_rdata_to_str(uint16_t type, const uint8_t *rdata, uint16_t rdlen,
                      char *buf, size_t cap);
/* As sdns_rdata_from_str; on failure also writes into why (if not NULL,
 * always NUL-terminated) the offending token and what is wrong with it, e.g.
 * "bad IPv4 address '10.0.0.256' in A record". */
int sdns_rdata_from_str_why(uint16_t type, const char *text, size_t len,
                            const sdns_name *origin, sdns_wr *out,
                            char *why, size_t why_cap);
/* Whole record as one zone-file line, tab-separated like dig:
 * "owner<TAB>TTL<TAB>CLASS<TAB>TYPE<TAB>RDATA". */
int sdns_rr_to_str(const sdns_rr *rr, char *buf, size_t cap);
/* A TTL as plain seconds or with BIND units: "3600", "1h30m", "2d", "1w".
 * SDNS_ESYNTAX on anything else or when the value exceeds 2^32-1. */
int sdns_ttl_from_str(const char *text, size_t len, uint32_t *out);

#endif
