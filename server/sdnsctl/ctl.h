/* sdnsctl subcommands. Each takes the arguments after its own name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 failure (message on stderr), 2 usage error. */
#ifndef SDNSCTL_CTL_H
#define SDNSCTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdns/doq.h"

int ctl_pki(int argc, char **argv);    /* pki.c: init, issue, pin */
int ctl_query(int argc, char **argv);  /* query.c: DoQ query, dig-like */
int ctl_bench(int argc, char **argv);  /* bench.c: DoQ load generator */
int ctl_zone(int argc, char **argv);   /* zone.c: check a master file; API:
                                        * list, create, delete, import */
int ctl_record(int argc, char **argv); /* record.c: API record add/list/... */
int ctl_peer(int argc, char **argv);   /* peer.c: API token, list, revoke */
/* peeradd.c: `peer add` (POST /peers); zone keys for it and `pki zonekey`. */
int ctl_peer_add_main(int argc, char **argv);
int ctl_zone_pub(const char *arg, uint8_t pub[32]);
int ctl_zonekey_write(const char *dir, char *pub_b64, size_t cap);
int ctl_audit(int argc, char **argv);  /* audit.c: API audit list, verify */
int ctl_enroll(int argc, char **argv); /* enroll.c: key + CSR → certificate */
int ctl_bench_api(int argc, char **argv); /* bench_api.c: API writes/s, propagation */
int ctl_bench_mesh(int argc, char **argv); /* bench_mesh.c: owner change -> peers */
int ctl_bench_sign(int argc, char **argv); /* bench_sign.c: renewal cost */

/* benchutil.c: shared by the benchmarks. */
double ctl_now_ms(void);  /* CLOCK_MONOTONIC */
/* True when dc's answer to q carries an A record with value want. */
bool ctl_doq_answers_a(sdns_doq_client *dc, const uint8_t *q, size_t qlen,
                       const uint8_t want[4]);
void ctl_sort_ms(double *v, size_t n);  /* ascending */

#endif
