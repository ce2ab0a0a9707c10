/* A private PostgreSQL cluster for the suites that need one (store, API):
 * started once per test binary in a temporary directory through
 * server/dev/pg.sh (socket only, runuser -u postgres when root), stopped and
 * removed at the end even when tests fail. Use from an unchecked fixture:
 *   tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
 * Run the test binary from the repository root (make unit does). */
#ifndef SDNS_TESTPG_H
#define SDNS_TESTPG_H

#include <stddef.h>

/* Start the cluster (idempotent; aborts the suite when it cannot start). */
void sdns_testpg_setup(void);
/* Stop and remove it (only in the process that started it). */
void sdns_testpg_teardown(void);
/* The two roles of README "Database roles" (server/dev/pg.sh creates
 * them): the owner applies the migrations; sdnsd, and every test that
 * plays it, connects as the runtime role, which owns nothing. */
#define SDNS_TESTPG_OWNER "sdns_owner"
#define SDNS_TESTPG_APP "sdns_app"

/* conninfo of the "sdns" database as the runtime role; NULL before setup. */
const char *sdns_testpg_conninfo(void);
/* Create a fresh empty database owned by the owner role and write its
 * conninfo (as the runtime role) into buf. 0 or -1. */
int sdns_testpg_fresh_db(char *buf, size_t cap);
/* conninfo as the owner role (a later user= wins in a conninfo). */
void sdns_testpg_owner(const char *conninfo, char *buf, size_t cap);
/* conninfo as the cluster superuser (after setup). */
void sdns_testpg_super(const char *conninfo, char *buf, size_t cap);
/* As the owner of conninfo's database: apply migrations/ and grant the
 * runtime role (what sdnsd --migrate --db-runtime-role does). *applied may
 * be NULL. Works on any cluster pg.sh made. 0 or -1 (message on stderr). */
int sdns_testpg_migrate(const char *conninfo, int *applied);
/* Stop / start the server (same data, same socket): outage tests. */
int sdns_testpg_stop_server(void);
int sdns_testpg_start_server(void);
/* Run sql on the database of conninfo as the cluster superuser; 0 or -1. */
int sdns_testpg_exec(const char *conninfo, const char *sql);

#endif
