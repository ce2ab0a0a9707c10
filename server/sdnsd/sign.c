/* DNSSEC for sdnsd (--zone-key): the key, and static mode's signing. Store
 * mode signs in src/sync (the sync thread builds, edits and renews the
 * zones it serves). Static mode signs every zone when it is loaded and,
 * from a timer thread, renews the signatures that are due, a few names at
 * a time through edits (src/dnssec decides what is due), so renewals never
 * rebuild a whole zone. One writer of the static snapshot at a time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdnsd.h"

#define TICK_S 1

struct sdnsd_signer {
	sdns_dnssec_key key;
	uint32_t validity;
	pthread_mutex_t publish_mu;  /* static mode: one snapshot writer */
	pthread_mutex_t mu;          /* stop flag and the timer's sleep */
	pthread_cond_t cv;
	pthread_t th;
	bool running, stop;
	int slot;                    /* the timer thread's hazard slot */
	size_t zone, cursor;         /* where renewal looks next */
	size_t renewed;              /* zones renewed since the last log line */
	time_t last_log;
};

int sdnsd_sign_start(const sdnsd_conf *c, sdnsd_state *st)
{
	if (!c->zone_key) return SDNS_OK;
	struct sdnsd_signer *s = calloc(1, sizeof(*s));
	if (!s) return SDNS_ENOMEM;
	int rc = sdns_dnssec_key_load(c->zone_key, &s->key);
	if (rc < 0) {
		sdns_log(SDNS_LOG_ERROR, "start_failed",
		         "error=\"zone key %s: %s\"", c->zone_key,
		         sdns_strerror(rc));
		free(s);
		return rc;
	}
	s->validity = c->sig_validity ? (uint32_t)c->sig_validity
	                              : SDNS_DNSSEC_DEFAULT_VALIDITY;
	s->slot = -1;
	pthread_mutex_init(&s->publish_mu, NULL);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	st->signer = s;
	sdns_log(SDNS_LOG_INFO, "zone_key_loaded", "alg=15 key_tag=%u "
	         "validity_s=%u", s->key.tag, s->validity);
	return SDNS_OK;
}

const sdns_dnssec_key *sdnsd_sign_key(const sdnsd_state *st)
{
	return st->signer ? &st->signer->key : NULL;
}

static sdns_dnssec_signer signer_of(const struct sdnsd_signer *s,
                                    const sdns_zone *z, const sdns_zone *base)
{
	return (sdns_dnssec_signer){ &s->key, sdns_zone_apex(z),
	                             (uint32_t)time(NULL), s->validity, 0, true,
	                             base };
}

/* A signed copy of every zone of zs. */
static int sign_all(sdnsd_state *st, const sdns_zoneset *zs,
                    sdns_zoneset **out)
{
	size_t n = sdns_zoneset_count(zs);
	sdns_zone **zones = calloc(n ? n : 1, sizeof(*zones));
	if (!zones) return SDNS_ENOMEM;
	int rc = SDNS_OK;
	size_t k = 0;
	for (; k < n && !rc; k++) {
		const sdns_zone *z = sdns_zoneset_at(zs, k);
		sdns_dnssec_signer sg = signer_of(st->signer, z, NULL);
		rc = sdns_dnssec_sign_zone_with(z, &sg, 1, &zones[k]);
		if (rc) {
			char apex[SDNS_NAME_STR_MAX] = "?";
			sdns_name_to_str(sdns_zone_apex(z), apex, sizeof(apex));
			sdns_log(SDNS_LOG_ERROR, "zone_sign_failed", "zone=%s "
			         "error=\"%s\"", apex, sdns_strerror(rc));
		}
	}
	if (!rc) rc = sdns_zoneset_new(zones, n, out);
	if (rc)
		for (size_t i = 0; i < k; i++) sdns_zone_free(zones[i]);
	free(zones);
	return rc;
}

int sdnsd_sign_set(sdnsd_state *st, sdns_zoneset **zs)
{
	if (!st->signer) return SDNS_OK;
	sdns_zoneset *out = NULL;
	int rc = sign_all(st, *zs, &out);
	if (rc < 0) return rc;
	sdns_zoneset_unref(*zs);
	*zs = out;
	return SDNS_OK;
}

int sdnsd_sign_publish(sdnsd_state *st, sdns_zoneset **zs)
{
	if (!st->signer) {
		sdns_snapshot_publish(&st->zones, *zs);
		return SDNS_OK;
	}
	pthread_mutex_lock(&st->signer->publish_mu);
	int rc = sdnsd_sign_set(st, zs);
	if (rc == SDNS_OK) sdns_snapshot_publish(&st->zones, *zs);
	pthread_mutex_unlock(&st->signer->publish_mu);
	return rc;
}

/* The zone with its due names renewed, or NULL when none was due. */
static sdns_zone *renew_zone(struct sdnsd_signer *s, const sdns_zone *z,
                             size_t *cursor, size_t shards)
{
	sdns_dnssec_signer sg = signer_of(s, z, z);
	sdns_zone *out = NULL;
	if (sdns_dnssec_renew(z, &sg, NULL, cursor, shards, (size_t)-1, &out,
	                      NULL) != SDNS_OK)
		return NULL;
	return out;
}

/* One tick: renew what is due in the next zone's next shards. */
static void renew_static(struct sdnsd_signer *s, sdnsd_state *st)
{
	if (s->slot < 0 && (s->slot = sdns_snapshot_slot_new(&st->zones)) < 0)
		return;
	pthread_mutex_lock(&s->publish_mu);
	const sdns_zoneset *cur = sdns_snapshot_enter(&st->zones, s->slot);
	size_t n = sdns_zoneset_count(cur);
	sdns_zoneset *next = NULL;
	if (n) {
		const sdns_zone *z = sdns_zoneset_at(cur, s->zone % n);
		/* A lap of a zone within a minute: static zones are small. */
		size_t shards = sdns_zone_shard_count(z) / 60 + 1;
		sdns_zone *fresh = renew_zone(s, z, &s->cursor, shards);
		if (s->cursor == 0) s->zone++;
		if (fresh && sdns_zoneset_replace(cur, NULL, fresh, &next) != SDNS_OK) {
			sdns_zone_free(fresh);
			next = NULL;
		}
	}
	sdns_snapshot_leave(&st->zones, s->slot);
	if (next) {
		sdns_snapshot_publish(&st->zones, next);
		atomic_fetch_add(&st->swaps, 1);
		s->renewed++;
	}
	time_t now = time(NULL);
	if (s->renewed && now - s->last_log >= 60) {
		sdns_log(SDNS_LOG_INFO, "zones_resigned", "mode=static renewals=%zu",
		         s->renewed);
		s->renewed = 0;
		s->last_log = now;
	}
	pthread_mutex_unlock(&s->publish_mu);
}

static void *timer_thread(void *arg)
{
	sdnsd_state *st = arg;
	struct sdnsd_signer *s = st->signer;
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += TICK_S;
		pthread_cond_timedwait(&s->cv, &s->mu, &t);
		if (s->stop) break;
		pthread_mutex_unlock(&s->mu);
		renew_static(s, st);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int sdnsd_sign_timer_start(sdnsd_state *st)
{
	struct sdnsd_signer *s = st->signer;
	if (!s) return SDNS_OK;
	if (pthread_create(&s->th, NULL, timer_thread, st) != 0)
		return SDNS_ENOMEM;
	s->running = true;
	return SDNS_OK;
}

void sdnsd_sign_stop(sdnsd_state *st)
{
	struct sdnsd_signer *s = st->signer;
	if (!s) return;
	if (s->running) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
		s->running = false;
	}
}

void sdnsd_sign_free(sdnsd_state *st)
{
	struct sdnsd_signer *s = st->signer;
	if (!s) return;
	sdnsd_sign_stop(st);
	sdns_dnssec_key_clear(&s->key);
	pthread_mutex_destroy(&s->publish_mu);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	st->signer = NULL;
}
