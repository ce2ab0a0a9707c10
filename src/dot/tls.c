/* GnuTLS for DoT: TLS 1.3 only, ALPN "dot" mandatory, no early data, the
 * client certificate required and verified inside the handshake with the
 * same check as DoQ (sdns/peercert.h, then admit). GnuTLS's
 * GNUTLS_CERT_REQUIRE alone accepts any certificate: the verify function
 * is what refuses. */
#include <string.h>

#include "dot_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/peercert.h"

static const char PRIORITY[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

static int verify_cb(gnutls_session_t tls)
{
	dot_conn *c = gnutls_session_get_ptr(tls);
	sdns_dot_server *s = c->srv;
	const char *reason = "internal";
	int rc = sdns_peercert_identity(tls, s->mesh, &c->id, &reason);
	if (rc == SDNS_OK && s->conf.admit &&
	    s->conf.admit(s->conf.ctx, &c->id) != SDNS_OK) {
		rc = SDNS_EDENIED;
		reason = "denied";
	}
	if (rc != SDNS_OK) {
		sdns_log(SDNS_LOG_INFO, "dot_handshake_refused",
		         "peer=%s reason=%s", c->peer, reason ? reason : "internal");
		c->refused = true;
		return -1;
	}
	return 0;
}

int dot_tls_init(sdns_dot_server *s, char *err, size_t cap)
{
	const sdns_dot_server_conf *c = &s->conf;
	if (!c->cert_path || !c->key_path || !c->ca_path) {
		dot_errf(err, cap, "cert_path, key_path and ca_path are required");
		return SDNS_ECONFIG;
	}
	int rv = gnutls_certificate_allocate_credentials(&s->cred);
	if (rv < 0) {
		dot_errf(err, cap, "credentials: %s", gnutls_strerror(rv));
		return SDNS_ETLS;
	}
	rv = gnutls_certificate_set_x509_key_file(s->cred, c->cert_path,
	                                          c->key_path,
	                                          GNUTLS_X509_FMT_PEM);
	if (rv < 0) {
		dot_errf(err, cap, "certificate %s / key %s: %s", c->cert_path,
		         c->key_path, gnutls_strerror(rv));
		return SDNS_ECERT;
	}
	rv = gnutls_certificate_set_x509_trust_file(s->cred, c->ca_path,
	                                            GNUTLS_X509_FMT_PEM);
	if (rv <= 0) {
		dot_errf(err, cap, "CA %s: %s", c->ca_path,
		         rv == 0 ? "no certificate" : gnutls_strerror(rv));
		return SDNS_ECERT;
	}
	gnutls_certificate_set_verify_function(s->cred, verify_cb);
	rv = gnutls_priority_init(&s->prio, PRIORITY, NULL);
	if (rv < 0) {
		dot_errf(err, cap, "priority: %s", gnutls_strerror(rv));
		return SDNS_ETLS;
	}
	return SDNS_OK;
}

void dot_tls_deinit(sdns_dot_server *s)
{
	if (s->prio) gnutls_priority_deinit(s->prio);
	if (s->cred) gnutls_certificate_free_credentials(s->cred);
	s->prio = NULL;
	s->cred = NULL;
}

int dot_tls_session(sdns_dot_server *s, dot_conn *c)
{
	/* No GNUTLS_ENABLE_EARLY_DATA: 0-RTT stays off (replayable). */
	if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	                             GNUTLS_NO_AUTO_SEND_TICKET) < 0)
		return SDNS_ENOMEM;
	gnutls_datum_t alpn = {(unsigned char *)(uintptr_t)SDNS_DOT_ALPN,
	                       (unsigned)strlen(SDNS_DOT_ALPN)};
	if (gnutls_priority_set(c->tls, s->prio) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, s->cred) < 0 ||
	    gnutls_alpn_set_protocols(c->tls, &alpn, 1,
	                              GNUTLS_ALPN_MANDATORY) < 0)
		return SDNS_ETLS;
	gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
	/* Without this a GnuTLS client whose issuer is not listed sends no
	 * certificate, hiding the real refusal reason. */
	gnutls_certificate_send_x509_rdn_sequence(c->tls, 1);
	gnutls_session_set_ptr(c->tls, c);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, 0);
	return SDNS_OK;
}
