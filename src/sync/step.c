/* A step: the change log after the last applied sequence number, read in
 * one snapshot with the current records of every owner name it touches,
 * then applied as one edit per zone.
 *
 * Why owner names and not record ids: an edit replaces everything at a
 * name, so reading a name's records as they are now makes applying the
 * same rows twice harmless, and the RRset TTL (the lowest of its records)
 * comes right without remembering each record. Zone rows created, deleted
 * or reloaded in bulk load that zone whole; a step that touches more than
 * an eighth of a zone's names does too (one pass is then cheaper). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sync_int.h"

enum { Z_EDIT = 1, Z_RELOAD = 2, Z_GONE = 4 };

typedef struct {
	int64_t id;
	unsigned what;
	size_t owners;
	uint32_t serial;
	bool seen;            /* in the zones read of this snapshot */
} zact;

typedef struct {
	int64_t zone_id;
	char *name;           /* store text, NUL-terminated */
	uint64_t hash;
	size_t first, count;  /* its records in step_ctx.recs, after sorting */
} owner;

typedef struct {
	size_t owner;         /* index into owners */
	uint16_t type;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rd;            /* offset into bytes */
} srec;

typedef struct {
	sdns_sync *s;
	int64_t last;         /* the last row read */
	bool gap, peers;
	size_t rows;
	zact *za;
	size_t nza, capza;
	owner *ow;
	size_t now_, capow;
	size_t *table;        /* owner index + 1 */
	size_t tcap;
	srec *recs;
	size_t nrec, caprec;
	uint8_t *bytes;
	size_t nbytes, capbytes;
	int rc;
} step_ctx;

static zact *zact_get(step_ctx *c, int64_t id)
{
	for (size_t i = 0; i < c->nza; i++)
		if (c->za[i].id == id) return &c->za[i];
	if (c->nza == c->capza) {
		size_t cap = c->capza ? c->capza * 2 : 8;
		zact *nz = realloc(c->za, cap * sizeof(*nz));
		if (!nz) return NULL;
		c->za = nz;
		c->capza = cap;
	}
	c->za[c->nza] = (zact){ id, 0, 0, 0, false };
	return &c->za[c->nza++];
}

static uint64_t key_hash(int64_t zone_id, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)zone_id;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 31);
}

static owner *owner_find(step_ctx *c, int64_t zone_id, const char *name,
                         size_t len)
{
	if (!c->tcap) return NULL;
	uint64_t h = key_hash(zone_id, name, len);
	for (size_t i = h & (c->tcap - 1);; i = (i + 1) & (c->tcap - 1)) {
		size_t v = c->table[i];
		if (!v) return NULL;
		owner *o = &c->ow[v - 1];
		if (o->hash == h && o->zone_id == zone_id &&
		    strlen(o->name) == len && !memcmp(o->name, name, len))
			return o;
	}
}

static int owner_grow(step_ctx *c)
{
	if (c->now_ == c->capow) {
		size_t cap = c->capow ? c->capow * 2 : 64;
		owner *no = realloc(c->ow, cap * sizeof(*no));
		if (!no) return SDNS_ENOMEM;
		c->ow = no;
		c->capow = cap;
	}
	if (2 * (c->now_ + 1) > c->tcap) {
		size_t cap = c->tcap ? c->tcap * 2 : 128;
		size_t *nt = calloc(cap, sizeof(*nt));
		if (!nt) return SDNS_ENOMEM;
		for (size_t k = 0; k < c->now_; k++) {
			size_t i = c->ow[k].hash & (cap - 1);
			while (nt[i]) i = (i + 1) & (cap - 1);
			nt[i] = k + 1;
		}
		free(c->table);
		c->table = nt;
		c->tcap = cap;
	}
	return SDNS_OK;
}

static int owner_add(step_ctx *c, int64_t zone_id, const char *name)
{
	size_t len = strlen(name);
	if (owner_find(c, zone_id, name, len)) return SDNS_OK;
	if (owner_grow(c)) return SDNS_ENOMEM;
	char *copy = strdup(name);
	if (!copy) return SDNS_ENOMEM;
	uint64_t h = key_hash(zone_id, name, len);
	c->ow[c->now_] = (owner){ zone_id, copy, h, 0, 0 };
	size_t i = h & (c->tcap - 1);
	while (c->table[i]) i = (i + 1) & (c->tcap - 1);
	c->table[i] = ++c->now_;
	zact *z = zact_get(c, zone_id);
	if (!z) return SDNS_ENOMEM;
	z->what |= Z_EDIT;
	z->owners++;
	return SDNS_OK;
}

/* --- the log rows --- */

static int on_row(void *ctx, const sdns_store_logrow *r)
{
	step_ctx *c = ctx;
	c->last = r->seq;
	c->rows++;
	int rc = SDNS_OK;
	if (!strcmp(r->tbl, "records")) {
		if (r->zone_id >= 0 && r->name) rc = owner_add(c, r->zone_id, r->name);
		if (!rc && r->old_zone_id >= 0 && r->old_name)
			rc = owner_add(c, r->old_zone_id, r->old_name);
	} else if (!strcmp(r->tbl, "zones") && r->zone_id >= 0) {
		if (!strcmp(r->op, "UPDATE") && r->name) {
			/* The serial lives in the SOA, at the apex. */
			rc = owner_add(c, r->zone_id, r->name);
		} else {
			zact *z = zact_get(c, r->zone_id);
			if (!z) return SDNS_ENOMEM;
			/* INSERT and RELOAD: load it whole; DELETE: it goes. */
			if (!strcmp(r->op, "DELETE")) z->what = Z_GONE;
			else z->what = (z->what & ~(unsigned)Z_GONE) | Z_RELOAD;
		}
	} else if (!strcmp(r->tbl, "nodes") || !strcmp(r->tbl, "revoked")) {
		c->peers = true;
	}
	c->rc = rc;
	return rc;
}

/* Zones whose edit would touch too much, or that are not served as they
 * are (unknown here, refused before), are loaded whole instead. */
static void choose(step_ctx *c)
{
	for (size_t i = 0; i < c->nza; i++) {
		zact *z = &c->za[i];
		if (z->what & (Z_GONE | Z_RELOAD)) continue;
		const szone *sz = sync_zone(c->s, z->id);
		size_t names = sz && sz->z ? sdns_zone_name_count(sz->z) : 0;
		if (!sz || !sz->z || z->owners > 64 + names / 8) z->what |= Z_RELOAD;
	}
}

/* --- the snapshot's rows --- */

static int on_zone_row(void *ctx, int64_t id, const char *name,
                       uint32_t serial)
{
	(void)name;
	step_ctx *c = ctx;
	zact *z = zact_get(c, id);
	if (!z) return SDNS_ENOMEM;
	z->serial = serial;
	z->seen = true;
	return SDNS_OK;
}

static int on_name_record(void *ctx, int64_t zone_id, const char *name,
                          size_t name_len, uint16_t type, uint32_t ttl,
                          const uint8_t *rd, size_t rdlen)
{
	step_ctx *c = ctx;
	owner *o = owner_find(c, zone_id, name, name_len);
	if (!o || rdlen > SDNS_RDATA_MAX) return SDNS_OK;
	if (c->nrec == c->caprec) {
		size_t cap = c->caprec ? c->caprec * 2 : 64;
		srec *nr = realloc(c->recs, cap * sizeof(*nr));
		if (!nr) return SDNS_ENOMEM;
		c->recs = nr;
		c->caprec = cap;
	}
	if (c->nbytes + rdlen > c->capbytes) {
		size_t cap = c->capbytes ? c->capbytes : 4096;
		while (cap < c->nbytes + rdlen) cap *= 2;
		uint8_t *nb = realloc(c->bytes, cap);
		if (!nb) return SDNS_ENOMEM;
		c->bytes = nb;
		c->capbytes = cap;
	}
	memcpy(c->bytes + c->nbytes, rd, rdlen);
	c->recs[c->nrec++] = (srec){ (size_t)(o - c->ow), type, ttl,
	                             (uint16_t)rdlen, c->nbytes };
	c->nbytes += rdlen;
	return SDNS_OK;
}

static int srec_cmp(const void *a, const void *b)
{
	const srec *x = a, *y = b;
	return x->owner < y->owner ? -1 : x->owner > y->owner;
}

/* Inside the snapshot: zone rows and the owners' records in one round
 * trip (ending the snapshot there when nothing is reloaded), then the
 * reloads. */
static int read_data(step_ctx *c, sdns_store *db, uint32_t now, szone **loaded,
                     size_t *n_loaded, bool *ended, sdns_store_err *err)
{
	int64_t *ids = malloc((c->nza ? c->nza : 1) * sizeof(*ids));
	int64_t *zids = malloc((c->now_ ? c->now_ : 1) * sizeof(*zids));
	const char **names = malloc((c->now_ ? c->now_ : 1) * sizeof(*names));
	int rc = ids && zids && names ? SDNS_OK : SDNS_ENOMEM;
	size_t k = 0, reloads = 0;
	for (size_t i = 0; !rc && i < c->nza; i++) {
		if (c->za[i].what == Z_EDIT) ids[k++] = c->za[i].id;
		if ((c->za[i].what & Z_RELOAD) && !(c->za[i].what & Z_GONE)) reloads++;
	}
	/* The owners of edited zones only. */
	size_t m = 0;
	for (size_t i = 0; !rc && i < c->now_; i++) {
		zact *z = zact_get(c, c->ow[i].zone_id);
		if (z && z->what == Z_EDIT) {
			zids[m] = c->ow[i].zone_id;
			names[m++] = c->ow[i].name;
		}
	}
	const sdns_store_load_cb zcb = { on_zone_row, on_name_record };
	*ended = !reloads;
	if (!rc)
		rc = sdns_store_owners_read(db, ids, k, zids, names, m, &zcb, c,
		                            *ended, err);
	free(ids);
	free(zids);
	free(names);
	for (size_t i = 0; !rc && i < c->nza; i++) {
		if (!(c->za[i].what & Z_RELOAD) || (c->za[i].what & Z_GONE))
			continue;
		szone *v = NULL;
		size_t n = 0;
		rc = sync_load_zones(c->s, db, c->za[i].id, now, &v, &n, err);
		if (rc) break;
		if (n == 1) loaded[(*n_loaded)++] = v;
		else {
			c->za[i].what = Z_GONE;   /* deleted since */
			sync_zones_free(v, n);
		}
	}
	if (!rc && c->nrec) {
		qsort(c->recs, c->nrec, sizeof(*c->recs), srec_cmp);
		for (size_t i = 0; i < c->nrec; i++) {
			owner *o = &c->ow[c->recs[i].owner];
			if (!o->count) o->first = i;
			o->count++;
		}
	}
	return rc;
}

/* --- applying --- */

static int put_owner(step_ctx *c, szone *sz, sdns_zedit *e, const owner *o,
                     uint8_t *soa_buf)
{
	sdns_sync *s = c->s;
	sdns_name name;
	if (sync_name(o->name, strlen(o->name), &name)) return SDNS_OK;
	bool apex = sdns_name_eq_ci(&name, &sz->apex);
	sdns_rr *rrs = malloc((o->count + 1) * sizeof(*rrs));
	if (!rrs) return SDNS_ENOMEM;
	size_t n = 0;
	uint32_t soa_ttl = 0;
	for (size_t i = 0; i < o->count; i++) {
		const srec *r = &c->recs[o->first + i];
		if (s->conf.key && r->type == SDNS_T_RRSIG) continue;
		if (!sync_record(s, sz, o->name, strlen(o->name), r->type, r->ttl,
		                 c->bytes + r->rd, r->rdlen, soa_buf, &rrs[n]))
			continue;
		if (r->type == SDNS_T_SOA) {
			/* sync_record patched the serial into soa_buf: keep it. */
			uint8_t *copy = soa_buf + SDNS_RDATA_MAX + 1;
			memcpy(copy, rrs[n].rdata, rrs[n].rdlen);
			rrs[n].rdata = copy;
			soa_ttl = r->ttl;
		}
		n++;
	}
	uint8_t key_rd[SDNS_DNSSEC_DNSKEY_LEN];
	if (apex && s->conf.key) sync_dnskey(s, sz, soa_ttl, key_rd, &rrs[n++]);
	int rc = sdns_zedit_put(e, &name, rrs, n);
	free(rrs);
	if (rc == SDNS_EZONE || rc == SDNS_ERDATA) {
		/* Cannot be: every record was checked. Keep the rest going. */
		sdns_log(SDNS_LOG_WARN, "sync_put_refused", "zone=%s name=%s "
		         "error=\"%s\"", sz->name, o->name, sdns_zedit_error(e));
		rc = SDNS_OK;
	}
	return rc;
}

static int edit_zone(step_ctx *c, szone *sz, uint32_t now)
{
	sync_build g;
	sync_build_init(&g, c->s, sz, sz->z, now);
	sdns_zedit *e = sdns_zedit_new(sz->z, &g.opts);
	uint8_t *soa_buf = malloc(2 * (SDNS_RDATA_MAX + 1));
	if (!e || !soa_buf) {
		sdns_zedit_free(e);
		free(soa_buf);
		return SDNS_ENOMEM;
	}
	int rc = SDNS_OK;
	for (size_t i = 0; i < c->now_ && rc == SDNS_OK; i++)
		if (c->ow[i].zone_id == sz->id)
			rc = put_owner(c, sz, e, &c->ow[i], soa_buf);
	free(soa_buf);
	if (rc) {
		sdns_zedit_free(e);
		return rc;
	}
	sdns_zone *out = NULL;
	char why[200] = "";
	rc = sdns_zedit_finish(e, &out, why, sizeof(why));
	if (rc == SDNS_ENOMEM) return rc;
	if (rc) {
		if (c->s->cb->dropped) c->s->cb->dropped(c->s->ctx, sz->name, NULL, 0,
		                                         why);
		out = NULL;
	}
	sdns_zone_free(sz->z);
	sz->z = out;
	return SDNS_OK;
}

static int zone_cmp(const void *a, const void *b)
{
	const szone *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Put the reloaded zones in (replacing or adding) and drop the gone. */
static int merge(sdns_sync *s, step_ctx *c, szone **loaded, size_t n_loaded)
{
	size_t need = s->n + n_loaded;
	if (need > s->cap) {
		szone *nz = realloc(s->zones, need * sizeof(*nz));
		if (!nz) return SDNS_ENOMEM;
		s->zones = nz;
		s->cap = need;
	}
	for (size_t i = 0; i < n_loaded; i++) {
		szone *old = sync_zone(s, loaded[i]->id);
		if (old) {
			sdns_zone_free(old->z);
			*old = *loaded[i];
		} else {
			s->zones[s->n++] = *loaded[i];
			qsort(s->zones, s->n, sizeof(*s->zones), zone_cmp);
		}
		free(loaded[i]);
	}
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		zact *z = NULL;
		for (size_t j = 0; j < c->nza && !z; j++)
			if (c->za[j].id == s->zones[i].id) z = &c->za[j];
		if (z && (z->what & Z_GONE)) {
			sdns_zone_free(s->zones[i].z);
			continue;
		}
		s->zones[k++] = s->zones[i];
	}
	s->n = k;
	return SDNS_OK;
}

static void step_free(step_ctx *c)
{
	for (size_t i = 0; i < c->now_; i++) free(c->ow[i].name);
	free(c->ow);
	free(c->table);
	free(c->za);
	free(c->recs);
	free(c->bytes);
}

static void tell(sdns_sync *s, const step_ctx *c, szone *const *loaded,
                 size_t n_loaded, const sdns_name *gone, size_t n_gone)
{
	if (!s->cb->zone_changed) return;
	for (size_t i = 0; i < c->nza; i++) {
		const szone *sz = sync_zone(s, c->za[i].id);
		if (sz && sz->z) s->cb->zone_changed(s->ctx, &sz->apex, sz->serial,
		                                     false);
	}
	(void)loaded;
	(void)n_loaded;
	for (size_t i = 0; i < n_gone; i++)
		s->cb->zone_changed(s->ctx, &gone[i], 0, true);
}

/* Apply what was read; publish. */
static int apply(sdns_sync *s, step_ctx *c, uint32_t now, szone **loaded,
                 size_t n_loaded)
{
	int rc = SDNS_OK;
	for (size_t i = 0; i < c->nza && rc == SDNS_OK; i++) {
		zact *z = &c->za[i];
		if (z->what != Z_EDIT) continue;
		szone *sz = sync_zone(s, z->id);
		if (!z->seen) {       /* deleted in this snapshot already */
			z->what = Z_GONE;
			continue;
		}
		sz->serial = z->serial;
		rc = edit_zone(c, sz, now);
		s->st.names += z->owners;
	}
	sdns_name *gone = malloc((c->nza ? c->nza : 1) * sizeof(*gone));
	size_t n_gone = 0;
	for (size_t i = 0; gone && i < c->nza; i++) {
		const szone *sz = sync_zone(s, c->za[i].id);
		if ((c->za[i].what & Z_GONE) && sz && sz->z)
			gone[n_gone++] = sz->apex;
	}
	if (rc == SDNS_OK) rc = merge(s, c, loaded, n_loaded);
	else
		for (size_t i = 0; i < n_loaded; i++) {
			sync_zones_free(loaded[i], 1);
			loaded[i] = NULL;
		}
	s->st.zone_reloads += n_loaded;
	if (rc == SDNS_OK && c->nza) rc = sync_publish(s, false);
	if (rc == SDNS_OK) tell(s, c, loaded, n_loaded, gone, n_gone);
	free(gone);
	return rc;
}

int sdns_sync_step(sdns_sync *s, sdns_store *db, uint32_t now, bool *more)
{
	if (more) *more = false;
	if (!s->loaded) return sdns_sync_full(s, db, now);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	step_ctx c = { .s = s, .last = s->st.seq };
	sdns_store_err err = { 0 };
	int64_t newest = 0, pruned = 0;
	szone **loaded = NULL;
	size_t n_loaded = 0;
	bool ended = false;
	/* One round trip: the snapshot, where the log stands, the rows. */
	int rc = sdns_store_log_begin(db, s->st.seq, s->conf.max_step, on_row, &c,
	                              NULL, &newest, &pruned, &err);
	/* Rows after our place were removed before we read them, or the log
	 * is behind us (another or a restored database): changes were missed. */
	if (rc == SDNS_OK && (pruned > s->st.seq || newest < s->st.seq))
		c.gap = true;
	if (rc == SDNS_OK && c.rc) rc = c.rc;
	if (rc == SDNS_OK && !c.gap) {
		choose(&c);
		loaded = calloc(c.nza ? c.nza : 1, sizeof(*loaded));
		rc = loaded ? read_data(&c, db, now, loaded, &n_loaded, &ended, &err)
		            : SDNS_ENOMEM;
	}
	if (!ended) sdns_store_read_end(db);
	if (rc == SDNS_OK && c.gap) {
		sdns_log(SDNS_LOG_WARN, "sync_gap", "after_seq=%lld newest=%lld "
		         "pruned=%lld action=full_reload", (long long)s->st.seq,
		         (long long)newest, (long long)pruned);
		s->st.gaps++;
		step_free(&c);
		free(loaded);
		return sdns_sync_full(s, db, now);
	}
	if (rc == SDNS_OK) rc = apply(s, &c, now, loaded, n_loaded);
	else
		for (size_t i = 0; i < n_loaded; i++) sync_zones_free(loaded[i], 1);
	if (rc == SDNS_OK) {
		s->st.seq = c.last;
		s->st.steps++;
		s->st.rows += c.rows;
		s->st.last_step_ms = sync_ms(&t0);
		if (more) *more = newest > s->st.seq;
		if (c.peers && s->cb->peers_changed) s->cb->peers_changed(s->ctx);
	} else {
		sdns_log(SDNS_LOG_WARN, "sync_step_failed", "error=\"%s\"",
		         err.message[0] ? err.message : sdns_strerror(rc));
	}
	free(loaded);
	step_free(&c);
	return rc;
}
