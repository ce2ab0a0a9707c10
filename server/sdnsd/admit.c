/* Revocation on the serving paths: DoQ handshakes (admit), API requests
 * (is_revoked) and open DoQ connections (close_revoked). All read the
 * current revoked set through the snapshot holder, without locks. */
#include <pthread.h>

#include "sdns/error.h"
#include "sdns/revoked.h"
#include "sdnsd.h"

/* One hazard slot of the revoked snapshot per thread that checks it
 * (DoQ workers, API threads, the sync thread). */
static _Thread_local int revoked_slot = -1;

static bool check(sdnsd_state *st, const uint8_t *spki, const char *serial)
{
	if (revoked_slot < 0 &&
	    (revoked_slot = sdns_snapshot_slot_new(&st->revoked)) < 0)
		return true; /* no slot left: fail closed */
	const sdns_revoked *r = sdns_snapshot_enter(&st->revoked, revoked_slot);
	bool hit = sdns_revoked_has(r, spki, serial);
	sdns_snapshot_leave(&st->revoked, revoked_slot);
	return hit;
}

int sdnsd_admit(void *ctx, const sdns_identity *peer)
{
	return check(ctx, peer->spki_sha256, peer->serial_hex) ? SDNS_EDENIED
	                                                        : SDNS_OK;
}

bool sdnsd_is_revoked(void *ctx, const uint8_t spki_sha256[32],
                      const char *serial_hex)
{
	return check(ctx, spki_sha256, serial_hex);
}

/* Runs on the DoQ workers concurrently: reads only. The set is borrowed
 * from the caller, which holds it for the whole close call. */
static bool match_revoked(void *ctx, const sdns_identity *id)
{
	return sdns_revoked_has(ctx, id->spki_sha256, id->serial_hex);
}

void sdnsd_close_revoked(sdnsd_state *st)
{
	if (!st->doq && !st->dot)
		return;
	if (revoked_slot < 0 &&
	    (revoked_slot = sdns_snapshot_slot_new(&st->revoked)) < 0)
		return;
	sdns_revoked *r = sdns_snapshot_enter(&st->revoked, revoked_slot);
	if (r && sdns_revoked_count(r) > 0)
		/* A worker that missed the 1 s hand-over keeps its connections:
		 * try once more before giving up until the next change. */
		for (int i = 0; i < 2; i++)
			if (!st->doq || sdns_doq_server_close_matching(
			                    st->doq, match_revoked, r) != SDNS_ETIMEOUT)
				break;
	if (r && sdns_revoked_count(r) > 0 && st->dot)
		sdns_dot_server_close_matching(st->dot, match_revoked, r);
	sdns_snapshot_leave(&st->revoked, revoked_slot);
}
