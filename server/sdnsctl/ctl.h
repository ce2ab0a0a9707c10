/* sdnsctl subcommands. Each takes the arguments after its own name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 failure (message on stderr), 2 usage error. */
#ifndef SDNSCTL_CTL_H
#define SDNSCTL_CTL_H

int ctl_pki(int argc, char **argv);    /* pki.c: init, issue, pin */
int ctl_query(int argc, char **argv);  /* query.c: DoQ query, dig-like */
int ctl_bench(int argc, char **argv);  /* bench.c: DoQ load generator */
int ctl_zone(int argc, char **argv);   /* zone.c: check a master file; API:
                                        * list, create, delete, import */
int ctl_record(int argc, char **argv); /* record.c: API record add/list/... */
int ctl_peer(int argc, char **argv);   /* peer.c: API token, list, revoke */
int ctl_audit(int argc, char **argv);  /* audit.c: API audit list, verify */
int ctl_enroll(int argc, char **argv); /* enroll.c: key + CSR → certificate */
int ctl_bench_api(int argc, char **argv); /* bench_api.c: API writes/s, propagation */

#endif
