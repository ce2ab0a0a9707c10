/* Tests for api/events.c that are about who gets what: events filtered by
 * the subscriber's role exactly as the REST routes filter, streams of a
 * revoked identity ended at once, and the per-identity subscriber cap.
 * (The stream mechanics — keepalive, slow readers — are in
 * tests/api_console.c.) Server and clients run in this process, no fork. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testapi.h"
#include "testlib.h"
#include "testpg.h"
#include "testsse.h"

#define MAX_SUBS 5
#define PER_ID 2

static sdns_testapi t;

static void tune(sdns_api_conf *c)
{
	c->max_subscribers = MAX_SUBS;
	c->max_subscribers_per_identity = PER_ID;
	c->keepalive_ms = 200;
}

static void setup(void) { sdns_testapi_setup(&t, "sdns-events", tune); }
static void teardown(void) { sdns_testapi_teardown(&t); }

static int sse_open(sdns_sse *c, const char *who)
{
	char ca[300], cert[300], key[300];
	sdns_testapi_files(&t, who, ca, cert, key, sizeof(ca));
	int st = sdns_sse_open(c, t.port, ca, cert, key, "/events", 0);
	if (st == 200) ck_assert(sdns_sse_wait(c, "retry: 2000\n\n", 10000));
	return st;
}

static int call(const char *who, const char *method, const char *path,
                const char *body)
{
	sdns_http_resp r;
	int st = sdns_testapi_req(&t, who, method, path, NULL, body, &r);
	sdns_http_resp_free(&r);
	return st;
}

/* Earlier tests' streams are noticed gone at their next keepalive. */
static void wait_subscribers(long n)
{
	for (int i = 0; i < 500 &&
	     sdns_testapi_metric(&t, "sdns_api_events_subscribers") != n; i++)
		usleep(20000);
	ck_assert_int_eq(sdns_testapi_metric(&t, "sdns_api_events_subscribers"),
	                 n);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_client_stream_carries_no_audit_or_peer_objects)
{
	wait_subscribers(0);
	/* What REST refuses the client ... */
	ck_assert_int_eq(call("client", "GET", "/audit", NULL), 403);
	ck_assert_int_eq(call("client", "GET", "/peers", NULL), 403);
	ck_assert_int_eq(call("node2", "GET", "/audit", NULL), 200);
	sdns_sse client, node;
	ck_assert_int_eq(sse_open(&client, "client"), 200);
	ck_assert_int_eq(sse_open(&node, "node2"), 200);
	/* ... a zone with its audit entry, a new peer, then a marker. */
	ck_assert_int_eq(call("admin", "POST", "/zones/role.test", NULL), 201);
	ck_assert_int_eq(sdns_testpg_exec(t.conninfo,
		"INSERT INTO nodes (name, role, spiffe_id, cert_pem, cert_sha256, "
		"spki_sha256, cert_serial) VALUES ('node7', 'node', "
		"'spiffe://test.mesh/node/node7', 'x', sha256('node7'), "
		"sha256('node7-spki'), '7')"), 0);
	ck_assert_int_eq(call("admin", "POST", "/zones/marker.test", NULL), 201);
	/* The node sees all of it, as GET /audit and GET /peers show it. */
	ck_assert(sdns_sse_wait(&node, "event: audit\ndata: {\"op\":\"INSERT\"",
	                        10000));
	ck_assert(sdns_sse_wait(&node, "event: peer\ndata: {\"op\":\"INSERT\"",
	                        10000));
	ck_assert(sdns_sse_wait(&node, "\"zone\":\"marker.test\"", 10000));
	/* The client gets the zones and records, and nothing else. */
	ck_assert(sdns_sse_wait(&client, "\"zone\":\"marker.test\"", 10000));
	ck_assert_ptr_nonnull(strstr(client.body, "event: zone\n"));
	ck_assert_ptr_nonnull(strstr(client.body, "event: record\n"));
	ck_assert_msg(!strstr(client.body, "event: audit") &&
	              !strstr(client.body, "event: peer") &&
	              !strstr(client.body, "node7") &&
	              !strstr(client.body, "\"signer_pub\""),
	              "client got: %s", client.body);
	sdns_sse_close(&client);
	sdns_sse_close(&node);
}
END_TEST

START_TEST(test_one_identity_cannot_take_every_slot)
{
	wait_subscribers(0);
	sdns_sse c[PER_ID + 1], other[PER_ID];
	for (int i = 0; i < PER_ID; i++)
		ck_assert_int_eq(sse_open(&c[i], "client"), 200);
	ck_assert_int_eq(sse_open(&c[PER_ID], "client"), 429);
	ck_assert(sdns_sse_wait_eof(&c[PER_ID], 10000));
	ck_assert_ptr_nonnull(strstr(c[PER_ID].body, "\"too_many_requests\""));
	sdns_sse_close(&c[PER_ID]);
	/* Others still subscribe. */
	for (int i = 0; i < PER_ID; i++)
		ck_assert_int_eq(sse_open(&other[i], "admin"), 200);
	/* The client's place frees when one of its streams goes. */
	sdns_sse_close(&c[0]);
	wait_subscribers(2 * PER_ID - 1);
	ck_assert_int_eq(sse_open(&c[0], "client"), 200);
	for (int i = 0; i < PER_ID; i++) {
		sdns_sse_close(&c[i]);
		sdns_sse_close(&other[i]);
	}
}
END_TEST

/* Last: node2 stays revoked. */
START_TEST(test_revocation_ends_the_identitys_open_streams)
{
	wait_subscribers(0);
	long closed0 = sdns_testapi_metric(&t,
		"sdns_api_events_closed_revoked_total");
	sdns_sse node, admin;
	ck_assert_int_eq(sse_open(&node, "node2"), 200);
	ck_assert_int_eq(sse_open(&admin, "admin"), 200);
	char path[64];
	snprintf(path, sizeof(path), "/peers/%lld", (long long)t.node2_id);
	int64_t t0 = now_ms();
	ck_assert_int_eq(call("admin", "DELETE", path, NULL), 200);
	ck_assert_msg(sdns_sse_wait_eof(&node, 2000),
	              "node2's stream still open 2 s after its revocation");
	int64_t took = now_ms() - t0;
	fprintf(stderr, "events: revoked stream ended %lld ms after DELETE "
	        "/peers/%lld\n", (long long)took, (long long)t.node2_id);
	ck_assert_int_eq(sdns_testapi_metric(&t,
		"sdns_api_events_closed_revoked_total"), closed0 + 1);
	/* Everyone else's stream goes on. */
	ck_assert_int_eq(call("admin", "POST", "/zones/after.test", NULL), 201);
	ck_assert(sdns_sse_wait(&admin, "\"zone\":\"after.test\"", 10000));
	ck_assert(!admin.eof);
	sdns_sse_close(&node);
	sdns_sse_close(&admin);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_stream_carries_no_audit_or_peer_objects);
	tcase_add_test(tc, test_one_identity_cannot_take_every_slot);
	tcase_add_test(tc, test_revocation_ends_the_identitys_open_streams);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
