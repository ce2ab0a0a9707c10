/* Tests for src/util/identity.c: SPIFFE URI parsing and roles. */
#include <string.h>

#include "sdns/error.h"
#include "sdns/identity.h"
#include "testlib.h"

static int parse(const char *uri, sdns_identity *id)
{
	return sdns_identity_parse_uri(uri, strlen(uri), id);
}

START_TEST(test_node_uri_gives_role_mesh_and_name)
{
	sdns_identity id;
	ck_assert_int_eq(parse("spiffe://corp.mesh/node/node-alpha", &id), SDNS_OK);
	ck_assert_int_eq(id.role, SDNS_ROLE_NODE);
	ck_assert_str_eq(id.mesh, "corp.mesh");
	ck_assert_str_eq(id.name, "node-alpha");
	ck_assert_str_eq(id.uri, "spiffe://corp.mesh/node/node-alpha");
}
END_TEST

START_TEST(test_admin_and_client_roles_are_recognised)
{
	sdns_identity id;
	ck_assert_int_eq(parse("spiffe://m/admin/alice", &id), SDNS_OK);
	ck_assert_int_eq(id.role, SDNS_ROLE_ADMIN);
	ck_assert_int_eq(parse("spiffe://m/client/app1", &id), SDNS_OK);
	ck_assert_int_eq(id.role, SDNS_ROLE_CLIENT);
}
END_TEST

START_TEST(test_malformed_uris_are_refused)
{
	static const char *const bad[] = {
		"", "spiffe://", "https://m/node/a", "spiffe://m/node",
		"spiffe://m/root/a", "spiffe://m/node/a/b", "spiffe://M/node/a",
		"spiffe://m/node/", "spiffe:///node/a", "spiffe://m/node/-a",
		"spiffe://m/node/a b", "spiffe://m/node/a\n",
	};
	sdns_identity id;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &id) == SDNS_ESYNTAX, "accepted %s", bad[i]);
}
END_TEST

/* Node x.alpha's zone x.alpha.<mesh> would sit inside node alpha's. */
START_TEST(test_node_name_with_a_dot_is_refused_other_roles_keep_dots)
{
	sdns_identity id;
	ck_assert_int_eq(parse("spiffe://m/node/x.alpha", &id), SDNS_ESYNTAX);
	ck_assert_int_eq(parse("spiffe://m/client/x.alpha", &id), SDNS_OK);
	ck_assert_int_eq(parse("spiffe://m/admin/ops.alice", &id), SDNS_OK);
	char buf[SDNS_ID_URI_MAX];
	ck_assert_int_eq(sdns_identity_format_uri(SDNS_ROLE_NODE, "m", "x.alpha",
	                                          buf, sizeof buf), SDNS_EINVAL);
	ck_assert_int_eq(sdns_identity_check_name(SDNS_ROLE_NODE, "alpha", 5),
	                 SDNS_OK);
	ck_assert_int_eq(sdns_identity_check_name(SDNS_ROLE_CLIENT, "a.b", 3),
	                 SDNS_OK);
}
END_TEST

START_TEST(test_embedded_nul_is_refused)
{
	static const char uri[] = "spiffe://m/node/a\0evil";
	sdns_identity id;
	ck_assert_int_eq(sdns_identity_parse_uri(uri, sizeof(uri) - 1, &id),
	                 SDNS_ESYNTAX);
}
END_TEST

START_TEST(test_format_round_trips)
{
	char buf[SDNS_ID_URI_MAX];
	sdns_identity id;
	ck_assert_int_eq(sdns_identity_format_uri(SDNS_ROLE_CLIENT, "mesh", "c1",
	                                          buf, sizeof(buf)), SDNS_OK);
	ck_assert_str_eq(buf, "spiffe://mesh/client/c1");
	ck_assert_int_eq(parse(buf, &id), SDNS_OK);
	ck_assert_int_eq(sdns_identity_format_uri(SDNS_ROLE_NODE, "Mesh", "c1",
	                                          buf, sizeof(buf)), SDNS_EINVAL);
}
END_TEST

static Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_node_uri_gives_role_mesh_and_name);
	tcase_add_test(tc, test_admin_and_client_roles_are_recognised);
	tcase_add_test(tc, test_malformed_uris_are_refused);
	tcase_add_test(tc, test_node_name_with_a_dot_is_refused_other_roles_keep_dots);
	tcase_add_test(tc, test_embedded_nul_is_refused);
	tcase_add_test(tc, test_format_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(identity_suite)
