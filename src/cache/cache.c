/* The answer cache table: shards, hash chains, LRU lists, lookup and insert.
 * The hit path hashes the lowered name, takes one shard mutex, copies the
 * wire and patches ID, RD, qname case and the TTL fields it noted at insert. */
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "sdns/error.h"
#include "sdns/msg.h"

#define NS_PER_S 1000000000ull

void sdns_cache_conf_default(sdns_cache_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->max_entries = 100000;
	conf->max_bytes = 64u << 20;
	conf->max_ttl = 86400;
	conf->neg_max_ttl = 3600;
	conf->shards = 16;
}

void sdns_cache_lower(const uint8_t *in, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
	}
}

uint64_t sdns_cache_key_hash(const uint8_t *lname, size_t len, uint16_t qtype,
                             uint16_t qclass, bool do_bit)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= lname[i];
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)qtype << 17 ^ (uint64_t)qclass << 34 ^ (uint64_t)do_bit << 51;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static size_t pow2(size_t n)
{
	size_t p = 1;
	while (p < n) p <<= 1;
	return p;
}

static int shard_init(sdns_cshard *s, size_t max_entries, size_t max_bytes)
{
	s->max_entries = max_entries ? max_entries : 1;
	s->max_bytes = max_bytes ? max_bytes : 1;
	s->nbuckets = pow2(s->max_entries < 16 ? 16 : s->max_entries);
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->buckets) return SDNS_ENOMEM;
	if (pthread_mutex_init(&s->mu, NULL)) {
		free(s->buckets);
		return SDNS_ENOMEM;
	}
	return SDNS_OK;
}

int sdns_cache_new(const sdns_cache_conf *conf, sdns_cache **out)
{
	*out = NULL;
	if (!conf || conf->max_ttl < conf->min_ttl || conf->max_entries == 0 ||
	    conf->max_bytes == 0)
		return SDNS_EINVAL;
	sdns_cache *c = calloc(1, sizeof(*c));
	if (!c) return SDNS_ENOMEM;
	c->conf = *conf;
	c->nshards = (unsigned)pow2(conf->shards ? conf->shards : 1);
	if (c->nshards > conf->max_entries) c->nshards = (unsigned)pow2(1);
	c->shards = calloc(c->nshards, sizeof(*c->shards));
	if (!c->shards) {
		free(c);
		return SDNS_ENOMEM;
	}
	for (unsigned i = 0; i < c->nshards; i++) {
		int rc = shard_init(&c->shards[i], conf->max_entries / c->nshards,
		                    conf->max_bytes / c->nshards);
		if (rc) {
			c->nshards = i;
			sdns_cache_free(c);
			return rc;
		}
	}
	*out = c;
	return SDNS_OK;
}

static void lru_unlink(sdns_cshard *s, sdns_centry *e)
{
	if (e->prev) e->prev->next = e->next; else s->head = e->next;
	if (e->next) e->next->prev = e->prev; else s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_front(sdns_cshard *s, sdns_centry *e)
{
	e->next = s->head;
	e->prev = NULL;
	if (s->head) s->head->prev = e;
	s->head = e;
	if (!s->tail) s->tail = e;
}

static void shard_remove(sdns_cshard *s, sdns_centry *e)
{
	sdns_centry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
	while (*pp != e) pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->entries--;
	s->bytes -= e->size;
	free(e);
}

static void shard_clear(sdns_cshard *s)
{
	while (s->head) shard_remove(s, s->head);
}

void sdns_cache_free(sdns_cache *c)
{
	if (!c) return;
	for (unsigned i = 0; i < c->nshards; i++) {
		shard_clear(&c->shards[i]);
		free(c->shards[i].buckets);
		pthread_mutex_destroy(&c->shards[i].mu);
	}
	free(c->shards);
	free(c);
}

static sdns_cshard *shard_of(sdns_cache *c, uint64_t hash)
{
	return &c->shards[(hash >> 48) & (c->nshards - 1)];
}

static sdns_centry *shard_find(sdns_cshard *s, uint64_t hash,
                               const uint8_t *lname, uint8_t len,
                               uint16_t qtype, uint16_t qclass, bool do_bit)
{
	for (sdns_centry *e = s->buckets[hash & (s->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == hash && e->name_len == len && e->qtype == qtype &&
		    e->qclass == qclass && e->do_bit == do_bit &&
		    memcmp(e->name, lname, len) == 0)
			return e;
	return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void copy_out(const sdns_centry *e, const sdns_cache_q *q,
                     uint64_t now_ns, uint8_t *out)
{
	uint32_t age = (uint32_t)((now_ns - e->born_ns) / NS_PER_S);
	memcpy(out, e->wire, e->wire_len);
	out[0] = (uint8_t)(q->id >> 8);
	out[1] = (uint8_t)q->id;
	out[2] = (uint8_t)((out[2] & ~(SDNS_F_RD >> 8)) | (q->rd ? SDNS_F_RD >> 8 : 0));
	memcpy(out + SDNS_HDR_LEN, q->qname->data, e->name_len);
	for (uint16_t i = 0; i < e->nttl; i++)
		put32(out + e->ttl_off[i], e->ttl[i] > age ? e->ttl[i] - age : 0);
}

/* Popular and within the last 10% of its life: hint once. */
static bool want_prefetch(const sdns_cache *c, sdns_centry *e, uint64_t now_ns)
{
	if (!c->conf.prefetch_hits || e->prefetch_sent ||
	    e->hits < c->conf.prefetch_hits)
		return false;
	uint64_t life = e->expire_ns - e->born_ns;
	if ((e->expire_ns - now_ns) * 10 >= life) return false;
	e->prefetch_sent = true;
	return true;
}

int sdns_cache_lookup(sdns_cache *c, const sdns_cache_q *q, uint64_t now_ns,
                      uint8_t *out, size_t cap, size_t *len, bool *prefetch)
{
	uint8_t lname[SDNS_NAME_MAX];
	if (prefetch) *prefetch = false;
	sdns_cache_lower(q->qname->data, q->qname->len, lname);
	uint64_t h = sdns_cache_key_hash(lname, q->qname->len, q->qtype,
	                                 q->qclass, q->do_bit);
	sdns_cshard *s = shard_of(c, h);
	int rc = SDNS_ENOTFOUND;
	pthread_mutex_lock(&s->mu);
	sdns_centry *e = shard_find(s, h, lname, q->qname->len, q->qtype,
	                            q->qclass, q->do_bit);
	if (e && now_ns >= e->expire_ns) {
		shard_remove(s, e);
		atomic_fetch_add_explicit(&c->expired, 1, memory_order_relaxed);
	} else if (e && e->wire_len > cap) {
		rc = SDNS_ESPACE;
	} else if (e) {
		copy_out(e, q, now_ns, out);
		*len = e->wire_len;
		e->hits++;
		if (prefetch) *prefetch = want_prefetch(c, e, now_ns);
		lru_unlink(s, e);
		lru_front(s, e);
		rc = SDNS_OK;
	}
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add_explicit(rc ? &c->misses : &c->hits, 1,
	                          memory_order_relaxed);
	return rc;
}

static void shard_add(sdns_cache *c, sdns_cshard *s, sdns_centry *e)
{
	sdns_centry *old = shard_find(s, e->hash, e->name, e->name_len, e->qtype,
	                              e->qclass, e->do_bit);
	if (old) shard_remove(s, old);
	while (s->head && (s->entries + 1 > s->max_entries ||
	                   s->bytes + e->size > s->max_bytes)) {
		shard_remove(s, s->tail);
		atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
	}
	sdns_centry **b = &s->buckets[e->hash & (s->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	lru_front(s, e);
	s->entries++;
	s->bytes += e->size;
}

int sdns_cache_insert(sdns_cache *c, bool do_bit, const uint8_t *resp,
                      size_t len, uint64_t now_ns, bool *stored)
{
	sdns_centry *e;
	if (stored) *stored = false;
	int rc = sdns_centry_make(&c->conf, do_bit, resp, len, now_ns, &e);
	if (rc || !e) return rc;
	sdns_cshard *s = shard_of(c, e->hash);
	if (e->size > s->max_bytes) {
		free(e);
		return SDNS_OK;
	}
	pthread_mutex_lock(&s->mu);
	shard_add(c, s, e);
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add_explicit(&c->inserts, 1, memory_order_relaxed);
	if (stored) *stored = true;
	return SDNS_OK;
}

size_t sdns_cache_drop_zone(sdns_cache *c, const sdns_name *apex)
{
	size_t n = 0;
	for (unsigned i = 0; i < c->nshards; i++) {
		sdns_cshard *s = &c->shards[i];
		pthread_mutex_lock(&s->mu);
		for (sdns_centry *e = s->head, *next; e; e = next) {
			next = e->next;
			sdns_name nm;
			nm.len = e->name_len;
			memcpy(nm.data, e->name, e->name_len);
			if (sdns_name_is_sub_ci(&nm, apex)) {
				shard_remove(s, e);
				n++;
			}
		}
		pthread_mutex_unlock(&s->mu);
	}
	atomic_fetch_add_explicit(&c->dropped, n, memory_order_relaxed);
	return n;
}

void sdns_cache_clear(sdns_cache *c)
{
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_lock(&c->shards[i].mu);
		shard_clear(&c->shards[i]);
		pthread_mutex_unlock(&c->shards[i].mu);
	}
}

void sdns_cache_stats_get(sdns_cache *c, sdns_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->hits = atomic_load(&c->hits);
	out->misses = atomic_load(&c->misses);
	out->inserts = atomic_load(&c->inserts);
	out->evictions = atomic_load(&c->evictions);
	out->expired = atomic_load(&c->expired);
	out->dropped = atomic_load(&c->dropped);
	for (unsigned i = 0; i < c->nshards; i++) {
		pthread_mutex_lock(&c->shards[i].mu);
		out->entries += c->shards[i].entries;
		out->bytes += c->shards[i].bytes;
		pthread_mutex_unlock(&c->shards[i].mu);
	}
}
