/* Tests for the console side of api/: static files (api/static.c) and the
 * Server-Sent Events stream (api/events.c), over real HTTPS with the
 * certificates of tests/lib/testpki.h and a private PostgreSQL.
 *
 * Like tests/api.c the server runs in this process and the tests run
 * without fork (LeakSanitizer would see the server's memory in a child). */
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdns/api.h"
#include "sdns/error.h"
#include "sdns/store.h"
#include "testhttp.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'none'; frame-ancestors 'none'"
#define INDEX "<!doctype html><title>console</title>\n"
#define SECRET "top secret outside the web root\n"
#define MAX_SUBS 3

static char dir[256], web[300], conninfo[512];
static sdns_api *api;
static uint16_t port;
static sdns_audit_key akey;

static void tls_of(const char *who, char *ca, char *cert, char *key,
                   size_t cap)
{
	snprintf(ca, cap, "%s/ca.pem", dir);
	snprintf(cert, cap, "%s/%s.pem", dir, who ? who : "");
	snprintf(key, cap, "%s/%s.key", dir, who ? who : "");
}

static int req(const char *who, const char *method, const char *path,
               const char *hdrs, const char *body, sdns_http_resp *r)
{
	char ca[300], cert[300], key[300];
	tls_of(who, ca, cert, key, sizeof(ca));
	sdns_http_tls tls = {ca, who ? cert : NULL, who ? key : NULL};
	int rc = sdns_http_request(port, &tls, method, path, hdrs, body,
	                           body ? strlen(body) : 0, r);
	ck_assert_int_eq(rc, 0);
	return r->status;
}

static const char *hdr(const sdns_http_resp *r, const char *name)
{
	static char buf[512];
	return sdns_http_header(r, name, buf, sizeof(buf));
}

static void web_file(const char *name, const char *text)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/%s", web, name);
	ck_assert_int_eq(sdns_test_write_file(path, text), 0);
}

/* ---------- fixture ---------- */

static void setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-console", dir, sizeof(dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(dir), 0);
	snprintf(web, sizeof(web), "%s/web", dir);
	ck_assert_int_eq(mkdir(web, 0755), 0);
	web_file("index.html", INDEX);
	web_file("app.js", "console.log('x');\n");
	web_file("app.css", "body{margin:0}\n");
	web_file("favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
	web_file("tool.exe", "MZ");
	web_file(".hidden.txt", "hidden\n");
	char p[400], q[400];
	snprintf(p, sizeof(p), "%s/secret.txt", dir);
	ck_assert_int_eq(sdns_test_write_file(p, SECRET), 0);
	snprintf(q, sizeof(q), "%s/link.txt", web);
	ck_assert_int_eq(symlink(p, q), 0);
	snprintf(q, sizeof(q), "%s/sub.js", web);
	ck_assert_int_eq(mkdir(q, 0755), 0);

	sdns_testpg_setup();
	ck_assert_int_eq(sdns_testpg_fresh_db(conninfo, sizeof(conninfo)), 0);
	sdns_store *s = NULL;
	sdns_store_err err;
	ck_assert_int_eq(sdns_store_connect(conninfo, &s, &err), 0);
	ck_assert_int_eq(sdns_store_migrate(s, "migrations", NULL, &err), 0);
	sdns_store_close(s);
	ck_assert_int_eq(sdns_audit_key_generate(&akey), 0);

	char cert[300], key[300], ca[300], e[200];
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	sdns_api_conf conf = {
		.listen = "127.0.0.1:0", .cert_path = cert, .key_path = key,
		.ca_path = ca, .mesh = SDNS_TESTPKI_MESH, .conninfo = conninfo,
		.threads = 2, .audit_key = &akey, .web_root = web,
		.max_subscribers = MAX_SUBS, .keepalive_ms = 200,
		.sub_buffer = 4096,
	};
	ck_assert_msg(sdns_api_start(&conf, &api, e, sizeof(e)) == 0, "%s", e);
	port = sdns_api_port(api);
	ck_assert_int_ne(port, 0);
}

static void teardown(void)
{
	sdns_api_stop(api);
	api = NULL;
	sdns_testpg_teardown();
	sdns_test_rmtree(dir);
}

/* ---------- static files ---------- */

START_TEST(test_root_serves_index_with_console_headers)
{
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "GET", "/", NULL, NULL, &r), 200);
	ck_assert_str_eq(r.body, INDEX);
	ck_assert_str_eq(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
	ck_assert_str_eq(hdr(&r, "Cache-Control"), "no-cache");
	ck_assert_str_eq(hdr(&r, "Content-Security-Policy"), CSP);
	ck_assert_str_eq(hdr(&r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(hdr(&r, "Referrer-Policy"), "no-referrer");
	const char *tag = hdr(&r, "ETag");
	ck_assert_ptr_nonnull(tag);
	ck_assert_uint_eq(strlen(tag), 34);
	ck_assert_int_eq(tag[0], '"');
	sdns_http_resp_free(&r);
	ck_assert_int_eq(req("admin", "GET", "/index.html", NULL, NULL, &r),
	                 200);
	ck_assert_str_eq(r.body, INDEX);
	sdns_http_resp_free(&r);
}
END_TEST

START_TEST(test_files_carry_their_content_type)
{
	static const struct { const char *path, *ctype; } want[] = {
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/app.css", "text/css; charset=utf-8"},
		{"/favicon.svg", "image/svg+xml"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		sdns_http_resp r;
		ck_assert_int_eq(req("admin", "GET", want[i].path, NULL, NULL,
		                     &r), 200);
		ck_assert_str_eq(hdr(&r, "Content-Type"), want[i].ctype);
		ck_assert_str_eq(hdr(&r, "Cache-Control"), "no-cache");
		sdns_http_resp_free(&r);
	}
}
END_TEST

START_TEST(test_if_none_match_gives_304_until_the_file_changes)
{
	web_file("etag.css", "a{}\n");
	sdns_http_resp r;
	ck_assert_int_eq(req("client", "GET", "/etag.css", NULL, NULL, &r), 200);
	char tag[64], h[200];
	snprintf(tag, sizeof(tag), "%s", hdr(&r, "ETag"));
	sdns_http_resp_free(&r);

	snprintf(h, sizeof(h), "If-None-Match: %s\r\n", tag);
	ck_assert_int_eq(req("client", "GET", "/etag.css", h, NULL, &r), 304);
	ck_assert_uint_eq(r.body_len, 0);
	ck_assert_str_eq(hdr(&r, "ETag"), tag);
	sdns_http_resp_free(&r);
	snprintf(h, sizeof(h), "If-None-Match: \"x\", W/%s\r\n", tag);
	ck_assert_int_eq(req("client", "GET", "/etag.css", h, NULL, &r), 304);
	sdns_http_resp_free(&r);

	web_file("etag.css", "b{}\n");
	snprintf(h, sizeof(h), "If-None-Match: %s\r\n", tag);
	ck_assert_int_eq(req("client", "GET", "/etag.css", h, NULL, &r), 200);
	ck_assert_str_eq(r.body, "b{}\n");
	ck_assert_str_ne(hdr(&r, "ETag"), tag);
	sdns_http_resp_free(&r);
}
END_TEST

START_TEST(test_traversal_hidden_symlink_dir_and_unknown_types_are_404)
{
	static const char *bad[] = {
		"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
		"/%2e%2e%2fsecret.txt", "/web/../secret.txt", "/.hidden.txt",
		"/link.txt", "/sub.js", "/sub.js/", "/tool.exe", "/nothere.js",
		"/index.html/", "//index.html", "/a%00.js", "/..",
		"/index.html%2f..%2f..%2fsecret.txt",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sdns_http_resp r;
		req("admin", "GET", bad[i], NULL, NULL, &r);
		ck_assert_msg(r.status == 404 || r.status == 400,
		              "%s: %d", bad[i], r.status);
		ck_assert_msg(!strstr(r.body, "secret") &&
		              !strstr(r.body, "hidden"), "%s leaked", bad[i]);
		sdns_http_resp_free(&r);
	}
}
END_TEST

START_TEST(test_no_or_bad_certificate_gets_nothing)
{
	static const char *who[] = {NULL, "rogue", "expired", "othermesh"};
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		sdns_http_resp r;
		req(who[i], "GET", "/", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 401);
		ck_assert_ptr_null(strstr(r.body, "console"));
		sdns_http_resp_free(&r);
		req(who[i], "GET", "/app.js", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 401);
		sdns_http_resp_free(&r);
	}
	/* Any valid role may load the console. */
	static const char *ok[] = {"admin", "node2", "client"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sdns_http_resp r;
		ck_assert_int_eq(req(ok[i], "GET", "/", NULL, NULL, &r), 200);
		sdns_http_resp_free(&r);
	}
}
END_TEST

START_TEST(test_other_methods_on_files_are_405)
{
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "POST", "/index.html", NULL, "{}", &r),
	                 405);
	ck_assert_str_eq(hdr(&r, "Allow"), "GET");
	sdns_http_resp_free(&r);
	/* An API path that is also a file-shaped path lists GET once. */
	ck_assert_int_eq(req("admin", "PATCH", "/zones", NULL, NULL, &r), 405);
	ck_assert_str_eq(hdr(&r, "Allow"), "GET");
	sdns_http_resp_free(&r);
}
END_TEST

static Suite *api_console_suite(void)
{
	Suite *s = suite_create("api_console");
	TCase *tc = tcase_create("console");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_root_serves_index_with_console_headers);
	tcase_add_test(tc, test_files_carry_their_content_type);
	tcase_add_test(tc, test_if_none_match_gives_304_until_the_file_changes);
	tcase_add_test(tc, test_traversal_hidden_symlink_dir_and_unknown_types_are_404);
	tcase_add_test(tc, test_no_or_bad_certificate_gets_nothing);
	tcase_add_test(tc, test_other_methods_on_files_are_405);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_console_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
