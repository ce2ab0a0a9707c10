/* JSON in and out of the API client (jansson): request bodies, parsed
 * responses, the API's error body and ETag serials. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/apiclient.h"
#include "sdns/error.h"

int sdns_apiclient_request_json(sdns_apiclient *c, const char *method,
                          const char *path, const char *const *headers,
                          const json_t *json, sdns_apiclient_resp *resp, char *err,
                          size_t err_cap)
{
	if (!json)
		return sdns_apiclient_request(c, method, path, headers, NULL, NULL, 0,
		                        resp, err, err_cap);
	char *text = json_dumps(json, JSON_COMPACT);
	if (!text) {
		memset(resp, 0, sizeof(*resp));
		if (err && err_cap)
			snprintf(err, err_cap, "cannot encode the request body");
		return SDNS_ENOMEM;
	}
	int rc = sdns_apiclient_request(c, method, path, headers, "application/json",
	                          text, strlen(text), resp, err, err_cap);
	free(text);
	return rc;
}

int sdns_apiclient_resp_json(const sdns_apiclient_resp *r, json_t **out, char *err,
                       size_t err_cap)
{
	*out = NULL;
	if (!r->body || !r->body_len) {
		if (err && err_cap)
			snprintf(err, err_cap, "empty response body (status %d)",
			         r->status);
		return SDNS_EMALF;
	}
	json_error_t je;
	*out = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!*out) {
		if (err && err_cap)
			snprintf(err, err_cap, "response is not JSON: %s (line %d)",
			         je.text, je.line);
		return SDNS_EMALF;
	}
	return SDNS_OK;
}

static void copy_str(char *dst, size_t cap, const json_t *v)
{
	if (json_is_string(v))
		snprintf(dst, cap, "%s", json_string_value(v));
}

/* First line of a non-JSON body, printable bytes only. */
static void first_line(const sdns_apiclient_resp *r, char *dst, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; r->body && i < r->body_len && o + 1 < cap; i++) {
		unsigned char ch = (unsigned char)r->body[i];
		if (ch == '\n' || ch == '\r')
			break;
		dst[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[o] = '\0';
}

void sdns_apiclient_resp_error(const sdns_apiclient_resp *r, sdns_apiclient_error *e)
{
	memset(e, 0, sizeof(*e));
	json_t *root = NULL;
	if (r->body && r->body_len)
		root = json_loadb(r->body, r->body_len, 0, NULL);
	json_t *eo = json_object_get(root, "error");
	if (json_is_object(eo) && json_is_string(json_object_get(eo, "code"))) {
		copy_str(e->code, sizeof(e->code), json_object_get(eo, "code"));
		copy_str(e->message, sizeof(e->message),
		         json_object_get(eo, "message"));
		copy_str(e->field, sizeof(e->field), json_object_get(eo, "field"));
	} else {
		snprintf(e->code, sizeof(e->code), "http_%d", r->status);
		first_line(r, e->message, sizeof(e->message));
	}
	json_decref(root);
}

void sdns_apiclient_error_str(const sdns_apiclient_resp *r, char *buf, size_t cap)
{
	sdns_apiclient_error e;
	sdns_apiclient_resp_error(r, &e);
	int n = snprintf(buf, cap, "%d %s", r->status, e.code);
	if (n < 0 || (size_t)n >= cap)
		return;
	size_t used = (size_t)n;
	if (e.message[0])
		used += (size_t)snprintf(buf + used, cap - used, ": %s", e.message);
	if (used < cap && e.field[0])
		snprintf(buf + used, cap - used, " (field %s)", e.field);
}

int sdns_apiclient_resp_serial(const sdns_apiclient_resp *r, uint32_t *serial)
{
	const char *p = r->etag;
	if (!*p)
		return SDNS_ENOTFOUND;
	if (!strncmp(p, "W/", 2))
		p += 2;
	if (*p++ != '"')
		return SDNS_EMALF;
	uint64_t v = 0;
	const char *start = p;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return SDNS_EMALF;
	}
	if (p == start || p[0] != '"' || p[1])
		return SDNS_EMALF;
	*serial = (uint32_t)v;
	return SDNS_OK;
}
