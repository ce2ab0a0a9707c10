/* Inside of src/sync: shared by sync.c (the object, publishing), load.c
 * (full loads), step.c (the change log) and resign.c. */
#ifndef SDNS_SYNC_INT_H
#define SDNS_SYNC_INT_H

#include "sdns/sync.h"

/* A zone this big is built on every thread by itself; smaller ones are
 * built side by side. */
#define ZONE_BIG_RECORDS 1024

/* One zone of the store as served. */
typedef struct {
	int64_t id;
	char name[256];              /* as stored: lowercase, no final dot */
	sdns_name apex;
	uint32_t serial;             /* zones.serial */
	sdns_zone *z;                /* our reference; NULL when refused */
	size_t cursor;               /* background re-signing position */
} szone;

struct sdns_sync {
	sdns_sync_conf conf;
	const sdns_sync_cb *cb;
	void *ctx;
	szone *zones;                /* by id */
	size_t n, cap;
	sdns_zoneset *cur;           /* the last set published (our ref) */
	bool loaded;
	size_t resign_zone;          /* the zone re-signing looks at next */
	sdns_sync_stats st;
};

/* The zone of id, or NULL. */
szone *sync_zone(sdns_sync *s, int64_t id);
/* Store text name ("www.a.mesh") to wire form. */
int sync_name(const char *text, size_t len, sdns_name *out);
/* Publish a set of every served zone (full: after a full load). */
int sync_publish(sdns_sync *s, bool full);
/* Options for building or editing zone sz at now; g is filled and must
 * outlive the build. */
typedef struct {
	sdns_dnssec_signer signer;
	sdns_zone_signer hook;
	sdns_zone_opts opts;
	sdns_sync *s;
	const szone *zone;
} sync_build;
void sync_build_init(sync_build *g, sdns_sync *s, const szone *sz,
                     const sdns_zone *base, uint32_t now);
/* A record from the store for zone sz as an sdns_rr, the SOA serial set to
 * zones.serial (in buf); false (reported) when it is unusable. */
bool sync_record(sdns_sync *s, const szone *sz, const char *name,
                 size_t name_len, uint16_t type, uint32_t ttl,
                 const uint8_t *rd, size_t rdlen, uint8_t *buf, sdns_rr *rr);
/* The DNSKEY to add at the apex of a signed zone. */
void sync_dnskey(const sdns_sync *s, const szone *sz, uint32_t soa_ttl,
                 uint8_t *rd, sdns_rr *rr);
double sync_ms(const struct timespec *t0);

/* load.c: read zone_id's row and records (zone_id < 0: every zone) inside
 * the caller's snapshot and build them: *out gets n_out new zones by id
 * (free with sync_zones_free). A zone that cannot be served has z NULL. */
int sync_load_zones(sdns_sync *s, sdns_store *db, int64_t zone_id,
                    uint32_t now, szone **out, size_t *n_out,
                    sdns_store_err *err);
void sync_zones_free(szone *v, size_t n);

#endif
