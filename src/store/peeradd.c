/* Registering an already-certified node of this mesh (POST /peers): each
 * node has its own database, so a peer enrolled elsewhere is added here by
 * certificate. The certificate must chain to the mesh CA and name a node of
 * our mesh; the node row then binds its SPIFFE id to its zone key. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "sdns/pki.h"
#include "store_int.h"

#define PEER_PEM_MAX 16384

/* The node row's view of the certificate. */
typedef struct {
	char fp[SDNS_PKI_FPR_MAX];
	char serial[64];
	char spki_hex[65];
	char not_after[40];
	sdns_identity id;
} peer_cert;

static X509 *pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static X509_STORE *ca_store(const char *ca_pem)
{
	X509_STORE *st = X509_STORE_new();
	BIO *b = BIO_new_mem_buf(ca_pem, -1);
	X509 *ca;
	int n = 0;
	while (st && b && (ca = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(st, ca) == 1) n++;
		X509_free(ca);
	}
	BIO_free(b);
	if (n == 0) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static int chain_ok(X509 *leaf, const char *ca_pem, sdns_store_err *err)
{
	X509_STORE *st = ca_store(ca_pem);
	if (!st) return st_err(err, SDNS_ECONFIG, NULL, "mesh CA unreadable");
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = ctx && X509_STORE_CTX_init(ctx, st, leaf, NULL) == 1 &&
	         X509_verify_cert(ctx) == 1;
	int why = ctx ? X509_STORE_CTX_get_error(ctx) : X509_V_ERR_OUT_OF_MEM;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	if (ok) return SDNS_OK;
	return st_err(err, SDNS_EINVAL, "certificate",
	              "certificate: does not verify against the mesh CA (%s)",
	              X509_verify_cert_error_string(why));
}

/* Exactly one URI SAN, a spiffe id of role node in mesh. */
static int cert_identity(X509 *x, const char *mesh, sdns_identity *id,
                         sdns_store_err *err)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int uris = 0, rc = SDNS_EINVAL;
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI) continue;
		uris++;
		const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
		rc = sdns_identity_parse_uri((const char *)ASN1_STRING_get0_data(u),
		                             (size_t)ASN1_STRING_length(u), id);
	}
	GENERAL_NAMES_free(gens);
	if (uris != 1 || rc != SDNS_OK)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: needs exactly one spiffe:// URI SAN");
	if (id->role != SDNS_ROLE_NODE)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: %s is not a node", id->uri);
	if (mesh && strcmp(id->mesh, mesh) != 0)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: %s is not of mesh %s", id->uri, mesh);
	return SDNS_OK;
}

static int cert_facts(X509 *x, peer_cert *pc, sdns_store_err *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	uint8_t spki[32];
	int rc = len > 0 ? SDNS_OK : SDNS_ECERT;
	if (rc == SDNS_OK)
		rc = sdns_pki_fingerprint_der(der, (size_t)len, pc->fp, sizeof pc->fp);
	if (rc == SDNS_OK)
		rc = sdns_pki_serial_spki_der(der, (size_t)len, pc->serial,
		                              sizeof pc->serial, spki);
	OPENSSL_free(der);
	if (rc != SDNS_OK)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: cannot be read");
	sdns_audit_hex(spki, 32, pc->spki_hex);
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(pc->not_after, sizeof pc->not_after,
		         "%Y-%m-%d %H:%M:%S+00", &tm);
	return SDNS_OK;
}

static int cert_check(const char *ca_pem, const char *mesh, const char *pem,
                      peer_cert *pc, sdns_store_err *err)
{
	if (!pem || strlen(pem) > PEER_PEM_MAX)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: one PEM certificate (at most 16 KiB)");
	X509 *x = pem_x509(pem);
	if (!x)
		return st_err(err, SDNS_EINVAL, "certificate",
		              "certificate: not a PEM certificate");
	int rc = chain_ok(x, ca_pem, err);
	if (rc == SDNS_OK) rc = cert_identity(x, mesh, &pc->id, err);
	if (rc == SDNS_OK) rc = cert_facts(x, pc, err);
	X509_free(x);
	return rc;
}

static int not_revoked(sdns_store *s, const peer_cert *pc, sdns_store_err *err)
{
	const char *p[2] = { pc->serial, pc->spki_hex };
	PGresult *r;
	int rc = st_q(s, "SELECT count(*) FROM revoked WHERE cert_serial = $1 "
	                 "OR spki_sha256 = decode($2, 'hex')", 2, p, &r, err);
	if (rc) return rc;
	bool hit = st_i64(r, 0, 0) > 0;
	PQclear(r);
	if (hit)
		return st_err(err, SDNS_EDENIED, "certificate",
		              "certificate: %s is revoked", pc->id.uri);
	return SDNS_OK;
}

static int exists(sdns_store *s, const peer_cert *pc, sdns_store_err *err)
{
	const char *p[2] = { pc->id.uri, pc->id.name };
	PGresult *r;
	int rc = st_q(s, "SELECT count(*) FROM nodes WHERE spiffe_id = $1 OR "
	                 "name = $2", 2, p, &r, err);
	if (rc) return rc;
	bool hit = st_i64(r, 0, 0) > 0;
	PQclear(r);
	if (hit)
		return st_err(err, SDNS_EEXIST, "certificate",
		              "%s is already registered", pc->id.uri);
	return SDNS_OK;
}

static int add_tx(sdns_store *s, const sdns_actor *actor, const peer_cert *pc,
                  const char *pem, const char *zk_hex, const char *doq,
                  json_t **out, sdns_store_err *err)
{
	int rc = not_revoked(s, pc, err);
	if (rc == SDNS_OK) rc = exists(s, pc, err);
	if (rc) return rc;
	const char *p[9] = { pc->id.name, pc->id.uri, doq, pem, pc->fp,
	                     pc->spki_hex, pc->serial,
	                     pc->not_after[0] ? pc->not_after : NULL, zk_hex };
	PGresult *r;
	rc = st_q(s, "INSERT INTO nodes (name, role, spiffe_id, doq_endpoint, "
	             "cert_pem, cert_sha256, spki_sha256, cert_serial, "
	             "cert_not_after, zone_pubkey) VALUES ($1, 'node', $2, $3, $4, "
	             "decode($5, 'hex'), decode($6, 'hex'), $7, $8, "
	             "decode($9, 'hex')) RETURNING id", 9, p, &r, err);
	if (rc == SDNS_EEXIST)
		return st_err(err, rc, "certificate", "%s is already registered",
		              pc->id.uri);
	if (rc) return rc;
	json_int_t id = (json_int_t)st_i64(r, 0, 0);
	PQclear(r);
	json_t *after = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", id, "name",
	                          pc->id.name, "role", "node", "spiffe_id",
	                          pc->id.uri, "doq_endpoint", doq, "fingerprint",
	                          pc->fp);
	if (!after) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	char obj[40];
	snprintf(obj, sizeof obj, "peer:%lld", (long long)id);
	rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
	                     "peer.add", obj, NULL, after, err);
	if (rc == SDNS_OK) *out = after;
	else json_decref(after);
	return rc;
}

int sdns_store_peer_add(sdns_store *s, const sdns_actor *actor,
                        const char *ca_pem, const char *mesh,
                        const char *cert_pem, const uint8_t zone_key[32],
                        const char *doq_endpoint, json_t **out,
                        sdns_store_err *err)
{
	*out = NULL;
	if (!zone_key)
		return st_err(err, SDNS_EINVAL, "zone_key",
		              "zone_key: required for a node");
	if (!doq_endpoint || !*doq_endpoint || strlen(doq_endpoint) > 300)
		return st_err(err, SDNS_EINVAL, "doq_endpoint",
		              "doq_endpoint: host:port, at most 300 bytes");
	if (!ca_pem) return st_err(err, SDNS_ECONFIG, NULL, "no mesh CA");
	peer_cert pc;
	memset(&pc, 0, sizeof pc);
	int rc = cert_check(ca_pem, mesh, cert_pem, &pc, err);
	if (rc) return rc;
	char zk[65];
	sdns_audit_hex(zone_key, 32, zk);
	json_t *o = NULL;
	rc = st_begin(s, err);
	if (rc) return rc;
	rc = add_tx(s, actor, &pc, cert_pem, zk, doq_endpoint, &o, err);
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK) *out = o;
	else json_decref(o);
	return rc;
}
