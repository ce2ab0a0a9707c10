/* DoT internals: the server, its connections and the loop's helpers. */
#ifndef SDNS_DOT_INT_H
#define SDNS_DOT_INT_H

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "sdns/dot.h"

/* A deferred query: what its SERVFAIL or late answer needs. */
typedef struct {
	uint32_t seq;
	uint16_t id;          /* the client's message ID */
	uint64_t deadline_ns;
	uint8_t *q;           /* copy of the query, for the SERVFAIL */
	size_t qlen;
} dot_pending;

typedef struct dot_conn {
	struct dot_conn *prev, *next;
	struct sdns_dot_server *srv;
	int fd;
	uint64_t serial;
	gnutls_session_t tls;
	bool established, refused;
	sdns_identity id;
	struct sockaddr_storage addr;
	char peer[64];         /* "ip:port" for logs */
	uint8_t *in;           /* received plaintext, framed */
	size_t in_len, in_cap;
	uint8_t *out;          /* framed answers not yet sent */
	size_t out_off, out_len, out_cap;
	size_t send_try;       /* > 0: a record_send that said AGAIN */
	uint32_t next_seq;
	dot_pending *pend;
	uint32_t npend, pend_cap;
	uint64_t deadline_ns;  /* handshake, then idle */
	uint32_t events;       /* what epoll watches now */
} dot_conn;

typedef struct dot_mail {
	struct dot_mail *next;
	sdns_dot_ticket t;
	size_t len;            /* 0: SERVFAIL */
	uint8_t resp[];
} dot_mail;

struct sdns_dot_server {
	sdns_dot_server_conf conf;
	char *mesh;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int lfd, ep, evfd;
	uint16_t port;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	dot_conn *conns;
	uint32_t nconns;
	uint64_t serials;
	pthread_mutex_t mu;    /* mail, close request */
	pthread_cond_t cv;
	dot_mail *mail, **mail_tail;
	/* close_matching: one request at a time (cm_serial orders them) */
	pthread_mutex_t cm_mu;
	bool (*cm_match)(void *ctx, const sdns_identity *id);
	void *cm_ctx;
	bool cm_asked, cm_done;
	int cm_result;
	struct {
		atomic_ullong handshakes_ok, handshakes_refused, queries,
		              deferred, query_timeouts, framing_errors,
		              idle_closed, limit_refused, conns_open,
		              closed_by_request;
	} ctr;
	uint8_t resp[SDNS_DOT_MSG_MAX + 2];  /* loop thread's answer buffer */
};

#define DOT_INC(s, f) atomic_fetch_add_explicit(&(s)->ctr.f, 1, \
                                                memory_order_relaxed)

uint64_t dot_now_ns(void);
void dot_errf(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* tls.c */
int dot_tls_init(sdns_dot_server *s, char *err, size_t cap);
void dot_tls_deinit(sdns_dot_server *s);
int dot_tls_session(sdns_dot_server *s, dot_conn *c);

/* conn.c: everything runs on the loop thread. */
int dot_conn_accept(sdns_dot_server *s, int fd,
                    const struct sockaddr_storage *ss);
void dot_conn_event(sdns_dot_server *s, dot_conn *c, uint32_t ev);
void dot_conn_close(sdns_dot_server *s, dot_conn *c, const char *reason);
void dot_conn_timers(sdns_dot_server *s, uint64_t now, uint64_t *next);
void dot_conn_deliver(sdns_dot_server *s, dot_mail *m);

#endif
