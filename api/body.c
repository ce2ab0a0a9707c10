/* JSON request bodies: accumulated up to 1 MiB (master files are not:
 * they stream into the import, import.c). Beyond it the rest is read and
 * thrown away so the 413 can still be answered on a healthy connection. */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

void api_body_feed(api_req *r, const char *data, size_t len)
{
	if (r->body_too_large) return;
	if (len > r->body_max - r->body_len) {
		r->body_too_large = true;
		free(r->body);
		r->body = NULL;
		r->body_len = r->body_cap = 0;
		return;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + len + 1) cap *= 2;
		char *nb = realloc(r->body, cap);
		if (!nb) {
			/* Treat like too large: nothing half-parsed goes on. */
			r->body_too_large = true;
			free(r->body);
			r->body = NULL;
			r->body_len = r->body_cap = 0;
			return;
		}
		r->body = nb;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
}

int api_body_json(api_req *r, bool optional, json_t **obj, api_resp *out)
{
	*obj = NULL;
	if (r->body_too_large) {
		api_fail(out, API_E_TOO_LARGE, NULL,
		         "request body over %u bytes", (unsigned)r->body_max);
		return SDNS_ETOOBIG;
	}
	size_t n = r->body_len;
	const char *p = r->body;
	while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++, n--;
	if (n == 0) {
		if (optional) return SDNS_OK;
		api_fail(out, API_E_BAD_JSON, NULL, "request body is empty");
		return SDNS_EINVAL;
	}
	json_error_t je;
	/* NULs are allowed by the parser only so that the shape check can
	 * name the field that holds one. */
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	                       &je);
	if (!v) {
		api_fail(out, API_E_BAD_JSON, NULL, "bad JSON at line %d: %s",
		         je.line, je.text);
		return SDNS_EINVAL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_fail(out, API_E_BAD_JSON, NULL,
		         "request body must be a JSON object");
		return SDNS_EINVAL;
	}
	*obj = v;
	return SDNS_OK;
}
