/* sdnsd: the secure_dns daemon. Loads the zones, starts the DoQ workers and
 * waits for signals: SIGHUP reloads the zone files (the new set is swapped in
 * without pausing the workers), SIGTERM/SIGINT stop gracefully. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/zload.h"
#include "sdnsd.h"

static void release_zoneset(void *p)
{
	sdns_zoneset_unref(p);
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
	d->ctx = st;
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
		sdns_zoneset *zs;
		if (load_zones(c, &zs) < 0) {
			sdns_log(SDNS_LOG_WARN, "reload_failed", "keeping=previous_zones");
			continue;
		}
		sdns_snapshot_publish(&st->zones, zs);
		log_zones(zs, "reloaded");
	}
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

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */
	signal(SIGPIPE, SIG_IGN);

	sdns_zoneset *zs;
	if (load_zones(&c, &zs) < 0) {
		sdnsd_conf_free(&c);
		return 1;
	}
	sdnsd_state st;
	sdns_snapshot_init(&st.zones, zs, release_zoneset);

	sdns_doq_server_conf dc;
	fill_doq_conf(&c, &st, &dc);
	sdns_doq_server *srv = NULL;
	char err[512] = "";
	rc = sdns_doq_server_new(&dc, &srv, err, sizeof(err));
	if (rc == SDNS_OK)
		rc = sdns_doq_server_start(srv);
	if (rc < 0) {
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"%s\"",
		         err[0] ? err : sdns_strerror(rc));
		sdns_doq_server_free(srv);
		sdns_snapshot_destroy(&st.zones);
		sdnsd_conf_free(&c);
		return 1;
	}
	sdns_log(SDNS_LOG_INFO, "started", "doq=%s port=%u workers=%d",
	         c.doq_listen, (unsigned)sdns_doq_server_port(srv), dc.workers);
	log_zones(zs, "zones_loaded");

	wait_for_signals(&c, &st, &set);
	sdns_doq_server_stop(srv);
	sdns_doq_server_free(srv);
	sdns_snapshot_destroy(&st.zones);
	sdns_log(SDNS_LOG_INFO, "stopped", "clean=yes");
	sdnsd_conf_free(&c);
	return 0;
}
