/* Tests for src/store against a real PostgreSQL (tests/lib/testpg.h): one
 * private cluster per run, a fresh database per test. */
#include <libpq-fe.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/error.h"
#include "sdns/pki.h"
#include "sdns/store.h"
#include "testaudit.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

static char ci[1400];
static sdns_audit_key key;
static sdns_store_err e;
static const sdns_actor admin = { "spiffe://test.mesh/admin/admin", "admin",
	SDNS_ROLE_ADMIN,
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };

static sdns_store *connect_db(void)
{
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(ci, &s, &e), 0);
	sdns_store_set_audit_key(s, &key);
	return s;
}

/* A fresh migrated database and a connection to it. */
static sdns_store *open_db(void)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	sdns_store *s = connect_db();
	int n = -1;
	ck_assert_int_eq(sdns_testpg_migrate(ci, &n), 0);
	ck_assert_int_eq(n, 4);
	if (key.pub[0] == 0 && key.pub[1] == 0) sdns_audit_key_generate(&key);
	sdns_store_set_audit_key(s, &key);
	return s;
}

/* First column of the first row of sql, as a long (-1 on error). */
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

static json_t *rec(const char *name, const char *type, const char *value)
{
	return json_pack("{s:s,s:s,s:s}", "name", name, "type", type, "value",
	                 value);
}

static int add(sdns_store *s, const char *name, const char *type,
               const char *value, int64_t if_match, int64_t *id)
{
	json_t *r = rec(name, type, value), *out = NULL;
	int rc = sdns_store_record_add(s, &admin, "node-alpha.mesh", r, if_match,
	                               &out, NULL, &e);
	if (rc == 0 && id) *id = json_integer_value(json_object_get(out, "id"));
	json_decref(r);
	json_decref(out);
	return rc;
}

static sdns_store *open_zone(void)
{
	sdns_store *s = open_db();
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "node-alpha.mesh", NULL,
	                                        NULL, NULL, &e), 0);
	return s;
}

static uint32_t serial_of(sdns_store *s)
{
	json_t *z = NULL;
	uint32_t ser = 0;
	ck_assert_int_eq(sdns_store_zone_get(s, "node-alpha.mesh", &z, &ser, &e), 0);
	json_decref(z);
	return ser;
}

/* Migrations are the owner role's work (sdnsd --migrate). */
static sdns_store *connect_owner(void)
{
	char owner[1500];
	sdns_testpg_owner(ci, owner, sizeof owner);
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(owner, &s, &e), 0);
	return s;
}

START_TEST(test_migrations_applied_once_and_recorded)
{
	sdns_store_close(open_db());
	sdns_store *s = connect_owner();
	int n = -1;
	ck_assert_int_eq(sdns_store_migrate(s, "migrations", &n, &e), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM schema_migrations"), 4);
	ck_assert_int_eq(q1("SELECT max(version) FROM schema_migrations"), 4);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_newer_schema_is_refused_with_message)
{
	sdns_store_close(open_db());
	sdns_store *s = connect_owner();
	ck_assert_int_eq(sdns_testpg_exec(ci, "INSERT INTO schema_migrations "
	                 "VALUES (999, '999_future.sql', now())"), 0);
	ck_assert_int_eq(sdns_store_migrate(s, "migrations", NULL, &e), SDNS_ECONFIG);
	ck_assert_str_eq(e.message,
	                 "database schema 999 is newer than this sdnsd (max 4)");
	sdns_store_close(s);
}
END_TEST

START_TEST(test_zone_create_adds_soa_at_serial_1)
{
	sdns_store *s = open_db();
	json_t *z = NULL;
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "Node-Alpha.Mesh.", NULL,
	                                        NULL, &z, &e), 0);
	ck_assert_str_eq(json_string_value(json_object_get(z, "name")),
	                 "node-alpha.mesh");
	ck_assert_int_eq(json_integer_value(json_object_get(z, "serial")), 1);
	json_t *recs = json_object_get(z, "records");
	ck_assert_int_eq(json_array_size(recs), 1);
	json_t *soa = json_array_get(recs, 0);
	ck_assert_str_eq(json_string_value(json_object_get(soa, "type")), "SOA");
	ck_assert_str_eq(json_string_value(json_object_get(soa, "name")),
	                 "node-alpha.mesh");
	ck_assert_str_eq(json_string_value(json_object_get(soa, "value")),
	                 "node-alpha.mesh. hostmaster.node-alpha.mesh. 1 3600 600 1209600 300");
	json_decref(z);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "node-alpha.mesh", NULL,
	                                        NULL, NULL, &e), SDNS_EEXIST);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, ".", NULL, NULL, NULL,
	                                        &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "zone");
	sdns_store_close(s);
}
END_TEST

START_TEST(test_record_writes_bump_the_serial)
{
	sdns_store *s = open_zone();
	int64_t id;
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, &id), 0);
	ck_assert_uint_eq(serial_of(s), 2);
	json_t *r = rec("www.node-alpha.mesh", "A", "10.0.0.6"), *out = NULL;
	uint32_t ser = 0;
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "node-alpha.mesh", id,
	                                          r, 2, &out, &ser, &e), 0);
	ck_assert_uint_eq(ser, 3);
	ck_assert_str_eq(json_string_value(json_object_get(out, "value")), "10.0.0.6");
	json_decref(r);
	json_decref(out);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "node-alpha.mesh", id,
	                                          -1, &ser, &e), 0);
	ck_assert_uint_eq(ser, 4);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "node-alpha.mesh", id,
	                                          -1, &ser, &e), SDNS_ENOTFOUND);
	json_t *list = NULL;
	ck_assert_int_eq(sdns_store_records_list(s, "node-alpha.mesh", &list, &e), 0);
	ck_assert_int_eq(json_array_size(list), 1);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	        json_array_get(list, 0), "value")), " 4 3600 "));
	json_decref(list);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_if_match_mismatch_writes_nothing)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", 7, NULL),
	                 SDNS_EPRECOND);
	ck_assert_uint_eq(serial_of(s), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), 1);
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", 1, NULL), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_duplicate_record_is_eexist)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	ck_assert_int_eq(add(s, "WWW.node-alpha.mesh.", "A", "10.0.0.5", -1, NULL),
	                 SDNS_EEXIST);
	ck_assert_uint_eq(serial_of(s), 2);
	sdns_store_close(s);
}
END_TEST

/* Statements are prepared on first use, in the same round trip: a first use
 * that fails (here: a duplicate) must leave the connection able to run the
 * same statement again. */
START_TEST(test_statement_whose_first_use_failed_works_again)
{
	sdns_store *s1 = open_zone();
	ck_assert_int_eq(add(s1, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	sdns_store *s2 = connect_db(); /* new connection: nothing prepared yet */
	ck_assert_int_eq(add(s2, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL),
	                 SDNS_EEXIST);
	ck_assert_int_eq(add(s2, "www.node-alpha.mesh", "A", "10.0.0.6", -1, NULL), 0);
	ck_assert_int_eq(add(s2, "www.node-alpha.mesh", "A", "10.0.0.6", -1, NULL),
	                 SDNS_EEXIST);
	ck_assert_int_eq(add(s2, "mail.node-alpha.mesh", "A", "10.0.0.7", -1, NULL), 0);
	sdns_store_close(s2);
	sdns_store_close(s1);
}
END_TEST

START_TEST(test_cname_clash_is_ezone_in_both_orders)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "CNAME", "other", -1, NULL),
	                 SDNS_EZONE);
	ck_assert_ptr_nonnull(strstr(e.message, "www.node-alpha.mesh"));
	ck_assert_int_eq(add(s, "x.node-alpha.mesh", "CNAME", "www", -1, NULL), 0);
	ck_assert_int_eq(add(s, "x.node-alpha.mesh", "A", "10.0.0.7", -1, NULL),
	                 SDNS_EZONE);
	ck_assert_int_eq(add(s, "@", "CNAME", "www", -1, NULL), SDNS_EZONE);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 3);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_bad_record_fields_are_named)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.256", -1, NULL),
	                 SDNS_EINVAL);
	ck_assert_str_eq(e.field, "value");
	ck_assert_ptr_nonnull(strstr(e.message, "10.0.0.256"));
	ck_assert_int_eq(add(s, "www.other.mesh", "A", "10.0.0.5", -1, NULL),
	                 SDNS_EINVAL);
	ck_assert_str_eq(e.field, "name");
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "ANY", "10.0.0.5", -1, NULL),
	                 SDNS_EINVAL);
	ck_assert_str_eq(e.field, "type");
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "BOGUS", "1", -1, NULL),
	                 SDNS_EINVAL);
	ck_assert_str_eq(e.field, "type");
	json_t *r = json_pack("{s:s,s:s,s:s,s:I}", "name", "www.node-alpha.mesh",
	                      "type", "A", "value", "10.0.0.5", "ttl",
	                      (json_int_t)-1);
	ck_assert_int_eq(sdns_store_record_add(s, &admin, "node-alpha.mesh", r, -1,
	                                       NULL, NULL, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "ttl");
	json_object_set_new(r, "ttl", json_integer(60));
	json_object_set_new(r, "colour", json_string("red"));
	ck_assert_int_eq(sdns_store_record_add(s, &admin, "node-alpha.mesh", r, -1,
	                                       NULL, NULL, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "colour");
	json_decref(r);
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "SOA",
	                     "a. b. 1 2 3 4 5", -1, NULL), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "name");
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 1);
	ck_assert_int_eq(add(s, "mail.node-alpha.mesh", "MX", "10 mx", -1, NULL), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE rdata_text = "
	                    "'10 mx.node-alpha.mesh.'"), 1);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_soa_cannot_be_deleted)
{
	sdns_store *s = open_zone();
	long id = q1("SELECT id FROM records WHERE type = 6");
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "node-alpha.mesh", id,
	                                          -1, NULL, &e), SDNS_EZONE);
	ck_assert_int_eq(q1("SELECT count(*) FROM records"), 1);
	sdns_store_close(s);
}
END_TEST

/* --- enrollment --- */

static char pki_dir[512];
static int sign_calls;

static int sign_file(void *ctx, sdns_role role, const char *name, char **pem)
{
	(void)role;
	(void)name;
	sign_calls++;
	FILE *f = fopen(ctx, "rb");
	if (!f) return SDNS_EIO;
	*pem = calloc(1, 16384);
	size_t n = fread(*pem, 1, 16383, f);
	fclose(f);
	return n > 0 ? 0 : SDNS_EIO;
}

static char *make_token(sdns_store *s, const char *name)
{
	json_t *t = NULL;
	ck_assert_int_eq(sdns_store_token_create(s, &admin, name, SDNS_ROLE_NODE,
	                                         3600, &t, &e), 0);
	char *tok = strdup(json_string_value(json_object_get(t, "token")));
	json_decref(t);
	return tok;
}

static const uint8_t zone_key[32] = { 1, 2, 3 };

static int enroll(sdns_store *s, const char *tok, const char *pem_file,
                  json_t **out)
{
	char path[700];
	snprintf(path, sizeof path, "%s/%s", pki_dir, pem_file);
	return sdns_store_enroll(s, tok, zone_key, "127.0.0.1:8853", sign_file,
	                         path, out, &e);
}

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-storepki", pki_dir,
	                                   sizeof pki_dir), 0);
	ck_assert_int_eq(sdns_testpki_make(pki_dir), 0);
	sign_calls = 0;
}

static void pki_teardown(void)
{
	sdns_test_rmtree(pki_dir);
}

START_TEST(test_enroll_fresh_token_inserts_node)
{
	pki_setup();
	sdns_store *s = open_db();
	char *tok = make_token(s, "node2");
	ck_assert_int_eq(strlen(tok), 43);
	ck_assert_int_eq(q1("SELECT count(*) FROM enroll_tokens WHERE "
	                    "length(token_hash) = 32"), 1);
	json_t *out = NULL;
	ck_assert_int_eq(enroll(s, tok, "node2.pem", &out), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "spiffe_id")),
	                 "spiffe://test.mesh/node/node2");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(out, "certificate")));
	json_decref(out);
	char path[700], fp[SDNS_PKI_FPR_MAX];
	snprintf(path, sizeof path, "%s/node2.pem", pki_dir);
	ck_assert_int_eq(sdns_pki_fingerprint_file(path, fp, sizeof fp), 0);
	json_t *peers = NULL;
	ck_assert_int_eq(sdns_store_peers_list(s, &peers, &e), 0);
	ck_assert_int_eq(json_array_size(peers), 1);
	json_t *p = json_array_get(peers, 0);
	ck_assert_str_eq(json_string_value(json_object_get(p, "fingerprint")), fp);
	ck_assert_str_eq(json_string_value(json_object_get(p, "status")), "active");
	ck_assert_str_eq(json_string_value(json_object_get(p, "name")), "node2");
	json_decref(peers);
	ck_assert_int_eq(q1("SELECT count(*) FROM enroll_tokens WHERE used_at IS "
	                    "NOT NULL AND node_id IS NOT NULL"), 1);
	free(tok);
	sdns_store_close(s);
	pki_teardown();
}
END_TEST

START_TEST(test_enroll_reused_expired_forged_tokens_are_eauth)
{
	pki_setup();
	sdns_store *s = open_db();
	char *tok = make_token(s, "node2");
	json_t *out = NULL;
	ck_assert_int_eq(enroll(s, tok, "node2.pem", &out), 0);
	json_decref(out);
	ck_assert_int_eq(enroll(s, tok, "node2.pem", &out), SDNS_EAUTH);
	char *tok2 = make_token(s, "server");
	ck_assert_int_eq(sdns_testpg_exec(ci, "UPDATE enroll_tokens SET "
	                 "expires_at = now() - interval '1 second' WHERE "
	                 "name = 'server'"), 0);
	ck_assert_int_eq(enroll(s, tok2, "server.pem", &out), SDNS_EAUTH);
	ck_assert_int_eq(enroll(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	                        "server.pem", &out), SDNS_EAUTH);
	ck_assert_int_eq(enroll(s, "", "server.pem", &out), SDNS_EAUTH);
	ck_assert_int_eq(sign_calls, 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM nodes"), 1);
	free(tok);
	free(tok2);
	sdns_store_close(s);
	pki_teardown();
}
END_TEST

START_TEST(test_token_create_refuses_bad_input)
{
	sdns_store *s = open_db();
	json_t *t = NULL;
	ck_assert_int_eq(sdns_store_token_create(s, &admin, "Bad Name",
	                 SDNS_ROLE_NODE, 60, &t, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "name");
	ck_assert_int_eq(sdns_store_token_create(s, &admin, "n", SDNS_ROLE_NONE,
	                 60, &t, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "role");
	ck_assert_int_eq(sdns_store_token_create(s, &admin, "n", SDNS_ROLE_NODE,
	                 0, &t, &e), SDNS_EINVAL);
	ck_assert_str_eq(e.field, "ttl_seconds");
	sdns_store_close(s);
}
END_TEST

/* Serial and SPKI hash of a PEM file, computed independently. */
static void cert_ids(const char *path, char *serial, size_t cap, uint8_t spki[32])
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);
	snprintf(serial, cap, "%s", hex);
	for (char *c = serial; *c; c++)
		if (*c >= 'A' && *c <= 'F') *c = (char)(*c + 32);
	OPENSSL_free(hex);
	BN_free(bn);
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	SHA256(der, (size_t)n, spki);
	OPENSSL_free(der);
	X509_free(x);
}

START_TEST(test_revoke_puts_serial_and_spki_in_revoked_set)
{
	pki_setup();
	sdns_store *s = open_db();
	char *tok = make_token(s, "node2");
	json_t *out = NULL;
	ck_assert_int_eq(enroll(s, tok, "node2.pem", &out), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	ck_assert_int_eq(sdns_store_peer_revoke(s, &admin, id, "key lost", &out,
	                                        &e), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "status")),
	                 "revoked");
	json_decref(out);
	ck_assert_int_eq(sdns_store_peer_revoke(s, &admin, id, "again", NULL, &e),
	                 SDNS_EEXIST);
	ck_assert_int_eq(sdns_store_peer_revoke(s, &admin, 999, "x", NULL, &e),
	                 SDNS_ENOTFOUND);
	char path[700], serial[128];
	uint8_t spki[32], other[32] = { 0 };
	snprintf(path, sizeof path, "%s/node2.pem", pki_dir);
	cert_ids(path, serial, sizeof serial, spki);
	const char *ser = serial;
	while (ser[0] == '0' && ser[1]) ser++;
	sdns_revoked *rv = NULL;
	ck_assert_int_eq(sdns_store_load_revoked(s, &rv, &e), 0);
	ck_assert_uint_eq(sdns_revoked_count(rv), 1);
	ck_assert(sdns_revoked_has(rv, spki, NULL));
	ck_assert(sdns_revoked_has(rv, NULL, ser));
	ck_assert(!sdns_revoked_has(rv, other, "1234"));
	sdns_revoked_free(rv);
	free(tok);
	sdns_store_close(s);
	pki_teardown();
}
END_TEST

START_TEST(test_revoked_set_lookup)
{
	const char *ser[3] = { "ff", "1a", "3" };
	uint8_t spki[3][32] = { { 9 }, { 1 }, { 5 } };
	sdns_revoked *rv = sdns_revoked_new(ser, (const uint8_t(*)[32])spki, 3);
	ck_assert_ptr_nonnull(rv);
	uint8_t probe[32] = { 5 };
	ck_assert(sdns_revoked_has(rv, probe, NULL));
	ck_assert(sdns_revoked_has(rv, NULL, "1a"));
	ck_assert(sdns_revoked_has(rv, NULL, "ff"));
	probe[0] = 2;
	ck_assert(!sdns_revoked_has(rv, probe, "2"));
	ck_assert(!sdns_revoked_has(NULL, probe, "ff"));
	sdns_revoked_free(rv);
}
END_TEST

START_TEST(test_update_and_delete_check_if_match_id_and_soa)
{
	sdns_store *s = open_zone();
	int64_t id;
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, &id), 0);
	long soa = q1("SELECT id FROM records WHERE type = 6");
	json_t *r = rec("www.node-alpha.mesh", "A", "10.0.0.6");
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "node-alpha.mesh", id,
	                                          r, 1, NULL, NULL, &e),
	                 SDNS_EPRECOND);
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "node-alpha.mesh",
	                                          id + 100, r, -1, NULL, NULL, &e),
	                 SDNS_ENOTFOUND);
	ck_assert_str_eq(e.field, "id");
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "node-alpha.mesh", soa,
	                                          r, -1, NULL, NULL, &e),
	                 SDNS_EZONE);
	ck_assert_str_eq(e.field, "type");
	json_t *other = rec("www.no-such.mesh", "A", "10.0.0.6");
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "no-such.mesh", id,
	                                          other, -1, NULL, NULL, &e),
	                 SDNS_ENOTFOUND);
	ck_assert_str_eq(e.field, "zone");
	json_decref(other);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "node-alpha.mesh", id,
	                                          1, NULL, &e), SDNS_EPRECOND);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "no-such.mesh", id, -1,
	                                          NULL, &e), SDNS_ENOTFOUND);
	ck_assert_str_eq(e.field, "zone");
	ck_assert_uint_eq(serial_of(s), 2);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), 2);
	uint32_t ser = 0;
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "node-alpha.mesh", id,
	                                          r, 2, NULL, &ser, &e), 0);
	ck_assert_uint_eq(ser, 3);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE action = "
	                    "'record.update' AND before->>'value' = '10.0.0.5' "
	                    "AND after->>'value' = '10.0.0.6'"), 1);
	json_decref(r);
	sdns_store_close(s);
}
END_TEST

/* --- audit --- */

START_TEST(test_audit_one_entry_per_change_chain_intact)
{
	sdns_store *s = open_zone();
	int64_t id;
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, &id), 0);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "node-alpha.mesh", id,
	                                          -1, NULL, &e), 0);
	json_t *l = NULL;
	ck_assert_int_eq(sdns_store_audit_list(s, 0, 0, NULL, NULL, &l, &e), 0);
	json_t *en = json_object_get(l, "entries");
	ck_assert_int_eq(json_array_size(en), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(en, 0),
	                 "action")), "zone.create");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(en, 1),
	                 "action")), "record.create");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(en, 2),
	                 "action")), "record.delete");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(en, 1),
	                 "actor")), admin.uri);
	ck_assert(json_is_null(json_object_get(l, "next_after")));
	json_decref(l);
	ck_assert_int_eq(sdns_store_audit_list(s, 1, 1, NULL, "record.delete", &l,
	                                       &e), 0);
	ck_assert_int_eq(json_array_size(json_object_get(l, "entries")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(l, "next_after")), 3);
	json_decref(l);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(v, "checked")), 3);
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_audit_refuses_update_delete_truncate)
{
	sdns_store *s = open_zone();
	ck_assert_int_ne(sdns_testpg_exec(ci, "UPDATE audit SET actor = 'x'"), 0);
	ck_assert_int_ne(sdns_testpg_exec(ci, "DELETE FROM audit"), 0);
	ck_assert_int_ne(sdns_testpg_exec(ci, "TRUNCATE audit"), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE actor <> 'x'"), 1);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_audit_verify_finds_row_edited_behind_our_back)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "a.node-alpha.mesh", "A", "10.0.0.1", -1, NULL), 0);
	ck_assert_int_eq(add(s, "b.node-alpha.mesh", "A", "10.0.0.2", -1, NULL), 0);
	ck_assert_int_eq(sdns_testpg_exec(ci,
	                 "ALTER TABLE audit DISABLE TRIGGER audit_no_update; "
	                 "UPDATE audit SET object = 'record:evil' WHERE id = 2; "
	                 "ALTER TABLE audit ENABLE TRIGGER audit_no_update"), 0);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_false(json_object_get(v, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(v, "first_bad_id")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "checked")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
	                 "hash does not match the entry");
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

#define WRITERS 8
#define PER_WRITER 10

static void *writer(void *arg)
{
	long n = (long)arg;
	sdns_store *s = NULL;
	sdns_store_err we;
	if (sdns_store_connect(ci, &s, &we)) return (void *)1;
	sdns_store_set_audit_key(s, &key);
	long fails = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		char name[64];
		snprintf(name, sizeof name, "w%ld-%d.node-alpha.mesh", n, i);
		json_t *r = rec(name, "A", "10.1.0.1");
		fails += sdns_store_record_add(s, &admin, "node-alpha.mesh", r, -1,
		                               NULL, NULL, &we) != 0;
		json_decref(r);
	}
	sdns_store_close(s);
	return (void *)fails;
}

START_TEST(test_concurrent_writers_keep_one_chain)
{
	sdns_store *s = open_zone();
	pthread_t t[WRITERS];
	for (long i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	long fails = 0;
	for (int i = 0; i < WRITERS; i++) {
		void *r;
		pthread_join(t[i], &r);
		fails += (long)r;
	}
	ck_assert_int_eq(fails, 0);
	long total = 1 + WRITERS * PER_WRITER;
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), total);
	ck_assert_int_eq(q1("SELECT max(id) - min(id) + 1 FROM audit"), total);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit a JOIN audit b ON "
	                    "b.id = a.id + 1 WHERE b.prev_hash = a.hash"), total - 1);
	ck_assert_uint_eq(serial_of(s), 1 + WRITERS * PER_WRITER);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(v, "checked")), total);
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

/* --- batches: several changes of a zone in one transaction --- */

static void change_add(sdns_store_change *c, json_t *r, int64_t if_match)
{
	memset(c, 0, sizeof *c);
	c->rec = r;
	c->if_match = if_match;
}

static void changes_free(sdns_store_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref((json_t *)c[i].rec);
		json_decref(c[i].out);
	}
}

static void assert_chain_ok(sdns_store *s, long entries)
{
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(v, "checked")),
	                 entries);
	json_decref(v);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), entries);
}

START_TEST(test_batch_change_that_conflicts_fails_alone_others_commit)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL),
	                 0);
	uint32_t s0 = serial_of(s);
	long soa = q1("SELECT id FROM records WHERE type = 6");
	sdns_store_change c[6];
	change_add(&c[0], rec("a.node-alpha.mesh", "A", "10.0.0.1"), -1);
	change_add(&c[1], rec("www.node-alpha.mesh", "A", "10.0.0.5"), -1);
	change_add(&c[2], rec("www.node-alpha.mesh", "CNAME", "a"), -1);
	change_add(&c[3], rec("b.node-alpha.mesh", "A", "10.0.0.2"), -1);
	change_add(&c[4], NULL, -1);
	c[4].id = soa;
	change_add(&c[5], rec("bad name!", "A", "10.0.0.3"), -1);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "node-alpha.mesh",
	                                          c, 6, &e), 0);
	ck_assert_int_eq(c[0].rc, 0);
	ck_assert_int_eq(c[1].rc, SDNS_EEXIST);
	ck_assert(strstr(c[1].err.message, "already exists"));
	ck_assert_int_eq(c[2].rc, SDNS_EZONE);
	ck_assert_int_eq(c[3].rc, 0);
	ck_assert_int_eq(c[4].rc, SDNS_EZONE);
	ck_assert_str_eq(c[4].err.field, "id");
	ck_assert_int_eq(c[5].rc, SDNS_EINVAL);
	ck_assert_str_eq(c[5].err.field, "name");
	ck_assert_uint_eq(c[0].serial, s0 + 1);
	ck_assert_uint_eq(c[3].serial, s0 + 2);
	ck_assert_uint_eq(serial_of(s), s0 + 2);
	ck_assert_str_eq(json_string_value(json_object_get(c[3].out, "name")),
	                 "b.node-alpha.mesh");
	ck_assert_ptr_null(c[1].out);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE name IN "
	                    "('a.node-alpha.mesh', 'b.node-alpha.mesh')"), 2);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE type = 5"), 0);
	/* zone create, www, then a and b: one entry per change that took */
	assert_chain_ok(s, 4);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE object LIKE "
	                    "'record:node-alpha.mesh/%' AND action = "
	                    "'record.create'"), 3);
	changes_free(c, 6);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_batch_if_match_sees_the_serial_earlier_changes_left)
{
	sdns_store *s = open_zone();
	uint32_t s0 = serial_of(s);
	sdns_store_change c[3];
	change_add(&c[0], rec("a.node-alpha.mesh", "A", "10.0.0.1"), s0);
	change_add(&c[1], rec("b.node-alpha.mesh", "A", "10.0.0.2"), s0);
	change_add(&c[2], rec("c.node-alpha.mesh", "A", "10.0.0.3"), s0 + 1);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "node-alpha.mesh",
	                                          c, 3, &e), 0);
	ck_assert_int_eq(c[0].rc, 0);
	ck_assert_int_eq(c[1].rc, SDNS_EPRECOND);
	ck_assert_int_eq(c[2].rc, 0);
	ck_assert_uint_eq(c[2].serial, s0 + 2);
	assert_chain_ok(s, 3);
	changes_free(c, 3);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_batch_where_nothing_takes_writes_nothing)
{
	sdns_store *s = open_zone();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL),
	                 0);
	uint32_t s0 = serial_of(s);
	sdns_store_change c[2];
	change_add(&c[0], rec("www.node-alpha.mesh", "A", "10.0.0.5"), -1);
	change_add(&c[1], NULL, -1);
	c[1].id = 999999;
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "node-alpha.mesh",
	                                          c, 2, &e), 0);
	ck_assert_int_eq(c[0].rc, SDNS_EEXIST);
	ck_assert_int_eq(c[1].rc, SDNS_ENOTFOUND);
	ck_assert_uint_eq(serial_of(s), s0);
	assert_chain_ok(s, 2);
	/* the connection is usable afterwards: no transaction left open */
	ck_assert_int_eq(add(s, "x.node-alpha.mesh", "A", "10.0.0.9", -1, NULL),
	                 0);
	assert_chain_ok(s, 3);
	changes_free(c, 2);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_batch_refused_as_a_whole)
{
	sdns_store *s = open_zone();
	sdns_store_change c[1];
	change_add(&c[0], rec("a.node-alpha.mesh", "A", "10.0.0.1"), -1);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "node-alpha.mesh",
	                                          c, 0, &e), SDNS_EINVAL);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "bad zone!", c, 1,
	                                          &e), SDNS_EINVAL);
	ck_assert_int_eq(c[0].rc, SDNS_EINVAL);
	sdns_store_change other[1];
	change_add(&other[0], rec("a.nope.mesh", "A", "10.0.0.1"), -1);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "nope.mesh", other,
	                                          1, &e), 0);
	ck_assert_int_eq(other[0].rc, SDNS_ENOTFOUND);
	changes_free(other, 1);
	sdns_store_set_audit_key(s, NULL);
	ck_assert_int_eq(sdns_store_records_apply(s, &admin, "node-alpha.mesh",
	                                          c, 1, &e), SDNS_ECONFIG);
	ck_assert_int_eq(q1("SELECT count(*) FROM records WHERE name = "
	                    "'a.node-alpha.mesh'"), 0);
	changes_free(c, 1);
	sdns_store_close(s);
}
END_TEST

/* Concurrent writers of one zone, some of them adding the same record:
 * whatever batches they were grouped into, each duplicate fails alone. */
static void *dup_writer(void *arg)
{
	long n = (long)arg;
	sdns_store *s = NULL;
	sdns_store_err we;
	if (sdns_store_connect(ci, &s, &we)) return (void *)-1;
	sdns_store_set_audit_key(s, &key);
	long dups = 0;
	for (int i = 0; i < PER_WRITER; i++) {
		char name[64];
		/* even writers collide with their odd neighbour */
		snprintf(name, sizeof name, "d%ld-%d.node-alpha.mesh", n / 2, i);
		json_t *r = rec(name, "A", "10.2.0.1");
		int rc = sdns_store_record_add(s, &admin, "node-alpha.mesh", r, -1,
		                               NULL, NULL, &we);
		json_decref(r);
		if (rc == SDNS_EEXIST) dups++;
		else if (rc) dups += 1000;
	}
	sdns_store_close(s);
	return (void *)dups;
}

START_TEST(test_concurrent_duplicates_fail_alone_chain_unforked)
{
	sdns_store *s = open_zone();
	pthread_t t[WRITERS];
	for (long i = 0; i < WRITERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, dup_writer, (void *)i),
		                 0);
	long dups = 0;
	for (int i = 0; i < WRITERS; i++) {
		void *r;
		pthread_join(t[i], &r);
		dups += (long)r;
	}
	long took = WRITERS / 2 * PER_WRITER;
	ck_assert_int_eq(dups, WRITERS / 2 * PER_WRITER);
	ck_assert_uint_eq(serial_of(s), 1 + took);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit a JOIN audit b ON "
	                    "b.id = a.id + 1 WHERE b.prev_hash = a.hash"), took);
	assert_chain_ok(s, 1 + took);
	sdns_store_close(s);
}
END_TEST

/* --- listener and outages --- */

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int changes_records, resyncs, ups, downs;
} events;

static void ev_change(void *ctx, int64_t seq, int64_t zone_id)
{
	events *ev = ctx;
	pthread_mutex_lock(&ev->mu);
	if (seq > 0 && zone_id > 0) ev->changes_records++;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

static void ev_resync(void *ctx)
{
	events *ev = ctx;
	pthread_mutex_lock(&ev->mu);
	ev->resyncs++;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

static void ev_state(void *ctx, bool up)
{
	events *ev = ctx;
	pthread_mutex_lock(&ev->mu);
	if (up) ev->ups++;
	else ev->downs++;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

/* Wait (bounded, generously) until *field >= want. */
static int ev_wait(events *ev, int *field, int want)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&ev->mu);
	while (*field < want)
		if (pthread_cond_timedwait(&ev->cv, &ev->mu, &until) != 0) break;
	int got = *field;
	pthread_mutex_unlock(&ev->mu);
	return got >= want;
}

static const sdns_store_listen_cb ev_cb = { ev_change, ev_resync, ev_state };

START_TEST(test_listener_reports_committed_change)
{
	sdns_store *s = open_zone();
	events ev = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };
	sdns_store_listener *l = NULL;
	ck_assert_int_eq(sdns_store_listener_start(ci, &ev_cb, &ev, &l), 0);
	ck_assert(ev_wait(&ev, &ev.resyncs, 1));
	ck_assert_int_eq(ev.ups, 1);
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	ck_assert(ev_wait(&ev, &ev.changes_records, 1));
	sdns_store_listener_stop(l);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_outage_unavailable_then_listener_resyncs)
{
	sdns_store *s = open_zone();
	events ev = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };
	sdns_store_listener *l = NULL;
	ck_assert_int_eq(sdns_store_listener_start(ci, &ev_cb, &ev, &l), 0);
	ck_assert(ev_wait(&ev, &ev.resyncs, 1));
	ck_assert_int_eq(sdns_testpg_stop_server(), 0);
	ck_assert(ev_wait(&ev, &ev.downs, 1));
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL),
	                 SDNS_EUNAVAIL);
	ck_assert(sdns_store_broken(s));
	ck_assert_int_eq(sdns_store_ping(s), SDNS_EUNAVAIL);
	json_t *z = NULL;
	ck_assert_int_eq(sdns_store_zones_list(s, &z, &e), SDNS_EUNAVAIL);
	sdns_store *s2 = NULL;
	ck_assert_int_eq(sdns_store_connect(ci, &s2, &e), SDNS_EUNAVAIL);
	ck_assert_int_eq(sdns_testpg_start_server(), 0);
	ck_assert(ev_wait(&ev, &ev.resyncs, 2));
	ck_assert_int_eq(ev.ups, 2);
	sdns_store_listener_stop(l);
	sdns_store_close(s);
	s = connect_db();
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_peer_closed_sees_a_restart_without_a_round_trip)
{
	sdns_store *s = open_zone();
	ck_assert(!sdns_store_peer_closed(s)); /* idle and healthy */
	ck_assert_int_eq(sdns_testpg_stop_server(), 0);
	ck_assert_int_eq(sdns_testpg_start_server(), 0);
	/* The old server said goodbye on this socket before it went away. */
	ck_assert(sdns_store_peer_closed(s));
	ck_assert(sdns_store_broken(s));
	sdns_store_close(s);
	s = connect_db();
	ck_assert(!sdns_store_peer_closed(s));
	ck_assert_int_eq(add(s, "www.node-alpha.mesh", "A", "10.0.0.5", -1, NULL), 0);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_listener_stop_is_prompt_while_db_down)
{
	events ev = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };
	sdns_store_listener *l = NULL;
	ck_assert_int_eq(sdns_store_listener_start("host=/nonexistent-sdns port=1 "
	                 "dbname=x connect_timeout=1", &ev_cb, &ev, &l), 0);
	sdns_store_listener_stop(l);
	ck_assert_int_eq(ev.ups, 0);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("pg");
	tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_migrations_applied_once_and_recorded);
	tcase_add_test(tc, test_newer_schema_is_refused_with_message);
	tcase_add_test(tc, test_zone_create_adds_soa_at_serial_1);
	tcase_add_test(tc, test_record_writes_bump_the_serial);
	tcase_add_test(tc, test_if_match_mismatch_writes_nothing);
	tcase_add_test(tc, test_duplicate_record_is_eexist);
	tcase_add_test(tc, test_statement_whose_first_use_failed_works_again);
	tcase_add_test(tc, test_cname_clash_is_ezone_in_both_orders);
	tcase_add_test(tc, test_bad_record_fields_are_named);
	tcase_add_test(tc, test_soa_cannot_be_deleted);
	tcase_add_test(tc, test_enroll_fresh_token_inserts_node);
	tcase_add_test(tc, test_enroll_reused_expired_forged_tokens_are_eauth);
	tcase_add_test(tc, test_token_create_refuses_bad_input);
	tcase_add_test(tc, test_revoke_puts_serial_and_spki_in_revoked_set);
	tcase_add_test(tc, test_revoked_set_lookup);
	tcase_add_test(tc, test_update_and_delete_check_if_match_id_and_soa);
	tcase_add_test(tc, test_audit_one_entry_per_change_chain_intact);
	tcase_add_test(tc, test_audit_refuses_update_delete_truncate);
	tcase_add_test(tc, test_audit_verify_finds_row_edited_behind_our_back);
	tcase_add_test(tc, test_concurrent_writers_keep_one_chain);
	tcase_add_test(tc, test_batch_change_that_conflicts_fails_alone_others_commit);
	tcase_add_test(tc, test_batch_if_match_sees_the_serial_earlier_changes_left);
	tcase_add_test(tc, test_batch_where_nothing_takes_writes_nothing);
	tcase_add_test(tc, test_batch_refused_as_a_whole);
	tcase_add_test(tc, test_concurrent_duplicates_fail_alone_chain_unforked);
	tcase_add_test(tc, test_listener_reports_committed_change);
	tcase_add_test(tc, test_outage_unavailable_then_listener_resyncs);
	tcase_add_test(tc, test_peer_closed_sees_a_restart_without_a_round_trip);
	tcase_add_test(tc, test_listener_stop_is_prompt_while_db_down);
	suite_add_tcase(su, tc);
	return su;
}

SDNS_TEST_MAIN(store_suite)
