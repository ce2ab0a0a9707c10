/* Internals of the DoT forwarder, shared by src/fwd/ (all files) only.
 * Everything here belongs to the fwd I/O thread except what sdns_fwd
 * guards with its locks (submissions, pending reconfiguration, stats). */
#ifndef SDNS_FWD_INT_H
#define SDNS_FWD_INT_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sdns/fwd.h"
#include "sdns/pki.h"

#define FWD_PIN_LEN 32
#define FWD_FRAME_MAX (2 + 65535)

typedef struct fwd_conn fwd_conn;
typedef struct fwd_query fwd_query;

/* Intrusive doubly linked list. */
typedef struct fwd_link {
	struct fwd_link *prev, *next;
} fwd_link;

struct fwd_query {
	fwd_link all;             /* fwd->active (timeouts) */
	fwd_link wait;            /* conn->waiting, when not yet written */
	fwd_query *next_submit;   /* submission queue (under submit lock) */
	uint8_t *wire;
	size_t len;
	size_t qlen;              /* header + first question, for matching */
	uint16_t client_id, wire_id;
	sdns_fwd_cb cb;
	void *ctx;
	uint64_t deadline_ns, attempt_deadline_ns, sent_ns;
	fwd_conn *conn;           /* set while waiting on or in flight on conn */
	bool in_flight;
	uint32_t tried;           /* bit per upstream index */
	int last_reason;          /* -1 none yet */
	int up_idx;               /* upstream of the current attempt, -1 */
	int closed_retries;
};

typedef struct {
	char addr[SDNS_FWD_ADDR_MAX];
	struct sockaddr_storage sa;
	socklen_t salen;
	char *fqdn;
	bool fqdn_is_ip;
	uint8_t pins[SDNS_FWD_MAX_PINS][FWD_PIN_LEN];
	size_t n_pins;
	SSL_CTX *ctx;
	SSL_SESSION *session;     /* last session for resumption */
	fwd_conn *conn;
	uint64_t down_until_ns;
	uint32_t backoff_ms;
	unsigned timeouts;        /* consecutive, reset by an answer */
	int idx;                  /* position: stats slot, tried bit */
} fwd_upstream;

enum { CONN_CONNECTING, CONN_HANDSHAKE, CONN_READY };

struct fwd_conn {
	struct sdns_fwd *fwd;
	fwd_upstream *up;
	int fd;
	SSL *ssl;
	int state;
	uint32_t events;          /* registered epoll events */
	fwd_query **slots;        /* 65536, by wire ID */
	uint16_t next_id;
	size_t inflight;
	fwd_link waiting;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint8_t *in;              /* FWD_FRAME_MAX bytes */
	size_t in_len;
	uint64_t deadline_ns;     /* handshake must be done by then */
	uint64_t last_use_ns;
	bool dead;                /* failed: freed at the end of the loop turn */
	fwd_link grave;
	int verify_fail;          /* SDNS_FWD_R_PIN when our check refused */
	const char *verify_why;   /* "pin", "name", "chain" */
	char presented_pin[SDNS_PKI_PIN_MAX];
};

typedef struct {
	fwd_upstream *ups;
	size_t n;
	uint32_t timeout_ms, attempt_ms, backoff_min_ms, backoff_max_ms;
	uint32_t max_inflight, idle_ms;
	sdns_fwd_observer observer;
	void *observer_ctx;
} fwd_conf;

struct sdns_fwd {
	pthread_t thread;
	int epfd, evfd;
	fwd_conf conf;            /* fwd thread; replaced by reconfigure */
	fwd_link active;
	uint64_t next_check_ns;
	fwd_link graveyard;       /* dead connections */

	pthread_mutex_t lock;     /* submissions, pending conf, stop */
	fwd_query *sub_head, *sub_tail;
	fwd_conf *pending;        /* reconfigure hands over here */
	bool stop;

	pthread_mutex_t stats_lock;
	sdns_fwd_counters stats;
};

/* util */
uint64_t fwd_now_ns(void);
static inline void fwd_list_init(fwd_link *l) { l->prev = l->next = l; }
static inline bool fwd_list_empty(const fwd_link *l) { return l->next == l; }
static inline void fwd_list_add_tail(fwd_link *l, fwd_link *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}
static inline void fwd_list_del(fwd_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define FWD_CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* upstream.c: configuration and health */
int fwd_conf_build(const sdns_fwd_conf *in, fwd_conf *out, char *err,
                   size_t err_cap);
void fwd_conf_clear(fwd_conf *c);
bool fwd_up_usable(const fwd_upstream *up, uint64_t now);
void fwd_up_failed(const fwd_conf *c, fwd_upstream *up, uint64_t now);
void fwd_up_ok(const fwd_conf *c, fwd_upstream *up);
int fwd_reason_err(int reason);

/* tlsconn.c: one TLS connection */
int fwd_tls_ctx(fwd_upstream *up, const char *ca_file, char *err,
                size_t err_cap);
fwd_conn *fwd_conn_open(struct sdns_fwd *fwd, fwd_upstream *up, int *reason);
/* 0 = handshake done and verified, 1 = in progress, else -(reason + 1). */
int fwd_conn_handshake(fwd_conn *c);
void fwd_conn_destroy(fwd_conn *c);
void fwd_pin_b64(const uint8_t pin[FWD_PIN_LEN], char *b64, size_t cap);

/* pipeline.c: queries on a connection */
void fwd_conn_enqueue(fwd_conn *c, fwd_query *q);
void fwd_conn_pump(fwd_conn *c);   /* move waiters into flight */
int fwd_conn_flush(fwd_conn *c);   /* 0, or a reason on failure */
int fwd_conn_read(fwd_conn *c);    /* 0, or a reason on failure/close */
void fwd_conn_detach(fwd_conn *c, fwd_link *out); /* queries -> out (all) */
void fwd_conn_forget(fwd_query *q); /* remove q from its connection */
size_t fwd_question_len(const uint8_t *wire, size_t len);

/* fwd.c: engine entry points used by the others */
void fwd_query_attempt(struct sdns_fwd *fwd, fwd_query *q);
void fwd_query_failed(struct sdns_fwd *fwd, fwd_query *q, int reason);
void fwd_query_answer(struct sdns_fwd *fwd, fwd_query *q, uint8_t *ans,
                      size_t len);
void fwd_conn_failed(fwd_conn *c, int reason);
void fwd_conn_set_events(fwd_conn *c);
void fwd_stat_event(struct sdns_fwd *fwd, fwd_upstream *up, int event,
                    int reason, uint64_t latency_ns);

#endif
