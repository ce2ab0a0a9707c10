/* One thread per peer owning one persistent DoQ client: jobs arrive in a
 * mailbox (eventfd wakes the client's poll), answers go back through
 * mesh_job_done. A failed connect puts the peer in backoff (exponential,
 * jittered), during which resolutions skip it and its queued queries fail
 * at once, so a dead peer costs no latency once detected. NOTIFYs wait
 * through the backoff instead: a peer that was unreachable when a zone
 * changed still has to hear of it.
 *
 * The mailbox is bounded: at most conf.peer_queue queries wait (a stuck
 * peer must not grow memory), and at most one NOTIFY per zone (the newer
 * replaces the older). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "sdns/doq.h"
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/log.h"
#include "mesh_int.h"

#define POLL_IDLE_MS 1000

void mesh_job_free(mesh_job *j)
{
	if (!j) return;
	free(j->wire);
	free(j);
}

static void wake(mesh_peer *p)
{
	uint64_t one = 1;
	ssize_t w = write(p->efd, &one, sizeof one);
	(void)w; /* a full counter still wakes the reader */
}

static void drain(mesh_peer *p)
{
	uint64_t v;
	ssize_t r = read(p->efd, &v, sizeof v);
	(void)r;
}

/* A NOTIFY for j's zone already queued takes j's message when j is the
 * newer one; either way j is freed. Under p->mu. */
static bool merge_notify(mesh_peer *p, mesh_job *j)
{
	for (mesh_job *q = p->q_head; q; q = q->next) {
		if (q->kind != MESH_JOB_NOTIFY || !sdns_name_eq_ci(&q->apex, &j->apex))
			continue;
		if (j->seq > q->seq) {
			mesh_job *next = q->next;
			uint8_t *old = q->wire;
			*q = *j;
			q->next = next;
			j->wire = old;
		}
		mesh_job_free(j);
		return true;
	}
	return false;
}

static void append(mesh_peer *p, mesh_job *j)
{
	if (p->q_tail) p->q_tail->next = j;
	else p->q_head = j;
	p->q_tail = j;
	if (j->kind == MESH_JOB_QUERY) p->q_len++;
}

int mesh_peer_push(mesh_peer *p, mesh_job *j)
{
	j->next = NULL;
	int rc = SDNS_OK;
	bool first_refusal = false;
	pthread_mutex_lock(&p->mu);
	if (p->stop) {
		rc = SDNS_ECLOSED;
	} else if (j->kind == MESH_JOB_NOTIFY && merge_notify(p, j)) {
		rc = SDNS_OK;
	} else if (j->kind == MESH_JOB_QUERY &&
	           p->q_len >= p->m->conf.peer_queue) {
		rc = SDNS_ELIMIT;
		first_refusal = !p->q_full;
		p->q_full = true;
	} else {
		append(p, j);
	}
	pthread_mutex_unlock(&p->mu);
	if (first_refusal)
		sdns_log(SDNS_LOG_WARN, "mesh_queue_full", "peer=%s max=%zu "
		         "action=refuse_jobs", p->info.name, p->m->conf.peer_queue);
	if (rc == SDNS_OK) wake(p);
	return rc;
}

/* Under p->mu: take j (q_head or after prev) out of the queue. */
static void unlink_job(mesh_peer *p, mesh_job *prev, mesh_job *j)
{
	if (prev) prev->next = j->next;
	else p->q_head = j->next;
	if (p->q_tail == j) p->q_tail = prev;
	j->next = NULL;
	if (j->kind != MESH_JOB_QUERY) return;
	p->q_len--;
	if (p->q_len <= p->m->conf.peer_queue / 2) p->q_full = false;
}

static mesh_job *pop(mesh_peer *p)
{
	pthread_mutex_lock(&p->mu);
	mesh_job *j = p->q_head;
	if (j) unlink_job(p, NULL, j);
	pthread_mutex_unlock(&p->mu);
	return j;
}

static bool stopping(mesh_peer *p)
{
	pthread_mutex_lock(&p->mu);
	bool s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s;
}

bool mesh_peer_in_backoff(const mesh_peer *p)
{
	uint64_t until = atomic_load(&p->down_until_ns);
	return until && mesh_mono_ns() < until;
}

bool mesh_peer_known_down(const mesh_peer *p)
{
	return atomic_load(&p->down_until_ns) && !atomic_load(&p->up);
}

static void fail_list(mesh_peer *p, mesh_job *j, int status)
{
	while (j) {
		mesh_job *next = j->next;
		mesh_job_done(p->m, p, j, status, NULL, 0);
		j = next;
	}
}

/* Fail what is queued: every job, or only the queries (the NOTIFYs stay
 * for the next connection). Returns how many NOTIFYs stayed. */
static size_t fail_queued(mesh_peer *p, int status, bool queries_only)
{
	mesh_job *out = NULL, **tail = &out;
	size_t kept = 0;
	pthread_mutex_lock(&p->mu);
	for (mesh_job *prev = NULL, *j = p->q_head, *next; j; j = next) {
		next = j->next;
		if (queries_only && j->kind != MESH_JOB_QUERY) {
			kept++;
			prev = j;
			continue;
		}
		unlink_job(p, prev, j);
		*tail = j;
		tail = &j->next;
	}
	pthread_mutex_unlock(&p->mu);
	fail_list(p, out, status);
	return kept;
}

static int connect_peer(mesh_peer *p, sdns_doq_client **out)
{
	const sdns_mesh *m = p->m;
	char uri[SDNS_ID_URI_MAX], err[256];
	int rc = sdns_identity_format_uri(SDNS_ROLE_NODE, m->mesh, p->info.name,
	                                  uri, sizeof uri);
	if (rc) return rc;
	sdns_doq_client_conf cc = {
		.server = p->info.endpoint,
		.ca_path = m->ca, .cert_path = m->cert, .key_path = m->key,
		.timeout_ms = m->conf.timeout_ms,
		.expect_uri = uri, /* peers are known by SPIFFE id */
	};
	rc = sdns_doq_client_connect(&cc, out, err, sizeof err);
	if (rc)
		sdns_log(SDNS_LOG_WARN, "mesh_connect_failed", "peer=%s endpoint=%s "
		         "reason=\"%s\"", p->info.name, p->info.endpoint, err);
	else
		sdns_log(SDNS_LOG_INFO, "mesh_connected", "peer=%s endpoint=%s",
		         p->info.name, p->info.endpoint);
	return rc;
}

static uint32_t next_backoff(const sdns_mesh *m, uint32_t cur)
{
	uint32_t b = cur ? cur * 2 : m->conf.backoff_min_ms;
	if (b > m->conf.backoff_max_ms) b = m->conf.backoff_max_ms;
	return b;
}

/* Half to all of b, so that peers restarted together do not reconnect in
 * lock step. */
static uint32_t jitter(uint32_t b)
{
	return b / 2 + (b > 1 ? arc4random_uniform(b / 2 + 1) : 0);
}

static void wait_wake(mesh_peer *p, uint32_t ms)
{
	struct pollfd pfd = { .fd = p->efd, .events = POLLIN };
	if (poll(&pfd, 1, (int)ms) > 0) drain(p);
}

typedef struct {
	mesh_peer *p;
	mesh_job *sent;
} peer_io;

static void on_resp(void *ctx, int64_t stream_id, int status,
                    uint64_t app_error, const uint8_t *resp, size_t len)
{
	(void)app_error;
	peer_io *io = ctx;
	for (mesh_job **pp = &io->sent; *pp; pp = &(*pp)->next) {
		mesh_job *j = *pp;
		if (j->stream != stream_id) continue;
		*pp = j->next;
		j->next = NULL;
		mesh_job_done(io->p->m, io->p, j, status, resp, len);
		return;
	}
}

static void send_queued(peer_io *io, sdns_doq_client *c)
{
	bool queued = false;
	while (sdns_doq_client_streams_left(c) > 0) {
		mesh_job *j = pop(io->p);
		if (!j) break;
		j->sent_ns = mesh_mono_ns(); /* an attempt, even when it fails */
		if (sdns_doq_client_queue(c, j->wire, j->len, &j->stream)) {
			mesh_job_done(io->p->m, io->p, j, SDNS_ECLOSED, NULL, 0);
			continue;
		}
		j->next = io->sent;
		io->sent = j;
		queued = true;
	}
	if (queued) sdns_doq_client_flush(c);
}

/* A query unanswered for a whole resolution timeout: the peer vanished
 * without closing (killed, network gone). Waiting for the QUIC idle timeout
 * would make every resolution pay the full deadline meanwhile. */
static bool stalled(const peer_io *io)
{
	uint64_t limit = (uint64_t)io->p->m->conf.timeout_ms * 1000000u,
	         now = mesh_mono_ns();
	for (const mesh_job *j = io->sent; j; j = j->next)
		if (now - j->sent_ns > limit) return true;
	return false;
}

static void set_down(mesh_peer *p, uint32_t backoff_ms)
{
	atomic_store(&p->up, false);
	atomic_store(&p->down_until_ns,
	             mesh_mono_ns() + (uint64_t)backoff_ms * 1000000u);
}

static void *peer_main(void *arg)
{
	mesh_peer *p = arg;
	sdns_doq_client *c = NULL;
	peer_io io = { .p = p, .sent = NULL };
	uint32_t backoff = 0;
	while (!stopping(p)) {
		if (!c) {
			uint64_t until = atomic_load(&p->down_until_ns),
			         now = mesh_mono_ns();
			if (until > now) {
				/* In backoff: queries fail at once, NOTIFYs wait. */
				fail_queued(p, SDNS_EUNAVAIL, true);
				wait_wake(p, (uint32_t)((until - now) / 1000000u) + 1);
				continue;
			}
			if (connect_peer(p, &c)) {
				c = NULL;
				backoff = next_backoff(p->m, backoff);
				set_down(p, jitter(backoff));
				size_t waiting = fail_queued(p, SDNS_EUNAVAIL, true);
				if (waiting) mesh_notify_unsent(p->m, p, waiting);
				continue;
			}
			backoff = 0;
			atomic_store(&p->down_until_ns, 0);
			atomic_store(&p->up, true);
			sdns_doq_client_set_wake_fd(c, p->efd);
		}
		drain(p);
		send_queued(&io, c);
		bool gone = sdns_doq_client_poll(c, POLL_IDLE_MS, on_resp, &io) < 0;
		bool stall = !gone && stalled(&io);
		if (gone || stall) {
			/* Gone (idle timeout, peer restart): reconnect at once;
			 * only a failed connect or a stall means backoff. */
			if (stall)
				sdns_log(SDNS_LOG_WARN, "mesh_peer_stalled", "peer=%s",
				         p->info.name);
			sdns_doq_client_free(c);
			c = NULL;
			atomic_store(&p->up, false);
			fail_list(p, io.sent, SDNS_ECLOSED);
			io.sent = NULL;
			if (stall) {
				backoff = next_backoff(p->m, backoff);
				set_down(p, jitter(backoff));
			}
		}
	}
	fail_list(p, io.sent, SDNS_ECLOSED);
	fail_queued(p, SDNS_ECLOSED, false);
	sdns_doq_client_free(c);
	sdns_mesh *m = p->m;
	mesh_peer_unref(p);
	pthread_mutex_lock(&m->mu);
	m->threads--;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

mesh_peer *mesh_peer_start(sdns_mesh *m, const sdns_mesh_peer *info,
                           const sdns_name *apex, const sdns_dnssec_key *k)
{
	mesh_peer *p = calloc(1, sizeof *p);
	if (!p) return NULL;
	p->info = *info;
	p->apex = *apex;
	p->key = *k;
	p->m = m;
	p->refs = 2;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_lock(&m->mu);
	m->threads++;
	p->epoch = ++m->gen;
	pthread_mutex_unlock(&m->mu);
	if (pthread_create(&p->thr, NULL, peer_main, p)) {
		pthread_mutex_lock(&m->mu);
		m->threads--;
		pthread_mutex_unlock(&m->mu);
		close(p->efd);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	pthread_detach(p->thr);
	return p;
}

void mesh_peer_stop(mesh_peer *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	mesh_peer_unref(p);
}

void mesh_peer_unref(mesh_peer *p)
{
	pthread_mutex_lock(&p->mu);
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (!last) return;
	close(p->efd);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
