/* Private to the DoQ server: workers, connections, streams.
 * Everything here is owned by one worker thread except the fields of
 * sdns_doq_server marked shared. */
#ifndef SDNS_DOQ_SERVER_INT_H
#define SDNS_DOQ_SERVER_INT_H

#include "doq_int.h"

typedef struct doq_conn doq_conn;
typedef struct doq_worker doq_worker;
typedef struct doq_close_req doq_close_req;
typedef struct doq_pend doq_pend;

/* Per-worker counters; summed by sdns_doq_server_stats. */
typedef struct {
	atomic_uint_fast64_t handshakes_ok, handshakes_refused, queries,
		protocol_errors, excessive_load, retries_sent, stream_timeouts,
		closed_by_request, deferred;
} doq_counters;

/* ST_PEND: handed to on_query_async, waiting for sdns_doq_server_reply. */
enum doq_stream_phase { ST_RX, ST_PEND, ST_TX, ST_DONE };

/* One query/response exchange. buf holds the request while it is being
 * assembled, then the framed response until it is acknowledged. */
typedef struct doq_stream {
	int64_t id;
	doq_conn *conn;
	struct doq_stream *wprev, *wnext;   /* conn's write list */
	struct doq_stream *dprev, *dnext;   /* conn's deadline list (ST_RX,
	                                       ST_PEND) */
	struct doq_stream *aprev, *anext;   /* all of the conn's streams */
	struct doq_stream *free_next;       /* worker's pool */
	doq_pend *pend;                     /* ST_PEND: its ticket (defer.c) */
	uint64_t deadline;
	uint8_t *buf;
	size_t len, cap;
	size_t sent;        /* response bytes handed to ngtcp2 */
	size_t acked;       /* response bytes acknowledged */
	size_t accounted;   /* bytes counted against the buffer limits */
	uint8_t phase;
	bool in_wlist, in_dlist;
	uint64_t reset_code;  /* pending RESET_STREAM when has_reset */
	bool has_reset;
	uint8_t inl[DOQ_INLINE];
} doq_stream;

typedef struct {
	doq_stream *head, *tail;
} doq_slist;

enum doq_conn_state { CS_OPEN, CS_CLOSING, CS_DRAINING, CS_DEAD };

struct doq_conn {
	ngtcp2_crypto_conn_ref ref;  /* gnutls_session_get_ptr gives this */
	doq_worker *w;
	ngtcp2_conn *qc;
	gnutls_session_t tls;
	struct sockaddr_storage local, remote;
	socklen_t locallen, remotelen;
	char peer[DOQ_PEER_MAX];
	sdns_identity id;
	bool verified;       /* the client certificate passed verify.c */
	bool refusal_logged;
	bool counted;        /* holds a slot in doq_limits */
	bool handshake_done;
	enum doq_conn_state state;
	uint64_t serial;     /* per worker, never reused: tickets name it */
	uint32_t npending;   /* streams in ST_PEND */
	ngtcp2_cid odcid;    /* the client's first DCID, also in the table */
	/* Set by a callback that found a DoQ error; acted on after
	 * ngtcp2_conn_read_pkt returns. */
	bool close_set, close_app;
	uint64_t close_code;
	const char *close_reason;
	uint8_t *close_pkt;
	size_t close_len;
	uint64_t close_rx;   /* packets that arrived in the closing period */
	uint64_t close_deadline;
	size_t buffered;
	uint32_t nstreams;
	doq_slist wlist;     /* streams with something to send or reset */
	doq_stream *dhead, *dtail; /* ST_RX streams, oldest deadline first */
	doq_stream *streams;       /* every stream, for doq_conn_free */
	size_t heap_idx;     /* position in the worker's timer heap */
	uint64_t expiry;
	bool dirty;
	doq_conn *dirty_next;
	doq_conn *prev, *next;  /* all connections of the worker */
};

/* CID → connection, open hashing with chains. */
typedef struct doq_cid_ent doq_cid_ent;
typedef struct {
	doq_cid_ent **b;
	size_t nb, n;
	uint32_t seed;
} doq_cidtab;

typedef struct {
	doq_conn **v;
	size_t n, cap;
} doq_heap;

/* Tickets of a worker's deferred queries. Shared with the threads calling
 * sdns_doq_server_reply, hence the lock; the worker takes it only for a
 * deferred query (park, drop) and when woken for replies. */
typedef struct {
	pthread_mutex_t mu;
	doq_pend **b;        /* (serial, stream id) -> unanswered ticket */
	size_t nb, n;
	doq_pend *ready, *ready_tail; /* answered, not yet sent */
	/* The ticket whose callback runs now (serial 0 = none), and a reply
	 * to it that came before the callback returned. */
	atomic_uint_fast64_t cur_serial;
	atomic_int_fast64_t cur_sid;
	bool has_early;
	uint8_t *early;      /* framed; NULL = reset */
	size_t early_len;
} doq_defer;

struct doq_worker {
	sdns_doq_server *srv;
	int idx;
	int fd, efd, epfd;
	pthread_t thr;
	bool running;
	atomic_bool stop;
	doq_cidtab cids;
	doq_heap heap;
	doq_conn *conns;
	doq_conn *dirty;
	doq_stream *pool;
	size_t pool_n;
	doq_counters ctr;
	/* Mailbox for sdns_doq_server_close_matching: its lock is taken only
	 * when woken for it (the other lock off connection open/close is
	 * defer's, for deferred queries only). */
	pthread_mutex_t mbox_mu;
	doq_close_req *mbox;  /* posted, not yet taken */
	bool alive;           /* taking requests (thread started, not retired) */
	doq_defer defer;      /* deferred answers (defer.c) */
	uint64_t next_serial;
	doq_tx tx;
	uint8_t resp[DOQ_FRAME_MAX];   /* handler output, framed */
	struct mmsghdr rmsg[DOQ_BATCH];
	struct iovec riov[DOQ_BATCH];
	struct sockaddr_storage rfrom[DOQ_BATCH];
	uint8_t rctl[DOQ_BATCH][128];  /* IP_PKTINFO / IPV6_PKTINFO */
	uint8_t *rbuf;                 /* DOQ_BATCH * DOQ_RX_MAX */
};

struct sdns_doq_server {
	sdns_doq_server_conf conf;   /* strings point into the copies below */
	char *mesh;
	doq_tls tls;                 /* shared read-only */
	doq_tokens tokens;           /* shared read-only */
	doq_limits limits;           /* shared (atomics + mutex) */
	ngtcp2_callbacks cb;         /* shared read-only */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool wildcard;               /* bound to 0.0.0.0 / [::]: use pktinfo */
	uint16_t port;
	int nworkers;
	doq_worker **workers;
	bool started;
	pthread_mutex_t close_mu;    /* one close_matching request at a time */
};

/* accept.c: one datagram that arrived on the worker's socket, sent by sa
 * to our address local. */
void doq_worker_packet(doq_worker *w, const uint8_t *pkt, size_t len,
                       const struct sockaddr *local,
                       const struct sockaddr *sa, socklen_t salen);

/* closereq.c: run a posted close request (worker thread, when its eventfd
 * fires); retire: the worker stops taking requests and completes a pending
 * one unrun (worker thread, on exit). */
void doq_worker_mailbox(doq_worker *w);
void doq_worker_retire(doq_worker *w);
/* Before the thread starts (or after it failed to). */
void doq_worker_set_alive(doq_worker *w, bool alive);

/* defer.c: deferred answers. init/free around the worker's life. begin
 * and end go around the on_query_async call: end returns 1 when the ticket
 * was answered while the callback ran (*framed, malloc'd and
 * length-prefixed or NULL for a reset, is then the caller's); otherwise,
 * with pending, it parks the stream (0, or SDNS_ENOMEM: answer it now
 * with a reset). drop forgets a parked stream (reset, freed, connection
 * closing): its ticket is refused from then on. run sends the replies
 * that came in (worker thread, when its eventfd fires). */
int doq_defer_init(doq_defer *d);
void doq_defer_free(doq_defer *d);
void doq_defer_begin(doq_worker *w, const sdns_doq_ticket *t);
int doq_defer_end(doq_worker *w, doq_stream *st, bool pending,
                  uint8_t **framed, size_t *flen);
void doq_defer_drop(doq_worker *w, doq_stream *st);
void doq_defer_run(doq_worker *w);

/* cidtab.c */
int doq_cidtab_init(doq_cidtab *t);
void doq_cidtab_free(doq_cidtab *t);
int doq_cidtab_add(doq_cidtab *t, const uint8_t *cid, size_t len,
                   doq_conn *c);
void doq_cidtab_del(doq_cidtab *t, const uint8_t *cid, size_t len);
doq_conn *doq_cidtab_get(const doq_cidtab *t, const uint8_t *cid, size_t len);

/* timer.c: min-heap of connections by expiry. */
int doq_heap_set(doq_heap *h, doq_conn *c, uint64_t expiry);
void doq_heap_del(doq_heap *h, doq_conn *c);
doq_conn *doq_heap_top(const doq_heap *h);
void doq_heap_free(doq_heap *h);

/* conn.c */
void doq_conn_callbacks(ngtcp2_callbacks *cb);
int doq_conn_new(doq_worker *w, const ngtcp2_pkt_hd *hd,
                 const struct sockaddr *local, const struct sockaddr *sa,
                 socklen_t salen, const ngtcp2_cid *odcid, bool validated,
                 doq_conn **out);
void doq_conn_read(doq_conn *c, const uint8_t *pkt, size_t len,
                   const struct sockaddr *local, const struct sockaddr *sa,
                   socklen_t salen);
void doq_conn_on_timer(doq_conn *c);
/* Send what is pending; re-arm the timer; free the connection when dead
 * (the caller must not touch c afterwards). */
void doq_conn_flush(doq_conn *c);
void doq_conn_close(doq_conn *c, bool app, uint64_t code);
void doq_conn_free(doq_conn *c);
void doq_conn_mark_dirty(doq_conn *c);
/* stream.c: stream pool, the connection's lists, buffer accounting (a
 * stream's request while assembled, its response until acknowledged,
 * counted per connection and server-wide; take fails over a limit). */
doq_stream *doq_stream_new(doq_conn *c, int64_t id);
void doq_stream_free(doq_conn *c, doq_stream *st);
void doq_stream_drop_buf(doq_stream *st);
void doq_dlist_del(doq_conn *c, doq_stream *st);
void doq_wlist_add(doq_conn *c, doq_stream *st);
void doq_wlist_del(doq_conn *c, doq_stream *st);
bool doq_acct_take(doq_conn *c, doq_stream *st, size_t n);
void doq_acct_give(doq_conn *c, doq_stream *st, size_t n);
/* Send a deferred answer on a parked stream: framed (malloc'd, with the
 * length prefix) becomes the stream's, or NULL resets it with
 * DOQ_INTERNAL_ERROR. The stream is no longer parked (defer.c detached
 * it). */
void doq_stream_deliver(doq_stream *st, uint8_t *framed, size_t flen);
int doq_verify_cb(gnutls_session_t s);

#endif
