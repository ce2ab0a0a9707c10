/* Internals shared by the src/store files: the connection object, query
 * helpers that map libpq failures to sdns codes, transactions, the audit
 * append and record validation. Not a public header. */
#ifndef SDNS_STORE_INT_H
#define SDNS_STORE_INT_H

#include <libpq-fe.h>
#include <stdarg.h>
#include "sdns/store.h"

struct sdns_store {
	PGconn *pg;
	bool broken;
	bool have_key;
	sdns_audit_key key;
};

/* Lock serialising audit appends (chain order = commit order). */
#define ST_AUDIT_LOCK 0x5d4e5a0d1LL
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
int st_begin(sdns_store *s, sdns_store_err *err);
int st_commit(sdns_store *s, sdns_store_err *err);
void st_rollback(sdns_store *s);
/* rc != 0: roll back and return rc; else commit. */
int st_finish(sdns_store *s, int rc, sdns_store_err *err);

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
/* From an already parsed RR (import). */
int st_rec_from_rr(const sdns_rr *rr, const sdns_name *apex, st_rec *out,
                   sdns_store_err *err);
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
/* The standard record columns, for SELECT lists. */
#define ST_REC_COLS "id, name, type, ttl, rdata_text"

/* Append one audit entry in the current transaction (must be inside one). */
int st_audit_append(sdns_store *s, const char *actor, const char *actor_fp,
                    const char *action, const char *object, json_t *before,
                    json_t *after, sdns_store_err *err);
/* Actor fields with defaults for NULL. */
const char *st_actor_uri(const sdns_actor *a);
const char *st_actor_fp(const sdns_actor *a);

/* Timestamps as returned in JSON. */
#define ST_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* PQgetvalue helpers. */
int64_t st_i64(PGresult *r, int row, int col);
json_t *st_str_or_null(PGresult *r, int row, int col);

#endif
