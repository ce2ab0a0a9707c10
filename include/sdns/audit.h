/* The tamper-evident audit trail: canonical JSON (RFC 8785, JCS), a BLAKE2b
 * hash chain and Ed25519 signatures (libsodium). Pure: no database, no
 * clock. The store appends entries inside the transaction of each change and
 * walks the chain to verify it; this module only computes and checks.
 *
 * Entry hash = BLAKE2b-256( JCS(entry) || prev_hash ), where entry is the
 * JSON object {"id","ts","actor","actor_fp","action","object","before",
 * "after","prev_hash"} (prev_hash as lowercase hex; before/after may be
 * null). Signature = Ed25519 over the 32-byte hash by the writing node's
 * audit key. The first entry's prev_hash is 32 zero bytes. */
#ifndef SDNS_AUDIT_H
#define SDNS_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SDNS_AUDIT_HASH_LEN 32
#define SDNS_AUDIT_SIG_LEN 64
#define SDNS_AUDIT_PUB_LEN 32

typedef struct {
	uint8_t pub[SDNS_AUDIT_PUB_LEN];
	uint8_t sec[64];          /* libsodium secret key (seed || pub) */
} sdns_audit_key;

/* RFC 8785: keys sorted by UTF-16 code units, no insignificant white space,
 * strings with the minimal escapes, integers as plain decimals. Reals are
 * refused (SDNS_EINVAL): our entries never need them, and JCS number
 * formatting of doubles is where implementations disagree. So are integers
 * beyond +-(2^53 - 1), which an ECMAScript verifier would read differently,
 * invalid UTF-8 (only reachable through jansson's _nocheck setters) and
 * nesting deeper than 64. *out is malloc'd and NUL-terminated; *len excludes
 * the NUL. */
int sdns_audit_canonical(const json_t *v, char **out, size_t *len);

int sdns_audit_hash(const json_t *entry, const uint8_t prev[SDNS_AUDIT_HASH_LEN],
                    uint8_t out[SDNS_AUDIT_HASH_LEN]);
int sdns_audit_sign(const sdns_audit_key *k,
                    const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                    uint8_t sig[SDNS_AUDIT_SIG_LEN]);
/* SDNS_OK when sig is pub's signature of hash, SDNS_ECRYPTO otherwise. */
int sdns_audit_verify_sig(const uint8_t pub[SDNS_AUDIT_PUB_LEN],
                          const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                          const uint8_t sig[SDNS_AUDIT_SIG_LEN]);

/* The node's audit key: the Ed25519 private key of a PEM file (the node's
 * TLS key when it is Ed25519). SDNS_ETYPE for other key types, SDNS_EMALF
 * for a file that is not an unencrypted PEM private key, SDNS_ENOTFOUND /
 * SDNS_EIO when it cannot be read. */
int sdns_audit_key_load(const char *pem_path, sdns_audit_key *out);
/* A fresh random key (tests, nodes with P-256 TLS keys). */
int sdns_audit_key_generate(sdns_audit_key *out);
/* Write/read a 32-byte seed file (raw bytes, mode 0600), for --audit-key.
 * Save never overwrites (SDNS_EEXIST); load wants exactly 32 bytes
 * (SDNS_EMALF otherwise). */
int sdns_audit_key_save_seed(const sdns_audit_key *k, const char *path);
int sdns_audit_key_load_seed(const char *path, sdns_audit_key *out);

/* Lowercase hex of n bytes into out (2n+1 bytes), and back (exactly 2n
 * hex digits of either case, else SDNS_EINVAL). */
void sdns_audit_hex(const uint8_t *in, size_t n, char *out);
int sdns_audit_unhex(const char *hex, uint8_t *out, size_t n);

/* Build the entry object that is hashed (references are not stolen).
 * before/after NULL and actor/actor_fp NULL (a caller without a
 * certificate) become JSON null; ts, action and object are required. NULL
 * on a missing argument, invalid UTF-8 or no memory. */
json_t *sdns_audit_entry(int64_t id, const char *ts, const char *actor,
                         const char *actor_fp, const char *action,
                         const char *object, json_t *before, json_t *after,
                         const uint8_t prev[SDNS_AUDIT_HASH_LEN]);

#endif
