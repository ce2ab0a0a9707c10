/* The private PostgreSQL cluster of a test binary (see testpg.h). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sdns/store.h"
#include "testlib.h"
#include "testpg.h"

#define PG_SH "server/dev/pg.sh"

static char pg_dir[512];
static char pg_conninfo[1024];
static char pg_super[128];   /* " user=NAME": the cluster superuser */
static pid_t pg_owner;
static unsigned fresh_seq;

static int pg_sh(const char *cmd, char *out, size_t cap)
{
	char line[1200];
	snprintf(line, sizeof line, "%s %s '%s' 2>&1", PG_SH, cmd, pg_dir);
	FILE *p = popen(line, "r");
	if (!p) return -1;
	char buf[1024] = "";
	size_t n = fread(buf, 1, sizeof buf - 1, p);
	buf[n] = 0;
	int st = pclose(p);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
	if (st != 0) {
		fprintf(stderr, "testpg: %s failed: %s\n", cmd, buf);
		return -1;
	}
	if (out) snprintf(out, cap, "%s", buf);
	return 0;
}

static void at_exit_stop(void)
{
	sdns_testpg_teardown();
}

void sdns_testpg_setup(void)
{
	if (pg_conninfo[0]) return;
	if (sdns_test_mkdtemp("sdns-pg", pg_dir, sizeof pg_dir) != 0) {
		fprintf(stderr, "testpg: mkdtemp failed\n");
		exit(1);
	}
	chmod(pg_dir, 0755);
	pg_owner = getpid();
	atexit(at_exit_stop);
	char super[1024];
	if (pg_sh("start", pg_conninfo, sizeof pg_conninfo) != 0) {
		sdns_testpg_teardown();
		exit(1);
	}
	/* pg.sh conninfo DIR prints the runtime role's; ask for the superuser */
	char line[1200];
	snprintf(line, sizeof line, "%s conninfo '%s' super", PG_SH, pg_dir);
	FILE *p = popen(line, "r");
	if (!p || !fgets(super, sizeof super, p)) {
		if (p) pclose(p);
		fprintf(stderr, "testpg: no superuser conninfo\n");
		sdns_testpg_teardown();
		exit(1);
	}
	pclose(p);
	super[strcspn(super, "\n")] = 0;
	const char *u = strstr(super, " user=");
	snprintf(pg_super, sizeof pg_super, "%s", u ? u : "");
}

void sdns_testpg_teardown(void)
{
	if (!pg_dir[0] || getpid() != pg_owner) return;
	pg_sh("stop", NULL, 0);
	sdns_test_rmtree(pg_dir);
	pg_dir[0] = 0;
	pg_conninfo[0] = 0;
}

const char *sdns_testpg_conninfo(void)
{
	return pg_conninfo[0] ? pg_conninfo : NULL;
}

int sdns_testpg_exec(const char *conninfo, const char *sql)
{
	char as_super[1400];
	snprintf(as_super, sizeof as_super, "%s%s", conninfo, pg_super);
	PGconn *c = PQconnectdb(as_super);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		ExecStatusType t = PQresultStatus(r);
		rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? 0 : -1;
		if (rc) fprintf(stderr, "testpg: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return rc;
}

int sdns_testpg_fresh_db(char *buf, size_t cap)
{
	char name[64], sql[160], admin[1100];
	snprintf(name, sizeof name, "t%ld_%u", (long)getpid(), fresh_seq++);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER " SDNS_TESTPG_OWNER
	         " TEMPLATE template0", name);
	/* conninfo: a later keyword overrides an earlier one */
	snprintf(admin, sizeof admin, "%s dbname=postgres", pg_conninfo);
	if (sdns_testpg_exec(admin, sql) != 0) return -1;
	snprintf(buf, cap, "%s dbname=%s", pg_conninfo, name);
	return 0;
}

int sdns_testpg_stop_server(void)
{
	return pg_sh("stop", NULL, 0);
}

int sdns_testpg_start_server(void)
{
	return pg_sh("start", NULL, 0);
}

void sdns_testpg_owner(const char *conninfo, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s user=" SDNS_TESTPG_OWNER, conninfo);
}

void sdns_testpg_super(const char *conninfo, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s", conninfo, pg_super);
}

int sdns_testpg_migrate(const char *conninfo, int *applied)
{
	char owner[1400];
	sdns_testpg_owner(conninfo, owner, sizeof owner);
	sdns_store *s = NULL;
	sdns_store_err err = {0};
	int rc = sdns_store_connect(owner, &s, &err);
	if (rc == 0)
		rc = sdns_store_migrate(s, "migrations", applied, &err);
	if (rc == 0)
		rc = sdns_store_grant_runtime(s, SDNS_TESTPG_APP, &err);
	sdns_store_close(s);
	if (rc) fprintf(stderr, "testpg: migrate: %s\n", err.message);
	return rc ? -1 : 0;
}
