/* Streaming reads for the serving snapshot: every record through COPY in
 * binary (rows are handed over as they arrive, so a million records need
 * no million-row result in memory), and the records of a set of names in
 * one round trip for incremental changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "store_int.h"

static const uint8_t copy_sig[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n',
                                      0xff, '\r', '\n', 0 };

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int zones_result(PGresult *r, const sdns_store_load_cb *cb, void *ctx)
{
	int rc = SDNS_OK;
	for (int i = 0; i < PQntuples(r) && rc == SDNS_OK; i++)
		rc = cb->zone(ctx, st_i64(r, i, 0), PQgetvalue(r, i, 1),
		              (uint32_t)st_i64(r, i, 2));
	return rc;
}

/* The COPY stream as bytes: a tuple may in principle span messages. */
typedef struct {
	uint8_t *buf;
	size_t len, cap;
	bool header;
	bool done;          /* the -1 trailer */
} cstream;

static int cs_append(cstream *c, const char *p, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		while (cap < c->len + n) cap *= 2;
		uint8_t *nb = realloc(c->buf, cap);
		if (!nb) return SDNS_ENOMEM;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return SDNS_OK;
}

/* One field at *off: its bytes (NULL for SQL NULL), or SDNS_EPENDING when
 * the buffer ends first. */
static int field(const cstream *c, size_t *off, const uint8_t **p,
                 size_t *len)
{
	if (c->len - *off < 4) return SDNS_EPENDING;
	int32_t l = (int32_t)be32(c->buf + *off);
	*off += 4;
	if (l < 0) {
		*p = NULL;
		*len = 0;
		return SDNS_OK;
	}
	if (c->len - *off < (size_t)l) return SDNS_EPENDING;
	*p = c->buf + *off;
	*len = (size_t)l;
	*off += (size_t)l;
	return SDNS_OK;
}

/* One tuple (zone_id, name, type, ttl, rdata) at *off. */
static int tuple(cstream *c, size_t *off, const sdns_store_load_cb *cb,
                 void *ctx)
{
	size_t o = *off;
	if (c->len - o < 2) return SDNS_EPENDING;
	int16_t nf = (int16_t)(c->buf[o] << 8 | c->buf[o + 1]);
	o += 2;
	if (nf == -1) {
		c->done = true;
		*off = o;
		return SDNS_OK;
	}
	if (nf != 5) return SDNS_EIO;
	const uint8_t *f[5];
	size_t fl[5];
	for (int i = 0; i < 5; i++) {
		int rc = field(c, &o, &f[i], &fl[i]);
		if (rc) return rc;
	}
	if (!f[0] || fl[0] != 8 || !f[1] || !f[2] || fl[2] != 4 || !f[3] ||
	    fl[3] != 4 || !f[4])
		return SDNS_EIO;
	*off = o;
	int32_t type = (int32_t)be32(f[2]), ttl = (int32_t)be32(f[3]);
	if (type < 1 || type > 65535 || ttl < 0) return SDNS_EIO;
	return cb->record(ctx, be64(f[0]), (const char *)f[1], fl[1],
	                  (uint16_t)type, (uint32_t)ttl, f[4], fl[4]);
}

static int cs_parse(cstream *c, const sdns_store_load_cb *cb, void *ctx)
{
	size_t off = 0;
	if (!c->header) {
		if (c->len < 19) return SDNS_OK;
		if (memcmp(c->buf, copy_sig, sizeof(copy_sig))) return SDNS_EIO;
		size_t ext = be32(c->buf + 15);
		if (c->len < 19 + ext) return SDNS_OK;
		off = 19 + ext;
		c->header = true;
	}
	int rc = SDNS_OK;
	while (!c->done && rc == SDNS_OK) {
		rc = tuple(c, &off, cb, ctx);
		if (rc == SDNS_EPENDING) {
			rc = SDNS_OK;
			break;
		}
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return rc;
}

/* Read the COPY OUT that PQexec started; on a callback's refusal the rest
 * is drained, so the connection stays usable. */
static int copy_rows(sdns_store *s, const sdns_store_load_cb *cb, void *ctx,
                     sdns_store_err *err)
{
	cstream c = { 0 };
	int rc = SDNS_OK;
	char *chunk;
	int n;
	while ((n = PQgetCopyData(s->pg, &chunk, 0)) > 0) {
		if (rc == SDNS_OK) rc = cs_append(&c, chunk, (size_t)n);
		if (rc == SDNS_OK) rc = cs_parse(&c, cb, ctx);
		PQfreemem(chunk);
	}
	free(c.buf);
	PGresult *r = PQgetResult(s->pg);
	bool ok = n == -1 && r && PQresultStatus(r) == PGRES_COMMAND_OK;
	while (r) {
		PQclear(r);
		r = PQgetResult(s->pg);
	}
	if (!ok && PQstatus(s->pg) != CONNECTION_OK) {
		s->broken = true;
		return st_err(err, SDNS_EUNAVAIL, NULL,
		              "database unavailable: connection lost");
	}
	if (!ok) return st_err(err, SDNS_EIO, NULL, "COPY failed: %s",
	                       PQerrorMessage(s->pg));
	if (rc == SDNS_EIO) st_err(err, rc, NULL, "bad COPY data");
	else if (rc == SDNS_ENOMEM) st_err(err, rc, NULL, "out of memory");
	return rc;
}

int sdns_store_load_stream(sdns_store *s, int64_t zone_id,
                           const sdns_store_load_cb *cb, void *ctx,
                           sdns_store_err *err)
{
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)zone_id);
	const char *p[1] = { zone_id < 0 ? NULL : id };
	PGresult *r;
	int rc = st_q(s, "SELECT id, name, serial FROM zones WHERE $1::bigint "
	              "IS NULL OR id = $1 ORDER BY id", 1, p, &r, err);
	if (rc) return rc;
	rc = zones_result(r, cb, ctx);
	PQclear(r);
	if (rc) return rc;
	char sql[200];
	snprintf(sql, sizeof(sql), "COPY (SELECT zone_id, name, type, ttl, rdata "
	         "FROM records%s%s) TO STDOUT (FORMAT binary)",
	         zone_id < 0 ? "" : " WHERE zone_id = ", zone_id < 0 ? "" : id);
	if (s->broken || PQstatus(s->pg) != CONNECTION_OK)
		return st_err(err, SDNS_EUNAVAIL, NULL,
		              "database unavailable: connection lost");
	r = PQexec(s->pg, sql);
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		bool down = PQstatus(s->pg) != CONNECTION_OK;
		if (down) s->broken = true;
		int code = down ? SDNS_EUNAVAIL : SDNS_EIO;
		st_err(err, code, NULL, "COPY refused: %s", PQerrorMessage(s->pg));
		PQclear(r);
		return code;
	}
	PQclear(r);
	return copy_rows(s, cb, ctx, err);
}

/* --- the records of a set of names --- */

/* An array literal element: quoted, with \ and " escaped. */
static int lit_put(char **buf, size_t *len, size_t *cap, const char *v)
{
	size_t need = *len + 2 * strlen(v) + 4;
	if (need > *cap) {
		size_t c = *cap ? *cap : 1024;
		while (c < need) c *= 2;
		char *nb = realloc(*buf, c);
		if (!nb) return SDNS_ENOMEM;
		*buf = nb;
		*cap = c;
	}
	char *o = *buf + *len;
	*o++ = '"';
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\') *o++ = '\\';
		*o++ = *p;
	}
	*o++ = '"';
	*len = (size_t)(o - *buf);
	return SDNS_OK;
}

static int lit_char(char **buf, size_t *len, size_t *cap, char ch)
{
	char one[2] = { ch, 0 };
	if (*len + 2 > *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		char *nb = realloc(*buf, c);
		if (!nb) return SDNS_ENOMEM;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, one, 2);
	(*len)++;
	return SDNS_OK;
}

/* "{...}" of the n ids (as text) or names. */
static char *array_lit(const int64_t *ids, const char *const *names, size_t n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = lit_char(&buf, &len, &cap, '{');
	for (size_t i = 0; i < n && rc == SDNS_OK; i++) {
		if (i) rc = lit_char(&buf, &len, &cap, ',');
		char id[24];
		if (ids) snprintf(id, sizeof(id), "%lld", (long long)ids[i]);
		if (!rc) rc = lit_put(&buf, &len, &cap, ids ? id : names[i]);
	}
	if (!rc) rc = lit_char(&buf, &len, &cap, '}');
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int bin_rows(PGresult *r, const sdns_store_load_cb *cb, void *ctx)
{
	int rc = SDNS_OK;
	for (int i = 0; i < PQntuples(r) && rc == SDNS_OK; i++) {
		if (PQgetlength(r, i, 0) != 8 || PQgetlength(r, i, 2) != 4 ||
		    PQgetlength(r, i, 3) != 4)
			return SDNS_EIO;
		const uint8_t *z = (const uint8_t *)PQgetvalue(r, i, 0);
		int32_t type = (int32_t)be32((const uint8_t *)PQgetvalue(r, i, 2));
		int32_t ttl = (int32_t)be32((const uint8_t *)PQgetvalue(r, i, 3));
		if (type < 1 || type > 65535 || ttl < 0) return SDNS_EIO;
		rc = cb->record(ctx, be64(z), PQgetvalue(r, i, 1),
		                (size_t)PQgetlength(r, i, 1), (uint16_t)type,
		                (uint32_t)ttl,
		                (const uint8_t *)PQgetvalue(r, i, 4),
		                (size_t)PQgetlength(r, i, 4));
	}
	return rc;
}

#define NAMES_PER_QUERY 2000
/* Statements of one owners_read: zones, the name chunks, the end. */
#define OWNERS_STMTS_MAX (ST_BATCH_MAX - 2)

static const char zones_sql[] = "SELECT id, name, serial FROM zones WHERE id "
	"= ANY($1::bigint[]) ORDER BY id";
static const char names_sql[] = "SELECT r.zone_id, r.name, r.type, r.ttl, "
	"r.rdata FROM records r JOIN unnest($1::bigint[], $2::text[]) AS k(zid, "
	"nm) ON r.zone_id = k.zid AND r.name = k.nm";

/* The array literals of the statements (freed by the caller). */
typedef struct {
	char *lit[2 * OWNERS_STMTS_MAX + 1];
	const char *p[OWNERS_STMTS_MAX + 1][2];
	int n;
} owners_q;

static void owners_q_free(owners_q *q)
{
	for (int i = 0; i < 2 * OWNERS_STMTS_MAX + 1; i++) free(q->lit[i]);
}

int sdns_store_owners_read(sdns_store *s, const int64_t *zones, size_t nz,
                           const int64_t *zone_ids, const char *const *names,
                           size_t n, const sdns_store_load_cb *cb, void *ctx,
                           bool end, sdns_store_err *err)
{
	owners_q oq;
	memset(&oq, 0, sizeof(oq));
	st_stmt q[ST_BATCH_MAX];
	int m = 0, first_names = 0, rc = SDNS_OK;
	if (nz) {
		oq.lit[0] = array_lit(zones, NULL, nz);
		oq.p[0][0] = oq.lit[0];
		q[m++] = (st_stmt){ zones_sql, 1, oq.p[0], 0 };
		if (!oq.lit[0]) rc = SDNS_ENOMEM;
	}
	first_names = m;
	for (size_t at = 0; rc == SDNS_OK && at < n; at += NAMES_PER_QUERY) {
		size_t k = n - at < NAMES_PER_QUERY ? n - at : NAMES_PER_QUERY;
		int j = m;
		if (j >= OWNERS_STMTS_MAX + 1) {
			rc = SDNS_ELIMIT;   /* a step never reads that many names */
			break;
		}
		oq.lit[2 * j + 1] = array_lit(zone_ids + at, NULL, k);
		oq.lit[2 * j + 2] = array_lit(NULL, names + at, k);
		oq.p[j][0] = oq.lit[2 * j + 1];
		oq.p[j][1] = oq.lit[2 * j + 2];
		if (!oq.p[j][0] || !oq.p[j][1]) rc = SDNS_ENOMEM;
		q[m++] = (st_stmt){ names_sql, 2, oq.p[j], 1 };
	}
	if (rc == SDNS_OK && end) q[m++] = (st_stmt){ "ROLLBACK", 0, NULL, 0 };
	PGresult *r[ST_BATCH_MAX] = { 0 };
	if (rc == SDNS_OK && m) rc = st_batch(s, q, m, r, NULL, err);
	else if (rc) st_err(err, rc, NULL, "%s", sdns_strerror(rc));
	owners_q_free(&oq);
	if (rc) {
		st_rollback(s);
		return rc;
	}
	if (nz) rc = zones_result(r[0], cb, ctx);
	for (int i = first_names; rc == SDNS_OK && i < m - (end ? 1 : 0); i++)
		if ((rc = bin_rows(r[i], cb, ctx)) == SDNS_EIO)
			st_err(err, rc, NULL, "reading names: unexpected columns");
	for (int i = 0; i < m; i++) PQclear(r[i]);
	return rc;
}
