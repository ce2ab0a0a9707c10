/* Signing the nodes of a shard before it is laid out: the signer (a hook,
 * so that src/zone does not depend on src/dnssec) makes one RRSIG per
 * authoritative RRset; they go into one RRSIG RRset at the node. */
#include <stdlib.h>
#include <string.h>

#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "zbuild_int.h"

#define CHUNK_MIN (64u * 1024)

struct zchunk {
	struct zchunk *next;
	size_t used, cap;
	max_align_t data[];
};

void zsign_scratch_init(zsign_scratch *sc)
{
	sc->head = NULL;
}

void zsign_scratch_free(zsign_scratch *sc)
{
	while (sc->head) {
		zchunk *c = sc->head;
		sc->head = c->next;
		free(c);
	}
}

void *zsign_alloc(zsign_scratch *sc, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	zchunk *c = sc->head;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		c = malloc(sizeof(*c) + cap);
		if (!c) return NULL;
		c->next = sc->head;
		c->used = 0;
		c->cap = cap;
		sc->head = c;
	}
	void *p = (uint8_t *)c->data + c->used;
	c->used += n;
	return p;
}

int zsign_node(const sdns_zone_signer *signer, zspec *sp, bool glue,
               zsign_scratch *sc)
{
	sdns_name owner;
	owner.len = sp->len;
	memcpy(owner.data, sp->orig, sp->len);
	bool cut = (sp->flags & SDNS_ZNODE_DELEG) != 0;
	uint16_t n = sp->n_sets;
	sdns_rrset *sets = zsign_alloc(sc, (n + 1u) * sizeof(*sets));
	uint16_t *rdlen = zsign_alloc(sc, n * sizeof(*rdlen) + 1);
	const uint8_t **rdata = zsign_alloc(sc, n * sizeof(*rdata) + 1);
	if (!sets || !rdlen || !rdata) return SDNS_ENOMEM;
	uint16_t m = 0, sigs = 0;
	uint32_t sig_ttl = 0;
	for (uint16_t i = 0; i < n; i++) {
		const sdns_rrset *s = &sp->sets[i];
		if (s->type == SDNS_T_RRSIG) continue;   /* replaced below */
		sets[m++] = *s;
		if (!zone_set_authoritative(glue, cut, s->type)) continue;
		uint8_t *sig = zsign_alloc(sc, SDNS_DNSSEC_RRSIG_MAX);
		size_t len = 0;
		if (!sig) return SDNS_ENOMEM;
		int rc = signer->sign(signer->ctx, &owner, s, sig,
		                      SDNS_DNSSEC_RRSIG_MAX, &len);
		if (rc) return rc;
		rdlen[sigs] = (uint16_t)len;
		rdata[sigs] = sig;
		if (!sigs || s->ttl < sig_ttl) sig_ttl = s->ttl;
		sigs++;
	}
	if (sigs) {
		/* Keep the sets in type order: RRSIG goes where 46 belongs. */
		uint16_t at = 0;
		while (at < m && sets[at].type < SDNS_T_RRSIG) at++;
		memmove(&sets[at + 1], &sets[at], (size_t)(m - at) * sizeof(*sets));
		sets[at] = (sdns_rrset){ SDNS_T_RRSIG, sig_ttl, sigs, rdlen, rdata };
		m++;
	}
	sp->sets = sets;
	sp->n_sets = m;
	return SDNS_OK;
}
