/* Client-certificate policy, run inside the TLS handshake: the mesh check
 * shared with the API (sdns/peercert.h), then the caller's admission
 * (revocation, roles). */
#include "doq_int.h"
#include "sdns/error.h"
#include "sdns/peercert.h"

int doq_verify_client(gnutls_session_t s, const char *mesh,
                      sdns_doq_admit_fn admit, void *ctx, sdns_identity *out,
                      const char **reason)
{
	int rv = sdns_peercert_identity(s, mesh, out, reason);
	if (rv != SDNS_OK) return rv;
	if (admit && admit(ctx, out) != SDNS_OK) {
		*reason = "denied";
		return SDNS_EDENIED;
	}
	return SDNS_OK;
}
