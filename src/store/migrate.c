/* Numbered SQL migrations: dir/NNN_name.sql, applied once each, in order,
 * each in its own transaction, recorded in schema_migrations. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

#define MIG_MAX 256
#define MIG_FILE_MAX (1u << 20)

typedef struct {
	int version;
	char file[256];
} mig;

static int mig_cmp(const void *a, const void *b)
{
	return ((const mig *)a)->version - ((const mig *)b)->version;
}

/* "NNN_name.sql" → NNN; -1 for any other name. */
static int mig_version(const char *f)
{
	size_t n = strlen(f);
	if (n < 9 || strcmp(f + n - 4, ".sql") != 0) return -1;
	for (int i = 0; i < 3; i++)
		if (f[i] < '0' || f[i] > '9') return -1;
	if (f[3] != '_') return -1;
	return (f[0] - '0') * 100 + (f[1] - '0') * 10 + (f[2] - '0');
}

static int mig_scan(const char *dir, mig *out, int *n, sdns_store_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return st_err(err, SDNS_ECONFIG, NULL,
		              "cannot open migrations directory %s", dir);
	*n = 0;
	struct dirent *e;
	int rc = SDNS_OK;
	while ((e = readdir(d))) {
		int v = mig_version(e->d_name);
		if (v <= 0) continue;
		if (*n == MIG_MAX || strlen(e->d_name) >= sizeof out->file) {
			rc = st_err(err, SDNS_ECONFIG, NULL, "too many migrations");
			break;
		}
		out[*n].version = v;
		snprintf(out[*n].file, sizeof out->file, "%s", e->d_name);
		(*n)++;
	}
	closedir(d);
	if (rc) return rc;
	qsort(out, (size_t)*n, sizeof *out, mig_cmp);
	for (int i = 1; i < *n; i++)
		if (out[i].version == out[i - 1].version)
			return st_err(err, SDNS_ECONFIG, NULL,
			              "two migrations numbered %03d", out[i].version);
	return SDNS_OK;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	char *buf = malloc(MIG_FILE_MAX + 1);
	size_t n = buf ? fread(buf, 1, MIG_FILE_MAX + 1, f) : 0;
	bool bad = ferror(f) || n > MIG_FILE_MAX;
	fclose(f);
	if (!buf || bad) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static int mig_apply(sdns_store *s, const char *dir, const mig *m,
                     sdns_store_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, m->file);
	char *sql = read_file(path);
	if (!sql) return st_err(err, SDNS_ECONFIG, NULL, "cannot read %s", path);
	int rc = st_begin(s, err);
	if (rc) {
		free(sql);
		return rc;
	}
	/* Our own file, several statements: the simple protocol. */
	PGresult *r = PQexec(s->pg, sql);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = st_err(err, PQstatus(s->pg) == CONNECTION_OK ? SDNS_ECONFIG
		                                                  : SDNS_EUNAVAIL,
		            NULL, "migration %s failed: %s", m->file,
		            PQresultErrorMessage(r));
		PQclear(r);
		return st_finish(s, rc, err);
	}
	PQclear(r);
	char v[16];
	snprintf(v, sizeof v, "%d", m->version);
	const char *p[2] = { v, m->file };
	rc = st_q_once(s, "INSERT INTO schema_migrations (version, name, applied_at) "
	             "VALUES ($1, $2, now())", 2, p, NULL, err);
	return st_finish(s, rc, err);
}

static int mig_run(sdns_store *s, const char *dir, const mig *m, int n,
                   int *applied, sdns_store_err *err)
{
	int rc = st_q_once(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                 "version integer PRIMARY KEY, name text NOT NULL, "
	                 "applied_at timestamptz NOT NULL DEFAULT now())",
	              0, NULL, NULL, err);
	if (rc) return rc;
	PGresult *r;
	rc = st_q_once(s, "SELECT version FROM schema_migrations ORDER BY version",
	          0, NULL, &r, err);
	if (rc) return rc;
	int rows = PQntuples(r);
	int have_max = rows ? (int)st_i64(r, rows - 1, 0) : 0;
	int file_max = n ? m[n - 1].version : 0;
	if (have_max > file_max) {
		PQclear(r);
		return st_err(err, SDNS_ECONFIG, NULL,
		              "database schema %d is newer than this sdnsd (max %d)",
		              have_max, file_max);
	}
	for (int i = 0; i < n && rc == SDNS_OK; i++) {
		bool done = false;
		for (int j = 0; j < rows && !done; j++)
			done = st_i64(r, j, 0) == m[i].version;
		if (done) continue;
		rc = mig_apply(s, dir, &m[i], err);
		if (rc == SDNS_OK && applied) (*applied)++;
	}
	PQclear(r);
	return rc;
}

int sdns_store_migrate(sdns_store *s, const char *dir, int *applied,
                       sdns_store_err *err)
{
	if (applied) *applied = 0;
	mig *m = calloc(MIG_MAX, sizeof *m);
	if (!m) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	int n = 0;
	int rc = mig_scan(dir, m, &n, err);
	if (rc) {
		free(m);
		return rc;
	}
	char lock[32];
	snprintf(lock, sizeof lock, "%lld", (long long)ST_MIGRATE_LOCK);
	const char *p[1] = { lock };
	rc = st_q_once(s, "SELECT pg_advisory_lock($1::bigint)", 1, p, NULL, err);
	if (rc == SDNS_OK) {
		rc = mig_run(s, dir, m, n, applied, err);
		st_q_once(s, "SELECT pg_advisory_unlock($1::bigint)", 1, p, NULL, NULL);
	}
	free(m);
	return rc;
}

int sdns_store_schema_check(sdns_store *s, const char *dir, int *have_out,
                            int *want_out, sdns_store_err *err)
{
	if (have_out) *have_out = 0;
	if (want_out) *want_out = 0;
	mig *m = calloc(MIG_MAX, sizeof *m);
	if (!m) return st_err(err, SDNS_ENOMEM, NULL, "out of memory");
	int n = 0;
	int rc = mig_scan(dir, m, &n, err);
	int file_max = n ? m[n - 1].version : 0;
	free(m);
	if (rc) return rc;
	PGresult *r;
	rc = st_q_once(s, "SELECT to_regclass('schema_migrations') IS NOT NULL",
	               0, NULL, &r, err);
	if (rc) return rc;
	bool exists = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	r = NULL;
	if (exists) {
		rc = st_q_once(s, "SELECT coalesce(max(version), 0) FROM "
		               "schema_migrations", 0, NULL, &r, err);
		if (rc) return rc;
	}
	int have = r && PQntuples(r) == 1 ? (int)st_i64(r, 0, 0) : 0;
	PQclear(r);
	if (have_out) *have_out = have;
	if (want_out) *want_out = file_max;
	if (have > file_max)
		return st_err(err, SDNS_ECONFIG, NULL,
		              "database schema %d is newer than this sdnsd (max %d)",
		              have, file_max);
	if (have < file_max)
		return st_err(err, SDNS_ECONFIG, NULL,
		              "database schema %d is older than this sdnsd (%d): "
		              "the migrations were not applied", have, file_max);
	return SDNS_OK;
}
