/* DoQ server lifecycle and the worker event loop.
 *
 * Each worker owns an SO_REUSEPORT UDP socket bound to the same address (the
 * kernel keeps a 4-tuple on one socket, and active migration is disabled;
 * one shared fd would scatter a connection's packets over the workers). An
 * exclusive probe bind first refuses an address another process holds
 * (sdns/portprobe.h),
 * an epoll loop, its connection table and timer heap, and an eventfd that
 * wakes it to stop or to run a close request (closereq.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/portprobe.h"

void sdns_doq_server_conf_defaults(sdns_doq_server_conf *c)
{
	bool no_conns = c->max_conns == 0;
	if (c->workers <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = n > 0 ? (int)n : 1;
	}
	if (no_conns) c->max_conns = 10000;
	if (!c->max_conns_per_addr) c->max_conns_per_addr = 64;
	if (!c->max_streams) c->max_streams = 256;
	if (!c->max_conn_buffer) c->max_conn_buffer = 1u << 20;
	if (!c->max_total_buffer) c->max_total_buffer = (size_t)256 << 20;
	if (!c->stream_timeout_ms) c->stream_timeout_ms = 5000;
	if (!c->idle_timeout_ms) c->idle_timeout_ms = 30000;
	if (!c->retry_threshold) c->retry_threshold = c->max_conns / 2;
}

static int open_socket(const sdns_doq_server *s, char *err, size_t cap)
{
	int fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                0);
	if (fd < 0) {
		doq_errf(err, cap, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1, big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (s->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (s->wildcard && doq_pktinfo_enable(fd, s->addr.ss_family) != SDNS_OK) {
		doq_errf(err, cap, "pktinfo: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&s->addr, s->addrlen) != 0) {
		doq_errf(err, cap, "bind %s: %s", s->conf.listen, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Port 0: the first socket picks the port, the others join it. */
static int learn_port(sdns_doq_server *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return SDNS_EIO;
	uint16_t port = ss.ss_family == AF_INET
	                        ? ((struct sockaddr_in *)&ss)->sin_port
	                        : ((struct sockaddr_in6 *)&ss)->sin6_port;
	if (s->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&s->addr)->sin_port = port;
	else
		((struct sockaddr_in6 *)&s->addr)->sin6_port = port;
	s->port = ntohs(port);
	return SDNS_OK;
}

static void worker_free(doq_worker *w)
{
	if (!w) return;
	while (w->conns) doq_conn_free(w->conns);
	while (w->pool) {
		doq_stream *n = w->pool->free_next;
		free(w->pool);
		w->pool = n;
	}
	if (w->fd >= 0) close(w->fd);
	if (w->efd >= 0) close(w->efd);
	if (w->epfd >= 0) close(w->epfd);
	pthread_mutex_destroy(&w->mbox_mu);
	doq_defer_free(&w->defer);
	doq_cidtab_free(&w->cids);
	doq_heap_free(&w->heap);
	free(w->rbuf);
	free(w);
}

static int worker_new(sdns_doq_server *s, int idx, doq_worker **out,
                      char *err, size_t cap)
{
	doq_worker *w = calloc(1, sizeof(*w));
	if (!w) return SDNS_ENOMEM;
	w->srv = s;
	w->idx = idx;
	w->fd = w->efd = w->epfd = -1;
	pthread_mutex_init(&w->mbox_mu, NULL);
	*out = w;
	w->rbuf = malloc((size_t)DOQ_BATCH * DOQ_RX_MAX);
	if (doq_defer_init(&w->defer) != SDNS_OK || !w->rbuf ||
	    doq_cidtab_init(&w->cids) != SDNS_OK)
		return SDNS_ENOMEM;
	if ((w->fd = open_socket(s, err, cap)) < 0) return SDNS_EIO;
	if (idx == 0 && learn_port(s, w->fd) != SDNS_OK) return SDNS_EIO;
	w->tx.fd = w->fd;
	w->tx.pktinfo = s->wildcard;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->efd < 0 || w->epfd < 0) {
		doq_errf(err, cap, "eventfd/epoll: %s", strerror(errno));
		return SDNS_EIO;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = w->fd};
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->fd, &ev);
	ev.data.fd = w->efd;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->efd, &ev);
	for (int i = 0; i < DOQ_BATCH; i++) {
		w->riov[i].iov_base = w->rbuf + (size_t)i * DOQ_RX_MAX;
		w->riov[i].iov_len = DOQ_RX_MAX;
		w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
		w->rmsg[i].msg_hdr.msg_iovlen = 1;
		w->rmsg[i].msg_hdr.msg_name = &w->rfrom[i];
	}
	return SDNS_OK;
}

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
		&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int sdns_doq_server_new(const sdns_doq_server_conf *c, sdns_doq_server **out,
                        char *err, size_t err_cap)
{
	*out = NULL;
	if (!c || !(c->on_query || c->on_query_async) || !c->listen) {
		doq_errf(err, err_cap, "listen and on_query are required");
		return SDNS_ECONFIG;
	}
	sdns_doq_server *s = calloc(1, sizeof(*s));
	if (!s) return SDNS_ENOMEM;
	pthread_mutex_init(&s->close_mu, NULL);
	uint32_t retry = c->retry_threshold;
	s->conf = *c;
	sdns_doq_server_conf_defaults(&s->conf);
	s->conf.retry_threshold = retry; /* 0 is meaningful: always Retry */
	int rv = SDNS_ENOMEM;
	if (c->mesh && !(s->mesh = strdup(c->mesh))) goto fail;
	s->conf.mesh = s->mesh;
	if (doq_parse_addr(c->listen, false, &s->addr, &s->addrlen, NULL, 0)) {
		doq_errf(err, err_cap, "bad listen address '%s'", c->listen);
		rv = SDNS_ECONFIG;
		goto fail;
	}
	s->wildcard = is_wildcard(&s->addr);
	rv = doq_tls_server_init(&s->tls, c->cert_path, c->key_path, c->ca_path,
	                         doq_verify_cb, err, err_cap);
	if (rv) goto fail;
	/* Paths are not kept: they are the caller's strings. */
	s->conf.cert_path = s->conf.key_path = s->conf.ca_path = NULL;
	s->conf.listen = NULL;
	doq_tokens_init(&s->tokens);
	if ((rv = doq_limits_init(&s->limits, s->conf.max_conns,
	                          s->conf.max_conns_per_addr,
	                          s->conf.max_total_buffer)))
		goto fail;
	doq_conn_callbacks(&s->cb);
	s->workers = calloc((size_t)s->conf.workers, sizeof(*s->workers));
	if (!s->workers) {
		rv = SDNS_ENOMEM;
		goto fail;
	}
	s->port = ntohs(s->addr.ss_family == AF_INET
	                        ? ((struct sockaddr_in *)&s->addr)->sin_port
	                        : ((struct sockaddr_in6 *)&s->addr)->sin6_port);
	if (sdns_port_probe(&s->addr, s->addrlen, SOCK_DGRAM) != SDNS_OK) {
		doq_errf(err, err_cap, "bind %s: %s", c->listen,
		         errno == EADDRINUSE ? "address already in use"
		                             : strerror(errno));
		rv = SDNS_EIO;
		goto fail;
	}
	for (int i = 0; i < s->conf.workers; i++) {
		s->nworkers = i + 1;
		if ((rv = worker_new(s, i, &s->workers[i], err, err_cap))) goto fail;
	}
	*out = s;
	return SDNS_OK;
fail:
	sdns_doq_server_free(s);
	return rv;
}

static int next_timeout_ms(doq_worker *w)
{
	doq_conn *top = doq_heap_top(&w->heap);
	if (!top || top->expiry == UINT64_MAX) return -1;
	uint64_t now = doq_now();
	if (top->expiry <= now) return 0;
	uint64_t ms = (top->expiry - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

static void flush_dirty(doq_worker *w)
{
	while (w->dirty) {
		doq_conn *c = w->dirty;
		w->dirty = c->dirty_next;
		c->dirty = false;
		doq_conn_flush(c);
	}
	doq_tx_flush(&w->tx);
}

static void run_timers(doq_worker *w)
{
	uint64_t now = doq_now();
	doq_conn *c;
	while ((c = doq_heap_top(&w->heap)) && c->expiry <= now) {
		doq_heap_set(&w->heap, c, UINT64_MAX);
		doq_conn_on_timer(c);
	}
}

static void recv_all(doq_worker *w)
{
	for (int round = 0; round < 16; round++) {
		for (int i = 0; i < DOQ_BATCH; i++) {
			struct msghdr *m = &w->rmsg[i].msg_hdr;
			m->msg_namelen = sizeof(w->rfrom[i]);
			m->msg_control = w->srv->wildcard ? w->rctl[i] : NULL;
			m->msg_controllen = w->srv->wildcard ? sizeof(w->rctl[i]) : 0;
		}
		int n = recvmmsg(w->fd, w->rmsg, DOQ_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) return;
		const struct sockaddr *bound = (struct sockaddr *)&w->srv->addr;
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &w->rmsg[i].msg_hdr;
			if (m->msg_flags & MSG_TRUNC) continue;
			struct sockaddr_storage local;
			const struct sockaddr *lp = bound;
			if (w->srv->wildcard) {
				doq_pktinfo_local(m, bound, &local);
				lp = (struct sockaddr *)&local;
			}
			doq_worker_packet(w, w->riov[i].iov_base, w->rmsg[i].msg_len,
			                  lp, (struct sockaddr *)&w->rfrom[i],
			                  m->msg_namelen);
		}
		flush_dirty(w);
		if (n < DOQ_BATCH) return;
	}
}

static void worker_shutdown(doq_worker *w)
{
	for (doq_conn *c = w->conns; c; c = c->next)
		doq_conn_close(c, true, SDNS_DOQ_NO_ERROR);
	doq_tx_flush(&w->tx);
	w->dirty = NULL;
	while (w->conns) {
		w->conns->dirty = false;
		doq_conn_free(w->conns);
	}
}

static void *worker_main(void *arg)
{
	doq_worker *w = arg;
	struct epoll_event ev[4];
	while (!atomic_load(&w->stop)) {
		int n = epoll_wait(w->epfd, ev, 4, next_timeout_ms(w));
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == w->efd) {
				uint64_t v;
				if (read(w->efd, &v, sizeof(v)) < 0) {}
				doq_worker_mailbox(w);
				doq_defer_run(w);
			} else {
				recv_all(w);
			}
		}
		run_timers(w);
		flush_dirty(w);
	}
	doq_worker_retire(w);
	worker_shutdown(w);
	return NULL;
}

int sdns_doq_server_start(sdns_doq_server *s)
{
	if (s->started) return SDNS_EINVAL;
	for (int i = 0; i < s->nworkers; i++) {
		doq_worker_set_alive(s->workers[i], true);
		if (pthread_create(&s->workers[i]->thr, NULL, worker_main,
		                   s->workers[i]) != 0) {
			doq_worker_set_alive(s->workers[i], false);
			sdns_doq_server_stop(s);
			return SDNS_ENOMEM;
		}
		s->workers[i]->running = true;
		s->started = true;
	}
	return SDNS_OK;
}

void sdns_doq_server_stop(sdns_doq_server *s)
{
	if (!s || !s->started) return;
	for (int i = 0; i < s->nworkers; i++) {
		doq_worker *w = s->workers[i];
		if (!w->running) continue;
		uint64_t one = 1;
		atomic_store(&w->stop, true);
		if (write(w->efd, &one, sizeof(one)) < 0) {}
	}
	for (int i = 0; i < s->nworkers; i++) {
		doq_worker *w = s->workers[i];
		if (!w->running) continue;
		pthread_join(w->thr, NULL);
		w->running = false;
	}
	s->started = false;
}

void sdns_doq_server_free(sdns_doq_server *s)
{
	if (!s) return;
	sdns_doq_server_stop(s);
	for (int i = 0; s->workers && i < s->nworkers; i++)
		worker_free(s->workers[i]);
	free(s->workers);
	doq_tls_deinit(&s->tls);
	doq_limits_free(&s->limits);
	pthread_mutex_destroy(&s->close_mu);
	free(s->mesh);
	free(s);
}

uint16_t sdns_doq_server_port(const sdns_doq_server *s)
{
	return s->port;
}

void sdns_doq_server_stats(const sdns_doq_server *s, sdns_doq_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->nworkers; i++) {
		const doq_counters *k = &s->workers[i]->ctr;
#define SUM(f) out->f += atomic_load_explicit(&k->f, memory_order_relaxed)
		SUM(handshakes_ok);
		SUM(handshakes_refused);
		SUM(queries);
		SUM(protocol_errors);
		SUM(excessive_load);
		SUM(retries_sent);
		SUM(stream_timeouts);
		SUM(closed_by_request);
		SUM(deferred);
#undef SUM
	}
	out->conns_open = atomic_load_explicit(&s->limits.conns,
	                                       memory_order_relaxed);
}
