/* Internals shared by the stub's files: workers, connections, pending
 * forwards. Not a public header. */
#ifndef SDNS_STUB_INT_H
#define SDNS_STUB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "sdns/stub.h"

#define STUB_RCODES 24
#define STUB_UDP_BATCH 32
#define STUB_TCP_MAX_MSG 65535

/* Counters of one worker: written by that worker only (relaxed atomics so
 * that sdns_stub_get_stats may read them from another thread). */
typedef struct {
	atomic_ullong queries[2], responses[2][STUB_RCODES], ratelimited[2],
		dropped[2], truncated, forwarded, forward_failed, tcp_accepted,
		tcp_refused, tcp_idle_closed;
} stub_counters;

#define STUB_INC(w, field) \
	atomic_fetch_add_explicit(&(w)->cnt.field, 1, memory_order_relaxed)

typedef struct stub_conn stub_conn;
typedef struct stub_worker stub_worker;

/* A query at the forwarder. Owned by the forwarder between forward and done,
 * then by the worker's reply queue. */
typedef struct stub_pending {
	struct stub_pending *next;
	stub_worker *w;
	int transport;
	struct sockaddr_storage src;   /* UDP: where the answer goes */
	socklen_t srclen;
	uint32_t conn_slot, conn_gen;  /* TCP: the connection, if still open */
	uint64_t t0;
	int err;
	uint8_t *resp;
	size_t resp_len;
	size_t qlen;
	uint8_t q[];                   /* the client's query */
} stub_pending;

struct stub_conn {
	int fd;
	uint32_t slot, gen;
	struct sockaddr_storage peer;  /* for the rate limiter */
	socklen_t peerlen;
	uint64_t last_ns;          /* last whole query read or answer sent:
	                            * single bytes (slowloris) do not count */
	uint32_t inflight;         /* queries at the forwarder */
	bool reading;              /* EPOLLIN armed */
	bool want_out;             /* EPOLLOUT armed */
	size_t in_len;
	uint8_t *in;               /* 2 + 65535 */
	uint8_t *out;              /* queued framed responses */
	size_t out_len, out_off, out_cap;
};

struct stub_worker {
	sdns_stub *s;
	pthread_t thread;
	int ep, udp_fd, tcp_fd, evfd;
	stub_counters cnt;
	/* replies handed over by the forwarder's thread */
	pthread_mutex_t mu;
	stub_pending *replies;
	/* connections by slot; gen bumps on every reuse of a slot */
	stub_conn **conns;
	uint32_t *gens;
	uint32_t nconns_cap;
	uint8_t *scratch;          /* one response being built (65535) */
	uint8_t (*ubuf)[4096];     /* UDP receive batch */
};

struct sdns_stub {
	sdns_stub_conf conf;
	char *listen;
	uint16_t port;
	unsigned nworkers;
	stub_worker *workers;
	atomic_int stop;
	atomic_uint tcp_open;
	bool started;
};

enum { STUB_DONE = 0, STUB_NOREPLY = 1, STUB_PENDING = 2 };

uint64_t stub_now_ns(void);

/* query.c: run the pipeline for one message. STUB_DONE: *out_len bytes in
 * out to send; STUB_NOREPLY: nothing to send; STUB_PENDING: forwarded, the
 * answer comes through the reply queue. max: the transport's size limit
 * (UDP: from the query; TCP: 65535). */
int stub_query(stub_worker *w, int transport, const struct sockaddr *src,
               socklen_t srclen, const uint8_t *wire, size_t len,
               const stub_conn *conn, uint8_t *out, size_t cap,
               size_t *out_len);
/* The reply of a finished forward into out (ID restored, SERVFAIL on error,
 * truncated for UDP); also stores it in the cache. */
int stub_finish(stub_worker *w, stub_pending *p, uint8_t *out, size_t cap,
                size_t *out_len);
/* Count a response about to go out (rcode from its header). */
void stub_count_response(stub_worker *w, int transport, const uint8_t *resp,
                         size_t len, uint64_t t0);

/* udp.c */
void stub_udp_readable(stub_worker *w);
void stub_udp_send(stub_worker *w, const stub_pending *p, const uint8_t *resp,
                   size_t len);
/* tcp.c */
void stub_tcp_accept(stub_worker *w);
void stub_tcp_event(stub_worker *w, stub_conn *c, uint32_t events);
void stub_tcp_reply(stub_worker *w, stub_pending *p);
void stub_tcp_sweep(stub_worker *w, uint64_t now);
void stub_tcp_close_all(stub_worker *w);
stub_conn *stub_conn_lookup(stub_worker *w, uint32_t slot, uint32_t gen);

#endif
