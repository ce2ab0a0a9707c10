/* The mesh CA: self-signed, CA:TRUE pathlen:0, signs leaves and CRLs. */
#include "pki_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sdns/error.h"
#include "sdns/identity.h"

static const char ca_suffix[] = " mesh CA";

static int ca_extensions(X509 *x)
{
	/* SKI before AKI: the AKI of a self-signed cert copies its own SKI. */
	return pki_add_ext(x, x, NID_basic_constraints,
	                   "critical,CA:TRUE,pathlen:0") &&
	       pki_add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
	       pki_add_ext(x, x, NID_subject_key_identifier, "hash") &&
	       pki_add_ext(x, x, NID_authority_key_identifier, "keyid:always");
}

int sdns_pki_make_ca(const sdns_pki_ca_opts *o, char *err, size_t err_cap)
{
	if (!o || !o->cert_path || !o->key_path || !o->mesh)
		return pki_fail(err, err_cap, SDNS_EINVAL, "ca", "missing option");
	if (sdns_identity_check_part(o->mesh, strlen(o->mesh)) < 0)
		return pki_fail(err, err_cap, SDNS_EINVAL, o->mesh,
		                "mesh name must be 1-63 of a-z 0-9 . -");
	if (o->days < 0)
		return pki_fail(err, err_cap, SDNS_EINVAL, "ca",
		                "validity days must be positive");
	char cn[SDNS_ID_PART_MAX + sizeof(ca_suffix)];
	snprintf(cn, sizeof(cn), "%s%s", o->mesh, ca_suffix);
	int64_t days = o->days ? o->days : 3650;

	int rc = SDNS_ECRYPTO;
	EVP_PKEY *key = pki_keygen(o->alg);
	X509 *x = key ? pki_cert_new(cn, key, -300, days * 86400) : NULL;
	if (!x || !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !ca_extensions(x) || !pki_sign(x, key)) {
		rc = pki_fail(err, err_cap, SDNS_ECRYPTO, "ca", NULL);
		goto out;
	}
	rc = pki_write_key(o->key_path, key, err, err_cap);
	if (rc == SDNS_OK)
		rc = pki_write_cert(o->cert_path, x, err, err_cap);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int pki_ca_mesh(X509 *ca, char *mesh, size_t cap)
{
	char cn[256];
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(ca),
	                                  NID_commonName, cn, sizeof(cn));
	size_t sl = sizeof(ca_suffix) - 1;
	if (n <= (int)sl || strcmp(cn + n - sl, ca_suffix) != 0)
		return SDNS_ECERT;
	size_t ml = (size_t)n - sl;
	if (sdns_identity_check_part(cn, ml) < 0)
		return SDNS_ECERT;
	if (ml >= cap)
		return SDNS_ESPACE;
	memcpy(mesh, cn, ml);
	mesh[ml] = '\0';
	return SDNS_OK;
}

int sdns_pki_ca_mesh(const char *ca_cert_path, char *mesh, size_t cap)
{
	X509 *x = NULL;
	int rc = pki_load_cert(ca_cert_path, &x, NULL, 0);
	if (rc == SDNS_OK)
		rc = pki_ca_mesh(x, mesh, cap);
	X509_free(x);
	return rc;
}

int sdns_pki_check_ca_key(const char *ca_cert_path, const char *ca_key_path,
                          char *err, size_t cap)
{
	X509 *ca = NULL;
	EVP_PKEY *key = NULL;
	int rc = pki_load_cert(ca_cert_path, &ca, err, cap);
	if (rc == SDNS_OK) rc = pki_load_key(ca_key_path, &key, err, cap);
	if (rc == SDNS_OK && X509_check_private_key(ca, key) != 1)
		rc = pki_fail(err, cap, SDNS_ECERT, ca_key_path,
		              "not the key of the CA certificate");
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(ca);
	return rc;
}
