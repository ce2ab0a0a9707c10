/* Inside of the dnssec module: shared by key.c, canon.c, rrsig.c, nsec.c,
 * signzone.c and validate.c only. */
#ifndef SDNS_DNSSEC_INT_H
#define SDNS_DNSSEC_INT_H

#include <stddef.h>
#include <stdint.h>
#include "sdns/dnssec.h"

#define RRSIG_FIXED 18  /* type covered .. key tag */

int dnssec_sodium_ready(void);

/* The RFC 4034 §3.1.8.1 signed data: head (RRSIG RDATA without the
 * signature, signer already lowercase), then every RR of set at owner
 * (lowercase, wildcard already applied) in canonical order with orig_ttl.
 * *out is malloc'd; the caller frees it. */
int dnssec_signed_data(const uint8_t *head, size_t head_len,
                       const sdns_name *owner, uint32_t orig_ttl,
                       const sdns_rrset *set, uint8_t **out, size_t *out_len);

#endif
