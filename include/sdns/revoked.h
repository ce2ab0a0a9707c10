/* The revoked-certificate set: serials and SPKI SHA-256 hashes of revoked
 * peers, sorted for binary search. Immutable once built, so DoQ workers and
 * the API check it without locks; the daemon swaps in a new one when the
 * store says the revoked table changed. Built by sdns_store_load_revoked. */
#ifndef SDNS_REVOKED_H
#define SDNS_REVOKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sdns_revoked sdns_revoked;

/* serials: lowercase hex without leading zeros (sdns_pki_serial_spki_der);
 * spki: n 32-byte hashes. Copies everything. NULL on allocation failure. */
sdns_revoked *sdns_revoked_new(const char *const *serials,
                               const uint8_t (*spki)[32], size_t n);
void sdns_revoked_free(sdns_revoked *r);
size_t sdns_revoked_count(const sdns_revoked *r);
/* True when spki (32 bytes, may be NULL) or serial_hex (may be NULL) is in
 * the set. r may be NULL (empty set). */
bool sdns_revoked_has(const sdns_revoked *r, const uint8_t *spki,
                      const char *serial_hex);

#endif
