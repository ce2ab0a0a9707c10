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
#include "testsse.h"

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
	ck_assert_int_eq(sdns_testpg_migrate(conninfo, NULL), 0);
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
		.max_subscribers_per_identity = MAX_SUBS,
		.sub_buffer = 16384,
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

/* ---------- events ---------- */

static int sse_open(sdns_sse *c, const char *who, int rcvbuf)
{
	char ca[300], cert[300], key[300];
	tls_of(who, ca, cert, key, sizeof(ca));
	return sdns_sse_open(c, port, ca, who ? cert : NULL, who ? key : NULL,
	                     "/events", rcvbuf);
}

/* The value of one line of /metrics. */
static long metric(const char *name)
{
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "GET", "/metrics", NULL, NULL, &r), 200);
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(r.body, key);
	long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
	sdns_http_resp_free(&r);
	return v;
}

/* Earlier tests' streams are noticed gone at their next keepalive. */
static void wait_subscribers(long n)
{
	for (int i = 0; i < 500 && metric("sdns_api_events_subscribers") != n;
	     i++)
		usleep(20000);
	ck_assert_int_eq(metric("sdns_api_events_subscribers"), n);
}

/* The JSON data of the next "event: <kind>" whose data starts with
 * {"op":"<op>" (new reference). */
static json_t *next_event(sdns_sse *c, const char *kind, const char *op)
{
	char needle[96];
	snprintf(needle, sizeof(needle), "event: %s\ndata: {\"op\":\"%s\"",
	         kind, op);
	ck_assert_msg(sdns_sse_wait(c, needle, 10000), "no %s %s event in: %s",
	              kind, op, c->body ? c->body : "");
	const char *start = c->body + c->seen - strlen("{\"op\":\"") -
	                    strlen(op) - 1;
	const char *end = strchr(start, '\n');
	ck_assert_ptr_nonnull(end);
	json_t *v = json_loadb(start, (size_t)(end - start), 0, NULL);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(test_events_stream_opens_with_retry_for_any_role)
{
	static const char *who[] = {"admin", "node2", "client"};
	for (size_t i = 0; i < 3; i++) {
		sdns_sse c;
		ck_assert_int_eq(sse_open(&c, who[i], 0), 200);
		ck_assert_ptr_nonnull(strcasestr(c.raw,
			"\r\nContent-Type: text/event-stream"));
		ck_assert_ptr_nonnull(strcasestr(c.raw,
			"\r\nCache-Control: no-store"));
		ck_assert(sdns_sse_wait(&c, "retry: 2000\n\n", 10000));
		ck_assert_uint_eq(c.seen, strlen("retry: 2000\n\n"));
		sdns_sse_close(&c);
	}
}
END_TEST

START_TEST(test_events_without_certificate_are_401)
{
	sdns_sse c;
	ck_assert_int_eq(sse_open(&c, NULL, 0), 401);
	sdns_sse_close(&c);
	ck_assert_int_eq(sse_open(&c, "rogue", 0), 401);
	sdns_sse_close(&c);
}
END_TEST

START_TEST(test_record_write_arrives_as_record_event_with_its_object)
{
	/* A node: it may read the audit entries too (tests/events.c: what
	 * each role sees). */
	sdns_sse c;
	ck_assert_int_eq(sse_open(&c, "node2", 0), 200);
	ck_assert(sdns_sse_wait(&c, "retry: 2000\n\n", 10000));
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "POST", "/zones/ev.test", NULL, NULL,
	                     &r), 201);
	sdns_http_resp_free(&r);
	json_t *z = next_event(&c, "zone", "INSERT");
	ck_assert_str_eq(json_string_value(json_object_get(z, "zone")),
	                 "ev.test");
	json_t *zo = json_object_get(z, "object");
	ck_assert_str_eq(json_string_value(json_object_get(zo, "name")),
	                 "ev.test");
	ck_assert(json_is_integer(json_object_get(zo, "serial")));
	json_decref(z);
	/* The zone's default SOA comes as a record of its own. */
	z = next_event(&c, "record", "INSERT");
	ck_assert_str_eq(json_string_value(json_object_get(
		json_object_get(z, "object"), "type")), "SOA");
	json_decref(z);

	ck_assert_int_eq(req("admin", "POST", "/zones/ev.test/records", NULL,
	                     "{\"name\":\"www.ev.test\",\"type\":\"A\",\"value\":"
	                     "\"10.1.2.3\",\"ttl\":60}", &r), 201);
	json_t *made = json_loadb(r.body, r.body_len, 0, NULL);
	sdns_http_resp_free(&r);
	json_t *e = next_event(&c, "record", "INSERT");
	ck_assert_str_eq(json_string_value(json_object_get(e, "zone")),
	                 "ev.test");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "id")),
	                 json_integer_value(json_object_get(made, "id")));
	ck_assert(json_equal(json_object_get(e, "object"), made));
	json_decref(e);
	e = next_event(&c, "audit", "INSERT");
	json_t *ao = json_object_get(e, "object");
	ck_assert_int_eq(json_integer_value(json_object_get(ao, "id")),
	                 json_integer_value(json_object_get(e, "id")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(ao, "action")));
	json_decref(e);

	char path[100];
	snprintf(path, sizeof(path), "/zones/ev.test/records/%lld",
	         (long long)json_integer_value(json_object_get(made, "id")));
	ck_assert_int_eq(req("admin", "DELETE", path, NULL, NULL, &r), 204);
	sdns_http_resp_free(&r);
	e = next_event(&c, "record", "DELETE");
	ck_assert_str_eq(json_string_value(json_object_get(e, "zone")),
	                 "ev.test");
	ck_assert(json_is_null(json_object_get(e, "object")));
	json_decref(e);
	json_decref(made);

	ck_assert_int_eq(req("admin", "DELETE", "/zones/ev.test", NULL, NULL,
	                     &r), 204);
	sdns_http_resp_free(&r);
	e = next_event(&c, "zone", "DELETE");
	ck_assert_str_eq(json_string_value(json_object_get(e, "zone")),
	                 "ev.test");
	ck_assert(json_is_null(json_object_get(e, "object")));
	json_decref(e);
	sdns_sse_close(&c);
}
END_TEST

START_TEST(test_zone_made_before_anyone_listened_is_named_when_deleted)
{
	wait_subscribers(0);
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "POST", "/zones/early.test", NULL, NULL,
	                     &r), 201);
	sdns_http_resp_free(&r);
	sdns_sse c;
	ck_assert_int_eq(sse_open(&c, "admin", 0), 200);
	ck_assert(sdns_sse_wait(&c, "retry: 2000\n\n", 10000));
	ck_assert_int_eq(req("admin", "DELETE", "/zones/early.test", NULL, NULL,
	                     &r), 204);
	sdns_http_resp_free(&r);
	json_t *e = next_event(&c, "zone", "DELETE");
	ck_assert_str_eq(json_string_value(json_object_get(e, "zone")),
	                 "early.test");
	json_decref(e);
	sdns_sse_close(&c);
}
END_TEST

START_TEST(test_keepalive_comment_arrives_while_idle)
{
	sdns_sse c;
	ck_assert_int_eq(sse_open(&c, "admin", 0), 200);
	ck_assert(sdns_sse_wait(&c, "retry: 2000\n\n", 10000));
	ck_assert(sdns_sse_wait(&c, ": keepalive\n\n", 10000));
	ck_assert(sdns_sse_wait(&c, ": keepalive\n\n", 10000));
	sdns_sse_close(&c);
}
END_TEST

START_TEST(test_subscribers_over_the_limit_get_503)
{
	wait_subscribers(0);
	sdns_sse c[MAX_SUBS + 1];
	for (int i = 0; i < MAX_SUBS; i++)
		ck_assert_int_eq(sse_open(&c[i], "admin", 0), 200);
	ck_assert_int_eq(sse_open(&c[MAX_SUBS], "admin", 0), 503);
	ck_assert(sdns_sse_wait_eof(&c[MAX_SUBS], 10000));
	ck_assert_ptr_nonnull(strstr(c[MAX_SUBS].body, "\"unavailable\""));
	sdns_sse_close(&c[MAX_SUBS]);
	/* A place frees once the server notices a client left. */
	sdns_sse_close(&c[0]);
	wait_subscribers(MAX_SUBS - 1);
	ck_assert_int_eq(sse_open(&c[0], "admin", 0), 200);
	for (int i = 0; i < MAX_SUBS; i++) sdns_sse_close(&c[i]);
}
END_TEST

/* Change log rows the listener turns into small events without a
 * database read (deletes of zones nobody knows): ids from..to, one
 * notification for the lot. */
static void flood(long from, long to)
{
	char sql[800];
	snprintf(sql, sizeof(sql), "BEGIN; SELECT sdns_change_lock(); INSERT INTO "
	         "changes (seq, tbl, op, row_id, zone_id, name) SELECT "
	         "nextval('changes_seq'), 'zones', 'DELETE', g, g, 'flood.mesh' "
	         "FROM generate_series(%ld, %ld) g ORDER BY g; "
	         "SELECT pg_notify('sdns_changes', '{}'); COMMIT", from, to);
	ck_assert_int_eq(sdns_testpg_exec(conninfo, sql), 0);
}

START_TEST(test_slow_subscriber_is_dropped_and_never_blocks_others)
{
	wait_subscribers(0);
	long dropped0 = metric("sdns_api_events_dropped_total");
	sdns_sse slow, fast;
	ck_assert_int_eq(sse_open(&slow, "admin", 2048), 200);
	ck_assert_int_eq(sse_open(&fast, "client", 0), 200);
	/* Batches the fast reader drains in between; slow never reads. */
	long id = 1000000;
	bool dropped = false;
	for (int b = 0; b < 2000 && !dropped; b++) {
		flood(id, id + 99);
		id += 100;
		char marker[40];
		snprintf(marker, sizeof(marker), "\"id\":%ld,", id - 1);
		ck_assert_msg(sdns_sse_wait(&fast, marker, 10000),
		              "fast reader stalled at batch %d", b);
		if (b % 8 == 7)
			dropped = metric("sdns_api_events_dropped_total") > dropped0;
	}
	ck_assert_msg(dropped, "the slow subscriber was never dropped");
	/* The fast one is still served, the slow one's stream has ended. */
	sdns_http_resp r;
	ck_assert_int_eq(req("admin", "POST", "/zones/after.test", NULL, NULL,
	                     &r), 201);
	sdns_http_resp_free(&r);
	json_t *e = next_event(&fast, "zone", "INSERT");
	json_decref(e);
	ck_assert(sdns_sse_wait_eof(&slow, 30000));
	ck_assert_ptr_null(strstr(slow.body, "after.test"));
	ck_assert_int_eq(metric("sdns_api_events_dropped_total"), dropped0 + 1);
	sdns_sse_close(&slow);
	sdns_sse_close(&fast);
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
	tcase_add_test(tc, test_events_stream_opens_with_retry_for_any_role);
	tcase_add_test(tc, test_events_without_certificate_are_401);
	tcase_add_test(tc, test_record_write_arrives_as_record_event_with_its_object);
	tcase_add_test(tc, test_zone_made_before_anyone_listened_is_named_when_deleted);
	tcase_add_test(tc, test_keepalive_comment_arrives_while_idle);
	tcase_add_test(tc, test_subscribers_over_the_limit_get_503);
	tcase_add_test(tc, test_slow_subscriber_is_dropped_and_never_blocks_others);
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
