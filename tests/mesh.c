/* Tests for src/mesh: a real DoQ server in-process plays the owner peer
 * "server" of zone server.test.mesh (certificates from tests/lib/testpki),
 * answering with records signed by the DNSSEC code; the mesh under test is
 * node "node2" asking it over DoQ with mutual TLS. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/dnssec.h"
#include "sdns/doq.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/mesh.h"
#include "sdns/msg.h"
#include "testlib.h"
#include "testpki.h"

#define APEX "server.test.mesh."
#define WWW "www.server.test.mesh."

static char g_dir[256];
static char g_ca[300], g_cert[300], g_key[300], g_ncert[300], g_nkey[300];

/* The fake owner: what it saw and how it answers (worker thread). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int queries, notifies;
	bool gate_closed;       /* hold queries until opened */
	char notify_from[64];
	sdns_name notify_apex;
	sdns_dnssec_key key;    /* what it signs with */
} g_f = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static sdns_doq_server *g_srv;
static sdns_mesh *g_mesh;
static sdns_dnssec_key g_owner_key, g_other_key;
static atomic_ullong g_clock_off;

static uint64_t test_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
	       atomic_load(&g_clock_off);
}

static sdns_name nm(const char *s)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_str(&n, s, strlen(s), NULL), SDNS_OK);
	return n;
}

/* --- the fake owner's answers --- */

static _Thread_local const sdns_dnssec_key *g_sign_key; /* this answer's */

static void add_signed(sdns_bld *b, enum sdns_section sec, const char *owner,
                       uint16_t type, uint32_t ttl, const uint8_t *rd,
                       uint16_t rdlen)
{
	sdns_name o = nm(owner), apex = nm(APEX);
	sdns_rr rr = { .owner = o, .type = type, .rclass = 1, .ttl = ttl,
	               .rdlen = rdlen, .rdata = rd };
	ck_assert_int_eq(sdns_bld_rr(b, sec, &rr), SDNS_OK);
	const uint8_t *rdp[1] = { rd };
	uint16_t lens[1] = { rdlen };
	sdns_rrset set = { .type = type, .ttl = ttl, .count = 1, .rdlen = lens,
	                   .rdata = rdp };
	sdns_dnssec_window w;
	sdns_dnssec_window_at((uint32_t)time(NULL), 86400, &w);
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t slen = 0;
	ck_assert_int_eq(sdns_dnssec_sign_rrset(g_sign_key, &apex, &w, &o, &set,
	                                        sig, sizeof sig, &slen), SDNS_OK);
	sdns_rr rs = { .owner = o, .type = SDNS_T_RRSIG, .rclass = 1,
	               .ttl = ttl, .rdlen = (uint16_t)slen, .rdata = sig };
	ck_assert_int_eq(sdns_bld_rr(b, sec, &rs), SDNS_OK);
}

static void add_nodata_proof(sdns_bld *b)
{
	uint8_t soa[300];
	sdns_wr w;
	sdns_name apex = nm(APEX), www = nm(WWW);
	const char *t = "ns.server.test.mesh. host.server.test.mesh. 1 3600 600 "
	                "86400 60";
	sdns_wr_init(&w, soa, sizeof soa);
	ck_assert_int_eq(sdns_rdata_from_str(SDNS_T_SOA, t, strlen(t), &apex, &w),
	                 SDNS_OK);
	add_signed(b, SDNS_SEC_NS, APEX, SDNS_T_SOA, 300, soa,
	           (uint16_t)(w.p - soa));
	uint16_t types[] = { SDNS_T_A, SDNS_T_RRSIG, SDNS_T_NSEC };
	uint8_t nsec[300];
	size_t nlen = 0;
	ck_assert_int_eq(sdns_dnssec_compact_nsec(&www, types, 3, nsec,
	                                          sizeof nsec, &nlen), SDNS_OK);
	add_signed(b, SDNS_SEC_NS, WWW, SDNS_T_NSEC, 60, nsec, (uint16_t)nlen);
}

static int fake_notify(const sdns_identity *peer, const uint8_t *wire,
                       size_t len, const sdns_msg *q, uint8_t *resp,
                       size_t cap, size_t *resp_len)
{
	pthread_mutex_lock(&g_f.mu);
	g_f.notifies++;
	snprintf(g_f.notify_from, sizeof g_f.notify_from, "%s", peer->name);
	g_f.notify_apex = q->qname;
	pthread_cond_broadcast(&g_f.cv);
	pthread_mutex_unlock(&g_f.mu);
	return sdns_mesh_notify_reply(wire, len, SDNS_OK, resp, cap, resp_len);
}

static int fake_query(void *ctx, const sdns_identity *peer,
                      const sdns_msg *q, const uint8_t *wire, size_t len,
                      uint8_t *resp, size_t cap, size_t *resp_len)
{
	/* ctx: the second peer's key; NULL = the owner's current one. */
	if (SDNS_OPCODE(q->flags) == SDNS_OP_NOTIFY)
		return fake_notify(peer, wire, len, q, resp, cap, resp_len);
	pthread_mutex_lock(&g_f.mu);
	if (!ctx) {
		g_f.queries++;
		pthread_cond_broadcast(&g_f.cv);
		while (g_f.gate_closed) pthread_cond_wait(&g_f.cv, &g_f.mu);
	}
	static _Thread_local sdns_dnssec_key key;
	key = ctx ? *(const sdns_dnssec_key *)ctx : g_f.key;
	pthread_mutex_unlock(&g_f.mu);
	g_sign_key = &key;
	sdns_name www = nm(WWW);
	bool at_www = sdns_name_eq_ci(&q->qname, &www);
	uint16_t f = SDNS_F_QR | SDNS_F_AA;
	if (!at_www) f |= SDNS_RC_REFUSED;
	sdns_bld b;
	ck_assert_int_eq(sdns_bld_init(&b, resp, cap, q->id, f), SDNS_OK);
	ck_assert_int_eq(sdns_bld_question(&b, &q->qname, q->qtype, q->qclass),
	                 SDNS_OK);
	const uint8_t a[4] = { 192, 0, 2, 1 };
	if (at_www && q->qtype == SDNS_T_A)
		add_signed(&b, SDNS_SEC_AN, WWW, SDNS_T_A, 60, a, 4);
	else if (at_www)
		add_nodata_proof(&b);
	sdns_edns e = { .udp_size = 1232, .do_bit = q->edns.do_bit };
	if (q->edns.present) ck_assert_int_eq(sdns_bld_opt(&b, &e, 0), SDNS_OK);
	return sdns_bld_finish(&b, resp_len);
}

/* --- fixtures --- */

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-mesh", g_dir, sizeof g_dir), 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
	snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
	snprintf(g_cert, sizeof g_cert, "%s/server.pem", g_dir);
	snprintf(g_key, sizeof g_key, "%s/server.key", g_dir);
	snprintf(g_ncert, sizeof g_ncert, "%s/node2.pem", g_dir);
	snprintf(g_nkey, sizeof g_nkey, "%s/node2.key", g_dir);
	uint8_t seed[32];
	memset(seed, 7, sizeof seed);
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &g_owner_key), SDNS_OK);
	memset(seed, 9, sizeof seed);
	ck_assert_int_eq(sdns_dnssec_key_from_seed(seed, &g_other_key), SDNS_OK);
}

static void pki_teardown(void)
{
	sdns_test_rmtree(g_dir);
}

static sdns_doq_server *start_fake(const char *cert, const char *key,
                                   void *ctx)
{
	sdns_doq_server_conf c = {
		.listen = "127.0.0.1:0", .cert_path = cert, .key_path = key,
		.ca_path = g_ca, .mesh = SDNS_TESTPKI_MESH, .workers = 1,
		.on_query = fake_query, .ctx = ctx,
	};
	sdns_doq_server_conf_defaults(&c);
	char err[256];
	sdns_doq_server *s = NULL;
	ck_assert_int_eq(sdns_doq_server_new(&c, &s, err, sizeof err), 0);
	ck_assert_int_eq(sdns_doq_server_start(s), SDNS_OK);
	return s;
}

static void server_start(void)
{
	g_srv = start_fake(g_cert, g_key, NULL);
}

static void server_stop(void)
{
	sdns_doq_server_free(g_srv);
	g_srv = NULL;
}

static sdns_mesh_peer owner_peer(const sdns_dnssec_key *k)
{
	sdns_mesh_peer p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "server");
	snprintf(p.endpoint, sizeof p.endpoint, "127.0.0.1:%u",
	         g_srv ? sdns_doq_server_port(g_srv) : 1u);
	memcpy(p.zone_key, k->pub, 32);
	return p;
}

static void each_setup(void)
{
	sdns_log_setup(NULL, SDNS_LOG_ERROR);
	g_f.queries = g_f.notifies = 0;
	g_f.gate_closed = false;
	g_f.notify_from[0] = '\0';
	g_f.key = g_owner_key;
	atomic_store(&g_clock_off, 0);
	server_start();
	sdns_mesh_conf c = {
		.mesh = SDNS_TESTPKI_MESH, .self = "node2", .ca_path = g_ca,
		.cert_path = g_ncert, .key_path = g_nkey, .timeout_ms = 3000,
		.backoff_min_ms = 50, .backoff_max_ms = 200,
		.clock_ns = test_clock, .pad_block = SDNS_DOQ_PAD_BLOCK,
	};
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
}

static void each_teardown(void)
{
	pthread_mutex_lock(&g_f.mu);
	g_f.gate_closed = false;
	pthread_cond_broadcast(&g_f.cv);
	pthread_mutex_unlock(&g_f.mu);
	sdns_mesh_free(g_mesh);
	g_mesh = NULL;
	server_stop();
}

/* --- asking --- */

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int calls;
	uint8_t resp[4096];
	size_t len;
} answer;

static void answer_init(answer *a)
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
}

static void on_answer(void *ctx, const uint8_t *resp, size_t len)
{
	answer *a = ctx;
	pthread_mutex_lock(&a->mu);
	a->calls++;
	a->len = len <= sizeof a->resp ? len : 0;
	if (resp && a->len) memcpy(a->resp, resp, a->len);
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Waits for the callback (a safeguard of 20 s, not a timing check). */
static void answer_wait(answer *a)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&a->mu);
	while (!a->calls &&
	       pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&a->mu);
	ck_assert_int_eq(a->calls, 1);
}

static size_t make_q(uint8_t *buf, size_t cap, const char *name,
                     uint16_t qtype, uint16_t id, bool do_bit)
{
	sdns_name n = nm(name);
	sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = do_bit };
	size_t len = 0;
	ck_assert_int_eq(sdns_msg_make_query(buf, cap, &len, id, &n, qtype, true,
	                                     &e, 0), SDNS_OK);
	return len;
}

static void resolve(const char *name, uint16_t qtype, bool do_bit,
                    answer *a, sdns_msg *out)
{
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, name, qtype, 0x1234, do_bit);
	answer_init(a);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, a), SDNS_OK);
	answer_wait(a);
	ck_assert_int_eq(sdns_msg_parse(a->resp, a->len, out), SDNS_OK);
	ck_assert_uint_eq(out->id, 0x1234);
}

static int count_type(const sdns_msg *m, enum sdns_section s, uint16_t t)
{
	int n = 0;
	for (uint16_t i = 0; i < m->count[s]; i++)
		n += sdns_msg_rr(m, s, i)->type == t;
	return n;
}

static void wait_queries(int n)
{
	pthread_mutex_lock(&g_f.mu);
	while (g_f.queries < n) pthread_cond_wait(&g_f.cv, &g_f.mu);
	pthread_mutex_unlock(&g_f.mu);
}

/* --- tests --- */

START_TEST(test_verified_answer_returned_with_rrsig_and_ad)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert(m.flags & SDNS_F_AD);
	ck_assert(m.flags & SDNS_F_RD);
	ck_assert(m.flags & SDNS_F_RA);
	ck_assert(!(m.flags & SDNS_F_AA)); /* relayed, not ours */
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_RRSIG), 1);
	const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, 0);
	ck_assert_uint_eq(rr->rdata[0], 192);
	ck_assert_uint_eq(rr->rdata[3], 1);
	ck_assert(m.edns.present && m.edns.do_bit);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.verified, 1);
	ck_assert_uint_eq(st.upstream, 1);
}
END_TEST

START_TEST(test_without_do_no_dnssec_records_and_cache_hit)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_A, false, &a, &m);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_RRSIG), 0);
	ck_assert(!(m.flags & SDNS_F_AD));
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 1);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	/* the synchronous cache-only path gives the same */
	uint8_t q[512], r[4096];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 77, true), rl = 0;
	ck_assert_int_eq(sdns_mesh_answer_cached(g_mesh, q, ql, r, sizeof r, &rl),
	                 SDNS_OK);
	ck_assert_int_eq(sdns_msg_parse(r, rl, &m), SDNS_OK);
	ck_assert_uint_eq(m.id, 77);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_RRSIG), 1);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_negative_answer_validated_and_cached)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_NSEC), 1);
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_TXT, false, &a, &m);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_NSEC), 0);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 1);
}
END_TEST

START_TEST(test_forged_signature_gives_servfail_ede_bogus)
{
	g_f.key = g_other_key;     /* the peer signs with a key not bound */
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	ck_assert(m.edns.has_ede);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_DNSSEC_BOGUS);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.bogus, 1);
	ck_assert_uint_eq(st.servfail, 1);
	/* nothing bogus was cached: asked again */
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 2);
}
END_TEST

START_TEST(test_owner_down_cached_until_ttl_then_servfail_ede_unreachable)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	server_stop();
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 1);
	sdns_msg_free(&m);
	atomic_store(&g_clock_off, 61ull * 1000000000u); /* TTL 60 is over */
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert(m.edns.has_ede);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_identical_misses_coalesce_into_one_query)
{
	g_f.gate_closed = true;
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	answer a1, a2;
	answer_init(&a1);
	answer_init(&a2);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a1), 0);
	wait_queries(1);
	ql = make_q(q, sizeof q, "WWW.Server.test.mesh.", SDNS_T_A, 2, false);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a2), 0);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.coalesced, 1);
	pthread_mutex_lock(&g_f.mu);
	g_f.gate_closed = false;
	pthread_cond_broadcast(&g_f.cv);
	pthread_mutex_unlock(&g_f.mu);
	answer_wait(&a1);
	answer_wait(&a2);
	ck_assert_int_eq(g_f.queries, 1);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(a2.resp, a2.len, &m), SDNS_OK);
	ck_assert_uint_eq(m.id, 2);
	ck_assert_int_eq(memcmp(m.qname.data + 1, "WWW", 3), 0);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_RRSIG), 0);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_notify_from_owner_drops_cache)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, NULL, 0), SDNS_OK);
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 2);
}
END_TEST

START_TEST(test_notify_from_non_owner_refused_cache_kept)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	sdns_name apex = nm(APEX), other = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "node2", &apex, NULL, 0),
	                 SDNS_EDENIED);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &other, NULL, 0),
	                 SDNS_EDENIED);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, NULL, &apex, NULL, 0), SDNS_EDENIED);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "Bad Name", &apex, NULL, 0),
	                 SDNS_EDENIED);
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 1);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.notify_refused, 4);
}
END_TEST

START_TEST(test_notify_out_reaches_peer_with_our_identity)
{
	sdns_name apex = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &apex, NULL, 0), SDNS_OK);
	pthread_mutex_lock(&g_f.mu);
	while (g_f.notifies < 1) pthread_cond_wait(&g_f.cv, &g_f.mu);
	pthread_mutex_unlock(&g_f.mu);
	ck_assert_str_eq(g_f.notify_from, "node2");
	ck_assert(sdns_name_eq_ci(&g_f.notify_apex, &apex));
}
END_TEST

START_TEST(test_notify_reply_bytes)
{
	sdns_name apex = nm(APEX);
	uint8_t q[300], r[300];
	size_t ql = 0, rl = 0;
	sdns_bld b;
	ck_assert_int_eq(sdns_bld_init(&b, q, sizeof q, 0x4242,
	                               SDNS_F_AA | (SDNS_OP_NOTIFY << 11)), 0);
	ck_assert_int_eq(sdns_bld_question(&b, &apex, SDNS_T_SOA, 1), 0);
	ck_assert_int_eq(sdns_bld_finish(&b, &ql), 0);
	ck_assert_int_eq(sdns_mesh_notify_reply(q, ql, SDNS_EDENIED, r, sizeof r,
	                                        &rl), SDNS_OK);
	ck_assert_uint_eq(rl, ql);
	ck_assert_uint_eq(r[0], 0x42);
	ck_assert_uint_eq(r[1], 0x42);
	ck_assert_uint_eq(r[2], 0x80 | (SDNS_OP_NOTIFY << 3) | 0x04); /* QR AA */
	ck_assert_uint_eq(r[3], SDNS_RC_REFUSED);
	ck_assert_int_eq(memcmp(r + 12, q + 12, ql - 12), 0);
	ck_assert_int_eq(sdns_mesh_notify_reply(q, ql, SDNS_OK, r, sizeof r, &rl),
	                 SDNS_OK);
	ck_assert_uint_eq(r[3], SDNS_RC_NOERROR);
	ck_assert_int_eq(sdns_mesh_notify_reply(q, 5, SDNS_OK, r, sizeof r, &rl),
	                 SDNS_EMALF);
}
END_TEST

START_TEST(test_peer_set_replacement_keeps_and_drops)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	sdns_mesh_peer p[3] = { owner_peer(&g_owner_key),
	                        owner_peer(&g_owner_key),
	                        owner_peer(&g_owner_key) };
	snprintf(p[1].name, sizeof p[1].name, "node2");  /* self: skipped */
	snprintf(p[2].name, sizeof p[2].name, "Bad");    /* bad name: skipped */
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, p, 3), SDNS_OK);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	sdns_msg_free(&m);
	sdns_doq_stats ds;
	sdns_doq_server_stats(g_srv, &ds);
	ck_assert_uint_eq(ds.handshakes_ok, 1);  /* the connection was kept */
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.peers, 1);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, NULL, 0), SDNS_OK);
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a),
	                 SDNS_ENOTFOUND);
	sdns_name www = nm(WWW);
	ck_assert(!sdns_mesh_is_mesh_name(g_mesh, &www));
}
END_TEST

START_TEST(test_peer_key_change_drops_what_the_old_key_verified)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	sdns_mesh_peer p = owner_peer(&g_other_key);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_DNSSEC_BOGUS);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 2);
}
END_TEST

START_TEST(test_non_mesh_and_bad_queries_not_taken)
{
	uint8_t q[512];
	answer a;
	answer_init(&a);
	size_t ql = make_q(q, sizeof q, "www.example.com.", SDNS_T_A, 1, true);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a),
	                 SDNS_ENOTFOUND);
	ql = make_q(q, sizeof q, "www.node2.test.mesh.", SDNS_T_A, 1, true);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a),
	                 SDNS_ENOTFOUND);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, 5, on_answer, &a),
	                 SDNS_EMALF);
	ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	q[2] |= 0x80; /* a response, not a query */
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a),
	                 SDNS_EMALF);
	ck_assert_int_eq(a.calls, 0);
	uint8_t r[512];
	size_t rl;
	ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	ck_assert_int_eq(sdns_mesh_answer_cached(g_mesh, q, ql, r, sizeof r, &rl),
	                 SDNS_ENOTFOUND);
}
END_TEST

START_TEST(test_unreachable_peer_servfail_then_skipped_in_backoff)
{
	server_stop();
	sdns_mesh_peer p = owner_peer(&g_owner_key); /* port 1: nobody */
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	sdns_msg_free(&m);
}
END_TEST

START_TEST(test_peer_with_wrong_identity_is_not_trusted)
{
	/* "other" listed at the endpoint of "server": the handshake must fail
	 * on the URI SAN, so other.test.mesh names get nothing. */
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	snprintf(p.name, sizeof p.name, "other");
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
	answer a;
	sdns_msg m;
	resolve("www.other.test.mesh.", SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	sdns_msg_free(&m);
	ck_assert_int_eq(g_f.queries, 0);
}
END_TEST

START_TEST(test_answer_padded_only_when_query_padded)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert(!m.edns.has_padding);
	sdns_msg_free(&m);
	sdns_name n = nm(WWW);
	sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = true };
	uint8_t q[512];
	size_t ql = 0;
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof q, &ql, 9, &n, SDNS_T_A,
	                                     false, &e, 128), SDNS_OK);
	answer_init(&a);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a), 0);
	answer_wait(&a);
	ck_assert_uint_eq(a.len % SDNS_DOQ_PAD_BLOCK, 0);
	ck_assert_int_eq(sdns_msg_parse(a.resp, a.len, &m), SDNS_OK);
	ck_assert(m.edns.has_padding);
	ck_assert(!(m.flags & SDNS_F_RD));
	sdns_msg_free(&m);
}
END_TEST

static void remake_mesh(uint32_t timeout_ms, uint32_t backoff_ms)
{
	sdns_mesh_free(g_mesh);
	sdns_mesh_conf c = {
		.mesh = SDNS_TESTPKI_MESH, .self = "node2", .ca_path = g_ca,
		.cert_path = g_ncert, .key_path = g_nkey, .timeout_ms = timeout_ms,
		.backoff_min_ms = backoff_ms, .backoff_max_ms = backoff_ms,
	};
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
}

START_TEST(test_stalled_peer_detected_then_skipped)
{
	/* The owner takes queries and never answers: the resolution fails
	 * at its deadline, the peer is marked down, and the next one is
	 * answered without asking it. */
	remake_mesh(300, 60000);
	g_f.gate_closed = true;
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	for (int i = 0; i < 2000; i++) { /* until the peer thread notices */
		sdns_mesh_stats_get(g_mesh, &st);
		if (!st.peers_up) break;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(st.peers_up, 0);
	uint64_t sent = st.upstream;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_NO_REACHABLE_AUTHORITY);
	sdns_msg_free(&m);
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.upstream, sent);
}
END_TEST

/* The mesh is node "relay" (with node2's certificate as its client
 * identity) and has two peers: the owner "server" and "node2", which holds
 * a copy of the owner's data (as a peer's verified cache would). */
static sdns_doq_server *two_peers(void)
{
	sdns_doq_server *second = start_fake(g_ncert, g_nkey, &g_owner_key);
	sdns_mesh_free(g_mesh);
	sdns_mesh_conf c = {
		.mesh = SDNS_TESTPKI_MESH, .self = "relay", .ca_path = g_ca,
		.cert_path = g_ncert, .key_path = g_nkey, .timeout_ms = 3000,
		.backoff_min_ms = 50, .backoff_max_ms = 200,
	};
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p[2] = { owner_peer(&g_owner_key),
	                        owner_peer(&g_owner_key) };
	snprintf(p[1].name, sizeof p[1].name, "node2");
	snprintf(p[1].endpoint, sizeof p[1].endpoint, "127.0.0.1:%u",
	         sdns_doq_server_port(second));
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, p, 2), SDNS_OK);
	return second;
}

START_TEST(test_other_peer_answer_verified_against_owner_key_wins)
{
	g_f.key = g_other_key; /* the owner's answers are now forged */
	sdns_doq_server *second = two_peers();
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_A), 1);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.upstream, 2);   /* asked in parallel */
	ck_assert_uint_ge(st.verified, 1);
	sdns_mesh_free(g_mesh);
	g_mesh = NULL;
	sdns_doq_server_free(second);
}
END_TEST

START_TEST(test_owner_down_other_peer_still_answers)
{
	sdns_doq_server *second = two_peers();
	server_stop();
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	sdns_msg_free(&m);
	sdns_mesh_free(g_mesh);
	g_mesh = NULL;
	sdns_doq_server_free(second);
}
END_TEST

START_TEST(test_new_rejects_missing_conf)
{
	sdns_mesh_conf c = { .mesh = "test.mesh", .self = "a" };
	sdns_mesh *m = (sdns_mesh *)1;
	char err[128] = "";
	ck_assert_int_eq(sdns_mesh_new(&c, &m, err, sizeof err), SDNS_EINVAL);
	ck_assert_ptr_null(m);
	ck_assert(strstr(err, "required"));
	c.ca_path = c.cert_path = c.key_path = "x";
	c.self = "Bad Name";
	ck_assert_int_eq(sdns_mesh_new(&c, &m, err, sizeof err), SDNS_EINVAL);
	sdns_mesh_free(NULL);
}
END_TEST

static Suite *mesh_suite(void)
{
	Suite *s = suite_create("mesh");
	TCase *tc = tcase_create("mesh");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_verified_answer_returned_with_rrsig_and_ad);
	tcase_add_test(tc, test_without_do_no_dnssec_records_and_cache_hit);
	tcase_add_test(tc, test_negative_answer_validated_and_cached);
	tcase_add_test(tc, test_forged_signature_gives_servfail_ede_bogus);
	tcase_add_test(tc,
	    test_owner_down_cached_until_ttl_then_servfail_ede_unreachable);
	tcase_add_test(tc, test_identical_misses_coalesce_into_one_query);
	tcase_add_test(tc, test_notify_from_owner_drops_cache);
	tcase_add_test(tc, test_notify_from_non_owner_refused_cache_kept);
	tcase_add_test(tc, test_notify_out_reaches_peer_with_our_identity);
	tcase_add_test(tc, test_notify_reply_bytes);
	tcase_add_test(tc, test_peer_set_replacement_keeps_and_drops);
	tcase_add_test(tc, test_peer_key_change_drops_what_the_old_key_verified);
	tcase_add_test(tc, test_non_mesh_and_bad_queries_not_taken);
	tcase_add_test(tc, test_unreachable_peer_servfail_then_skipped_in_backoff);
	tcase_add_test(tc, test_peer_with_wrong_identity_is_not_trusted);
	tcase_add_test(tc, test_answer_padded_only_when_query_padded);
	tcase_add_test(tc, test_stalled_peer_detected_then_skipped);
	tcase_add_test(tc, test_other_peer_answer_verified_against_owner_key_wins);
	tcase_add_test(tc, test_owner_down_other_peer_still_answers);
	tcase_add_test(tc, test_new_rejects_missing_conf);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(mesh_suite)
