/* Shards: one allocation each, laid out once and never changed. */
#include <stdlib.h>
#include <string.h>

#include "zone_int.h"

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* The original spelling needs its own copy only when it differs. */
static bool own_orig(const zspec *sp)
{
	return sp->orig && sp->orig != sp->name &&
	       memcmp(sp->orig, sp->name, sp->len) != 0;
}

typedef struct {
	size_t slots, sets, rrs, bytes;
} zsizes;

static void measure(const zspec *specs, size_t n, zsizes *m)
{
	memset(m, 0, sizeof(*m));
	m->slots = 8;
	while (m->slots < 2 * n) m->slots *= 2;
	for (size_t i = 0; i < n; i++) {
		const zspec *sp = &specs[i];
		m->bytes += sp->len + (own_orig(sp) ? sp->len : 0);
		m->sets += sp->n_sets;
		for (uint16_t j = 0; j < sp->n_sets; j++) {
			const sdns_rrset *set = &sp->sets[j];
			m->rrs += set->count;
			for (uint16_t k = 0; k < set->count; k++)
				m->bytes += set->rdlen[k];
		}
	}
}

/* Cursors into the shard's arrays while it is filled. */
typedef struct {
	sdns_rrset *set;
	const uint8_t **ptr;
	uint16_t *len;
	uint8_t *byte;
} zfill;

static void fill_node(zshard *s, size_t i, const zspec *sp, zfill *f)
{
	sdns_znode *nd = &s->nodes[i];
	nd->hash = sp->hash;
	nd->len = sp->len;
	nd->flags = sp->flags;
	nd->children = sp->children;
	s->n_deleg += (sp->flags & SDNS_ZNODE_DELEG) != 0;
	s->n_wild += (sp->flags & SDNS_ZNODE_WILD) != 0;
	memcpy(f->byte, sp->name, sp->len);
	nd->name = f->byte;
	f->byte += sp->len;
	nd->orig = nd->name;
	if (own_orig(sp)) {
		memcpy(f->byte, sp->orig, sp->len);
		nd->orig = f->byte;
		f->byte += sp->len;
	}
	nd->rrsets = f->set;
	nd->nrrsets = sp->n_sets;
	for (uint16_t j = 0; j < sp->n_sets; j++) {
		const sdns_rrset *src = &sp->sets[j];
		sdns_rrset *dst = f->set++;
		dst->type = src->type;
		dst->ttl = src->ttl;
		dst->count = src->count;
		dst->rdlen = f->len;
		dst->rdata = f->ptr;
		for (uint16_t k = 0; k < src->count; k++) {
			*f->len++ = src->rdlen[k];
			memcpy(f->byte, src->rdata[k], src->rdlen[k]);
			*f->ptr++ = f->byte;
			f->byte += src->rdlen[k];
		}
		s->rr_count += src->count;
		if (src->type == SDNS_T_RRSIG || src->type == SDNS_T_NSEC ||
		    src->type == SDNS_T_DNSKEY)
			s->n_dnssec += src->count;
	}
	size_t slot = nd->hash & s->mask;
	while (s->table[slot]) slot = (slot + 1) & s->mask;
	s->table[slot] = (uint16_t)(i + 1);
}

zshard *zshard_make(const zspec *specs, size_t n, uint8_t depth,
                    uint32_t prefix)
{
	if (n > ZSHARD_LIMIT) return NULL;
	zsizes m;
	measure(specs, n, &m);
	size_t off_table = align8(sizeof(zshard));
	size_t off_nodes = align8(off_table + m.slots * sizeof(uint16_t));
	size_t off_sets = align8(off_nodes + n * sizeof(sdns_znode));
	size_t off_ptrs = align8(off_sets + m.sets * sizeof(sdns_rrset));
	size_t off_lens = off_ptrs + m.rrs * sizeof(uint8_t *);
	size_t off_bytes = off_lens + m.rrs * sizeof(uint16_t);
	size_t total = off_bytes + m.bytes;
	uint8_t *mem = malloc(total);
	if (!mem) return NULL;
	zshard *s = (zshard *)mem;
	atomic_init(&s->refs, 0);
	s->depth = depth;
	s->prefix = prefix;
	s->n_nodes = (uint32_t)n;
	s->rr_count = s->n_dnssec = 0;
	s->n_deleg = s->n_wild = 0;
	s->mask = (uint32_t)(m.slots - 1);
	s->bytes = total;
	s->table = (uint16_t *)(mem + off_table);
	memset(s->table, 0, m.slots * sizeof(uint16_t));
	s->nodes = (sdns_znode *)(mem + off_nodes);
	zfill f = { (sdns_rrset *)(mem + off_sets),
	            (const uint8_t **)(mem + off_ptrs),
	            (uint16_t *)(mem + off_lens), mem + off_bytes };
	for (size_t i = 0; i < n; i++) fill_node(s, i, &specs[i], &f);
	return s;
}

void zshard_ref(zshard *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void zshard_unref(zshard *s)
{
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		free(s);
}

const sdns_znode *zshard_find(const zshard *s, const uint8_t *name,
                              uint8_t len, uint64_t hash)
{
	/* At most half full, so every probe ends at an empty slot. */
	for (size_t slot = hash & s->mask;; slot = (slot + 1) & s->mask) {
		uint16_t v = s->table[slot];
		if (!v) return NULL;
		const sdns_znode *n = &s->nodes[v - 1];
		if (n->hash == hash && n->len == len && !memcmp(n->name, name, len))
			return n;
	}
}

zspec zspec_of(const sdns_znode *n)
{
	return (zspec){ n->hash, n->name, n->orig, n->len, n->flags,
	                n->children, n->rrsets, n->nrrsets };
}
