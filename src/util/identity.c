/* SPIFFE-style identities; see sdns/identity.h. */
#include "sdns/identity.h"

#include <stdio.h>
#include <string.h>

#include "sdns/error.h"

static const char *const role_names[] = {"none", "node", "admin", "client"};

const char *sdns_role_name(sdns_role role)
{
	if ((int)role < 0 || role > SDNS_ROLE_CLIENT)
		return "none";
	return role_names[role];
}

sdns_role sdns_role_from_name(const char *s)
{
	for (int r = SDNS_ROLE_NODE; r <= SDNS_ROLE_CLIENT; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (sdns_role)r;
	return SDNS_ROLE_NONE;
}

int sdns_identity_check_part(const char *s, size_t len)
{
	if (len == 0 || len >= SDNS_ID_PART_MAX || s[0] == '-' || s[0] == '.')
		return SDNS_ESYNTAX;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return SDNS_ESYNTAX;
	}
	return SDNS_OK;
}

/* A node's name is the first label of its zone <name>.<mesh>: with a dot
 * in it, node "x.alpha" would own x.alpha.<mesh>, inside node alpha's. */
int sdns_identity_check_name(sdns_role role, const char *s, size_t len)
{
	int rc = sdns_identity_check_part(s, len);
	if (rc == SDNS_OK && role == SDNS_ROLE_NODE && memchr(s, '.', len))
		rc = SDNS_ESYNTAX;
	return rc;
}

/* Copy [s, s+len) into a part buffer after checking it. */
static int take_part(const char *s, size_t len, char *dst)
{
	int rc = sdns_identity_check_part(s, len);
	if (rc < 0)
		return rc;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return SDNS_OK;
}

int sdns_identity_parse_uri(const char *uri, size_t len, sdns_identity *out)
{
	static const char scheme[] = "spiffe://";
	const size_t slen = sizeof(scheme) - 1;
	if (len <= slen || len >= SDNS_ID_URI_MAX || memcmp(uri, scheme, slen) != 0)
		return SDNS_ESYNTAX;
	const char *p = uri + slen, *end = uri + len;
	const char *s1 = memchr(p, '/', (size_t)(end - p));
	if (!s1)
		return SDNS_ESYNTAX;
	const char *s2 = memchr(s1 + 1, '/', (size_t)(end - s1 - 1));
	if (!s2)
		return SDNS_ESYNTAX;
	sdns_identity id;
	memset(&id, 0, sizeof(id));
	char role[SDNS_ID_PART_MAX];
	if (take_part(p, (size_t)(s1 - p), id.mesh) < 0 ||
	    take_part(s1 + 1, (size_t)(s2 - s1 - 1), role) < 0 ||
	    take_part(s2 + 1, (size_t)(end - s2 - 1), id.name) < 0)
		return SDNS_ESYNTAX;
	id.role = sdns_role_from_name(role);
	if (id.role == SDNS_ROLE_NONE ||
	    sdns_identity_check_name(id.role, id.name, strlen(id.name)) < 0)
		return SDNS_ESYNTAX;
	memcpy(id.uri, uri, len);
	id.uri[len] = '\0';
	*out = id;
	return SDNS_OK;
}

int sdns_identity_format_uri(sdns_role role, const char *mesh,
                             const char *name, char *buf, size_t cap)
{
	if (role == SDNS_ROLE_NONE ||
	    sdns_identity_check_part(mesh, strlen(mesh)) < 0 ||
	    sdns_identity_check_name(role, name, strlen(name)) < 0)
		return SDNS_EINVAL;
	int n = snprintf(buf, cap, "spiffe://%s/%s/%s", mesh,
	                 sdns_role_name(role), name);
	if (n < 0 || (size_t)n >= cap)
		return SDNS_ESPACE;
	return SDNS_OK;
}
