/* GET /events: store changes as Server-Sent Events.
 *
 * One LISTEN connection of the API's own (sdns_store_listener) feeds every
 * subscriber; its thread loads the changed object through a second store
 * connection and appends the event to each subscriber's queue.
 *
 * No pool thread is held by a subscriber: the response is a content reader
 * (MHD_create_response_from_callback, chunked) that hands over what is
 * queued and, when the queue is empty, suspends the connection
 * (MHD_suspend_connection from the reader, the pattern microhttpd.h gives
 * for "no data yet"; needs MHD_ALLOW_SUSPEND_RESUME). The producer resumes
 * it after queueing. A queue over sub_buffer bytes means the client does
 * not read: it is dropped (its stream ends; EventSource reconnects) and
 * never slows the others. A ticker thread queues ": keepalive" so proxies
 * keep the stream and vanished clients are found by the failing write.
 *
 * A subscriber sees what its role may read over REST, no more: zones and
 * records for every role, peers and audit entries only for the roles that
 * GET /peers and GET /audit admit (api_policy_allows, the same check).
 * A revoked identity's streams end as soon as the listener reads the
 * revocation from the change log (the revoked set is loaded from the
 * store then, so no daemon snapshot has to catch up first), and the
 * ticker re-checks every stream against is_revoked each second for
 * revocations that reach the daemon some other way. One identity holds
 * at most max_per_identity streams, so it cannot take every slot.
 *
 * Locking: ev->lock guards the list, every queue and the suspended flags;
 * suspend and resume are called under it so the flag always matches MHD's
 * state (a connection is resumed only when we suspended it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/revoked.h"
#include "sdns/store_obj.h"

#define EV_MAX_SUBS 32
#define EV_SWEEP_MS 1000        /* is_revoked re-check of open streams */
#define EV_KEEPALIVE_MS 15000
#define EV_SUB_BUFFER (256u * 1024)
#define EV_RETRY "retry: 2000\n\n"
#define EV_ZCACHE_MAX 4096

typedef struct api_sub {
	struct api_sub *next, *prev;
	struct api_events *ev;
	struct MHD_Connection *conn;
	char *buf;
	size_t off, len, cap;   /* queued bytes are buf[off, len) */
	bool suspended, ended;
	sdns_identity id;       /* the subscriber, as authenticated */
} api_sub;

/* Zone names by id, so a DELETE (row gone) still names its zone. */
typedef struct {
	int64_t id;
	char name[256];
} ev_zname;

struct api_events {
	pthread_mutex_t lock;
	pthread_cond_t tick;
	pthread_t ticker;
	bool ticker_started, stopping;
	api_sub *subs;
	unsigned n_subs, max_subs, max_per_id, keepalive_ms;
	sdns_api_callbacks cb;  /* is_revoked */
	size_t buf_cap;
	sdns_store_listener *listener;
	/* listener thread only */
	char *conninfo;
	sdns_store *db;
	ev_zname *zc;
	size_t nzc;
	int64_t seq;            /* last change log row turned into an event */
	bool revoked_changed;   /* a revoked row was read: sweep after the batch */
	atomic_ulong n_sent, n_dropped, n_closed_revoked;
};

/* ---------- queues ---------- */

/* Under ev->lock. False when the subscriber is over its budget. */
static bool sub_queue(api_sub *s, const char *data, size_t n)
{
	if (s->ended) return true;
	if (s->len - s->off + n > s->ev->buf_cap) return false;
	if (s->off && s->off == s->len) s->off = s->len = 0;
	if (s->len + n > s->cap) {
		if (s->off) {
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		size_t nc = s->cap ? s->cap : 1024;
		while (nc < s->len + n) nc *= 2;
		char *nb = nc > s->cap ? realloc(s->buf, nc) : s->buf;
		if (!nb) return false;
		s->buf = nb;
		s->cap = nc;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return true;
}

static void sub_wake(api_sub *s)
{
	if (!s->suspended) return;
	s->suspended = false;
	MHD_resume_connection(s->conn);
}

static void sub_end(api_sub *s)
{
	s->ended = true;
	free(s->buf);
	s->buf = NULL;
	s->off = s->len = s->cap = 0;
	sub_wake(s);
}

/* Under ev->lock. True when the subscriber may see events of this kind:
 * the role check of the REST route that lists the same objects. */
static bool sub_may_see(const api_sub *s, api_policy need)
{
	return api_policy_allows(need, s->id.role);
}

static void broadcast(struct api_events *ev, api_policy need,
                      const char *data, size_t n)
{
	pthread_mutex_lock(&ev->lock);
	for (api_sub *s = ev->subs; s; s = s->next) {
		if (s->ended || !sub_may_see(s, need)) continue;
		if (!sub_queue(s, data, n)) {
			atomic_fetch_add(&ev->n_dropped, 1);
			sdns_log(SDNS_LOG_INFO, "api_events_drop",
			         "reason=slow_subscriber queued=%zu",
			         s->len - s->off);
			sub_end(s);
			continue;
		}
		sub_wake(s);
	}
	pthread_mutex_unlock(&ev->lock);
}

void api_events_broadcast(struct api_events *ev, const char *data, size_t n)
{
	broadcast(ev, API_P_READ, data, n);
}

typedef bool (*sub_revoked_fn)(void *ctx, const sdns_identity *id);

/* Ends every open stream whose identity matches; returns how many. */
static unsigned end_revoked(struct api_events *ev, sub_revoked_fn fn,
                            void *ctx)
{
	unsigned n = 0;
	pthread_mutex_lock(&ev->lock);
	for (api_sub *s = ev->subs; s; s = s->next) {
		if (s->ended || !fn(ctx, &s->id)) continue;
		sdns_log(SDNS_LOG_INFO, "api_events_closed",
		         "reason=revoked peer=%s", s->id.uri);
		sub_end(s);
		n++;
	}
	pthread_mutex_unlock(&ev->lock);
	atomic_fetch_add(&ev->n_closed_revoked, n);
	return n;
}

static bool in_set(void *ctx, const sdns_identity *id)
{
	return sdns_revoked_has(ctx, id->spki_sha256, id->serial_hex);
}

static bool by_callback(void *ctx, const sdns_identity *id)
{
	const sdns_api_callbacks *cb = ctx;
	return cb->is_revoked(cb->ctx, id->spki_sha256, id->serial_hex);
}

/* ---------- the response ---------- */

static ssize_t sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	api_sub *s = cls;
	struct api_events *ev = s->ev;
	ssize_t ret = 0;
	pthread_mutex_lock(&ev->lock);
	if (s->off < s->len) {
		size_t n = s->len - s->off < max ? s->len - s->off : max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		ret = (ssize_t)n;
	} else if (s->ended || ev->stopping) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		s->suspended = true;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

static void sub_free(void *cls)
{
	api_sub *s = cls;
	struct api_events *ev = s->ev;
	pthread_mutex_lock(&ev->lock);
	if (s->prev) s->prev->next = s->next;
	else ev->subs = s->next;
	if (s->next) s->next->prev = s->prev;
	ev->n_subs--;
	pthread_mutex_unlock(&ev->lock);
	free(s->buf);
	free(s);
}

/* Under ev->lock. */
static unsigned subs_of(const struct api_events *ev, const char *uri)
{
	unsigned n = 0;
	for (const api_sub *s = ev->subs; s; s = s->next)
		if (!s->ended && strcmp(s->id.uri, uri) == 0) n++;
	return n;
}

void api_h_events(api_req *r, api_resp *out)
{
	struct api_events *ev = r->api->events;
	api_sub *s = ev ? calloc(1, sizeof(*s)) : NULL;
	if (!s) {
		api_fail(out, API_E_UNAVAILABLE, NULL, "events unavailable");
		return;
	}
	s->ev = ev;
	s->conn = r->conn;
	s->id = r->peer.id;
	pthread_mutex_lock(&ev->lock);
	bool full = ev->stopping || ev->n_subs >= ev->max_subs;
	bool mine = !full && subs_of(ev, s->id.uri) >= ev->max_per_id;
	if (!full && !mine && sub_queue(s, EV_RETRY, strlen(EV_RETRY))) {
		s->next = ev->subs;
		if (ev->subs) ev->subs->prev = s;
		ev->subs = s;
		ev->n_subs++;
	} else if (!mine) {
		full = true;
	}
	pthread_mutex_unlock(&ev->lock);
	if (full || mine) {
		free(s->buf);
		free(s);
		if (mine)
			api_fail(out, API_E_TOO_MANY, NULL,
			         "too many event streams for %s (max %u per "
			         "identity)", r->peer.id.uri, ev->max_per_id);
		else
			api_fail(out, API_E_UNAVAILABLE, NULL,
			         "too many event subscribers (max %u)",
			         ev->max_subs);
		return;
	}
	/* From here MHD owns s: sub_free runs when the response goes. */
	struct MHD_Response *mr = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 4096, sub_read, s, sub_free);
	if (!mr) {
		sub_free(s);
		api_fail(out, API_E_INTERNAL, NULL, "out of memory");
		return;
	}
	MHD_add_response_header(mr, "Content-Type", "text/event-stream");
	MHD_add_response_header(mr, "Cache-Control", "no-store");
	/* A stream ends only when it must (revoked, too slow, shutdown): the
	 * connection goes with it, so nothing more is asked on it. */
	MHD_add_response_header(mr, "Connection", "close");
	out->status = 200;
	out->raw = mr;
}

/* ---------- events from the store ---------- */

static const char *zcache_get(struct api_events *ev, int64_t id)
{
	for (size_t i = 0; i < ev->nzc; i++)
		if (ev->zc[i].id == id) return ev->zc[i].name;
	return NULL;
}

static void zcache_put(struct api_events *ev, int64_t id, const char *name)
{
	if (!name) return;
	size_t i = 0;
	while (i < ev->nzc && ev->zc[i].id != id) i++;
	if (i == ev->nzc) {
		if (ev->nzc == EV_ZCACHE_MAX) i = (size_t)id % EV_ZCACHE_MAX;
		else ev->nzc++;
	}
	ev->zc[i].id = id;
	snprintf(ev->zc[i].name, sizeof(ev->zc[i].name), "%s", name);
}

static void zcache_del(struct api_events *ev, int64_t id)
{
	for (size_t i = 0; i < ev->nzc; i++)
		if (ev->zc[i].id == id) ev->zc[i] = ev->zc[--ev->nzc];
}

static sdns_store *ev_db(struct api_events *ev)
{
	if (ev->db && sdns_store_broken(ev->db)) {
		sdns_store_close(ev->db);
		ev->db = NULL;
	}
	sdns_store_err err;
	if (!ev->db && sdns_store_connect(ev->conninfo, &ev->db, &err) != 0) {
		sdns_store_close(ev->db);
		ev->db = NULL;
	}
	return ev->db;
}

/* The element of array arr whose "id" is id (new reference), or NULL. */
static json_t *pick_id(json_t *arr, int64_t id)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_integer_value(json_object_get(v, "id")) == id)
			return json_incref(v);
	}
	return NULL;
}

/* The zone name of zone_id: cache, else the database. */
static const char *zone_name(struct api_events *ev, sdns_store *db,
                             int64_t zone_id)
{
	const char *n = zcache_get(ev, zone_id);
	json_t *z = NULL;
	sdns_store_err err;
	if (n || zone_id < 0 || !db ||
	    sdns_store_zone_item(db, zone_id, &z, &err) != SDNS_OK)
		return n;
	zcache_put(ev, zone_id, json_string_value(json_object_get(z, "name")));
	json_decref(z);
	return zcache_get(ev, zone_id);
}

static json_t *load_zone(struct api_events *ev, sdns_store *db, int64_t id,
                         bool gone, char *zone, size_t cap)
{
	json_t *o = NULL;
	sdns_store_err err;
	if (!gone && db && sdns_store_zone_item(db, id, &o, &err) == SDNS_OK)
		zcache_put(ev, id, json_string_value(json_object_get(o, "name")));
	const char *n = zcache_get(ev, id);
	if (n) snprintf(zone, cap, "%s", n);
	if (gone) zcache_del(ev, id);
	return o;
}

static json_t *load_object(struct api_events *ev, const char *kind,
                           int64_t id, int64_t zone_id, bool gone,
                           char *zone, size_t cap)
{
	sdns_store *db = strcmp(kind, "zone") == 0 && gone ? NULL : ev_db(ev);
	sdns_store_err err;
	json_t *o = NULL, *all = NULL;
	zone[0] = '\0';
	if (strcmp(kind, "zone") == 0)
		return load_zone(ev, db, id, gone, zone, cap);
	if (strcmp(kind, "record") == 0) {
		if (!gone && db &&
		    sdns_store_record_get(db, id, &o, zone, cap, &err) == SDNS_OK)
			return o;
		const char *n = zone_name(ev, db, zone_id);
		if (n) snprintf(zone, cap, "%s", n);
		return NULL;
	}
	if (gone || !db) return NULL;
	if (strcmp(kind, "peer") == 0 &&
	    sdns_store_peers_list(db, &all, &err) == SDNS_OK)
		o = pick_id(all, id);
	if (strcmp(kind, "audit") == 0 &&
	    sdns_store_audit_list(db, id - 1, 1, NULL, NULL, &all, &err) == 0)
		o = pick_id(json_object_get(all, "entries"), id);
	json_decref(all);
	return o;
}

static const char *kind_of(const char *table)
{
	if (strcmp(table, "zones") == 0) return "zone";
	if (strcmp(table, "records") == 0) return "record";
	if (strcmp(table, "nodes") == 0) return "peer";
	if (strcmp(table, "audit") == 0) return "audit";
	return NULL;  /* revoked: the peer's UPDATE says it */
}

/* Who may see an event of this kind: the policy of the GET route that
 * lists such objects (router.c: /zones and /records READ, /peers and
 * /audit MESH_READ). */
static api_policy policy_of(const char *kind)
{
	if (strcmp(kind, "peer") == 0 || strcmp(kind, "audit") == 0)
		return API_P_MESH_READ;
	return API_P_READ;
}

/* Under ev->lock. */
static bool anyone_sees(const struct api_events *ev, api_policy need)
{
	for (const api_sub *s = ev->subs; s; s = s->next)
		if (!s->ended && sub_may_see(s, need)) return true;
	return false;
}

/* One row of the change log as an event. */
static void emit(struct api_events *ev, const char *table, const char *op,
                 int64_t id, int64_t zone_id, const char *zname)
{
	const char *kind = kind_of(table);
	if (!kind) return;
	/* A bulk import is the zone changing as a whole. */
	if (!strcmp(op, "RELOAD")) op = "UPDATE";
	api_policy need = policy_of(kind);
	pthread_mutex_lock(&ev->lock);
	bool nobody = !anyone_sees(ev, need);
	pthread_mutex_unlock(&ev->lock);
	bool gone = strcmp(op, "DELETE") == 0;
	if (!strcmp(kind, "zone") && zname) zcache_put(ev, id, zname);
	if (nobody) return;
	char zone[256];
	json_t *obj = load_object(ev, kind, id, zone_id, gone, zone,
	                          sizeof(zone));
	if (nobody) {
		json_decref(obj);
		return;
	}
	json_t *d = json_pack("{s:s,s:I,s:o,s:o}", "op", op, "id",
	                      (json_int_t)id, "zone",
	                      zone[0] ? json_string(zone) : json_null(),
	                      "object", obj ? obj : json_null());
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(d);
	size_t n = text ? strlen(text) + strlen(kind) + 24 : 0;
	char *msg = text ? malloc(n) : NULL;
	if (msg) {
		int k = snprintf(msg, n, "event: %s\ndata: %s\n\n", kind, text);
		broadcast(ev, need, msg, (size_t)k);
		atomic_fetch_add(&ev->n_sent, 1);
	}
	free(msg);
	free(text);
}

typedef struct {
	struct api_events *ev;
	int64_t last;
} log_ctx;

static int on_row(void *ctx, const sdns_store_logrow *r)
{
	log_ctx *c = ctx;
	c->last = r->seq;
	if (strcmp(r->tbl, "revoked") == 0) c->ev->revoked_changed = true;
	emit(c->ev, r->tbl, r->op, r->row_id, r->zone_id,
	     strcmp(r->tbl, "zones") ? NULL : r->name);
	return 0;
}

#define EV_LOG_ROWS 1000

/* Listener thread: the revoked table changed. The set comes from the
 * store itself, so the streams end now, whatever the daemon's own copy
 * says yet; on failure the flag stays and the next change retries (the
 * ticker's is_revoked sweep covers the meantime). */
static void close_revoked(struct api_events *ev, sdns_store *db)
{
	sdns_revoked *set = NULL;
	sdns_store_err err;
	if (sdns_store_load_revoked(db, &set, &err) != SDNS_OK) return;
	ev->revoked_changed = false;
	end_revoked(ev, in_set, set);
	sdns_revoked_free(set);
}

/* A transaction committed from seq on: its rows and any before them that
 * were not read yet. With nobody subscribed the log is not read at all;
 * the next notification then starts from its own transaction. */
static void on_notify(void *ctx, int64_t seq, int64_t zone_id)
{
	(void)zone_id;
	struct api_events *ev = ctx;
	pthread_mutex_lock(&ev->lock);
	bool nobody = ev->subs == NULL;
	pthread_mutex_unlock(&ev->lock);
	if (nobody || ev->seq < 0) {
		ev->seq = seq > 0 ? seq - 1 : -1;
		if (nobody) return;
	}
	sdns_store *db = ev_db(ev);
	sdns_store_err err;
	if (!db) return;
	if (ev->seq < 0 && sdns_store_log_state(db, &ev->seq, NULL, &err) != SDNS_OK)
		return;
	size_t n = EV_LOG_ROWS;
	while (n == EV_LOG_ROWS) {
		log_ctx c = { ev, ev->seq };
		if (sdns_store_log_read(db, ev->seq, EV_LOG_ROWS, on_row, &c, &n,
		                        &err) != SDNS_OK)
			break;
		ev->seq = c.last;
	}
	if (ev->revoked_changed) close_revoked(ev, db);
}

static void on_resync(void *ctx)
{
	static const char m[] = "event: resync\ndata: {}\n\n";
	struct api_events *ev = ctx;
	json_t *idx = NULL, *v;
	const char *k;
	sdns_store_err err;
	sdns_store *db = ev_db(ev);
	if (db && sdns_store_log_state(db, &ev->seq, NULL, &err) != SDNS_OK)
		ev->seq = -1;
	if (db && sdns_store_zone_index(db, &idx, &err) == SDNS_OK) {
		ev->nzc = 0;
		json_object_foreach(idx, k, v) {
			if (ev->nzc == EV_ZCACHE_MAX) break;
			zcache_put(ev, strtoll(k, NULL, 10), json_string_value(v));
		}
	}
	json_decref(idx);
	if (db) close_revoked(ev, db);
	api_events_broadcast(ev, m, sizeof(m) - 1);
}

/* ---------- keepalive ---------- */

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	uint64_t ns = (uint64_t)ts->tv_nsec + (uint64_t)ms * 1000000u;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wakes every sweep period (or keepalive, when shorter): re-checks the
 * open streams against is_revoked, and queues the keepalive when due. */
static void *ticker(void *arg)
{
	static const char m[] = ": keepalive\n\n";
	struct api_events *ev = arg;
	unsigned step = ev->keepalive_ms < EV_SWEEP_MS ? ev->keepalive_ms
	                                               : EV_SWEEP_MS;
	uint64_t next_keepalive = mono_ms() + ev->keepalive_ms;
	pthread_mutex_lock(&ev->lock);
	while (!ev->stopping) {
		struct timespec ts;
		deadline_in(&ts, step);
		if (pthread_cond_timedwait(&ev->tick, &ev->lock, &ts) == 0 ||
		    ev->stopping)
			continue;
		pthread_mutex_unlock(&ev->lock);
		if (ev->cb.is_revoked) end_revoked(ev, by_callback, &ev->cb);
		if (mono_ms() >= next_keepalive) {
			api_events_broadcast(ev, m, sizeof(m) - 1);
			next_keepalive = mono_ms() + ev->keepalive_ms;
		}
		pthread_mutex_lock(&ev->lock);
	}
	pthread_mutex_unlock(&ev->lock);
	return NULL;
}

/* ---------- life cycle ---------- */

int api_events_start(sdns_api *api, const sdns_api_conf *conf)
{
	struct api_events *ev = calloc(1, sizeof(*ev));
	if (!ev) return SDNS_ENOMEM;
	ev->max_subs = conf->max_subscribers ? conf->max_subscribers
	                                     : EV_MAX_SUBS;
	ev->max_per_id = conf->max_subscribers_per_identity
		? conf->max_subscribers_per_identity : ev->max_subs / 4;
	if (ev->max_per_id == 0) ev->max_per_id = 1;
	if (ev->max_per_id > ev->max_subs) ev->max_per_id = ev->max_subs;
	ev->cb = api->cb;
	ev->keepalive_ms = conf->keepalive_ms ? conf->keepalive_ms
	                                      : EV_KEEPALIVE_MS;
	/* A write is activity: keep idle streams inside MHD's timeout. */
	unsigned idle_ms = (conf->timeout_s ? conf->timeout_s : 30) * 1000u;
	if (ev->keepalive_ms >= idle_ms) ev->keepalive_ms = idle_ms / 2;
	ev->buf_cap = conf->sub_buffer ? conf->sub_buffer : EV_SUB_BUFFER;
	ev->conninfo = strdup(api->conninfo);
	ev->zc = calloc(EV_ZCACHE_MAX, sizeof(*ev->zc));
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->tick, &ca);
	pthread_condattr_destroy(&ca);
	api->events = ev;
	if (!ev->conninfo || !ev->zc) return SDNS_ENOMEM;
	if (pthread_create(&ev->ticker, NULL, ticker, ev) != 0)
		return SDNS_ENOMEM;
	ev->ticker_started = true;
	ev->seq = -1;
	sdns_store_listen_cb cb = {.on_notify = on_notify,
	                           .on_resync = on_resync};
	return sdns_store_listener_start(ev->conninfo, &cb, ev, &ev->listener);
}

void api_events_shutdown(sdns_api *api)
{
	struct api_events *ev = api->events;
	if (!ev) return;
	sdns_store_listener_stop(ev->listener);
	ev->listener = NULL;
	pthread_mutex_lock(&ev->lock);
	ev->stopping = true;
	pthread_cond_broadcast(&ev->tick);
	/* MHD must not be stopped with suspended connections. */
	for (api_sub *s = ev->subs; s; s = s->next) sub_wake(s);
	pthread_mutex_unlock(&ev->lock);
	if (ev->ticker_started) pthread_join(ev->ticker, NULL);
	ev->ticker_started = false;
}

void api_events_free(sdns_api *api)
{
	struct api_events *ev = api->events;
	if (!ev) return;
	api_events_shutdown(api);
	sdns_store_close(ev->db);
	pthread_cond_destroy(&ev->tick);
	pthread_mutex_destroy(&ev->lock);
	free(ev->conninfo);
	free(ev->zc);
	free(ev);
	api->events = NULL;
}

void api_events_counts(const sdns_api *api, unsigned long *subs,
                       unsigned long *sent, unsigned long *dropped,
                       unsigned long *revoked)
{
	struct api_events *ev = api->events;
	*subs = *sent = *dropped = *revoked = 0;
	if (!ev) return;
	pthread_mutex_lock(&ev->lock);
	*subs = ev->n_subs;
	pthread_mutex_unlock(&ev->lock);
	*sent = atomic_load(&ev->n_sent);
	*dropped = atomic_load(&ev->n_dropped);
	*revoked = atomic_load(&ev->n_closed_revoked);
}
