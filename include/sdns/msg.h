/* DNS messages: parse a whole message, build one with name compression,
 * EDNS(0) (RFC 6891) with the DO bit, padding (RFC 7830/8467) and extended
 * DNS errors (RFC 8914). Pure: no I/O, no clocks. */
#ifndef SDNS_MSG_H
#define SDNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/rr.h"

#define SDNS_HDR_LEN 12
#define SDNS_MSG_MAX 65535

/* Header flag bits as they sit in the second u16 of the header. */
#define SDNS_F_QR 0x8000u
#define SDNS_F_AA 0x0400u
#define SDNS_F_TC 0x0200u
#define SDNS_F_RD 0x0100u
#define SDNS_F_RA 0x0080u
#define SDNS_F_AD 0x0020u
#define SDNS_F_CD 0x0010u
#define SDNS_OPCODE(flags) (((flags) >> 11) & 0xfu)
#define SDNS_RCODE(flags) ((flags) & 0xfu)

enum sdns_opcode { SDNS_OP_QUERY = 0, SDNS_OP_NOTIFY = 4, SDNS_OP_UPDATE = 5 };
enum sdns_rcode {
	SDNS_RC_NOERROR = 0, SDNS_RC_FORMERR = 1, SDNS_RC_SERVFAIL = 2,
	SDNS_RC_NXDOMAIN = 3, SDNS_RC_NOTIMP = 4, SDNS_RC_REFUSED = 5,
	SDNS_RC_BADVERS = 16, /* extended: needs EDNS */
};
enum sdns_section { SDNS_SEC_AN = 0, SDNS_SEC_NS = 1, SDNS_SEC_AR = 2 };

/* "NOERROR", "NXDOMAIN", ... (RFC 6895 mnemonics), "BADVERS" for 16, else
 * "RCODE<n>" written into buf (cap >= 12). */
const char *sdns_rcode_to_str(unsigned rcode, char *buf, size_t cap);

/* EDNS option codes we act on. */
enum sdns_edns_opt {
	SDNS_EOPT_KEEPALIVE = 11, /* RFC 7828: forbidden on DoQ (RFC 9250 §5.5.2) */
	SDNS_EOPT_PADDING = 12,
	SDNS_EOPT_EDE = 15,
};
/* Extended DNS error info-codes (RFC 8914 §4) that we send. */
enum sdns_ede {
	SDNS_EDE_OTHER = 0, SDNS_EDE_DNSSEC_BOGUS = 6, SDNS_EDE_STALE = 3,
	SDNS_EDE_PROHIBITED = 18, SDNS_EDE_NOT_AUTHORITATIVE = 20,
	SDNS_EDE_NOT_SUPPORTED = 21, SDNS_EDE_NO_REACHABLE_AUTHORITY = 22,
	SDNS_EDE_NETWORK_ERROR = 23, SDNS_EDE_INVALID_DATA = 24,
};

#define SDNS_EDE_TEXT_MAX 128

typedef struct {
	bool present;
	uint16_t udp_size;   /* requestor's payload size (class field) */
	uint8_t ext_rcode;   /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	bool do_bit;
	bool co_bit;         /* Compact Answers OK (RFC 9824 §4) */
	bool has_keepalive;  /* edns-tcp-keepalive seen */
	bool has_padding;
	bool has_ede;
	uint16_t ede_code;
	char ede_text[SDNS_EDE_TEXT_MAX]; /* NUL-terminated, may be cut */
} sdns_edns;

/* A parsed message. Records and their RDATA live in one arena owned by the
 * message: valid until sdns_msg_free. */
typedef struct {
	uint16_t id;
	uint16_t flags;       /* QR, opcode, AA, TC, RD, RA, AD, CD, rcode low 4 */
	uint16_t qdcount;     /* as sent; questions beyond the first are parsed
	                         and checked but not kept */
	sdns_name qname;      /* case as received */
	uint16_t qtype, qclass;
	sdns_rr *rrs;         /* an, then ns, then ar (OPT excluded) */
	uint16_t count[3];    /* per section, OPT excluded */
	sdns_edns edns;
	void *arena;
} sdns_msg;

/* Parse and validate the whole message. Every record must fit, counts must
 * match what is there (SDNS_ECOUNT: the counts need more bytes than the
 * packet has, or a section ends before its count), no trailing bytes
 * (SDNS_ETRAIL), at most one OPT and only in the additional section with
 * owner root, options inside its RDATA (SDNS_EOPT). Short header, or a record
 * cut inside its fixed fields: SDNS_EMALF. RDLENGTH past the packet or RDATA
 * not matching its type: SDNS_ERDATA. Empty RDATA is accepted for class
 * ANY/NONE (RFC 2136 deletes). When only the question and the OPT are present
 * nothing is allocated (arena stays NULL). On error nothing needs freeing and
 * *out is zeroed. Keep-alive/padding/EDE are reported in edns; for several
 * EDE options the first is kept. */
int sdns_msg_parse(const uint8_t *wire, size_t len, sdns_msg *out);
void sdns_msg_free(sdns_msg *m);
/* i-th record of a section. */
const sdns_rr *sdns_msg_rr(const sdns_msg *m, enum sdns_section sec, uint16_t i);

/* --- building (src/dns/msg_build.c) --- */

#define SDNS_COMP_MAX 64 /* remembered name offsets for compression */

typedef struct {
	sdns_wr w;
	enum sdns_section sec;  /* current section; only moves forward */
	uint16_t qdcount;
	uint16_t count[3];
	uint16_t comp_off[SDNS_COMP_MAX]; /* where a name suffix was written */
	uint8_t comp_len[SDNS_COMP_MAX];  /* its uncompressed length: a cheap
	                                     filter before comparing labels */
	int comp_n;
	size_t reserve;         /* bytes kept free for the OPT record */
	bool opt_done;          /* OPT written: nothing may follow */
} sdns_bld;

/* Start a message in buf; writes the header. */
int sdns_bld_init(sdns_bld *b, uint8_t *buf, size_t cap, uint16_t id,
                  uint16_t flags);
void sdns_bld_set_rcode(sdns_bld *b, uint8_t rcode);  /* low 4 bits */
void sdns_bld_set_flags(sdns_bld *b, uint16_t set, uint16_t clear);
/* Before any record or OPT (else SDNS_EINVAL); the name is compressed too. */
int sdns_bld_question(sdns_bld *b, const sdns_name *qname, uint16_t qtype,
                      uint16_t qclass);
/* Keep room for an OPT of this many bytes so that records added later cannot
 * squeeze it out (call before adding records). */
void sdns_bld_reserve(sdns_bld *b, size_t n);
/* Append a record to section sec (>= the current section, else SDNS_EINVAL;
 * type OPT is SDNS_EINVAL: use sdns_bld_opt). Owner names and the names inside
 * NS/CNAME/SOA/PTR/MX RDATA are compressed against earlier names
 * (case-insensitively, so a later name may take an earlier one's case);
 * SRV/RRSIG/NSEC and other RDATA is copied as is. Malformed RDATA of the
 * compressible types is SDNS_EINVAL. On any error the message is unchanged
 * (cursor and compression table rolled back), so after SDNS_ESPACE the caller
 * may set TC and finish. */
int sdns_bld_rr(sdns_bld *b, enum sdns_section sec, const sdns_rr *rr);
/* Append the OPT record last (e->present is not looked at: calling this is
 * asking for an OPT): udp_size, ext rcode, version, DO bit, EDE when has_ede
 * (info-code + ede_text), and, when pad_block > 0, a padding option (always
 * present, maybe empty) that makes the whole message a multiple of pad_block
 * octets (RFC 8467 §4.1). When the buffer cannot hold the full padding, it
 * pads up to the end of the buffer (never past 65535); when not even the
 * 4-octet option header fits, there is no padding option. Ignores the reserve
 * (it is what the reserve was for). Keep-alive is never written (RFC 9250
 * §5.5.2 forbids it on DoQ). After the OPT no record may be added
 * (SDNS_EINVAL). On SDNS_ESPACE the message is unchanged. */
int sdns_bld_opt(sdns_bld *b, const sdns_edns *e, size_t pad_block);
/* Write the counts; *len gets the message length. */
int sdns_bld_finish(sdns_bld *b, size_t *len);

/* Size of an OPT record carrying e (without padding). */
size_t sdns_edns_wire_size(const sdns_edns *e);

/* Build a query: id, RD as asked, optional EDNS with DO. Convenience for
 * clients and tests. */
int sdns_msg_make_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
                        const sdns_name *qname, uint16_t qtype, bool rd,
                        const sdns_edns *edns, size_t pad_block);

#endif
