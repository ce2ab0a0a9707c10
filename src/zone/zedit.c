/* Incremental changes: a new zone version from an old one by path copying.
 *
 * The names an edit puts (and the parents whose child counts move when a
 * name appears or goes) become pending nodes. finish() works out which
 * names exist afterwards (a name with data, or with children: an empty
 * non-terminal), re-lays only the shards that hold a pending node, splits
 * a shard that grew past ZSHARD_MAX, and shares every other shard with the
 * base. With a signer, only the RRsets of put or touched names are signed
 * again (the signer may reuse a signature of an RRset that did not change);
 * a zone cut that appears or goes changes what is glue below it, so the
 * names below are touched too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zbuild_int.h"

enum { P_KEEP, P_PUT, P_TOUCH };

typedef struct pnode {
	uint64_t hash;
	const uint8_t *name, *orig;  /* lowercase / as written (arena) */
	uint8_t len, flags, state;
	bool exists;                 /* in the new zone */
	const sdns_znode *old;       /* in the base, or NULL */
	uint32_t children;
	sdns_rrset *sets;            /* P_PUT: staged; else the old node's */
	uint16_t n_sets;
} pnode;

struct sdns_zedit {
	sdns_zone *base;
	sdns_zone_opts opts;
	zsign_scratch arena;
	pnode **slots;               /* open addressing on hash */
	size_t cap;
	pnode **list;                /* creation order */
	size_t n, list_cap;
	size_t puts;
	char err[200];
};

sdns_zedit *sdns_zedit_new(const sdns_zone *base, const sdns_zone_opts *o)
{
	if (!base) return NULL;
	sdns_zedit *e = calloc(1, sizeof(*e));
	if (!e) return NULL;
	e->base = (sdns_zone *)base;
	sdns_zone_ref(e->base);
	if (o) e->opts = *o;
	zsign_scratch_init(&e->arena);
	return e;
}

void sdns_zedit_free(sdns_zedit *e)
{
	if (!e) return;
	sdns_zone_free(e->base);
	zsign_scratch_free(&e->arena);
	free(e->slots);
	free(e->list);
	free(e);
}

size_t sdns_zedit_count(const sdns_zedit *e)
{
	return e ? e->puts : 0;
}

/* --- the pending table --- */

static pnode *ptable_get(const sdns_zedit *e, const uint8_t *name,
                         uint8_t len, uint64_t h)
{
	if (!e->cap) return NULL;
	for (size_t i = h & (e->cap - 1);; i = (i + 1) & (e->cap - 1)) {
		pnode *p = e->slots[i];
		if (!p) return NULL;
		if (p->hash == h && p->len == len && !memcmp(p->name, name, len))
			return p;
	}
}

static void ptable_put(pnode **slots, size_t cap, pnode *p)
{
	size_t i = p->hash & (cap - 1);
	while (slots[i]) i = (i + 1) & (cap - 1);
	slots[i] = p;
}

static int ptable_grow(sdns_zedit *e)
{
	if (e->n + 1 <= e->cap / 2 && e->n < e->list_cap) return SDNS_OK;
	if (e->n + 1 > e->cap / 2) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		pnode **ns = calloc(cap, sizeof(*ns));
		if (!ns) return SDNS_ENOMEM;
		for (size_t i = 0; i < e->n; i++) ptable_put(ns, cap, e->list[i]);
		free(e->slots);
		e->slots = ns;
		e->cap = cap;
	}
	if (e->n >= e->list_cap) {
		size_t lc = e->list_cap ? e->list_cap * 2 : 64;
		pnode **nl = realloc(e->list, lc * sizeof(*nl));
		if (!nl) return SDNS_ENOMEM;
		e->list = nl;
		e->list_cap = lc;
	}
	return SDNS_OK;
}

/* The pending node of name (lowercase), made from the base's node (or as
 * a name that does not exist yet) when it is not pending. */
static pnode *pending(sdns_zedit *e, const uint8_t *name, const uint8_t *orig,
                      uint8_t len)
{
	uint64_t h = zone_hash(e->base->seed, name, len);
	pnode *p = ptable_get(e, name, len, h);
	if (p) return p;
	if (ptable_grow(e)) return NULL;
	p = zsign_alloc(&e->arena, sizeof(*p));
	uint8_t *copy = zsign_alloc(&e->arena, 2u * len);
	if (!p || !copy) return NULL;
	const sdns_znode *old = zshard_find(
		e->base->dir[zone_dir_index(h, e->base->gdepth)], name, len, h);
	memcpy(copy, name, len);
	memcpy(copy + len, old ? old->orig : orig, len);
	*p = (pnode){ h, copy, copy + len, len, old ? old->flags : 0, P_KEEP,
	              old != NULL, old, old ? old->children : 0,
	              old ? (sdns_rrset *)old->rrsets : NULL,
	              old ? old->nrrsets : 0 };
	e->list[e->n++] = p;
	ptable_put(e->slots, e->cap, p);
	return p;
}

/* --- put and touch --- */

typedef struct {
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rd;
} srec;

static int srec_cmp(const void *pa, const void *pb)
{
	const srec *a = pa, *b = pb;
	if (a->type != b->type) return a->type < b->type ? -1 : 1;
	return zone_rdata_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

/* rrs sorted, without duplicates (lowest TTL kept), grouped into RRsets in
 * the arena. */
static int stage(sdns_zedit *e, const sdns_rr *rrs, size_t n, pnode *p)
{
	srec *r = zsign_alloc(&e->arena, (n ? n : 1) * sizeof(*r));
	sdns_rrset *sets = zsign_alloc(&e->arena, (n ? n : 1) * sizeof(*sets));
	uint16_t *rdlen = zsign_alloc(&e->arena, (n ? n : 1) * sizeof(*rdlen));
	const uint8_t **rdata = zsign_alloc(&e->arena, (n ? n : 1) * sizeof(*rdata));
	if (!r || !sets || !rdlen || !rdata) return SDNS_ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (e->opts.signer && rrs[i].type == SDNS_T_RRSIG) continue;
		uint8_t *copy = zsign_alloc(&e->arena, rrs[i].rdlen + 1u);
		if (!copy) return SDNS_ENOMEM;
		if (rrs[i].rdlen) memcpy(copy, rrs[i].rdata, rrs[i].rdlen);
		r[m++] = (srec){ rrs[i].type, rrs[i].ttl, rrs[i].rdlen, copy };
	}
	qsort(r, m, sizeof(*r), srec_cmp);
	uint16_t ns = 0;
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && srec_cmp(&r[i], &r[i - 1]) == 0) {
			sdns_rrset *last = &sets[ns - 1];
			if (r[i].ttl < last->ttl) last->ttl = r[i].ttl;
			continue;
		}
		if (!ns || sets[ns - 1].type != r[i].type) {
			if (ns == UINT16_MAX) return SDNS_ELIMIT;
			sets[ns++] = (sdns_rrset){ r[i].type, r[i].ttl, 0, &rdlen[k],
			                           &rdata[k] };
		}
		sdns_rrset *set = &sets[ns - 1];
		if (set->count == UINT16_MAX) return SDNS_ELIMIT;
		rdlen[k] = r[i].rdlen;
		rdata[k] = r[i].rd;
		if (r[i].ttl < set->ttl) set->ttl = r[i].ttl;
		set->count++;
		k++;
	}
	p->sets = sets;
	p->n_sets = ns;
	return zone_check_node(&e->base->apex, p->name, p->orig, p->len, sets,
	                       &p->n_sets, &p->flags, e->opts.report,
	                       e->opts.report_ctx, e->err, sizeof(e->err));
}

int sdns_zedit_put(sdns_zedit *e, const sdns_name *owner, const sdns_rr *rrs,
                   size_t n)
{
	if (!e || !owner || owner->len == 0 || (n && !rrs)) return SDNS_EINVAL;
	if (!sdns_name_is_sub_ci(owner, &e->base->apex))
		return zone_check_rr(&e->base->apex,
		                     &(sdns_rr){ .owner = *owner, .rclass = SDNS_C_IN },
		                     e->err, sizeof(e->err));
	for (size_t i = 0; i < n; i++) {
		if (!sdns_name_eq_ci(&rrs[i].owner, owner)) return SDNS_EINVAL;
		int rc = zone_check_rr(&e->base->apex, &rrs[i], e->err,
		                       sizeof(e->err));
		if (rc) return rc;
	}
	sdns_name low = *owner;
	sdns_name_lower(&low);
	pnode *p = pending(e, low.data, owner->data, low.len);
	if (!p) return SDNS_ENOMEM;
	/* The spelling of the newest put, as a reload would show it. */
	memcpy((uint8_t *)p->orig, owner->data, owner->len);
	if (p->state != P_PUT) e->puts++;
	p->state = P_PUT;
	return stage(e, rrs, n, p);
}

int sdns_zedit_touch(sdns_zedit *e, const sdns_name *owner)
{
	if (!e || !owner) return SDNS_EINVAL;
	sdns_name low = *owner;
	sdns_name_lower(&low);
	if (!sdns_zone_node(e->base, &low) && !ptable_get(e, low.data, low.len,
	    zone_hash(e->base->seed, low.data, low.len)))
		return SDNS_OK;
	pnode *p = pending(e, low.data, owner->data, low.len);
	if (!p) return SDNS_ENOMEM;
	if (p->state == P_KEEP) {
		p->state = P_TOUCH;
		e->puts++;
	}
	return SDNS_OK;
}

/* --- finish: which names exist --- */

static bool is_apex(const sdns_zedit *e, const pnode *p)
{
	return p->len == e->base->apex.len &&
	       !memcmp(p->name, e->base->apex.data, p->len);
}

static pnode *parent_of(sdns_zedit *e, const pnode *p)
{
	uint8_t skip = (uint8_t)(1u + p->name[0]);
	return pending(e, p->name + skip, p->orig + skip,
	               (uint8_t)(p->len - skip));
}

/* p exists now: its parent gains a child (and may come into being). */
static int appear(sdns_zedit *e, pnode *p)
{
	while (!is_apex(e, p)) {
		pnode *q = parent_of(e, p);
		if (!q) return SDNS_ENOMEM;
		q->children++;
		if (q->exists) return SDNS_OK;
		q->exists = true;
		p = q;
	}
	return SDNS_OK;
}

/* p may have nothing left: then it goes, and its parent loses a child. */
static int vanish(sdns_zedit *e, pnode *p)
{
	while (p->exists && !is_apex(e, p) && p->n_sets == 0 &&
	       p->children == 0) {
		p->exists = false;
		pnode *q = parent_of(e, p);
		if (!q) return SDNS_ENOMEM;
		q->children--;
		p = q;
	}
	return SDNS_OK;
}

static int settle(sdns_zedit *e)
{
	/* Births first: they only add children, so no name goes away that a
	 * later put of this edit still needs as a parent. */
	for (size_t i = 0; i < e->n; i++) {
		pnode *p = e->list[i];
		if (p->state == P_PUT && p->n_sets && !p->exists) {
			p->exists = true;
			int rc = appear(e, p);
			if (rc) return rc;
		}
	}
	size_t n = e->n;   /* vanish() may add parents; they need no visit */
	for (size_t i = 0; i < n; i++) {
		pnode *p = e->list[i];
		if (p->state == P_PUT && !p->n_sets) {
			int rc = vanish(e, p);
			if (rc) return rc;
		}
	}
	return SDNS_OK;
}

/* --- finish: cuts and glue --- */

static bool cut_now(const sdns_zedit *e, const uint8_t *name, uint8_t len)
{
	uint64_t h = zone_hash(e->base->seed, name, len);
	const pnode *p = ptable_get(e, name, len, h);
	if (p) return p->exists && (p->flags & SDNS_ZNODE_DELEG);
	const sdns_znode *n = zshard_find(
		e->base->dir[zone_dir_index(h, e->base->gdepth)], name, len, h);
	return n && (n->flags & SDNS_ZNODE_DELEG);
}

static bool glue_now(const sdns_zedit *e, const pnode *p)
{
	size_t off = 1u + p->name[0];
	while (off < p->len && p->len - off > e->base->apex.len) {
		if (cut_now(e, p->name + off, (uint8_t)(p->len - off))) return true;
		off += 1u + p->name[off];
	}
	return false;
}

static bool strictly_below(const uint8_t *name, uint8_t len, const pnode *p)
{
	if (len <= p->len || memcmp(name + (len - p->len), p->name, p->len))
		return false;
	/* The suffix must start on a label boundary. */
	for (size_t off = 0; off < len; off += 1u + name[off])
		if (len - off == p->len) return true;
	return false;
}

typedef struct {
	sdns_zedit *e;
	const pnode *cut;
	int rc;
} below_ctx;

static void touch_below(void *ctx, zshard *s)
{
	below_ctx *b = ctx;
	for (uint32_t i = 0; i < s->n_nodes && !b->rc; i++) {
		const sdns_znode *nd = &s->nodes[i];
		if (!nd->nrrsets || !strictly_below(nd->name, nd->len, b->cut))
			continue;
		pnode *p = pending(b->e, nd->name, nd->orig, nd->len);
		if (!p) b->rc = SDNS_ENOMEM;
		else if (p->state == P_KEEP) p->state = P_TOUCH;
	}
}

/* A cut that came or went changes what is glue below it: re-sign those
 * names (a walk of the zone, only when a delegation changes). */
static int recut(sdns_zedit *e)
{
	if (!e->opts.signer) return SDNS_OK;
	size_t n = e->n;
	for (size_t i = 0; i < n; i++) {
		pnode *p = e->list[i];
		bool was = p->old && (p->old->flags & SDNS_ZNODE_DELEG);
		bool is = p->exists && (p->flags & SDNS_ZNODE_DELEG);
		if (p->state != P_PUT || was == is) continue;
		below_ctx b = { e, p, SDNS_OK };
		zone_each_shard(e->base, touch_below, &b);
		if (b.rc) return b.rc;
	}
	return SDNS_OK;
}

/* --- finish: the new shards --- */

/* One shard of the new version. */
typedef struct {
	zshard *s;
} newshard;

typedef struct {
	sdns_zedit *e;
	newshard *out;
	size_t n_out, cap_out;
	uint8_t max_depth;
} relay;

static int keep_shard(relay *r, zshard *s)
{
	if (r->n_out == r->cap_out) {
		size_t cap = r->cap_out ? r->cap_out * 2 : 16;
		newshard *no = realloc(r->out, cap * sizeof(*no));
		if (!no) return SDNS_ENOMEM;
		r->out = no;
		r->cap_out = cap;
	}
	r->out[r->n_out++] = (newshard){ s };
	if (s->depth > r->max_depth) r->max_depth = s->depth;
	return SDNS_OK;
}

static zspec spec_of(const pnode *p)
{
	return (zspec){ p->hash, p->name, p->orig, p->len, p->flags, p->children,
	                p->sets, p->n_sets };
}

/* Lay out specs at depth/prefix, splitting while over ZSHARD_MAX. */
static int lay(relay *r, zspec *specs, bool *sign, bool *glue, size_t n,
               uint8_t depth, uint32_t prefix)
{
	if (n > ZSHARD_MAX && depth < ZDEPTH_MAX) {
		/* Partition on the next hash bit: zeros first. */
		size_t lo = 0;
		for (size_t i = 0; i < n; i++) {
			if ((specs[i].hash >> (63 - depth)) & 1) continue;
			zspec ts = specs[lo]; specs[lo] = specs[i]; specs[i] = ts;
			bool tb = sign[lo]; sign[lo] = sign[i]; sign[i] = tb;
			tb = glue[lo]; glue[lo] = glue[i]; glue[i] = tb;
			lo++;
		}
		int rc = lay(r, specs, sign, glue, lo, depth + 1, prefix << 1);
		if (!rc)
			rc = lay(r, specs + lo, sign + lo, glue + lo, n - lo, depth + 1,
			         prefix << 1 | 1);
		return rc;
	}
	zone_layout l = { r->e->opts.signer, sign, glue };
	zshard *s = NULL;
	int rc = zone_lay_shard(&l, specs, n, depth, prefix, &s);
	if (!rc && (rc = keep_shard(r, s))) free(s);
	return rc;
}

/* The pending nodes, ordered by the base shard that holds their hash. */
typedef struct {
	zshard *shard;
	pnode *p;
} pin;

static int pin_cmp(const void *pa, const void *pb)
{
	const pin *a = pa, *b = pb;
	if (a->shard != b->shard) return a->shard < b->shard ? -1 : 1;
	return 0;
}

static int relay_shard(relay *r, zshard *s, const pin *pins, size_t np)
{
	sdns_zedit *e = r->e;
	size_t cap = s->n_nodes + np;
	zspec *specs = malloc((cap ? cap : 1) * sizeof(*specs));
	bool *sign = calloc(cap ? cap : 1, sizeof(*sign));
	bool *glue = calloc(cap ? cap : 1, sizeof(*glue));
	int rc = specs && sign && glue ? SDNS_OK : SDNS_ENOMEM;
	size_t n = 0;
	for (uint32_t i = 0; rc == SDNS_OK && i < s->n_nodes; i++) {
		const sdns_znode *nd = &s->nodes[i];
		if (!ptable_get(e, nd->name, nd->len, nd->hash))
			specs[n++] = zspec_of(nd);   /* untouched */
	}
	for (size_t i = 0; rc == SDNS_OK && i < np; i++) {
		const pnode *p = pins[i].p;
		if (!p->exists) continue;
		sign[n] = p->state != P_KEEP && p->n_sets;
		glue[n] = sign[n] && glue_now(e, p);
		specs[n++] = spec_of(p);
	}
	if (rc == SDNS_OK) rc = lay(r, specs, sign, glue, n, s->depth, s->prefix);
	free(specs);
	free(sign);
	free(glue);
	return rc;
}

static int relay_all(relay *r)
{
	sdns_zedit *e = r->e;
	const sdns_zone *z = e->base;
	pin *pins = malloc((e->n ? e->n : 1) * sizeof(*pins));
	if (!pins) return SDNS_ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		pnode *p = e->list[i];
		pins[i] = (pin){ z->dir[zone_dir_index(p->hash, z->gdepth)], p };
	}
	qsort(pins, e->n, sizeof(*pins), pin_cmp);
	int rc = SDNS_OK;
	for (size_t i = 0; i < e->n && rc == SDNS_OK;) {
		size_t j = i;
		while (j < e->n && pins[j].shard == pins[i].shard) j++;
		rc = relay_shard(r, pins[i].shard, pins + i, j - i);
		i = j;
	}
	free(pins);
	return rc;
}

/* The new directory: the base's, deepened if a split asked for it, with
 * the new shards over the ranges they cover; every shard referenced. */
static int new_dir(relay *r, sdns_zone *z)
{
	const sdns_zone *b = r->e->base;
	uint8_t gd = b->gdepth > r->max_depth ? b->gdepth : r->max_depth;
	size_t n = (size_t)1 << gd;
	zshard **dir = malloc(n * sizeof(*dir));
	if (!dir) return SDNS_ENOMEM;
	unsigned up = gd - b->gdepth;
	for (size_t i = 0; i < n; i++) dir[i] = b->dir[i >> up];
	for (size_t k = 0; k < r->n_out; k++) {
		zshard *s = r->out[k].s;
		size_t span = (size_t)1 << (gd - s->depth);
		size_t first = (size_t)s->prefix << (gd - s->depth);
		for (size_t i = 0; i < span; i++) dir[first + i] = s;
	}
	z->gdepth = gd;
	z->dir = dir;
	for (size_t i = 0; i < n;) {
		zshard_ref(dir[i]);
		i += (size_t)1 << (gd - dir[i]->depth);
	}
	return SDNS_OK;
}

static int finish(sdns_zedit *e, sdns_zone *z, char *err, size_t cap)
{
	const sdns_zone *b = e->base;
	z->apex = b->apex;
	z->apex_labels = b->apex_labels;
	z->apex_hash = b->apex_hash;
	memcpy(z->seed, b->seed, sizeof(z->seed));
	int rc = settle(e);
	if (!rc) rc = recut(e);
	relay r = { .e = e };
	if (!rc) rc = relay_all(&r);
	if (!rc) rc = new_dir(&r, z);
	for (size_t k = 0; k < r.n_out; k++)
		if (rc) free(r.out[k].s);   /* never referenced */
	free(r.out);
	if (!rc) rc = zone_assemble(z, err, cap);
	else if (err && cap) snprintf(err, cap, "%s", sdns_strerror(rc));
	return rc;
}

int sdns_zedit_finish(sdns_zedit *e, sdns_zone **out, char *err,
                      size_t err_cap)
{
	if (out) *out = NULL;
	if (!e || !out) {
		sdns_zedit_free(e);
		return SDNS_EINVAL;
	}
	sdns_zone *z = calloc(1, sizeof(*z));
	int rc = z ? finish(e, z, err, err_cap) : SDNS_ENOMEM;
	sdns_zedit_free(e);
	if (rc) {
		sdns_zone_free(z);
		return rc;
	}
	*out = z;
	return SDNS_OK;
}

const char *sdns_zedit_error(const sdns_zedit *e)
{
	return e ? e->err : "";
}
