/* The real sdnsctl binary ($BIN/sdnsctl, default bin/) against the real API
 * (sdns_api_start in this process, 127.0.0.1:0) over a private PostgreSQL
 * cluster of its own (server/dev/pg.sh), with a throw-away PKI: the
 * fixture of the suites that drive the CLI end to end. The API runs as the
 * runtime role; ownerci is the tables' owner, for tests that play an
 * insider. One fixture per process (checked fixtures fork per test). */
#ifndef SDNS_TESTCTL_H
#define SDNS_TESTCTL_H

#include "sdns/api.h"
#include "sdns/audit.h"

typedef struct {
	char dir[256];        /* PKI (testpki.h names) and sdnsctl's output */
	char pgdir[300];
	char conninfo[512];   /* as the runtime role */
	char ownerci[600];    /* as the owner role */
	char url[64];         /* https://127.0.0.1:PORT */
	sdns_api *api;
	sdns_audit_key akey;  /* the API's audit key */
	char out[65536], err[65536];  /* of the last sdnsctl */
	const char *pipe_from;  /* when set, the next sdnsctl reads it on stdin */
} sdns_testctl;

extern sdns_testctl sdns_ctl;

/* Temp dir named after name, PKI, cluster, migrations (as the owner), API. */
void sdns_testctl_setup(const char *name);
void sdns_testctl_teardown(void);
/* Run sdnsctl with argv (NULL-terminated) as `who` (its dir/WHO.pem and
 * .key; NULL: no SDNS_CERT/SDNS_KEY); stdout and stderr land in out/err.
 * Returns the exit status. */
int sdns_testctl_run(const char *who, const char *const *argv);

#define CTL(...) sdns_testctl_run("admin", (const char *const[]){__VA_ARGS__, NULL})
#define CTL_AS(who, ...) sdns_testctl_run(who, (const char *const[]){__VA_ARGS__, NULL})
#define OUT_HAS(s) ck_assert_msg(strstr(sdns_ctl.out, s), "stdout lacks '%s':\n" \
                                 "%s\nstderr:\n%s", s, sdns_ctl.out, sdns_ctl.err)
#define ERR_HAS(s) ck_assert_msg(strstr(sdns_ctl.err, s), "stderr lacks '%s':\n%s", \
                                 s, sdns_ctl.err)

#endif
