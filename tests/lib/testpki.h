/* A throw-away mesh PKI for tests (TLS, DoQ, API suites), made at run time
 * in a directory the caller owns (sdns_test_mkdtemp / sdns_test_rmtree).
 * All keys are Ed25519, unencrypted PEM, mode 0600; certificates are PEM.
 * Certificates are signed by the good CA unless noted; "valid" means
 * notBefore = now - 5 min, notAfter = now + 825 days.
 *
 *   ca.pem ca.key             good CA, subject CN "test.mesh mesh CA",
 *                             CA:TRUE pathlen:0 (mesh "test.mesh")
 *   rogue-ca.pem rogue-ca.key another CA ("rogue.mesh mesh CA"), self-signed
 *   server.pem server.key     node "server": EKU serverAuth+clientAuth,
 *                             SAN DNS:localhost IP:127.0.0.1 IP:::1
 *                             URI:spiffe://test.mesh/node/server
 *   node2.pem node2.key       node "node2", same shape as server
 *   client.pem client.key     client "client": EKU clientAuth,
 *                             URI:spiffe://test.mesh/client/client
 *   admin.pem admin.key       admin "admin": EKU clientAuth,
 *                             URI:spiffe://test.mesh/admin/admin
 *   rogue.pem rogue.key       client "rogue" signed by the ROGUE CA
 *                             (URI:spiffe://test.mesh/client/rogue)
 *   expired.pem expired.key   client "expired", notBefore now - 2 days,
 *                             notAfter now - 1 day
 *   notyet.pem notyet.key     client "notyet", notBefore now + 1 day,
 *                             notAfter now + 2 days
 *   serveronly.pem .key       client "serveronly" whose EKU is serverAuth
 *                             only (no clientAuth)
 *   nouri.pem nouri.key       client "nouri": clientAuth, no URI SAN at all
 *                             (no SAN extension)
 *   othermesh.pem .key        client "x" of mesh "other.mesh" (signed by the
 *                             good CA): URI:spiffe://other.mesh/client/x
 *   badrole.pem badrole.key   clientAuth, URI:spiffe://test.mesh/root/x
 *                             (unknown role "root")
 */
#ifndef SDNS_TESTPKI_H
#define SDNS_TESTPKI_H

#define SDNS_TESTPKI_MESH "test.mesh"

/* Creates every file above in dir (which must exist and hold none of the
 * key files). Returns 0, or a negative sdns error code (message on stderr). */
int sdns_testpki_make(const char *dir);

#endif
