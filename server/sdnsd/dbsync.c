/* Keeps the serving snapshots equal to PostgreSQL.
 *
 * The store's listener thread only marks what changed; this module's own
 * thread reloads, on its own connection, and publishes. So bursts of
 * notifications coalesce into one reload, the listener never waits on a
 * query, and DoQ workers never touch the database. After every (re)connect
 * the listener asks for a full resync: notifications may have been lost. */
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

enum { DIRTY_ZONES = 1, DIRTY_REVOKED = 2 };
#define RETRY_MS 500

struct sdnsd_dbsync {
	const sdnsd_conf *conf;
	sdnsd_state *st;
	char migrations[PATH_MAX];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned dirty;
	bool stop, migrated;
	sdns_store *db;             /* owned by the reload thread */
	sdns_store_listener *listener;
};

static void mark(sdnsd_dbsync *d, unsigned what)
{
	pthread_mutex_lock(&d->mu);
	d->dirty |= what;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void on_change(void *ctx, const char *table, const char *op,
                      int64_t id, int64_t zone_id)
{
	(void)op, (void)id, (void)zone_id;
	if (!strcmp(table, "zones") || !strcmp(table, "records"))
		mark(ctx, DIRTY_ZONES);
	else if (!strcmp(table, "nodes") || !strcmp(table, "revoked"))
		mark(ctx, DIRTY_REVOKED);
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

static int reload_zones(sdnsd_dbsync *d)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdns_zoneset *zs = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_load_zoneset(d->db, &zs, &err);
	if (rc < 0)
		return rc;
	sdns_snapshot_publish(&d->st->zones, zs);
	atomic_fetch_add(&d->st->swaps, 1);
	sdns_log(SDNS_LOG_DEBUG, "snapshot_swapped", "kind=zones zones=%zu ms=%.2f",
	         sdns_zoneset_count(zs), ms_since(&t0));
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
	sdns_log(SDNS_LOG_DEBUG, "snapshot_swapped", "kind=revoked count=%zu",
	         sdns_revoked_count(r));
	return SDNS_OK;
}

/* Wait for work; false when asked to stop. */
static bool take_work(sdnsd_dbsync *d, unsigned *flags, bool backoff)
{
	pthread_mutex_lock(&d->mu);
	if (backoff && !d->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += RETRY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&d->cv, &d->mu, &until);
	}
	while (!d->dirty && !d->stop)
		pthread_cond_wait(&d->cv, &d->mu);
	*flags = d->dirty;
	d->dirty = 0;
	bool go = !d->stop;
	pthread_mutex_unlock(&d->mu);
	return go;
}

static void *sync_thread(void *arg)
{
	sdnsd_dbsync *d = arg;
	unsigned flags;
	bool backoff = false;
	while (take_work(d, &flags, backoff)) {
		int rc = ensure_db(d);
		if (rc == SDNS_OK && (flags & DIRTY_ZONES))
			rc = reload_zones(d);
		if (rc == SDNS_OK && (flags & DIRTY_REVOKED))
			rc = reload_revoked(d);
		backoff = rc < 0;
		if (backoff) {
			/* Keep serving the last snapshots; try again shortly. */
			mark(d, flags);
			if (atomic_load(&d->st->fatal))
				break;
		}
	}
	sdns_store_close(d->db);
	d->db = NULL;
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
