/* One libpq connection, query helpers and the SQLSTATE → sdns code map. */
#include <poll.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "sdns/error.h"
#include "store_int.h"

int st_err(sdns_store_err *err, int code, const char *field, const char *fmt,
           ...)
{
	if (!err) return code;
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

/* libpq ends messages with a newline; users should not see it. */
static void trim(char *m)
{
	size_t n = strlen(m);
	while (n > 0 && isspace((unsigned char)m[n - 1])) m[--n] = 0;
}

/* Server notices (and the FATAL of a shutdown) are not our log format;
 * failures reach the caller through the error codes instead. */
static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int sdns_store_connect(const char *conninfo, sdns_store **out,
                       sdns_store_err *err)
{
	*out = NULL;
	sdns_store *s = calloc(1, sizeof *s);
	if (!s) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	s->pg = PQconnectdb(conninfo ? conninfo : "");
	if (!s->pg || PQstatus(s->pg) != CONNECTION_OK) {
		char m[200];
		snprintf(m, sizeof m, "%s",
		         s->pg ? PQerrorMessage(s->pg) : "out of memory");
		trim(m);
		sdns_store_close(s);
		return st_err(err, SDNS_EUNAVAIL, NULL, "database unavailable: %s", m);
	}
	PQsetNoticeProcessor(s->pg, quiet, NULL);
	PGresult *r = PQexec(s->pg, "SET client_min_messages = warning; "
	                            "SET TIME ZONE 'UTC'");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		sdns_store_close(s);
		return st_err(err, SDNS_EUNAVAIL, NULL, "database unavailable");
	}
	*out = s;
	return SDNS_OK;
}

void sdns_store_close(sdns_store *s)
{
	if (!s) return;
	if (s->pg) PQfinish(s->pg);
	st_prep_free(s);
	sodium_memzero(&s->key, sizeof s->key);
	free(s);
}

bool sdns_store_broken(const sdns_store *s)
{
	return s->broken || PQstatus(s->pg) != CONNECTION_OK;
}

bool sdns_store_peer_closed(sdns_store *s)
{
	if (sdns_store_broken(s))
		return true;
	/* An idle connection that does not LISTEN receives nothing between
	 * queries unless the server is going away: it sends a FATAL notice,
	 * then closes. libpq may read the notice and still say CONNECTION_OK,
	 * so any input at all marks the connection as lost. */
	struct pollfd p = {.fd = PQsocket(s->pg), .events = POLLIN};
	if (p.fd < 0 || poll(&p, 1, 0) != 0) {
		s->broken = true;
		return true;
	}
	return false;
}

int sdns_store_ping(sdns_store *s)
{
	int rc = st_q(s, "SELECT 1", 0, NULL, NULL, NULL);
	return rc == SDNS_OK ? SDNS_OK : SDNS_EUNAVAIL;
}

void sdns_store_set_audit_key(sdns_store *s, const sdns_audit_key *k)
{
	if (!k) {
		s->have_key = false;
		return;
	}
	s->key = *k;
	s->have_key = true;
}

static int map_state(const char *st)
{
	if (!st) return SDNS_EUNAVAIL;
	if (!strcmp(st, "23505")) return SDNS_EEXIST;
	if (!strcmp(st, "SD409")) return SDNS_EZONE;
	if (!strcmp(st, "SD403")) return SDNS_EDENIED;
	if (!strcmp(st, "23514") || !strcmp(st, "23503") ||
	    !strcmp(st, "23502") || !strncmp(st, "22", 2))
		return SDNS_EINVAL;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3)) return SDNS_EUNAVAIL;
	/* A standby (a failover's old primary, a conninfo without
	 * target_session_attrs=read-write): the connection is dropped and the
	 * next one may reach the primary, so retry, not a server fault. */
	if (!strcmp(st, "25006")) return SDNS_EUNAVAIL;
	return SDNS_EIO;
}

static int fail(sdns_store *s, PGresult *r, sdns_store_err *err)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int code = map_state(st);
	if (PQstatus(s->pg) != CONNECTION_OK) code = SDNS_EUNAVAIL;
	char m[256];
	const char *pm = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	snprintf(m, sizeof m, "%s", pm ? pm : PQerrorMessage(s->pg));
	trim(m);
	if (r) PQclear(r);
	if (code == SDNS_EUNAVAIL) {
		s->broken = true;
		return st_err(err, code, NULL, "database unavailable: %s", m);
	}
	return st_err(err, code, NULL, "%s", m);
}

int st_result_fail(sdns_store *s, PGresult *r, sdns_store_err *err)
{
	return fail(s, r, err);
}

static int lost(sdns_store *s, sdns_store_err *err)
{
	s->broken = true;
	return st_err(err, SDNS_EUNAVAIL, NULL,
	              "database unavailable: connection lost");
}

static int q_result(sdns_store *s, PGresult *r, PGresult **out,
                    sdns_store_err *err)
{
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) return fail(s, r, err);
	if (out) *out = r;
	else PQclear(r);
	return SDNS_OK;
}

int st_q_once(sdns_store *s, const char *sql, int n, const char *const *vals,
              PGresult **out, sdns_store_err *err)
{
	if (out) *out = NULL;
	if (s->broken || PQstatus(s->pg) != CONNECTION_OK) return lost(s, err);
	return q_result(s, PQexecParams(s->pg, sql, n, NULL, vals, NULL, NULL, 0),
	                out, err);
}

int st_q(sdns_store *s, const char *sql, int n, const char *const *vals,
         PGresult **out, sdns_store_err *err)
{
	if (out) *out = NULL;
	if (s->broken || PQstatus(s->pg) != CONNECTION_OK) return lost(s, err);
	const st_prep *p = st_prep_find(s, sql);
	if (!p && !st_prep_can(s, sql))
		return st_q_once(s, sql, n, vals, out, err);
	if (!p) {
		/* First use: st_batch prepares it in the same round trip. */
		const st_stmt one = { sql, n, vals, 0 };
		return st_batch(s, &one, 1, out, NULL, err);
	}
	char name[16];
	st_prep_name(p, name);
	return q_result(s, PQexecPrepared(s->pg, name, n, vals, NULL, NULL, 0),
	                out, err);
}

/* Read the results of query i of a batch: one result then NULL. */
static PGresult *batch_result(sdns_store *s)
{
	PGresult *r = PQgetResult(s->pg);
	if (r) {
		PGresult *extra;
		while ((extra = PQgetResult(s->pg))) PQclear(extra);
	}
	return r;
}

/* Queue q: prepared when its text is cached (or can be: *fresh is then the
 * new entry, whose prepare answers first), otherwise as is. */
static bool send_one(sdns_store *s, const st_stmt *q, st_prep **fresh)
{
	*fresh = NULL;
	st_prep *p = st_prep_find(s, q->sql);
	if (!p) {
		p = st_prep_add(s, q->sql);
		if (!p)
			return PQsendQueryParams(s->pg, q->sql, q->n, NULL, q->vals,
			                         NULL, NULL, q->bin);
		*fresh = p;
	}
	char name[16];
	st_prep_name(p, name);
	if (*fresh && !PQsendPrepare(s->pg, name, q->sql, q->n, NULL))
		return false;
	return PQsendQueryPrepared(s->pg, name, q->n, q->vals, NULL, NULL, q->bin);
}

/* Keep the first failure of a batch in *bad (the server skips everything
 * after it: their answers say aborted); clear every other r. */
static void note_bad(sdns_store *s, PGresult *r, int i, PGresult **bad,
                     int *failed)
{
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (*bad || t == PGRES_PIPELINE_ABORTED) {
		PQclear(r);
		return;
	}
	*bad = r ? r : PQmakeEmptyPGresult(s->pg, PGRES_FATAL_ERROR);
	if (failed) *failed = i;
}

static int batch_run(sdns_store *s, const st_stmt *q, int n, PGresult **res,
                     int *failed, bool keep, sdns_store_err *err)
{
	for (int i = 0; res && i < n; i++) res[i] = NULL;
	if (failed) *failed = -1;
	if (n < 1 || n > ST_BATCH_MAX)
		return st_err(err, SDNS_EINVAL, NULL, "batch of %d statements", n);
	if (s->broken || PQstatus(s->pg) != CONNECTION_OK ||
	    !PQenterPipelineMode(s->pg)) {
		s->broken = true;
		return st_err(err, SDNS_EUNAVAIL, NULL,
		              "database unavailable: connection lost");
	}
	st_prep *fresh[ST_BATCH_MAX];
	int sent = 0;
	while (sent < n && send_one(s, &q[sent], &fresh[sent]))
		sent++;
	if (sent < n || PQpipelineSync(s->pg) != 1) {
		/* Nothing will answer an unsynced pipeline: start over. */
		s->broken = true;
		st_prep_settle(s);
		return fail(s, NULL, err);
	}
	PGresult *bad = NULL;
	for (int i = 0; i < n; i++) {
		if (fresh[i]) {
			PGresult *pr = batch_result(s);
			if (pr && PQresultStatus(pr) == PGRES_COMMAND_OK) {
				fresh[i]->ready = true;
				PQclear(pr);
			} else {
				note_bad(s, pr, i, &bad, failed);
			}
		}
		PGresult *r = batch_result(s);
		ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
			if (res) res[i] = r;
			else PQclear(r);
			continue;
		}
		note_bad(s, r, i, &bad, failed);
	}
	st_prep_settle(s);
	PGresult *sync = PQgetResult(s->pg);
	if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC ||
	    !PQexitPipelineMode(s->pg))
		s->broken = true; /* out of step with the server: start over */
	PQclear(sync);
	if (!bad && !s->broken) return SDNS_OK;
	/* What answered before the failure stays, unless nothing can be
	 * trusted any more. */
	for (int i = 0; res && i < n; i++) {
		if (keep && bad && failed && i < *failed && !s->broken) continue;
		PQclear(res[i]);
		res[i] = NULL;
	}
	return fail(s, bad, err);
}

int st_batch(sdns_store *s, const st_stmt *q, int n, PGresult **res,
             int *failed, sdns_store_err *err)
{
	return batch_run(s, q, n, res, failed, false, err);
}

int st_batch_keep(sdns_store *s, const st_stmt *q, int n, PGresult **res,
                  int *failed, sdns_store_err *err)
{
	return batch_run(s, q, n, res, failed, true, err);
}

int st_begin(sdns_store *s, sdns_store_err *err)
{
	return st_q(s, "BEGIN", 0, NULL, NULL, err);
}

int st_commit(sdns_store *s, sdns_store_err *err)
{
	return st_q(s, "COMMIT", 0, NULL, NULL, err);
}

void st_rollback(sdns_store *s)
{
	if (s->broken || PQstatus(s->pg) != CONNECTION_OK) return;
	PGresult *r = PQexec(s->pg, "ROLLBACK");
	PQclear(r);
}

int st_finish(sdns_store *s, int rc, sdns_store_err *err)
{
	if (rc != SDNS_OK) {
		st_rollback(s);
		return rc;
	}
	rc = st_commit(s, err);
	if (rc != SDNS_OK) st_rollback(s);
	return rc;
}

int64_t st_i64(PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col)) return -1;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

json_t *st_str_or_null(PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col)) return json_null();
	return json_string(PQgetvalue(r, row, col));
}
