/* Reading the change log (migrations/002_changelog.sql) and keeping it
 * bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "store_int.h"

int sdns_store_read_begin(sdns_store *s, sdns_store_err *err)
{
	return st_q(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL,
	            NULL, err);
}

void sdns_store_read_end(sdns_store *s)
{
	st_rollback(s);
}

#define STATE_SQL "SELECT greatest((SELECT coalesce(max(seq), 0) FROM " \
	"changes), h.pruned), h.pruned FROM change_head h"
#define ROWS_SQL "SELECT seq, tbl, op, row_id, zone_id, name, old_zone_id, " \
	"old_name FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2"

static void state_of(PGresult *r, int64_t *newest, int64_t *pruned)
{
	if (newest) *newest = 0;
	if (pruned) *pruned = 0;
	if (PQntuples(r) != 1) return;
	if (newest) *newest = st_i64(r, 0, 0);
	if (pruned) *pruned = st_i64(r, 0, 1);
}

int sdns_store_log_state(sdns_store *s, int64_t *newest, int64_t *pruned,
                         sdns_store_err *err)
{
	state_of(NULL, newest, pruned);
	PGresult *r;
	int rc = st_q(s, STATE_SQL, 0, NULL, &r, err);
	if (rc) return rc;
	state_of(r, newest, pruned);
	PQclear(r);
	return SDNS_OK;
}

static const char *str_or_null(PGresult *r, int i, int c)
{
	return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

static int rows_of(PGresult *r, sdns_store_logrow_fn fn, void *ctx, size_t *n)
{
	int rc = SDNS_OK;
	for (int i = 0; i < PQntuples(r) && rc == SDNS_OK; i++) {
		sdns_store_logrow row = {
			st_i64(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			st_i64(r, i, 3), st_i64(r, i, 4), str_or_null(r, i, 5),
			st_i64(r, i, 6), str_or_null(r, i, 7),
		};
		rc = fn(ctx, &row);
		if (n) (*n)++;
	}
	return rc;
}

int sdns_store_log_read(sdns_store *s, int64_t after, size_t max,
                        sdns_store_logrow_fn fn, void *ctx, size_t *n,
                        sdns_store_err *err)
{
	if (n) *n = 0;
	char a[24], m[24];
	snprintf(a, sizeof(a), "%lld", (long long)after);
	snprintf(m, sizeof(m), "%zu", max);
	const char *p[2] = { a, m };
	PGresult *r;
	int rc = st_q(s, ROWS_SQL, 2, p, &r, err);
	if (rc) return rc;
	rc = rows_of(r, fn, ctx, n);
	PQclear(r);
	return rc;
}

int sdns_store_log_begin(sdns_store *s, int64_t after, size_t max,
                         sdns_store_logrow_fn fn, void *ctx, size_t *n,
                         int64_t *newest, int64_t *pruned,
                         sdns_store_err *err)
{
	if (n) *n = 0;
	state_of(NULL, newest, pruned);
	char a[24], m[24];
	snprintf(a, sizeof(a), "%lld", (long long)after);
	snprintf(m, sizeof(m), "%zu", max);
	const char *p[2] = { a, m };
	const st_stmt q[3] = {
		{ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, 0 },
		{ STATE_SQL, 0, NULL, 0 },
		{ ROWS_SQL, 2, p, 0 },
	};
	PGresult *r[3];
	int rc = st_batch(s, q, 3, r, NULL, err);
	if (rc) {
		st_rollback(s);
		return rc;
	}
	state_of(r[1], newest, pruned);
	rc = rows_of(r[2], fn, ctx, n);
	for (int i = 0; i < 3; i++) PQclear(r[i]);
	return rc;
}

int sdns_store_log_prune(sdns_store *s, int64_t keep_rows,
                         int64_t keep_seconds, int64_t *deleted,
                         sdns_store_err *err)
{
	if (deleted) *deleted = 0;
	if (keep_rows <= 0 && keep_seconds <= 0) return SDNS_OK;
	char kr[24], ks[24];
	snprintf(kr, sizeof(kr), "%lld", (long long)(keep_rows > 0 ? keep_rows : -1));
	snprintf(ks, sizeof(ks), "%lld",
	         (long long)(keep_seconds > 0 ? keep_seconds : -1));
	const char *p[2] = { kr, ks };
	/* A row goes when it is more than keep_rows behind the newest OR
	 * older than keep_seconds (a bound of -1 is no bound). The delete
	 * trigger moves change_head.pruned. */
	PGresult *r;
	int rc = st_q(s, "WITH h AS (SELECT coalesce(max(seq), 0) AS seq FROM "
	              "changes), d AS (DELETE FROM changes WHERE "
	              "($1::bigint >= 0 AND seq <= (SELECT seq FROM h) - $1::bigint) "
	              "OR ($2::bigint >= 0 AND at < now() - $2::bigint * "
	              "interval '1 second') RETURNING 1) SELECT count(*) FROM d",
	              2, p, &r, err);
	if (rc) return rc;
	if (deleted) *deleted = st_i64(r, 0, 0);
	PQclear(r);
	return SDNS_OK;
}
