/* Zone builder: collects records, then sorts, drops duplicates, groups
 * RRsets, adds empty non-terminals, checks the DNS rules and lays the zone out
 * for lookup. All the work is done once, in sdns_zbuild_finish(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zone_int.h"

/* One added record; owner and RDATA live in the builder blob. */
typedef struct {
	uint32_t own;     /* lowercase owner; original case follows it */
	uint32_t rd;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t own_len;
} zrec;

struct sdns_zbuild {
	sdns_name apex;     /* lowercase */
	int apex_labels;
	uint8_t *blob;
	size_t blob_len, blob_cap;
	zrec *recs;
	size_t n, cap;
	char err[200];
};

/* A record as finish() sorts it: pointers into the final blob. */
typedef struct {
	const uint8_t *own, *orig, *rd;
	uint32_t ttl;
	uint16_t type, rdlen;
	uint8_t own_len;
} srec;

/* A name of the zone before nodes are laid out. */
typedef struct {
	const uint8_t *name, *orig;
	uint8_t len;
} sname;

static void set_err(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *buf, size_t cap, const char *fmt, ...)
{
	if (!buf || cap == 0) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static void name_str(const uint8_t *wire, size_t len, char *buf, size_t cap)
{
	sdns_name n;
	n.len = (uint8_t)len;
	memcpy(n.data, wire, len);
	if (sdns_name_to_str(&n, buf, cap) != SDNS_OK) snprintf(buf, cap, "?");
}

sdns_zbuild *sdns_zbuild_new(const sdns_name *apex)
{
	if (!apex || apex->len == 0) return NULL;
	sdns_zbuild *b = calloc(1, sizeof(*b));
	if (!b) return NULL;
	b->apex = *apex;
	sdns_name_lower(&b->apex);
	b->apex_labels = sdns_name_labels(&b->apex);
	return b;
}

void sdns_zbuild_free(sdns_zbuild *b)
{
	if (!b) return;
	free(b->blob);
	free(b->recs);
	free(b);
}

const char *sdns_zbuild_error(const sdns_zbuild *b)
{
	return b ? b->err : "";
}

static int blob_put(sdns_zbuild *b, const void *p, size_t n, uint32_t *off)
{
	if (n > UINT32_MAX - b->blob_len) return SDNS_ELIMIT;
	if (b->blob_len + n > b->blob_cap) {
		size_t cap = b->blob_cap ? b->blob_cap : 4096;
		while (cap < b->blob_len + n) cap *= 2;
		uint8_t *nb = realloc(b->blob, cap);
		if (!nb) return SDNS_ENOMEM;
		b->blob = nb;
		b->blob_cap = cap;
	}
	*off = (uint32_t)b->blob_len;
	if (n) memcpy(b->blob + b->blob_len, p, n);
	b->blob_len += n;
	return SDNS_OK;
}

/* RDATA must have the layout of its type (the same check the message parser
 * applies), and the names we follow must sit where answering looks for
 * them, so that answering may trust the zone. */
static int check_rdata(const sdns_rr *rr)
{
	if (sdns_rdata_check(rr->type, rr->rdata, rr->rdlen) != SDNS_OK)
		return SDNS_ERDATA;
	sdns_name tmp;
	size_t off = 0;
	if (rr->type == SDNS_T_SOA) {
		if (sdns_zone_rdata_name(rr->rdata, rr->rdlen, &off, &tmp) ||
		    sdns_zone_rdata_name(rr->rdata, rr->rdlen, &off, &tmp) ||
		    rr->rdlen - off != 20)
			return SDNS_ERDATA;
		return SDNS_OK;
	}
	int t = sdns_zone_target_off(rr->type);
	if (t < 0) return SDNS_OK;
	off = (size_t)t;
	if (rr->rdlen < off || sdns_zone_rdata_name(rr->rdata, rr->rdlen, &off, &tmp) ||
	    off != rr->rdlen)
		return SDNS_ERDATA;
	return SDNS_OK;
}

static int grow_recs(sdns_zbuild *b)
{
	if (b->n < b->cap) return SDNS_OK;
	size_t cap = b->cap ? b->cap * 2 : 64;
	zrec *nr = realloc(b->recs, cap * sizeof(*nr));
	if (!nr) return SDNS_ENOMEM;
	b->recs = nr;
	b->cap = cap;
	return SDNS_OK;
}

int sdns_zbuild_add(sdns_zbuild *b, const sdns_rr *rr)
{
	if (!b || !rr || (rr->rdlen && !rr->rdata) || rr->owner.len == 0)
		return SDNS_EINVAL;
	char os[SDNS_NAME_STR_MAX], as[SDNS_NAME_STR_MAX];
	if (!sdns_name_is_sub_ci(&rr->owner, &b->apex)) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		name_str(b->apex.data, b->apex.len, as, sizeof(as));
		set_err(b->err, sizeof(b->err), "%s is outside the zone %s", os, as);
		return SDNS_EZONE;
	}
	if (rr->rclass != SDNS_C_IN || rr->type == SDNS_T_OPT ||
	    rr->type == SDNS_T_ANY) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		set_err(b->err, sizeof(b->err),
		        "%s: only class IN data types belong in a zone", os);
		return SDNS_EZONE;
	}
	int rc = check_rdata(rr);
	if (rc) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		set_err(b->err, sizeof(b->err), "%s: bad RDATA for type %u", os,
		        (unsigned)rr->type);
		return rc;
	}
	if ((rc = grow_recs(b))) return rc;
	sdns_name low = rr->owner;
	sdns_name_lower(&low);
	zrec *r = &b->recs[b->n];
	uint32_t orig_off;
	if ((rc = blob_put(b, low.data, low.len, &r->own)) ||
	    (rc = blob_put(b, rr->owner.data, rr->owner.len, &orig_off)) ||
	    (rc = blob_put(b, rr->rdata, rr->rdlen, &r->rd)))
		return rc;
	r->own_len = low.len;
	r->ttl = rr->ttl;
	r->type = rr->type;
	r->rdlen = rr->rdlen;
	b->n++;
	return SDNS_OK;
}

static int wire_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c) return c;
	return al < bl ? -1 : al > bl;
}

static int srec_cmp(const void *pa, const void *pb)
{
	const srec *a = pa, *b = pb;
	int c = wire_cmp(a->own, a->own_len, b->own, b->own_len);
	if (c) return c;
	if (a->type != b->type) return a->type < b->type ? -1 : 1;
	return wire_cmp(a->rd, a->rdlen, b->rd, b->rdlen);
}

static int sname_cmp(const void *pa, const void *pb)
{
	const sname *a = pa, *b = pb;
	return wire_cmp(a->name, a->len, b->name, b->len);
}

static bool same_owner(const srec *a, const srec *b)
{
	return a->own_len == b->own_len && !memcmp(a->own, b->own, a->own_len);
}

/* Sort, drop duplicates (keeping the lowest TTL) and return the count. */
static size_t sort_records(sdns_zbuild *b, uint8_t *blob, srec *s)
{
	for (size_t i = 0; i < b->n; i++) {
		const zrec *r = &b->recs[i];
		s[i] = (srec){ blob + r->own, blob + r->own + r->own_len,
		               blob + r->rd, r->ttl, r->type, r->rdlen, r->own_len };
	}
	qsort(s, b->n, sizeof(*s), srec_cmp);
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (k && srec_cmp(&s[k - 1], &s[i]) == 0) {
			if (s[i].ttl < s[k - 1].ttl) s[k - 1].ttl = s[i].ttl;
			continue;
		}
		s[k++] = s[i];
	}
	return k;
}

/* Every owner and each of its ancestors down to the apex is a node. */
static int owner_depth(const srec *r, int apex_labels)
{
	sdns_name tmp;
	tmp.len = r->own_len;
	memcpy(tmp.data, r->own, tmp.len);
	return sdns_name_labels(&tmp) - apex_labels + 1;
}

static sname *collect_names(const srec *s, size_t n, int apex_labels,
                            size_t *out_n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || !same_owner(&s[i - 1], &s[i]))
			total += (size_t)owner_depth(&s[i], apex_labels);
	sname *v = malloc((total ? total : 1) * sizeof(*v));
	if (!v) return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && same_owner(&s[i - 1], &s[i])) continue;
		int depth = owner_depth(&s[i], apex_labels);
		size_t off = 0;
		/* Each suffix of the wire form is an ancestor. */
		for (int j = 0; j < depth; j++) {
			v[k++] = (sname){ s[i].own + off, s[i].orig + off,
			                  (uint8_t)(s[i].own_len - off) };
			off += 1u + s[i].own[off];
		}
	}
	qsort(v, k, sizeof(*v), sname_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || sname_cmp(&v[u - 1], &v[i]) != 0) v[u++] = v[i];
	*out_n = u;
	return v;
}

static uint64_t wire_hash(const uint8_t *wire, size_t len)
{
	sdns_name tmp;
	tmp.len = (uint8_t)len;
	memcpy(tmp.data, wire, len);
	return sdns_name_hash_ci(&tmp);
}

static size_t count_rrsets(const srec *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || s[i].type != s[i - 1].type || !same_owner(&s[i - 1], &s[i]))
			k++;
	return k;
}

/* Nodes and RRsets come out in the same order because both were sorted by the
 * lowercase owner wire form; one pass fills both. */
static int layout(sdns_zone *z, const srec *s, size_t ns, const sname *names,
                  size_t nn)
{
	z->n_rrsets = count_rrsets(s, ns);
	z->n_nodes = nn;
	z->rr_count = ns;
	z->rdlens = malloc((ns ? ns : 1) * sizeof(*z->rdlens));
	z->rdatas = malloc((ns ? ns : 1) * sizeof(*z->rdatas));
	z->rrsets = calloc(z->n_rrsets ? z->n_rrsets : 1, sizeof(*z->rrsets));
	z->nodes = calloc(nn ? nn : 1, sizeof(*z->nodes));
	if (!z->rdlens || !z->rdatas || !z->rrsets || !z->nodes)
		return SDNS_ENOMEM;
	for (size_t i = 0; i < ns; i++) {
		z->rdlens[i] = s[i].rdlen;
		z->rdatas[i] = s[i].rd;
	}
	size_t j = 0, r = 0;
	for (size_t i = 0; i < nn; i++) {
		sdns_znode *nd = &z->nodes[i];
		nd->name = names[i].name;
		nd->orig = names[i].orig;
		nd->len = names[i].len;
		nd->hash = wire_hash(nd->name, nd->len);
		nd->rrset0 = (uint32_t)r;
		while (j < ns && wire_cmp(s[j].own, s[j].own_len, nd->name,
		                          nd->len) == 0) {
			sdns_rrset *set = &z->rrsets[r++];
			size_t k = j;
			set->type = s[j].type;
			set->ttl = s[j].ttl;
			set->rdlen = &z->rdlens[j];
			set->rdata = &z->rdatas[j];
			for (; k < ns && s[k].type == s[j].type &&
			       same_owner(&s[k], &s[j]); k++)
				if (s[k].ttl < set->ttl) set->ttl = s[k].ttl;
			if (k - j > UINT16_MAX || nd->nrrsets == UINT16_MAX)
				return SDNS_ELIMIT;
			set->count = (uint16_t)(k - j);
			nd->nrrsets++;
			j = k;
		}
	}
	return SDNS_OK;
}

static int build_index(sdns_zone *z)
{
	size_t cap = 8;
	while (cap < 2 * z->n_nodes) cap *= 2;
	z->table = calloc(cap, sizeof(*z->table));
	if (!z->table) return SDNS_ENOMEM;
	z->mask = cap - 1;
	for (size_t i = 0; i < z->n_nodes; i++) {
		size_t slot = z->nodes[i].hash & z->mask;
		while (z->table[slot]) slot = (slot + 1) & z->mask;
		z->table[slot] = (uint32_t)(i + 1);
	}
	return SDNS_OK;
}

static int check_cname(const sdns_zone *z, const sdns_znode *nd,
                       const char *owner, char *err, size_t cap)
{
	const sdns_rrset *cn = sdns_znode_rrset(z, nd, SDNS_T_CNAME);
	if (!cn) return SDNS_OK;
	if (nd == z->apex_node) {
		set_err(err, cap, "%s: CNAME at the zone apex", owner);
		return SDNS_EZONE;
	}
	if (cn->count > 1) {
		set_err(err, cap, "%s: %u CNAME records; a name has at most one",
		        owner, (unsigned)cn->count);
		return SDNS_EZONE;
	}
	for (uint16_t i = 0; i < nd->nrrsets; i++) {
		uint16_t t = z->rrsets[nd->rrset0 + i].type;
		if (t == SDNS_T_CNAME || t == SDNS_T_RRSIG || t == SDNS_T_NSEC)
			continue;
		char ts[16];
		set_err(err, cap, "%s: CNAME and %s at the same name (RFC 1034 "
		        "§3.6.2)", owner, sdns_type_to_str(t, ts, sizeof(ts)));
		return SDNS_EZONE;
	}
	return SDNS_OK;
}

static int check_node(sdns_zone *z, sdns_znode *nd, char *err, size_t cap)
{
	char owner[SDNS_NAME_STR_MAX];
	name_str(nd->orig, nd->len, owner, sizeof(owner));
	if (nd->len >= 2 && nd->name[0] == 1 && nd->name[1] == '*') {
		nd->flags |= SDNS_ZNODE_WILD;
		z->has_wild = true;
	}
	if (nd != z->apex_node) {
		if (sdns_znode_rrset(z, nd, SDNS_T_SOA)) {
			set_err(err, cap, "%s: SOA below the zone apex", owner);
			return SDNS_EZONE;
		}
		if (sdns_znode_rrset(z, nd, SDNS_T_NS)) {
			nd->flags |= SDNS_ZNODE_DELEG;
			z->has_deleg = true;
		}
	}
	return check_cname(z, nd, owner, err, cap);
}

static int check_zone(sdns_zone *z, char *err, size_t cap)
{
	char as[SDNS_NAME_STR_MAX];
	name_str(z->apex.data, z->apex.len, as, sizeof(as));
	z->apex_node = sdns_zone_node(z, &z->apex, z->apex_hash);
	z->soa = z->apex_node ? sdns_znode_rrset(z, z->apex_node, SDNS_T_SOA)
	                      : NULL;
	if (!z->soa) {
		set_err(err, cap, "%s: no SOA record at the zone apex", as);
		return SDNS_EZONE;
	}
	if (z->soa->count != 1) {
		set_err(err, cap, "%s: %u SOA records at the apex; exactly one "
		        "allowed", as, (unsigned)z->soa->count);
		return SDNS_EZONE;
	}
	for (size_t i = 0; i < z->n_nodes; i++) {
		int rc = check_node(z, &z->nodes[i], err, cap);
		if (rc) return rc;
	}
	size_t off = 0;
	sdns_name tmp;
	sdns_zone_rdata_name(z->soa->rdata[0], z->soa->rdlen[0], &off, &tmp);
	sdns_zone_rdata_name(z->soa->rdata[0], z->soa->rdlen[0], &off, &tmp);
	const uint8_t *p = z->soa->rdata[0] + off;
	z->serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	            (uint32_t)p[2] << 8 | p[3];
	return SDNS_OK;
}

static int finish(sdns_zbuild *b, sdns_zone *z, char *err, size_t cap)
{
	z->apex = b->apex;
	z->apex_labels = b->apex_labels;
	z->apex_hash = sdns_name_hash_ci(&z->apex);
	/* Give the blob back its slack before pointers into it are taken. */
	if (b->blob_len && b->blob_len < b->blob_cap) {
		uint8_t *nb = realloc(b->blob, b->blob_len);
		if (nb) b->blob = nb;
	}
	z->blob = b->blob;
	b->blob = NULL;
	srec *s = malloc((b->n ? b->n : 1) * sizeof(*s));
	if (!s) return SDNS_ENOMEM;
	size_t ns = sort_records(b, z->blob, s);
	size_t nn = 0;
	sname *names = collect_names(s, ns, b->apex_labels, &nn);
	int rc = names ? layout(z, s, ns, names, nn) : SDNS_ENOMEM;
	if (!rc) rc = build_index(z);
	if (!rc) rc = check_zone(z, err, cap);
	if (rc == SDNS_ENOMEM || rc == SDNS_ELIMIT)
		set_err(err, cap, "%s", sdns_strerror(rc));
	free(names);
	free(s);
	return rc;
}

int sdns_zbuild_finish(sdns_zbuild *b, sdns_zone **out, char *err,
                       size_t err_cap)
{
	if (out) *out = NULL;
	if (!b || !out) {
		sdns_zbuild_free(b);
		return SDNS_EINVAL;
	}
	sdns_zone *z = calloc(1, sizeof(*z));
	int rc = z ? finish(b, z, err, err_cap) : SDNS_ENOMEM;
	sdns_zbuild_free(b);
	if (rc) {
		sdns_zone_free(z);
		return rc;
	}
	*out = z;
	return SDNS_OK;
}
