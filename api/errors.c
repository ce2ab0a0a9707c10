/* Error bodies: {"error":{"code":"...","message":"...","field":"..."}} with
 * the status ISSUE3.md fixes for each code. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

static const struct {
	const char *name;
	unsigned status;
} ecodes[] = {
	[API_E_BAD_JSON] = {"bad_json", 400},
	[API_E_INVALID_FIELD] = {"invalid_field", 400},
	[API_E_UNKNOWN_FIELD] = {"unknown_field", 400},
	[API_E_NOT_FOUND] = {"not_found", 404},
	[API_E_METHOD] = {"method_not_allowed", 405},
	[API_E_CONFLICT] = {"conflict", 409},
	[API_E_PRECOND] = {"precondition_failed", 412},
	[API_E_TOO_LARGE] = {"too_large", 413},
	[API_E_UNAUTHORIZED] = {"unauthorized", 401},
	[API_E_FORBIDDEN] = {"forbidden", 403},
	[API_E_UNAVAILABLE] = {"unavailable", 503},
	[API_E_INTERNAL] = {"internal", 500},
	[API_E_MEDIA_TYPE] = {"unsupported_media_type", 415},
	[API_E_CROSS_SITE] = {"cross_site", 403},
	[API_E_TOO_MANY] = {"too_many_requests", 429},
};

unsigned api_ecode_status(api_ecode code) { return ecodes[code].status; }
const char *api_ecode_name(api_ecode code) { return ecodes[code].name; }

static void fail_text(api_resp *out, api_ecode code, const char *field,
                      const char *msg)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(ecodes[code].name));
	/* Store messages may quote user input: keep it valid UTF-8. */
	json_t *m = json_string(msg);
	json_object_set_new(e, "message", m ? m : json_string("invalid input"));
	if (field && *field) {
		json_t *f = json_string(field);
		if (f) json_object_set_new(e, "field", f);
	}
	json_t *body = json_object();
	json_object_set_new(body, "error", e);
	json_decref(out->json);
	free(out->text);
	out->text = NULL;
	out->json = body;
	out->status = ecodes[code].status;
	out->etag = -1;
	out->location[0] = '\0';
	out->retry_after = 0;
	out->unready = false;
	if (code == API_E_INTERNAL) {
		/* One log line whatever the store said (quotes, newlines). */
		snprintf(out->cause, sizeof(out->cause), "%s", msg);
		for (char *p = out->cause; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
				*p = '\'';
	}
}

void api_fail(api_resp *out, api_ecode code, const char *field,
              const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_text(out, code, field, msg);
}

static api_ecode ecode_of(int rc)
{
	switch (rc) {
	case SDNS_EINVAL: case SDNS_ESYNTAX: case SDNS_ETYPE: case SDNS_ENAME:
	case SDNS_ELABEL: case SDNS_ERDATA: case SDNS_EMALF:
		return API_E_INVALID_FIELD;
	case SDNS_ENOTFOUND: return API_E_NOT_FOUND;
	case SDNS_EEXIST: case SDNS_EZONE: return API_E_CONFLICT;
	case SDNS_EPRECOND: return API_E_PRECOND;
	case SDNS_ETOOBIG: return API_E_TOO_LARGE;
	case SDNS_EAUTH: case SDNS_ECERT: return API_E_UNAUTHORIZED;
	case SDNS_EDENIED: return API_E_FORBIDDEN;
	case SDNS_EUNAVAIL: return API_E_UNAVAILABLE;
	default: return API_E_INTERNAL;
	}
}

void api_fail_store(api_resp *out, int rc, const sdns_store_err *err)
{
	api_ecode code = ecode_of(rc);
	const char *field = err ? err->field : NULL;
	const char *msg = err && err->message[0] ? err->message
	                                         : sdns_strerror(rc);
	/* Internal failures never leak SQL text to the caller. */
	if (code == API_E_INTERNAL) {
		fail_text(out, code, NULL, msg);   /* keeps the cause for the log */
		json_object_set_new(json_object_get(out->json, "error"), "message",
		                    json_string("internal error"));
		return;
	} else if (code == API_E_UNAVAILABLE) {
		field = NULL;
		msg = "database unavailable";
	}
	fail_text(out, code, field, msg);
	/* A lost database comes back (restart, failover): say when to retry,
	 * as the start-up 503 does. */
	if (code == API_E_UNAVAILABLE) out->retry_after = 1;
}
