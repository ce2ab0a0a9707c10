/* The sync object: its zones, publishing, and what full loads, steps and
 * re-signing share (build options, records from the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sdns/error.h"
#include "sync_int.h"

int sdns_sync_new(const sdns_sync_conf *c, const sdns_sync_cb *cb, void *ctx,
                  sdns_sync **out)
{
	static const sdns_sync_cb none;
	*out = NULL;
	if (c && c->key && !c->key->has_secret) return SDNS_EINVAL;
	sdns_sync *s = calloc(1, sizeof(*s));
	if (!s) return SDNS_ENOMEM;
	if (c) s->conf = *c;
	if (!s->conf.sig_validity) s->conf.sig_validity = SDNS_DNSSEC_DEFAULT_VALIDITY;
	if (!s->conf.mesh_validity) s->conf.mesh_validity = SDNS_DNSSEC_MESH_VALIDITY;
	if (!s->conf.max_step) s->conf.max_step = 10000;
	if (!s->conf.threads) s->conf.threads = 1;
	s->cb = cb ? cb : &none;
	s->ctx = ctx;
	*out = s;
	return SDNS_OK;
}

void sdns_sync_free(sdns_sync *s)
{
	if (!s) return;
	for (size_t i = 0; i < s->n; i++) sdns_zone_free(s->zones[i].z);
	free(s->zones);
	sdns_zoneset_unref(s->cur);
	free(s);
}

szone *sync_zone(sdns_sync *s, int64_t id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->zones[mid].id == id) return &s->zones[mid];
		if (s->zones[mid].id < id) lo = mid + 1;
		else hi = mid;
	}
	return NULL;
}

int sync_name(const char *text, size_t len, sdns_name *out)
{
	char buf[SDNS_NAME_STR_MAX + 2];
	if (len > SDNS_NAME_STR_MAX) return SDNS_ENAME;
	memcpy(buf, text, len);
	buf[len] = '.';
	return sdns_name_from_str(out, buf, len + 1, NULL);
}

double sync_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The zone rules' report, with the zone named. */
static void on_report(void *ctx, const sdns_name *owner, uint16_t type,
                      const char *why)
{
	const sync_build *g = ctx;
	if (g->s->cb->dropped)
		g->s->cb->dropped(g->s->ctx, g->zone->name, owner, type, why);
}

uint32_t sdns_sync_validity(const sdns_sync *s, const sdns_name *apex)
{
	if (s->conf.has_mesh_domain &&
	    sdns_name_is_sub_ci(apex, &s->conf.mesh_domain))
		return s->conf.mesh_validity;
	return s->conf.sig_validity;
}

void sync_build_init(sync_build *g, sdns_sync *s, const szone *sz,
                     const sdns_zone *base, uint32_t now)
{
	memset(g, 0, sizeof(*g));
	g->s = s;
	g->zone = sz;
	g->opts.report = on_report;
	g->opts.report_ctx = g;
	g->opts.threads = s->conf.threads;
	memcpy(g->opts.seed, s->conf.seed, sizeof(g->opts.seed));
	if (!s->conf.key) return;
	g->signer = (sdns_dnssec_signer){ s->conf.key, &sz->apex, now,
	                                  sdns_sync_validity(s, &sz->apex), 0,
	                                  true, base };
	sdns_dnssec_signer_hook(&g->signer, &g->hook);
	g->opts.signer = &g->hook;
}

/* Offset of the serial in SOA RDATA (after MNAME and RNAME), or -1. */
static long soa_serial_off(const uint8_t *rd, size_t len)
{
	size_t off = 0;
	for (int names = 0; names < 2; names++) {
		for (;;) {
			if (off >= len) return -1;
			uint8_t l = rd[off];
			off += 1u + l;
			if (l == 0) break;
		}
	}
	return off + 20 <= len ? (long)off : -1;
}

static void drop(sdns_sync *s, const szone *sz, const sdns_name *owner,
                 uint16_t type, const char *why)
{
	if (s->cb->dropped) s->cb->dropped(s->ctx, sz->name, owner, type, why);
}

bool sync_record(sdns_sync *s, const szone *sz, const char *name,
                 size_t name_len, uint16_t type, uint32_t ttl,
                 const uint8_t *rd, size_t rdlen, uint8_t *buf, sdns_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	if (sync_name(name, name_len, &rr->owner) != SDNS_OK) {
		drop(s, sz, NULL, type, "a record with an unreadable owner name");
		return false;
	}
	if (rdlen > SDNS_RDATA_MAX) {
		drop(s, sz, &rr->owner, type, "RDATA over 65535 octets");
		return false;
	}
	rr->type = type;
	rr->rclass = SDNS_C_IN;
	rr->ttl = ttl;
	rr->rdlen = (uint16_t)rdlen;
	rr->rdata = rd;
	if (type == SDNS_T_SOA) {
		/* zones.serial is the zone's serial; the stored one is stale. */
		memcpy(buf, rd, rdlen);
		long off = soa_serial_off(buf, rdlen);
		if (off >= 0) {
			buf[off] = (uint8_t)(sz->serial >> 24);
			buf[off + 1] = (uint8_t)(sz->serial >> 16);
			buf[off + 2] = (uint8_t)(sz->serial >> 8);
			buf[off + 3] = (uint8_t)sz->serial;
		}
		rr->rdata = buf;
	}
	char why[200];
	if (sdns_zone_check_rr(&sz->apex, rr, why, sizeof(why)) != SDNS_OK) {
		drop(s, sz, &rr->owner, type, why);
		return false;
	}
	return true;
}

void sync_dnskey(const sdns_sync *s, const szone *sz, uint32_t soa_ttl,
                 uint8_t *rd, sdns_rr *rr)
{
	sdns_dnssec_dnskey_rr(s->conf.key, &sz->apex,
	                      soa_ttl ? soa_ttl : SDNS_ZONE_DEFAULT_TTL, rd, rr);
}

int sync_publish(sdns_sync *s, bool full)
{
	sdns_zone **zones = malloc((s->n ? s->n : 1) * sizeof(*zones));
	if (!zones) return SDNS_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->zones[i].z) zones[k++] = s->zones[i].z;
	sdns_zoneset *zs = NULL;
	int rc = sdns_zoneset_new(zones, k, &zs);
	if (rc == SDNS_OK)   /* the set holds one more reference of each */
		for (size_t i = 0; i < k; i++) sdns_zone_ref(zones[i]);
	free(zones);
	if (rc) return rc;
	sdns_zoneset_unref(s->cur);
	s->cur = zs;
	if (s->cb->publish) {
		sdns_zoneset_ref(zs);
		s->cb->publish(s->ctx, zs);
	}
	if (full && s->cb->reloaded) s->cb->reloaded(s->ctx, zs);
	return SDNS_OK;
}

const sdns_zoneset *sdns_sync_current(const sdns_sync *s)
{
	return s ? s->cur : NULL;
}

bool sdns_sync_loaded(const sdns_sync *s)
{
	return s && s->loaded;
}

size_t sdns_sync_shards(const sdns_sync *s)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->n; i++)
		if (s->zones[i].z) n += sdns_zone_shard_count(s->zones[i].z);
	return n;
}

void sdns_sync_stats_get(const sdns_sync *s, sdns_sync_stats *st)
{
	*st = s->st;
}
