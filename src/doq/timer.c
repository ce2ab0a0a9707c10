/* Per-worker min-heap of connections ordered by their next expiry
 * (ngtcp2 timers, stream deadlines, closing periods). */
#include <stdlib.h>

#include "server_int.h"
#include "sdns/error.h"

#define NONE ((size_t)-1)

static void put(doq_heap *h, size_t i, doq_conn *c)
{
	h->v[i] = c;
	c->heap_idx = i;
}

static void sift_up(doq_heap *h, size_t i)
{
	doq_conn *c = h->v[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->v[p]->expiry <= c->expiry) break;
		put(h, i, h->v[p]);
		i = p;
	}
	put(h, i, c);
}

static void sift_down(doq_heap *h, size_t i)
{
	doq_conn *c = h->v[i];
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint64_t best = c->expiry;
		if (l < h->n && h->v[l]->expiry < best) m = l, best = h->v[l]->expiry;
		if (l + 1 < h->n && h->v[l + 1]->expiry < best) m = l + 1;
		if (m == i) break;
		put(h, i, h->v[m]);
		i = m;
	}
	put(h, i, c);
}

int doq_heap_set(doq_heap *h, doq_conn *c, uint64_t expiry)
{
	if (c->heap_idx == NONE) {
		if (h->n == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 64;
			doq_conn **v = realloc(h->v, cap * sizeof(*v));
			if (!v) return SDNS_ENOMEM;
			h->v = v;
			h->cap = cap;
		}
		c->expiry = expiry;
		put(h, h->n++, c);
		sift_up(h, c->heap_idx);
		return SDNS_OK;
	}
	uint64_t old = c->expiry;
	c->expiry = expiry;
	if (expiry < old) sift_up(h, c->heap_idx);
	else if (expiry > old) sift_down(h, c->heap_idx);
	return SDNS_OK;
}

void doq_heap_del(doq_heap *h, doq_conn *c)
{
	size_t i = c->heap_idx;
	if (i == NONE) return;
	c->heap_idx = NONE;
	doq_conn *last = h->v[--h->n];
	if (i == h->n) return;
	put(h, i, last);
	sift_up(h, i);
	sift_down(h, last->heap_idx);
}

doq_conn *doq_heap_top(const doq_heap *h)
{
	return h->n ? h->v[0] : NULL;
}

void doq_heap_free(doq_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
