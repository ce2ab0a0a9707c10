/* The audit chain against an insider who can write its table: the API
 * (sdns_api_start in this process) over a private PostgreSQL, driven by
 * the real sdnsctl binary. Verification believes only the node's audit key
 * (and keys it was given), never the signer_pub of a row; a checkpoint of
 * the head saved to a file shows a chain that was cut, or cut and grown
 * again. Each test starts from an empty chain. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdns/api.h"
#include "sdns/audithead.h"
#include "sdns/error.h"
#include "sdns/store.h"
#include "testctl.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

static void setup(void)
{
	sdns_testctl_setup("sdns-auditchain");
}

static void teardown(void)
{
	sdns_testctl_teardown();
}


/* SQL as the tables' owner role: an insider. */
static void sql(const char *q)
{
	PGconn *db = PQconnectdb(sdns_ctl.ownerci);
	ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
	PGresult *res = PQexec(db, q);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK ||
	              PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", q,
	              PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
}

static long long sql_int(const char *q)
{
	PGconn *db = PQconnectdb(sdns_ctl.ownerci);
	PGresult *res = PQexec(db, q);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	long long v = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(db);
	return v;
}

/* Every test starts with an empty chain. */
static void empty_chain(void)
{
	sql("ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit;"
	    "ALTER TABLE audit ENABLE TRIGGER USER;");
}

static void delete_from(long long id)
{
	char q[300];
	snprintf(q, sizeof q, "ALTER TABLE audit DISABLE TRIGGER USER; DELETE "
	         "FROM audit WHERE id >= %lld; ALTER TABLE audit ENABLE TRIGGER "
	         "USER;", id);
	sql(q);
}

static void make_zones(const char *prefix, int n)
{
	for (int i = 0; i < n; i++) {
		char z[64];
		snprintf(z, sizeof z, "%s%d.mesh", prefix, i);
		ck_assert_int_eq(CTL("zone", "create", z), 0);
	}
}

/* The attack of issue 12: edit entry `from`, then hash and sign it and
 * every later entry again with a key of the attacker's own, rows and
 * signer_pub included, so that every row is self-consistent. */
static void resign_from(long long from, const sdns_audit_key *k)
{
	PGconn *db = PQconnectdb(sdns_ctl.ownerci);
	ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
	char a[24];
	snprintf(a, sizeof a, "%lld", from);
	const char *p1[1] = { a };
	PGresult *r = PQexecParams(db, "SELECT encode(hash, 'hex') FROM audit "
	                           "WHERE id = $1 - 1", 1, NULL, p1, NULL, NULL, 0);
	uint8_t prev[32] = { 0 };
	if (PQntuples(r) == 1)
		ck_assert_int_eq(sdns_audit_unhex(PQgetvalue(r, 0, 0), prev, 32), 0);
	PQclear(r);
	r = PQexecParams(db, "SELECT id, ts, actor, actor_fp, action, object, "
	                 "before::text, after::text FROM audit WHERE id >= $1 "
	                 "ORDER BY id", 1, NULL, p1, NULL, NULL, 0);
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(PQexec(db, "ALTER TABLE audit DISABLE TRIGGER USER"));
	for (int i = 0; i < PQntuples(r); i++) {
		const char *actor = i == 0 ? "spiffe://test.mesh/admin/mallory"
		                           : PQgetvalue(r, i, 2);
		json_t *b = PQgetisnull(r, i, 6) ? NULL
		            : json_loads(PQgetvalue(r, i, 6), JSON_DECODE_ANY, NULL);
		json_t *af = PQgetisnull(r, i, 7) ? NULL
		             : json_loads(PQgetvalue(r, i, 7), JSON_DECODE_ANY, NULL);
		json_t *e = sdns_audit_entry(atoll(PQgetvalue(r, i, 0)),
		                             PQgetvalue(r, i, 1), actor,
		                             PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
		                             PQgetvalue(r, i, 5), b, af, prev);
		uint8_t h[32], sig[64];
		ck_assert_int_eq(sdns_audit_hash(e, prev, h), 0);
		ck_assert_int_eq(sdns_audit_sign(k, h, sig), 0);
		json_decref(e), json_decref(b), json_decref(af);
		char ph[65], hh[65], sh[129], pk[65];
		sdns_audit_hex(prev, 32, ph);
		sdns_audit_hex(h, 32, hh);
		sdns_audit_hex(sig, 64, sh);
		sdns_audit_hex(k->pub, 32, pk);
		const char *p[6] = { actor, ph, hh, sh, pk, PQgetvalue(r, i, 0) };
		PGresult *u = PQexecParams(db, "UPDATE audit SET actor = $1, "
		    "prev_hash = decode($2, 'hex'), hash = decode($3, 'hex'), "
		    "sig = decode($4, 'hex'), signer_pub = decode($5, 'hex') "
		    "WHERE id = $6", 6, NULL, p, NULL, NULL, 0);
		ck_assert_msg(PQresultStatus(u) == PGRES_COMMAND_OK, "%s",
		              PQerrorMessage(db));
		PQclear(u);
		memcpy(prev, h, 32);
	}
	PQclear(PQexec(db, "ALTER TABLE audit ENABLE TRIGGER USER"));
	PQclear(r);
	PQfinish(db);
}

static json_t *out_json(void)
{
	json_error_t je;
	json_t *j = json_loads(sdns_ctl.out, 0, &je);
	ck_assert_msg(j != NULL, "not JSON: %s\n%s", je.text, sdns_ctl.out);
	return j;
}

START_TEST(test_verify_reports_a_chain_resigned_with_a_fresh_key)
{
	empty_chain();
	make_zones("resign", 4);
	long long first = sql_int("SELECT min(id) FROM audit");
	ck_assert_int_eq(CTL("audit", "verify"), 0);
	sdns_audit_key mallory;
	ck_assert_int_eq(sdns_audit_key_generate(&mallory), 0);
	resign_from(first + 1, &mallory);
	/* Every row is consistent with the key it names: the old verify said
	 * ok. The node never trusted that key. */
	ck_assert_int_eq(CTL("audit", "verify", "--json"), 1);
	json_t *j = out_json();
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "first_bad_id")),
	                 first + 1);
	ck_assert_str_eq(json_string_value(json_object_get(j, "reason")),
	                 "signed by a key this node does not trust");
	char pk[65];
	sdns_audit_hex(mallory.pub, 32, pk);
	ck_assert_str_eq(json_string_value(json_object_get(j, "signer_pub")), pk);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "checked")), 1);
	json_decref(j);
	ck_assert_int_eq(CTL("audit", "verify"), 1);
	char want[100];
	snprintf(want, sizeof want, "chain broken at entry %lld: signed by a "
	         "key this node does not trust", first + 1);
	ERR_HAS(want);
}
END_TEST

START_TEST(test_store_verify_believes_exactly_the_keys_it_is_given)
{
	empty_chain();
	make_zones("trust", 3);
	long long first = sql_int("SELECT min(id) FROM audit");
	sdns_audit_key other;
	ck_assert_int_eq(sdns_audit_key_generate(&other), 0);
	resign_from(first + 2, &other);
	sdns_store *s = NULL;
	sdns_store_err serr;
	ck_assert_int_eq(sdns_store_connect(sdns_ctl.conninfo, &s, &serr), 0);
	/* A second sdnsd of this database, listed in --audit-trust. */
	sdns_audit_trust both = { 0 };
	ck_assert_int_eq(sdns_audit_trust_add(&both, NULL, sdns_ctl.akey.pub), 0);
	ck_assert_int_eq(sdns_audit_trust_add(&both, "node-b", other.pub), 0);
	json_t *j = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, &both, &j, &serr), 0);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "checked")), 3);
	json_decref(j);
	/* No keys at all: the first entry is already refused. */
	sdns_audit_trust none = { 0 };
	ck_assert_int_eq(sdns_store_audit_verify(s, &none, &j, &serr), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "first_bad_id")),
	                 first);
	json_decref(j);
	sdns_store_close(s);
}
END_TEST

static void cp_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", sdns_ctl.dir, name);
}

START_TEST(test_checkpoint_is_the_head_signed_by_the_node_key)
{
	empty_chain();
	make_zones("head", 3);
	char f[400];
	cp_path(f, sizeof f, "head.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 0);
	OUT_HAS("saved");
	json_error_t je;
	json_t *j = json_load_file(f, 0, &je);
	ck_assert_ptr_nonnull(j);
	sdns_audit_head h;
	ck_assert_int_eq(sdns_audit_head_from_json(j, &h), 0);
	json_decref(j);
	ck_assert_int_eq(h.id, sql_int("SELECT max(id) FROM audit"));
	ck_assert_mem_eq(h.pub, sdns_ctl.akey.pub, 32);
	ck_assert_int_eq(sdns_audit_head_verify(&h), 0);
	/* A chain that does not verify gets no signed head. */
	sdns_audit_key mallory;
	ck_assert_int_eq(sdns_audit_key_generate(&mallory), 0);
	resign_from(h.id, &mallory);
	cp_path(f, sizeof f, "head2.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 1);
	ERR_HAS("409 conflict");
	ERR_HAS("does not trust");
	ck_assert_int_eq(access(f, F_OK), -1);
}
END_TEST

START_TEST(test_checkpoint_reports_deleted_newest_entries)
{
	empty_chain();
	make_zones("cut", 4);
	char f[400];
	cp_path(f, sizeof f, "cut.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 0);
	long long id = sql_int("SELECT max(id) FROM audit");
	make_zones("cutmore", 1);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 0);
	OUT_HAS("checkpoint OK");
	delete_from(id - 1);
	/* What is left verifies on its own: only the checkpoint sees it. */
	ck_assert_int_eq(CTL("audit", "verify"), 0);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 1);
	ERR_HAS("CHECKPOINT FAILED: the chain is shorter than the checkpoint");
	char want[80];
	snprintf(want, sizeof want, "it ends at entry %lld", id - 2);
	ERR_HAS(want);
}
END_TEST

START_TEST(test_checkpoint_reports_a_chain_cut_and_grown_again)
{
	empty_chain();
	make_zones("regrow", 3);
	char f[400];
	cp_path(f, sizeof f, "regrow.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 0);
	long long id = sql_int("SELECT max(id) FROM audit");
	delete_from(id - 1);
	/* New, genuine entries by the node itself take the old ids. */
	make_zones("regrown", 3);
	ck_assert_int_ge(sql_int("SELECT max(id) FROM audit"), id);
	ck_assert_int_eq(CTL("audit", "verify"), 0);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 1);
	char want[80];
	snprintf(want, sizeof want, "CHECKPOINT FAILED: entry %lld has hash", id);
	ERR_HAS(want);
	ERR_HAS("rewritten");
}
END_TEST

START_TEST(test_checkpoint_reports_a_row_rewritten_even_with_the_node_key)
{
	empty_chain();
	make_zones("stolen", 3);
	char f[400];
	cp_path(f, sizeof f, "stolen.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 0);
	long long id = sql_int("SELECT max(id) FROM audit");
	/* Plainly edited: the hash no longer matches. */
	sql("ALTER TABLE audit DISABLE TRIGGER USER; UPDATE audit SET actor = "
	    "'x' WHERE id = (SELECT max(id) FROM audit); ALTER TABLE audit "
	    "ENABLE TRIGGER USER;");
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 1);
	ERR_HAS("chain broken at entry");
	/* Re-signed by someone who also stole the node's audit key: the
	 * chain verifies, the checkpoint still tells. */
	resign_from(id - 1, &sdns_ctl.akey);
	ck_assert_int_eq(CTL("audit", "verify"), 0);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 1);
	ERR_HAS("(the chain was rewritten)");
}
END_TEST

START_TEST(test_checkpoint_file_must_be_signed_and_by_the_key_named)
{
	empty_chain();
	make_zones("sig", 2);
	char f[400], pub[SDNS_AUDIT_PUB_B64_LEN + 1];
	cp_path(f, sizeof f, "sig.json");
	ck_assert_int_eq(CTL("audit", "checkpoint", "--out", f), 0);
	sdns_audit_pub_b64(sdns_ctl.akey.pub, pub);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f,
	                     "--audit-pub", pub), 0);
	sdns_audit_key other;
	ck_assert_int_eq(sdns_audit_key_generate(&other), 0);
	sdns_audit_pub_b64(other.pub, pub);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f,
	                     "--audit-pub", pub), 1);
	ERR_HAS("signed by another key than --audit-pub");
	/* A checkpoint edited to claim a shorter head no longer verifies. */
	json_t *j = json_load_file(f, 0, NULL);
	json_object_set_new(j, "id", json_integer(1));
	ck_assert_int_eq(json_dump_file(j, f, 0), 0);
	json_decref(j);
	ck_assert_int_eq(CTL("audit", "verify", "--checkpoint", f), 1);
	ERR_HAS("the checkpoint's signature does not verify");
}
END_TEST

START_TEST(test_checkpoint_and_peers_need_admin_or_node)
{
	char f[400];
	cp_path(f, sizeof f, "client.json");
	ck_assert_int_eq(CTL_AS("client", "audit", "checkpoint", "--out", f), 1);
	ERR_HAS("403");
	ck_assert_int_eq(CTL_AS("client", "audit", "peers"), 1);
	ERR_HAS("403");
	/* No sdnsd around the API: no peers' heads kept. */
	ck_assert_int_eq(CTL("audit", "peers", "--json"), 0);
	json_t *j = out_json();
	ck_assert_int_eq(json_array_size(json_object_get(j, "peers")), 0);
	ck_assert(json_is_array(json_object_get(j, "peers")));
	json_decref(j);
}
END_TEST

START_TEST(test_pubkey_prints_the_key_of_a_seed_or_pem_file)
{
	char seed[400];
	cp_path(seed, sizeof seed, "pk.seed");
	ck_assert_int_eq(sdns_audit_key_save_seed(&sdns_ctl.akey, seed), 0);
	char pub[SDNS_AUDIT_PUB_B64_LEN + 1];
	sdns_audit_pub_b64(sdns_ctl.akey.pub, pub);
	ck_assert_int_eq(CTL_AS(NULL, "audit", "pubkey", "--key", seed), 0);
	OUT_HAS(pub);
	char pem[400];
	cp_path(pem, sizeof pem, "server.key");
	ck_assert_int_eq(CTL_AS(NULL, "audit", "pubkey", "--key", pem), 0);
	ck_assert_int_eq(strlen(sdns_ctl.out), SDNS_AUDIT_PUB_B64_LEN + 1);
}
END_TEST

static Suite *auditchain_suite(void)
{
	Suite *s = suite_create("auditchain");
	TCase *tc = tcase_create("insider");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_reports_a_chain_resigned_with_a_fresh_key);
	tcase_add_test(tc, test_store_verify_believes_exactly_the_keys_it_is_given);
	tcase_add_test(tc, test_checkpoint_is_the_head_signed_by_the_node_key);
	tcase_add_test(tc, test_checkpoint_reports_deleted_newest_entries);
	tcase_add_test(tc, test_checkpoint_reports_a_chain_cut_and_grown_again);
	tcase_add_test(tc, test_checkpoint_reports_a_row_rewritten_even_with_the_node_key);
	tcase_add_test(tc, test_checkpoint_file_must_be_signed_and_by_the_key_named);
	tcase_add_test(tc, test_checkpoint_and_peers_need_admin_or_node);
	tcase_add_test(tc, test_pubkey_prints_the_key_of_a_seed_or_pem_file);
	suite_add_tcase(s, tc);
	return s;
}

/* No fork: the API's threads live in this process (see sdnsctl_api.c). */
int main(void)
{
	SRunner *sr = srunner_create(auditchain_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
