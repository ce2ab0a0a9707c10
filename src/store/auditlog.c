/* The audit chain in the database: append (inside the caller's
 * transaction, under an advisory lock so the chain never forks) and list;
 * verification is auditverify.c's. Hashing and signatures are include/sdns/audit.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sdns/error.h"
#include "store_int.h"

const char *st_actor_uri(const sdns_actor *a)
{
	return a && a->uri ? a->uri : "system";
}

const char *st_actor_fp(const sdns_actor *a)
{
	return a && a->fp_hex ? a->fp_hex : "";
}

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", UTC. */
static void now_ts(char *buf, size_t cap)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	struct tm tm;
	gmtime_r(&t.tv_sec, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%06uZ", (unsigned)(t.tv_nsec / 1000) % 1000000u);
}

static char *dump_or_null(json_t *v)
{
	return v && !json_is_null(v) ? json_dumps(v, JSON_COMPACT) : NULL;
}

void st_audit_head_of(PGresult *r, st_audit_head *h)
{
	memset(h, 0, sizeof *h);
	h->id = 1;
	if (PQntuples(r) == 1) {
		h->id = st_i64(r, 0, 0) + 1;
		sdns_audit_unhex(PQgetvalue(r, 0, 1), h->prev, sizeof h->prev);
	}
}

int st_audit_row_make(sdns_store *s, const st_audit_head *h,
                      const char *actor, const char *actor_fp,
                      const char *action, const char *object, json_t *before,
                      json_t *after, st_audit_row *row, sdns_store_err *err)
{
	memset(row, 0, sizeof *row);
	if (!s->have_key)
		return st_err(err, SDNS_ECONFIG, NULL, "no audit key configured");
	now_ts(row->ts, sizeof row->ts);
	json_t *e = sdns_audit_entry(h->id, row->ts, actor, actor_fp, action,
	                             object, before, after, h->prev);
	uint8_t hash[SDNS_AUDIT_HASH_LEN], sig[SDNS_AUDIT_SIG_LEN];
	int rc = e ? sdns_audit_hash(e, h->prev, hash) : SDNS_ENOMEM;
	json_decref(e);
	if (rc == SDNS_OK) rc = sdns_audit_sign(&s->key, hash, sig);
	if (rc) return st_err(err, rc, NULL, "audit entry: %s", sdns_strerror(rc));
	snprintf(row->id, sizeof row->id, "%lld", (long long)h->id);
	sdns_audit_hex(h->prev, sizeof h->prev, row->prev);
	sdns_audit_hex(hash, sizeof hash, row->hash);
	sdns_audit_hex(sig, sizeof sig, row->sig);
	sdns_audit_hex(s->key.pub, sizeof s->key.pub, row->pub);
	row->before = dump_or_null(before);
	row->after = dump_or_null(after);
	if ((before && !json_is_null(before) && !row->before) ||
	    (after && !json_is_null(after) && !row->after))
		return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	const char *p[12] = { row->id, row->ts, actor, actor_fp, action, object,
	                      row->before, row->after, row->prev, row->hash,
	                      row->sig, row->pub };
	memcpy(row->p, p, sizeof p);
	return SDNS_OK;
}

void st_audit_row_clear(st_audit_row *row)
{
	free(row->before);
	free(row->after);
	row->before = row->after = NULL;
}

int st_audit_commit(sdns_store *s, const st_audit_row *row,
                    sdns_store_err *err)
{
	const st_stmt q[2] = {
		{ ST_AUDIT_INSERT_SQL, 12, row->p, 0 },
		{ "COMMIT", 0, NULL, 0 },
	};
	int rc = st_batch(s, q, 2, NULL, NULL, err);
	if (rc) st_rollback(s);
	return rc;
}

int st_audit_append(sdns_store *s, const char *actor, const char *actor_fp,
                    const char *action, const char *object, json_t *before,
                    json_t *after, sdns_store_err *err)
{
	if (!s->have_key)
		return st_err(err, SDNS_ECONFIG, NULL, "no audit key configured");
	const st_stmt q[2] = {
		{ ST_AUDIT_LOCK_SQL, 0, NULL, 0 },
		{ ST_AUDIT_HEAD_SQL, 0, NULL, 0 },
	};
	PGresult *r[2];
	int rc = st_batch(s, q, 2, r, NULL, err);
	if (rc) return rc;
	st_audit_head h;
	st_audit_head_of(r[1], &h);
	PQclear(r[0]);
	PQclear(r[1]);
	st_audit_row row;
	rc = st_audit_row_make(s, &h, actor, actor_fp, action, object, before,
	                       after, &row, err);
	if (rc == SDNS_OK)
		rc = st_q(s, ST_AUDIT_INSERT_SQL, 12, row.p, NULL, err);
	st_audit_row_clear(&row);
	return rc;
}

int sdns_store_audit_auth_refused(sdns_store *s, const char *remote,
                                  const char *reason, sdns_store_err *err)
{
	char who[128];
	snprintf(who, sizeof who, "remote:%s", remote ? remote : "unknown");
	json_t *after = json_pack("{s:s}", "reason", reason ? reason : "");
	int rc = st_begin(s, err);
	if (rc == SDNS_OK) {
		rc = st_audit_append(s, who, "", "auth.refused", who, NULL, after,
		                     err);
		rc = st_finish(s, rc, err);
	}
	json_decref(after);
	return rc;
}

json_t *st_json_or_null(PGresult *r, int i, int col)
{
	if (PQgetisnull(r, i, col)) return json_null();
	json_t *v = json_loads(PQgetvalue(r, i, col), JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

static json_t *row_json(PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s}",
	                 "id", (json_int_t)st_i64(r, i, 0), "ts",
	                 PQgetvalue(r, i, 1), "actor", PQgetvalue(r, i, 2),
	                 "actor_fp", PQgetvalue(r, i, 3), "action",
	                 PQgetvalue(r, i, 4), "object", PQgetvalue(r, i, 5),
	                 "before", st_json_or_null(r, i, 6), "after",
	                 st_json_or_null(r, i, 7), "prev_hash", PQgetvalue(r, i, 8),
	                 "hash", PQgetvalue(r, i, 9), "sig", PQgetvalue(r, i, 10),
	                 "signer_pub", PQgetvalue(r, i, 11));
}

int sdns_store_audit_list(sdns_store *s, int64_t after, int limit,
                          const char *actor, const char *action,
                          json_t **out, sdns_store_err *err)
{
	*out = NULL;
	if (limit == 0) limit = 100;
	if (limit < 0 || limit > SDNS_STORE_AUDIT_LIMIT_MAX)
		return st_err(err, SDNS_EINVAL, "limit", "limit: must be 1..1000");
	if (after < 0)
		return st_err(err, SDNS_EINVAL, "after", "after: must be >= 0");
	char a[24], l[16];
	snprintf(a, sizeof a, "%lld", (long long)after);
	snprintf(l, sizeof l, "%d", limit);
	const char *p[4] = { a, actor, action, l };
	PGresult *r;
	int rc = st_q(s, "SELECT " ST_AUDIT_COLS " FROM audit WHERE id > $1 AND "
	                 "($2::text IS NULL OR actor = $2) AND ($3::text IS NULL "
	                 "OR action = $3) ORDER BY id LIMIT $4", 4, p, &r, err);
	if (rc) return rc;
	json_t *arr = json_array();
	int n = PQntuples(r);
	for (int i = 0; arr && i < n; i++) json_array_append_new(arr, row_json(r, i));
	json_t *next = n == limit ? json_integer(st_i64(r, n - 1, 0)) : json_null();
	PQclear(r);
	*out = json_pack("{s:o,s:o}", "entries", arr, "next_after", next);
	return *out ? SDNS_OK : st_err(err, SDNS_ENOMEM, NULL, "out of memory");
}
