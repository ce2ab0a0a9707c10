/* Names of RR types and classes (RFC 1035, RFC 3597 TYPEnnn / CLASSnnn). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdns/msg.h"
#include "sdns/rr.h"

static const struct {
	uint16_t type;
	const char *name;
} type_names[] = {
	{SDNS_T_A, "A"},         {SDNS_T_NS, "NS"},       {SDNS_T_CNAME, "CNAME"},
	{SDNS_T_SOA, "SOA"},     {SDNS_T_PTR, "PTR"},     {SDNS_T_MX, "MX"},
	{SDNS_T_TXT, "TXT"},     {SDNS_T_AAAA, "AAAA"},   {SDNS_T_SRV, "SRV"},
	{SDNS_T_OPT, "OPT"},     {SDNS_T_RRSIG, "RRSIG"}, {SDNS_T_NSEC, "NSEC"},
	{SDNS_T_DNSKEY, "DNSKEY"}, {SDNS_T_ANY, "ANY"},   {SDNS_T_CAA, "CAA"},
};

/* Parse the decimal suffix of TYPEnnn / CLASSnnn (RFC 3597 §5). */
static int parse_u16_suffix(const char *p, size_t len, uint16_t *out)
{
	if (len == 0 || len > 5)
		return SDNS_ESYNTAX;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SDNS_ESYNTAX;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 65535 || (len > 1 && p[0] == '0'))
		return SDNS_ESYNTAX;
	*out = (uint16_t)v;
	return SDNS_OK;
}

const char *sdns_type_to_str(uint16_t type, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	snprintf(buf, cap, "TYPE%u", (unsigned)type);
	return buf;
}

int sdns_type_from_str(const char *text, size_t len, uint16_t *out)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		const char *n = type_names[i].name;
		if (strlen(n) == len && strncasecmp(n, text, len) == 0) {
			*out = type_names[i].type;
			return SDNS_OK;
		}
	}
	if (len > 4 && strncasecmp(text, "TYPE", 4) == 0)
		return parse_u16_suffix(text + 4, len - 4, out) < 0 ? SDNS_ETYPE
		                                                    : SDNS_OK;
	return SDNS_ETYPE;
}

int sdns_class_from_str(const char *text, size_t len, uint16_t *out)
{
	if (len == 2 && strncasecmp(text, "IN", 2) == 0) {
		*out = SDNS_C_IN;
		return SDNS_OK;
	}
	if (len == 2 && strncasecmp(text, "CH", 2) == 0) {
		*out = SDNS_C_CH;
		return SDNS_OK;
	}
	if (len > 5 && strncasecmp(text, "CLASS", 5) == 0)
		return parse_u16_suffix(text + 5, len - 5, out);
	return SDNS_ESYNTAX;
}

const char *sdns_class_to_str(uint16_t rclass, char *buf, size_t cap)
{
	if (rclass == SDNS_C_IN)
		return "IN";
	if (rclass == SDNS_C_CH)
		return "CH";
	snprintf(buf, cap, "CLASS%u", (unsigned)rclass);
	return buf;
}

bool sdns_type_compressible(uint16_t type)
{
	return type == SDNS_T_NS || type == SDNS_T_CNAME || type == SDNS_T_SOA ||
	       type == SDNS_T_PTR || type == SDNS_T_MX;
}

const char *sdns_rcode_to_str(unsigned rcode, char *buf, size_t cap)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
	};
	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == SDNS_RC_BADVERS)
		return "BADVERS";
	snprintf(buf, cap, "RCODE%u", rcode);
	return buf;
}
