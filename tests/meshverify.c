/* Tests for what src/mesh passes on and keeps of a peer's answer (the
 * verified copy, resolve.c + sdns_dnssec_verified_copy) and for the
 * high-water marks that refuse rollbacks (state.c). A lying peer is
 * played by tests/lib/meshfake.c over real DoQ with certificates made at
 * test time: it relays the owner's genuinely signed records with a wire
 * TTL of 2^31-1 and unsigned records in every section, or an old copy.
 * The mesh under test is node "relay" (node2's certificate as its client
 * identity) asking the owner "server" and the other peer "node2". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#define HUGE_TTL 0x7fffffffu

static char g_dir[256], g_state[300];
static char g_ca[300], g_cert[300], g_key[300], g_ncert[300], g_nkey[300];
static meshfake *g_own, *g_liar;
static sdns_mesh *g_mesh;
static sdns_dnssec_key g_owner_key, g_other_key;
static atomic_ullong g_clock_off;

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
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
	       atomic_load(&g_clock_off);
}

static void advance(unsigned seconds)
{
	atomic_fetch_add(&g_clock_off, (unsigned long long)seconds * 1000000000u);
}

/* --- fixtures --- */

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-meshverify", g_dir,
	                                   sizeof g_dir), 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
	snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
	snprintf(g_cert, sizeof g_cert, "%s/server.pem", g_dir);
	snprintf(g_key, sizeof g_key, "%s/server.key", g_dir);
	snprintf(g_ncert, sizeof g_ncert, "%s/node2.pem", g_dir);
	snprintf(g_nkey, sizeof g_nkey, "%s/node2.key", g_dir);
	snprintf(g_state, sizeof g_state, "%s/mesh-state", g_dir);
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

static sdns_mesh_peer peer(const char *name, const meshfake *f,
                           const sdns_dnssec_key *k)
{
	sdns_mesh_peer p;
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	snprintf(p.endpoint, sizeof p.endpoint, "127.0.0.1:%u",
	         f ? meshfake_port(f) : 1u);
	memcpy(p.zone_key, k->pub, 32);
	return p;
}

/* The relay with the owner "server" and the peer "node2" (zone node2's
 * key: g_other_key); state_path may be NULL. */
static void make_relay(const char *state_path, const sdns_dnssec_key *owner)
{
	sdns_mesh_free(g_mesh);
	sdns_mesh_conf c = {
		.mesh = SDNS_TESTPKI_MESH, .self = "relay", .ca_path = g_ca,
		.cert_path = g_ncert, .key_path = g_nkey, .timeout_ms = 3000,
		.backoff_min_ms = 50, .backoff_max_ms = 200,
		.clock_ns = test_clock, .pad_block = SDNS_DOQ_PAD_BLOCK,
		.state_path = state_path,
	};
	char err[256];
	ck_assert_int_eq(sdns_mesh_new(&c, &g_mesh, err, sizeof err), SDNS_OK);
	sdns_mesh_peer p[2] = { peer("server", g_own, owner),
	                        peer("node2", g_liar, &g_other_key) };
	ck_assert_int_eq(sdns_mesh_set_peers(g_mesh, p, 2), SDNS_OK);
}

static void each_setup(void)
{
	sdns_log_setup(NULL, SDNS_LOG_ERROR);
	atomic_store(&g_clock_off, 0);
	unlink(g_state);
	g_own = meshfake_start("127.0.0.1:0", g_cert, g_key, g_ca, &g_owner_key);
	/* node2 holds a copy of server's zone, signed by server's key. */
	g_liar = meshfake_start("127.0.0.1:0", g_ncert, g_nkey, g_ca,
	                        &g_owner_key);
	g_mesh = NULL;
	make_relay(NULL, &g_owner_key);
}

static void each_teardown(void)
{
	if (g_own) meshfake_gate(g_own, false);
	meshfake_gate(g_liar, false);
	sdns_mesh_free(g_mesh);
	g_mesh = NULL;
	meshfake_stop(g_own);
	meshfake_stop(g_liar);
	g_own = g_liar = NULL;
}

/* --- asking --- */

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int calls;
	uint8_t resp[4096];
	size_t len;
} answer;

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

static void start(const char *name, uint16_t qtype, answer *a)
{
	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	sdns_name n = nm(name);
	sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = true };
	uint8_t q[512];
	size_t ql = 0;
	ck_assert_int_eq(sdns_msg_make_query(q, sizeof q, &ql, 0x2222, &n, qtype,
	                                     true, &e, 0), SDNS_OK);
	ck_assert_int_eq(sdns_mesh_resolve(g_mesh, q, ql, on_answer, a),
	                 SDNS_OK);
}

static int calls_of(answer *a)
{
	pthread_mutex_lock(&a->mu);
	int n = a->calls;
	pthread_mutex_unlock(&a->mu);
	return n;
}

/* Waits for the callback (a safeguard of 20 s) and parses the answer. */
static void finish(answer *a, sdns_msg *out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&a->mu);
	while (!a->calls && pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&a->mu);
	ck_assert_int_eq(a->calls, 1);
	ck_assert_int_eq(sdns_msg_parse(a->resp, a->len, out), SDNS_OK);
}

static void resolve(const char *name, uint16_t qtype, sdns_msg *out)
{
	answer a;
	start(name, qtype, &a);
	finish(&a, out);
}

static int count_type(const sdns_msg *m, enum sdns_section s, uint16_t t)
{
	int n = 0;
	for (uint16_t i = 0; i < m->count[s]; i++)
		n += sdns_msg_rr(m, s, i)->type == t;
	return n;
}

static uint32_t max_ttl(const sdns_msg *m)
{
	uint32_t t = 0;
	size_t n = (size_t)m->count[0] + m->count[1] + m->count[2];
	for (size_t i = 0; i < n; i++)
		if (m->rrs[i].ttl > t) t = m->rrs[i].ttl;
	return t;
}

/* Nothing but the owner's signed www A and SOA (with their RRSIGs). */
static void assert_only_signed_a(const sdns_msg *m)
{
	ck_assert_uint_eq(SDNS_RCODE(m->flags), SDNS_RC_NOERROR);
	ck_assert(m->flags & SDNS_F_AD);
	ck_assert_uint_eq(m->count[SDNS_SEC_AN], 2);
	ck_assert_int_eq(count_type(m, SDNS_SEC_AN, SDNS_T_A), 1);
	ck_assert_int_eq(count_type(m, SDNS_SEC_AN, SDNS_T_RRSIG), 1);
	const sdns_rr *a = sdns_msg_rr(m, SDNS_SEC_AN, 0);
	sdns_name www = nm(WWW);
	ck_assert(sdns_name_eq_ci(&a->owner, &www));
	ck_assert_uint_eq(a->rdata[0], 192);
	ck_assert_uint_eq(m->count[SDNS_SEC_NS], 2);
	ck_assert_int_eq(count_type(m, SDNS_SEC_NS, SDNS_T_SOA), 1);
	ck_assert_int_eq(count_type(m, SDNS_SEC_NS, SDNS_T_RRSIG), 1);
	ck_assert_uint_eq(m->count[SDNS_SEC_AR], 0); /* OPT is not counted */
	ck_assert(m->edns.present);
}

static bool one_stale(const sdns_mesh_stats *st) { return st->stale >= 1; }

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

/* --- only what verified is passed on --- */

/* The case: another peer relays the owner's genuinely signed A
 * with a wire TTL of 2^31-1, plus unsigned A records in the answer,
 * authority and additional sections. The client gets the signed RRsets
 * alone, AD, TTLs no longer than the owner signed (A 60, SOA 300). */
START_TEST(test_lying_peer_gets_only_signed_rrsets_with_signed_ttls)
{
	meshfake_lie(g_liar, HUGE_TTL, true);
	meshfake_gate(g_own, true);             /* the liar answers first */
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	assert_only_signed_a(&m);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->ttl, 60);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 1)->ttl, 60);
	ck_assert_uint_le(max_ttl(&m), 300);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_liar), 1);
}
END_TEST

/* The owner's own connection gets the same treatment, and the cache keeps
 * the answer no longer than its signed TTL: 61 s on, it asks again. */
START_TEST(test_cached_copy_expires_at_the_signed_ttl)
{
	meshfake_lie(g_own, HUGE_TTL, true);
	meshfake_gate(g_liar, true);
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	assert_only_signed_a(&m);
	sdns_msg_free(&m);
	resolve(WWW, SDNS_T_A, &m);             /* from the cache */
	assert_only_signed_a(&m);
	ck_assert_uint_le(max_ttl(&m), 300);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 1);
	advance(61);
	resolve(WWW, SDNS_T_A, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
}
END_TEST

/* Signatures that expire in 30 s bound the TTL (here 3600 signed) and the
 * cache: 31 s on, the answer is asked for again. */
START_TEST(test_ttl_clamped_to_signature_expiry)
{
	meshfake_set_signing(g_own, 3600, 30, true);
	meshfake_gate(g_liar, true);
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_uint_le(max_ttl(&m), 30);
	ck_assert_uint_ge(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->ttl, 25);
	sdns_msg_free(&m);
	advance(20);
	resolve(WWW, SDNS_T_A, &m);             /* cached, aged */
	ck_assert_uint_le(max_ttl(&m), 10);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 1);
	advance(11);
	resolve(WWW, SDNS_T_A, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
}
END_TEST

/* A denial relayed with huge TTLs: the SOA and the NSEC keep their signed
 * TTLs (300, 60), the unsigned additions go, and a denial signed for 30 s
 * is not cached beyond them even though the SOA MINIMUM says 60. */
START_TEST(test_denial_ttls_clamped_and_cache_bounded_by_signature)
{
	meshfake_lie(g_own, HUGE_TTL, true);
	meshfake_gate(g_liar, true);
	sdns_msg m;
	resolve(WWW, SDNS_T_TXT, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert(m.flags & SDNS_F_AD);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	ck_assert_uint_eq(m.count[SDNS_SEC_NS], 4);  /* SOA, NSEC, 2 RRSIGs */
	ck_assert_uint_eq(m.count[SDNS_SEC_AR], 0);
	for (uint16_t i = 0; i < m.count[SDNS_SEC_NS]; i++) {
		const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_NS, i);
		uint16_t t = rr->type == SDNS_T_RRSIG
		             ? (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]) : rr->type;
		ck_assert_uint_le(rr->ttl, t == SDNS_T_SOA ? 300 : 60);
	}
	sdns_msg_free(&m);
	meshfake_lie(g_own, 0, false);
	meshfake_set_signing(g_own, 60, 30, true);
	advance(61);                                 /* a new denial, 30 s */
	resolve(WWW, SDNS_T_TXT, &m);
	ck_assert_uint_le(max_ttl(&m), 30);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 2);
	advance(31);
	resolve(WWW, SDNS_T_TXT, &m);
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_own), 3);
}
END_TEST

/* A signed RRset with one unsigned record slipped into it is not a
 * signed RRset: nothing of it is used (SERVFAIL, DNSSEC Bogus). */
START_TEST(test_record_added_to_signed_rrset_is_bogus)
{
	meshfake_lie_join(g_own, true);
	meshfake_gate(g_liar, true);
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert_uint_eq(m.edns.ede_code, SDNS_EDE_DNSSEC_BOGUS);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	sdns_msg_free(&m);
}
END_TEST

/* --- no rollback --- */

/* A copy that does not say which version of the zone it is (no signed
 * SOA) could be anything signed within the validity: not used; the
 * owner's answer is. */
START_TEST(test_copy_without_signed_soa_not_used)
{
	meshfake_set_signing(g_liar, 60, 86400, false);
	meshfake_set(g_liar, 1, 99);
	meshfake_gate(g_own, true);
	answer a;
	start(WWW, SDNS_T_A, &a);
	stats_until(one_stale);
	ck_assert_int_eq(calls_of(&a), 0);
	meshfake_gate(g_own, false);
	sdns_msg m;
	finish(&a, &m);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 1);
	sdns_msg_free(&m);
}
END_TEST

/* An old positive copy (serial 4, the old address) after the owner
 * announced serial 5: not used; the owner's answer is. */
START_TEST(test_older_positive_copy_not_used)
{
	meshfake_set(g_liar, 4, 99);
	meshfake_set(g_own, 5, 1);
	uint8_t n[1024];
	size_t nl = meshfake_soa_answer(&g_owner_key, APEX, 5, n, sizeof n);
	n[2] = (uint8_t)(SDNS_OP_NOTIFY << 3) | 0x04;
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	meshfake_gate(g_own, true);
	answer a;
	start(WWW, SDNS_T_A, &a);
	stats_until(one_stale);
	ck_assert_int_eq(calls_of(&a), 0);
	meshfake_gate(g_own, false);
	sdns_msg m;
	finish(&a, &m);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 1);
	sdns_msg_free(&m);
}
END_TEST

/* Only the old copy is there (the owner down): SERVFAIL with EDE saying
 * why, rather than the rolled back data. */
START_TEST(test_only_older_copy_gives_servfail)
{
	meshfake_set(g_liar, 4, 99);
	uint8_t n[1024];
	size_t nl = meshfake_soa_answer(&g_owner_key, APEX, 5, n, sizeof n);
	n[2] = (uint8_t)(SDNS_OP_NOTIFY << 3) | 0x04;
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	meshfake_stop(g_own);
	g_own = NULL;
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_SERVFAIL);
	ck_assert(m.edns.has_ede);
	ck_assert_uint_eq(m.count[SDNS_SEC_AN], 0);
	sdns_msg_free(&m);
}
END_TEST

static bool saved(const sdns_mesh_stats *st) { return st->state_saves >= 1; }

/* The newest serial seen survives a restart: after it, the old copy is
 * still refused. A new owner key starts the mark over. */
START_TEST(test_high_water_mark_survives_restart)
{
	make_relay(g_state, &g_owner_key);
	uint8_t n[1024];
	size_t nl = meshfake_soa_answer(&g_owner_key, APEX, 5, n, sizeof n);
	n[2] = (uint8_t)(SDNS_OP_NOTIFY << 3) | 0x04;
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	stats_until(saved);
	FILE *f = fopen(g_state, "r");
	ck_assert_ptr_nonnull(f);
	char text[512] = "";
	size_t tl = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[tl] = '\0';
	ck_assert(strstr(text, "sdns-mesh-state 1\n") == text);
	ck_assert(strstr(text, "server.test.mesh. "));
	ck_assert(strstr(text, " 5\n"));
	make_relay(g_state, &g_owner_key);      /* the restart */
	meshfake_set(g_liar, 4, 99);
	meshfake_gate(g_own, true);
	answer a;
	start(WWW, SDNS_T_A, &a);
	stats_until(one_stale);
	ck_assert_int_eq(calls_of(&a), 0);
	meshfake_gate(g_own, false);
	sdns_msg m;
	finish(&a, &m);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 1);
	sdns_msg_free(&m);
	/* Re-enrolled with another key: the old mark does not apply. */
	meshfake_set_key(g_liar, &g_other_key);
	make_relay(g_state, &g_other_key);
	meshfake_gate(g_own, true);
	resolve(WWW, SDNS_T_A, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 99);
	sdns_msg_free(&m);
}
END_TEST

/* A state file that does not parse is not half read: the node starts
 * with no marks, as a new node would (and logs it). */
START_TEST(test_broken_state_file_starts_empty)
{
	char text[512], hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", g_owner_key.pub[i]);
	snprintf(text, sizeof text, "sdns-mesh-state 1\nserver.test.mesh. %s 9\n"
	         "x.test.mesh. zz 9\n", hex);
	ck_assert_int_eq(sdns_test_write_file(g_state, text), 0);
	make_relay(g_state, &g_owner_key);
	meshfake_set(g_liar, 1, 99);
	meshfake_gate(g_own, true);
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 99);
	sdns_msg_free(&m);
}
END_TEST

static bool save_failed(const sdns_mesh_stats *st)
{
	return st->state_errors >= 1;
}

/* A state file that cannot be written is counted (and logged once); the
 * marks in memory still refuse the old copy. */
START_TEST(test_unwritable_state_file_counted_marks_still_hold)
{
	char bad[400];
	snprintf(bad, sizeof bad, "%s/no-such-dir/mesh-state", g_dir);
	make_relay(bad, &g_owner_key);
	uint8_t n[1024];
	size_t nl = meshfake_soa_answer(&g_owner_key, APEX, 5, n, sizeof n);
	n[2] = (uint8_t)(SDNS_OP_NOTIFY << 3) | 0x04;
	sdns_name apex = nm(APEX);
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "server", &apex, n, nl),
	                 SDNS_OK);
	stats_until(save_failed);
	meshfake_set(g_liar, 4, 99);
	meshfake_gate(g_own, true);
	answer a;
	start(WWW, SDNS_T_A, &a);
	stats_until(one_stale);
	ck_assert_int_eq(calls_of(&a), 0);
	meshfake_gate(g_own, false);
	sdns_msg m;
	finish(&a, &m);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.state_saves, 0);
}
END_TEST

/* --- a NOTIFY invalidates its zone only --- */

START_TEST(test_notify_for_one_zone_keeps_another_zones_cache)
{
	/* node2 serves its own zone now, signed with its key. */
	meshfake_stop(g_liar);
	g_liar = meshfake_start_zone("127.0.0.1:0", g_ncert, g_nkey, g_ca,
	                             &g_other_key, "node2.test.mesh.");
	make_relay(NULL, &g_owner_key);
	sdns_msg m;
	resolve(WWW, SDNS_T_A, &m);
	sdns_msg_free(&m);
	resolve("www.node2.test.mesh.", SDNS_T_A, &m);
	ck_assert_uint_eq(SDNS_RCODE(m.flags), SDNS_RC_NOERROR);
	sdns_msg_free(&m);
	int other = meshfake_queries(g_liar);
	sdns_name zone2 = nm("node2.test.mesh.");
	ck_assert_int_eq(sdns_mesh_notify_in(g_mesh, "node2", &zone2, NULL, 0),
	                 SDNS_OK);
	resolve(WWW, SDNS_T_A, &m);                   /* still cached */
	ck_assert_uint_eq(sdns_msg_rr(&m, SDNS_SEC_AN, 0)->rdata[3], 1);
	sdns_msg_free(&m);
	sdns_mesh_stats st;
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	resolve("www.node2.test.mesh.", SDNS_T_A, &m); /* asked again */
	sdns_msg_free(&m);
	ck_assert_int_eq(meshfake_queries(g_liar), other + 1);
	sdns_mesh_stats_get(g_mesh, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
}
END_TEST

static Suite *meshverify_suite(void)
{
	Suite *s = suite_create("meshverify");
	TCase *tc = tcase_create("meshverify");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_lying_peer_gets_only_signed_rrsets_with_signed_ttls);
	tcase_add_test(tc, test_cached_copy_expires_at_the_signed_ttl);
	tcase_add_test(tc, test_ttl_clamped_to_signature_expiry);
	tcase_add_test(tc, test_denial_ttls_clamped_and_cache_bounded_by_signature);
	tcase_add_test(tc, test_record_added_to_signed_rrset_is_bogus);
	tcase_add_test(tc, test_copy_without_signed_soa_not_used);
	tcase_add_test(tc, test_older_positive_copy_not_used);
	tcase_add_test(tc, test_only_older_copy_gives_servfail);
	tcase_add_test(tc, test_high_water_mark_survives_restart);
	tcase_add_test(tc, test_broken_state_file_starts_empty);
	tcase_add_test(tc, test_unwritable_state_file_counted_marks_still_hold);
	tcase_add_test(tc, test_notify_for_one_zone_keeps_another_zones_cache);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(meshverify_suite)
