/* Shared answer cache: whole response messages keyed by (lowercased qname,
 * qtype, qclass, DO bit). Pure: time comes in as now_ns (any monotonic clock,
 * nanoseconds). Thread-safe: the table is split into shards by key hash, one
 * mutex per shard, so many worker threads can look up at once.
 *
 * What is cached (RFC 2308, RFC 1035 §7.3):
 * - NOERROR with answers: lifetime = the smallest record TTL (OPT excluded),
 *   every TTL clamped to [min_ttl, max_ttl] first.
 * - NXDOMAIN, or NOERROR without answers (NODATA): only with an SOA in the
 *   authority section; lifetime = min(SOA TTL, SOA MINIMUM) clamped to
 *   [min_ttl, neg_max_ttl]; no TTL in the stored copy exceeds it.
 * - SERVFAIL: for servfail_ttl seconds (default 0 = never cached).
 * - Nothing else: TC set, other rcodes, opcode != QUERY, QR clear, a lifetime
 *   of 0, a question not uncompressed at offset 12.
 * On a hit the copy handed out has every TTL decreased by the entry's age in
 * whole seconds, the query's ID, the query's RD bit, and the query's qname
 * bytes (so the answer's question has the query's case).
 * Bounds: max_entries and max_bytes are split evenly over the shards; each
 * shard evicts its least recently used entries. */
#ifndef SDNS_CACHE_H
#define SDNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/name.h"

typedef struct sdns_cache sdns_cache;

typedef struct {
	size_t max_entries;     /* default 100000 */
	size_t max_bytes;       /* default 64 MiB (message + key + overhead) */
	uint32_t min_ttl;       /* default 0 */
	uint32_t max_ttl;       /* default 86400 */
	uint32_t neg_max_ttl;   /* default 3600 */
	uint32_t servfail_ttl;  /* default 0: SERVFAIL is not cached */
	unsigned shards;        /* rounded up to a power of two; default 16 */
	uint32_t prefetch_hits; /* hits that make an entry popular; 0 = no hint */
} sdns_cache_conf;

/* The question of a query, as the front door parsed it. */
typedef struct {
	const sdns_name *qname; /* borrowed; case as received */
	uint16_t qtype, qclass;
	bool do_bit;            /* DNSSEC OK in the query's OPT */
	uint16_t id;            /* written into the answer */
	bool rd;                /* copied into the answer */
} sdns_cache_q;

typedef struct {
	uint64_t hits, misses, inserts, evictions, expired, dropped;
	uint64_t entries, bytes; /* current */
} sdns_cache_stats;

void sdns_cache_conf_default(sdns_cache_conf *conf);
/* SDNS_EINVAL for max_ttl < min_ttl or a zero bound. */
int sdns_cache_new(const sdns_cache_conf *conf, sdns_cache **out);
void sdns_cache_free(sdns_cache *c);

/* Copy a fresh answer for q into out. SDNS_ENOTFOUND on a miss (or an expired
 * entry, which is removed), SDNS_ESPACE when cap is too small (out untouched;
 * counted as a miss). *prefetch (may be NULL) is set true at most once per
 * entry when it has had prefetch_hits hits and less than 10% of its lifetime
 * left: the caller may refresh it from upstream in the background. */
int sdns_cache_lookup(sdns_cache *c, const sdns_cache_q *q, uint64_t now_ns,
                      uint8_t *out, size_t cap, size_t *len, bool *prefetch);

/* Store a response to a query that had DO = do_bit (the key comes from the
 * response's question). Replaces an entry with the same key. *stored (may be
 * NULL) says whether the policy above let it in. Malformed responses return
 * the codec's error and store nothing. */
int sdns_cache_insert(sdns_cache *c, bool do_bit, const uint8_t *resp,
                      size_t len, uint64_t now_ns, bool *stored);

/* Remove every entry whose qname is apex or below it (NOTIFY, zone reload).
 * Returns how many were removed. */
size_t sdns_cache_drop_zone(sdns_cache *c, const sdns_name *apex);
/* Remove everything. */
void sdns_cache_clear(sdns_cache *c);

void sdns_cache_stats_get(sdns_cache *c, sdns_cache_stats *out);

#endif
