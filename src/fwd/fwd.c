/* The forwarder's I/O thread and public API: submissions through an
 * eventfd, one epoll loop over the upstream connections, query attempts
 * with failover, timeouts, reconfiguration and stats. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fwd_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define MS (1000000u)

void fwd_stat_event(struct sdns_fwd *fwd, fwd_upstream *up, int event,
                    int reason, uint64_t latency_ns)
{
	pthread_mutex_lock(&fwd->stats_lock);
	sdns_fwd_upstream_counters *s = &fwd->stats.up[up->idx];
	switch (event) {
	case SDNS_FWD_EV_QUERY: s->queries++; break;
	case SDNS_FWD_EV_ANSWER:
		s->answers++;
		s->latency_ns_sum += latency_ns;
		s->latency_count++;
		break;
	case SDNS_FWD_EV_FAILURE:
		if (reason >= 0 && reason < SDNS_FWD_R_COUNT)
			s->failures[reason]++;
		break;
	case SDNS_FWD_EV_PIN_FAILURE: s->pin_failures++; break;
	case SDNS_FWD_EV_HANDSHAKE:
		s->handshakes++;
		s->resumed += reason ? 1 : 0;
		break;
	}
	s->healthy = up->down_until_ns == 0;
	s->connected = up->conn != NULL && up->conn->state == CONN_READY;
	pthread_mutex_unlock(&fwd->stats_lock);
	if (fwd->conf.observer)
		fwd->conf.observer(fwd->conf.observer_ctx, up->addr, event,
		                   reason, latency_ns);
}

static void stat_state(struct sdns_fwd *fwd, fwd_upstream *up)
{
	pthread_mutex_lock(&fwd->stats_lock);
	fwd->stats.up[up->idx].healthy = up->down_until_ns == 0;
	fwd->stats.up[up->idx].connected =
		up->conn != NULL && up->conn->state == CONN_READY;
	pthread_mutex_unlock(&fwd->stats_lock);
}

static void wake_at(struct sdns_fwd *fwd, uint64_t t)
{
	if (t < fwd->next_check_ns)
		fwd->next_check_ns = t;
}

static void finish(struct sdns_fwd *fwd, fwd_query *q, int err,
                   const uint8_t *ans, size_t len)
{
	fwd_list_del(&q->all);
	pthread_mutex_lock(&fwd->stats_lock);
	if (err == 0)
		fwd->stats.answered++;
	else
		fwd->stats.failed++;
	fwd->stats.inflight--;
	pthread_mutex_unlock(&fwd->stats_lock);
	q->cb(q->ctx, err, err == 0 ? ans : NULL, err == 0 ? len : 0);
	free(q->wire);
	free(q);
}

void fwd_conn_set_events(fwd_conn *c)
{
	if (c->dead)
		return;
	uint32_t ev = EPOLLIN;
	if (c->state == CONN_CONNECTING || SSL_want_write(c->ssl) ||
	    (c->state == CONN_READY && c->out_off < c->out_len))
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = c };
	if (epoll_ctl(c->fwd->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
		c->events = ev;
}

/* Takes c out of service; its queries go to out (may be NULL: none). */
static void conn_kill(fwd_conn *c, fwd_link *out)
{
	struct sdns_fwd *fwd = c->fwd;
	c->dead = true;
	epoll_ctl(fwd->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	fwd_link tmp;
	fwd_list_init(&tmp);
	fwd_conn_detach(c, out ? out : &tmp);
	if (c->up) {
		c->up->conn = NULL;
		stat_state(fwd, c->up);
	}
	SSL_set_app_data(c->ssl, NULL);
	c->up = NULL;
	fwd_list_add_tail(&fwd->graveyard, &c->grave);
}

void fwd_conn_failed(fwd_conn *c, int reason)
{
	if (c->dead)
		return;
	struct sdns_fwd *fwd = c->fwd;
	fwd_upstream *up = c->up;
	if (reason == SDNS_FWD_R_PIN)
		fwd_stat_event(fwd, up, SDNS_FWD_EV_PIN_FAILURE, reason, 0);
	if (reason != SDNS_FWD_R_CLOSED && reason != SDNS_FWD_R_PROTO)
		fwd_up_failed(&fwd->conf, up, fwd_now_ns());
	fwd_link qs;
	fwd_list_init(&qs);
	conn_kill(c, &qs);
	while (!fwd_list_empty(&qs)) {
		fwd_query *q = FWD_CONTAINER(qs.next, fwd_query, wait);
		fwd_list_del(&q->wait);
		fwd_query_failed(fwd, q, reason);
	}
}

void fwd_query_failed(struct sdns_fwd *fwd, fwd_query *q, int reason)
{
	if (q->up_idx >= 0 && (size_t)q->up_idx < fwd->conf.n)
		fwd_stat_event(fwd, &fwd->conf.ups[q->up_idx],
		               SDNS_FWD_EV_FAILURE, reason, 0);
	q->last_reason = reason;
	/* An upstream closing an idle connection as we wrote is no fault of
	 * its own: try it once more before moving on. */
	if (!(reason == SDNS_FWD_R_CLOSED && q->closed_retries++ < 1) &&
	    q->up_idx >= 0)
		q->tried |= 1u << q->up_idx;
	fwd_query_attempt(fwd, q);
}

void fwd_query_answer(struct sdns_fwd *fwd, fwd_query *q, uint8_t *ans,
                      size_t len)
{
	fwd_upstream *up = &fwd->conf.ups[q->up_idx];
	up->timeouts = 0;
	fwd_stat_event(fwd, up, SDNS_FWD_EV_ANSWER, 0, fwd_now_ns() - q->sent_ns);
	finish(fwd, q, 0, ans, len);
}

static fwd_conn *get_conn(struct sdns_fwd *fwd, fwd_upstream *up,
                          uint64_t now, int *reason)
{
	if (up->conn)
		return up->conn;
	fwd_conn *c = fwd_conn_open(fwd, up, reason);
	if (!c)
		return NULL;
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	if (epoll_ctl(fwd->epfd, EPOLL_CTL_ADD, c->fd, &e) != 0) {
		fwd_conn_destroy(c);
		*reason = SDNS_FWD_R_CONNECT;
		return NULL;
	}
	c->events = e.events;
	c->deadline_ns = now + (uint64_t)fwd->conf.attempt_ms * MS;
	c->last_use_ns = now;
	wake_at(fwd, c->deadline_ns);
	up->conn = c;
	return c;
}

void fwd_query_attempt(struct sdns_fwd *fwd, fwd_query *q)
{
	uint64_t now = fwd_now_ns();
	fwd_upstream *up = NULL;
	for (size_t i = 0; now < q->deadline_ns && i < fwd->conf.n; i++) {
		fwd_upstream *u = &fwd->conf.ups[i];
		if (!(q->tried & (1u << i)) && fwd_up_usable(u, now)) {
			up = u;
			break;
		}
	}
	if (!up) {
		int err = now >= q->deadline_ns ? SDNS_ETIMEOUT
		          : q->last_reason >= 0 ? fwd_reason_err(q->last_reason)
		                                : SDNS_EUNAVAIL;
		if (q->last_reason < 0)
			fwd_stat_event(fwd, &fwd->conf.ups[0], SDNS_FWD_EV_FAILURE,
			               SDNS_FWD_R_UNAVAIL, 0);
		finish(fwd, q, err, NULL, 0);
		return;
	}
	q->up_idx = up->idx;
	int reason = SDNS_FWD_R_CONNECT;
	fwd_conn *c = get_conn(fwd, up, now, &reason);
	if (!c) {
		fwd_up_failed(&fwd->conf, up, now);
		fwd_query_failed(fwd, q, reason);
		return;
	}
	q->attempt_deadline_ns = now + (uint64_t)fwd->conf.attempt_ms * MS;
	if (q->attempt_deadline_ns > q->deadline_ns)
		q->attempt_deadline_ns = q->deadline_ns;
	wake_at(fwd, q->attempt_deadline_ns);
	fwd_conn_enqueue(c, q);
}

static void handshake_done(fwd_conn *c)
{
	fwd_up_ok(&c->fwd->conf, c->up);
	c->up->timeouts = 0;
	c->last_use_ns = fwd_now_ns();
	fwd_stat_event(c->fwd, c->up, SDNS_FWD_EV_HANDSHAKE,
	               SSL_session_reused(c->ssl) ? 1 : 0, 0);
	fwd_conn_pump(c);
}

static void conn_event(fwd_conn *c, uint32_t ev)
{
	if (c->dead)
		return;
	int rc;
	if (c->state != CONN_READY) {
		rc = fwd_conn_handshake(c);
		if (rc < 0) {
			fwd_conn_failed(c, -rc - 1);
			return;
		}
		if (rc == 1) {
			fwd_conn_set_events(c);
			return;
		}
		handshake_done(c);
		ev |= EPOLLIN;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		rc = fwd_conn_read(c);
		if (rc != 0) {
			fwd_conn_failed(c, rc);
			return;
		}
		fwd_conn_pump(c);
	}
	rc = fwd_conn_flush(c);
	if (rc != 0)
		fwd_conn_failed(c, rc);
}

static void scan_timeouts(struct sdns_fwd *fwd, uint64_t now)
{
	fwd_link expired;
	fwd_list_init(&expired);
	for (fwd_link *l = fwd->active.next; l != &fwd->active; l = l->next) {
		fwd_query *q = FWD_CONTAINER(l, fwd_query, all);
		if (q->attempt_deadline_ns > now || !q->conn)
			continue;
		fwd_conn_forget(q);
		fwd_list_add_tail(&expired, &q->wait);
	}
	while (!fwd_list_empty(&expired)) {
		fwd_query *q = FWD_CONTAINER(expired.next, fwd_query, wait);
		fwd_list_del(&q->wait);
		fwd_upstream *up = &fwd->conf.ups[q->up_idx];
		if (++up->timeouts >= 3) {
			fwd_up_failed(&fwd->conf, up, now);
			up->timeouts = 0;
		}
		fwd_query_failed(fwd, q, SDNS_FWD_R_TIMEOUT);
	}
	for (size_t i = 0; i < fwd->conf.n; i++) {
		fwd_conn *c = fwd->conf.ups[i].conn;
		if (!c)
			continue;
		if (c->state != CONN_READY && now >= c->deadline_ns)
			fwd_conn_failed(c, SDNS_FWD_R_TIMEOUT);
		else if (c->state == CONN_READY && c->inflight == 0 &&
		         fwd_list_empty(&c->waiting) &&
		         now - c->last_use_ns >= (uint64_t)fwd->conf.idle_ms * MS)
			conn_kill(c, NULL);
	}
	uint64_t next = UINT64_MAX;
	for (fwd_link *l = fwd->active.next; l != &fwd->active; l = l->next) {
		fwd_query *q = FWD_CONTAINER(l, fwd_query, all);
		if (q->attempt_deadline_ns < next)
			next = q->attempt_deadline_ns;
	}
	for (size_t i = 0; i < fwd->conf.n; i++) {
		fwd_conn *c = fwd->conf.ups[i].conn;
		if (!c)
			continue;
		uint64_t t = c->state != CONN_READY
		             ? c->deadline_ns
		             : c->last_use_ns + (uint64_t)fwd->conf.idle_ms * MS;
		if (t < next)
			next = t;
	}
	fwd->next_check_ns = next;
}

static void apply_conf(struct sdns_fwd *fwd, fwd_conf *nc)
{
	fwd_link qs;
	fwd_list_init(&qs);
	for (size_t i = 0; i < fwd->conf.n; i++)
		if (fwd->conf.ups[i].conn)
			conn_kill(fwd->conf.ups[i].conn, &qs);
	fwd_conf_clear(&fwd->conf);
	fwd->conf = *nc;
	free(nc);
	pthread_mutex_lock(&fwd->stats_lock);
	fwd->stats.n_upstreams = fwd->conf.n;
	for (size_t i = 0; i < fwd->conf.n; i++) {
		memcpy(fwd->stats.up[i].addr, fwd->conf.ups[i].addr,
		       sizeof(fwd->stats.up[i].addr));
		fwd->stats.up[i].healthy = 1;
		fwd->stats.up[i].connected = 0;
	}
	pthread_mutex_unlock(&fwd->stats_lock);
	while (!fwd_list_empty(&qs)) {
		fwd_query *q = FWD_CONTAINER(qs.next, fwd_query, wait);
		fwd_list_del(&q->wait);
		q->tried = 0;
		q->closed_retries = 0;
		q->last_reason = -1;
		q->up_idx = -1;
		fwd_query_attempt(fwd, q);
	}
}

/* Returns false when the thread must stop. */
static bool take_submissions(struct sdns_fwd *fwd)
{
	uint64_t v;
	while (read(fwd->evfd, &v, sizeof(v)) > 0) {
	}
	pthread_mutex_lock(&fwd->lock);
	fwd_query *q = fwd->sub_head;
	fwd->sub_head = fwd->sub_tail = NULL;
	fwd_conf *nc = fwd->pending;
	fwd->pending = NULL;
	bool stop = fwd->stop;
	pthread_mutex_unlock(&fwd->lock);
	if (nc)
		apply_conf(fwd, nc);
	uint64_t now = fwd_now_ns();
	while (q) {
		fwd_query *next = q->next_submit;
		q->deadline_ns = now + (uint64_t)fwd->conf.timeout_ms * MS;
		fwd_list_add_tail(&fwd->active, &q->all);
		if (stop)
			finish(fwd, q, SDNS_ECLOSED, NULL, 0);
		else
			fwd_query_attempt(fwd, q);
		q = next;
	}
	return !stop;
}

static void end_of_turn(struct sdns_fwd *fwd)
{
	for (size_t i = 0; i < fwd->conf.n; i++) {
		fwd_conn *c = fwd->conf.ups[i].conn;
		if (c && c->state == CONN_READY && c->out_off < c->out_len) {
			int rc = fwd_conn_flush(c);
			if (rc != 0)
				fwd_conn_failed(c, rc);
		}
	}
	while (!fwd_list_empty(&fwd->graveyard)) {
		fwd_conn *c = FWD_CONTAINER(fwd->graveyard.next, fwd_conn, grave);
		fwd_list_del(&c->grave);
		fwd_conn_destroy(c);
	}
}

static void shutdown_all(struct sdns_fwd *fwd)
{
	for (size_t i = 0; i < fwd->conf.n; i++)
		if (fwd->conf.ups[i].conn)
			conn_kill(fwd->conf.ups[i].conn, NULL);
	while (!fwd_list_empty(&fwd->active)) {
		fwd_query *q = FWD_CONTAINER(fwd->active.next, fwd_query, all);
		finish(fwd, q, SDNS_ECLOSED, NULL, 0);
	}
	end_of_turn(fwd);
}

static void *fwd_thread(void *arg)
{
	struct sdns_fwd *fwd = arg;
	struct epoll_event evs[64];
	bool run = true;
	while (run) {
		uint64_t now = fwd_now_ns();
		int tmo = -1;
		if (fwd->next_check_ns != UINT64_MAX)
			tmo = fwd->next_check_ns <= now
			      ? 0 : (int)((fwd->next_check_ns - now) / MS + 1);
		int n = epoll_wait(fwd->epfd, evs, 64, tmo);
		if (n < 0 && errno != EINTR)
			break;
		bool wake = false;
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr)
				wake = true;
			else
				conn_event(evs[i].data.ptr, evs[i].events);
		}
		end_of_turn(fwd);
		if (wake)
			run = take_submissions(fwd);
		now = fwd_now_ns();
		if (run && now >= fwd->next_check_ns)
			scan_timeouts(fwd, now);
		end_of_turn(fwd);
	}
	shutdown_all(fwd);
	return NULL;
}

int sdns_fwd_new(const sdns_fwd_conf *conf, sdns_fwd **out, char *err,
                 size_t err_cap)
{
	*out = NULL;
	struct sdns_fwd *fwd = calloc(1, sizeof(*fwd));
	if (!fwd)
		return SDNS_ENOMEM;
	int rc = fwd_conf_build(conf, &fwd->conf, err, err_cap);
	if (rc != 0) {
		free(fwd);
		return rc;
	}
	fwd_list_init(&fwd->active);
	fwd_list_init(&fwd->graveyard);
	fwd->next_check_ns = UINT64_MAX;
	pthread_mutex_init(&fwd->lock, NULL);
	pthread_mutex_init(&fwd->stats_lock, NULL);
	fwd->stats.n_upstreams = fwd->conf.n;
	for (size_t i = 0; i < fwd->conf.n; i++) {
		memcpy(fwd->stats.up[i].addr, fwd->conf.ups[i].addr,
		       sizeof(fwd->stats.up[i].addr));
		fwd->stats.up[i].healthy = 1;
	}
	fwd->epfd = epoll_create1(EPOLL_CLOEXEC);
	fwd->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
	if (fwd->epfd < 0 || fwd->evfd < 0 ||
	    epoll_ctl(fwd->epfd, EPOLL_CTL_ADD, fwd->evfd, &e) != 0 ||
	    pthread_create(&fwd->thread, NULL, fwd_thread, fwd) != 0) {
		if (fwd->epfd >= 0)
			close(fwd->epfd);
		if (fwd->evfd >= 0)
			close(fwd->evfd);
		fwd_conf_clear(&fwd->conf);
		pthread_mutex_destroy(&fwd->lock);
		pthread_mutex_destroy(&fwd->stats_lock);
		free(fwd);
		return SDNS_EIO;
	}
	*out = fwd;
	return SDNS_OK;
}

static void kick(struct sdns_fwd *fwd)
{
	uint64_t one = 1;
	ssize_t w = write(fwd->evfd, &one, sizeof(one));
	(void)w; /* EAGAIN: the counter is already non-zero, a wake is due */
}

void sdns_fwd_free(sdns_fwd *fwd)
{
	if (!fwd)
		return;
	pthread_mutex_lock(&fwd->lock);
	fwd->stop = true;
	pthread_mutex_unlock(&fwd->lock);
	kick(fwd);
	pthread_join(fwd->thread, NULL);
	/* Submissions that raced with stop. */
	take_submissions(fwd);
	if (fwd->pending) {
		fwd_conf_clear(fwd->pending);
		free(fwd->pending);
	}
	end_of_turn(fwd);
	fwd_conf_clear(&fwd->conf);
	close(fwd->epfd);
	close(fwd->evfd);
	pthread_mutex_destroy(&fwd->lock);
	pthread_mutex_destroy(&fwd->stats_lock);
	free(fwd);
}

int sdns_fwd_query(sdns_fwd *fwd, const uint8_t *wire, size_t len,
                   sdns_fwd_cb cb, void *ctx)
{
	if (!fwd || !wire || !cb || len < 12 || len > 65535)
		return SDNS_EINVAL;
	fwd_query *q = calloc(1, sizeof(*q));
	if (!q || !(q->wire = malloc(len))) {
		free(q);
		return SDNS_ENOMEM;
	}
	memcpy(q->wire, wire, len);
	q->len = len;
	q->qlen = fwd_question_len(wire, len);
	if (q->qlen == 0)
		q->qlen = 12;
	q->client_id = (uint16_t)(wire[0] << 8 | wire[1]);
	q->cb = cb;
	q->ctx = ctx;
	q->last_reason = -1;
	q->up_idx = -1;
	fwd_list_init(&q->all);
	fwd_list_init(&q->wait);
	pthread_mutex_lock(&fwd->lock);
	if (fwd->stop) {
		pthread_mutex_unlock(&fwd->lock);
		free(q->wire);
		free(q);
		return SDNS_ECLOSED;
	}
	if (fwd->sub_tail)
		fwd->sub_tail->next_submit = q;
	else
		fwd->sub_head = q;
	fwd->sub_tail = q;
	pthread_mutex_unlock(&fwd->lock);
	pthread_mutex_lock(&fwd->stats_lock);
	fwd->stats.queries++;
	fwd->stats.inflight++;
	pthread_mutex_unlock(&fwd->stats_lock);
	kick(fwd);
	return SDNS_OK;
}

int sdns_fwd_reconfigure(sdns_fwd *fwd, const sdns_fwd_conf *conf, char *err,
                         size_t err_cap)
{
	if (!fwd)
		return SDNS_EINVAL;
	fwd_conf *nc = malloc(sizeof(*nc));
	if (!nc)
		return SDNS_ENOMEM;
	int rc = fwd_conf_build(conf, nc, err, err_cap);
	if (rc != 0) {
		free(nc);
		return rc;
	}
	size_t n = nc->n; /* nc belongs to the fwd thread once handed over */
	pthread_mutex_lock(&fwd->lock);
	fwd_conf *old = fwd->pending;
	fwd->pending = nc;
	pthread_mutex_unlock(&fwd->lock);
	if (old) {
		fwd_conf_clear(old);
		free(old);
	}
	kick(fwd);
	sdns_log(SDNS_LOG_INFO, "fwd_reconfigured", "upstreams=%zu", n);
	return SDNS_OK;
}

void sdns_fwd_stats(sdns_fwd *fwd, sdns_fwd_counters *out)
{
	pthread_mutex_lock(&fwd->stats_lock);
	*out = fwd->stats;
	pthread_mutex_unlock(&fwd->stats_lock);
}
