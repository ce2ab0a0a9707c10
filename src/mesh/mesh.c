/* The mesh object: configuration and the peer set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/log.h"
#include "sdns/msg.h"
#include "mesh_int.h"

uint64_t mesh_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mesh_cache_ns(const sdns_mesh *m)
{
	return m->conf.clock_ns ? m->conf.clock_ns() : mesh_mono_ns();
}

static int say(char *err, size_t cap, int rc, const char *what)
{
	if (err && cap) snprintf(err, cap, "%s", what);
	return rc;
}

/* "<label>.<mesh>." as a name. */
/* A node's zone is <label>.<mesh>; a dotted label (from a row of the
 * database, say) would nest inside another node's zone and take its names. */
static int zone_of(const char *label, const char *mesh, sdns_name *out)
{
	if (sdns_identity_check_name(SDNS_ROLE_NODE, label, strlen(label)) < 0)
		return SDNS_ENAME;
	char text[160];
	int n = snprintf(text, sizeof text, "%s.%s.", label, mesh);
	if (n < 0 || (size_t)n >= sizeof text) return SDNS_ENAME;
	return sdns_name_from_str(out, text, (size_t)n, NULL);
}

static void conf_defaults(sdns_mesh_conf *c)
{
	if (!c->timeout_ms) c->timeout_ms = 1500;
	if (!c->backoff_min_ms) c->backoff_min_ms = 100;
	if (!c->backoff_max_ms) c->backoff_max_ms = 5000;
	if (c->backoff_max_ms < c->backoff_min_ms)
		c->backoff_max_ms = c->backoff_min_ms;
	if (!c->cache_entries) c->cache_entries = 10000;
	if (!c->peer_queue) c->peer_queue = 1024;
}

static int check_conf(const sdns_mesh_conf *c, char *err, size_t cap)
{
	if (!c->mesh || !c->self || !c->ca_path || !c->cert_path || !c->key_path)
		return say(err, cap, SDNS_EINVAL,
		           "mesh: mesh, self, ca, cert and key are required");
	if (sdns_identity_check_part(c->mesh, strlen(c->mesh)) ||
	    sdns_identity_check_part(c->self, strlen(c->self)))
		return say(err, cap, SDNS_EINVAL, "mesh: bad mesh or node name");
	return SDNS_OK;
}

static int make_cache(sdns_mesh *m)
{
	sdns_cache_conf cc;
	sdns_cache_conf_default(&cc);
	cc.max_entries = m->conf.cache_entries;
	cc.servfail_ttl = 0;
	return sdns_cache_new(&cc, &m->cache);
}

static int start_timer(sdns_mesh *m)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &a);
	pthread_condattr_destroy(&a);
	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->fill_mu, NULL);
	pthread_mutex_init(&m->set_mu, NULL);
	return pthread_create(&m->timer, NULL, mesh_timer_main, m) ? SDNS_ENOMEM
	                                                          : SDNS_OK;
}

int sdns_mesh_new(const sdns_mesh_conf *c, sdns_mesh **out, char *err,
                  size_t err_cap)
{
	*out = NULL;
	int rc = check_conf(c, err, err_cap);
	if (rc) return rc;
	sdns_mesh *m = calloc(1, sizeof *m);
	if (!m) return say(err, err_cap, SDNS_ENOMEM, "out of memory");
	m->conf = *c;
	conf_defaults(&m->conf);
	snprintf(m->mesh, sizeof m->mesh, "%s", c->mesh);
	snprintf(m->self, sizeof m->self, "%s", c->self);
	m->conf.mesh = m->mesh;
	m->conf.self = m->self;
	m->ca = strdup(c->ca_path);
	m->cert = strdup(c->cert_path);
	m->key = strdup(c->key_path);
	m->state_path = c->state_path ? strdup(c->state_path) : NULL;
	m->conf.state_path = m->state_path;
	rc = (!m->ca || !m->cert || !m->key ||
	      (c->state_path && !m->state_path)) ? SDNS_ENOMEM : SDNS_OK;
	if (!rc) {
		char t[80];
		int n = snprintf(t, sizeof t, "%s.", m->mesh);
		rc = sdns_name_from_str(&m->mesh_name, t, (size_t)n, NULL);
	}
	if (!rc) rc = zone_of(m->self, m->mesh, &m->self_apex);
	if (!rc) rc = make_cache(m);
	if (!rc) rc = mesh_state_load(m);
	if (rc) {
		sdns_cache_free(m->cache);
		free(m->marks), free(m->state_path);
		free(m->ca), free(m->cert), free(m->key), free(m);
		return say(err, err_cap, rc, "mesh: cannot set up");
	}
	rc = start_timer(m);
	if (rc) {
		pthread_cond_destroy(&m->cv);
		pthread_mutex_destroy(&m->mu);
		pthread_mutex_destroy(&m->fill_mu);
	pthread_mutex_destroy(&m->set_mu);
		sdns_cache_free(m->cache);
		free(m->marks), free(m->state_path);
		free(m->ca), free(m->cert), free(m->key), free(m);
		return say(err, err_cap, rc, "mesh: cannot start the timer");
	}
	*out = m;
	return SDNS_OK;
}

void sdns_mesh_free(sdns_mesh *m)
{
	if (!m) return;
	sdns_mesh_set_peers(m, NULL, 0);
	pthread_mutex_lock(&m->mu);
	while (m->threads) pthread_cond_wait(&m->cv, &m->mu);
	m->stopping = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->timer, NULL); /* fails what is still pending */
	if (m->save_due_ns) mesh_state_flush(m);
	free(m->peers);
	sdns_cache_free(m->cache);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->fill_mu);
	pthread_mutex_destroy(&m->set_mu);
	free(m->ca), free(m->cert), free(m->key);
	free(m->marks), free(m->state_path);
	free(m);
}

static bool same_peer(const mesh_peer *p, const sdns_mesh_peer *q)
{
	return !strcmp(p->info.name, q->name) &&
	       !strcmp(p->info.endpoint, q->endpoint) &&
	       !memcmp(p->info.zone_key, q->zone_key, 32);
}

static bool peer_usable(const sdns_mesh *m, const sdns_mesh_peer *q)
{
	size_t nl = strnlen(q->name, sizeof q->name);
	return nl < sizeof q->name && strcmp(q->name, m->self) &&
	       !sdns_identity_check_part(q->name, nl) && q->endpoint[0] &&
	       strnlen(q->endpoint, sizeof q->endpoint) < sizeof q->endpoint;
}

/* The kept or new peer for q; NULL when q is unusable or on failure. */
static mesh_peer *peer_for(sdns_mesh *m, mesh_peer **old, size_t nold,
                           const sdns_mesh_peer *q)
{
	for (size_t i = 0; i < nold; i++) {
		if (old[i] && same_peer(old[i], q)) {
			mesh_peer *p = old[i];
			old[i] = NULL;
			return p;
		}
	}
	sdns_name apex;
	sdns_dnssec_key k;
	if (zone_of(q->name, m->mesh, &apex) ||
	    sdns_dnssec_key_from_pub(q->zone_key, &k))
		return NULL;
	mesh_peer *p = mesh_peer_start(m, q, &apex, &k);
	if (!p) return NULL;
	/* Not in the set yet: nobody else sees it. */
	pthread_mutex_lock(&m->mu);
	p->has_serial = mesh_state_seed(m, &apex, k.pub, &p->serial);
	pthread_mutex_unlock(&m->mu);
	return p;
}

int sdns_mesh_set_peers(sdns_mesh *m, const sdns_mesh_peer *p, size_t n)
{
	mesh_peer **next = calloc(n ? n : 1, sizeof *next);
	if (!next) return SDNS_ENOMEM;
	/* The current set stays in place while the next is built: a NOTIFY
	 * meanwhile must still find its zone's peer to move its epoch. */
	pthread_mutex_lock(&m->set_mu);
	pthread_mutex_lock(&m->mu);
	size_t nold = m->npeers;
	mesh_peer **old = malloc((nold ? nold : 1) * sizeof *old);
	if (old && nold) memcpy(old, m->peers, nold * sizeof *old);
	pthread_mutex_unlock(&m->mu);
	if (!old) {
		pthread_mutex_unlock(&m->set_mu);
		free(next);
		return SDNS_ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!peer_usable(m, &p[i])) continue;
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= !strcmp(next[j]->info.name, p[i].name);
		if (dup) continue;
		mesh_peer *np = peer_for(m, old, nold, &p[i]);
		if (np) next[k++] = np;
	}
	pthread_mutex_lock(&m->mu);
	free(m->peers);
	m->peers = next;
	m->npeers = k;
	m->st.peers = k;
	pthread_mutex_unlock(&m->mu);
	/* A peer gone or with another key: what its key verified is no
	 * longer trusted. In-flight answers for its zone find a peer with
	 * another epoch, or none, and are not cached; the drop is under
	 * fill_mu so no fill checked before the swap lands after it. */
	for (size_t i = 0; i < nold; i++) {
		if (!old[i]) continue;
		pthread_mutex_lock(&m->fill_mu);
		sdns_cache_drop_zone(m->cache, &old[i]->apex);
		pthread_mutex_unlock(&m->fill_mu);
		mesh_peer_stop(old[i]);
	}
	free(old);
	pthread_mutex_unlock(&m->set_mu);
	sdns_log(SDNS_LOG_INFO, "mesh_peers", "count=%zu", k);
	return SDNS_OK;
}

void sdns_mesh_stats_get(sdns_mesh *m, sdns_mesh_stats *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->st;
	out->resolves = atomic_load(&m->resolves);
	out->cache_hits = atomic_load(&m->cache_hits);
	out->peers_up = 0;
	for (size_t i = 0; i < m->npeers; i++)
		out->peers_up += atomic_load(&m->peers[i]->up);
	pthread_mutex_unlock(&m->mu);
}
