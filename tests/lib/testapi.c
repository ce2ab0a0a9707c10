/* See testapi.h. */
#include <check.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/pki.h"
#include "sdns/store.h"
#include "testapi.h"
#include "testlib.h"
#include "testpg.h"
#include "testpki.h"

void sdns_testapi_files(const sdns_testapi *t, const char *who, char *ca,
                        char *cert, char *key, size_t cap)
{
	snprintf(ca, cap, "%s/ca.pem", t->dir);
	snprintf(cert, cap, "%s/%s.pem", t->dir, who ? who : "");
	snprintf(key, cap, "%s/%s.key", t->dir, who ? who : "");
}

/* Serial and SPKI hash of node2.pem, as revocation matches them. */
static void node2_ids(const sdns_testapi *t, char *serial, size_t cap,
                      uint8_t spki[32])
{
	char path[300];
	snprintf(path, sizeof(path), "%s/node2.pem", t->dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sdns_pki_serial_spki_der(der, (size_t)n, serial, cap,
	                                          spki), 0);
	OPENSSL_free(der);
	X509_free(x);
}

void sdns_testapi_setup(sdns_testapi *t, const char *name,
                        void (*tune)(sdns_api_conf *conf))
{
	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(sdns_test_mkdtemp(name, t->dir, sizeof(t->dir)), 0);
	ck_assert_int_eq(sdns_testpki_make(t->dir), 0);
	sdns_testpg_setup();
	ck_assert_int_eq(sdns_testpg_fresh_db(t->conninfo, sizeof(t->conninfo)),
	                 0);
	/* as the owner; the API then runs as the runtime role, as sdnsd does */
	ck_assert_int_eq(sdns_testpg_migrate(t->conninfo, NULL), 0);
	ck_assert_int_eq(sdns_audit_key_generate(&t->akey), 0);
	sdns_testapi_restart(t, tune);
	/* node2 (testpki's node2.pem) as a registered node: it can own zones
	 * and be revoked through DELETE /peers/{id}. SPKI and serial are the
	 * certificate's own, so that revocation matches it. */
	char serial[64], spki_hex[65], sql[800];
	uint8_t spki[32];
	node2_ids(t, serial, sizeof(serial), spki);
	for (int i = 0; i < 32; i++)
		snprintf(spki_hex + 2 * i, 3, "%02x", spki[i]);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO nodes (name, role, spiffe_id, cert_pem, "
	         "cert_sha256, spki_sha256, cert_serial) VALUES ('node2', "
	         "'node', 'spiffe://test.mesh/node/node2', 'x', "
	         "sha256('node2'), '\\x%s', '%s')", spki_hex, serial);
	ck_assert_int_eq(sdns_testpg_exec(t->conninfo, sql), 0);
	t->node2_id = sdns_testapi_count(t,
		"SELECT id FROM nodes WHERE name = 'node2'");
}

void sdns_testapi_restart(sdns_testapi *t, void (*tune)(sdns_api_conf *conf))
{
	sdns_api_stop(t->api);
	t->api = NULL;
	char cert[300], key[300], ca[300], e[200];
	snprintf(cert, sizeof(cert), "%s/server.pem", t->dir);
	snprintf(key, sizeof(key), "%s/server.key", t->dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", t->dir);
	sdns_api_conf conf = {
		.listen = "127.0.0.1:0", .cert_path = cert, .key_path = key,
		.ca_path = ca, .mesh = SDNS_TESTPKI_MESH,
		.conninfo = t->conninfo, .threads = 2, .audit_key = &t->akey,
	};
	if (tune) tune(&conf);
	ck_assert_msg(sdns_api_start(&conf, &t->api, e, sizeof(e)) == 0, "%s",
	              e);
	t->port = sdns_api_port(t->api);
	ck_assert_int_ne(t->port, 0);
}

void sdns_testapi_teardown(sdns_testapi *t)
{
	sdns_api_stop(t->api);
	t->api = NULL;
	sdns_testpg_teardown();
	sdns_test_rmtree(t->dir);
}

int sdns_testapi_req(const sdns_testapi *t, const char *who,
                     const char *method, const char *path, const char *hdrs,
                     const char *body, sdns_http_resp *r)
{
	char ca[300], cert[300], key[300];
	sdns_testapi_files(t, who, ca, cert, key, sizeof(ca));
	sdns_http_tls tls = {ca, who ? cert : NULL, who ? key : NULL};
	int rc = sdns_http_request(t->port, &tls, method, path, hdrs, body,
	                           body ? strlen(body) : 0, r);
	ck_assert_int_eq(rc, 0);
	return r->status;
}

long sdns_testapi_metric(const sdns_testapi *t, const char *name)
{
	sdns_http_resp r;
	ck_assert_int_eq(sdns_testapi_req(t, "admin", "GET", "/metrics", NULL,
	                                  NULL, &r), 200);
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(r.body, key);
	long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
	sdns_http_resp_free(&r);
	return v;
}

long sdns_testapi_count(const sdns_testapi *t, const char *sql)
{
	PGconn *c = PQconnectdb(t->conninfo);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	              "%s: %s", sql, PQerrorMessage(c));
	long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return v;
}
