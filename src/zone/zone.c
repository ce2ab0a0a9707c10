/* Immutable zone: lookups by name and type, never allocating. */
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zone_int.h"

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
	free(z->blob);
	free(z->nodes);
	free(z->rrsets);
	free(z->rdlens);
	free(z->rdatas);
	free(z->table);
	free(z);
}

const sdns_name *sdns_zone_apex(const sdns_zone *z) { return &z->apex; }
uint32_t sdns_zone_serial(const sdns_zone *z) { return z->serial; }
size_t sdns_zone_rr_count(const sdns_zone *z) { return z->rr_count; }

const sdns_znode *sdns_zone_node(const sdns_zone *z, const sdns_name *lower,
                                 uint64_t hash)
{
	/* The table is at most half full, so the probe always ends. */
	for (size_t slot = hash & z->mask;; slot = (slot + 1) & z->mask) {
		uint32_t v = z->table[slot];
		if (!v) return NULL;
		const sdns_znode *n = &z->nodes[v - 1];
		if (n->hash == hash && n->len == lower->len &&
		    memcmp(n->name, lower->data, n->len) == 0)
			return n;
	}
}

const sdns_rrset *sdns_znode_rrset(const sdns_zone *z, const sdns_znode *n,
                                   uint16_t type)
{
	const sdns_rrset *s = &z->rrsets[n->rrset0];
	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (s[i].type == type) return &s[i];
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
	return sdns_zone_node(z, &low, sdns_name_hash_ci(&low));
}

const sdns_rrset *sdns_zone_find(const sdns_zone *z, const sdns_name *name,
                                 uint16_t type)
{
	if (!z || !name) return NULL;
	const sdns_znode *n = find_node(z, name);
	return n ? sdns_znode_rrset(z, n, type) : NULL;
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

/* True when a strict ancestor of nd (below the apex) is a zone cut. */
static bool below_cut(const sdns_zone *z, const sdns_znode *nd)
{
	sdns_name n;
	n.len = nd->len;
	memcpy(n.data, nd->name, nd->len);
	int depth = sdns_name_labels(&n) - z->apex_labels;
	for (int i = 1; i < depth; i++) {
		sdns_name_parent(&n);
		const sdns_znode *up = sdns_zone_node(z, &n, sdns_name_hash_ci(&n));
		if (up && (up->flags & SDNS_ZNODE_DELEG)) return true;
	}
	return false;
}

int sdns_zone_walk(const sdns_zone *z, sdns_zone_walk_fn fn, void *ctx)
{
	if (!z || !fn) return SDNS_EINVAL;
	for (size_t i = 0; i < z->n_nodes; i++) {
		const sdns_znode *nd = &z->nodes[i];
		if (!nd->nrrsets) continue;
		bool glue = z->has_deleg && below_cut(z, nd);
		bool cut = (nd->flags & SDNS_ZNODE_DELEG) != 0;
		sdns_name owner;
		sdns_znode_name(nd, &owner);
		for (uint16_t j = 0; j < nd->nrrsets; j++) {
			const sdns_rrset *s = &z->rrsets[nd->rrset0 + j];
			bool parent_side = s->type == 43 || s->type == SDNS_T_NSEC;
			bool auth = !glue && (!cut || parent_side);
			int rc = fn(ctx, &owner, s, auth);
			if (rc) return rc;
		}
	}
	return SDNS_OK;
}
