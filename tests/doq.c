/* Tests for src/doq: real QUIC handshakes over 127.0.0.1 with certificates
 * made at test time (tests/lib/testpki.h), an in-process server on port 0
 * whose handler echoes the query with QR set. */
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdns/doq.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/msg.h"
#include "sdns/pki.h"
#include "testlib.h"
#include "testpki.h"

static char g_dir[256];

enum { H_ECHO = 0, H_FAIL = 1 };

/* What the handler saw; written on a worker thread. */
static struct {
	pthread_mutex_t mu;
	int mode;
	int calls;
	sdns_identity peer;
} g_h = {.mu = PTHREAD_MUTEX_INITIALIZER};

static FILE *g_log;
static sdns_doq_server *g_srv;

/* --- fixtures --- */

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-doq", g_dir, sizeof(g_dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
}

static void pki_teardown(void)
{
	sdns_test_rmtree(g_dir);
}

static void each_setup(void)
{
	g_log = tmpfile();
	ck_assert_ptr_nonnull(g_log);
	sdns_log_setup(g_log, SDNS_LOG_INFO);
	g_h.mode = H_ECHO;
	g_h.calls = 0;
	g_srv = NULL;
}

static void each_teardown(void)
{
	sdns_doq_server_free(g_srv);
	g_srv = NULL;
	sdns_log_setup(NULL, SDNS_LOG_WARN);
	if (g_log) fclose(g_log);
	g_log = NULL;
}

static bool log_has(const char *needle)
{
	char line[1024];
	bool found = false;
	fflush(g_log);
	rewind(g_log);
	while (!found && fgets(line, sizeof(line), g_log))
		found = strstr(line, needle) != NULL;
	fseek(g_log, 0, SEEK_END);
	return found;
}

static const char *pki(const char *file)
{
	static _Thread_local char buf[4][512];
	static _Thread_local int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", g_dir, file);
	return buf[i];
}

/* --- server --- */

static int echo(void *ctx, const sdns_identity *peer, const sdns_msg *q,
                const uint8_t *wire, size_t len, uint8_t *resp, size_t cap,
                size_t *resp_len)
{
	(void)ctx;
	(void)q;
	pthread_mutex_lock(&g_h.mu);
	g_h.calls++;
	g_h.peer = *peer;
	int mode = g_h.mode;
	pthread_mutex_unlock(&g_h.mu);
	if (mode == H_FAIL || len > cap) return SDNS_EINVAL;
	memcpy(resp, wire, len);
	resp[2] |= 0x80;
	*resp_len = len;
	return SDNS_OK;
}

static int deny_all(void *ctx, const sdns_identity *peer)
{
	(void)ctx;
	(void)peer;
	return SDNS_EDENIED;
}

static void srv_conf(sdns_doq_server_conf *c)
{
	memset(c, 0, sizeof(*c));
	sdns_doq_server_conf_defaults(c);
	c->listen = "127.0.0.1:0";
	c->cert_path = pki("server.pem");
	c->key_path = pki("server.key");
	c->ca_path = pki("ca.pem");
	c->mesh = SDNS_TESTPKI_MESH;
	c->workers = 2;
	c->on_query = echo;
}

static uint16_t srv_start(const sdns_doq_server_conf *c)
{
	char err[256] = "";
	int rv = sdns_doq_server_new(c, &g_srv, err, sizeof(err));
	ck_assert_msg(rv == SDNS_OK, "server_new: %s", err);
	ck_assert_int_eq(sdns_doq_server_start(g_srv), SDNS_OK);
	uint16_t port = sdns_doq_server_port(g_srv);
	ck_assert_uint_ne(port, 0);
	return port;
}

static uint16_t srv_default(void)
{
	sdns_doq_server_conf c;
	srv_conf(&c);
	return srv_start(&c);
}

/* --- client --- */

typedef struct {
	const char *cert;   /* basename without .pem, NULL = none */
	const char *alpn;
	const char *name;
	const uint8_t *token;
	size_t token_len;
	const char *host;   /* NULL = 127.0.0.1; "[::1]" for IPv6 */
	const char *uri;    /* expect_uri */
} cli_opts;

static int cli_connect_opts(uint16_t port, const cli_opts *o,
                            sdns_doq_client **out, char *err, size_t cap)
{
	char server[64], cert[32], key[32];
	snprintf(server, sizeof(server), "%s:%u", o->host ? o->host : "127.0.0.1",
	         port);
	sdns_doq_client_conf c = {
		.server = server,
		.server_name = o->name,
		.ca_path = pki("ca.pem"),
		.alpn = o->alpn,
		.timeout_ms = 5000,
		.token = o->token,
		.token_len = o->token_len,
		.expect_uri = o->uri,
	};
	if (o->cert) {
		snprintf(cert, sizeof(cert), "%s.pem", o->cert);
		snprintf(key, sizeof(key), "%s.key", o->cert);
		c.cert_path = pki(cert);
		c.key_path = pki(key);
	}
	return sdns_doq_client_connect(&c, out, err, cap);
}

static sdns_doq_client *cli_good(uint16_t port)
{
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client"};
	int rv = cli_connect_opts(port, &o, &c, err, sizeof(err));
	ck_assert_msg(rv == SDNS_OK, "connect: %s (%s)", err, sdns_strerror(rv));
	return c;
}

/* --- messages --- */

/* "a.example." → wire; test-only, labels without escapes. */
static void wire_name(const char *text, sdns_name *n)
{
	uint8_t w[SDNS_NAME_MAX];
	size_t o = 0;
	while (*text) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);
		w[o++] = (uint8_t)l;
		memcpy(w + o, text, l);
		o += l;
		text += l + (dot ? 1 : 0);
	}
	w[o++] = 0;
	ck_assert_int_eq(sdns_name_from_wire(w, o, n), SDNS_OK);
}

static size_t make_query(uint8_t *buf, size_t cap, const char *qname)
{
	sdns_name n;
	size_t len = 0;
	wire_name(qname, &n);
	ck_assert_int_eq(sdns_msg_make_query(buf, cap, &len, 0, &n, 1, true,
	                                     NULL, 0),
	                 SDNS_OK);
	return len;
}

/* Query for a. with an OPT carrying edns-tcp-keepalive (RFC 7828). */
static size_t keepalive_query(uint8_t *buf, size_t cap)
{
	return (size_t)sdns_test_hex(
		"0000 0100 0001 0000 0000 0001 0161 00 0001 0001"
		"00 0029 1000 00 00 0000 0004 000b 0000",
		buf, cap);
}

static bool closed_with(sdns_doq_client *c, uint64_t want, bool want_app)
{
	/* Drive until the server's close arrives. */
	for (int i = 0; i < 50 && !sdns_doq_client_closed(c, NULL, NULL); i++)
		sdns_doq_client_poll(c, 100, NULL, NULL);
	uint64_t code = 99;
	bool app = !want_app;
	if (!sdns_doq_client_closed(c, &code, &app)) return false;
	return code == want && app == want_app;
}

/* --- handshakes --- */

static void fingerprint(const char *pem_path, uint8_t out[32])
{
	gnutls_datum_t pem, der;
	gnutls_x509_crt_t crt;
	ck_assert_int_eq(gnutls_load_file(pem_path, &pem), 0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
	ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out), 0);
	gnutls_free(der.data);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
}

START_TEST(test_good_client_is_answered_with_its_identity)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512], r[1024];
	size_t qlen = make_query(q, sizeof(q), "www.example."), rlen = 0;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, r, sizeof(r), &rlen),
	                 SDNS_OK);
	ck_assert_uint_eq(rlen, qlen);
	ck_assert_int_eq(r[2] & 0x80, 0x80);
	ck_assert_mem_eq(r + 3, q + 3, qlen - 3);
	uint8_t fp[32];
	fingerprint(pki("client.pem"), fp);
	pthread_mutex_lock(&g_h.mu);
	ck_assert_int_eq(g_h.peer.role, SDNS_ROLE_CLIENT);
	ck_assert_str_eq(g_h.peer.name, "client");
	ck_assert_str_eq(g_h.peer.mesh, SDNS_TESTPKI_MESH);
	ck_assert_mem_eq(g_h.peer.cert_sha256, fp, 32);
	pthread_mutex_unlock(&g_h.mu);
	sdns_doq_client_free(c);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.handshakes_ok, 1);
	ck_assert_uint_eq(st.queries, 1);
}
END_TEST

START_TEST(test_query_id_is_sent_as_zero)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512], r[1024];
	size_t qlen = make_query(q, sizeof(q), "id.example."), rlen = 0;
	q[0] = 0x12;
	q[1] = 0x34;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, r, sizeof(r), &rlen),
	                 SDNS_OK);
	ck_assert_int_eq(r[0], 0);
	ck_assert_int_eq(r[1], 0);
	sdns_doq_client_free(c);
}
END_TEST

static void expect_refused(const cli_opts *o, const char *code_text,
                           const char *reason)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = NULL;
	char err[256] = "";
	int rv = cli_connect_opts(port, o, &c, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_msg(rv == SDNS_ECERT, "rv %s: %s", sdns_strerror(rv), err);
	ck_assert_msg(strstr(err, code_text), "error text: %s", err);
	char want[96];
	snprintf(want, sizeof(want), "event=handshake_refused peer=127.0.0.1:");
	ck_assert(log_has(want));
	snprintf(want, sizeof(want), "reason=%s", reason);
	ck_assert_msg(log_has(want), "no log line with %s", want);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.handshakes_refused, 1);
	ck_assert_uint_eq(st.handshakes_ok, 0);
	ck_assert_int_eq(g_h.calls, 0);
}

START_TEST(test_client_without_certificate_is_refused)
{
	cli_opts o = {0};
	expect_refused(&o, "0x174 (TLS alert 116", "no_certificate");
}
END_TEST

START_TEST(test_client_from_rogue_ca_is_refused)
{
	cli_opts o = {.cert = "rogue"};
	expect_refused(&o, "0x12a (TLS alert 42 bad_certificate)", "unknown_ca");
}
END_TEST

START_TEST(test_expired_client_is_refused)
{
	cli_opts o = {.cert = "expired"};
	expect_refused(&o, "0x12a", "expired");
}
END_TEST

START_TEST(test_not_yet_valid_client_is_refused)
{
	cli_opts o = {.cert = "notyet"};
	expect_refused(&o, "0x12a", "not_yet_valid");
}
END_TEST

START_TEST(test_server_only_eku_client_is_refused)
{
	cli_opts o = {.cert = "serveronly"};
	expect_refused(&o, "0x12a", "no_client_auth_eku");
}
END_TEST

START_TEST(test_client_without_uri_san_is_refused)
{
	cli_opts o = {.cert = "nouri"};
	expect_refused(&o, "0x12a", "no_uri_san");
}
END_TEST

START_TEST(test_client_of_other_mesh_is_refused)
{
	cli_opts o = {.cert = "othermesh"};
	expect_refused(&o, "0x12a", "wrong_mesh");
}
END_TEST

START_TEST(test_client_with_unknown_role_is_refused)
{
	cli_opts o = {.cert = "badrole"};
	expect_refused(&o, "0x12a", "bad_uri_san");
}
END_TEST

START_TEST(test_wrong_alpn_is_refused)
{
	cli_opts o = {.cert = "client", .alpn = "dot"};
	expect_refused(&o, "0x178 (TLS alert 120 no_application_protocol)",
	               "bad_alpn");
}
END_TEST

START_TEST(test_admit_denial_refuses_handshake)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.admit = deny_all;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "0x12a"), "%s", err);
	ck_assert(log_has("reason=denied"));
}
END_TEST

/* sdnsd --check-config's view of the node's credentials. */
START_TEST(test_check_credentials_takes_a_matching_pair_issued_by_the_ca)
{
	char err[512] = "";
	ck_assert_int_eq(sdns_doq_check_credentials(pki("server.pem"),
	                 pki("server.key"), pki("ca.pem"), err, sizeof err),
	                 SDNS_OK);
}
END_TEST

START_TEST(test_check_credentials_names_a_key_that_is_not_the_certificates)
{
	char err[512] = "";
	ck_assert_int_eq(sdns_doq_check_credentials(pki("server.pem"),
	                 pki("node2.key"), pki("ca.pem"), err, sizeof err),
	                 SDNS_ECERT);
	ck_assert_msg(strstr(err, "node2.key") && strstr(err, "do not match"),
	              "%s", err);
}
END_TEST

/* GnuTLS does not compare an Ed25519 key with its certificate: the server
 * would start and fail every handshake. */
START_TEST(test_server_refuses_an_ed25519_key_that_is_not_its_certificates)
{
	sdns_doq_server_conf c;
	srv_conf(&c);
	c.key_path = pki("node2.key");
	char err[512] = "";
	sdns_doq_server *s = NULL;
	ck_assert_int_eq(sdns_doq_server_new(&c, &s, err, sizeof err), SDNS_ECERT);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "do not match"), "%s", err);
}
END_TEST

START_TEST(test_check_credentials_refuses_a_certificate_of_another_ca)
{
	char err[512] = "";
	ck_assert_int_eq(sdns_doq_check_credentials(pki("rogue.pem"),
	                 pki("rogue.key"), pki("ca.pem"), err, sizeof err),
	                 SDNS_ECERT);
	ck_assert_msg(strstr(err, "does not chain to CA") &&
	              strstr(err, "issuer is unknown"), "%s", err);
	ck_assert_int_eq(sdns_doq_check_credentials(pki("expired.pem"),
	                 pki("expired.key"), pki("ca.pem"), err, sizeof err),
	                 SDNS_ECERT);
	ck_assert_msg(strstr(err, "expired"), "%s", err);
}
END_TEST

START_TEST(test_client_refuses_server_with_wrong_name)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .name = "wrong.example"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "server certificate rejected"), "%s", err);
}
END_TEST

START_TEST(test_client_refuses_server_certificate_without_server_auth)
{
	/* client.pem is clientAuth-only; its CN "client" matches the name,
	 * so only the purpose check can refuse it. */
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.cert_path = pki("client.pem");
	sc.key_path = pki("client.key");
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .name = "client"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "purpose"), "%s", err);
}
END_TEST

START_TEST(test_client_accepts_server_by_localhost_name)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "admin", .name = "localhost"};
	ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	sdns_doq_client_free(c);
}
END_TEST

/* --- framing and protocol errors --- */

static void expect_protocol_error(const uint8_t *bytes, size_t len, bool fin,
                                  const char *reason)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send_raw(c, bytes, len, fin, false, &id),
	                 SDNS_OK);
	ck_assert(closed_with(c, SDNS_DOQ_PROTOCOL_ERROR, true));
	char want[64];
	snprintf(want, sizeof(want), "reason=%s", reason);
	ck_assert_msg(log_has("event=protocol_error"), "no protocol_error log");
	ck_assert_msg(log_has(want), "no %s", want);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.protocol_errors, 1);
	sdns_doq_client_free(c);
}

static size_t framed(uint8_t *out, const uint8_t *q, size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, q, len);
	return len + 2;
}

START_TEST(test_nonzero_message_id_is_protocol_error)
{
	uint8_t q[512], f[520];
	size_t qlen = make_query(q, sizeof(q), "a.example.");
	q[1] = 7;
	expect_protocol_error(f, framed(f, q, qlen), true, "nonzero_message_id");
}
END_TEST

START_TEST(test_fin_before_complete_message_is_protocol_error)
{
	uint8_t f[12] = {0, 40, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0};
	expect_protocol_error(f, sizeof(f), true, "fin_before_message");
}
END_TEST

START_TEST(test_second_message_on_stream_is_protocol_error)
{
	uint8_t q[512], f[1100];
	size_t qlen = make_query(q, sizeof(q), "a.example.");
	size_t n = framed(f, q, qlen);
	n += framed(f + n, q, qlen);
	expect_protocol_error(f, n, true, "trailing_data");
}
END_TEST

START_TEST(test_edns_keepalive_is_protocol_error)
{
	uint8_t q[128], f[140];
	size_t qlen = keepalive_query(q, sizeof(q));
	expect_protocol_error(f, framed(f, q, qlen), true, "edns_keepalive");
}
END_TEST

START_TEST(test_unidirectional_stream_is_refused_by_transport)
{
	/* initial_max_streams_uni = 0: a conforming QUIC stack cannot even
	 * open one (ngtcp2 says STREAM_ID_BLOCKED); one that tried would get
	 * a STREAM_LIMIT_ERROR transport close from the server's ngtcp2. */
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512], f[520], r[1024];
	size_t qlen = make_query(q, sizeof(q), "uni.example."), rlen;
	ck_assert_int_eq(sdns_doq_client_send_raw(c, f, framed(f, q, qlen), true,
	                                          true, NULL),
	                 SDNS_ELIMIT);
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, r, sizeof(r), &rlen),
	                 SDNS_OK);
	sdns_doq_client_free(c);
}
END_TEST

typedef struct {
	int n;
	int64_t id;
	int status;
	uint64_t app;
} one_result;

static void record(void *ctx, int64_t id, int status, uint64_t app,
                   const uint8_t *resp, size_t len)
{
	(void)resp;
	(void)len;
	one_result *r = ctx;
	r->n++;
	r->id = id;
	r->status = status;
	r->app = app;
}

static one_result wait_one(sdns_doq_client *c)
{
	one_result r = {0};
	for (int i = 0; i < 50 && r.n == 0; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 100, record, &r), 0);
	ck_assert_int_eq(r.n, 1);
	return r;
}

START_TEST(test_handler_failure_resets_stream_with_internal_error)
{
	uint16_t port = srv_default();
	g_h.mode = H_FAIL;
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "fail.example.");
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &id), SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_INTERNAL_ERROR);
	ck_assert(!sdns_doq_client_closed(c, NULL, NULL));
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_unparseable_query_resets_stream_with_internal_error)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	uint8_t f[2 + 14] = {0, 14, 0, 0, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 1, 2};
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send_raw(c, f, sizeof(f), true, false, &id),
	                 SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_INTERNAL_ERROR);
	ck_assert_int_eq(g_h.calls, 0);
	sdns_doq_client_free(c);
}
END_TEST

/* --- concurrency and limits --- */

typedef struct {
	int done, bad;
	int64_t ids[256];
	char names[256][32];
	int n;
} many_ctx;

static void check_answer(void *ctx, int64_t id, int status, uint64_t app,
                         const uint8_t *resp, size_t len)
{
	(void)app;
	many_ctx *m = ctx;
	m->done++;
	int k = -1;
	for (int i = 0; i < m->n; i++)
		if (m->ids[i] == id) k = i;
	sdns_msg msg;
	if (k < 0 || status != SDNS_OK || sdns_msg_parse(resp, len, &msg) != SDNS_OK) {
		m->bad++;
		return;
	}
	sdns_name want;
	wire_name(m->names[k], &want);
	if (!(msg.flags & SDNS_F_QR) || !sdns_name_eq_ci(&msg.qname, &want))
		m->bad++;
	sdns_msg_free(&msg);
}

START_TEST(test_two_hundred_concurrent_streams_are_all_answered)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	static many_ctx m;
	memset(&m, 0, sizeof(m));
	m.n = 200;
	ck_assert_uint_ge(sdns_doq_client_streams_left(c), 200);
	for (int i = 0; i < m.n; i++) {
		uint8_t q[512];
		snprintf(m.names[i], sizeof(m.names[i]), "q%d.example.", i);
		size_t qlen = make_query(q, sizeof(q), m.names[i]);
		ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &m.ids[i]), SDNS_OK);
	}
	for (int i = 0; i < 200 && m.done < m.n; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 100, check_answer, &m), 0);
	ck_assert_int_eq(m.done, m.n);
	ck_assert_int_eq(m.bad, 0);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_queued_queries_are_answered_after_one_flush)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	static many_ctx m;
	memset(&m, 0, sizeof(m));
	m.n = 64;
	for (int i = 0; i < m.n; i++) {
		uint8_t q[512];
		snprintf(m.names[i], sizeof(m.names[i]), "queued%d.example.", i);
		size_t qlen = make_query(q, sizeof(q), m.names[i]);
		ck_assert_int_eq(sdns_doq_client_queue(c, q, qlen, &m.ids[i]),
		                 SDNS_OK);
	}
	ck_assert_int_eq(sdns_doq_client_queue(c, (const uint8_t *)"short", 5,
	                                       NULL),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_doq_client_flush(c), SDNS_OK);
	for (int i = 0; i < 200 && m.done < m.n; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 100, check_answer, &m), 0);
	ck_assert_int_eq(m.done, m.n);
	ck_assert_int_eq(m.bad, 0);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_fifty_connections_are_each_answered)
{
	uint16_t port = srv_default();
	sdns_doq_client *cs[50];
	for (int i = 0; i < 50; i++) cs[i] = cli_good(port);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.conns_open, 50);
	for (int i = 0; i < 50; i++) {
		uint8_t q[512], r[1024];
		size_t qlen = make_query(q, sizeof(q), "many.example."), rlen;
		ck_assert_int_eq(sdns_doq_client_query(cs[i], q, qlen, r, sizeof(r),
		                                       &rlen),
		                 SDNS_OK);
		ck_assert_uint_eq(rlen, qlen);
	}
	for (int i = 0; i < 50; i++) sdns_doq_client_free(cs[i]);
}
END_TEST

START_TEST(test_third_connection_from_one_address_is_refused)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.max_conns_per_addr = 2;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *a = cli_good(port), *b = cli_good(port), *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ELIMIT);
	ck_assert_msg(strstr(err, "0x2 (CONNECTION_REFUSED)"), "%s", err);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.excessive_load, 1);
	ck_assert_uint_eq(st.conns_open, 2);
	sdns_doq_client_free(a);
	sdns_doq_client_free(b);
}
END_TEST

START_TEST(test_unfinished_stream_is_reset_after_deadline)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.stream_timeout_ms = 200;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = cli_good(port);
	uint8_t part[6] = {0, 40, 0, 0, 1, 0};
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send_raw(c, part, sizeof(part), false,
	                                          false, &id),
	                 SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_REQUEST_CANCELLED);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.stream_timeouts, 1);
	ck_assert(log_has("event=stream_timeout"));
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_connection_over_buffer_limit_is_closed_with_excessive_load)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.max_conn_buffer = 1000;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = cli_good(port);
	static uint8_t part[3000];
	memset(part, 0, sizeof(part));
	part[0] = 0x0f; /* a 4000-byte message that never completes */
	part[1] = 0xa0;
	ck_assert_int_eq(sdns_doq_client_send_raw(c, part, sizeof(part), false,
	                                          false, NULL),
	                 SDNS_OK);
	ck_assert(closed_with(c, SDNS_DOQ_EXCESSIVE_LOAD, true));
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.excessive_load, 1);
	ck_assert(log_has("event=excessive_load"));
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_retry_threshold_zero_validates_then_token_skips_retry)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.retry_threshold = 0;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512], r[1024], tok[256];
	size_t qlen = make_query(q, sizeof(q), "retry.example."), rlen;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, r, sizeof(r), &rlen),
	                 SDNS_OK);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.retries_sent, 1);
	size_t tlen = sdns_doq_client_token(c, tok, sizeof(tok));
	ck_assert_uint_gt(tlen, 0);
	sdns_doq_client_free(c);

	cli_opts o = {.cert = "client", .token = tok, .token_len = tlen};
	char err[256] = "";
	ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.retries_sent, 1);
	ck_assert_uint_eq(st.handshakes_ok, 2);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_stop_closes_connections_with_no_error)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	sdns_doq_server_stop(g_srv);
	ck_assert(closed_with(c, SDNS_DOQ_NO_ERROR, true));
	sdns_doq_client_free(c);
}
END_TEST

static void query_ok(sdns_doq_client *c, const char *name)
{
	uint8_t q[512], r[1024];
	size_t qlen = make_query(q, sizeof(q), name), rlen = 0;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, r, sizeof(r), &rlen),
	                 SDNS_OK);
	ck_assert_uint_eq(rlen, qlen);
}

/* --- closing period --- */

/* A UDP relay between a client and the server. On request it replays the
 * client's last datagram to the server and counts what comes back until
 * the server has been silent for a while. */
typedef struct {
	int cfd, sfd;
	struct sockaddr_storage client;
	socklen_t clientlen;
	uint8_t last[2048];
	size_t last_len;
	int replays;
	atomic_int phase;        /* 0 relay, 1 replay asked, 2 counting, 3 done */
	int answers;
	atomic_bool stop;
	pthread_t th;
} relay;

static void relay_replay(relay *r)
{
	for (int i = 0; i < r->replays; i++)
		ck_assert_int_eq(send(r->sfd, r->last, r->last_len, 0),
		                 (ssize_t)r->last_len);
	atomic_store(&r->phase, 2);
}

static void *relay_main(void *arg)
{
	relay *r = arg;
	uint8_t b[2048];
	while (!atomic_load(&r->stop)) {
		if (atomic_load(&r->phase) == 1) relay_replay(r);
		struct pollfd p[2] = {{.fd = r->cfd, .events = POLLIN},
		                      {.fd = r->sfd, .events = POLLIN}};
		int n = poll(p, 2, atomic_load(&r->phase) == 2 ? 500 : 10);
		if (n == 0 && atomic_load(&r->phase) == 2) atomic_store(&r->phase, 3);
		if (p[0].revents & POLLIN) {
			r->clientlen = sizeof(r->client);
			ssize_t k = recvfrom(r->cfd, b, sizeof(b), 0,
			                     (struct sockaddr *)&r->client,
			                     &r->clientlen);
			if (k > 0) {
				memcpy(r->last, b, (size_t)k);
				r->last_len = (size_t)k;
				send(r->sfd, b, (size_t)k, 0);
			}
		}
		if (p[1].revents & POLLIN) {
			ssize_t k = recv(r->sfd, b, sizeof(b), 0);
			if (k > 0 && atomic_load(&r->phase) >= 2) r->answers++;
			else if (k > 0 && r->clientlen)
				sendto(r->cfd, b, (size_t)k, 0,
				       (struct sockaddr *)&r->client, r->clientlen);
		}
	}
	return NULL;
}

static uint16_t relay_start(relay *r, uint16_t server_port)
{
	memset(r, 0, sizeof(*r));
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	r->cfd = socket(AF_INET, SOCK_DGRAM, 0);
	r->sfd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(r->cfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(r->cfd, (struct sockaddr *)&a, &alen), 0);
	uint16_t port = ntohs(a.sin_port);
	a.sin_port = htons(server_port);
	ck_assert_int_eq(connect(r->sfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(pthread_create(&r->th, NULL, relay_main, r), 0);
	return port;
}

static void relay_stop(relay *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->th, NULL);
	close(r->cfd);
	close(r->sfd);
}

START_TEST(test_closing_connection_resends_close_at_exponential_intervals)
{
	uint16_t port = srv_default();
	static relay r;
	uint16_t rport = relay_start(&r, port);
	sdns_doq_client *c = cli_good(rport);
	uint8_t q[512], f[520];
	size_t qlen = make_query(q, sizeof(q), "close.example.");
	q[1] = 7; /* nonzero message ID: the server closes */
	ck_assert_int_eq(sdns_doq_client_send_raw(c, f, framed(f, q, qlen), true,
	                                          false, NULL),
	                 SDNS_OK);
	ck_assert(closed_with(c, SDNS_DOQ_PROTOCOL_ERROR, true));
	/* 64 more packets of the closed connection: the saved close goes
	 * back for the 1st, 2nd, 4th ... 64th only. */
	r.replays = 64;
	atomic_store(&r.phase, 1);
	for (int i = 0; i < 500 && atomic_load(&r.phase) != 3; i++)
		poll(NULL, 0, 10);
	ck_assert_int_eq(atomic_load(&r.phase), 3);
	relay_stop(&r);
	ck_assert_int_ge(r.answers, 1);
	ck_assert_int_le(r.answers, 7);
	sdns_doq_client_free(c);
}
END_TEST

/* --- idle timeout --- */

START_TEST(test_idle_connection_is_closed_after_idle_timeout)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.idle_timeout_ms = 300;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = cli_good(port);
	query_ok(c, "idle.example.");
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.conns_open, 1);
	/* Nothing is sent from here on: the server forgets the connection
	 * (silently, RFC 9000 §10.1) and the client, which agreed to the same
	 * timeout, gives up too. */
	int rv = 0;
	for (int i = 0; i < 100 && rv >= 0; i++)
		rv = sdns_doq_client_poll(c, 100, NULL, NULL);
	ck_assert_int_eq(rv, SDNS_ETIMEOUT);
	ck_assert(sdns_doq_client_closed(c, NULL, NULL));
	for (int i = 0; i < 100 && st.conns_open; i++) {
		poll(NULL, 0, 50);
		sdns_doq_server_stats(g_srv, &st);
	}
	ck_assert_uint_eq(st.conns_open, 0);
	sdns_doq_client_free(c);
}
END_TEST

/* --- wildcard listening --- */

/* The client writes to 127.0.0.2 from 127.0.0.1: the route's preferred
 * source for the reply is 127.0.0.1, which the client's connected socket
 * would drop. Only a reply sent from 127.0.0.2 (IP_PKTINFO) arrives. */
START_TEST(test_wildcard_v4_server_answers_from_the_address_written_to)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.listen = "0.0.0.0:0";
	uint16_t port = srv_start(&sc);
	const char *hosts[] = {"127.0.0.1", "127.0.0.2"};
	for (int i = 0; i < 2; i++) {
		sdns_doq_client *c = NULL;
		char err[256] = "";
		cli_opts o = {.cert = "client", .name = "localhost",
		              .host = hosts[i]};
		ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) ==
		                      SDNS_OK,
		              "%s: %s", hosts[i], err);
		query_ok(c, "wild.example.");
		sdns_doq_client_free(c);
	}
}
END_TEST

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0) return false;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
	                         .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

START_TEST(test_wildcard_v6_server_answers_over_ipv6_loopback)
{
	if (!have_ipv6_loopback()) return; /* no ::1 here: nothing to test */
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.listen = "[::]:0";
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .name = "localhost", .host = "[::1]"};
	ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	query_ok(c, "wild6.example.");
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_server_refuses_bad_listen_address)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.listen = "nowhere";
	char err[256] = "";
	ck_assert_int_eq(sdns_doq_server_new(&sc, &g_srv, err, sizeof(err)),
	                 SDNS_ECONFIG);
	ck_assert_ptr_null(g_srv);
	ck_assert(strstr(err, "listen"));
}
END_TEST

/* --- revocation --- */

/* The revoked set as the daemon would hold it: SPKI hashes (from OpenSSL,
 * like the store's). Read by admit and match on worker threads. */
static struct {
	pthread_mutex_t mu;
	uint8_t spki[32];
	bool set;
	int matched;
} g_rev = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void spki_of(const char *pem_path, uint8_t out[32])
{
	char b64[SDNS_PKI_PIN_MAX];
	ck_assert_int_eq(sdns_pki_spki_pin_file(pem_path, b64, sizeof(b64)),
	                 SDNS_OK);
	unsigned char raw[48];
	ck_assert_int_eq(EVP_DecodeBlock(raw, (const unsigned char *)b64,
	                                 (int)strlen(b64)), 33);
	memcpy(out, raw, 32);
}

static void revoke_cert(const char *cert)
{
	uint8_t spki[32];
	spki_of(pki(cert), spki);
	pthread_mutex_lock(&g_rev.mu);
	memcpy(g_rev.spki, spki, 32);
	g_rev.set = true;
	g_rev.matched = 0;
	pthread_mutex_unlock(&g_rev.mu);
}

static bool is_revoked(void *ctx, const sdns_identity *id)
{
	(void)ctx;
	pthread_mutex_lock(&g_rev.mu);
	bool hit = g_rev.set && memcmp(g_rev.spki, id->spki_sha256, 32) == 0;
	g_rev.matched++;
	pthread_mutex_unlock(&g_rev.mu);
	return hit;
}

static int admit_unrevoked(void *ctx, const sdns_identity *id)
{
	return is_revoked(ctx, id) ? SDNS_EDENIED : SDNS_OK;
}

static bool match_nothing(void *ctx, const sdns_identity *id)
{
	(void)ctx;
	(void)id;
	return false;
}

static uint16_t srv_revocable(void)
{
	pthread_mutex_lock(&g_rev.mu);
	g_rev.set = false;
	g_rev.matched = 0;
	pthread_mutex_unlock(&g_rev.mu);
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.admit = admit_unrevoked;
	return srv_start(&sc);
}

static sdns_doq_client *cli_as(uint16_t port, const char *cert)
{
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = cert};
	int rv = cli_connect_opts(port, &o, &c, err, sizeof(err));
	ck_assert_msg(rv == SDNS_OK, "connect %s: %s", cert, err);
	return c;
}

START_TEST(test_identity_carries_spki_hash_and_serial_of_the_certificate)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	query_ok(c, "spki.example.");
	uint8_t want[32];
	spki_of(pki("client.pem"), want);
	pthread_mutex_lock(&g_h.mu);
	ck_assert_mem_eq(g_h.peer.spki_sha256, want, 32);
	size_t n = strlen(g_h.peer.serial_hex);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, 40);
	ck_assert_int_ne(g_h.peer.serial_hex[0], '0');
	pthread_mutex_unlock(&g_h.mu);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_close_matching_closes_only_the_revoked_identity)
{
	uint16_t port = srv_revocable();
	sdns_doq_client *victim = cli_as(port, "client");
	sdns_doq_client *other = cli_as(port, "admin");
	query_ok(victim, "a.example.");
	query_ok(other, "b.example.");
	revoke_cert("client.pem");
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, is_revoked, NULL),
	                 1);
	ck_assert(closed_with(victim, SDNS_DOQ_UNSPECIFIED_ERROR, true));
	query_ok(other, "c.example.");
	ck_assert(log_has("event=conn_closed reason=revoked peer=127.0.0.1:"));
	ck_assert(log_has("id=spiffe://test.mesh/client/client"));
	ck_assert(!log_has("id=spiffe://test.mesh/admin/admin"));
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.closed_by_request, 1);
	sdns_doq_client_free(victim);
	sdns_doq_client_free(other);
}
END_TEST

START_TEST(test_revoked_identity_cannot_reconnect_but_others_can)
{
	uint16_t port = srv_revocable();
	revoke_cert("client.pem");
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "0x12a"), "%s", err);
	ck_assert(log_has("reason=denied"));
	sdns_doq_client *other = cli_as(port, "admin");
	query_ok(other, "d.example.");
	sdns_doq_client_free(other);
}
END_TEST

START_TEST(test_close_matching_without_match_leaves_connections_open)
{
	uint16_t port = srv_revocable();
	sdns_doq_client *a = cli_as(port, "client");
	sdns_doq_client *b = cli_as(port, "admin");
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, match_nothing,
	                                                NULL), 0);
	query_ok(a, "e.example.");
	query_ok(b, "f.example.");
	ck_assert(!sdns_doq_client_closed(a, NULL, NULL));
	sdns_doq_client_free(a);
	sdns_doq_client_free(b);
}
END_TEST

START_TEST(test_close_matching_sees_every_connection_across_workers)
{
	uint16_t port = srv_revocable();
	sdns_doq_client *c[6];
	for (int i = 0; i < 6; i++) {
		c[i] = cli_as(port, i % 2 ? "admin" : "client");
		query_ok(c[i], "g.example.");
	}
	revoke_cert("client.pem");
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, is_revoked, NULL),
	                 3);
	pthread_mutex_lock(&g_rev.mu);
	ck_assert_int_eq(g_rev.matched, 6);
	pthread_mutex_unlock(&g_rev.mu);
	for (int i = 0; i < 6; i++) {
		if (i % 2 == 0)
			ck_assert(closed_with(c[i], SDNS_DOQ_UNSPECIFIED_ERROR,
			                      true));
		else
			query_ok(c[i], "h.example.");
		sdns_doq_client_free(c[i]);
	}
}
END_TEST

START_TEST(test_close_matching_on_idle_server_returns_zero)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	char err[256] = "";
	ck_assert_int_eq(sdns_doq_server_new(&sc, &g_srv, err, sizeof(err)),
	                 SDNS_OK);
	/* Not started: no worker owns a connection. */
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, is_revoked, NULL),
	                 0);
	ck_assert_int_eq(sdns_doq_server_start(g_srv), SDNS_OK);
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, is_revoked, NULL),
	                 0);
	sdns_doq_server_stop(g_srv);
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, is_revoked, NULL),
	                 0);
	ck_assert_int_eq(sdns_doq_server_close_matching(g_srv, NULL, NULL),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_doq_server_close_matching(NULL, is_revoked, NULL),
	                 SDNS_EINVAL);
}
END_TEST

/* --- deferred answers (on_query_async) --- */

enum { A_PARK = 0, A_INLINE = 1, A_INLINE_RESET = 2, A_HANDOFF = 3 };

/* Tickets parked by the async handler (worker threads), with the query. */
static struct {
	pthread_mutex_t mu;
	int mode;
	int n;
	sdns_doq_ticket t[256];
	uint8_t wire[256][512];
	size_t len[256];
} g_a = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int echo_into(const uint8_t *wire, size_t len, uint8_t *out,
                     size_t cap)
{
	if (len > cap) return SDNS_ESPACE;
	memcpy(out, wire, len);
	out[2] |= 0x80;
	return SDNS_OK;
}

typedef struct {
	sdns_doq_ticket t;
	uint8_t resp[512];
	size_t len;
	int rc;
} handoff;

static void *reply_handoff(void *arg)
{
	handoff *h = arg;
	h->rc = sdns_doq_server_reply(g_srv, &h->t, h->resp, h->len);
	return NULL;
}

static int park(void *ctx, const sdns_identity *peer, const sdns_msg *q,
                const uint8_t *wire, size_t len, const sdns_doq_ticket *t,
                uint8_t *resp, size_t cap, size_t *resp_len)
{
	(void)peer;
	(void)q;
	(void)ctx;
	(void)resp_len;
	/* Set before the workers started. */
	sdns_doq_server *srv = g_srv;
	pthread_mutex_lock(&g_a.mu);
	int mode = g_a.mode, k = g_a.n;
	if (mode == A_PARK && k < 256 && len <= sizeof(g_a.wire[0])) {
		g_a.t[k] = *t;
		memcpy(g_a.wire[k], wire, len);
		g_a.len[k] = len;
		g_a.n++;
	}
	pthread_mutex_unlock(&g_a.mu);
	if (mode == A_INLINE) {
		ck_assert_int_eq(echo_into(wire, len, resp, cap), SDNS_OK);
		ck_assert_int_eq(sdns_doq_server_reply(srv, t, resp, len), SDNS_OK);
		/* Once per ticket, inline too. */
		ck_assert_int_eq(sdns_doq_server_reply(srv, t, resp, len),
		                 SDNS_ECLOSED);
	} else if (mode == A_INLINE_RESET) {
		ck_assert_int_eq(sdns_doq_server_reply(srv, t, NULL, 0), SDNS_OK);
	} else if (mode == A_HANDOFF) {
		/* Another thread answers before this callback returns. */
		handoff h = {.t = *t, .len = len};
		ck_assert_int_eq(echo_into(wire, len, h.resp, sizeof(h.resp)),
		                 SDNS_OK);
		pthread_t thr;
		ck_assert_int_eq(pthread_create(&thr, NULL, reply_handoff, &h), 0);
		pthread_join(thr, NULL);
		ck_assert_int_eq(h.rc, SDNS_OK);
	}
	return SDNS_EPENDING;
}

static uint16_t srv_async(uint32_t stream_timeout_ms)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.on_query = NULL;
	sc.on_query_async = park;
	if (stream_timeout_ms) sc.stream_timeout_ms = stream_timeout_ms;
	g_a.mode = A_PARK;
	g_a.n = 0;
	return srv_start(&sc);
}

static int parked(void)
{
	pthread_mutex_lock(&g_a.mu);
	int n = g_a.n;
	pthread_mutex_unlock(&g_a.mu);
	return n;
}

/* Drive the client until the server parked want queries. */
static void wait_parked(sdns_doq_client *c, int want)
{
	for (int i = 0; i < 100 && parked() < want; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 50, NULL, NULL), 0);
	ck_assert_int_eq(parked(), want);
}

static void *reply_reversed(void *arg)
{
	int *rcs = arg;
	for (int k = g_a.n - 1; k >= 0; k--) {
		uint8_t r[512];
		echo_into(g_a.wire[k], g_a.len[k], r, sizeof(r));
		rcs[k] = sdns_doq_server_reply(g_srv, &g_a.t[k], r, g_a.len[k]);
	}
	return NULL;
}

START_TEST(test_deferred_answers_from_another_thread_arrive_out_of_order)
{
	uint16_t port = srv_async(0);
	sdns_doq_client *c = cli_good(port);
	static many_ctx m;
	memset(&m, 0, sizeof(m));
	m.n = 100;
	for (int i = 0; i < m.n; i++) {
		uint8_t q[512];
		snprintf(m.names[i], sizeof(m.names[i]), "late%d.example.", i);
		size_t qlen = make_query(q, sizeof(q), m.names[i]);
		ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &m.ids[i]), SDNS_OK);
	}
	wait_parked(c, m.n);
	ck_assert_int_eq(m.done, 0);
	static int rcs[256];
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, reply_reversed, rcs), 0);
	for (int i = 0; i < 200 && m.done < m.n; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 100, check_answer, &m), 0);
	pthread_join(thr, NULL);
	for (int k = 0; k < m.n; k++) ck_assert_int_eq(rcs[k], SDNS_OK);
	ck_assert_int_eq(m.done, m.n);
	ck_assert_int_eq(m.bad, 0);
	/* Once per ticket. */
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[0], g_a.wire[0],
	                                       g_a.len[0]),
	                 SDNS_ECLOSED);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.deferred, 100);
	ck_assert_uint_eq(st.queries, 100);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_reply_after_client_went_away_is_closed)
{
	uint16_t port = srv_async(0);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "gone.example.");
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, NULL), SDNS_OK);
	wait_parked(c, 1);
	sdns_doq_client_free(c);
	/* The server drops the ticket when the close arrives. */
	int rv = SDNS_OK;
	uint8_t r[512];
	echo_into(g_a.wire[0], g_a.len[0], r, sizeof(r));
	for (int i = 0; i < 200; i++) {
		sdns_doq_stats st;
		sdns_doq_server_stats(g_srv, &st);
		if (st.conns_open == 0) break;
		usleep(10000);
	}
	rv = sdns_doq_server_reply(g_srv, &g_a.t[0], r, g_a.len[0]);
	ck_assert_int_eq(rv, SDNS_ECLOSED);
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[0], NULL, 0),
	                 SDNS_ECLOSED);
}
END_TEST

START_TEST(test_reply_racing_the_connection_close_is_dropped_safely)
{
	uint16_t port = srv_async(0);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	for (int i = 0; i < 20; i++) {
		size_t qlen = make_query(q, sizeof(q), "race.example.");
		ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, NULL), SDNS_OK);
	}
	wait_parked(c, 20);
	static int rcs[256];
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, reply_reversed, rcs), 0);
	sdns_doq_client_free(c);
	pthread_join(thr, NULL);
	for (int k = 0; k < 20; k++)
		ck_assert(rcs[k] == SDNS_OK || rcs[k] == SDNS_ECLOSED);
	/* Stopping with replies possibly still queued frees them (ASan). */
	sdns_doq_server_stop(g_srv);
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[0], NULL, 0),
	                 SDNS_ECLOSED);
}
END_TEST

START_TEST(test_pending_stream_is_reset_when_deadline_passes)
{
	uint16_t port = srv_async(200);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "slow.example.");
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &id), SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(parked(), 1);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_REQUEST_CANCELLED);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.stream_timeouts, 1);
	ck_assert_uint_eq(st.deferred, 1);
	uint8_t resp[512];
	echo_into(g_a.wire[0], g_a.len[0], resp, sizeof(resp));
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[0], resp,
	                                       g_a.len[0]),
	                 SDNS_ECLOSED);
	/* The connection itself is fine. */
	g_a.mode = A_INLINE;
	uint8_t a[512];
	size_t alen;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, a, sizeof(a), &alen),
	                 SDNS_OK);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_reply_without_response_resets_stream_with_internal_error)
{
	uint16_t port = srv_async(0);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "reset.example.");
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &id), SDNS_OK);
	wait_parked(c, 1);
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[0], NULL, 0),
	                 SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_INTERNAL_ERROR);
	ck_assert(!sdns_doq_client_closed(c, NULL, NULL));
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_reply_from_inside_the_callback_is_sent_at_once)
{
	uint16_t port = srv_async(0);
	g_a.mode = A_INLINE;
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512], a[512];
	size_t qlen = make_query(q, sizeof(q), "hit.example."), alen;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, a, sizeof(a), &alen),
	                 SDNS_OK);
	ck_assert_uint_eq(alen, qlen);
	ck_assert_uint_eq(a[2] & 0x80, 0x80);
	ck_assert_mem_eq(a + 3, q + 3, qlen - 3);
	g_a.mode = A_INLINE_RESET;
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &id), SDNS_OK);
	one_result r = wait_one(c);
	ck_assert_int_eq(r.status, SDNS_ECLOSED);
	ck_assert_uint_eq(r.app, SDNS_DOQ_INTERNAL_ERROR);
	sdns_doq_stats st;
	sdns_doq_server_stats(g_srv, &st);
	ck_assert_uint_eq(st.deferred, 0);
	ck_assert_uint_eq(st.queries, 2);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_reply_from_another_thread_before_the_callback_returns_is_sent)
{
	uint16_t port = srv_async(0);
	g_a.mode = A_HANDOFF;
	sdns_doq_client *c = cli_good(port);
	for (int i = 0; i < 20; i++) {
		uint8_t q[512], a[512];
		size_t qlen = make_query(q, sizeof(q), "quick.example."), alen;
		ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, a, sizeof(a),
		                                       &alen),
		                 SDNS_OK);
		ck_assert_uint_eq(alen, qlen);
		ck_assert_uint_eq(a[2] & 0x80, 0x80);
	}
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_reply_refuses_bad_tickets_and_lengths)
{
	uint16_t port = srv_async(0);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "bad.example.");
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, NULL), SDNS_OK);
	wait_parked(c, 1);
	sdns_doq_ticket t = g_a.t[0];
	static uint8_t big[70000];
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &t, q, 0), SDNS_EINVAL);
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &t, big, sizeof(big)),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, NULL, q, qlen),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_doq_server_reply(NULL, &t, q, qlen), SDNS_EINVAL);
	sdns_doq_ticket w = t;
	w.worker = 2; /* the server has two: 0 and 1 */
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &w, q, qlen), SDNS_EINVAL);
	sdns_doq_ticket other = t;
	other.conn_serial += 1000;
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &other, q, qlen),
	                 SDNS_ECLOSED);
	other = t;
	other.stream_id += 4;
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &other, q, qlen),
	                 SDNS_ECLOSED);
	/* The refusals left the real ticket usable. */
	uint8_t r[512];
	echo_into(g_a.wire[0], g_a.len[0], r, sizeof(r));
	ck_assert_int_eq(sdns_doq_server_reply(g_srv, &t, r, g_a.len[0]),
	                 SDNS_OK);
	one_result res = wait_one(c);
	ck_assert_int_eq(res.status, SDNS_OK);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_pending_streams_count_against_the_stream_limit)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.on_query = NULL;
	sc.on_query_async = park;
	sc.max_streams = 4;
	g_a.mode = A_PARK;
	g_a.n = 0;
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = cli_good(port);
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "limit.example.");
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, NULL), SDNS_OK);
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, NULL), SDNS_ELIMIT);
	wait_parked(c, 4);
	ck_assert_uint_eq(sdns_doq_client_streams_left(c), 0);
	for (int k = 0; k < 4; k++) {
		uint8_t r[512];
		echo_into(g_a.wire[k], g_a.len[k], r, sizeof(r));
		ck_assert_int_eq(sdns_doq_server_reply(g_srv, &g_a.t[k], r,
		                                       g_a.len[k]),
		                 SDNS_OK);
	}
	int got = 0;
	for (int i = 0; i < 100 && got < 4; i++) {
		int n = sdns_doq_client_poll(c, 50, NULL, NULL);
		ck_assert_int_ge(n, 0);
		got += n;
	}
	ck_assert_int_eq(got, 4);
	for (int i = 0; i < 100 && sdns_doq_client_streams_left(c) == 0; i++)
		sdns_doq_client_poll(c, 20, NULL, NULL);
	ck_assert_uint_gt(sdns_doq_client_streams_left(c), 0);
	sdns_doq_client_free(c);
}
END_TEST

/* --- client: wake fd, expect_uri --- */

START_TEST(test_readable_wake_fd_makes_poll_return_at_once_without_reading_it)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = cli_good(port);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(efd, 0);
	sdns_doq_client_set_wake_fd(c, efd);
	uint64_t one = 1;
	ck_assert_int_eq(write(efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(sdns_doq_client_poll(c, 30000, NULL, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* Far below the 30 s asked for: it did not wait. */
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 10);
	/* Answers still come in while the fd stays readable. */
	uint8_t q[512];
	size_t qlen = make_query(q, sizeof(q), "wake.example.");
	int64_t id;
	ck_assert_int_eq(sdns_doq_client_send(c, q, qlen, &id), SDNS_OK);
	one_result r = {0};
	for (int i = 0; i < 5000 && r.n == 0; i++)
		ck_assert_int_ge(sdns_doq_client_poll(c, 1000, record, &r), 0);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_eq(r.status, SDNS_OK);
	/* The blocking query is not cut short by it. */
	uint8_t ans[512];
	size_t alen;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, ans, sizeof(ans),
	                                       &alen),
	                 SDNS_OK);
	uint64_t v = 0;
	ck_assert_int_eq(read(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	ck_assert_uint_eq(v, 1);
	sdns_doq_client_set_wake_fd(c, -1);
	ck_assert_int_eq(sdns_doq_client_poll(c, 10, NULL, NULL), 0);
	sdns_doq_client_free(c);
	close(efd);
}
END_TEST

START_TEST(test_expect_uri_accepts_server_with_that_spiffe_id)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .uri = "spiffe://test.mesh/node/server"};
	ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	uint8_t q[512], a[512];
	size_t qlen = make_query(q, sizeof(q), "uri.example."), alen;
	ck_assert_int_eq(sdns_doq_client_query(c, q, qlen, a, sizeof(a), &alen),
	                 SDNS_OK);
	sdns_doq_client_free(c);
}
END_TEST

START_TEST(test_expect_uri_skips_host_name_unless_one_is_given)
{
	/* node2's certificate names localhost/127.0.0.1 too, so ask for a
	 * host it does not carry: only the URI decides. */
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.cert_path = pki("node2.pem");
	sc.key_path = pki("node2.key");
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .uri = "spiffe://test.mesh/node/node2"};
	ck_assert_msg(cli_connect_opts(port, &o, &c, err, sizeof(err)) == SDNS_OK,
	              "%s", err);
	sdns_doq_client_free(c);
	c = NULL;
	o.name = "wrong.example";
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "server certificate rejected"), "%s", err);
}
END_TEST

START_TEST(test_expect_uri_refuses_server_with_another_spiffe_id)
{
	uint16_t port = srv_default();
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .uri = "spiffe://test.mesh/node/node2"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "URI SAN is not spiffe://test.mesh/node/node2"),
	              "%s", err);
	/* A prefix of the real id is not the id. */
	o.uri = "spiffe://test.mesh/node/serv";
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(test_expect_uri_still_checks_chain_and_purpose)
{
	/* The right URI on a clientAuth-only certificate is not enough. */
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.cert_path = pki("client.pem");
	sc.key_path = pki("client.key");
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "admin", .uri = "spiffe://test.mesh/client/client"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "purpose"), "%s", err);
}
END_TEST

START_TEST(test_expect_uri_refuses_server_from_rogue_ca)
{
	sdns_doq_server_conf sc;
	srv_conf(&sc);
	sc.cert_path = pki("rogue.pem");
	sc.key_path = pki("rogue.key");
	uint16_t port = srv_start(&sc);
	sdns_doq_client *c = NULL;
	char err[256] = "";
	cli_opts o = {.cert = "client", .uri = "spiffe://test.mesh/client/rogue"};
	ck_assert_int_eq(cli_connect_opts(port, &o, &c, err, sizeof(err)),
	                 SDNS_ECERT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "server certificate rejected"), "%s", err);
}
END_TEST

Suite *doq_suite(void)
{
	Suite *s = suite_create("doq");
	TCase *tc = tcase_create("doq");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_client_is_answered_with_its_identity);
	tcase_add_test(tc, test_query_id_is_sent_as_zero);
	tcase_add_test(tc, test_client_without_certificate_is_refused);
	tcase_add_test(tc, test_client_from_rogue_ca_is_refused);
	tcase_add_test(tc, test_expired_client_is_refused);
	tcase_add_test(tc, test_not_yet_valid_client_is_refused);
	tcase_add_test(tc, test_server_only_eku_client_is_refused);
	tcase_add_test(tc, test_client_without_uri_san_is_refused);
	tcase_add_test(tc, test_client_of_other_mesh_is_refused);
	tcase_add_test(tc, test_client_with_unknown_role_is_refused);
	tcase_add_test(tc, test_wrong_alpn_is_refused);
	tcase_add_test(tc, test_admit_denial_refuses_handshake);
	tcase_add_test(tc, test_client_refuses_server_with_wrong_name);
	tcase_add_test(tc, test_check_credentials_takes_a_matching_pair_issued_by_the_ca);
	tcase_add_test(tc, test_check_credentials_names_a_key_that_is_not_the_certificates);
	tcase_add_test(tc, test_check_credentials_refuses_a_certificate_of_another_ca);
	tcase_add_test(tc, test_server_refuses_an_ed25519_key_that_is_not_its_certificates);
	tcase_add_test(tc, test_client_refuses_server_certificate_without_server_auth);
	tcase_add_test(tc, test_client_accepts_server_by_localhost_name);
	tcase_add_test(tc, test_nonzero_message_id_is_protocol_error);
	tcase_add_test(tc, test_fin_before_complete_message_is_protocol_error);
	tcase_add_test(tc, test_second_message_on_stream_is_protocol_error);
	tcase_add_test(tc, test_edns_keepalive_is_protocol_error);
	tcase_add_test(tc, test_unidirectional_stream_is_refused_by_transport);
	tcase_add_test(tc, test_handler_failure_resets_stream_with_internal_error);
	tcase_add_test(tc, test_unparseable_query_resets_stream_with_internal_error);
	tcase_add_test(tc, test_two_hundred_concurrent_streams_are_all_answered);
	tcase_add_test(tc, test_queued_queries_are_answered_after_one_flush);
	tcase_add_test(tc, test_fifty_connections_are_each_answered);
	tcase_add_test(tc, test_third_connection_from_one_address_is_refused);
	tcase_add_test(tc, test_unfinished_stream_is_reset_after_deadline);
	tcase_add_test(tc, test_connection_over_buffer_limit_is_closed_with_excessive_load);
	tcase_add_test(tc, test_retry_threshold_zero_validates_then_token_skips_retry);
	tcase_add_test(tc, test_stop_closes_connections_with_no_error);
	tcase_add_test(tc, test_server_refuses_bad_listen_address);
	tcase_add_test(tc, test_closing_connection_resends_close_at_exponential_intervals);
	tcase_add_test(tc, test_idle_connection_is_closed_after_idle_timeout);
	tcase_add_test(tc, test_wildcard_v4_server_answers_from_the_address_written_to);
	tcase_add_test(tc, test_wildcard_v6_server_answers_over_ipv6_loopback);
	tcase_add_test(tc, test_identity_carries_spki_hash_and_serial_of_the_certificate);
	tcase_add_test(tc, test_close_matching_closes_only_the_revoked_identity);
	tcase_add_test(tc, test_revoked_identity_cannot_reconnect_but_others_can);
	tcase_add_test(tc, test_close_matching_without_match_leaves_connections_open);
	tcase_add_test(tc, test_close_matching_sees_every_connection_across_workers);
	tcase_add_test(tc, test_close_matching_on_idle_server_returns_zero);
	tcase_add_test(tc, test_deferred_answers_from_another_thread_arrive_out_of_order);
	tcase_add_test(tc, test_reply_after_client_went_away_is_closed);
	tcase_add_test(tc, test_reply_racing_the_connection_close_is_dropped_safely);
	tcase_add_test(tc, test_pending_stream_is_reset_when_deadline_passes);
	tcase_add_test(tc, test_reply_without_response_resets_stream_with_internal_error);
	tcase_add_test(tc, test_reply_from_inside_the_callback_is_sent_at_once);
	tcase_add_test(tc, test_reply_from_another_thread_before_the_callback_returns_is_sent);
	tcase_add_test(tc, test_reply_refuses_bad_tickets_and_lengths);
	tcase_add_test(tc, test_pending_streams_count_against_the_stream_limit);
	tcase_add_test(tc, test_readable_wake_fd_makes_poll_return_at_once_without_reading_it);
	tcase_add_test(tc, test_expect_uri_accepts_server_with_that_spiffe_id);
	tcase_add_test(tc, test_expect_uri_skips_host_name_unless_one_is_given);
	tcase_add_test(tc, test_expect_uri_refuses_server_with_another_spiffe_id);
	tcase_add_test(tc, test_expect_uri_still_checks_chain_and_purpose);
	tcase_add_test(tc, test_expect_uri_refuses_server_from_rogue_ca);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(doq_suite)
