/* Internals of src/mesh: the mesh object, peers with their threads (each
 * peer also holds the freshness state of its zone), pending resolutions and
 * the jobs that carry one message to one peer.
 *
 * Locks, in this order: m->set_mu (one peer set change at a time),
 * m->fill_mu (orders cache fills against
 * invalidations), m->mu (peers, zone state, pending, stats), p->mu (one
 * peer's queue). */
#ifndef SDNS_MESH_INT_H
#define SDNS_MESH_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include "sdns/cache.h"
#include "sdns/dnssec.h"
#include "sdns/mesh.h"
#include "sdns/msg.h"

/* The question of one waiting caller, enough to shape its answer. */
typedef struct {
	uint16_t id;
	bool rd, do_bit, edns;
	bool padded;            /* RFC 8467: pad the answer only then */
	sdns_name qname;        /* case as received */
	uint16_t qtype, qclass;
} mesh_q;

typedef struct {
	mesh_q q;
	sdns_mesh_cb cb;
	void *ctx;
} mesh_waiter;

/* One resolution in flight; shared by the callers it coalesces. Guarded by
 * the mesh lock; freed when refs drops to 0 (the table's and each job's). */
typedef struct mesh_pending {
	struct mesh_pending *prev, *next;
	unsigned refs;
	bool done;
	sdns_name key;          /* lowercase qname */
	uint16_t qtype, qclass;
	sdns_name apex;         /* the owner's zone */
	sdns_dnssec_key owner_key;
	uint64_t epoch;         /* the zone's epoch when asked */
	uint64_t deadline_ns;   /* CLOCK_MONOTONIC */
	int outstanding;        /* jobs not yet answered */
	bool bogus_seen;
	char why[96];
	mesh_waiter *w;
	size_t nw, capw;
} mesh_pending;

enum { MESH_JOB_QUERY = 0, MESH_JOB_NOTIFY = 1 };

typedef struct mesh_job {
	struct mesh_job *next;
	int kind;
	int tries;              /* NOTIFY: attempts sent without an answer */
	uint8_t *wire;
	size_t len;
	int64_t stream;
	uint64_t sent_ns;       /* when it left (stall detection) */
	mesh_pending *p;        /* QUERY: one ref held */
	/* NOTIFY: the zone, the serial it announces, and its order among the
	 * NOTIFYs made (the newer of two for one zone replaces the older). */
	sdns_name apex;
	uint32_t serial;
	bool has_serial;
	uint64_t seq;
} mesh_job;

typedef struct mesh_peer {
	sdns_mesh_peer info;
	sdns_name apex;         /* info.name + "." + mesh */
	sdns_dnssec_key key;
	struct sdns_mesh *m;
	pthread_t thr;
	int efd;                /* eventfd: jobs queued or stop */
	pthread_mutex_t mu;     /* guards the queue and refs */
	mesh_job *q_head, *q_tail;
	size_t q_len;           /* jobs queued, at most conf.peer_queue */
	bool q_full;            /* refusing since; logged once per episode */
	bool stop;
	unsigned refs;          /* the set's and the thread's */
	atomic_ullong down_until_ns; /* in backoff until then (0 = not) */
	atomic_bool up;
	/* The zone's freshness, under m->mu. epoch comes from m->gen, so a
	 * replaced peer (new key or endpoint) never reuses an old one. */
	uint64_t epoch;
	uint32_t serial;        /* newest SOA serial signed by the owner */
	bool has_serial;
} mesh_peer;

struct sdns_mesh {
	char mesh[64], self[64];
	char *ca, *cert, *key;
	char self_uri[160];
	sdns_name mesh_name, self_apex;
	sdns_mesh_conf conf;
	sdns_cache *cache;

	pthread_mutex_t set_mu; /* sdns_mesh_set_peers, one at a time */
	pthread_mutex_t fill_mu; /* a cache fill's check and insert, and an
	                            invalidation's epoch move and drop, are
	                            each one step under it */
	pthread_mutex_t mu;     /* peers (and their zone state), pending,
	                           stats, gen */
	pthread_cond_t cv;      /* timer wake-up; thread exits */
	mesh_peer **peers;
	size_t npeers;
	mesh_pending *pend;     /* list of live resolutions */
	unsigned threads;       /* peer threads still running */
	bool stopping;
	pthread_t timer;
	uint64_t gen;           /* source of zone epochs */
	uint64_t notify_seq;    /* source of mesh_job.seq */
	/* High-water marks (state.c), under mu; saved by the timer thread
	 * once save_due_ns (CLOCK_MONOTONIC, 0 = nothing to save) passes. */
	char *state_path;
	struct mesh_mark *marks;
	size_t nmarks, capmarks;
	uint64_t save_due_ns;
	bool state_failing;     /* the last save failed (logged once) */
	sdns_mesh_stats st;
	/* the hot path's counters, without the lock */
	atomic_ullong resolves, cache_hits;
};

/* Clocks. */
uint64_t mesh_mono_ns(void);
uint64_t mesh_cache_ns(const struct sdns_mesh *m);

/* peer.c */
mesh_peer *mesh_peer_start(struct sdns_mesh *m, const sdns_mesh_peer *info,
                           const sdns_name *apex, const sdns_dnssec_key *k);
/* Ask the thread to finish; it fails its jobs and drops its ref. */
void mesh_peer_stop(mesh_peer *p);
/* Queue a job (ownership passes). A NOTIFY for a zone that already has one
 * queued keeps only the newer (by seq) of the two. SDNS_ELIMIT when the
 * queue is full, SDNS_ECLOSED when the peer is stopping: the job is then
 * the caller's. Takes only p->mu. */
int mesh_peer_push(mesh_peer *p, mesh_job *j);
void mesh_peer_unref(mesh_peer *p);
bool mesh_peer_in_backoff(const mesh_peer *p);
/* A connect failed or a query stalled, and no connection came up since
 * (the backoff may be over and a new connect under way). */
bool mesh_peer_known_down(const mesh_peer *p);
void mesh_job_free(mesh_job *j);

/* resolve.c: a peer thread's outcome for a job (resp NULL on failure). */
void mesh_job_done(struct sdns_mesh *m, mesh_peer *peer, mesh_job *j,
                   int status, const uint8_t *resp, size_t len);

/* zone.c: freshness. */
/* serial becomes z's newest known (and its high-water mark, state.c).
 * Under m->mu. */
void mesh_zone_set_serial(struct sdns_mesh *m, mesh_peer *z, uint32_t serial);
/* The newest known serial of apex's zone (0 when none). Under m->mu. */
uint32_t mesh_zone_serial(const struct sdns_mesh *m, const sdns_name *apex);
/* The current peer whose zone is exactly apex, or NULL. Under m->mu. */
mesh_peer *mesh_zone_peer(const struct sdns_mesh *m, const sdns_name *apex);
/* Move z's epoch on; with has_serial, serial becomes the newest known
 * unless that is newer still (then true: serial came late). Under fill_mu
 * and m->mu; the caller drops the zone's cached copies before letting go
 * of fill_mu. */
bool mesh_zone_bump(struct sdns_mesh *m, mesh_peer *z, bool has_serial,
                    uint32_t serial);
/* mesh_zone_bump for apex's peer (if any) and the drop of apex's cached
 * copies, as one step against fills (takes fill_mu then mu). *older (may
 * be NULL): serial was older than the newest known. Returns how many cache
 * entries went. */
size_t mesh_zone_invalidate(struct sdns_mesh *m, const sdns_name *apex,
                            bool has_serial, uint32_t serial, bool *older);

/* state.c: the high-water marks, kept in conf.state_path across restarts.
 * Loaded by sdns_mesh_new (a missing file is an empty table; a broken one
 * is logged and ignored, never half read). */
int mesh_state_load(struct sdns_mesh *m);
/* apex's owner (key) has signed serial: remember it, and save soon (the
 * timer thread writes within MESH_STATE_DELAY_MS). Under m->mu. */
void mesh_state_note(struct sdns_mesh *m, const sdns_name *apex,
                     const uint8_t key[32], uint32_t serial);
/* The mark of apex under this key, if any. Under m->mu. */
bool mesh_state_seed(const struct sdns_mesh *m, const sdns_name *apex,
                     const uint8_t key[32], uint32_t *serial);
/* Write the table when it changed (atomically: a new file renamed over
 * the old). Takes m->mu only to copy it. */
void mesh_state_flush(struct sdns_mesh *m);
#define MESH_STATE_DELAY_MS 1000

/* notify.c: a NOTIFY job's outcome (peer thread). */
void mesh_notify_done(struct sdns_mesh *m, mesh_peer *peer, mesh_job *j,
                      int status, const uint8_t *resp, size_t len);
/* The peer could not be reached: n NOTIFYs wait for it (counted, logged;
 * they stay queued). */
void mesh_notify_unsent(struct sdns_mesh *m, mesh_peer *peer, size_t n);
/* Finish p (already unlinked and marked done) with SERVFAIL. */
void mesh_pending_fail(struct sdns_mesh *m, mesh_pending *p);
void mesh_pending_unref(struct sdns_mesh *m, mesh_pending *p);
void *mesh_timer_main(void *arg);

/* reply.c */
int mesh_q_from_query(const uint8_t *wire, size_t len, mesh_q *q);
/* The upstream answer up reshaped for q (ID, RD, question case, DNSSEC
 * records only with DO, AD with DO, OPT when q had EDNS). */
int mesh_reply_adapt(const mesh_q *q, const uint8_t *up, size_t len,
                     size_t pad, uint8_t *out, size_t cap, size_t *olen);
int mesh_reply_fail(const mesh_q *q, uint16_t ede, const char *why,
                    size_t pad, uint8_t *out, size_t cap, size_t *olen);
/* RFC 1982: a is newer than b. */
bool mesh_serial_newer(uint32_t a, uint32_t b);
/* The serial of the SOA at apex in the answer or authority section of msg
 * (already verified by the caller). SDNS_ENOTFOUND when there is none, the
 * codec's error when its RDATA is short. */
int mesh_soa_serial(const sdns_msg *msg, const sdns_name *apex,
                    uint32_t *serial);

#endif
