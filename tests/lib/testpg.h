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
/* conninfo of the "sdns" database; NULL before setup. */
const char *sdns_testpg_conninfo(void);
/* Create a fresh empty database and write its conninfo into buf. 0 or -1. */
int sdns_testpg_fresh_db(char *buf, size_t cap);
/* Stop / start the server (same data, same socket): outage tests. */
int sdns_testpg_stop_server(void);
int sdns_testpg_start_server(void);
/* Run sql on the database of conninfo as the cluster superuser; 0 or -1. */
int sdns_testpg_exec(const char *conninfo, const char *sql);

#endif
