/* Domain names in uncompressed wire form (RFC 1035 §3.1).
 * An sdns_name is a value type: fixed size, copyable, no heap. Case is kept as
 * received; comparisons that say _ci ignore ASCII case (RFC 4343). */
#ifndef SDNS_NAME_H
#define SDNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/buf.h"

#define SDNS_NAME_MAX 255  /* octets of wire form, root label included */
#define SDNS_LABEL_MAX 63
/* Longest presentation form: 255 octets, each escaped as \DDD, plus dots. */
#define SDNS_NAME_STR_MAX 1024

typedef struct {
	uint8_t len;                  /* wire length, 1 (root) .. 255 */
	uint8_t data[SDNS_NAME_MAX];  /* labels, ending with the 0 root label */
} sdns_name;

/* --- wire form (src/dns/name.c) --- */

/* Read a possibly compressed name at r's cursor; r->start must be the message
 * start. Pointers must point strictly backwards (else SDNS_EFWDPTR), inside
 * the message (SDNS_EPTR); a pointer landing inside the bytes read since the
 * previous jump, or more than 128 hops, is SDNS_ELOOP; long names SDNS_ENAME.
 * A length octet above 63 has label type 01 or 10 (extended/reserved, RFC 6891
 * §5), which is SDNS_EMALF, as is a name cut by the end of r; SDNS_ELABEL
 * cannot arise on the wire (see sdns_name_prepend, sdns_name_from_str).
 * The cursor ends after the name as it appears in the packet (after the first
 * pointer, if any). No allocation; case is kept. */
int sdns_name_unpack(sdns_rd *r, sdns_name *out);

/* Write uncompressed. */
int sdns_name_pack(sdns_wr *w, const sdns_name *n);

/* Validate raw wire bytes and set out (no compression allowed): len must end
 * exactly at the root label (SDNS_ETRAIL if bytes follow it, SDNS_EMALF for a
 * pointer, an extended label or a missing root). */
int sdns_name_from_wire(const uint8_t *wire, size_t len, sdns_name *out);

void sdns_name_root(sdns_name *out);
int sdns_name_labels(const sdns_name *n);                 /* root = 0 */
bool sdns_name_eq_ci(const sdns_name *a, const sdns_name *b);
/* True when n equals apex or lies below it (case-insensitive). */
bool sdns_name_is_sub_ci(const sdns_name *n, const sdns_name *apex);
void sdns_name_lower(sdns_name *n);
/* Drop the leftmost label; the root stays the root. */
void sdns_name_parent(sdns_name *n);
/* Canonical DNSSEC order (RFC 4034 §6.1): <0, 0, >0. */
int sdns_name_canon_cmp(const sdns_name *a, const sdns_name *b);
/* Prepend one label (for "*" of wildcards): SDNS_EINVAL for an empty label,
 * SDNS_ELABEL above 63 octets, SDNS_ENAME when the name would pass 255. */
int sdns_name_prepend(sdns_name *n, const uint8_t *label, size_t len);
/* Case-insensitive hash for lookup tables (FNV-1a over lowered octets). */
uint64_t sdns_name_hash_ci(const sdns_name *n);

/* --- presentation form (src/dns/name_text.c) --- */

/* Parse "www.example.", "www" (relative to origin), "@" (origin), "." and the
 * RFC 1035 escapes \X and \DDD. A relative name with origin NULL is
 * SDNS_ESYNTAX. len is the text length (the text need not be NUL-terminated). */
int sdns_name_from_str(sdns_name *out, const char *text, size_t len,
                       const sdns_name *origin);
/* A record's owner as a user writes it, in the zone at apex: the one rule
 * of the API and sdnsctl. "@" is the apex; a name inside the zone is taken
 * as it is, with or without its final dot ("www.z.mesh", "www.z.mesh.");
 * a single label is relative to the zone ("www" is www.<apex>); anything
 * else ("x.example.com", "x.example.com.") is outside: SDNS_EZONE, never
 * guessed into "x.example.com.<apex>". Bad text: the parser's error. */
int sdns_name_owner_in_zone(const char *text, size_t len,
                            const sdns_name *apex, sdns_name *out);
/* Absolute form with trailing dot, escaping as RFC 1035/4343 do. */
int sdns_name_to_str(const sdns_name *n, char *buf, size_t cap);

#endif
