/* The management API: HTTPS with mutual TLS (libmicrohttpd + GnuTLS), JSON
 * in and out (jansson), PostgreSQL behind it through include/sdns/store.h.
 *
 * libmicrohttpd only *asks* for a client certificate; it never verifies it.
 * Every request is therefore checked in the handler (chain to the mesh CA,
 * clientAuth purpose, validity, one spiffe:// URI SAN of our mesh, not
 * revoked) before anything else happens; only POST /enroll is served
 * without a certificate. Roles, routes and error bodies: ISSUE3.md and
 * api/openapi.yaml.
 *
 * Threads: libmicrohttpd runs its own pool; each pool thread lazily opens
 * its own store connection and drops it when the database goes away (the
 * next request reconnects). The callbacks below are called from those
 * threads, concurrently. */
#ifndef SDNS_API_H
#define SDNS_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdns/audit.h"
#include "sdns/audithead.h"

typedef struct {
	/* true when the certificate with this SPKI SHA-256 or serial
	 * (lowercase hex, no leading zeros) is revoked; NULL = never. */
	bool (*is_revoked)(void *ctx, const uint8_t spki_sha256[32],
	                   const char *serial_hex);
	/* Writes the daemon's own Prometheus text (DoQ counters ...) into
	 * buf and returns the bytes written (<= cap); NULL = none. */
	size_t (*metrics)(void *ctx, char *buf, size_t cap);
	/* GET /audit/peers: the heads of the peers' audit chains this node
	 * keeps (a new reference, sdns_audit_book_json's shape); NULL = the
	 * route answers {"peers":[]}. */
	json_t *(*audit_peers)(void *ctx);
	/* GET /audit/head: the newest entry the daemon has verified so far
	 * (*id, hash): SDNS_OK, and the route verifies only what came after;
	 * SDNS_ENOTFOUND when it has none yet (the route walks the whole
	 * chain); SDNS_EBOGUS when it found the chain bad, why in why (the
	 * route answers 409). NULL = always the whole walk. */
	int (*audit_verified)(void *ctx, int64_t *id, uint8_t hash[32],
	                      char *why, size_t why_cap);
	/* false while the daemon's store is not ready (schema and role not
	 * checked, revocations and zones not loaded): routes that need the
	 * database answer 503 with Retry-After. NULL = always ready. */
	bool (*ready)(void *ctx);
	void *ctx;
} sdns_api_callbacks;

typedef struct {
	const char *listen;       /* "127.0.0.1:8443", "[::1]:0"; NULL = default */
	const char *cert_path;    /* server certificate (PEM) */
	const char *key_path;     /* its key (PEM) */
	const char *ca_path;      /* mesh CA: client certificates chain to it */
	const char *ca_key_path;  /* CA key for enrollment; NULL = /enroll 503 */
	const char *mesh;         /* identities of other meshes are refused */
	const char *conninfo;     /* PostgreSQL conninfo */
	const char *public_url;   /* "https://host:port" in token commands;
	                           * NULL = https://<listen> */
	unsigned threads;         /* 0 = 4 */
	/* Connections before authentication cost a socket and a TLS state
	 * each and prove nothing: one address holds at most max_per_address
	 * of them (more are closed on accept), the total is max_connections
	 * (past half of it an address holding 4 gets no more: connlimit.c),
	 * and a connection that has not authenticated a request within
	 * handshake_timeout_s is closed. An authenticated one may then idle
	 * for timeout_s between requests. */
	unsigned max_connections; /* 0 = 256 */
	unsigned max_per_address; /* 0 = 32 */
	unsigned handshake_timeout_s; /* 0 = 5 */
	unsigned timeout_s;       /* idle timeout once authenticated; 0 = 30 */
	const sdns_audit_key *audit_key; /* signs audit entries (borrowed) */
	/* Audit keys trusted besides audit_key's own (copied; NULL = none):
	 * GET /audit/verify believes no other signature. */
	const sdns_audit_trust *audit_trust;
	/* The console: GET / and GET /<file> serve the regular files of this
	 * flat directory (to any valid certificate). NULL or missing = 404. */
	const char *web_root;
	/* GET /events (Server-Sent Events of store changes). */
	unsigned max_subscribers; /* 0 = 32; more get 503 */
	unsigned max_subscribers_per_identity; /* 0 = a quarter of
	                           * max_subscribers (at least 1); more: 429 */
	unsigned keepalive_ms;    /* ": keepalive" comment period; 0 = 15000 */
	size_t sub_buffer;        /* bytes queued per subscriber before it is
	                           * dropped as too slow; 0 = 256 KiB */
	size_t import_max;        /* master file bytes of POST .../import (413
	                           * beyond); 0 = SDNS_STORE_IMPORT_MAX_DEFAULT */
	/* Refused authentications written to the audit log per minute: per
	 * client address (0 = 10) and overall (0 = 100); beyond, only
	 * counted in /metrics. */
	unsigned refusals_audit_per_addr;
	unsigned refusals_audit_max;
	sdns_api_callbacks cb;
} sdns_api_conf;

#define SDNS_API_DEFAULT_LISTEN "127.0.0.1:8443"
#define SDNS_API_BODY_MAX (1u << 20)    /* JSON bodies */

typedef struct sdns_api sdns_api;

/* Starts listening and serving. The conf strings are copied. On failure
 * returns a negative code and writes why into err. */
int sdns_api_start(const sdns_api_conf *conf, sdns_api **out, char *err,
                   size_t err_cap);
/* Stops the daemon, waits for its threads and frees everything. NULL ok. */
void sdns_api_stop(sdns_api *api);
/* The port actually bound (useful with port 0). */
uint16_t sdns_api_port(const sdns_api *api);

typedef struct {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *path;    /* OpenAPI template: "/zones/{zone}/records/{id}" */
} sdns_api_route;

/* Every route the server answers, in table order (static storage). */
const sdns_api_route *sdns_api_routes(size_t *n);

#endif
