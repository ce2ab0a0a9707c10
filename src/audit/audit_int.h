/* Internals shared by the src/audit files. Not a public API. */
#ifndef SDNS_AUDIT_INT_H
#define SDNS_AUDIT_INT_H

/* sodium_init() once per process (pthread_once): SDNS_OK, or SDNS_ECRYPTO
 * when libsodium cannot start (no entropy source). Every public entry point
 * that uses libsodium calls it first. */
int audit_sodium_ready(void);

#endif
