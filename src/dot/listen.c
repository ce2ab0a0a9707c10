/* The DoT server: the listening socket, the loop thread (epoll over the
 * listener, an eventfd for the mailbox, and every connection), deferred
 * answers and close requests handed in from other threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dot_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

uint64_t dot_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void dot_errf(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || !cap) return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

void sdns_dot_server_conf_defaults(sdns_dot_server_conf *c)
{
	if (!c->max_conns) c->max_conns = 10000;
	if (!c->max_conns_per_addr) c->max_conns_per_addr = 64;
	if (!c->max_inflight) c->max_inflight = 256;
	if (!c->max_conn_buffer) c->max_conn_buffer = 1u << 20;
	if (!c->max_msg || c->max_msg > SDNS_DOT_MSG_MAX)
		c->max_msg = SDNS_DOT_MSG_MAX;
	if (!c->handshake_timeout_ms) c->handshake_timeout_ms = 5000;
	if (!c->idle_timeout_ms) c->idle_timeout_ms = 30000;
	if (!c->query_timeout_ms) c->query_timeout_ms = 5000;
}

/* "host:port" or "[v6]:port", numeric only. */
static int parse_addr(const char *s, struct sockaddr_storage *ss,
                      socklen_t *len)
{
	char h[256];
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon) return SDNS_ESYNTAX;
	size_t hl = (size_t)(colon - s);
	const char *hs = s;
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') hs++, hl -= 2;
	if (hl == 0 || hl >= sizeof h) return SDNS_ESYNTAX;
	memcpy(h, hs, hl);
	h[hl] = '\0';
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p > 65535) return SDNS_ESYNTAX;
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(h, NULL, &hints, &res) != 0 || !res)
		return SDNS_ESYNTAX;
	memset(ss, 0, sizeof *ss);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
	return SDNS_OK;
}

/* No SO_REUSEPORT: one socket, so a second sdnsd (or anyone) cannot join
 * the port and take part of the connections; a held port fails here. */
static int bind_listener(sdns_dot_server *s, char *err, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_addr(s->conf.listen, &ss, &len) != SDNS_OK) {
		dot_errf(err, cap, "bad listen address %s",
		         s->conf.listen ? s->conf.listen : "(none)");
		return SDNS_ECONFIG;
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                0);
	if (s->lfd < 0) {
		dot_errf(err, cap, "socket: %s", strerror(errno));
		return SDNS_EIO;
	}
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(s->lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(s->lfd, 256) != 0) {
		dot_errf(err, cap, "bind %s: %s", s->conf.listen,
		         errno == EADDRINUSE ? "address already in use"
		                             : strerror(errno));
		return SDNS_EIO;
	}
	len = sizeof ss;
	getsockname(s->lfd, (struct sockaddr *)&ss, &len);
	s->port = ntohs(ss.ss_family == AF_INET
	                        ? ((struct sockaddr_in *)&ss)->sin_port
	                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return SDNS_OK;
}

int sdns_dot_server_new(const sdns_dot_server_conf *c, sdns_dot_server **out,
                        char *err, size_t err_cap)
{
	*out = NULL;
	if (!c || (!c->on_query && !c->on_query_async)) {
		dot_errf(err, err_cap, "a query handler is required");
		return SDNS_EINVAL;
	}
	sdns_dot_server *s = calloc(1, sizeof *s);
	if (!s) return SDNS_ENOMEM;
	s->conf = *c;
	sdns_dot_server_conf_defaults(&s->conf);
	s->lfd = s->ep = s->evfd = -1;
	s->mail_tail = &s->mail;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->cm_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	int rc = SDNS_ENOMEM;
	if (c->mesh && !(s->mesh = strdup(c->mesh))) goto fail;
	s->conf.mesh = s->mesh;
	if ((rc = dot_tls_init(s, err, err_cap)) != SDNS_OK) goto fail;
	if ((rc = bind_listener(s, err, err_cap)) != SDNS_OK) goto fail;
	rc = SDNS_EIO;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->ep < 0 || s->evfd < 0) goto fail;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lfd};
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) != 0) goto fail;
	ev.data.ptr = &s->evfd;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->evfd, &ev) != 0) goto fail;
	*out = s;
	return SDNS_OK;
fail:
	sdns_dot_server_free(s);
	return rc;
}

uint16_t sdns_dot_server_port(const sdns_dot_server *s)
{
	return s ? s->port : 0;
}

static void wake(sdns_dot_server *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->evfd, &one, sizeof one);
	(void)n; /* a full counter is still readable: the loop wakes */
}

static void accept_all(sdns_dot_server *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) return;   /* EAGAIN, or EMFILE: try at next wake */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		dot_conn_accept(s, fd, &ss);
	}
}

/* Runs with mu held throughout, so the caller cannot give up and free
 * ctx while match is still running. */
static void take_close_request(sdns_dot_server *s)
{
	pthread_mutex_lock(&s->mu);
	if (!s->cm_asked || s->cm_done) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	int n = 0;
	for (dot_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->established && s->cm_match(s->cm_ctx, &c->id)) {
			sdns_log(SDNS_LOG_INFO, "conn_closed", "reason=revoked "
			         "transport=dot peer=%s id=%s", c->peer, c->id.uri);
			DOT_INC(s, closed_by_request);
			dot_conn_close(s, c, NULL);
			n++;
		}
	}
	s->cm_result = n;
	s->cm_done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void drain_mail(sdns_dot_server *s)
{
	uint64_t v;
	ssize_t r = read(s->evfd, &v, sizeof v);
	(void)r;
	pthread_mutex_lock(&s->mu);
	dot_mail *m = s->mail;
	s->mail = NULL;
	s->mail_tail = &s->mail;
	pthread_mutex_unlock(&s->mu);
	while (m) {
		dot_mail *next = m->next;
		dot_conn_deliver(s, m);
		free(m);
		m = next;
	}
	take_close_request(s);
}

static void *loop(void *arg)
{
	sdns_dot_server *s = arg;
	struct epoll_event evs[64];
	uint64_t next = UINT64_MAX;
	while (!atomic_load(&s->stop)) {
		uint64_t now = dot_now_ns();
		int ms = 1000;
		if (next != UINT64_MAX)
			ms = next <= now ? 0 : (int)((next - now) / 1000000 + 1);
		if (ms > 1000) ms = 1000;
		int n = epoll_wait(s->ep, evs, 64, ms);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->lfd) accept_all(s);
			else if (p == &s->evfd) drain_mail(s);
			else dot_conn_event(s, p, evs[i].events);
		}
		next = UINT64_MAX;
		dot_conn_timers(s, dot_now_ns(), &next);
	}
	while (s->conns) dot_conn_close(s, s->conns, "shutdown");
	return NULL;
}

int sdns_dot_server_start(sdns_dot_server *s)
{
	if (!s || s->started) return SDNS_EINVAL;
	if (pthread_create(&s->thread, NULL, loop, s) != 0) return SDNS_ENOMEM;
	s->started = true;
	return SDNS_OK;
}

void sdns_dot_server_stop(sdns_dot_server *s)
{
	if (!s || !s->started) return;
	atomic_store(&s->stop, true);
	wake(s);
	pthread_join(s->thread, NULL);
	s->started = false;
	/* A close request waiting on us gets its answer. */
	pthread_mutex_lock(&s->mu);
	if (s->cm_asked && !s->cm_done) {
		s->cm_done = true;
		s->cm_result = 0;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

void sdns_dot_server_free(sdns_dot_server *s)
{
	if (!s) return;
	sdns_dot_server_stop(s);
	while (s->conns) dot_conn_close(s, s->conns, NULL);
	for (dot_mail *m = s->mail, *next; m; m = next) {
		next = m->next;
		free(m);
	}
	if (s->lfd >= 0) close(s->lfd);
	if (s->ep >= 0) close(s->ep);
	if (s->evfd >= 0) close(s->evfd);
	dot_tls_deinit(s);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->cm_mu);
	pthread_cond_destroy(&s->cv);
	free(s->mesh);
	free(s);
}

int sdns_dot_server_reply(sdns_dot_server *s, const sdns_dot_ticket *t,
                          const uint8_t *resp, size_t len)
{
	if (!s || !t) return SDNS_EINVAL;
	if (resp && (len < 12 || len > SDNS_DOT_MSG_MAX)) return SDNS_EINVAL;
	if (!resp) len = 0;
	dot_mail *m = malloc(sizeof *m + len);
	if (!m) return SDNS_ENOMEM;
	m->next = NULL;
	m->t = *t;
	m->len = len;
	if (len) memcpy(m->resp, resp, len);
	pthread_mutex_lock(&s->mu);
	*s->mail_tail = m;
	s->mail_tail = &m->next;
	pthread_mutex_unlock(&s->mu);
	wake(s);
	return SDNS_OK;
}

int sdns_dot_server_close_matching(sdns_dot_server *s,
                                   bool (*match)(void *ctx,
                                                 const sdns_identity *id),
                                   void *ctx)
{
	if (!s || !match) return SDNS_EINVAL;
	if (!s->started) return 0;
	pthread_mutex_lock(&s->cm_mu);   /* one request at a time */
	pthread_mutex_lock(&s->mu);
	s->cm_match = match;
	s->cm_ctx = ctx;
	s->cm_asked = true;
	s->cm_done = false;
	pthread_mutex_unlock(&s->mu);
	wake(s);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 1;
	pthread_mutex_lock(&s->mu);
	while (!s->cm_done)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) break;
	int rc = s->cm_done ? s->cm_result : SDNS_ETIMEOUT;
	/* Withdrawn either way: the loop must not call match after we return
	 * (its ctx may be gone). The loop reads the request under mu. */
	s->cm_asked = false;
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&s->cm_mu);
	return rc;
}

void sdns_dot_server_stats(const sdns_dot_server *s, sdns_dot_stats *o)
{
	memset(o, 0, sizeof *o);
	if (!s) return;
#define G(f) o->f = atomic_load_explicit(&s->ctr.f, memory_order_relaxed)
	G(handshakes_ok); G(handshakes_refused); G(queries); G(deferred);
	G(query_timeouts); G(framing_errors); G(idle_closed);
	G(limit_refused); G(conns_open); G(closed_by_request);
#undef G
}
