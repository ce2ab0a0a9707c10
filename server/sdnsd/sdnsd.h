/* sdnsd internals: configuration (JSON file + flags) and the serving state. */
#ifndef SDNSD_H
#define SDNSD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sdns/audithead.h"
#include "sdns/dnssec.h"
#include "sdns/doq.h"
#include "sdns/dot.h"
#include "sdns/snapshot.h"
#include "sdns/stub.h"

#define SDNSD_MAX_ZONES 256
#define SDNSD_MAX_LIST 8   /* --resolver-addr, --resolver-pin */

typedef struct {
	char *v[SDNSD_MAX_LIST];
	size_t n;
} sdnsd_strlist;

typedef struct {
	const char *config_path;
	char *doq_listen;
	char *dot_listen;        /* DoT beside DoQ; NULL = off */
	char *tls_cert, *tls_key, *tls_ca;
	char *mesh;
	char *zone_files[SDNSD_MAX_ZONES];
	size_t n_zone_files;
	/* store mode (--db): PostgreSQL is the source of truth, the API runs */
	char *db;                /* libpq conninfo; also SDNS_DB */
	char *api_listen;        /* default 127.0.0.1:8443 with --db */
	char *ca_key;            /* enables POST /enroll */
	char *audit_key;         /* seed file; default: <state_dir>/audit.key */
	char *audit_trust;       /* more trusted audit keys ("NAME KEY" lines) */
	char *state_dir;         /* default: the directory of --tls-key */
	long long audit_head_interval; /* seconds; -1 unset (10); 0 = off */
	char *zone_key;          /* Ed25519 seed: DNSSEC-sign every zone */
	long long sig_validity;  /* RRSIG validity, seconds (default 14 days) */
	long long changelog_keep;     /* rows; -1 unset (default 1000000) */
	long long changelog_max_age;  /* seconds; -1 unset (default 7 days) */
	long long sync_threads;       /* full loads; 0 = cores */
	char *public_url;
	char *migrations;        /* default: <binary>/../migrations */
	long long migrate;       /* --migrate: apply them as the owner, exit */
	long long check_config;  /* --check-config: validate, report, exit */
	char *db_runtime_role;   /* with --migrate: grant it the runtime rights */
	long long db_allow_owner; /* run as the owner (and migrate at start) */
	char *web_root;          /* console files; default <binary>/../web */
	long long events_max;    /* GET /events subscribers; 0 = API default */
	long long api_threads;
	/* API abuse limits (include/sdns/api.h); 0 = the API's default */
	long long events_max_per_id, api_max_conns, api_max_conns_per_addr;
	long long api_handshake_timeout, api_idle_timeout;
	long long api_refusals_per_addr, api_refusals_max;
	long long import_max;    /* master file bytes per import; 0 = default */
	int workers;
	int log_level;
	/* limits, copied into sdns_doq_server_conf; 0 = module default */
	long long max_conns, max_conns_per_addr, max_streams;
	long long max_conn_buffer, max_total_buffer;
	long long stream_timeout_ms, idle_timeout_ms, retry_threshold;
	int retry_threshold_set;
	/* the loopback stub and its DoT forwarder (on when any is given) */
	char *stub_listen;       /* default 127.0.0.1:5353 */
	char *address;           /* dns-tool short form: --address, --port */
	long long port;
	sdnsd_strlist resolver_addrs;
	char *resolver_fqdn;
	sdnsd_strlist resolver_pins;
	char *resolver_ca;
	long long timeout;       /* seconds per forwarded query, default 3 */
	long long stub_workers, stub_tcp_idle_ms, stub_max_tcp_conns;
	long long cache_max_entries, cache_min_ttl, cache_max_ttl;
	long long rate_limit, rate_burst, rate_slip;
	int rate_slip_set;
	/* the mesh (with --db and a node certificate) */
	long long mesh_timeout;  /* ms, whole resolution (default 1500) */
	long long no_mesh;       /* --no-mesh */
	char *mesh_state;        /* high-water marks file ("none" = not kept) */
	long long mesh_sig_validity; /* RRSIG validity of mesh zones, seconds */
	/* kept to re-read the settings on SIGHUP */
	int argc;
	char **argv;
} sdnsd_conf;

/* Parse argv (and the --config file it names; flags win). Returns 0, or 2 for
 * a usage error (message printed), or 1 when --help/--version was handled. */
int sdnsd_conf_load(sdnsd_conf *c, int argc, char **argv);
void sdnsd_conf_free(sdnsd_conf *c);
void sdnsd_usage(FILE *f);

/* Serving state shared by the workers, the API threads and the sync thread.
 * The snapshots are the only things that change while serving. */
typedef struct {
	sdns_snapshot zones;    /* current sdns_zoneset */
	sdns_snapshot revoked;  /* current sdns_revoked (NULL: nothing revoked) */
	sdns_doq_server *doq;   /* set before any sync thread runs */
	sdns_dot_server *dot;   /* --dot-listen; NULL when off */
	atomic_int db_up;       /* the sync thread's connection state */
	atomic_int api_ready;   /* schema and role checked, first loads done */
	atomic_int fatal;       /* a thread asked main to stop with exit 1 */
	atomic_ullong swaps;    /* snapshots published */
	struct sdnsd_stub *stub; /* NULL when the stub is off */
	struct sdnsd_signer *signer; /* NULL without --zone-key */
	struct sdns_mesh *mesh;  /* NULL when the mesh is off */
	struct sdnsd_audit *audit; /* store mode: audit key, heads (audit.c) */
} sdnsd_state;

/* admit.c: revocation checks against the current revoked set. */
int sdnsd_admit(void *ctx, const sdns_identity *peer);
bool sdnsd_is_revoked(void *ctx, const uint8_t spki_sha256[32],
                      const char *serial_hex);
/* Close the open DoQ connections of every identity now revoked. */
void sdnsd_close_revoked(sdnsd_state *st);

/* metrics.c: Prometheus text for GET /metrics. ctx = sdnsd_state. */
size_t sdnsd_metrics(void *ctx, char *buf, size_t cap);

/* dbrole.c: the database roles. --migrations, else the default of
 * sdnsd_data_path("migrations"). */
void sdnsd_migrations_dir(const sdnsd_conf *c, char *out, size_t cap);
/* sdnsd --migrate: apply the migrations to c->db, grant c->db_runtime_role;
 * 0 or a negative code (logged). */
int sdnsd_migrate_main(const sdnsd_conf *c);
struct sdns_store;
/* At connect: the schema must be current and the role own nothing (with
 * --db-allow-owner: migrate, and only warn). SDNS_EUNAVAIL: retry; other
 * codes: msg says why sdnsd must stop. */
int sdnsd_db_prepare(const sdnsd_conf *c, struct sdns_store *db,
                     const char *dir, char *msg, size_t cap);
/* The same checks for --check-config, changing nothing (no migration);
 * every failure, SDNS_EUNAVAIL too, has its reason in msg. */
int sdnsd_db_check(const sdnsd_conf *c, struct sdns_store *db,
                   const char *dir, char *msg, size_t cap);
/* check.c: sdnsd --check-config; the exit status (0 or 1). */
int sdnsd_check_main(const sdnsd_conf *c);

/* dbsync.c: keeps the snapshots equal to PostgreSQL (LISTEN/NOTIFY, full
 * resync after every reconnect), once dbrole.c has checked the database. */
typedef struct sdnsd_dbsync sdnsd_dbsync;
int sdnsd_dbsync_start(const sdnsd_conf *c, sdnsd_state *st,
                       sdnsd_dbsync **out);
void sdnsd_dbsync_stop(sdnsd_dbsync *d);

/* sign.c: DNSSEC with --zone-key (all no-ops without it). Store mode signs
 * in src/sync; these serve static mode. */
int sdnsd_sign_start(const sdnsd_conf *c, sdnsd_state *st); /* loads the key */
const sdns_dnssec_key *sdnsd_sign_key(const sdnsd_state *st); /* or NULL */
/* Replace *zs by a signed copy (unchanged on error). */
int sdnsd_sign_set(sdnsd_state *st, sdns_zoneset **zs);
/* Static mode: sign *zs and publish it, serialized with the renewals. */
int sdnsd_sign_publish(sdnsd_state *st, sdns_zoneset **zs);
/* Static mode: renew due signatures in the background. */
int sdnsd_sign_timer_start(sdnsd_state *st);
void sdnsd_sign_stop(sdnsd_state *st);   /* stops the timer */
void sdnsd_sign_free(sdnsd_state *st);
/* dbsync.c: ask for a full reload (ctx = sdnsd_dbsync). */
void sdnsd_dbsync_resync(void *ctx);

/* sdns_doq_query_fn: answer from the current zone set. ctx = sdnsd_state. */
int sdnsd_answer(void *ctx, const sdns_identity *peer, const sdns_msg *query,
                 const uint8_t *wire, size_t len, uint8_t *resp, size_t cap,
                 size_t *resp_len);

/* stub.c: the loopback stub (UDP/TCP) answering local zones from st->zones,
 * then the cache, then the DoT forwarder. */
bool sdnsd_stub_wanted(const sdnsd_conf *c);
int sdnsd_stub_start(const sdnsd_conf *c, sdnsd_state *st);
/* SIGHUP: new upstreams/pins/timeout from c (already re-read). */
int sdnsd_stub_reconfigure(const sdnsd_conf *c, sdnsd_state *st);
void sdnsd_stub_stop(sdnsd_state *st);
/* Appends the stub's families (queries, responses, cache, upstreams...). */
size_t sdnsd_stub_metrics(sdnsd_state *st, char *buf, size_t cap);

/* mesh.c: swarm resolution of names under peers' zones (src/mesh). */
struct sdns_store;
struct sdns_zoneset;
bool sdnsd_mesh_wanted(const sdnsd_conf *c);
/* --mesh defaults to our own certificate's mesh ("*" for any). */
int sdnsd_mesh_default(sdnsd_conf *c);
/* Before the DoQ server: it then answers through sdnsd_answer_async. */
int sdnsd_mesh_start(const sdnsd_conf *c, sdnsd_state *st);
void sdnsd_mesh_stop(sdnsd_state *st);
/* dbsync: the nodes table changed / zones were reloaded (NOTIFY peers). */
void sdnsd_mesh_reload_peers(sdnsd_state *st, struct sdns_store *db);
void sdnsd_mesh_zone_changed(sdnsd_state *st, const sdns_name *apex);
void sdnsd_mesh_zones_changed(sdnsd_state *st, const struct sdns_zoneset *zs);
/* sdns_doq_query_async_fn: local zones, then mesh names over the mesh
 * (node callers: cache only), NOTIFY from the owning peer. */
int sdnsd_answer_async(void *ctx, const sdns_identity *peer,
                       const sdns_msg *query, const uint8_t *wire, size_t len,
                       const sdns_doq_ticket *ticket, uint8_t *resp,
                       size_t cap, size_t *resp_len);
/* The same for DoT (sdns_dot_query_async_fn). */
int sdnsd_dot_answer_async(void *ctx, const sdns_identity *peer,
                           const sdns_msg *query, const uint8_t *wire,
                           size_t len, const sdns_dot_ticket *ticket,
                           uint8_t *resp, size_t cap, size_t *resp_len);
/* dot.c: the DoT listener (--dot-listen), after DoQ; no-ops when off. */
int sdnsd_dot_start(const sdnsd_conf *c, sdnsd_state *st);
void sdnsd_dot_stop(sdnsd_state *st);
/* The stub's forward hook for mesh names (SDNS_ENOTFOUND: not one). */
bool sdnsd_mesh_name(sdnsd_state *st, const sdns_name *qname);
/* Appends the sdns_mesh_* families (nothing when the mesh is off). */
size_t sdnsd_mesh_metrics(sdnsd_state *st, char *buf, size_t cap);
int sdnsd_mesh_stub_forward(sdnsd_state *st, const uint8_t *wire,
                            size_t len, sdns_stub_done_fn done, void *token);

/* audit.c: the audit key and trust, the own signed head and the peers'.
 * setup: the state directory, the key (--audit-key, else
 * STATE-DIR/audit.key, made on first start), --audit-trust. */
int sdnsd_audit_setup(const sdnsd_conf *c, sdnsd_state *st);
/* --check-config: the key setup would load (or make: the state dir must
 * be writable) and --audit-trust, read only. what/why: the fault. */
int sdnsd_audit_check(const sdnsd_conf *c, char *what, size_t what_cap,
                      char *why, size_t why_cap);
const sdns_audit_key *sdnsd_audit_key(const sdnsd_state *st);
const sdns_audit_trust *sdnsd_audit_trust(const sdnsd_state *st);
/* The thread (store mode, --audit-head-interval > 0). stop joins it;
 * free (after the DoQ workers and the API are gone) frees the rest. */
int sdnsd_audit_start(const sdnsd_conf *c, sdnsd_state *st);
void sdnsd_audit_stop(sdnsd_state *st);
void sdnsd_audit_free(sdnsd_state *st);
/* DoQ: TXT _audit-head.<self>.<mesh> answered with the signed head;
 * SDNS_ENOTFOUND for any other query. */
int sdnsd_audit_answer(sdnsd_state *st, const sdns_msg *q, uint8_t *resp,
                       size_t cap, size_t *len);
json_t *sdnsd_audit_peers_json(void *ctx);   /* API callbacks */
int sdnsd_audit_verified(void *ctx, int64_t *id, uint8_t hash[32],
                         char *why, size_t why_cap);
size_t sdnsd_audit_metrics(sdnsd_state *st, char *buf, size_t cap);
/* mesh.c: our identity from the URI SAN of the certificate file. */
int sdnsd_own_identity(const char *cert_path, sdns_identity *id);

/* datadir.c: SUB (migrations, web) beside the binary (<binary>/../SUB,
 * resolved) when that directory exists, else SDNS_DATADIR/SUB, the
 * installed copy (make install: PREFIX/share/sdns). */
const char *sdnsd_datadir(void);
void sdnsd_data_path(const char *sub, char *out, size_t cap);
/* sdnsd_data_path("web"): the console files. */
void sdnsd_web_root_default(char *out, size_t cap);

#endif
