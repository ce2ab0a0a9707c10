/* The fake mesh peer of tests/mesh.c (see meshfake.h). */
#include "meshfake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/error.h"
#include "sdns/mesh.h"
#include "sdns/msg.h"
#include "testpki.h"

/* A bug in the fake itself: stop at once, whatever thread this is. */
static void must(int rc, const char *what)
{
	if (rc == SDNS_OK) return;
	fprintf(stderr, "meshfake: %s: %s\n", what, sdns_strerror(rc));
	abort();
}

static sdns_name nm(const char *s)
{
	sdns_name n;
	must(sdns_name_from_str(&n, s, strlen(s), NULL), s);
	return n;
}

/* How one answer is signed and what lies it tells (a copy of the fields
 * under f->mu, taken per query). */
typedef struct {
	sdns_dnssec_key key;
	uint32_t validity;  /* of the RRSIGs made */
	uint32_t wire_ttl;  /* 0 = the signed TTL */
} signing;

static void add_signed_as(sdns_bld *b, const signing *g, const char *zone,
                          enum sdns_section sec, const char *owner,
                          uint16_t type, uint32_t ttl, const uint8_t *rd,
                          uint16_t rdlen)
{
	const sdns_dnssec_key *k = &g->key;
	sdns_name o = nm(owner), apex = nm(zone);
	uint32_t wttl = g->wire_ttl ? g->wire_ttl : ttl;
	sdns_rr rr = { .owner = o, .type = type, .rclass = 1, .ttl = wttl,
	               .rdlen = rdlen, .rdata = rd };
	must(sdns_bld_rr(b, sec, &rr), "record");
	const uint8_t *rdp[1] = { rd };
	uint16_t lens[1] = { rdlen };
	sdns_rrset set = { .type = type, .ttl = ttl, .count = 1, .rdlen = lens,
	                   .rdata = rdp };
	sdns_dnssec_window w;
	sdns_dnssec_window_at((uint32_t)time(NULL), g->validity, &w);
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t slen = 0;
	must(sdns_dnssec_sign_rrset(k, &apex, &w, &o, &set, sig, sizeof sig,
	                            &slen), "sign");
	sdns_rr rs = { .owner = o, .type = SDNS_T_RRSIG, .rclass = 1,
	               .ttl = wttl, .rdlen = (uint16_t)slen, .rdata = sig };
	must(sdns_bld_rr(b, sec, &rs), "rrsig");
}

static void add_soa_as(sdns_bld *b, const signing *g, const char *zone,
                       enum sdns_section sec, uint32_t serial)
{
	uint8_t soa[300];
	char t[400];
	sdns_wr w;
	sdns_name apex = nm(zone);
	int n = snprintf(t, sizeof t, "ns.%s host.%s %u 3600 600 86400 60", zone,
	                 zone, (unsigned)serial);
	sdns_wr_init(&w, soa, sizeof soa);
	must(sdns_rdata_from_str(SDNS_T_SOA, t, (size_t)n, &apex, &w), "soa");
	add_signed_as(b, g, zone, sec, zone, SDNS_T_SOA, 300, soa,
	              (uint16_t)(w.p - soa));
}

static void add_soa(sdns_bld *b, const sdns_dnssec_key *k, const char *zone,
                    enum sdns_section sec, uint32_t serial)
{
	signing g = { .key = *k, .validity = 86400 };
	add_soa_as(b, &g, zone, sec, serial);
}

static void add_nodata_proof(sdns_bld *b, const signing *g, const char *zone,
                             const char *www_s, uint32_t serial)
{
	add_soa_as(b, g, zone, SDNS_SEC_NS, serial);
	sdns_name www = nm(www_s);
	uint16_t types[] = { SDNS_T_A, SDNS_T_RRSIG, SDNS_T_NSEC };
	uint8_t nsec[300];
	size_t nlen = 0;
	must(sdns_dnssec_compact_nsec(&www, types, 3, nsec, sizeof nsec, &nlen),
	     "nsec");
	add_signed_as(b, g, zone, SDNS_SEC_NS, www_s, SDNS_T_NSEC, 60, nsec,
	              (uint16_t)nlen);
}

/* The lying peer's additions: records nobody signed, one per section. */
static void add_unsigned(sdns_bld *b, enum sdns_section sec, const char *owner,
                         uint8_t last)
{
	const uint8_t a[4] = { 203, 0, 113, last };
	sdns_rr rr = { .owner = nm(owner), .type = SDNS_T_A, .rclass = 1,
	               .ttl = 0x7fffffff, .rdlen = 4, .rdata = a };
	must(sdns_bld_rr(b, sec, &rr), "unsigned");
}

static int on_notify(meshfake *f, const sdns_identity *peer,
                     const uint8_t *wire, size_t len, const sdns_msg *q,
                     uint8_t *resp, size_t cap, size_t *resp_len)
{
	pthread_mutex_lock(&f->mu);
	f->notifies++;
	snprintf(f->notify_from, sizeof f->notify_from, "%s", peer->name);
	f->notify_apex = q->qname;
	f->notify_len = len <= sizeof f->notify_wire ? len : 0;
	memcpy(f->notify_wire, wire, f->notify_len);
	int rc = f->notify_rcode ? SDNS_EDENIED : SDNS_OK;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return sdns_mesh_notify_reply(wire, len, rc, resp, cap, resp_len);
}

static int on_query(void *ctx, const sdns_identity *peer, const sdns_msg *q,
                    const uint8_t *wire, size_t len, uint8_t *resp,
                    size_t cap, size_t *resp_len)
{
	meshfake *f = ctx;
	if (SDNS_OPCODE(q->flags) == SDNS_OP_NOTIFY)
		return on_notify(f, peer, wire, len, q, resp, cap, resp_len);
	pthread_mutex_lock(&f->mu);
	f->queries++;
	pthread_cond_broadcast(&f->cv);
	while (f->gate_closed) pthread_cond_wait(&f->cv, &f->mu);
	signing g = { .key = f->key, .validity = f->sig_validity,
	              .wire_ttl = f->lie_ttl };
	uint32_t serial = f->serial, a_ttl = f->a_ttl;
	uint8_t a_last = f->a_last;
	bool extras = f->lie_extras, soa = f->soa_in_positive;
	bool join = f->lie_join;
	pthread_mutex_unlock(&f->mu);
	sdns_name www = nm(f->www);
	bool at_www = sdns_name_eq_ci(&q->qname, &www);
	uint16_t fl = SDNS_F_QR | SDNS_F_AA | (at_www ? 0 : SDNS_RC_REFUSED);
	sdns_bld b;
	must(sdns_bld_init(&b, resp, cap, q->id, fl), "init");
	must(sdns_bld_question(&b, &q->qname, q->qtype, q->qclass), "question");
	const uint8_t a[4] = { 192, 0, 2, a_last };
	char evil[300];
	snprintf(evil, sizeof evil, "evil.%s", f->zone);
	if (at_www && q->qtype == SDNS_T_A) {
		add_signed_as(&b, &g, f->zone, SDNS_SEC_AN, f->www, SDNS_T_A,
		              a_ttl, a, 4);
		if (join) add_unsigned(&b, SDNS_SEC_AN, f->www, 4);
		if (extras) add_unsigned(&b, SDNS_SEC_AN, evil, 1);
		if (soa) add_soa_as(&b, &g, f->zone, SDNS_SEC_NS, serial);
	} else if (at_www) {
		add_nodata_proof(&b, &g, f->zone, f->www, serial);
	}
	if (at_www && extras) {
		add_unsigned(&b, SDNS_SEC_NS, evil, 2);
		add_unsigned(&b, SDNS_SEC_AR, f->www, 3);
	}
	sdns_edns e = { .udp_size = 1232, .do_bit = q->edns.do_bit };
	if (q->edns.present) must(sdns_bld_opt(&b, &e, 0), "opt");
	return sdns_bld_finish(&b, resp_len);
}

meshfake *meshfake_start(const char *listen, const char *cert,
                         const char *key, const char *ca,
                         const sdns_dnssec_key *sign_key)
{
	return meshfake_start_zone(listen, cert, key, ca, sign_key,
	                           MESHFAKE_APEX);
}

meshfake *meshfake_start_zone(const char *listen, const char *cert,
                              const char *key, const char *ca,
                              const sdns_dnssec_key *sign_key,
                              const char *zone)
{
	meshfake *f = calloc(1, sizeof *f);
	if (!f) abort();
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->key = *sign_key;
	f->serial = 1;
	f->a_last = 1;
	f->a_ttl = 60;
	f->sig_validity = 86400;
	f->soa_in_positive = true;
	snprintf(f->zone, sizeof f->zone, "%s", zone);
	snprintf(f->www, sizeof f->www, "www.%s", zone);
	sdns_doq_server_conf c = {
		.listen = listen, .cert_path = cert, .key_path = key,
		.ca_path = ca, .mesh = SDNS_TESTPKI_MESH, .workers = 1,
		.on_query = on_query, .ctx = f,
	};
	sdns_doq_server_conf_defaults(&c);
	char err[256];
	if (sdns_doq_server_new(&c, &f->srv, err, sizeof err) ||
	    sdns_doq_server_start(f->srv) != SDNS_OK) {
		fprintf(stderr, "meshfake: cannot start on %s: %s\n", listen, err);
		abort();
	}
	return f;
}

void meshfake_stop(meshfake *f)
{
	if (!f) return;
	meshfake_gate(f, false);
	sdns_doq_server_free(f->srv);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

uint16_t meshfake_port(const meshfake *f)
{
	return sdns_doq_server_port(f->srv);
}

void meshfake_gate(meshfake *f, bool closed)
{
	pthread_mutex_lock(&f->mu);
	f->gate_closed = closed;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void meshfake_set(meshfake *f, uint32_t serial, uint8_t a_last)
{
	pthread_mutex_lock(&f->mu);
	f->serial = serial;
	f->a_last = a_last;
	pthread_mutex_unlock(&f->mu);
}

void meshfake_set_key(meshfake *f, const sdns_dnssec_key *k)
{
	pthread_mutex_lock(&f->mu);
	f->key = *k;
	pthread_mutex_unlock(&f->mu);
}

void meshfake_lie(meshfake *f, uint32_t wire_ttl, bool extras)
{
	pthread_mutex_lock(&f->mu);
	f->lie_ttl = wire_ttl;
	f->lie_extras = extras;
	pthread_mutex_unlock(&f->mu);
}

void meshfake_lie_join(meshfake *f, bool join)
{
	pthread_mutex_lock(&f->mu);
	f->lie_join = join;
	pthread_mutex_unlock(&f->mu);
}

void meshfake_set_signing(meshfake *f, uint32_t a_ttl, uint32_t validity,
                          bool soa_in_positive)
{
	pthread_mutex_lock(&f->mu);
	f->a_ttl = a_ttl;
	f->sig_validity = validity;
	f->soa_in_positive = soa_in_positive;
	pthread_mutex_unlock(&f->mu);
}

void meshfake_set_notify_rcode(meshfake *f, uint8_t rcode)
{
	pthread_mutex_lock(&f->mu);
	f->notify_rcode = rcode;
	pthread_mutex_unlock(&f->mu);
}

static void wait_count(meshfake *f, const int *what, int n)
{
	pthread_mutex_lock(&f->mu);
	while (*what < n) pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

void meshfake_wait_queries(meshfake *f, int n)
{
	wait_count(f, &f->queries, n);
}

void meshfake_wait_notifies(meshfake *f, int n)
{
	wait_count(f, &f->notifies, n);
}

int meshfake_queries(meshfake *f)
{
	pthread_mutex_lock(&f->mu);
	int n = f->queries;
	pthread_mutex_unlock(&f->mu);
	return n;
}

size_t meshfake_soa_answer(const sdns_dnssec_key *key, const char *zone,
                           uint32_t serial, uint8_t *out, size_t cap)
{
	sdns_name apex = nm(zone);
	sdns_bld b;
	size_t len = 0;
	must(sdns_bld_init(&b, out, cap, 0, SDNS_F_QR | SDNS_F_AA), "init");
	must(sdns_bld_question(&b, &apex, SDNS_T_SOA, 1), "question");
	add_soa(&b, key, zone, SDNS_SEC_AN, serial);
	must(sdns_bld_finish(&b, &len), "finish");
	return len;
}
