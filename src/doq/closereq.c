/* Closing the live connections of revoked identities on request from
 * another thread (the daemon's store thread).
 *
 * Connections belong to their worker, so the caller only posts a request
 * into each worker's one-slot mailbox and wakes it through its eventfd; the
 * worker runs the match over its own list and closes on its own thread. The
 * query path never sees the mailbox lock: it is taken when the eventfd
 * fires, not per packet. The request lives on the caller's stack, so the
 * caller never returns while a worker may still hold it: a request not
 * taken in time is withdrawn from the mailbox, one already taken is waited
 * for (it runs in microseconds per connection, no blocking calls). */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "server_int.h"
#include "sdns/error.h"
#include "sdns/log.h"

#define CLOSE_WAIT_NS 1000000000LL

struct doq_close_req {
	bool (*match)(void *ctx, const sdns_identity *id);
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;        /* posted and not yet completed or withdrawn */
	int closed;
};

static void req_complete(doq_close_req *r, int closed)
{
	pthread_mutex_lock(&r->mu);
	r->closed += closed;
	r->pending--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static doq_close_req *mbox_take(doq_worker *w)
{
	pthread_mutex_lock(&w->mbox_mu);
	doq_close_req *r = w->mbox;
	w->mbox = NULL;
	pthread_mutex_unlock(&w->mbox_mu);
	return r;
}

void doq_worker_mailbox(doq_worker *w)
{
	doq_close_req *r = mbox_take(w);
	if (!r) return;
	int n = 0;
	for (doq_conn *c = w->conns; c; c = c->next) {
		/* Verified: the identity is the certificate's, even when the
		 * handshake is still finishing. */
		if (c->state != CS_OPEN || !c->verified || !r->match(r->ctx, &c->id))
			continue;
		sdns_log(SDNS_LOG_INFO, "conn_closed", "reason=revoked peer=%s id=%s",
		         c->peer, c->id.uri);
		atomic_fetch_add_explicit(&w->ctr.closed_by_request, 1,
		                          memory_order_relaxed);
		doq_conn_close(c, true, SDNS_DOQ_UNSPECIFIED_ERROR);
		n++;
	}
	req_complete(r, n);
}

void doq_worker_set_alive(doq_worker *w, bool alive)
{
	pthread_mutex_lock(&w->mbox_mu);
	w->alive = alive;
	pthread_mutex_unlock(&w->mbox_mu);
}

void doq_worker_retire(doq_worker *w)
{
	pthread_mutex_lock(&w->mbox_mu);
	w->alive = false;
	doq_close_req *r = w->mbox;
	w->mbox = NULL;
	pthread_mutex_unlock(&w->mbox_mu);
	/* Every connection is about to be closed by the shutdown anyway. */
	if (r) req_complete(r, 0);
}

static bool post(doq_worker *w, doq_close_req *r)
{
	pthread_mutex_lock(&w->mbox_mu);
	bool ok = w->alive;
	if (ok) w->mbox = r;
	pthread_mutex_unlock(&w->mbox_mu);
	if (ok) {
		uint64_t one = 1;
		if (write(w->efd, &one, sizeof(one)) < 0) {}
	}
	return ok;
}

static bool withdraw(doq_worker *w, doq_close_req *r)
{
	pthread_mutex_lock(&w->mbox_mu);
	bool mine = w->mbox == r;
	if (mine) w->mbox = NULL;
	pthread_mutex_unlock(&w->mbox_mu);
	return mine;
}

static struct timespec deadline(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long ns = ts.tv_nsec + CLOSE_WAIT_NS;
	ts.tv_sec += (time_t)(ns / 1000000000LL);
	ts.tv_nsec = (long)(ns % 1000000000LL);
	return ts;
}

static void req_init(doq_close_req *r)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&r->mu, NULL);
}

/* Wait for the workers; withdraw what is still untaken after 1 s. Returns
 * whether any was withdrawn. Called with r->mu held. */
static bool wait_workers(sdns_doq_server *s, doq_close_req *r)
{
	struct timespec until = deadline();
	int rc = 0;
	while (r->pending > 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
	if (r->pending == 0) return false;
	pthread_mutex_unlock(&r->mu);
	int gone = 0;
	for (int i = 0; i < s->nworkers; i++)
		gone += withdraw(s->workers[i], r);
	pthread_mutex_lock(&r->mu);
	r->pending -= gone;
	while (r->pending > 0) pthread_cond_wait(&r->cv, &r->mu);
	return gone > 0;
}

int sdns_doq_server_close_matching(sdns_doq_server *s,
                                   bool (*match)(void *ctx,
                                                 const sdns_identity *id),
                                   void *ctx)
{
	if (!s || !match) return SDNS_EINVAL;
	pthread_mutex_lock(&s->close_mu);
	doq_close_req r = {.match = match, .ctx = ctx};
	req_init(&r);
	/* Held while posting so a fast worker's completion cannot make
	 * pending reach zero before every worker has been counted. */
	pthread_mutex_lock(&r.mu);
	for (int i = 0; i < s->nworkers; i++)
		r.pending += post(s->workers[i], &r);
	bool timed_out = wait_workers(s, &r);
	int closed = r.closed;
	pthread_mutex_unlock(&r.mu);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_unlock(&s->close_mu);
	return timed_out ? SDNS_ETIMEOUT : closed;
}
