/* The zone set from the database: one sdns_zone per zones row, the SOA
 * serial patched to zones.serial. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "sdns/log.h"
#include "store_int.h"

typedef struct {
	int64_t id;
	uint32_t serial;
	sdns_zbuild *b;
	char name[256];
} zb;

static int name_of(const char *text, sdns_name *out)
{
	char buf[SDNS_NAME_STR_MAX + 2];
	snprintf(buf, sizeof buf, "%s.", text);
	return sdns_name_from_str(out, buf, strlen(buf), NULL);
}

/* Offset of the serial in SOA RDATA (after MNAME and RNAME), or -1. */
static long soa_serial_off(const uint8_t *rd, size_t len)
{
	size_t off = 0;
	for (int names = 0; names < 2; names++) {
		for (;;) {
			if (off >= len) return -1;
			uint8_t l = rd[off];
			off += 1u + l;
			if (l == 0) break;
		}
	}
	return off + 20 <= len ? (long)off : -1;
}

static int add_row(zb *z, PGresult *r, int i, uint8_t *wire)
{
	sdns_rr rr;
	memset(&rr, 0, sizeof rr);
	if (name_of(PQgetvalue(r, i, 1), &rr.owner) < 0) return SDNS_ENAME;
	rr.type = (uint16_t)st_i64(r, i, 2);
	rr.rclass = SDNS_C_IN;
	rr.ttl = (uint32_t)st_i64(r, i, 3);
	const char *hex = PQgetvalue(r, i, 4);
	size_t n = strlen(hex) / 2;
	if (n > SDNS_RDATA_MAX || sdns_audit_unhex(hex, wire, n) < 0)
		return SDNS_ERDATA;
	if (rr.type == SDNS_T_SOA) {
		long off = soa_serial_off(wire, n);
		if (off < 0) return SDNS_ERDATA;
		wire[off] = (uint8_t)(z->serial >> 24);
		wire[off + 1] = (uint8_t)(z->serial >> 16);
		wire[off + 2] = (uint8_t)(z->serial >> 8);
		wire[off + 3] = (uint8_t)z->serial;
	}
	rr.rdlen = (uint16_t)n;
	rr.rdata = wire;
	return sdns_zbuild_add(z->b, &rr);
}

static int load_zones(PGresult *r, zb **out, size_t *n, sdns_store_err *err)
{
	*n = (size_t)PQntuples(r);
	*out = calloc(*n ? *n : 1, sizeof **out);
	for (size_t i = 0; *out && i < *n; i++) {
		zb *z = &(*out)[i];
		z->id = st_i64(r, (int)i, 0);
		z->serial = (uint32_t)st_i64(r, (int)i, 2);
		snprintf(z->name, sizeof z->name, "%s", PQgetvalue(r, (int)i, 1));
		sdns_name apex;
		if (name_of(z->name, &apex) == 0) z->b = sdns_zbuild_new(&apex);
	}
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}

static zb *find(zb *zs, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (zs[mid].id == id) return &zs[mid];
		if (zs[mid].id < id) lo = mid + 1;
		else hi = mid;
	}
	return NULL;
}

static int fill(PGresult *r, zb *zs, size_t n, sdns_store_err *err)
{
	uint8_t *wire = malloc(SDNS_RDATA_MAX + 1);
	if (!wire) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	for (int i = 0; i < PQntuples(r); i++) {
		zb *z = find(zs, n, st_i64(r, i, 0));
		if (!z || !z->b) continue;
		if (add_row(z, r, i, wire) < 0) {
			sdns_log(SDNS_LOG_WARN, "zone_skipped", "zone=%s reason=\"bad "
			         "record %s\"", z->name, PQgetvalue(r, i, 1));
			sdns_zbuild_free(z->b);
			z->b = NULL;
		}
	}
	free(wire);
	return SDNS_OK;
}

/* Zones (all when zone_id is NULL) with their records, from one consistent
 * view of both tables, in one round trip. */
static int load(sdns_store *s, const char *zone_id, zb **zs, size_t *n,
                sdns_store_err *err)
{
	*zs = NULL;
	*n = 0;
	const char *p[1] = { zone_id };
	const st_stmt q[4] = {
		{ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL },
		{ "SELECT id, name, serial FROM zones WHERE $1::bigint IS NULL "
		  "OR id = $1 ORDER BY id", 1, p },
		{ "SELECT zone_id, name, type, ttl, encode(rdata, 'hex') FROM "
		  "records WHERE $1::bigint IS NULL OR zone_id = $1", 1, p },
		{ "ROLLBACK", 0, NULL },
	};
	PGresult *r[4];
	int rc = st_batch(s, q, 4, r, NULL, err);
	if (rc) {
		st_rollback(s);
		return rc;
	}
	rc = load_zones(r[1], zs, n, err);
	if (rc == SDNS_OK) rc = fill(r[2], *zs, *n, err);
	for (int i = 0; i < 4; i++) PQclear(r[i]);
	return rc;
}

/* Finish the builder of z: the zone, or NULL when refused (logged). */
static sdns_zone *finish(zb *z)
{
	sdns_zone *out = NULL;
	char why[200] = "";
	if (sdns_zbuild_finish(z->b, &out, why, sizeof why) != 0) {
		sdns_log(SDNS_LOG_WARN, "zone_skipped", "zone=%s reason=\"%s\"",
		         z->name, why);
		out = NULL;
	}
	z->b = NULL;
	return out;
}

int sdns_store_load_zoneset(sdns_store *s, sdns_zoneset **out,
                            sdns_store_err *err)
{
	*out = NULL;
	zb *zs = NULL;
	size_t n = 0;
	int rc = load(s, NULL, &zs, &n, err);
	sdns_zone **zones = calloc(n ? n : 1, sizeof *zones);
	size_t nz = 0;
	for (size_t i = 0; zs && i < n; i++) {
		if (!zs[i].b) continue;
		if (rc || !zones) {
			sdns_zbuild_free(zs[i].b);
			continue;
		}
		if ((zones[nz] = finish(&zs[i]))) nz++;
	}
	free(zs);
	if (rc == SDNS_OK && !zones) rc = st_err(err, SDNS_ENOMEM, NULL, "oom");
	if (rc == SDNS_OK) {
		rc = sdns_zoneset_new(zones, nz, out);
		if (rc) st_err(err, rc, NULL, "zone set: %s", sdns_strerror(rc));
	}
	if (rc)
		for (size_t i = 0; i < nz; i++) sdns_zone_free(zones[i]);
	free(zones);
	return rc;
}

int sdns_store_load_zone(sdns_store *s, int64_t zone_id, sdns_name *apex,
                         sdns_zone **out, sdns_store_err *err)
{
	*out = NULL;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)zone_id);
	zb *zs = NULL;
	size_t n = 0;
	int rc = load(s, id, &zs, &n, err);
	if (rc == SDNS_OK && n != 1)
		rc = st_err(err, SDNS_ENOTFOUND, "zone", "zone %lld not found",
		            (long long)zone_id);
	if (rc == SDNS_OK && name_of(zs[0].name, apex) < 0)
		rc = st_err(err, SDNS_EINVAL, "zone", "bad zone name %s",
		            zs[0].name);
	if (rc == SDNS_OK && zs[0].b) *out = finish(&zs[0]);
	for (size_t i = 0; zs && i < n; i++) sdns_zbuild_free(zs[i].b);
	free(zs);
	return rc;
}
