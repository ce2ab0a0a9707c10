/* sdnsctl query --validate (validate.c). */
#ifndef CTL_VALIDATE_H
#define CTL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/doq.h"

/* Validate resp; key_arg = --zone-key-pub (NULL: fetch the DNSKEY over cl).
 * Prints the verdict (to stderr when json); 0 secure, 1 bogus, 2 bad key
 * argument. */
int ctl_validate(sdns_doq_client *cl, const char *key_arg,
                 const uint8_t *resp, size_t len, bool json);

#endif
