/* Tests for src/mesh: real DoQ servers in-process (tests/lib/meshfake.c)
 * play the owner peer "server" of zone server.test.mesh and, where a test
 * needs one, a second peer holding a copy of the owner's data; certificates
 * from tests/lib/testpki, answers signed by the DNSSEC code. The mesh under
 * test is node "node2" (or "relay") asking them over DoQ with mutual TLS. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "sdns/dnssec.h"
#include "sdns/doq.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/mesh.h"
#include "sdns/msg.h"
#include "meshfake.h"
#include "testlib.h"
#include "testpki.h"

#define APEX MESHFAKE_APEX
#define WWW MESHFAKE_WWW

static char g_dir[256];
static char g_ca[300], g_cert[300], g_key[300], g_ncert[300], g_nkey[300];

static meshfake *g_own;   /* the owner "server" */
static sdns_mesh *g_mesh;
static sdns_dnssec_key g_owner_key, g_other_key;
static atomic_ullong g_clock_off;
/* Set: the next time a peer thread reads the cache clock (as it stores an
 * answer), a NOTIFY from the owner comes in right then. */
static atomic_bool g_notify_in_clock;
static pthread_t g_test_thread;

static sdns_name nm(const char *s)
{
	sdns_name n;
	ck_assert_int_eq(sdns_name_from_str(&n, s, strlen(s), NULL), SDNS_OK);
	return n;
}

static uint64_t test_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!pthread_equal(pthread_self(), g_test_thread) &&
	    atomic_exchange(&g_notify_in_clock, false)) {
		sdns_name apex = nm(APEX);
		sdns_mesh_notify_in(g_mesh, "server", &apex, NULL, 0);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
	       atomic_load(&g_clock_off);
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

static void server_stop(void)
{
	meshfake_stop(g_own);
	g_own = NULL;
}

static sdns_mesh_peer owner_peer(const sdns_dnssec_key *k)
{
	sdns_mesh_peer p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "server");
	snprintf(p.endpoint, sizeof p.endpoint, "127.0.0.1:%u",
	         g_own ? meshfake_port(g_own) : 1u);
	memcpy(p.zone_key, k->pub, 32);
	return p;
}

static sdns_mesh_conf base_conf(void)
{
	return (sdns_mesh_conf){
		.mesh = SDNS_TESTPKI_MESH, .self = "node2", .ca_path = g_ca,
		.cert_path = g_ncert, .key_path = g_nkey, .timeout_ms = 3000,
		.backoff_min_ms = 50, .backoff_max_ms = 200,
		.clock_ns = test_clock, .pad_block = SDNS_DOQ_PAD_BLOCK,
	};
}

/* g_mesh from c, with the owner at its endpoint as the only peer. */
static void make_mesh(const sdns_mesh_conf *c)
{
	sdns_mesh_free(g_mesh);
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
}

static void each_setup(void)
{
	sdns_log_setup(NULL, SDNS_LOG_ERROR);
	g_test_thread = pthread_self();
	atomic_store(&g_clock_off, 0);
	atomic_store(&g_notify_in_clock, false);
	g_own = meshfake_start("127.0.0.1:0", g_cert, g_key, g_ca, &g_owner_key);
	g_mesh = NULL;
	sdns_mesh_conf c = base_conf();
	make_mesh(&c);
}

static void each_teardown(void)
{
	if (g_own) meshfake_gate(g_own, false);
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

/* Polls the mesh's counters until ok(st) holds (a safeguard of 15 s). */
static void stats_until(bool (*ok)(const sdns_mesh_stats *))
{
	sdns_mesh_stats st;
	for (int i = 0; i < 1500; i++) {
		sdns_mesh_stats_get(g_mesh, &st);
		if (ok(&st)) return;
		usleep(10 * 1000);
	}
	ck_abort_msg("mesh counters never reached the expected state");
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
	ck_assert_int_eq(meshfake_queries(g_own), 1);
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
	ck_assert_int_eq(meshfake_queries(g_own), 1);
}
END_TEST

START_TEST(test_forged_signature_gives_servfail_ede_bogus)
{
	meshfake_set_key(g_own, &g_other_key); /* signs with a key not bound */
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
	ck_assert_int_eq(meshfake_queries(g_own), 2);
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
	meshfake_gate(g_own, true);
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	answer a1, a2;
	answer_init(&a1);
	answer_init(&a2);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a1), 0);
	meshfake_wait_queries(g_own, 1);
	ql = make_q(q, sizeof q, "WWW.Server.test.mesh.", SDNS_T_A, 2, false);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a2), 0);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.coalesced, 1);
	meshfake_gate(g_own, false);
	answer_wait(&a1);
	answer_wait(&a2);
	ck_assert_int_eq(meshfake_queries(g_own), 1);
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
	ck_assert_int_eq(meshfake_queries(g_own), 2);
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
	ck_assert_int_eq(meshfake_queries(g_own), 1);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.notify_refused, 4);
}
END_TEST

START_TEST(test_notify_out_reaches_peer_with_our_identity)
{
	sdns_name apex = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &apex, NULL, 0), SDNS_OK);
	meshfake_wait_notifies(g_own, 1);
	ck_assert_str_eq(g_own->notify_from, "node2");
	ck_assert(sdns_name_eq_ci(&g_own->notify_apex, &apex));
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
	sdns_doq_server_stats(g_own->srv, &ds);
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
	ck_assert_int_eq(meshfake_queries(g_own), 2);
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
	ck_assert_int_eq(meshfake_queries(g_own), 0);
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
	sdns_mesh_conf c = base_conf();
	c.timeout_ms = timeout_ms;
	c.backoff_min_ms = c.backoff_max_ms = backoff_ms;
	c.clock_ns = NULL;
	make_mesh(&c);
}

START_TEST(test_stalled_peer_detected_then_skipped)
{
	/* The owner takes queries and never answers: the resolution fails
	 * at its deadline, the peer is marked down, and the next one is
	 * answered without asking it. */
	remake_mesh(300, 60000);
	meshfake_gate(g_own, true);
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
static meshfake *two_peers(void)
{
	meshfake *second = meshfake_start("127.0.0.1:0", g_ncert, g_nkey, g_ca,
	                                  &g_owner_key);
	sdns_mesh_free(g_mesh);
	sdns_mesh_conf c = base_conf();
	c.self = "relay";
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p[2] = { owner_peer(&g_owner_key),
	                        owner_peer(&g_owner_key) };
	snprintf(p[1].name, sizeof p[1].name, "node2");
	snprintf(p[1].endpoint, sizeof p[1].endpoint, "127.0.0.1:%u",
	         meshfake_port(second));
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, p, 2), SDNS_OK);
	return second;
}

static void two_peers_end(meshfake *second)
{
	meshfake_gate(second, false);
	if (g_own) meshfake_gate(g_own, false);
	sdns_mesh_free(g_mesh);
	g_mesh = NULL;
	meshfake_stop(second);
}

static uint8_t a_last_of(const sdns_msg *m)
{
	for (uint16_t i = 0; i < m->count[SDNS_SEC_AN]; i++) {
		const sdns_rr *rr = sdns_msg_rr(m, SDNS_SEC_AN, i);
		if (rr->type == SDNS_T_A && rr->rdlen == 4) return rr->rdata[3];
	}
	return 0;
}

START_TEST(test_other_peer_answer_verified_against_owner_key_wins)
{
	meshfake_set_key(g_own, &g_other_key); /* the owner's answers: forged */
	meshfake *second = two_peers();
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
	two_peers_end(second);
}
END_TEST

static bool two_answers_in(const sdns_mesh_stats *st)
{
	return st->verified >= 2;
}

/* Cause 2 of the missed changes: another peer answers from its own cache,
 * which may hold what the owner's last NOTIFY (not yet there) replaced. */
START_TEST(test_other_peer_copy_not_cached_while_owner_up)
{
	meshfake *second = two_peers();
	meshfake_set(second, 1, 99);      /* its copy: the old value */
	meshfake_gate(g_own, true);       /* the owner is up, but slower */
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(a_last_of(&m), 99); /* verifies: it is answered */
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_A, true, &a, &m); /* ... but was not cached */
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 0);
	ck_assert_uint_eq(st.copies_uncached, 2);
	meshfake_gate(g_own, false);      /* the owner's answer is cached */
	meshfake_wait_queries(g_own, 2);
	for (int i = 0; i < 500 && st.cache_hits == 0; i++) {
		usleep(10 * 1000);
		resolve(WWW, SDNS_T_A, true, &a, &m);
		uint8_t v = a_last_of(&m);
		sdns_msg_free(&m);
		sdns_mesh_stats_get(g_mesh, &st);
		if (st.cache_hits) ck_assert_uint_eq(v, 1);
	}
	ck_assert_uint_ge(st.cache_hits, 1);
	two_peers_end(second);
}
END_TEST

/* Cause 3: every verified answer of a fan-out was stored, so a copy that
 * came in after the owner's answer replaced it in the cache. */
START_TEST(test_late_copy_does_not_replace_owner_answer)
{
	meshfake *second = two_peers();
	meshfake_set(second, 1, 99);
	meshfake_gate(second, true);      /* its old copy comes in last */
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(a_last_of(&m), 1);
	sdns_msg_free(&m);
	meshfake_gate(second, false);
	stats_until(two_answers_in);
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(a_last_of(&m), 1);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.copies_uncached, 1);
	two_peers_end(second);
}
END_TEST

START_TEST(test_owner_down_other_peer_copy_answered_and_cached)
{
	meshfake *second = two_peers();
	server_stop();
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	sdns_msg_free(&m);
	/* Once the owner is known to be down (its connect failed: backoff),
	 * the other peer's copy is cached: later asks are cache hits. */
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	for (int i = 0; i < 200 && st.cache_hits == 0; i++) {
		usleep(50 * 1000);
		resolve(WWW, SDNS_T_TXT, true, &a, &m);
		ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
		sdns_msg_free(&m);
		sdns_mesh_stats_get(g_mesh, &st);
	}
	ck_assert_uint_ge(st.cache_hits, 1);
	two_peers_end(second);
}
END_TEST

/* --- freshness: epochs and serials --- */

/* Cause 1: the answer fetched before a change passed the epoch check, the
 * NOTIFY dropped the zone, and then the answer was stored: the old data
 * stayed for its whole TTL. Here the NOTIFY comes in exactly between. */
START_TEST(test_notify_while_answer_is_stored_wins)
{
	answer a;
	sdns_msg m;
	atomic_store(&g_notify_in_clock, true);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);   /* answered all the same */
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	sdns_msg_free(&m);
	ck_assert(!atomic_load(&g_notify_in_clock)); /* the NOTIFY came */
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2); /* not from the cache */
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.cache_hits, 0);
}
END_TEST

/* An answer in flight when a NOTIFY for its zone comes is answered but not
 * cached, and a miss after the NOTIFY asks again rather than join it. */
START_TEST(test_miss_after_notify_does_not_join_the_one_before)
{
	meshfake_gate(g_own, true);
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	answer a1, a2;
	answer_init(&a1);
	answer_init(&a2);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a1), 0);
	meshfake_wait_queries(g_own, 1);
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, NULL, 0),
	                 SDNS_OK);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a2), 0);
	meshfake_gate(g_own, false);
	answer_wait(&a1);   /* both counted before they were answered */
	answer_wait(&a2);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.coalesced, 0);
	ck_assert_uint_eq(st.upstream, 2);
	ck_assert_uint_eq(st.late, 1);
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);  /* the second one was cached */
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
}
END_TEST

/* The epoch was one for the whole mesh: a NOTIFY for any zone stopped the
 * answers of every other zone in flight from being cached. */
START_TEST(test_notify_for_other_zone_keeps_caching)
{
	meshfake_gate(g_own, true);
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_A, 1, true);
	answer a1;
	answer_init(&a1);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a1), 0);
	meshfake_wait_queries(g_own, 1);
	sdns_name other = nm("other.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "other", &other, NULL, 0),
	                 SDNS_OK);
	meshfake_gate(g_own, false);
	answer_wait(&a1);
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 1);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.late, 0);
}
END_TEST

/* A NOTIFY missed: the next signed serial seen (a negative answer's SOA)
 * is newer than the one the cached copies came with, so they go. */
START_TEST(test_newer_signed_serial_drops_older_copies)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);  /* serial 1 is known */
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_A, true, &a, &m);    /* 192.0.2.1, cached */
	sdns_msg_free(&m);
	meshfake_set(g_own, 2, 2);               /* a change, no NOTIFY */
	resolve(WWW, SDNS_T_MX, true, &a, &m);   /* carries serial 2 */
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_A, true, &a, &m);
	ck_assert_uint_eq(a_last_of(&m), 2);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 4);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.serial_drops, 1);
}
END_TEST

/* The owner's NOTIFY as sdnsd sends it: question apex SOA, the SOA with
 * serial and its RRSIG by key in the answer section. */
static size_t notify_msg(const sdns_dnssec_key *key, const char *zone,
                         uint32_t serial, uint8_t *out, size_t cap)
{
	size_t len = meshfake_soa_answer(key, zone, serial, out, cap);
	out[2] = (uint8_t)(SDNS_OP_NOTIFY << 3) | 0x04; /* QR clear, AA */
	return len;
}

static uint32_t soa_serial_of(const sdns_msg *m)
{
	for (uint16_t i = 0; i < m->count[SDNS_SEC_NS]; i++) {
		const sdns_rr *rr = sdns_msg_rr(m, SDNS_SEC_NS, i);
		if (rr->type != SDNS_T_SOA) continue;
		const uint8_t *p = rr->rdata + rr->rdlen - 20;
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	}
	return 0;
}

static bool copy_in(const sdns_mesh_stats *st)
{
	return st->verified + st->stale >= 1;
}

/* Another peer's negative copy older than the serial the owner's NOTIFY
 * announced is neither answered nor cached; the owner's answer is. */
START_TEST(test_copy_older_than_notified_serial_not_used)
{
	meshfake *second = two_peers();
	meshfake_set(second, 4, 1);
	meshfake_set(g_own, 5, 1);
	uint8_t n[1024];
	size_t nl = notify_msg(&g_owner_key, APEX, 5, n, sizeof n);
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	meshfake_gate(g_own, true);
	uint8_t q[512];
	size_t ql = make_q(q, sizeof q, WWW, SDNS_T_TXT, 3, true);
	answer a;
	answer_init(&a);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a), 0);
	stats_until(copy_in);
	pthread_mutex_lock(&a.mu);
	int calls = a.calls;
	pthread_mutex_unlock(&a.mu);
	ck_assert_int_eq(calls, 0);        /* the stale copy was not answered */
	meshfake_gate(g_own, false);
	answer_wait(&a);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(a.resp, a.len, &m), SDNS_OK);
	ck_assert_uint_eq(soa_serial_of(&m), 5);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.stale, 1);
	two_peers_end(second);
}
END_TEST

/* A NOTIFY's SOA counts only when the owner's key signed it: a forged
 * serial 9 does not make the real serial-1 answers look stale (the NOTIFY
 * itself, from the owner's TLS identity, still drops the copies). */
START_TEST(test_notify_serial_not_signed_by_owner_is_ignored)
{
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	sdns_msg_free(&m);
	uint8_t n[1024];
	size_t nl = notify_msg(&g_other_key, APEX, 9, n, sizeof n);
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);   /* dropped: asked again */
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);   /* serial 1: cached */
	ck_assert_uint_eq(soa_serial_of(&m), 1);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
}
END_TEST

/* The owner's zone was deleted and made again: its serial starts over.
 * Its own answer, asked after its last NOTIFY, is believed; the older
 * serial does not keep every later answer out of the cache. */
START_TEST(test_owner_serial_going_back_is_believed)
{
	uint8_t n[1024];
	sdns_name apex = nm(APEX);
	size_t nl = notify_msg(&g_owner_key, APEX, 500, n, sizeof n);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	answer a;
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, true, &a, &m);   /* serial 1: answered */
	ck_assert_uint_eq(soa_serial_of(&m), 1);
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);   /* now cached */
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_TXT, true, &a, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.serial_drops, 1);
}
END_TEST

START_TEST(test_notify_with_older_serial_counted_late)
{
	uint8_t n[1024];
	sdns_name apex = nm(APEX);
	size_t nl = notify_msg(&g_owner_key, APEX, 5, n, sizeof n);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	nl = notify_msg(&g_owner_key, APEX, 4, n, sizeof n);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.notify_in, 2);
	ck_assert_uint_eq(st.notify_late, 1);
}
END_TEST

/* --- NOTIFY out --- */

START_TEST(test_notify_carries_our_signed_soa)
{
	sdns_name self = nm("node2.test.mesh.");
	uint8_t soa[1024];
	size_t sl = meshfake_soa_answer(&g_other_key, "node2.test.mesh.", 7, soa,
	                                sizeof soa);
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &self, soa, sl), SDNS_OK);
	meshfake_wait_notifies(g_own, 1);
	sdns_msg m;
	ck_assert_int_eq(sdns_msg_parse(g_own->notify_wire, g_own->notify_len,
	                                &m), SDNS_OK);
	ck_assert_uint_eq(SDNS_OPCODE(m.flags), SDNS_OP_NOTIFY);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_SOA), 1);
	ck_assert_int_eq(count_type(&m, SDNS_SEC_AN, SDNS_T_RRSIG), 1);
	sdns_msg_free(&m);
	char why[128];
	ck_assert_int_eq(sdns_dnssec_validate_msg(&g_other_key, &self,
	                 g_own->notify_wire, g_own->notify_len,
	                 (uint32_t)time(NULL), why, sizeof why), SDNS_OK);
}
END_TEST

START_TEST(test_notify_for_zone_not_ours_not_sent)
{
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &apex, NULL, 0),
	                 SDNS_ENOTFOUND);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.notify_sent, 0);
}
END_TEST

static bool one_rejected(const sdns_mesh_stats *st)
{
	return st->notify_rejected >= 1;
}

START_TEST(test_notify_refused_by_peer_counted_not_retried)
{
	meshfake_set_notify_rcode(g_own, SDNS_RC_REFUSED);
	sdns_name self = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &self, NULL, 0), SDNS_OK);
	stats_until(one_rejected);
	usleep(200 * 1000);
	pthread_mutex_lock(&g_own->mu);
	int n = g_own->notifies;
	pthread_mutex_unlock(&g_own->mu);
	ck_assert_int_eq(n, 1);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.notify_acked, 0);
	ck_assert_uint_eq(st.notify_dropped, 0);
}
END_TEST

static bool one_acked(const sdns_mesh_stats *st)
{
	return st->notify_acked >= 1;
}

/* The peer is unreachable when our zone changes: the NOTIFY waits through
 * the backoff (counted as unsent) and goes out once the peer is back. It
 * used to be retried twice at once and then forgotten. */
START_TEST(test_notify_waits_for_unreachable_peer_then_is_sent)
{
	uint16_t port = meshfake_port(g_own);
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	server_stop();
	sdns_mesh_free(g_mesh);  /* a mesh that never reached the peer */
	sdns_mesh_conf c = base_conf();
	c.timeout_ms = 300;      /* connects fail in 300 ms */
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
	sdns_name self = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify(g_mesh, &self, NULL, 0), SDNS_OK);
	usleep(1000 * 1000); /* connects fail: backoff, more than once */
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)port);
	g_own = meshfake_start(listen, g_cert, g_key, g_ca, &g_owner_key);
	int n = 0;
	for (int i = 0; i < 1000 && n == 0; i++) {
		usleep(10 * 1000);
		pthread_mutex_lock(&g_own->mu);
		n = g_own->notifies;
		pthread_mutex_unlock(&g_own->mu);
	}
	ck_assert_int_eq(n, 1);
	stats_until(one_acked);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_ge(st.notify_unsent, 1);
	ck_assert_uint_eq(st.notify_dropped, 0);
	ck_assert_uint_eq(st.notify_sent, 1);
}
END_TEST

/* --- bounded peer queues --- */

/* A UDP socket that takes packets and never answers: a peer whose QUIC
 * handshake hangs until the connect timeout. */
static int blackhole(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

START_TEST(test_full_peer_queue_refuses_and_counts)
{
	uint16_t port;
	int fd = blackhole(&port);
	sdns_mesh_conf c = base_conf();
	c.timeout_ms = 1000;
	c.peer_queue = 2;
	sdns_mesh_free(g_mesh);
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p = owner_peer(&g_owner_key);
	snprintf(p.endpoint, sizeof p.endpoint, "127.0.0.1:%u", (unsigned)port);
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, &p, 1), SDNS_OK);
	/* The peer thread is in its connect: four misses, two queue. */
	const uint16_t types[] = { SDNS_T_A, SDNS_T_TXT, SDNS_T_MX, SDNS_T_NS };
	answer a[4];
	for (int i = 0; i < 4; i++) {
		uint8_t q[512];
		size_t ql = make_q(q, sizeof q, WWW, types[i], (uint16_t)i, true);
		answer_init(&a[i]);
		ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, &a[i]),
		                 SDNS_OK);
	}
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.queue_drops, 2);
	ck_assert_uint_eq(st.upstream, 2);
	for (int i = 0; i < 4; i++) answer_wait(&a[i]); /* SERVFAIL, all */
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.servfail, 4);
	close(fd);
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
	tcase_add_test(tc, test_other_peer_copy_not_cached_while_owner_up);
	tcase_add_test(tc, test_late_copy_does_not_replace_owner_answer);
	tcase_add_test(tc, test_owner_down_other_peer_copy_answered_and_cached);
	tcase_add_test(tc, test_notify_while_answer_is_stored_wins);
	tcase_add_test(tc, test_miss_after_notify_does_not_join_the_one_before);
	tcase_add_test(tc, test_notify_for_other_zone_keeps_caching);
	tcase_add_test(tc, test_newer_signed_serial_drops_older_copies);
	tcase_add_test(tc, test_copy_older_than_notified_serial_not_used);
	tcase_add_test(tc, test_notify_serial_not_signed_by_owner_is_ignored);
	tcase_add_test(tc, test_owner_serial_going_back_is_believed);
	tcase_add_test(tc, test_notify_with_older_serial_counted_late);
	tcase_add_test(tc, test_notify_carries_our_signed_soa);
	tcase_add_test(tc, test_notify_for_zone_not_ours_not_sent);
	tcase_add_test(tc, test_notify_refused_by_peer_counted_not_retried);
	tcase_add_test(tc, test_notify_waits_for_unreachable_peer_then_is_sent);
	tcase_add_test(tc, test_full_peer_queue_refuses_and_counts);
	tcase_add_test(tc, test_new_rejects_missing_conf);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(mesh_suite)
