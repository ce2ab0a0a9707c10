/* One store connection per libmicrohttpd pool thread, opened on first use
 * and kept in thread-specific data; the key's destructor closes it when the
 * pool thread exits. A connection that broke is dropped, so the next
 * request connects again: that is how the API comes back after the
 * database restarts. libpq only notices a restarted server when it next
 * talks to it, and the request should not be the one that finds out: so
 * before each use the socket is checked for the server's goodbye (no round
 * trip), and a connection idle for a while is pinged (a silent network
 * failure sends no goodbye). */
#include <stdlib.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define API_IDLE_PING_NS 1000000000ull

typedef struct {
	sdns_store *s;
	uint64_t last_ns;
} api_tconn;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void close_tconn(void *p)
{
	api_tconn *t = p;
	sdns_store_close(t->s);
	free(t);
}

int api_store_key_init(sdns_api *api)
{
	if (pthread_key_create(&api->store_key, close_tconn) != 0)
		return SDNS_ENOMEM;
	api->store_key_made = true;
	return SDNS_OK;
}

static api_tconn *tconn(sdns_api *api)
{
	api_tconn *t = pthread_getspecific(api->store_key);
	if (t) return t;
	t = calloc(1, sizeof(*t));
	if (t && pthread_setspecific(api->store_key, t) != 0) {
		free(t);
		t = NULL;
	}
	return t;
}

static void drop(api_tconn *t)
{
	sdns_store_close(t->s);
	t->s = NULL;
}

/* Before the daemon has checked the schema and the role and loaded the
 * revocations, a request must not reach the database (a fresh schema
 * answers "relation does not exist", a revoked certificate would pass):
 * the client is told to come back, which is not a server error. */
bool api_not_ready(sdns_api *api, api_resp *out)
{
	if (!api->cb.ready || api->cb.ready(api->cb.ctx))
		return false;
	api_fail(out, API_E_UNAVAILABLE, NULL, "the database is not ready yet");
	out->retry_after = 1;
	out->unready = true;
	return true;
}

sdns_store *api_store(api_req *r, api_resp *out)
{
	sdns_api *api = r->api;
	if (api_not_ready(api, out))
		return NULL;
	api_tconn *t = tconn(api);
	if (!t) {
		api_fail(out, API_E_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	uint64_t now = mono_ns();
	if (t->s && (sdns_store_peer_closed(t->s) ||
	             (now - t->last_ns > API_IDLE_PING_NS &&
	              sdns_store_ping(t->s) != SDNS_OK)))
		drop(t);
	if (!t->s) {
		sdns_store_err err;
		int rc = sdns_store_connect(api->conninfo, &t->s, &err);
		if (rc != SDNS_OK) {
			t->s = NULL;
			sdns_log(SDNS_LOG_WARN, "api_db_connect", "err=\"%s\"",
			         sdns_strerror(rc));
			api_fail(out, API_E_UNAVAILABLE, NULL,
			         "database unavailable");
			out->retry_after = 1;
			return NULL;
		}
		if (api->have_audit_key)
			sdns_store_set_audit_key(t->s, &api->audit_key);
	}
	t->last_ns = now;
	return t->s;
}

void api_store_check(api_req *r, int rc)
{
	api_tconn *t = pthread_getspecific(r->api->store_key);
	if (!t || !t->s) return;
	if (rc == SDNS_EUNAVAIL || sdns_store_broken(t->s)) {
		sdns_log(SDNS_LOG_WARN, "api_db_lost", "path=%s action=reconnect_next",
		         r->path);
		drop(t);
	}
}
