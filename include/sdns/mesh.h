/* Swarm resolution: names under another node's zone (<peer>.<mesh>) are
 * resolved over DoQ from the mesh peers, and only answers whose DNSSEC
 * signatures verify against the OWNER's zone key (bound at enrollment) are
 * accepted, cached (RFC 2308 for negative answers) and returned.
 *
 * Threads: one per peer owning a persistent DoQ client (reconnect with
 * backoff and jitter, a mailbox + eventfd wakes it), one timer thread that
 * fails resolutions past their deadline. Callbacks run on those threads,
 * never with a mesh lock held. Every function is callable from any thread;
 * sdns_mesh_free must not be called from a callback.
 *
 * Loop safety: peers are asked with this node's own node certificate, and a
 * node answers node callers from local data and this verified cache only
 * (sdns_mesh_answer_cached), never by asking further.
 *
 * What is passed on: only the RRsets that verified, TTLs clamped to their
 * RRSIGs (sdns_dnssec_verified_copy).
 *
 * Freshness: each peer zone has an epoch (changed by every NOTIFY for it,
 * by a newer owner-signed SOA serial, by a new peer key) and the newest SOA
 * serial seen signed by its owner (NOTIFYs carry the signed SOA; answers
 * carry it in authority), kept across restarts in conf.state_path. An
 * answer is cached only when its zone's
 * epoch did not change while it was fetched, and its serial (if it has one)
 * is not older than the newest known. Another peer's copy is returned but
 * cached only while the owner is known to be down (a connect failed or a
 * query stalled, and no connection came up since): it may be the data a
 * NOTIFY has just replaced. A copy whose signed serial is older
 * than the newest known, or that has no signed SOA, is neither returned
 * nor cached. */
#ifndef SDNS_MESH_H
#define SDNS_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/name.h"

typedef struct sdns_mesh sdns_mesh;

typedef struct {
	char name[64];        /* node name, last segment of its SPIFFE id */
	char endpoint[300];   /* DoQ "host:port" / "[v6]:port" */
	uint8_t zone_key[32]; /* Ed25519 public key bound at enrollment */
} sdns_mesh_peer;

typedef struct {
	const char *mesh;     /* trust domain = DNS suffix of mesh zones */
	const char *self;     /* this node's name (never asked) */
	const char *ca_path, *cert_path, *key_path; /* our node identity */
	uint32_t timeout_ms;  /* whole resolution, default 1500 */
	uint32_t backoff_min_ms, backoff_max_ms; /* reconnect, with jitter
	                         (defaults 100, 5000) */
	size_t cache_entries; /* verified cache (sdns_cache inside), 10000 */
	size_t pad_block;     /* responses padded to this (0 = none; DoQ:
	                         SDNS_DOQ_PAD_BLOCK) */
	size_t peer_queue;    /* jobs waiting for one peer, at most (1024):
	                         a stuck peer must not grow memory */
	/* File of the high-water marks (per peer zone, the newest serial its
	 * owner signed that this node has seen), read at start and kept
	 * current, so a restart does not forget them; NULL = not kept. */
	const char *state_path;
	/* Clock of the cache (TTLs); NULL = CLOCK_MONOTONIC. For tests. */
	uint64_t (*clock_ns)(void);
} sdns_mesh_conf;

typedef struct {
	uint64_t resolves;     /* sdns_mesh_resolve calls for mesh names */
	uint64_t cache_hits;
	uint64_t coalesced;    /* misses that joined one already in flight */
	uint64_t upstream;     /* queries sent to peers */
	uint64_t verified;     /* answers that validated */
	uint64_t bogus;        /* answers that did not */
	uint64_t servfail;     /* resolutions answered SERVFAIL */
	uint64_t late;         /* verified answers not cached: their zone was
	                          invalidated while they were in flight */
	uint64_t stale;        /* another peer's copy with a signed serial older
	                          than the newest known: not used */
	uint64_t copies_uncached; /* another peer's copy returned, not cached
	                          (the owner is up) */
	uint64_t serial_drops; /* zone copies dropped on a newer signed serial
	                          seen in an answer (a NOTIFY missed or late) */
	uint64_t queue_drops;  /* jobs refused by a full peer queue */
	/* NOTIFY out: queued for a peer, answered NOERROR, answered otherwise
	 * (REFUSED), attempts that could not be sent (peer unreachable; kept
	 * and sent on reconnect), attempts sent without an answer (retried),
	 * given up (queue full, peer removed, too many attempts). */
	uint64_t notify_sent, notify_acked, notify_rejected;
	uint64_t notify_unsent, notify_unanswered, notify_dropped;
	/* NOTIFY in: accepted, refused (not the owner), accepted but with a
	 * signed serial older than the newest known (reordered, late). */
	uint64_t notify_in, notify_refused, notify_late;
	uint64_t peers, peers_up; /* current peer set, connected now */
	uint64_t state_saves, state_errors; /* writes of the marks' file */
} sdns_mesh_stats;

/* Copies what c points to. SDNS_EINVAL (with words in err) for a missing
 * mesh/self/identity path. The peer set starts empty. */
int sdns_mesh_new(const sdns_mesh_conf *c, sdns_mesh **out, char *err,
                  size_t err_cap);
/* Stops every thread (pending resolutions get SERVFAIL first). NULL ok. */
void sdns_mesh_free(sdns_mesh *m);
/* Replace the peer set; connections to peers that stay (same name,
 * endpoint and key) are kept. Entries named self, or with a bad name or an
 * empty endpoint, are skipped. */
int sdns_mesh_set_peers(sdns_mesh *m, const sdns_mesh_peer *p, size_t n);

/* True when qname lies under the zone of a peer of the current set (not
 * under self.<mesh>): the name is resolved over the mesh. */
bool sdns_mesh_is_mesh_name(sdns_mesh *m, const sdns_name *qname);

/* cb exactly once: the response (query's ID, RD; DNSSEC records only when
 * the query had DO; SERVFAIL + EDE 6 DNSSEC Bogus or EDE 22 No Reachable
 * Authority when nothing verifiable came in time). A cache hit calls cb
 * before this returns (on the caller's thread); otherwise on a mesh thread.
 * Returns SDNS_ENOTFOUND at once (cb not called) when the qname is not under
 * a peer's zone: the caller answers as before; SDNS_EMALF for a query that
 * does not parse or is not a single-question QUERY (cb not called). */
typedef void (*sdns_mesh_cb)(void *ctx, const uint8_t *resp, size_t len);
int sdns_mesh_resolve(sdns_mesh *m, const uint8_t *query, size_t len,
                      sdns_mesh_cb cb, void *ctx);
/* Synchronous cache-only answer for a mesh name (the fast path, and what a
 * node caller gets: never asks further). SDNS_ENOTFOUND on a miss or for a
 * name that is not a mesh name; SDNS_ESPACE when cap is too small. */
int sdns_mesh_answer_cached(sdns_mesh *m, const uint8_t *query, size_t len,
                            uint8_t *resp, size_t cap, size_t *resp_len);

/* The mesh's domain ("<mesh>."): every mesh zone lies below it. */
const sdns_name *sdns_mesh_domain(const sdns_mesh *m);
/* True when apex is this node's own mesh zone (self.<mesh>), the one zone
 * it sends NOTIFYs for. */
bool sdns_mesh_is_own_zone(const sdns_mesh *m, const sdns_name *apex);
/* Push: NOTIFY (RFC 1996, opcode 4, SOA question, AA) over DoQ to every
 * peer, for our own zone (self.<mesh>) only: SDNS_ENOTFOUND for any other
 * apex (peers would refuse it). soa (may be NULL): our answer to "apex SOA"
 * with DO; its SOA and RRSIG go into the NOTIFY's answer section (RFC 1996
 * §3.7), so peers learn the new serial signed by the zone key. Per peer,
 * one NOTIFY per zone waits at most (a newer one replaces it); it is kept
 * while the peer is unreachable and sent on reconnect, retried when it gets
 * no answer, and given up (logged, counted) only after several attempts. */
int sdns_mesh_notify(sdns_mesh *m, const sdns_name *apex, const uint8_t *soa,
                     size_t soa_len);
/* Pull side: a NOTIFY for apex from node `from`: SDNS_OK (cache entries of
 * apex dropped, the zone's epoch moved on) only when from owns apex
 * (apex == from.<mesh>), else SDNS_EDENIED (answer REFUSED). msg (may be
 * NULL): the NOTIFY as received; an SOA in its answer section that verifies
 * against the owner's zone key updates the newest known serial, anything
 * else in it is ignored. */
int sdns_mesh_notify_in(sdns_mesh *m, const char *from, const sdns_name *apex,
                        const uint8_t *msg, size_t len);
/* Build the answer to a NOTIFY query: NOERROR (rc SDNS_OK) or REFUSED,
 * opcode NOTIFY, QR, AA, the question echoed. */
int sdns_mesh_notify_reply(const uint8_t *query, size_t len, int rc,
                           uint8_t *resp, size_t cap, size_t *resp_len);

void sdns_mesh_stats_get(sdns_mesh *m, sdns_mesh_stats *out);

#endif
