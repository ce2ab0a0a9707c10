/* DNS over TLS (RFC 7858) beside DoQ: TCP, TLS 1.3 only (GnuTLS), ALPN
 * "dot", the client certificate required and checked during the handshake
 * exactly as DoQ checks it (sdns/peercert.h, then the admit callback).
 *
 * One event-loop thread owns every connection and its GnuTLS session.
 * Queries on a connection are pipelined (RFC 7766 §6.2.1.1): each is handed
 * to the callback as soon as its frame is complete, and answers leave in the
 * order they are ready, so a deferred (mesh) answer does not hold back the
 * ones after it. Deferred answers come back through sdns_dot_server_reply
 * from any thread (mailbox + eventfd).
 *
 * Timers: a handshake deadline from accept; an idle deadline that only a
 * complete query or an answer moves (a client trickling one byte at a time
 * does not keep its connection); a deadline per deferred query, after which
 * it is answered SERVFAIL. */
#ifndef SDNS_DOT_H
#define SDNS_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/identity.h"
#include "sdns/msg.h"

#define SDNS_DOT_ALPN "dot"
#define SDNS_DOT_MSG_MAX 65535

typedef struct sdns_dot_server sdns_dot_server;

/* Names one deferred query. Plain values: connection serials are never
 * reused, so a ticket whose connection is gone is refused, not misrouted. */
typedef struct {
	uint64_t conn_serial;
	uint32_t query;     /* per-connection sequence number */
} sdns_dot_ticket;

/* Answer on the loop thread (same contract as sdns_doq_query_fn): write the
 * response into resp and return SDNS_OK, or a negative code (the query is
 * then answered SERVFAIL). The response's ID is set to the query's by the
 * server. */
typedef int (*sdns_dot_query_fn)(void *ctx, const sdns_identity *peer,
                                 const sdns_msg *query, const uint8_t *wire,
                                 size_t len, uint8_t *resp, size_t cap,
                                 size_t *resp_len);
/* Like sdns_dot_query_fn, plus a ticket: return SDNS_EPENDING to answer
 * later with sdns_dot_server_reply (once, from any thread, even from
 * inside this call). */
typedef int (*sdns_dot_query_async_fn)(void *ctx, const sdns_identity *peer,
                                       const sdns_msg *query,
                                       const uint8_t *wire, size_t len,
                                       const sdns_dot_ticket *ticket,
                                       uint8_t *resp, size_t cap,
                                       size_t *resp_len);
/* After the chain verified: SDNS_OK to accept, else the handshake fails.
 * Runs on the loop thread. NULL = accept every verified identity. */
typedef int (*sdns_dot_admit_fn)(void *ctx, const sdns_identity *peer);

typedef struct {
	const char *listen;            /* "127.0.0.1:853"; port 0 = pick one */
	const char *cert_path, *key_path, *ca_path;
	const char *mesh;              /* required trust domain; NULL = any */
	uint32_t max_conns;            /* overall (default 10000) */
	uint32_t max_conns_per_addr;   /* per client IP (default 64) */
	uint32_t max_inflight;         /* queries in progress per connection
	                                  before it is not read (default 256) */
	size_t max_conn_buffer;        /* answers waiting per connection before
	                                  it is not read (default 1 MiB) */
	size_t max_msg;                /* largest query accepted (65535) */
	uint32_t handshake_timeout_ms; /* (5000) */
	uint32_t idle_timeout_ms;      /* (30000) */
	uint32_t query_timeout_ms;     /* deferred answer deadline (5000) */
	sdns_dot_query_fn on_query;
	sdns_dot_query_async_fn on_query_async; /* used instead when set */
	sdns_dot_admit_fn admit;
	void *ctx;
} sdns_dot_server_conf;

typedef struct {
	uint64_t handshakes_ok;
	uint64_t handshakes_refused;  /* certificate, ALPN, version, timeout */
	uint64_t queries;
	uint64_t deferred;
	uint64_t query_timeouts;      /* deferred queries answered SERVFAIL */
	uint64_t framing_errors;      /* zero or oversized lengths, garbage */
	uint64_t idle_closed;         /* idle or handshake deadline passed */
	uint64_t limit_refused;       /* connections refused by a limit */
	uint64_t conns_open;
	uint64_t closed_by_request;   /* sdns_dot_server_close_matching */
} sdns_dot_stats;

/* Fill defaults for every zero field. */
void sdns_dot_server_conf_defaults(sdns_dot_server_conf *c);
/* Loads credentials and binds the socket (a held port: SDNS_EIO with err
 * "bind ADDR: address already in use"); nothing runs yet. */
int sdns_dot_server_new(const sdns_dot_server_conf *c, sdns_dot_server **out,
                        char *err, size_t err_cap);
int sdns_dot_server_start(sdns_dot_server *s);
/* Closes every connection (TLS close_notify) and joins the loop thread. */
void sdns_dot_server_stop(sdns_dot_server *s);
void sdns_dot_server_free(sdns_dot_server *s);
uint16_t sdns_dot_server_port(const sdns_dot_server *s);
/* Deferred answer: copies resp; resp NULL = answer SERVFAIL. SDNS_OK,
 * SDNS_EINVAL (len 0 or over 65535), SDNS_ENOMEM. A ticket whose query is
 * gone is dropped on the loop thread. */
int sdns_dot_server_reply(sdns_dot_server *s, const sdns_dot_ticket *t,
                          const uint8_t *resp, size_t len);
/* Revocation: close every connection whose identity match() accepts (match
 * runs on the loop thread; it must only read ctx). Any thread but the loop.
 * Returns the number closed, 0 when not running, SDNS_ETIMEOUT when the loop
 * did not take the request within 1 s. */
int sdns_dot_server_close_matching(sdns_dot_server *s,
                                   bool (*match)(void *ctx,
                                                 const sdns_identity *id),
                                   void *ctx);
void sdns_dot_server_stats(const sdns_dot_server *s, sdns_dot_stats *out);

/* Framing (RFC 1035 §4.2.2), pure: the first message in buf[0..len).
 * SDNS_OK with *msg, *msg_len and *used (2 + length); SDNS_EPENDING when more
 * bytes are needed; SDNS_EMALF for a zero length; SDNS_ETOOBIG when the
 * length is over max. */
int sdns_dot_frame_next(const uint8_t *buf, size_t len, size_t max,
                        const uint8_t **msg, size_t *msg_len, size_t *used);

#endif
