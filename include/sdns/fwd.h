/* The DNS-over-TLS forwarder (RFC 7858, OpenSSL 3): answers what the stub
 * cannot by asking a list of trusted upstream resolvers.
 *
 * Each upstream is checked three ways inside the TLS handshake, before a
 * single query byte is written: the chain (ca_file, else the system trust
 * store), the name (fqdn: a DNS name or an IP literal), and the pin set
 * (base64 SHA-256 of the DER SubjectPublicKeyInfo, as
 * sdns_pki_spki_pin_file computes it; any pin passes; no pins = chain and
 * name only). A failed check logs
 *   level=warn event=upstream_pin_mismatch upstream=ADDR presented_pin=B64
 * is counted, fails the queries waiting on that connection over to the next
 * upstream, and nothing is sent.
 *
 * One persistent TLS connection per upstream carries many queries at once
 * (2-byte framing, answers out of order). Each query gets a connection-local
 * 16-bit ID on the wire; the caller's ID is restored in the answer. TLS
 * sessions are resumed on reconnect. Upstreams are tried in order; one that
 * fails to connect, fails verification or lets a query time out is skipped
 * until its backoff (doubling from backoff_min_ms to backoff_max_ms) expires.
 *
 * Threads: sdns_fwd owns one I/O thread (epoll + eventfd). sdns_fwd_query,
 * sdns_fwd_reconfigure and sdns_fwd_stats may be called from any thread.
 * Callbacks (answers and the observer) run on the fwd thread: keep them
 * short and never call sdns_fwd_free from one. */
#ifndef SDNS_FWD_H
#define SDNS_FWD_H

#include <stddef.h>
#include <stdint.h>

#define SDNS_FWD_MAX_UPSTREAMS 8
#define SDNS_FWD_MAX_PINS 8
#define SDNS_FWD_ADDR_MAX 64  /* "[ipv6]:port" + NUL */

typedef struct {
	const char *addr;        /* "IP:PORT" or "[IPv6]:PORT"; no port = 853 */
	const char *fqdn;        /* name (or IP literal) the certificate must
	                          * carry; NULL = the IP of addr */
	const char *const *pins; /* base64 SHA-256 SPKI pins; n_pins may be 0 */
	size_t n_pins;
	const char *ca_file;     /* PEM trust anchors; NULL = system store */
} sdns_fwd_upstream;

/* What the observer hears about; `upstream` is the addr string. */
enum sdns_fwd_event {
	SDNS_FWD_EV_QUERY = 0,   /* a query was written to an upstream */
	SDNS_FWD_EV_ANSWER,      /* an answer came back; latency_ns set */
	SDNS_FWD_EV_FAILURE,     /* one attempt failed; reason set */
	SDNS_FWD_EV_PIN_FAILURE, /* a handshake failed the pin/name check */
	SDNS_FWD_EV_HANDSHAKE,   /* a TLS connection came up; reason = 1 when
	                          * the session was resumed, else 0 */
};

/* Failure reasons (SDNS_FWD_EV_FAILURE and the stats arrays). */
enum sdns_fwd_reason {
	SDNS_FWD_R_TIMEOUT = 0,  /* no answer within the attempt timeout */
	SDNS_FWD_R_CONNECT,      /* TCP connect failed or was refused */
	SDNS_FWD_R_TLS,          /* handshake or TLS I/O failed */
	SDNS_FWD_R_PIN,          /* pin, name or chain check failed */
	SDNS_FWD_R_CLOSED,       /* upstream closed with the query in flight */
	SDNS_FWD_R_PROTO,        /* bad framing or an answer that fits nothing */
	SDNS_FWD_R_UNAVAIL,      /* every upstream was in backoff */
	SDNS_FWD_R_COUNT
};
/* "timeout", "connect", "tls", "pin", "closed", "proto", "unavailable". */
const char *sdns_fwd_reason_str(int reason);

typedef void (*sdns_fwd_observer)(void *ctx, const char *upstream, int event,
                                  int reason, uint64_t latency_ns);

typedef struct {
	const sdns_fwd_upstream *upstreams;  /* tried in this order */
	size_t n_upstreams;                  /* 1..SDNS_FWD_MAX_UPSTREAMS */
	uint32_t timeout_ms;        /* whole query, callback by then; 0 = 3000 */
	uint32_t attempt_ms;        /* one upstream's turn; 0 = timeout_ms /
	                             * n_upstreams (at least 100) */
	uint32_t backoff_min_ms;    /* 0 = 500 */
	uint32_t backoff_max_ms;    /* 0 = 30000 */
	uint32_t max_inflight;      /* per connection; 0 = 1024 (<= 65535) */
	uint32_t idle_ms;           /* close a connection idle this long;
	                             * 0 = 10000 (below unbound's 30 s) */
	sdns_fwd_observer observer; /* optional: metrics hook, fwd thread */
	void *observer_ctx;
} sdns_fwd_conf;

typedef struct sdns_fwd sdns_fwd;

/* err == 0: answer/len is the upstream's reply with the caller's ID
 * restored (borrowed: valid only during the call). Otherwise answer is NULL
 * and err is SDNS_ETIMEOUT (deadline passed), SDNS_ECERT (the last upstream
 * tried failed verification), SDNS_EIO (connect/TLS failures),
 * SDNS_EUNAVAIL (every upstream in backoff), SDNS_EPROTO (bad reply) or
 * SDNS_ECLOSED (the forwarder is being freed). Called exactly once. */
typedef void (*sdns_fwd_cb)(void *ctx, int err, const uint8_t *answer,
                            size_t len);

/* Copies conf (strings included) and starts the I/O thread. SDNS_ECONFIG
 * for a bad addr, pin (not 44 base64 chars of 32 bytes), unreadable ca_file
 * or count; a message goes to err (may be NULL). Nothing connects until the
 * first query. */
int sdns_fwd_new(const sdns_fwd_conf *conf, sdns_fwd **out, char *err,
                 size_t err_cap);
/* Fails every pending query with SDNS_ECLOSED, joins the thread. NULL ok. */
void sdns_fwd_free(sdns_fwd *fwd);

/* Asynchronous: wire (a whole DNS message, 12..65535 bytes, no length
 * prefix) is copied. cb is called exactly once, on the fwd thread, when this
 * returns 0. SDNS_EINVAL for a bad length, SDNS_ENOMEM, SDNS_ECLOSED. */
int sdns_fwd_query(sdns_fwd *fwd, const uint8_t *wire, size_t len,
                   sdns_fwd_cb cb, void *ctx);

/* Replaces upstreams, pins and timeouts at run time (SIGHUP). Validated like
 * sdns_fwd_new; on error nothing changes. Old connections are closed; the
 * queries they carried are retried on the new upstreams within their
 * original deadline. Health/backoff starts afresh. Stats keep counting
 * (per-upstream slots are re-labelled by position). */
int sdns_fwd_reconfigure(sdns_fwd *fwd, const sdns_fwd_conf *conf, char *err,
                         size_t err_cap);

typedef struct {
	char addr[SDNS_FWD_ADDR_MAX];
	uint64_t queries;            /* queries written to this upstream */
	uint64_t answers;
	uint64_t failures[SDNS_FWD_R_COUNT];
	uint64_t pin_failures;       /* handshakes failing pin/name/chain */
	uint64_t handshakes;         /* TLS connections established */
	uint64_t resumed;            /* ... of which resumed a session */
	uint64_t latency_ns_sum, latency_count;
	int healthy;                 /* 1 = not in backoff now */
	int connected;               /* 1 = a TLS connection is open now */
} sdns_fwd_upstream_counters;

typedef struct {
	uint64_t queries;            /* sdns_fwd_query calls accepted */
	uint64_t answered;           /* callbacks with err == 0 */
	uint64_t failed;             /* callbacks with err != 0 */
	uint64_t inflight;           /* queries not yet called back */
	size_t n_upstreams;
	sdns_fwd_upstream_counters up[SDNS_FWD_MAX_UPSTREAMS];
} sdns_fwd_counters;

/* A consistent snapshot (taken under a lock; cheap). */
void sdns_fwd_stats(sdns_fwd *fwd, sdns_fwd_counters *out);

#endif
