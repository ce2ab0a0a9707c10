/* Tests for api/: the mTLS REST API against a private PostgreSQL, talked to
 * over real HTTPS with the certificates of tests/lib/testpki.h.
 *
 * One unchecked fixture (in the parent process) starts PostgreSQL, migrates,
 * starts the API on 127.0.0.1:0 and registers node "node2"; the tests (forked
 * are clients in the same process (no fork, see main). The database-down
 * test runs last. */
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sdns/api.h"
#include "sdns/error.h"
#include "sdns/pki.h"
#include "sdns/store.h"
#include "testhttp.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

/* The API's --import-max in these tests: small, so that 413 is cheap. */
#define IMPORT_MAX (6u << 20)

static char dir[256], conninfo[512];
static sdns_api *api;
static uint16_t port;
static sdns_audit_key akey;
/* Shared with forked tests: the SPKI hash the callback calls revoked. */
static struct shared {
	int revoked_set;
	uint8_t revoked_spki[32];
} *shared;

static bool is_revoked(void *ctx, const uint8_t spki[32], const char *serial)
{
	(void)ctx, (void)serial;
	return shared->revoked_set && memcmp(spki, shared->revoked_spki, 32) == 0;
}

static size_t metrics(void *ctx, char *buf, size_t cap)
{
	(void)ctx;
	int n = snprintf(buf, cap, "sdns_test_metric 1\n");
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}


/* ---------- requests ---------- */

static int req(const char *who, const char *method, const char *path,
               const char *hdrs, const char *body, sdns_http_resp *r)
{
	char ca[300], cert[300], key[300];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, who ? who : "");
	snprintf(key, sizeof(key), "%s/%s.key", dir, who ? who : "");
	sdns_http_tls tls = {ca, who ? cert : NULL, who ? key : NULL};
	/* Master files go as text/dns, everything else as JSON (testhttp). */
	size_t pl = strlen(path);
	if (!hdrs && body && pl > 7 && strcmp(path + pl - 7, "/import") == 0)
		hdrs = "Content-Type: text/dns\r\n";
	int rc = sdns_http_request(port, &tls, method, path, hdrs, body,
	                           body ? strlen(body) : 0, r);
	ck_assert_int_eq(rc, 0);
	return r->status;
}

static json_t *jbody(const sdns_http_resp *r)
{
	json_t *v = json_loadb(r->body, r->body_len, 0, NULL);
	ck_assert_msg(v != NULL, "not JSON: %s", r->body);
	return v;
}

/* Status, and for errors the code (and field) of the error body. */
static void expect_error(const sdns_http_resp *r, int status,
                         const char *code, const char *field)
{
	ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status,
	              status, r->body);
	json_t *v = jbody(r);
	json_t *e = json_object_get(v, "error");
	ck_assert_int_eq(json_object_size(v), 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(e, "message")));
	if (field)
		ck_assert_str_eq(json_string_value(json_object_get(e, "field")),
		                 field);
	json_decref(v);
}

static void call_expect(const char *who, const char *method, const char *path,
                        const char *hdrs, const char *body, int status,
                        const char *code, const char *field)
{
	sdns_http_resp r;
	req(who, method, path, hdrs, body, &r);
	if (code)
		expect_error(&r, status, code, field);
	else
		ck_assert_msg(r.status == status, "%s %s: %d, want %d: %s",
		              method, path, r.status, status, r.body);
	sdns_http_resp_free(&r);
}

static void make_zone(const char *zone, const char *body)
{
	char path[300];
	snprintf(path, sizeof(path), "/zones/%s", zone);
	call_expect("admin", "POST", path, NULL, body, 201, NULL, NULL);
}

/* POST a record, return its id. */
static int64_t add_record(const char *who, const char *zone, const char *json)
{
	char path[300];
	snprintf(path, sizeof(path), "/zones/%s/records", zone);
	sdns_http_resp r;
	req(who, "POST", path, NULL, json, &r);
	ck_assert_msg(r.status == 201, "add: %d %s", r.status, r.body);
	json_t *v = jbody(&r);
	int64_t id = json_integer_value(json_object_get(v, "id"));
	json_decref(v);
	sdns_http_resp_free(&r);
	return id;
}

static const char *hdr(const sdns_http_resp *r, const char *name)
{
	static char buf[512];
	return sdns_http_header(r, name, buf, sizeof(buf));
}

/* ---------- enrollment helpers ---------- */

static char *make_token(const char *name, const char *role)
{
	char body[200];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"role\":\"%s\"}", name,
	         role);
	sdns_http_resp r;
	req("admin", "POST", "/peers/tokens", NULL, body, &r);
	ck_assert_msg(r.status == 201, "token: %d %s", r.status, r.body);
	json_t *v = jbody(&r);
	char *tok = strdup(json_string_value(json_object_get(v, "token")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(v,
	                                                   "command")), tok));
	json_decref(v);
	sdns_http_resp_free(&r);
	return tok;
}

/* Enroll with a fresh key written as dir/<as>.key; returns the response. */
static void enroll(const char *token, const char *as, sdns_http_resp *r)
{
	char key[300], err[200];
	snprintf(key, sizeof(key), "%s/%s.key", dir, as);
	unlink(key);
	char *csr = NULL;
	ck_assert_int_eq(sdns_pki_make_csr(key, SDNS_KEY_ED25519, as, &csr, err,
	                                   sizeof(err)), 0);
	uint8_t zk[32];
	randombytes_buf(zk, sizeof(zk));
	char zk64[64];
	sodium_bin2base64(zk64, sizeof(zk64), zk, 32,
	                  sodium_base64_VARIANT_ORIGINAL);
	json_t *b = json_pack("{s:s,s:s,s:s}", "token", token, "csr", csr,
	                      "zone_key", zk64);
	char *body = json_dumps(b, 0);
	req(NULL, "POST", "/enroll", NULL, body, r);
	free(body);
	json_decref(b);
	free(csr);
}

/* Enroll and write dir/<as>.pem from the answer; returns the peer id. */
static int64_t enroll_ok(const char *name, const char *role)
{
	char *tok = make_token(name, role);
	sdns_http_resp r;
	enroll(tok, name, &r);
	ck_assert_msg(r.status == 201, "enroll: %d %s", r.status, r.body);
	json_t *v = jbody(&r);
	char path[300];
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	ck_assert_int_eq(sdns_test_write_file(path, json_string_value(
		json_object_get(v, "certificate"))), 0);
	int64_t id = json_integer_value(json_object_get(v, "id"));
	json_decref(v);
	sdns_http_resp_free(&r);
	free(tok);
	return id;
}

/* ---------- fixture ---------- */

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-api", dir, sizeof(dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
	sdns_testpg_setup();
	ck_assert_int_eq(sdns_testpg_fresh_db(conninfo, sizeof(conninfo)), 0);
	sdns_store *s = NULL;
	sdns_store_err err;
	ck_assert_int_eq(sdns_store_connect(conninfo, &s, &err), 0);
	ck_assert_int_eq(sdns_testpg_migrate(conninfo, NULL), 0);
	sdns_store_close(s);
	ck_assert_int_eq(sdns_audit_key_generate(&akey), 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	memset(shared, 0, sizeof(*shared));

	char cert[300], key[300], ca[300], cakey[300], e[200];
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", dir);
	sdns_api_conf conf = {
		.listen = "127.0.0.1:0", .cert_path = cert, .key_path = key,
		.ca_path = ca, .ca_key_path = cakey, .mesh = SDNS_TESTPKI_MESH,
		.conninfo = conninfo, .threads = 4, .audit_key = &akey,
		.import_max = IMPORT_MAX,
		.cb = {.is_revoked = is_revoked, .metrics = metrics},
	};
	ck_assert_msg(sdns_api_start(&conf, &api, e, sizeof(e)) == 0, "%s", e);
	port = sdns_api_port(api);
	ck_assert_int_ne(port, 0);
	/* node2 (testpki's node2.pem) must exist as a node to own zones. */
	ck_assert_int_eq(sdns_testpg_exec(conninfo,
		"INSERT INTO nodes (name, role, spiffe_id, cert_pem, cert_sha256, "
		"spki_sha256, cert_serial) VALUES ('node2', 'node', "
		"'spiffe://test.mesh/node/node2', 'x', sha256('node2'), "
		"sha256('node2-spki'), '1')"), 0);
}

static void teardown(void)
{
	sdns_api_stop(api);
	api = NULL;
	sdns_testpg_teardown();
	munmap(shared, sizeof(*shared));
	sdns_test_rmtree(dir);
}

/* ---------- zones and records ---------- */

START_TEST(test_zone_create_get_list_delete_round_trip)
{
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "POST", "/zones/RT.Test.", NULL, NULL, &r),
	                 201);
	ck_assert_str_eq(hdr(&r, "Location"), "/zones/rt.test");
	ck_assert_str_eq(hdr(&r, "ETag"), "\"1\"");
	ck_assert_str_eq(hdr(&r, "Content-Type"),
	                 "application/json; charset=utf-8");
	ck_assert_str_eq(hdr(&r, "Cache-Control"), "no-store");
	json_t *v = jbody(&r);
	ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "rt.test");
	json_t *soa = json_array_get(json_object_get(v, "records"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(soa, "type")), "SOA");
	json_decref(v);
	sdns_http_resp_free(&r);

	ck_assert_int_eq(req("admin", "GET", "/zones/rt.test", NULL, NULL, &r),
	                 200);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"1\"");
	sdns_http_resp_free(&r);
	ck_assert_int_eq(req("admin", "GET", "/zones", NULL, NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"name\":\"rt.test\""));
	sdns_http_resp_free(&r);
	call_expect("admin", "POST", "/zones/rt.test", NULL, NULL, 409,
	            "conflict", NULL);
	ck_assert_int_eq(req("admin", "DELETE", "/zones/rt.test", NULL, NULL,
	                     &r), 204);
	ck_assert_uint_eq(r.body_len, 0);
	sdns_http_resp_free(&r);
	call_expect("admin", "GET", "/zones/rt.test", NULL, NULL, 404,
	            "not_found", NULL);
}
END_TEST

START_TEST(test_record_add_update_delete_round_trip)
{
	make_zone("rec.test", NULL);
	sdns_http_resp r;
	req("admin", "POST", "/zones/rec.test/records", NULL,
	    "{\"name\":\"www.rec.test\",\"type\":\"A\",\"value\":\"10.0.0.5\"}",
	    &r);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"2\"");
	json_t *v = jbody(&r);
	int64_t id = json_integer_value(json_object_get(v, "id"));
	ck_assert_str_eq(json_string_value(json_object_get(v, "value")),
	                 "10.0.0.5");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "ttl")), 3600);
	json_decref(v);
	char loc[100], path[100];
	snprintf(loc, sizeof(loc), "/zones/rec.test/records/%lld", (long long)id);
	ck_assert_str_eq(hdr(&r, "Location"), loc);
	sdns_http_resp_free(&r);

	req("admin", "PUT", loc, "If-Match: \"2\"\r\n",
	    "{\"name\":\"www.rec.test\",\"type\":\"A\",\"ttl\":60,"
	    "\"value\":\"10.0.0.6\"}", &r);
	ck_assert_msg(r.status == 200, "%s", r.body);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"3\"");
	ck_assert_ptr_nonnull(strstr(r.body, "\"10.0.0.6\""));
	sdns_http_resp_free(&r);
	req("client", "GET", "/zones/rec.test/records", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"10.0.0.6\""));
	ck_assert_ptr_null(strstr(r.body, "\"10.0.0.5\""));
	sdns_http_resp_free(&r);
	req("admin", "DELETE", loc, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"4\"");
	sdns_http_resp_free(&r);
	call_expect("admin", "DELETE", loc, NULL, NULL, 404, "not_found", NULL);
	snprintf(path, sizeof(path), "/zones/rec.test/records/abc");
	call_expect("admin", "DELETE", path, NULL, NULL, 404, "not_found", NULL);
}
END_TEST

START_TEST(test_bad_json_is_400_bad_json)
{
	make_zone("badjson.test", NULL);
	call_expect("admin", "POST", "/zones/badjson.test/records", NULL, "{",
	            400, "bad_json", NULL);
	call_expect("admin", "POST", "/zones/badjson.test/records", NULL,
	            "[1,2]", 400, "bad_json", NULL);
	call_expect("admin", "POST", "/zones/badjson.test/records", NULL, "",
	            400, "bad_json", NULL);
	call_expect("admin", "POST", "/zones/badjson.test/records", NULL,
	            "{\"name\":\"a\",\"name\":\"b\"}", 400, "bad_json", NULL);
}
END_TEST

START_TEST(test_unknown_field_is_400_unknown_field)
{
	make_zone("unknown.test", NULL);
	call_expect("admin", "POST", "/zones/unknown.test/records", NULL,
	            "{\"name\":\"unknown.test\",\"type\":\"A\",\"value\":"
	            "\"10.0.0.1\",\"colour\":\"red\"}", 400, "unknown_field",
	            "colour");
	call_expect("admin", "POST", "/zones/unknown2.test", NULL,
	            "{\"ownr\":\"node2\"}", 400, "unknown_field", "ownr");
}
END_TEST

START_TEST(test_bad_value_is_400_invalid_field_value)
{
	make_zone("value.test", NULL);
	call_expect("admin", "POST", "/zones/value.test/records", NULL,
	            "{\"name\":\"value.test\",\"type\":\"A\",\"value\":"
	            "\"10.0.0.256\"}", 400, "invalid_field", "value");
}
END_TEST

START_TEST(test_wrong_types_nul_and_overlong_strings_are_400)
{
	make_zone("shape.test", NULL);
	const char *p = "/zones/shape.test/records";
	call_expect("admin", "POST", p, NULL,
	            "{\"name\":\"shape.test\",\"type\":\"A\",\"value\":\"10.0.0.1\","
	            "\"ttl\":\"60\"}", 400, "invalid_field", "ttl");
	call_expect("admin", "POST", p, NULL,
	            "{\"name\":\"a\\u0000b\",\"type\":\"A\",\"value\":\"10.0.0.1\"}",
	            400, "invalid_field", "name");
	call_expect("admin", "POST", p, NULL,
	            "{\"name\":\"shape.test\",\"type\":\"A\",\"value\":\"10.0.0.1\","
	            "\"ttl\":-1}", 400, "invalid_field", "ttl");
	call_expect("admin", "POST", p, NULL, "{\"type\":\"A\",\"value\":\"x\"}",
	            400, "invalid_field", "name");
	char *big = malloc(400);
	memset(big, 'a', 399);
	big[399] = '\0';
	char body[600];
	snprintf(body, sizeof(body),
	         "{\"name\":\"%s\",\"type\":\"A\",\"value\":\"10.0.0.1\"}", big);
	call_expect("admin", "POST", p, NULL, body, 400, "invalid_field", "name");
	free(big);
	/* Nothing was written by any of them. */
	sdns_http_resp r;
	req("admin", "GET", "/zones/shape.test", NULL, NULL, &r);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"1\"");
	sdns_http_resp_free(&r);
}
END_TEST

START_TEST(test_unknown_zone_and_record_are_404)
{
	call_expect("admin", "GET", "/zones/nothere.test", NULL, NULL, 404,
	            "not_found", NULL);
	call_expect("admin", "GET", "/zones/nothere.test/records", NULL, NULL,
	            404, "not_found", NULL);
	make_zone("norec.test", NULL);
	call_expect("admin", "PUT", "/zones/norec.test/records/999999", NULL,
	            "{\"name\":\"norec.test\",\"type\":\"A\",\"value\":\"10.0.0.1\"}",
	            404, "not_found", NULL);
	call_expect("admin", "GET", "/nothing/here", NULL, NULL, 404,
	            "not_found", NULL);
}
END_TEST

START_TEST(test_duplicate_and_cname_clash_are_409)
{
	make_zone("dup.test", NULL);
	const char *a = "{\"name\":\"www.dup.test\",\"type\":\"A\",\"value\":"
	                "\"10.0.0.1\"}";
	add_record("admin", "dup.test", a);
	call_expect("admin", "POST", "/zones/dup.test/records", NULL, a, 409,
	            "conflict", NULL);
	call_expect("admin", "POST", "/zones/dup.test/records", NULL,
	            "{\"name\":\"www.dup.test\",\"type\":\"CNAME\",\"value\":"
	            "\"other.dup.test.\"}", 409, "conflict", NULL);
}
END_TEST

START_TEST(test_if_match_mismatch_is_412)
{
	make_zone("match.test", NULL);
	const char *a = "{\"name\":\"match.test\",\"type\":\"A\",\"value\":"
	                "\"10.0.0.1\"}";
	call_expect("admin", "POST", "/zones/match.test/records",
	            "If-Match: \"7\"\r\n", a, 412, "precondition_failed", NULL);
	call_expect("admin", "POST", "/zones/match.test/records",
	            "If-Match: banana\r\n", a, 412, "precondition_failed", NULL);
	call_expect("admin", "POST", "/zones/match.test/records",
	            "If-Match: \"1\"\r\n", a, 201, NULL, NULL);
	call_expect("admin", "DELETE", "/zones/match.test", "If-Match: \"1\"\r\n",
	            NULL, 412, "precondition_failed", NULL);
}
END_TEST

START_TEST(test_oversize_body_is_413)
{
	make_zone("big.test", NULL);
	size_t n = SDNS_API_BODY_MAX + 1;
	char *body = malloc(n + 1);
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	body[n] = '\0';
	call_expect("admin", "POST", "/zones/big.test/records", NULL, body, 413,
	            "too_large", NULL);
	free(body);
}
END_TEST

START_TEST(test_wrong_method_is_405_with_allow)
{
	sdns_http_resp r;
	req("admin", "PATCH", "/zones", NULL, NULL, &r);
	expect_error(&r, 405, "method_not_allowed", NULL);
	ck_assert_str_eq(hdr(&r, "Allow"), "GET");
	sdns_http_resp_free(&r);
	req("admin", "PUT", "/zones/x.test", NULL, "{}", &r);
	expect_error(&r, 405, "method_not_allowed", NULL);
	ck_assert_str_eq(hdr(&r, "Allow"), "GET, POST, DELETE");
	sdns_http_resp_free(&r);
}
END_TEST

/* ---------- roles ---------- */

START_TEST(test_node_writes_only_zones_it_owns)
{
	make_zone("owned.test", "{\"owner\":\"node2\"}");
	make_zone("notmine.test", NULL);
	const char *a = "{\"name\":\"x.owned.test\",\"type\":\"A\",\"value\":"
	                "\"10.0.0.1\"}";
	call_expect("node2", "POST", "/zones/owned.test/records", NULL, a, 201,
	            NULL, NULL);
	call_expect("node2", "POST", "/zones/notmine.test/records", NULL,
	            "{\"name\":\"notmine.test\",\"type\":\"A\",\"value\":"
	            "\"10.0.0.1\"}", 403, "forbidden", NULL);
	call_expect("node2", "POST", "/zones/node2new.test", NULL, NULL, 403,
	            "forbidden", NULL);
	call_expect("node2", "POST", "/peers/tokens", NULL,
	            "{\"name\":\"x\",\"role\":\"admin\"}", 403, "forbidden", NULL);
	call_expect("node2", "GET", "/peers", NULL, NULL, 200, NULL, NULL);
	call_expect("node2", "GET", "/audit", NULL, NULL, 200, NULL, NULL);
}
END_TEST

START_TEST(test_client_reads_but_never_writes)
{
	make_zone("client.test", NULL);
	call_expect("client", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	call_expect("client", "GET", "/zones/client.test", NULL, NULL, 200, NULL,
	            NULL);
	call_expect("client", "GET", "/zones/client.test/records", NULL, NULL,
	            200, NULL, NULL);
	call_expect("client", "GET", "/healthz", NULL, NULL, 200, NULL, NULL);
	call_expect("client", "POST", "/zones/client.test/records", NULL,
	            "{\"name\":\"client.test\",\"type\":\"A\",\"value\":"
	            "\"10.0.0.1\"}", 403, "forbidden", NULL);
	call_expect("client", "DELETE", "/zones/client.test", NULL, NULL, 403,
	            "forbidden", NULL);
	call_expect("client", "GET", "/peers", NULL, NULL, 403, "forbidden",
	            NULL);
	call_expect("client", "GET", "/audit", NULL, NULL, 403, "forbidden",
	            NULL);
}
END_TEST

/* ---------- authentication ---------- */

START_TEST(test_no_certificate_is_401_and_nothing_else)
{
	static const char *const paths[] = {"/zones", "/healthz", "/metrics",
	                                    "/peers", "/nothing"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		sdns_http_resp r;
		req(NULL, "GET", paths[i], NULL, NULL, &r);
		expect_error(&r, 401, "unauthorized", NULL);
		ck_assert_ptr_null(strstr(r.body, "zones\":"));
		ck_assert_str_eq(hdr(&r, "Cache-Control"), "no-store");
		sdns_http_resp_free(&r);
	}
	call_expect(NULL, "POST", "/zones/nocert.test", NULL, NULL, 401,
	            "unauthorized", NULL);
	call_expect(NULL, "GET", "/enroll", NULL, NULL, 401, "unauthorized",
	            NULL);
	call_expect("admin", "GET", "/zones/nocert.test", NULL, NULL, 404,
	            "not_found", NULL);
}
END_TEST

START_TEST(test_bad_certificates_are_401)
{
	static const char *const who[] = {"rogue", "expired", "notyet",
	                                  "serveronly", "nouri", "othermesh",
	                                  "badrole"};
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		sdns_http_resp r;
		req(who[i], "GET", "/zones", NULL, NULL, &r);
		ck_assert_msg(r.status == 401, "%s: %d", who[i], r.status);
		expect_error(&r, 401, "unauthorized", NULL);
		sdns_http_resp_free(&r);
	}
}
END_TEST

static void spki_of(const char *name, uint8_t out[32])
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	FILE *f = fopen(path, "r");
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	ck_assert_int_gt(n, 0);
	unsigned len = 32;
	EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL);
	OPENSSL_free(der);
	X509_free(x);
}

/* The first call leaves the certificate in api/authcache.c: revocation must
 * still be checked on the next request. */
START_TEST(test_revoked_certificate_is_401)
{
	call_expect("client", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	spki_of("client", shared->revoked_spki);
	shared->revoked_set = 1;
	call_expect("client", "GET", "/zones", NULL, NULL, 401, "unauthorized",
	            NULL);
	call_expect("admin", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	shared->revoked_set = 0;
}
END_TEST

/* ---------- enrollment and peers ---------- */

static void check_cert(const char *name, const char *uri)
{
	char path[300], ca[300];
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	FILE *f = fopen(path, "r");
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	X509_STORE *st = X509_STORE_new();
	X509_STORE_load_locations(st, ca, NULL);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, st, x, NULL);
	ck_assert_int_eq(X509_verify_cert(ctx), 1);
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	                                       NULL);
	bool found = false;
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != GEN_URI) continue;
		found = strcmp((const char *)ASN1_STRING_get0_data(
			g->d.uniformResourceIdentifier), uri) == 0;
	}
	ck_assert_msg(found, "no URI SAN %s", uri);
	GENERAL_NAMES_free(sans);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(x);
}

START_TEST(test_enroll_with_fresh_token_gives_certificate_of_its_identity)
{
	char *tok = make_token("newclient", "client");
	sdns_http_resp r;
	enroll(tok, "newclient", &r);
	ck_assert_msg(r.status == 201, "%d %s", r.status, r.body);
	json_t *v = jbody(&r);
	ck_assert_str_eq(json_string_value(json_object_get(v, "spiffe_id")),
	                 "spiffe://test.mesh/client/newclient");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(v, "ca")),
	                             "BEGIN CERTIFICATE"));
	char path[300];
	snprintf(path, sizeof(path), "%s/newclient.pem", dir);
	sdns_test_write_file(path, json_string_value(json_object_get(v,
	                                                  "certificate")));
	json_decref(v);
	sdns_http_resp_free(&r);
	check_cert("newclient", "spiffe://test.mesh/client/newclient");
	call_expect("newclient", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	call_expect("newclient", "POST", "/zones/nc.test", NULL, NULL, 403,
	            "forbidden", NULL);
	/* Reused. */
	enroll(tok, "again", &r);
	expect_error(&r, 401, "unauthorized", NULL);
	sdns_http_resp_free(&r);
	free(tok);
}
END_TEST

START_TEST(test_enroll_refuses_reused_expired_and_forged_tokens)
{
	sdns_http_resp r;
	enroll("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "forged", &r);
	expect_error(&r, 401, "unauthorized", NULL);
	char msg_forged[300];
	snprintf(msg_forged, sizeof(msg_forged), "%s", r.body);
	sdns_http_resp_free(&r);

	char *tok = make_token("late", "client");
	ck_assert_int_eq(sdns_testpg_exec(conninfo, "UPDATE enroll_tokens SET "
	                 "expires_at = now() - interval '1 hour' WHERE name = "
	                 "'late'"), 0);
	enroll(tok, "late", &r);
	expect_error(&r, 401, "unauthorized", NULL);
	/* One message for every bad token. */
	ck_assert_str_eq(r.body, msg_forged);
	sdns_http_resp_free(&r);
	free(tok);
	call_expect(NULL, "POST", "/enroll", NULL, "{\"token\":\"x\"}", 400,
	            "invalid_field", "csr");
}
END_TEST

START_TEST(test_delete_peer_revokes_it)
{
	int64_t id = enroll_ok("revokeme", "client");
	call_expect("revokeme", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	char path[64];
	snprintf(path, sizeof(path), "/peers/%lld", (long long)id);
	sdns_http_resp r;
	req("admin", "DELETE", path, NULL, NULL, &r);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	json_t *v = jbody(&r);
	ck_assert_str_eq(json_string_value(json_object_get(v, "status")),
	                 "revoked");
	json_decref(v);
	sdns_http_resp_free(&r);
	req("admin", "GET", "/peers", NULL, NULL, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "revokeme"));
	sdns_http_resp_free(&r);
	call_expect("admin", "DELETE", path, NULL, NULL, 409, "conflict", NULL);
	call_expect("admin", "DELETE", "/peers/999999", NULL, NULL, 404,
	            "not_found", NULL);
}
END_TEST

/* ---------- audit, health, metrics ---------- */

START_TEST(test_audit_lists_every_step_and_verifies)
{
	make_zone("audit.test", NULL);
	int64_t id = add_record("admin", "audit.test",
	                        "{\"name\":\"audit.test\",\"type\":\"TXT\","
	                        "\"value\":\"\\\"hi\\\"\"}");
	call_expect(NULL, "GET", "/zones", NULL, NULL, 401, "unauthorized", NULL);
	sdns_http_resp r;
	req("admin", "GET", "/audit?action=record.create&limit=1000", NULL, NULL,
	    &r);
	ck_assert_int_eq(r.status, 200);
	char obj[100];
	snprintf(obj, sizeof(obj), "\"record:audit.test/%lld\"", (long long)id);
	ck_assert_msg(strstr(r.body, obj) != NULL, "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "spiffe://test.mesh/admin/admin"));
	sdns_http_resp_free(&r);
	req("admin", "GET", "/audit?action=zone.create&limit=1000", NULL, NULL,
	    &r);
	ck_assert_ptr_nonnull(strstr(r.body, "\"zone:audit.test\""));
	sdns_http_resp_free(&r);
	req("admin", "GET", "/audit?action=auth.refused", NULL, NULL, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "auth.refused"));
	sdns_http_resp_free(&r);
	req("admin", "GET", "/audit/verify", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	json_t *v = jbody(&r);
	ck_assert(json_is_true(json_object_get(v, "ok")));
	ck_assert_int_gt(json_integer_value(json_object_get(v, "checked")), 2);
	json_decref(v);
	sdns_http_resp_free(&r);
	call_expect("admin", "GET", "/audit?limit=0", NULL, NULL, 400,
	            "invalid_field", "limit");
	call_expect("admin", "GET", "/audit?after=x", NULL, NULL, 400,
	            "invalid_field", "after");
}
END_TEST

START_TEST(test_healthz_and_metrics)
{
	sdns_http_resp r;
	req("admin", "GET", "/healthz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"status\":\"ok\",\"database\":\"up\"}");
	sdns_http_resp_free(&r);
	req("client", "GET", "/metrics", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(hdr(&r, "Content-Type"),
	                 "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "sdns_api_requests_total "));
	ck_assert_ptr_nonnull(strstr(r.body, "\nsdns_test_metric 1\n"));
	sdns_http_resp_free(&r);
}
END_TEST

/* ---------- zone import, streamed ---------- */

/* First column of the first row of sql, as a number. */
static long db1(const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	              PQerrorMessage(c));
	long v = PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return v;
}

/* What an import of zone may change: its records and serial, the change
 * log and the audit chain. */
/* The one value sql selects, malloc'd. */
static char *db_text(const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static char *zone_state(const char *zone)
{
	char sql[600];
	snprintf(sql, sizeof(sql), "SELECT concat_ws('|', (SELECT md5(string_agg("
	         "concat_ws(',', r.id, r.name, r.type, r.rdata_text), ';' ORDER BY "
	         "r.id)) FROM records r JOIN zones z ON z.id = r.zone_id WHERE "
	         "z.name = '%s'), (SELECT serial FROM zones WHERE name = '%s'), "
	         "(SELECT count(*) FROM changes), (SELECT count(*) FROM audit))",
	         zone, zone);
	return db_text(sql);
}

static long zone_records(const char *zone)
{
	char sql[300];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM records r JOIN zones z "
	         "ON z.id = r.zone_id WHERE z.name = '%s'", zone);
	return db1(sql);
}

/* Node x.alpha would own x.alpha.<mesh>, inside node alpha's zone. */
START_TEST(test_node_token_with_a_dotted_name_is_refused)
{
	call_expect("admin", "POST", "/peers/tokens", NULL,
	            "{\"name\":\"x.alpha\",\"role\":\"node\"}", 400,
	            "invalid_field", "name");
	ck_assert_int_eq(db1("SELECT count(*) FROM enroll_tokens WHERE "
	                    "name = 'x.alpha'"), 0);
	free(make_token("ops.alice", "client"));
}
END_TEST

/* An import's COPY is running on the server (polled for up to 5 s). */
static bool copy_running(bool want)
{
	for (int i = 0; i < 100; i++) {
		long n = db1("SELECT count(*) FROM pg_stat_activity WHERE query "
		             "LIKE 'COPY records%' AND pid <> pg_backend_pid() "
		             "AND state <> 'idle'");
		if ((n > 0) == want) return true;
		usleep(50000);
	}
	return false;
}

/* $TTL, the SOA, then lines - 2 A records. */
static char *master_file(long lines, size_t *len)
{
	size_t cap = (size_t)lines * 32 + 128, o = 0;
	char *t = malloc(cap);
	ck_assert_ptr_nonnull(t);
	o += (size_t)snprintf(t, cap, "$TTL 300\n@ SOA ns hostmaster 1 3600 600 "
	                      "1209600 300\n");
	for (long k = 3; k <= lines; k++)
		o += (size_t)snprintf(t + o, cap - o, "h%ld A 10.%ld.%ld.%ld\n", k,
		                      (k >> 16) & 255, (k >> 8) & 255, k & 255);
	*len = o;
	return t;
}

static sdns_http_stream *open_import(const char *zone, const char *hdrs)
{
	char ca[300], cert[300], key[300], path[300];
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/admin.pem", dir);
	snprintf(key, sizeof(key), "%s/admin.key", dir);
	snprintf(path, sizeof(path), "/zones/%s/import", zone);
	sdns_http_tls tls = {ca, cert, key};
	/* A master file is text/dns (RFC 4027) unless the test says else. */
	char h[512];
	snprintf(h, sizeof(h), "%s%s", strcasestr(hdrs, "Content-Type:") ? ""
	         : "Content-Type: text/dns\r\n", hdrs);
	sdns_http_stream *st;
	ck_assert_int_eq(sdns_http_stream_open(port, &tls, "POST", path, h,
	                                       &st), 0);
	return st;
}

/* body[0..len) in writes of `piece` bytes (chunked: each its own chunk). */
static void write_pieces(sdns_http_stream *st, const char *body, size_t len,
                         size_t piece, bool chunked)
{
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		char size[32];
		snprintf(size, sizeof(size), "%zx\r\n", n);
		if (chunked) ck_assert_int_eq(sdns_http_stream_write(st, size,
		                                                     strlen(size)), 0);
		ck_assert_int_eq(sdns_http_stream_write(st, body + off, n), 0);
		if (chunked) ck_assert_int_eq(sdns_http_stream_write(st, "\r\n", 2), 0);
	}
}

START_TEST(test_import_streams_a_multi_mib_body_in_many_chunks)
{
	make_zone("imp.test", NULL);
	size_t len;
	char *body = master_file(120000, &len);
	ck_assert_uint_gt(len, 2u << 20);
	char hdrs[100];
	snprintf(hdrs, sizeof(hdrs), "Content-Type: text/dns\r\nContent-Length: "
	         "%zu\r\n", len);
	sdns_http_stream *st = open_import("imp.test", hdrs);
	write_pieces(st, body, len / 2, 8192, false);
	/* half the body in: its records are going into the COPY already,
	 * and nobody sees them before the commit */
	ck_assert(copy_running(true));
	ck_assert_int_eq(zone_records("imp.test"), 1);
	write_pieces(st, body + len / 2, len - len / 2, 8192, false);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_http_stream_finish(st, &r), 0);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	ck_assert_str_eq(hdr(&r, "ETag"), "\"2\"");
	json_t *v = jbody(&r);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "records")), 119999);
	json_decref(v);
	sdns_http_resp_free(&r);
	ck_assert_int_eq(zone_records("imp.test"), 119999);
	free(body);

	/* the same without a Content-Length, in chunked transfer coding */
	body = master_file(3000, &len);
	st = open_import("imp.test", "Content-Type: text/dns\r\n"
	                 "Transfer-Encoding: chunked\r\n");
	write_pieces(st, body, len, 1000, true);
	ck_assert_int_eq(sdns_http_stream_write(st, "0\r\n\r\n", 5), 0);
	ck_assert_int_eq(sdns_http_stream_finish(st, &r), 0);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	sdns_http_resp_free(&r);
	ck_assert_int_eq(zone_records("imp.test"), 2999);
	free(body);
}
END_TEST

/* Every record but the SOA (whose serial an import moves on), in order. */
static char *zone_rrs(const char *zone)
{
	char sql[600];
	snprintf(sql, sizeof(sql), "SELECT string_agg(concat_ws(' ', r.name, r.ttl, "
	         "r.type, r.rdata_text), E'\\n' ORDER BY r.name, r.type, "
	         "r.rdata_text) FROM records r JOIN zones z ON z.id = r.zone_id "
	         "WHERE z.name = '%s' AND r.type <> 6", zone);
	return db_text(sql);
}

START_TEST(test_zone_export_is_a_master_file_that_import_takes_back)
{
	make_zone("exp.test", NULL);
	add_record("admin", "exp.test", "{\"name\":\"www.exp.test\",\"type\":\"A\","
	           "\"value\":\"192.0.2.1\",\"ttl\":300}");
	add_record("admin", "exp.test", "{\"name\":\"t.exp.test\",\"type\":\"TXT\","
	           "\"value\":\"\\\"a b;c\\\" \\\"\\\\\\\"q\\\"\",\"ttl\":60}");
	add_record("admin", "exp.test", "{\"name\":\"exp.test\",\"type\":\"MX\","
	           "\"value\":\"10 mail.exp.test.\"}");
	add_record("admin", "exp.test", "{\"name\":\"*.w.exp.test\",\"type\":\"AAAA\","
	           "\"value\":\"2001:db8::1\"}");
	char *before = zone_rrs("exp.test");
	long serial = db1("SELECT serial FROM zones WHERE name = 'exp.test'");

	sdns_http_resp r; /* a client-role identity may read it, as the records */
	req("client", "GET", "/zones/exp.test", "Accept: text/dns\r\n", NULL, &r);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "text/dns; charset=utf-8");
	ck_assert_str_eq(hdr(&r, "Content-Disposition"),
	                 "attachment; filename=\"exp.test.zone\"");
	char tag[32];
	snprintf(tag, sizeof tag, "\"%ld\"", serial);
	ck_assert_str_eq(hdr(&r, "ETag"), tag);
	ck_assert_ptr_nonnull(strstr(r.body, "\n$ORIGIN exp.test.\n"));
	char soa[200];  /* the first record, with the zone's serial */
	snprintf(soa, sizeof soa, "\n$ORIGIN exp.test.\nexp.test. 3600 IN SOA ");
	ck_assert_msg(strstr(r.body, soa) != NULL, "%s", r.body);
	snprintf(soa, sizeof soa, " %ld 3600 600 1209600 300\n", serial);
	ck_assert_msg(strstr(r.body, soa) != NULL, "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\nwww.exp.test. 300 IN A 192.0.2.1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\n*.w.exp.test. 3600 IN AAAA 2001:db8::1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\nt.exp.test. 60 IN TXT \"a b;c\" \"\\\"q\"\n"));

	/* taken back unchanged; the serial only moves on */
	char *file = strdup(r.body);
	sdns_http_resp_free(&r);
	call_expect("admin", "POST", "/zones/exp.test/import", NULL, file, 200,
	            NULL, NULL);
	char *after = zone_rrs("exp.test");
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(db1("SELECT serial FROM zones WHERE name = 'exp.test'"),
	                 serial + 1);
	free(after);
	free(before);
	free(file);

	/* JSON unless text/dns is asked for first */
	req("admin", "GET", "/zones/exp.test", "Accept: application/json, text/dns\r\n",
	    NULL, &r);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "application/json; charset=utf-8");
	sdns_http_resp_free(&r);
	req("admin", "GET", "/zones/exp.test", "Accept: text/html, */*\r\n", NULL, &r);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "application/json; charset=utf-8");
	sdns_http_resp_free(&r);
	call_expect("admin", "GET", "/zones/nothere.test", "Accept: text/dns\r\n",
	            NULL, 404, "not_found", NULL);
	call_expect(NULL, "GET", "/zones/exp.test", "Accept: text/dns\r\n", NULL,
	            401, "unauthorized", NULL);
}
END_TEST

START_TEST(test_import_over_import_max_is_413_and_changes_nothing)
{
	make_zone("max.test", NULL);
	char *before = zone_state("max.test");
	/* told by Content-Length: refused from the headers */
	size_t n = IMPORT_MAX + 1;
	char *body = malloc(n + 1);
	ck_assert_ptr_nonnull(body);
	memset(body, ';', n);
	memcpy(body, "@ SOA ns h 1 2 3 4 5\n", 21);
	for (size_t i = 100; i < n; i += 100) body[i] = '\n';
	body[n] = '\0';
	call_expect("admin", "POST", "/zones/max.test/import", NULL, body, 413,
	            "too_large", NULL);
	/* chunked: found out on the way, after a part went into the COPY */
	sdns_http_stream *st = open_import("max.test", "Transfer-Encoding: "
	                                   "chunked\r\n");
	write_pieces(st, body, n, 65536, true);
	ck_assert_int_eq(sdns_http_stream_write(st, "0\r\n\r\n", 5), 0);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_http_stream_finish(st, &r), 0);
	expect_error(&r, 413, "too_large", "body");
	sdns_http_resp_free(&r);
	free(body);
	char *after = zone_state("max.test");
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
}
END_TEST

START_TEST(test_client_gone_mid_import_leaves_nothing)
{
	make_zone("gone.test", NULL);
	char *before = zone_state("gone.test");
	size_t len;
	char *body = master_file(100000, &len);
	char hdrs[64];
	snprintf(hdrs, sizeof(hdrs), "Content-Length: %zu\r\n", len);
	sdns_http_stream *st = open_import("gone.test", hdrs);
	write_pieces(st, body, len / 2, 16384, false);
	ck_assert(copy_running(true));
	sdns_http_stream_abort(st);
	/* the server notices, rolls back and closes its connection */
	ck_assert(copy_running(false));
	char *after = zone_state("gone.test");
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	/* nothing is left locked either */
	sdns_http_resp r;
	req("admin", "POST", "/zones/gone.test/import",
	    "Content-Type: text/dns\r\n",
	    "@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.1\n", &r);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	sdns_http_resp_free(&r);
	ck_assert_int_eq(zone_records("gone.test"), 2);
	free(body);
}
END_TEST

/* The zone row stays locked while an import streams: writes to it are
 * refused at once rather than queued behind it (on the import's own pool
 * thread they would wait forever). */
START_TEST(test_writes_during_an_import_are_409_not_a_wait)
{
	make_zone("busy.test", NULL);
	make_zone("free.test", NULL);
	size_t len;
	char *body = master_file(60000, &len);
	char hdrs[64];
	snprintf(hdrs, sizeof(hdrs), "Content-Length: %zu\r\n", len);
	sdns_http_stream *st = open_import("busy.test", hdrs);
	write_pieces(st, body, len / 2, 16384, false);
	ck_assert(copy_running(true));
	const char *a = "{\"name\":\"x.busy.test\",\"type\":\"A\",\"value\":"
	                "\"10.0.0.1\"}";
	for (int i = 0; i < 8; i++) /* on every pool thread */
		call_expect("admin", "POST", "/zones/busy.test/records", NULL, a, 409,
		            "conflict", NULL);
	call_expect("admin", "DELETE", "/zones/Busy.Test.", NULL, NULL, 409,
	            "conflict", NULL);
	call_expect("admin", "POST", "/zones/busy.test/import", NULL,
	            "@ SOA ns h 1 2 3 4 5\n", 409, "conflict", NULL);
	add_record("admin", "free.test", "{\"name\":\"x.free.test\",\"type\":"
	           "\"A\",\"value\":\"10.0.0.1\"}");
	write_pieces(st, body + len / 2, len - len / 2, 16384, false);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_http_stream_finish(st, &r), 0);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	sdns_http_resp_free(&r);
	free(body);
	add_record("admin", "busy.test", a);
	ck_assert_int_eq(zone_records("busy.test"), 60000);
}
END_TEST

START_TEST(test_import_errors_have_their_status_and_line)
{
	make_zone("bad.test", NULL);
	char *before = zone_state("bad.test");
	sdns_http_resp r;
	req("admin", "POST", "/zones/bad.test/import",
	    "Content-Type: text/dns\r\n",
	    "@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.1\nwww A 10.0.0.256\n", &r);
	expect_error(&r, 400, "invalid_field", "body");
	ck_assert_ptr_nonnull(strstr(r.body, "\"line 3: bad IPv4 address"));
	sdns_http_resp_free(&r);
	call_expect("admin", "POST", "/zones/bad.test/import", NULL,
	            "@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.1\nwww CNAME x.\n", 409,
	            "conflict", "body");
	call_expect("admin", "POST", "/zones/bad.test/import", NULL,
	            "www A 10.0.0.1\n", 409, "conflict", "body");
	call_expect("admin", "POST", "/zones/bad.test/import",
	            "If-Match: \"7\"\r\nContent-Type: text/dns\r\n",
	            "@ SOA ns h 1 2 3 4 5\n", 412,
	            "precondition_failed", NULL);
	call_expect("admin", "POST", "/zones/nowhere.test/import", NULL,
	            "@ SOA ns h 1 2 3 4 5\n", 404, "not_found", NULL);
	call_expect("node2", "POST", "/zones/bad.test/import", NULL,
	            "@ SOA ns h 1 2 3 4 5\n", 403, "forbidden", NULL);
	char *after = zone_state("bad.test");
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
}
END_TEST

/* Every route of the table has its path key and method in the YAML. */
START_TEST(test_every_route_is_in_openapi)
{
	FILE *f = fopen("api/openapi.yaml", "r");
	ck_assert_ptr_nonnull(f);
	static char yaml[1 << 18];
	size_t n = fread(yaml, 1, sizeof(yaml) - 1, f);
	fclose(f);
	yaml[n] = '\0';
	size_t nr;
	const sdns_api_route *rt = sdns_api_routes(&nr);
	ck_assert_uint_ge(nr, 17);
	for (size_t i = 0; i < nr; i++) {
		char key[200], meth[16];
		snprintf(key, sizeof(key), "\n  %s:\n", rt[i].path);
		const char *p = strstr(yaml, key);
		ck_assert_msg(p != NULL, "path %s missing", rt[i].path);
		p += strlen(key);
		/* The path's block runs to the next two-space key. */
		const char *end = strstr(p, "\n  /");
		if (!end) end = strstr(p, "\ncomponents:");
		size_t ml = strlen(rt[i].method);
		for (size_t k = 0; k <= ml; k++)
			meth[k] = (char)(k < ml ? rt[i].method[k] + 32 : '\0');
		char mkey[32];
		snprintf(mkey, sizeof(mkey), "\n    %s:\n", meth);
		const char *m = strstr(p - 1, mkey);
		ck_assert_msg(m && (!end || m < end), "%s %s missing",
		              rt[i].method, rt[i].path);
	}
}
END_TEST

/* Last: stops and restarts the shared database. */
START_TEST(test_database_down_gives_503_then_recovers)
{
	make_zone("down.test", NULL);
	ck_assert_int_eq(sdns_testpg_stop_server(), 0);
	const char *a = "{\"name\":\"down.test\",\"type\":\"A\",\"value\":"
	                "\"10.0.0.9\"}";
	call_expect("admin", "POST", "/zones/down.test/records", NULL, a, 503,
	            "unavailable", NULL);
	call_expect("admin", "POST", "/zones/down.test/import", NULL,
	            "@ SOA ns h 1 2 3 4 5\n", 503, "unavailable", NULL);
	sdns_http_resp r;
	req("admin", "GET", "/healthz", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_ptr_nonnull(strstr(r.body, "\"database\":\"down\""));
	sdns_http_resp_free(&r);
	call_expect("admin", "GET", "/zones", NULL, NULL, 503, "unavailable",
	            NULL);
	ck_assert_int_eq(sdns_testpg_start_server(), 0);
	sleep(2);  /* so every pool thread's connection counts as idle */
	for (int i = 0; i < 8; i++)
		call_expect("admin", "GET", "/zones", NULL, NULL, 200, NULL, NULL);
	call_expect("admin", "POST", "/zones/down.test/records", NULL, a, 201,
	            NULL, NULL);
	call_expect("admin", "GET", "/healthz", NULL, NULL, 200, NULL, NULL);
}
END_TEST

/* POST /peers: a node certified elsewhere, by certificate + zone key. */
static char *peer_body(const char *pem_file, const char *zone_key)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", dir, pem_file);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char pem[8192] = {0};
	ck_assert_uint_gt(fread(pem, 1, sizeof(pem) - 1, f), 0);
	fclose(f);
	json_t *b = json_pack("{s:s,s:s,s:s}", "certificate", pem,
	                      "doq_endpoint", "127.0.0.1:8853", "zone_key",
	                      zone_key);
	char *txt = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return txt;
}

START_TEST(test_post_peers_registers_node_once_admin_only)
{
	const char *zk = "BwcHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char *ok = peer_body("server.pem", zk);
	call_expect("node2", "POST", "/peers", NULL, ok, 403, "forbidden", NULL);
	sdns_http_resp r;
	req("admin", "POST", "/peers", NULL, ok, &r);
	ck_assert_msg(r.status == 201, "%d %s", r.status, r.body);
	json_t *v = jbody(&r);
	ck_assert_str_eq(json_string_value(json_object_get(v, "spiffe_id")),
	                 "spiffe://test.mesh/node/server");
	ck_assert_ptr_nonnull(strstr(hdr(&r, "Location"), "/peers/"));
	json_decref(v);
	sdns_http_resp_free(&r);
	call_expect("admin", "POST", "/peers", NULL, ok, 409, "conflict", NULL);
	free(ok);
	char *client = peer_body("client.pem", zk);
	call_expect("admin", "POST", "/peers", NULL, client, 400,
	            "invalid_field", "certificate");
	free(client);
	char *rogue = peer_body("rogue.pem", zk);
	call_expect("admin", "POST", "/peers", NULL, rogue, 400,
	            "invalid_field", "certificate");
	free(rogue);
	char *badkey = peer_body("node2.pem", "AAAA");
	call_expect("admin", "POST", "/peers", NULL, badkey, 400,
	            "invalid_field", "zone_key");
	free(badkey);
	req("admin", "GET", "/audit?action=peer.add", NULL, NULL, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "peer.add"));
	sdns_http_resp_free(&r);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_zone_create_get_list_delete_round_trip);
	tcase_add_test(tc, test_record_add_update_delete_round_trip);
	tcase_add_test(tc, test_bad_json_is_400_bad_json);
	tcase_add_test(tc, test_unknown_field_is_400_unknown_field);
	tcase_add_test(tc, test_bad_value_is_400_invalid_field_value);
	tcase_add_test(tc, test_wrong_types_nul_and_overlong_strings_are_400);
	tcase_add_test(tc, test_unknown_zone_and_record_are_404);
	tcase_add_test(tc, test_duplicate_and_cname_clash_are_409);
	tcase_add_test(tc, test_if_match_mismatch_is_412);
	tcase_add_test(tc, test_oversize_body_is_413);
	tcase_add_test(tc, test_wrong_method_is_405_with_allow);
	tcase_add_test(tc, test_node_writes_only_zones_it_owns);
	tcase_add_test(tc, test_client_reads_but_never_writes);
	tcase_add_test(tc, test_no_certificate_is_401_and_nothing_else);
	tcase_add_test(tc, test_bad_certificates_are_401);
	tcase_add_test(tc, test_revoked_certificate_is_401);
	tcase_add_test(tc, test_enroll_with_fresh_token_gives_certificate_of_its_identity);
	tcase_add_test(tc, test_node_token_with_a_dotted_name_is_refused);
	tcase_add_test(tc, test_enroll_refuses_reused_expired_and_forged_tokens);
	tcase_add_test(tc, test_delete_peer_revokes_it);
	tcase_add_test(tc, test_audit_lists_every_step_and_verifies);
	tcase_add_test(tc, test_healthz_and_metrics);
	tcase_add_test(tc, test_post_peers_registers_node_once_admin_only);
	tcase_add_test(tc, test_import_streams_a_multi_mib_body_in_many_chunks);
	tcase_add_test(tc, test_import_over_import_max_is_413_and_changes_nothing);
	tcase_add_test(tc, test_zone_export_is_a_master_file_that_import_takes_back);
	tcase_add_test(tc, test_client_gone_mid_import_leaves_nothing);
	tcase_add_test(tc, test_import_errors_have_their_status_and_line);
	tcase_add_test(tc, test_writes_during_an_import_are_409_not_a_wait);
	tcase_add_test(tc, test_every_route_is_in_openapi);
	tcase_add_test(tc, test_database_down_gives_503_then_recovers);
	suite_add_tcase(s, tc);
	return s;
}

/* Not SDNS_TEST_MAIN: the server's threads live in this process, and a
 * forked test child would hold their memory without the threads, which
 * LeakSanitizer reports as leaks. The tests run in-process instead. */
int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
