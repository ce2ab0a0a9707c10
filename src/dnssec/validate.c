/* Validation of a whole response against one zone key: signatures over
 * every RRset of the answer and authority sections, then the denial proof
 * when the answer does not hold what was asked (RFC 9824 compact NSEC or a
 * classic covering NSEC with its wildcard proof, RFC 4035 §5.4). The
 * verified copy (what a relay may pass on) is the same check over the
 * signed records only, written out with nothing else. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec_int.h"
#include "sdns/error.h"
#include "sdns/msg.h"

#define CNAME_HOPS 16

typedef struct {
	const sdns_dnssec_key *k;
	const sdns_name *apex;
	const sdns_msg *m;
	const sdns_rr *rrs;   /* answer then authority */
	size_t n;
	size_t nan;           /* of which in the answer section */
	uint32_t now;
	char *why;
	size_t why_cap;
	uint16_t *rdlen;      /* scratch for one RRset */
	const uint8_t **rdata;
	bool *done;
	size_t *members;      /* scratch: indices of one RRset */
	uint32_t *lim;        /* per record: TTL bound from the RRSIG that
	                         verified it (UINT32_MAX: not verified) */
	bool wild;            /* some RRset was a wildcard expansion */
	sdns_name wild_owner;
	bool referral;        /* unsigned NS of a zone cut in authority */
	bool denial;          /* proven by NSEC: what was asked is not there */
	sdns_name cut;
} vctx;

static int vbogus(vctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int vbogus(vctx *v, const char *fmt, ...)
{
	if (v->why && v->why_cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->why, v->why_cap, fmt, ap);
		va_end(ap);
	}
	return SDNS_EBOGUS;
}

static const char *nstr(const sdns_name *n, char *buf, size_t cap)
{
	if (sdns_name_to_str(n, buf, cap)) snprintf(buf, cap, "?");
	return buf;
}

static bool same_set(const sdns_rr *a, const sdns_rr *b)
{
	return a->type == b->type && a->rclass == b->rclass &&
	       sdns_name_eq_ci(&a->owner, &b->owner);
}

static uint16_t covered(const sdns_rr *rr)
{
	return rr->rdlen >= 2 ? (uint16_t)(rr->rdata[0] << 8 | rr->rdata[1]) : 0;
}

static uint8_t sig_labels(const sdns_rr *rr)
{
	return rr->rdlen >= 4 ? rr->rdata[3] : 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* How long the records an RRSIG verified may be kept: no longer than the
 * original TTL it signed, and not past its expiration (the window holds at
 * now, so the difference is in range). */
static uint32_t sig_limit(const sdns_rr *sig, uint32_t now)
{
	uint32_t orig = rd32(sig->rdata + 4), left = rd32(sig->rdata + 8) - now;
	return orig < left ? orig : left;
}

/* Try every RRSIG for the set; the last failure explains. *sig: the index
 * of the one that verified. */
static int check_set(vctx *v, size_t first, sdns_rrset *set, size_t *sig)
{
	const sdns_rr *head = &v->rrs[first];
	char w[200] = "", nb[SDNS_NAME_STR_MAX], tb[16];
	bool any = false;
	for (size_t i = 0; i < v->n; i++) {
		const sdns_rr *s = &v->rrs[i];
		if (s->type != SDNS_T_RRSIG || covered(s) != head->type ||
		    !sdns_name_eq_ci(&s->owner, &head->owner))
			continue;
		any = true;
		if (sdns_dnssec_verify_rrset(v->k, v->apex, &head->owner, set,
		                             s->rdata, s->rdlen, v->now, w,
		                             sizeof(w)) == SDNS_OK) {
			if (sig_labels(s) < sdns_name_labels(&head->owner)) {
				v->wild = true;
				v->wild_owner = head->owner;
			}
			*sig = i;
			return SDNS_OK;
		}
	}
	nstr(&head->owner, nb, sizeof(nb));
	const char *ts = sdns_type_to_str(head->type, tb, sizeof(tb));
	if (!any) return vbogus(v, "no RRSIG for %s %s", nb, ts);
	return vbogus(v, "%s %s: %s", nb, ts, w);
}

/* A referral's NS RRset is not signed (RFC 4035 §2.2): authority section,
 * below the apex, and nothing in the answer. */
static bool cut_ns(vctx *v, size_t i)
{
	const sdns_rr *rr = &v->rrs[i];
	return rr->type == SDNS_T_NS && v->nan == 0 && i >= v->nan &&
	       !sdns_name_eq_ci(&rr->owner, v->apex);
}

static int check_sigs(vctx *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const sdns_rr *rr = &v->rrs[i];
		if (v->done[i] || rr->type == SDNS_T_RRSIG) continue;
		if (cut_ns(v, i)) {
			v->referral = true;
			v->cut = rr->owner;
			continue;
		}
		sdns_rrset set = { rr->type, rr->ttl, 0, v->rdlen, v->rdata };
		for (size_t j = i; j < v->n; j++) {
			if (v->done[j] || !same_set(rr, &v->rrs[j])) continue;
			v->done[j] = true;
			v->members[set.count] = j;
			v->rdlen[set.count] = v->rrs[j].rdlen;
			v->rdata[set.count++] = v->rrs[j].rdata;
		}
		size_t sig = 0;
		int rc = check_set(v, i, &set, &sig);
		if (rc) return rc;
		if (!v->lim) continue;
		uint32_t l = sig_limit(&v->rrs[sig], v->now);
		v->lim[sig] = l;
		for (uint16_t k = 0; k < set.count; k++) v->lim[v->members[k]] = l;
	}
	return SDNS_OK;
}

static bool next_name(const sdns_rr *nsec, sdns_name *out)
{
	size_t p = 0, n = 0;
	for (;;) {
		if (p >= nsec->rdlen) return false;
		uint8_t ll = nsec->rdata[p];
		if (ll > SDNS_LABEL_MAX || nsec->rdlen - p < 1u + ll ||
		    n + 1u + ll > SDNS_NAME_MAX)
			return false;
		memcpy(out->data + n, nsec->rdata + p, 1u + ll);
		n += 1u + ll;
		p += 1u + ll;
		if (!ll) break;
	}
	out->len = (uint8_t)n;
	return true;
}

/* owner < name < next, with the last NSEC of a zone wrapping to the apex. */
static bool covers(const sdns_rr *nsec, const sdns_name *name)
{
	sdns_name next;
	if (!next_name(nsec, &next)) return false;
	int lo = sdns_name_canon_cmp(&nsec->owner, name);
	int hi = sdns_name_canon_cmp(name, &next);
	if (sdns_name_canon_cmp(&nsec->owner, &next) >= 0)
		return lo < 0 && (hi < 0 || sdns_name_canon_cmp(name,
		                  &nsec->owner) > 0);
	return lo < 0 && hi < 0;
}

static const sdns_rr *find_nsec(vctx *v, const sdns_name *name, bool match)
{
	for (size_t i = 0; i < v->n; i++) {
		const sdns_rr *rr = &v->rrs[i];
		if (rr->type != SDNS_T_NSEC) continue;
		if (match ? sdns_name_eq_ci(&rr->owner, name) : covers(rr, name))
			return rr;
	}
	return NULL;
}

static int common_labels(const sdns_name *a, const sdns_name *b)
{
	sdns_name x = *a, y = *b;
	int la = sdns_name_labels(&x), lb = sdns_name_labels(&y);
	while (la > lb) { sdns_name_parent(&x); la--; }
	while (lb > la) { sdns_name_parent(&y); lb--; }
	while (!sdns_name_eq_ci(&x, &y)) {
		sdns_name_parent(&x);
		sdns_name_parent(&y);
		la--;
	}
	return la;
}

/* Closest encloser from a covering NSEC (RFC 4035 §5.4): the deeper of the
 * common ancestors with its owner and its next name. */
static bool wildcard_denied(vctx *v, const sdns_rr *cov, const sdns_name *sname,
                            uint16_t qtype)
{
	sdns_name next, ce = *sname;
	if (!next_name(cov, &next)) return false;
	int a = common_labels(sname, &cov->owner), b = common_labels(sname, &next);
	int want = a > b ? a : b;
	while (sdns_name_labels(&ce) > want) sdns_name_parent(&ce);
	if (sdns_name_prepend(&ce, (const uint8_t *)"*", 1)) return false;
	if (find_nsec(v, &ce, false)) return true;
	const sdns_rr *m = find_nsec(v, &ce, true);
	return m && !sdns_dnssec_nsec_has(m->rdata, m->rdlen, qtype) &&
	       !sdns_dnssec_nsec_has(m->rdata, m->rdlen, SDNS_T_CNAME);
}

static int denial(vctx *v, const sdns_name *sname, uint16_t qtype)
{
	char nb[SDNS_NAME_STR_MAX], tb[16];
	nstr(sname, nb, sizeof(nb));
	const char *ts = sdns_type_to_str(qtype, tb, sizeof(tb));
	const sdns_rr *m = find_nsec(v, sname, true);
	if (m) {
		if (sdns_dnssec_nsec_has(m->rdata, m->rdlen, qtype) ||
		    sdns_dnssec_nsec_has(m->rdata, m->rdlen, SDNS_T_CNAME))
			return vbogus(v, "NSEC at %s says %s exists", nb, ts);
		return SDNS_OK;
	}
	const sdns_rr *cov = find_nsec(v, sname, false);
	if (!cov) return vbogus(v, "no NSEC proof for %s %s", nb, ts);
	if (!wildcard_denied(v, cov, sname, qtype))
		return vbogus(v, "no NSEC proof against a wildcard for %s", nb);
	return SDNS_OK;
}

/* Follow the CNAME chain in the answer; true when it ends in data. */
static bool answered(vctx *v, sdns_name *sname, uint16_t qtype)
{
	for (int hop = 0; hop < CNAME_HOPS; hop++) {
		const sdns_rr *cname = NULL;
		for (size_t i = 0; i < v->nan; i++) {
			const sdns_rr *rr = &v->rrs[i];
			if (!sdns_name_eq_ci(&rr->owner, sname) ||
			    rr->type == SDNS_T_RRSIG)
				continue;
			if (rr->type == qtype || qtype == SDNS_T_ANY) return true;
			if (rr->type == SDNS_T_CNAME) cname = rr;
		}
		if (!cname) return false;
		sdns_name t;
		if (sdns_name_from_wire(cname->rdata, cname->rdlen, &t))
			return false;
		*sname = t;
	}
	return false;
}

static int validate(vctx *v)
{
	const sdns_msg *m = v->m;
	char nb[SDNS_NAME_STR_MAX], rb[16];
	uint8_t rcode = SDNS_RCODE(m->flags);
	if (rcode != SDNS_RC_NOERROR && rcode != SDNS_RC_NXDOMAIN)
		return vbogus(v, "rcode %s", sdns_rcode_to_str(rcode, rb,
		                                              sizeof(rb)));
	if (m->qdcount != 1) return vbogus(v, "no question");
	if (!sdns_name_is_sub_ci(&m->qname, v->apex))
		return vbogus(v, "%s is outside the zone",
		             nstr(&m->qname, nb, sizeof(nb)));
	int rc = check_sigs(v);
	if (rc) return rc;
	if (v->referral) {
		/* Insecure delegation: a signed NSEC at the cut, NS without DS. */
		const sdns_rr *n = find_nsec(v, &v->cut, true);
		if (n && sdns_dnssec_nsec_has(n->rdata, n->rdlen, SDNS_T_NS) &&
		    !sdns_dnssec_nsec_has(n->rdata, n->rdlen, 43) &&
		    sdns_name_is_sub_ci(&m->qname, &v->cut))
			return SDNS_OK;
		return vbogus(v, "referral to %s without an NSEC proof",
		              nstr(&v->cut, nb, sizeof(nb)));
	}
	sdns_name sname = m->qname;
	bool pos = answered(v, &sname, m->qtype);
	if (pos && rcode == SDNS_RC_NOERROR) {
		/* A wildcard expansion also needs the qname's non-existence. */
		if (v->wild && !find_nsec(v, &v->wild_owner, false))
			return vbogus(v, "wildcard answer without NSEC proof");
		return SDNS_OK;
	}
	if (!sdns_name_is_sub_ci(&sname, v->apex))
		return vbogus(v, "CNAME leaves the zone at %s",
		             nstr(&sname, nb, sizeof(nb)));
	v->denial = true;
	return denial(v, &sname, m->qtype);
}

static int vctx_init(vctx *v, const sdns_dnssec_key *k,
                     const sdns_name *apex, const sdns_msg *m,
                     const sdns_rr *rrs, size_t n, size_t nan, uint32_t now,
                     bool limits, char *why, size_t why_cap)
{
	memset(v, 0, sizeof(*v));
	v->k = k;
	v->apex = apex;
	v->m = m;
	v->rrs = rrs;
	v->n = n;
	v->nan = nan;
	v->now = now;
	v->why = why;
	v->why_cap = why_cap;
	size_t c = n ? n : 1;
	v->rdlen = malloc(c * sizeof(*v->rdlen));
	v->rdata = malloc(c * sizeof(*v->rdata));
	v->done = calloc(c, sizeof(*v->done));
	v->members = malloc(c * sizeof(*v->members));
	if (limits && (v->lim = malloc(c * sizeof(*v->lim))))
		for (size_t i = 0; i < c; i++) v->lim[i] = UINT32_MAX;
	bool ok = v->rdlen && v->rdata && v->done && v->members &&
	          (!limits || v->lim);
	return ok ? SDNS_OK : SDNS_ENOMEM;
}

static void vctx_free(vctx *v)
{
	free(v->rdlen);
	free(v->rdata);
	free(v->done);
	free(v->members);
	free(v->lim);
}

static int parse(const uint8_t *wire, size_t len, sdns_msg *m, char *why,
                 size_t why_cap)
{
	if (why && why_cap) why[0] = '\0';
	if (sdns_msg_parse(wire, len, m) == SDNS_OK) return SDNS_OK;
	if (why && why_cap) snprintf(why, why_cap, "malformed response");
	return SDNS_EMALF;
}

int sdns_dnssec_validate_msg(const sdns_dnssec_key *k, const sdns_name *apex,
                             const uint8_t *wire, size_t len, uint32_t now,
                             char *why, size_t why_cap)
{
	if (!k || !apex || !wire) return SDNS_EINVAL;
	sdns_msg m;
	int rc = parse(wire, len, &m, why, why_cap);
	if (rc) return rc;
	vctx v;
	size_t an = m.count[SDNS_SEC_AN], n = an + m.count[SDNS_SEC_NS];
	rc = vctx_init(&v, k, apex, &m, m.rrs, n, an, now, false, why, why_cap);
	if (rc == SDNS_OK) rc = validate(&v);
	vctx_free(&v);
	sdns_msg_free(&m);
	return rc;
}

/* --- the verified copy --- */

/* A record of rrs[0..n) other than an RRSIG at owner for type. */
static bool has_data(const sdns_rr *rrs, size_t n, const sdns_name *owner,
                     uint16_t type)
{
	for (size_t i = 0; i < n; i++)
		if (rrs[i].type == type && sdns_name_eq_ci(&rrs[i].owner, owner))
			return true;
	return false;
}

static bool has_sig(const sdns_rr *rrs, size_t n, const sdns_rr *rr)
{
	for (size_t i = 0; i < n; i++)
		if (rrs[i].type == SDNS_T_RRSIG && covered(&rrs[i]) == rr->type &&
		    sdns_name_eq_ci(&rrs[i].owner, &rr->owner))
			return true;
	return false;
}

/* The records of answer and authority a copy may rest on: RRsets that
 * come with an RRSIG, the RRSIGs of records present, and, in a referral
 * (nothing left in the answer), the unsigned NS of the cut (RFC 4035
 * §2.2). Unsigned records are left out here rather than failing the
 * whole answer: whoever relayed it may have added them, the owner's
 * signed data is still good. *nan: how many of out are answers. */
static size_t signed_only(const sdns_msg *m, const sdns_name *apex,
                          sdns_rr *out, size_t *nan)
{
	size_t an = m->count[SDNS_SEC_AN], n = an + m->count[SDNS_SEC_NS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const sdns_rr *rr = &m->rrs[i];
		if (i == an) *nan = k;
		bool keep = rr->type == SDNS_T_RRSIG
		            ? has_data(m->rrs, n, &rr->owner, covered(rr))
		            : has_sig(m->rrs, n, rr);
		if (!keep && i >= an && *nan == 0 && rr->type == SDNS_T_NS &&
		    !sdns_name_eq_ci(&rr->owner, apex))
			keep = true;
		if (keep) out[k++] = *rr;
	}
	if (n == an) *nan = k;
	return k;
}

/* The smallest bound of any verified record (a referral's NS has none of
 * its own: it lives no longer than the proof beside it). */
static uint32_t min_limit(const vctx *v)
{
	uint32_t l = UINT32_MAX;
	for (size_t i = 0; i < v->n; i++)
		if (v->lim[i] < l) l = v->lim[i];
	return l;
}

/* A denial's SOA lives no longer than the negative TTL (RFC 2308 §5: the
 * SOA MINIMUM, signed), whatever TTL its RRSIG allows the SOA itself. */
static bool soa_of_denial(const vctx *v, size_t i)
{
	const sdns_rr *rr = &v->rrs[i];
	return v->denial && i >= v->nan &&
	       (rr->type == SDNS_T_SOA ||
	        (rr->type == SDNS_T_RRSIG && covered(rr) == SDNS_T_SOA));
}

static uint32_t soa_minimum(const vctx *v)
{
	for (size_t i = v->nan; i < v->n; i++)
		if (v->rrs[i].type == SDNS_T_SOA && v->rrs[i].rdlen >= 22 &&
		    v->lim[i] != UINT32_MAX)
			return rd32(v->rrs[i].rdata + v->rrs[i].rdlen - 4);
	return UINT32_MAX;
}

static int write_copy(const vctx *v, uint8_t *out, size_t cap,
                      size_t *out_len)
{
	const sdns_msg *m = v->m;
	sdns_bld b;
	uint16_t flags = m->flags & (uint16_t)~(SDNS_F_AD | SDNS_F_TC);
	int rc = sdns_bld_init(&b, out, cap, m->id, flags);
	if (!rc) rc = sdns_bld_question(&b, &m->qname, m->qtype, m->qclass);
	uint32_t floor = min_limit(v), negative = soa_minimum(v);
	for (size_t i = 0; !rc && i < v->n; i++) {
		sdns_rr rr = v->rrs[i];
		uint32_t l = v->lim[i];
		if (l == UINT32_MAX) {
			if (!(v->referral && rr.type == SDNS_T_NS && i >= v->nan))
				continue; /* an RRSIG that verified nothing */
			l = floor;
		}
		if (soa_of_denial(v, i) && negative < l) l = negative;
		if (rr.ttl > l) rr.ttl = l;
		rc = sdns_bld_rr(&b, i < v->nan ? SDNS_SEC_AN : SDNS_SEC_NS, &rr);
	}
	if (!rc) rc = sdns_bld_finish(&b, out_len);
	return rc;
}

int sdns_dnssec_verified_copy(const sdns_dnssec_key *k, const sdns_name *apex,
                              const uint8_t *wire, size_t len, uint32_t now,
                              uint8_t *out, size_t cap, size_t *out_len,
                              char *why, size_t why_cap)
{
	if (!k || !apex || !wire || !out || !out_len) return SDNS_EINVAL;
	sdns_msg m;
	int rc = parse(wire, len, &m, why, why_cap);
	if (rc) return rc;
	size_t n = (size_t)m.count[SDNS_SEC_AN] + m.count[SDNS_SEC_NS], nan = 0;
	sdns_rr *kept = malloc((n ? n : 1) * sizeof(*kept));
	vctx v;
	memset(&v, 0, sizeof(v));
	rc = kept ? SDNS_OK : SDNS_ENOMEM;
	if (!rc) {
		n = signed_only(&m, apex, kept, &nan);
		rc = vctx_init(&v, k, apex, &m, kept, n, nan, now, true, why,
		               why_cap);
	}
	if (!rc) rc = validate(&v);
	if (!rc) {
		rc = write_copy(&v, out, cap, out_len);
		if (rc && why && why_cap) snprintf(why, why_cap, "copy: %s",
		                                   sdns_strerror(rc));
	}
	vctx_free(&v);
	free(kept);
	sdns_msg_free(&m);
	return rc;
}
