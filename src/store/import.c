/* Zone import: a master file replaces every record of a zone in ONE
 * transaction, streamed. The text is parsed as it arrives (the incremental
 * parser of include/sdns/zfile.h) and each record goes straight into
 * COPY records ... FROM STDIN in binary (no escaping, no text parsing on
 * the server), so neither the file nor an object per record is ever held:
 * what stays is one entry of text, a COPY buffer and 16 bytes per distinct
 * record for the duplicate set.
 *
 * The transaction: zone row lock (If-Match), sdns.bulk on (the record
 * triggers of migration 002 then log nothing per row), the old records
 * deleted, the COPY; at the end one set-based CNAME check, serial + 1, one
 * RELOAD row in the change log, one audit entry, COMMIT. The audit lock is
 * global, so everything that takes it (the serial bump fires the zones log
 * trigger, sdns_change_zone, the audit append) comes last and never waits
 * on the upload. Any failure, or an import freed before its end, rolls the
 * whole back: a bad line 999,999 changes nothing. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "sdns/error.h"
#include "sdns/zfile.h"
#include "store_int.h"

/* Duplicates collapse (RFC 2181 §5), but COPY cannot skip a row that
 * breaks the UNIQUE (zone_id, name, type, rdata) key: they are dropped
 * here, on a 128-bit keyed hash of (name, type, rdata) in an open-addressing
 * set. Measured at 1M records: the set costs 0.2 s of the parsing core
 * (which waits on the server anyway) and 32 MiB; COPY into a temporary
 * table and then INSERT ... ON CONFLICT DO NOTHING writes every row twice
 * on the server, the bottleneck: 11.3 s instead of 6.9 s for the COPY
 * alone. SipHash-128 under a random key per import: as fast as a plain
 * hash, and no file can be crafted so that two distinct records collide
 * (a collision would drop a record silently). */
typedef struct {
	uint8_t (*slot)[16];    /* all zero = empty */
	size_t cap, n;          /* cap: a power of two */
	uint8_t key[crypto_shorthash_siphashx24_KEYBYTES];
} imp_set;

#define IMP_SET_MIN 4096
/* What is hashed: name, NUL, type, RDATA. */
#define IMP_KEY_MAX (ST_REC_NAME_MAX + 1 + 2 + SDNS_RDATA_MAX)
/* The COPY bytes gathered before they go to libpq: one large record (a
 * full RDATA and its text) fits, and small ones go 20,000 at a time. */
#define IMP_OUT_CAP (1u << 20)
#define IMP_TUPLE_MAX (2 + 6 * 4 + 8 + ST_REC_NAME_MAX + 4 + 4 + \
                       ST_REC_TEXT_STORED_MAX + SDNS_RDATA_MAX)

struct sdns_store_import {
	sdns_store *s;              /* borrowed, used by nothing else meanwhile */
	const sdns_actor *actor;    /* borrowed until _free */
	char zone[256];
	sdns_name apex;
	int64_t zone_id;
	long long before;           /* records replaced */
	size_t max, fed;
	sdns_zfile_parser *zp;
	imp_set seen;
	char *text;                 /* one record's presentation */
	uint8_t *key;               /* one record's duplicate key */
	uint8_t *out;               /* COPY bytes not yet handed to libpq */
	size_t out_len;
	size_t records;             /* distinct records sent */
	int soas;
	uint32_t file_serial;       /* the file's SOA serial */
	bool cname;                 /* the file holds a CNAME */
	bool copying;               /* COPY IN open on the connection */
	bool open;                  /* the transaction is ours to roll back */
	int rc;                     /* sticky failure */
	sdns_store_err err;
	sdns_store_err why;         /* the record callback's reason */
	bool why_db;                /* ... and it came from the database */
};

static const uint8_t copy_head[19] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n',
                                       0xff, '\r', '\n', 0 };

/* ---------- the duplicate set ---------- */

static bool slot_empty(const uint8_t *s)
{
	static const uint8_t zero[16];
	return !memcmp(s, zero, 16);
}

static int set_grow(imp_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : IMP_SET_MIN;
	uint8_t (*ns)[16] = calloc(cap, sizeof *ns);
	if (!ns) return SDNS_ENOMEM;
	for (size_t i = 0; i < set->cap; i++) {
		if (slot_empty(set->slot[i])) continue;
		uint64_t h;
		memcpy(&h, set->slot[i], sizeof h);
		size_t j = (size_t)h & (cap - 1);
		while (!slot_empty(ns[j])) j = (j + 1) & (cap - 1);
		memcpy(ns[j], set->slot[i], 16);
	}
	free(set->slot);
	set->slot = ns;
	set->cap = cap;
	return SDNS_OK;
}

/* *fresh: the record was not seen before (it is now). m: IMP_KEY_MAX
 * bytes of scratch. */
static int set_add(imp_set *set, uint8_t *m, const char *name, uint16_t type,
                   const uint8_t *rd, uint16_t rdlen, bool *fresh)
{
	if ((set->n + 1) * 10 > set->cap * 7 && set_grow(set)) return SDNS_ENOMEM;
	size_t nl = strlen(name);
	size_t len = nl + 3 + rdlen;
	assert(len <= IMP_KEY_MAX);
	memcpy(m, name, nl + 1);     /* the NUL keeps name and type apart */
	m[nl + 1] = (uint8_t)(type >> 8);
	m[nl + 2] = (uint8_t)type;
	if (rdlen) memcpy(m + nl + 3, rd, rdlen);
	uint8_t h[16];
	crypto_shorthash_siphashx24(h, m, len, set->key);
	if (slot_empty(h)) h[0] = 1;  /* zero marks an empty slot */
	uint64_t pos;
	memcpy(&pos, h, sizeof pos);
	size_t j = (size_t)pos & (set->cap - 1);
	for (; !slot_empty(set->slot[j]); j = (j + 1) & (set->cap - 1)) {
		if (!memcmp(set->slot[j], h, 16)) {
			*fresh = false;
			return SDNS_OK;
		}
	}
	memcpy(set->slot[j], h, 16);
	set->n++;
	*fresh = true;
	return SDNS_OK;
}

/* ---------- COPY binary ---------- */

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put_field(uint8_t *p, const void *v, size_t n)
{
	p = put32(p, (uint32_t)n);
	memcpy(p, v, n);
	return p + n;
}

/* Hand the gathered bytes to libpq (which sends as its buffer fills). */
static int out_flush(sdns_store_import *im, sdns_store_err *err)
{
	if (!im->out_len) return SDNS_OK;
	int ok = PQputCopyData(im->s->pg, (const char *)im->out, (int)im->out_len);
	im->out_len = 0;
	if (ok == 1) return SDNS_OK;
	/* The server refused mid-COPY or the connection is gone: its error
	 * is the result. */
	im->copying = false;
	PGresult *r = PQgetResult(im->s->pg);
	int rc = st_result_fail(im->s, r, err);
	while ((r = PQgetResult(im->s->pg))) PQclear(r);
	return rc;
}

/* One row (zone_id, name, type, ttl, rdata_text, rdata). */
static int out_row(sdns_store_import *im, const char *name, const sdns_rr *rr,
                   size_t tlen, sdns_store_err *err)
{
	if (IMP_OUT_CAP - im->out_len < IMP_TUPLE_MAX) {
		int rc = out_flush(im, err);
		if (rc) return rc;
	}
	uint8_t *p = im->out + im->out_len;
	p = put16(p, 6);
	p = put32(p, 8);
	p = put32(p, (uint32_t)((uint64_t)im->zone_id >> 32));
	p = put32(p, (uint32_t)im->zone_id);
	p = put_field(p, name, strlen(name));
	p = put32(p, 4);
	p = put32(p, rr->type);
	p = put32(p, 4);
	p = put32(p, rr->ttl);
	p = put_field(p, im->text, tlen);
	p = put_field(p, rr->rdata, rr->rdlen);
	im->out_len = (size_t)(p - im->out);
	return SDNS_OK;
}

/* ---------- records ---------- */

static int imp_db_fail(sdns_store_import *im, int rc)
{
	im->why_db = true;
	return rc;
}

static int imp_rr(void *ctx, const sdns_rr *rr)
{
	sdns_store_import *im = ctx;
	char name[256];
	int rc = st_rec_check_rr(rr, &im->apex, name, sizeof name, &im->why);
	if (rc) return rc;
	if (rr->type == SDNS_T_SOA && ++im->soas > 1)
		return st_err(&im->why, SDNS_EZONE, NULL, "a second SOA record");
	if (rr->type == SDNS_T_SOA && rr->rdlen >= 20) {
		const uint8_t *sp = rr->rdata + rr->rdlen - 20; /* then 4 timers */
		im->file_serial = (uint32_t)sp[0] << 24 | (uint32_t)sp[1] << 16 |
		                  (uint32_t)sp[2] << 8 | sp[3];
	}
	int tl = sdns_rdata_to_str(rr->type, rr->rdata, rr->rdlen, im->text,
	                           ST_REC_TEXT_MAX);
	if (tl < 0)
		return st_err(&im->why, SDNS_EINVAL, "value", "value: cannot be shown");
	size_t tlen = strlen(im->text);
	if (tlen > ST_REC_TEXT_STORED_MAX)
		return st_err(&im->why, SDNS_EINVAL, "value",
		              "value: longer than %d characters",
		              ST_REC_TEXT_STORED_MAX);
	bool fresh;
	if (set_add(&im->seen, im->key, name, rr->type, rr->rdata, rr->rdlen, &fresh))
		return st_err(&im->why, SDNS_ENOMEM, NULL, "out of memory");
	if (!fresh) return SDNS_OK;
	im->cname |= rr->type == SDNS_T_CNAME;
	im->records++;
	rc = out_row(im, name, rr, tlen, &im->why);
	return rc ? imp_db_fail(im, rc) : SDNS_OK;
}

/* ---------- the transaction ---------- */

/* Remember the first failure and undo everything. */
static int imp_fail(sdns_store_import *im, int rc, const sdns_store_err *e)
{
	if (im->rc) return im->rc;
	im->rc = rc;
	if (e) im->err = *e;
	else st_err(&im->err, rc, NULL, "%s", sdns_strerror(rc));
	if (im->copying && !sdns_store_broken(im->s)) {
		PQputCopyEnd(im->s->pg, "import aborted");
		PGresult *r;
		while ((r = PQgetResult(im->s->pg))) PQclear(r);
	}
	im->copying = false;
	if (im->open) st_rollback(im->s);
	im->open = false;
	return rc;
}

static int imp_copy_start(sdns_store_import *im, sdns_store_err *err)
{
	PGresult *r = PQexec(im->s->pg, "COPY records (zone_id, name, type, ttl, "
	                     "rdata_text, rdata) FROM STDIN (FORMAT binary)");
	if (!r || PQresultStatus(r) != PGRES_COPY_IN)
		return st_result_fail(im->s, r, err);
	PQclear(r);
	im->copying = true;
	memcpy(im->out, copy_head, sizeof copy_head);
	im->out_len = sizeof copy_head;
	return SDNS_OK;
}

static int imp_open(sdns_store_import *im, int64_t if_match,
                    sdns_store_err *err)
{
	int rc = st_begin(im->s, err);
	if (rc) return rc;
	im->open = true;
	rc = st_q(im->s, "SET LOCAL sdns.bulk = 'on'", 0, NULL, NULL, err);
	if (rc == SDNS_OK)
		rc = st_zone_lock(im->s, im->zone, if_match, &im->zone_id, err);
	char zs[24];
	snprintf(zs, sizeof zs, "%lld", (long long)im->zone_id);
	const char *p[1] = { zs };
	PGresult *r = NULL;
	if (rc == SDNS_OK)
		rc = st_q(im->s, "WITH d AS (DELETE FROM records WHERE zone_id = $1 "
		          "RETURNING 1) SELECT count(*) FROM d", 1, p, &r, err);
	if (rc) return rc;
	im->before = (long long)st_i64(r, 0, 0);
	PQclear(r);
	return imp_copy_start(im, err);
}

static int imp_alloc(sdns_store_import *im, size_t max)
{
	im->max = max ? max : SDNS_STORE_IMPORT_MAX_DEFAULT;
	im->text = malloc(ST_REC_TEXT_MAX);
	im->out = malloc(IMP_OUT_CAP);
	im->key = malloc(IMP_KEY_MAX);
	im->zp = sdns_zfile_new(&im->apex, SDNS_ZONE_DEFAULT_TTL, imp_rr, im);
	if (!im->text || !im->out || !im->key || !im->zp || set_grow(&im->seen))
		return SDNS_ENOMEM;
	randombytes_buf(im->seen.key, sizeof im->seen.key);
	return SDNS_OK;
}

int sdns_store_import_begin(sdns_store *s, const sdns_actor *actor,
                            const char *zone, int64_t if_match, size_t max,
                            sdns_store_import **out, sdns_store_err *err)
{
	*out = NULL;
	if (!s->have_key)
		return st_err(err, SDNS_ECONFIG, NULL, "no audit key configured");
	sdns_store_import *im = calloc(1, sizeof *im);
	if (!im) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	im->s = s;
	im->actor = actor;
	int rc = st_zone_norm(zone, im->zone, sizeof im->zone, &im->apex, err);
	if (rc == SDNS_OK && imp_alloc(im, max))
		rc = st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	if (rc == SDNS_OK) rc = imp_open(im, if_match, err);
	if (rc) {
		imp_fail(im, rc, err);
		sdns_store_import_free(im);
		return rc;
	}
	*out = im;
	return SDNS_OK;
}

/* A parser failure as the caller sees it: the line and what is wrong. */
static int imp_parse_fail(sdns_store_import *im, int rc,
                          const sdns_zfile_err *ze)
{
	sdns_store_err e;
	if (im->why_db) return imp_fail(im, im->why.code, &im->why);
	int code = im->why.code ? im->why.code : rc;
	if (code != SDNS_EZONE && code != SDNS_ENOMEM) code = SDNS_EINVAL;
	if (im->why.code)
		st_err(&e, code, "body", "line %d: %s", ze->line, im->why.message);
	else
		st_err(&e, code, "body", "%s", ze->msg);
	return imp_fail(im, code, &e);
}

/* A NUL cannot be in a master file; name its line. */
static int imp_nul(sdns_store_import *im, const char *buf, const char *nul)
{
	int line = sdns_zfile_line(im->zp);
	for (const char *p = buf; p < nul; p++) line += *p == '\n';
	sdns_store_err e;
	st_err(&e, SDNS_EINVAL, "body", "line %d: the master file holds a NUL "
	       "byte", line);
	return imp_fail(im, SDNS_EINVAL, &e);
}

static int imp_result(const sdns_store_import *im, sdns_store_err *err)
{
	if (im->rc && err) *err = im->err;
	return im->rc;
}

int sdns_store_import_feed(sdns_store_import *im, const void *data,
                           size_t len, sdns_store_err *err)
{
	const char *buf = data;
	if (im->rc || !im->open) return imp_result(im, err);
	if (len > im->max - im->fed) {
		sdns_store_err e;
		st_err(&e, SDNS_ETOOBIG, "body", "the master file is over %zu "
		       "bytes", im->max);
		imp_fail(im, SDNS_ETOOBIG, &e);
		return imp_result(im, err);
	}
	im->fed += len;
	const char *nul = len ? memchr(buf, '\0', len) : NULL;
	sdns_zfile_err ze;
	int rc = nul ? imp_nul(im, buf, nul) : sdns_zfile_feed(im->zp, buf, len, &ze);
	if (rc && !im->rc) imp_parse_fail(im, rc, &ze);
	/* Let the server work while the next chunk is on its way. */
	if (!im->rc && (rc = out_flush(im, &im->err))) imp_fail(im, rc, &im->err);
	return imp_result(im, err);
}

/* The end of the COPY: the trailer, then the server's count. */
static int imp_copy_end(sdns_store_import *im, sdns_store_err *err)
{
	uint8_t *p = im->out + im->out_len;
	im->out_len = (size_t)(put16(p, 0xffff) - im->out);
	int rc = out_flush(im, err);
	if (rc) return rc;
	im->copying = false;
	if (PQputCopyEnd(im->s->pg, NULL) != 1)
		return st_result_fail(im->s, NULL, err);
	PGresult *r = PQgetResult(im->s->pg);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = st_result_fail(im->s, r, err);
	else
		PQclear(r);
	while ((r = PQgetResult(im->s->pg))) PQclear(r);
	return rc;
}

/* RFC 1034 §3.6.2 for the whole zone in one set-based query (the per-row
 * trigger is off in bulk mode): an owner with a CNAME holds nothing else
 * but RRSIG and NSEC, and one CNAME only. Only the CNAMEs are looked at,
 * each by the unique index: at 1M records and one CNAME 66-90 ms, where
 * grouping every owner took 640-830 ms. Without a CNAME in the file there
 * is nothing to find: every record of the zone came from it. */
static int imp_cname_check(sdns_store_import *im, sdns_store_err *err)
{
	if (!im->cname) return SDNS_OK;
	char zs[24];
	snprintf(zs, sizeof zs, "%lld", (long long)im->zone_id);
	const char *p[1] = { zs };
	PGresult *r;
	int rc = st_q(im->s, "SELECT c.name FROM records c WHERE c.zone_id = $1 "
	              "AND c.type = 5 AND EXISTS (SELECT 1 FROM records o WHERE "
	              "o.zone_id = c.zone_id AND o.name = c.name AND o.id <> c.id "
	              "AND o.type NOT IN (46, 47)) ORDER BY c.id LIMIT 1", 1, p,
	              &r, err);
	if (rc) return rc;
	if (PQntuples(r) == 1)
		rc = st_err(err, SDNS_EZONE, "body", "name %.253s: a CNAME cannot "
		            "coexist with other records", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

/* The new serial, the one change-log row, the audit entry, COMMIT: two
 * round trips under the audit lock. The serial never goes backwards
 * (secondaries and caches compare it, RFC 1982): the file's when it is
 * ahead of the zone's, else the zone's + 1 (0 skipped on the wrap). */
static int imp_commit(sdns_store_import *im, uint32_t *serial,
                      sdns_store_err *err)
{
	char zs[24];
	char fs[16];
	snprintf(zs, sizeof zs, "%lld", (long long)im->zone_id);
	snprintf(fs, sizeof fs, "%u", im->file_serial);
	const char *p[2] = { zs, fs };
	const st_stmt q[4] = {
		{ "UPDATE zones SET serial = CASE WHEN $2::bigint <> 0 AND "
		  "($2::bigint - serial + 4294967296) % 4294967296 "
		  "BETWEEN 1 AND 2147483647 THEN $2::bigint "
		  "WHEN serial >= 4294967295 THEN 1 "
		  "ELSE serial + 1 END, updated_at = now() WHERE id = $1 "
		  "RETURNING serial", 2, p, 0 },
		{ "SELECT sdns_change_zone($1)", 1, p, 0 },
		{ ST_AUDIT_LOCK_SQL, 0, NULL, 0 },
		{ ST_AUDIT_HEAD_SQL, 0, NULL, 0 },
	};
	PGresult *r[4];
	int rc = st_batch(im->s, q, 4, r, NULL, err);
	if (rc) return rc;
	*serial = (uint32_t)st_i64(r[0], 0, 0);
	st_audit_head h;
	st_audit_head_of(r[3], &h);
	for (int i = 0; i < 4; i++) PQclear(r[i]);
	char obj[300];
	snprintf(obj, sizeof obj, "zone:%s", im->zone);
	json_t *b = json_pack("{s:I}", "records", (json_int_t)im->before);
	json_t *a = json_pack("{s:I,s:I}", "records", (json_int_t)im->records,
	                      "serial", (json_int_t)*serial);
	st_audit_row row;
	rc = st_audit_row_make(im->s, &h, st_actor_uri(im->actor),
	                       st_actor_fp(im->actor), "zone.import", obj, b, a,
	                       &row, err);
	json_decref(b);
	json_decref(a);
	if (rc == SDNS_OK) rc = st_audit_commit(im->s, &row, err);
	st_audit_row_clear(&row);
	if (rc == SDNS_OK) im->open = false;
	return rc;
}

int sdns_store_import_end(sdns_store_import *im, json_t **out,
                          sdns_store_err *err)
{
	if (out) *out = NULL;
	if (im->rc || !im->open) return imp_result(im, err);
	sdns_zfile_err ze;
	int rc = sdns_zfile_end(im->zp, &ze);
	if (rc) return imp_parse_fail(im, rc, &ze), imp_result(im, err);
	sdns_store_err e;
	rc = im->soas ? SDNS_OK : st_err(&e, SDNS_EZONE, "body",
	                                 "the file has no SOA record");
	if (rc == SDNS_OK) rc = imp_copy_end(im, &e);
	if (rc == SDNS_OK) rc = imp_cname_check(im, &e);
	uint32_t serial = 0;
	if (rc == SDNS_OK) rc = imp_commit(im, &serial, &e);
	if (rc) return imp_fail(im, rc, &e), imp_result(im, err);
	if (out)
		*out = json_pack("{s:s,s:I,s:I}", "zone", im->zone, "serial",
		                 (json_int_t)serial, "records",
		                 (json_int_t)im->records);
	return SDNS_OK;
}

void sdns_store_import_free(sdns_store_import *im)
{
	if (!im) return;
	if (im->open || im->copying) imp_fail(im, SDNS_ECLOSED, NULL);
	sdns_zfile_free(im->zp);
	free(im->seen.slot);
	free(im->text);
	free(im->key);
	free(im->out);
	free(im);
}

int sdns_store_zone_import(sdns_store *s, const sdns_actor *actor,
                           const char *zone, const char *text, size_t len,
                           int64_t if_match, json_t **out,
                           sdns_store_err *err)
{
	if (out) *out = NULL;
	sdns_store_import *im;
	int rc = sdns_store_import_begin(s, actor, zone, if_match, 0, &im, err);
	if (rc) return rc;
	rc = sdns_store_import_feed(im, text, len, err);
	if (rc == SDNS_OK) rc = sdns_store_import_end(im, out, err);
	sdns_store_import_free(im);
	return rc;
}
