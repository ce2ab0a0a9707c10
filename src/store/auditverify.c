/* Verifying the audit chain in the database against keys that do not come
 * from it: each entry must link to the previous one, hash to what it
 * says, and carry a signature by a key of the caller's trust set. The
 * signer_pub column only picks which trusted key to try. */
#include <stdio.h>
#include <string.h>

#include "sdns/error.h"
#include "store_int.h"

/* Why row i does not verify after prev, or NULL when it does; *hash gets
 * its hash. An untrusted signer is copied to w. */
static const char *check_row(PGresult *r, int i, const uint8_t *prev,
                             const sdns_audit_trust *t, uint8_t *hash,
                             sdns_store_audit_walk *w)
{
	uint8_t ph[32], sig[64], pub[32];
	if (sdns_audit_unhex(PQgetvalue(r, i, 8), ph, 32) ||
	    sdns_audit_unhex(PQgetvalue(r, i, 9), hash, 32) ||
	    sdns_audit_unhex(PQgetvalue(r, i, 10), sig, 64) ||
	    sdns_audit_unhex(PQgetvalue(r, i, 11), pub, 32))
		return "malformed hash, signature or key column";
	if (memcmp(ph, prev, 32) != 0)
		return "prev_hash does not match the previous entry's hash";
	json_t *b = st_json_or_null(r, i, 6), *a = st_json_or_null(r, i, 7);
	json_t *e = sdns_audit_entry(st_i64(r, i, 0), PQgetvalue(r, i, 1),
	                             PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
	                             PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
	                             json_is_null(b) ? NULL : b,
	                             json_is_null(a) ? NULL : a, ph);
	uint8_t h[32];
	int rc = e ? sdns_audit_hash(e, ph, h) : SDNS_ENOMEM;
	json_decref(e);
	json_decref(b);
	json_decref(a);
	if (rc) return "entry cannot be canonicalised";
	if (memcmp(h, hash, 32) != 0) return "hash does not match the entry";
	const sdns_audit_trusted *k = sdns_audit_trust_find(t, pub);
	if (!k) {
		memcpy(w->bad_pub, pub, 32);
		w->bad_pub_set = true;
		return "signed by a key this node does not trust";
	}
	if (sdns_audit_verify_sig(k->pub, hash, sig) != SDNS_OK)
		return "signature does not verify";
	return NULL;
}

/* Entry w->id must still be there with w->hash. */
static int check_anchor(sdns_store *s, sdns_store_audit_walk *w,
                        sdns_store_err *err)
{
	char a[24];
	snprintf(a, sizeof a, "%lld", (long long)w->id);
	const char *p[1] = { a };
	PGresult *r;
	int rc = st_q(s, "SELECT encode(hash, 'hex') FROM audit WHERE id = $1",
	              1, p, &r, err);
	if (rc) return rc;
	uint8_t h[32];
	if (PQntuples(r) != 1) {
		w->reason = "entry already verified is gone: the chain was cut";
		w->bad_id = w->id;
	} else if (sdns_audit_unhex(PQgetvalue(r, 0, 0), h, 32) ||
	           memcmp(h, w->hash, 32) != 0) {
		w->reason = "entry already verified has another hash: rewritten";
		w->bad_id = w->id;
	}
	PQclear(r);
	return SDNS_OK;
}

int sdns_store_audit_walk_on(sdns_store *s, const sdns_audit_trust *t,
                             sdns_store_audit_walk *w, int64_t max_rows,
                             sdns_store_err *err)
{
	w->checked = 0;
	w->bad_id = -1;
	w->reason = NULL;
	w->bad_pub_set = false;
	if (w->id > 0) {
		int rc = check_anchor(s, w, err);
		if (rc || w->reason) return rc;
	}
	for (;;) {
		char a[24];
		snprintf(a, sizeof a, "%lld", (long long)w->id);
		const char *p[1] = { a };
		PGresult *r;
		int rc = st_q(s, "SELECT " ST_AUDIT_COLS " FROM audit WHERE id > $1 "
		                 "ORDER BY id LIMIT 1000", 1, p, &r, err);
		if (rc) return rc;
		int n = PQntuples(r);
		for (int i = 0; i < n && !w->reason; i++) {
			if (max_rows > 0 && w->checked >= max_rows) {
				n = 0;
				break;
			}
			uint8_t h[32];
			w->reason = check_row(r, i, w->hash, t, h, w);
			if (w->reason) {
				w->bad_id = st_i64(r, i, 0);
			} else {
				w->id = st_i64(r, i, 0);
				memcpy(w->hash, h, 32);
				w->checked++;
			}
		}
		PQclear(r);
		if (w->reason || n < 1000) break;
	}
	return SDNS_OK;
}

int sdns_store_audit_verify(sdns_store *s, const sdns_audit_trust *t,
                            json_t **out, sdns_store_err *err)
{
	*out = NULL;
	sdns_store_audit_walk w = { 0 };
	int rc = sdns_store_audit_walk_on(s, t, &w, 0, err);
	if (rc) return rc;
	char hash[65];
	sdns_audit_hex(w.hash, 32, hash);
	json_t *head = json_pack("{s:I,s:s}", "id", (json_int_t)w.id, "hash",
	                         hash);
	if (!w.reason) {
		*out = json_pack("{s:b,s:I,s:o}", "ok", 1, "checked",
		                 (json_int_t)w.checked, "head", head);
	} else {
		*out = json_pack("{s:b,s:I,s:I,s:s,s:o}", "ok", 0, "checked",
		                 (json_int_t)w.checked, "first_bad_id",
		                 (json_int_t)w.bad_id, "reason", w.reason, "head",
		                 head);
		if (*out && w.bad_pub_set) {
			char pub[65];
			sdns_audit_hex(w.bad_pub, 32, pub);
			json_object_set_new(*out, "signer_pub", json_string(pub));
		}
	}
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

int sdns_store_audit_head(sdns_store *s, int64_t *id,
                          uint8_t hash[SDNS_AUDIT_HASH_LEN],
                          sdns_store_err *err)
{
	PGresult *r;
	int rc = st_q(s, ST_AUDIT_HEAD_SQL, 0, NULL, &r, err);
	if (rc) return rc;
	*id = 0;
	memset(hash, 0, SDNS_AUDIT_HASH_LEN);
	if (PQntuples(r) == 1) {
		*id = st_i64(r, 0, 0);
		sdns_audit_unhex(PQgetvalue(r, 0, 1), hash, SDNS_AUDIT_HASH_LEN);
	}
	PQclear(r);
	return SDNS_OK;
}
