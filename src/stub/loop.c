/* The stub's workers: sockets, the epoll loop, start/stop, statistics. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sdns/error.h"
#include "sdns/portprobe.h"
#include "stub_int.h"

static char tag_udp, tag_tcp, tag_ev;

/* "IP:PORT" or "[IPv6]:PORT". */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon)
		return SDNS_ECONFIG;
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
		h = s + 1, hl -= 2;
	if (hl == 0 || hl >= sizeof(host))
		return SDNS_ECONFIG;
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return SDNS_ECONFIG;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		return SDNS_ECONFIG;
	}
	return SDNS_OK;
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t len,
                       int type)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET
	                 ? ((struct sockaddr_in *)&ss)->sin_port
	                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int epoll_add(int ep, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int worker_init(sdns_stub *s, stub_worker *w,
                       struct sockaddr_storage *ss, socklen_t len)
{
	w->s = s;
	w->udp_fd = w->tcp_fd = w->evfd = w->ep = -1;
	pthread_mutex_init(&w->mu, NULL);
	w->scratch = malloc(STUB_TCP_MAX_MSG);
	w->ubuf = malloc(sizeof(*w->ubuf) * STUB_UDP_BATCH);
	if (!w->scratch || !w->ubuf)
		return SDNS_ENOMEM;
	w->udp_fd = open_socket(ss, len, SOCK_DGRAM);
	if (w->udp_fd < 0)
		return SDNS_EIO;
	/* Port 0: the first socket picks it, the others share it. */
	uint16_t port = bound_port(w->udp_fd);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	w->tcp_fd = open_socket(ss, len, SOCK_STREAM);
	w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->tcp_fd < 0 || w->evfd < 0 || w->ep < 0)
		return SDNS_EIO;
	if (epoll_add(w->ep, w->udp_fd, &tag_udp) < 0 ||
	    epoll_add(w->ep, w->tcp_fd, &tag_tcp) < 0 ||
	    epoll_add(w->ep, w->evfd, &tag_ev) < 0)
		return SDNS_EIO;
	s->port = port;
	return SDNS_OK;
}

static void worker_free(stub_worker *w);

static uint16_t ss_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET
	                 ? ((const struct sockaddr_in *)ss)->sin_port
	                 : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* With port 0 the first UDP socket picks a free UDP port and TCP must take
 * the same number, which another program may hold: then start over with a
 * new pick rather than fail. */
static int bind_workers(sdns_stub *s, struct sockaddr_storage *ss,
                        socklen_t len)
{
	const struct sockaddr_storage want = *ss;
	for (int attempt = 0;; attempt++) {
		/* Refuse a port another process holds (sdns/portprobe.h); with
		 * port 0 the UDP probe picks the number, TCP must be free too. */
		int rc = sdns_port_probe(ss, len, SOCK_DGRAM);
		if (rc == SDNS_OK) rc = sdns_port_probe(ss, len, SOCK_STREAM);
		for (unsigned i = 0; i < s->nworkers && rc == SDNS_OK; i++)
			rc = worker_init(s, &s->workers[i], ss, len);
		if (rc == SDNS_OK || ss_port(&want) != 0 || errno != EADDRINUSE ||
		    attempt == 15)
			return rc;
		for (unsigned i = 0; i < s->nworkers; i++) {
			worker_free(&s->workers[i]);
			memset(&s->workers[i], 0, sizeof(s->workers[i]));
		}
		*ss = want;
	}
}

static void conf_defaults(sdns_stub_conf *c)
{
	if (!c->workers)
		c->workers = 1;
	if (!c->tcp_idle_ms)
		c->tcp_idle_ms = 10000;
	if (!c->max_tcp_conns)
		c->max_tcp_conns = 1024;
	if (!c->max_tcp_inflight)
		c->max_tcp_inflight = 128;
	if (!c->max_tcp_outbuf)
		c->max_tcp_outbuf = 256 * 1024;
}

int sdns_stub_new(const sdns_stub_conf *conf, sdns_stub **out, char *err,
                  size_t err_cap)
{
	*out = NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	const char *listen_at = conf->listen ? conf->listen : "127.0.0.1:5353";
	if (parse_listen(listen_at, &ss, &len) < 0) {
		snprintf(err, err_cap, "stub: bad listen address '%s'", listen_at);
		return SDNS_ECONFIG;
	}
	sdns_stub *s = calloc(1, sizeof(*s));
	if (!s)
		return SDNS_ENOMEM;
	s->conf = *conf;
	conf_defaults(&s->conf);
	s->listen = strdup(listen_at);
	s->conf.listen = s->listen;
	s->nworkers = s->conf.workers;
	s->workers = calloc(s->nworkers, sizeof(*s->workers));
	int rc = s->workers && s->listen ? SDNS_OK : SDNS_ENOMEM;
	if (rc == SDNS_OK)
		rc = bind_workers(s, &ss, len);
	if (rc < 0) {
		snprintf(err, err_cap, "stub: cannot listen on %s: %s", listen_at,
		         rc == SDNS_EIO && errno == EADDRINUSE ? "address already in use" :
		         rc == SDNS_EIO ? strerror(errno) : sdns_strerror(rc));
		sdns_stub_free(s);
		return rc;
	}
	*out = s;
	return SDNS_OK;
}

static void drain_replies(stub_worker *w)
{
	uint64_t v;
	ssize_t n = read(w->evfd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&w->mu);
	stub_pending *p = w->replies;
	w->replies = NULL;
	pthread_mutex_unlock(&w->mu);
	while (p) {
		stub_pending *next = p->next;
		size_t len = 0;
		if (p->transport == SDNS_STUB_UDP) {
			if (stub_finish(w, p, w->scratch, STUB_TCP_MAX_MSG, &len) == 0)
				stub_udp_send(w, p, w->scratch, len);
		} else {
			stub_tcp_reply(w, p);
		}
		free(p->resp);
		free(p);
		p = next;
	}
}

static void *worker_main(void *arg)
{
	stub_worker *w = arg;
	sdns_stub *s = w->s;
	uint32_t idle = s->conf.tcp_idle_ms;
	int tick = (int)(idle / 4 < 1 ? 1 : idle / 4 > 250 ? 250 : idle / 4);
	uint64_t last_sweep = stub_now_ns();
	struct epoll_event evs[64];
	while (!atomic_load(&s->stop)) {
		int n = epoll_wait(w->ep, evs, 64, tick);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == &tag_udp)
				stub_udp_readable(w);
			else if (tag == &tag_tcp)
				stub_tcp_accept(w);
			else if (tag == &tag_ev)
				drain_replies(w);
			else
				stub_tcp_event(w, tag, evs[i].events);
		}
		uint64_t now = stub_now_ns();
		if (now - last_sweep >= (uint64_t)tick * 1000000u) {
			stub_tcp_sweep(w, now);
			last_sweep = now;
		}
	}
	stub_tcp_close_all(w);
	return NULL;
}

int sdns_stub_start(sdns_stub *s)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		if (pthread_create(&s->workers[i].thread, NULL, worker_main,
		                   &s->workers[i]) != 0) {
			atomic_store(&s->stop, 1);
			for (unsigned j = 0; j < i; j++)
				pthread_join(s->workers[j].thread, NULL);
			return SDNS_ENOMEM;
		}
	}
	s->started = true;
	return SDNS_OK;
}

void sdns_stub_stop(sdns_stub *s)
{
	if (!s || !s->started)
		return;
	atomic_store(&s->stop, 1);
	for (unsigned i = 0; i < s->nworkers; i++) {
		uint64_t one = 1;
		ssize_t n = write(s->workers[i].evfd, &one, sizeof(one));
		(void)n;
	}
	for (unsigned i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i].thread, NULL);
	s->started = false;
}

static void worker_free(stub_worker *w)
{
	/* Never initialised (its fields are zero, and fd 0 is not ours). */
	if (!w->s)
		return;
	stub_pending *p = w->replies;
	while (p) {
		stub_pending *next = p->next;
		free(p->resp);
		free(p);
		p = next;
	}
	stub_tcp_close_all(w);
	free(w->conns);
	free(w->gens);
	if (w->udp_fd >= 0)
		close(w->udp_fd);
	if (w->tcp_fd >= 0)
		close(w->tcp_fd);
	if (w->evfd >= 0)
		close(w->evfd);
	if (w->ep >= 0)
		close(w->ep);
	free(w->scratch);
	free(w->ubuf);
	pthread_mutex_destroy(&w->mu);
}

void sdns_stub_free(sdns_stub *s)
{
	if (!s)
		return;
	sdns_stub_stop(s);
	for (unsigned i = 0; s->workers && i < s->nworkers; i++)
		worker_free(&s->workers[i]);
	free(s->workers);
	free(s->listen);
	free(s);
}

uint16_t sdns_stub_port(const sdns_stub *s)
{
	return s->port;
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void sdns_stub_get_stats(const sdns_stub *s, sdns_stub_stats *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = 0; i < s->nworkers; i++) {
		const stub_counters *c = &s->workers[i].cnt;
		for (int t = 0; t < 2; t++) {
			o->queries[t] += LOAD(c->queries[t]);
			o->ratelimited[t] += LOAD(c->ratelimited[t]);
			o->dropped[t] += LOAD(c->dropped[t]);
			for (int r = 0; r < STUB_RCODES; r++)
				o->responses[t][r] += LOAD(c->responses[t][r]);
		}
		o->truncated += LOAD(c->truncated);
		o->forwarded += LOAD(c->forwarded);
		o->forward_failed += LOAD(c->forward_failed);
		o->tcp_accepted += LOAD(c->tcp_accepted);
		o->tcp_refused += LOAD(c->tcp_refused);
		o->tcp_idle_closed += LOAD(c->tcp_idle_closed);
	}
	o->conns_open = atomic_load(&s->tcp_open);
}
