/* DNSSEC with Ed25519 (RFC 4034/4035, RFC 8080 algorithm 15): one key per
 * node used as a combined signing key, RRSIGs over the RFC 4034 §6 canonical
 * form, zone signing, compact denial of existence (RFC 9824) and validation
 * of a whole response against one zone key. Pure: the time comes in as an
 * argument; only sdns_dnssec_key_load touches a file. */
#ifndef SDNS_DNSSEC_H
#define SDNS_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/name.h"
#include "sdns/zone.h"

#define SDNS_DNSSEC_ALG_ED25519 15
#define SDNS_T_NXNAME 128            /* RFC 9824 pseudo-type */
#define SDNS_DNSSEC_FLAGS_CSK 257    /* Zone Key + Secure Entry Point */
#define SDNS_DNSSEC_DNSKEY_LEN 36    /* flags, protocol, alg, 32-octet key */
#define SDNS_DNSSEC_SIG_LEN 64
/* RRSIG RDATA: 18 fixed octets, signer (<= 255), signature. */
#define SDNS_DNSSEC_RRSIG_MAX (18 + SDNS_NAME_MAX + SDNS_DNSSEC_SIG_LEN)
#define SDNS_DNSSEC_DEFAULT_VALIDITY (14u * 86400u)
/* Mesh zones: short, renewed in the background (a replay window of hours,
 * not weeks). */
#define SDNS_DNSSEC_MESH_VALIDITY (6u * 3600u)

typedef struct {
	uint8_t pub[32];
	uint8_t sec[64];     /* libsodium secret key; all zero when !has_secret */
	bool has_secret;
	uint16_t tag;        /* RFC 4034 App. B key tag of our DNSKEY */
} sdns_dnssec_key;

/* --- keys (src/dnssec/key.c) --- */
int sdns_dnssec_key_from_seed(const uint8_t seed[32], sdns_dnssec_key *out);
int sdns_dnssec_key_from_pub(const uint8_t pub[32], sdns_dnssec_key *out);
/* The 32-byte seed file `sdnsctl enroll` writes (DIR/zone.key). Exactly 32
 * octets, else SDNS_EMALF; a missing file SDNS_ENOTFOUND. */
int sdns_dnssec_key_load(const char *seed_path, sdns_dnssec_key *out);
/* A public key from base64 text (DIR/zone.pub content, trailing blanks
 * allowed) or from a DNSKEY RDATA (alg 15, 32-octet key). */
int sdns_dnssec_key_from_b64(const char *b64, sdns_dnssec_key *out);
int sdns_dnssec_key_from_dnskey(const uint8_t *rdata, size_t len,
                                sdns_dnssec_key *out);
/* DNSKEY RDATA of k (flags 257, protocol 3, alg 15): 36 octets. */
void sdns_dnssec_dnskey_rdata(const sdns_dnssec_key *k,
                              uint8_t out[SDNS_DNSSEC_DNSKEY_LEN]);
/* RFC 4034 Appendix B over any DNSKEY RDATA. */
uint16_t sdns_dnssec_key_tag(const uint8_t *dnskey_rdata, size_t len);
/* Wipe the secret half. */
void sdns_dnssec_key_clear(sdns_dnssec_key *k);

typedef struct { uint32_t inception, expiration; } sdns_dnssec_window;
/* inception = now - 3600, expiration = now + validity_s */
void sdns_dnssec_window_at(uint32_t now, uint32_t validity_s,
                           sdns_dnssec_window *w);
/* RFC 4034 §3.1.5 serial arithmetic: inception <= now <= expiration. */
bool sdns_dnssec_window_holds(uint32_t inception, uint32_t expiration,
                              uint32_t now);

/* --- one RRset (src/dnssec/rrsig.c, canonical form in canon.c) --- */
/* Canonical RDATA (RFC 4034 §6.2: names inside NS, CNAME, SOA, PTR, MX,
 * SRV, DNAME, RRSIG, ... lowercased; not NSEC, RFC 6840 §5.1) into out. */
int sdns_dnssec_canon_rdata(uint16_t type, const uint8_t *rdata,
                            uint16_t rdlen, uint8_t *out, size_t cap,
                            size_t *out_len);
/* RRSIG RDATA over set at owner (class IN), signer = signer, original TTL =
 * set->ttl, labels from owner (a leading "*" label not counted). */
int sdns_dnssec_sign_rrset(const sdns_dnssec_key *k, const sdns_name *signer,
                           const sdns_dnssec_window *w,
                           const sdns_name *owner, const sdns_rrset *set,
                           uint8_t *rrsig, size_t cap, size_t *rrsig_len);
/* SDNS_OK when rrsig (RDATA) is a valid signature of set at owner by k,
 * made by signer, for set->type, and the window holds at now. A wildcard
 * expansion (labels below the owner's) is checked against the "*" name.
 * SDNS_EBOGUS with words in why (may be NULL). */
int sdns_dnssec_verify_rrset(const sdns_dnssec_key *k, const sdns_name *signer,
                             const sdns_name *owner, const sdns_rrset *set,
                             const uint8_t *rrsig, size_t rrsig_len,
                             uint32_t now, char *why, size_t why_cap);

/* --- NSEC (src/dnssec/nsec.c) --- */
/* RFC 9824 NSEC RDATA at name: next = \000.name, bitmap of types (any
 * order, duplicates fine). */
int sdns_dnssec_compact_nsec(const sdns_name *name, const uint16_t *types,
                             size_t n_types, uint8_t *out, size_t cap,
                             size_t *out_len);
/* True when the NSEC RDATA bitmap has type. */
bool sdns_dnssec_nsec_has(const uint8_t *rdata, size_t len, uint16_t type);

/* --- signing zones as they change (src/dnssec/signer.c) --- */
/* What signs the RRsets of one zone. */
typedef struct {
	const sdns_dnssec_key *key;  /* with its secret */
	const sdns_name *apex;       /* the signer name */
	uint32_t now;                /* inception = now - 3600 */
	uint32_t validity;           /* seconds; expiration = now + validity */
	uint32_t refresh;            /* re-sign with less than this left;
	                                0 = validity / 4 */
	/* Spread expirations over the last eighth of the validity (by owner
	 * and type), so the renewals of a zone signed at once come over
	 * hours, never all at once. */
	bool jitter;
	/* Reuse base's signature of an RRset that did not change while it is
	 * not due: only what a change touched is signed again. May be NULL. */
	const sdns_zone *base;
} sdns_dnssec_signer;
/* The builds' and edits' hook (sdns_zone_signer) that signs with s;
 * borrowed: s must outlive the build or edit. */
void sdns_dnssec_signer_hook(const sdns_dnssec_signer *s,
                             sdns_zone_signer *out);
/* The refresh that s uses. */
uint32_t sdns_dnssec_signer_refresh(const sdns_dnssec_signer *s);
/* True when an RRSIG (RDATA) must be made again at now: it expires within
 * refresh, its inception lies ahead, or it cannot be read. */
bool sdns_dnssec_rrsig_due(const uint8_t *rrsig, size_t len, uint32_t now,
                           uint32_t refresh);
/* The names of z with a due signature, from the shards at *cursor on
 * (sdns_zone_walk_slice; *cursor moves on and wraps): fn(ctx, owner) for
 * each, until n_shards shards are read or `budget` names found (whole
 * shards only). Returns how many names. */
size_t sdns_dnssec_due_names(const sdns_zone *z, size_t *cursor,
                             size_t n_shards, size_t budget, uint32_t now,
                             uint32_t refresh,
                             void (*fn)(void *ctx, const sdns_name *owner),
                             void *ctx);
/* Background renewal of z, one slice: the names with a due signature in
 * the shards from *cursor on (as sdns_dnssec_due_names) are laid out again
 * in an edit whose signer is s (s->base should be z: what is not due is
 * kept). *out: the new zone, or NULL when nothing was due; *renewed (may
 * be NULL) how many names. opts: the edit's options, its signer set here. */
int sdns_dnssec_renew(const sdns_zone *z, const sdns_dnssec_signer *s,
                      const sdns_zone_opts *opts, size_t *cursor,
                      size_t n_shards, size_t budget, sdns_zone **out,
                      size_t *renewed);
/* DNSKEY record of k at apex, TTL ttl; rd holds the RDATA rr points at. */
void sdns_dnssec_dnskey_rr(const sdns_dnssec_key *k, const sdns_name *apex,
                           uint32_t ttl, uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN],
                           sdns_rr *out);

/* --- zones (src/dnssec/signzone.c) --- */
/* New zone = z plus DNSKEY at the apex and one RRSIG per authoritative RRset
 * (not delegation NS, not glue). z is unchanged. RRSIGs already in z are
 * dropped (re-signing), so signing a signed zone renews it. */
int sdns_dnssec_sign_zone(const sdns_zone *z, const sdns_dnssec_key *k,
                          const sdns_dnssec_window *w, sdns_zone **out);
/* The same with a signer (its apex is z's; base, jitter and refresh as it
 * says) on up to `threads` threads. */
int sdns_dnssec_sign_zone_with(const sdns_zone *z, const sdns_dnssec_signer *s,
                               unsigned threads, sdns_zone **out);
/* Earliest RRSIG expiration in z (0 when z has none): the re-sign timer. */
uint32_t sdns_dnssec_zone_expiry(const sdns_zone *z);

/* --- responses (src/dnssec/validate.c) --- */
/* Validate a whole response from the owner of zone `apex`: every RRset in
 * answer and authority must have a valid RRSIG by k (signer = apex, window
 * holds at now); a negative answer needs the RFC 9824 NSEC proof (or a
 * classic NSEC proof) for qname/qtype. SDNS_OK = secure; SDNS_EBOGUS with
 * words in why; SDNS_EMALF for a broken message. */
int sdns_dnssec_validate_msg(const sdns_dnssec_key *k, const sdns_name *apex,
                             const uint8_t *wire, size_t len, uint32_t now,
                             char *why, size_t why_cap);
/* What a relay may pass on of a response from another party: the same
 * check over the signed records only, written to out as a new message
 * (the ID, the flags without AD and TC, the question) holding nothing but
 * the RRsets that verified and the RRSIG that verified each, in their
 * sections, plus a referral's NS (unsigned by RFC 4035 §2.2). Unsigned
 * records of the answer and authority are left out (then what is left
 * must still prove the answer, else SDNS_EBOGUS); the additional section
 * is left out whole (glue is unsigned). Every TTL is clamped to the
 * original TTL of the RRSIG that verified it and to the seconds left
 * before that RRSIG expires at now, so no cache keeps the data longer
 * than its owner signed it for (a referral's NS: the smallest of the
 * others; a denial's SOA: also its MINIMUM, the negative TTL of RFC 2308).
 * SDNS_ESPACE when cap is too small. */
int sdns_dnssec_verified_copy(const sdns_dnssec_key *k, const sdns_name *apex,
                              const uint8_t *wire, size_t len, uint32_t now,
                              uint8_t *out, size_t cap, size_t *out_len,
                              char *why, size_t why_cap);

#endif
