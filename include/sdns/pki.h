/* The mesh PKI (OpenSSL): a CA, node/admin/client certificates with the
 * SPIFFE URI SAN and the right extended key usages, PKCS#12 bundles for
 * browsers, SPKI pins and fingerprints. Files are PEM; private keys are
 * written mode 0600 and never logged. Used by `sdnsctl pki` and by tests,
 * which make throw-away CAs and odd leaves (expired, serverAuth-only,
 * without URI SAN) at run time. */
#ifndef SDNS_PKI_H
#define SDNS_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/identity.h"

typedef enum { SDNS_KEY_ED25519 = 0, SDNS_KEY_P256 = 1 } sdns_keyalg;

/* Extended key usage choices for a leaf. */
#define SDNS_EKU_SERVER 0x1u
#define SDNS_EKU_CLIENT 0x2u

typedef struct {
	const char *cert_path;   /* PEM certificate to write */
	const char *key_path;    /* PEM private key to write (mode 0600) */
	const char *mesh;        /* CA subject: "<mesh> mesh CA" */
	sdns_keyalg alg;
	int days;                /* validity; 0 = 3650 */
} sdns_pki_ca_opts;

typedef struct {
	const char *ca_cert_path, *ca_key_path;  /* issuer */
	const char *cert_path, *key_path;        /* leaf to write */
	const char *p12_path;    /* optional: PKCS#12 with key+leaf+CA */
	const char *p12_pass;    /* "" allowed */
	sdns_role role;
	const char *mesh, *name; /* URI SAN spiffe://mesh/role/name, CN = name */
	const char *const *sans; /* "127.0.0.1", "::1", "localhost" ... */
	size_t n_sans;           /* IPs become IP SANs, the rest DNS SANs */
	sdns_keyalg alg;
	/* 0 = default for the role: node = server+client, admin/client = client */
	unsigned eku;
	bool omit_uri_san;       /* tests only: leaf without the SPIFFE SAN */
	/* tests only: this URI SAN instead of spiffe://mesh/role/name, written
	 * unchecked (e.g. an unknown role); NULL normally */
	const char *uri_override;
	int64_t not_before_s;    /* offset from now; 0 = now - 5 min */
	int64_t not_after_s;     /* offset from now; 0 = 90 days */
} sdns_pki_leaf_opts;

/* Error texts: these functions write "<what> : <why>" into err (may be NULL)
 * and return a negative code: SDNS_EINVAL bad option, SDNS_EEXIST a key or
 * PKCS#12 file already there (never overwritten: O_EXCL, mode 0600),
 * SDNS_ENOTFOUND/SDNS_EIO files, SDNS_ECERT unreadable or mismatched CA,
 * SDNS_ECRYPTO an OpenSSL failure. Certificates (.pem) are rewritten. */
int sdns_pki_make_ca(const sdns_pki_ca_opts *o, char *err, size_t err_cap);
/* mesh NULL: taken from the CA's subject ("<mesh> mesh CA"). */
int sdns_pki_issue(const sdns_pki_leaf_opts *o, char *err, size_t err_cap);
/* The mesh name of a CA made by sdns_pki_make_ca, from its subject CN. */
int sdns_pki_ca_mesh(const char *ca_cert_path, char *mesh, size_t cap);
/* SDNS_OK when the key file holds the private key of the CA certificate
 * (what POST /enroll signs with); else a code and err says why. */
int sdns_pki_check_ca_key(const char *ca_cert_path, const char *ca_key_path,
                          char *err, size_t err_cap);

/* `sdnsctl pki init`: in dir, ca.pem ca.key node.pem node.key admin.pem
 * admin.key admin.p12 (empty password unless p12_pass). dir is made (0700)
 * if missing. Refuses, before writing anything, when ca.key or another key
 * file is already there (SDNS_EEXIST). Same alg for all three. */
typedef struct {
	const char *dir;
	const char *mesh;        /* default "mesh" */
	const char *node;        /* default: hostname */
	const char *admin;       /* default "admin" */
	const char *const *sans; /* node SANs; default localhost, 127.0.0.1, ::1 */
	size_t n_sans;
	sdns_keyalg alg;
	const char *p12_pass;
} sdns_pki_init_opts;
int sdns_pki_init(const sdns_pki_init_opts *o, char *err, size_t err_cap);

#define SDNS_PKI_PIN_MAX 45  /* 44 base64 chars + NUL */
#define SDNS_PKI_FPR_MAX 65  /* 64 hex chars + NUL */

/* base64(SHA-256(DER SubjectPublicKeyInfo)), as dns-tool and HPKP define. */
int sdns_pki_spki_pin_file(const char *cert_path, char *b64, size_t cap);
/* SHA-256 of the certificate DER, lowercase hex, no ':' separators. */
int sdns_pki_fingerprint_file(const char *cert_path, char *hex, size_t cap);
/* The same two over a DER certificate already in memory (the daemon has the
 * peer's leaf as DER from the TLS stack). */
int sdns_pki_spki_pin_der(const uint8_t *der, size_t len, char *b64, size_t cap);
int sdns_pki_fingerprint_der(const uint8_t *der, size_t len, char *hex,
                             size_t cap);

/* Enrollment: sign a PKCS#10 CSR (PEM) with the CA. The CSR contributes only
 * its public key (its self-signature must verify); subject, URI SAN, EKUs and
 * validity come from role/mesh/name and the defaults of sdns_pki_issue
 * (sans: optional DNS/IP SANs for nodes; mesh NULL: from the CA subject).
 * Extensions and subject the CSR asks for are ignored. *cert_pem is
 * malloc'd (leaf only). SDNS_ECERT for a CSR that does not parse or verify,
 * or whose key is not Ed25519 or ECDSA P-256 (RSA is refused at any size);
 * SDNS_EINVAL for a bad role/name/mesh/SAN. */
int sdns_pki_sign_csr(const char *ca_cert_path, const char *ca_key_path,
                      const char *csr_pem, size_t csr_len, sdns_role role,
                      const char *mesh, const char *name,
                      const char *const *sans, size_t n_sans,
                      char **cert_pem, char *err, size_t err_cap);
/* Make a key and a CSR (CN = name, no extensions) for `sdnsctl enroll`:
 * key written to key_path (0600, O_EXCL: SDNS_EEXIST if it is there, and
 * then nothing is returned), *csr_pem malloc'd. */
int sdns_pki_make_csr(const char *key_path, sdns_keyalg alg,
                      const char *name, char **csr_pem, char *err,
                      size_t err_cap);
/* Serial (lowercase hex, no leading zeros, "0" for zero) and SPKI SHA-256
 * (the raw bytes of sdns_pki_spki_pin_der) of one DER certificate with
 * nothing after it: what the revoked set holds. SDNS_ECERT for bad DER,
 * SDNS_ESPACE when serial_cap is too small (64 bytes always suffice for
 * our 128-bit serials; 2 * 20 + 2 for any RFC 5280 serial). */
int sdns_pki_serial_spki_der(const uint8_t *der, size_t len, char *serial_hex,
                             size_t serial_cap, uint8_t spki_sha256[32]);

#endif
