/* sdnsctl query --validate: DNSSEC validation of a DoQ answer against a zone
 * key given with --zone-key-pub (the trust anchor bound at enrollment), or,
 * without one, against the DNSKEY the same server publishes (which only
 * proves the answer is consistent with the server's own key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ctl.h"
#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "validate.h"

/* The zone a response claims: the signer of its first RRSIG. */
static int find_signer(const uint8_t *resp, size_t len, sdns_name *apex)
{
	sdns_msg m;
	if (sdns_msg_parse(resp, len, &m) < 0) return SDNS_EMALF;
	int rc = SDNS_ENOTFOUND;
	size_t n = (size_t)m.count[SDNS_SEC_AN] + m.count[SDNS_SEC_NS];
	for (size_t i = 0; i < n && rc; i++) {
		const sdns_rr *rr = &m.rrs[i];
		if (rr->type != SDNS_T_RRSIG || rr->rdlen <= 18) continue;
		size_t p = 18;
		while (p < rr->rdlen && rr->rdata[p]) p += 1u + rr->rdata[p];
		if (p < rr->rdlen &&
		    sdns_name_from_wire(rr->rdata + 18, p + 1 - 18, apex) == 0)
			rc = SDNS_OK;
	}
	sdns_msg_free(&m);
	return rc;
}

/* B64 text, or a file holding it (DIR/zone.pub). */
static int key_from_arg(const char *arg, sdns_dnssec_key *k)
{
	char buf[256];
	FILE *f = fopen(arg, "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		return sdns_dnssec_key_from_b64(buf, k);
	}
	return sdns_dnssec_key_from_b64(arg, k);
}

/* Ask the server for the apex DNSKEY; it must validate under itself. */
static int fetch_key(sdns_doq_client *cl, const sdns_name *apex, uint32_t now,
                     sdns_dnssec_key *k, char *why, size_t cap)
{
	char name[SDNS_NAME_STR_MAX];
	uint8_t q[512], *resp = malloc(SDNS_MSG_MAX);
	size_t qlen = 0, rlen = 0;
	sdns_name_to_str(apex, name, sizeof(name));
	int rc = resp ? ctl_make_query(name, "DNSKEY", true, q, sizeof(q), &qlen,
	                               why, cap) : SDNS_ENOMEM;
	if (!rc) rc = sdns_doq_client_query(cl, q, qlen, resp, SDNS_MSG_MAX,
	                                    &rlen);
	sdns_msg m;
	if (!rc && (rc = sdns_msg_parse(resp, rlen, &m)) == 0) {
		rc = SDNS_ENOTFOUND;
		for (uint16_t i = 0; i < m.count[SDNS_SEC_AN] && rc; i++)
			if (m.rrs[i].type == SDNS_T_DNSKEY)
				rc = sdns_dnssec_key_from_dnskey(m.rrs[i].rdata,
				                                 m.rrs[i].rdlen, k);
		sdns_msg_free(&m);
		if (rc) snprintf(why, cap, "no Ed25519 DNSKEY at %.200s", name);
	} else if (rc) {
		snprintf(why, cap, "DNSKEY query failed: %s", sdns_strerror(rc));
	}
	if (!rc)
		rc = sdns_dnssec_validate_msg(k, apex, resp, rlen, now, why, cap);
	free(resp);
	return rc;
}

int ctl_validate(sdns_doq_client *cl, const char *key_arg,
                 const uint8_t *resp, size_t len, bool json)
{
	/* JSON on stdout stays parseable: the verdict goes to stderr. */
	FILE *out = json ? stderr : stdout;
	uint32_t now = (uint32_t)time(NULL);
	char why[300] = "";
	sdns_name apex;
	sdns_dnssec_key k;
	int rc = find_signer(resp, len, &apex);
	if (rc) snprintf(why, sizeof(why), "no RRSIG in the answer");
	if (!rc && key_arg && key_from_arg(key_arg, &k)) {
		fprintf(stderr, "sdnsctl query: --zone-key-pub: not a base64 "
		        "Ed25519 key (or a file with one)\n");
		return 2;
	}
	if (!rc && !key_arg) rc = fetch_key(cl, &apex, now, &k, why, sizeof(why));
	if (!rc) rc = sdns_dnssec_validate_msg(&k, &apex, resp, len, now, why,
	                                       sizeof(why));
	char zone[SDNS_NAME_STR_MAX] = "?";
	sdns_name_to_str(&apex, zone, sizeof(zone));
	if (rc) {
		if (!json) printf(";; DNSSEC: bogus: %s\n", why);
		fprintf(stderr, "sdnsctl query: DNSSEC validation failed: %s\n", why);
		return 1;
	}
	fprintf(out, ";; DNSSEC: secure (zone %s, Ed25519 key tag %u, trust: %s)\n",
	       zone, k.tag, key_arg ? "--zone-key-pub"
	                            : "the server's own DNSKEY");
	return 0;
}
