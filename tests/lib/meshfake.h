/* A fake mesh peer for tests/mesh.c: an in-process DoQ server (real TLS,
 * certificates from testpki) that answers for zone server.test.mesh (or
 * another, meshfake_start_zone) the way an owner, or a peer holding a copy
 * of the owner's data, would:
 *   www.<zone> A    192.0.2.<a_last>, TTL a_ttl, with its RRSIG, and the
 *                   signed SOA (serial) in authority (soa_in_positive)
 *   www.<zone> else NODATA: the SOA (serial) and an RFC 9824 compact
 *                   NSEC, both signed
 *   anything else   REFUSED
 * RRSIGs are valid for sig_validity seconds from now. Playing a lying
 * peer: lie_ttl (not 0) is written as the TTL of every record instead of
 * the signed one, and lie_extras adds unsigned A records (TTL 2^31-1) to
 * every section: evil.<zone> 203.0.113.1 in the answer of an A query,
 * evil.<zone> 203.0.113.2 in authority, www.<zone> 203.0.113.3 in
 * additional; lie_join adds www.<zone> A 203.0.113.4 to the signed www A
 * RRset in the answer.
 * signed with `key` (the owner's, or another to play a forger). A NOTIFY is
 * recorded and answered with notify_rcode. While gate_closed, queries wait
 * (the worker thread blocks: later queries queue behind it).
 * The fields below mu are guarded by it; change them with the lock held
 * (meshfake_set) while the server runs. */
#ifndef SDNS_MESHFAKE_H
#define SDNS_MESHFAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/dnssec.h"
#include "sdns/doq.h"
#include "sdns/name.h"

#define MESHFAKE_APEX "server.test.mesh."
#define MESHFAKE_WWW "www.server.test.mesh."

typedef struct {
	sdns_doq_server *srv;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int queries, notifies;
	bool gate_closed;
	uint8_t notify_rcode;      /* 0 = NOERROR */
	char notify_from[64];
	sdns_name notify_apex;
	uint8_t notify_wire[2048]; /* the last NOTIFY as received */
	size_t notify_len;
	sdns_dnssec_key key;       /* what it signs with */
	uint32_t serial;           /* of the SOA in negative answers */
	uint8_t a_last;            /* www A 192.0.2.<a_last> */
	uint32_t a_ttl, sig_validity, lie_ttl;
	bool lie_extras, lie_join, soa_in_positive;
	char zone[128], www[140];  /* "x.test.mesh.", "www.x.test.mesh." */
} meshfake;

/* Starts a fake on listen ("127.0.0.1:0" = any port) with the node
 * certificate cert/key of the test PKI whose CA is ca; serial 1, A
 * 192.0.2.1, NOERROR to NOTIFYs. */
meshfake *meshfake_start(const char *listen, const char *cert,
                         const char *key, const char *ca,
                         const sdns_dnssec_key *sign_key);
meshfake *meshfake_start_zone(const char *listen, const char *cert,
                              const char *key, const char *ca,
                              const sdns_dnssec_key *sign_key,
                              const char *zone);
/* Stops the server (opens the gate first). NULL ok. */
void meshfake_stop(meshfake *f);
uint16_t meshfake_port(const meshfake *f);
void meshfake_gate(meshfake *f, bool closed);
/* Serial and A value of the zone from now on. */
void meshfake_set(meshfake *f, uint32_t serial, uint8_t a_last);
/* Sign with k from now on; answer NOTIFYs with rcode (0 or REFUSED). */
void meshfake_set_key(meshfake *f, const sdns_dnssec_key *k);
void meshfake_set_notify_rcode(meshfake *f, uint8_t rcode);
/* The lies of the fields above (wire_ttl 0 = none). */
void meshfake_lie(meshfake *f, uint32_t wire_ttl, bool extras);
void meshfake_lie_join(meshfake *f, bool join);
void meshfake_set_signing(meshfake *f, uint32_t a_ttl, uint32_t validity,
                          bool soa_in_positive);
/* Blocks until at least n queries (or NOTIFYs) arrived. */
void meshfake_wait_queries(meshfake *f, int n);
void meshfake_wait_notifies(meshfake *f, int n);
int meshfake_queries(meshfake *f);

/* An owner's answer to "zone SOA" with DO (zone: "x.test.mesh."): the SOA
 * with the given serial and its RRSIG by key (for NOTIFY payloads). */
size_t meshfake_soa_answer(const sdns_dnssec_key *key, const char *zone,
                           uint32_t serial, uint8_t *out, size_t cap);

#endif
