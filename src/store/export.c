/* A zone out of the store as a master file (RFC 1035 §5), read in
 * libpq's single-row mode so that the result never sits in memory whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "sdns/rr.h"
#include "store_int.h"

/* The SOA first (a master file starts with it), the apex, then owners in
 * name order; the zone row comes even when the zone has no record. */
#define EXPORT_SQL \
	"SELECT z.serial, r.name, r.type, r.ttl, r.rdata_text " \
	"FROM zones z LEFT JOIN records r ON r.zone_id = z.id " \
	"WHERE z.name = $1 " \
	"ORDER BY r.type IS DISTINCT FROM 6, r.name <> z.name, r.name, r.type, r.id"

typedef struct {
	sdns_store_export_fn write;
	void *ctx;
	const char *zone;
	uint32_t serial;
	uint64_t n;
	int rc;
	char line[ST_REC_NAME_MAX + 64];
} exporter;

static void put(exporter *e, const char *text, size_t len)
{
	if (!e->rc && len) e->rc = e->write(e->ctx, text, len);
}

static void header(exporter *e)
{
	int n = snprintf(e->line, sizeof e->line,
	                 "; zone %s, serial %u, exported by secure_dns\n"
	                 "$ORIGIN %s.\n", e->zone, e->serial, e->zone);
	put(e, e->line, (size_t)n);
}

static void record(exporter *e, PGresult *r)
{
	uint16_t type = (uint16_t)st_i64(r, 0, 2);
	char tbuf[16];
	const char *text = PQgetvalue(r, 0, 4);
	char *soa = type == SDNS_T_SOA ? st_soa_with_serial(text, e->serial) : NULL;
	if (type == SDNS_T_SOA && !soa) {
		e->rc = SDNS_ENOMEM;
		return;
	}
	int n = snprintf(e->line, sizeof e->line, "%s. %lld IN %s ",
	                 PQgetvalue(r, 0, 1), (long long)st_i64(r, 0, 3),
	                 sdns_type_to_str(type, tbuf, sizeof tbuf));
	put(e, e->line, n > 0 && (size_t)n < sizeof e->line ? (size_t)n : 0);
	put(e, soa ? soa : text, strlen(soa ? soa : text));
	put(e, "\n", 1);
	free(soa);
	e->n++;
}

/* Every result of the query, row by row, until libpq has none left (a
 * connection must be drained before its next statement). */
static int drain(sdns_store *s, exporter *e, sdns_store_err *err)
{
	int rc = SDNS_OK;
	bool first = true;
	PGresult *r;
	while ((r = PQgetResult(s->pg))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && !rc) {
			if (first) {
				first = false;
				e->serial = (uint32_t)st_i64(r, 0, 0);
				header(e);
			}
			if (!PQgetisnull(r, 0, 1)) record(e, r);
			if (e->rc) rc = e->rc;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !rc) {
			rc = st_result_fail(s, r, err);
			continue;      /* st_result_fail cleared r */
		}
		PQclear(r);
	}
	if (!rc && first)
		rc = st_err(err, SDNS_ENOTFOUND, "zone", "zone %s not found", e->zone);
	return rc;
}

int sdns_store_zone_export(sdns_store *s, const char *zone,
                           sdns_store_export_fn write, void *ctx,
                           uint64_t *n_records, uint32_t *serial,
                           sdns_store_err *err)
{
	if (n_records) *n_records = 0;
	if (serial) *serial = 0;
	char z[256];
	int rc = st_zone_norm(zone, z, sizeof z, NULL, err);
	if (rc) return rc;
	exporter e = { .write = write, .ctx = ctx, .zone = z };
	const char *p[1] = { z };
	if (!PQsendQueryParams(s->pg, EXPORT_SQL, 1, NULL, p, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(s->pg)) {
		rc = st_result_fail(s, NULL, err);
		PGresult *left;
		while ((left = PQgetResult(s->pg))) PQclear(left);
		return rc;
	}
	rc = drain(s, &e, err);
	if (n_records) *n_records = e.n;
	if (serial) *serial = e.serial;
	return rc;
}
