/* End to end: the real sdnsctl binary ($BIN/sdnsctl, default bin/) against
 * the real API (sdns_api_start in this process, 127.0.0.1:0) over a private
 * PostgreSQL. sdnsd does not take --db/--api-listen yet, so the API runs
 * here rather than in a daemon. Tests share one database and run in order;
 * the tampering test runs last. */
#include <fcntl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdns/api.h"
#include "sdns/error.h"
#include "sdns/store.h"
#include "testctl.h"
#include "testhttp.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

static void setup(void)
{
	sdns_testctl_setup("sdns-ctlapi");
}

static void teardown(void)
{
	sdns_testctl_teardown();
}

START_TEST(test_zone_create_list_conflict_delete)
{
	ck_assert_int_eq(CTL("zone", "create", "Alpha.Mesh."), 0);
	OUT_HAS("zone alpha.mesh created, serial 1, 1 records");
	ck_assert_int_eq(CTL("zone", "list"), 0);
	OUT_HAS("alpha.mesh");
	ck_assert_int_eq(CTL("zone", "create", "alpha.mesh"), 1);
	ERR_HAS("sdnsctl zone create: 409 conflict: ");
	ck_assert_int_eq(CTL("zone", "delete", "alpha.mesh"), 0);
	OUT_HAS("zone alpha.mesh deleted");
	ck_assert_int_eq(CTL("zone", "delete", "alpha.mesh"), 1);
	ERR_HAS("sdnsctl zone delete: 404 not_found");
}
END_TEST

START_TEST(test_record_add_list_update_delete_with_if_match)
{
	ck_assert_int_eq(CTL("zone", "create", "rec.mesh"), 0);
	ck_assert_int_eq(CTL("record", "add", "rec.mesh", "www", "A", "10.0.0.5",
	                     "--ttl", "60", "--if-match", "1"), 0);
	OUT_HAS("www.rec.mesh");
	OUT_HAS("zone rec.mesh serial 2");
	ck_assert_int_eq(CTL("record", "add", "rec.mesh", "www", "A", "10.0.0.6",
	                     "--if-match", "1"), 1);
	ERR_HAS("sdnsctl record add: 412 precondition_failed");
	ck_assert_int_eq(CTL("record", "list", "rec.mesh", "--json"), 0);
	json_t *j = json_loads(sdns_ctl.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_t *recs = json_object_get(j, "records"), *rec, *www = NULL;
	size_t i;
	json_array_foreach(recs, i, rec)
		if (!strcmp(json_string_value(json_object_get(rec, "type")), "A"))
			www = rec;
	ck_assert_ptr_nonnull(www);
	ck_assert_int_eq(json_integer_value(json_object_get(www, "ttl")), 60);
	char id[32];
	snprintf(id, sizeof(id), "%lld",
	         (long long)json_integer_value(json_object_get(www, "id")));
	json_decref(j);
	ck_assert_int_eq(CTL("record", "update", "rec.mesh", id, "www", "A",
	                     "10.0.0.7"), 0);
	OUT_HAS("10.0.0.7");
	ck_assert_int_eq(CTL("record", "delete", "rec.mesh", id), 0);
	OUT_HAS("deleted from rec.mesh, serial 4");
	ck_assert_int_eq(CTL("record", "list", "rec.mesh"), 0);
	ck_assert_ptr_null(strstr(sdns_ctl.out, "10.0.0.7"));
}
END_TEST

START_TEST(test_bad_value_names_the_field)
{
	ck_assert_int_eq(CTL("zone", "create", "bad.mesh"), 0);
	ck_assert_int_eq(CTL("record", "add", "bad.mesh", "www", "A", "nope"), 1);
	ERR_HAS("sdnsctl record add: 400 invalid_field");
	ERR_HAS("(field value)");
}
END_TEST

START_TEST(test_zone_import_replaces_the_records)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/imp.zone", sdns_ctl.dir);
	ck_assert_int_eq(sdns_test_write_file(path,
		"$TTL 300\n@ SOA ns hostmaster 1 3600 600 1209600 300\n"
		"@ NS ns\nns A 10.1.0.1\nwww A 10.1.0.2\n"), 0);
	ck_assert_int_eq(CTL("zone", "create", "imp.mesh"), 0);
	ck_assert_int_eq(CTL("zone", "import", "imp.mesh", path), 0);
	OUT_HAS("zone imp.mesh: 4 records imported");
	ck_assert_int_eq(CTL("record", "list", "imp.mesh"), 0);
	OUT_HAS("www.imp.mesh");
	OUT_HAS("10.1.0.2");
	ck_assert_int_eq(sdns_test_write_file(path, "@ SOA ns hostmaster 1 2 3 4\n"
	                                      "www A 1.2.3\n"), 0);
	ck_assert_int_eq(CTL("zone", "import", "imp.mesh", path), 1);
	ERR_HAS("sdnsctl zone import: 400 ");
}
END_TEST

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) return NULL;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* export writes what import takes back, BIND's named-checkzone (a tool we
 * did not write) loads it, and a failed export leaves FILE as it was. */
START_TEST(test_zone_export_round_trips_and_bind_loads_it)
{
	char in[300], out[300], cmd[800];
	snprintf(in, sizeof(in), "%s/exp-in.zone", sdns_ctl.dir);
	snprintf(out, sizeof(out), "%s/exp-out.zone", sdns_ctl.dir);
	ck_assert_int_eq(sdns_test_write_file(in,
		"$TTL 300\n@ SOA ns hostmaster 2026010101 3600 600 1209600 300\n"
		"@ NS ns\nns A 10.2.0.1\nwww CNAME ns\n_sip._tcp SRV 0 5 5060 ns\n"
		"t TXT \"two words\" \"and \\\"quotes\\\"\"\n"), 0);
	ck_assert_int_eq(CTL("zone", "create", "exp.mesh"), 0);
	ck_assert_int_eq(CTL("zone", "import", "exp.mesh", in), 0);
	ck_assert_int_eq(CTL("zone", "export", "exp.mesh", out), 0);
	ERR_HAS("zone exp.mesh: exported to ");
	ERR_HAS("serial 2026010101)");
	snprintf(cmd, sizeof cmd, "named-checkzone -q exp.mesh %s", out);
	ck_assert_msg(system(cmd) == 0, "named-checkzone refused:\n%s", slurp(out));
	ck_assert_int_eq(CTL("zone", "export", "exp.mesh"), 0);   /* stdout */
	ck_assert_str_eq(sdns_ctl.out, slurp(out));
	OUT_HAS("\nwww.exp.mesh. 300 IN CNAME ns.exp.mesh.\n");
	OUT_HAS("\nt.exp.mesh. 300 IN TXT \"two words\" \"and \\\"quotes\\\"\"\n");
	/* back in: the same records, the serial one further */
	ck_assert_int_eq(CTL("zone", "import", "exp.mesh", out), 0);
	OUT_HAS("zone exp.mesh: 6 records imported");
	ck_assert_int_eq(CTL("zone", "export", "exp.mesh"), 0);
	char *again = strdup(sdns_ctl.out), *first = strdup(slurp(out));
	char *p = strstr(first, "2026010101"), *q = strstr(again, "2026010102");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	memcpy(p, "2026010102", 10);
	p = strstr(first, "2026010101");  /* header and SOA both carry it */
	ck_assert_ptr_nonnull(p);
	memcpy(p, "2026010102", 10);
	ck_assert_str_eq(again, first);
	free(again);
	free(first);
	/* failures: a zone that is not there, a folder that is not there */
	char *kept = strdup(slurp(out));
	ck_assert_int_eq(CTL("zone", "export", "nothere.mesh", out), 1);
	ERR_HAS("sdnsctl zone export: 404 not_found");
	ck_assert_str_eq(slurp(out), kept);
	free(kept);
	snprintf(out, sizeof(out), "%s/no/such/dir.zone", sdns_ctl.dir);
	ck_assert_int_eq(CTL("zone", "export", "exp.mesh", out), 1);
	ERR_HAS("No such file or directory");
	ck_assert_int_eq(CTL("zone", "export"), 2);
}
END_TEST

/* Over the old 4 MiB limit, from a pipe (no length known: chunked), and
 * with stderr not a terminal: no progress line. */
START_TEST(test_zone_import_streams_from_a_pipe)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/big.zone", sdns_ctl.dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("$TTL 300\n@ SOA ns hostmaster 1 3600 600 1209600 300\n", f);
	for (int i = 0; i < 200000; i++)
		fprintf(f, "host-%06d A 10.%d.%d.%d\n", i, (i >> 16) & 255,
		        (i >> 8) & 255, i & 255);
	ck_assert_uint_gt((unsigned long)ftell(f), 4ul << 20);
	fclose(f);
	ck_assert_int_eq(CTL("zone", "create", "pipe.mesh"), 0);
	sdns_ctl.pipe_from = path;
	int st = CTL("zone", "import", "pipe.mesh", "-");
	sdns_ctl.pipe_from = NULL;
	ck_assert_msg(st == 0, "%s", sdns_ctl.err);
	OUT_HAS("zone pipe.mesh: 200001 records imported from -");
	ck_assert_str_eq(sdns_ctl.err, "");
	ck_assert_int_eq(CTL("zone", "import", "pipe.mesh", path), 0);
	OUT_HAS("zone pipe.mesh: 200001 records imported");
	ck_assert_str_eq(sdns_ctl.err, "");
}
END_TEST

START_TEST(test_roles_and_missing_credentials)
{
	ck_assert_int_eq(CTL_AS("client", "zone", "create", "c.mesh"), 1);
	ERR_HAS("403 forbidden");
	ck_assert_int_eq(CTL_AS("client", "zone", "list"), 0);
	ck_assert_int_eq(CTL_AS("rogue", "zone", "list"), 1);
	ERR_HAS("sdnsctl zone list: ");
	ck_assert_int_eq(CTL_AS(NULL, "zone", "list"), 2);
	ERR_HAS("--cert (or SDNS_CERT) is required");
}
END_TEST

START_TEST(test_transport_errors_and_usage)
{
	ck_assert_int_eq(CTL("zone", "list", "--api", "https://127.0.0.1:1"), 1);
	ERR_HAS("connection refused");
	ck_assert_int_eq(CTL("zone", "list", "--api", "http://127.0.0.1:1"), 2);
	ck_assert_int_eq(CTL("record", "add", "x.mesh", "www"), 2);
	ck_assert_int_eq(CTL("record", "add", "x.mesh", "www", "A", "1.2.3.4",
	                     "--ttl", "-5"), 2);
	ck_assert_int_eq(CTL("zone", "frob"), 2);
}
END_TEST

START_TEST(test_token_enroll_list_revoke)
{
	ck_assert_int_eq(CTL("peer", "token", "--name", "n5", "--role", "node",
	                     "--json"), 0);
	json_t *j = json_loads(sdns_ctl.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	char token[200], nd[300], path[400];
	snprintf(token, sizeof(token), "%s",
	         json_string_value(json_object_get(j, "token")));
	json_decref(j);
	snprintf(nd, sizeof(nd), "%s/n5", sdns_ctl.dir);
	ck_assert_int_eq(CTL_AS(NULL, "enroll", "--token", token, "--dir", nd,
	                        "--doq-endpoint", "127.0.0.1:8853"), 0);
	OUT_HAS("enrolled as spiffe://test.mesh/node/n5");
	static const char *const files[] = {"node.pem", "node.key", "ca.pem",
	                                    "zone.key", "zone.pub"};
	for (size_t i = 0; i < 5; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", nd, files[i]);
		ck_assert_msg(stat(path, &st) == 0, "missing %s", path);
		if (strstr(files[i], ".key"))
			ck_assert_int_eq(st.st_mode & 0777, 0600);
		if (!strcmp(files[i], "zone.key"))
			ck_assert_int_eq(st.st_size, 32);
	}
	/* The new certificate works. */
	snprintf(path, sizeof(path), "%s/node.pem", nd);
	char key[400];
	snprintf(key, sizeof(key), "%s/node.key", nd);
	ck_assert_int_eq(CTL("zone", "list", "--cert", path, "--key", key), 0);
	/* A spent token is refused; the directory is left as it was. */
	char nd2[300];
	snprintf(nd2, sizeof(nd2), "%s/n6", sdns_ctl.dir);
	ck_assert_int_eq(CTL_AS(NULL, "enroll", "--token", token, "--dir", nd2), 1);
	ERR_HAS("sdnsctl enroll: 401 unauthorized");
	ck_assert_int_eq(CTL("peer", "list", "--json"), 0);
	j = json_loads(sdns_ctl.out, 0, NULL);
	json_t *peer, *n5 = NULL;
	size_t i;
	json_array_foreach(json_object_get(j, "peers"), i, peer)
		if (!strcmp(json_string_value(json_object_get(peer, "name")), "n5"))
			n5 = peer;
	ck_assert_ptr_nonnull(n5);
	char id[32];
	snprintf(id, sizeof(id), "%lld",
	         (long long)json_integer_value(json_object_get(n5, "id")));
	json_decref(j);
	ck_assert_int_eq(CTL("peer", "revoke", id), 0);
	OUT_HAS("(node n5) revoked");
}
END_TEST

START_TEST(test_audit_list_and_verify)
{
	ck_assert_int_eq(CTL("audit", "list", "--action", "zone.create",
	                     "--limit", "2"), 0);
	OUT_HAS("zone.create");
	OUT_HAS("spiffe://test.mesh/admin/admin");
	ck_assert_int_eq(CTL("audit", "verify"), 0);
	OUT_HAS("audit chain OK");
}
END_TEST

START_TEST(test_audit_verify_fails_on_a_row_edited_behind_the_api)
{
	ck_assert_int_eq(CTL("zone", "create", "t.mesh"), 0);
	/* The table's owner (not sdnsd's role) may switch its own triggers
	 * off: an insider. */
	char owner[1100];
	sdns_testpg_owner(sdns_ctl.conninfo, owner, sizeof(owner));
	PGconn *db = PQconnectdb(owner);
	ck_assert_int_eq(PQstatus(db), CONNECTION_OK);
	PGresult *res = PQexec(db,
		"ALTER TABLE audit DISABLE TRIGGER USER;"
		"UPDATE audit SET actor = 'spiffe://test.mesh/admin/mallory' "
		"WHERE id = (SELECT min(id) FROM audit);"
		"ALTER TABLE audit ENABLE TRIGGER USER;");
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s",
	              PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
	ck_assert_int_eq(CTL("audit", "verify"), 1);
	ERR_HAS("sdnsctl audit verify: chain broken at entry");
	ERR_HAS("mallory");
}
END_TEST

START_TEST(test_pki_zonekey_and_peer_add)
{
	char zd[300], pub[400], seed[400], peer[400];
	snprintf(zd, sizeof(zd), "%s/zk", sdns_ctl.dir);
	ck_assert_int_eq(mkdir(zd, 0700), 0);
	ck_assert_int_eq(CTL_AS(NULL, "pki", "zonekey", "--out", zd), 0);
	OUT_HAS("zone.pub");
	snprintf(pub, sizeof(pub), "%s/zone.pub", zd);
	snprintf(seed, sizeof(seed), "%s/zone.key", zd);
	struct stat st;
	ck_assert_int_eq(stat(seed, &st), 0);
	ck_assert_int_eq(st.st_size, 32);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Never replaces a key. */
	ck_assert_int_eq(CTL_AS(NULL, "pki", "zonekey", "--out", zd), 1);
	ERR_HAS("File exists");
	snprintf(peer, sizeof(peer), "%s/server.pem", sdns_ctl.dir);
	ck_assert_int_eq(CTL_AS("client", "peer", "add", "--peer-cert", peer,
	                        "--endpoint", "127.0.0.1:8853", "--zone-key",
	                        pub), 1);
	ERR_HAS("403");
	ck_assert_int_eq(CTL("peer", "add", "--peer-cert", peer, "--endpoint",
	                     "127.0.0.1:8853", "--zone-key", pub), 0);
	OUT_HAS("spiffe://test.mesh/node/server at 127.0.0.1:8853 added");
	/* The seed file gives the same public key: the same peer, a 409. */
	ck_assert_int_eq(CTL("peer", "add", "--peer-cert", peer, "--endpoint",
	                     "127.0.0.1:8853", "--zone-key", seed), 1);
	ERR_HAS("409 conflict");
	ck_assert_int_eq(CTL("peer", "add", "--peer-cert", peer, "--endpoint",
	                     "127.0.0.1:8853", "--zone-key", "AAAA"), 2);
	ERR_HAS("--zone-key");
	ck_assert_int_eq(CTL("peer", "add", "--endpoint", "h:1", "--zone-key",
	                     pub), 2);
	ck_assert_int_eq(CTL("peer", "list", "--json"), 0);
	FILE *f = fopen(pub, "r");
	char b64[64] = {0};
	ck_assert_ptr_nonnull(fgets(b64, sizeof(b64), f));
	fclose(f);
	b64[strcspn(b64, "\n")] = 0;
	OUT_HAS(b64);
}
END_TEST

/* One rule of names for sdnsctl and the API (sdns_name_owner_in_zone):
 * each NAME goes through `sdnsctl record add` and through POST on the API;
 * both create the same owner, or both refuse it. */
START_TEST(test_names_mean_the_same_through_cli_and_api)
{
	static const struct { const char *in, *owner; } rule[] = {
		{ "@", "names.mesh" },
		{ "www", "www.names.mesh" },
		{ "WWW2", "www2.names.mesh" },
		{ "a.names.mesh", "a.names.mesh" },
		{ "b.names.mesh.", "b.names.mesh" },
		{ "names.mesh", "names.mesh" },
		{ "mesh", "mesh.names.mesh" },
		{ "x.example.com", NULL },
		{ "x.example.com.", NULL },
		{ "c.sub", NULL },
		{ "a..b", NULL },
	};
	ck_assert_int_eq(CTL("zone", "create", "names.mesh"), 0);
	char ca[300], cert[300], key[300];
	snprintf(ca, sizeof ca, "%s/ca.pem", sdns_ctl.dir);
	snprintf(cert, sizeof cert, "%s/admin.pem", sdns_ctl.dir);
	snprintf(key, sizeof key, "%s/admin.key", sdns_ctl.dir);
	sdns_http_tls tls = { ca, cert, key };
	for (size_t i = 0; i < sizeof rule / sizeof *rule; i++) {
		char cv[40], body[300];
		snprintf(cv, sizeof cv, "\"cli%zu\"", i);
		int cli = CTL("record", "add", "names.mesh", rule[i].in, "TXT", cv,
		              "--json");
		json_t *j = cli == 0 ? json_loads(sdns_ctl.out, 0, NULL) : NULL;
		const char *cli_owner = json_string_value(json_object_get(j, "name"));
		snprintf(body, sizeof body, "{\"name\":\"%s\",\"type\":\"TXT\","
		         "\"value\":\"\\\"api%zu\\\"\"}", rule[i].in, i);
		sdns_http_resp r;
		ck_assert_int_eq(sdns_http_request(sdns_api_port(sdns_ctl.api), &tls,
		                                   "POST", "/zones/names.mesh/records",
		                                   NULL, body, strlen(body), &r), 0);
		json_t *a = json_loads(r.body, 0, NULL);
		const char *api_owner = r.status == 201
			? json_string_value(json_object_get(a, "name")) : NULL;
		if (rule[i].owner) {
			ck_assert_msg(cli == 0 && cli_owner &&
			              !strcmp(cli_owner, rule[i].owner), "cli '%s': %d %s %s",
			              rule[i].in, cli, sdns_ctl.out, sdns_ctl.err);
			ck_assert_msg(api_owner && !strcmp(api_owner, rule[i].owner),
			              "api '%s': %d %s", rule[i].in, r.status, r.body);
		} else {
			ck_assert_msg(cli != 0, "cli took '%s': %s", rule[i].in,
			              sdns_ctl.out);
			ck_assert_msg(strstr(sdns_ctl.err, "400"), "%s", sdns_ctl.err);
			ck_assert_msg(r.status == 400, "api '%s': %d %s", rule[i].in,
			              r.status, r.body);
		}
		json_decref(j);
		json_decref(a);
		sdns_http_resp_free(&r);
	}
}
END_TEST

static Suite *sdnsctl_api_suite(void)
{
	Suite *s = suite_create("sdnsctl_api");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_zone_create_list_conflict_delete);
	tcase_add_test(tc, test_record_add_list_update_delete_with_if_match);
	tcase_add_test(tc, test_bad_value_names_the_field);
	tcase_add_test(tc, test_zone_export_round_trips_and_bind_loads_it);
	tcase_add_test(tc, test_names_mean_the_same_through_cli_and_api);
	tcase_add_test(tc, test_zone_import_replaces_the_records);
	tcase_add_test(tc, test_zone_import_streams_from_a_pipe);
	tcase_add_test(tc, test_roles_and_missing_credentials);
	tcase_add_test(tc, test_transport_errors_and_usage);
	tcase_add_test(tc, test_token_enroll_list_revoke);
	tcase_add_test(tc, test_pki_zonekey_and_peer_add);
	tcase_add_test(tc, test_audit_list_and_verify);
	tcase_add_test(tc, test_audit_verify_fails_on_a_row_edited_behind_the_api);
	suite_add_tcase(s, tc);
	return s;
}

/* No fork: the API's threads live in this process, and a forked test would
 * inherit their heap (store connections) without the threads holding it,
 * which LeakSanitizer reports as leaks at the child's exit. */
int main(void)
{
	SRunner *sr = srunner_create(sdnsctl_api_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
