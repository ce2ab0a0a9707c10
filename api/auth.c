/* Per-request client-certificate verification.
 *
 * libmicrohttpd loads the mesh CA only to *request* a certificate; a request
 * with none, or with a self-signed one, still reaches the handler. So every
 * request verifies here: the chain leads to the mesh CA, is within its
 * validity and carries the clientAuth purpose, the leaf has exactly one
 * spiffe:// URI SAN of our mesh with a known role (include/sdns/peercert.h),
 * and neither its serial nor its SPKI is revoked (the daemon's callback).
 * A verdict on the chain may come from api/authcache.c; revocation is
 * checked on every request. */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/peercert.h"

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int api_auth_peer(sdns_api *api, struct MHD_Connection *c, api_peer *out,
                  const char **reason)
{
	memset(out, 0, sizeof(*out));
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		*reason = "no_tls";
		return SDNS_ECERT;
	}
	gnutls_session_t tls = (gnutls_session_t)ci->tls_session;
	uint8_t fp[32];
	bool have_fp = api_authcache_fp(tls, fp);
	if (!have_fp || !api_authcache_get(api, fp, &out->id)) {
		int rc = sdns_peercert_identity(tls, api->mesh, &out->id, reason);
		if (rc != SDNS_OK) {
			if (!*reason) *reason = "internal";
			return SDNS_ECERT;
		}
		if (have_fp) api_authcache_put(api, tls, fp, &out->id);
	}
	if (api->cb.is_revoked &&
	    api->cb.is_revoked(api->cb.ctx, out->id.spki_sha256,
	                       out->id.serial_hex)) {
		*reason = "revoked";
		memset(out, 0, sizeof(*out));
		return SDNS_ECERT;
	}
	hex(out->id.cert_sha256, 32, out->fp_hex);
	return SDNS_OK;
}

/* --- refusals: logged always, audited at most 10 per minute per address.
 * A small fixed table: an address that does not fit shares the budget of
 * the slot it evicts, which only makes auditing rarer, never unbounded. */

#define API_REFUSE_SLOTS 256
#define API_REFUSE_PER_MIN 10

struct api_refuse_slot {
	char addr[64];
	time_t minute;
	unsigned count;
};

int api_refuse_init(sdns_api *api)
{
	api->refuse = calloc(API_REFUSE_SLOTS, sizeof(*api->refuse));
	if (!api->refuse) return SDNS_ENOMEM;
	pthread_mutex_init(&api->refuse_lock, NULL);
	return SDNS_OK;
}

void api_refuse_free(sdns_api *api)
{
	if (!api->refuse) return;
	pthread_mutex_destroy(&api->refuse_lock);
	free(api->refuse);
	api->refuse = NULL;
}

static unsigned addr_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool refuse_budget(sdns_api *api, const char *addr)
{
	time_t minute = time(NULL) / 60;
	bool ok;
	pthread_mutex_lock(&api->refuse_lock);
	struct api_refuse_slot *sl =
		&api->refuse[addr_hash(addr) % API_REFUSE_SLOTS];
	if (sl->minute != minute || strcmp(sl->addr, addr) != 0) {
		snprintf(sl->addr, sizeof(sl->addr), "%s", addr);
		sl->minute = minute;
		sl->count = 0;
	}
	ok = sl->count < API_REFUSE_PER_MIN;
	sl->count++;
	pthread_mutex_unlock(&api->refuse_lock);
	return ok;
}

void api_auth_refused(api_req *r, const char *reason)
{
	sdns_api *api = r->api;
	atomic_fetch_add(&api->n_refused, 1);
	sdns_log(SDNS_LOG_INFO, "api_auth_refused", "peer=%s reason=%s path=%s",
	         r->remote, reason, r->path);
	if (!refuse_budget(api, r->remote)) {
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
