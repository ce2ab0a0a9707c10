/* subjectAltName for leaves: IP and DNS names for servers, the SPIFFE URI
 * for every mesh identity. Built as GENERAL_NAMEs, never through the config
 * string syntax, so a name with a comma cannot smuggle in another entry. */
#include "pki_int.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "sdns/error.h"

/* Hostname characters, with a leading "*." for wildcards; no spaces,
 * commas or control bytes. */
static bool dns_name_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 253)
		return false;
	if (len > 2 && s[0] == '*' && s[1] == '.')
		s += 2;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

int pki_san_check(const char *san)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(san);
	if (ip) {
		ASN1_OCTET_STRING_free(ip);
		return SDNS_OK;
	}
	return dns_name_ok(san) ? SDNS_OK : SDNS_EINVAL;
}

static int push_ia5(GENERAL_NAMES *gens, int type, const char *s)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *v = ASN1_IA5STRING_new();
	if (!g || !v || !ASN1_STRING_set(v, s, (int)strlen(s)))
		goto fail;
	GENERAL_NAME_set0_value(g, type, v);
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return 0;
	}
	return 1;
fail:
	ASN1_IA5STRING_free(v);
	GENERAL_NAME_free(g);
	return 0;
}

static int push_ip(GENERAL_NAMES *gens, ASN1_OCTET_STRING *ip)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	if (!g) {
		ASN1_OCTET_STRING_free(ip);
		return 0;
	}
	GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return 0;
	}
	return 1;
}

static int push_san(GENERAL_NAMES *gens, const char *san)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(san);
	if (ip)
		return push_ip(gens, ip);
	if (!dns_name_ok(san))
		return 0;
	return push_ia5(gens, GEN_DNS, san);
}

int pki_add_sans(X509 *x, const char *const *sans, size_t n, const char *uri)
{
	if (n == 0 && !uri)
		return 1;
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int ok = gens != NULL;
	for (size_t i = 0; ok && i < n; i++)
		ok = push_san(gens, sans[i]);
	if (ok && uri)
		ok = push_ia5(gens, GEN_URI, uri);
	/* Critical only when the subject is empty (RFC 5280); ours has a CN. */
	if (ok)
		ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
		                   X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(gens);
	return ok;
}
