/* GET /zones/{zone} with Accept: text/dns: the zone as a master file that
 * POST /zones/{zone}/import takes back (sdns_store_zone_export). The text
 * is gathered before the answer, since the store connection belongs to
 * this request only while the handler runs; it is bounded by
 * --import-max, so whatever can be exported can be imported again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

typedef struct {
	char *buf;
	size_t len, cap, max;
} textbuf;

static int gather(void *ctx, const char *text, size_t len)
{
	textbuf *t = ctx;
	if (len > t->max - t->len) return SDNS_ETOOBIG;
	if (t->len + len > t->cap) {
		size_t cap = t->cap ? t->cap : 64 * 1024;
		while (cap < t->len + len) cap *= 2;
		if (cap > t->max) cap = t->max;
		char *b = realloc(t->buf, cap);
		if (!b) return SDNS_ENOMEM;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	return SDNS_OK;
}

/* Whether the client asked for a master file: text/dns in Accept (RFC
 * 4027's media type), unless it also names JSON with a higher q; a plain
 * browser Accept (text/html, * / *) keeps getting JSON. */
bool api_wants_master_file(api_req *r)
{
	const char *a = api_header(r, "Accept");
	if (!a) return false;
	const char *dns = strstr(a, "text/dns");
	if (!dns) return false;
	const char *json = strstr(a, "application/json");
	return !json || dns < json;
}

void api_h_zone_export(api_req *r, api_resp *out)
{
	sdns_store *s = api_store(r, out);
	if (!s) return;
	textbuf t = { .max = r->api->import_max };
	uint64_t n = 0;
	uint32_t serial = 0;
	sdns_store_err err;
	int rc = sdns_store_zone_export(s, r->params[0], gather, &t, &n, &serial,
	                                &err);
	api_store_check(r, rc);
	if (rc == SDNS_ETOOBIG) {
		free(t.buf);
		api_fail(out, API_E_TOO_LARGE, NULL,
		         "the zone's master file is larger than --import-max "
		         "(%zu bytes): export it with a larger limit", t.max);
		return;
	}
	if (rc != SDNS_OK) {
		free(t.buf);
		if (rc == SDNS_ENOMEM && t.len < t.max) { /* gather's, not the store's */
			api_fail(out, API_E_INTERNAL, NULL, "internal error");
			snprintf(out->cause, sizeof out->cause,
			         "out of memory exporting %s at %zu bytes", r->params[0], t.len);
		} else {
			api_fail_store(out, rc, &err);
		}
		return;
	}
	out->status = 200;
	out->text = t.buf;
	out->text_len = t.len;
	out->ctype = "text/dns; charset=utf-8";
	out->etag = serial;
	snprintf(out->disposition, sizeof out->disposition,
	         "attachment; filename=\"%s.zone\"", r->params[0]);
	(void)n;
}
