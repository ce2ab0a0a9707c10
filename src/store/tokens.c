/* One-time enrollment tokens (stored as SHA-256) and their redemption:
 * the token row is locked, the certificate signed by the caller's callback,
 * the node row inserted and the token spent, all in one transaction. */
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "sdns/pki.h"
#include "store_int.h"

#define TOKEN_TTL_MAX (30LL * 86400)
#define BAD_TOKEN "invalid, expired or already used enrollment token"

static void token_hash_hex(const char *token, char hex[65])
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sdns_audit_hex(h, sizeof h, hex);
}

int sdns_store_token_create(sdns_store *s, const sdns_actor *actor,
                            const char *name, sdns_role role,
                            int64_t ttl_seconds, json_t **out,
                            sdns_store_err *err)
{
	*out = NULL;
	if (!name || sdns_identity_check_part(name, strlen(name)) < 0)
		return st_err(err, SDNS_EINVAL, "name", "name: 1..63 of [a-z0-9.-], "
		              "not starting with '-' or '.'");
	if (role != SDNS_ROLE_NODE && role != SDNS_ROLE_ADMIN &&
	    role != SDNS_ROLE_CLIENT)
		return st_err(err, SDNS_EINVAL, "role", "role: node, admin or client");
	if (ttl_seconds < 1 || ttl_seconds > TOKEN_TTL_MAX)
		return st_err(err, SDNS_EINVAL, "ttl_seconds",
		              "ttl_seconds: must be 1..2592000");
	if (sodium_init() < 0)
		return st_err(err, SDNS_ECRYPTO, NULL, "libsodium unavailable");
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	char token[64], hh[65], ttl[24];
	sodium_bin2base64(token, sizeof token, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	token_hash_hex(token, hh);
	snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_seconds);
	const char *p[5] = { hh, name, sdns_role_name(role), ttl, st_actor_uri(actor) };
	PGresult *r = NULL;
	int rc = st_begin(s, err);
	if (rc) return rc;
	rc = st_q(s, "INSERT INTO enroll_tokens (token_hash, name, role, "
	             "expires_at, created_by) VALUES (decode($1, 'hex'), $2, $3, "
	             "now() + make_interval(secs => $4::bigint), $5) RETURNING id, "
	             ST_TS("expires_at"), 5, p, &r, err);
	json_t *after = NULL;
	if (rc == SDNS_OK) {
		after = json_pack("{s:s,s:s,s:s}", "name", name, "role",
		                  sdns_role_name(role), "expires_at",
		                  PQgetvalue(r, 0, 1));
		char obj[40];
		snprintf(obj, sizeof obj, "token:%s", PQgetvalue(r, 0, 0));
		rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
		                     "token.create", obj, NULL, after, err);
	}
	PQclear(r);
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK) {
		*out = json_deep_copy(after);
		json_object_set_new(*out, "token", json_string(token));
	}
	json_decref(after);
	sodium_memzero(token, sizeof token);
	return rc;
}

/* What the node row needs from the issued certificate. */
typedef struct {
	char fp[SDNS_PKI_FPR_MAX];
	char serial[128];
	char spki_hex[65];
	char uri[SDNS_ID_URI_MAX];
	char not_after[40];
} cert_info;

static int cert_uri(X509 *x, char *out, size_t cap)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int rc = SDNS_ECERT;
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI) continue;
		const unsigned char *d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		int n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (n > 0 && (size_t)n < cap) {
			memcpy(out, d, (size_t)n);
			out[n] = 0;
			rc = SDNS_OK;
		}
		break;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

static int cert_parse(const char *pem, cert_info *ci)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x) return SDNS_ECERT;
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	int rc = len > 0 ? SDNS_OK : SDNS_ECERT;
	uint8_t spki[32];
	if (rc == SDNS_OK)
		rc = sdns_pki_fingerprint_der(der, (size_t)len, ci->fp, sizeof ci->fp);
	if (rc == SDNS_OK)
		rc = sdns_pki_serial_spki_der(der, (size_t)len, ci->serial,
		                              sizeof ci->serial, spki);
	if (rc == SDNS_OK) sdns_audit_hex(spki, 32, ci->spki_hex);
	if (rc == SDNS_OK) rc = cert_uri(x, ci->uri, sizeof ci->uri);
	struct tm tm;
	if (rc == SDNS_OK && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(ci->not_after, sizeof ci->not_after, "%Y-%m-%d %H:%M:%S+00", &tm);
	OPENSSL_free(der);
	X509_free(x);
	return rc < 0 ? rc : SDNS_OK;
}

typedef struct {
	const char *token;
	const uint8_t *zone_key;
	const char *doq;
	sdns_store_sign_fn sign;
	void *ctx;
} enroll_in;

static int enroll_tx(sdns_store *s, const enroll_in *in, json_t **out,
                     sdns_store_err *err)
{
	char hh[65];
	token_hash_hex(in->token, hh);
	const char *p1[1] = { hh };
	PGresult *r;
	int rc = st_q(s, "SELECT id, name, role, (expires_at > now() AND used_at "
	                 "IS NULL) FROM enroll_tokens WHERE token_hash = "
	                 "decode($1, 'hex') FOR UPDATE", 1, p1, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 3), "t") != 0) {
		PQclear(r);
		return st_err(err, SDNS_EAUTH, "token", BAD_TOKEN);
	}
	char tid[24], name[64];
	snprintf(tid, sizeof tid, "%s", PQgetvalue(r, 0, 0));
	snprintf(name, sizeof name, "%s", PQgetvalue(r, 0, 1));
	sdns_role role = sdns_role_from_name(PQgetvalue(r, 0, 2));
	PQclear(r);
	if (role == SDNS_ROLE_NODE && !in->zone_key)
		return st_err(err, SDNS_EINVAL, "zone_key",
		              "zone_key: required for a node");
	char *pem = NULL;
	rc = in->sign(in->ctx, role, name, &pem);
	if (rc < 0 || !pem) {
		free(pem);
		return st_err(err, rc < 0 ? rc : SDNS_ECERT, "csr",
		              "csr: cannot be signed (%s)", sdns_strerror(rc));
	}
	cert_info ci;
	memset(&ci, 0, sizeof ci);
	rc = cert_parse(pem, &ci);
	if (rc) {
		free(pem);
		return st_err(err, rc, NULL, "issued certificate cannot be read");
	}
	char zk[65];
	if (in->zone_key) sdns_audit_hex(in->zone_key, 32, zk);
	const char *p[10] = { name, sdns_role_name(role), ci.uri, in->doq, pem,
	                      ci.fp, ci.spki_hex, ci.serial,
	                      ci.not_after[0] ? ci.not_after : NULL,
	                      in->zone_key ? zk : NULL };
	rc = st_q(s, "INSERT INTO nodes (name, role, spiffe_id, doq_endpoint, "
	             "cert_pem, cert_sha256, spki_sha256, cert_serial, "
	             "cert_not_after, zone_pubkey) VALUES ($1, $2, $3, $4, $5, "
	             "decode($6, 'hex'), decode($7, 'hex'), $8, $9, "
	             "decode($10, 'hex')) RETURNING id", 10, p, &r, err);
	if (rc == SDNS_EEXIST)
		st_err(err, rc, "name", "a node named %s is already enrolled", name);
	json_t *after = NULL;
	if (rc == SDNS_OK) {
		const char *p2[2] = { tid, PQgetvalue(r, 0, 0) };
		rc = st_q(s, "UPDATE enroll_tokens SET used_at = now(), node_id = $2 "
		             "WHERE id = $1", 2, p2, NULL, err);
		after = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id",
		                  (json_int_t)st_i64(r, 0, 0), "name", name, "role",
		                  sdns_role_name(role), "spiffe_id", ci.uri,
		                  "fingerprint", ci.fp);
		char obj[40];
		snprintf(obj, sizeof obj, "peer:%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (rc == SDNS_OK)
			rc = st_audit_append(s, ci.uri, ci.fp, "peer.enroll", obj,
			                     NULL, after, err);
	}
	if (rc == SDNS_OK) {
		json_object_del(after, "fingerprint");
		json_object_set_new(after, "certificate", json_string(pem));
		*out = after;
	} else {
		json_decref(after);
	}
	free(pem);
	return rc;
}

int sdns_store_enroll(sdns_store *s, const char *token,
                      const uint8_t *zone_key, const char *doq_endpoint,
                      sdns_store_sign_fn sign, void *sign_ctx, json_t **out,
                      sdns_store_err *err)
{
	*out = NULL;
	if (!token || !*token || strlen(token) > 128)
		return st_err(err, SDNS_EAUTH, "token", BAD_TOKEN);
	if (doq_endpoint && strlen(doq_endpoint) > 300)
		return st_err(err, SDNS_EINVAL, "doq_endpoint",
		              "doq_endpoint: too long");
	enroll_in in = { token, zone_key, doq_endpoint, sign, sign_ctx };
	json_t *o = NULL;
	int rc = st_begin(s, err);
	if (rc) return rc;
	rc = enroll_tx(s, &in, &o, err);
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK) *out = o;
	else json_decref(o);
	return rc;
}
