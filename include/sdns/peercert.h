/* The mesh's client-certificate check over a GnuTLS session, shared by the
 * DoQ server (inside the handshake) and the REST API (per request, since
 * libmicrohttpd verifies nothing itself): the chain must lead to the
 * session's trusted CA, be within its validity, carry the clientAuth
 * purpose, and the leaf must hold exactly one well-formed spiffe:// URI SAN
 * of a known role in the expected mesh. Revocation and role policy are the
 * caller's (they need the store's revoked set). */
#ifndef SDNS_PEERCERT_H
#define SDNS_PEERCERT_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/identity.h"

/* Verify the peer of s and fill out (role, mesh, name, uri, cert_sha256,
 * spki_sha256, serial_hex). mesh NULL accepts any mesh the CA signed.
 * Returns SDNS_OK, SDNS_ECERT (refused) or SDNS_ENOMEM; on failure out is
 * zeroed and *reason names why, as a log keyword:
 *   no_certificate, unknown_ca, expired, not_yet_valid, no_client_auth_eku,
 *   revoked (a CRL in the credentials said so), bad_chain (anything else
 *   in the chain), no_uri_san, bad_uri_san (unparsable, several URIs, or
 *   unknown role), wrong_mesh, internal.
 * reason (may be NULL) gets a static string, or NULL on success. */
int sdns_peercert_identity(gnutls_session_t s, const char *mesh,
                           sdns_identity *out, const char **reason);

/* A certificate serial as the INTEGER's content octets (what
 * gnutls_x509_crt_get_serial gives, big-endian, maybe with a leading 0x00)
 * into lowercase hex without leading zeros, "0" for zero: the spelling the
 * store records. cap must hold 2 * len + 1 (at least 2). */
int sdns_peercert_serial_hex(const uint8_t *raw, size_t len, char *out,
                             size_t cap);

#endif
