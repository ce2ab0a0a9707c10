/* Resolution: verified cache, coalescing of identical misses, fan-out to
 * the owner and the other live peers, first answer that validates against
 * the owner's key wins; the timer thread fails what runs out of time. What
 * of it may be cached is judged against the zone's freshness (zone.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sdns/error.h"
#include "sdns/log.h"
#include "sdns/msg.h"
#include "mesh_int.h"

#define CLASS_IN 1
#define QUERY_PAD 128   /* RFC 8467 §4.1 query block */
#define CACHE_STACK 4096
#define MESH_STALE 1    /* verdict: a copy older than the newest serial */

/* The peer owning qname's zone (longest apex wins: node names may hold
 * dots); NULL for our own names and non-mesh names. Under m->mu. */
static mesh_peer *owner_of(const sdns_mesh *m, const sdns_name *qname)
{
	if (sdns_name_is_sub_ci(qname, &m->self_apex)) return NULL;
	mesh_peer *best = NULL;
	for (size_t i = 0; i < m->npeers; i++) {
		mesh_peer *p = m->peers[i];
		if (sdns_name_is_sub_ci(qname, &p->apex) &&
		    (!best || p->apex.len > best->apex.len))
			best = p;
	}
	return best;
}

bool sdns_mesh_is_mesh_name(sdns_mesh *m, const sdns_name *qname)
{
	pthread_mutex_lock(&m->mu);
	bool r = owner_of(m, qname) != NULL;
	pthread_mutex_unlock(&m->mu);
	return r;
}

/* Cached answer for q shaped into out. SDNS_ENOTFOUND on a miss. */
static int from_cache(sdns_mesh *m, const mesh_q *q, uint8_t *out,
                      size_t cap, size_t *olen)
{
	uint8_t stack[CACHE_STACK], *buf = stack;
	size_t blen = 0;
	const sdns_cache_q cq = { .qname = &q->qname, .qtype = q->qtype,
	                          .qclass = q->qclass, .do_bit = true,
	                          .id = q->id, .rd = q->rd };
	uint64_t now = mesh_cache_ns(m);
	int rc = sdns_cache_lookup(m->cache, &cq, now, buf, sizeof stack, &blen,
	                           NULL);
	if (rc == SDNS_ESPACE) {
		buf = malloc(SDNS_MSG_MAX);
		rc = buf ? sdns_cache_lookup(m->cache, &cq, now, buf, SDNS_MSG_MAX,
		                             &blen, NULL)
		         : SDNS_ENOMEM;
	}
	if (!rc) rc = mesh_reply_adapt(q, buf, blen, m->conf.pad_block, out,
	                               cap, olen);
	if (buf != stack) free(buf);
	return rc;
}

static bool is_mesh_q(sdns_mesh *m, const mesh_q *q)
{
	return q->qclass == CLASS_IN && sdns_mesh_is_mesh_name(m, &q->qname);
}

int sdns_mesh_answer_cached(sdns_mesh *m, const uint8_t *query, size_t len,
                            uint8_t *resp, size_t cap, size_t *resp_len)
{
	mesh_q q;
	if (mesh_q_from_query(query, len, &q)) return SDNS_EMALF;
	if (!is_mesh_q(m, &q)) return SDNS_ENOTFOUND;
	int rc = from_cache(m, &q, resp, cap, resp_len);
	if (!rc) atomic_fetch_add_explicit(&m->cache_hits, 1, memory_order_relaxed);
	return rc;
}

/* --- pending resolutions (all under m->mu) --- */

/* Only a miss asked since the zone's last invalidation is joined: one
 * asked before may bring back what the invalidation replaced. */
static mesh_pending *find_pending(sdns_mesh *m, const sdns_name *key,
                                  uint16_t qtype, uint16_t qclass,
                                  uint64_t epoch)
{
	for (mesh_pending *p = m->pend; p; p = p->next)
		if (p->qtype == qtype && p->qclass == qclass && p->epoch == epoch &&
		    sdns_name_eq_ci(&p->key, key))
			return p;
	return NULL;
}

static int add_waiter(mesh_pending *p, const mesh_q *q, sdns_mesh_cb cb,
                      void *ctx)
{
	if (p->nw == p->capw) {
		size_t nc = p->capw ? p->capw * 2 : 4;
		mesh_waiter *w = realloc(p->w, nc * sizeof *w);
		if (!w) return SDNS_ENOMEM;
		p->w = w;
		p->capw = nc;
	}
	p->w[p->nw++] = (mesh_waiter){ .q = *q, .cb = cb, .ctx = ctx };
	return SDNS_OK;
}

static void link_pending(sdns_mesh *m, mesh_pending *p)
{
	p->prev = NULL;
	p->next = m->pend;
	if (m->pend) m->pend->prev = p;
	m->pend = p;
}

static void unlink_pending(sdns_mesh *m, mesh_pending *p)
{
	if (p->prev) p->prev->next = p->next;
	else m->pend = p->next;
	if (p->next) p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->done = true;
}

void mesh_pending_unref(sdns_mesh *m, mesh_pending *p)
{
	pthread_mutex_lock(&m->mu);
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&m->mu);
	if (!last) return;
	free(p->w);
	free(p);
}

static mesh_pending *new_pending(sdns_mesh *m, const mesh_q *q,
                                 const mesh_peer *owner)
{
	mesh_pending *p = calloc(1, sizeof *p);
	if (!p) return NULL;
	p->refs = 1; /* the table's */
	p->key = q->qname;
	sdns_name_lower(&p->key);
	p->qtype = q->qtype;
	p->qclass = q->qclass;
	p->apex = owner->apex;
	p->owner_key = owner->key;
	p->epoch = owner->epoch;
	p->deadline_ns = mesh_mono_ns() + (uint64_t)m->conf.timeout_ms * 1000000u;
	return p;
}

static mesh_job *query_job(const mesh_pending *p)
{
	mesh_job *j = calloc(1, sizeof *j);
	uint8_t *w = malloc(SDNS_NAME_MAX + 256);
	const sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = true };
	size_t len = 0;
	if (!j || !w || sdns_msg_make_query(w, SDNS_NAME_MAX + 256, &len, 0,
	                                    &p->key, p->qtype, false, &e,
	                                    QUERY_PAD)) {
		free(j), free(w);
		return NULL;
	}
	j->kind = MESH_JOB_QUERY;
	j->wire = w;
	j->len = len;
	return j;
}

/* Owner first, then every other peer not in backoff. Under m->mu. */
static void fan_out(sdns_mesh *m, mesh_pending *p, mesh_peer *owner)
{
	for (size_t i = 0; i <= m->npeers; i++) {
		mesh_peer *peer = i == 0 ? owner : m->peers[i - 1];
		if ((i > 0 && peer == owner) || mesh_peer_in_backoff(peer)) continue;
		mesh_job *j = query_job(p);
		if (!j) break;
		j->p = p;
		p->refs++;
		p->outstanding++;
		int rc = mesh_peer_push(peer, j);
		if (rc == SDNS_OK) {
			m->st.upstream++;
			continue;
		}
		if (rc == SDNS_ELIMIT) m->st.queue_drops++;
		p->refs--;
		p->outstanding--;
		mesh_job_free(j);
	}
}

/* Under m->mu: join a miss in flight or start one. *fail_now: nobody could
 * be asked (p returned, unlinked, for mesh_pending_fail). */
static int start_or_join(sdns_mesh *m, const mesh_q *q, sdns_mesh_cb cb,
                         void *ctx, mesh_pending **fail_now)
{
	mesh_peer *owner = owner_of(m, &q->qname);
	if (!owner) return SDNS_ENOTFOUND;
	mesh_pending *p = find_pending(m, &q->qname, q->qtype, q->qclass,
	                               owner->epoch);
	if (p) {
		m->st.coalesced++;
		return add_waiter(p, q, cb, ctx);
	}
	p = new_pending(m, q, owner);
	if (!p || add_waiter(p, q, cb, ctx)) {
		if (p) free(p->w);
		free(p);
		return SDNS_ENOMEM;
	}
	link_pending(m, p);
	fan_out(m, p, owner);
	if (p->outstanding == 0) {
		snprintf(p->why, sizeof p->why, "no reachable mesh peer");
		unlink_pending(m, p);
		*fail_now = p;
	}
	pthread_cond_broadcast(&m->cv);
	return SDNS_OK;
}

int sdns_mesh_resolve(sdns_mesh *m, const uint8_t *query, size_t len,
                      sdns_mesh_cb cb, void *ctx)
{
	mesh_q q;
	if (!cb || mesh_q_from_query(query, len, &q)) return SDNS_EMALF;
	if (!is_mesh_q(m, &q)) return SDNS_ENOTFOUND;
	uint8_t out[CACHE_STACK];
	size_t olen = 0;
	atomic_fetch_add_explicit(&m->resolves, 1, memory_order_relaxed);
	if (from_cache(m, &q, out, sizeof out, &olen) == SDNS_OK) {
		atomic_fetch_add_explicit(&m->cache_hits, 1, memory_order_relaxed);
		cb(ctx, out, olen);
		return SDNS_OK;
	}
	mesh_pending *fail = NULL;
	pthread_mutex_lock(&m->mu);
	int rc = start_or_join(m, &q, cb, ctx, &fail);
	pthread_mutex_unlock(&m->mu);
	if (fail) {
		mesh_pending_fail(m, fail);
		mesh_pending_unref(m, fail);
	}
	return rc;
}

/* --- outcomes --- */

static void deliver(sdns_mesh *m, mesh_pending *p, const uint8_t *resp,
                    size_t len)
{
	uint8_t *out = malloc(SDNS_MSG_MAX);
	for (size_t i = 0; i < p->nw; i++) {
		const mesh_waiter *w = &p->w[i];
		size_t olen = 0;
		int rc = out ? mesh_reply_adapt(&w->q, resp, len, m->conf.pad_block,
		                                out, SDNS_MSG_MAX, &olen)
		             : SDNS_ENOMEM;
		if (rc && out)
			rc = mesh_reply_fail(&w->q, SDNS_EDE_OTHER, "answer too large",
			                     m->conf.pad_block, out, SDNS_MSG_MAX, &olen);
		w->cb(w->ctx, rc ? NULL : out, rc ? 0 : olen);
	}
	free(out);
}

void mesh_pending_fail(sdns_mesh *m, mesh_pending *p)
{
	uint16_t ede = p->bogus_seen ? SDNS_EDE_DNSSEC_BOGUS
	                             : SDNS_EDE_NO_REACHABLE_AUTHORITY;
	const char *why = p->why[0] ? p->why : "no mesh peer answered in time";
	pthread_mutex_lock(&m->mu);
	m->st.servfail++;
	pthread_mutex_unlock(&m->mu);
	uint8_t out[1024];
	for (size_t i = 0; i < p->nw; i++) {
		const mesh_waiter *w = &p->w[i];
		size_t olen = 0;
		int rc = mesh_reply_fail(&w->q, ede, why, m->conf.pad_block, out,
		                         sizeof out, &olen);
		w->cb(w->ctx, rc ? NULL : out, rc ? 0 : olen);
	}
}

/* The owner's SOA serial an answer carries (negative answers: in
 * authority), once the whole answer verified. */
typedef struct {
	bool has;
	uint32_t serial;
} mesh_serial;

/* SDNS_OK: the answer to p's question, validated against the owner's key
 * and cut down to what verified (*copy, malloc'd: the signed RRsets alone,
 * TTLs clamped to their signatures; *sv: its SOA serial, if any);
 * SDNS_EBOGUS: it did not validate; anything else: not an answer (REFUSED
 * from a peer that does not hold the name, a broken message). */
static int check_answer(const mesh_pending *p, const uint8_t *resp,
                        size_t len, char *why, size_t cap, mesh_serial *sv,
                        uint8_t **copy, size_t *copy_len)
{
	sv->has = false;
	*copy = NULL;
	sdns_msg r;
	int rc = sdns_msg_parse(resp, len, &r);
	if (rc) {
		snprintf(why, cap, "malformed answer");
		return SDNS_EPROTO;
	}
	unsigned rcode = SDNS_RCODE(r.flags);
	bool ok = (r.flags & SDNS_F_QR) && !(r.flags & SDNS_F_TC) &&
	          SDNS_OPCODE(r.flags) == SDNS_OP_QUERY && r.qdcount == 1 &&
	          r.qtype == p->qtype && r.qclass == p->qclass &&
	          sdns_name_eq_ci(&r.qname, &p->key) &&
	          (rcode == SDNS_RC_NOERROR || rcode == SDNS_RC_NXDOMAIN);
	sdns_msg_free(&r);
	if (!ok) {
		snprintf(why, cap, "peer gave no answer (rcode %u)", rcode);
		return SDNS_EPROTO;
	}
	uint8_t *out = malloc(SDNS_MSG_MAX);
	if (!out) {
		snprintf(why, cap, "out of memory");
		return SDNS_ENOMEM;
	}
	rc = sdns_dnssec_verified_copy(&p->owner_key, &p->apex, resp, len,
	                               (uint32_t)time(NULL), out, SDNS_MSG_MAX,
	                               copy_len, why, cap);
	/* The serial comes from the copy: only a signed SOA may move it. */
	if (rc == SDNS_OK && sdns_msg_parse(out, *copy_len, &r) == SDNS_OK) {
		sv->has = mesh_soa_serial(&r, &p->apex, &sv->serial) == SDNS_OK;
		sdns_msg_free(&r);
	} else if (rc == SDNS_OK) {
		rc = SDNS_EMALF;
	}
	if (rc) {
		free(out);
		return SDNS_EBOGUS;
	}
	*copy = out;
	return SDNS_OK;
}

/* What a verified answer may do. */
enum {
	USE_FILL,       /* answer and cache */
	USE_IF_WON,     /* another peer's copy, the owner known to be down:
	                   cache it only when it is the answer given */
	USE_COPY,       /* another peer's copy, the owner up: answer only */
	USE_LATE,       /* the zone was invalidated meanwhile: answer only */
	USE_NEWER,      /* newer serial than known: the zone is invalidated
	                   now; answer only */
	USE_RESET,      /* the owner, asked after its last NOTIFY, is at an
	                   older serial than known: the zone was made again.
	                   Believed, invalidated now; answer only */
	USE_STALE,      /* another peer's copy older than the newest serial,
	                   or without the owner's signed SOA: neither */
};

/* Under fill_mu and m->mu. USE_NEWER has moved the zone's epoch on; the
 * caller drops its copies before letting go of fill_mu. */
static int judge(sdns_mesh *m, const mesh_pending *p, const mesh_peer *from,
                 const mesh_serial *sv)
{
	mesh_peer *z = mesh_zone_peer(m, &p->apex);
	bool owner = sdns_name_eq_ci(&from->apex, &p->apex);
	if (!z) return USE_LATE; /* the owner left the set meanwhile */
	/* A copy must say which version of the zone it is from: without the
	 * owner's signed SOA it could be any data signed within the
	 * signatures' validity. */
	if (!owner && !sv->has) return USE_STALE;
	if (sv->has && z->has_serial && mesh_serial_newer(z->serial, sv->serial)) {
		if (!owner) return USE_STALE;
		if (p->epoch != z->epoch) return USE_LATE;
		mesh_zone_set_serial(m, z, sv->serial);
		z->epoch = ++m->gen;
		return USE_RESET;
	}
	if (sv->has && z->has_serial && mesh_serial_newer(sv->serial, z->serial)) {
		mesh_zone_bump(m, z, true, sv->serial);
		return USE_NEWER;
	}
	if (sv->has && !z->has_serial) mesh_zone_set_serial(m, z, sv->serial);
	if (p->epoch != z->epoch) return USE_LATE;
	if (owner) return USE_FILL;
	return mesh_peer_known_down(z) ? USE_IF_WON : USE_COPY;
}

static void count_use(sdns_mesh *m, int use)
{
	m->st.late += use == USE_LATE;
	m->st.stale += use == USE_STALE;
	m->st.copies_uncached += use == USE_COPY;
	m->st.serial_drops += use == USE_NEWER || use == USE_RESET;
}

/* The events worth a line: an answer overtaken by an invalidation, a copy
 * found stale, a NOTIFY missed or late (a newer serial seen first), an
 * owner whose serial went back. */
static void log_use(const mesh_peer *peer, const mesh_pending *p, int use,
                    const mesh_serial *sv, size_t dropped)
{
	if (use != USE_LATE && use != USE_STALE && use != USE_NEWER &&
	    use != USE_RESET)
		return;
	char q[SDNS_NAME_STR_MAX], z[SDNS_NAME_STR_MAX];
	sdns_name_to_str(&p->key, q, sizeof q);
	sdns_name_to_str(&p->apex, z, sizeof z);
	long long serial = sv->has ? (long long)sv->serial : -1LL;
	if (use == USE_LATE)
		sdns_log(SDNS_LOG_INFO, "mesh_answer_late", "peer=%s zone=%s "
		         "qname=%s serial=%lld action=not_cached", peer->info.name, z,
		         q, serial);
	else if (use == USE_STALE)
		sdns_log(SDNS_LOG_INFO, "mesh_copy_stale", "peer=%s zone=%s "
		         "qname=%s serial=%lld action=ignored", peer->info.name, z, q,
		         serial);
	else
		sdns_log(use == USE_RESET ? SDNS_LOG_WARN : SDNS_LOG_INFO,
		         use == USE_RESET ? "mesh_serial_reset" : "mesh_serial_newer",
		         "peer=%s zone=%s serial=%lld dropped=%zu", peer->info.name, z,
		         serial, dropped);
}

/* Under m->mu: account one job's outcome; what to do after unlocking. */
enum { AFTER_NONE, AFTER_DELIVER, AFTER_FAIL };
static int account(sdns_mesh *m, mesh_pending *p, int verdict,
                   const char *why)
{
	if (verdict == SDNS_OK) m->st.verified++;
	if (verdict == SDNS_EBOGUS) m->st.bogus++;
	if (p->done) return AFTER_NONE;
	p->outstanding--;
	if (verdict == SDNS_EBOGUS) {
		p->bogus_seen = true;
		snprintf(p->why, sizeof p->why, "%s", why);
	} else if (verdict != SDNS_OK && !p->bogus_seen) {
		snprintf(p->why, sizeof p->why, "%s", why);
	}
	if (verdict == SDNS_OK) {
		unlink_pending(m, p);
		return AFTER_DELIVER;
	}
	if (p->outstanding > 0) return AFTER_NONE;
	unlink_pending(m, p);
	return AFTER_FAIL;
}

void mesh_job_done(sdns_mesh *m, mesh_peer *peer, mesh_job *j, int status,
                   const uint8_t *resp, size_t len)
{
	if (j->kind == MESH_JOB_NOTIFY) {
		mesh_notify_done(m, peer, j, status, resp, len);
		return;
	}
	mesh_pending *p = j->p;
	char why[96] = "";
	mesh_serial sv = { false, 0 };
	int verdict = SDNS_ECLOSED;
	uint8_t *copy = NULL;
	if (status == SDNS_OK && resp)
		verdict = check_answer(p, resp, len, why, sizeof why, &sv, &copy,
		                       &len);
	else
		snprintf(why, sizeof why, "peer %s unreachable", peer->info.name);
	resp = copy; /* from here on only what verified */
	/* Only a verified answer may touch the cache, so only it is ordered
	 * against invalidations. The cache's clock is read before fill_mu: a
	 * test clock may act. */
	bool judged = verdict == SDNS_OK;
	uint64_t now = judged ? mesh_cache_ns(m) : 0;
	if (judged) pthread_mutex_lock(&m->fill_mu);
	pthread_mutex_lock(&m->mu);
	int use = judged ? judge(m, p, peer, &sv) : USE_LATE;
	if (verdict == SDNS_OK && use == USE_STALE) {
		verdict = MESH_STALE;
		if (sv.has)
			snprintf(why, sizeof why, "stale copy from peer %.32s (serial "
			         "%u, %u known)", peer->info.name, (unsigned)sv.serial,
			         (unsigned)mesh_zone_serial(m, &p->apex));
		else
			snprintf(why, sizeof why, "copy from peer %.32s without the "
			         "owner's signed SOA", peer->info.name);
	}
	int after = account(m, p, verdict, why);
	if (judged) count_use(m, use);
	bool fill = verdict == SDNS_OK &&
	            (use == USE_FILL || (use == USE_IF_WON &&
	                                 after == AFTER_DELIVER));
	pthread_mutex_unlock(&m->mu);
	size_t dropped = 0;
	if (judged && (use == USE_NEWER || use == USE_RESET))
		dropped = sdns_cache_drop_zone(m->cache, &p->apex);
	if (fill) sdns_cache_insert(m->cache, true, resp, len, now, NULL);
	if (judged) pthread_mutex_unlock(&m->fill_mu);
	if (judged) log_use(peer, p, use, &sv, dropped);
	if (after == AFTER_DELIVER) deliver(m, p, resp, len);
	if (after == AFTER_FAIL) mesh_pending_fail(m, p);
	if (after != AFTER_NONE) mesh_pending_unref(m, p); /* the table's */
	mesh_pending_unref(m, p);                          /* the job's */
	mesh_job_free(j);
	free(copy);
}

/* --- the timer thread --- */

/* Unlink every pending past its deadline (all when stopping) into a list
 * chained by next; *next_ns = the earliest deadline left. Under m->mu. */
static mesh_pending *take_expired(sdns_mesh *m, uint64_t now,
                                  uint64_t *next_ns)
{
	mesh_pending *out = NULL, *p = m->pend;
	*next_ns = UINT64_MAX;
	while (p) {
		mesh_pending *next = p->next;
		if (m->stopping || p->deadline_ns <= now) {
			unlink_pending(m, p);
			p->next = out;
			out = p;
		} else if (p->deadline_ns < *next_ns) {
			*next_ns = p->deadline_ns;
		}
		p = next;
	}
	return out;
}

static void wait_until(sdns_mesh *m, uint64_t ns)
{
	if (ns == UINT64_MAX) {
		pthread_cond_wait(&m->cv, &m->mu);
		return;
	}
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
	                       .tv_nsec = (long)(ns % 1000000000u) };
	pthread_cond_timedwait(&m->cv, &m->mu, &ts);
}

void *mesh_timer_main(void *arg)
{
	sdns_mesh *m = arg;
	pthread_mutex_lock(&m->mu);
	for (;;) {
		uint64_t next_ns;
		bool stop = m->stopping;
		mesh_pending *exp = take_expired(m, mesh_mono_ns(), &next_ns);
		if (exp) {
			pthread_mutex_unlock(&m->mu);
			while (exp) {
				mesh_pending *n = exp->next;
				mesh_pending_fail(m, exp);
				mesh_pending_unref(m, exp);
				exp = n;
			}
			pthread_mutex_lock(&m->mu);
			continue;
		}
		if (stop) break;
		uint64_t now = mesh_mono_ns();
		if (m->save_due_ns && m->save_due_ns <= now) {
			pthread_mutex_unlock(&m->mu);
			mesh_state_flush(m);
			pthread_mutex_lock(&m->mu);
			continue;
		}
		if (m->save_due_ns && m->save_due_ns < next_ns)
			next_ns = m->save_due_ns;
		wait_until(m, next_ns);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}
