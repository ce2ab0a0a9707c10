/* Background re-signing: a slice of the zones at a time, so that renewals
 * never come as one burst that holds the sync thread. The decisions are
 * src/dnssec's (sdns_dnssec_due_names); here the due names are touched in
 * an edit whose signer renews what is due and keeps what is not. */
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sync_int.h"

typedef struct {
	sdns_zedit *e;
	int rc;
} touch_ctx;

static void touch(void *ctx, const sdns_name *owner)
{
	touch_ctx *t = ctx;
	if (t->rc == SDNS_OK) t->rc = sdns_zedit_touch(t->e, owner);
}

/* Renew the due names of sz among its next `shards` shards. */
static size_t resign_zone(sdns_sync *s, szone *sz, uint32_t now,
                          size_t shards, size_t budget, bool *changed)
{
	sync_build g;
	sync_build_init(&g, s, sz, sz->z, now);
	uint32_t refresh = sdns_dnssec_signer_refresh(&g.signer);
	touch_ctx t = { sdns_zedit_new(sz->z, &g.opts), SDNS_OK };
	if (!t.e) return 0;
	size_t n = sdns_dnssec_due_names(sz->z, &sz->cursor, shards, budget, now,
	                                 refresh, touch, &t);
	if (!n || t.rc) {
		sdns_zedit_free(t.e);
		return 0;
	}
	sdns_zone *out = NULL;
	char why[200] = "";
	if (sdns_zedit_finish(t.e, &out, why, sizeof(why)) != SDNS_OK) {
		sdns_log(SDNS_LOG_WARN, "resign_failed", "zone=%s error=\"%s\"",
		         sz->name, why);
		return 0;
	}
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
