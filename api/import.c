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
 * goes away leaves nothing: the request-completed callback rolls back.
 *
 * The zone row stays locked while the body streams in. Every pool thread
 * serves many connections, so a write to that zone made meanwhile (record,
 * zone delete, another import) must not wait for the lock here: on the
 * import's own thread it would wait forever. Such writes are refused with
 * 409 while this process imports the zone (api_import_blocks); other
 * processes sharing the database just wait, which ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

/* A zone being imported (normalised name), in api->busy. */
struct api_busy {
	char zone[256];
	struct api_busy *next;
};

int api_busy_init(sdns_api *api)
{
	if (pthread_mutex_init(&api->busy_lock, NULL) != 0) return SDNS_ENOMEM;
	api->busy_made = true;
	return SDNS_OK;
}

void api_busy_free(sdns_api *api)
{
	if (!api->busy_made) return;
	while (api->busy) {
		struct api_busy *b = api->busy;
		api->busy = b->next;
		free(b);
	}
	pthread_mutex_destroy(&api->busy_lock);
	api->busy_made = false;
}

static struct api_busy **busy_find(sdns_api *api, const char *zone)
{
	struct api_busy **b = &api->busy;
	while (*b && strcmp((*b)->zone, zone) != 0) b = &(*b)->next;
	return b;
}

/* false: the zone is being imported already (or no memory). */
static bool busy_add(sdns_api *api, const char *zone)
{
	struct api_busy *nb = calloc(1, sizeof(*nb));
	if (!nb) return false;
	snprintf(nb->zone, sizeof(nb->zone), "%s", zone);
	pthread_mutex_lock(&api->busy_lock);
	struct api_busy **b = busy_find(api, zone);
	bool ok = *b == NULL;
	if (ok) *b = nb;
	pthread_mutex_unlock(&api->busy_lock);
	if (!ok) free(nb);
	return ok;
}

static void busy_del(sdns_api *api, const char *zone)
{
	pthread_mutex_lock(&api->busy_lock);
	struct api_busy **b = busy_find(api, zone);
	struct api_busy *gone = *b;
	if (gone) *b = gone->next;
	pthread_mutex_unlock(&api->busy_lock);
	free(gone);
}

bool api_import_blocks(api_req *r, api_resp *out)
{
	char zone[256];
	api_zone_norm(r->params[0] ? r->params[0] : "", zone, sizeof(zone));
	pthread_mutex_lock(&r->api->busy_lock);
	bool busy = *busy_find(r->api, zone) != NULL;
	pthread_mutex_unlock(&r->api->busy_lock);
	if (busy)
		api_fail(out, API_E_CONFLICT, NULL, "zone %s is being imported: "
		         "try again when the import is done", zone);
	return busy;
}

struct api_import {
	sdns_api *api;
	char zone[256];            /* normalised, while in api->busy */
	sdns_store *s;             /* the import's own connection */
	sdns_store_import *im;     /* NULL once failed or finished */
	int rc;                    /* the first failure, answered at the end */
	sdns_store_err err;
};

/* Roll back what is open, close the connection, let writers in. */
static void imp_close(api_import *ai)
{
	sdns_store_import_free(ai->im);
	ai->im = NULL;
	sdns_store_close(ai->s);
	ai->s = NULL;
	if (ai->zone[0]) busy_del(ai->api, ai->zone);
	ai->zone[0] = '\0';
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
	ai->api = api;
	api_zone_norm(r->params[0], ai->zone, sizeof(ai->zone));
	if (!busy_add(api, ai->zone)) {
		api_fail(out, API_E_CONFLICT, NULL, "zone %s is being imported: "
		         "try again when the import is done", ai->zone);
		free(ai);
		return false;
	}
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
