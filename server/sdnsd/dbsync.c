/* Keeps the serving snapshots equal to PostgreSQL.
 *
 * The store's listener thread only marks what changed; this module's own
 * thread reloads, on its own connection, and publishes. So bursts of
 * notifications coalesce into one reload, the listener never waits on a
 * query, and DoQ workers never touch the database. After every (re)connect
 * the listener asks for a full resync: notifications may have been lost.
 * A change of records or of a zone row reloads only that zone and builds
 * the new set from the previous one (the other zones are shared); a burst
 * for one zone is one reload. Zone deletions, resyncs and bursts touching
 * many zones reload everything. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/store.h"
#include "sdnsd.h"

enum { DIRTY_ZONES = 1, DIRTY_REVOKED = 2, DIRTY_SOME_ZONES = 4 };
#define RETRY_MS 500
#define RELOAD_PACE_MAX_NS 20000000u /* 20 ms: propagation stays < 50 ms */
/* More zones changed at once than this: one full reload is cheaper. */
#define MAX_ZONE_RELOADS 32

struct sdnsd_dbsync {
	const sdnsd_conf *conf;
	sdnsd_state *st;
	char migrations[PATH_MAX];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned dirty;
	int64_t zone_ids[MAX_ZONE_RELOADS]; /* DIRTY_SOME_ZONES: which */
	size_t n_zone_ids;
	bool stop, migrated;
	sdns_store *db;             /* owned by the reload thread */
	sdns_zoneset *cur;          /* reload thread's reference to the last
	                               published set, the base of the next */
	sdns_store_listener *listener;
};

static void mark(sdnsd_dbsync *d, unsigned what)
{
	pthread_mutex_lock(&d->mu);
	d->dirty |= what;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void sdnsd_dbsync_resync(void *ctx)
{
	mark(ctx, DIRTY_ZONES);
}

/* Zone zone_id changed; a full reload pending covers it. */
static void mark_zone(sdnsd_dbsync *d, int64_t zone_id)
{
	pthread_mutex_lock(&d->mu);
	size_t i = 0;
	while (i < d->n_zone_ids && d->zone_ids[i] != zone_id)
		i++;
	if (d->dirty & DIRTY_ZONES)
		;
	else if (i < d->n_zone_ids)
		d->dirty |= DIRTY_SOME_ZONES;
	else if (d->n_zone_ids < MAX_ZONE_RELOADS) {
		d->zone_ids[d->n_zone_ids++] = zone_id;
		d->dirty |= DIRTY_SOME_ZONES;
	} else {
		d->dirty |= DIRTY_ZONES;
	}
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void on_change(void *ctx, const char *table, const char *op,
                      int64_t id, int64_t zone_id)
{
	(void)id;
	bool zones = !strcmp(table, "zones");
	if (zones || !strcmp(table, "records")) {
		/* A deleted zone's apex is no longer in the database. */
		if (zone_id > 0 && !(zones && !strcmp(op, "DELETE")))
			mark_zone(ctx, zone_id);
		else
			mark(ctx, DIRTY_ZONES);
	} else if (!strcmp(table, "nodes") || !strcmp(table, "revoked")) {
		mark(ctx, DIRTY_REVOKED);
	}
}

static void on_resync(void *ctx)
{
	mark(ctx, DIRTY_ZONES | DIRTY_REVOKED);
}

static void on_state(void *ctx, bool up)
{
	sdnsd_dbsync *d = ctx;
	atomic_store(&d->st->db_up, up);
	if (!up)
		sdns_log(SDNS_LOG_WARN, "db_down", "serving=last_snapshot");
}

static void fatal(sdnsd_dbsync *d, const char *msg)
{
	sdns_log(SDNS_LOG_ERROR, "db_fatal", "error=\"%s\"", msg);
	atomic_store(&d->st->fatal, 1);
	kill(getpid(), SIGTERM); /* main's sigwait loop stops the daemon */
}

/* Connected and migrated, or a negative code (retry later). */
static int ensure_db(sdnsd_dbsync *d)
{
	if (d->db && !sdns_store_broken(d->db))
		return SDNS_OK;
	sdns_store_close(d->db);
	d->db = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_connect(d->conf->db, &d->db, &err);
	if (rc < 0) {
		d->db = NULL;
		return rc;
	}
	if (d->migrated)
		return SDNS_OK;
	int applied = 0;
	rc = sdns_store_migrate(d->db, d->migrations, &applied, &err);
	if (rc == SDNS_ECONFIG || (rc < 0 && rc != SDNS_EUNAVAIL)) {
		fatal(d, err.message[0] ? err.message : sdns_strerror(rc));
		return rc;
	}
	if (rc == SDNS_OK) {
		d->migrated = true;
		sdns_log(SDNS_LOG_INFO, "db_ready", "migrations_applied=%d dir=%s",
		         applied, d->migrations);
	}
	return rc;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Publish zs: the caller's reference becomes the snapshot's; d->cur gets
 * one more, the base of the next partial reload. */
static void publish_zones(sdnsd_dbsync *d, sdns_zoneset *zs)
{
	sdns_zoneset_ref(zs);
	sdns_snapshot_publish(&d->st->zones, zs);
	sdns_zoneset_unref(d->cur);
	d->cur = zs;
	atomic_fetch_add(&d->st->swaps, 1);
}

static int reload_zones(sdnsd_dbsync *d)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdns_zoneset *zs = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_load_zoneset(d->db, &zs, &err);
	if (rc == SDNS_OK && (rc = sdnsd_sign_set(d->st, &zs)) < 0)
		sdns_zoneset_unref(zs);
	if (rc < 0)
		return rc;
	publish_zones(d, zs);
	sdnsd_mesh_zones_changed(d->st, zs);
	sdns_log(SDNS_LOG_DEBUG, "snapshot_swapped", "kind=zones zones=%zu ms=%.2f",
	         sdns_zoneset_count(zs), ms_since(&t0));
	return SDNS_OK;
}

/* zs with zone id reloaded: *next (a new set), or SDNS_ENOTFOUND when the
 * zone is gone (a full reload then finds out the rest). */
static int reload_one(sdnsd_dbsync *d, const sdns_zoneset *zs, int64_t id,
                      sdns_zoneset **next, sdns_name *apex_out)
{
	sdns_name apex;
	sdns_zone *z = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_load_zone(d->db, id, &apex, &z, &err);
	if (rc == SDNS_OK && (rc = sdnsd_sign_one(d->st, &z)) < 0)
		sdns_zone_free(z);
	if (rc < 0)
		return rc;
	*apex_out = apex;
	rc = sdns_zoneset_replace(zs, &apex, z, next);
	if (rc < 0)
		sdns_zone_free(z);
	return rc;
}

static int reload_some(sdnsd_dbsync *d, const int64_t *ids, size_t n)
{
	if (!d->cur)
		return reload_zones(d);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdns_zoneset *zs = d->cur;
	sdns_zoneset_ref(zs);
	int rc = SDNS_OK;
	sdns_name apexes[MAX_ZONE_RELOADS];
	for (size_t i = 0; i < n && rc == SDNS_OK; i++) {
		sdns_zoneset *next = NULL;
		rc = reload_one(d, zs, ids[i], &next, &apexes[i]);
		if (rc == SDNS_OK) {
			sdns_zoneset_unref(zs);
			zs = next;
		}
	}
	if (rc < 0) {
		sdns_zoneset_unref(zs);
		return rc == SDNS_ENOTFOUND ? reload_zones(d) : rc;
	}
	publish_zones(d, zs); /* our reference becomes the snapshot's */
	for (size_t i = 0; i < n; i++) /* peers drop their cached copies */
		sdnsd_mesh_zone_changed(d->st, &apexes[i]);
	sdns_log(SDNS_LOG_DEBUG, "snapshot_swapped", "kind=zone changed=%zu "
	         "zones=%zu ms=%.2f", n, sdns_zoneset_count(zs), ms_since(&t0));
	return SDNS_OK;
}

static int reload_revoked(sdnsd_dbsync *d)
{
	sdns_revoked *r = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_load_revoked(d->db, &r, &err);
	if (rc < 0)
		return rc;
	/* Refuse new handshakes first, then close the open connections: the
	 * other order would let a revoked client reconnect in between. */
	sdns_snapshot_publish(&d->st->revoked, r);
	atomic_fetch_add(&d->st->swaps, 1);
	sdnsd_close_revoked(d->st);
	sdnsd_mesh_reload_peers(d->st, d->db);
	sdns_log(SDNS_LOG_DEBUG, "snapshot_swapped", "kind=revoked count=%zu",
	         sdns_revoked_count(r));
	return SDNS_OK;
}

/* Wait for work; false when asked to stop. ids gets the zones to reload
 * when *flags has DIRTY_SOME_ZONES. */
static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Wait on the condition variable (CLOCK_REALTIME) for at most ns. */
static void wait_ns(sdnsd_dbsync *d, uint64_t ns)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ns / 1000000000u);
	until.tv_nsec += (long)(ns % 1000000000u);
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&d->cv, &d->mu, &until);
}

/* Wait for work; false when asked to stop. Zone reloads are paced under a
 * backlog: a burst of writes would otherwise keep this thread rebuilding the
 * same zone back to back, taking a core from the writers. Until
 * not_before_ns, changes are only collected (revocations are never held). */
static bool take_work(sdnsd_dbsync *d, unsigned *flags, int64_t *ids,
                      size_t *n, bool backoff, uint64_t not_before_ns)
{
	pthread_mutex_lock(&d->mu);
	if (backoff && !d->stop)
		wait_ns(d, (uint64_t)RETRY_MS * 1000000u);
	while (!d->dirty && !d->stop)
		pthread_cond_wait(&d->cv, &d->mu);
	uint64_t now;
	while (!d->stop && !(d->dirty & DIRTY_REVOKED) &&
	       (now = mono_ns()) < not_before_ns)
		wait_ns(d, not_before_ns - now);
	*flags = d->dirty;
	*n = d->n_zone_ids;
	memcpy(ids, d->zone_ids, *n * sizeof(*ids));
	d->dirty = 0;
	d->n_zone_ids = 0;
	bool go = !d->stop;
	pthread_mutex_unlock(&d->mu);
	return go;
}

static void *sync_thread(void *arg)
{
	sdnsd_dbsync *d = arg;
	unsigned flags;
	int64_t ids[MAX_ZONE_RELOADS];
	size_t n;
	bool backoff = false;
	uint64_t not_before = 0;
	while (take_work(d, &flags, ids, &n, backoff, not_before)) {
		int rc = ensure_db(d);
		uint64_t t0 = mono_ns();
		if (rc == SDNS_OK && (flags & DIRTY_ZONES))
			rc = reload_zones(d);
		else if (rc == SDNS_OK && (flags & DIRTY_SOME_ZONES))
			rc = reload_some(d, ids, n);
		/* Changes that arrived during this reload mean reloads cannot
		 * keep up: then the next one waits twice this one's cost
		 * (capped), so reloads take at most about a third of a core.
		 * A change arriving on a quiet thread is reloaded at once. */
		uint64_t t1 = mono_ns(), cost = t1 - t0;
		pthread_mutex_lock(&d->mu);
		bool backlog = d->dirty != 0;
		pthread_mutex_unlock(&d->mu);
		not_before = !backlog ? 0
		             : t1 + (cost * 2 < RELOAD_PACE_MAX_NS ? cost * 2
		                                                   : RELOAD_PACE_MAX_NS);
		if (rc == SDNS_OK && (flags & DIRTY_REVOKED))
			rc = reload_revoked(d);
		backoff = rc < 0;
		if (backoff) {
			/* Keep serving the last snapshots; try again shortly,
			 * reloading everything rather than remembering which. */
			if (flags & DIRTY_SOME_ZONES)
				flags = (flags & ~DIRTY_SOME_ZONES) | DIRTY_ZONES;
			mark(d, flags);
			if (atomic_load(&d->st->fatal))
				break;
		}
	}
	sdns_store_close(d->db);
	d->db = NULL;
	sdns_zoneset_unref(d->cur);
	d->cur = NULL;
	return NULL;
}

/* Default: ../migrations beside the binary (bin/sdnsd -> migrations/). */
static void default_migrations(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(out, cap, "migrations");
		return;
	}
	exe[n] = '\0';
	char *dir = dirname(exe);
	snprintf(out, cap, "%s/../migrations", dir);
	char *real = realpath(out, NULL);
	if (real) {
		snprintf(out, cap, "%s", real);
		free(real);
	}
}

int sdnsd_dbsync_start(const sdnsd_conf *c, sdnsd_state *st,
                       sdnsd_dbsync **out)
{
	sdnsd_dbsync *d = calloc(1, sizeof(*d));
	if (!d)
		return SDNS_ENOMEM;
	d->conf = c;
	d->st = st;
	if (c->migrations)
		snprintf(d->migrations, sizeof(d->migrations), "%s", c->migrations);
	else
		default_migrations(d->migrations, sizeof(d->migrations));
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (pthread_create(&d->th, NULL, sync_thread, d) != 0) {
		free(d);
		return SDNS_ENOMEM;
	}
	const sdns_store_listen_cb cb = {on_change, on_resync, on_state};
	int rc = sdns_store_listener_start(c->db, &cb, d, &d->listener);
	if (rc < 0) {
		sdnsd_dbsync_stop(d);
		return rc;
	}
	*out = d;
	return SDNS_OK;
}

void sdnsd_dbsync_stop(sdnsd_dbsync *d)
{
	if (!d)
		return;
	if (d->listener) /* no more marks once it is stopped */
		sdns_store_listener_stop(d->listener);
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->th, NULL);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}
