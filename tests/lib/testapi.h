/* The management API in the test process, for the suites of api/ that
 * need a running server (events, origin, refuse, api_server): a private
 * PostgreSQL database, migrated, the testpki certificates, and the API on
 * 127.0.0.1:0 with the caller's settings on top of the defaults below.
 * Requests go through testhttp (one connection each). */
#ifndef SDNS_TESTAPI_H
#define SDNS_TESTAPI_H

#include <stdint.h>

#include "sdns/api.h"
#include "testhttp.h"

typedef struct {
	char dir[256];        /* PKI files: <who>.pem, <who>.key, ca.pem */
	char conninfo[512];
	sdns_api *api;
	uint16_t port;
	sdns_audit_key akey;
	int64_t node2_id;     /* testpki's node2, registered as a node */
} sdns_testapi;

/* tune may change the conf (limits, callbacks) before the start; NULL ok.
 * Aborts the test on failure. */
void sdns_testapi_setup(sdns_testapi *t, const char *name,
                        void (*tune)(sdns_api_conf *conf));
/* A fresh API process state (limits, counters) on the same database. */
void sdns_testapi_restart(sdns_testapi *t, void (*tune)(sdns_api_conf *conf));
void sdns_testapi_teardown(sdns_testapi *t);
/* who: a testpki name ("admin", "client", "node2") or NULL (no
 * certificate). Returns the status; *r must be freed. */
int sdns_testapi_req(const sdns_testapi *t, const char *who,
                     const char *method, const char *path, const char *hdrs,
                     const char *body, sdns_http_resp *r);
/* The value of one unlabelled line of GET /metrics (-1 when absent). */
long sdns_testapi_metric(const sdns_testapi *t, const char *name);
/* The single integer the query answers, straight from PostgreSQL. */
long sdns_testapi_count(const sdns_testapi *t, const char *sql);
/* Paths of <who>.pem / <who>.key / ca.pem. */
void sdns_testapi_files(const sdns_testapi *t, const char *who, char *ca,
                        char *cert, char *key, size_t cap);

#endif
