/* Tests for src/apiclient: the HTTPS client against a tiny in-process
 * HTTPS server (OpenSSL, one thread, one connection per test) that checks
 * the client certificate against the test CA, records the request and
 * answers a canned response. Certificates come from tests/lib/testpki.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sdns/apiclient.h"
#include "sdns/error.h"
#include "testlib.h"
#include "testpki.h"

static char g_dir[256];

/* --- the test server --- */

typedef struct {
	int lfd, stop[2];
	int family;
	char port[8];
	const char *cert;           /* base name in g_dir: "server", "rogue" */
	const char *response;       /* NULL: read the request, then never answer */
	size_t response_len;
	pthread_t th;
	/* what the server saw */
	char request[8192];
	size_t request_len;
	char peer_cn[64];
	bool handshake_ok;
	/* keep-alive tests: connections to accept (0 = 1) and requests to
	 * answer on each (0 = 1); accepts counts the handshakes, requests
	 * the requests answered */
	int conns, per_conn, accepts, requests;
} test_srv;

static test_srv g_s;

static void path_of(char *buf, size_t cap, const char *base, const char *ext)
{
	snprintf(buf, cap, "%s/%s.%s", g_dir, base, ext);
}

static SSL_CTX *server_ctx(const char *base)
{
	char cert[512], key[512], ca[512];
	path_of(cert, sizeof(cert), base, "pem");
	path_of(key, sizeof(key), base, "key");
	path_of(ca, sizeof(ca), "ca", "pem");
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate_chain_file(ctx, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	/* Request a certificate; verify it when given, as the API does. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* Reads the request head and its Content-Length body into g_s.request. */
static void read_request(SSL *ssl)
{
	size_t want = 0;
	char *end = NULL;
	while (g_s.request_len < sizeof(g_s.request) - 1) {
		int n = SSL_read(ssl, g_s.request + g_s.request_len,
		                 (int)(sizeof(g_s.request) - 1 - g_s.request_len));
		if (n <= 0)
			return;
		g_s.request_len += (size_t)n;
		g_s.request[g_s.request_len] = '\0';
		if (!end && (end = strstr(g_s.request, "\r\n\r\n"))) {
			const char *cl = strstr(g_s.request, "Content-Length: ");
			want = (size_t)(end + 4 - g_s.request) +
			       (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
		}
		if (end && g_s.request_len >= want)
			return;
	}
}

static void record_peer(SSL *ssl)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	if (!peer)
		return;
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
	                          g_s.peer_cn, sizeof(g_s.peer_cn));
	X509_free(peer);
}

/* One connection: the handshake, then per_conn requests answered. */
static void serve_conn(int fd)
{
	SSL_CTX *ctx = server_ctx(g_s.cert);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		g_s.handshake_ok = true;
		g_s.accepts++;
		record_peer(ssl);
		for (int i = 0; i < (g_s.per_conn ? g_s.per_conn : 1); i++) {
			g_s.request_len = 0;
			read_request(ssl);
			if (!g_s.response) {
				struct pollfd s = {.fd = g_s.stop[0], .events = POLLIN};
				poll(&s, 1, -1);
				break;
			}
			SSL_write(ssl, g_s.response, (int)g_s.response_len);
			g_s.requests++;
		}
		if (g_s.response)
			SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < (g_s.conns ? g_s.conns : 1); i++) {
		struct pollfd p[2] = {{.fd = g_s.lfd, .events = POLLIN},
		                      {.fd = g_s.stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) <= 0 || !(p[0].revents & POLLIN))
			return NULL;
		int fd = accept(g_s.lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		serve_conn(fd);
	}
	return NULL;
}

/* Listens on addr (port 0) with certificate `cert`, answering `resp`. */
static void srv_start2(const char *addr, const char *cert, const char *resp,
                       size_t resp_len, int conns, int per_conn)
{
	memset(&g_s, 0, sizeof(g_s));
	g_s.conns = conns;
	g_s.per_conn = per_conn;
	g_s.cert = cert;
	g_s.response = resp;
	g_s.response_len = resp && !resp_len ? strlen(resp) : resp_len;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		a6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &a6->sin6_addr), 1);
		sl = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		a4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, addr, &a4->sin_addr), 1);
		sl = sizeof(*a4);
	}
	g_s.lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(g_s.lfd, 0);
	ck_assert_int_eq(bind(g_s.lfd, (struct sockaddr *)&ss, sl), 0);
	ck_assert_int_eq(listen(g_s.lfd, 4), 0);
	ck_assert_int_eq(getsockname(g_s.lfd, (struct sockaddr *)&ss, &sl), 0);
	unsigned port = ntohs(ss.ss_family == AF_INET6
	                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                      : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(g_s.port, sizeof(g_s.port), "%u", port);
	ck_assert_int_eq(pipe(g_s.stop), 0);
	ck_assert_int_eq(pthread_create(&g_s.th, NULL, server_main, NULL), 0);
}

static void srv_start(const char *addr, const char *cert, const char *resp,
                      size_t resp_len)
{
	srv_start2(addr, cert, resp, resp_len, 1, 1);
}

static void srv_stop(void)
{
	ck_assert_int_eq(write(g_s.stop[1], "x", 1), 1);
	pthread_join(g_s.th, NULL);
	close(g_s.lfd);
	close(g_s.stop[0]);
	close(g_s.stop[1]);
}

/* --- the client side --- */

static char g_err[512];

static sdns_apiclient *client_for(const char *host, const char *who,
                                   uint32_t timeout_ms, size_t max_body)
{
	static char url[300], ca[512], cert[512], key[512];
	snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s/v1"
	         : "https://%s:%s/v1", host, g_s.port);
	path_of(ca, sizeof(ca), "ca", "pem");
	path_of(cert, sizeof(cert), who ? who : "admin", "pem");
	path_of(key, sizeof(key), who ? who : "admin", "key");
	sdns_apiclient_conf conf = {.url = url, .ca_path = ca,
	                      .cert_path = who ? cert : NULL,
	                      .key_path = who ? key : NULL,
	                      .timeout_ms = timeout_ms, .max_body = max_body};
	sdns_apiclient *c = NULL;
	ck_assert_int_eq(sdns_apiclient_new(&conf, &c, g_err, sizeof(g_err)), 0);
	return c;
}

/* One GET against the server started with resp. */
static int get_once(const char *host, const char *resp, size_t max_body,
                    uint32_t timeout_ms, sdns_apiclient_resp *r)
{
	srv_start(strchr(host, ':') ? "::1" : "127.0.0.1", "server", resp, 0);
	sdns_apiclient *c = client_for(host, "admin", timeout_ms, max_body);
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, r,
	                          g_err, sizeof(g_err));
	srv_stop();
	sdns_apiclient_free(c);
	return rc;
}

static const char ok_json[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	"ETag: \"7\"\r\nLocation: /zones/a.mesh\r\nContent-Length: 13\r\n\r\n"
	"{\"zones\":[]}\n";

/* --- fixtures --- */

static void pki_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-apic", g_dir, sizeof(g_dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
}

static void pki_teardown(void)
{
	sdns_test_rmtree(g_dir);
}

/* --- verification of the server --- */

START_TEST(test_server_verified_by_ip_gives_status_headers_and_body)
{
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", ok_json, 0, 0, &r), SDNS_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.etag, "\"7\"");
	ck_assert_str_eq(r.location, "/zones/a.mesh");
	ck_assert_str_eq(r.content_type, "application/json");
	ck_assert_uint_eq(r.body_len, 13);
	ck_assert_str_eq(r.body, "{\"zones\":[]}\n");
	uint32_t serial = 0;
	ck_assert_int_eq(sdns_apiclient_resp_serial(&r, &serial), SDNS_OK);
	ck_assert_uint_eq(serial, 7);
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_server_verified_by_ipv6_literal)
{
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("::1", ok_json, 0, 0, &r), SDNS_OK);
	ck_assert_int_eq(r.status, 200);
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_server_verified_by_dns_name)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.1", "server", ok_json, 0);
	sdns_apiclient *c = client_for("localhost", "admin", 0, 0);
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, &r,
	                          g_err, sizeof(g_err));
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_msg(rc == SDNS_OK, "%s", g_err);
	ck_assert_int_eq(r.status, 200);
	/* The request line carries the URL's prefix; Host names the server. */
	ck_assert_ptr_nonnull(strstr(g_s.request, "GET /v1/zones HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(g_s.request, "\r\nHost: localhost:"));
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_server_ip_not_in_certificate_is_refused)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.2", "server", ok_json, 0);
	sdns_apiclient *c = client_for("127.0.0.2", "admin", 0, 0);
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, &r,
	                          g_err, sizeof(g_err));
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(rc, SDNS_ECERT);
	ck_assert_str_eq(g_err, "server certificate does not match host 127.0.0.2");
	ck_assert_ptr_null(r.body);
	ck_assert(g_s.request_len == 0);
}
END_TEST

START_TEST(test_server_from_rogue_ca_is_refused)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.1", "rogue", ok_json, 0);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, &r,
	                          g_err, sizeof(g_err));
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(rc, SDNS_ECERT);
	ck_assert_msg(!strncmp(g_err, "server certificate refused: ", 28), "%s",
	              g_err);
	ck_assert(g_s.request_len == 0);
}
END_TEST

START_TEST(test_client_certificate_is_presented)
{
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", ok_json, 0, 0, &r), SDNS_OK);
	ck_assert(g_s.handshake_ok);
	ck_assert_str_eq(g_s.peer_cn, "admin");
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_no_client_certificate_when_none_configured)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.1", "server", ok_json, 0);
	sdns_apiclient *c = client_for("127.0.0.1", NULL, 0, 0);
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, &r,
	                          g_err, sizeof(g_err));
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(rc, SDNS_OK);
	ck_assert_str_eq(g_s.peer_cn, "");
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_key_not_matching_certificate_is_refused_at_setup)
{
	char ca[512], cert[512], key[512];
	path_of(ca, sizeof(ca), "ca", "pem");
	path_of(cert, sizeof(cert), "admin", "pem");
	path_of(key, sizeof(key), "client", "key");
	sdns_apiclient_conf conf = {.url = "https://127.0.0.1:1", .ca_path = ca,
	                      .cert_path = cert, .key_path = key};
	sdns_apiclient *c = (sdns_apiclient *)&conf;
	ck_assert_int_eq(sdns_apiclient_new(&conf, &c, g_err, sizeof(g_err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(g_err, "key does not match certificate"));
	conf.cert_path = NULL;
	ck_assert_int_eq(sdns_apiclient_new(&conf, &c, g_err, sizeof(g_err)),
	                 SDNS_EINVAL);
	conf.key_path = NULL;
	conf.ca_path = "/nonexistent/ca.pem";
	ck_assert_int_eq(sdns_apiclient_new(&conf, &c, g_err, sizeof(g_err)),
	                 SDNS_ECERT);
	ck_assert_ptr_nonnull(strstr(g_err, "cannot load CA /nonexistent/ca.pem"));
}
END_TEST

/* --- requests --- */

START_TEST(test_request_sends_body_length_type_and_headers)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.1", "server", ok_json, 0);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	json_t *body = json_pack("{s:s}", "value", "10.0.0.5");
	const char *const hdrs[] = {"If-Match: \"3\"", NULL};
	int rc = sdns_apiclient_request_json(c, "POST", "/zones/a.mesh/records", hdrs,
	                               body, &r, g_err, sizeof(g_err));
	json_decref(body);
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(rc, SDNS_OK);
	const char *q = g_s.request;
	ck_assert_ptr_nonnull(strstr(q, "POST /v1/zones/a.mesh/records HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(q, "\r\nContent-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(q, "\r\nContent-Length: 20\r\n"));
	ck_assert_ptr_nonnull(strstr(q, "\r\nIf-Match: \"3\"\r\n"));
	ck_assert_ptr_null(strstr(q, "\r\nConnection: close\r\n"));
	const char *end = strstr(q, "\r\n\r\n");
	ck_assert_str_eq(end + 4, "{\"value\":\"10.0.0.5\"}");
	sdns_apiclient_resp_free(&r);
}
END_TEST

/* n GETs on one client; the statuses must all be 200. */
static void get_n(sdns_apiclient *c, int n)
{
	for (int i = 0; i < n; i++) {
		sdns_apiclient_resp r;
		ck_assert_msg(sdns_apiclient_request(c, "GET", "/zones", NULL, NULL,
		                                     NULL, 0, &r, g_err,
		                                     sizeof(g_err)) == SDNS_OK,
		              "request %d: %s", i, g_err);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.body_len, 13);
		sdns_apiclient_resp_free(&r);
	}
}

START_TEST(test_sequential_requests_reuse_one_connection)
{
	srv_start2("127.0.0.1", "server", ok_json, 0, 1, 3);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	get_n(c, 3);
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(g_s.accepts, 1);
	ck_assert_int_eq(g_s.requests, 3);
}
END_TEST

START_TEST(test_connection_closed_by_server_is_replaced)
{
	/* The server answers one request per connection and closes it
	 * without saying so: the client notices and connects again. */
	srv_start2("127.0.0.1", "server", ok_json, 0, 2, 1);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	get_n(c, 2);
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(g_s.accepts, 2);
	ck_assert_int_eq(g_s.requests, 2);
}
END_TEST

static const char close_json[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	"Connection: close\r\nContent-Length: 13\r\n\r\n{\"zones\":[]}\n";

START_TEST(test_connection_close_header_is_honoured)
{
	srv_start2("127.0.0.1", "server", close_json, 0, 2, 1);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	get_n(c, 2);
	srv_stop();
	sdns_apiclient_free(c);
	ck_assert_int_eq(g_s.accepts, 2);
}
END_TEST

START_TEST(test_bad_method_path_and_header_are_refused)
{
	sdns_apiclient_resp r;
	srv_start("127.0.0.1", "server", ok_json, 0);
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	const char *const bad_hdr[] = {"X: a\r\nY: b", NULL};
	ck_assert_int_eq(sdns_apiclient_request(c, "GET", "zones", NULL, NULL, NULL, 0,
	                                  &r, g_err, sizeof(g_err)), SDNS_EINVAL);
	ck_assert_int_eq(sdns_apiclient_request(c, "GET", "/a b", NULL, NULL, NULL, 0,
	                                  &r, g_err, sizeof(g_err)), SDNS_EINVAL);
	ck_assert_int_eq(sdns_apiclient_request(c, "GET", "/a", bad_hdr, NULL, NULL, 0,
	                                  &r, g_err, sizeof(g_err)), SDNS_EINVAL);
	srv_stop();
	sdns_apiclient_free(c);
}
END_TEST

START_TEST(test_chunked_body_is_decoded)
{
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_OK);
	ck_assert_uint_eq(r.body_len, 12);
	ck_assert_str_eq(r.body, "hello, world");
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_bad_chunk_size_is_a_protocol_error)
{
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_EPROTO);
	ck_assert_str_eq(g_err, "bad chunk size");
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_body_until_close_without_length)
{
	static const char resp[] = "HTTP/1.0 200 OK\r\n\r\nall of it";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_OK);
	ck_assert_str_eq(r.body, "all of it");
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_interim_100_continue_is_skipped)
{
	static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
	                           "HTTP/1.1 204 No Content\r\nETag: \"9\"\r\n\r\n";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_OK);
	ck_assert_int_eq(r.status, 204);
	ck_assert_str_eq(r.etag, "\"9\"");
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_short_body_is_a_protocol_error)
{
	static const char resp[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_EPROTO);
	ck_assert_str_eq(g_err, "response body cut short");
}
END_TEST

START_TEST(test_non_http_answer_is_a_protocol_error)
{
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", "SSH-2.0-x\r\n\r\n", 0, 0, &r),
	                 SDNS_EPROTO);
	ck_assert_str_eq(g_err, "not an HTTP/1.x response");
	static const char two_lengths[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	                                  "Content-Length: 2\r\n\r\nab";
	ck_assert_int_eq(get_once("127.0.0.1", two_lengths, 0, 0, &r),
	                 SDNS_EPROTO);
	ck_assert_str_eq(g_err, "conflicting Content-Length");
}
END_TEST

START_TEST(test_body_over_the_limit_is_refused)
{
	char resp[2200];
	int n = snprintf(resp, sizeof(resp),
	                 "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n");
	memset(resp + n, 'x', 2000);
	resp[n + 2000] = '\0';
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 1000, 0, &r), SDNS_ETOOBIG);
	ck_assert_str_eq(g_err, "response body of 2000 bytes over 1000");
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_chunked_body_over_the_limit_is_refused)
{
	static char resp[4096];
	int n = snprintf(resp, sizeof(resp),
	                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		n += snprintf(resp + n, sizeof(resp) - (size_t)n, "258\r\n");
		memset(resp + n, 'y', 600);
		n += 600;
		n += snprintf(resp + n, sizeof(resp) - (size_t)n, "\r\n");
	}
	snprintf(resp + n, sizeof(resp) - (size_t)n, "0\r\n\r\n");
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 1000, 0, &r), SDNS_ETOOBIG);
	ck_assert_str_eq(g_err, "response body over 1000 bytes");
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(test_endless_header_is_refused)
{
	static char resp[40000];
	int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(resp + n, 'h', 20000);
	memcpy(resp + n + 20000, "\r\n\r\n", 5);
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_ETOOBIG);
}
END_TEST

START_TEST(test_silent_server_times_out)
{
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", NULL, 0, 200, &r), SDNS_ETIMEOUT);
	ck_assert_str_eq(g_err, "timed out");
	ck_assert(g_s.request_len > 0);
}
END_TEST

START_TEST(test_connection_refused_is_said)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(a);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sl), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
	snprintf(g_s.port, sizeof(g_s.port), "%u", ntohs(a.sin_port));
	close(fd); /* nobody listens there now */
	sdns_apiclient *c = client_for("127.0.0.1", "admin", 0, 0);
	sdns_apiclient_resp r;
	int rc = sdns_apiclient_request(c, "GET", "/zones", NULL, NULL, NULL, 0, &r,
	                          g_err, sizeof(g_err));
	sdns_apiclient_free(c);
	ck_assert_int_eq(rc, SDNS_EIO);
	char want[128];
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1 port %s: "
	         "connection refused", g_s.port);
	ck_assert_str_eq(g_err, want);
}
END_TEST

/* --- JSON and errors --- */

START_TEST(test_error_body_is_parsed_and_formatted)
{
	static const char resp[] =
		"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
		"Content-Length: 90\r\n\r\n"
		"{\"error\":{\"code\":\"conflict\",\"message\":\"zone node-alpha.mesh "
		"exists\",\"field\":\"zone\"}}      ";
	sdns_apiclient_resp r;
	ck_assert_int_eq(get_once("127.0.0.1", resp, 0, 0, &r), SDNS_OK);
	ck_assert_int_eq(r.status, 409);
	sdns_apiclient_error e;
	sdns_apiclient_resp_error(&r, &e);
	ck_assert_str_eq(e.code, "conflict");
	ck_assert_str_eq(e.message, "zone node-alpha.mesh exists");
	ck_assert_str_eq(e.field, "zone");
	char line[256];
	sdns_apiclient_error_str(&r, line, sizeof(line));
	ck_assert_str_eq(line, "409 conflict: zone node-alpha.mesh exists "
	                 "(field zone)");
	sdns_apiclient_resp_free(&r);
}
END_TEST

START_TEST(test_error_of_another_shape_keeps_status_and_first_line)
{
	sdns_apiclient_resp r = {.status = 502, .body = (char *)"Bad gateway\nmore",
	                   .body_len = 16};
	char line[128];
	sdns_apiclient_error_str(&r, line, sizeof(line));
	ck_assert_str_eq(line, "502 http_502: Bad gateway");
	r.body = NULL;
	r.body_len = 0;
	sdns_apiclient_error_str(&r, line, sizeof(line));
	ck_assert_str_eq(line, "502 http_502");
}
END_TEST

START_TEST(test_response_json_parses_or_says_why)
{
	sdns_apiclient_resp r = {.status = 200, .body = (char *)"{\"a\":1}", .body_len = 7};
	json_t *j = NULL;
	ck_assert_int_eq(sdns_apiclient_resp_json(&r, &j, g_err, sizeof(g_err)), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);
	r.body = (char *)"{\"a\":";
	r.body_len = 5;
	ck_assert_int_eq(sdns_apiclient_resp_json(&r, &j, g_err, sizeof(g_err)),
	                 SDNS_EMALF);
	ck_assert_ptr_null(j);
	ck_assert(!strncmp(g_err, "response is not JSON", 20));
	r.body = NULL;
	r.body_len = 0;
	ck_assert_int_eq(sdns_apiclient_resp_json(&r, &j, g_err, sizeof(g_err)),
	                 SDNS_EMALF);
}
END_TEST

START_TEST(test_etag_serial_parsing)
{
	sdns_apiclient_resp r = {0};
	uint32_t s = 0;
	ck_assert_int_eq(sdns_apiclient_resp_serial(&r, &s), SDNS_ENOTFOUND);
	strcpy(r.etag, "W/\"42\"");
	ck_assert_int_eq(sdns_apiclient_resp_serial(&r, &s), SDNS_OK);
	ck_assert_uint_eq(s, 42);
	static const char *const bad[] = {"42", "\"\"", "\"4x\"", "\"1\"x",
	                                  "\"4294967296\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(r.etag, bad[i]);
		ck_assert_msg(sdns_apiclient_resp_serial(&r, &s) == SDNS_EMALF, "%s", bad[i]);
	}
}
END_TEST

/* --- URLs and escaping --- */

START_TEST(test_url_parts)
{
	sdns_apiclient_url u;
	ck_assert_int_eq(sdns_apiclient_url_parse("https://api.mesh:8443/x/", &u, NULL, 0), 0);
	ck_assert_str_eq(u.host, "api.mesh");
	ck_assert_str_eq(u.port, "8443");
	ck_assert_str_eq(u.prefix, "/x");
	ck_assert(!u.is_ip);
	ck_assert_int_eq(sdns_apiclient_url_parse("https://[::1]", &u, NULL, 0), 0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_str_eq(u.port, "443");
	ck_assert(u.is_ip);
	ck_assert_int_eq(sdns_apiclient_url_parse("https://10.0.0.1:1", &u, NULL, 0), 0);
	ck_assert(u.is_ip);
}
END_TEST

START_TEST(test_bad_urls_are_refused_with_a_reason)
{
	static const char *const bad[] = {
		"http://a:1", "https://", "https://:80", "https://a:0",
		"https://a:65536", "https://a:8x", "https://[::1", "https://[::1]x",
		"https://a/p?q=1", "https://u@a", "https://a:b:c", "https://a/p q",
	};
	sdns_apiclient_url u;
	char err[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sdns_apiclient_url_parse(bad[i], &u, err, sizeof(err)) ==
		              SDNS_EINVAL, "accepted %s", bad[i]);
	sdns_apiclient_url_parse("http://a", &u, err, sizeof(err));
	ck_assert_str_eq(err, "bad API URL 'http://a': must start with https://");
}
END_TEST

START_TEST(test_escape_keeps_unreserved_only)
{
	char out[64];
	ck_assert_int_eq(sdns_apiclient_escape("spiffe://m/admin/a b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "spiffe%3A%2F%2Fm%2Fadmin%2Fa%20b");
	ck_assert_int_eq(sdns_apiclient_escape("node-a.mesh_~", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "node-a.mesh_~");
	ck_assert_int_eq(sdns_apiclient_escape("/", out, 3), SDNS_ESPACE);
	ck_assert_int_eq(sdns_apiclient_escape("/", out, 4), SDNS_OK);
}
END_TEST

static Suite *apiclient_suite(void)
{
	Suite *s = suite_create("apiclient");
	TCase *tc = tcase_create("https");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_test(tc, test_server_verified_by_ip_gives_status_headers_and_body);
	tcase_add_test(tc, test_server_verified_by_ipv6_literal);
	tcase_add_test(tc, test_server_verified_by_dns_name);
	tcase_add_test(tc, test_server_ip_not_in_certificate_is_refused);
	tcase_add_test(tc, test_server_from_rogue_ca_is_refused);
	tcase_add_test(tc, test_client_certificate_is_presented);
	tcase_add_test(tc, test_no_client_certificate_when_none_configured);
	tcase_add_test(tc, test_key_not_matching_certificate_is_refused_at_setup);
	tcase_add_test(tc, test_request_sends_body_length_type_and_headers);
	tcase_add_test(tc, test_sequential_requests_reuse_one_connection);
	tcase_add_test(tc, test_connection_closed_by_server_is_replaced);
	tcase_add_test(tc, test_connection_close_header_is_honoured);
	tcase_add_test(tc, test_bad_method_path_and_header_are_refused);
	tcase_add_test(tc, test_chunked_body_is_decoded);
	tcase_add_test(tc, test_bad_chunk_size_is_a_protocol_error);
	tcase_add_test(tc, test_body_until_close_without_length);
	tcase_add_test(tc, test_interim_100_continue_is_skipped);
	tcase_add_test(tc, test_short_body_is_a_protocol_error);
	tcase_add_test(tc, test_non_http_answer_is_a_protocol_error);
	tcase_add_test(tc, test_body_over_the_limit_is_refused);
	tcase_add_test(tc, test_chunked_body_over_the_limit_is_refused);
	tcase_add_test(tc, test_endless_header_is_refused);
	tcase_add_test(tc, test_silent_server_times_out);
	tcase_add_test(tc, test_connection_refused_is_said);
	suite_add_tcase(s, tc);
	TCase *tj = tcase_create("json");
	tcase_add_test(tj, test_error_body_is_parsed_and_formatted);
	tcase_add_test(tj, test_error_of_another_shape_keeps_status_and_first_line);
	tcase_add_test(tj, test_response_json_parses_or_says_why);
	tcase_add_test(tj, test_etag_serial_parsing);
	tcase_add_test(tj, test_url_parts);
	tcase_add_test(tj, test_bad_urls_are_refused_with_a_reason);
	tcase_add_test(tj, test_escape_keeps_unreserved_only);
	tcase_add_unchecked_fixture(tj, pki_setup, pki_teardown);
	suite_add_tcase(s, tj);
	return s;
}

SDNS_TEST_MAIN(apiclient_suite)
