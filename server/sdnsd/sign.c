/* DNSSEC for sdnsd (--zone-key): every zone served is signed with the
 * node's Ed25519 key before it is published, and a timer re-signs when less
 * than a quarter of the signature validity is left. Static mode re-signs the
 * current set itself; store mode asks the sync thread for a full reload
 * (which signs), so there is only ever one writer of the zone snapshot per
 * mode and no change from the database is lost to a re-sign. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdnsd.h"

struct sdnsd_signer {
	sdns_dnssec_key key;
	uint32_t validity;
	pthread_mutex_t publish_mu;  /* static mode: one snapshot writer */
	pthread_mutex_t mu;          /* stop flag and the timer's sleep */
	pthread_cond_t cv;
	pthread_t th;
	bool running, stop;
	sdnsd_resign_fn resign;
	void *resign_ctx;
	int slot;                    /* the timer thread's hazard slot */
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

static void window(const struct sdnsd_signer *s, sdns_dnssec_window *w)
{
	sdns_dnssec_window_at((uint32_t)time(NULL), s->validity, w);
}

int sdnsd_sign_one(sdnsd_state *st, sdns_zone **z)
{
	if (!st->signer || !*z) return SDNS_OK;
	sdns_dnssec_window w;
	window(st->signer, &w);
	sdns_zone *out = NULL;
	int rc = sdns_dnssec_sign_zone(*z, &st->signer->key, &w, &out);
	if (rc < 0) {
		char apex[SDNS_NAME_STR_MAX] = "?";
		sdns_name_to_str(sdns_zone_apex(*z), apex, sizeof(apex));
		sdns_log(SDNS_LOG_ERROR, "zone_sign_failed", "zone=%s error=\"%s\"",
		         apex, sdns_strerror(rc));
		return rc;
	}
	sdns_zone_free(*z);
	*z = out;
	return SDNS_OK;
}

/* A signed copy of every zone of zs. */
static int sign_all(sdnsd_state *st, const sdns_zoneset *zs,
                    sdns_zoneset **out)
{
	size_t n = sdns_zoneset_count(zs);
	sdns_zone **zones = calloc(n ? n : 1, sizeof(*zones));
	if (!zones) return SDNS_ENOMEM;
	int rc = SDNS_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		sdns_zone *z = (sdns_zone *)sdns_zoneset_at(zs, i);
		sdns_zone_ref(z);
		zones[i] = z;
		rc = sdnsd_sign_one(st, &zones[i]);
	}
	if (!rc) rc = sdns_zoneset_new(zones, n, out);
	if (rc)
		for (size_t i = 0; i < n; i++) sdns_zone_free(zones[i]);
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

void sdnsd_sign_on_resign(sdnsd_state *st, sdnsd_resign_fn fn, void *ctx)
{
	if (!st->signer) return;
	pthread_mutex_lock(&st->signer->mu);
	st->signer->resign = fn;
	st->signer->resign_ctx = ctx;
	pthread_mutex_unlock(&st->signer->mu);
}

/* True when some zone's earliest signature expires within a quarter of the
 * validity (or a zone has none: it was published before the key). */
static bool due(struct sdnsd_signer *s, sdnsd_state *st)
{
	if (s->slot < 0 && (s->slot = sdns_snapshot_slot_new(&st->zones)) < 0)
		return false;
	const sdns_zoneset *zs = sdns_snapshot_enter(&st->zones, s->slot);
	uint32_t now = (uint32_t)time(NULL);
	bool want = false;
	for (size_t i = 0; zs && i < sdns_zoneset_count(zs) && !want; i++) {
		uint32_t e = sdns_dnssec_zone_expiry(sdns_zoneset_at(zs, i));
		want = e == 0 || (int32_t)(e - now) < (int32_t)(s->validity / 4);
	}
	sdns_snapshot_leave(&st->zones, s->slot);
	return want;
}

/* Static mode: re-sign the current set and publish it. */
static void resign_static(struct sdnsd_signer *s, sdnsd_state *st)
{
	pthread_mutex_lock(&s->publish_mu);
	const sdns_zoneset *cur = sdns_snapshot_enter(&st->zones, s->slot);
	sdns_zoneset *next = NULL;
	int rc = cur ? sign_all(st, cur, &next) : SDNS_ENOTFOUND;
	sdns_snapshot_leave(&st->zones, s->slot);
	if (rc == SDNS_OK) {
		sdns_snapshot_publish(&st->zones, next);
		atomic_fetch_add(&st->swaps, 1);
	}
	pthread_mutex_unlock(&s->publish_mu);
	sdns_log(rc ? SDNS_LOG_WARN : SDNS_LOG_INFO, "zones_resigned",
	         "mode=static ok=%s", rc ? "no" : "yes");
}

static void *timer_thread(void *arg)
{
	sdnsd_state *st = arg;
	struct sdnsd_signer *s = st->signer;
	/* Check often enough that a quarter of the validity is never missed. */
	uint32_t every = s->validity / 16;
	if (every < 1) every = 1;
	if (every > 600) every = 600;
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += every;
		pthread_cond_timedwait(&s->cv, &s->mu, &t);
		if (s->stop) break;
		sdnsd_resign_fn fn = s->resign;
		void *ctx = s->resign_ctx;
		pthread_mutex_unlock(&s->mu);
		if (due(s, st)) {
			if (fn) {
				sdns_log(SDNS_LOG_INFO, "zones_resigned", "mode=store");
				fn(ctx);
			} else {
				resign_static(s, st);
			}
		}
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
