/* Client-certificate policy, run inside the TLS handshake.
 *
 * GNUTLS_CERT_REQUIRE alone does not verify the chain (a self-signed rogue
 * certificate passes), so every handshake goes through here: the chain must
 * lead to the mesh CA, be within its validity, carry the clientAuth purpose,
 * and the leaf must hold exactly one well-formed spiffe:// URI SAN in our
 * mesh. */
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>

#include "doq_int.h"
#include "sdns/error.h"

static const char *status_reason(unsigned status)
{
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		return "unknown_ca";
	if (status & GNUTLS_CERT_EXPIRED) return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED) return "not_yet_valid";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH) return "no_client_auth_eku";
	if (status & GNUTLS_CERT_REVOKED) return "revoked";
	return "bad_chain";
}

static int verify_chain(gnutls_session_t s, const char **reason)
{
	gnutls_typed_vdata_st kp = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT,
		.size = 0,
	};
	unsigned status = 0;
	int rv = gnutls_certificate_verify_peers(s, &kp, 1, &status);
	if (rv == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		*reason = "no_certificate";
		return SDNS_ECERT;
	}
	if (rv < 0) {
		*reason = "bad_chain";
		return SDNS_ECERT;
	}
	if (status != 0) {
		*reason = status_reason(status);
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

/* The single URI SAN of the leaf; two URIs would make the identity
 * ambiguous, so they are refused too. */
static int leaf_uri(gnutls_x509_crt_t crt, char *uri, size_t cap,
                    size_t *len, const char **reason)
{
	int found = 0;
	for (unsigned i = 0;; i++) {
		char buf[SDNS_ID_URI_MAX];
		size_t sz = sizeof(buf);
		int rv = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz,
		                                              NULL);
		if (rv == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
		if (rv == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			/* Too long to be ours; still a URI? We cannot tell
			 * cheaply, so only count it if it is one. */
			sz = 0;
			rv = gnutls_x509_crt_get_subject_alt_name(crt, i, NULL,
			                                          &sz, NULL);
			if (rv == GNUTLS_E_SHORT_MEMORY_BUFFER) continue;
			if (rv == GNUTLS_SAN_URI) {
				*reason = "bad_uri_san";
				return SDNS_ECERT;
			}
			continue;
		}
		if (rv < 0) {
			*reason = "bad_uri_san";
			return SDNS_ECERT;
		}
		if (rv != GNUTLS_SAN_URI) continue;
		if (++found > 1 || sz >= cap) {
			*reason = "bad_uri_san";
			return SDNS_ECERT;
		}
		memcpy(uri, buf, sz);
		uri[sz] = '\0';
		*len = sz;
	}
	if (!found) {
		*reason = "no_uri_san";
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

static int read_identity(const gnutls_datum_t *leaf, sdns_identity *out,
                         const char **reason)
{
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0) {
		*reason = "internal";
		return SDNS_ENOMEM;
	}
	int rv = SDNS_ECERT;
	char uri[SDNS_ID_URI_MAX];
	size_t len = 0;
	if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
		*reason = "bad_chain";
		goto out;
	}
	if (leaf_uri(crt, uri, sizeof(uri), &len, reason) != SDNS_OK) goto out;
	if (sdns_identity_parse_uri(uri, len, out) != SDNS_OK ||
	    out->role == SDNS_ROLE_NONE) {
		*reason = "bad_uri_san";
		goto out;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, leaf->data, leaf->size,
	                     out->cert_sha256) < 0) {
		*reason = "internal";
		goto out;
	}
	rv = SDNS_OK;
out:
	gnutls_x509_crt_deinit(crt);
	return rv;
}

int doq_verify_client(gnutls_session_t s, const char *mesh,
                      sdns_doq_admit_fn admit, void *ctx, sdns_identity *out,
                      const char **reason)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0) {
		*reason = "no_certificate";
		return SDNS_ECERT;
	}
	int rv = verify_chain(s, reason);
	if (rv != SDNS_OK) return rv;
	memset(out, 0, sizeof(*out));
	rv = read_identity(&certs[0], out, reason);
	if (rv != SDNS_OK) return rv;
	if (mesh && strcmp(mesh, out->mesh) != 0) {
		*reason = "wrong_mesh";
		return SDNS_ECERT;
	}
	if (admit && admit(ctx, out) != SDNS_OK) {
		*reason = "denied";
		return SDNS_EDENIED;
	}
	return SDNS_OK;
}
