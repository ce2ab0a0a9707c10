/* Zone builder: collects records, then lays the zone out in one pass per
 * shard. sdns_zbuild_finish():
 *   1. hashes every owner and sorts the records into the directory's
 *      buckets (a counting sort on the hash prefix);
 *   2. per bucket, on every thread: sorts, drops duplicates, groups RRsets
 *      and nodes, applies the node rules;
 *   3. on one thread: counts children and adds the empty non-terminals
 *      (every node's parent, up to the first one that exists);
 *   4. per bucket, on every thread: signs (with a signer) and lays out the
 *      shard.
 * Nothing is kept of the builder afterwards. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "zbuild_int.h"
#include "zone_int.h"

/* One added record; owner and RDATA live in the builder blob. */
typedef struct {
	uint32_t own;     /* lowercase owner; the original case follows it
	                     when has_orig */
	uint32_t rd;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint8_t own_len;
	uint8_t has_orig;
} zrec;

struct sdns_zbuild {
	sdns_name apex;     /* lowercase */
	sdns_zone_opts opts;
	uint8_t *blob;
	size_t blob_len, blob_cap;
	zrec *recs;
	size_t n, cap;
	char err[200];
};

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
	return b;
}

void sdns_zbuild_set_opts(sdns_zbuild *b, const sdns_zone_opts *opts)
{
	if (b && opts) b->opts = *opts;
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

int zone_check_rr(const sdns_name *apex, const sdns_rr *rr, char *err,
                  size_t cap)
{
	char os[SDNS_NAME_STR_MAX], as[SDNS_NAME_STR_MAX];
	if (!sdns_name_is_sub_ci(&rr->owner, apex)) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		name_str(apex->data, apex->len, as, sizeof(as));
		set_err(err, cap, "%s is outside the zone %s", os, as);
		return SDNS_EZONE;
	}
	if (rr->rclass != SDNS_C_IN || rr->type == SDNS_T_OPT ||
	    rr->type == SDNS_T_ANY) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		set_err(err, cap, "%s: only class IN data types belong in a zone",
		        os);
		return SDNS_EZONE;
	}
	/* RDATA must have the layout of its type (the same check the message
	 * parser applies), and the names we follow must sit where answering
	 * looks for them, so that answering may trust the zone. */
	int rc = zone_check_rdata(rr->type, rr->rdata, rr->rdlen);
	if (rc) {
		name_str(rr->owner.data, rr->owner.len, os, sizeof(os));
		set_err(err, cap, "%s: bad RDATA for type %u", os,
		        (unsigned)rr->type);
	}
	return rc;
}

/* Records in master-file or database order mostly repeat the previous
 * owner: keep one copy of it. */
static int put_owner(sdns_zbuild *b, const sdns_name *low,
                     const sdns_name *orig, zrec *r)
{
	r->own_len = low->len;
	r->has_orig = memcmp(low->data, orig->data, low->len) != 0;
	if (b->n && !r->has_orig) {
		const zrec *p = &b->recs[b->n - 1];
		if (p->own_len == low->len && !p->has_orig &&
		    !memcmp(b->blob + p->own, low->data, low->len)) {
			r->own = p->own;
			return SDNS_OK;
		}
	}
	int rc = blob_put(b, low->data, low->len, &r->own);
	uint32_t orig_off;
	if (!rc && r->has_orig) rc = blob_put(b, orig->data, orig->len, &orig_off);
	return rc;
}

int sdns_zbuild_add(sdns_zbuild *b, const sdns_rr *rr)
{
	if (!b || !rr || (rr->rdlen && !rr->rdata) || rr->owner.len == 0)
		return SDNS_EINVAL;
	int rc = zone_check_rr(&b->apex, rr, b->err, sizeof(b->err));
	if (rc) return rc;
	if ((rc = grow_recs(b))) return rc;
	sdns_name low = rr->owner;
	sdns_name_lower(&low);
	zrec *r = &b->recs[b->n];
	if ((rc = put_owner(b, &low, &rr->owner, r)) ||
	    (rc = blob_put(b, rr->rdata, rr->rdlen, &r->rd)))
		return rc;
	r->ttl = rr->ttl;
	r->type = rr->type;
	r->rdlen = rr->rdlen;
	b->n++;
	return SDNS_OK;
}

/* --- finish --- */

/* A node of a bucket while the zone is laid out. */
typedef struct {
	uint64_t hash;
	const uint8_t *name, *orig;
	uint8_t len, flags;
	uint32_t children;
	sdns_rrset *sets;      /* into the bucket's sets */
	uint16_t n_sets;
} bnode;

/* One directory entry of the new zone and what goes into its shard. */
typedef struct {
	uint32_t first, count;   /* its records in fin->idx */
	bnode *nodes;            /* sorted by name */
	size_t n_nodes;
	bnode *ents;             /* empty non-terminals found in step 3 */
	size_t n_ents, cap_ents;
	sdns_rrset *sets;
	uint16_t *rdlen;
	const uint8_t **rdata;
	zshard *shard;
	int rc;
	char err[200];
} bucket;

typedef struct {
	sdns_zbuild *b;
	const sdns_zone *z;      /* seed, apex */
	uint32_t *idx;           /* record indexes, grouped by bucket */
	bucket *bk;
	size_t n_bk;
	unsigned depth;
	uint64_t *hash;          /* per record */
	size_t n_deleg;
} fin;

static const uint8_t *rec_orig(const sdns_zbuild *b, const zrec *r)
{
	return b->blob + r->own + (r->has_orig ? r->own_len : 0);
}

static int rec_cmp(const void *pa, const void *pb, void *arg)
{
	const sdns_zbuild *b = arg;
	const zrec *x = &b->recs[*(const uint32_t *)pa];
	const zrec *y = &b->recs[*(const uint32_t *)pb];
	int c = zone_rdata_cmp(b->blob + x->own, x->own_len, b->blob + y->own,
	                       y->own_len);
	if (c) return c;
	if (x->type != y->type) return x->type < y->type ? -1 : 1;
	return zone_rdata_cmp(b->blob + x->rd, x->rdlen, b->blob + y->rd,
	                      y->rdlen);
}

static bool same_owner(const sdns_zbuild *b, const zrec *x, const zrec *y)
{
	return x->own_len == y->own_len &&
	       (x->own == y->own ||
	        !memcmp(b->blob + x->own, b->blob + y->own, x->own_len));
}

/* Sort, drop duplicates (keeping the lowest TTL); the new count. */
static uint32_t sort_bucket(fin *f, bucket *k)
{
	sdns_zbuild *b = f->b;
	uint32_t *ix = f->idx + k->first;
	qsort_r(ix, k->count, sizeof(*ix), rec_cmp, b);
	uint32_t m = 0;
	for (uint32_t i = 0; i < k->count; i++) {
		if (m && rec_cmp(&ix[m - 1], &ix[i], b) == 0) {
			zrec *kept = &b->recs[ix[m - 1]];
			uint32_t ttl = b->recs[ix[i]].ttl;
			if (ttl < kept->ttl) kept->ttl = ttl;
			continue;
		}
		ix[m++] = ix[i];
	}
	return m;
}

/* Group the sorted records of k into RRsets and nodes, and judge each node
 * (lenient builds drop what breaks a rule). */
static int group_bucket(fin *f, bucket *k, uint32_t n)
{
	sdns_zbuild *b = f->b;
	const uint32_t *ix = f->idx + k->first;
	size_t cap = n ? n : 1;
	k->sets = malloc(cap * sizeof(*k->sets));
	k->rdlen = malloc(cap * sizeof(*k->rdlen));
	k->rdata = malloc(cap * sizeof(*k->rdata));
	k->nodes = malloc(cap * sizeof(*k->nodes));
	if (!k->sets || !k->rdlen || !k->rdata || !k->nodes) return SDNS_ENOMEM;
	bool signing = b->opts.signer != NULL;
	size_t ns = 0, nn = 0;
	for (uint32_t i = 0; i < n;) {
		const zrec *r0 = &b->recs[ix[i]];
		bnode *nd = &k->nodes[nn];
		*nd = (bnode){ f->hash[ix[i]], b->blob + r0->own, rec_orig(b, r0),
		               r0->own_len, 0, 0, &k->sets[ns], 0 };
		for (; i < n && same_owner(b, &b->recs[ix[i]], r0);) {
			const zrec *s0 = &b->recs[ix[i]];
			sdns_rrset *set = &k->sets[ns];
			*set = (sdns_rrset){ s0->type, s0->ttl, 0, &k->rdlen[i],
			                     &k->rdata[i] };
			for (; i < n && b->recs[ix[i]].type == s0->type &&
			       same_owner(b, &b->recs[ix[i]], r0); i++) {
				const zrec *r = &b->recs[ix[i]];
				if (set->count == UINT16_MAX) return SDNS_ELIMIT;
				k->rdlen[i] = r->rdlen;
				k->rdata[i] = b->blob + r->rd;
				if (r->ttl < set->ttl) set->ttl = r->ttl;
				set->count++;
			}
			/* A signer makes the zone's signatures itself. */
			if (signing && set->type == SDNS_T_RRSIG) continue;
			if (nd->n_sets == UINT16_MAX) return SDNS_ELIMIT;
			ns++;
			nd->n_sets++;
		}
		int rc = zone_check_node(&f->z->apex, nd->name, nd->orig, nd->len,
		                         nd->sets, &nd->n_sets, &nd->flags,
		                         b->opts.report, b->opts.report_ctx, k->err,
		                         sizeof(k->err));
		if (rc) return rc;
		if (nd->n_sets) nn++;   /* lenient: a node may lose everything */
	}
	k->n_nodes = nn;
	return SDNS_OK;
}

static int name_cmp(const uint8_t *a, uint8_t al, const uint8_t *b, uint8_t bl)
{
	return zone_rdata_cmp(a, al, b, bl);
}

static bnode *bucket_find(bucket *k, const uint8_t *name, uint8_t len)
{
	size_t lo = 0, hi = k->n_nodes;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = name_cmp(k->nodes[mid].name, k->nodes[mid].len, name, len);
		if (c == 0) return &k->nodes[mid];
		if (c < 0) lo = mid + 1;
		else hi = mid;
	}
	for (size_t i = 0; i < k->n_ents; i++)
		if (k->ents[i].len == len && !memcmp(k->ents[i].name, name, len))
			return &k->ents[i];
	return NULL;
}

static bnode *fin_find(fin *f, const uint8_t *name, uint8_t len, uint64_t h)
{
	return bucket_find(&f->bk[zone_dir_index(h, f->depth)], name, len);
}

static int add_ent(fin *f, const uint8_t *name, uint8_t len, uint64_t h)
{
	bucket *k = &f->bk[zone_dir_index(h, f->depth)];
	if (k->n_ents == k->cap_ents) {
		size_t cap = k->cap_ents ? k->cap_ents * 2 : 4;
		bnode *ne = realloc(k->ents, cap * sizeof(*ne));
		if (!ne) return SDNS_ENOMEM;
		k->ents = ne;
		k->cap_ents = cap;
	}
	/* The name is a suffix of a longer owner in the blob: no copy. */
	k->ents[k->n_ents++] = (bnode){ h, name, name, len, 0, 1, NULL, 0 };
	return SDNS_OK;
}

/* Step 3: each node counts as a child of its parent; a parent that does
 * not exist yet becomes an empty non-terminal, and so on up. */
static int link_parents(fin *f)
{
	const sdns_name *apex = &f->z->apex;
	for (size_t bi = 0; bi < f->n_bk; bi++) {
		bucket *k = &f->bk[bi];
		for (size_t i = 0; i < k->n_nodes; i++) {
			const uint8_t *name = k->nodes[i].name;
			uint8_t len = k->nodes[i].len;
			while (len > apex->len) {
				uint8_t skip = (uint8_t)(1u + name[0]);
				name += skip;
				len = (uint8_t)(len - skip);
				uint64_t h = zone_hash(f->z->seed, name, len);
				bnode *p = fin_find(f, name, len, h);
				if (p) {
					p->children++;
					break;
				}
				int rc = add_ent(f, name, len, h);
				if (rc) return rc;
			}
		}
	}
	return SDNS_OK;
}

static bool bnode_is_cut(fin *f, const uint8_t *name, uint8_t len)
{
	bnode *p = fin_find(f, name, len, zone_hash(f->z->seed, name, len));
	return p && (p->flags & SDNS_ZNODE_DELEG);
}

static bool bnode_glue(fin *f, const bnode *nd)
{
	if (!f->n_deleg) return false;
	size_t off = 1u + nd->name[0];
	while (off < nd->len && nd->len - off > f->z->apex.len) {
		if (bnode_is_cut(f, nd->name + off, (uint8_t)(nd->len - off)))
			return true;
		off += 1u + nd->name[off];
	}
	return false;
}

int zone_lay_shard(const zone_layout *lay, const zspec *specs, size_t n,
                   uint8_t depth, uint32_t prefix, zshard **out)
{
	*out = NULL;
	zsign_scratch sc;
	zsign_scratch_init(&sc);
	zspec *fixed = NULL;
	int rc = SDNS_OK;
	if (lay->signer) {
		fixed = malloc((n ? n : 1) * sizeof(*fixed));
		rc = fixed ? SDNS_OK : SDNS_ENOMEM;
		for (size_t i = 0; i < n && rc == SDNS_OK; i++) {
			fixed[i] = specs[i];
			if (specs[i].n_sets && lay->sign_node[i])
				rc = zsign_node(lay->signer, &fixed[i],
				                lay->glue ? lay->glue[i] : false, &sc);
		}
		specs = fixed;
	}
	if (rc == SDNS_OK) {
		*out = zshard_make(specs, n, depth, prefix);
		if (!*out) rc = n > ZSHARD_LIMIT ? SDNS_ELIMIT : SDNS_ENOMEM;
	}
	free(fixed);
	zsign_scratch_free(&sc);
	return rc;
}

/* Step 4 for one bucket: its nodes and empty non-terminals as one shard. */
static int lay_bucket(fin *f, bucket *k, uint32_t bi)
{
	size_t n = k->n_nodes + k->n_ents;
	zspec *specs = malloc((n ? n : 1) * sizeof(*specs));
	bool *sign = calloc(n ? n : 1, sizeof(*sign));
	bool *glue = calloc(n ? n : 1, sizeof(*glue));
	if (!specs || !sign || !glue) {
		free(specs);
		free(sign);
		free(glue);
		return SDNS_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const bnode *nd = i < k->n_nodes ? &k->nodes[i]
		                                 : &k->ents[i - k->n_nodes];
		specs[i] = (zspec){ nd->hash, nd->name, nd->orig, nd->len,
		                    nd->flags, nd->children, nd->sets, nd->n_sets };
		sign[i] = true;
		glue[i] = f->b->opts.signer && nd->n_sets && bnode_glue(f, nd);
	}
	zone_layout lay = { f->b->opts.signer, sign, glue };
	int rc = zone_lay_shard(&lay, specs, n, (uint8_t)f->depth, bi, &k->shard);
	free(specs);
	free(sign);
	free(glue);
	return rc;
}

/* --- threads --- */

typedef struct {
	fin *f;
	unsigned t, nt;
	int step;
} worker;

static void bucket_step(fin *f, size_t bi, int step)
{
	bucket *k = &f->bk[bi];
	if (k->rc) return;
	if (step == 2) k->rc = group_bucket(f, k, sort_bucket(f, k));
	else k->rc = lay_bucket(f, k, (uint32_t)bi);
}

static void *work(void *arg)
{
	worker *w = arg;
	for (size_t bi = w->t; bi < w->f->n_bk; bi += w->nt)
		bucket_step(w->f, bi, w->step);
	return NULL;
}

/* Run a step over every bucket on up to nt threads (this one included). */
static void run_step(fin *f, unsigned nt, int step)
{
	if (nt > 16) nt = 16;
	if (nt > f->n_bk) nt = (unsigned)f->n_bk;
	if (nt < 1) nt = 1;
	worker w[16];
	pthread_t th[16];
	bool started[16] = { false };
	for (unsigned t = 0; t < nt; t++) w[t] = (worker){ f, t, nt, step };
	for (unsigned t = 1; t < nt; t++)
		started[t] = pthread_create(&th[t], NULL, work, &w[t]) == 0;
	work(&w[0]);
	for (unsigned t = 1; t < nt; t++) {
		if (started[t]) pthread_join(th[t], NULL);
		else work(&w[t]);
	}
}

/* The first failure in bucket order, so an error is reproducible. */
static int bucket_error(const fin *f, char *err, size_t cap)
{
	for (size_t i = 0; i < f->n_bk; i++) {
		if (!f->bk[i].rc) continue;
		int rc = f->bk[i].rc;
		if (f->bk[i].err[0]) set_err(err, cap, "%s", f->bk[i].err);
		else set_err(err, cap, "%s", sdns_strerror(rc));
		return rc;
	}
	return SDNS_OK;
}

static unsigned depth_for(size_t n)
{
	unsigned d = 0;
	while (d < ZDEPTH_MAX && (n >> d) > ZSHARD_TARGET) d++;
	return d;
}

/* Step 1: hash every owner and gather the records by bucket. */
static int distribute(fin *f)
{
	sdns_zbuild *b = f->b;
	f->hash = malloc((b->n ? b->n : 1) * sizeof(*f->hash));
	f->idx = malloc((b->n ? b->n : 1) * sizeof(*f->idx));
	f->bk = calloc(f->n_bk, sizeof(*f->bk));
	if (!f->hash || !f->idx || !f->bk) return SDNS_ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		const zrec *r = &b->recs[i];
		if (i && r->own == b->recs[i - 1].own)
			f->hash[i] = f->hash[i - 1];
		else
			f->hash[i] = zone_hash(f->z->seed, b->blob + r->own, r->own_len);
		f->bk[zone_dir_index(f->hash[i], f->depth)].count++;
	}
	uint32_t at = 0;
	for (size_t k = 0; k < f->n_bk; k++) {
		f->bk[k].first = at;
		at += f->bk[k].count;
		f->bk[k].count = 0;
	}
	for (size_t i = 0; i < b->n; i++) {
		bucket *k = &f->bk[zone_dir_index(f->hash[i], f->depth)];
		f->idx[k->first + k->count++] = (uint32_t)i;
	}
	return SDNS_OK;
}

static void fin_free(fin *f)
{
	for (size_t i = 0; f->bk && i < f->n_bk; i++) {
		bucket *k = &f->bk[i];
		free(k->nodes);
		free(k->ents);
		free(k->sets);
		free(k->rdlen);
		free(k->rdata);
		zshard_unref(k->shard);   /* refs 0: only a failed build has any */
	}
	free(f->bk);
	free(f->idx);
	free(f->hash);
}

static void count_delegs(fin *f)
{
	f->n_deleg = 0;
	for (size_t i = 0; i < f->n_bk; i++)
		for (size_t j = 0; j < f->bk[i].n_nodes; j++)
			f->n_deleg += (f->bk[i].nodes[j].flags & SDNS_ZNODE_DELEG) != 0;
}

static int finish(sdns_zbuild *b, sdns_zone *z, char *err, size_t cap)
{
	z->apex = b->apex;
	z->apex_labels = sdns_name_labels(&z->apex);
	z->apex_hash = sdns_name_hash_ci(&z->apex);
	if (b->opts.seed[0] || b->opts.seed[1])
		memcpy(z->seed, b->opts.seed, sizeof(z->seed));
	else
		memcpy(z->seed, zone_default_seed, sizeof(z->seed));
	fin f = { .b = b, .z = z, .depth = depth_for(b->n) };
	f.n_bk = (size_t)1 << f.depth;
	unsigned nt = b->opts.threads ? b->opts.threads : 1;
	if (b->n < 4 * ZSHARD_TARGET) nt = 1;  /* not worth a thread */
	int rc = distribute(&f);
	if (rc == SDNS_OK) {
		run_step(&f, nt, 2);
		rc = bucket_error(&f, err, cap);
	}
	if (rc == SDNS_OK) rc = link_parents(&f);
	if (rc == SDNS_OK) {
		count_delegs(&f);
		run_step(&f, nt, 4);
		rc = bucket_error(&f, err, cap);
	}
	if (rc == SDNS_OK) {
		z->gdepth = (uint8_t)f.depth;
		z->dir = malloc(f.n_bk * sizeof(*z->dir));
		rc = z->dir ? SDNS_OK : SDNS_ENOMEM;
	}
	if (rc == SDNS_OK) {
		for (size_t i = 0; i < f.n_bk; i++) {
			z->dir[i] = f.bk[i].shard;
			zshard_ref(z->dir[i]);
			f.bk[i].shard = NULL;
		}
		rc = zone_assemble(z, err, cap);
	}
	if (rc == SDNS_ENOMEM || rc == SDNS_ELIMIT)
		set_err(err, cap, "%s", sdns_strerror(rc));
	fin_free(&f);
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

int sdns_zone_check_rr(const sdns_name *apex, const sdns_rr *rr, char *err,
                       size_t err_cap)
{
	if (!apex || !rr || (rr->rdlen && !rr->rdata)) return SDNS_EINVAL;
	sdns_name low = *apex;
	sdns_name_lower(&low);
	return zone_check_rr(&low, rr, err, err_cap);
}
