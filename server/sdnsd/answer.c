/* The DoQ query handler: answer from the zone set current at the time. */
#include <time.h>

#include "sdns/answer.h"
#include "sdns/error.h"
#include "sdnsd.h"

/* Each worker thread takes one hazard slot of the (single) zone snapshot on
 * its first query and keeps it for its life. */
static _Thread_local int worker_slot = -1;

int sdnsd_answer(void *ctx, const sdns_identity *peer, const sdns_msg *query,
                 const uint8_t *wire, size_t len, uint8_t *resp, size_t cap,
                 size_t *resp_len)
{
	(void)peer, (void)wire, (void)len;
	sdnsd_state *st = ctx;
	if (sdnsd_audit_answer(st, query, resp, cap, resp_len) == SDNS_OK)
		return SDNS_OK;
	if (worker_slot < 0 &&
	    (worker_slot = sdns_snapshot_slot_new(&st->zones)) < 0)
		return SDNS_ELIMIT;
	const sdns_dnssec_key *key = sdnsd_sign_key(st);
	const sdns_answer_opts opts = {
		.max_size = SDNS_MSG_MAX,
		.pad_block = SDNS_DOQ_PAD_BLOCK,
		.our_udp_size = 1232,
		.key = key,
		.now = key ? (uint32_t)time(NULL) : 0,
		/* Peers refuse copies of mesh answers older than the newest
		 * serial they saw: every answer says its serial. */
		.soa_with_answers = st->mesh != NULL,
	};
	const sdns_zoneset *zs = sdns_snapshot_enter(&st->zones, worker_slot);
	int rc = zs ? sdns_answer_msg(zs, query, &opts, resp, cap, resp_len)
	            : SDNS_ENOTFOUND;
	sdns_snapshot_leave(&st->zones, worker_slot);
	return rc;
}
