/* Tests for api/origin.c: cross-site writes are refused with 403 and
 * nothing written, and write bodies need a content type no HTML form can
 * send. Rows are counted in PostgreSQL itself. The browser's side (a page
 * of another origin in chromium holding the admin certificate) is in
 * tests/browser/console.mjs. Server and clients in this process. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testapi.h"
#include "testlib.h"
#include "testpg.h"

#define REC "{\"name\":\"www.csrf.test\",\"type\":\"A\",\"value\":\"10.6.6.6\"}"
#define ROWS "SELECT count(*) FROM records r JOIN zones z ON z.id = " \
	"r.zone_id WHERE z.name = 'csrf.test'"

static sdns_testapi t;

static void setup(void)
{
	sdns_testapi_setup(&t, "sdns-origin", NULL);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_testapi_req(&t, "admin", "POST", "/zones/csrf.test",
	                                  NULL, NULL, &r), 201);
	sdns_http_resp_free(&r);
}

static void teardown(void) { sdns_testapi_teardown(&t); }

/* Status of the request; for errors the error code must be code. */
static void expect(const char *method, const char *path, const char *hdrs,
                   const char *body, int status, const char *code)
{
	sdns_http_resp r;
	int st = sdns_testapi_req(&t, "admin", method, path, hdrs, body, &r);
	ck_assert_msg(st == status, "%s %s [%s]: %d, want %d: %s", method, path,
	              hdrs ? hdrs : "", st, status, r.body);
	if (code) {
		json_t *v = json_loadb(r.body, r.body_len, 0, NULL);
		json_t *e = json_object_get(v, "error");
		ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
		                 code);
		ck_assert_ptr_nonnull(json_string_value(json_object_get(e,
		                                                    "message")));
		json_decref(v);
	}
	sdns_http_resp_free(&r);
}

static const char *own_origin(void)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "https://127.0.0.1:%u", t.port);
	return buf;
}

START_TEST(test_cross_site_text_plain_post_is_403_and_writes_nothing)
{
	long rows = sdns_testapi_count(&t, ROWS);
	long audit = sdns_testapi_count(&t, "SELECT count(*) FROM audit");
	long refused = sdns_testapi_metric(&t, "sdns_api_cross_site_total");
	/* What a form on evil.example sends (enctype="text/plain"). */
	expect("POST", "/zones/csrf.test/records",
	       "Content-Type: text/plain\r\nOrigin: https://evil.example\r\n",
	       REC, 403, "cross_site");
	/* The JSON type does not make a foreign origin acceptable. */
	expect("POST", "/zones/csrf.test/records",
	       "Content-Type: application/json\r\n"
	       "Origin: https://evil.example\r\n", REC, 403, "cross_site");
	expect("POST", "/zones/csrf.test/records",
	       "Origin: null\r\n", REC, 403, "cross_site");
	expect("POST", "/zones/csrf.test/records",
	       "Origin: http://127.0.0.1\r\n", REC, 403, "cross_site");
	ck_assert_int_eq(sdns_testapi_count(&t, ROWS), rows);
	ck_assert_int_eq(sdns_testapi_count(&t, "SELECT count(*) FROM audit"),
	                 audit);
	ck_assert_int_eq(sdns_testapi_metric(&t, "sdns_api_cross_site_total"),
	                 refused + 4);
}
END_TEST

START_TEST(test_sec_fetch_site_other_than_same_origin_is_403)
{
	long rows = sdns_testapi_count(&t, ROWS);
	char h[256];
	static const char *const sites[] = {"cross-site", "same-site"};
	for (int i = 0; i < 2; i++) {
		/* Even with our own Origin: the browser's verdict wins. */
		snprintf(h, sizeof(h), "Sec-Fetch-Site: %s\r\nOrigin: %s\r\n",
		         sites[i], own_origin());
		expect("POST", "/zones/csrf.test/records", h, REC, 403,
		       "cross_site");
	}
	expect("DELETE", "/zones/csrf.test", "Sec-Fetch-Site: cross-site\r\n",
	       NULL, 403, "cross_site");
	expect("POST", "/zones/evil.test", "Origin: https://evil.example\r\n",
	       NULL, 403, "cross_site");
	ck_assert_int_eq(sdns_testapi_count(&t, ROWS), rows);
	ck_assert_int_eq(sdns_testapi_count(&t,
		"SELECT count(*) FROM zones WHERE name IN ('csrf.test', "
		"'evil.test')"), 1);
}
END_TEST

START_TEST(test_form_content_types_are_415_and_write_nothing)
{
	long rows = sdns_testapi_count(&t, ROWS);
	static const char *const types[] = {
		"text/plain", "text/plain; charset=utf-8",
		"application/x-www-form-urlencoded", "multipart/form-data; "
		"boundary=x", "application/jsonx", "text/dns",
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char h[128];
		snprintf(h, sizeof(h), "Content-Type: %s\r\n", types[i]);
		expect("POST", "/zones/csrf.test/records", h, REC, 415,
		       "unsupported_media_type");
	}
	/* A master file is text/dns and nothing else. */
	expect("POST", "/zones/csrf.test/import", "Content-Type: text/plain\r\n",
	       "@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.9\n", 415,
	       "unsupported_media_type");
	expect("POST", "/zones/csrf.test/import",
	       "Content-Type: application/json\r\n",
	       "@ SOA ns h 1 2 3 4 5\nwww A 10.0.0.9\n", 415,
	       "unsupported_media_type");
	ck_assert_int_eq(sdns_testapi_count(&t, ROWS), rows);
}
END_TEST

START_TEST(test_a_body_without_content_type_is_415)
{
	char ca[300], cert[300], key[300];
	sdns_testapi_files(&t, "admin", ca, cert, key, sizeof(ca));
	sdns_http_tls tls = {ca, cert, key};
	sdns_http_stream *st;
	char h[64];
	snprintf(h, sizeof(h), "Content-Length: %zu\r\n", strlen(REC));
	ck_assert_int_eq(sdns_http_stream_open(t.port, &tls, "POST",
	                 "/zones/csrf.test/records", h, &st), 0);
	ck_assert_int_eq(sdns_http_stream_write(st, REC, strlen(REC)), 0);
	sdns_http_resp r;
	ck_assert_int_eq(sdns_http_stream_finish(st, &r), 0);
	ck_assert_msg(r.status == 415, "%d %s", r.status, r.body);
	sdns_http_resp_free(&r);
}
END_TEST

START_TEST(test_same_origin_console_and_tools_still_write)
{
	long rows = sdns_testapi_count(&t, ROWS);
	char h[256];
	/* The console: its own origin, as chromium sends it. */
	snprintf(h, sizeof(h), "Content-Type: application/json; charset=utf-8"
	         "\r\nOrigin: %s\r\nSec-Fetch-Site: same-origin\r\n",
	         own_origin());
	expect("POST", "/zones/csrf.test/records", h, REC, 201, NULL);
	/* curl and sdnsctl: no Origin, no Sec-Fetch-Site. */
	expect("POST", "/zones/csrf.test/records", NULL,
	       "{\"name\":\"w2.csrf.test\",\"type\":\"A\",\"value\":\"10.6.6.7\"}",
	       201, NULL);
	/* Body-less writes need no Content-Type (no form sends none). */
	expect("POST", "/zones/plain.test", NULL, NULL, 201, NULL);
	expect("DELETE", "/zones/plain.test", NULL, NULL, 204, NULL);
	/* A user typing the URL (navigation) is "none". */
	expect("POST", "/zones/typed.test", "Sec-Fetch-Site: none\r\n", NULL,
	       201, NULL);
	ck_assert_int_eq(sdns_testapi_count(&t, ROWS), rows + 2);
	/* Reads are not writes: a foreign page may not read them anyway. */
	expect("GET", "/zones", "Origin: https://evil.example\r\n"
	       "Sec-Fetch-Site: cross-site\r\n", NULL, 200, NULL);
}
END_TEST

static Suite *origin_suite(void)
{
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("origin");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cross_site_text_plain_post_is_403_and_writes_nothing);
	tcase_add_test(tc, test_sec_fetch_site_other_than_same_origin_is_403);
	tcase_add_test(tc, test_form_content_types_are_415_and_write_nothing);
	tcase_add_test(tc, test_a_body_without_content_type_is_415);
	tcase_add_test(tc, test_same_origin_console_and_tools_still_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(origin_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
