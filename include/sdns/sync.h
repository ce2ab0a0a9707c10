/* Keeping a serving zone set equal to the store, change by change.
 *
 * An sdns_sync owns the zone versions it built and knows each zone's
 * database id and apex. A full load reads every zone and record from one
 * snapshot (streamed, sdns_store_load_stream) and builds the zones on
 * several threads, signed when a key is given. A step reads the change log
 * after the last sequence number it applied, with the current records of
 * every owner name those rows touch, from one snapshot, and applies them as
 * edits (sdns_zedit): the cost of a step is that of the change, not of the
 * zone. A hole in the log (rows pruned before this reader saw them, a
 * restored database) is found by the sequence numbers and healed by a full
 * load. Background re-signing renews due signatures a slice at a time.
 *
 * Names that break a zone rule lose the offending RRsets (reported through
 * the dropped callback), the same way in full loads and in steps, so both
 * always give the same zone. A zone without its SOA is not served.
 *
 * Thread: one thread calls a given sync (the daemon's sync thread); the
 * sets it publishes are immutable and may be read anywhere. */
#ifndef SDNS_SYNC_H
#define SDNS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/dnssec.h"
#include "sdns/store.h"
#include "sdns/zone.h"

typedef struct sdns_sync sdns_sync;

typedef struct {
	const sdns_dnssec_key *key;  /* sign every zone with it, or NULL */
	uint32_t sig_validity;       /* 0 = SDNS_DNSSEC_DEFAULT_VALIDITY */
	/* Zones at or below mesh_domain (when has_mesh_domain) are signed for
	 * mesh_validity seconds instead (0 = SDNS_DNSSEC_MESH_VALIDITY): a
	 * peer can replay what the owner signed only while it is valid. */
	bool has_mesh_domain;
	sdns_name mesh_domain;
	uint32_t mesh_validity;
	unsigned threads;            /* full loads: 0 or 1 = the caller's */
	size_t max_step;             /* log rows per step; 0 = 10000 */
	uint64_t seed[2];            /* zone hash key; zero = a fixed one */
} sdns_sync_conf;

typedef struct {
	/* A new set to serve; the callee takes the reference. */
	void (*publish)(void *ctx, sdns_zoneset *zs);
	/* After the publish of a step: zone apex changed (its serial), or
	 * went (gone). */
	void (*zone_changed)(void *ctx, const sdns_name *apex, uint32_t serial,
	                     bool gone);
	/* After the publish of a full load. */
	void (*reloaded)(void *ctx, const sdns_zoneset *zs);
	/* A row of nodes or revoked changed (peers, revocation). */
	void (*peers_changed)(void *ctx);
	/* Data a zone rule or a bad record left out; owner may be NULL when
	 * the whole zone was refused. */
	void (*dropped)(void *ctx, const char *zone, const sdns_name *owner,
	                uint16_t type, const char *why);
} sdns_sync_cb;

typedef struct {
	int64_t seq;                 /* last change applied */
	uint64_t full_loads, gaps, steps, rows, names, zone_reloads;
	uint64_t resigned;           /* names re-signed in the background */
	double last_full_ms, last_step_ms;
} sdns_sync_stats;

/* cb and ctx are borrowed for the sync's life; every callback may be NULL. */
int sdns_sync_new(const sdns_sync_conf *c, const sdns_sync_cb *cb, void *ctx,
                  sdns_sync **out);
void sdns_sync_free(sdns_sync *s);
/* Load everything from db and publish it. */
int sdns_sync_full(sdns_sync *s, sdns_store *db, uint32_t now);
/* Apply what was committed after the last change applied, and publish
 * when zones changed. *more (may be NULL) is true when rows are left for
 * another step. A gap means a full load (counted in the stats). Before
 * the first full load, a step is a full load. */
int sdns_sync_step(sdns_sync *s, sdns_store *db, uint32_t now, bool *more);
/* Background re-signing: look at `shards` shards (over the zones, in
 * turn) for signatures due at now and renew at most about budget names
 * (whole shards). Publishes when it renewed any; returns how many. */
size_t sdns_sync_resign(sdns_sync *s, uint32_t now, size_t shards,
                        size_t budget);
/* The RRSIG validity of the zone at apex (mesh zones have their own). */
uint32_t sdns_sync_validity(const sdns_sync *s, const sdns_name *apex);
/* Shards of all zones (to pace re-signing laps). */
size_t sdns_sync_shards(const sdns_sync *s);
/* The last set published (borrowed: valid until the next call). */
const sdns_zoneset *sdns_sync_current(const sdns_sync *s);
bool sdns_sync_loaded(const sdns_sync *s);
void sdns_sync_stats_get(const sdns_sync *s, sdns_sync_stats *st);

#endif
