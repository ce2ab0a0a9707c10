/* Enrollment and peers: POST /peers/tokens, POST /enroll (the one route
 * without a client certificate: the token is the credential), GET /peers,
 * DELETE /peers/{id}. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/pki.h"

static const api_field token_fields[] = {
	{"name", API_T_STRING, true, 63},
	{"role", API_T_STRING, true, 16},
	{"ttl_seconds", API_T_INT, false, 0},
};

void api_h_token_create(api_req *r, api_resp *out)
{
	json_t *body = NULL;
	if (api_body_json(r, false, &body, out) != SDNS_OK) return;
	if (api_shape_check(body, token_fields, 3, out) != SDNS_OK) goto done;
	const char *name = json_string_value(json_object_get(body, "name"));
	sdns_role role = sdns_role_from_name(
		json_string_value(json_object_get(body, "role")));
	if (role == SDNS_ROLE_NONE) {
		api_fail(out, API_E_INVALID_FIELD, "role",
		         "role: must be node, admin or client");
		goto done;
	}
	if (sdns_identity_check_name(role, name, strlen(name)) != SDNS_OK) {
		api_fail(out, API_E_INVALID_FIELD, "name", role == SDNS_ROLE_NODE
		         ? "name: a node name is one label, 1..63 of a-z 0-9 - "
		           "(its zone is <name>.<mesh>)"
		         : "name: 1..63 of a-z 0-9 . - (not starting with . or -)");
		goto done;
	}
	json_t *ttl = json_object_get(body, "ttl_seconds");
	int64_t ttl_s = ttl ? json_integer_value(ttl) : 3600;
	if (ttl_s < 1 || ttl_s > 30 * 86400) {
		api_fail(out, API_E_INVALID_FIELD, "ttl_seconds",
		         "ttl_seconds: must be 1..2592000");
		goto done;
	}
	sdns_store *s = api_store(r, out);
	if (!s) goto done;
	json_t *tok = NULL;
	sdns_store_err err;
	int rc = sdns_store_token_create(s, &r->actor, name, role, ttl_s, &tok,
	                                 &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		goto done;
	}
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "sdnsctl enroll --api %s --token %s --dir ./%s",
	         r->api->public_url ? r->api->public_url : "https://HOST:PORT",
	         json_string_value(json_object_get(tok, "token")), name);
	json_object_set_new(tok, "command", json_string(cmd));
	api_resp_json(out, 201, tok);
done:
	json_decref(body);
}

/* ---------- enrollment ---------- */

static const api_field enroll_fields[] = {
	{"token", API_T_STRING, true, 128},
	{"csr", API_T_STRING, true, 16384},
	{"zone_key", API_T_STRING, false, 64},
	{"doq_endpoint", API_T_STRING, false, 255},
};

struct sign_ctx {
	sdns_api *api;
	const char *csr;
	size_t csr_len;
	const char *mesh;
	int rc;              /* the signer's own failure, if any */
	char msg[200];
};

static int sign_csr(void *ctx, sdns_role role, const char *name,
                    char **cert_pem)
{
	struct sign_ctx *sc = ctx;
	sc->rc = sdns_pki_sign_csr(sc->api->ca_path, sc->api->ca_key_path,
	                           sc->csr, sc->csr_len, role, sc->mesh, name,
	                           NULL, 0, cert_pem, sc->msg, sizeof(sc->msg));
	return sc->rc;
}

static int zone_key_of(const json_t *v, uint8_t key[32], api_resp *out)
{
	const char *b64 = json_string_value(v);
	size_t n = 0;
	if (sodium_base642bin(key, 32, b64, strlen(b64), NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32) {
		api_fail(out, API_E_INVALID_FIELD, "zone_key",
		         "zone_key: must be base64 of a 32-byte Ed25519 key");
		return SDNS_EINVAL;
	}
	return SDNS_OK;
}

static void enroll_failed(api_req *r, api_resp *out, int rc,
                          const sdns_store_err *err, const struct sign_ctx *sc)
{
	if (rc == SDNS_EAUTH) {
		/* One answer for unknown, used, expired and forged tokens. */
		api_auth_refused(r, "bad_token");
		api_fail(out, API_E_UNAUTHORIZED, NULL,
		         "invalid or expired enrollment token");
	} else if (sc->rc != SDNS_OK && rc == sc->rc) {
		api_fail(out, API_E_INVALID_FIELD, "csr", "csr: %s",
		         sc->rc == SDNS_ECERT ? "not a valid signed PKCS#10 "
		                                "request"
		                              : "cannot be signed");
		sdns_log(SDNS_LOG_INFO, "api_enroll_csr", "err=%s",
		         sdns_strerror(sc->rc));
	} else {
		api_fail_store(out, rc, err);
	}
}

void api_h_enroll(api_req *r, api_resp *out)
{
	if (!r->api->ca_key_path) {
		api_fail(out, API_E_UNAVAILABLE, NULL,
		         "enrollment is not enabled on this server");
		return;
	}
	json_t *body = NULL;
	if (api_body_json(r, false, &body, out) != SDNS_OK) return;
	uint8_t key[32];
	const uint8_t *zone_key = NULL;
	if (api_shape_check(body, enroll_fields, 4, out) != SDNS_OK) goto done;
	json_t *zk = json_object_get(body, "zone_key");
	if (zk) {
		if (zone_key_of(zk, key, out) != SDNS_OK) goto done;
		zone_key = key;
	}
	sdns_store *s = api_store(r, out);
	if (!s) goto done;
	json_t *csr = json_object_get(body, "csr");
	struct sign_ctx sc = {
		.api = r->api, .csr = json_string_value(csr),
		.csr_len = json_string_length(csr), .mesh = r->api->mesh,
	};
	json_t *res = NULL;
	sdns_store_err err;
	int rc = sdns_store_enroll(
		s, json_string_value(json_object_get(body, "token")), zone_key,
		json_string_value(json_object_get(body, "doq_endpoint")),
		sign_csr, &sc, &res, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		enroll_failed(r, out, rc, &err, &sc);
		goto done;
	}
	json_object_set_new(res, "ca", json_string(r->api->ca_pem));
	snprintf(out->location, sizeof(out->location), "/peers/%lld",
	         (long long)json_integer_value(json_object_get(res, "id")));
	api_resp_json(out, 201, res);
done:
	json_decref(body);
}

/* ---------- peers ---------- */

void api_h_peers_list(api_req *r, api_resp *out)
{
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *peers = NULL;
	sdns_store_err err;
	int rc = sdns_store_peers_list(s, &peers, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	json_t *body = json_object();
	json_object_set_new(body, "peers", peers);
	api_resp_json(out, 200, body);
}

void api_h_peer_revoke(api_req *r, api_resp *out)
{
	int64_t id;
	if (api_param_id(r, 0, &id, out) != SDNS_OK) return;
	const char *reason = api_query(r, "reason");
	if (!reason || !*reason || strlen(reason) > 200)
		reason = "revoked through the API";
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *peer = NULL;
	sdns_store_err err;
	int rc = sdns_store_peer_revoke(s, &r->actor, id, reason, &peer, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, 200, peer);
}

/* ---------- peers certified elsewhere ---------- */

static const api_field peer_add_fields[] = {
	{"certificate", API_T_STRING, true, 16384},
	{"doq_endpoint", API_T_STRING, true, 255},
	{"zone_key", API_T_STRING, true, 64},
};

void api_h_peer_add(api_req *r, api_resp *out)
{
	json_t *body = NULL;
	if (api_body_json(r, false, &body, out) != SDNS_OK) return;
	uint8_t key[32];
	if (api_shape_check(body, peer_add_fields, 3, out) != SDNS_OK ||
	    zone_key_of(json_object_get(body, "zone_key"), key, out) != SDNS_OK)
		goto done;
	sdns_store *s = api_store(r, out);
	if (!s) goto done;
	json_t *res = NULL;
	sdns_store_err err;
	int rc = sdns_store_peer_add(
		s, &r->actor, r->api->ca_pem, r->api->mesh,
		json_string_value(json_object_get(body, "certificate")), key,
		json_string_value(json_object_get(body, "doq_endpoint")), &res,
		&err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		goto done;
	}
	snprintf(out->location, sizeof(out->location), "/peers/%lld",
	         (long long)json_integer_value(json_object_get(res, "id")));
	api_resp_json(out, 201, res);
done:
	json_decref(body);
}
