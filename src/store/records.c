/* Records of a zone: list, add, update, delete. Each write locks the zone
 * row, checks If-Match, bumps the serial and appends the audit entry in the
 * same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

int st_zone_lock(sdns_store *s, const char *zone, int64_t if_match,
                 int64_t *zone_id, sdns_store_err *err)
{
	PGresult *r;
	const char *p[1] = { zone };
	int rc = st_q(s, "SELECT id, serial FROM zones WHERE name = $1 FOR UPDATE",
	              1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", zone);
	}
	*zone_id = st_i64(r, 0, 0);
	int64_t serial = st_i64(r, 0, 1);
	PQclear(r);
	if (if_match >= 0 && if_match != serial)
		return st_err(err, SDNS_EPRECOND, NULL,
		              "zone %s is at serial %lld, not %lld", zone,
		              (long long)serial, (long long)if_match);
	return SDNS_OK;
}

int st_zone_bump(sdns_store *s, int64_t zone_id, uint32_t *serial,
                 sdns_store_err *err)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)zone_id);
	const char *p[1] = { id };
	PGresult *r;
	int rc = st_q(s, "UPDATE zones SET serial = CASE WHEN serial >= 4294967295 "
	                 "THEN 1 ELSE serial + 1 END, updated_at = now() "
	                 "WHERE id = $1 RETURNING serial", 1, p, &r, err);
	if (rc) return rc;
	if (serial) *serial = (uint32_t)st_i64(r, 0, 0);
	PQclear(r);
	return SDNS_OK;
}

static char *hex_of(const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char *h = malloc(n * 2 + 1);
	if (!h) return NULL;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = d[b[i] >> 4];
		h[2 * i + 1] = d[b[i] & 15];
	}
	h[2 * n] = 0;
	return h;
}

/* Parameters of a record row: name, type, ttl, text, hex wire. */
typedef struct {
	char type[8], ttl[16];
	char *hex;
	const char *p[6];
} rec_params;

static int rec_params_set(rec_params *rp, const st_rec *r, const char *first)
{
	snprintf(rp->type, sizeof rp->type, "%u", r->type);
	snprintf(rp->ttl, sizeof rp->ttl, "%u", r->ttl);
	rp->hex = hex_of(r->wire, r->wlen);
	if (!rp->hex) return SDNS_ENOMEM;
	rp->p[0] = first;
	rp->p[1] = r->name;
	rp->p[2] = rp->type;
	rp->p[3] = rp->ttl;
	rp->p[4] = r->text;
	rp->p[5] = rp->hex;
	return SDNS_OK;
}

int st_rec_insert(sdns_store *s, int64_t zone_id, const st_rec *r,
                  int64_t *id, sdns_store_err *err)
{
	return st_rec_insert2(s, zone_id, r, false, id, err);
}

int st_rec_insert2(sdns_store *s, int64_t zone_id, const st_rec *r,
                   bool skip_dup, int64_t *id, sdns_store_err *err)
{
	char zid[24];
	snprintf(zid, sizeof zid, "%lld", (long long)zone_id);
	rec_params rp;
	if (rec_params_set(&rp, r, zid))
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	PGresult *res;
	int rc = st_q(s, skip_dup ? "INSERT INTO records (zone_id, name, type, "
	                 "ttl, rdata_text, rdata) VALUES ($1, $2, $3, $4, $5, "
	                 "decode($6, 'hex')) ON CONFLICT DO NOTHING RETURNING id"
	                 : "INSERT INTO records (zone_id, name, type, ttl, "
	                 "rdata_text, rdata) VALUES ($1, $2, $3, $4, $5, "
	                 "decode($6, 'hex')) RETURNING id", 6, rp.p, &res, err);
	free(rp.hex);
	if (rc == SDNS_EEXIST)
		return st_err(err, rc, NULL, "record %s %s %s already exists",
		              r->name, rp.type, r->text);
	if (rc) return rc;
	if (id) *id = PQntuples(res) ? st_i64(res, 0, 0) : 0;
	PQclear(res);
	return SDNS_OK;
}

/* The SOA text with its third field (serial) replaced. */
static char *soa_with_serial(const char *text, uint32_t serial)
{
	size_t n = strlen(text);
	char *out = malloc(n + 16);
	if (!out) return NULL;
	const char *p = text;
	for (int field = 0; field < 2 && *p; field++) {
		while (*p && *p != ' ' && *p != '\t') p++;
		while (*p == ' ' || *p == '\t') p++;
	}
	const char *end = p;
	while (*end && *end != ' ' && *end != '\t') end++;
	if (!*p) {
		memcpy(out, text, n + 1);
		return out;
	}
	snprintf(out, n + 16, "%.*s%u%s", (int)(p - text), text, serial, end);
	return out;
}

json_t *st_rec_row_json(PGresult *r, int i, uint32_t serial)
{
	uint16_t type = (uint16_t)st_i64(r, i, 2);
	char tbuf[16];
	const char *text = PQgetvalue(r, i, 4);
	char *soa = type == SDNS_T_SOA ? soa_with_serial(text, serial) : NULL;
	json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id",
	                      (json_int_t)st_i64(r, i, 0), "name",
	                      PQgetvalue(r, i, 1), "type",
	                      sdns_type_to_str(type, tbuf, sizeof tbuf), "ttl",
	                      (json_int_t)st_i64(r, i, 3), "value",
	                      soa ? soa : text);
	free(soa);
	return o;
}

/* Record id of zone_id as JSON (for audit and replies). */
static int rec_get(sdns_store *s, int64_t zone_id, int64_t id, uint32_t serial,
                   json_t **out, uint16_t *type, sdns_store_err *err)
{
	char a[24], b[24];
	snprintf(a, sizeof a, "%lld", (long long)id);
	snprintf(b, sizeof b, "%lld", (long long)zone_id);
	const char *p[2] = { a, b };
	PGresult *r;
	int rc = st_q(s, "SELECT " ST_REC_COLS " FROM records WHERE id = $1 "
	                 "AND zone_id = $2", 2, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "id", "record %lld not found",
		              (long long)id);
	}
	if (type) *type = (uint16_t)st_i64(r, 0, 2);
	*out = st_rec_row_json(r, 0, serial);
	PQclear(r);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static int zone_serial(sdns_store *s, int64_t zone_id, uint32_t *serial,
                       sdns_store_err *err)
{
	char a[24];
	snprintf(a, sizeof a, "%lld", (long long)zone_id);
	const char *p[1] = { a };
	PGresult *r;
	int rc = st_q(s, "SELECT serial FROM zones WHERE id = $1", 1, p, &r, err);
	if (rc) return rc;
	*serial = PQntuples(r) ? (uint32_t)st_i64(r, 0, 0) : 0;
	PQclear(r);
	return SDNS_OK;
}

int sdns_store_records_list(sdns_store *s, const char *zone, json_t **out,
                            sdns_store_err *err)
{
	*out = NULL;
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	const char *p[1] = { z };
	PGresult *r;
	rc = st_q(s, "SELECT r.id, r.name, r.type, r.ttl, r.rdata_text, z.serial, "
	             "z.id FROM zones z LEFT JOIN records r ON r.zone_id = z.id "
	             "WHERE z.name = $1 ORDER BY r.id", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", z);
	}
	json_t *a = json_array();
	for (int i = 0; a && i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, 0)) continue;
		json_array_append_new(a, st_rec_row_json(r, i,
		                                         (uint32_t)st_i64(r, i, 5)));
	}
	PQclear(r);
	*out = a;
	return a ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static char *rec_object(const char *zone, int64_t id)
{
	char *o = malloc(strlen(zone) + 32);
	if (o) sprintf(o, "record:%s/%lld", zone, (long long)id);
	return o;
}

/* Audit the change of record id and fetch what to return. */
static int rec_done(sdns_store *s, const sdns_actor *actor, const char *action,
                    const char *zone, int64_t zone_id, int64_t id,
                    json_t *before, json_t **out, uint32_t *serial,
                    sdns_store_err *err)
{
	uint32_t ser;
	json_t *after = NULL;
	int rc = st_zone_bump(s, zone_id, &ser, err);
	if (rc == SDNS_OK && strcmp(action, "record.delete"))
		rc = rec_get(s, zone_id, id, ser, &after, NULL, err);
	char *obj = rc ? NULL : rec_object(zone, id);
	if (rc == SDNS_OK && !obj) rc = st_err(err, SDNS_ENOMEM, NULL, "oom");
	if (rc == SDNS_OK)
		rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
		                     action, obj, before, after, err);
	free(obj);
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK && serial) *serial = ser;
	if (rc == SDNS_OK && out) *out = after;
	else json_decref(after);
	return rc;
}

static int rec_prepare(const char *zone, const json_t *rec, char *z,
                       st_rec *sr, sdns_store_err *err)
{
	sdns_name apex;
	int rc = st_zone_norm(zone, z, 256, &apex, err);
	if (rc) return rc;
	return st_rec_from_json(rec, z, &apex, sr, err);
}

int sdns_store_record_add(sdns_store *s, const sdns_actor *actor,
                          const char *zone, const json_t *rec,
                          int64_t if_match, json_t **out, uint32_t *serial,
                          sdns_store_err *err)
{
	if (out) *out = NULL;
	char z[256];
	st_rec sr;
	int rc = rec_prepare(zone, rec, z, &sr, err);
	if (rc) return rc;
	int64_t zid, id = 0;
	if ((rc = st_begin(s, err))) goto out;
	rc = st_zone_lock(s, z, if_match, &zid, err);
	if (rc == SDNS_OK && sr.type == SDNS_T_SOA)
		rc = st_err(err, SDNS_EZONE, "type", "zone %s already has an SOA "
		            "record (update it instead)", z);
	if (rc == SDNS_OK) rc = st_rec_insert(s, zid, &sr, &id, err);
	if (rc) {
		st_rollback(s);
		goto out;
	}
	rc = rec_done(s, actor, "record.create", z, zid, id, NULL, out, serial, err);
out:
	st_rec_clear(&sr);
	return rc;
}

static int rec_replace(sdns_store *s, int64_t id, const st_rec *sr,
                       sdns_store_err *err)
{
	char a[24];
	snprintf(a, sizeof a, "%lld", (long long)id);
	rec_params rp;
	if (rec_params_set(&rp, sr, a))
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	int rc = st_q(s, "UPDATE records SET name = $2, type = $3, ttl = $4, "
	                 "rdata_text = $5, rdata = decode($6, 'hex'), "
	                 "updated_at = now() WHERE id = $1", 6, rp.p, NULL, err);
	free(rp.hex);
	if (rc == SDNS_EEXIST)
		return st_err(err, rc, NULL, "record %s %s %s already exists",
		              sr->name, rp.type, sr->text);
	return rc;
}

int sdns_store_record_update(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, const json_t *rec,
                             int64_t if_match, json_t **out, uint32_t *serial,
                             sdns_store_err *err)
{
	if (out) *out = NULL;
	char z[256];
	st_rec sr;
	int rc = rec_prepare(zone, rec, z, &sr, err);
	if (rc) return rc;
	json_t *before = NULL;
	int64_t zid;
	uint16_t old_type = 0;
	uint32_t ser = 0;
	if ((rc = st_begin(s, err))) goto out;
	rc = st_zone_lock(s, z, if_match, &zid, err);
	if (rc == SDNS_OK) rc = zone_serial(s, zid, &ser, err);
	if (rc == SDNS_OK) rc = rec_get(s, zid, id, ser, &before, &old_type, err);
	if (rc == SDNS_OK && (old_type == SDNS_T_SOA) != (sr.type == SDNS_T_SOA))
		rc = st_err(err, SDNS_EZONE, "type", "zone %s must keep exactly one "
		            "SOA record", z);
	if (rc == SDNS_OK) rc = rec_replace(s, id, &sr, err);
	if (rc) {
		st_rollback(s);
		goto out;
	}
	rc = rec_done(s, actor, "record.update", z, zid, id, before, out, serial,
	              err);
out:
	json_decref(before);
	st_rec_clear(&sr);
	return rc;
}

int sdns_store_record_delete(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, int64_t if_match,
                             uint32_t *serial, sdns_store_err *err)
{
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	json_t *before = NULL;
	int64_t zid;
	uint16_t type = 0;
	uint32_t ser = 0;
	if ((rc = st_begin(s, err))) return rc;
	rc = st_zone_lock(s, z, if_match, &zid, err);
	if (rc == SDNS_OK) rc = zone_serial(s, zid, &ser, err);
	if (rc == SDNS_OK) rc = rec_get(s, zid, id, ser, &before, &type, err);
	if (rc == SDNS_OK && type == SDNS_T_SOA)
		rc = st_err(err, SDNS_EZONE, "id", "the SOA record of %s cannot be "
		            "deleted", z);
	if (rc == SDNS_OK) {
		char a[24];
		snprintf(a, sizeof a, "%lld", (long long)id);
		const char *p[1] = { a };
		rc = st_q(s, "DELETE FROM records WHERE id = $1", 1, p, NULL, err);
	}
	if (rc) {
		st_rollback(s);
		json_decref(before);
		return rc;
	}
	rc = rec_done(s, actor, "record.delete", z, zid, id, before, NULL, serial,
	              err);
	json_decref(before);
	return rc;
}
