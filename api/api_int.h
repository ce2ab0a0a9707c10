/* Internals of the management API shared by the files of api/. */
#ifndef SDNS_API_INT_H
#define SDNS_API_INT_H

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "sdns/api.h"
#include "sdns/identity.h"
#include "sdns/store.h"

struct sdns_api {
	struct MHD_Daemon *mhd;
	uint16_t port;
	char *listen, *cert_path, *key_path, *ca_path, *ca_key_path, *mesh;
	char *conninfo, *public_url;
	char *cert_pem, *key_pem, *ca_pem;   /* the files, for MHD and /enroll */
	sdns_audit_key audit_key;
	bool have_audit_key;
	sdns_audit_trust audit_trust;        /* own key + the trust file's */
	sdns_api_callbacks cb;
	pthread_key_t store_key;             /* per-thread sdns_store */
	bool store_key_made;
	struct api_refuse *refuse;           /* refuse.c: audit rate limiter */
	struct api_connlimit *connlimit;     /* connlimit.c: per address */
	unsigned idle_timeout_s;             /* authenticated connections */
	atomic_ulong n_requests, n_refused, n_refused_unaudited;
	atomic_ulong n_cross_site;           /* origin.c: writes refused */
	atomic_ulong n_status[6];            /* by hundreds: 1xx..5xx */
	atomic_ulong n_unready;              /* 503s before the store was ready */
	int web_fd;                          /* console directory; -1 = none */
	struct api_events *events;           /* GET /events; NULL = none */
	struct api_authcache *authcache;     /* verified client certificates */
	size_t import_max;                   /* master file bytes */
	pthread_mutex_t busy_lock;           /* import.c: zones being imported */
	struct api_busy *busy;
	bool busy_made;
};

/* The authenticated caller. */
typedef struct {
	sdns_identity id;
	char fp_hex[65];
} api_peer;

/* What a handler answers; server.c turns it into an MHD response. */
typedef struct {
	unsigned status;
	json_t *json;            /* owned; NULL with text or for 204 */
	char *text;              /* owned (malloc) */
	size_t text_len;
	const char *ctype;       /* for text */
	int64_t etag;            /* >= 0: ETag "<n>" */
	char location[320];
	const char *allow;       /* for 405 */
	const char *cache;       /* Cache-Control; NULL = no-store */
	char etag_str[48];       /* quoted ETag; used when not empty */
	/* A response built by the handler itself (SSE); queued as is. */
	struct MHD_Response *raw;
	unsigned retry_after;    /* seconds; 0 = no Retry-After */
	bool unready;            /* the start-up 503: not counted as a 5xx */
	char cause[300];         /* why a 500 happened: logged, never sent */
	char disposition[320];   /* Content-Disposition; used when not empty */
} api_resp;

#define API_MAX_PARAMS 2

typedef struct api_import api_import;

/* One request, alive from the first access-handler call to completion. */
typedef struct {
	sdns_api *api;
	struct MHD_Connection *conn;
	const char *method;
	char path[512];
	char remote[64];
	const struct api_route *route;
	const char *params[API_MAX_PARAMS];  /* into pbuf */
	char pbuf[512];
	bool authed;
	char allow[64];
	api_peer peer;
	sdns_actor actor;
	/* body.c */
	char *body;
	size_t body_len, body_cap, body_max;
	bool body_too_large;
	bool responded;
	api_import *imp;         /* import.c: the body streams into it */
} api_req;

typedef void (*api_handler)(api_req *r, api_resp *out);

/* Who may call a route. */
typedef enum {
	API_P_OPEN,        /* no certificate needed (POST /enroll) */
	API_P_READ,        /* admin, node, client */
	API_P_MESH_READ,   /* admin, node */
	API_P_ZONE_WRITE,  /* admin, or the node owning the zone */
	API_P_ADMIN,       /* admin only */
} api_policy;

struct api_route {
	const char *method;
	const char *path;
	api_policy policy;
	api_handler fn;
	bool import_body;  /* a master file streamed to import.c, up to
	                    * import_max, instead of 1 MiB of JSON */
};

/* router.c: 0 and *route/params on a match; SDNS_ENOTFOUND no path;
 * SDNS_EDENIED path known but not with this method (allow = methods). */
int api_route_match(const char *method, const char *path,
                    const struct api_route **route, api_req *r,
                    char *allow, size_t allow_cap);

/* errors.c */
typedef enum {
	API_E_BAD_JSON, API_E_INVALID_FIELD, API_E_UNKNOWN_FIELD,
	API_E_NOT_FOUND, API_E_METHOD, API_E_CONFLICT, API_E_PRECOND,
	API_E_TOO_LARGE, API_E_UNAUTHORIZED, API_E_FORBIDDEN,
	API_E_UNAVAILABLE, API_E_INTERNAL, API_E_MEDIA_TYPE,
	API_E_CROSS_SITE, API_E_TOO_MANY,
} api_ecode;
void api_fail(api_resp *out, api_ecode code, const char *field,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* From a store/sdns error code and the store's detail. */
void api_fail_store(api_resp *out, int rc, const sdns_store_err *err);
unsigned api_ecode_status(api_ecode code);
const char *api_ecode_name(api_ecode code);

/* auth.c: 0 and the peer, or SDNS_ECERT/SDNS_EDENIED with a reason. */
int api_auth_peer(sdns_api *api, struct MHD_Connection *c, api_peer *out,
                  const char **reason);
/* refuse.c: refusal bookkeeping. Logged and counted always; audited at
 * most conf->refusals_audit_per_addr times a minute per address and
 * refusals_audit_max times a minute overall. */
void api_auth_refused(api_req *r, const char *reason);
int api_refuse_init(sdns_api *api, const sdns_api_conf *conf);
/* True when a refusal from addr at now may still be audited (and takes
 * one from both budgets). */
bool api_refuse_budget(struct api_refuse *rf, const char *addr, time_t now);
/* authcache.c: chain verdicts of recently verified client certificates. */
int api_authcache_init(sdns_api *api);
void api_authcache_free(sdns_api *api);
bool api_authcache_fp(gnutls_session_t s, uint8_t fp[32]);
bool api_authcache_get(sdns_api *api, const uint8_t fp[32],
                       sdns_identity *out);
void api_authcache_put(sdns_api *api, gnutls_session_t s,
                       const uint8_t fp[32], const sdns_identity *id);
void api_refuse_free(sdns_api *api);

/* connlimit.c: connections per address, for the accept policy. admit:
 * may this address open one more now; opened/closed: from MHD's connection
 * notifications (opened returns the handle closed takes). */
int api_connlimit_init(sdns_api *api, unsigned max_conns);
void api_connlimit_free(sdns_api *api);
bool api_connlimit_admit(struct api_connlimit *cl, const struct sockaddr *sa);
void *api_connlimit_opened(struct api_connlimit *cl,
                           const struct sockaddr *sa);
void api_connlimit_closed(struct api_connlimit *cl, void *entry);

/* origin.c: for writes (any method but GET and HEAD). False: 403
 * cross_site in out, because Sec-Fetch-Site or Origin says the request
 * comes from another site. */
bool api_origin_ok(api_req *r, api_resp *out);
/* False: 415 in out, the body (or the Content-Type given) is not the
 * route's type: application/json, text/dns for an import. */
bool api_ctype_ok(api_req *r, api_resp *out);

/* body.c */
/* Feed one access-handler chunk; never fails (oversize is remembered). */
void api_body_feed(api_req *r, const char *data, size_t len);
/* Parse the body as one JSON object (NULL body: *out = NULL, ok only when
 * optional). Fails into out with 400/413. */
int api_body_json(api_req *r, bool optional, json_t **obj, api_resp *out);

/* import.c: the streamed body of POST /zones/{zone}/import. begin runs
 * once the request is admitted, before any body byte (false: out holds
 * the refusal); feed takes every upload chunk; api_h_zone_import answers
 * at the end; abort (request completed) rolls back what is still open. */
bool api_import_begin(api_req *r, api_resp *out);
/* Writes to a zone while it is being imported by this process are
 * refused (409) instead of waiting on its row lock: the waiting thread
 * could be the one that serves the import, which would then never end. */
bool api_import_blocks(api_req *r, api_resp *out);
int api_busy_init(sdns_api *api);
void api_busy_free(sdns_api *api);
void api_import_feed(api_req *r, const char *data, size_t len);
void api_import_abort(api_req *r, enum MHD_RequestTerminationCode toe);

/* shape.c: field list of a JSON body. */
typedef enum { API_T_STRING, API_T_INT, API_T_ARRAY, API_T_ANY } api_type;
typedef struct {
	const char *name;
	api_type type;
	bool required;
	size_t max_len;    /* strings: bytes; 0 = 255 */
} api_field;
/* Unknown fields, missing required ones, wrong types, overlong strings,
 * NUL bytes: 400 into out, returns SDNS_EINVAL. */
int api_shape_check(const json_t *obj, const api_field *fields, size_t n,
                    api_resp *out);

/* store.c: this thread's store connection (connects lazily). NULL: 503
 * already written into out. */
sdns_store *api_store(api_req *r, api_resp *out);
/* true (and out is the 503 "not ready yet") while the daemon's store is
 * not ready. */
bool api_not_ready(sdns_api *api, api_resp *out);
/* After a store call: drops the connection if it broke. */
void api_store_check(api_req *r, int rc);
int api_store_key_init(sdns_api *api);

/* Request helpers (server.c). */
const char *api_header(api_req *r, const char *name);
const char *api_query(api_req *r, const char *name);
/* If-Match: "<serial>" → the serial, SDNS_STORE_NO_MATCH when absent;
 * -2 (and 412 in out) when it is not a serial at all. */
int64_t api_if_match(api_req *r, api_resp *out);
/* Parses a decimal id path parameter; 404 into out when bad. */
int api_param_id(api_req *r, int idx, int64_t *id, api_resp *out);
void api_resp_json(api_resp *out, unsigned status, json_t *body);

/* zones.c / records.c */
void api_zone_norm(const char *in, char *out, size_t cap);
/* Shape of a records array (zone create). */
int api_records_shape(const json_t *arr, api_resp *out);

/* Handlers. */
void api_h_zones_list(api_req *r, api_resp *out);
void api_h_zone_create(api_req *r, api_resp *out);
void api_h_zone_get(api_req *r, api_resp *out);
/* export.c: GET /zones/{zone} as a master file, when Accept asks for it. */
bool api_wants_master_file(api_req *r);
void api_h_zone_export(api_req *r, api_resp *out);
void api_h_zone_delete(api_req *r, api_resp *out);
void api_h_zone_import(api_req *r, api_resp *out);
void api_h_records_list(api_req *r, api_resp *out);
void api_h_record_add(api_req *r, api_resp *out);
void api_h_record_update(api_req *r, api_resp *out);
void api_h_record_delete(api_req *r, api_resp *out);
void api_h_token_create(api_req *r, api_resp *out);
void api_h_enroll(api_req *r, api_resp *out);
void api_h_peers_list(api_req *r, api_resp *out);
void api_h_peer_revoke(api_req *r, api_resp *out);
void api_h_peer_add(api_req *r, api_resp *out);
void api_h_audit_list(api_req *r, api_resp *out);
void api_h_audit_verify(api_req *r, api_resp *out);
void api_h_audit_head(api_req *r, api_resp *out);
void api_h_audit_peers(api_req *r, api_resp *out);
void api_h_healthz(api_req *r, api_resp *out);
void api_h_metrics(api_req *r, api_resp *out);
void api_h_static(api_req *r, api_resp *out);
void api_h_events(api_req *r, api_resp *out);

/* events.c: the change stream. start: before the daemon (the handler may
 * run at once); shutdown: before MHD_stop_daemon (ends every stream and
 * resumes suspended connections); free: after it. */
int api_events_start(sdns_api *api, const sdns_api_conf *conf);
void api_events_shutdown(sdns_api *api);
void api_events_free(sdns_api *api);
/* Queue one ready SSE message for every subscriber (tests, keepalive). */
void api_events_broadcast(struct api_events *ev, const char *data, size_t n);
void api_events_counts(const sdns_api *api, unsigned long *subs,
                       unsigned long *sent, unsigned long *dropped,
                       unsigned long *revoked);

/* static.c: open the console directory (web_fd = -1 when there is none). */
void api_static_open(sdns_api *api, const char *web_root);
void api_static_close(sdns_api *api);

/* The role check of route policies that need no database. */
bool api_policy_allows(api_policy p, sdns_role role);

#endif
