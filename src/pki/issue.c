/* Leaf certificates for nodes, admins and clients, signed by the mesh CA. */
#include "pki_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "sdns/error.h"
#include "sdns/identity.h"

/* Short-lived by default: a leaked key is good for weeks, not years. */
#define LEAF_DAYS 90

typedef struct {
	X509 *ca;
	EVP_PKEY *ca_key;
	EVP_PKEY *key;
	X509 *x;
} leaf_state;

static void leaf_state_free(leaf_state *s)
{
	X509_free(s->ca);
	EVP_PKEY_free(s->ca_key);
	EVP_PKEY_free(s->key);
	X509_free(s->x);
}

static unsigned default_eku(sdns_role role)
{
	return role == SDNS_ROLE_NODE ? SDNS_EKU_SERVER | SDNS_EKU_CLIENT
	                              : SDNS_EKU_CLIENT;
}

static const char *eku_text(unsigned eku)
{
	switch (eku) {
	case SDNS_EKU_SERVER: return "serverAuth";
	case SDNS_EKU_CLIENT: return "clientAuth";
	case SDNS_EKU_SERVER | SDNS_EKU_CLIENT: return "serverAuth,clientAuth";
	}
	return NULL;
}

int pki_leaf_check_identity(const sdns_pki_leaf_opts *o, char *err,
                            size_t cap)
{
	if (o->role != SDNS_ROLE_NODE && o->role != SDNS_ROLE_ADMIN &&
	    o->role != SDNS_ROLE_CLIENT)
		return pki_fail(err, cap, SDNS_EINVAL, "role",
		                "must be node, admin or client");
	if (sdns_identity_check_part(o->name, strlen(o->name)) < 0)
		return pki_fail(err, cap, SDNS_EINVAL, o->name,
		                "name must be 1-63 of a-z 0-9 . - (lowercase)");
	if (sdns_identity_check_name(o->role, o->name, strlen(o->name)) < 0)
		return pki_fail(err, cap, SDNS_EINVAL, o->name,
		                "a node name is one label, no '.' (its zone is "
		                "<name>.<mesh>)");
	if (o->mesh && sdns_identity_check_part(o->mesh, strlen(o->mesh)) < 0)
		return pki_fail(err, cap, SDNS_EINVAL, o->mesh,
		                "mesh name must be 1-63 of a-z 0-9 . -");
	if (o->eku & ~(SDNS_EKU_SERVER | SDNS_EKU_CLIENT))
		return pki_fail(err, cap, SDNS_EINVAL, "eku", "unknown bits");
	if (o->n_sans && !o->sans)
		return pki_fail(err, cap, SDNS_EINVAL, "san", "missing list");
	for (size_t i = 0; i < o->n_sans; i++)
		if (!o->sans[i] || pki_san_check(o->sans[i]) < 0)
			return pki_fail(err, cap, SDNS_EINVAL,
			                o->sans[i] ? o->sans[i] : "san",
			                "not an IP address or DNS name");
	return SDNS_OK;
}

static int check_opts(const sdns_pki_leaf_opts *o, char *err, size_t cap)
{
	if (!o || !o->ca_cert_path || !o->ca_key_path || !o->cert_path ||
	    !o->key_path || !o->name)
		return pki_fail(err, cap, SDNS_EINVAL, "issue", "missing option");
	int rc = pki_leaf_check_identity(o, err, cap);
	if (rc < 0)
		return rc;
	if (o->p12_path && !o->p12_pass)
		return pki_fail(err, cap, SDNS_EINVAL, "p12", "missing password");
	/* Refused up front rather than after the key and certificate exist. */
	if (o->p12_path && access(o->p12_path, F_OK) == 0)
		return pki_fail(err, cap, SDNS_EEXIST, o->p12_path,
		                "already exists; not overwriting it");
	return SDNS_OK;
}

int pki_load_ca(const char *cert_path, const char *key_path, X509 **ca,
                EVP_PKEY **key, char *err, size_t cap)
{
	int rc = pki_load_cert(cert_path, ca, err, cap);
	if (rc == SDNS_OK)
		rc = pki_load_key(key_path, key, err, cap);
	if (rc == SDNS_OK && X509_check_private_key(*ca, *key) != 1)
		rc = pki_fail(err, cap, SDNS_ECERT, key_path,
		              "does not match the CA certificate");
	if (rc == SDNS_OK && X509_check_ca(*ca) == 0)
		rc = pki_fail(err, cap, SDNS_ECERT, cert_path,
		              "not a CA certificate");
	return rc;
}

/* The URI SAN: spiffe://mesh/role/name, or the test override. */
static int leaf_uri(const sdns_pki_leaf_opts *o, X509 *ca, char *uri,
                    size_t cap, char *err, size_t err_cap)
{
	if (o->uri_override) {
		int n = snprintf(uri, cap, "%s", o->uri_override);
		return n < 0 || (size_t)n >= cap
		               ? pki_fail(err, err_cap, SDNS_EINVAL, "uri", "too long")
		               : SDNS_OK;
	}
	char mesh[SDNS_ID_PART_MAX];
	const char *m = o->mesh;
	if (!m) {
		if (pki_ca_mesh(ca, mesh, sizeof(mesh)) < 0)
			return pki_fail(err, err_cap, SDNS_ECERT, o->ca_cert_path,
			                "no mesh name in the CA subject; give one");
		m = mesh;
	}
	if (sdns_identity_format_uri(o->role, m, o->name, uri, cap) < 0)
		return pki_fail(err, err_cap, SDNS_EINVAL, m, "bad mesh name");
	return SDNS_OK;
}

/* Issuer, extensions and signature of a leaf whose key and validity are
 * set: the same for issued and CSR-signed leaves. */
static int build_leaf(const sdns_pki_leaf_opts *o, X509 *ca,
                      EVP_PKEY *ca_key, X509 *x, const char *uri)
{
	const char *eku = eku_text(o->eku ? o->eku : default_eku(o->role));
	return X509_set_issuer_name(x, X509_get_subject_name(ca)) &&
	       pki_add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
	       pki_add_ext(x, ca, NID_key_usage, "critical,digitalSignature") &&
	       pki_add_ext(x, ca, NID_ext_key_usage, eku) &&
	       pki_add_ext(x, ca, NID_subject_key_identifier, "hash") &&
	       pki_add_ext(x, ca, NID_authority_key_identifier, "keyid:always") &&
	       pki_add_sans(x, o->sans, o->n_sans, o->omit_uri_san ? NULL : uri) &&
	       pki_sign(x, ca_key);
}

int pki_leaf_make(const sdns_pki_leaf_opts *o, X509 *ca, EVP_PKEY *ca_key,
                  EVP_PKEY *pub, X509 **out, char *err, size_t cap)
{
	char uri[SDNS_ID_URI_MAX];
	int rc = leaf_uri(o, ca, uri, sizeof(uri), err, cap);
	if (rc < 0)
		return rc;
	int64_t nb = o->not_before_s ? o->not_before_s : -300;
	int64_t na = o->not_after_s ? o->not_after_s : (int64_t)LEAF_DAYS * 86400;
	X509 *x = pki_cert_new(o->name, pub, nb, na);
	if (!x || !build_leaf(o, ca, ca_key, x, uri)) {
		X509_free(x);
		return pki_fail(err, cap, SDNS_ECRYPTO, o->name, NULL);
	}
	*out = x;
	return SDNS_OK;
}

int sdns_pki_issue(const sdns_pki_leaf_opts *o, char *err, size_t err_cap)
{
	int rc = check_opts(o, err, err_cap);
	if (rc < 0)
		return rc;
	leaf_state s = {0};
	rc = pki_load_ca(o->ca_cert_path, o->ca_key_path, &s.ca, &s.ca_key, err,
	                 err_cap);
	if (rc == SDNS_OK && !(s.key = pki_keygen(o->alg)))
		rc = pki_fail(err, err_cap, SDNS_ECRYPTO, o->name, NULL);
	if (rc == SDNS_OK)
		rc = pki_leaf_make(o, s.ca, s.ca_key, s.key, &s.x, err, err_cap);
	/* Key first: it refuses to overwrite, and then nothing else is written. */
	if (rc == SDNS_OK)
		rc = pki_write_key(o->key_path, s.key, err, err_cap);
	if (rc == SDNS_OK)
		rc = pki_write_cert(o->cert_path, s.x, err, err_cap);
	if (rc == SDNS_OK && o->p12_path)
		rc = pki_write_p12(o->p12_path, o->p12_pass, o->name, s.key, s.x,
		                   s.ca, err, err_cap);
	leaf_state_free(&s);
	return rc;
}
