/* Internals of the answer cache shared by its source files. */
#ifndef SDNS_CACHE_INT_H
#define SDNS_CACHE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "sdns/cache.h"

/* One cached message. Allocated in one block: the struct, then the TTL
 * offsets, then the lowercased key name, then the wire. */
typedef struct sdns_centry {
	struct sdns_centry *hnext;          /* hash chain */
	struct sdns_centry *prev, *next;    /* LRU list, most recent first */
	uint64_t hash;
	uint64_t born_ns, expire_ns;
	uint32_t hits;
	bool prefetch_sent;
	uint16_t qtype, qclass;
	bool do_bit;
	uint8_t name_len;
	uint16_t nttl;                      /* TTL fields in the wire */
	uint16_t wire_len;
	size_t size;                        /* bytes charged to the shard */
	uint16_t *ttl_off;                  /* offsets of TTL fields */
	uint32_t *ttl;                      /* their stored values */
	uint8_t *name;                      /* lowercased wire name */
	uint8_t *wire;
} sdns_centry;

typedef struct {
	pthread_mutex_t mu;
	sdns_centry **buckets;
	size_t nbuckets;                    /* power of two */
	sdns_centry *head, *tail;           /* LRU */
	size_t entries, bytes;
	size_t max_entries, max_bytes;
} sdns_cshard;

struct sdns_cache {
	sdns_cache_conf conf;
	sdns_cshard *shards;
	unsigned nshards;                   /* power of two */
	atomic_uint_fast64_t hits, misses, inserts, evictions, expired, dropped;
};

/* Lowercase name bytes into out and hash them with the rest of the key. */
uint64_t sdns_cache_key_hash(const uint8_t *lname, size_t len, uint16_t qtype,
                             uint16_t qclass, bool do_bit);
void sdns_cache_lower(const uint8_t *in, size_t len, uint8_t *out);

/* Build an entry from a response (cache_entry.c). *out NULL with SDNS_OK
 * means the policy says not to cache. */
int sdns_centry_make(const sdns_cache_conf *conf, bool do_bit,
                     const uint8_t *resp, size_t len, uint64_t now_ns,
                     sdns_centry **out);

#endif
