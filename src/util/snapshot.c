/* Hazard-pointer snapshot holder; see sdns/snapshot.h. */
#include "sdns/snapshot.h"

#include <sched.h>

void sdns_snapshot_init(sdns_snapshot *s, void *initial,
                        void (*release)(void *obj))
{
	atomic_init(&s->current, initial);
	s->release = release;
	atomic_init(&s->nslots, 0);
	for (int i = 0; i < SDNS_SNAPSHOT_SLOTS; i++)
		atomic_init(&s->slots[i].ptr, NULL);
}

void sdns_snapshot_destroy(sdns_snapshot *s)
{
	void *obj = atomic_exchange(&s->current, NULL);
	if (obj && s->release)
		s->release(obj);
}

int sdns_snapshot_slot_new(sdns_snapshot *s)
{
	int slot = atomic_fetch_add(&s->nslots, 1);
	return slot < SDNS_SNAPSHOT_SLOTS ? slot : -1;
}

void *sdns_snapshot_enter(sdns_snapshot *s, int slot)
{
	void *obj;
	/* Announce, then re-check: if the writer swapped in between, it may
	 * already have scanned our slot and missed us, so announce again. */
	do {
		obj = atomic_load(&s->current);
		atomic_store(&s->slots[slot].ptr, obj);
	} while (obj != atomic_load(&s->current));
	return obj;
}

void sdns_snapshot_leave(sdns_snapshot *s, int slot)
{
	atomic_store_explicit(&s->slots[slot].ptr, NULL, memory_order_release);
}

void sdns_snapshot_publish(sdns_snapshot *s, void *obj)
{
	void *old = atomic_exchange(&s->current, obj);
	if (!old)
		return;
	int n = atomic_load(&s->nslots);
	if (n > SDNS_SNAPSHOT_SLOTS)
		n = SDNS_SNAPSHOT_SLOTS;
	for (int i = 0; i < n; i++)
		while (atomic_load(&s->slots[i].ptr) == old)
			sched_yield();
	if (s->release)
		s->release(old);
}
