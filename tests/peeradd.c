/* Tests for sdns_store_peer_add (src/store/peeradd.c) against a real
 * PostgreSQL: registering nodes certified elsewhere by certificate. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/store.h"
#include "testaudit.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

static char ci[1400], pki[512];
static char *ca_pem;
static sdns_audit_key key;
static sdns_store_err e;
static const sdns_actor admin = { "spiffe://test.mesh/admin/admin", "admin",
	SDNS_ROLE_ADMIN,
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };
static const uint8_t zk[32] = { 7, 7, 7 };

static char *slurp(const char *name)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", pki, name);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char *buf = calloc(1, 20000);
	size_t n = fread(buf, 1, 19999, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	return buf;
}

static void setup(void)
{
	sdns_testpg_setup();
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-peeradd", pki, sizeof pki), 0);
	ck_assert_int_eq(sdns_testpki_make(pki), 0);
	ca_pem = slurp("ca.pem");
	sdns_audit_key_generate(&key);
}

static void teardown(void)
{
	free(ca_pem);
	sdns_test_rmtree(pki);
	sdns_testpg_teardown();
}

static sdns_store *open_db(void)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(ci, &s, &e), 0);
	ck_assert_int_eq(sdns_testpg_migrate(ci, NULL), 0);
	sdns_store_set_audit_key(s, &key);
	return s;
}

static long q1(const char *sql)
{
	PGconn *c = PQconnectdb(ci);
	PGresult *r = PQexec(c, sql);
	long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0
	         ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return v;
}

static int add(sdns_store *s, const char *file, const char *mesh,
               json_t **out)
{
	char *pem = slurp(file);
	int rc = sdns_store_peer_add(s, &admin, ca_pem, mesh, pem, zk,
	                             "127.0.0.1:8853", out, &e);
	free(pem);
	return rc;
}

START_TEST(test_peer_add_inserts_active_node_with_zone_key_and_audit)
{
	sdns_store *s = open_db();
	json_t *out = NULL;
	ck_assert_int_eq(add(s, "server.pem", SDNS_TESTPKI_MESH, &out), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "spiffe_id")),
	                 "spiffe://test.mesh/node/server");
	ck_assert_str_eq(json_string_value(json_object_get(out, "name")),
	                 "server");
	json_decref(out);
	ck_assert_int_eq(q1("SELECT count(*) FROM nodes WHERE name = 'server' "
	                    "AND role = 'node' AND status = 'active' AND "
	                    "doq_endpoint = '127.0.0.1:8853' AND zone_pubkey = "
	                    "decode('07070700000000000000000000000000000000000"
	                    "00000000000000000000000', 'hex')"), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE action = "
	                    "'peer.add' AND actor = "
	                    "'spiffe://test.mesh/admin/admin'"), 1);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_peer_add_twice_is_eexist)
{
	sdns_store *s = open_db();
	json_t *out = NULL;
	ck_assert_int_eq(add(s, "node2.pem", NULL, &out), 0);
	json_decref(out);
	out = NULL;
	ck_assert_int_eq(add(s, "node2.pem", NULL, &out), SDNS_EEXIST);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(e.field, "certificate");
	ck_assert_int_eq(q1("SELECT count(*) FROM nodes"), 1);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_peer_add_refuses_non_node_foreign_ca_expired_other_mesh)
{
	sdns_store *s = open_db();
	json_t *out = NULL;
	const char *bad[] = { "client.pem", "admin.pem", "rogue.pem",
	                      "expired.pem", "notyet.pem", "nouri.pem",
	                      "badrole.pem" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_msg(add(s, bad[i], SDNS_TESTPKI_MESH, &out) ==
		              SDNS_EINVAL, "%s accepted", bad[i]);
		ck_assert_str_eq(e.field, "certificate");
	}
	ck_assert_int_eq(add(s, "server.pem", "other.mesh", &out), SDNS_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.message, "other.mesh"));
	ck_assert_ptr_null(out);
	ck_assert_int_eq(q1("SELECT count(*) FROM nodes"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_peer_add_refuses_bad_pem_key_and_endpoint)
{
	sdns_store *s = open_db();
	json_t *out = NULL;
	char *pem = slurp("server.pem");
	ck_assert_int_eq(sdns_store_peer_add(s, &admin, ca_pem, NULL, "junk", zk,
	                                     "h:1", &out, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "certificate");
	ck_assert_int_eq(sdns_store_peer_add(s, &admin, ca_pem, NULL, pem, NULL,
	                                     "h:1", &out, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "zone_key");
	ck_assert_int_eq(sdns_store_peer_add(s, &admin, ca_pem, NULL, pem, zk,
	                                     "", &out, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "doq_endpoint");
	ck_assert_int_eq(sdns_store_peer_add(s, &admin, "not a CA", NULL, pem,
	                                     zk, "h:1", &out, &e), SDNS_ECONFIG);
	ck_assert_ptr_null(out);
	free(pem);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_peer_add_of_revoked_certificate_is_denied)
{
	sdns_store *s = open_db();
	json_t *out = NULL;
	ck_assert_int_eq(add(s, "node2.pem", NULL, &out), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	ck_assert_int_eq(sdns_store_peer_revoke(s, &admin, id, "test", &out, &e),
	                 0);
	json_decref(out);
	out = NULL;
	ck_assert_int_eq(add(s, "node2.pem", NULL, &out), SDNS_EDENIED);
	ck_assert_ptr_nonnull(strstr(e.message, "revoked"));
	ck_assert_ptr_null(out);
	sdns_store_close(s);
}
END_TEST

static Suite *peeradd_suite(void)
{
	Suite *su = suite_create("peeradd");
	TCase *tc = tcase_create("pg");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_peer_add_inserts_active_node_with_zone_key_and_audit);
	tcase_add_test(tc, test_peer_add_twice_is_eexist);
	tcase_add_test(tc, test_peer_add_refuses_non_node_foreign_ca_expired_other_mesh);
	tcase_add_test(tc, test_peer_add_refuses_bad_pem_key_and_endpoint);
	tcase_add_test(tc, test_peer_add_of_revoked_certificate_is_denied);
	suite_add_tcase(su, tc);
	return su;
}

SDNS_TEST_MAIN(peeradd_suite)
