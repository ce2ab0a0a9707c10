/* Mesh identities: the SPIFFE-style URI SAN every certificate carries,
 * spiffe://<mesh>/<role>/<name>, and the role that decides what its holder
 * may do (DESIGN.md "Identities and roles"). Pure string handling. */
#ifndef SDNS_IDENTITY_H
#define SDNS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	SDNS_ROLE_NONE = 0,
	SDNS_ROLE_NODE = 1,    /* mesh node: server and client */
	SDNS_ROLE_ADMIN = 2,   /* manages everything through the API */
	SDNS_ROLE_CLIENT = 3,  /* may only query */
} sdns_role;

#define SDNS_ID_PART_MAX 64   /* mesh and name: 1..63 chars + NUL */
#define SDNS_ID_URI_MAX 160

typedef struct {
	sdns_role role;
	char mesh[SDNS_ID_PART_MAX];
	char name[SDNS_ID_PART_MAX];
	char uri[SDNS_ID_URI_MAX];
	uint8_t cert_sha256[32];  /* fingerprint of the leaf (DER) */
	/* What revocation matches (a re-encoded certificate keeps both):
	 * SHA-256 of the leaf's DER SubjectPublicKeyInfo (sdns_pki_spki_pin_*
	 * base64-decoded), and its serial in lowercase hex without leading
	 * zeros ("0" for zero). Filled by sdns_peercert_identity; zero/empty
	 * when the identity came from a URI alone. */
	uint8_t spki_sha256[32];
	char serial_hex[41];      /* serials are at most 20 octets */
} sdns_identity;

/* Parse "spiffe://mesh/role/name". mesh and name: 1..63 of [a-z0-9.-],
 * lowercase only (no case games between identities), not starting with '-'
 * or '.'; a node's name is one label (no '.'). Anything else: SDNS_ESYNTAX. */
int sdns_identity_parse_uri(const char *uri, size_t len, sdns_identity *out);
/* "spiffe://mesh/role/name" into buf. */
int sdns_identity_format_uri(sdns_role role, const char *mesh,
                             const char *name, char *buf, size_t cap);
const char *sdns_role_name(sdns_role role);          /* "node", ... "none" */
sdns_role sdns_role_from_name(const char *s);        /* NONE if unknown */
/* Name/mesh charset check used by the parser and by the PKI tools. */
int sdns_identity_check_part(const char *s, size_t len);
/* The part check plus the role's own rule: a node name has no '.'. */
int sdns_identity_check_name(sdns_role role, const char *s, size_t len);

#endif
