/* Internals shared by the src/store files: the connection object, query
 * helpers that map libpq failures to sdns codes, transactions, the audit
 * append and record validation. Not a public header. */
#ifndef SDNS_STORE_INT_H
#define SDNS_STORE_INT_H

#include <libpq-fe.h>
#include <stdarg.h>
#include "sdns/store.h"

/* A statement prepared on this connection under the name "s<id>". */
typedef struct {
	char *sql;         /* copy of the text: the key */
	uint32_t hash;
	unsigned id;
	bool ready;        /* the server confirmed the prepare */
} st_prep;
/* Enough for every statement text of the store; more run unprepared. */
#define ST_PREP_MAX 64

struct sdns_store {
	PGconn *pg;
	bool broken;
	bool have_key;
	sdns_audit_key key;
	/* Parse and plan once per connection, not per statement. */
	int nprep;
	unsigned prep_seq;
	st_prep prep[ST_PREP_MAX];
};

/* The entry of sql (ready or pending in the current batch), NULL if none. */
st_prep *st_prep_find(sdns_store *s, const char *sql);
/* Whether sql would get an entry (st_prep_add). */
bool st_prep_can(const sdns_store *s, const char *sql);
/* A new pending entry for sql, NULL when sql is not a plain SELECT/INSERT/
 * UPDATE/DELETE/WITH (utility statements stay unprepared), the cache is
 * full or memory is short: then run it unprepared. */
st_prep *st_prep_add(sdns_store *s, const char *sql);
/* Its statement name. */
void st_prep_name(const st_prep *p, char name[16]);
/* Drop the entries whose prepare the server did not confirm. */
void st_prep_settle(sdns_store *s);
/* Forget them all (the connection is going away). */
void st_prep_free(sdns_store *s);

/* Lock serialising audit appends (chain order = commit order):
 * 0x5d4e5a0d1 (PostgreSQL 15 reads no hexadecimal literals). */
#define ST_AUDIT_LOCK_SQL "SELECT pg_advisory_xact_lock(25046655185)"
/* Lock serialising migrations of concurrent start-ups. */
#define ST_MIGRATE_LOCK 0x5d4e5a0d2LL

/* Fill err (may be NULL); returns code. */
int st_err(sdns_store_err *err, int code, const char *field, const char *fmt,
           ...) __attribute__((format(printf, 4, 5)));

/* Run sql with n text parameters (NULL = SQL NULL). On success *out (may
 * be NULL: the result is then cleared) holds the result. On failure the
 * SQLSTATE is mapped: 23505 SDNS_EEXIST, SD409 SDNS_EZONE, 23514/22xxx/
 * 23503 SDNS_EINVAL, SD403 SDNS_EDENIED, connection loss SDNS_EUNAVAIL (the
 * store is then marked broken), others SDNS_EIO; err gets the server's words. */
int st_q(sdns_store *s, const char *sql, int n, const char *const *vals,
         PGresult **out, sdns_store_err *err);
/* The failure in r (may be NULL: the connection's), mapped as st_q maps
 * it; r is cleared. For the callers that drive libpq themselves (COPY). */
int st_result_fail(sdns_store *s, PGresult *r, sdns_store_err *err);
/* The same, never prepared: statements run once per connection
 * (migrations), so they take no cache slot. */
int st_q_once(sdns_store *s, const char *sql, int n, const char *const *vals,
              PGresult **out, sdns_store_err *err);
/* One statement of a batch; bin: results in binary format. */
typedef struct {
	const char *sql;
	int n;
	const char *const *vals;
	int bin;
} st_stmt;
/* Send the n statements in one pipeline and read every answer: one round
 * trip. On success res[i] (res may be NULL) holds the result of q[i] (the
 * caller PQclears them). The server skips what follows a failure; the first
 * failure is mapped as st_q does, *failed (may be NULL) gets its index and
 * every res[i] is NULL. Writers use it to keep the round trips made while
 * holding the zone and audit locks to a minimum. 1 <= n <= ST_BATCH_MAX. */
#define ST_BATCH_MAX 40
int st_batch(sdns_store *s, const st_stmt *q, int n, PGresult **res,
             int *failed, sdns_store_err *err);
/* The same, except that on failure res[i] for i < *failed (answered before
 * it) are kept for the caller to clear: the transaction continues after a
 * ROLLBACK TO SAVEPOINT. */
int st_batch_keep(sdns_store *s, const st_stmt *q, int n, PGresult **res,
                  int *failed, sdns_store_err *err);
int st_begin(sdns_store *s, sdns_store_err *err);
int st_commit(sdns_store *s, sdns_store_err *err);
void st_rollback(sdns_store *s);
/* rc != 0: roll back and return rc; else commit. */
int st_finish(sdns_store *s, int rc, sdns_store_err *err);

/* The SOA text with its third field (serial) replaced; malloc'd, NULL
 * without memory. The zone's serial lives in zones.serial, not in the
 * stored SOA text. */
char *st_soa_with_serial(const char *text, uint32_t serial);

/* Zone name normalised (lowercase, no trailing dot) into out; SDNS_EINVAL
 * field "zone" otherwise. apex (may be NULL) gets the wire form. */
int st_zone_norm(const char *zone, char *out, size_t cap, sdns_name *apex,
                 sdns_store_err *err);
/* Lock zone's row; SDNS_ENOTFOUND, SDNS_EPRECOND when if_match differs. */
int st_zone_lock(sdns_store *s, const char *zone, int64_t if_match,
                 int64_t *zone_id, sdns_store_err *err);
/* zones.serial + 1 (wrapping 2^32-1 to 1); *serial = new value. */
int st_zone_bump(sdns_store *s, int64_t zone_id, uint32_t *serial,
                 sdns_store_err *err);

/* A validated record ready to insert. */
typedef struct {
	char name[256];
	uint16_t type;
	uint32_t ttl;
	char *text;        /* canonical presentation, malloc'd */
	uint8_t *wire;     /* malloc'd */
	uint16_t wlen;
} st_rec;
void st_rec_clear(st_rec *r);
/* Validate a record JSON object against the zone (apex + its text name). */
int st_rec_from_json(const json_t *j, const char *zone, const sdns_name *apex,
                     st_rec *out, sdns_store_err *err);
/* The longest presentation of one RDATA, and of an owner name (the
 * records table's CHECKs: rdata_text <= 262144, name <= 253). */
#define ST_REC_TEXT_MAX (SDNS_RDATA_MAX * 4 + 16)
#define ST_REC_TEXT_STORED_MAX 262144
#define ST_REC_NAME_MAX 253
/* Check an already parsed RR without allocating: owner inside the zone
 * (its lowercase text, without the final dot, into name), class IN, type
 * allowed, the SOA at the apex, TTL range. */
int st_rec_check_rr(const sdns_rr *rr, const sdns_name *apex, char *name,
                    size_t cap, sdns_store_err *err);
/* INSERT it; *id (may be NULL) = the new row id. */
int st_rec_insert(sdns_store *s, int64_t zone_id, const st_rec *r,
                  int64_t *id, sdns_store_err *err);
/* The same; skip_dup: an identical record already there is not an error
 * (RFC 2181 §5: duplicates in a master file collapse). */
int st_rec_insert2(sdns_store *s, int64_t zone_id, const st_rec *r,
                   bool skip_dup, int64_t *id, sdns_store_err *err);
/* Record object of row i of a result with columns id,name,type,ttl,
 * rdata_text; SOA serial replaced by serial. */
json_t *st_rec_row_json(PGresult *r, int i, uint32_t serial);
/* A record's row parameters: first (zone id or name), name, type, ttl,
 * text, hex wire. Free hex (malloc'd) after use. */
typedef struct {
	char type[8], ttl[16];
	char *hex;
	const char *p[6];
} st_rec_params;
/* SDNS_ENOMEM when hex cannot be made. */
int st_rec_params_set(st_rec_params *rp, const st_rec *r, const char *first);

/* Record object from columns c..c+4 (id, name, type, ttl, rdata_text) of
 * row i; SOA serial replaced by serial. */
json_t *st_rec_json_at(PGresult *r, int i, int c, uint32_t serial);

/* One record change: add (id 0, rec), update (id, rec), delete (id). */
typedef struct {
	const char *action;   /* record.create / update / delete */
	const char *zone;     /* normalised */
	int64_t if_match, id;
	const st_rec *rec;
} st_rec_change;

/* A change with its caller and, once done, its outcome. */
typedef struct st_rec_job {
	sdns_store *s;            /* the caller's: its key signs the entry */
	const sdns_actor *actor;
	st_rec_change w;
	int rc;
	sdns_store_err err;
	json_t *after;            /* the stored record (add, update) */
	uint32_t serial;          /* the zone serial after this change */
	bool done;
	struct st_rec_job *next;  /* in its zone group's queue */
} st_rec_job;

/* Most changes one transaction carries. */
#define ST_REC_RUN_MAX 16
/* Run jobs (1..ST_REC_RUN_MAX, all of one zone, callers with audit keys)
 * in order as ONE transaction on s (recwrite.c): one zone lock, each
 * change under its own savepoint (so one that fails fails alone and the
 * next sees the state without it), one audit lock, one chained entry per
 * change that took, one commit. Sets every job's rc, err, after, serial;
 * when the whole fails, every change that had taken gets that failure. */
void st_rec_run(sdns_store *s, st_rec_job *const *jobs, int n);
/* Group commit (group.c): queue job behind the other writers of its zone
 * in this process. With none in flight, the caller runs it at once on s;
 * otherwise the queue is run as one st_rec_run by the next caller whose
 * turn it is, on that caller's store. Returns job->rc. */
int st_rec_group(sdns_store *s, st_rec_job *job);

/* The standard record columns, for SELECT lists. */
#define ST_REC_COLS "id, name, type, ttl, rdata_text"

/* The chain head: the id and prev_hash of the next entry. */
typedef struct {
	int64_t id;
	uint8_t prev[SDNS_AUDIT_HASH_LEN];
} st_audit_head;
/* Read the head: run it as a statement AFTER ST_AUDIT_LOCK_SQL (its own
 * snapshot then sees the entry of the previous lock holder; inside the
 * locking statement it would not), both in the writer's transaction. */
#define ST_AUDIT_HEAD_SQL \
	"SELECT id, encode(hash, 'hex') FROM audit ORDER BY id DESC LIMIT 1"
void st_audit_head_of(PGresult *r, st_audit_head *h);
/* The signed entry after h as INSERT parameters (st_audit_insert). */
typedef struct {
	char id[24], ts[40], prev[65], hash[65], sig[129], pub[65];
	char *before, *after;
	const char *p[12];
} st_audit_row;
#define ST_AUDIT_INSERT_SQL "INSERT INTO audit (id, ts, actor, actor_fp, " \
	"action, object, before, after, prev_hash, hash, sig, signer_pub) " \
	"VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, decode($9, " \
	"'hex'), decode($10, 'hex'), decode($11, 'hex'), decode($12, 'hex'))"
/* SDNS_ECONFIG without an audit key. Clear row with st_audit_row_clear
 * whatever the result. */
int st_audit_row_make(sdns_store *s, const st_audit_head *h,
                      const char *actor, const char *actor_fp,
                      const char *action, const char *object, json_t *before,
                      json_t *after, st_audit_row *row, sdns_store_err *err);
void st_audit_row_clear(st_audit_row *row);
/* INSERT row and COMMIT in one round trip; rolled back on failure. */
int st_audit_commit(sdns_store *s, const st_audit_row *row,
                    sdns_store_err *err);

/* Append one audit entry in the current transaction (must be inside one). */
int st_audit_append(sdns_store *s, const char *actor, const char *actor_fp,
                    const char *action, const char *object, json_t *before,
                    json_t *after, sdns_store_err *err);
/* The audit columns of list and verify, in this order (hex for bytea). */
#define ST_AUDIT_COLS "id, ts, actor, actor_fp, action, object, " \
	"before::text, after::text, encode(prev_hash, 'hex'), " \
	"encode(hash, 'hex'), encode(sig, 'hex'), encode(signer_pub, 'hex')"
/* A jsonb column as a new reference, JSON null for SQL NULL. */
json_t *st_json_or_null(PGresult *r, int row, int col);
/* Actor fields with defaults for NULL. */
const char *st_actor_uri(const sdns_actor *a);
const char *st_actor_fp(const sdns_actor *a);

/* Timestamps as returned in JSON. */
#define ST_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* PQgetvalue helpers. */
int64_t st_i64(PGresult *r, int row, int col);
json_t *st_str_or_null(PGresult *r, int row, int col);

#endif
