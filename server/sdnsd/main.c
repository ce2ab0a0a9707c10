/* sdnsd: the secure_dns daemon. Two modes:
 *  - static (--zone-file): serves master files; SIGHUP reloads them.
 *  - store (--db): PostgreSQL is the source of truth; a sync thread keeps the
 *    snapshots current (LISTEN/NOTIFY) and the management API runs.
 * Either way the DoQ workers answer from a snapshot swapped in without
 * pausing them, and SIGTERM/SIGINT stop gracefully. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sdns/api.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/revoked.h"
#include "sdns/zload.h"
#include "sdnsd.h"

static void release_zoneset(void *p)
{
	sdns_zoneset_unref(p);
}

static void release_revoked(void *p)
{
	sdns_revoked_free(p);
}

static int load_zones(const sdnsd_conf *c, sdns_zoneset **out)
{
	char err[512] = "";
	int rc = sdns_zload_set((const char *const *)c->zone_files,
	                        c->n_zone_files, out, err, sizeof(err));
	if (rc < 0)
		sdns_log(SDNS_LOG_ERROR, "zone_load_failed", "error=\"%s\"",
		         err[0] ? err : sdns_strerror(rc));
	return rc;
}

static void log_zones(const sdns_zoneset *zs, const char *event)
{
	size_t records = 0;
	for (size_t i = 0; i < sdns_zoneset_count(zs); i++)
		records += sdns_zone_rr_count(sdns_zoneset_at(zs, i));
	sdns_log(SDNS_LOG_INFO, event, "zones=%zu records=%zu",
	         sdns_zoneset_count(zs), records);
}

static void fill_doq_conf(const sdnsd_conf *c, sdnsd_state *st,
                          sdns_doq_server_conf *d)
{
	memset(d, 0, sizeof(*d));
	d->listen = c->doq_listen;
	d->cert_path = c->tls_cert;
	d->key_path = c->tls_key;
	d->ca_path = c->tls_ca;
	d->mesh = c->mesh;
	d->workers = c->workers;
	d->max_conns = (uint32_t)c->max_conns;
	d->max_conns_per_addr = (uint32_t)c->max_conns_per_addr;
	d->max_streams = (uint32_t)c->max_streams;
	d->max_conn_buffer = (size_t)c->max_conn_buffer;
	d->max_total_buffer = (size_t)c->max_total_buffer;
	d->stream_timeout_ms = (uint32_t)c->stream_timeout_ms;
	d->idle_timeout_ms = (uint32_t)c->idle_timeout_ms;
	sdns_doq_server_conf_defaults(d);
	if (c->retry_threshold_set)
		d->retry_threshold = (uint32_t)c->retry_threshold;
	d->on_query = sdnsd_answer;
	if (st->mesh)
		d->on_query_async = sdnsd_answer_async;
	d->admit = sdnsd_admit;
	d->ctx = st;
}

/* SIGHUP: read --config and the flags again; only the resolver settings
 * take effect (listeners and zones keep theirs). */
static void reload_resolver(const sdnsd_conf *c, sdnsd_state *st)
{
	if (!st->stub)
		return;
	sdnsd_conf fresh;
	if (sdnsd_conf_load(&fresh, c->argc, c->argv) == 0)
		sdnsd_stub_reconfigure(&fresh, st);
	else
		sdns_log(SDNS_LOG_WARN, "resolver_reload_failed",
		         "error=\"bad configuration\" keeping=previous");
	sdnsd_conf_free(&fresh);
}

/* Runs on the main thread; every signal is blocked in all threads and
 * taken here with sigwait, so no handler runs in async context. */
static void wait_for_signals(const sdnsd_conf *c, sdnsd_state *st,
                             const sigset_t *set)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGHUP) {
			sdns_log(SDNS_LOG_INFO, "stopping", "signal=%s",
			         sig == SIGTERM ? "TERM" : "INT");
			return;
		}
		reload_resolver(c, st);
		if (c->db)
			continue; /* zones come from the database */
		sdns_zoneset *zs;
		if (load_zones(c, &zs) < 0) {
			sdns_log(SDNS_LOG_WARN, "reload_failed", "keeping=previous_zones");
			continue;
		}
		if (sdnsd_sign_publish(st, &zs) < 0) {
			sdns_zoneset_unref(zs);
			sdns_log(SDNS_LOG_WARN, "reload_failed", "keeping=previous_zones");
			continue;
		}
		log_zones(zs, "reloaded");
	}
}

/* The sync thread says when: the API answers 503 until then. */
static bool api_ready(void *ctx)
{
	sdnsd_state *st = ctx;
	return atomic_load(&st->api_ready) != 0;
}

static int start_api(const sdnsd_conf *c, sdnsd_state *st, sdns_api **api)
{
	char web[4096];
	if (c->web_root) snprintf(web, sizeof(web), "%s", c->web_root);
	else sdnsd_web_root_default(web, sizeof(web));
	sdns_api_conf ac = {
		.web_root = web, .max_subscribers = (unsigned)c->events_max,
		.listen = c->api_listen, .cert_path = c->tls_cert,
		.key_path = c->tls_key, .ca_path = c->tls_ca,
		.ca_key_path = c->ca_key, .mesh = c->mesh, .conninfo = c->db,
		.public_url = c->public_url, .threads = (unsigned)c->api_threads,
		.audit_key = sdnsd_audit_key(st),
		.audit_trust = sdnsd_audit_trust(st),
		.import_max = (size_t)c->import_max,
		.max_subscribers_per_identity = (unsigned)c->events_max_per_id,
		.max_connections = (unsigned)c->api_max_conns,
		.max_per_address = (unsigned)c->api_max_conns_per_addr,
		.handshake_timeout_s = (unsigned)c->api_handshake_timeout,
		.timeout_s = (unsigned)c->api_idle_timeout,
		.refusals_audit_per_addr = (unsigned)c->api_refusals_per_addr,
		.refusals_audit_max = (unsigned)c->api_refusals_max,
		.cb = {.is_revoked = sdnsd_is_revoked, .metrics = sdnsd_metrics,
		       .audit_peers = sdnsd_audit_peers_json,
		       .audit_verified = sdnsd_audit_verified,
		       .ready = api_ready, .ctx = st},
	};
	char err[512] = "";
	int rc = sdns_api_start(&ac, api, err, sizeof(err));
	if (rc < 0)
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"api: %s\"",
		         err[0] ? err : sdns_strerror(rc));
	else
		sdns_log(SDNS_LOG_INFO, "api_started", "listen=%s port=%u enroll=%s",
		         c->api_listen, (unsigned)sdns_api_port(*api),
		         c->ca_key ? "on" : "off");
	return rc;
}

/* Static mode loads the files now; store mode starts empty (REFUSED for
 * everything) until the sync thread has read the database. */
static int initial_zones(const sdnsd_conf *c, sdns_zoneset **zs)
{
	if (c->db)
		return sdns_zoneset_new(NULL, 0, zs);
	int rc = load_zones(c, zs);
	if (rc == SDNS_OK)
		log_zones(*zs, "zones_loaded");
	return rc;
}

static int start_doq(const sdnsd_conf *c, sdnsd_state *st, int *workers)
{
	sdns_doq_server_conf dc;
	fill_doq_conf(c, st, &dc);
	char err[512] = "";
	int rc = sdns_doq_server_new(&dc, &st->doq, err, sizeof(err));
	if (rc == SDNS_OK)
		rc = sdns_doq_server_start(st->doq);
	/* Socket errors name the option the operator has to change. */
	if (rc < 0)
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"%s%s\"",
		         strncmp(err, "bind ", 5) ? "" : "--doq-listen: ",
		         err[0] ? err : sdns_strerror(rc));
	*workers = dc.workers;
	return rc;
}

static int run(const sdnsd_conf *c, sdnsd_state *st, const sigset_t *set)
{
	sdnsd_dbsync *sync = NULL;
	sdns_api *api = NULL;
	int workers = 0;
	int rc = c->db ? sdnsd_audit_setup(c, st) : SDNS_OK;
	if (rc == SDNS_OK)
		rc = sdnsd_mesh_start(c, st);
	if (rc == SDNS_OK)
		rc = start_doq(c, st, &workers);
	if (rc == SDNS_OK)
		rc = sdnsd_dot_start(c, st);
	if (rc == SDNS_OK && c->db) {
		rc = sdnsd_dbsync_start(c, st, &sync);
		if (rc == SDNS_OK)
			rc = start_api(c, st, &api);
		if (rc == SDNS_OK)
			rc = sdnsd_audit_start(c, st);
	}
	if (rc == SDNS_OK)
		rc = sdnsd_stub_start(c, st);
	if (rc == SDNS_OK && !c->db)   /* store mode renews in the sync */
		rc = sdnsd_sign_timer_start(st);
	/* Only once every listener is bound: a second instance refused on
	 * any port must never have claimed to be up. */
	if (rc == SDNS_OK)
		sdns_log(SDNS_LOG_INFO, "started", "doq=%s port=%u workers=%d mode=%s"
		         " dot=%s", c->doq_listen,
		         (unsigned)sdns_doq_server_port(st->doq), workers,
		         c->db ? "store" : "static",
		         c->dot_listen ? c->dot_listen : "off");
	if (rc == SDNS_OK)
		wait_for_signals(c, st, set);
	sdnsd_sign_stop(st);
	sdnsd_audit_stop(st);
	sdns_api_stop(api);
	sdnsd_dbsync_stop(sync);
	/* DoQ workers and stub workers may be in the mesh: stop them, then
	 * the mesh (the stub stops it while its queries can still land). */
	if (st->doq)
		sdns_doq_server_stop(st->doq);
	sdnsd_dot_stop(st);
	sdnsd_stub_stop(st);
	sdnsd_mesh_stop(st);
	sdns_doq_server_free(st->doq);
	st->doq = NULL;
	sdns_dot_server_free(st->dot);
	st->dot = NULL;
	sdnsd_audit_free(st);   /* workers and API threads read it */
	return rc;
}

int main(int argc, char **argv)
{
	sdnsd_conf c;
	int rc = sdnsd_conf_load(&c, argc, argv);
	if (rc) {
		sdnsd_conf_free(&c);
		return rc == 1 ? 0 : 2;
	}
	sdns_log_setup(stderr, c.log_level);
	if (c.check_config) {   /* start nothing, change nothing */
		if (c.log_level > SDNS_LOG_WARN) sdns_log_setup(stderr, SDNS_LOG_WARN);
		rc = sdnsd_check_main(&c);
		sdnsd_conf_free(&c);
		return rc;
	}
	if (c.migrate) {   /* sdnsd --migrate: no certificate, no mesh */
		rc = sdnsd_migrate_main(&c);
		sdnsd_conf_free(&c);
		return rc < 0 ? 1 : 0;
	}
	if (sdnsd_mesh_default(&c) < 0) {
		sdnsd_conf_free(&c);
		return 1;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread */
	signal(SIGPIPE, SIG_IGN);

	sdns_zoneset *zs = NULL;
	sdnsd_state st = {0};
	if (sdnsd_sign_start(&c, &st) < 0 || initial_zones(&c, &zs) < 0 ||
	    sdnsd_sign_set(&st, &zs) < 0) {
		sdns_zoneset_unref(zs);
		sdnsd_sign_free(&st);
		sdnsd_conf_free(&c);
		return 1;
	}
	sdns_snapshot_init(&st.zones, zs, release_zoneset);
	sdns_snapshot_init(&st.revoked, NULL, release_revoked);

	rc = run(&c, &st, &set);
	sdns_snapshot_destroy(&st.zones);
	sdns_snapshot_destroy(&st.revoked);
	sdnsd_sign_free(&st);
	bool failed = rc < 0 || atomic_load(&st.fatal);
	sdns_log(SDNS_LOG_INFO, "stopped", "clean=%s", failed ? "no" : "yes");
	sdnsd_conf_free(&c);
	return failed ? 1 : 0;
}
