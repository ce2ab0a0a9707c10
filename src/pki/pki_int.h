/* Internals shared by the src/pki files: OpenSSL objects in and out of
 * files, error texts, the parts every certificate has. Not a public API. */
#ifndef SDNS_PKI_INT_H
#define SDNS_PKI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sdns/pki.h"

/* Writes "<what> : <why>" into err; why NULL means the last OpenSSL error
 * (or "unknown"). Clears the OpenSSL error queue. Returns code. */
int pki_fail(char *err, size_t cap, int code, const char *what,
             const char *why);

EVP_PKEY *pki_keygen(sdns_keyalg alg);

/* Private key as unencrypted PKCS#8 PEM in a new file, mode 0600 from the
 * start (O_CREAT|O_EXCL): SDNS_EEXIST if the file is there. */
int pki_write_key(const char *path, EVP_PKEY *key, char *err, size_t cap);
/* Certificate PEM, mode 0644, replacing any old file. */
int pki_write_cert(const char *path, X509 *x, char *err, size_t cap);
/* Bytes into a new file (O_EXCL) or a replaced one; removes a half-written
 * new file. */
int pki_write_file(const char *path, const void *data, size_t len, int mode,
                   bool excl, char *err, size_t cap);

int pki_load_cert(const char *path, X509 **out, char *err, size_t cap);
int pki_load_key(const char *path, EVP_PKEY **out, char *err, size_t cap);

/* A new certificate: v3, random 128-bit positive serial, CN, validity
 * [now + nb_s, now + na_s], public key. Issuer and extensions are the
 * caller's. NULL on failure. */
X509 *pki_cert_new(const char *cn, EVP_PKEY *pub, int64_t nb_s, int64_t na_s);
/* Adds one extension given in openssl.cnf syntax; issuer may be x itself. */
int pki_add_ext(X509 *x, X509 *issuer, int nid, const char *value);
/* Signs with the digest the key type wants (none for Ed25519). */
int pki_sign(X509 *x, EVP_PKEY *key);

/* The mesh name from a CA subject "<mesh> mesh CA"; SDNS_ECERT if none. */
int pki_ca_mesh(X509 *ca, char *mesh, size_t cap);

/* SDNS_OK when san is an IP address or a DNS name (letters, digits, - . _,
 * optional leading "*."), else SDNS_EINVAL. */
int pki_san_check(const char *san);
/* subjectAltName with the sans (IPs as IP, the rest DNS) and the URI
 * (NULL: none); nothing at all when both are empty. */
int pki_add_sans(X509 *x, const char *const *sans, size_t n, const char *uri);

/* The identity parts of leaf options (role, name, mesh, eku, sans):
 * SDNS_EINVAL with the reason in err when one is bad. o->name not NULL. */
int pki_leaf_check_identity(const sdns_pki_leaf_opts *o, char *err,
                            size_t cap);
/* The CA certificate and its key; SDNS_ECERT when they do not match or the
 * certificate is not a CA. The caller frees both, even on failure. */
int pki_load_ca(const char *cert_path, const char *key_path, X509 **ca,
                EVP_PKEY **key, char *err, size_t cap);
/* A leaf for pub signed by the CA: CN = o->name, validity, EKUs (the
 * role's default when o->eku is 0), DNS/IP SANs and the URI SAN
 * spiffe://mesh/role/name (mesh from the CA when o->mesh is NULL). Key and
 * certificate paths in o are not used. */
int pki_leaf_make(const sdns_pki_leaf_opts *o, X509 *ca, EVP_PKEY *ca_key,
                  EVP_PKEY *pub, X509 **out, char *err, size_t cap);

/* SHA-256 of the DER SubjectPublicKeyInfo (what a pin encodes). */
int pki_spki_sha256(X509 *x, uint8_t out[32]);

/* PKCS#12 with key, leaf and CA: AES-256-CBC/PBKDF2, HMAC-SHA256 MAC. */
int pki_write_p12(const char *path, const char *pass, const char *friendly,
                  EVP_PKEY *key, X509 *leaf, X509 *ca, char *err, size_t cap);

#endif
