/* The loopback stub: plain DNS over UDP and TCP (RFC 7766) for the node's
 * applications. Worker threads each own a UDP and a TCP listening socket
 * (SO_REUSEPORT) and an epoll loop; TCP connections belong to the worker that
 * accepted them. Per query: rate limit, header checks (FORMERR, NOTIMP,
 * REFUSED for QDCOUNT != 1, RFC 8482 for ANY), local zones, cache, then the
 * forwarder (asynchronous; SERVFAIL with an extended error when it fails).
 *
 * The stub knows nothing of zones, caches or upstreams: the caller plugs them
 * in through sdns_stub_hooks (sdnsd wires its zone snapshot, sdns_cache,
 * sdns_rrl and sdns_fwd; tests wire fakes). Hooks run on worker threads,
 * except that the forward hook's `done` may be called from any thread. */
#ifndef SDNS_STUB_H
#define SDNS_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sdns/msg.h"

enum sdns_stub_transport { SDNS_STUB_UDP = 0, SDNS_STUB_TCP = 1 };
/* Verdicts of the rate-limit hook (the values of sdns_rrl's). */
enum sdns_stub_limit { SDNS_STUB_ALLOW = 0, SDNS_STUB_DROP = 1,
                       SDNS_STUB_SLIP = 2 };

/* Completion of a forwarded query: err 0 with the upstream's response (any
 * ID; the stub restores the client's), or a negative code (SDNS_ETIMEOUT,
 * SDNS_ECERT, ...) and no response. Call exactly once per accepted forward,
 * from any thread, also when the forwarder shuts down. */
typedef void (*sdns_stub_done_fn)(void *token, int err, const uint8_t *wire,
                                  size_t len);

typedef struct {
	/* Authoritative answer from the local zones into out, sized to fit
	 * max_size (TC set when it does not). SDNS_ENOTFOUND when the name is
	 * outside every local zone; NULL = no local zones. */
	int (*local)(void *ctx, const sdns_msg *q, size_t max_size, uint8_t *out,
	             size_t cap, size_t *out_len);
	/* Cached response for q with the ID set to q->id and TTLs aged, or
	 * SDNS_ENOTFOUND. NULL = no cache. */
	int (*cache_get)(void *ctx, const sdns_msg *q, uint64_t now_ns,
	                 uint8_t *out, size_t cap, size_t *out_len);
	/* Store an upstream response (worker thread). */
	void (*cache_put)(void *ctx, const sdns_msg *q, const uint8_t *resp,
	                  size_t len, uint64_t now_ns);
	/* Send the query (wire, len) upstream; 0 = accepted (done will be
	 * called), negative = not sent (SERVFAIL now). NULL = no upstream. */
	int (*forward)(void *ctx, const uint8_t *wire, size_t len,
	               sdns_stub_done_fn done, void *token);
	/* Rate-limit verdict for the source address. NULL = no limit. */
	int (*limit)(void *ctx, const struct sockaddr *src, socklen_t srclen,
	             int transport, uint64_t now_ns);
	/* One response sent (rcode incl. extended bits), for histograms. */
	void (*observe)(void *ctx, int transport, int rcode, uint64_t dur_ns);
	void *ctx;
} sdns_stub_hooks;

typedef struct {
	const char *listen;        /* "127.0.0.1:5353", "[::1]:0" */
	unsigned workers;          /* 0 = 1 */
	uint32_t tcp_idle_ms;      /* 0 = 10000 (RFC 7766 §6.2.3 suggests 10 s) */
	uint32_t max_tcp_conns;    /* all workers; 0 = 1024 */
	uint32_t max_tcp_inflight; /* queries in progress per connection: 0 = 128 */
	size_t max_tcp_outbuf;     /* queued response bytes per connection before
	                              reading pauses; 0 = 256 KiB */
	sdns_stub_hooks hooks;
} sdns_stub_conf;

/* Counters, monotonic except conns_open. Index by transport. */
typedef struct {
	uint64_t queries[2];
	uint64_t responses[2][24];  /* by rcode 0..23 (BADVERS = 16) */
	uint64_t ratelimited[2];
	uint64_t dropped[2];        /* unanswerable (no ID) or rate-limit drop */
	uint64_t truncated;         /* UDP answers sent with TC */
	uint64_t forwarded, forward_failed;
	uint64_t tcp_accepted, tcp_refused, tcp_idle_closed;
	uint64_t conns_open;
} sdns_stub_stats;

typedef struct sdns_stub sdns_stub;

/* Bind the sockets (port 0 = any; see sdns_stub_port). err gets words. */
int sdns_stub_new(const sdns_stub_conf *conf, sdns_stub **out, char *err,
                  size_t err_cap);
int sdns_stub_start(sdns_stub *s);
/* Stop and join the workers; queries still at the forwarder are answered
 * nowhere (their done calls are still safe until sdns_stub_free). */
void sdns_stub_stop(sdns_stub *s);
/* After sdns_stub_stop and after the forwarder has called every done. */
void sdns_stub_free(sdns_stub *s);
uint16_t sdns_stub_port(const sdns_stub *s);
void sdns_stub_get_stats(const sdns_stub *s, sdns_stub_stats *out);

/* --- the per-query pipeline, pure parts (src/stub/query.c) --- */

/* Minimal error response: ID, opcode and RD of the query, QR, rcode; the
 * question echoed when q is not NULL; an OPT (with EDE when ede >= 0) when
 * q had EDNS. */
int sdns_stub_error(const uint8_t *wire, size_t len, const sdns_msg *q,
                    int rcode, int ede, uint8_t *out, size_t cap,
                    size_t *out_len);
/* RFC 8482 §4.2 answer to qtype ANY: one HINFO "RFC8482" "". */
int sdns_stub_any(const sdns_msg *q, uint8_t *out, size_t cap,
                  size_t *out_len);
/* Fit a response into max (UDP): when it is larger, keep the header, the
 * question, the leading records that fit (answer first) and the OPT, and set
 * TC. In place; *len updated. */
int sdns_stub_truncate(uint8_t *resp, size_t *len, size_t cap, size_t max);
/* Largest UDP response the query allows: its EDNS size (at least 512, at
 * most 4096), or 512 without EDNS. */
size_t sdns_stub_udp_max(const sdns_msg *q);

#endif
