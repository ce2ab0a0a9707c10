/* sdnsd's loopback stub: wires sdns_stub to the zone snapshot (local zones,
 * answered as DoQ answers them), the shared cache, the rate limiter and the
 * DoT forwarder, and keeps the Prometheus families for all of them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sdns/answer.h"
#include "sdns/cache.h"
#include "sdns/error.h"
#include "sdns/fwd.h"
#include "sdns/log.h"
#include "sdns/metrics.h"
#include "sdns/rrl.h"
#include "sdns/stub.h"
#include "sdns/msg.h"
#include "sdnsd.h"

static const char *const transports[] = {"udp", "tcp"};

struct sdnsd_stub {
	sdnsd_state *st;
	sdns_stub *stub;
	sdns_fwd *fwd;
	sdns_cache *cache;
	sdns_rrl *rrl;
	sdns_metrics *m;
	sdns_metric *queries, *responses, *duration, *ratelimited, *conns;
	sdns_metric *cache_hits, *cache_misses, *cache_entries;
	sdns_metric *up_queries, *up_failures, *up_pin, *up_duration;
	sdns_series *dur[2];
};

bool sdnsd_stub_wanted(const sdnsd_conf *c)
{
	return c->stub_listen || c->address || c->port || c->resolver_addrs.n;
}

/* Stub workers are not DoQ workers: their own hazard slot per thread. */
static _Thread_local int stub_slot = -1;

static int h_local(void *ctx, const sdns_msg *q, size_t max, uint8_t *out,
                   size_t cap, size_t *out_len)
{
	sdnsd_state *st = ((struct sdnsd_stub *)ctx)->st;
	if (stub_slot < 0 && (stub_slot = sdns_snapshot_slot_new(&st->zones)) < 0)
		return SDNS_ENOTFOUND;
	const sdns_zoneset *zs = sdns_snapshot_enter(&st->zones, stub_slot);
	int rc = SDNS_ENOTFOUND;
	if (zs && sdns_zoneset_find(zs, &q->qname)) {
		const sdns_dnssec_key *key = sdnsd_sign_key(st);
		const sdns_answer_opts o = {.max_size = max, .our_udp_size = 1232,
		                            .key = key,
		                            .now = key ? (uint32_t)time(NULL) : 0};
		rc = sdns_answer_msg(zs, q, &o, out, cap, out_len);
	}
	sdns_snapshot_leave(&st->zones, stub_slot);
	return rc;
}

static int h_cache_get(void *ctx, const sdns_msg *q, uint64_t now,
                       uint8_t *out, size_t cap, size_t *out_len)
{
	struct sdnsd_stub *s = ctx;
	if (sdnsd_mesh_name(s->st, &q->qname))
		return SDNS_ENOTFOUND; /* the mesh keeps its own verified cache */
	sdns_cache_q cq = {&q->qname, q->qtype, q->qclass, q->edns.do_bit, q->id,
	                   (q->flags & SDNS_F_RD) != 0};
	return sdns_cache_lookup(s->cache, &cq, now, out, cap, out_len, NULL);
}

static void h_cache_put(void *ctx, const sdns_msg *q, const uint8_t *resp,
                        size_t len, uint64_t now)
{
	struct sdnsd_stub *s = ctx;
	if (sdnsd_mesh_name(s->st, &q->qname))
		return; /* a NOTIFY must be able to drop it */
	sdns_cache_insert(s->cache, q->edns.do_bit, resp, len, now, NULL);
}

static int h_forward(void *ctx, const uint8_t *wire, size_t len,
                     sdns_stub_done_fn done, void *token)
{
	struct sdnsd_stub *s = ctx;
	int rc = sdnsd_mesh_stub_forward(s->st, wire, len, done, token);
	if (rc != SDNS_ENOTFOUND)
		return rc;
	return s->fwd ? sdns_fwd_query(s->fwd, wire, len, done, token)
	              : SDNS_EUNAVAIL;
}

static int h_limit(void *ctx, const struct sockaddr *src, socklen_t len,
                   int transport, uint64_t now)
{
	(void)len, (void)transport;
	struct sdnsd_stub *s = ctx;
	return s->rrl ? (int)sdns_rrl_check(s->rrl, src, now) : SDNS_STUB_ALLOW;
}

static void h_observe(void *ctx, int transport, int rcode, uint64_t ns)
{
	(void)rcode; /* counted by the stub itself, copied at render time */
	struct sdnsd_stub *s = ctx;
	sdns_series_observe_ns(s->dur[transport], ns);
}

/* fwd thread */
static void fwd_observer(void *ctx, const char *upstream, int event,
                         int reason, uint64_t latency_ns)
{
	(void)reason;
	struct sdnsd_stub *s = ctx;
	sdns_series *se;
	if (event == SDNS_FWD_EV_ANSWER &&
	    sdns_metric_series(s->up_duration, &upstream, &se) == SDNS_OK)
		sdns_series_observe_ns(se, latency_ns);
}

static int add_metrics(struct sdnsd_stub *s)
{
	static const char *const tr[] = {"transport"}, *const tr_rc[] = {
		"transport", "rcode"}, *const up[] = {"upstream"},
		*const up_reason[] = {"upstream", "reason"};
	int rc = sdns_metrics_new(&s->m);
#define ADD(type, name, help, labels, n, out) \
	if (rc == SDNS_OK) \
		rc = sdns_metrics_add(s->m, type, name, help, labels, n, NULL, 0, out)
	ADD(SDNS_METRIC_COUNTER, "sdns_queries_total", "Queries received.", tr,
	    1, &s->queries);
	ADD(SDNS_METRIC_COUNTER, "sdns_responses_total", "Responses sent.",
	    tr_rc, 2, &s->responses);
	ADD(SDNS_METRIC_HISTOGRAM, "sdns_query_duration_seconds",
	    "Time from query to response.", tr, 1, &s->duration);
	ADD(SDNS_METRIC_COUNTER, "sdns_ratelimited_total",
	    "Queries over the per-client rate limit.", tr, 1, &s->ratelimited);
	ADD(SDNS_METRIC_GAUGE, "sdns_connections", "Open connections.", tr, 1,
	    &s->conns);
	ADD(SDNS_METRIC_COUNTER, "sdns_cache_hits_total", "Cache hits.", NULL, 0,
	    &s->cache_hits);
	ADD(SDNS_METRIC_COUNTER, "sdns_cache_misses_total", "Cache misses.", NULL,
	    0, &s->cache_misses);
	ADD(SDNS_METRIC_GAUGE, "sdns_cache_entries", "Entries in the cache.",
	    NULL, 0, &s->cache_entries);
	ADD(SDNS_METRIC_COUNTER, "sdns_upstream_queries_total",
	    "Queries written to an upstream.", up, 1, &s->up_queries);
	ADD(SDNS_METRIC_COUNTER, "sdns_upstream_failures_total",
	    "Failed upstream attempts.", up_reason, 2, &s->up_failures);
	ADD(SDNS_METRIC_COUNTER, "sdns_upstream_pin_failures_total",
	    "Upstream handshakes failing the pin or name check.", up, 1,
	    &s->up_pin);
	ADD(SDNS_METRIC_HISTOGRAM, "sdns_upstream_duration_seconds",
	    "Upstream answer latency.", up, 1, &s->up_duration);
#undef ADD
	for (int t = 0; t < 2 && rc == SDNS_OK; t++)
		rc = sdns_metric_series(s->duration, &transports[t], &s->dur[t]);
	return rc;
}

/* The upstream list of c, as the forwarder wants it. */
typedef struct {
	sdns_fwd_upstream up[SDNSD_MAX_LIST];
	sdns_fwd_conf fc;
} fwd_conf_buf;

static void fill_fwd_conf(const sdnsd_conf *c, struct sdnsd_stub *s,
                          fwd_conf_buf *b)
{
	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < c->resolver_addrs.n; i++)
		b->up[i] = (sdns_fwd_upstream){
			.addr = c->resolver_addrs.v[i], .fqdn = c->resolver_fqdn,
			.pins = (const char *const *)c->resolver_pins.v,
			.n_pins = c->resolver_pins.n, .ca_file = c->resolver_ca,
		};
	b->fc.upstreams = b->up;
	b->fc.n_upstreams = c->resolver_addrs.n;
	b->fc.timeout_ms = (uint32_t)(c->timeout ? c->timeout * 1000 : 3000);
	b->fc.observer = fwd_observer;
	b->fc.observer_ctx = s;
}

static int start_parts(const sdnsd_conf *c, struct sdnsd_stub *s)
{
	sdns_cache_conf cc;
	sdns_cache_conf_default(&cc);
	if (c->cache_max_entries)
		cc.max_entries = (size_t)c->cache_max_entries;
	cc.min_ttl = (uint32_t)c->cache_min_ttl;
	if (c->cache_max_ttl)
		cc.max_ttl = (uint32_t)c->cache_max_ttl;
	int rc = add_metrics(s);
	if (rc == SDNS_OK)
		rc = sdns_cache_new(&cc, &s->cache);
	if (rc == SDNS_OK && c->rate_limit) {
		sdns_rrl_conf rc_ = {0};
		sdns_rrl_conf_default(&rc_);
		rc_.rate = (uint32_t)c->rate_limit;
		rc_.burst = (uint32_t)(c->rate_burst ? c->rate_burst
		                                     : 2 * c->rate_limit);
		if (c->rate_slip_set)
			rc_.slip = (uint32_t)c->rate_slip;
		rc = sdns_rrl_new(&rc_, &s->rrl);
	}
	char err[512] = "";
	if (rc == SDNS_OK && c->resolver_addrs.n) {
		fwd_conf_buf b;
		fill_fwd_conf(c, s, &b);
		rc = sdns_fwd_new(&b.fc, &s->fwd, err, sizeof(err));
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	sdns_stub_conf sc = {
		.listen = c->stub_listen,
		.workers = (unsigned)(c->stub_workers ? c->stub_workers
		                      : cores > 0 ? cores : 1),
		.tcp_idle_ms = (uint32_t)c->stub_tcp_idle_ms,
		.max_tcp_conns = (uint32_t)c->stub_max_tcp_conns,
		.hooks = {h_local, h_cache_get, h_cache_put, h_forward, h_limit,
		          h_observe, s},
	};
	if (rc == SDNS_OK)
		rc = sdns_stub_new(&sc, &s->stub, err, sizeof(err));
	if (rc == SDNS_OK)
		rc = sdns_stub_start(s->stub);
	/* A socket error names the option to change (--address/--port set it). */
	static const char nolisten[] = "stub: cannot listen";
	bool sock = strncmp(err, nolisten, sizeof(nolisten) - 1) == 0;
	if (rc < 0)
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"%s%s\"",
		         sock ? "--stub-listen: " : "",
		         err[0] ? err + (sock ? 6 : 0) : sdns_strerror(rc));
	else
		sdns_log(SDNS_LOG_INFO, "stub_started",
		         "listen=%s port=%u workers=%u upstreams=%zu pins=%zu",
		         c->stub_listen, (unsigned)sdns_stub_port(s->stub), sc.workers,
		         c->resolver_addrs.n, c->resolver_pins.n);
	return rc;
}

static void free_parts(struct sdnsd_stub *s, bool with_mesh)
{
	sdns_stub_stop(s->stub);
	/* At shutdown the mesh answers what it still holds while the stub
	 * exists (the DoQ workers are stopped by then). */
	if (with_mesh)
		sdnsd_mesh_stop(s->st);
	/* The forwarder calls back every query still pending; the stub must
	 * still exist for that. */
	sdns_fwd_free(s->fwd);
	sdns_stub_free(s->stub);
	sdns_rrl_free(s->rrl);
	sdns_cache_free(s->cache);
	sdns_metrics_free(s->m);
	free(s);
}

int sdnsd_stub_start(const sdnsd_conf *c, sdnsd_state *st)
{
	if (!sdnsd_stub_wanted(c))
		return SDNS_OK;
	struct sdnsd_stub *s = calloc(1, sizeof(*s));
	if (!s)
		return SDNS_ENOMEM;
	s->st = st;
	int rc = start_parts(c, s);
	if (rc < 0) {
		free_parts(s, false);
		return rc;
	}
	st->stub = s;
	return SDNS_OK;
}

int sdnsd_stub_reconfigure(const sdnsd_conf *c, sdnsd_state *st)
{
	struct sdnsd_stub *s = st->stub;
	if (!s)
		return SDNS_OK;
	if (!s->fwd) {
		sdns_log(SDNS_LOG_WARN, "resolver_reload_skipped",
		         "reason=\"started without --resolver-addr\"");
		return SDNS_ECONFIG;
	}
	if (!c->resolver_addrs.n) {
		sdns_log(SDNS_LOG_WARN, "resolver_reload_failed",
		         "error=\"no --resolver-addr\" keeping=previous");
		return SDNS_ECONFIG;
	}
	fwd_conf_buf b;
	fill_fwd_conf(c, s, &b);
	char err[512] = "";
	int rc = sdns_fwd_reconfigure(s->fwd, &b.fc, err, sizeof(err));
	if (rc < 0)
		sdns_log(SDNS_LOG_WARN, "resolver_reload_failed",
		         "error=\"%s\" keeping=previous", err[0] ? err
		                                         : sdns_strerror(rc));
	else
		sdns_log(SDNS_LOG_INFO, "resolver_reloaded", "upstreams=%zu pins=%zu",
		         c->resolver_addrs.n, c->resolver_pins.n);
	return rc;
}

void sdnsd_stub_stop(sdnsd_state *st)
{
	if (st->stub)
		free_parts(st->stub, true);
	st->stub = NULL;
}

static void set_series(sdns_metric *f, const char *const *labels, int64_t v)
{
	sdns_series *se;
	if (sdns_metric_series(f, labels, &se) == SDNS_OK)
		sdns_series_set(se, v);
}

static void copy_stub_stats(struct sdnsd_stub *s)
{
	sdns_stub_stats ss;
	sdns_stub_get_stats(s->stub, &ss);
	for (int t = 0; t < 2; t++) {
		set_series(s->queries, &transports[t], (int64_t)ss.queries[t]);
		set_series(s->ratelimited, &transports[t],
		           (int64_t)ss.ratelimited[t]);
		for (int r = 0; r < 24; r++) {
			if (!ss.responses[t][r])
				continue;
			char buf[16];
			const char *l[] = {transports[t],
			                   sdns_rcode_to_str((unsigned)r, buf, sizeof(buf))};
			set_series(s->responses, l, (int64_t)ss.responses[t][r]);
		}
	}
	const char *tcp[] = {"tcp"};
	set_series(s->conns, tcp, (int64_t)ss.conns_open);
	sdns_cache_stats cs;
	sdns_cache_stats_get(s->cache, &cs);
	set_series(s->cache_hits, NULL, (int64_t)cs.hits);
	set_series(s->cache_misses, NULL, (int64_t)cs.misses);
	set_series(s->cache_entries, NULL, (int64_t)cs.entries);
}

static void copy_fwd_stats(struct sdnsd_stub *s)
{
	if (!s->fwd)
		return;
	sdns_fwd_counters fc;
	sdns_fwd_stats(s->fwd, &fc);
	for (size_t i = 0; i < fc.n_upstreams; i++) {
		const char *up[] = {fc.up[i].addr};
		set_series(s->up_queries, up, (int64_t)fc.up[i].queries);
		set_series(s->up_pin, up, (int64_t)fc.up[i].pin_failures);
		for (int r = 0; r < SDNS_FWD_R_COUNT; r++) {
			const char *l[] = {fc.up[i].addr, sdns_fwd_reason_str(r)};
			set_series(s->up_failures, l, (int64_t)fc.up[i].failures[r]);
		}
	}
}

size_t sdnsd_stub_metrics(sdnsd_state *st, char *buf, size_t cap)
{
	struct sdnsd_stub *s = st->stub;
	if (!s || cap == 0)
		return 0;
	/* DoQ queries join the per-transport family. */
	sdns_doq_stats ds = {0};
	if (st->doq)
		sdns_doq_server_stats(st->doq, &ds);
	const char *doq[] = {"doq"};
	set_series(s->queries, doq, (int64_t)ds.queries);
	copy_stub_stats(s);
	copy_fwd_stats(s);
	size_t len = 0;
	return sdns_metrics_render(s->m, buf, cap, &len) == SDNS_OK ? len : 0;
}
