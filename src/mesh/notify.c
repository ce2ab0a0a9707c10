/* NOTIFY (RFC 1996) between mesh nodes. Push: after every change of our
 * zone, one NOTIFY per peer carrying the zone's signed SOA, kept until the
 * peer answers it (through backoff and reconnects), retried when it gets
 * no answer, given up only after NOTIFY_TRIES attempts; every attempt that
 * fails and every NOTIFY given up is logged and counted. Pull: a NOTIFY
 * from a zone's owner drops our copies of the zone and moves its epoch on;
 * its SOA, once verified against the owner's zone key, tells the newest
 * serial. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/log.h"
#include "mesh_int.h"

#define NOTIFY_TRIES 8     /* attempts sent without an answer */
#define NOTIFY_CAP 2048    /* question + SOA + RRSIG fit easily */

static void zone_str(const sdns_name *apex, char *t, size_t cap)
{
	if (sdns_name_to_str(apex, t, cap)) snprintf(t, cap, "?");
}

/* --- push --- */

/* Our SOA and its RRSIG from soa (our own answer: trusted as it is). */
static int add_soa(sdns_bld *b, const sdns_name *apex, const uint8_t *soa,
                   size_t len, uint32_t *serial, bool *has)
{
	sdns_msg m;
	int rc = sdns_msg_parse(soa, len, &m);
	if (rc) return rc;
	*has = mesh_soa_serial(&m, apex, serial) == SDNS_OK;
	for (uint16_t i = 0; !rc && *has && i < m.count[SDNS_SEC_AN]; i++) {
		const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, i);
		bool sig = rr->type == SDNS_T_RRSIG && rr->rdlen >= 2 &&
		           (rr->rdata[0] << 8 | rr->rdata[1]) == SDNS_T_SOA;
		if ((rr->type == SDNS_T_SOA || sig) &&
		    sdns_name_eq_ci(&rr->owner, apex))
			rc = sdns_bld_rr(b, SDNS_SEC_AN, rr);
	}
	sdns_msg_free(&m);
	return rc;
}

/* The NOTIFY message for apex into w (NOTIFY_CAP). */
static int notify_wire(const sdns_name *apex, const uint8_t *soa,
                       size_t soa_len, uint8_t *w, size_t *len,
                       uint32_t *serial, bool *has)
{
	sdns_bld b;
	uint16_t f = SDNS_F_AA | (SDNS_OP_NOTIFY << 11);
	*has = false;
	int rc = sdns_bld_init(&b, w, NOTIFY_CAP, 0, f);
	if (!rc) rc = sdns_bld_question(&b, apex, SDNS_T_SOA, 1);
	if (!rc && soa) {
		/* A broken SOA answer still leaves a plain NOTIFY. */
		if (add_soa(&b, apex, soa, soa_len, serial, has)) {
			*has = false;
			rc = sdns_bld_init(&b, w, NOTIFY_CAP, 0, f);
			if (!rc) rc = sdns_bld_question(&b, apex, SDNS_T_SOA, 1);
		}
	}
	if (!rc) rc = sdns_bld_finish(&b, len);
	return rc;
}

static mesh_job *notify_job(const sdns_name *apex, const uint8_t *w,
                            size_t len, uint32_t serial, bool has,
                            uint64_t seq)
{
	mesh_job *j = calloc(1, sizeof *j);
	uint8_t *copy = malloc(len);
	if (!j || !copy) {
		free(j), free(copy);
		return NULL;
	}
	memcpy(copy, w, len);
	*j = (mesh_job){ .kind = MESH_JOB_NOTIFY, .wire = copy, .len = len,
	                 .apex = *apex, .serial = serial, .has_serial = has,
	                 .seq = seq };
	return j;
}

static void log_dropped(const mesh_peer *peer, const mesh_job *j,
                        const char *reason)
{
	char t[SDNS_NAME_STR_MAX];
	zone_str(&j->apex, t, sizeof t);
	sdns_log(SDNS_LOG_WARN, "mesh_notify_dropped", "peer=%s zone=%s "
	         "serial=%lld tries=%d reason=%s", peer->info.name, t,
	         j->has_serial ? (long long)j->serial : -1LL, j->tries, reason);
}

const sdns_name *sdns_mesh_domain(const sdns_mesh *m)
{
	return &m->mesh_name;
}

bool sdns_mesh_is_own_zone(const sdns_mesh *m, const sdns_name *apex)
{
	return sdns_name_eq_ci(apex, &m->self_apex);
}

int sdns_mesh_notify(sdns_mesh *m, const sdns_name *apex, const uint8_t *soa,
                     size_t soa_len)
{
	if (!sdns_mesh_is_own_zone(m, apex)) return SDNS_ENOTFOUND;
	uint8_t w[NOTIFY_CAP];
	size_t len = 0;
	uint32_t serial = 0;
	bool has = false;
	int rc = notify_wire(apex, soa, soa_len, w, &len, &serial, &has);
	if (rc) return rc;
	size_t queued = 0, npeers;
	pthread_mutex_lock(&m->mu);
	uint64_t seq = ++m->notify_seq;
	npeers = m->npeers;
	for (size_t i = 0; i < m->npeers; i++) {
		mesh_job *j = notify_job(apex, w, len, serial, has, seq);
		int prc = j ? mesh_peer_push(m->peers[i], j) : SDNS_ENOMEM;
		if (prc == SDNS_OK) {
			m->st.notify_sent++;
			queued++;
			continue;
		}
		m->st.notify_dropped++;
		if (j) log_dropped(m->peers[i], j, prc == SDNS_ENOMEM
		                                   ? "out_of_memory" : "peer_stopping");
		mesh_job_free(j);
		if (!j) rc = SDNS_ENOMEM;
	}
	pthread_mutex_unlock(&m->mu);
	char t[SDNS_NAME_STR_MAX];
	zone_str(apex, t, sizeof t);
	sdns_log(SDNS_LOG_INFO, "mesh_notify_out", "zone=%s serial=%lld "
	         "peers=%zu queued=%zu", t, has ? (long long)serial : -1LL, npeers,
	         queued);
	return rc;
}

/* The peer answered: NOERROR is the acknowledgement; anything else (REFUSED:
 * it does not take us for the owner) will not change by sending again. */
static void answered(sdns_mesh *m, mesh_peer *peer, mesh_job *j,
                     const uint8_t *resp, size_t len)
{
	bool ok = len >= SDNS_HDR_LEN && (resp[2] & 0x80) &&
	          ((resp[2] >> 3) & 0xf) == SDNS_OP_NOTIFY &&
	          (resp[3] & 0xf) == SDNS_RC_NOERROR;
	pthread_mutex_lock(&m->mu);
	if (ok) m->st.notify_acked++;
	else m->st.notify_rejected++;
	pthread_mutex_unlock(&m->mu);
	if (!ok) {
		char t[SDNS_NAME_STR_MAX];
		zone_str(&j->apex, t, sizeof t);
		sdns_log(SDNS_LOG_WARN, "mesh_notify_rejected", "peer=%s zone=%s "
		         "rcode=%u", peer->info.name, t,
		         len >= SDNS_HDR_LEN ? resp[3] & 0xfu : 0u);
	}
	mesh_job_free(j);
}

void mesh_notify_done(sdns_mesh *m, mesh_peer *peer, mesh_job *j, int status,
                      const uint8_t *resp, size_t len)
{
	if (status == SDNS_OK && resp) {
		answered(m, peer, j, resp, len);
		return;
	}
	/* Sent (or handed to the connection) and no answer: retry. Never
	 * sent: the peer is going away (a connect failure keeps NOTIFYs
	 * queued, see peer.c). */
	bool sent = j->sent_ns != 0;
	j->sent_ns = 0;
	if (sent) j->tries++;
	const char *drop = NULL;
	if (j->tries >= NOTIFY_TRIES) drop = "no_answer";
	else if (mesh_peer_push(peer, j) != SDNS_OK) drop = "peer_removed";
	pthread_mutex_lock(&m->mu);
	m->st.notify_unanswered += sent;
	m->st.notify_dropped += drop != NULL;
	pthread_mutex_unlock(&m->mu);
	if (drop) {
		log_dropped(peer, j, drop);
		mesh_job_free(j);
		return;
	}
	/* Requeued: j may already be merged into a newer NOTIFY and freed. */
	if (sent)
		sdns_log(SDNS_LOG_WARN, "mesh_notify_unanswered", "peer=%s "
		         "error=\"%s\" action=retry", peer->info.name,
		         sdns_strerror(status));
}

void mesh_notify_unsent(sdns_mesh *m, mesh_peer *peer, size_t n)
{
	pthread_mutex_lock(&m->mu);
	m->st.notify_unsent += n;
	pthread_mutex_unlock(&m->mu);
	sdns_log(SDNS_LOG_WARN, "mesh_notify_unsent", "peer=%s waiting=%zu "
	         "reason=unreachable action=send_on_reconnect", peer->info.name, n);
}

/* --- pull --- */

/* The serial of the SOA in msg's answer section, when it verifies against
 * key as the owner's. False (with words in why) otherwise. */
static bool signed_serial(const sdns_dnssec_key *key, const sdns_name *apex,
                          const uint8_t *msg, size_t len, uint32_t *serial,
                          char *why, size_t cap)
{
	sdns_msg m;
	if (sdns_msg_parse(msg, len, &m)) {
		snprintf(why, cap, "malformed");
		return false;
	}
	bool has = m.count[SDNS_SEC_AN] > 0 && m.qtype == SDNS_T_SOA &&
	           sdns_name_eq_ci(&m.qname, apex) &&
	           mesh_soa_serial(&m, apex, serial) == SDNS_OK;
	sdns_msg_free(&m);
	if (!has) {
		snprintf(why, cap, "no SOA");
		return false;
	}
	return sdns_dnssec_validate_msg(key, apex, msg, len, (uint32_t)time(NULL),
	                                why, cap) == SDNS_OK;
}

static bool owns(const sdns_mesh *m, const char *from, const sdns_name *apex)
{
	char text[160];
	sdns_name owner;
	if (!from || sdns_identity_check_part(from, strlen(from))) return false;
	int n = snprintf(text, sizeof text, "%s.%s.", from, m->mesh);
	return n > 0 && (size_t)n < sizeof text &&
	       !sdns_name_from_str(&owner, text, (size_t)n, NULL) &&
	       sdns_name_eq_ci(&owner, apex);
}

int sdns_mesh_notify_in(sdns_mesh *m, const char *from, const sdns_name *apex,
                        const uint8_t *msg, size_t len)
{
	bool ok = owns(m, from, apex), have_key = false;
	sdns_dnssec_key key;
	pthread_mutex_lock(&m->mu);
	if (ok) m->st.notify_in++;
	else m->st.notify_refused++;
	const mesh_peer *z = ok ? mesh_zone_peer(m, apex) : NULL;
	if (z) {
		key = z->key;
		have_key = true;
	}
	pthread_mutex_unlock(&m->mu);
	if (!ok) return SDNS_EDENIED;
	char t[SDNS_NAME_STR_MAX], why[96] = "no SOA";
	uint32_t serial = 0;
	bool has = msg && have_key &&
	           signed_serial(&key, apex, msg, len, &serial, why, sizeof why);
	zone_str(apex, t, sizeof t);
	if (msg && have_key && !has && strcmp(why, "no SOA"))
		sdns_log(SDNS_LOG_WARN, "mesh_notify_serial_ignored", "from=%s "
		         "zone=%s reason=\"%s\"", from, t, why);
	bool older = false;
	size_t n = mesh_zone_invalidate(m, apex, has, serial, &older);
	if (older) {
		pthread_mutex_lock(&m->mu);
		m->st.notify_late++;
		pthread_mutex_unlock(&m->mu);
	}
	sdns_log(SDNS_LOG_INFO, older ? "mesh_notify_late" : "mesh_notify_in",
	         "from=%s zone=%s serial=%lld dropped=%zu", from, t,
	         has ? (long long)serial : -1LL, n);
	return SDNS_OK;
}
