/* DNS-over-QUIC (RFC 9250) on ngtcp2 0.12 + GnuTLS, with strict mutual TLS.
 *
 * Server: N worker threads, each with its own SO_REUSEPORT UDP socket and
 * event loop; a connection and its GnuTLS session live on one worker for
 * their whole life, so the query path takes no lock. Queries are answered by
 * a callback on the worker thread, at once or later (on_query_async +
 * sdns_doq_server_reply from any thread).
 *
 * Client: one connection, driven by the caller's thread (send, then poll),
 * used by `sdnsctl query`, `sdnsctl bench` (one client per connection, on the
 * bench's own threads) and the tests. */
#ifndef SDNS_DOQ_H
#define SDNS_DOQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sdns/identity.h"
#include "sdns/msg.h"

/* RFC 9250 §8.4 error codes. */
enum sdns_doq_error {
	SDNS_DOQ_NO_ERROR = 0x0,
	SDNS_DOQ_INTERNAL_ERROR = 0x1,
	SDNS_DOQ_PROTOCOL_ERROR = 0x2,
	SDNS_DOQ_REQUEST_CANCELLED = 0x3,
	SDNS_DOQ_EXCESSIVE_LOAD = 0x4,
	SDNS_DOQ_UNSPECIFIED_ERROR = 0x5,
};

#define SDNS_DOQ_ALPN "doq"
#define SDNS_DOQ_PAD_BLOCK 468  /* RFC 8467 §4.1 response block length */

typedef struct sdns_doq_server sdns_doq_server;
typedef struct sdns_doq_client sdns_doq_client;

/* Answer one query on the worker thread. query is parsed and has passed the
 * RFC 9250 checks; wire is its raw form. Write the response (any size up to
 * cap) and return SDNS_OK, or a negative code when the query cannot be
 * answered at all: the stream is then reset with DOQ_INTERNAL_ERROR. */
typedef int (*sdns_doq_query_fn)(void *ctx, const sdns_identity *peer,
                                 const sdns_msg *query, const uint8_t *wire,
                                 size_t len, uint8_t *resp, size_t cap,
                                 size_t *resp_len);
/* Extra admission check after the chain verified (revocation, roles):
 * return SDNS_OK to accept, SDNS_EDENIED to fail the handshake. May run on
 * any worker thread concurrently. NULL = accept every verified identity. */
/* Names one query for a later sdns_doq_server_reply. Plain values: copy it
 * anywhere; a ticket whose stream is gone is refused, never misrouted
 * (connection serials are not reused). */
typedef struct {
	uint32_t worker;
	uint64_t conn_serial;
	int64_t stream_id;
} sdns_doq_ticket;
/* Like sdns_doq_query_fn, plus a ticket for this query. Return SDNS_EPENDING
 * to answer later with sdns_doq_server_reply (from any thread, once; it
 * may even come before this callback returned: from inside it, e.g. a
 * cache hit delivered at once, or from a thread it handed the query to).
 * Until then the stream keeps its place in the limits and its deadline
 * (stream_timeout_ms): when that passes it is reset with REQUEST_CANCELLED
 * and the ticket is refused. Any other return is handled as by on_query
 * (unless the query was already answered through the ticket: that answer
 * wins). */
typedef int (*sdns_doq_query_async_fn)(void *ctx, const sdns_identity *peer,
                                       const sdns_msg *query,
                                       const uint8_t *wire, size_t len,
                                       const sdns_doq_ticket *ticket,
                                       uint8_t *resp, size_t cap,
                                       size_t *resp_len);
typedef int (*sdns_doq_admit_fn)(void *ctx, const sdns_identity *peer);

typedef struct {
	const char *listen;          /* "127.0.0.1:853", "[::1]:8853"; port 0 =
	                                pick one (see sdns_doq_server_port) */
	const char *cert_path, *key_path, *ca_path;
	const char *mesh;            /* required trust domain of client URI SANs;
	                                NULL = any mesh signed by the CA */
	int workers;                 /* 0 = number of online cores */
	uint32_t max_conns;          /* overall (default 10000) */
	uint32_t max_conns_per_addr; /* per client IP (default 64) */
	uint32_t max_streams;        /* concurrent per connection (default 256) */
	size_t max_conn_buffer;      /* buffered bytes per connection (1 MiB) */
	size_t max_total_buffer;     /* buffered bytes, all (256 MiB) */
	uint32_t stream_timeout_ms;  /* unfinished query deadline (5000) */
	uint32_t idle_timeout_ms;    /* (30000) */
	uint32_t retry_threshold;    /* open connections at which new clients
	                                must pass Retry address validation;
	                                0 = always. Defaults: set by
	                                sdns_doq_server_conf_defaults (max_conns
	                                / 2); sdns_doq_server_new fills the other
	                                zero fields but keeps this one as given */
	sdns_doq_query_fn on_query;
	sdns_doq_query_async_fn on_query_async; /* used instead of on_query
	                                           when set (then on_query may
	                                           be NULL) */
	sdns_doq_admit_fn admit;     /* may be NULL */
	void *ctx;                   /* passed to the callbacks */
} sdns_doq_server_conf;

/* Counters, summed over workers (relaxed atomics; for tests and metrics). */
typedef struct {
	uint64_t handshakes_ok;
	uint64_t handshakes_refused;   /* certificate or ALPN refused */
	uint64_t queries;
	uint64_t protocol_errors;      /* connections closed with PROTOCOL_ERROR */
	uint64_t excessive_load;       /* refusals because of a limit */
	uint64_t retries_sent;
	uint64_t conns_open;
	uint64_t stream_timeouts;      /* streams reset by stream_timeout_ms */
	uint64_t closed_by_request;    /* by sdns_doq_server_close_matching */
	uint64_t deferred;             /* queries answered SDNS_EPENDING */
} sdns_doq_stats;

/* Fill defaults for every zero field. */
void sdns_doq_server_conf_defaults(sdns_doq_server_conf *c);
/* Loads credentials and binds the sockets; nothing runs yet. */
int sdns_doq_server_new(const sdns_doq_server_conf *c, sdns_doq_server **out,
                        char *err, size_t err_cap);
/* sdnsd --check-config: load cert, key and CA as sdns_doq_server_new
 * does (readable, parseable, the key matching the certificate), then
 * verify the certificate chain against the CA (which the server does not:
 * peers would refuse it). SDNS_OK, or SDNS_ECERT with err naming the file
 * and the fault. */
int sdns_doq_check_credentials(const char *cert, const char *key,
                               const char *ca, char *err, size_t err_cap);
/* Start the worker threads and return. */
int sdns_doq_server_start(sdns_doq_server *s);
/* Graceful stop: CONNECTION_CLOSE with DOQ_NO_ERROR to every connection,
 * then join the workers. Safe to call from another thread (not from a
 * signal handler: the daemon's signal thread calls it). */
void sdns_doq_server_stop(sdns_doq_server *s);
void sdns_doq_server_free(sdns_doq_server *s);
uint16_t sdns_doq_server_port(const sdns_doq_server *s);

/* Revocation: close every open connection whose verified client identity
 * match() accepts, with CONNECTION_CLOSE carrying the application error
 * SDNS_DOQ_UNSPECIFIED_ERROR (RFC 9250 has no "revoked" code; NO_ERROR would
 * tell the client all is well and it may reconnect at once), logged as
 * `event=conn_closed reason=revoked peer=... id=...`. New handshakes are the
 * admit callback's business: make it refuse the same identities first, or a
 * client may reconnect between the two.
 * Callable from any thread but not from a server callback (it waits for the
 * workers). Each worker runs match over its own connections on its own
 * thread, so match may run on several threads at once and must only read
 * ctx; identity fields include spki_sha256 and serial_hex. Calls are
 * serialised. Returns the number of connections closed once every worker
 * has done it (0 when the server is not running), or SDNS_ETIMEOUT when a
 * worker did not take the request within 1 s (that worker's connections
 * were left alone; the others were handled; call again). SDNS_EINVAL for a
 * NULL server or match. */
int sdns_doq_server_close_matching(sdns_doq_server *s,
                                   bool (*match)(void *ctx,
                                                 const sdns_identity *id),
                                   void *ctx);
/* Answer a deferred query: copies resp (len bytes, a whole DNS message) and
 * has the owning worker send it on its own loop (mailbox + eventfd). resp
 * NULL = reset the stream with DOQ_INTERNAL_ERROR. Any thread, once per
 * ticket. SDNS_OK = handed to the worker (the connection may still die
 * before it leaves); SDNS_ECLOSED when the connection or stream is gone,
 * the deadline passed or the ticket was already answered (nothing sent);
 * SDNS_EINVAL for a bad ticket or len (0 or > 65535 with resp);
 * SDNS_ENOMEM. Not after sdns_doq_server_free. */
int sdns_doq_server_reply(sdns_doq_server *s, const sdns_doq_ticket *t,
                          const uint8_t *resp, size_t len);
void sdns_doq_server_stats(const sdns_doq_server *s, sdns_doq_stats *out);

typedef struct {
	const char *server;        /* "host:port" or "[v6]:port" */
	const char *server_name;   /* name checked in the server certificate;
	                              NULL = the host part of server */
	const char *ca_path, *cert_path, *key_path; /* cert/key may be NULL for
	                              tests of the no-certificate refusal */
	const char *alpn;          /* NULL = "doq" (tests try others) */
	uint32_t timeout_ms;       /* handshake and query deadline (5000) */
	const uint8_t *token;      /* NEW_TOKEN from an earlier connection to
	                              this server (skips Retry); may be NULL */
	size_t token_len;
	const char *expect_uri;    /* when set: the server certificate must
	                              carry URI SANs all equal to this (e.g.
	                              spiffe://mesh/node/name), else the
	                              handshake fails with SDNS_ECERT; then the
	                              host name is checked only when server_name
	                              is given (peers are known by SPIFFE id) */
} sdns_doq_client_conf;

/* Connect and finish the handshake (blocking up to timeout_ms). On refusal
 * the error says why and sdns_doq_client_close_code() of a half-made client
 * is not available: err gets the transport code in words, e.g.
 * "connection closed by server: 0x12a (TLS alert 42)". */
int sdns_doq_client_connect(const sdns_doq_client_conf *c,
                            sdns_doq_client **out, char *err, size_t err_cap);
void sdns_doq_client_free(sdns_doq_client *c);   /* closes with NO_ERROR */

/* Open a new bidirectional stream and send one framed message with FIN.
 * The message ID is forced to 0 as RFC 9250 §4.2.1 asks. */
int sdns_doq_client_send(sdns_doq_client *c, const uint8_t *q, size_t len,
                         int64_t *stream_id);
/* The same, but only queued: many queries then leave in as few datagrams
 * (and system calls) as possible on sdns_doq_client_flush or the next
 * sdns_doq_client_poll. The stream counts as open at once. */
int sdns_doq_client_queue(sdns_doq_client *c, const uint8_t *q, size_t len,
                          int64_t *stream_id);
int sdns_doq_client_flush(sdns_doq_client *c);
/* Called for every finished stream: status SDNS_OK with the response (without
 * the length prefix), or a negative code (SDNS_ECLOSED when the server reset
 * the stream; *app_error says with which code). */
typedef void (*sdns_doq_resp_fn)(void *ctx, int64_t stream_id, int status,
                                 uint64_t app_error, const uint8_t *resp,
                                 size_t len);
/* Drive the connection until at least one stream finished or timeout_ms.
 * Returns the number of streams finished, or a negative code when the
 * connection is gone. */
int sdns_doq_client_poll(sdns_doq_client *c, int timeout_ms,
                         sdns_doq_resp_fn cb, void *ctx);
/* Blocking single query: send + poll until its answer. */
int sdns_doq_client_query(sdns_doq_client *c, const uint8_t *q, size_t len,
                          uint8_t *resp, size_t cap, size_t *resp_len);
/* Streams this client may still open now (peer's limit). */
uint64_t sdns_doq_client_streams_left(const sdns_doq_client *c);
/* The address-validation token the server sent (NEW_TOKEN), for the next
 * connection's conf.token. Returns its length (0 = none yet); copies at most
 * cap bytes. */
size_t sdns_doq_client_token(const sdns_doq_client *c, uint8_t *buf,
                             size_t cap);
int sdns_doq_client_fd(const sdns_doq_client *c);
/* For a thread that drives the client and also serves a mailbox:
 * sdns_doq_client_poll also waits on fd (-1 = none) and, when it is
 * readable, returns at once with the streams finished so far (often 0). It
 * never reads fd: drain it yourself or poll returns at once again.
 * sdns_doq_client_query ignores it. */
void sdns_doq_client_set_wake_fd(sdns_doq_client *c, int fd);

/* Test hooks for the protocol-error cases: raw bytes on a new stream
 * (framing is the caller's), optionally without FIN or on a unidirectional
 * stream. */
int sdns_doq_client_send_raw(sdns_doq_client *c, const uint8_t *bytes,
                             size_t len, bool fin, bool uni,
                             int64_t *stream_id);
/* Once closed by the server: true and the application/transport error code
 * the server sent. */
bool sdns_doq_client_closed(const sdns_doq_client *c, uint64_t *code,
                            bool *is_app_error);

#endif
