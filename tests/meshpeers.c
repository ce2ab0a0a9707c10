/* Tests for src/store/meshpeers.c (the mesh peer set from the nodes table)
 * against a real PostgreSQL (tests/lib/testpg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/meshpeers.h"
#include "testlib.h"
#include "testpg.h"

static char g_ci[512];

static sdns_store *fresh(void)
{
	sdns_store *s = NULL;
	sdns_store_err e = {0};
	ck_assert_int_eq(sdns_testpg_fresh_db(g_ci, sizeof g_ci), 0);
	ck_assert_int_eq(sdns_store_connect(g_ci, &s, &e), 0);
	ck_assert_int_eq(sdns_testpg_migrate(g_ci, NULL), 0);
	return s;
}

/* A node row; key_hex NULL = no zone key, ep NULL = no endpoint. */
static void add_node(const char *name, const char *role, const char *ep,
                     const char *key_hex, const char *status)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "INSERT INTO nodes (name, role, spiffe_id, doq_endpoint, "
	         "cert_pem, cert_sha256, spki_sha256, cert_serial, zone_pubkey, "
	         "status) VALUES ('%s', '%s', 'spiffe://mesh/%s/%s', %s%s%s, 'x', "
	         "sha256('%s'), sha256('%s'), '1', %s%s%s, '%s')",
	         name, role, role, name, ep ? "'" : "", ep ? ep : "NULL",
	         ep ? "'" : "", name, name, key_hex ? "decode('" : "",
	         key_hex ? key_hex : "NULL", key_hex ? "', 'hex')" : "", status);
	ck_assert_int_eq(sdns_testpg_exec(g_ci, sql), 0);
}

#define KEY_A "0101010101010101010101010101010101010101010101010101010101010101"
#define KEY_B "0202020202020202020202020202020202020202020202020202020202020202"

START_TEST(test_only_active_nodes_with_endpoint_and_key)
{
	sdns_store *s = fresh();
	add_node("node-b", "node", "127.0.0.1:8853", KEY_B, "active");
	add_node("node-a", "node", "[::1]:853", KEY_A, "active");
	add_node("gone", "node", "127.0.0.1:1", KEY_A, "revoked");
	add_node("nokey", "node", "127.0.0.1:2", NULL, "active");
	add_node("noep", "node", NULL, KEY_A, "active");
	add_node("emptyep", "node", "", KEY_A, "active");
	add_node("ops", "admin", "127.0.0.1:3", KEY_A, "active");
	sdns_mesh_peer *p = NULL;
	size_t n = 0;
	sdns_store_err e = {0};
	ck_assert_int_eq(sdns_store_mesh_peers(s, &p, &n, &e), SDNS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0].name, "node-a");
	ck_assert_str_eq(p[0].endpoint, "[::1]:853");
	ck_assert_uint_eq(p[0].zone_key[0], 1);
	ck_assert_uint_eq(p[0].zone_key[31], 1);
	ck_assert_str_eq(p[1].name, "node-b");
	ck_assert_str_eq(p[1].endpoint, "127.0.0.1:8853");
	ck_assert_uint_eq(p[1].zone_key[5], 2);
	free(p);
	sdns_store_close(s);
}
END_TEST

START_TEST(test_no_peers_is_empty_not_an_error)
{
	sdns_store *s = fresh();
	sdns_mesh_peer *p = (sdns_mesh_peer *)1;
	size_t n = 7;
	ck_assert_int_eq(sdns_store_mesh_peers(s, &p, &n, NULL), SDNS_OK);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(n, 0);
	sdns_store_close(s);
}
END_TEST

static Suite *meshpeers_suite(void)
{
	Suite *s = suite_create("meshpeers");
	TCase *tc = tcase_create("meshpeers");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, sdns_testpg_setup, sdns_testpg_teardown);
	tcase_add_test(tc, test_only_active_nodes_with_endpoint_and_key);
	tcase_add_test(tc, test_no_peers_is_empty_not_an_error);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(meshpeers_suite)
