/* A published pointer that many reader threads use without locks while one
 * writer replaces it (the zone set the DoQ workers answer from).
 *
 * Readers announce the pointer they use in a per-thread hazard slot; the
 * writer swaps the pointer, then waits until no slot still shows the old one
 * before releasing it. Readers never wait and never write shared counters;
 * the writer's wait is bounded by the longest single query. */
#ifndef SDNS_SNAPSHOT_H
#define SDNS_SNAPSHOT_H

#include <stdatomic.h>
#include <stddef.h>

#define SDNS_SNAPSHOT_SLOTS 128 /* reader threads per holder */

typedef struct {
	_Alignas(64) _Atomic(void *) ptr;
} sdns_snapshot_slot;

typedef struct {
	_Atomic(void *) current;
	void (*release)(void *obj);       /* called once no reader holds obj */
	atomic_int nslots;                /* slots handed out so far */
	sdns_snapshot_slot slots[SDNS_SNAPSHOT_SLOTS];
} sdns_snapshot;

void sdns_snapshot_init(sdns_snapshot *s, void *initial,
                        void (*release)(void *obj));
/* Release the current object; no reader may be active. */
void sdns_snapshot_destroy(sdns_snapshot *s);

/* Reader side. slot: a per-thread index from sdns_snapshot_slot_new() (keep
 * it in the thread's own state). Returns the current object (may be NULL),
 * valid until sdns_snapshot_leave. Do not nest. */
int sdns_snapshot_slot_new(sdns_snapshot *s); /* -1 when all are taken */
void *sdns_snapshot_enter(sdns_snapshot *s, int slot);
void sdns_snapshot_leave(sdns_snapshot *s, int slot);

/* Writer side (one writer at a time): publish obj, wait for readers of the
 * previous object to leave, release it. */
void sdns_snapshot_publish(sdns_snapshot *s, void *obj);

#endif
