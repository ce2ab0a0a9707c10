/* GnuTLS credentials and sessions for DoQ: TLS 1.3 only, ALPN "doq",
 * no early data, the client certificate required and verified during the
 * handshake (see verify.c), the server certificate checked by name or,
 * for mesh peers, by its URI SAN (client.c). */
#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#include "doq_int.h"
#include "sdns/error.h"

/* Compat mode off: QUIC forbids the TLS 1.3 middlebox compatibility
 * ChangeCipherSpec. */
static const char PRIORITY[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE";

static int init_common(doq_tls *t, char *err, size_t cap)
{
	memset(t, 0, sizeof(*t));
	int rv = gnutls_certificate_allocate_credentials(&t->cred);
	if (rv < 0) {
		doq_errf(err, cap, "credentials: %s", gnutls_strerror(rv));
		return SDNS_ETLS;
	}
	rv = gnutls_priority_init(&t->prio, PRIORITY, NULL);
	if (rv < 0) {
		doq_errf(err, cap, "priority: %s", gnutls_strerror(rv));
		gnutls_certificate_free_credentials(t->cred);
		t->cred = NULL;
		return SDNS_ETLS;
	}
	return SDNS_OK;
}

static int load_ca(doq_tls *t, const char *ca, char *err, size_t cap)
{
	int rv = gnutls_certificate_set_x509_trust_file(t->cred, ca,
	                                                GNUTLS_X509_FMT_PEM);
	if (rv <= 0) {
		doq_errf(err, cap, "CA %s: %s", ca,
		         rv == 0 ? "no certificate" : gnutls_strerror(rv));
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

/* The key's public half against the first certificate of the file's.
 * GnuTLS 3.7 compares them for RSA and ECDSA keys but not for Ed25519:
 * a wrong Ed25519 key would load and fail every handshake. */
static bool pair_matches(const char *cert, const char *key)
{
	gnutls_datum_t cpem = { NULL, 0 }, kpem = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	gnutls_privkey_t pk = NULL;
	gnutls_pubkey_t pub = NULL;
	unsigned char cid[64], kid[64];
	size_t csz = sizeof cid, ksz = sizeof kid;
	bool ok = gnutls_load_file(cert, &cpem) >= 0 &&
	          gnutls_load_file(key, &kpem) >= 0 &&
	          gnutls_x509_crt_init(&crt) >= 0 &&
	          gnutls_x509_crt_import(crt, &cpem, GNUTLS_X509_FMT_PEM) >= 0 &&
	          gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cid,
	                                     &csz) >= 0 &&
	          gnutls_privkey_init(&pk) >= 0 &&
	          gnutls_privkey_import_x509_raw(pk, &kpem, GNUTLS_X509_FMT_PEM,
	                                         NULL, 0) >= 0 &&
	          gnutls_pubkey_init(&pub) >= 0 &&
	          gnutls_pubkey_import_privkey(pub, pk, 0, 0) >= 0 &&
	          gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, kid,
	                                   &ksz) >= 0 &&
	          csz == ksz && memcmp(cid, kid, csz) == 0;
	if (pub) gnutls_pubkey_deinit(pub);
	if (pk) gnutls_privkey_deinit(pk);
	if (crt) gnutls_x509_crt_deinit(crt);
	if (kpem.data) {
		gnutls_memset(kpem.data, 0, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	return ok;
}

static int load_pair(doq_tls *t, const char *cert, const char *key, char *err,
                     size_t cap)
{
	int rv = gnutls_certificate_set_x509_key_file(t->cred, cert, key,
	                                              GNUTLS_X509_FMT_PEM);
	if (rv < 0) {
		doq_errf(err, cap, "certificate %s / key %s: %s", cert, key,
		         gnutls_strerror(rv));
		return SDNS_ECERT;
	}
	if (!pair_matches(cert, key)) {
		doq_errf(err, cap, "certificate %s / key %s: %s", cert, key,
		         gnutls_strerror(GNUTLS_E_CERTIFICATE_KEY_MISMATCH));
		return SDNS_ECERT;
	}
	return SDNS_OK;
}

int doq_tls_server_init(doq_tls *t, const char *cert, const char *key,
                        const char *ca, gnutls_certificate_verify_function *fn,
                        char *err, size_t cap)
{
	if (!cert || !key || !ca) {
		doq_errf(err, cap, "cert_path, key_path and ca_path are required");
		return SDNS_ECONFIG;
	}
	int rv = init_common(t, err, cap);
	if (rv == SDNS_OK) rv = load_pair(t, cert, key, err, cap);
	if (rv == SDNS_OK) rv = load_ca(t, ca, err, cap);
	if (rv != SDNS_OK) {
		doq_tls_deinit(t);
		return rv;
	}
	gnutls_certificate_set_verify_function(t->cred, fn);
	return SDNS_OK;
}

int doq_tls_client_init(doq_tls *t, const char *ca, const char *cert,
                        const char *key, char *err, size_t cap)
{
	if (!ca) {
		doq_errf(err, cap, "ca_path is required");
		return SDNS_ECONFIG;
	}
	int rv = init_common(t, err, cap);
	if (rv == SDNS_OK) rv = load_ca(t, ca, err, cap);
	if (rv == SDNS_OK && cert && key) rv = load_pair(t, cert, key, err, cap);
	if (rv != SDNS_OK) doq_tls_deinit(t);
	return rv;
}

/* The chain in cert against the CA file, as a peer verifies it. */
static int check_chain(const char *cert, const char *ca, char *err, size_t cap)
{
	gnutls_x509_trust_list_t tl;
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) return SDNS_ENOMEM;
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0, status = 0;
	int rc = SDNS_ECERT;
	if (gnutls_x509_trust_list_add_trust_file(tl, ca, NULL,
	                                          GNUTLS_X509_FMT_PEM, 0, 0) <= 0)
		doq_errf(err, cap, "CA %s: no certificate", ca);
	else if (gnutls_load_file(cert, &pem) < 0 ||
	         gnutls_x509_crt_list_import2(&crts, &n, &pem,
	                                      GNUTLS_X509_FMT_PEM, 0) < 0 || !n)
		doq_errf(err, cap, "certificate %s: no certificate", cert);
	else if (gnutls_x509_trust_list_verify_crt(tl, crts, n, 0, &status,
	                                           NULL) < 0)
		doq_errf(err, cap, "certificate %s: cannot verify", cert);
	else if (status) {
		gnutls_datum_t why = { NULL, 0 };
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
		                                             &why, 0);
		char *w = why.data ? (char *)why.data : NULL;
		size_t l = w ? strlen(w) : 0;
		while (l && w[l - 1] == ' ') w[--l] = '\0';
		doq_errf(err, cap, "certificate %s does not chain to CA %s: %s", cert,
		         ca, w ? w : "not trusted");
		gnutls_free(why.data);
	} else
		rc = SDNS_OK;
	for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	gnutls_free(pem.data);
	gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}

int sdns_doq_check_credentials(const char *cert, const char *key,
                               const char *ca, char *err, size_t cap)
{
	doq_tls t;
	int rc = doq_tls_server_init(&t, cert, key, ca, NULL, err, cap);
	if (rc != SDNS_OK) return rc;
	doq_tls_deinit(&t);
	return check_chain(cert, ca, err, cap);
}

void doq_tls_deinit(doq_tls *t)
{
	if (t->prio) gnutls_priority_deinit(t->prio);
	if (t->cred) gnutls_certificate_free_credentials(t->cred);
	t->prio = NULL;
	t->cred = NULL;
}

static int set_alpn(gnutls_session_t s, const char *alpn)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)alpn,
	                    (unsigned)strlen(alpn)};
	return gnutls_alpn_set_protocols(s, &d, 1, GNUTLS_ALPN_MANDATORY);
}

static int common_session(const doq_tls *t, gnutls_session_t s,
                          ngtcp2_crypto_conn_ref *ref, const char *alpn)
{
	if (gnutls_priority_set(s, t->prio) < 0) return SDNS_ETLS;
	if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0)
		return SDNS_ETLS;
	gnutls_session_set_ptr(s, ref);
	if (set_alpn(s, alpn) < 0) return SDNS_ETLS;
	return SDNS_OK;
}

int doq_tls_server_session(const doq_tls *t, ngtcp2_crypto_conn_ref *ref,
                           gnutls_session_t *out)
{
	gnutls_session_t s;
	/* No GNUTLS_ENABLE_EARLY_DATA: 0-RTT stays off (replayable queries). */
	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
	                        GNUTLS_NO_END_OF_EARLY_DATA) < 0)
		return SDNS_ENOMEM;
	int rv = SDNS_ETLS;
	if (ngtcp2_crypto_gnutls_configure_server_session(s) != 0) goto fail;
	if (common_session(t, s, ref, SDNS_DOQ_ALPN) != SDNS_OK) goto fail;
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	/* Without this a GnuTLS client whose issuer is not in the list sends
	 * no certificate at all, which hides the real refusal reason. */
	gnutls_certificate_send_x509_rdn_sequence(s, 1);
	*out = s;
	return SDNS_OK;
fail:
	gnutls_deinit(s);
	return rv;
}

static bool is_ip_literal(const char *name)
{
	uint8_t buf[16];
	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

int doq_tls_client_session(const doq_tls *t, ngtcp2_crypto_conn_ref *ref,
                           const char *name, const char *alpn,
                           gnutls_typed_vdata_st vdata[2],
                           gnutls_certificate_verify_function *verify,
                           gnutls_session_t *out)
{
	gnutls_session_t s;
	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA) < 0)
		return SDNS_ENOMEM;
	if (ngtcp2_crypto_gnutls_configure_client_session(s) != 0 ||
	    common_session(t, s, ref, alpn) != SDNS_OK)
		goto fail;
	/* SNI carries host names only (RFC 6066 §3); GnuTLS matches an IP
	 * literal against the IP SANs. */
	if (name && !is_ip_literal(name) &&
	    gnutls_server_name_set(s, GNUTLS_NAME_DNS, name, strlen(name)) < 0)
		goto fail;
	/* Name (DNS or IP SAN) and the serverAuth purpose; GnuTLS keeps the
	 * vdata pointer, so it lives as long as the session. */
	unsigned n = 0;
	if (name)
		vdata[n++] = (gnutls_typed_vdata_st){
			.type = GNUTLS_DT_DNS_HOSTNAME,
			.data = (unsigned char *)(uintptr_t)name,
		};
	vdata[n++] = (gnutls_typed_vdata_st){
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER,
	};
	gnutls_session_set_verify_cert2(s, vdata, n, 0);
	if (verify) gnutls_session_set_verify_function(s, verify);
	*out = s;
	return SDNS_OK;
fail:
	gnutls_deinit(s);
	return SDNS_ETLS;
}

bool doq_tls_peer_uri_is(gnutls_session_t s, const char *uri)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt;
	if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0) return false;
	bool seen = false, other = false;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
		size_t want = strlen(uri);
		for (unsigned i = 0;; i++) {
			char san[1024];
			size_t len = sizeof(san);
			int type = gnutls_x509_crt_get_subject_alt_name(crt, i, san,
			                                                &len, NULL);
			if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
			/* Too long for us is not the one we want either. */
			if (type < 0) {
				other = true;
				break;
			}
			if (type != GNUTLS_SAN_URI) continue;
			if (len == want && memcmp(san, uri, want) == 0) seen = true;
			else other = true;
		}
	}
	gnutls_x509_crt_deinit(crt);
	return seen && !other;
}

bool doq_tls_alpn_is_doq(gnutls_session_t s)
{
	gnutls_datum_t p;
	if (gnutls_alpn_get_selected_protocol(s, &p) != 0) return false;
	return p.size == strlen(SDNS_DOQ_ALPN) &&
	       memcmp(p.data, SDNS_DOQ_ALPN, p.size) == 0;
}

static const char *alert_name(unsigned a)
{
	switch (a) {
	case 10: return "unexpected_message";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 80: return "internal_error";
	case 109: return "missing_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return "unknown";
	}
}

static const char *doq_code_name(uint64_t code)
{
	switch (code) {
	case SDNS_DOQ_NO_ERROR: return "DOQ_NO_ERROR";
	case SDNS_DOQ_INTERNAL_ERROR: return "DOQ_INTERNAL_ERROR";
	case SDNS_DOQ_PROTOCOL_ERROR: return "DOQ_PROTOCOL_ERROR";
	case SDNS_DOQ_REQUEST_CANCELLED: return "DOQ_REQUEST_CANCELLED";
	case SDNS_DOQ_EXCESSIVE_LOAD: return "DOQ_EXCESSIVE_LOAD";
	default: return "DOQ_UNSPECIFIED_ERROR";
	}
}

void doq_tls_describe_code(uint64_t code, bool app, char *buf, size_t cap)
{
	if (app)
		snprintf(buf, cap, "application error 0x%llx (%s)",
		         (unsigned long long)code, doq_code_name(code));
	else if ((code & ~0xffull) == NGTCP2_CRYPTO_ERROR)
		snprintf(buf, cap, "0x%llx (TLS alert %u %s)",
		         (unsigned long long)code, (unsigned)(code & 0xff),
		         alert_name((unsigned)(code & 0xff)));
	else if (code == NGTCP2_CONNECTION_REFUSED)
		snprintf(buf, cap, "0x%llx (CONNECTION_REFUSED)",
		         (unsigned long long)code);
	else
		snprintf(buf, cap, "transport error 0x%llx",
		         (unsigned long long)code);
}
