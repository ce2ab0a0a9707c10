/* Authoritative answering: turn one query into one response from a zone set.
 * AA, NOERROR/NODATA with the SOA in authority (negative TTL = min(SOA TTL,
 * SOA MINIMUM), RFC 2308), NXDOMAIN with SOA, in-zone CNAME chasing,
 * wildcards (RFC 4592), REFUSED outside every zone, the question echoed with
 * the query's case. Pure: no I/O, no clock (opts carry the time). */
#ifndef SDNS_ANSWER_H
#define SDNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include "sdns/dnssec.h"
#include "sdns/msg.h"
#include "sdns/zone.h"

/* Validity of signatures made while answering (negative answers, wildcard
 * expansions, referral NSEC): short, they are made again for every query. */
#define SDNS_ANSWER_ONLINE_VALIDITY 86400u

typedef struct {
	size_t max_size;   /* largest response allowed (UDP: min(client EDNS
	                      size, ours), DoQ/TCP: 65535); over it: TC */
	size_t pad_block;  /* RFC 8467 block padding when the query had EDNS;
	                      0 = none. DoQ uses 468. */
	uint16_t our_udp_size; /* advertised in our OPT (1232 by default) */
	/* DNSSEC: with a key and a query with the DO bit, RRSIGs go beside
	 * every answer and authority RRset (from the zone, or made online),
	 * negative answers carry an RFC 9824 compact NSEC signed online, with
	 * rcode NOERROR. NULL = unsigned answers. Borrowed. */
	const sdns_dnssec_key *key;
	uint32_t now;      /* Unix seconds, for online signatures */
	/* With DNSSEC, a positive answer also carries the zone's SOA and its
	 * RRSIG in authority (as a negative one does), when it fits: the
	 * signed serial of the data, which mesh peers use to refuse older
	 * copies. */
	bool soa_with_answers;
} sdns_answer_opts;

/* Answer query (raw wire form q, qlen) into out. Always produces a response
 * unless the query is too broken to echo an ID (then SDNS_EMALF and no
 * output): FORMERR for malformed queries, NOTIMP for opcodes other than
 * QUERY, REFUSED for QDCOUNT != 1 and names outside every zone, BADVERS for
 * EDNS version > 0. A message with QR set is a response, never answered:
 * SDNS_EPROTO and no output (two servers must not bounce errors forever).
 * With EDNS, REFUSED outside every zone carries EDE 20 (Not Authoritative).
 * qtype ANY returns every RRset at the name (authoritative data is small;
 * RFC 8482 minimal ANY is the stub's business). AXFR/IXFR: REFUSED,
 * MAILA/MAILB: NOTIMP, qtype OPT: FORMERR. When the response does not fit
 * max_size, whole RRsets are dropped from the answer/authority sections and
 * TC is set; additional A/AAAA that do not fit are just left out (TC only for
 * in-domain glue of a referral). */
int sdns_answer(const sdns_zoneset *zs, const uint8_t *q, size_t qlen,
                const sdns_answer_opts *opts, uint8_t *out, size_t cap,
                size_t *out_len);

/* Same, from an already parsed query (the DoQ server parses first to apply
 * RFC 9250 checks). */
int sdns_answer_msg(const sdns_zoneset *zs, const sdns_msg *query,
                    const sdns_answer_opts *opts, uint8_t *out, size_t cap,
                    size_t *out_len);

#endif
