/* Verified client certificates, keyed by the SHA-256 of the leaf's DER.
 *
 * A keep-alive client presents the same certificate on every request, and
 * verifying its chain was about a third of the API's CPU for a small write.
 * The TLS handshake has already proved the caller holds the key of exactly
 * these bytes, and the same bytes against the same CA give the same verdict,
 * so the verdict can be reused — for a bounded time (API_AUTHCACHE_TTL, and
 * never past the certificate's notAfter). Only successes are kept; refusals
 * always take the full path, so a cache can never turn a "no" into a "yes".
 * Revocation is NOT cached: api_auth_peer checks it on every request. */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"

#define API_AUTHCACHE_SLOTS 64
#define API_AUTHCACHE_TTL 60 /* seconds */

struct api_authcache {
	pthread_mutex_t mu;
	struct {
		uint8_t fp[32];
		time_t until;      /* 0 = empty */
		sdns_identity id;
	} slot[API_AUTHCACHE_SLOTS];
};

int api_authcache_init(sdns_api *api)
{
	api->authcache = calloc(1, sizeof(*api->authcache));
	if (!api->authcache) return SDNS_ENOMEM;
	pthread_mutex_init(&api->authcache->mu, NULL);
	return SDNS_OK;
}

void api_authcache_free(sdns_api *api)
{
	if (!api->authcache) return;
	pthread_mutex_destroy(&api->authcache->mu);
	free(api->authcache);
	api->authcache = NULL;
}

/* SHA-256 of the leaf the peer presented; false when there is none. */
bool api_authcache_fp(gnutls_session_t s, uint8_t fp[32])
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0) return false;
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data,
	                        certs[0].size, fp) == 0;
}

static size_t slot_of(const uint8_t fp[32])
{
	return fp[0] % API_AUTHCACHE_SLOTS;
}

bool api_authcache_get(sdns_api *api, const uint8_t fp[32],
                       sdns_identity *out)
{
	struct api_authcache *c = api->authcache;
	if (!c) return false;
	bool hit = false;
	time_t now = time(NULL);
	pthread_mutex_lock(&c->mu);
	size_t i = slot_of(fp);
	if (c->slot[i].until > now && memcmp(c->slot[i].fp, fp, 32) == 0) {
		*out = c->slot[i].id;
		hit = true;
	}
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* notAfter of the leaf, or 0 when it cannot be read (then nothing is
 * cached). */
static time_t leaf_not_after(gnutls_session_t s)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt;
	if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0) return 0;
	time_t t = 0;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0)
		t = gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
	return t == (time_t)-1 ? 0 : t;
}

void api_authcache_put(sdns_api *api, gnutls_session_t s,
                       const uint8_t fp[32], const sdns_identity *id)
{
	struct api_authcache *c = api->authcache;
	if (!c) return;
	time_t until = time(NULL) + API_AUTHCACHE_TTL;
	time_t not_after = leaf_not_after(s);
	if (not_after <= 0) return;
	if (not_after < until) until = not_after;
	pthread_mutex_lock(&c->mu);
	size_t i = slot_of(fp);
	memcpy(c->slot[i].fp, fp, 32);
	c->slot[i].id = *id;
	c->slot[i].until = until;
	pthread_mutex_unlock(&c->mu);
}
