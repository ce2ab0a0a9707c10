/* Shared by the sdnsctl subcommands: client credentials from flags or
 * SDNS_* environment variables, query building, and response printing. */
#ifndef SDNSCTL_COMMON_H
#define SDNSCTL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sdns/doq.h"
#include "sdns/msg.h"

#define CTL_DEFAULT_SERVER "127.0.0.1:853"

typedef struct {
	const char *server, *server_name, *ca, *cert, *key;
	uint32_t timeout_ms;
} ctl_conn_opts;

/* Defaults from SDNS_SERVER, SDNS_CA, SDNS_CERT, SDNS_KEY. */
void ctl_conn_opts_init(ctl_conn_opts *o);
/* Handles --server --server-name --ca --cert --key --timeout-ms at argv[*i]
 * (consuming the value). Returns 1 when handled, 0 when not one of these,
 * -1 on a missing value (message printed). */
int ctl_conn_opt(ctl_conn_opts *o, int argc, char **argv, int *i);
/* Errors out (exit 2 text) when --ca/--cert/--key are missing. */
int ctl_conn_check(const ctl_conn_opts *o, const char *cmd);
void ctl_conn_to_client_conf(const ctl_conn_opts *o, sdns_doq_client_conf *c);

/* Query for name/type with EDNS (DO as asked), padded to 128 (RFC 8467). */
int ctl_make_query(const char *name, const char *type, bool dnssec,
                   uint8_t *buf, size_t cap, size_t *len, char *err,
                   size_t err_cap);

/* A subcommand of a command ("zone list"): run gets the command's argv
 * (argv[1] is the subcommand's name). */
typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
} ctl_sub;
/* Runs the subcommand named by argv[1]; --help anywhere prints usage (exit
 * 0); a missing or unknown subcommand is a usage error (exit 2). */
int ctl_dispatch(const char *cmd, const ctl_sub *subs, size_t n,
                 void (*usage)(FILE *f), int argc, char **argv);

void ctl_print_dig(FILE *f, const sdns_msg *m, size_t wire_len);
void ctl_print_json(FILE *f, const sdns_msg *m, size_t wire_len,
                    double time_ms, const char *server);
const char *ctl_rcode_name(unsigned rcode);

#endif
