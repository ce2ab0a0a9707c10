/* Zones: list, get, create (with its SOA), delete, owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

#define ZONE_COLS "z.id, z.name, z.serial, n.name, " ST_TS("z.created_at") \
	", " ST_TS("z.updated_at") ", (SELECT count(*) FROM records r " \
	"WHERE r.zone_id = z.id)"
#define ZONE_FROM " FROM zones z LEFT JOIN nodes n ON n.id = z.owner_node_id "

static json_t *zone_row_json(PGresult *r, int i)
{
	return json_pack("{s:s,s:I,s:o,s:I,s:s,s:s}", "name", PQgetvalue(r, i, 1),
	                 "serial", (json_int_t)st_i64(r, i, 2), "owner",
	                 st_str_or_null(r, i, 3), "records",
	                 (json_int_t)st_i64(r, i, 6), "created_at",
	                 PQgetvalue(r, i, 4), "updated_at", PQgetvalue(r, i, 5));
}

int sdns_store_zones_list(sdns_store *s, json_t **out, sdns_store_err *err)
{
	*out = NULL;
	PGresult *r;
	int rc = st_q(s, "SELECT " ZONE_COLS ZONE_FROM "ORDER BY z.name", 0, NULL,
	              &r, err);
	if (rc) return rc;
	json_t *a = json_array();
	for (int i = 0; a && i < PQntuples(r); i++)
		json_array_append_new(a, zone_row_json(r, i));
	PQclear(r);
	*out = a;
	return a ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

int sdns_store_zone_get(sdns_store *s, const char *zone, json_t **out,
                        uint32_t *serial, sdns_store_err *err)
{
	*out = NULL;
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	const char *p[1] = { z };
	PGresult *r;
	rc = st_q(s, "SELECT " ZONE_COLS ZONE_FROM "WHERE z.name = $1", 1, p, &r,
	          err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", z);
	}
	json_t *o = zone_row_json(r, 0);
	uint32_t ser = (uint32_t)st_i64(r, 0, 2);
	PQclear(r);
	json_t *recs = NULL;
	rc = sdns_store_records_list(s, z, &recs, err);
	if (rc) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "records", recs);
	if (serial) *serial = ser;
	*out = o;
	return SDNS_OK;
}

int sdns_store_zone_owner(sdns_store *s, const char *zone, char *owner,
                          size_t cap, sdns_store_err *err)
{
	if (cap) owner[0] = 0;
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	const char *p[1] = { z };
	PGresult *r;
	rc = st_q(s, "SELECT n.name" ZONE_FROM "WHERE z.name = $1", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) rc = st_err(err, SDNS_ENOTFOUND, "zone",
	                                   "zone %s not found", z);
	else if (!PQgetisnull(r, 0, 0) && cap)
		snprintf(owner, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static int owner_id(sdns_store *s, const char *owner, char *id, size_t cap,
                    sdns_store_err *err)
{
	const char *p[1] = { owner };
	PGresult *r;
	int rc = st_q(s, "SELECT id FROM nodes WHERE name = $1", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1)
		rc = st_err(err, SDNS_EINVAL, "owner", "owner: no node named '%.64s'",
		            owner);
	else
		snprintf(id, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

static int default_soa(const char *z, const sdns_name *apex, st_rec *sr,
                       sdns_store_err *err)
{
	char val[600];
	snprintf(val, sizeof val, "%s. hostmaster.%s. 1 3600 600 1209600 300", z, z);
	json_t *j = json_pack("{s:s,s:s,s:s}", "name", "@", "type", "SOA",
	                      "value", val);
	int rc = j ? st_rec_from_json(j, z, apex, sr, err) : SDNS_ENOMEM;
	json_decref(j);
	return rc;
}

/* Validate all records (field "records[i].f" on error) and insert them. */
static int insert_all(sdns_store *s, int64_t zid, const char *z,
                      const sdns_name *apex, const json_t *records,
                      sdns_store_err *err)
{
	if (records && !json_is_array(records) && !json_is_null(records))
		return st_err(err, SDNS_EINVAL, "records", "records: must be an array");
	size_t n = json_is_array(records) ? json_array_size(records) : 0;
	int soas = 0, rc = SDNS_OK;
	for (size_t i = 0; i < n && rc == SDNS_OK; i++) {
		st_rec sr;
		rc = st_rec_from_json(json_array_get(records, i), z, apex, &sr, err);
		if (rc && err) {
			char f[64];
			snprintf(f, sizeof f, "records[%zu].%s", i, err->field);
			snprintf(err->field, sizeof err->field, "%.31s", f);
		}
		if (rc) break;
		soas += sr.type == SDNS_T_SOA;
		if (soas > 1)
			rc = st_err(err, SDNS_EZONE, "records", "records: more than one SOA");
		if (rc == SDNS_OK) rc = st_rec_insert(s, zid, &sr, NULL, err);
		st_rec_clear(&sr);
	}
	if (rc == SDNS_OK && soas == 0) {
		st_rec sr;
		rc = default_soa(z, apex, &sr, err);
		if (rc == SDNS_OK) rc = st_rec_insert(s, zid, &sr, NULL, err);
		st_rec_clear(&sr);
	}
	return rc;
}

int sdns_store_zone_create(sdns_store *s, const sdns_actor *actor,
                           const char *zone, const char *owner,
                           const json_t *records, json_t **out,
                           sdns_store_err *err)
{
	if (out) *out = NULL;
	char z[256], oid[24];
	sdns_name apex;
	int rc = st_zone_norm(zone, z, sizeof z, &apex, err);
	if (rc) return rc;
	if ((rc = st_begin(s, err))) return rc;
	if (owner) rc = owner_id(s, owner, oid, sizeof oid, err);
	PGresult *r = NULL;
	if (rc == SDNS_OK) {
		const char *p[2] = { z, owner ? oid : NULL };
		rc = st_q(s, "INSERT INTO zones (name, owner_node_id) VALUES ($1, $2) "
		             "RETURNING id", 2, p, &r, err);
		if (rc == SDNS_EEXIST)
			st_err(err, rc, "zone", "zone %s already exists", z);
	}
	if (rc == SDNS_OK) {
		int64_t zid = st_i64(r, 0, 0);
		PQclear(r);
		rc = insert_all(s, zid, z, &apex, records, err);
	}
	json_t *after = NULL;
	if (rc == SDNS_OK) rc = sdns_store_zone_get(s, z, &after, NULL, err);
	if (rc == SDNS_OK) {
		char obj[300];
		snprintf(obj, sizeof obj, "zone:%s", z);
		rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
		                     "zone.create", obj, NULL, after, err);
	}
	rc = st_finish(s, rc, err);
	if (rc == SDNS_OK && out) *out = after;
	else json_decref(after);
	return rc;
}

int sdns_store_zone_delete(sdns_store *s, const sdns_actor *actor,
                           const char *zone, int64_t if_match,
                           sdns_store_err *err)
{
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	if ((rc = st_begin(s, err))) return rc;
	int64_t zid;
	json_t *before = NULL;
	rc = st_zone_lock(s, z, if_match, &zid, err);
	if (rc == SDNS_OK) rc = sdns_store_zone_get(s, z, &before, NULL, err);
	if (rc == SDNS_OK) {
		const char *p[1] = { z };
		rc = st_q(s, "DELETE FROM zones WHERE name = $1", 1, p, NULL, err);
	}
	if (rc == SDNS_OK) {
		char obj[300];
		snprintf(obj, sizeof obj, "zone:%s", z);
		rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
		                     "zone.delete", obj, before, NULL, err);
	}
	json_decref(before);
	return st_finish(s, rc, err);
}
