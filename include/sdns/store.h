/* The authoritative store: PostgreSQL through libpq (migrations, zones,
 * records, enrollment tokens, peers, revocation, the audit chain) and the
 * LISTEN thread that tells the daemon when to rebuild its snapshots.
 *
 * An sdns_store is ONE libpq connection used by one thread at a time (the
 * API keeps one per handler thread; the listener has its own). Every write is
 * one transaction: the change, zones.serial + 1, one audit entry (chained
 * under a transaction-scoped advisory lock), commit. Nothing is half-written.
 *
 * Names (zones, owners) in and out are lowercase, absolute, without the
 * trailing dot; input may carry a trailing dot and any case. JSON shapes are
 * those of ISSUE3.md (records: {"id","name","type","ttl","value"}).
 *
 * Errors: 0 or a negative sdns code, and *err (every err may be NULL) filled
 * on each failure with the code, the field at fault ("" when none) and a
 * user-facing message ("value: bad IPv4 address '10.0.0.256' in A record").
 *   SDNS_EINVAL bad input (400)      SDNS_ENOTFOUND no such zone/record/peer
 *   SDNS_EEXIST duplicate (409)      SDNS_EZONE CNAME clash, SOA delete (409)
 *   SDNS_EPRECOND If-Match mismatch  SDNS_EAUTH bad enrollment token (401)
 *   SDNS_ETOOBIG over a size limit   SDNS_EUNAVAIL database unreachable (503;
 *   the connection is then broken: close it and connect again)
 *   SDNS_ECONFIG schema newer than this binary  SDNS_EIO other SQL failures */
#ifndef SDNS_STORE_H
#define SDNS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/audit.h"
#include "sdns/audithead.h"
#include "sdns/identity.h"
#include "sdns/revoked.h"
#include "sdns/zone.h"

typedef struct sdns_store sdns_store;

typedef struct {
	int code;
	char field[32];
	char message[256];
} sdns_store_err;

/* The caller of a write (from its client certificate); the audit entry's
 * actor is uri and actor_fp is fp_hex (hex SHA-256 of the certificate). */
typedef struct {
	const char *uri;
	const char *name;
	sdns_role role;
	const char *fp_hex;
} sdns_actor;

/* If-Match not given. */
#define SDNS_STORE_NO_MATCH (-1)
/* Limits (SDNS_ETOOBIG beyond). A master file: the default of
 * sdns_store_import_begin's max (sdnsd --import-max). */
#define SDNS_STORE_IMPORT_MAX_DEFAULT ((size_t)256 << 20)
#define SDNS_STORE_AUDIT_LIMIT_MAX 1000

/* --- connection (src/store/conn.c, migrate.c) --- */

/* Connect with a libpq conninfo string. SDNS_EUNAVAIL when the server cannot
 * be reached. *out is freed with sdns_store_close. */
int sdns_store_connect(const char *conninfo, sdns_store **out,
                       sdns_store_err *err);
void sdns_store_close(sdns_store *s);
/* Without a round trip: true when the server has closed the connection
 * (restart, crash, admin kill), found by a non-blocking look at the socket.
 * Only for idle connections that do not LISTEN (any pending input counts as
 * a goodbye). Cheap enough to call before every use of a pooled one. */
bool sdns_store_peer_closed(sdns_store *s);
/* SELECT 1: 0, or SDNS_EUNAVAIL. */
int sdns_store_ping(sdns_store *s);
/* True once the connection is lost (the caller should close and reconnect). */
bool sdns_store_broken(const sdns_store *s);
/* Apply migrations dir/NNN_name.sql whose NNN is not in schema_migrations,
 * in order, each in its own transaction, and record them. A database whose
 * highest version is above the highest file: SDNS_ECONFIG with "database
 * schema N is newer than this sdnsd (max M)". *applied (may be NULL) gets how
 * many were applied. Concurrent sdnsd start-ups serialise on a lock. */
int sdns_store_migrate(sdns_store *s, const char *dir, int *applied,
                       sdns_store_err *err);
/* SDNS_OK when the database holds every migration of dir (none newer);
 * else SDNS_ECONFIG, with "database schema N is older than this sdnsd (M):
 * ..." (or newer). *have and *want (may be NULL) get N and M. For a
 * runtime role, which cannot migrate. */
int sdns_store_schema_check(sdns_store *s, const char *dir, int *have,
                            int *want, sdns_store_err *err);

/* --- database roles (src/store/roles.c; README "Database roles") --- */

/* As the owner role (after sdns_store_migrate): give role exactly the
 * privileges sdnsd needs (migration 004's sdns_grant_runtime). */
int sdns_store_grant_runtime(sdns_store *s, const char *role,
                             sdns_store_err *err);
/* SDNS_OK when the connected role cannot rewrite the audit: it is no
 * superuser, owns (or may become the owner of) no table, sequence or
 * function of the schema, and holds no UPDATE, DELETE, TRUNCATE or TRIGGER
 * privilege on audit. Otherwise SDNS_EDENIED and err names the role and
 * what it owns or may do. SDNS_ECONFIG when there is no audit table. */
int sdns_store_check_runtime(sdns_store *s, sdns_store_err *err);
/* The key that signs audit entries written through s (copied). Writes
 * without a key fail with SDNS_ECONFIG. */
void sdns_store_set_audit_key(sdns_store *s, const sdns_audit_key *k);

/* --- zones (src/store/zones.c) --- */

/* *out = array of {"name","serial","owner"(string|null),"records"(count),
 * "created_at","updated_at"}, by name. */
int sdns_store_zones_list(sdns_store *s, json_t **out, sdns_store_err *err);
/* *out = zone object as above with "records" = array of record objects
 * (the SOA's serial shows zones.serial). *serial (may be NULL) = the serial. */
int sdns_store_zone_get(sdns_store *s, const char *zone, json_t **out,
                        uint32_t *serial, sdns_store_err *err);
/* Create zone (serial 1) owned by node owner (may be NULL; an unknown owner
 * is SDNS_EINVAL field "owner") with records (JSON array or NULL; each as
 * for record_add, ids ignored). Without an SOA among them the default one
 * "<zone>. hostmaster.<zone>. 1 3600 600 1209600 300" is added.
 * SDNS_EEXIST when it exists. *out = sdns_store_zone_get's object. */
int sdns_store_zone_create(sdns_store *s, const sdns_actor *actor,
                           const char *zone, const char *owner,
                           const json_t *records, json_t **out,
                           sdns_store_err *err);
int sdns_store_zone_delete(sdns_store *s, const sdns_actor *actor,
                           const char *zone, int64_t if_match,
                           sdns_store_err *err);
/* Owner node name of zone into owner ("" when none). SDNS_ENOTFOUND. */
int sdns_store_zone_owner(sdns_store *s, const char *zone, char *owner,
                          size_t cap, sdns_store_err *err);
/* Replace every record of zone with a master file (origin = zone, default
 * TTL 3600), atomically: ONE transaction, whatever the size. The file must
 * hold one SOA at the apex (its serial is ignored); identical records
 * collapse into one (RFC 2181 §5). Errors name the line ("line 3: ...",
 * field "body"): SDNS_EINVAL for syntax and bad records, SDNS_EZONE for a
 * second or missing SOA and a CNAME beside other data, SDNS_ETOOBIG over
 * max bytes; SDNS_ENOTFOUND, SDNS_EPRECOND, SDNS_EUNAVAIL as for any write.
 * The log of changes gets one RELOAD row for the zone (not one per record)
 * and the audit one "zone.import" entry {"records":before} ->
 * {"records":stored,"serial":N}.
 *
 * Streamed (src/store/import.c): begin opens the transaction on s, locks
 * the zone row and checks if_match (so a refusal comes before the body);
 * feed takes the text in chunks split anywhere and writes the records as
 * they complete (COPY); end checks the zone's rules and commits. The first
 * failure rolls everything back and is returned by every later call. s is
 * the import's alone until sdns_store_import_free, which rolls back what
 * was not committed (a client gone midway). actor is borrowed until then.
 * max: 0 = SDNS_STORE_IMPORT_MAX_DEFAULT. */
typedef struct sdns_store_import sdns_store_import;
int sdns_store_import_begin(sdns_store *s, const sdns_actor *actor,
                            const char *zone, int64_t if_match, size_t max,
                            sdns_store_import **out, sdns_store_err *err);
int sdns_store_import_feed(sdns_store_import *im, const void *text,
                           size_t len, sdns_store_err *err);
/* *out (may be NULL) = {"zone":name,"serial":N,"records":stored}. */
int sdns_store_import_end(sdns_store_import *im, json_t **out,
                          sdns_store_err *err);
void sdns_store_import_free(sdns_store_import *im);
/* The whole text at once (begin, feed, end, free). */
int sdns_store_zone_import(sdns_store *s, const sdns_actor *actor,
                           const char *zone, const char *text, size_t len,
                           int64_t if_match, json_t **out,
                           sdns_store_err *err);

/* --- export (src/store/export.c) --- */

/* The zone as an RFC 1035 master file that sdns_store_import_* takes back
 * unchanged: a comment, $ORIGIN, then one line per record with absolute
 * names, TTL, class and type ("www.z. 300 IN A 192.0.2.1"), the SOA first
 * (with the zone's serial), then by name and type. One SELECT, so one
 * snapshot, read a row at a time (a zone of any size costs the lines, not
 * a result set): write gets each piece in order and may stop the export
 * by returning non-zero (that code is returned). *n_records (may be NULL)
 * = the records written, *serial (may be NULL) = the zone's serial.
 * SDNS_ENOTFOUND for an unknown zone, before any write. */
typedef int (*sdns_store_export_fn)(void *ctx, const char *text, size_t len);
int sdns_store_zone_export(sdns_store *s, const char *zone,
                           sdns_store_export_fn write, void *ctx,
                           uint64_t *n_records, uint32_t *serial,
                           sdns_store_err *err);

/* --- records (src/store/records.c) --- */

/* *out = array of record objects of zone, by id. */
int sdns_store_records_list(sdns_store *s, const char *zone, json_t **out,
                            sdns_store_err *err);
/* rec = {"name","type","value"[,"ttl"]} ("id" tolerated and ignored);
 * validated here: name at or below the apex ("@" = apex), type known and
 * allowed, ttl 0..2147483647 (default 3600), value parsed with origin =
 * apex; unknown fields refused. if_match: the zone serial the caller saw,
 * or SDNS_STORE_NO_MATCH. *out = the stored record, *serial = the new zone
 * serial (either may be NULL). */
int sdns_store_record_add(sdns_store *s, const sdns_actor *actor,
                          const char *zone, const json_t *rec,
                          int64_t if_match, json_t **out, uint32_t *serial,
                          sdns_store_err *err);
/* Replace record id of zone with rec (same shape as add). */
int sdns_store_record_update(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, const json_t *rec,
                             int64_t if_match, json_t **out, uint32_t *serial,
                             sdns_store_err *err);
/* Deleting the zone's SOA is SDNS_EZONE. */
int sdns_store_record_delete(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, int64_t if_match,
                             uint32_t *serial, sdns_store_err *err);

/* One change of sdns_store_records_apply: add (id 0, rec), update (id,
 * rec) or delete (id, rec NULL), with its If-Match (or
 * SDNS_STORE_NO_MATCH). The call sets rc and err, and on success serial
 * (the zone serial right after this change) and out (add and update: the
 * stored record; the caller decrefs it). */
typedef struct {
	int64_t id;
	const json_t *rec;
	int64_t if_match;
	int rc;
	json_t *out;
	uint32_t serial;
	sdns_store_err err;
} sdns_store_change;
#define SDNS_STORE_APPLY_MAX 16
/* The n changes (1..SDNS_STORE_APPLY_MAX) of zone in order, as ONE
 * transaction with one audit entry per change that took: a change that
 * fails (bad input, 404, 409, 412) fails alone, and the next ones see the
 * zone without it (If-Match compares with the serial the earlier changes
 * left). Concurrent single writes of a zone are batched the same way.
 * Returns SDNS_OK once the changes ran, each with its own rc (a lost
 * database shows as SDNS_EUNAVAIL in every rc, nothing written); else the
 * refusal of the whole (no key, bad zone name, n out of range). */
int sdns_store_records_apply(sdns_store *s, const sdns_actor *actor,
                             const char *zone, sdns_store_change *ch,
                             size_t n, sdns_store_err *err);

/* --- enrollment (src/store/tokens.c) --- */

/* A one-time token for node name with role, valid ttl_seconds (1..30 days):
 * 32 random bytes base64url; only its SHA-256 is stored. *out =
 * {"token","name","role","expires_at"}. */
int sdns_store_token_create(sdns_store *s, const sdns_actor *actor,
                            const char *name, sdns_role role,
                            int64_t ttl_seconds, json_t **out,
                            sdns_store_err *err);

/* Issue the certificate for the token's name and role: returns 0 with a
 * malloc'd PEM leaf in *cert_pem, or a negative code (passed through). */
typedef int (*sdns_store_sign_fn)(void *ctx, sdns_role role,
                                  const char *name, char **cert_pem);

/* Redeem token: inside one transaction the token row is locked and must be
 * known, unused and unexpired (else SDNS_EAUTH, one message for all), then
 * sign is called, the node row is inserted (fingerprint, SPKI SHA-256 and
 * serial of the returned certificate), the token marked used and the audit
 * entry appended. zone_key: 32-byte Ed25519 key, required for role node
 * (SDNS_EINVAL field "zone_key"); doq_endpoint may be NULL. *out =
 * {"id","name","role","spiffe_id","certificate"}. */
int sdns_store_enroll(sdns_store *s, const char *token,
                      const uint8_t *zone_key, const char *doq_endpoint,
                      sdns_store_sign_fn sign, void *sign_ctx, json_t **out,
                      sdns_store_err *err);

/* --- peers (src/store/peers.c) --- */

/* *out = array of {"id","name","role","spiffe_id","doq_endpoint",
 * "fingerprint","status","enrolled_at","revoked_at","last_seen",
 * "cert_not_after","zone_key"(base64|null)}, by id. */
int sdns_store_peers_list(sdns_store *s, json_t **out, sdns_store_err *err);
/* Mark peer id revoked and add its serial + SPKI to the revoked set.
 * Revoking a revoked peer: SDNS_EEXIST. *out = the peer object. */
int sdns_store_peer_revoke(sdns_store *s, const sdns_actor *actor, int64_t id,
                           const char *reason, json_t **out,
                           sdns_store_err *err);
/* Register a node certified elsewhere in this mesh (src/store/peeradd.c):
 * cert_pem must verify against ca_pem (PEM, the mesh CA), carry exactly one
 * spiffe://<mesh>/node/<name> URI SAN (mesh NULL: any), and neither its
 * serial nor its SPKI may be in the revoked set (SDNS_EDENIED). Bad input:
 * SDNS_EINVAL with field "certificate", "zone_key" or "doq_endpoint"; the
 * SPIFFE id or name already known: SDNS_EEXIST. Audit action "peer.add".
 * *out = {"id","name","role","spiffe_id","doq_endpoint","fingerprint"}. */
int sdns_store_peer_add(sdns_store *s, const sdns_actor *actor,
                        const char *ca_pem, const char *mesh,
                        const char *cert_pem, const uint8_t zone_key[32],
                        const char *doq_endpoint, json_t **out,
                        sdns_store_err *err);
/* The immutable revoked set (include/sdns/revoked.h). */
int sdns_store_load_revoked(sdns_store *s, sdns_revoked **out,
                            sdns_store_err *err);

/* --- audit (src/store/auditlog.c) --- */

/* *out = {"entries":[{"id","ts","actor","actor_fp","action","object",
 * "before","after","prev_hash","hash","sig","signer_pub"}] (hex strings),
 * "next_after": last id or null when fewer than limit}. after: 0 = from the
 * start; limit 1..1000 (0 = 100); actor/action filters (NULL = any). */
int sdns_store_audit_list(sdns_store *s, int64_t after, int limit,
                          const char *actor, const char *action,
                          json_t **out, sdns_store_err *err);
/* --- verifying it (src/store/auditverify.c) ---
 * Signatures are checked only against the keys of trust (the node's own
 * audit key and those of its trust file), never against the signer_pub a
 * row names: a row signed by any other key is the first bad entry. */

/* A walk along the chain, resumable: after it, id/hash are the last entry
 * that verified (0 and zeros before the first). */
typedef struct {
	int64_t id;
	uint8_t hash[SDNS_AUDIT_HASH_LEN];
	int64_t checked;            /* entries verified by this walk */
	int64_t bad_id;             /* -1: none */
	const char *reason;         /* static text, NULL when all verified */
	bool bad_pub_set;           /* reason is an untrusted signer: */
	uint8_t bad_pub[SDNS_AUDIT_PUB_LEN];
} sdns_store_audit_walk;
/* Continue w: when w->id > 0, entry w->id must still be there with
 * w->hash (else bad_id = w->id: the chain was cut or rewritten behind the
 * point already verified); then every entry after it, at most max_rows
 * (0 = all), must link, hash and be signed by a trusted key. Stops at the
 * first bad one. Returns 0 when the walk ran (whatever it found). */
int sdns_store_audit_walk_on(sdns_store *s, const sdns_audit_trust *t,
                             sdns_store_audit_walk *w, int64_t max_rows,
                             sdns_store_err *err);
/* Walk the whole chain. *out = {"ok":true,"checked":N,"head":{"id","hash"}}
 * or {"ok":false,"checked":N,"first_bad_id":K,"reason":"...", "head":...
 * (the last entry that verified), "signer_pub":hex (when the reason is an
 * untrusted key)}; returns 0 in both cases. */
int sdns_store_audit_verify(sdns_store *s, const sdns_audit_trust *t,
                            json_t **out, sdns_store_err *err);
/* The newest entry: *id (0 for an empty chain) and its hash. */
int sdns_store_audit_head(sdns_store *s, int64_t *id,
                          uint8_t hash[SDNS_AUDIT_HASH_LEN],
                          sdns_store_err *err);
/* Record a refused authentication (the API rate-limits before calling). */
int sdns_store_audit_auth_refused(sdns_store *s, const char *remote,
                                  const char *reason, sdns_store_err *err);

/* --- the change log (src/store/changelog.c, migrations/002) ---
 * Every committed change has a row whose sequence number is in commit
 * order (a rolled-back transaction leaves a harmless hole). Readers read a
 * snapshot (read_begin .. read_end) so that the log and the data they read
 * with it agree. */

/* One row of the log; strings borrowed for the callback only. */
typedef struct {
	int64_t seq;
	const char *tbl;         /* records, zones, nodes, revoked, audit */
	const char *op;          /* INSERT, UPDATE, DELETE; RELOAD (zones) */
	int64_t row_id, zone_id; /* -1 when NULL */
	const char *name;        /* records: the owner; zones: the zone; or NULL */
	int64_t old_zone_id;     /* records UPDATE that moved: where from, or -1 */
	const char *old_name;    /* or NULL */
} sdns_store_logrow;
typedef int (*sdns_store_logrow_fn)(void *ctx, const sdns_store_logrow *row);

/* A read-only REPEATABLE READ transaction: every read until read_end sees
 * one snapshot. */
int sdns_store_read_begin(sdns_store *s, sdns_store_err *err);
void sdns_store_read_end(sdns_store *s);
/* *newest: the position of this snapshot (every change up to it is in it;
 * 0 for none). *pruned: rows up to this number were removed (a reader
 * whose place is below it has missed changes). Either may be NULL. */
int sdns_store_log_state(sdns_store *s, int64_t *newest, int64_t *pruned,
                         sdns_store_err *err);
/* read_begin, log_state and log_read in one round trip: the read
 * transaction stays open (read_end closes it). */
int sdns_store_log_begin(sdns_store *s, int64_t after, size_t max,
                         sdns_store_logrow_fn fn, void *ctx, size_t *n,
                         int64_t *newest, int64_t *pruned,
                         sdns_store_err *err);
/* The rows after `after`, in order, at most max: fn for each (non-zero
 * stops and is returned). *n (may be NULL) gets how many. */
int sdns_store_log_read(sdns_store *s, int64_t after, size_t max,
                        sdns_store_logrow_fn fn, void *ctx, size_t *n,
                        sdns_store_err *err);
/* Bounded retention: rows more than keep_rows behind the newest, and rows
 * older than keep_seconds, go (0 = no bound of that kind). A reader that
 * was further behind finds a gap and reloads. *deleted may be NULL. */
int sdns_store_log_prune(sdns_store *s, int64_t keep_rows,
                         int64_t keep_seconds, int64_t *deleted,
                         sdns_store_err *err);

/* --- streaming reads for the serving snapshot (src/store/stream.c) --- */

typedef struct {
	/* A zones row (name lowercase, no final dot). */
	int (*zone)(void *ctx, int64_t id, const char *name, uint32_t serial);
	/* One record of zone_id; name lowercase without the final dot, not
	 * NUL-terminated; rd borrowed for the call. */
	int (*record)(void *ctx, int64_t zone_id, const char *name,
	              size_t name_len, uint16_t type, uint32_t ttl,
	              const uint8_t *rd, size_t rdlen);
} sdns_store_load_cb;
/* Zones (zone_id < 0: all; else that one) and then their records, as they
 * come from the server (COPY, binary): nothing is held in memory, so the
 * size of the store does not matter. Call inside read_begin/read_end. A
 * callback's non-zero return stops the load and is returned. */
int sdns_store_load_stream(sdns_store *s, int64_t zone_id,
                           const sdns_store_load_cb *cb, void *ctx,
                           sdns_store_err *err);
/* In one round trip: the zones rows of the nz ids in zones (cb->zone;
 * gone ones are not reported) and the records at n owner names
 * (zone_ids[i], names[i]; cb->record, in no particular order). Inside
 * read_begin/read_end, with the log rows that named them; end: the read
 * transaction ends in the same round trip (read_end then does nothing). */
int sdns_store_owners_read(sdns_store *s, const int64_t *zones, size_t nz,
                           const int64_t *zone_ids, const char *const *names,
                           size_t n, const sdns_store_load_cb *cb, void *ctx,
                           bool end, sdns_store_err *err);

/* --- listener (src/store/listener.c) --- */

typedef struct {
	/* A transaction committed changes from seq on (its first zone, or
	 * -1): read the log. One call per committing transaction. */
	void (*on_notify)(void *ctx, int64_t seq, int64_t zone_id);
	/* Notifications may have been missed: reload everything. Called after
	 * every successful (re)connect, the first one included. */
	void (*on_resync)(void *ctx);
	/* Connection up (before on_resync) or lost. */
	void (*on_state)(void *ctx, bool up);
} sdns_store_listen_cb;

typedef struct sdns_store_listener sdns_store_listener;

/* Start a thread with its own connection doing LISTEN sdns_changes. It
 * retries forever while the database is down (backoff 100 ms .. 5 s with
 * jitter, a log line per attempt). Callbacks run on that thread. */
int sdns_store_listener_start(const char *conninfo,
                              const sdns_store_listen_cb *cb, void *ctx,
                              sdns_store_listener **out);
/* Interrupts the wait, joins the thread, frees. */
void sdns_store_listener_stop(sdns_store_listener *l);

#endif
