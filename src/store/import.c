/* Zone import: a master file replaces every record of a zone atomically.
 * The file is parsed and validated completely before the database is
 * touched, so a bad line changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "sdns/zfile.h"
#include "store_int.h"

typedef struct {
	const sdns_name *apex;
	st_rec *recs;
	size_t n, cap;
	int soas;
	sdns_store_err why;
} imp;

static int imp_rr(void *ctx, const sdns_rr *rr)
{
	imp *im = ctx;
	if (im->n == im->cap) {
		size_t nc = im->cap ? im->cap * 2 : 64;
		st_rec *nr = realloc(im->recs, nc * sizeof *nr);
		if (!nr) return st_err(&im->why, SDNS_ENOMEM, NULL, "out of memory");
		im->recs = nr;
		im->cap = nc;
	}
	int rc = st_rec_from_rr(rr, im->apex, &im->recs[im->n], &im->why);
	if (rc) return rc;
	im->n++;
	if (rr->type == SDNS_T_SOA && ++im->soas > 1)
		return st_err(&im->why, SDNS_EZONE, NULL, "a second SOA record");
	return SDNS_OK;
}

static void imp_free(imp *im)
{
	for (size_t i = 0; i < im->n; i++) st_rec_clear(&im->recs[i]);
	free(im->recs);
}

static int imp_parse(imp *im, const char *text, size_t len,
                     sdns_store_err *err)
{
	sdns_zfile_err ze;
	memset(&ze, 0, sizeof ze);
	int rc = sdns_zfile_parse(text, len, im->apex, SDNS_ZONE_DEFAULT_TTL,
	                          imp_rr, im, &ze);
	if (rc) {
		int code = im->why.code ? im->why.code : rc;
		if (code != SDNS_EZONE && code != SDNS_ENOMEM) code = SDNS_EINVAL;
		if (im->why.code)
			return st_err(err, code, "body", "line %d: %s", ze.line,
			              im->why.message);
		return st_err(err, code, "body", "%s", ze.msg);
	}
	if (im->soas == 0)
		return st_err(err, SDNS_EZONE, "body", "the file has no SOA record");
	return SDNS_OK;
}

static int imp_store(sdns_store *s, const sdns_actor *actor, const char *z,
                     const imp *im, int64_t if_match, uint32_t *serial,
                     size_t *stored, sdns_store_err *err)
{
	int64_t zid;
	int rc = st_zone_lock(s, z, if_match, &zid, err);
	PGresult *r = NULL;
	char zs[24];
	snprintf(zs, sizeof zs, "%lld", (long long)zid);
	const char *p[1] = { zs };
	if (rc == SDNS_OK)
		rc = st_q(s, "WITH d AS (DELETE FROM records WHERE zone_id = $1 "
		             "RETURNING 1) SELECT count(*) FROM d", 1, p, &r, err);
	if (rc) return rc;
	json_int_t before_n = st_i64(r, 0, 0);
	PQclear(r);
	*stored = 0;
	for (size_t i = 0; i < im->n && rc == SDNS_OK; i++) {
		int64_t id = 0;
		rc = st_rec_insert2(s, zid, &im->recs[i], true, &id, err);
		*stored += id > 0;
	}
	if (rc == SDNS_OK) rc = st_zone_bump(s, zid, serial, err);
	if (rc) return rc;
	char obj[300];
	snprintf(obj, sizeof obj, "zone:%s", z);
	json_t *b = json_pack("{s:I}", "records", before_n);
	json_t *a = json_pack("{s:I,s:I}", "records", (json_int_t)*stored,
	                      "serial", (json_int_t)*serial);
	rc = st_audit_append(s, st_actor_uri(actor), st_actor_fp(actor),
	                     "zone.import", obj, b, a, err);
	json_decref(b);
	json_decref(a);
	return rc;
}

int sdns_store_zone_import(sdns_store *s, const sdns_actor *actor,
                           const char *zone, const char *text, size_t len,
                           int64_t if_match, json_t **out,
                           sdns_store_err *err)
{
	if (out) *out = NULL;
	if (len > SDNS_STORE_IMPORT_MAX)
		return st_err(err, SDNS_ETOOBIG, "body", "the file is over 4 MiB");
	char z[256];
	sdns_name apex;
	int rc = st_zone_norm(zone, z, sizeof z, &apex, err);
	if (rc) return rc;
	imp im;
	memset(&im, 0, sizeof im);
	im.apex = &apex;
	rc = imp_parse(&im, text, len, err);
	uint32_t serial = 0;
	size_t stored = 0;
	if (rc == SDNS_OK) rc = st_begin(s, err);
	if (rc == SDNS_OK) {
		rc = imp_store(s, actor, z, &im, if_match, &serial, &stored, err);
		rc = st_finish(s, rc, err);
	}
	imp_free(&im);
	if (rc == SDNS_OK && out)
		*out = json_pack("{s:s,s:I,s:I}", "zone", z, "serial",
		                 (json_int_t)serial, "records", (json_int_t)stored);
	return rc;
}
