/* /zones and /zones/{zone}: list, get, create, delete (import: import.c). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

void api_zone_norm(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in);
	if (n && in[n - 1] == '.') n--;
	if (n >= cap) n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
}

void api_h_zones_list(api_req *r, api_resp *out)
{
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *zones = NULL;
	sdns_store_err err;
	int rc = sdns_store_zones_list(s, &zones, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	json_t *body = json_object();
	json_object_set_new(body, "zones", zones);
	api_resp_json(out, 200, body);
}

void api_h_zone_get(api_req *r, api_resp *out)
{
	if (api_wants_master_file(r)) {
		api_h_zone_export(r, out);
		return;
	}
	sdns_store *s = api_store(r, out);
	if (!s) return;
	json_t *zone = NULL;
	uint32_t serial = 0;
	sdns_store_err err;
	int rc = sdns_store_zone_get(s, r->params[0], &zone, &serial, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	api_resp_json(out, 200, zone);
	out->etag = serial;
}

static const api_field zone_fields[] = {
	{"owner", API_T_STRING, false, 63},
	{"records", API_T_ARRAY, false, 0},
};

void api_h_zone_create(api_req *r, api_resp *out)
{
	json_t *body = NULL;
	if (api_body_json(r, true, &body, out) != SDNS_OK) return;
	if (body && api_shape_check(body, zone_fields, 2, out) != SDNS_OK)
		goto done;
	json_t *records = body ? json_object_get(body, "records") : NULL;
	if (records && api_records_shape(records, out) != SDNS_OK) goto done;
	const char *owner = body ? json_string_value(json_object_get(body,
	                                                             "owner"))
	                         : NULL;
	sdns_store *s = api_store(r, out);
	if (!s) goto done;
	json_t *zone = NULL;
	sdns_store_err err;
	int rc = sdns_store_zone_create(s, &r->actor, r->params[0], owner,
	                                records, &zone, &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		goto done;
	}
	api_resp_json(out, 201, zone);
	json_t *serial = json_object_get(zone, "serial");
	out->etag = json_is_integer(serial) ? json_integer_value(serial) : -1;
	char name[300];
	api_zone_norm(r->params[0], name, sizeof(name));
	snprintf(out->location, sizeof(out->location), "/zones/%s", name);
done:
	json_decref(body);
}

void api_h_zone_delete(api_req *r, api_resp *out)
{
	int64_t if_match = api_if_match(r, out);
	if (if_match == -2) return;
	sdns_store *s = api_store(r, out);
	if (!s) return;
	sdns_store_err err;
	int rc = sdns_store_zone_delete(s, &r->actor, r->params[0], if_match,
	                                &err);
	api_store_check(r, rc);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &err);
		return;
	}
	out->status = 204;
}
