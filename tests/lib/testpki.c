/* The test PKI; see testpki.h for what each file is. */
#include "testpki.h"

#include <stdio.h>

#include "sdns/error.h"
#include "sdns/pki.h"

typedef struct {
	const char *file;      /* leaf base name */
	const char *ca;        /* issuer base name */
	sdns_role role;
	const char *mesh, *name;
	unsigned eku;
	int64_t nb, na;
	int omit_uri;
	const char *uri;
} leaf_spec;

#define DAY 86400

static const char *const server_sans[] = {"localhost", "127.0.0.1", "::1"};

static const leaf_spec leaves[] = {
	{"server", "ca", SDNS_ROLE_NODE, "test.mesh", "server", 0, 0, 0, 0, NULL},
	{"node2", "ca", SDNS_ROLE_NODE, "test.mesh", "node2", 0, 0, 0, 0, NULL},
	{"client", "ca", SDNS_ROLE_CLIENT, "test.mesh", "client", 0, 0, 0, 0, NULL},
	{"admin", "ca", SDNS_ROLE_ADMIN, "test.mesh", "admin", 0, 0, 0, 0, NULL},
	{"rogue", "rogue-ca", SDNS_ROLE_CLIENT, "test.mesh", "rogue", 0, 0, 0, 0,
	 NULL},
	{"expired", "ca", SDNS_ROLE_CLIENT, "test.mesh", "expired", 0, -2 * DAY,
	 -DAY, 0, NULL},
	{"notyet", "ca", SDNS_ROLE_CLIENT, "test.mesh", "notyet", 0, DAY, 2 * DAY,
	 0, NULL},
	{"serveronly", "ca", SDNS_ROLE_CLIENT, "test.mesh", "serveronly",
	 SDNS_EKU_SERVER, 0, 0, 0, NULL},
	{"nouri", "ca", SDNS_ROLE_CLIENT, "test.mesh", "nouri", 0, 0, 0, 1, NULL},
	{"othermesh", "ca", SDNS_ROLE_CLIENT, "other.mesh", "x", 0, 0, 0, 0, NULL},
	{"badrole", "ca", SDNS_ROLE_CLIENT, "test.mesh", "x", 0, 0, 0, 0,
	 "spiffe://test.mesh/root/x"},
};

static int path(char *buf, size_t cap, const char *dir, const char *base,
                const char *ext)
{
	int n = snprintf(buf, cap, "%s/%s.%s", dir, base, ext);
	return n < 0 || (size_t)n >= cap ? SDNS_ESPACE : SDNS_OK;
}

static int make_ca(const char *dir, const char *base, const char *mesh)
{
	char pem[4096], key[4096], err[512];
	if (path(pem, sizeof(pem), dir, base, "pem") < 0 ||
	    path(key, sizeof(key), dir, base, "key") < 0)
		return SDNS_ESPACE;
	sdns_pki_ca_opts o = {.cert_path = pem, .key_path = key, .mesh = mesh,
	                      .alg = SDNS_KEY_ED25519};
	int rc = sdns_pki_make_ca(&o, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "testpki: %s\n", err);
	return rc;
}

static int make_leaf(const char *dir, const leaf_spec *s)
{
	char pem[4096], key[4096], ca_pem[4096], ca_key[4096], err[512];
	if (path(pem, sizeof(pem), dir, s->file, "pem") < 0 ||
	    path(key, sizeof(key), dir, s->file, "key") < 0 ||
	    path(ca_pem, sizeof(ca_pem), dir, s->ca, "pem") < 0 ||
	    path(ca_key, sizeof(ca_key), dir, s->ca, "key") < 0)
		return SDNS_ESPACE;
	int node = s->role == SDNS_ROLE_NODE;
	sdns_pki_leaf_opts o = {
		.ca_cert_path = ca_pem, .ca_key_path = ca_key,
		.cert_path = pem, .key_path = key,
		.role = s->role, .mesh = s->mesh, .name = s->name,
		.sans = node ? server_sans : NULL, .n_sans = node ? 3 : 0,
		.alg = SDNS_KEY_ED25519, .eku = s->eku,
		.omit_uri_san = s->omit_uri, .uri_override = s->uri,
		.not_before_s = s->nb, .not_after_s = s->na,
	};
	int rc = sdns_pki_issue(&o, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "testpki: %s\n", err);
	return rc;
}

int sdns_testpki_make(const char *dir)
{
	int rc = make_ca(dir, "ca", SDNS_TESTPKI_MESH);
	if (rc == SDNS_OK)
		rc = make_ca(dir, "rogue-ca", "rogue.mesh");
	for (size_t i = 0; rc == SDNS_OK && i < sizeof(leaves) / sizeof(leaves[0]);
	     i++)
		rc = make_leaf(dir, &leaves[i]);
	return rc;
}
