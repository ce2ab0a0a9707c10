/* Tests for src/util/peercert.c: real TLS handshakes between an in-process
 * GnuTLS client and server over a socketpair, with the certificates of
 * tests/lib/testpki.h; the identity and the refusal reasons are read on the
 * server side after the handshake, as the API does. The expected values
 * come from OpenSSL (the PKI's library) so both stacks must agree. */
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/peercert.h"
#include "sdns/pki.h"
#include "testlib.h"
#include "testpki.h"

static char g_dir[256];

static void pki_setup(void)
{
	ck_assert_int_eq(sdns_test_mkdtemp("sdns-peercert", g_dir, sizeof(g_dir)),
	                 0);
	ck_assert_int_eq(sdns_testpki_make(g_dir), SDNS_OK);
}

static void pki_teardown(void)
{
	sdns_test_rmtree(g_dir);
}

/* Called from the handshake's client thread too: per-thread buffers, or
 * one thread's path is overwritten while the other still reads it. */
static const char *pki(const char *file)
{
	static _Thread_local char buf[4][512];
	static _Thread_local int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", g_dir, file);
	return buf[i];
}

/* --- one handshake --- */

typedef struct {
	int fd;
	const char *cert;   /* testpki base name, NULL = no certificate */
} client_arg;

static void *client_main(void *p)
{
	client_arg *a = p;
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_certificate_set_x509_trust_file(cred, pki("ca.pem"),
	                                       GNUTLS_X509_FMT_PEM);
	if (a->cert) {
		char c[64], k[64];
		snprintf(c, sizeof(c), "%s.pem", a->cert);
		snprintf(k, sizeof(k), "%s.key", a->cert);
		gnutls_certificate_set_x509_key_file(cred, pki(c), pki(k),
		                                     GNUTLS_X509_FMT_PEM);
	}
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, a->fd);
	int rv;
	do {
		rv = gnutls_handshake(s);
	} while (rv < 0 && !gnutls_error_is_fatal(rv));
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	close(a->fd);
	return NULL;
}

/* Handshake with a client presenting cert; run the check on the server
 * session. The server only requests a certificate, so every client gets
 * through the handshake and the verdict is the check's alone. */
static int handshake(const char *cert, const char *mesh, sdns_identity *id,
                     const char **reason)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client_arg a = {.fd = sv[1], .cert = cert};
	pthread_t thr;
	ck_assert_int_eq(pthread_create(&thr, NULL, client_main, &a), 0);
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cred), 0);
	ck_assert_int_eq(gnutls_certificate_set_x509_key_file(
		cred, pki("server.pem"), pki("server.key"), GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_gt(gnutls_certificate_set_x509_trust_file(
		cred, pki("ca.pem"), GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_init(&s, GNUTLS_SERVER), 0);
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	/* Else a client of another CA would keep its certificate back. */
	gnutls_certificate_send_x509_rdn_sequence(s, 1);
	gnutls_transport_set_int(s, sv[0]);
	int rv;
	do {
		rv = gnutls_handshake(s);
	} while (rv < 0 && !gnutls_error_is_fatal(rv));
	ck_assert_msg(rv == 0, "handshake: %s", gnutls_strerror(rv));
	*reason = "unset";
	int res = sdns_peercert_identity(s, mesh, id, reason);
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	close(sv[0]);
	pthread_join(thr, NULL);
	return res;
}

/* --- expected values, computed with OpenSSL --- */

static X509 *read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* BN_bn2hex pads to whole octets and is uppercase; the stored spelling has
 * no leading zero digits and is lowercase. */
static void openssl_serial(const char *path, char *out, size_t cap)
{
	X509 *x = read_pem(path);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);
	const char *p = hex;
	while (p[0] == '0' && p[1]) p++;
	snprintf(out, cap, "%s", p);
	for (char *q = out; *q; q++) *q = (char)tolower((unsigned char)*q);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
}

static void openssl_fingerprint(const char *path, uint8_t out[32])
{
	X509 *x = read_pem(path);
	unsigned n = 0;
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), out, &n), 1);
	ck_assert_uint_eq(n, 32);
	X509_free(x);
}

static void pin_bytes(const char *path, uint8_t out[32])
{
	char b64[SDNS_PKI_PIN_MAX];
	ck_assert_int_eq(sdns_pki_spki_pin_file(path, b64, sizeof(b64)), SDNS_OK);
	ck_assert_uint_eq(strlen(b64), 44);
	unsigned char raw[48];
	ck_assert_int_eq(EVP_DecodeBlock(raw, (const unsigned char *)b64, 44), 33);
	memcpy(out, raw, 32);
}

/* --- tests --- */

START_TEST(test_good_client_identity_matches_openssl_view_of_certificate)
{
	sdns_identity id;
	const char *reason;
	ck_assert_int_eq(handshake("client", SDNS_TESTPKI_MESH, &id, &reason),
	                 SDNS_OK);
	ck_assert_ptr_null(reason);
	ck_assert_int_eq(id.role, SDNS_ROLE_CLIENT);
	ck_assert_str_eq(id.mesh, SDNS_TESTPKI_MESH);
	ck_assert_str_eq(id.name, "client");
	ck_assert_str_eq(id.uri, "spiffe://test.mesh/client/client");
	uint8_t want[32];
	openssl_fingerprint(pki("client.pem"), want);
	ck_assert_mem_eq(id.cert_sha256, want, 32);
	pin_bytes(pki("client.pem"), want);
	ck_assert_mem_eq(id.spki_sha256, want, 32);
	char serial[64];
	openssl_serial(pki("client.pem"), serial, sizeof(serial));
	ck_assert_str_eq(id.serial_hex, serial);
}
END_TEST

START_TEST(test_node_and_admin_identities_carry_their_roles)
{
	sdns_identity id;
	const char *reason;
	ck_assert_int_eq(handshake("node2", SDNS_TESTPKI_MESH, &id, &reason),
	                 SDNS_OK);
	ck_assert_int_eq(id.role, SDNS_ROLE_NODE);
	ck_assert_str_eq(id.name, "node2");
	char serial[64];
	openssl_serial(pki("node2.pem"), serial, sizeof(serial));
	ck_assert_str_eq(id.serial_hex, serial);
	ck_assert_int_eq(handshake("admin", NULL, &id, &reason), SDNS_OK);
	ck_assert_int_eq(id.role, SDNS_ROLE_ADMIN);
	ck_assert_str_eq(id.name, "admin");
}
END_TEST

static void expect_refused(const char *cert, const char *want)
{
	sdns_identity id;
	const char *reason = NULL;
	ck_assert_int_eq(handshake(cert, SDNS_TESTPKI_MESH, &id, &reason),
	                 SDNS_ECERT);
	ck_assert_ptr_nonnull(reason);
	ck_assert_str_eq(reason, want);
	/* Nothing of a refused certificate may leak into the identity. */
	static const sdns_identity zero;
	ck_assert_mem_eq(&id, &zero, sizeof(id));
}

START_TEST(test_certificate_of_rogue_ca_is_unknown_ca)
{
	expect_refused("rogue", "unknown_ca");
}
END_TEST

START_TEST(test_expired_certificate_is_expired)
{
	expect_refused("expired", "expired");
}
END_TEST

START_TEST(test_not_yet_valid_certificate_is_not_yet_valid)
{
	expect_refused("notyet", "not_yet_valid");
}
END_TEST

START_TEST(test_server_only_eku_is_no_client_auth_eku)
{
	expect_refused("serveronly", "no_client_auth_eku");
}
END_TEST

START_TEST(test_certificate_without_uri_is_no_uri_san)
{
	expect_refused("nouri", "no_uri_san");
}
END_TEST

START_TEST(test_unknown_role_is_bad_uri_san)
{
	expect_refused("badrole", "bad_uri_san");
}
END_TEST

START_TEST(test_other_mesh_is_wrong_mesh)
{
	expect_refused("othermesh", "wrong_mesh");
}
END_TEST

START_TEST(test_other_mesh_is_accepted_when_no_mesh_is_required)
{
	sdns_identity id;
	const char *reason;
	ck_assert_int_eq(handshake("othermesh", NULL, &id, &reason), SDNS_OK);
	ck_assert_str_eq(id.mesh, "other.mesh");
}
END_TEST

START_TEST(test_no_certificate_is_no_certificate)
{
	expect_refused(NULL, "no_certificate");
}
END_TEST

static const char *serial_of(const char *hex)
{
	static char out[64];
	uint8_t raw[32];
	int n = sdns_test_hex(hex, raw, sizeof(raw));
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(sdns_peercert_serial_hex(raw, (size_t)n, out,
	                                          sizeof(out)), SDNS_OK);
	return out;
}

START_TEST(test_serial_hex_drops_leading_zeros_and_is_lowercase)
{
	ck_assert_str_eq(serial_of("00 8f 01"), "8f01");
	ck_assert_str_eq(serial_of("0a"), "a");
	ck_assert_str_eq(serial_of("05 00"), "500");
	ck_assert_str_eq(serial_of("00"), "0");
	ck_assert_str_eq(serial_of(""), "0");
	ck_assert_str_eq(serial_of("7F ff AB cd"), "7fffabcd");
}
END_TEST

START_TEST(test_serial_hex_of_twenty_octets_fits_identity_field)
{
	uint8_t raw[21];
	memset(raw, 0xab, sizeof(raw));
	raw[0] = 0;
	sdns_identity id;
	ck_assert_int_eq(sdns_peercert_serial_hex(raw, sizeof(raw), id.serial_hex,
	                                          sizeof(id.serial_hex)), SDNS_OK);
	ck_assert_uint_eq(strlen(id.serial_hex), 40);
	raw[0] = 1;  /* 21 significant octets: too long */
	ck_assert_int_eq(sdns_peercert_serial_hex(raw, sizeof(raw), id.serial_hex,
	                                          sizeof(id.serial_hex)),
	                 SDNS_ESPACE);
}
END_TEST

START_TEST(test_serial_hex_rejects_bad_arguments)
{
	char out[8];
	uint8_t one = 1;
	ck_assert_int_eq(sdns_peercert_serial_hex(&one, 1, out, 1), SDNS_EINVAL);
	ck_assert_int_eq(sdns_peercert_serial_hex(NULL, 1, out, sizeof(out)),
	                 SDNS_EINVAL);
	ck_assert_int_eq(sdns_peercert_serial_hex(&one, 1, NULL, 8), SDNS_EINVAL);
	uint8_t two[2] = {0x12, 0x34};
	ck_assert_int_eq(sdns_peercert_serial_hex(two, 2, out, 4), SDNS_ESPACE);
	ck_assert_int_eq(sdns_peercert_serial_hex(two, 2, out, 5), SDNS_OK);
	ck_assert_str_eq(out, "1234");
}
END_TEST

static Suite *peercert_suite(void)
{
	Suite *s = suite_create("peercert");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_client_identity_matches_openssl_view_of_certificate);
	tcase_add_test(tc, test_node_and_admin_identities_carry_their_roles);
	tcase_add_test(tc, test_certificate_of_rogue_ca_is_unknown_ca);
	tcase_add_test(tc, test_expired_certificate_is_expired);
	tcase_add_test(tc, test_not_yet_valid_certificate_is_not_yet_valid);
	tcase_add_test(tc, test_server_only_eku_is_no_client_auth_eku);
	tcase_add_test(tc, test_certificate_without_uri_is_no_uri_san);
	tcase_add_test(tc, test_unknown_role_is_bad_uri_san);
	tcase_add_test(tc, test_other_mesh_is_wrong_mesh);
	tcase_add_test(tc, test_other_mesh_is_accepted_when_no_mesh_is_required);
	tcase_add_test(tc, test_no_certificate_is_no_certificate);
	tcase_add_test(tc, test_serial_hex_drops_leading_zeros_and_is_lowercase);
	tcase_add_test(tc, test_serial_hex_of_twenty_octets_fits_identity_field);
	tcase_add_test(tc, test_serial_hex_rejects_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

SDNS_TEST_MAIN(peercert_suite)
