/* Client-certificate policy over a GnuTLS session (see sdns/peercert.h).
 *
 * GNUTLS_CERT_REQUIRE alone does not verify the chain (a self-signed rogue
 * certificate passes), and libmicrohttpd verifies nothing, so both the DoQ
 * handshake and every API request come through here. */
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/peercert.h"

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
	/* Plain gnutls_certificate_verify_peers2 would not check the EKU. */
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
			/* Too long to be ours: refuse it if it is a URI,
			 * skip it otherwise (a long DNS name is harmless). */
			sz = 0;
			rv = gnutls_x509_crt_get_subject_alt_name(crt, i, NULL,
			                                          &sz, NULL);
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

int sdns_peercert_serial_hex(const uint8_t *raw, size_t len, char *out,
                             size_t cap)
{
	static const char hx[] = "0123456789abcdef";
	if (!out || cap < 2 || (len && !raw)) return SDNS_EINVAL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t d[2] = {raw[i] >> 4, raw[i] & 0xf};
		for (int k = 0; k < 2; k++) {
			if (o == 0 && d[k] == 0) continue;
			if (o + 1 >= cap) return SDNS_ESPACE;
			out[o++] = hx[d[k]];
		}
	}
	if (o == 0) out[o++] = '0';
	out[o] = '\0';
	return SDNS_OK;
}

static int leaf_serial(gnutls_x509_crt_t crt, sdns_identity *out,
                       const char **reason)
{
	/* 20 octets (RFC 5280 §4.1.2.2) plus a sign octet; a longer one
	 * could not be recorded, so it is refused. */
	uint8_t raw[21];
	size_t sz = sizeof(raw);
	if (gnutls_x509_crt_get_serial(crt, raw, &sz) < 0 ||
	    sdns_peercert_serial_hex(raw, sz, out->serial_hex,
	                             sizeof(out->serial_hex)) != SDNS_OK) {
		*reason = "bad_serial";
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

static int leaf_spki(gnutls_x509_crt_t crt, uint8_t sha[32],
                     const char **reason)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t der = {NULL, 0};
	*reason = "internal";
	if (gnutls_pubkey_init(&pub) < 0) return SDNS_ENOMEM;
	int rv = SDNS_ECERT;
	if (gnutls_pubkey_import_x509(pub, crt, 0) >= 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) >= 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, sha) >= 0)
		rv = SDNS_OK;
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	return rv;
}

static int read_leaf(gnutls_x509_crt_t crt, const gnutls_datum_t *leaf,
                     sdns_identity *out, const char **reason)
{
	char uri[SDNS_ID_URI_MAX];
	size_t len = 0;
	if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
		*reason = "bad_chain";
		return SDNS_ECERT;
	}
	int rv = leaf_uri(crt, uri, sizeof(uri), &len, reason);
	if (rv != SDNS_OK) return rv;
	if (sdns_identity_parse_uri(uri, len, out) != SDNS_OK ||
	    out->role == SDNS_ROLE_NONE) {
		*reason = "bad_uri_san";
		return SDNS_ECERT;
	}
	if ((rv = leaf_serial(crt, out, reason)) != SDNS_OK) return rv;
	if ((rv = leaf_spki(crt, out->spki_sha256, reason)) != SDNS_OK)
		return rv;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, leaf->data, leaf->size,
	                     out->cert_sha256) < 0) {
		*reason = "internal";
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

static int check_peer(gnutls_session_t s, const char *mesh,
                      sdns_identity *out, const char **reason)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0) {
		*reason = "no_certificate";
		return SDNS_ECERT;
	}
	int rv = verify_chain(s, reason);
	if (rv != SDNS_OK) return rv;
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) < 0) {
		*reason = "internal";
		return SDNS_ENOMEM;
	}
	rv = read_leaf(crt, &certs[0], out, reason);
	gnutls_x509_crt_deinit(crt);
	if (rv != SDNS_OK) return rv;
	if (mesh && strcmp(mesh, out->mesh) != 0) {
		*reason = "wrong_mesh";
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

int sdns_peercert_identity(gnutls_session_t s, const char *mesh,
                           sdns_identity *out, const char **reason)
{
	const char *why = "internal";
	memset(out, 0, sizeof(*out));
	int rv = check_peer(s, mesh, out, &why);
	if (rv != SDNS_OK) memset(out, 0, sizeof(*out));
	if (reason) *reason = rv == SDNS_OK ? NULL : why;
	return rv;
}
