/* Single objects by row id for the change stream (include/sdns/store_obj.h).
 * The JSON matches zones.c and records.c so a client can put an event's
 * object where the REST listing put it. */
#include <stdio.h>
#include "sdns/error.h"
#include "sdns/store_obj.h"
#include "store_int.h"

int sdns_store_zone_item(sdns_store *s, int64_t zone_id, json_t **out,
                         sdns_store_err *err)
{
	*out = NULL;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)zone_id);
	const char *p[1] = { id };
	PGresult *r;
	int rc = st_q(s, "SELECT z.name, z.serial, n.name, "
	              ST_TS("z.created_at") ", " ST_TS("z.updated_at") ", "
	              "(SELECT count(*) FROM records r WHERE r.zone_id = z.id) "
	              "FROM zones z LEFT JOIN nodes n ON n.id = z.owner_node_id "
	              "WHERE z.id = $1", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, NULL, "zone %s not found", id);
	}
	*out = json_pack("{s:s,s:I,s:o,s:I,s:s,s:s}", "name",
	                 PQgetvalue(r, 0, 0), "serial",
	                 (json_int_t)st_i64(r, 0, 1), "owner",
	                 st_str_or_null(r, 0, 2), "records",
	                 (json_int_t)st_i64(r, 0, 5), "created_at",
	                 PQgetvalue(r, 0, 3), "updated_at", PQgetvalue(r, 0, 4));
	PQclear(r);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

int sdns_store_record_get(sdns_store *s, int64_t id, json_t **out,
                          char *zone, size_t cap, sdns_store_err *err)
{
	*out = NULL;
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	const char *p[1] = { ids };
	PGresult *r;
	int rc = st_q(s, "SELECT r.id, r.name, r.type, r.ttl, r.rdata_text, "
	              "z.serial, z.name FROM records r JOIN zones z "
	              "ON z.id = r.zone_id WHERE r.id = $1", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, NULL, "record %s not found",
		              ids);
	}
	*out = st_rec_row_json(r, 0, (uint32_t)st_i64(r, 0, 5));
	snprintf(zone, cap, "%s", PQgetvalue(r, 0, 6));
	PQclear(r);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

int sdns_store_zone_index(sdns_store *s, json_t **out, sdns_store_err *err)
{
	*out = NULL;
	PGresult *r;
	int rc = st_q(s, "SELECT id, name FROM zones ORDER BY id", 0, NULL, &r,
	              err);
	if (rc) return rc;
	json_t *o = json_object();
	for (int i = 0; o && i < PQntuples(r); i++)
		json_object_set_new(o, PQgetvalue(r, i, 0),
		                    json_string(PQgetvalue(r, i, 1)));
	PQclear(r);
	*out = o;
	return o ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}
