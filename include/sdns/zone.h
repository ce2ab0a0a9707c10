/* Immutable in-memory zones and zone sets (snapshots).
 * A zone is built once with sdns_zbuild_* and never changes after
 * sdns_zbuild_finish(); a zone set groups zones for lookup by closest
 * enclosing apex. Readers (DoQ workers) hold a reference to a set while
 * answering; the store swaps in a new set and drops its own reference, so
 * workers never lock or wait. Reference counts are atomic. */
#ifndef SDNS_ZONE_H
#define SDNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/rr.h"

typedef struct sdns_zone sdns_zone;
typedef struct sdns_zbuild sdns_zbuild;
typedef struct sdns_zoneset sdns_zoneset;

/* One RRset of a node: all records share owner, type, class and TTL (the
 * lowest TTL of the added records wins, RFC 2181 §5.2). */
typedef struct {
	uint16_t type;
	uint32_t ttl;
	uint16_t count;
	const uint16_t *rdlen;        /* count entries */
	const uint8_t *const *rdata;  /* count entries, uncompressed wire */
} sdns_rrset;

/* --- building --- */
sdns_zbuild *sdns_zbuild_new(const sdns_name *apex);
/* Records outside the apex are SDNS_EZONE; duplicates are dropped silently
 * (RFC 2181 §5). Copies everything: rr may be freed after the call. */
int sdns_zbuild_add(sdns_zbuild *b, const sdns_rr *rr);
/* Checks: exactly one SOA at the apex, CNAME alone at its name (RFC 1034
 * §3.6.2; RRSIG/NSEC excepted), no CNAME at the apex. Frees the builder in
 * every case. err_msg (may be NULL) gets words on failure. */
int sdns_zbuild_finish(sdns_zbuild *b, sdns_zone **out, char *err_msg,
                       size_t err_cap);
void sdns_zbuild_free(sdns_zbuild *b);
/* Words for the last refusal of sdns_zbuild_add ("" if none); borrowed:
 * valid until the next add or until the builder is freed. */
const char *sdns_zbuild_error(const sdns_zbuild *b);

/* TTL for records that precede any $TTL in a master file. */
#define SDNS_ZONE_DEFAULT_TTL 3600

/* Load a master file into a zone; apex = origin. err_msg gets
 * "path: line N: words" on failure (the zone-wide checks of
 * sdns_zbuild_finish have no line: "path: words"). */
int sdns_zone_load_file(const char *path, const sdns_name *origin,
                        sdns_zone **out, char *err_msg, size_t err_cap);

/* Zones are reference-counted so that zone sets can share them: a zone
 * starts with one owner; sdns_zone_ref adds one; sdns_zone_free drops one
 * and frees with the last. */
void sdns_zone_ref(sdns_zone *z);
void sdns_zone_free(sdns_zone *z);
const sdns_name *sdns_zone_apex(const sdns_zone *z);
uint32_t sdns_zone_serial(const sdns_zone *z);
size_t sdns_zone_rr_count(const sdns_zone *z);

/* --- lookup (borrowed results: valid while the zone lives) --- */
/* RRset of type at exactly name (case-insensitive), or NULL. */
const sdns_rrset *sdns_zone_find(const sdns_zone *z, const sdns_name *name,
                                 uint16_t type);
/* True when a node with that name exists (it may hold no RRsets when it is
 * an empty non-terminal, RFC 4592 §2.2.2). */
bool sdns_zone_name_exists(const sdns_zone *z, const sdns_name *name);

/* Every RRset of z, node by node (owner in its original case).
 * authoritative is false for the NS RRset of a zone cut and for everything
 * below a cut or beside NS at it (glue), except DS and NSEC at the cut,
 * which belong to this side (RFC 4035 §2.2). fn returning non-zero stops
 * the walk and is returned. */
typedef int (*sdns_zone_walk_fn)(void *ctx, const sdns_name *owner,
                                 const sdns_rrset *set, bool authoritative);
int sdns_zone_walk(const sdns_zone *z, sdns_zone_walk_fn fn, void *ctx);

/* --- sets --- */
/* Takes ownership of the zones (the array itself is copied). Refcount 1.
 * Two zones with the same apex: SDNS_EEXIST. On any error the caller keeps
 * the zones. */
int sdns_zoneset_new(sdns_zone **zones, size_t n, sdns_zoneset **out);
/* A new set (refcount 1) holding old's zones (shared, not copied) except
 * the one whose apex is apex, which is replaced by z, or removed when z is
 * NULL; z is added when old has no such zone. old may be NULL (empty) and
 * is not changed. apex may be NULL when z is given (z's apex is used).
 * Takes ownership of z on success; on any error the caller keeps z. */
int sdns_zoneset_replace(const sdns_zoneset *old, const sdns_name *apex,
                         sdns_zone *z, sdns_zoneset **out);
void sdns_zoneset_ref(sdns_zoneset *s);
void sdns_zoneset_unref(sdns_zoneset *s);
/* Zone with the longest apex that encloses name, or NULL. */
const sdns_zone *sdns_zoneset_find(const sdns_zoneset *s,
                                   const sdns_name *name);
size_t sdns_zoneset_count(const sdns_zoneset *s);
const sdns_zone *sdns_zoneset_at(const sdns_zoneset *s, size_t i);

#endif
