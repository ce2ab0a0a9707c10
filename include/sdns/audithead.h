/* Trust in the audit chain that does not come from the database: the set
 * of audit public keys a node accepts signatures from (its own key, and
 * keys an operator listed in a file), signed checkpoints of the chain head
 * (id, hash, time) and the book in which a node keeps the heads its mesh
 * peers published, so that a chain that shrinks or is rewritten is seen
 * by someone who does not share its database. Part of the audit module
 * (src/audit/trust.c, head.c, book.c); pure except the file reads and
 * writes named below. */
#ifndef SDNS_AUDITHEAD_H
#define SDNS_AUDITHEAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sdns/audit.h"

/* --- the trusted keys (src/audit/trust.c) --- */

#define SDNS_AUDIT_TRUST_MAX 64
#define SDNS_AUDIT_NAME_MAX 64
#define SDNS_AUDIT_PUB_B64_LEN 44 /* base64 of 32 bytes, without the NUL */

typedef struct {
	char name[SDNS_AUDIT_NAME_MAX];   /* "" for the node's own key */
	uint8_t pub[SDNS_AUDIT_PUB_LEN];
} sdns_audit_trusted;

typedef struct {
	size_t n;
	sdns_audit_trusted k[SDNS_AUDIT_TRUST_MAX];
} sdns_audit_trust;

/* A key as text: base64 (44 characters) or hex (64). SDNS_EINVAL else. */
int sdns_audit_pub_parse(const char *text, uint8_t pub[SDNS_AUDIT_PUB_LEN]);
/* Base64 of pub into out (SDNS_AUDIT_PUB_B64_LEN + 1 bytes). */
void sdns_audit_pub_b64(const uint8_t pub[SDNS_AUDIT_PUB_LEN], char *out);
/* Add one key (name may be NULL). A key already there is not added twice.
 * SDNS_ELIMIT beyond SDNS_AUDIT_TRUST_MAX, SDNS_EINVAL for a name that is
 * too long. */
int sdns_audit_trust_add(sdns_audit_trust *t, const char *name,
                         const uint8_t pub[SDNS_AUDIT_PUB_LEN]);
/* Read a trust file: one key per line, "NAME KEY" or "KEY", KEY base64 or
 * hex; blank lines and lines starting with '#' are skipped. On a bad line
 * SDNS_ESYNTAX and *line says which (1-based); SDNS_ENOTFOUND/SDNS_EIO
 * when the file cannot be read. Keys are added to what t holds. */
int sdns_audit_trust_load(sdns_audit_trust *t, const char *path, int *line);
/* The entry for pub / for the name, or NULL. */
const sdns_audit_trusted *sdns_audit_trust_find(const sdns_audit_trust *t,
                                                const uint8_t *pub);
const sdns_audit_trusted *sdns_audit_trust_by_name(const sdns_audit_trust *t,
                                                   const char *name);

/* --- signed heads (src/audit/head.c) --- */

#define SDNS_AUDIT_TS_MAX 40

/* "The chain of the signer ended at entry id, whose hash is hash, at time
 * ts". id 0 with a zero hash is the empty chain. The signature covers
 * "sdns-audit-head-v1", a NUL, id (8 bytes big-endian), hash and ts. */
typedef struct {
	int64_t id;
	uint8_t hash[SDNS_AUDIT_HASH_LEN];
	char ts[SDNS_AUDIT_TS_MAX];      /* RFC 3339 UTC, as audit entries */
	uint8_t pub[SDNS_AUDIT_PUB_LEN]; /* who signed (check it is trusted!) */
	uint8_t sig[SDNS_AUDIT_SIG_LEN];
} sdns_audit_head;

/* Fill h and sign it with k. SDNS_EINVAL for id < 0 or a ts too long. */
int sdns_audit_head_sign(const sdns_audit_key *k, int64_t id,
                         const uint8_t hash[SDNS_AUDIT_HASH_LEN],
                         const char *ts, sdns_audit_head *h);
/* SDNS_OK when h->sig is h->pub's signature of h; SDNS_ECRYPTO else. Says
 * nothing about whether h->pub is a key to believe. */
int sdns_audit_head_verify(const sdns_audit_head *h);
/* {"id":N,"hash":hex,"ts":T,"signer_pub":hex,"sig":hex}; NULL on no
 * memory. from_json wants exactly these members with valid values
 * (SDNS_EMALF else) and does not verify the signature. */
json_t *sdns_audit_head_to_json(const sdns_audit_head *h);
int sdns_audit_head_from_json(const json_t *j, sdns_audit_head *h);
/* The TXT form published in DNS: the character-strings "v=1", "id=N",
 * "hash=HEX", "ts=T", "pub=HEX", "sig=HEX" as TXT RDATA (each string with
 * its length octet). to_txt: SDNS_ESPACE when cap is too small. from_txt
 * parses RDATA of that shape (any order; unknown keys are an error). */
int sdns_audit_head_to_txt(const sdns_audit_head *h, uint8_t *rdata,
                           size_t cap, size_t *len);
int sdns_audit_head_from_txt(const uint8_t *rdata, size_t len,
                             sdns_audit_head *h);

/* How a head got relates to the one seen before from the same chain. */
typedef enum {
	SDNS_AUDIT_HEAD_SAME = 0,   /* same id, same hash */
	SDNS_AUDIT_HEAD_NEWER,      /* a longer chain */
	SDNS_AUDIT_HEAD_SHORTER,    /* id went back: entries were removed */
	SDNS_AUDIT_HEAD_FORKED,     /* same id, another hash: rewritten */
} sdns_audit_head_order;
sdns_audit_head_order sdns_audit_head_compare(const sdns_audit_head *seen,
                                              const sdns_audit_head *got);
const char *sdns_audit_head_order_str(sdns_audit_head_order o);

/* --- the peers' heads (src/audit/book.c) --- */

#define SDNS_AUDIT_BOOK_MAX 256

typedef enum {
	SDNS_AUDIT_SEEN_OK = 0,     /* same or newer: kept as the newest */
	SDNS_AUDIT_SEEN_SHORTER,    /* the problems: reported, not kept */
	SDNS_AUDIT_SEEN_FORKED,
	SDNS_AUDIT_SEEN_KEY_CHANGED,/* signed by another key than before */
	SDNS_AUDIT_SEEN_UNTRUSTED,  /* not the key the trust file names */
	SDNS_AUDIT_SEEN_BAD_SIG,
	SDNS_AUDIT_SEEN_KINDS
} sdns_audit_seen;
const char *sdns_audit_seen_str(sdns_audit_seen s);

typedef struct {
	char name[SDNS_AUDIT_NAME_MAX];
	sdns_audit_head head;        /* the newest good head seen */
	uint64_t problems;
	sdns_audit_seen last_problem;
	sdns_audit_head last_bad;    /* the head that was refused */
	char last_problem_ts[SDNS_AUDIT_TS_MAX];
} sdns_audit_book_peer;

/* Thread-safe (one mutex): the poller observes, API threads read. */
typedef struct {
	pthread_mutex_t mu;
	size_t n;
	sdns_audit_book_peer p[SDNS_AUDIT_BOOK_MAX];
	uint64_t counts[SDNS_AUDIT_SEEN_KINDS];
	char path[4096];             /* state file; "" = memory only */
} sdns_audit_book;

/* Empty book that persists to path (NULL/"" = memory only), loading what
 * the file holds: SDNS_OK also when it does not exist yet; SDNS_EMALF for
 * a file that is not one of ours (the book is then empty). */
int sdns_audit_book_init(sdns_audit_book *b, const char *path);
void sdns_audit_book_destroy(sdns_audit_book *b);
/* A head the peer `name` published. trusted = the key the trust file binds
 * to that name, or NULL: then the first key seen is pinned. The first head
 * of a peer is kept as it is. On a problem the head is not kept and the
 * peer's problem counter moves. A kept head is saved to the state file
 * (written to a temporary file and renamed, mode 0600); *save_rc says how
 * that went. now_ts: the time to write down with a problem. */
sdns_audit_seen sdns_audit_book_observe(sdns_audit_book *b, const char *name,
                                        const sdns_audit_head *got,
                                        const uint8_t *trusted,
                                        const char *now_ts, int *save_rc);
/* {"peers":[{"name","head":{...},"problems":N,"last_problem":S|null,
 * "last_problem_at":T|null,"refused_head":{...}|null}]} */
json_t *sdns_audit_book_json(sdns_audit_book *b);
/* Problems counted per kind since start (index: sdns_audit_seen). */
void sdns_audit_book_counts(sdns_audit_book *b,
                            uint64_t out[SDNS_AUDIT_SEEN_KINDS]);

#endif
