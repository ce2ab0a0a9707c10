/* sdnsd's side of the audit chain's trust: the audit key (its own seed in
 * the state directory by default, never the TLS key), the trusted keys,
 * and a thread that, every --audit-head-interval, verifies the chain on
 * from the last head it signed, signs the new head, and fetches the heads
 * its mesh peers publish (TXT at _audit-head.<node>.<mesh>, asked directly
 * of each peer over DoQ with our node certificate), keeping them in the
 * state directory: a peer's chain that went back is reported. */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sdns/audithead.h"
#include "sdns/error.h"
#include "sdns/identity.h"
#include "sdns/log.h"
#include "sdns/meshpeers.h"
#include "sdns/msg.h"
#include "sdns/store.h"
#include "sdnsd.h"

#define HEAD_LABEL "_audit-head"
#define WALK_MAX_ROWS 100000   /* per round: a long chain is done in laps */

struct sdnsd_audit {
	char state_dir[2048];
	char self_path[2100];      /* our last signed head */
	sdns_audit_key key;
	sdns_audit_trust trust;    /* own key first, then --audit-trust */
	bool have_tls_pub;         /* the old default: entries it signed */
	uint8_t tls_pub[SDNS_AUDIT_PUB_LEN];
	sdns_audit_book book;
	/* the published head, for the DoQ answer (any worker thread) */
	pthread_mutex_t mu;
	bool have_head;
	sdns_audit_head head;
	sdns_name txt_name;        /* _audit-head.<self>.<mesh> */
	bool have_identity;
	bool poll_peers;           /* a node certificate, and not --no-mesh */
	sdns_identity self;
	/* the thread */
	pthread_t thread;
	bool running;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stop;
	char *conninfo, *ca, *cert, *keyfile;
	long long interval;
	/* the last round's verdict, for GET /audit/head (under mu) */
	bool have_verified, chain_bad_now;
	sdns_store_audit_walk verified;
	char bad_why[200];
	/* counters (under mu) */
	unsigned long long chain_problems, rounds;
	int64_t last_bad_id;
	const char *last_reason;
};

static void now_ts(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void state_dir_path(const sdnsd_conf *c, char *out, size_t cap)
{
	if (c->state_dir) {
		snprintf(out, cap, "%s", c->state_dir);
	} else {
		char tmp[2048];
		snprintf(tmp, sizeof tmp, "%s", c->tls_key ? c->tls_key : ".");
		snprintf(out, cap, "%s", dirname(tmp));
	}
}

static int state_dir_of(const sdnsd_conf *c, char *out, size_t cap)
{
	state_dir_path(c, out, cap);
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return sdns_err_from_errno(errno);
	return SDNS_OK;
}

/* --audit-key: a seed file, or (what the TLS key was by default before) an
 * Ed25519 PEM key. Without it: STATE-DIR/audit.key, made on first start. */
static int load_key(const sdnsd_conf *c, struct sdnsd_audit *a)
{
	int rc;
	if (c->audit_key) {
		rc = sdns_audit_key_load_seed(c->audit_key, &a->key);
		if (rc == SDNS_EMALF)
			rc = sdns_audit_key_load(c->audit_key, &a->key);
		if (rc < 0)
			sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"audit key "
			         "%s: %s\"", c->audit_key, sdns_strerror(rc));
		return rc;
	}
	char path[2100], pubpath[2100];
	snprintf(path, sizeof path, "%s/audit.key", a->state_dir);
	snprintf(pubpath, sizeof pubpath, "%s/audit.pub", a->state_dir);
	rc = sdns_audit_key_load_seed(path, &a->key);
	if (rc == SDNS_ENOTFOUND) {
		rc = sdns_audit_key_generate(&a->key);
		if (rc == SDNS_OK)
			rc = sdns_audit_key_save_seed(&a->key, path);
		char b64[SDNS_AUDIT_PUB_B64_LEN + 1];
		sdns_audit_pub_b64(a->key.pub, b64);
		FILE *f = rc == SDNS_OK ? fopen(pubpath, "we") : NULL;
		if (f) {
			fprintf(f, "%s\n", b64);
			fclose(f);
		}
		if (rc == SDNS_OK)
			sdns_log(SDNS_LOG_INFO, "audit_key_created", "path=%s pub=%s",
			         path, b64);
	}
	if (rc < 0)
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"audit key %s: %s "
		         "(give --audit-key FILE or a writable --state-dir)\"", path,
		         sdns_strerror(rc));
	return rc;
}

int sdnsd_audit_check(const sdnsd_conf *c, char *what, size_t what_cap,
                      char *why, size_t why_cap)
{
	sdns_audit_key k;
	int rc;
	if (c->audit_key) {
		snprintf(what, what_cap, "--audit-key %s", c->audit_key);
		rc = sdns_audit_key_load_seed(c->audit_key, &k);
		if (rc == SDNS_EMALF)
			rc = sdns_audit_key_load(c->audit_key, &k);
	} else {
		char dir[2048], path[2100];
		state_dir_path(c, dir, sizeof dir);
		snprintf(path, sizeof path, "%s/audit.key", dir);
		snprintf(what, what_cap, "audit key %s", path);
		rc = sdns_audit_key_load_seed(path, &k);
		/* Made at the first start, in the directory (made too when its
		 * parent is there): then that must be writable. */
		char parent[2048];
		snprintf(parent, sizeof parent, "%s", dir);
		const char *w = access(dir, F_OK) == 0 ? dir : dirname(parent);
		if (rc == SDNS_ENOTFOUND && access(w, W_OK | X_OK) != 0) {
			snprintf(why, why_cap, "missing, and %s is not writable: %s", w,
			         strerror(errno));
			return SDNS_EDENIED;
		}
		if (rc == SDNS_ENOTFOUND)
			rc = SDNS_OK;
	}
	sodium_memzero(&k, sizeof k);
	if (rc < 0) {
		snprintf(why, why_cap, "%s", sdns_strerror(rc));
		return rc;
	}
	if (!c->audit_trust)
		return SDNS_OK;
	sdns_audit_trust t = {0};
	int line = 0;
	rc = sdns_audit_trust_load(&t, c->audit_trust, &line);
	if (rc < 0) {
		snprintf(what, what_cap, "--audit-trust %s", c->audit_trust);
		snprintf(why, why_cap, "line %d: %s", line, sdns_strerror(rc));
	}
	return rc;
}

static int load_self(struct sdnsd_audit *a, sdns_store_audit_walk *w)
{
	json_t *j = json_load_file(a->self_path, 0, NULL);
	if (!j) return SDNS_ENOTFOUND;
	sdns_audit_head h;
	int rc = sdns_audit_head_from_json(j, &h);
	json_decref(j);
	if (rc) return rc;
	w->id = h.id;
	memcpy(w->hash, h.hash, sizeof w->hash);
	return SDNS_OK;
}

static void save_self(struct sdnsd_audit *a, const sdns_audit_head *h)
{
	char tmp[2200];
	snprintf(tmp, sizeof tmp, "%s.tmp", a->self_path);
	json_t *j = sdns_audit_head_to_json(h);
	int rc = j && json_dump_file(j, tmp, JSON_INDENT(1)) == 0 &&
	         chmod(tmp, 0600) == 0 && rename(tmp, a->self_path) == 0
	         ? SDNS_OK : SDNS_EIO;
	json_decref(j);
	if (rc)
		sdns_log(SDNS_LOG_WARN, "audit_state_unsaved", "path=%s",
		         a->self_path);
}

static int txt_name(const char *node, const char *mesh, sdns_name *out)
{
	char text[300];
	int n = snprintf(text, sizeof text, HEAD_LABEL ".%s.%s.", node, mesh);
	if (n < 0 || (size_t)n >= sizeof text) return SDNS_ENAME;
	return sdns_name_from_str(out, text, (size_t)n, NULL);
}

int sdnsd_audit_setup(const sdnsd_conf *c, sdnsd_state *st)
{
	struct sdnsd_audit *a = calloc(1, sizeof *a);
	if (!a) return SDNS_ENOMEM;
	int rc = state_dir_of(c, a->state_dir, sizeof a->state_dir);
	if (rc) {
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"state dir %s: %s\"",
		         a->state_dir, sdns_strerror(rc));
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->stop_mu, NULL);
	pthread_cond_init(&a->stop_cv, NULL);
	a->last_bad_id = -1;
	st->audit = a;
	if ((rc = load_key(c, a))) return rc;
	sdns_audit_trust_add(&a->trust, NULL, a->key.pub);
	int line = 0;
	if (c->audit_trust &&
	    (rc = sdns_audit_trust_load(&a->trust, c->audit_trust, &line))) {
		sdns_log(SDNS_LOG_ERROR, "start_failed", "error=\"--audit-trust "
		         "%s: line %d: %s\"", c->audit_trust, line,
		         sdns_strerror(rc));
		return rc;
	}
	sdns_audit_key tk;
	if (c->tls_key && sdns_audit_key_load(c->tls_key, &tk) == SDNS_OK) {
		memcpy(a->tls_pub, tk.pub, sizeof a->tls_pub);
		a->have_tls_pub = true;
		sodium_memzero(&tk, sizeof tk);
	}
	/* Before the DoQ workers start: they read these without a lock. */
	if (c->tls_cert && sdnsd_own_identity(c->tls_cert, &a->self) == SDNS_OK &&
	    a->self.role == SDNS_ROLE_NODE &&
	    txt_name(a->self.name, a->self.mesh, &a->txt_name) == SDNS_OK)
		a->have_identity = true;
	a->poll_peers = a->have_identity && !c->no_mesh;
	snprintf(a->self_path, sizeof a->self_path, "%s/audit-head.json",
	         a->state_dir);
	char book[2100];
	snprintf(book, sizeof book, "%s/audit-peers.json", a->state_dir);
	if (sdns_audit_book_init(&a->book, book) != SDNS_OK)
		sdns_log(SDNS_LOG_WARN, "audit_state_unreadable", "path=%s "
		         "keeping=nothing", book);
	char b64[SDNS_AUDIT_PUB_B64_LEN + 1];
	sdns_audit_pub_b64(a->key.pub, b64);
	sdns_log(SDNS_LOG_INFO, "audit_key_loaded", "pub=%s trusted=%zu "
	         "state_dir=%s", b64, a->trust.n, a->state_dir);
	return SDNS_OK;
}

const sdns_audit_key *sdnsd_audit_key(const sdnsd_state *st)
{
	return st->audit ? &st->audit->key : NULL;
}

const sdns_audit_trust *sdnsd_audit_trust(const sdnsd_state *st)
{
	return st->audit ? &st->audit->trust : NULL;
}

/* --- our own head --- */

static void chain_bad(struct sdnsd_audit *a, const sdns_store_audit_walk *w)
{
	pthread_mutex_lock(&a->mu);
	a->chain_bad_now = true;
	snprintf(a->bad_why, sizeof a->bad_why, "entry %lld: %s",
	         (long long)w->bad_id, w->reason);
	bool news = w->bad_id != a->last_bad_id || w->reason != a->last_reason;
	a->chain_problems++;
	a->last_bad_id = w->bad_id;
	a->last_reason = w->reason;
	pthread_mutex_unlock(&a->mu);
	if (!news) return;
	char pub[65] = "";
	if (w->bad_pub_set) sdns_audit_hex(w->bad_pub, 32, pub);
	bool old_default = w->bad_pub_set && a->have_tls_pub &&
	                   memcmp(w->bad_pub, a->tls_pub, 32) == 0;
	sdns_log(SDNS_LOG_WARN, "audit_chain_bad", "id=%lld reason=\"%s\"%s%s%s",
	         (long long)w->bad_id, w->reason, pub[0] ? " signer_pub=" : "",
	         pub, old_default ? " hint=\"signed by the --tls-key (the old "
	         "default audit key): add its public key (sdnsctl audit pubkey "
	         "--key TLS-KEY) to --audit-trust, or keep signing with it: "
	         "--audit-key TLS-KEY\"" : "");
}

static void publish(struct sdnsd_audit *a, const sdns_store_audit_walk *w)
{
	char ts[SDNS_AUDIT_TS_MAX];
	now_ts(ts, sizeof ts);
	sdns_audit_head h;
	if (sdns_audit_head_sign(&a->key, w->id, w->hash, ts, &h)) return;
	pthread_mutex_lock(&a->mu);
	a->head = h;
	a->have_head = true;
	pthread_mutex_unlock(&a->mu);
}

/* Verify on from w (the last head we signed), sign the new head. When the
 * entry w names is gone or changed, w stays (so that every round reports
 * it) and we publish what the chain now is, verified from its start: the
 * peers that kept our earlier head then see it go back too. */
static void own_round(struct sdnsd_audit *a, sdns_store *db,
                      sdns_store_audit_walk *w)
{
	sdns_store_err err = { 0 };
	sdns_store_audit_walk next = *w;
	if (sdns_store_audit_walk_on(db, &a->trust, &next, WALK_MAX_ROWS,
	                             &err) != SDNS_OK)
		return;
	if (next.reason && w->id > 0 && next.bad_id == w->id) {
		chain_bad(a, &next);
		sdns_store_audit_walk fresh = { 0 };
		if (sdns_store_audit_walk_on(db, &a->trust, &fresh, WALK_MAX_ROWS,
		                             &err) == SDNS_OK)
			publish(a, &fresh);
		return;
	}
	if (next.reason) chain_bad(a, &next); /* the prefix before it counts */
	bool moved = next.id != w->id;
	publish(a, &next);
	pthread_mutex_lock(&a->mu);
	sdns_audit_head h = a->head;
	if (!next.reason) {
		a->chain_bad_now = false;
		/* Complete only once a walk reached the end of the chain. */
		a->have_verified = next.checked < WALK_MAX_ROWS;
		a->verified = next;
	}
	pthread_mutex_unlock(&a->mu);
	if (moved || access(a->self_path, F_OK) != 0) save_self(a, &h);
	*w = next;
}

/* --- the peers' heads --- */

/* Ask peer p for its head: SDNS_OK and *h, or why not. */
static int fetch_head(struct sdnsd_audit *a, const sdns_mesh_peer *p,
                      sdns_audit_head *h, char *err, size_t cap)
{
	sdns_name qn;
	int rc = txt_name(p->name, a->self.mesh, &qn);
	if (rc) return rc;
	char uri[SDNS_ID_URI_MAX];
	snprintf(uri, sizeof uri, "spiffe://%s/node/%s", a->self.mesh, p->name);
	sdns_doq_client_conf cc = {
		.server = p->endpoint, .ca_path = a->ca, .cert_path = a->cert,
		.key_path = a->keyfile, .timeout_ms = 2000, .expect_uri = uri,
	};
	sdns_doq_client *cl = NULL;
	if ((rc = sdns_doq_client_connect(&cc, &cl, err, cap))) return rc;
	uint8_t q[512], resp[4096];
	size_t qlen = 0, rlen = 0;
	rc = sdns_msg_make_query(q, sizeof q, &qlen, 0, &qn, SDNS_T_TXT, false,
	                         NULL, 0);
	if (rc == SDNS_OK)
		rc = sdns_doq_client_query(cl, q, qlen, resp, sizeof resp, &rlen);
	sdns_doq_client_free(cl);
	sdns_msg m;
	if (rc || (rc = sdns_msg_parse(resp, rlen, &m))) return rc;
	rc = SDNS_ENOTFOUND;
	for (uint16_t i = 0; rc && i < m.count[SDNS_SEC_AN]; i++) {
		const sdns_rr *rr = sdns_msg_rr(&m, SDNS_SEC_AN, i);
		if (rr->type == SDNS_T_TXT && sdns_name_eq_ci(&rr->owner, &qn))
			rc = sdns_audit_head_from_txt(rr->rdata, rr->rdlen, h);
	}
	sdns_msg_free(&m);
	return rc;
}

static void peer_round(struct sdnsd_audit *a, sdns_store *db)
{
	sdns_mesh_peer *peers = NULL;
	size_t n = 0;
	sdns_store_err serr = { 0 };
	if (sdns_store_mesh_peers(db, &peers, &n, &serr) != SDNS_OK) return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(peers[i].name, a->self.name) == 0) continue;
		sdns_audit_head got;
		char err[256] = "";
		int rc = fetch_head(a, &peers[i], &got, err, sizeof err);
		if (rc) {
			sdns_log(SDNS_LOG_DEBUG, "audit_peer_head_unavailable",
			         "peer=%s error=\"%s\"", peers[i].name,
			         err[0] ? err : sdns_strerror(rc));
			continue;
		}
		const sdns_audit_trusted *t =
			sdns_audit_trust_by_name(&a->trust, peers[i].name);
		char ts[SDNS_AUDIT_TS_MAX];
		now_ts(ts, sizeof ts);
		int save_rc = SDNS_OK;
		sdns_audit_seen v = sdns_audit_book_observe(
			&a->book, peers[i].name, &got, t ? t->pub : NULL, ts, &save_rc);
		char hash[65];
		sdns_audit_hex(got.hash, 32, hash);
		if (v != SDNS_AUDIT_SEEN_OK)
			sdns_log(SDNS_LOG_WARN, "audit_peer_head_refused",
			         "peer=%s kind=%s got_id=%lld got_hash=%s",
			         peers[i].name, sdns_audit_seen_str(v),
			         (long long)got.id, hash);
		else if (save_rc)
			sdns_log(SDNS_LOG_WARN, "audit_state_unsaved",
			         "path=%s error=\"%s\"", a->book.path,
			         sdns_strerror(save_rc));
		else
			sdns_log(SDNS_LOG_DEBUG, "audit_peer_head", "peer=%s id=%lld "
			         "hash=%s", peers[i].name, (long long)got.id, hash);
	}
	free(peers);
}

static void *watch(void *arg)
{
	struct sdnsd_audit *a = arg;
	sdns_store_audit_walk w = { 0 };
	if (load_self(a, &w) == SDNS_OK)
		sdns_log(SDNS_LOG_INFO, "audit_head_resumed", "id=%lld",
		         (long long)w.id);
	sdns_store *db = NULL;
	for (;;) {
		sdns_store_err err = { 0 };
		if (db && (sdns_store_broken(db) || sdns_store_peer_closed(db))) {
			sdns_store_close(db);
			db = NULL;
		}
		if (!db) sdns_store_connect(a->conninfo, &db, &err);
		if (db) {
			own_round(a, db, &w);
			if (a->poll_peers) peer_round(a, db);
		}
		pthread_mutex_lock(&a->mu);
		a->rounds++;
		pthread_mutex_unlock(&a->mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += a->interval;
		pthread_mutex_lock(&a->stop_mu);
		while (!a->stop &&
		       pthread_cond_timedwait(&a->stop_cv, &a->stop_mu, &until) == 0)
			;
		bool stop = a->stop;
		pthread_mutex_unlock(&a->stop_mu);
		if (stop) break;
	}
	sdns_store_close(db);
	return NULL;
}

int sdnsd_audit_start(const sdnsd_conf *c, sdnsd_state *st)
{
	struct sdnsd_audit *a = st->audit;
	if (!a || !c->db) return SDNS_OK;
	a->interval = c->audit_head_interval < 0 ? 10 : c->audit_head_interval;
	if (a->interval == 0) return SDNS_OK;
	a->conninfo = strdup(c->db);
	a->ca = strdup(c->tls_ca);
	a->cert = strdup(c->tls_cert);
	a->keyfile = strdup(c->tls_key);
	if (!a->conninfo || !a->ca || !a->cert || !a->keyfile) return SDNS_ENOMEM;
	if (pthread_create(&a->thread, NULL, watch, a) != 0) return SDNS_ENOMEM;
	a->running = true;
	return SDNS_OK;
}

void sdnsd_audit_stop(sdnsd_state *st)
{
	struct sdnsd_audit *a = st->audit;
	if (!a) return;
	if (a->running) {
		pthread_mutex_lock(&a->stop_mu);
		a->stop = true;
		pthread_cond_broadcast(&a->stop_cv);
		pthread_mutex_unlock(&a->stop_mu);
		pthread_join(a->thread, NULL);
		a->running = false;
	}
}

void sdnsd_audit_free(sdnsd_state *st)
{
	struct sdnsd_audit *a = st->audit;
	if (!a) return;
	sdnsd_audit_stop(st);
	sdns_audit_book_destroy(&a->book);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->stop_mu);
	pthread_cond_destroy(&a->stop_cv);
	free(a->conninfo), free(a->ca), free(a->cert), free(a->keyfile);
	sodium_memzero(&a->key, sizeof a->key);
	free(a);
	st->audit = NULL;
}

/* --- what others call --- */

int sdnsd_audit_answer(sdnsd_state *st, const sdns_msg *q, uint8_t *resp,
                       size_t cap, size_t *len)
{
	struct sdnsd_audit *a = st->audit;
	if (!a || !a->have_identity || q->qtype != SDNS_T_TXT ||
	    SDNS_OPCODE(q->flags) != SDNS_OP_QUERY ||
	    !sdns_name_eq_ci(&q->qname, &a->txt_name))
		return SDNS_ENOTFOUND;
	pthread_mutex_lock(&a->mu);
	bool have = a->have_head;
	sdns_audit_head h = a->head;
	pthread_mutex_unlock(&a->mu);
	if (!have) return SDNS_ENOTFOUND;
	uint8_t rd[512];
	size_t rdlen = 0;
	int rc = sdns_audit_head_to_txt(&h, rd, sizeof rd, &rdlen);
	if (rc) return rc;
	sdns_bld b;
	const sdns_rr rr = { .owner = q->qname, .type = SDNS_T_TXT,
	                     .rclass = SDNS_C_IN, .ttl = 0,
	                     .rdlen = (uint16_t)rdlen, .rdata = rd };
	if ((rc = sdns_bld_init(&b, resp, cap, q->id, SDNS_F_QR | SDNS_F_AA |
	                        (q->flags & SDNS_F_RD))) ||
	    (rc = sdns_bld_question(&b, &q->qname, q->qtype, q->qclass)) ||
	    (rc = sdns_bld_rr(&b, SDNS_SEC_AN, &rr)))
		return rc;
	if (q->edns.present) {
		const sdns_edns e = { .present = true, .udp_size = 1232 };
		if ((rc = sdns_bld_opt(&b, &e, SDNS_DOQ_PAD_BLOCK))) return rc;
	}
	return sdns_bld_finish(&b, len);
}

int sdnsd_audit_verified(void *ctx, int64_t *id, uint8_t hash[32],
                         char *why, size_t why_cap)
{
	sdnsd_state *st = ctx;
	struct sdnsd_audit *a = st->audit;
	if (!a) return SDNS_ENOTFOUND;
	int rc = SDNS_ENOTFOUND;
	pthread_mutex_lock(&a->mu);
	if (a->chain_bad_now) {
		snprintf(why, why_cap, "%s", a->bad_why);
		rc = SDNS_EBOGUS;
	} else if (a->have_verified) {
		*id = a->verified.id;
		memcpy(hash, a->verified.hash, 32);
		rc = SDNS_OK;
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

json_t *sdnsd_audit_peers_json(void *ctx)
{
	sdnsd_state *st = ctx;
	if (!st->audit) return json_pack("{s:[]}", "peers");
	return sdns_audit_book_json(&st->audit->book);
}

size_t sdnsd_audit_metrics(sdnsd_state *st, char *buf, size_t cap)
{
	struct sdnsd_audit *a = st->audit;
	if (!a || !cap) return 0;
	uint64_t k[SDNS_AUDIT_SEEN_KINDS];
	sdns_audit_book_counts(&a->book, k);
	pthread_mutex_lock(&a->mu);
	unsigned long long bad = a->chain_problems;
	long long head = a->have_head ? (long long)a->head.id : -1;
	pthread_mutex_unlock(&a->mu);
	size_t len = 0;
	int n = snprintf(buf, cap,
	    "# HELP sdns_audit_head_id The newest audit entry this node verified "
	    "and signed as its head (-1: none yet).\n"
	    "# TYPE sdns_audit_head_id gauge\nsdns_audit_head_id %lld\n"
	    "# HELP sdns_audit_chain_problems_total Rounds that found the own "
	    "chain not verifying (cut, rewritten or an untrusted signer).\n"
	    "# TYPE sdns_audit_chain_problems_total counter\n"
	    "sdns_audit_chain_problems_total %llu\n"
	    "# HELP sdns_audit_peer_head_problems_total Peers' audit heads "
	    "refused, by why.\n"
	    "# TYPE sdns_audit_peer_head_problems_total counter\n", head, bad);
	if (n < 0 || (size_t)n >= cap) return 0;
	len = (size_t)n;
	for (int i = 1; i < SDNS_AUDIT_SEEN_KINDS; i++) {
		n = snprintf(buf + len, cap - len,
		             "sdns_audit_peer_head_problems_total{kind=\"%s\"} %llu\n",
		             sdns_audit_seen_str((sdns_audit_seen)i),
		             (unsigned long long)k[i]);
		if (n < 0 || (size_t)n >= cap - len) return len;
		len += (size_t)n;
	}
	return len;
}
