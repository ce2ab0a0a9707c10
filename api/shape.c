/* The shape of JSON bodies, checked before anything reaches the store:
 * known fields only, the right JSON types, bounded strings without NULs. */
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

static const char *type_name(api_type t)
{
	switch (t) {
	case API_T_STRING: return "a string";
	case API_T_INT: return "an integer";
	case API_T_ARRAY: return "an array";
	default: return "a value";
	}
}

static int check_string(const char *name, const json_t *v, size_t max,
                        api_resp *out)
{
	size_t len = json_string_length(v);
	if (memchr(json_string_value(v), '\0', len)) {
		api_fail(out, API_E_INVALID_FIELD, name,
		         "%s: NUL bytes are not allowed", name);
		return SDNS_EINVAL;
	}
	if (len > (max ? max : 255)) {
		api_fail(out, API_E_INVALID_FIELD, name,
		         "%s: longer than %zu bytes", name, max ? max : 255);
		return SDNS_EINVAL;
	}
	return SDNS_OK;
}

static int check_one(const api_field *f, const json_t *v, api_resp *out)
{
	bool ok;
	switch (f->type) {
	case API_T_STRING: ok = json_is_string(v); break;
	case API_T_INT: ok = json_is_integer(v); break;
	case API_T_ARRAY: ok = json_is_array(v); break;
	default: ok = true; break;
	}
	if (!ok) {
		api_fail(out, API_E_INVALID_FIELD, f->name, "%s: must be %s",
		         f->name, type_name(f->type));
		return SDNS_EINVAL;
	}
	if (f->type == API_T_STRING)
		return check_string(f->name, v, f->max_len, out);
	return SDNS_OK;
}

int api_shape_check(const json_t *obj, const api_field *fields, size_t n,
                    api_resp *out)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		size_t i = 0;
		while (i < n && strcmp(fields[i].name, key) != 0) i++;
		if (i == n) {
			/* The key itself may hold anything: do not echo NULs. */
			api_fail(out, API_E_UNKNOWN_FIELD,
			         strlen(key) < 32 ? key : NULL,
			         "unknown field '%.31s'", key);
			return SDNS_EINVAL;
		}
		if (check_one(&fields[i], v, out) != SDNS_OK) return SDNS_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i].required && !json_object_get(obj, fields[i].name)) {
			api_fail(out, API_E_INVALID_FIELD, fields[i].name,
			         "%s: required", fields[i].name);
			return SDNS_EINVAL;
		}
	}
	return SDNS_OK;
}
