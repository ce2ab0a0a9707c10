/* The trust set of a test's own audit key: what sdnsd trusts by default
 * (its own key and nothing else), for suites that verify the chain. */
#ifndef SDNS_TEST_AUDIT_H
#define SDNS_TEST_AUDIT_H

#include <string.h>

#include "sdns/audit.h"
#include "sdns/audithead.h"

static inline const sdns_audit_trust *sdns_test_own_trust(
	const sdns_audit_key *k)
{
	static sdns_audit_trust t;
	memset(&t, 0, sizeof t);
	sdns_audit_trust_add(&t, NULL, k->pub);
	return &t;
}

#endif
