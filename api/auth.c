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
