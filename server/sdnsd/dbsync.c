/* Keeps the serving snapshots equal to PostgreSQL: the daemon's wiring of
 * src/sync (which does the work) to its own thread, the listener and the
 * serving state.
 *
 * The listener thread only marks that the log moved; the sync thread reads
 * it on its own connection (sdns_sync_step) and publishes, so a burst of
 * notifications is one step, the listener never waits on a query, and DoQ
 * workers never touch the database. After every (re)connect the listener
 * asks for a full load. The thread also polls the log every POLL_MS (a
 * lost notification then costs a delay, never a change), renews due
 * signatures a slice at a time, and prunes the log. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/mesh.h"
#include "sdns/store.h"
#include "sdns/sync.h"
#include "sdnsd.h"

enum { DIRTY_LOG = 1, DIRTY_FULL = 2, DIRTY_REVOKED = 4 };
#define RETRY_MS 500
#define POLL_MS 2000
#define TICK_MS 1000
#define PRUNE_MS 60000
#define RESIGN_BUDGET 2000       /* names per tick, at most */
#define DEFAULT_KEEP_ROWS 1000000
#define DEFAULT_KEEP_SECONDS (7 * 86400)

struct sdnsd_dbsync {
	const sdnsd_conf *conf;
	sdnsd_state *st;
	char migrations[PATH_MAX];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned dirty;
	bool stop, migrated;
	bool loaded_full, loaded_revoked;   /* once each, then the API opens */
	/* the sync thread's */
	sdns_store *db;
	sdns_sync *sync;
	bool peers_changed;
	uint64_t last_step_ns, last_prune_ns, last_tick_ns;
	size_t resigned;                 /* since the last log line */
	uint64_t logged_steps, logged_rows;
	uint64_t last_resign_log_ns;
	sdns_store_listener *listener;
};

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void mark(sdnsd_dbsync *d, unsigned what)
{
	pthread_mutex_lock(&d->mu);
	d->dirty |= what;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void sdnsd_dbsync_resync(void *ctx)
{
	mark(ctx, DIRTY_FULL);
}

static void on_notify(void *ctx, int64_t seq, int64_t zone_id)
{
	(void)seq;
	(void)zone_id;
	mark(ctx, DIRTY_LOG);
}

static void on_resync(void *ctx)
{
	mark(ctx, DIRTY_FULL | DIRTY_REVOKED);
}

static void on_state(void *ctx, bool up)
{
	sdnsd_dbsync *d = ctx;
	atomic_store(&d->st->db_up, up);
	if (!up)
		sdns_log(SDNS_LOG_WARN, "db_down", "serving=last_snapshot");
}

/* --- what the sync reports --- */

static void cb_publish(void *ctx, sdns_zoneset *zs)
{
	sdnsd_dbsync *d = ctx;
	sdns_snapshot_publish(&d->st->zones, zs);
	atomic_fetch_add(&d->st->swaps, 1);
}

static void cb_zone_changed(void *ctx, const sdns_name *apex, uint32_t serial,
                            bool gone)
{
	sdnsd_dbsync *d = ctx;
	(void)serial;
	(void)gone;
	sdnsd_mesh_zone_changed(d->st, apex);  /* peers drop their copies */
}

static void cb_reloaded(void *ctx, const sdns_zoneset *zs)
{
	sdnsd_dbsync *d = ctx;
	sdnsd_mesh_zones_changed(d->st, zs);
}

static void cb_peers(void *ctx)
{
	sdnsd_dbsync *d = ctx;
	d->peers_changed = true;
}

static void cb_dropped(void *ctx, const char *zone, const sdns_name *owner,
                       uint16_t type, const char *why)
{
	(void)ctx;
	char o[SDNS_NAME_STR_MAX] = "";
	if (owner) sdns_name_to_str(owner, o, sizeof(o));
	if (owner)
		sdns_log(SDNS_LOG_WARN, "record_not_served", "zone=%s name=%s type=%u "
		         "reason=\"%s\"", zone, o, (unsigned)type, why);
	else
		sdns_log(SDNS_LOG_WARN, "zone_skipped", "zone=%s reason=\"%s\"", zone,
		         why);
}

static const sdns_sync_cb sync_cb = { cb_publish, cb_zone_changed, cb_reloaded,
                                      cb_peers, cb_dropped };

/* --- the database connection --- */

static void fatal(sdnsd_dbsync *d, const char *msg)
{
	sdns_log(SDNS_LOG_ERROR, "db_fatal", "error=\"%s\"", msg);
	atomic_store(&d->st->fatal, 1);
	kill(getpid(), SIGTERM); /* main's sigwait loop stops the daemon */
}

/* Connected, the schema current and the role checked (dbrole.c), or a
 * negative code (retry later). */
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
	char msg[512] = "";
	rc = sdnsd_db_prepare(d->conf, d->db, d->migrations, msg, sizeof(msg));
	if (rc < 0 && rc != SDNS_EUNAVAIL) {
		fatal(d, msg);
		return rc;
	}
	if (rc == SDNS_OK)
		d->migrated = true;
	return rc;
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

static void log_full(sdnsd_dbsync *d)
{
	sdns_sync_stats s;
	sdns_sync_stats_get(d->sync, &s);
	const sdns_zoneset *zs = sdns_sync_current(d->sync);
	size_t records = 0, bytes = 0;
	for (size_t i = 0; i < sdns_zoneset_count(zs); i++) {
		records += sdns_zone_rr_count(sdns_zoneset_at(zs, i));
		bytes += sdns_zone_bytes(sdns_zoneset_at(zs, i));
	}
	sdns_log(SDNS_LOG_INFO, "zones_loaded", "zones=%zu records=%zu bytes=%zu "
	         "seq=%lld ms=%.0f", sdns_zoneset_count(zs), records, bytes,
	         (long long)s.seq, s.last_full_ms);
	/* A load's transient memory (builders, COPY buffers) goes back. */
	malloc_trim(0);
}

static void log_step(sdnsd_dbsync *d)
{
	sdns_sync_stats s;
	sdns_sync_stats_get(d->sync, &s);
	if (s.steps == d->logged_steps) return;
	d->logged_steps = s.steps;
	sdns_log(SDNS_LOG_DEBUG, "sync_step", "seq=%lld rows=%llu ms=%.2f",
	         (long long)s.seq, (unsigned long long)(s.rows - d->logged_rows),
	         s.last_step_ms);
	d->logged_rows = s.rows;
}

/* --- the thread --- */

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

/* Wait for work or the next tick; false when asked to stop. */
static bool take_work(sdnsd_dbsync *d, unsigned *flags, bool backoff)
{
	pthread_mutex_lock(&d->mu);
	if (backoff && !d->stop)
		wait_ns(d, (uint64_t)RETRY_MS * 1000000u);
	else if (!d->dirty && !d->stop)
		wait_ns(d, (uint64_t)TICK_MS * 1000000u);
	*flags = d->dirty;
	d->dirty = 0;
	bool go = !d->stop;
	pthread_mutex_unlock(&d->mu);
	return go;
}

static void prune(sdnsd_dbsync *d)
{
	const sdnsd_conf *c = d->conf;
	int64_t rows = c->changelog_keep >= 0 ? c->changelog_keep : DEFAULT_KEEP_ROWS;
	int64_t secs = c->changelog_max_age >= 0 ? c->changelog_max_age
	                                         : DEFAULT_KEEP_SECONDS;
	int64_t n = 0;
	sdns_store_err err = {0};
	if (sdns_store_log_prune(d->db, rows, secs, &n, &err) == SDNS_OK && n)
		sdns_log(SDNS_LOG_INFO, "changelog_pruned", "rows=%lld", (long long)n);
}

/* Renew due signatures: a slice per tick, sized so that a whole lap of
 * every zone takes at most a tenth of the refresh window (and 10 min). */
static void resign_tick(sdnsd_dbsync *d)
{
	if (!sdnsd_sign_key(d->st)) return;
	uint32_t validity = d->conf->sig_validity ? (uint32_t)d->conf->sig_validity
	                                          : SDNS_DNSSEC_DEFAULT_VALIDITY;
	/* The shortest validity paces the laps (mesh zones have theirs). */
	uint32_t mv = d->conf->mesh_sig_validity
	              ? (uint32_t)d->conf->mesh_sig_validity
	              : SDNS_DNSSEC_MESH_VALIDITY;
	if (d->st->mesh && mv < validity) validity = mv;
	uint64_t lap_s = validity / 40;
	if (lap_s > 600) lap_s = 600;
	if (lap_s < 1) lap_s = 1;
	size_t shards = sdns_sync_shards(d->sync);
	size_t per_tick = (size_t)((shards * TICK_MS / 1000 + lap_s - 1) / lap_s);
	if (per_tick < 1) per_tick = 1;
	size_t n = sdns_sync_resign(d->sync, (uint32_t)time(NULL), per_tick,
	                            RESIGN_BUDGET);
	/* Renewals trickle; one line a minute says how many. */
	d->resigned += n;
	uint64_t t = mono_ns();
	if (d->resigned && t - d->last_resign_log_ns > 60000000000ull) {
		sdns_log(SDNS_LOG_INFO, "zones_resigned", "mode=store names=%zu",
		         d->resigned);
		d->resigned = 0;
		d->last_resign_log_ns = t;
	}
}

/* One round of work with a working connection. */
static int work(sdnsd_dbsync *d, unsigned flags)
{
	uint32_t now = (uint32_t)time(NULL);
	uint64_t t = mono_ns();
	int rc = SDNS_OK;
	if (flags & DIRTY_FULL) {
		rc = sdns_sync_full(d->sync, d->db, now);
		if (rc == SDNS_OK) log_full(d);
		d->last_step_ns = t;
	} else if ((flags & DIRTY_LOG) ||
	           t - d->last_step_ns > (uint64_t)POLL_MS * 1000000u) {
		bool more = true;
		/* Drain a backlog, but let revocations and stops in between. */
		for (int i = 0; i < 8 && more && rc == SDNS_OK; i++) {
			rc = sdns_sync_step(d->sync, d->db, now, &more);
			log_step(d);
		}
		if (rc == SDNS_OK && more) mark(d, DIRTY_LOG);
		d->last_step_ns = t;
	}
	if (rc == SDNS_OK && ((flags & DIRTY_REVOKED) || d->peers_changed)) {
		d->peers_changed = false;
		rc = reload_revoked(d);
	}
	if (rc == SDNS_OK && (flags & DIRTY_FULL)) d->loaded_full = true;
	if (rc == SDNS_OK && (flags & DIRTY_REVOKED)) d->loaded_revoked = true;
	if (d->migrated && d->loaded_full && d->loaded_revoked &&
	    !atomic_exchange(&d->st->api_ready, 1))
		sdns_log(SDNS_LOG_INFO, "api_ready", "zones=%zu",
		         sdns_zoneset_count(sdns_sync_current(d->sync)));
	if (rc == SDNS_OK && t - d->last_tick_ns >= (uint64_t)TICK_MS * 1000000u) {
		d->last_tick_ns = t;
		resign_tick(d);
	}
	if (rc == SDNS_OK && t - d->last_prune_ns > (uint64_t)PRUNE_MS * 1000000u) {
		d->last_prune_ns = t;
		prune(d);
	}
	return rc;
}

static void *sync_thread(void *arg)
{
	sdnsd_dbsync *d = arg;
	unsigned flags;
	bool backoff = false;
	unsigned pending = 0;
	while (take_work(d, &flags, backoff)) {
		flags |= pending;
		pending = 0;
		int rc = ensure_db(d);
		if (rc == SDNS_OK) rc = work(d, flags);
		backoff = rc < 0;
		if (backoff) {
			/* Keep serving the last snapshots; try again shortly, with
			 * everything still to do. */
			pending = flags | DIRTY_LOG;
			if (atomic_load(&d->st->fatal))
				break;
		}
	}
	sdns_store_close(d->db);
	d->db = NULL;
	return NULL;
}

static int make_sync(const sdnsd_conf *c, sdnsd_state *st, sdnsd_dbsync *d)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	sdns_sync_conf sc = {
		.key = sdnsd_sign_key(st),
		.sig_validity = (uint32_t)c->sig_validity,
		.mesh_validity = (uint32_t)c->mesh_sig_validity,
		.threads = c->sync_threads ? (unsigned)c->sync_threads
		                           : (unsigned)(cores > 0 ? cores : 1),
	};
	if (st->mesh) {
		sc.has_mesh_domain = true;
		sc.mesh_domain = *sdns_mesh_domain(st->mesh);
	}
	/* A per-process hash key: nobody who writes names can aim them. */
	if (getrandom(sc.seed, sizeof(sc.seed), 0) != (ssize_t)sizeof(sc.seed))
		sc.seed[0] = mono_ns(), sc.seed[1] = (uint64_t)getpid();
	return sdns_sync_new(&sc, &sync_cb, d, &d->sync);
}

int sdnsd_dbsync_start(const sdnsd_conf *c, sdnsd_state *st,
                       sdnsd_dbsync **out)
{
	sdnsd_dbsync *d = calloc(1, sizeof(*d));
	if (!d)
		return SDNS_ENOMEM;
	d->conf = c;
	d->st = st;
	sdnsd_migrations_dir(c, d->migrations, sizeof(d->migrations));
	int rc = make_sync(c, st, d);
	if (rc < 0) {
		free(d);
		return rc;
	}
	/* A role that could rewrite the audit must not serve the API even for a
	 * moment: when the database is up, check before anything starts (when
	 * it is down, the thread checks at its first connect). */
	rc = ensure_db(d);
	if (rc < 0 && rc != SDNS_EUNAVAIL) {
		sdns_store_close(d->db);
		sdns_sync_free(d->sync);
		free(d);
		return rc;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (pthread_create(&d->th, NULL, sync_thread, d) != 0) {
		sdns_sync_free(d->sync);
		free(d);
		return SDNS_ENOMEM;
	}
	const sdns_store_listen_cb cb = {on_notify, on_resync, on_state};
	rc = sdns_store_listener_start(c->db, &cb, d, &d->listener);
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
	sdns_sync_free(d->sync);
	free(d);
}
