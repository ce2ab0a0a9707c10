/* Inside of an immutable zone, shared by the files of src/zone only.
 *
 * Layout: extendible hashing over immutable shards. A name's keyed hash
 * (SipHash-1-3 with the zone's seed, so nobody who may write a zone can
 * aim names at one shard) picks a directory entry by its top `gdepth` bits;
 * the entry points at a shard, which holds every node whose hash starts
 * with the shard's `depth`-bit prefix (depth <= gdepth, so a shard may own
 * several neighbouring entries). A shard is ONE allocation: its open-
 * addressing table, nodes, RRsets, per-record pointers and lengths, names
 * and RDATA; nothing in it is allocated per record.
 *
 * Why this shape: a change rebuilds only the shards of the names it touches
 * (a few hundred nodes each) plus the directory (a pointer per entry), and
 * the new zone shares every other shard with the previous one (reference
 * counted). So the cost of a change depends on the change, not on the zone,
 * and the previous version stays intact for the readers still using it.
 * A shard that grows past ZSHARD_MAX splits on its next hash bit; the
 * directory doubles when a split needs a deeper prefix. */
#ifndef SDNS_ZONE_INT_H
#define SDNS_ZONE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/zone.h"

enum {
	SDNS_ZNODE_DELEG = 1,  /* NS below the apex: a zone cut (RFC 1034 §4.2.1) */
	SDNS_ZNODE_WILD = 2,   /* leftmost label is "*" (RFC 4592) */
};

/* A name of the zone: owner of RRsets or an empty non-terminal. Every
 * pointer points into the node's shard. */
typedef struct {
	uint64_t hash;               /* zone_hash of name */
	const uint8_t *name;         /* lowercase wire form */
	const uint8_t *orig;         /* as first written (== name when equal) */
	const sdns_rrset *rrsets;    /* nrrsets of them, by type */
	uint32_t children;           /* nodes whose parent this node is */
	uint16_t nrrsets;            /* 0: empty non-terminal */
	uint8_t len;
	uint8_t flags;
} sdns_znode;

/* Nodes a shard holds before it splits; the builder aims at half of it. */
#define ZSHARD_MAX 512
#define ZSHARD_TARGET 256
/* Deepest directory: 2^20 entries. Beyond it a shard just grows. */
#define ZDEPTH_MAX 20

typedef struct zshard {
	atomic_uint refs;      /* zone versions holding it */
	uint8_t depth;         /* hash prefix length */
	uint32_t prefix;       /* the top `depth` bits its nodes share */
	uint32_t n_nodes;
	uint32_t rr_count;     /* records, RRSIGs included */
	uint32_t n_dnssec;     /* of them RRSIG, NSEC and DNSKEY records */
	uint32_t n_deleg, n_wild;  /* nodes with those flags */
	uint32_t mask;         /* table slots - 1 */
	size_t bytes;          /* the allocation */
	uint16_t *table;       /* node index + 1; 0 = empty */
	sdns_znode *nodes;
} zshard;

struct sdns_zone {
	atomic_uint refs;      /* owners beyond the first (zero from calloc) */
	sdns_name apex;        /* lowercase */
	uint64_t apex_hash;    /* sdns_name_hash_ci, for zone sets */
	uint64_t seed[2];      /* hash key, kept by every edit */
	int apex_labels;
	uint8_t gdepth;
	zshard **dir;          /* 1 << gdepth entries */
	size_t n_shards;       /* distinct shards in dir */
	size_t n_nodes, rr_count, n_dnssec, n_deleg, n_wild;
	size_t bytes;          /* shards + directory + this header */
	const sdns_znode *apex_node;
	const sdns_rrset *soa;
	uint32_t serial;
	bool has_deleg, has_wild;
};

/* --- hashing (zhash.c) --- */
/* SipHash-1-3 of len octets (callers pass lowercase wire names). */
uint64_t zone_hash(const uint64_t seed[2], const uint8_t *p, size_t len);
/* The default seed of a builder (tests and fuzzing stay reproducible;
 * the daemon sets a random one). */
extern const uint64_t zone_default_seed[2];

/* Directory entry of hash at depth d (d may be 0). */
static inline uint32_t zone_dir_index(uint64_t hash, unsigned d)
{
	return d ? (uint32_t)(hash >> (64 - d)) : 0;
}

/* --- shards (shard.c) --- */
/* What one node of a shard under construction holds: its name, its
 * bookkeeping and its RRsets (views into an old shard or a staging area,
 * copied by zshard_make). */
typedef struct {
	uint64_t hash;
	const uint8_t *name, *orig;
	uint8_t len, flags;
	uint32_t children;
	const sdns_rrset *sets;
	uint16_t n_sets;
} zspec;
/* A new shard (refs 0) holding copies of specs, or NULL without memory or
 * beyond ZSHARD_LIMIT nodes. */
#define ZSHARD_LIMIT 65535
zshard *zshard_make(const zspec *specs, size_t n, uint8_t depth,
                    uint32_t prefix);
void zshard_ref(zshard *s);
void zshard_unref(zshard *s);
/* The node of name (lowercase) with that hash, or NULL. */
const sdns_znode *zshard_find(const zshard *s, const uint8_t *name,
                              uint8_t len, uint64_t hash);
/* A zspec viewing node n as it is. */
zspec zspec_of(const sdns_znode *n);

/* --- zone assembly (zone.c) --- */
/* A zone around dir (taken; every shard in it already referenced for this
 * zone): counts, apex node, SOA and serial. SDNS_EZONE with words in err
 * when the apex lacks its one SOA; the caller then frees the zone. */
int zone_assemble(sdns_zone *z, char *err, size_t cap);
/* Distinct shards of z in directory order: fn(ctx, shard). */
void zone_each_shard(const sdns_zone *z, void (*fn)(void *ctx, zshard *s),
                     void *ctx);

/* --- node rules (zrules.c) --- */
/* Check the RRsets of one node (sorted by type; orig spells the name for
 * messages): SOA only at the apex, CNAME alone (RRSIG/NSEC excepted), not
 * at the apex, at most one. Strict (report NULL): the first violation is
 * SDNS_EZONE with words in err. Lenient: the offending RRsets are dropped
 * from sets in place (*n shrinks, possibly to 0) and each drop reported.
 * Sets the node's DELEG/WILD flags in *flags. */
int zone_check_node(const sdns_name *apex, const uint8_t *name,
                    const uint8_t *orig, uint8_t len, sdns_rrset *sets,
                    uint16_t *n, uint8_t *flags, sdns_zone_report_fn report,
                    void *rctx, char *err, size_t cap);

/* --- lookup helpers (zone.c) --- */
/* Node of exactly lower (already lowercase), or NULL. Never allocates. */
const sdns_znode *sdns_zone_node(const sdns_zone *z, const sdns_name *lower);
/* RRset of type at node, or NULL. */
const sdns_rrset *sdns_znode_rrset(const sdns_znode *n, uint16_t type);
/* Copy the node's name (original case) into out. */
void sdns_znode_name(const sdns_znode *n, sdns_name *out);
/* True when a strict ancestor of the node (below the apex) is a cut. */
bool zone_below_cut(const sdns_zone *z, const uint8_t *name, uint8_t len);
/* Whether an RRset of type at a node is signed: not glue, not the NS of a
 * cut (DS and NSEC at a cut belong to the parent side, RFC 4035 §2.2). */
bool zone_set_authoritative(bool glue, bool cut, uint16_t type);

/* Read one uncompressed name from RDATA at *off, advancing *off. */
int sdns_zone_rdata_name(const uint8_t *rd, size_t rdlen, size_t *off,
                         sdns_name *out);
/* Wire offset of the name inside the RDATA of types that carry one we follow
 * (NS, CNAME, PTR: 0; MX: 2; SRV: 6); -1 for others. */
int sdns_zone_target_off(uint16_t type);
/* The RDATA checks of sdns_zbuild_add: layout of its type, names where
 * answering looks for them. */
int zone_check_rdata(uint16_t type, const uint8_t *rd, uint16_t rdlen);

/* Sort sets (views) by type and the records of each by RDATA (in the
 * arrays the sets point to, which must be writable). */
int zone_rdata_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);

#endif
