/* Tests for src/store/roles.c and migrations/004_roles.sql against a real
 * PostgreSQL (tests/lib/testpg.h): the runtime role sdnsd uses can write
 * everything sdnsd writes, and cannot disable, replace or get around the
 * audit's append-only triggers; the start-up check tells the roles apart. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/store.h"
#include "testaudit.h"
#include "testlib.h"
#include "testpg.h"

static char ci[1400];
static sdns_audit_key key;
static sdns_store_err e;
static const sdns_actor admin = { "spiffe://test.mesh/admin/admin", "admin",
	SDNS_ROLE_ADMIN,
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };

static sdns_store *connect_as(const char *conninfo)
{
	sdns_store *s = NULL;
	ck_assert_int_eq(sdns_store_connect(conninfo, &s, &e), 0);
	sdns_store_set_audit_key(s, &key);
	return s;
}

/* A fresh database migrated by the owner; a runtime connection to it with
 * one zone (so the audit has a row). */
static sdns_store *open_db(void)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	ck_assert_int_eq(sdns_testpg_migrate(ci, NULL), 0);
	if (key.pub[0] == 0 && key.pub[1] == 0) sdns_audit_key_generate(&key);
	sdns_store *s = connect_as(ci);
	ck_assert_int_eq(sdns_store_zone_create(s, &admin, "a.mesh", NULL, NULL,
	                                        NULL, &e), 0);
	return s;
}

/* sql run on conninfo; its SQLSTATE ("" when it worked). */
static void sqlstate(const char *conninfo, const char *sql, char out[6])
{
	PGconn *c = PQconnectdb(conninfo);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	ExecStatusType t = PQresultStatus(r);
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	snprintf(out, 6, "%s", t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK
	                       ? "" : st ? st : "?????");
	PQclear(r);
	PQfinish(c);
}

/* First column of the first row of sql as the runtime role (-1 on error). */
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

START_TEST(test_runtime_role_cannot_disable_replace_or_rewrite_audit)
{
	sdns_store *s = open_db();
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), 1);
	static const char *const abuse[] = {
		"ALTER TABLE audit DISABLE TRIGGER ALL",
		"ALTER TABLE audit DISABLE TRIGGER audit_no_update",
		"DROP TRIGGER audit_no_update ON audit",
		"UPDATE audit SET actor = 'spiffe://test.mesh/admin/mallory'",
		"DELETE FROM audit",
		"TRUNCATE audit",
		"CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger "
		"LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
		"ALTER TABLE audit OWNER TO " SDNS_TESTPG_APP,
		"SET session_replication_role = replica",
		/* the change log is the triggers' to write */
		"INSERT INTO changes (seq, tbl, op) VALUES (999999, 'audit', 'INSERT')",
		"UPDATE change_head SET pruned = 0",
		"TRUNCATE changes",
		"SELECT sdns_grant_runtime('" SDNS_TESTPG_APP "')",
	};
	for (size_t i = 0; i < sizeof abuse / sizeof abuse[0]; i++) {
		char st[6];
		sqlstate(ci, abuse[i], st);
		ck_assert_msg(!strcmp(st, "42501"), "%s: SQLSTATE '%s', want 42501",
		              abuse[i], st);
	}
	/* the entry is still there, unchanged, and the chain verifies */
	ck_assert_int_eq(q1("SELECT count(*) FROM audit WHERE actor = "
	                    "'spiffe://test.mesh/admin/admin'"), 1);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_runtime_role_writes_what_sdnsd_writes_and_triggers_log_it)
{
	sdns_store *s = open_db();
	json_t *rec = json_pack("{s:s,s:s,s:s}", "name", "www.a.mesh", "type", "A",
	                        "value", "10.0.0.1");
	json_t *out = NULL;
	ck_assert_int_eq(sdns_store_record_add(s, &admin, "a.mesh", rec,
	                 SDNS_STORE_NO_MATCH, &out, NULL, &e), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_object_set_new(rec, "value", json_string("10.0.0.2"));
	ck_assert_int_eq(sdns_store_record_update(s, &admin, "a.mesh", id, rec,
	                 SDNS_STORE_NO_MATCH, NULL, NULL, &e), 0);
	ck_assert_int_eq(sdns_store_record_delete(s, &admin, "a.mesh", id,
	                 SDNS_STORE_NO_MATCH, NULL, &e), 0);
	json_decref(rec);
	ck_assert_int_eq(sdns_store_token_create(s, &admin, "node-b",
	                 SDNS_ROLE_NODE, 3600, &out, &e), 0);
	json_decref(out);
	/* a node as enrollment leaves it, then revoked through the store */
	ck_assert_int_eq(sdns_testpg_exec(ci, "INSERT INTO nodes (name, role, "
	                 "spiffe_id, cert_pem, cert_sha256, spki_sha256, "
	                 "cert_serial) VALUES ('node-b', 'node', "
	                 "'spiffe://test.mesh/node/node-b', 'x', "
	                 "decode(repeat('ab', 32), 'hex'), "
	                 "decode(repeat('cd', 32), 'hex'), '01')"), 0);
	int64_t nid = q1("SELECT id FROM nodes WHERE name = 'node-b'");
	ck_assert_int_eq(sdns_store_peer_revoke(s, &admin, nid, "test", &out, &e), 0);
	json_decref(out);
	ck_assert_int_eq(sdns_store_audit_auth_refused(s, "192.0.2.1", "unknown",
	                                               &e), 0);
	ck_assert_int_eq(sdns_store_zone_delete(s, &admin, "a.mesh",
	                 SDNS_STORE_NO_MATCH, &e), 0);
	/* every write appended its entry, and the chain verifies */
	ck_assert_int_eq(q1("SELECT count(*) FROM audit"), 8);
	json_t *v = NULL;
	ck_assert_int_eq(sdns_store_audit_verify(s, sdns_test_own_trust(&key), &v, &e), 0);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	json_decref(v);
	/* the owner's triggers logged each table the runtime cannot write */
	ck_assert_int_eq(q1("SELECT count(DISTINCT tbl) FROM changes WHERE tbl IN "
	                    "('zones', 'records', 'nodes', 'revoked', 'audit')"), 5);
	/* pruning (DELETE on changes) works and its mark moves */
	int64_t newest = q1("SELECT max(seq) FROM changes"), n = 0;
	ck_assert_int_eq(sdns_store_log_prune(s, 1, 0, &n, &e), 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM changes"), 1);
	ck_assert_int_eq(q1("SELECT pruned FROM change_head"), newest - 1);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_check_passes_the_runtime_role_only)
{
	sdns_store_close(open_db());
	sdns_store *s = connect_as(ci);
	ck_assert_int_eq(sdns_store_check_runtime(s, &e), 0);
	sdns_store_close(s);

	char owner[1500], super[1500];
	sdns_testpg_owner(ci, owner, sizeof owner);
	s = connect_as(owner);
	ck_assert_int_eq(sdns_store_check_runtime(s, &e), SDNS_EDENIED);
	ck_assert_msg(strstr(e.message, "database role " SDNS_TESTPG_OWNER
	              " owns the audit table") &&
	              strstr(e.message, "could disable the audit triggers"),
	              "%s", e.message);
	sdns_store_close(s);

	sdns_testpg_super(ci, super, sizeof super);
	s = connect_as(super);
	ck_assert_int_eq(sdns_store_check_runtime(s, &e), SDNS_EDENIED);
	ck_assert_msg(strstr(e.message, "is a superuser"), "%s", e.message);
	sdns_store_close(s);
}
END_TEST

/* Roles are the cluster's: created once, whatever the database. */
static void role(const char *name, const char *opts)
{
	char sql[300];
	snprintf(sql, sizeof sql, "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles "
	         "WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN %s; END IF; "
	         "END$$", name, name, opts);
	ck_assert_int_eq(sdns_testpg_exec(ci, sql), 0);
}

START_TEST(test_check_refuses_owner_member_and_extra_privileges)
{
	sdns_store_close(open_db());
	/* a member of the owner may SET ROLE to it and ALTER the table */
	role("sdns_member", "IN ROLE " SDNS_TESTPG_OWNER);
	char as[1500];
	snprintf(as, sizeof as, "%s user=sdns_member", ci);
	sdns_store *s = connect_as(as);
	ck_assert_int_eq(sdns_store_check_runtime(s, &e), SDNS_EDENIED);
	ck_assert_msg(strstr(e.message, "sdns_member owns"), "%s", e.message);
	sdns_store_close(s);

	/* a role granted more than the runtime needs on audit */
	role("sdns_wide", "");
	char owner[1500];
	sdns_testpg_owner(ci, owner, sizeof owner);
	s = connect_as(owner);
	ck_assert_int_eq(sdns_store_grant_runtime(s, "sdns_wide", &e), 0);
	sdns_store_close(s);
	ck_assert_int_eq(sdns_testpg_exec(ci, "GRANT DELETE, TRUNCATE ON audit TO "
	                                  "sdns_wide"), 0);
	snprintf(as, sizeof as, "%s user=sdns_wide", ci);
	s = connect_as(as);
	ck_assert_int_eq(sdns_store_check_runtime(s, &e), SDNS_EDENIED);
	ck_assert_str_eq(e.message, "database role sdns_wide holds DELETE, "
	                 "TRUNCATE on audit: it could rewrite the audit");
	sdns_store_close(s);
}
END_TEST

START_TEST(test_grant_refuses_the_owner_and_unknown_roles)
{
	sdns_store_close(open_db());
	char owner[1500];
	sdns_testpg_owner(ci, owner, sizeof owner);
	sdns_store *s = connect_as(owner);
	ck_assert_int_eq(sdns_store_grant_runtime(s, SDNS_TESTPG_OWNER, &e),
	                 SDNS_ECONFIG);
	ck_assert_msg(strstr(e.message, "must be another role than the owner"),
	              "%s", e.message);
	ck_assert_int_eq(sdns_store_grant_runtime(s, "no_such_role", &e),
	                 SDNS_ECONFIG);
	ck_assert_msg(strstr(e.message, "no_such_role"), "%s", e.message);
	/* again is harmless */
	ck_assert_int_eq(sdns_store_grant_runtime(s, SDNS_TESTPG_APP, &e), 0);
	sdns_store_close(s);
}
END_TEST

/* A later migration grants by adding a row; removing it takes it back. */
START_TEST(test_grants_follow_sdns_runtime_grants)
{
	sdns_store_close(open_db());
	char owner[1500], st[6];
	sdns_testpg_owner(ci, owner, sizeof owner);
	sqlstate(owner, "CREATE TABLE later (id bigint); INSERT INTO "
	         "sdns_runtime_grants VALUES ('later', 'table', 'SELECT')", st);
	ck_assert_str_eq(st, "");
	sqlstate(ci, "SELECT * FROM later", st);
	ck_assert_str_eq(st, "42501");
	sdns_store *s = connect_as(owner);
	ck_assert_int_eq(sdns_store_grant_runtime(s, SDNS_TESTPG_APP, &e), 0);
	sqlstate(ci, "SELECT * FROM later", st);
	ck_assert_str_eq(st, "");
	sqlstate(ci, "INSERT INTO later VALUES (1)", st);
	ck_assert_str_eq(st, "42501");
	sqlstate(owner, "DELETE FROM sdns_runtime_grants WHERE obj = 'later'", st);
	ck_assert_str_eq(st, "");
	ck_assert_int_eq(sdns_store_grant_runtime(s, SDNS_TESTPG_APP, &e), 0);
	sqlstate(ci, "SELECT * FROM later", st);
	ck_assert_str_eq(st, "42501");
	/* the list is the owner's: the runtime may not even read it */
	sqlstate(ci, "SELECT * FROM sdns_runtime_grants", st);
	ck_assert_str_eq(st, "42501");
	sdns_store_close(s);
}
END_TEST

START_TEST(test_schema_check_names_a_missing_migration)
{
	ck_assert_int_eq(sdns_testpg_fresh_db(ci, sizeof ci), 0);
	sdns_store *s = connect_as(ci);
	ck_assert_int_eq(sdns_store_schema_check(s, "migrations", NULL, NULL, &e),
	                 SDNS_ECONFIG);
	ck_assert_str_eq(e.message, "database schema 0 is older than this sdnsd "
	                 "(4): the migrations were not applied");
	/* and the runtime role cannot apply them itself */
	ck_assert_int_ne(sdns_store_migrate(s, "migrations", NULL, &e), 0);
	ck_assert_int_eq(sdns_testpg_migrate(ci, NULL), 0);
	int have = 0, want = 0;
	ck_assert_int_eq(sdns_store_schema_check(s, "migrations", &have, &want, &e),
	                 0);
	ck_assert_int_eq(have, 4);
	ck_assert_int_eq(want, 4);
	sdns_store_close(s);
}
END_TEST

static Suite *roles_suite(void)
{
	Suite *s = suite_create("roles");
	TCase *tc = tcase_create("roles");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
	tcase_add_test(tc, test_runtime_role_cannot_disable_replace_or_rewrite_audit);
	tcase_add_test(tc, test_runtime_role_writes_what_sdnsd_writes_and_triggers_log_it);
	tcase_add_test(tc, test_check_passes_the_runtime_role_only);
	tcase_add_test(tc, test_check_refuses_owner_member_and_extra_privileges);
	tcase_add_test(tc, test_grant_refuses_the_owner_and_unknown_roles);
	tcase_add_test(tc, test_grants_follow_sdns_runtime_grants);
	tcase_add_test(tc, test_schema_check_names_a_missing_migration);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(roles_suite)
