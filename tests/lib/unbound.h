/* A real Debian `unbound` serving DNS-over-TLS on a free loopback port, for
 * the forwarder and stub suites. It serves only local-data (module-config
 * "iterator", no trust anchor, nothing leaves the machine), runs in the
 * foreground as a child of the test (killed if the test dies), with a
 * throw-away PKI from sdns_testpki_make in its own temporary directory.
 * Queries are counted through unbound-control on a private unix socket. */
#ifndef SDNS_TEST_UNBOUND_H
#define SDNS_TEST_UNBOUND_H

#include <sys/types.h>

#include "sdns/pki.h"

typedef struct {
	char dir[200];         /* temp dir: conf, PKI, log, control socket */
	char conf[256];
	char ca[256];          /* dir/ca.pem: the CA that signed server.pem */
	char pin[SDNS_PKI_PIN_MAX];   /* SPKI pin of server.pem */
	char addr[32];         /* "127.0.0.1:PORT" (DoT) */
	int port;
	pid_t pid;             /* 0 when stopped */
} sdns_test_unbound;

/* extra: more server: lines (e.g. "local-data: \"x.test. 60 IN A 1.2.3.4\"\n"),
 * may be NULL. Always serves zone "test." with a.test A 192.0.2.1,
 * b.test AAAA 2001:db8::1, t.test TXT "hello". Returns 0 once it answers
 * TLS on addr, -1 otherwise (log tail on stderr). */
int sdns_test_unbound_start(sdns_test_unbound *u, const char *extra);
/* Kill (SIGTERM, then SIGKILL) and reap; the port stays reserved by
 * nothing, so a restart binds it again. */
void sdns_test_unbound_stop(sdns_test_unbound *u);
/* Start again with the same config and port; 0 or -1. */
int sdns_test_unbound_restart(sdns_test_unbound *u);
/* total.num.queries since the first start of this process; -1 on error. */
long sdns_test_unbound_queries(sdns_test_unbound *u);
/* Stop and remove the directory. */
void sdns_test_unbound_free(sdns_test_unbound *u);
/* A loopback TCP port nothing listens on right now. */
int sdns_test_free_port(void);

#endif
