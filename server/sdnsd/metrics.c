/* The daemon's part of GET /metrics, in Prometheus text format 0.0.4. */
#include <stdarg.h>
#include <stdio.h>

#include "sdns/zone.h"
#include "sdnsd.h"

typedef struct {
	char *buf;
	size_t cap, len;
} out_buf;

static void put(out_buf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(out_buf *o, const char *fmt, ...)
{
	if (o->len >= o->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = (size_t)n < o->cap - o->len ? o->len + (size_t)n : o->cap;
}

static void counter(out_buf *o, const char *name, const char *help,
                    const char *type, unsigned long long v)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
	    name, v);
}

static _Thread_local int zones_slot = -1;

static void zone_metrics(out_buf *o, sdnsd_state *st)
{
	if (zones_slot < 0 && (zones_slot = sdns_snapshot_slot_new(&st->zones)) < 0)
		return;
	const sdns_zoneset *zs = sdns_snapshot_enter(&st->zones, zones_slot);
	size_t zones = zs ? sdns_zoneset_count(zs) : 0, records = 0, made = 0;
	for (size_t i = 0; i < zones; i++) {
		const sdns_zone *z = sdns_zoneset_at(zs, i);
		size_t dnssec = st->signer ? sdns_zone_dnssec_count(z) : 0;
		records += sdns_zone_rr_count(z) - dnssec;
		made += dnssec;
	}
	sdns_snapshot_leave(&st->zones, zones_slot);
	/* "Records" means one thing everywhere (GET /zones, the console, this
	 * gauge): the zone's own records, not the DNSSEC records a signing
	 * node adds to them, which are counted apart. */
	counter(o, "sdns_zones", "Zones served now.", "gauge", zones);
	counter(o, "sdns_zone_records", "Records of the served zones (as in "
	        "GET /zones; without the DNSSEC records this node made).",
	        "gauge", records);
	counter(o, "sdns_zone_dnssec_records", "RRSIG, NSEC and DNSKEY records "
	        "this node made by signing the served zones.", "gauge", made);
}

/* Only with --dot-listen: no DoT families on a node without it. */
static void dot_metrics(out_buf *o, const sdns_dot_server *dot)
{
	sdns_dot_stats s;
	sdns_dot_server_stats(dot, &s);
	put(o, "# HELP sdns_dot_handshakes_total DoT handshakes by result.\n"
	       "# TYPE sdns_dot_handshakes_total counter\n"
	       "sdns_dot_handshakes_total{result=\"accepted\"} %llu\n"
	       "sdns_dot_handshakes_total{result=\"refused\"} %llu\n",
	    (unsigned long long)s.handshakes_ok,
	    (unsigned long long)s.handshakes_refused);
	counter(o, "sdns_dot_queries_total", "DoT queries answered.", "counter",
	        s.queries);
	counter(o, "sdns_dot_limit_refused_total",
	        "DoT connections refused by --max-conns or --max-conns-per-addr.",
	        "counter", s.limit_refused);
	counter(o, "sdns_dot_framing_errors_total",
	        "DoT connections closed for a bad length or message.", "counter",
	        s.framing_errors);
	counter(o, "sdns_dot_timeouts_total",
	        "DoT connections closed by the idle or handshake deadline.",
	        "counter", s.idle_closed);
	counter(o, "sdns_dot_query_timeouts_total",
	        "Deferred DoT queries answered SERVFAIL at their deadline.",
	        "counter", s.query_timeouts);
	counter(o, "sdns_dot_closed_revoked_total",
	        "DoT connections closed because their identity was revoked.",
	        "counter", s.closed_by_request);
	counter(o, "sdns_dot_connections", "Open DoT connections.", "gauge",
	        s.conns_open);
}

size_t sdnsd_metrics(void *ctx, char *buf, size_t cap)
{
	sdnsd_state *st = ctx;
	out_buf o = {buf, cap, 0};
	sdns_doq_stats s = {0};
	if (st->doq)
		sdns_doq_server_stats(st->doq, &s);
	put(&o, "# HELP sdns_doq_handshakes_total DoQ handshakes by result.\n"
	        "# TYPE sdns_doq_handshakes_total counter\n"
	        "sdns_doq_handshakes_total{result=\"accepted\"} %llu\n"
	        "sdns_doq_handshakes_total{result=\"refused\"} %llu\n",
	    (unsigned long long)s.handshakes_ok,
	    (unsigned long long)s.handshakes_refused);
	counter(&o, "sdns_doq_queries_total", "DoQ queries answered.", "counter",
	        s.queries);
	counter(&o, "sdns_doq_protocol_errors_total",
	        "Connections closed with DOQ_PROTOCOL_ERROR.", "counter",
	        s.protocol_errors);
	counter(&o, "sdns_doq_excessive_load_total",
	        "Refusals and closes because of a resource limit.", "counter",
	        s.excessive_load);
	counter(&o, "sdns_doq_retries_total", "QUIC Retry packets sent.",
	        "counter", s.retries_sent);
	counter(&o, "sdns_doq_stream_timeouts_total",
	        "Queries cancelled at their deadline.", "counter",
	        s.stream_timeouts);
	counter(&o, "sdns_doq_closed_revoked_total",
	        "Connections closed because their identity was revoked.",
	        "counter", s.closed_by_request);
	counter(&o, "sdns_doq_connections", "Open DoQ connections.", "gauge",
	        s.conns_open);
	if (st->dot)
		dot_metrics(&o, st->dot);
	zone_metrics(&o, st);
	counter(&o, "sdns_db_up", "1 when the store connection is up.", "gauge",
	        (unsigned long long)atomic_load(&st->db_up));
	counter(&o, "sdns_snapshot_swaps_total",
	        "Zone or revocation snapshots published.", "counter",
	        atomic_load(&st->swaps));
	if (o.len < o.cap)
		o.len += sdnsd_stub_metrics(st, o.buf + o.len, o.cap - o.len);
	if (o.len < o.cap)
		o.len += sdnsd_mesh_metrics(st, o.buf + o.len, o.cap - o.len);
	if (o.len < o.cap)
		o.len += sdnsd_audit_metrics(st, o.buf + o.len, o.cap - o.len);
	return o.len;
}
