/* sdnsd's side of the mesh: starting it from our own node certificate,
 * the asynchronous DoQ handler (local zones first, then mesh names over the
 * mesh, NOTIFY from peers), and the hooks dbsync and the stub call. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/log.h"
#include "sdns/mesh.h"
#include "sdns/meshpeers.h"
#include "sdns/msg.h"
#include "sdnsd.h"

/* Our identity from the URI SAN of --tls-cert (the leaf comes first). */
int sdnsd_own_identity(const char *cert_path, sdns_identity *id)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t crt;
	if (gnutls_load_file(cert_path, &pem) < 0) return SDNS_EIO;
	int rc = SDNS_ENOTFOUND;
	if (gnutls_x509_crt_init(&crt) < 0) {
		gnutls_free(pem.data);
		return SDNS_ENOMEM;
	}
	if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0)
		rc = SDNS_ECERT;
	for (unsigned i = 0; rc == SDNS_ENOTFOUND; i++) {
		char san[SDNS_ID_URI_MAX];
		size_t sz = sizeof san;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &sz, NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
		if (t == GNUTLS_SAN_URI && !strncmp(san, "spiffe://", 9) &&
		    sdns_identity_parse_uri(san, sz, id) == SDNS_OK)
			rc = SDNS_OK;
	}
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
	return rc;
}

/* Which mesh's identities we accept. A CA may serve several meshes, so
 * "any identity the CA signed" would let another mesh's nodes in: without
 * --mesh we take the mesh of our own certificate; "--mesh '*'" is the
 * explicit any. A certificate without a mesh identity keeps any, said. */
int sdnsd_mesh_default(sdnsd_conf *c)
{
	if (c->mesh && !strcmp(c->mesh, "*")) {
		free(c->mesh);
		c->mesh = NULL;
		sdns_log(SDNS_LOG_WARN, "mesh_any", "reason=\"--mesh *: identities "
		         "of every mesh the CA signs are accepted\"");
		return SDNS_OK;
	}
	if (c->mesh || !c->tls_cert) return SDNS_OK;
	sdns_identity id;
	if (sdnsd_own_identity(c->tls_cert, &id) != SDNS_OK) {
		sdns_log(SDNS_LOG_WARN, "mesh_any", "reason=\"--tls-cert names no "
		         "spiffe:// mesh and --mesh is not given\"");
		return SDNS_OK;
	}
	c->mesh = strdup(id.mesh);
	if (!c->mesh) return SDNS_ENOMEM;
	sdns_log(SDNS_LOG_INFO, "mesh_default", "mesh=%s from=--tls-cert", id.mesh);
	return SDNS_OK;
}

/* --mesh-state, by default "mesh-state" beside --tls-key (the node's own
 * directory, not the database); "" when not kept. */
static void state_path(const sdnsd_conf *c, char *out, size_t cap)
{
	out[0] = '\0';
	if (c->mesh_state) {
		if (strcmp(c->mesh_state, "none"))
			snprintf(out, cap, "%s", c->mesh_state);
		return;
	}
	char key[PATH_MAX];
	snprintf(key, sizeof key, "%s", c->tls_key);
	int n = snprintf(out, cap, "%s/mesh-state", dirname(key));
	if (n < 0 || (size_t)n >= cap) out[0] = '\0';
}

bool sdnsd_mesh_wanted(const sdnsd_conf *c)
{
	return c->db && !c->no_mesh && c->tls_cert && c->tls_key && c->tls_ca;
}

int sdnsd_mesh_start(const sdnsd_conf *c, sdnsd_state *st)
{
	if (!sdnsd_mesh_wanted(c)) return SDNS_OK;
	sdns_identity id;
	int rc = sdnsd_own_identity(c->tls_cert, &id);
	if (rc || id.role != SDNS_ROLE_NODE) {
		sdns_log(SDNS_LOG_INFO, "mesh_off", "reason=\"--tls-cert is not a "
		         "node certificate\"");
		return SDNS_OK;
	}
	char state[PATH_MAX];
	state_path(c, state, sizeof state);
	sdns_mesh_conf mc = {
		.mesh = id.mesh, .self = id.name, .ca_path = c->tls_ca,
		.cert_path = c->tls_cert, .key_path = c->tls_key,
		.timeout_ms = (uint32_t)c->mesh_timeout,
		.pad_block = SDNS_DOQ_PAD_BLOCK,
		.state_path = state[0] ? state : NULL,
	};
	char err[256] = "";
	rc = sdns_mesh_new(&mc, &st->mesh, err, sizeof err);
	if (rc) {
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"%s\"", err);
		return rc;
	}
	sdns_log(SDNS_LOG_INFO, "mesh_started", "mesh=%s self=%s timeout_ms=%u "
	         "state=%s", id.mesh, id.name, mc.timeout_ms ? mc.timeout_ms : 1500u,
	         state[0] ? state : "none");
	return SDNS_OK;
}

void sdnsd_mesh_stop(sdnsd_state *st)
{
	sdns_mesh_free(st->mesh);
	st->mesh = NULL;
}

void sdnsd_mesh_reload_peers(sdnsd_state *st, sdns_store *db)
{
	if (!st->mesh) return;
	sdns_mesh_peer *p = NULL;
	size_t n = 0;
	sdns_store_err err = {0};
	if (sdns_store_mesh_peers(db, &p, &n, &err) == SDNS_OK)
		sdns_mesh_set_peers(st->mesh, p, n);
	else
		sdns_log(SDNS_LOG_WARN, "mesh_peers_failed", "error=\"%s\"",
		         err.message);
	free(p);
}

/* Our own signed answer to "apex SOA" (DO) from the snapshot just
 * published: the NOTIFY carries its SOA and RRSIG, so peers learn the new
 * serial from data our zone key signed. */
static int soa_answer(sdnsd_state *st, const sdns_name *apex, uint8_t *out,
                      size_t cap, size_t *len)
{
	uint8_t q[SDNS_NAME_MAX + 64];
	size_t qlen = 0;
	const sdns_edns e = { .present = true, .udp_size = 1232, .do_bit = true };
	sdns_msg msg;
	int rc = sdns_msg_make_query(q, sizeof q, &qlen, 0, apex, SDNS_T_SOA,
	                             false, &e, 0);
	if (rc || (rc = sdns_msg_parse(q, qlen, &msg))) return rc;
	const sdns_identity self = { 0 };
	rc = sdnsd_answer(st, &self, &msg, q, qlen, out, cap, len);
	sdns_msg_free(&msg);
	return rc;
}

static void notify_peers(sdnsd_state *st, const sdns_name *apex)
{
	if (!st->mesh || !sdns_mesh_is_own_zone(st->mesh, apex)) return;
	uint8_t soa[4096];
	size_t len = 0;
	bool ok = soa_answer(st, apex, soa, sizeof soa, &len) == SDNS_OK;
	sdns_mesh_notify(st->mesh, apex, ok ? soa : NULL, ok ? len : 0);
}

void sdnsd_mesh_zone_changed(sdnsd_state *st, const sdns_name *apex)
{
	notify_peers(st, apex);
}

void sdnsd_mesh_zones_changed(sdnsd_state *st, const sdns_zoneset *zs)
{
	for (size_t i = 0; st->mesh && zs && i < sdns_zoneset_count(zs); i++)
		notify_peers(st, sdns_zone_apex(sdns_zoneset_at(zs, i)));
}

/* --- the DoQ handler --- */

/* Where a deferred answer goes: a DoQ stream or a DoT query. */
typedef struct {
	sdns_doq_server *doq;
	sdns_doq_ticket t;
	sdns_dot_server *dot;
	sdns_dot_ticket dt;
} mesh_wait;

static void on_mesh_answer(void *ctx, const uint8_t *resp, size_t len)
{
	mesh_wait *w = ctx;
	if (w->dot)
		sdns_dot_server_reply(w->dot, &w->dt, resp, resp ? len : 0);
	else
		sdns_doq_server_reply(w->doq, &w->t, resp, resp ? len : 0);
	free(w);
}

static int notify_in(sdnsd_state *st, const sdns_identity *peer,
                     const sdns_msg *q, const uint8_t *wire, size_t len,
                     uint8_t *resp, size_t cap, size_t *resp_len)
{
	int rc = SDNS_EDENIED;
	if (st->mesh && peer->role == SDNS_ROLE_NODE && q->qdcount == 1 &&
	    q->qtype == SDNS_T_SOA)
		rc = sdns_mesh_notify_in(st->mesh, peer->name, &q->qname, wire,
		                         len);
	return sdns_mesh_notify_reply(wire, len, rc, resp, cap, resp_len);
}

static bool refused(const uint8_t *resp, size_t len)
{
	return len >= SDNS_HDR_LEN && (resp[3] & 0xf) == SDNS_RC_REFUSED;
}

/* One answer path for DoQ and DoT, so both transports answer alike. */
static int answer_async(sdnsd_state *st, const sdns_identity *peer,
                        const sdns_msg *query, const uint8_t *wire,
                        size_t len, const mesh_wait *to, uint8_t *resp,
                        size_t cap, size_t *resp_len)
{
	if (SDNS_OPCODE(query->flags) == SDNS_OP_NOTIFY)
		return notify_in(st, peer, query, wire, len, resp, cap, resp_len);
	int rc = sdnsd_answer(st, peer, query, wire, len, resp, cap, resp_len);
	if (!st->mesh || rc != SDNS_OK || !refused(resp, *resp_len) ||
	    !sdns_mesh_is_mesh_name(st->mesh, &query->qname))
		return rc;
	/* Node callers get local data and the verified cache only: loop
	 * safety, a peer never asks further on another's behalf. */
	if (sdns_mesh_answer_cached(st->mesh, wire, len, resp, cap,
	                            resp_len) == SDNS_OK)
		return SDNS_OK;
	if (peer->role == SDNS_ROLE_NODE)
		return sdnsd_answer(st, peer, query, wire, len, resp, cap,
		                    resp_len);
	mesh_wait *w = malloc(sizeof *w);
	if (!w) return SDNS_ENOMEM;
	*w = *to;
	if (sdns_mesh_resolve(st->mesh, wire, len, on_mesh_answer, w) ==
	    SDNS_OK)
		return SDNS_EPENDING;
	free(w);
	return sdnsd_answer(st, peer, query, wire, len, resp, cap, resp_len);
}

int sdnsd_answer_async(void *ctx, const sdns_identity *peer,
                       const sdns_msg *query, const uint8_t *wire, size_t len,
                       const sdns_doq_ticket *ticket, uint8_t *resp,
                       size_t cap, size_t *resp_len)
{
	sdnsd_state *st = ctx;
	const mesh_wait to = {.doq = st->doq, .t = *ticket};
	return answer_async(st, peer, query, wire, len, &to, resp, cap,
	                    resp_len);
}

int sdnsd_dot_answer_async(void *ctx, const sdns_identity *peer,
                           const sdns_msg *query, const uint8_t *wire,
                           size_t len, const sdns_dot_ticket *ticket,
                           uint8_t *resp, size_t cap, size_t *resp_len)
{
	sdnsd_state *st = ctx;
	const mesh_wait to = {.dot = st->dot, .dt = *ticket};
	return answer_async(st, peer, query, wire, len, &to, resp, cap,
	                    resp_len);
}

/* --- the stub --- */

typedef struct {
	sdns_stub_done_fn done;
	void *token;
} stub_wait;

static void on_stub_answer(void *ctx, const uint8_t *resp, size_t len)
{
	stub_wait *w = ctx;
	w->done(w->token, resp ? SDNS_OK : SDNS_EIO, resp, resp ? len : 0);
	free(w);
}

int sdnsd_mesh_stub_forward(sdnsd_state *st, const uint8_t *wire,
                            size_t len, sdns_stub_done_fn done, void *token)
{
	if (!st->mesh) return SDNS_ENOTFOUND;
	stub_wait *w = malloc(sizeof *w);
	if (!w) return SDNS_ENOMEM;
	*w = (stub_wait){ done, token };
	int rc = sdns_mesh_resolve(st->mesh, wire, len, on_stub_answer, w);
	if (rc) free(w);
	return rc;
}

bool sdnsd_mesh_name(sdnsd_state *st, const sdns_name *qname)
{
	return st->mesh && sdns_mesh_is_mesh_name(st->mesh, qname);
}

/* --- metrics --- */

size_t sdnsd_mesh_metrics(sdnsd_state *st, char *buf, size_t cap)
{
	if (!st->mesh || !cap) return 0;
	sdns_mesh_stats s;
	sdns_mesh_stats_get(st->mesh, &s);
	typedef unsigned long long ull;
	int n = snprintf(buf, cap,
	    "# HELP sdns_mesh_peers Mesh peers by state.\n"
	    "# TYPE sdns_mesh_peers gauge\n"
	    "sdns_mesh_peers{state=\"up\"} %llu\n"
	    "sdns_mesh_peers{state=\"down\"} %llu\n"
	    "# HELP sdns_mesh_resolutions_total Mesh name lookups by outcome.\n"
	    "# TYPE sdns_mesh_resolutions_total counter\n"
	    "sdns_mesh_resolutions_total{result=\"cache_hit\"} %llu\n"
	    "sdns_mesh_resolutions_total{result=\"coalesced\"} %llu\n"
	    "sdns_mesh_resolutions_total{result=\"servfail\"} %llu\n"
	    "# HELP sdns_mesh_answers_total Peer answers by validation result "
	    "(late: zone invalidated in flight, not cached; stale: a copy older "
	    "than the newest signed serial, not used).\n"
	    "# TYPE sdns_mesh_answers_total counter\n"
	    "sdns_mesh_answers_total{result=\"verified\"} %llu\n"
	    "sdns_mesh_answers_total{result=\"bogus\"} %llu\n"
	    "sdns_mesh_answers_total{result=\"late\"} %llu\n"
	    "sdns_mesh_answers_total{result=\"stale\"} %llu\n"
	    "# HELP sdns_mesh_copies_uncached_total Other peers' copies answered "
	    "but not cached (the owner is up).\n"
	    "# TYPE sdns_mesh_copies_uncached_total counter\n"
	    "sdns_mesh_copies_uncached_total %llu\n"
	    "# HELP sdns_mesh_serial_drops_total Zone copies dropped on a newer "
	    "signed SOA serial in an answer (a NOTIFY missed or late).\n"
	    "# TYPE sdns_mesh_serial_drops_total counter\n"
	    "sdns_mesh_serial_drops_total %llu\n"
	    "# HELP sdns_mesh_queue_drops_total Jobs refused by a full peer "
	    "queue.\n"
	    "# TYPE sdns_mesh_queue_drops_total counter\n"
	    "sdns_mesh_queue_drops_total %llu\n"
	    "# HELP sdns_mesh_upstream_queries_total Queries sent to peers.\n"
	    "# TYPE sdns_mesh_upstream_queries_total counter\n"
	    "sdns_mesh_upstream_queries_total %llu\n"
	    "# HELP sdns_mesh_notify_total NOTIFY messages by direction and "
	    "outcome.\n"
	    "# TYPE sdns_mesh_notify_total counter\n"
	    "sdns_mesh_notify_total{dir=\"out\"} %llu\n"
	    "sdns_mesh_notify_total{dir=\"in\"} %llu\n"
	    "sdns_mesh_notify_total{dir=\"refused\"} %llu\n"
	    "# HELP sdns_mesh_notify_acked_total NOTIFYs out that a peer "
	    "answered NOERROR.\n"
	    "# TYPE sdns_mesh_notify_acked_total counter\n"
	    "sdns_mesh_notify_acked_total %llu\n"
	    "# HELP sdns_mesh_notify_problems_total NOTIFYs out a peer refused "
	    "(rejected), attempts not sent (unsent: peer unreachable, kept), "
	    "sent without answer (unanswered: retried), given up (dropped); "
	    "NOTIFYs in with an older serial than known (late).\n"
	    "# TYPE sdns_mesh_notify_problems_total counter\n"
	    "sdns_mesh_notify_problems_total{kind=\"rejected\"} %llu\n"
	    "sdns_mesh_notify_problems_total{kind=\"unsent\"} %llu\n"
	    "sdns_mesh_notify_problems_total{kind=\"unanswered\"} %llu\n"
	    "sdns_mesh_notify_problems_total{kind=\"dropped\"} %llu\n"
	    "sdns_mesh_notify_problems_total{kind=\"late\"} %llu\n",
	    (ull)s.peers_up, (ull)(s.peers - s.peers_up), (ull)s.cache_hits,
	    (ull)s.coalesced, (ull)s.servfail, (ull)s.verified, (ull)s.bogus,
	    (ull)s.late, (ull)s.stale, (ull)s.copies_uncached,
	    (ull)s.serial_drops, (ull)s.queue_drops, (ull)s.upstream,
	    (ull)s.notify_sent, (ull)s.notify_in, (ull)s.notify_refused,
	    (ull)s.notify_acked, (ull)s.notify_rejected, (ull)s.notify_unsent,
	    (ull)s.notify_unanswered, (ull)s.notify_dropped, (ull)s.notify_late);
	if (n < 0) return 0;
	size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
	n = snprintf(buf + len, cap - len,
	    "# HELP sdns_mesh_state_writes_total Writes of the high-water marks "
	    "file (--mesh-state) by result.\n"
	    "# TYPE sdns_mesh_state_writes_total counter\n"
	    "sdns_mesh_state_writes_total{result=\"ok\"} %llu\n"
	    "sdns_mesh_state_writes_total{result=\"error\"} %llu\n",
	    (ull)s.state_saves, (ull)s.state_errors);
	if (n < 0) return len;
	len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
	return len;
}
