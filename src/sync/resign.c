/* Background re-signing: a slice of the zones at a time, so that renewals
 * never come as one burst that holds the sync thread. The decisions are
 * src/dnssec's (sdns_dnssec_renew); here they are applied zone by zone and
 * published. */
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sync_int.h"

/* Renew the due names of sz among its next `shards` shards. */
static size_t resign_zone(sdns_sync *s, szone *sz, uint32_t now,
                          size_t shards, size_t budget, bool *changed)
{
	sync_build g;
	sync_build_init(&g, s, sz, sz->z, now);
	sdns_zone *out = NULL;
	size_t n = 0;
	int rc = sdns_dnssec_renew(sz->z, &g.signer, &g.opts, &sz->cursor, shards,
	                           budget, &out, &n);
	if (rc) {
		sdns_log(SDNS_LOG_WARN, "resign_failed", "zone=%s error=\"%s\"",
		         sz->name, sdns_strerror(rc));
		return 0;
	}
	if (!out) return 0;
	sdns_zone_free(sz->z);
	sz->z = out;
	*changed = true;
	return n;
}

size_t sdns_sync_resign(sdns_sync *s, uint32_t now, size_t shards,
                        size_t budget)
{
	if (!s->conf.key || !s->n) return 0;
	size_t done = 0;
	bool changed = false;
	/* Over the zones in turn, until the slice or the budget is used. */
	for (size_t k = 0; k < s->n && shards && done < budget; k++) {
		szone *sz = &s->zones[s->resign_zone % s->n];
		if (sz->z) {
			size_t have = sdns_zone_shard_count(sz->z);
			size_t take = shards < have ? shards : have;
			done += resign_zone(s, sz, now, take, budget - done, &changed);
			shards -= take;
			/* Move on once this zone's lap is complete. */
			if (sz->cursor == 0) s->resign_zone++;
		} else {
			s->resign_zone++;
		}
	}
	if (changed && sync_publish(s, false) == SDNS_OK) s->st.resigned += done;
	return done;
}
