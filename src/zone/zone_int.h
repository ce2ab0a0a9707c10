/* Inside of an immutable zone, shared by zone.c, zone_build.c, zoneset.c and
 * answer.c only. A zone is one blob (owner names and RDATA), arrays of nodes,
 * RRsets and per-record pointers into the blob, and an open-addressing table
 * of node indexes keyed by sdns_name_hash_ci of the lowercase owner. */
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

/* A name of the zone: owner of RRsets or an empty non-terminal. name and orig
 * point into the zone blob (an empty non-terminal points at a suffix of a
 * longer owner, which needs no copy). */
typedef struct {
	const uint8_t *name;  /* lowercase wire form */
	const uint8_t *orig;  /* as first written in the zone */
	uint64_t hash;        /* sdns_name_hash_ci */
	uint32_t rrset0;      /* index of the first RRset in zone->rrsets */
	uint16_t nrrsets;     /* 0: empty non-terminal */
	uint8_t len;
	uint8_t flags;
} sdns_znode;

struct sdns_zone {
	atomic_uint refs;      /* owners beyond the first (zero from calloc) */
	sdns_name apex;        /* lowercase */
	uint64_t apex_hash;
	int apex_labels;
	uint8_t *blob;
	sdns_znode *nodes;
	size_t n_nodes;
	sdns_rrset *rrsets;
	size_t n_rrsets;
	uint16_t *rdlens;
	const uint8_t **rdatas;
	size_t rr_count;
	uint32_t *table;       /* node index + 1; 0 = empty slot */
	size_t mask;
	const sdns_znode *apex_node;
	const sdns_rrset *soa;
	uint32_t serial;
	bool has_deleg, has_wild;
};

/* Node of exactly lower (already lowercase), or NULL. Never allocates. */
const sdns_znode *sdns_zone_node(const sdns_zone *z, const sdns_name *lower,
                                 uint64_t hash);
/* RRset of type at node, or NULL. */
const sdns_rrset *sdns_znode_rrset(const sdns_zone *z, const sdns_znode *n,
                                   uint16_t type);
/* Copy the node's name (original case) into out. */
void sdns_znode_name(const sdns_znode *n, sdns_name *out);

/* Read one uncompressed name from RDATA at *off, advancing *off. */
int sdns_zone_rdata_name(const uint8_t *rd, size_t rdlen, size_t *off,
                         sdns_name *out);
/* Wire offset of the name inside the RDATA of types that carry one we follow
 * (NS, CNAME, PTR: 0; MX: 2; SRV: 6); -1 for others. */
int sdns_zone_target_off(uint16_t type);

#endif
