/* Leaf certificates for nodes, admins and clients, signed by the mesh CA. */
#include "pki_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "sdns/error.h"
#include "sdns/identity.h"

#define LEAF_DAYS 825

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

static int check_opts(const sdns_pki_leaf_opts *o, char *err, size_t cap)
{
	if (!o || !o->ca_cert_path || !o->ca_key_path || !o->cert_path ||
	    !o->key_path || !o->name)
		return pki_fail(err, cap, SDNS_EINVAL, "issue", "missing option");
	if (o->role != SDNS_ROLE_NODE && o->role != SDNS_ROLE_ADMIN &&
	    o->role != SDNS_ROLE_CLIENT)
		return pki_fail(err, cap, SDNS_EINVAL, "role",
		                "must be node, admin or client");
	if (sdns_identity_check_part(o->name, strlen(o->name)) < 0)
		return pki_fail(err, cap, SDNS_EINVAL, o->name,
		                "name must be 1-63 of a-z 0-9 . - (lowercase)");
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
	if (o->p12_path && !o->p12_pass)
		return pki_fail(err, cap, SDNS_EINVAL, "p12", "missing password");
	/* Refused up front rather than after the key and certificate exist. */
	if (o->p12_path && access(o->p12_path, F_OK) == 0)
		return pki_fail(err, cap, SDNS_EEXIST, o->p12_path,
		                "already exists; not overwriting it");
	return SDNS_OK;
}

static int load_ca(const sdns_pki_leaf_opts *o, leaf_state *s, char *err,
                   size_t cap)
{
	int rc = pki_load_cert(o->ca_cert_path, &s->ca, err, cap);
	if (rc == SDNS_OK)
		rc = pki_load_key(o->ca_key_path, &s->ca_key, err, cap);
	if (rc == SDNS_OK && X509_check_private_key(s->ca, s->ca_key) != 1)
		rc = pki_fail(err, cap, SDNS_ECERT, o->ca_key_path,
		              "does not match the CA certificate");
	if (rc == SDNS_OK && X509_check_ca(s->ca) == 0)
		rc = pki_fail(err, cap, SDNS_ECERT, o->ca_cert_path,
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

static int build_leaf(const sdns_pki_leaf_opts *o, leaf_state *s,
                      const char *uri)
{
	int64_t nb = o->not_before_s ? o->not_before_s : -300;
	int64_t na = o->not_after_s ? o->not_after_s : (int64_t)LEAF_DAYS * 86400;
	const char *eku = eku_text(o->eku ? o->eku : default_eku(o->role));
	s->key = pki_keygen(o->alg);
	s->x = s->key ? pki_cert_new(o->name, s->key, nb, na) : NULL;
	return s->x &&
	       X509_set_issuer_name(s->x, X509_get_subject_name(s->ca)) &&
	       pki_add_ext(s->x, s->ca, NID_basic_constraints, "critical,CA:FALSE") &&
	       pki_add_ext(s->x, s->ca, NID_key_usage, "critical,digitalSignature") &&
	       pki_add_ext(s->x, s->ca, NID_ext_key_usage, eku) &&
	       pki_add_ext(s->x, s->ca, NID_subject_key_identifier, "hash") &&
	       pki_add_ext(s->x, s->ca, NID_authority_key_identifier, "keyid:always") &&
	       pki_add_sans(s->x, o->sans, o->n_sans, o->omit_uri_san ? NULL : uri) &&
	       pki_sign(s->x, s->ca_key);
}

int sdns_pki_issue(const sdns_pki_leaf_opts *o, char *err, size_t err_cap)
{
	int rc = check_opts(o, err, err_cap);
	if (rc < 0)
		return rc;
	leaf_state s = {0};
	char uri[SDNS_ID_URI_MAX];
	rc = load_ca(o, &s, err, err_cap);
	if (rc == SDNS_OK)
		rc = leaf_uri(o, s.ca, uri, sizeof(uri), err, err_cap);
	if (rc == SDNS_OK && !build_leaf(o, &s, uri))
		rc = pki_fail(err, err_cap, SDNS_ECRYPTO, o->name, NULL);
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
