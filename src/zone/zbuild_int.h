/* What the builder (zone_build.c) and the edit (zedit.c) share: the record
 * checks, laying out a shard, and signing the nodes of one (zsign.c). */
#ifndef SDNS_ZBUILD_INT_H
#define SDNS_ZBUILD_INT_H

#include "zone_int.h"

/* sdns_zbuild_add's checks of one record against apex: SDNS_EZONE (outside
 * the apex, not class IN data) or SDNS_ERDATA, with words in err. */
int zone_check_rr(const sdns_name *apex, const sdns_rr *rr, char *err,
                  size_t cap);

/* Memory that lives until a shard is made: chunks, never moved. */
typedef struct zchunk zchunk;
typedef struct {
	zchunk *head;
} zsign_scratch;
void zsign_scratch_init(zsign_scratch *sc);
void zsign_scratch_free(zsign_scratch *sc);
void *zsign_alloc(zsign_scratch *sc, size_t n);

/* Replace the RRSIG RRset of sp (if any) by the signer's signatures of its
 * authoritative RRsets; sp->sets then points into sc. */
int zsign_node(const sdns_zone_signer *signer, zspec *sp, bool glue,
               zsign_scratch *sc);

/* How the nodes of one new shard are laid out. */
typedef struct {
	const sdns_zone_signer *signer;  /* NULL: copy as given */
	const bool *sign_node;           /* per spec: sign it (signer only) */
	const bool *glue;                /* per spec: below a cut (or NULL) */
} zone_layout;
/* The shard of specs, signed as lay says. */
int zone_lay_shard(const zone_layout *lay, const zspec *specs, size_t n,
                   uint8_t depth, uint32_t prefix, zshard **out);

#endif
