/* Immutable zone: lookups by name and type, never allocating; walks; the
 * zone-wide facts of a new version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zone_int.h"

void zone_each_shard(const sdns_zone *z, void (*fn)(void *ctx, zshard *s),
                     void *ctx)
{
	size_t n = (size_t)1 << z->gdepth;
	for (size_t i = 0; i < n;) {
		zshard *s = z->dir[i];
		i += (size_t)1 << (z->gdepth - s->depth);   /* fn may free s */
		fn(ctx, s);
	}
}

static void unref_cb(void *ctx, zshard *s)
{
	(void)ctx;
	zshard_unref(s);
}

void sdns_zone_ref(sdns_zone *z)
{
	if (z) atomic_fetch_add_explicit(&z->refs, 1, memory_order_relaxed);
}

void sdns_zone_free(sdns_zone *z)
{
	if (!z) return;
	/* Another set still holds it. */
	if (atomic_fetch_sub_explicit(&z->refs, 1, memory_order_acq_rel) != 0)
		return;
	if (z->dir) zone_each_shard(z, unref_cb, NULL);
	free(z->dir);
	free(z);
}

const sdns_name *sdns_zone_apex(const sdns_zone *z) { return &z->apex; }
uint32_t sdns_zone_serial(const sdns_zone *z) { return z->serial; }
size_t sdns_zone_rr_count(const sdns_zone *z) { return z->rr_count; }
size_t sdns_zone_dnssec_count(const sdns_zone *z) { return z->n_dnssec; }
size_t sdns_zone_name_count(const sdns_zone *z) { return z->n_nodes; }
size_t sdns_zone_bytes(const sdns_zone *z) { return z->bytes; }
size_t sdns_zone_shard_count(const sdns_zone *z) { return z->n_shards; }
const uint64_t *sdns_zone_seed(const sdns_zone *z) { return z->seed; }

static const sdns_znode *node_of(const sdns_zone *z, const uint8_t *name,
                                 uint8_t len)
{
	uint64_t h = zone_hash(z->seed, name, len);
	return zshard_find(z->dir[zone_dir_index(h, z->gdepth)], name, len, h);
}

const sdns_znode *sdns_zone_node(const sdns_zone *z, const sdns_name *lower)
{
	return node_of(z, lower->data, lower->len);
}

const sdns_rrset *sdns_znode_rrset(const sdns_znode *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type) return &n->rrsets[i];
	return NULL;
}

void sdns_znode_name(const sdns_znode *n, sdns_name *out)
{
	out->len = n->len;
	memcpy(out->data, n->orig, n->len);
}

static const sdns_znode *find_node(const sdns_zone *z, const sdns_name *name)
{
	sdns_name low = *name;
	sdns_name_lower(&low);
	return sdns_zone_node(z, &low);
}

const sdns_rrset *sdns_zone_find(const sdns_zone *z, const sdns_name *name,
                                 uint16_t type)
{
	if (!z || !name) return NULL;
	const sdns_znode *n = find_node(z, name);
	return n ? sdns_znode_rrset(n, type) : NULL;
}

bool sdns_zone_name_exists(const sdns_zone *z, const sdns_name *name)
{
	return z && name && find_node(z, name) != NULL;
}

int sdns_zone_rdata_name(const uint8_t *rd, size_t rdlen, size_t *off,
                         sdns_name *out)
{
	size_t p = *off, len = 0;
	for (;;) {
		if (p >= rdlen) return SDNS_ERDATA;
		uint8_t ll = rd[p];
		if (ll > SDNS_LABEL_MAX) return SDNS_ELABEL;
		if (rdlen - p < 1u + ll) return SDNS_ERDATA;
		if (len + 1u + ll > SDNS_NAME_MAX) return SDNS_ENAME;
		memcpy(out->data + len, rd + p, 1u + ll);
		len += 1u + ll;
		p += 1u + ll;
		if (ll == 0) break;
	}
	out->len = (uint8_t)len;
	*off = p;
	return SDNS_OK;
}

int sdns_zone_target_off(uint16_t type)
{
	switch (type) {
	case SDNS_T_NS: case SDNS_T_CNAME: case SDNS_T_PTR: return 0;
	case SDNS_T_MX: return 2;
	case SDNS_T_SRV: return 6;
	default: return -1;
	}
}

int zone_check_rdata(uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
	if (sdns_rdata_check(type, rd, rdlen) != SDNS_OK) return SDNS_ERDATA;
	sdns_name tmp;
	size_t off = 0;
	if (type == SDNS_T_SOA) {
		if (sdns_zone_rdata_name(rd, rdlen, &off, &tmp) ||
		    sdns_zone_rdata_name(rd, rdlen, &off, &tmp) || rdlen - off != 20)
			return SDNS_ERDATA;
		return SDNS_OK;
	}
	int t = sdns_zone_target_off(type);
	if (t < 0) return SDNS_OK;
	off = (size_t)t;
	if (rdlen < off || sdns_zone_rdata_name(rd, rdlen, &off, &tmp) ||
	    off != rdlen)
		return SDNS_ERDATA;
	return SDNS_OK;
}

int zone_rdata_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c) return c;
	return al < bl ? -1 : al > bl;
}

bool zone_below_cut(const sdns_zone *z, const uint8_t *name, uint8_t len)
{
	if (!z->has_deleg) return false;
	/* Each suffix of the wire form is an ancestor; stop above the apex. */
	size_t off = 1u + name[0];
	for (;;) {
		if (off >= len || len - off <= z->apex.len) return false;
		const sdns_znode *up = node_of(z, name + off, (uint8_t)(len - off));
		if (up && (up->flags & SDNS_ZNODE_DELEG)) return true;
		off += 1u + name[off];
	}
}

bool zone_set_authoritative(bool glue, bool cut, uint16_t type)
{
	bool parent_side = type == 43 || type == SDNS_T_NSEC;
	return !glue && (!cut || parent_side);
}

/* --- walks --- */

typedef struct {
	const sdns_zone *z;
	sdns_zone_walk_fn fn;
	void *ctx;
	int rc;
} walk_ctx;

static int walk_node(walk_ctx *w, const sdns_znode *nd)
{
	bool glue = zone_below_cut(w->z, nd->name, nd->len);
	bool cut = (nd->flags & SDNS_ZNODE_DELEG) != 0;
	sdns_name owner;
	sdns_znode_name(nd, &owner);
	for (uint16_t j = 0; j < nd->nrrsets; j++) {
		const sdns_rrset *s = &nd->rrsets[j];
		int rc = w->fn(w->ctx, &owner, s,
		               zone_set_authoritative(glue, cut, s->type));
		if (rc) return rc;
	}
	return SDNS_OK;
}

static void walk_shard(void *ctx, zshard *s)
{
	walk_ctx *w = ctx;
	for (uint32_t i = 0; i < s->n_nodes && !w->rc; i++)
		if (s->nodes[i].nrrsets) w->rc = walk_node(w, &s->nodes[i]);
}

int sdns_zone_walk(const sdns_zone *z, sdns_zone_walk_fn fn, void *ctx)
{
	if (!z || !fn) return SDNS_EINVAL;
	walk_ctx w = { z, fn, ctx, 0 };
	zone_each_shard(z, walk_shard, &w);
	return w.rc;
}

int sdns_zone_walk_slice(const sdns_zone *z, size_t *cursor, size_t n_shards,
                         sdns_zone_name_fn fn, void *ctx)
{
	if (!z || !cursor || !fn) return SDNS_EINVAL;
	/* The cursor counts in entries of the deepest directory, so that it
	 * keeps its place when the directory doubles between two calls. */
	const unsigned scale = ZDEPTH_MAX - z->gdepth;
	const size_t entries = (size_t)1 << z->gdepth;
	size_t i = (*cursor >> scale) % entries;
	int rc = 0;
	for (size_t k = 0; k < n_shards && !rc; k++) {
		zshard *s = z->dir[i];
		size_t span = (size_t)1 << (z->gdepth - s->depth);
		i &= ~(span - 1);   /* the shard's first entry */
		for (uint32_t j = 0; j < s->n_nodes && !rc; j++) {
			const sdns_znode *nd = &s->nodes[j];
			if (!nd->nrrsets) continue;
			sdns_name owner;
			sdns_znode_name(nd, &owner);
			rc = fn(ctx, &owner, nd->rrsets, nd->nrrsets);
		}
		i += span;
		if (i >= entries) {
			i = 0;
			if (k + 1 < n_shards) break;  /* one lap per call at most */
		}
	}
	*cursor = i << scale;
	return rc;
}

/* --- assembly --- */

static void count_cb(void *ctx, zshard *s)
{
	sdns_zone *z = ctx;
	z->n_shards++;
	z->n_nodes += s->n_nodes;
	z->rr_count += s->rr_count;
	z->n_dnssec += s->n_dnssec;
	z->n_deleg += s->n_deleg;
	z->n_wild += s->n_wild;
	z->bytes += s->bytes;
}

static uint32_t soa_serial(const sdns_rrset *soa)
{
	size_t off = 0;
	sdns_name tmp;
	/* The RDATA checks made sure of the layout. */
	sdns_zone_rdata_name(soa->rdata[0], soa->rdlen[0], &off, &tmp);
	sdns_zone_rdata_name(soa->rdata[0], soa->rdlen[0], &off, &tmp);
	const uint8_t *p = soa->rdata[0] + off;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int zone_assemble(sdns_zone *z, char *err, size_t cap)
{
	z->n_shards = z->n_nodes = z->rr_count = z->n_dnssec = 0;
	z->n_deleg = z->n_wild = 0;
	z->bytes = sizeof(*z) + ((size_t)sizeof(zshard *) << z->gdepth);
	zone_each_shard(z, count_cb, z);
	z->has_deleg = z->n_deleg > 0;
	z->has_wild = z->n_wild > 0;
	z->apex_node = sdns_zone_node(z, &z->apex);
	z->soa = z->apex_node ? sdns_znode_rrset(z->apex_node, SDNS_T_SOA) : NULL;
	char as[SDNS_NAME_STR_MAX];
	if (!z->soa || z->soa->count != 1) {
		if (sdns_name_to_str(&z->apex, as, sizeof(as)) != SDNS_OK)
			snprintf(as, sizeof(as), "?");
		if (err && cap && !z->soa)
			snprintf(err, cap, "%s: no SOA record at the zone apex", as);
		else if (err && cap)
			snprintf(err, cap, "%s: %u SOA records at the apex; exactly "
			         "one allowed", as, (unsigned)z->soa->count);
		return SDNS_EZONE;
	}
	z->serial = soa_serial(z->soa);
	return SDNS_OK;
}
