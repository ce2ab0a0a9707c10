/* Enrolled peers: list, revoke, and the revoked set for the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

#define PEER_COLS "id, name, role, spiffe_id, doq_endpoint, " \
	"encode(cert_sha256, 'hex'), status, " ST_TS("enrolled_at") ", " \
	ST_TS("revoked_at") ", " ST_TS("last_seen") ", " \
	ST_TS("cert_not_after") ", encode(zone_pubkey, 'base64')"

static json_t *peer_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:o}",
	                 "id", (json_int_t)st_i64(r, i, 0), "name",
	                 PQgetvalue(r, i, 1), "role", PQgetvalue(r, i, 2),
	                 "spiffe_id", PQgetvalue(r, i, 3), "doq_endpoint",
	                 st_str_or_null(r, i, 4), "fingerprint",
	                 PQgetvalue(r, i, 5), "status", PQgetvalue(r, i, 6),
	                 "enrolled_at", PQgetvalue(r, i, 7), "revoked_at",
	                 st_str_or_null(r, i, 8), "last_seen",
	                 st_str_or_null(r, i, 9), "cert_not_after",
	                 st_str_or_null(r, i, 10), "zone_key",
	                 st_str_or_null(r, i, 11));
}

int sdns_store_peers_list(sdns_store *s, json_t **out, sdns_store_err *err)
{
	*out = NULL;
	PGresult *r;
	int rc = st_q(s, "SELECT " PEER_COLS " FROM nodes ORDER BY id", 0, NULL,
	              &r, err);
	if (rc) return rc;
	json_t *a = json_array();
	for (int i = 0; a && i < PQntuples(r); i++)
		json_array_append_new(a, peer_json(r, i));
	PQclear(r);
	*out = a;
	return a ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static int peer_get(sdns_store *s, const char *id, bool lock, json_t **out,
                    bool *revoked, sdns_store_err *err)
{
	const char *p[1] = { id };
	PGresult *r;
	int rc = st_q(s, lock ? "SELECT " PEER_COLS " FROM nodes WHERE id = $1 "
	                        "FOR UPDATE"
	                      : "SELECT " PEER_COLS " FROM nodes WHERE id = $1",
	              1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "id", "peer %s not found", id);
	}
	if (revoked) *revoked = !strcmp(PQgetvalue(r, 0, 6), "revoked");
	*out = peer_json(r, 0);
	PQclear(r);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static int revoke_tx(sdns_store *s, const sdns_actor *actor, const char *id,
                     const char *reason, json_t **after, sdns_store_err *err)
{
	json_t *before = NULL;
	bool revoked = false;
	int rc = peer_get(s, id, true, &before, &revoked, err);
	if (rc == SDNS_OK && revoked)
		rc = st_err(err, SDNS_EEXIST, "id", "peer %s is already revoked", id);
	const char *p[2] = { id, reason ? reason : "" };
	if (rc == SDNS_OK)
		rc = st_q(s, "UPDATE nodes SET status = 'revoked', revoked_at = now() "
		             "WHERE id = $1", 1, p, NULL, err);
	if (rc == SDNS_OK)
		rc = st_q(s, "INSERT INTO revoked (cert_serial, spki_sha256, node_id, "
		             "reason) SELECT cert_serial, spki_sha256, id, $2 FROM "
		             "nodes WHERE id = $1", 2, p, NULL, err);
	if (rc == SDNS_OK) rc = peer_get(s, id, false, after, NULL, err);
	if (rc == SDNS_OK) {
		char obj[40];
		snprintf(obj, sizeof obj, "peer:%s", id);
		rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
		                     "peer.revoke", obj, before, *after, err);
	}
	json_decref(before);
	return rc;
}

int sdns_store_peer_revoke(sdns_store *s, const sdns_actor *actor, int64_t id,
                           const char *reason, json_t **out,
                           sdns_store_err *err)
{
	if (out) *out = NULL;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	json_t *after = NULL;
	int rc = st_begin(s, err);
	if (rc) return rc;
	rc = revoke_tx(s, actor, ids, reason, &after, err);
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK && out) *out = after;
	else json_decref(after);
	return rc;
}

int sdns_store_load_revoked(sdns_store *s, sdns_revoked **out,
                            sdns_store_err *err)
{
	*out = NULL;
	PGresult *r;
	int rc = st_q(s, "SELECT cert_serial, encode(spki_sha256, 'hex') "
	                 "FROM revoked", 0, NULL, &r, err);
	if (rc) return rc;
	size_t n = (size_t)PQntuples(r);
	const char **ser = calloc(n ? n : 1, sizeof *ser);
	uint8_t (*spki)[32] = calloc(n ? n : 1, sizeof *spki);
	if (ser && spki) {
		for (size_t i = 0; i < n; i++) {
			ser[i] = PQgetvalue(r, (int)i, 0);
			sdns_audit_unhex(PQgetvalue(r, (int)i, 1), spki[i], 32);
		}
		*out = sdns_revoked_new(ser, (const uint8_t(*)[32])spki, n);
	}
	free(ser);
	free(spki);
	PQclear(r);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}
