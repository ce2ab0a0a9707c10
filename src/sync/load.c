/* Full loads: every zone and record from one snapshot, streamed, built on
 * several threads (one big zone spreads over them by shards; many small
 * zones are built side by side), signed with signatures of the previous
 * version reused where nothing changed (a resync signs only what moved). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/error.h"
#include "sdns/log.h"
#include "sync_int.h"

/* A zone being loaded. */
typedef struct {
	szone z;
	sdns_zbuild *b;
	uint32_t soa_ttl;
	size_t records;
	char why[200];
} lzone;

typedef struct {
	sdns_sync *s;
	lzone *v;
	size_t n, cap;
	uint8_t *buf;             /* an SOA's RDATA with the serial set */
	uint32_t now;
	int rc;
} loader;

static int on_zone(void *ctx, int64_t id, const char *name, uint32_t serial)
{
	loader *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		lzone *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv) return SDNS_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	lzone *z = &l->v[l->n++];
	memset(z, 0, sizeof(*z));
	z->z.id = id;
	z->z.serial = serial;
	snprintf(z->z.name, sizeof(z->z.name), "%s", name);
	if (sync_name(name, strlen(name), &z->z.apex) == SDNS_OK)
		z->b = sdns_zbuild_new(&z->z.apex);
	if (!z->b)
		snprintf(z->why, sizeof(z->why), "the zone name cannot be read");
	return SDNS_OK;
}

static lzone *find(loader *l, int64_t id)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->v[mid].z.id == id) return &l->v[mid];
		if (l->v[mid].z.id < id) lo = mid + 1;
		else hi = mid;
	}
	return NULL;
}

static int on_record(void *ctx, int64_t zone_id, const char *name,
                     size_t name_len, uint16_t type, uint32_t ttl,
                     const uint8_t *rd, size_t rdlen)
{
	loader *l = ctx;
	lzone *z = find(l, zone_id);
	if (!z || !z->b) return SDNS_OK;   /* created after the zones read */
	sdns_rr rr;
	if (!sync_record(l->s, &z->z, name, name_len, type, ttl, rd, rdlen,
	                 l->buf, &rr))
		return SDNS_OK;
	if (type == SDNS_T_SOA) z->soa_ttl = ttl;
	if (l->s->conf.key && type == SDNS_T_RRSIG) return SDNS_OK;
	int rc = sdns_zbuild_add(z->b, &rr);
	z->records++;
	/* The record was checked: only running out of memory is left. */
	return rc == SDNS_ENOMEM || rc == SDNS_ELIMIT ? rc : SDNS_OK;
}

/* Finish one zone: its DNSKEY when signing, then the build. */
static void finish_zone(loader *l, lzone *z, unsigned threads)
{
	sdns_sync *s = l->s;
	if (!z->b) return;
	if (s->conf.key) {
		uint8_t rd[SDNS_DNSSEC_DNSKEY_LEN];
		sdns_rr key;
		sync_dnskey(s, &z->z, z->soa_ttl, rd, &key);
		if (sdns_zbuild_add(z->b, &key) != SDNS_OK) {
			sdns_zbuild_free(z->b);
			z->b = NULL;
			snprintf(z->why, sizeof(z->why), "out of memory");
			return;
		}
	}
	const szone *old = sync_zone(s, z->z.id);
	sync_build g;
	sync_build_init(&g, s, &z->z, old ? old->z : NULL, l->now);
	g.opts.threads = threads;
	sdns_zbuild_set_opts(z->b, &g.opts);
	sdns_zone *out = NULL;
	if (sdns_zbuild_finish(z->b, &out, z->why, sizeof(z->why)) != SDNS_OK)
		out = NULL;
	z->b = NULL;
	z->z.z = out;
}

typedef struct {
	loader *l;
	size_t next;
	pthread_mutex_t mu;
} pool;

static void *pool_work(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next;
		while (i < p->l->n && p->l->v[i].records >= ZONE_BIG_RECORDS)
			i++;   /* the big ones are built on every thread, later */
		p->next = i + 1;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->l->n) return NULL;
		finish_zone(p->l, &p->l->v[i], 1);
	}
}

static void finish_all(loader *l)
{
	unsigned nt = l->s->conf.threads;
	if (nt > 16) nt = 16;
	pool p = { l, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[16];
	bool started[16] = { false };
	for (unsigned t = 1; t < nt; t++)
		started[t] = pthread_create(&th[t], NULL, pool_work, &p) == 0;
	pool_work(&p);
	for (unsigned t = 1; t < nt; t++)
		if (started[t]) pthread_join(th[t], NULL);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].b) finish_zone(l, &l->v[i], nt);
	pthread_mutex_destroy(&p.mu);
}

void sync_zones_free(szone *v, size_t n)
{
	for (size_t i = 0; i < n; i++) sdns_zone_free(v[i].z);
	free(v);
}

int sync_load_zones(sdns_sync *s, sdns_store *db, int64_t zone_id,
                    uint32_t now, szone **out, size_t *n_out,
                    sdns_store_err *err)
{
	*out = NULL;
	*n_out = 0;
	loader l = { .s = s, .now = now, .buf = malloc(SDNS_RDATA_MAX + 1) };
	if (!l.buf) return SDNS_ENOMEM;
	const sdns_store_load_cb cb = { on_zone, on_record };
	int rc = sdns_store_load_stream(db, zone_id, &cb, &l, err);
	free(l.buf);
	if (rc == SDNS_OK) finish_all(&l);
	szone *v = rc ? NULL : malloc((l.n ? l.n : 1) * sizeof(*v));
	if (!rc && !v) rc = SDNS_ENOMEM;
	for (size_t i = 0; i < l.n; i++) {
		if (rc) {
			sdns_zbuild_free(l.v[i].b);
			sdns_zone_free(l.v[i].z.z);
			continue;
		}
		if (!l.v[i].z.z && s->cb->dropped)
			s->cb->dropped(s->ctx, l.v[i].z.name, NULL, 0, l.v[i].why);
		v[i] = l.v[i].z;
	}
	free(l.v);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*n_out = l.n;
	return SDNS_OK;
}

int sdns_sync_full(sdns_sync *s, sdns_store *db, uint32_t now)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sdns_store_err err = { 0 };
	int64_t head = 0;
	szone *v = NULL;
	size_t n = 0;
	int rc = sdns_store_read_begin(db, &err);
	if (rc == SDNS_OK) rc = sdns_store_log_state(db, &head, NULL, &err);
	if (rc == SDNS_OK) rc = sync_load_zones(s, db, -1, now, &v, &n, &err);
	sdns_store_read_end(db);
	if (rc) {
		sdns_log(SDNS_LOG_WARN, "sync_load_failed", "error=\"%s\"",
		         err.message[0] ? err.message : sdns_strerror(rc));
		return rc;
	}
	sync_zones_free(s->zones, s->n);
	s->zones = v;
	s->n = s->cap = n;
	s->st.seq = head;
	rc = sync_publish(s, true);
	if (rc) return rc;
	s->loaded = true;
	s->st.full_loads++;
	s->st.last_full_ms = sync_ms(&t0);
	return SDNS_OK;
}
