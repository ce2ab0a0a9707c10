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

static int load_zones(sdns_store *s, zb **out, size_t *n, sdns_store_err *err)
{
	PGresult *r;
	int rc = st_q(s, "SELECT id, name, serial FROM zones ORDER BY id", 0,
	              NULL, &r, err);
	if (rc) return rc;
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
	PQclear(r);
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

static int fill(sdns_store *s, zb *zs, size_t n, sdns_store_err *err)
{
	PGresult *r;
	int rc = st_q(s, "SELECT zone_id, name, type, ttl, encode(rdata, 'hex') "
	                 "FROM records", 0, NULL, &r, err);
	if (rc) return rc;
	uint8_t *wire = malloc(SDNS_RDATA_MAX + 1);
	for (int i = 0; wire && i < PQntuples(r); i++) {
		zb *z = find(zs, n, st_i64(r, i, 0));
		if (!z || !z->b) continue;
		if (add_row(z, r, i, wire) < 0) {
			sdns_log(SDNS_LOG_WARN, "zone_skipped", "zone=%s reason=\"bad "
			         "record %s\"", z->name, PQgetvalue(r, i, 1));
			sdns_zbuild_free(z->b);
			z->b = NULL;
		}
	}
	PQclear(r);
	free(wire);
	return SDNS_OK;
}

int sdns_store_load_zoneset(sdns_store *s, sdns_zoneset **out,
                            sdns_store_err *err)
{
	*out = NULL;
	zb *zs = NULL;
	size_t n = 0;
	int rc = st_begin(s, err); /* one consistent view of both tables */
	if (rc == SDNS_OK) rc = st_q(s, "SET TRANSACTION ISOLATION LEVEL "
	                                "REPEATABLE READ READ ONLY", 0, NULL,
	                             NULL, err);
	if (rc == SDNS_OK) rc = load_zones(s, &zs, &n, err);
	if (rc == SDNS_OK) rc = fill(s, zs, n, err);
	st_rollback(s);
	sdns_zone **zones = calloc(n ? n : 1, sizeof *zones);
	size_t nz = 0;
	for (size_t i = 0; zs && i < n; i++) {
		if (!zs[i].b) continue;
		if (rc || !zones) {
			sdns_zbuild_free(zs[i].b);
			continue;
		}
		char why[200] = "";
		if (sdns_zbuild_finish(zs[i].b, &zones[nz], why, sizeof why) == 0)
			nz++;
		else
			sdns_log(SDNS_LOG_WARN, "zone_skipped", "zone=%s reason=\"%s\"",
			         zs[i].name, why);
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
