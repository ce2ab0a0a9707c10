/* Deferred answers: on_query_async returns SDNS_EPENDING, another thread
 * later calls sdns_doq_server_reply with the ticket.
 *
 * The stream stays the worker's. The worker parks a ticket in its table;
 * the replying thread only claims it (so a second reply, or one after the
 * stream died, is refused at once with SDNS_ECLOSED), hangs the copied
 * answer on the worker's ready list and wakes it through its eventfd, like
 * close requests (closereq.c). The replying thread never touches a stream:
 * the ticket's stream pointer is read and cleared by the worker alone.
 *
 * A reply may come before the callback that issued the ticket returned
 * (from the callback itself on a cache hit, or from a thread it handed the
 * query to): the worker names the ticket in flight, and such a reply waits
 * in the early slot until the callback returns. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_int.h"
#include "sdns/error.h"

struct doq_pend {
	uint64_t serial;
	int64_t sid;
	doq_stream *st;     /* NULL once the stream is gone (worker only) */
	doq_pend *hnext;    /* table chain, or ready list once answered */
	bool answered;
	uint8_t *framed;    /* answer with length prefix; NULL = reset */
	size_t flen;
};

#define INITIAL_BUCKETS 64

int doq_defer_init(doq_defer *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	d->nb = INITIAL_BUCKETS;
	d->b = calloc(d->nb, sizeof(*d->b));
	return d->b ? SDNS_OK : SDNS_ENOMEM;
}

static void pend_free(doq_pend *p)
{
	free(p->framed);
	free(p);
}

void doq_defer_free(doq_defer *d)
{
	/* Parked tickets went with their streams; answered ones may remain
	 * when the worker stopped before sending them. */
	while (d->ready) {
		doq_pend *p = d->ready;
		d->ready = p->hnext;
		pend_free(p);
	}
	free(d->early);
	free(d->b);
	d->b = NULL;
	pthread_mutex_destroy(&d->mu);
}

static size_t bucket(const doq_defer *d, uint64_t serial, int64_t sid)
{
	uint64_t h = serial * 0x9e3779b97f4a7c15ull ^ (uint64_t)sid;
	h ^= h >> 29;
	return (size_t)(h & (d->nb - 1));
}

static void grow(doq_defer *d)
{
	size_t nb = d->nb * 2;
	doq_pend **b = calloc(nb, sizeof(*b));
	if (!b) return; /* longer chains, still correct */
	doq_pend **old = d->b;
	size_t onb = d->nb;
	d->b = b;
	d->nb = nb;
	for (size_t i = 0; i < onb; i++) {
		while (old[i]) {
			doq_pend *p = old[i];
			old[i] = p->hnext;
			size_t k = bucket(d, p->serial, p->sid);
			p->hnext = b[k];
			b[k] = p;
		}
	}
	free(old);
}

/* Unlink the unanswered ticket (serial, sid); NULL when there is none. */
static doq_pend *table_take(doq_defer *d, uint64_t serial, int64_t sid)
{
	doq_pend **pp = &d->b[bucket(d, serial, sid)];
	while (*pp && ((*pp)->serial != serial || (*pp)->sid != sid))
		pp = &(*pp)->hnext;
	doq_pend *p = *pp;
	if (p) {
		*pp = p->hnext;
		p->hnext = NULL;
		d->n--;
	}
	return p;
}

/* Called with d->mu held. */
static void table_put(doq_defer *d, doq_pend *p)
{
	if (d->n >= d->nb) grow(d);
	size_t k = bucket(d, p->serial, p->sid);
	p->hnext = d->b[k];
	d->b[k] = p;
	d->n++;
}

void doq_defer_begin(doq_worker *w, const sdns_doq_ticket *t)
{
	/* Whoever replies learnt the ticket from the callback, so it sees
	 * these stores. */
	atomic_store_explicit(&w->defer.cur_sid, t->stream_id,
	                      memory_order_relaxed);
	atomic_store_explicit(&w->defer.cur_serial, t->conn_serial,
	                      memory_order_relaxed);
}

int doq_defer_end(doq_worker *w, doq_stream *st, bool pending,
                  uint8_t **framed, size_t *flen)
{
	doq_pend *p = pending ? calloc(1, sizeof(*p)) : NULL;
	doq_defer *d = &w->defer;
	pthread_mutex_lock(&d->mu);
	atomic_store_explicit(&d->cur_serial, 0, memory_order_relaxed);
	bool early = d->has_early;
	*framed = d->early;
	*flen = d->early_len;
	d->has_early = false;
	d->early = NULL;
	if (!early && p) {
		p->serial = st->conn->serial;
		p->sid = st->id;
		p->st = st;
		table_put(d, p);
	}
	pthread_mutex_unlock(&d->mu);
	if (early) {
		free(p);
		return 1;
	}
	if (!p) return pending ? SDNS_ENOMEM : 0;
	st->pend = p;
	st->conn->npending++;
	return 0;
}

void doq_defer_drop(doq_worker *w, doq_stream *st)
{
	doq_pend *p = st->pend;
	if (!p) return;
	st->pend = NULL;
	st->conn->npending--;
	doq_defer *d = &w->defer;
	pthread_mutex_lock(&d->mu);
	/* Answered: it sits on the ready list; doq_defer_run frees it. */
	if (p->answered) p->st = NULL;
	else table_take(d, p->serial, p->sid);
	pthread_mutex_unlock(&d->mu);
	if (!p->answered) pend_free(p);
}

void doq_defer_run(doq_worker *w)
{
	doq_defer *d = &w->defer;
	pthread_mutex_lock(&d->mu);
	doq_pend *list = d->ready;
	d->ready = d->ready_tail = NULL;
	pthread_mutex_unlock(&d->mu);
	while (list) {
		doq_pend *p = list;
		list = p->hnext;
		/* Read afresh: a delivery may have closed a connection whose
		 * other tickets are further down this list. */
		doq_stream *st = p->st;
		if (st) {
			st->pend = NULL;
			st->conn->npending--;
			doq_stream_deliver(st, p->framed, p->flen);
			p->framed = NULL;
		}
		pend_free(p);
	}
}

/* The ticket of the callback running on the worker now. Called with
 * d->mu held. */
static bool is_current(doq_defer *d, const sdns_doq_ticket *t)
{
	return atomic_load_explicit(&d->cur_serial, memory_order_relaxed) ==
	               t->conn_serial &&
	       t->conn_serial != 0 &&
	       atomic_load_explicit(&d->cur_sid, memory_order_relaxed) ==
	               t->stream_id;
}

static uint8_t *frame(const uint8_t *resp, size_t len)
{
	uint8_t *b = malloc(len + 2);
	if (!b) return NULL;
	b[0] = (uint8_t)(len >> 8);
	b[1] = (uint8_t)len;
	memcpy(b + 2, resp, len);
	return b;
}

int sdns_doq_server_reply(sdns_doq_server *s, const sdns_doq_ticket *t,
                          const uint8_t *resp, size_t len)
{
	if (!s || !t || t->worker >= (uint32_t)s->nworkers) return SDNS_EINVAL;
	if (resp && (len == 0 || len > 65535)) return SDNS_EINVAL;
	uint8_t *framed = NULL;
	if (resp && !(framed = frame(resp, len))) return SDNS_ENOMEM;
	size_t flen = resp ? len + 2 : 0;
	doq_worker *w = s->workers[t->worker];
	doq_defer *d = &w->defer;
	pthread_mutex_lock(&d->mu);
	doq_pend *p = table_take(d, t->conn_serial, t->stream_id);
	/* A non-empty list means the worker has a wake-up coming. */
	bool wake = p && !d->ready;
	bool early = false;
	if (p) {
		p->answered = true;
		p->framed = framed;
		p->flen = flen;
		if (d->ready_tail) d->ready_tail->hnext = p;
		else d->ready = p;
		d->ready_tail = p;
	} else if (is_current(d, t) && !d->has_early) {
		/* The callback has not returned yet: doq_defer_end sends it. */
		early = d->has_early = true;
		d->early = framed;
		d->early_len = flen;
	}
	pthread_mutex_unlock(&d->mu);
	if (early) return SDNS_OK;
	if (!p) {
		free(framed);
		return SDNS_ECLOSED;
	}
	uint64_t one = 1;
	if (wake && write(w->efd, &one, sizeof(one)) < 0) {}
	return SDNS_OK;
}
