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

/* A record set a lenient build or edit left out, with the reason. */
typedef void (*sdns_zone_report_fn)(void *ctx, const sdns_name *owner,
                                    uint16_t type, const char *why);

/* The signing hook of builds and edits (src/dnssec has one): called for
 * every authoritative RRset (not glue, not the NS of a cut) of each node a
 * build or an edit lays out, it writes one RRSIG RDATA into out (cap
 * bytes) and sets *len; any other return than SDNS_OK fails the build.
 * With a signer, RRSIG records given as input are dropped: the zone holds
 * the signer's. A build calls it from several threads at once. */
typedef struct {
	int (*sign)(void *ctx, const sdns_name *owner, const sdns_rrset *set,
	            uint8_t *out, size_t cap, size_t *len);
	void *ctx;
} sdns_zone_signer;

/* Options of builds and edits; zero is the default for each. */
typedef struct {
	const sdns_zone_signer *signer;  /* NULL: unsigned */
	/* Lenient: a node breaking a rule loses the offending RRsets (SOA
	 * below the apex, CNAME beside other data or at the apex, a second
	 * CNAME) and the zone is still built; each is reported. Strict (NULL):
	 * the build fails. A zone without its one SOA fails either way. */
	sdns_zone_report_fn report;
	void *report_ctx;
	unsigned threads;                /* builds only: 0 or 1 = this one */
	uint64_t seed[2];                /* hash key; zero = a fixed default */
} sdns_zone_opts;

/* --- building --- */
sdns_zbuild *sdns_zbuild_new(const sdns_name *apex);
/* Options for the finish (copied; the signer must outlive the finish). */
void sdns_zbuild_set_opts(sdns_zbuild *b, const sdns_zone_opts *opts);
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
/* Of those, the RRSIG, NSEC and DNSKEY records: in a zone the node signs,
 * the ones it made, which the store does not hold. */
size_t sdns_zone_dnssec_count(const sdns_zone *z);
/* Names (empty non-terminals included). */
size_t sdns_zone_name_count(const sdns_zone *z);
/* Bytes this version holds, shards shared with other versions included. */
size_t sdns_zone_bytes(const sdns_zone *z);
/* The zone's hash key (two words): a rebuild with the same seed lays the
 * names out the same way. */
const uint64_t *sdns_zone_seed(const sdns_zone *z);

/* --- incremental changes (src/zone/zedit.c) --- */
/* An edit makes a new zone from base by replacing the records of some
 * names; the new zone shares every shard the edit does not touch with base
 * (which is not changed and stays valid for its readers). The cost is that
 * of the touched names' shards, not of the zone. One thread per edit. */
typedef struct sdns_zedit sdns_zedit;
/* base is referenced by the edit until it is finished or freed. */
sdns_zedit *sdns_zedit_new(const sdns_zone *base, const sdns_zone_opts *o);
/* From now on owner holds exactly rrs (all of owner, any types; n = 0
 * removes its data; a name without data or children disappears, and new
 * names get their empty non-terminals). The last put of a name wins.
 * Records outside the apex or with bad RDATA: SDNS_EZONE/SDNS_ERDATA, as
 * sdns_zbuild_add. Copies everything. */
int sdns_zedit_put(sdns_zedit *e, const sdns_name *owner, const sdns_rr *rrs,
                   size_t n);
/* Lay owner out again with its current data (a signer re-signs it). A
 * name the zone does not hold is ignored. */
int sdns_zedit_touch(sdns_zedit *e, const sdns_name *owner);
/* Names put or touched so far. */
size_t sdns_zedit_count(const sdns_zedit *e);
/* The new zone, or an error with words (the zone-wide check: its SOA).
 * Frees the edit in every case. */
int sdns_zedit_finish(sdns_zedit *e, sdns_zone **out, char *err_msg,
                      size_t err_cap);
void sdns_zedit_free(sdns_zedit *e);
/* Words for the last refusal of put ("" if none); borrowed. */
const char *sdns_zedit_error(const sdns_zedit *e);
/* sdns_zbuild_add's checks of one record against a zone apex, without a
 * builder: 0, SDNS_EZONE or SDNS_ERDATA with words in err (may be NULL). */
int sdns_zone_check_rr(const sdns_name *apex, const sdns_rr *rr, char *err,
                       size_t err_cap);

/* Owners of z, a slice at a time: fn is called for each name with data of
 * the shards [*cursor, *cursor + n_shards) in directory order; *cursor
 * moves on and wraps to 0 after the last shard (so a caller can spread a
 * walk of the whole zone over time). Returns fn's first non-zero. */
typedef int (*sdns_zone_name_fn)(void *ctx, const sdns_name *owner,
                                 const sdns_rrset *sets, size_t n_sets);
int sdns_zone_walk_slice(const sdns_zone *z, size_t *cursor, size_t n_shards,
                         sdns_zone_name_fn fn, void *ctx);
size_t sdns_zone_shard_count(const sdns_zone *z);

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
