/* Record validation shared by add, update, zone create and import: name at
 * or below the apex, type allowed, TTL range, RDATA parsed against the apex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

#define TEXT_MAX ST_REC_TEXT_MAX
#define TTL_MAX 2147483647LL

void st_rec_clear(st_rec *r)
{
	free(r->text);
	free(r->wire);
	memset(r, 0, sizeof *r);
}

static bool type_allowed(uint16_t t)
{
	switch (t) {
	case 0: case SDNS_T_OPT: case 249: case 250: case 251: case 252:
	case 253: case 254: case SDNS_T_ANY:
		return false;
	default:
		return true;
	}
}

/* Lowercase absolute text without the trailing dot ("" never: root is
 * refused by the callers). */
static int name_text(const sdns_name *n, char *out, size_t cap)
{
	sdns_name l = *n;
	sdns_name_lower(&l);
	char buf[SDNS_NAME_STR_MAX];
	int rc = sdns_name_to_str(&l, buf, sizeof buf);
	if (rc < 0) return rc;
	size_t len = strlen(buf);
	if (len > 1 && buf[len - 1] == '.') buf[--len] = 0;
	if (len + 1 > cap) return SDNS_ENAME;
	memcpy(out, buf, len + 1);
	return SDNS_OK;
}

int st_zone_norm(const char *zone, char *out, size_t cap, sdns_name *apex,
                 sdns_store_err *err)
{
	sdns_name n;
	size_t len = zone ? strlen(zone) : 0;
	char buf[SDNS_NAME_STR_MAX + 2];
	if (len == 0 || len > SDNS_NAME_STR_MAX || !strcmp(zone, "."))
		return st_err(err, SDNS_EINVAL, "zone", "zone: bad zone name");
	snprintf(buf, sizeof buf, "%s%s", zone, zone[len - 1] == '.' ? "" : ".");
	if (sdns_name_from_str(&n, buf, strlen(buf), NULL) < 0 ||
	    sdns_name_labels(&n) == 0 || name_text(&n, out, cap) < 0)
		return st_err(err, SDNS_EINVAL, "zone", "zone: bad zone name '%.64s'",
		              zone);
	if (apex) {
		*apex = n;
		sdns_name_lower(apex);
	}
	return SDNS_OK;
}

/* Canonical text and owned wire copy of rdata. */
static int rec_fill(st_rec *out, uint16_t type, const uint8_t *rd,
                    uint16_t len, sdns_store_err *err)
{
	out->type = type;
	out->wire = malloc(len ? len : 1);
	out->text = malloc(TEXT_MAX);
	if (!out->wire || !out->text)
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	memcpy(out->wire, rd, len);
	out->wlen = len;
	if (sdns_rdata_to_str(type, rd, len, out->text, TEXT_MAX) < 0)
		return st_err(err, SDNS_EINVAL, "value", "value: cannot be shown");
	return SDNS_OK;
}

static int rec_name(const char *name, const sdns_name *apex, st_rec *out,
                    sdns_name *owner, sdns_store_err *err)
{
	size_t len = strlen(name);
	if (len == 0 || len > SDNS_NAME_STR_MAX)
		return st_err(err, SDNS_EINVAL, "name", "name: bad name");
	int rc = sdns_name_owner_in_zone(name, len, apex, owner);
	if (rc == SDNS_EZONE) {
		char z[SDNS_NAME_STR_MAX + 1];
		if (sdns_name_to_str(apex, z, sizeof z) < 0) z[0] = '\0';
		return st_err(err, SDNS_EINVAL, "name", "name: '%.64s' is not inside "
		              "the zone %.64s (a name ending in it, or one label such "
		              "as 'www' for www.%.64s)", name, z, z);
	}
	if (rc < 0)
		return st_err(err, SDNS_EINVAL, "name", "name: bad name '%.64s'",
		              name);
	sdns_name_lower(owner);
	if (name_text(owner, out->name, sizeof out->name) < 0)
		return st_err(err, SDNS_EINVAL, "name", "name: too long");
	return SDNS_OK;
}

static int rec_type_ttl(const sdns_name *owner, const sdns_name *apex,
                        uint16_t type, sdns_store_err *err)
{
	if (!type_allowed(type))
		return st_err(err, SDNS_EINVAL, "type",
		              "type: this type cannot be stored in a zone");
	if (type == SDNS_T_SOA && !sdns_name_eq_ci(owner, apex))
		return st_err(err, SDNS_EINVAL, "name",
		              "name: the SOA record belongs at the zone apex");
	return SDNS_OK;
}

int st_rec_from_json(const json_t *j, const char *zone, const sdns_name *apex,
                     st_rec *out, sdns_store_err *err)
{
	(void)zone;
	memset(out, 0, sizeof *out);
	if (!json_is_object(j))
		return st_err(err, SDNS_EINVAL, NULL, "a record must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)j, k, v) {
		if (strcmp(k, "name") && strcmp(k, "type") && strcmp(k, "ttl") &&
		    strcmp(k, "value") && strcmp(k, "id"))
			return st_err(err, SDNS_EINVAL, k, "%.40s: unknown field", k);
	}
	json_t *jn = json_object_get(j, "name"), *jt = json_object_get(j, "type");
	json_t *jv = json_object_get(j, "value"), *jl = json_object_get(j, "ttl");
	if (!json_is_string(jn))
		return st_err(err, SDNS_EINVAL, "name", "name: required string");
	if (!json_is_string(jt))
		return st_err(err, SDNS_EINVAL, "type", "type: required string");
	if (!json_is_string(jv))
		return st_err(err, SDNS_EINVAL, "value", "value: required string");
	json_int_t ttl = 3600;
	if (jl && !json_is_null(jl)) {
		if (!json_is_integer(jl))
			return st_err(err, SDNS_EINVAL, "ttl", "ttl: must be an integer");
		ttl = json_integer_value(jl);
		if (ttl < 0 || ttl > TTL_MAX)
			return st_err(err, SDNS_EINVAL, "ttl",
			              "ttl: %lld is outside 0..2147483647", (long long)ttl);
	}
	sdns_name owner;
	int rc = rec_name(json_string_value(jn), apex, out, &owner, err);
	if (rc) return rc;
	uint16_t type;
	const char *ts = json_string_value(jt);
	if (sdns_type_from_str(ts, strlen(ts), &type) < 0)
		return st_err(err, SDNS_EINVAL, "type", "type: unknown type '%.32s'", ts);
	if ((rc = rec_type_ttl(&owner, apex, type, err))) return rc;
	out->ttl = (uint32_t)ttl;

	uint8_t *wire = malloc(SDNS_RDATA_MAX + 1);
	if (!wire) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	sdns_wr w;
	sdns_wr_init(&w, wire, SDNS_RDATA_MAX + 1);
	char why[200] = "";
	const char *val = json_string_value(jv);
	rc = sdns_rdata_from_str_why(type, val, strlen(val), apex, &w, why,
	                             sizeof why);
	if (rc == SDNS_OK && sdns_wr_len(&w) > SDNS_RDATA_MAX) rc = SDNS_ESPACE;
	if (rc < 0) {
		free(wire);
		st_rec_clear(out);
		return st_err(err, SDNS_EINVAL, "value", "value: %s",
		              why[0] ? why : sdns_strerror(rc));
	}
	rc = rec_fill(out, type, wire, (uint16_t)sdns_wr_len(&w), err);
	free(wire);
	if (rc) st_rec_clear(out);
	return rc;
}

int st_rec_check_rr(const sdns_rr *rr, const sdns_name *apex, char *name,
                    size_t cap, sdns_store_err *err)
{
	if (!sdns_name_is_sub_ci(&rr->owner, apex))
		return st_err(err, SDNS_EINVAL, "name", "name: not inside the zone");
	sdns_name owner = rr->owner;
	sdns_name_lower(&owner);
	if (name_text(&owner, name, cap) < 0 || strlen(name) > ST_REC_NAME_MAX)
		return st_err(err, SDNS_EINVAL, "name", "name: too long");
	if (rr->rclass != SDNS_C_IN)
		return st_err(err, SDNS_EINVAL, "class", "class: only IN is stored");
	int rc = rec_type_ttl(&owner, apex, rr->type, err);
	if (rc) return rc;
	if (rr->ttl > TTL_MAX)
		return st_err(err, SDNS_EINVAL, "ttl", "ttl: above 2147483647");
	return SDNS_OK;
}
