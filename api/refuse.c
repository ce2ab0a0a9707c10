/* Refused authentications: every one is logged and counted; at most
 * per_addr a minute per address, and at most total_max a minute overall,
 * are written to the audit log. Beyond either limit the refusal is only
 * counted (sdns_api_auth_refused_unaudited_total), so a flood of bad
 * handshakes cannot grow the audit table or take its write capacity.
 *
 * The table is keyed by the whole address (open addressing, linear
 * probing), so two addresses never share a counter and one cannot reset
 * the other's: an earlier table of 256 hashed slots reset a slot's count
 * whenever another address landed in it, and two colliding addresses
 * taking turns were audited every time. Only addresses that were audited
 * in this minute take an entry, and no more than total_max of those
 * exist, so a table of twice that size never fills. Everything is reset
 * when the minute changes. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define API_REFUSE_PER_ADDR 10
#define API_REFUSE_TOTAL 100

struct api_refuse_slot {
	char addr[64];       /* "" = empty */
	unsigned count;
};

struct api_refuse {
	pthread_mutex_t lock;
	unsigned per_addr, total_max;
	time_t minute;
	unsigned total;      /* audited this minute */
	size_t mask;         /* slots - 1, slots a power of two */
	struct api_refuse_slot *slot;
	/* The probe start is a keyed hash: which addresses cluster cannot be
	 * chosen from outside. */
	uint8_t key[crypto_shorthash_KEYBYTES];
};

int api_refuse_init(sdns_api *api, const sdns_api_conf *conf)
{
	struct api_refuse *rf = calloc(1, sizeof(*rf));
	if (!rf) return SDNS_ENOMEM;
	rf->per_addr = conf->refusals_audit_per_addr
		? conf->refusals_audit_per_addr : API_REFUSE_PER_ADDR;
	rf->total_max = conf->refusals_audit_max ? conf->refusals_audit_max
	                                         : API_REFUSE_TOTAL;
	size_t n = 16;
	while (n < 2 * (size_t)rf->total_max && n < ((size_t)1 << 24)) n *= 2;
	if (rf->total_max > n / 2) rf->total_max = (unsigned)(n / 2);
	rf->slot = calloc(n, sizeof(*rf->slot));
	if (!rf->slot) {
		free(rf);
		return SDNS_ENOMEM;
	}
	rf->mask = n - 1;
	randombytes_buf(rf->key, sizeof(rf->key));
	pthread_mutex_init(&rf->lock, NULL);
	api->refuse = rf;
	return SDNS_OK;
}

void api_refuse_free(sdns_api *api)
{
	struct api_refuse *rf = api->refuse;
	if (!rf) return;
	pthread_mutex_destroy(&rf->lock);
	free(rf->slot);
	free(rf);
	api->refuse = NULL;
}

static size_t home_of(const struct api_refuse *rf, const char *addr)
{
	uint64_t h;
	crypto_shorthash((uint8_t *)&h, (const uint8_t *)addr, strlen(addr),
	                 rf->key);
	return (size_t)h & rf->mask;
}

bool api_refuse_budget(struct api_refuse *rf, const char *addr, time_t now)
{
	time_t minute = now / 60;
	bool ok = false;
	pthread_mutex_lock(&rf->lock);
	if (rf->minute != minute) {
		memset(rf->slot, 0, (rf->mask + 1) * sizeof(*rf->slot));
		rf->minute = minute;
		rf->total = 0;
	}
	if (rf->total >= rf->total_max) goto out;
	size_t i = home_of(rf, addr);
	/* total < total_max <= slots / 2: an empty slot is always found. */
	while (rf->slot[i].addr[0] && strcmp(rf->slot[i].addr, addr) != 0)
		i = (i + 1) & rf->mask;
	struct api_refuse_slot *sl = &rf->slot[i];
	if (!sl->addr[0]) snprintf(sl->addr, sizeof(sl->addr), "%s", addr);
	if (sl->count >= rf->per_addr) goto out;
	sl->count++;
	rf->total++;
	ok = true;
out:
	pthread_mutex_unlock(&rf->lock);
	return ok;
}

void api_auth_refused(api_req *r, const char *reason)
{
	sdns_api *api = r->api;
	atomic_fetch_add(&api->n_refused, 1);
	sdns_log(SDNS_LOG_INFO, "api_auth_refused", "peer=%s reason=%s path=%s",
	         r->remote, reason, r->path);
	if (!api_refuse_budget(api->refuse, r->remote, time(NULL))) {
		atomic_fetch_add(&api->n_refused_unaudited, 1);
		return;
	}
	api_resp scratch = {0};
	sdns_store *s = api_store(r, &scratch);
	if (s) {
		sdns_store_err err;
		int rc = sdns_store_audit_auth_refused(s, r->remote, reason,
		                                       &err);
		api_store_check(r, rc);
	}
	json_decref(scratch.json);
}
