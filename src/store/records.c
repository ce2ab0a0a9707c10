/* Records of a zone: list, add, update, delete. Each write locks the zone
 * row, checks If-Match, bumps the serial and appends the audit entry in the
 * same transaction, which may carry the concurrent writes of the same zone
 * (group.c, recwrite.c). */
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

int st_rec_params_set(st_rec_params *rp, const st_rec *r, const char *first)
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
	st_rec_params rp;
	if (st_rec_params_set(&rp, r, zid))
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

char *st_soa_with_serial(const char *text, uint32_t serial)
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

json_t *st_rec_json_at(PGresult *r, int i, int c, uint32_t serial)
{
	uint16_t type = (uint16_t)st_i64(r, i, c + 2);
	char tbuf[16];
	const char *text = PQgetvalue(r, i, c + 4);
	char *soa = type == SDNS_T_SOA ? st_soa_with_serial(text, serial) : NULL;
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
	return st_rec_json_at(r, i, 0, serial);
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

/* One write: through its zone's group commit (group.c). */
static int rec_write(sdns_store *s, const sdns_actor *actor,
                     const st_rec_change *w, json_t **out, uint32_t *serial,
                     sdns_store_err *err)
{
	if (out) *out = NULL;
	if (!s->have_key) /* fail before taking any lock */
		return st_err(err, SDNS_ECONFIG, NULL, "no audit key configured");
	st_rec_job job = { .s = s, .actor = actor, .w = *w };
	int rc = st_rec_group(s, &job);
	if (rc && err) *err = job.err;
	if (rc == SDNS_OK && serial) *serial = job.serial;
	if (rc == SDNS_OK && out) *out = job.after;
	else json_decref(job.after);
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
	const st_rec_change w = { "record.create", z, if_match, 0, &sr };
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
	const st_rec_change w = { "record.update", z, if_match, id, &sr };
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
	const st_rec_change w = { "record.delete", z, if_match, id, NULL };
	return rec_write(s, actor, &w, NULL, serial, err);
}

/* Validate change c of an apply into job (its st_rec in *sr). */
static int apply_prepare(const char *z, const sdns_name *apex,
                         sdns_store_change *c, st_rec *sr, st_rec_job *job)
{
	c->out = NULL;
	c->serial = 0;
	memset(&c->err, 0, sizeof c->err);
	c->rc = c->rec ? st_rec_from_json(c->rec, z, apex, sr, &c->err)
	               : (c->id ? SDNS_OK : st_err(&c->err, SDNS_EINVAL, "id",
	                                           "a delete needs a record id"));
	if (c->rc) return c->rc;
	job->w = (st_rec_change){ !c->rec ? "record.delete" : c->id ?
	                          "record.update" : "record.create", z,
	                          c->if_match, c->id, c->rec ? sr : NULL };
	return SDNS_OK;
}

int sdns_store_records_apply(sdns_store *s, const sdns_actor *actor,
                             const char *zone, sdns_store_change *ch,
                             size_t n, sdns_store_err *err)
{
	char z[256];
	sdns_name apex;
	int rc = n < 1 || n > SDNS_STORE_APPLY_MAX
	         ? st_err(err, SDNS_EINVAL, NULL, "%zu changes (1..%d)", n,
	                  SDNS_STORE_APPLY_MAX)
	         : !s->have_key ? st_err(err, SDNS_ECONFIG, NULL,
	                                 "no audit key configured")
	         : st_zone_norm(zone, z, sizeof z, &apex, err);
	for (size_t i = 0; rc && i < n && i < SDNS_STORE_APPLY_MAX; i++) {
		ch[i].rc = rc;
		ch[i].out = NULL;
		st_err(&ch[i].err, rc, NULL, "the batch was refused as a whole");
	}
	if (rc) return rc;
	st_rec sr[SDNS_STORE_APPLY_MAX];
	st_rec_job job[SDNS_STORE_APPLY_MAX];
	st_rec_job *run[SDNS_STORE_APPLY_MAX];
	int k = 0;
	memset(sr, 0, sizeof sr);
	for (size_t i = 0; i < n; i++) {
		job[i] = (st_rec_job){ .s = s, .actor = actor };
		if (apply_prepare(z, &apex, &ch[i], &sr[i], &job[i]) == SDNS_OK)
			run[k++] = &job[i];
	}
	if (k) st_rec_run(s, run, k);
	for (size_t i = 0; i < n; i++) {
		st_rec_clear(&sr[i]);
		if (!job[i].w.action) continue; /* refused before the run */
		ch[i].rc = job[i].rc;
		ch[i].err = job[i].err;
		ch[i].serial = job[i].rc ? 0 : job[i].serial;
		ch[i].out = job[i].after;
	}
	return SDNS_OK;
}
