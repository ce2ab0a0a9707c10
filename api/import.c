/* POST /zones/{zone}/import: the master file streams from the upload
 * chunks libmicrohttpd hands the access handler straight into the store's
 * import (src/store/import.c), never buffered whole.
 *
 * The import holds one transaction open across many handler calls, and
 * one pool thread serves many connections at once: so it runs on a store
 * connection of its own, opened for it and closed after it, never on the
 * thread's pooled one. Refusals that need no body (If-Match, unknown zone,
 * database down) are answered from the first call, before a byte of the
 * body is taken. A failure in the middle rolls back at once; the rest of
 * the body is read and thrown away so the answer (400 with the line, 409,
 * 413) still reaches the client on a healthy connection. A client that
 * goes away leaves nothing: the request-completed callback rolls back. */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

struct api_import {
	sdns_store *s;             /* the import's own connection */
	sdns_store_import *im;     /* NULL once failed or finished */
	int rc;                    /* the first failure, answered at the end */
	sdns_store_err err;
};

/* Roll back what is open and close the connection. */
static void imp_close(api_import *ai)
{
	sdns_store_import_free(ai->im);
	ai->im = NULL;
	sdns_store_close(ai->s);
	ai->s = NULL;
}

bool api_import_begin(api_req *r, api_resp *out)
{
	int64_t if_match = api_if_match(r, out);
	if (if_match == -2) return false;
	api_import *ai = calloc(1, sizeof(*ai));
	if (!ai) {
		api_fail(out, API_E_INTERNAL, NULL, "out of memory");
		return false;
	}
	sdns_api *api = r->api;
	int rc = sdns_store_connect(api->conninfo, &ai->s, &ai->err);
	if (rc == SDNS_OK) {
		if (api->have_audit_key)
			sdns_store_set_audit_key(ai->s, &api->audit_key);
		rc = sdns_store_import_begin(ai->s, &r->actor, r->params[0],
		                             if_match, api->import_max, &ai->im,
		                             &ai->err);
	}
	if (rc != SDNS_OK) {
		if (rc == SDNS_EUNAVAIL)
			sdns_log(SDNS_LOG_WARN, "api_db_connect", "path=%s err=\"%s\"",
			         r->path, sdns_strerror(rc));
		api_fail_store(out, rc, &ai->err);
		imp_close(ai);
		free(ai);
		return false;
	}
	r->imp = ai;
	return true;
}

void api_import_feed(api_req *r, const char *data, size_t len)
{
	api_import *ai = r->imp;
	if (!ai || !ai->im) return;
	int rc = sdns_store_import_feed(ai->im, data, len, &ai->err);
	if (rc == SDNS_OK) return;
	ai->rc = rc;
	imp_close(ai); /* locks released now, not when the body ends */
}

static const char *toe_name(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN: return "shutdown";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: return "client_gone";
	default: return "error";
	}
}

void api_import_abort(api_req *r, enum MHD_RequestTerminationCode toe)
{
	api_import *ai = r->imp;
	if (!ai) return;
	if (ai->im)
		sdns_log(SDNS_LOG_WARN, "api_import_aborted", "path=%s remote=%s "
		         "reason=%s action=rollback", r->path, r->remote,
		         toe_name(toe));
	imp_close(ai);
	free(ai);
	r->imp = NULL;
}

void api_h_zone_import(api_req *r, api_resp *out)
{
	api_import *ai = r->imp;
	if (!ai) {
		api_fail(out, API_E_INTERNAL, NULL, "internal error");
		return;
	}
	json_t *res = NULL;
	int rc = ai->rc;
	if (rc == SDNS_OK)
		rc = sdns_store_import_end(ai->im, &res, &ai->err);
	imp_close(ai);
	if (rc != SDNS_OK) {
		api_fail_store(out, rc, &ai->err);
		return;
	}
	json_t *serial = json_object_get(res, "serial");
	out->etag = json_is_integer(serial) ? json_integer_value(serial) : -1;
	api_resp_json(out, 200, res);
}
