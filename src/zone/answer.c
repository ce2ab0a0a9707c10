/* Authoritative answering from a zone set (RFC 1034 §4.3.2 with RFC 2308
 * negative answers, RFC 4592 wildcards, RFC 6604 rcodes for CNAME chains).
 * Allocation-free: the builder writes straight into the caller's buffer and
 * all scratch state lives on the stack. */
#include <string.h>

#include "sdns/answer.h"
#include "sdns/error.h"
#include "zone_int.h"

/* The libFuzzer targets (clang) link src/zone without src/dnssec and
 * libsodium, and never pass a key: there the signing functions stay
 * unresolved (NULL) and the DNSSEC path checks for that. The gcc builds
 * always link them. */
#if defined(__clang__)
#pragma weak sdns_dnssec_sign_rrset
#pragma weak sdns_dnssec_window_at
#pragma weak sdns_dnssec_compact_nsec
#define DNSSEC_LINKED (sdns_dnssec_sign_rrset && sdns_dnssec_window_at && \
                       sdns_dnssec_compact_nsec)
#else
#define DNSSEC_LINKED 1
#endif

#define CHAIN_MAX 8   /* CNAMEs followed per answer */
#define EXTRA_MAX 8   /* names whose A/AAAA go to the additional section */

enum {
	T_IXFR = 251, T_AXFR = 252, T_MAILB = 253, T_MAILA = 254, T_DS = 43,
};

typedef struct {
	sdns_name name;
	bool required;  /* in-domain glue of a referral: TC if it does not fit */
} extra;

typedef struct {
	const sdns_zoneset *zs;
	const sdns_msg *q;
	const sdns_answer_opts *opts;
	sdns_bld b;
	bool tc, aa;
	bool dnssec;    /* DO bit and a key: sign what we return */
	bool negative;  /* the SOA is in authority already */
	bool referral;
	const sdns_zone *z0;  /* the zone of the qname */
	uint8_t rcode;
	int n_extra;
	extra extra[EXTRA_MAX];
} actx;

enum look_kind { L_NODE, L_NXDOMAIN, L_REFERRAL };

typedef struct {
	enum look_kind kind;
	const sdns_znode *node;  /* the match, the wildcard source, or the cut */
} look;

/* Add a whole RRset or nothing: a partial RRset would look complete. */
static int add_rrset(actx *a, enum sdns_section sec, const sdns_name *owner,
                     const sdns_rrset *set, uint32_t ttl, bool required)
{
	if (a->tc) return SDNS_ESPACE;
	sdns_bld save = a->b;
	sdns_rr rr;
	rr.owner = *owner;
	rr.type = set->type;
	rr.rclass = SDNS_C_IN;
	rr.ttl = ttl;
	for (uint16_t i = 0; i < set->count; i++) {
		rr.rdlen = set->rdlen[i];
		rr.rdata = set->rdata[i];
		int rc = sdns_bld_rr(&a->b, sec, &rr);
		if (rc) {
			a->b = save;
			if (rc == SDNS_ESPACE && required) a->tc = true;
			return rc;
		}
	}
	return SDNS_OK;
}

static int answer_add_sigs(actx *a, const sdns_zone *z, const sdns_znode *nd,
                           enum sdns_section sec, const sdns_name *owner,
                           const sdns_rrset *set, uint32_t ttl);

/* The set and its RRSIGs (answer and authority only), all or nothing. */
static int add_set(actx *a, const sdns_zone *z, const sdns_znode *nd,
                   enum sdns_section sec, const sdns_name *owner,
                   const sdns_rrset *set, uint32_t ttl)
{
	if (!a->dnssec || set->type == SDNS_T_RRSIG)
		return add_rrset(a, sec, owner, set, ttl, true);
	sdns_bld save = a->b;
	int rc = add_rrset(a, sec, owner, set, ttl, true);
	if (!rc) rc = answer_add_sigs(a, z, nd, sec, owner, set, ttl);
	if (rc) {
		a->b = save;
		if (rc == SDNS_ESPACE) a->tc = true;
	}
	return rc;
}

/* --- DNSSEC (only when the query has DO and we hold a key) --- */

static int add_rr1(actx *a, enum sdns_section sec, const sdns_name *owner,
                   uint16_t type, uint32_t ttl, const uint8_t *rd, size_t len)
{
	sdns_rr rr;
	rr.owner = *owner;
	rr.type = type;
	rr.rclass = SDNS_C_IN;
	rr.ttl = ttl;
	rr.rdlen = (uint16_t)len;
	rr.rdata = rd;
	return sdns_bld_rr(&a->b, sec, &rr);
}

static int sign_online(actx *a, const sdns_zone *z, enum sdns_section sec,
                       const sdns_name *owner, const sdns_rrset *set,
                       uint32_t ttl)
{
	sdns_dnssec_window w;
	sdns_dnssec_window_at(a->opts->now, SDNS_ANSWER_ONLINE_VALIDITY, &w);
	uint8_t sig[SDNS_DNSSEC_RRSIG_MAX];
	size_t len = 0;
	int rc = sdns_dnssec_sign_rrset(a->opts->key, &z->apex, &w, owner, set,
	                                sig, sizeof(sig), &len);
	if (rc) return rc;
	return add_rr1(a, sec, owner, SDNS_T_RRSIG, ttl, sig, len);
}

/* The zone's RRSIGs for set when owner is the node itself; online ones
 * for wildcard expansions (signed at the qname, RFC 9824 style) and for
 * zones loaded without signatures. */
static int answer_add_sigs(actx *a, const sdns_zone *z, const sdns_znode *nd,
                           enum sdns_section sec, const sdns_name *owner,
                           const sdns_rrset *set, uint32_t ttl)
{
	sdns_name nn;
	const sdns_rrset *sigs = NULL;
	if (nd) {
		sdns_znode_name(nd, &nn);
		if (sdns_name_eq_ci(&nn, owner))
			sigs = sdns_znode_rrset(nd, SDNS_T_RRSIG);
	}
	bool any = false;
	for (uint16_t i = 0; sigs && i < sigs->count; i++) {
		const uint8_t *rd = sigs->rdata[i];
		if (sigs->rdlen[i] < 2 || (uint16_t)(rd[0] << 8 | rd[1]) != set->type)
			continue;
		int rc = add_rr1(a, sec, owner, SDNS_T_RRSIG, ttl, rd,
		                 sigs->rdlen[i]);
		if (rc) return rc;
		any = true;
	}
	return any ? SDNS_OK : sign_online(a, z, sec, owner, set, ttl);
}

/* RFC 9824 compact denial: an NSEC at name whose next name is \000.name.
 * nd NULL: the name does not exist (bitmap RRSIG NSEC NXNAME); else the
 * types at nd. Signed online; TTL as the SOA's negative TTL. */
static void add_nsec(actx *a, const sdns_zone *z, const sdns_name *name,
                     const sdns_znode *nd, const uint16_t *extra_types,
                     size_t n_extra, uint32_t ttl)
{
	uint16_t types[64];
	size_t n = 0;
	types[n++] = SDNS_T_RRSIG;
	types[n++] = SDNS_T_NSEC;
	for (size_t i = 0; i < n_extra; i++) types[n++] = extra_types[i];
	for (uint16_t i = 0; nd && i < nd->nrrsets && n < 64; i++)
		types[n++] = nd->rrsets[i].type;
	sdns_name low = *name;
	sdns_name_lower(&low);
	uint8_t rd[SDNS_NAME_MAX + 2 + 64 * 34];
	size_t len = 0;
	if (sdns_dnssec_compact_nsec(&low, types, n, rd, sizeof(rd), &len))
		return;
	uint16_t rdlen = (uint16_t)len;
	const uint8_t *rdp = rd;
	sdns_rrset set = { SDNS_T_NSEC, ttl, 1, &rdlen, &rdp };
	add_set(a, z, NULL, SDNS_SEC_NS, name, &set, ttl);
}

static void want_extra(actx *a, const sdns_rrset *set, const sdns_name *cut)
{
	int off = sdns_zone_target_off(set->type);
	if (off < 0 || set->type == SDNS_T_CNAME || set->type == SDNS_T_PTR)
		return;
	for (uint16_t i = 0; i < set->count && a->n_extra < EXTRA_MAX; i++) {
		size_t p = (size_t)off;
		extra *e = &a->extra[a->n_extra];
		if (sdns_zone_rdata_name(set->rdata[i], set->rdlen[i], &p, &e->name))
			continue;
		bool dup = false;
		for (int j = 0; j < a->n_extra && !dup; j++)
			dup = sdns_name_eq_ci(&a->extra[j].name, &e->name);
		if (dup) continue;
		e->required = cut && sdns_name_is_sub_ci(&e->name, cut);
		a->n_extra++;
	}
}

/* A and AAAA of in-zone targets; the exact node only (glue lies below a cut,
 * where an ordinary lookup would refer). */
static void add_extras(actx *a)
{
	static const uint16_t types[] = { SDNS_T_A, SDNS_T_AAAA };
	for (int i = 0; i < a->n_extra; i++) {
		const extra *e = &a->extra[i];
		const sdns_zone *z = sdns_zoneset_find(a->zs, &e->name);
		if (!z) continue;
		sdns_name low = e->name;
		sdns_name_lower(&low);
		const sdns_znode *nd = sdns_zone_node(z, &low);
		if (!nd) continue;
		for (size_t t = 0; t < 2; t++) {
			const sdns_rrset *set = sdns_znode_rrset(nd, types[t]);
			if (set)
				add_rrset(a, SDNS_SEC_AR, &e->name, set, set->ttl,
				          e->required);
		}
	}
}

/* Walk from name up to the apex: exact node, closest encloser and the
 * highest zone cut. At a cut itself DS belongs to this (parent) side. */
static void lookup(const sdns_zone *z, const sdns_name *name, uint16_t qtype,
                   look *lk)
{
	sdns_name n = *name;
	sdns_name_lower(&n);
	int depth = sdns_name_labels(&n) - z->apex_labels;
	const sdns_znode *exact = NULL, *ce = NULL, *cut = NULL;
	for (int i = 0; i <= depth; i++) {
		const sdns_znode *nd = sdns_zone_node(z, &n);
		if (nd) {
			if (i == 0) exact = nd;
			if (!ce) ce = nd;
			if ((nd->flags & SDNS_ZNODE_DELEG) && !(i == 0 && qtype == T_DS))
				cut = nd;
			if (!z->has_deleg) break;
		}
		if (i < depth) sdns_name_parent(&n);
	}
	lk->node = NULL;
	if (cut) {
		lk->kind = L_REFERRAL;
		lk->node = cut;
	} else if (exact) {
		lk->kind = L_NODE;
		lk->node = exact;
	} else {
		lk->kind = L_NXDOMAIN;
		if (!z->has_wild || !ce) return;
		/* RFC 4592 §3.3.1: only the closest encloser's "*" child. */
		sdns_name src;
		src.len = ce->len;
		memcpy(src.data, ce->name, ce->len);
		if (sdns_name_prepend(&src, (const uint8_t *)"*", 1)) return;
		lk->node = sdns_zone_node(z, &src);
		if (lk->node) lk->kind = L_NODE;
	}
}

static uint32_t add_negative(actx *a, const sdns_zone *z)
{
	size_t off = 0;
	sdns_name tmp;
	const uint8_t *rd = z->soa->rdata[0];
	/* Zone building checked the SOA layout. */
	sdns_zone_rdata_name(rd, z->soa->rdlen[0], &off, &tmp);
	sdns_zone_rdata_name(rd, z->soa->rdlen[0], &off, &tmp);
	const uint8_t *m = rd + off + 16;
	uint32_t minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	                   (uint32_t)m[2] << 8 | m[3];
	uint32_t ttl = z->soa->ttl < minimum ? z->soa->ttl : minimum;
	a->negative = true;
	sdns_name apex;
	sdns_znode_name(z->apex_node, &apex);
	add_set(a, z, z->apex_node, SDNS_SEC_NS, &apex, z->soa, ttl);
	return ttl;
}

static void add_referral(actx *a, const sdns_zone *z, const sdns_znode *cut)
{
	sdns_name owner;
	sdns_znode_name(cut, &owner);
	a->referral = true;
	const sdns_rrset *ns = sdns_znode_rrset(cut, SDNS_T_NS);
	if (add_rrset(a, SDNS_SEC_NS, &owner, ns, ns->ttl, true) != SDNS_OK)
		return;
	/* Insecure delegation: a signed NSEC at the cut without DS. */
	if (a->dnssec) add_nsec(a, z, &owner, cut, NULL, 0, ns->ttl);
	want_extra(a, ns, &owner);
}

static void add_all(actx *a, const sdns_zone *z, const sdns_znode *nd,
                    const sdns_name *owner)
{
	for (uint16_t i = 0; i < nd->nrrsets; i++) {
		const sdns_rrset *set = &nd->rrsets[i];
		if (a->dnssec && set->type == SDNS_T_RRSIG) continue;
		if (add_set(a, z, nd, SDNS_SEC_AN, owner, set, set->ttl)) return;
		want_extra(a, set, NULL);
	}
}

static bool seen(const sdns_name *v, int n, const sdns_name *name)
{
	for (int i = 0; i < n; i++)
		if (sdns_name_eq_ci(&v[i], name)) return true;
	return false;
}

/* Answer for cur, following in-set CNAMEs. Returns false when the name lies
 * outside every zone. */
static bool resolve(actx *a, const sdns_name *qname, uint16_t qtype)
{
	static const uint16_t nxname = SDNS_T_NXNAME;
	sdns_name chain[CHAIN_MAX + 1];
	chain[0] = *qname;
	const sdns_zone *z = sdns_zoneset_find(a->zs, qname);
	if (!z) return false;
	a->z0 = z;
	a->aa = true;
	for (int hop = 0;; hop++) {
		const sdns_name *cur = &chain[hop];
		look lk;
		lookup(z, cur, qtype, &lk);
		if (lk.kind == L_REFERRAL) {
			if (hop == 0) a->aa = false;
			add_referral(a, z, lk.node);
			return true;
		}
		if (lk.kind == L_NXDOMAIN) {
			/* RFC 9824 §3: compact denial answers NOERROR, unless
			 * the query says it understands NXDOMAIN with it (CO). */
			if (!a->dnssec || a->q->edns.co_bit)
				a->rcode = SDNS_RC_NXDOMAIN;
			uint32_t ttl = add_negative(a, z);
			if (a->dnssec) add_nsec(a, z, cur, NULL, &nxname, 1, ttl);
			return true;
		}
		const sdns_znode *nd = lk.node;
		if (qtype == SDNS_T_ANY && nd->nrrsets) {
			add_all(a, z, nd, cur);
			return true;
		}
		const sdns_rrset *set = sdns_znode_rrset(nd, qtype);
		if (set) {
			if (add_set(a, z, nd, SDNS_SEC_AN, cur, set, set->ttl) == 0)
				want_extra(a, set, NULL);
			return true;
		}
		const sdns_rrset *cn = sdns_znode_rrset(nd, SDNS_T_CNAME);
		if (!cn) {
			uint32_t ttl = add_negative(a, z);
			if (a->dnssec) add_nsec(a, z, cur, nd, NULL, 0, ttl);
			return true;
		}
		if (add_set(a, z, nd, SDNS_SEC_AN, cur, cn, cn->ttl)) return true;
		size_t off = 0;
		sdns_name *next = &chain[hop + 1];
		if (hop + 1 >= CHAIN_MAX ||
		    sdns_zone_rdata_name(cn->rdata[0], cn->rdlen[0], &off, next) ||
		    seen(chain, hop + 1, next))
			return true;
		z = sdns_zoneset_find(a->zs, next);
		if (!z) return true;
	}
}

/* A signed positive answer also carries its zone's signed SOA (opts):
 * the version of the zone it belongs to, so that whoever relays it
 * cannot pass off an older one (the mesh refuses older serials). */
static void add_version(actx *a, const sdns_msg *q)
{
	const sdns_zone *z = a->z0;
	if (!a->dnssec || !a->opts->soa_with_answers || !z || a->negative ||
	    a->referral || a->tc || a->rcode != SDNS_RC_NOERROR ||
	    a->b.count[SDNS_SEC_AN] == 0)
		return;
	sdns_name apex;
	sdns_znode_name(z->apex_node, &apex);
	if (q->qtype == SDNS_T_SOA && sdns_name_eq_ci(&q->qname, &apex)) return;
	/* Not required: an answer that cannot hold it goes without. */
	sdns_bld save = a->b;
	if (add_set(a, z, z->apex_node, SDNS_SEC_NS, &apex, z->soa,
	            z->soa->ttl)) {
		a->b = save;
		a->tc = false;
	}
}

static uint8_t check_query(const sdns_msg *q)
{
	if (SDNS_OPCODE(q->flags) != SDNS_OP_QUERY) return SDNS_RC_NOTIMP;
	if (q->qdcount != 1) return SDNS_RC_REFUSED;
	if (q->edns.present && q->edns.version > 0) return SDNS_RC_BADVERS;
	if (q->qtype == SDNS_T_OPT) return SDNS_RC_FORMERR;
	if (q->qtype == T_MAILA || q->qtype == T_MAILB) return SDNS_RC_NOTIMP;
	/* Zone transfers are not offered on this path. */
	if (q->qtype == T_AXFR || q->qtype == T_IXFR) return SDNS_RC_REFUSED;
	if (q->qclass != SDNS_C_IN && q->qclass != SDNS_C_ANY)
		return SDNS_RC_REFUSED;
	return SDNS_RC_NOERROR;
}

static void fill_edns(const sdns_msg *q, const sdns_answer_opts *opts,
                      sdns_edns *e)
{
	memset(e, 0, sizeof(*e));
	e->present = true;
	e->udp_size = opts->our_udp_size ? opts->our_udp_size : 1232;
	e->do_bit = q->edns.do_bit;
	/* RFC 9824 §4: echo CO only when we signed (so it was honoured). */
	e->co_bit = q->edns.co_bit && q->edns.do_bit && opts->key;
}

/* The question or the OPT did not fit: a bare header with TC still tells the
 * client to retry over a larger transport. */
static int header_only(const sdns_msg *q, uint16_t flags, uint8_t *out,
                       size_t lim, size_t *out_len)
{
	sdns_bld b;
	int rc = sdns_bld_init(&b, out, lim, q->id, flags | SDNS_F_TC);
	if (!rc) rc = sdns_bld_finish(&b, out_len);
	return rc;
}

static size_t limit(const sdns_answer_opts *opts, size_t cap)
{
	size_t lim = cap;
	if (opts->max_size && opts->max_size < lim) lim = opts->max_size;
	return lim > SDNS_MSG_MAX ? SDNS_MSG_MAX : lim;
}

int sdns_answer_msg(const sdns_zoneset *zs, const sdns_msg *query,
                    const sdns_answer_opts *opts, uint8_t *out, size_t cap,
                    size_t *out_len)
{
	if (!query || !opts || !out || !out_len) return SDNS_EINVAL;
	if (query->flags & SDNS_F_QR) return SDNS_EPROTO;
	size_t lim = limit(opts, cap);
	if (lim < SDNS_HDR_LEN) return SDNS_ESPACE;
	uint16_t flags = SDNS_F_QR |
	                 (query->flags & (0x7800u | SDNS_F_RD | SDNS_F_CD));
	actx a;
	a.zs = zs;
	a.q = query;
	a.opts = opts;
	a.dnssec = opts->key && query->edns.present && query->edns.do_bit &&
	           DNSSEC_LINKED;
	a.tc = a.aa = a.negative = a.referral = false;
	a.z0 = NULL;
	a.n_extra = 0;
	int rc = sdns_bld_init(&a.b, out, lim, query->id, flags);
	if (rc) return rc;
	sdns_edns e;
	bool edns = query->edns.present;
	if (edns) {
		fill_edns(query, opts, &e);
		sdns_bld_reserve(&a.b, sdns_edns_wire_size(&e));
	}
	a.rcode = check_query(query);
	if (query->qdcount == 1 &&
	    sdns_bld_question(&a.b, &query->qname, query->qtype, query->qclass))
		return header_only(query, flags, out, lim, out_len);
	if (a.rcode == SDNS_RC_NOERROR &&
	    !resolve(&a, &query->qname, query->qtype)) {
		a.rcode = SDNS_RC_REFUSED;
		if (edns) {
			e.has_ede = true;
			e.ede_code = SDNS_EDE_NOT_AUTHORITATIVE;
		}
	}
	add_version(&a, query);
	add_extras(&a);
	sdns_bld_set_flags(&a.b, (uint16_t)((a.aa ? SDNS_F_AA : 0) |
	                                    (a.tc ? SDNS_F_TC : 0)), 0);
	sdns_bld_set_rcode(&a.b, a.rcode & 0xf);
	if (edns) {
		e.ext_rcode = (uint8_t)(a.rcode >> 4);
		if (sdns_bld_opt(&a.b, &e, opts->pad_block))
			return header_only(query, flags, out, lim, out_len);
	}
	return sdns_bld_finish(&a.b, out_len);
}

/* FORMERR for a query whose header we can read but whose body we cannot. */
static int formerr(const uint8_t *q, const sdns_answer_opts *opts,
                   uint8_t *out, size_t cap, size_t *out_len)
{
	uint16_t id = (uint16_t)(q[0] << 8 | q[1]);
	uint16_t qf = (uint16_t)(q[2] << 8 | q[3]);
	uint16_t flags = SDNS_F_QR | (qf & (0x7800u | SDNS_F_RD | SDNS_F_CD));
	size_t lim = limit(opts, cap);
	if (lim < SDNS_HDR_LEN) return SDNS_ESPACE;
	sdns_bld b;
	int rc = sdns_bld_init(&b, out, lim, id, flags);
	if (rc) return rc;
	sdns_bld_set_rcode(&b, SDNS_RC_FORMERR);
	rc = sdns_bld_finish(&b, out_len);
	return rc;
}

int sdns_answer(const sdns_zoneset *zs, const uint8_t *q, size_t qlen,
                const sdns_answer_opts *opts, uint8_t *out, size_t cap,
                size_t *out_len)
{
	if (!opts || !out || !out_len) return SDNS_EINVAL;
	if (!q || qlen < SDNS_HDR_LEN) return SDNS_EMALF;
	/* Never answer a response: two servers could bounce errors forever. */
	if (q[2] & 0x80) return SDNS_EPROTO;
	sdns_msg m;
	if (sdns_msg_parse(q, qlen, &m) != SDNS_OK)
		return formerr(q, opts, out, cap, out_len);
	int rc = sdns_answer_msg(zs, &m, opts, out, cap, out_len);
	sdns_msg_free(&m);
	return rc;
}
