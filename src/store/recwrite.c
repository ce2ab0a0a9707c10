/* Record writes of one zone as one transaction (group commit). A batch is
 * two round trips whatever its size:
 *   1. BEGIN; lock the zone row; per change a SAVEPOINT and one statement
 *      that checks If-Match and the record, writes it and bumps the serial
 *      (its snapshot is taken once the zone lock is held, so it sees the
 *      previous writer's commit and the changes before it); take the audit
 *      lock; read the chain head.
 *   2. INSERT the signed audit entries, chained in order; COMMIT.
 * A change the server refuses (duplicate, CNAME clash) rolls back to its
 * savepoint and the rest of the batch is sent again: it fails alone. So
 * one fsync and one pass through the zone and audit locks serve a whole
 * batch; the locks are held for two round trips, not two per change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

/* Each write statement answers one row: zone id, serial before, serial
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

static int rec_refused(const st_rec_change *w, PGresult *r, sdns_store_err *err)
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

static char *rec_object(const char *zone, int64_t id)
{
	char *o = malloc(strlen(zone) + 32);
	if (o) sprintf(o, "record:%s/%lld", zone, (long long)id);
	return o;
}

enum { J_PENDING, J_TOOK, J_FAILED };

typedef struct {
	sdns_store *s;
	st_rec_job *const *jobs;
	int n;
	int state[ST_REC_RUN_MAX];
	PGresult *row[ST_REC_RUN_MAX];    /* the answer of a change that took */
	st_rec_params rp[ST_REC_RUN_MAX];
	char im[ST_REC_RUN_MAX][24], id[ST_REC_RUN_MAX][24];
	const char *vals[ST_REC_RUN_MAX][8];
	st_audit_head head;
} run_ctx;

static void job_fail(run_ctx *c, int j, int rc, const sdns_store_err *e)
{
	st_rec_job *job = c->jobs[j];
	c->state[j] = J_FAILED;
	job->rc = rc;
	job->err = *e;
	json_decref(job->after);
	job->after = NULL;
}

/* The write statement of job j. */
static st_stmt job_stmt(run_ctx *c, int j)
{
	const st_rec_change *w = &c->jobs[j]->w;
	if (!w->rec)
		return (st_stmt){ rec_delete_sql, 3, c->vals[j], 0 };
	return (st_stmt){ w->id ? rec_update_sql : rec_add_sql,
	                  w->id ? 8 : 7, c->vals[j], 0 };
}

static int job_params(run_ctx *c, int j)
{
	const st_rec_change *w = &c->jobs[j]->w;
	const char **v = c->vals[j];
	snprintf(c->im[j], sizeof c->im[j], "%lld", (long long)w->if_match);
	snprintf(c->id[j], sizeof c->id[j], "%lld", (long long)w->id);
	if (!w->rec) {
		v[0] = w->zone;
		v[1] = c->im[j];
		v[2] = c->id[j];
		return SDNS_OK;
	}
	if (st_rec_params_set(&c->rp[j], w->rec, w->zone)) return SDNS_ENOMEM;
	memcpy(v, c->rp[j].p, sizeof c->rp[j].p);
	v[6] = c->im[j];
	v[7] = c->id[j];
	return SDNS_OK;
}

/* The answer row of job j's statement: it took, or why not. */
static void job_answer(run_ctx *c, int j, PGresult *r)
{
	st_rec_job *job = c->jobs[j];
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, RC_NEW_SERIAL)) {
		sdns_store_err e;
		int rc = rec_refused(&job->w, r, &e);
		PQclear(r);
		job_fail(c, j, rc, &e);
		return;
	}
	c->state[j] = J_TOOK;
	c->row[j] = r;
}

/* The server's refusal of job j's statement, in the caller's words. */
static void job_refused(run_ctx *c, int j, int rc, sdns_store_err *e)
{
	const st_rec_change *w = &c->jobs[j]->w;
	if (rc == SDNS_EEXIST && w->rec)
		st_err(e, rc, NULL, "record %s %s %s already exists", w->rec->name,
		       c->rp[j].type, w->rec->text);
}

/* Round trip 1 (again after each change the server refuses). Returns the
 * failure of the whole batch, if any (the caller rolls back). */
static int run_writes(run_ctx *c, sdns_store_err *err)
{
	bool sp = c->n > 1, began = false;
	const char *zp[1] = { c->jobs[0]->w.zone };
	for (int next = 0;;) {
		st_stmt q[ST_BATCH_MAX];
		int owner[ST_BATCH_MAX]; /* job of a write statement, else -1 */
		int m = 0;
		if (!began) {
			owner[m] = -1;
			q[m++] = (st_stmt){ "BEGIN", 0, NULL, 0 };
			owner[m] = -1;
			q[m++] = (st_stmt){ "SELECT 1 FROM zones WHERE name = $1 "
			                    "FOR UPDATE", 1, zp, 0 };
		}
		for (int j = next; j < c->n; j++) {
			if (sp) {
				owner[m] = -1;
				q[m++] = (st_stmt){ "SAVEPOINT w", 0, NULL, 0 };
			}
			owner[m] = j;
			q[m++] = job_stmt(c, j);
		}
		owner[m] = -1;
		q[m++] = (st_stmt){ ST_AUDIT_LOCK_SQL, 0, NULL, 0 };
		owner[m] = -1;
		q[m++] = (st_stmt){ ST_AUDIT_HEAD_SQL, 0, NULL, 0 };
		PGresult *r[ST_BATCH_MAX];
		int failed;
		int rc = st_batch_keep(c->s, q, m, r, &failed, err);
		began = true;
		for (int i = 0; i < m; i++) {
			if (!r[i]) continue;
			if (owner[i] >= 0) job_answer(c, owner[i], r[i]);
			else if (i == m - 1) st_audit_head_of(r[i], &c->head);
			if (owner[i] < 0) PQclear(r[i]);
		}
		if (rc == SDNS_OK) return SDNS_OK;
		int k = failed >= 0 ? owner[failed] : -1;
		if (k >= 0) job_refused(c, k, rc, err);
		if (k < 0 || !sp) return rc;
		job_fail(c, k, rc, err);
		rc = st_q(c->s, "ROLLBACK TO SAVEPOINT w", 0, NULL, NULL, err);
		if (rc) return rc;
		next = k + 1;
	}
}

/* The entry of job j after *h, which then moves on past it. *obj (the
 * row points to it) is for the caller to free. */
static int job_entry(run_ctx *c, int j, st_audit_head *h, st_audit_row *row,
                     char **obj, sdns_store_err *err)
{
	st_rec_job *job = c->jobs[j];
	PGresult *r = c->row[j];
	uint32_t old = (uint32_t)st_i64(r, 0, RC_SERIAL);
	job->serial = (uint32_t)st_i64(r, 0, RC_NEW_SERIAL);
	bool has_old = !PQgetisnull(r, 0, RC_OLD);
	bool has_new = !PQgetisnull(r, 0, RC_NEW);
	int64_t id = has_new ? st_i64(r, 0, RC_NEW) : job->w.id;
	json_t *before = has_old ? st_rec_json_at(r, 0, RC_OLD, old) : NULL;
	job->after = has_new ? st_rec_json_at(r, 0, RC_NEW, job->serial) : NULL;
	*obj = rec_object(job->w.zone, id);
	int rc = SDNS_OK;
	memset(row, 0, sizeof *row);
	if ((has_old && !before) || (has_new && !job->after) || !*obj)
		rc = st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	if (rc == SDNS_OK)
		rc = st_audit_row_make(job->s, h, st_actor_uri(job->actor),
		                       st_actor_fp(job->actor), job->w.action, *obj,
		                       before, job->after, row, err);
	json_decref(before);
	if (rc) return rc;
	h->id++;
	return sdns_audit_unhex(row->hash, h->prev, sizeof h->prev) == SDNS_OK
	       ? SDNS_OK : st_err(err, SDNS_EIO, NULL, "audit hash");
}

/* Round trip 2: the chained entries of the changes that took; COMMIT. */
static int run_audit(run_ctx *c, sdns_store_err *err)
{
	st_audit_row rows[ST_REC_RUN_MAX];
	char *obj[ST_REC_RUN_MAX];
	st_stmt q[ST_REC_RUN_MAX + 1];
	st_audit_head h = c->head;
	int m = 0, rc = SDNS_OK;
	for (int j = 0; j < c->n && rc == SDNS_OK; j++) {
		if (c->state[j] != J_TOOK) continue;
		rc = job_entry(c, j, &h, &rows[m], &obj[m], err);
		q[m] = (st_stmt){ ST_AUDIT_INSERT_SQL, 12, rows[m].p, 0 };
		m++;
	}
	if (rc == SDNS_OK) {
		q[m] = (st_stmt){ "COMMIT", 0, NULL, 0 };
		rc = st_batch(c->s, q, m + 1, NULL, NULL, err);
	}
	for (int i = 0; i < m; i++) {
		st_audit_row_clear(&rows[i]);
		free(obj[i]);
	}
	return rc;
}

void st_rec_run(sdns_store *s, st_rec_job *const *jobs, int n)
{
	run_ctx c = { .s = s, .jobs = jobs, .n = n };
	sdns_store_err err;
	int rc = SDNS_OK;
	for (int j = 0; j < n && rc == SDNS_OK; j++) {
		jobs[j]->after = NULL;
		rc = job_params(&c, j);
	}
	if (rc) st_err(&err, rc, NULL, "out of memory");
	else rc = run_writes(&c, &err);
	bool took = false;
	for (int j = 0; j < n; j++) took |= c.state[j] == J_TOOK;
	if (rc == SDNS_OK && took) rc = run_audit(&c, &err);
	if (rc || !took) st_rollback(s);
	for (int j = 0; j < n; j++) {
		if (rc && c.state[j] != J_FAILED) job_fail(&c, j, rc, &err);
		else if (c.state[j] == J_TOOK) jobs[j]->rc = SDNS_OK;
		PQclear(c.row[j]);
		free(c.rp[j].hex);
	}
}
