/* sdnsctl audit checkpoint / verify --checkpoint / pubkey, and the audit
 * key that `pki init` writes: checkpoints are signed chain heads saved to
 * a file, away from the database, that later prove the chain was not cut
 * or rewritten behind them. */
#ifndef SDNSCTL_AUDITCP_H
#define SDNSCTL_AUDITCP_H

#include <jansson.h>

#include "apicmd.h"
#include "sdns/audithead.h"

typedef struct {
	sdns_audit_head h;
} ctl_checkpoint;

/* Read and check a checkpoint file: well-formed, its signature valid, and
 * signed by pub_arg (base64, hex, or a file holding one) when given.
 * Exit status: 0, 1 (message printed). */
int ctl_checkpoint_load(const char *path, const char *pub_arg,
                        ctl_checkpoint *cp);
/* After a verify that said ok (verify = its JSON): the chain must reach
 * cp's id and hold cp's hash there. 0, or 1 with the reason printed. */
int ctl_checkpoint_check(const ctl_api_opts *o, const ctl_checkpoint *cp,
                         const json_t *verify);
/* GET /audit/head into path. Exit status. */
int ctl_checkpoint_save(const ctl_api_opts *o, const char *path);
/* sdnsctl audit pubkey --key FILE */
int ctl_audit_pubkey(int argc, char **argv);
/* DIR/audit.key (seed, 0600) + DIR/audit.pub (base64) unless audit.key
 * exists. 0, or a negative code (printed). */
int ctl_auditkey_write(const char *dir);

#endif
