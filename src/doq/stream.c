/* A server connection's streams: the worker's pool, the connection's
 * lists (all, write, deadline) and buffered-byte accounting. Worker thread
 * only, like the connection. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

#define POOL_KEEP 4096

#define SRV(c) ((c)->w->srv)

doq_stream *doq_stream_new(doq_conn *c, int64_t id)
{
	doq_worker *w = c->w;
	doq_stream *st = w->pool;
	if (st) {
		w->pool = st->free_next;
		w->pool_n--;
	} else if (!(st = malloc(sizeof(*st)))) {
		return NULL;
	}
	memset(st, 0, offsetof(doq_stream, inl));
	st->id = id;
	st->conn = c;
	st->buf = st->inl;
	st->cap = sizeof(st->inl);
	st->phase = ST_RX;
	st->deadline = doq_now() +
	               (uint64_t)SRV(c)->conf.stream_timeout_ms * NGTCP2_MILLISECONDS;
	/* Same timeout for every stream: appending keeps the list sorted. */
	st->dprev = c->dtail;
	if (c->dtail) c->dtail->dnext = st;
	else c->dhead = st;
	c->dtail = st;
	st->in_dlist = true;
	st->anext = c->streams;
	if (c->streams) c->streams->aprev = st;
	c->streams = st;
	c->nstreams++;
	return st;
}

void doq_dlist_del(doq_conn *c, doq_stream *st)
{
	if (!st->in_dlist) return;
	if (st->dprev) st->dprev->dnext = st->dnext;
	else c->dhead = st->dnext;
	if (st->dnext) st->dnext->dprev = st->dprev;
	else c->dtail = st->dprev;
	st->dprev = st->dnext = NULL;
	st->in_dlist = false;
}

void doq_wlist_add(doq_conn *c, doq_stream *st)
{
	if (st->in_wlist) return;
	st->wprev = c->wlist.tail;
	st->wnext = NULL;
	if (c->wlist.tail) c->wlist.tail->wnext = st;
	else c->wlist.head = st;
	c->wlist.tail = st;
	st->in_wlist = true;
	doq_conn_mark_dirty(c);
}

void doq_wlist_del(doq_conn *c, doq_stream *st)
{
	if (!st->in_wlist) return;
	if (st->wprev) st->wprev->wnext = st->wnext;
	else c->wlist.head = st->wnext;
	if (st->wnext) st->wnext->wprev = st->wprev;
	else c->wlist.tail = st->wprev;
	st->wprev = st->wnext = NULL;
	st->in_wlist = false;
}

/* Buffered-byte accounting (requests being assembled, responses until
 * acknowledged), per connection and server-wide. */
bool doq_acct_take(doq_conn *c, doq_stream *st, size_t n)
{
	if (c->buffered + n > SRV(c)->conf.max_conn_buffer ||
	    !doq_limits_buf_take(&SRV(c)->limits, n))
		return false;
	c->buffered += n;
	st->accounted += n;
	return true;
}

void doq_acct_give(doq_conn *c, doq_stream *st, size_t n)
{
	if (n > st->accounted) n = st->accounted;
	c->buffered -= n;
	st->accounted -= n;
	doq_limits_buf_give(&SRV(c)->limits, n);
}

void doq_stream_drop_buf(doq_stream *st)
{
	if (st->buf != st->inl) free(st->buf);
	st->buf = st->inl;
	st->cap = sizeof(st->inl);
	st->len = st->sent = st->acked = 0;
}

void doq_stream_free(doq_conn *c, doq_stream *st)
{
	doq_defer_drop(c->w, st);
	doq_dlist_del(c, st);
	doq_wlist_del(c, st);
	doq_acct_give(c, st, st->accounted);
	doq_stream_drop_buf(st);
	if (st->aprev) st->aprev->anext = st->anext;
	else c->streams = st->anext;
	if (st->anext) st->anext->aprev = st->aprev;
	c->nstreams--;
	doq_worker *w = c->w;
	if (w->pool_n < POOL_KEEP) {
		st->free_next = w->pool;
		w->pool = st;
		w->pool_n++;
	} else {
		free(st);
	}
}
