/* Zone sets: an immutable group of zones, found by closest enclosing apex.
 * Readers hold a reference while answering; the last unref frees. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zone_int.h"

struct sdns_zoneset {
	atomic_uint refs;
	sdns_zone **zones;    /* canonical order of apex */
	size_t n;
	uint32_t *table;      /* zone index + 1, keyed by apex hash */
	size_t mask;
	int min_labels, max_labels;
};

static int apex_cmp(const void *pa, const void *pb)
{
	const sdns_zone *a = *(sdns_zone *const *)pa;
	const sdns_zone *b = *(sdns_zone *const *)pb;
	return sdns_name_canon_cmp(&a->apex, &b->apex);
}

static const sdns_zone *by_apex(const sdns_zoneset *s, const sdns_name *lower,
                                uint64_t hash)
{
	for (size_t slot = hash & s->mask;; slot = (slot + 1) & s->mask) {
		uint32_t v = s->table[slot];
		if (!v) return NULL;
		const sdns_zone *z = s->zones[v - 1];
		if (z->apex_hash == hash && z->apex.len == lower->len &&
		    memcmp(z->apex.data, lower->data, lower->len) == 0)
			return z;
	}
}

static void free_set(sdns_zoneset *s, bool zones)
{
	if (zones)
		for (size_t i = 0; i < s->n; i++) sdns_zone_free(s->zones[i]);
	free(s->zones);
	free(s->table);
	free(s);
}

static int index_set(sdns_zoneset *s)
{
	size_t cap = 8;
	while (cap < 2 * s->n) cap *= 2;
	s->table = calloc(cap, sizeof(*s->table));
	if (!s->table) return SDNS_ENOMEM;
	s->mask = cap - 1;
	s->min_labels = 128;
	s->max_labels = 0;
	for (size_t i = 0; i < s->n; i++) {
		const sdns_zone *z = s->zones[i];
		if (i && sdns_name_canon_cmp(&s->zones[i - 1]->apex, &z->apex) == 0)
			return SDNS_EEXIST;
		size_t slot = z->apex_hash & s->mask;
		while (s->table[slot]) slot = (slot + 1) & s->mask;
		s->table[slot] = (uint32_t)(i + 1);
		if (z->apex_labels < s->min_labels) s->min_labels = z->apex_labels;
		if (z->apex_labels > s->max_labels) s->max_labels = z->apex_labels;
	}
	return SDNS_OK;
}

int sdns_zoneset_new(sdns_zone **zones, size_t n, sdns_zoneset **out)
{
	if (!out || (n && !zones)) return SDNS_EINVAL;
	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (!zones[i]) return SDNS_EINVAL;
	sdns_zoneset *s = calloc(1, sizeof(*s));
	if (!s) return SDNS_ENOMEM;
	s->zones = malloc((n ? n : 1) * sizeof(*s->zones));
	if (!s->zones) {
		free(s);
		return SDNS_ENOMEM;
	}
	if (n) memcpy(s->zones, zones, n * sizeof(*zones));
	s->n = n;
	qsort(s->zones, n, sizeof(*s->zones), apex_cmp);
	int rc = index_set(s);
	if (rc) {
		/* The caller keeps its zones when the set is refused. */
		free_set(s, false);
		return rc;
	}
	atomic_init(&s->refs, 1);
	*out = s;
	return SDNS_OK;
}

int sdns_zoneset_replace(const sdns_zoneset *old, const sdns_name *apex,
                         sdns_zone *z, sdns_zoneset **out)
{
	if (!out || (!z && !apex)) return SDNS_EINVAL;
	*out = NULL;
	const sdns_name *key = z ? &z->apex : apex;
	size_t n = old ? old->n : 0;
	sdns_zone **zones = malloc((n + 1) * sizeof(*zones));
	if (!zones) return SDNS_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (sdns_name_canon_cmp(&old->zones[i]->apex, key) == 0) continue;
		zones[k++] = old->zones[i];
	}
	if (z) zones[k++] = z;
	int rc = sdns_zoneset_new(zones, k, out);
	if (rc == SDNS_OK) /* the new set owns one more reference of each */
		for (size_t i = 0; i < k; i++)
			if (zones[i] != z) sdns_zone_ref(zones[i]);
	free(zones);
	return rc;
}

void sdns_zoneset_ref(sdns_zoneset *s)
{
	if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void sdns_zoneset_unref(sdns_zoneset *s)
{
	if (!s) return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		free_set(s, true);
}

const sdns_zone *sdns_zoneset_find(const sdns_zoneset *s,
                                   const sdns_name *name)
{
	if (!s || !name || s->n == 0) return NULL;
	sdns_name low = *name;
	sdns_name_lower(&low);
	int labels = sdns_name_labels(&low);
	/* Longest suffix first; suffixes longer than any apex cannot match. */
	for (; labels > s->max_labels; labels--) sdns_name_parent(&low);
	for (; labels >= s->min_labels; labels--) {
		const sdns_zone *z = by_apex(s, &low, sdns_name_hash_ci(&low));
		if (z) return z;
		if (labels == 0) break;
		sdns_name_parent(&low);
	}
	return NULL;
}

size_t sdns_zoneset_count(const sdns_zoneset *s) { return s ? s->n : 0; }

const sdns_zone *sdns_zoneset_at(const sdns_zoneset *s, size_t i)
{
	return s && i < s->n ? s->zones[i] : NULL;
}
