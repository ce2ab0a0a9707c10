/* RRSIG over one RRset: sign with our key, verify with a zone's key. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/rr.h"

static int bogus(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bogus(char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return SDNS_EBOGUS;
}

static bool is_wild(const sdns_name *n)
{
	return n->len > 2 && n->data[0] == 1 && n->data[1] == '*';
}

/* RFC 4034 §3.1.3: the owner's labels, without root and a leading "*". */
static int rrsig_labels(const sdns_name *owner)
{
	return sdns_name_labels(owner) - (is_wild(owner) ? 1 : 0);
}

static void put_head(uint8_t *h, uint16_t type, uint8_t labels, uint32_t ttl,
                     const sdns_dnssec_window *w, uint16_t tag)
{
	sdns_wr wr;
	sdns_wr_init(&wr, h, RRSIG_FIXED);
	sdns_wr_u16(&wr, type);
	sdns_wr_u8(&wr, SDNS_DNSSEC_ALG_ED25519);
	sdns_wr_u8(&wr, labels);
	sdns_wr_u32(&wr, ttl);
	sdns_wr_u32(&wr, w->expiration);
	sdns_wr_u32(&wr, w->inception);
	sdns_wr_u16(&wr, tag);
}

int sdns_dnssec_sign_rrset(const sdns_dnssec_key *k, const sdns_name *signer,
                           const sdns_dnssec_window *w,
                           const sdns_name *owner, const sdns_rrset *set,
                           uint8_t *rrsig, size_t cap, size_t *rrsig_len)
{
	if (!k || !signer || !w || !owner || !set || !rrsig || !rrsig_len ||
	    set->count == 0)
		return SDNS_EINVAL;
	if (!k->has_secret) return SDNS_EINVAL;
	sdns_name sg = *signer, own = *owner;
	sdns_name_lower(&sg);
	sdns_name_lower(&own);
	size_t head_len = RRSIG_FIXED + sg.len;
	if (cap < head_len + SDNS_DNSSEC_SIG_LEN) return SDNS_ESPACE;
	put_head(rrsig, set->type, (uint8_t)rrsig_labels(&own), set->ttl, w,
	         k->tag);
	memcpy(rrsig + RRSIG_FIXED, sg.data, sg.len);
	uint8_t *data = NULL;
	size_t data_len = 0;
	int rc = dnssec_signed_data(rrsig, head_len, &own, set->ttl, set, &data,
	                            &data_len);
	if (rc) return rc;
	rc = crypto_sign_detached(rrsig + head_len, NULL, data, data_len,
	                          k->sec) == 0 ? SDNS_OK : SDNS_ECRYPTO;
	free(data);
	if (!rc) *rrsig_len = head_len + SDNS_DNSSEC_SIG_LEN;
	return rc;
}

typedef struct {
	uint16_t type;
	uint8_t alg, labels;
	uint32_t ttl, exp, inc;
	uint16_t tag;
	sdns_name signer;
	const uint8_t *sig;
	size_t sig_len, head_len;
} rrsig_view;

static int parse_rrsig(const uint8_t *rd, size_t len, rrsig_view *v)
{
	sdns_rd r;
	sdns_rd_init(&r, rd, len);
	if (sdns_rd_u16(&r, &v->type) || sdns_rd_u8(&r, &v->alg) ||
	    sdns_rd_u8(&r, &v->labels) || sdns_rd_u32(&r, &v->ttl) ||
	    sdns_rd_u32(&r, &v->exp) || sdns_rd_u32(&r, &v->inc) ||
	    sdns_rd_u16(&r, &v->tag))
		return SDNS_ERDATA;
	size_t p = RRSIG_FIXED, n = 0;
	for (;;) {
		if (p >= len) return SDNS_ERDATA;
		uint8_t ll = rd[p];
		if (ll > SDNS_LABEL_MAX || len - p < 1u + ll ||
		    n + 1u + ll > SDNS_NAME_MAX)
			return SDNS_ERDATA;
		memcpy(v->signer.data + n, rd + p, 1u + ll);
		n += 1u + ll;
		p += 1u + ll;
		if (!ll) break;
	}
	v->signer.len = (uint8_t)n;
	v->head_len = p;
	v->sig = rd + p;
	v->sig_len = len - p;
	return SDNS_OK;
}

/* The name the signature covers: owner, or "*." + its rightmost labels. */
static int signed_owner(const sdns_name *owner, int labels, sdns_name *out)
{
	*out = *owner;
	sdns_name_lower(out);
	if (is_wild(out)) sdns_name_parent(out);
	int have = sdns_name_labels(out);
	if (labels > have) return SDNS_EBOGUS;
	if (labels == have) {
		if (is_wild(owner)) sdns_name_prepend(out, (const uint8_t *)"*", 1);
		return SDNS_OK;
	}
	while (sdns_name_labels(out) > labels) sdns_name_parent(out);
	return sdns_name_prepend(out, (const uint8_t *)"*", 1) ? SDNS_EBOGUS
	                                                       : SDNS_OK;
}

static int check_fields(const sdns_dnssec_key *k, const sdns_name *signer,
                        const sdns_name *owner, const sdns_rrset *set,
                        const rrsig_view *v, uint32_t now, char *why,
                        size_t cap)
{
	char tb[16];
	if (v->type != set->type)
		return bogus(why, cap, "RRSIG covers %s",
		             sdns_type_to_str(v->type, tb, sizeof(tb)));
	if (v->alg != SDNS_DNSSEC_ALG_ED25519)
		return bogus(why, cap, "RRSIG algorithm %u, want 15", v->alg);
	if (v->tag != k->tag)
		return bogus(why, cap, "RRSIG key tag %u, want %u", v->tag,
		             k->tag);
	if (!sdns_name_eq_ci(&v->signer, signer))
		return bogus(why, cap, "RRSIG signer is not the zone apex");
	if (!sdns_name_is_sub_ci(owner, signer))
		return bogus(why, cap, "owner outside the signer's zone");
	if (v->sig_len != SDNS_DNSSEC_SIG_LEN)
		return bogus(why, cap, "signature length %zu", v->sig_len);
	if ((int32_t)(now - v->inc) < 0)
		return bogus(why, cap, "signature not yet valid");
	if ((int32_t)(v->exp - now) < 0)
		return bogus(why, cap, "signature expired");
	return SDNS_OK;
}

int sdns_dnssec_verify_rrset(const sdns_dnssec_key *k, const sdns_name *signer,
                             const sdns_name *owner, const sdns_rrset *set,
                             const uint8_t *rrsig, size_t rrsig_len,
                             uint32_t now, char *why, size_t why_cap)
{
	if (!k || !signer || !owner || !set || !rrsig || set->count == 0)
		return SDNS_EINVAL;
	rrsig_view v;
	if (parse_rrsig(rrsig, rrsig_len, &v))
		return bogus(why, why_cap, "malformed RRSIG");
	int rc = check_fields(k, signer, owner, set, &v, now, why, why_cap);
	if (rc) return rc;
	sdns_name own;
	if (signed_owner(owner, v.labels, &own))
		return bogus(why, why_cap, "RRSIG labels %u above the owner's",
		             v.labels);
	uint8_t head[RRSIG_FIXED + SDNS_NAME_MAX];
	memcpy(head, rrsig, RRSIG_FIXED);
	sdns_name sg = v.signer;
	sdns_name_lower(&sg);
	memcpy(head + RRSIG_FIXED, sg.data, sg.len);
	uint8_t *data = NULL;
	size_t data_len = 0;
	rc = dnssec_signed_data(head, RRSIG_FIXED + sg.len, &own, v.ttl, set,
	                        &data, &data_len);
	if (rc == SDNS_ENOMEM) return rc;
	if (rc) return bogus(why, why_cap, "RDATA not in canonical form");
	rc = dnssec_sodium_ready();
	if (!rc && crypto_sign_verify_detached(v.sig, data, data_len, k->pub))
		rc = bogus(why, why_cap, "bad signature");
	free(data);
	return rc;
}
