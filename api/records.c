/* /zones/{zone}/records: list, add, update, delete. The shape of a record
 * is checked here; names, types, TTLs and values by the store. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

static const api_field record_fields[] = {
	{"id", API_T_INT, false, 0},
	{"name", API_T_STRING, true, 255},
	{"type", API_T_STRING, true, 16},
	{"ttl", API_T_INT, false, 0},
	{"value", API_T_STRING, true, 65535},
};
#define N_RECORD_FIELDS (sizeof(record_fields) / sizeof(record_fields[0]))

static int record_shape(const json_t *rec, api_resp *out)
{
	if (!json_is_object(rec)) {
		api_fail(out, API_E_INVALID_FIELD, "records",
		         "records: every entry must be an object");
		return SDNS_EINVAL;
	}
	if (api_shape_check(rec, record_fields, N_RECORD_FIELDS, out) != SDNS_OK)
		return SDNS_EINVAL;
	json_t *ttl = json_object_get(rec, "ttl");
	if (ttl && (json_integer_value(ttl) < 0 ||
	            json_integer_value(ttl) > 2147483647)) {
		api_fail(out, API_E_INVALID_FIELD, "ttl",
		         "ttl: must be 0..2147483647");
		return SDNS_EINVAL;
	}
	return SDNS_OK;
}

int api_records_shape(const json_t *arr, api_resp *out)
{
	if (json_array_size(arr) > 100000) {
		api_fail(out, API_E_TOO_LARGE, "records", "too many records");
		return SDNS_ETOOBIG;
	}
	size_t i;
	json_t *rec;
	json_array_foreach(arr, i, rec) {
		if (record_shape(rec, out) != SDNS_OK) return SDNS_EINVAL;
	}
	return SDNS_OK;
}

void api_h_records_list(api_req *r, api_resp *out)
{
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *recs = NULL;
	sdns_store_err err;
	int rc = sdns_store_records_list(s, r->params[0], &recs, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	json_t *body = json_object();
	json_object_set_new(body, "records", recs);
	api_resp_json(out, 200, body);
}

/* Body, shape and If-Match of add and update. */
static json_t *record_input(api_req *r, api_resp *out, int64_t *if_match)
{
	json_t *rec = NULL;
	if (api_body_json(r, false, &rec, out) != SDNS_OK) return NULL;
	if (record_shape(rec, out) != SDNS_OK ||
	    (*if_match = api_if_match(r, out)) == -2) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static void record_write(api_req *r, api_resp *out, bool update)
{
	int64_t if_match = SDNS_STORE_NO_MATCH, id = 0;
	if (update && api_param_id(r, 1, &id, out) != SDNS_OK) return;
	json_t *rec = record_input(r, out, &if_match);
	if (!rec) return;
	sdns_store *s = api_store(r, out);
	if (!s) {
		json_decref(rec);
		return;
	}
	json_t *res = NULL;
	uint32_t serial = 0;
	sdns_store_err err;
	int rc = update
		? sdns_store_record_update(s, &r->actor, r->params[0], id, rec,
		                           if_match, &res, &serial, &err)
		: sdns_store_record_add(s, &r->actor, r->params[0], rec,
		                        if_match, &res, &serial, &err);
	api_store_check(r, rc);
	json_decref(rec);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, update ? 200 : 201, res);
	out->etag = serial;
	if (!update) {
		char zone[300];
		api_zone_norm(r->params[0], zone, sizeof(zone));
		snprintf(out->location, sizeof(out->location),
		         "/zones/%s/records/%lld", zone,
		         (long long)json_integer_value(json_object_get(res, "id")));
	}
}

void api_h_record_add(api_req *r, api_resp *out) { record_write(r, out, false); }
void api_h_record_update(api_req *r, api_resp *out) { record_write(r, out, true); }

void api_h_record_delete(api_req *r, api_resp *out)
{
	int64_t id;
	if (api_param_id(r, 1, &id, out) != SDNS_OK) return;
	int64_t if_match = api_if_match(r, out);
	if (if_match == -2) return;
	sdns_store *s = api_store(r, out);
	if (!s) return;
	uint32_t serial = 0;
	sdns_store_err err;
	int rc = sdns_store_record_delete(s, &r->actor, r->params[0], id,
	                                  if_match, &serial, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	out->status = 204;
	out->etag = serial;
}
