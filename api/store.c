/* One store connection per libmicrohttpd pool thread, opened on first use
 * and kept in thread-specific data; the key's destructor closes it when the
 * pool thread exits. A connection that broke is dropped, so the next
 * request connects again: that is how the API comes back after the
 * database restarts. */
#include <stdlib.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

static void close_store(void *p) { sdns_store_close(p); }

int api_store_key_init(sdns_api *api)
{
	if (pthread_key_create(&api->store_key, close_store) != 0)
		return SDNS_ENOMEM;
	api->store_key_made = true;
	return SDNS_OK;
}

sdns_store *api_store(api_req *r, api_resp *out)
{
	sdns_api *api = r->api;
	sdns_store *s = pthread_getspecific(api->store_key);
	if (s && sdns_store_broken(s)) {
		sdns_store_close(s);
		pthread_setspecific(api->store_key, NULL);
		s = NULL;
	}
	if (s) return s;
	sdns_store_err err;
	int rc = sdns_store_connect(api->conninfo, &s, &err);
	if (rc != SDNS_OK) {
		sdns_log(SDNS_LOG_WARN, "api_db_connect", "err=%s",
		         sdns_strerror(rc));
		api_fail(out, API_E_UNAVAILABLE, NULL, "database unavailable");
		return NULL;
	}
	if (api->have_audit_key) sdns_store_set_audit_key(s, &api->audit_key);
	pthread_setspecific(api->store_key, s);
	return s;
}

void api_store_check(api_req *r, int rc)
{
	sdns_store *s = pthread_getspecific(r->api->store_key);
	if (!s) return;
	if (rc == SDNS_EUNAVAIL || sdns_store_broken(s)) {
		sdns_store_close(s);
		pthread_setspecific(r->api->store_key, NULL);
	}
}
