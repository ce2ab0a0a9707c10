/* Records of a zone: list, add, update, delete. Each write locks the zone
 * row, checks If-Match, bumps the serial and appends the audit entry in the
 * same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

int st_zone_lock(sdns_store *s, const char *zone, int64_t if_match,
                 int64_t *zone_id, sdns_store_err *err)
{
	PGresult *r;
	const char *p[1] = { zone };
	int rc = st_q(s, "SELECT id, serial FROM zones WHERE name = $1 FOR UPDATE",
	              1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", zone);
	}
	*zone_id = st_i64(r, 0, 0);
	int64_t serial = st_i64(r, 0, 1);
	PQclear(r);
	if (if_match >= 0 && if_match != serial)
		return st_err(err, SDNS_EPRECOND, NULL,
		              "zone %s is at serial %lld, not %lld", zone,
		              (long long)serial, (long long)if_match);
	return SDNS_OK;
}

int st_zone_bump(sdns_store *s, int64_t zone_id, uint32_t *serial,
                 sdns_store_err *err)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)zone_id);
	const char *p[1] = { id };
	PGresult *r;
	int rc = st_q(s, "UPDATE zones SET serial = CASE WHEN serial >= 4294967295 "
	                 "THEN 1 ELSE serial + 1 END, updated_at = now() "
	                 "WHERE id = $1 RETURNING serial", 1, p, &r, err);
	if (rc) return rc;
	if (serial) *serial = (uint32_t)st_i64(r, 0, 0);
	PQclear(r);
	return SDNS_OK;
}

static char *hex_of(const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char *h = malloc(n * 2 + 1);
	if (!h) return NULL;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = d[b[i] >> 4];
		h[2 * i + 1] = d[b[i] & 15];
	}
	h[2 * n] = 0;
	return h;
}

/* Parameters of a record row: name, type, ttl, text, hex wire. */
typedef struct {
	char type[8], ttl[16];
	char *hex;
	const char *p[6];
} rec_params;

static int rec_params_set(rec_params *rp, const st_rec *r, const char *first)
{
	snprintf(rp->type, sizeof rp->type, "%u", r->type);
	snprintf(rp->ttl, sizeof rp->ttl, "%u", r->ttl);
	rp->hex = hex_of(r->wire, r->wlen);
	if (!rp->hex) return SDNS_ENOMEM;
	rp->p[0] = first;
	rp->p[1] = r->name;
	rp->p[2] = rp->type;
	rp->p[3] = rp->ttl;
	rp->p[4] = r->text;
	rp->p[5] = rp->hex;
	return SDNS_OK;
}

int st_rec_insert(sdns_store *s, int64_t zone_id, const st_rec *r,
                  int64_t *id, sdns_store_err *err)
{
	return st_rec_insert2(s, zone_id, r, false, id, err);
}

int st_rec_insert2(sdns_store *s, int64_t zone_id, const st_rec *r,
                   bool skip_dup, int64_t *id, sdns_store_err *err)
{
	char zid[24];
	snprintf(zid, sizeof zid, "%lld", (long long)zone_id);
	rec_params rp;
	if (rec_params_set(&rp, r, zid))
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	PGresult *res;
	int rc = st_q(s, skip_dup ? "INSERT INTO records (zone_id, name, type, "
	                 "ttl, rdata_text, rdata) VALUES ($1, $2, $3, $4, $5, "
	                 "decode($6, 'hex')) ON CONFLICT DO NOTHING RETURNING id"
	                 : "INSERT INTO records (zone_id, name, type, ttl, "
	                 "rdata_text, rdata) VALUES ($1, $2, $3, $4, $5, "
	                 "decode($6, 'hex')) RETURNING id", 6, rp.p, &res, err);
	free(rp.hex);
	if (rc == SDNS_EEXIST)
		return st_err(err, rc, NULL, "record %s %s %s already exists",
		              r->name, rp.type, r->text);
	if (rc) return rc;
	if (id) *id = PQntuples(res) ? st_i64(res, 0, 0) : 0;
	PQclear(res);
	return SDNS_OK;
}

/* The SOA text with its third field (serial) replaced. */
static char *soa_with_serial(const char *text, uint32_t serial)
{
	size_t n = strlen(text);
	char *out = malloc(n + 16);
	if (!out) return NULL;
	const char *p = text;
	for (int field = 0; field < 2 && *p; field++) {
		while (*p && *p != ' ' && *p != '\t') p++;
		while (*p == ' ' || *p == '\t') p++;
	}
	const char *end = p;
	while (*end && *end != ' ' && *end != '\t') end++;
	if (!*p) {
		memcpy(out, text, n + 1);
		return out;
	}
	snprintf(out, n + 16, "%.*s%u%s", (int)(p - text), text, serial, end);
	return out;
}

/* Record object from columns c..c+4 (id, name, type, ttl, rdata_text). */
static json_t *rec_json_at(PGresult *r, int i, int c, uint32_t serial)
{
	uint16_t type = (uint16_t)st_i64(r, i, c + 2);
	char tbuf[16];
	const char *text = PQgetvalue(r, i, c + 4);
	char *soa = type == SDNS_T_SOA ? soa_with_serial(text, serial) : NULL;
	json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id",
	                      (json_int_t)st_i64(r, i, c), "name",
	                      PQgetvalue(r, i, c + 1), "type",
	                      sdns_type_to_str(type, tbuf, sizeof tbuf), "ttl",
	                      (json_int_t)st_i64(r, i, c + 3), "value",
	                      soa ? soa : text);
	free(soa);
	return o;
}

json_t *st_rec_row_json(PGresult *r, int i, uint32_t serial)
{
	return rec_json_at(r, i, 0, serial);
}

int sdns_store_records_list(sdns_store *s, const char *zone, json_t **out,
                            sdns_store_err *err)
{
	*out = NULL;
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	const char *p[1] = { z };
	PGresult *r;
	rc = st_q(s, "SELECT r.id, r.name, r.type, r.ttl, r.rdata_text, z.serial, "
	             "z.id FROM zones z LEFT JOIN records r ON r.zone_id = z.id "
	             "WHERE z.name = $1 ORDER BY r.id", 1, p, &r, err);
	if (rc) return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", z);
	}
	json_t *a = json_array();
	for (int i = 0; a && i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, 0)) continue;
		json_array_append_new(a, st_rec_row_json(r, i,
		                                         (uint32_t)st_i64(r, i, 5)));
	}
	PQclear(r);
	*out = a;
	return a ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static char *rec_object(const char *zone, int64_t id)
{
	char *o = malloc(strlen(zone) + 32);
	if (o) sprintf(o, "record:%s/%lld", zone, (long long)id);
	return o;
}

/* A record write is two round trips whatever happens in between:
 *   1. BEGIN; lock the zone row; one statement that checks If-Match and
 *      the record, writes it and bumps the serial (its snapshot is taken
 *      once the zone lock is held, so it sees the previous writer's
 *      commit); take the audit lock; read the chain head.
 *   2. INSERT the signed audit entry; COMMIT.
 * Each write statement answers one row: zone id, serial before, serial
 * after (NULL when nothing was written), the record before (5 columns,
 * NULL for adds) and the record after (5 columns, NULL for deletes). The
 * caller tells 404/412/409 apart from what is NULL. */
#define REC_SERIAL_BUMP \
	"u AS (UPDATE zones SET serial = CASE WHEN zones.serial >= 4294967295 " \
	"THEN 1 ELSE zones.serial + 1 END, updated_at = now() FROM ok WHERE " \
	"zones.id = ok.id RETURNING zones.id, zones.serial) "
#define REC_OLD(idp) \
	"o AS (SELECT r.id, r.name, r.type, r.ttl, r.rdata_text FROM records r " \
	"JOIN z ON r.zone_id = z.id WHERE r.id = " idp "::bigint), "
#define REC_ANSWER(old) \
	"SELECT z.id, z.serial, u.serial, " old ", n.id, n.name, n.type, " \
	"n.ttl, n.rdata_text FROM z LEFT JOIN u ON true LEFT JOIN n ON true"

/* $1 zone, $2 name, $3 type, $4 ttl, $5 text, $6 hex, $7 if_match. */
static const char rec_add_sql[] =
	"WITH z AS (SELECT id, serial FROM zones WHERE name = $1), "
	"ok AS (SELECT id FROM z WHERE ($7::bigint < 0 OR serial = $7) "
	"AND $3::int <> 6), " REC_SERIAL_BUMP ", "
	"n AS (INSERT INTO records (zone_id, name, type, ttl, rdata_text, rdata) "
	"SELECT u.id, $2, $3::int, $4::int, $5, decode($6, 'hex') FROM u "
	"RETURNING id, name, type, ttl, rdata_text) "
	REC_ANSWER("NULL::bigint, NULL::text, NULL::int, NULL::int, NULL::text");

/* The same and $8 the record id; the SOA stays an SOA. */
static const char rec_update_sql[] =
	"WITH z AS (SELECT id, serial FROM zones WHERE name = $1), "
	REC_OLD("$8")
	"ok AS (SELECT z.id FROM z, o WHERE ($7::bigint < 0 OR z.serial = $7) "
	"AND (o.type = 6) = ($3::int = 6)), " REC_SERIAL_BUMP ", "
	"n AS (UPDATE records SET name = $2, type = $3::int, ttl = $4::int, "
	"rdata_text = $5, rdata = decode($6, 'hex'), updated_at = now() FROM u "
	"WHERE records.id = $8::bigint RETURNING records.id, records.name, "
	"records.type, records.ttl, records.rdata_text) "
	"SELECT z.id, z.serial, u.serial, o.id, o.name, o.type, o.ttl, "
	"o.rdata_text, n.id, n.name, n.type, n.ttl, n.rdata_text FROM z "
	"LEFT JOIN o ON true LEFT JOIN u ON true LEFT JOIN n ON true";

/* $1 zone, $2 if_match, $3 record id; never the SOA. */
static const char rec_delete_sql[] =
	"WITH z AS (SELECT id, serial FROM zones WHERE name = $1), "
	REC_OLD("$3")
	"ok AS (SELECT z.id FROM z, o WHERE ($2::bigint < 0 OR z.serial = $2) "
	"AND o.type <> 6), " REC_SERIAL_BUMP ", "
	"d AS (DELETE FROM records USING u WHERE records.id = $3::bigint "
	"RETURNING records.id) "
	"SELECT z.id, z.serial, u.serial, o.id, o.name, o.type, o.ttl, "
	"o.rdata_text, NULL::bigint, NULL::text, NULL::int, NULL::int, "
	"NULL::text FROM z LEFT JOIN o ON true LEFT JOIN u ON true "
	"LEFT JOIN d ON true";

enum { RC_ZID, RC_SERIAL, RC_NEW_SERIAL, RC_OLD, RC_NEW = RC_OLD + 5 };

typedef struct {
	const char *action;   /* record.create / update / delete */
	const char *zone;     /* normalised */
	int64_t if_match, id; /* id: of update and delete */
	const st_rec *rec;    /* add and update */
} rec_change;

/* Why nothing was written, from the answer row of a write statement. */
static int rec_refused(const rec_change *w, PGresult *r, sdns_store_err *err)
{
	if (PQntuples(r) != 1)
		return st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found",
		              w->zone);
	int64_t serial = st_i64(r, 0, RC_SERIAL);
	if (w->if_match >= 0 && w->if_match != serial)
		return st_err(err, SDNS_EPRECOND, NULL,
		              "zone %s is at serial %lld, not %lld", w->zone,
		              (long long)serial, (long long)w->if_match);
	if (w->id && PQgetisnull(r, 0, RC_OLD))
		return st_err(err, SDNS_ENOTFOUND, "id", "record %lld not found",
		              (long long)w->id);
	if (!strcmp(w->action, "record.create"))
		return st_err(err, SDNS_EZONE, "type", "zone %s already has an SOA "
		              "record (update it instead)", w->zone);
	if (!strcmp(w->action, "record.update"))
		return st_err(err, SDNS_EZONE, "type", "zone %s must keep exactly "
		              "one SOA record", w->zone);
	return st_err(err, SDNS_EZONE, "id", "the SOA record of %s cannot be "
	              "deleted", w->zone);
}

/* Round trip 1: *res = the answer row and *head = the chain head, inside
 * the open transaction (rolled back on failure). */
static int rec_write1(sdns_store *s, const rec_change *w, PGresult **res,
                      st_audit_head *head, sdns_store_err *err)
{
	char im[24], id[24];
	snprintf(im, sizeof im, "%lld", (long long)w->if_match);
	snprintf(id, sizeof id, "%lld", (long long)w->id);
	rec_params rp = { .hex = NULL };
	const char *const *vals;
	const char *sql;
	const char *dp[3] = { w->zone, im, id };
	const char *wp[8];
	if (w->rec) {
		if (rec_params_set(&rp, w->rec, w->zone))
			return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
		memcpy(wp, rp.p, sizeof rp.p);
		wp[6] = im;
		wp[7] = id;
		vals = wp;
		sql = w->id ? rec_update_sql : rec_add_sql;
	} else {
		vals = dp;
		sql = rec_delete_sql;
	}
	const char *zp[1] = { w->zone };
	const st_stmt q[5] = {
		{ "BEGIN", 0, NULL },
		{ "SELECT 1 FROM zones WHERE name = $1 FOR UPDATE", 1, zp },
		{ sql, w->rec ? (w->id ? 8 : 7) : 3, vals },
		{ ST_AUDIT_LOCK_SQL, 0, NULL },
		{ ST_AUDIT_HEAD_SQL, 0, NULL },
	};
	PGresult *r[5];
	int failed;
	int rc = st_batch(s, q, 5, r, &failed, err);
	free(rp.hex);
	if (rc) {
		st_rollback(s);
		if (rc == SDNS_EEXIST && failed == 2 && w->rec)
			return st_err(err, rc, NULL, "record %s %s %s already exists",
			              w->rec->name, rp.type, w->rec->text);
		return rc;
	}
	PQclear(r[0]);
	PQclear(r[1]);
	PQclear(r[3]);
	st_audit_head_of(r[4], head);
	PQclear(r[4]);
	if (PQntuples(r[2]) != 1 || PQgetisnull(r[2], 0, RC_NEW_SERIAL)) {
		rc = rec_refused(w, r[2], err);
		PQclear(r[2]);
		st_rollback(s);
		return rc;
	}
	*res = r[2];
	return SDNS_OK;
}

static int rec_write(sdns_store *s, const sdns_actor *actor,
                     const rec_change *w, json_t **out, uint32_t *serial,
                     sdns_store_err *err)
{
	if (out) *out = NULL;
	if (!s->have_key) /* fail before taking any lock */
		return st_err(err, SDNS_ECONFIG, NULL, "no audit key configured");
	PGresult *r = NULL;
	st_audit_head head;
	int rc = rec_write1(s, w, &r, &head, err);
	if (rc) return rc;
	uint32_t old = (uint32_t)st_i64(r, 0, RC_SERIAL);
	uint32_t ser = (uint32_t)st_i64(r, 0, RC_NEW_SERIAL);
	bool has_old = !PQgetisnull(r, 0, RC_OLD);
	bool has_new = !PQgetisnull(r, 0, RC_NEW);
	int64_t id = has_new ? st_i64(r, 0, RC_NEW) : w->id;
	json_t *before = has_old ? rec_json_at(r, 0, RC_OLD, old) : NULL;
	json_t *after = has_new ? rec_json_at(r, 0, RC_NEW, ser) : NULL;
	PQclear(r);
	char *obj = rec_object(w->zone, id);
	st_audit_row row;
	memset(&row, 0, sizeof row);
	if ((has_old && !before) || (has_new && !after) || !obj)
		rc = st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	if (rc == SDNS_OK)
		rc = st_audit_row_make(s, &head, st_actor_uri(actor),
		                       st_actor_fp(actor), w->action, obj, before,
		                       after, &row, err);
	if (rc == SDNS_OK) rc = st_audit_commit(s, &row, err);
	else st_rollback(s);
	st_audit_row_clear(&row);
	free(obj);
	json_decref(before);
	if (rc == SDNS_OK && serial) *serial = ser;
	if (rc == SDNS_OK && out) *out = after;
	else json_decref(after);
	return rc;
}

static int rec_prepare(const char *zone, const json_t *rec, char *z,
                       st_rec *sr, sdns_store_err *err)
{
	sdns_name apex;
	int rc = st_zone_norm(zone, z, 256, &apex, err);
	if (rc) return rc;
	return st_rec_from_json(rec, z, &apex, sr, err);
}

int sdns_store_record_add(sdns_store *s, const sdns_actor *actor,
                          const char *zone, const json_t *rec,
                          int64_t if_match, json_t **out, uint32_t *serial,
                          sdns_store_err *err)
{
	if (out) *out = NULL;
	char z[256];
	st_rec sr;
	int rc = rec_prepare(zone, rec, z, &sr, err);
	if (rc) return rc;
	const rec_change w = { "record.create", z, if_match, 0, &sr };
	rc = rec_write(s, actor, &w, out, serial, err);
	st_rec_clear(&sr);
	return rc;
}

int sdns_store_record_update(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, const json_t *rec,
                             int64_t if_match, json_t **out, uint32_t *serial,
                             sdns_store_err *err)
{
	if (out) *out = NULL;
	char z[256];
	st_rec sr;
	int rc = rec_prepare(zone, rec, z, &sr, err);
	if (rc) return rc;
	const rec_change w = { "record.update", z, if_match, id, &sr };
	rc = rec_write(s, actor, &w, out, serial, err);
	st_rec_clear(&sr);
	return rc;
}

int sdns_store_record_delete(sdns_store *s, const sdns_actor *actor,
                             const char *zone, int64_t id, int64_t if_match,
                             uint32_t *serial, sdns_store_err *err)
{
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	const rec_change w = { "record.delete", z, if_match, id, NULL };
	return rec_write(s, actor, &w, NULL, serial, err);
}
