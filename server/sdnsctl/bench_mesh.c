/* sdnsctl bench-mesh: how fast a change on one node reaches the others.
 * K times: POST a new name into ZONE through the owner's API, then ask every
 * observer (other nodes, over DoQ, one open connection each, each on its own
 * thread so that no observer waits for another's answer) until it answers
 * the new value; the time from the API's answer to each observer's first
 * correct answer: p50/p99 per observer, for the slowest of them per change,
 * and over every observation. An observation that never sees the change
 * within the give-up time is a miss, counted and named.
 * A new name each time: only the owner's NOTIFY can make an observer drop
 * the negative answer it may have cached on the first ask. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ctl.h"
#include "sdns/apiclient.h"
#include "sdns/error.h"

#define OBS_MAX 8
#define MISSES_SHOWN 10

typedef struct {
	ctl_conn_opts conn;           /* CA/cert/key shared by API and DoQ */
	const char *api, *zone;
	const char *obs[OBS_MAX];
	int n_obs, changes;
	double give_up_ms;
	unsigned poll_us;             /* pause between two asks of one observer */
	bool json;
} bmesh_args;

/* One round = one change; the observers wait for the next round, poll
 * until they see it (or give up) and report back. Guarded by mu. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int round, left;              /* current change, observers still on it */
	bool stop;
	uint8_t q[512];
	size_t qlen;
	uint8_t want[4];
	double t0, give_up_ms;
	unsigned poll_us;
} bmesh_round;

typedef struct {
	bmesh_round *r;
	sdns_doq_client *dc;
	double *lat;                  /* this round's result */
	int stride;
	pthread_t thr;
} bmesh_obs;

static int post_a(sdns_apiclient *c, const char *zone, const char *name,
                  const char *value)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "/zones/%s/records", zone);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:i}", "name", name, "type", "A",
	                        "value", value, "ttl", 300);
	sdns_apiclient_resp r;
	int rc = sdns_apiclient_request_json(c, "POST", path, NULL, rec, &r, err,
	                                     sizeof(err));
	json_decref(rec);
	if (rc < 0) {
		fprintf(stderr, "sdnsctl bench-mesh: %s\n", err);
		return rc;
	}
	int st = r.status;
	sdns_apiclient_resp_free(&r);
	if (st != 201)
		fprintf(stderr, "sdnsctl bench-mesh: POST %s answered %d\n", path, st);
	return st;
}

/* Polls one observer for round n, poll_us apart (the observers' polling
 * must not be what loads the machine); the latency, or give_up_ms. */
static double observe(bmesh_obs *o, const bmesh_round *snap)
{
	for (;;) {
		bool hit = ctl_doq_answers_a(o->dc, snap->q, snap->qlen, snap->want);
		double dt = ctl_now_ms() - snap->t0;
		if (hit) return dt;
		if (dt >= snap->give_up_ms) return snap->give_up_ms;
		struct timespec ts = { 0, (long)snap->poll_us * 1000 };
		if (snap->poll_us) nanosleep(&ts, NULL);
	}
}

static void *obs_main(void *arg)
{
	bmesh_obs *o = arg;
	bmesh_round *r = o->r;
	int seen = 0;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (!r->stop && r->round == seen)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		bmesh_round snap = *r;   /* the question of this round */
		seen = r->round;
		pthread_mutex_unlock(&r->mu);
		double lat = observe(o, &snap);
		pthread_mutex_lock(&r->mu);
		o->lat[(size_t)(seen - 1) * (size_t)o->stride] = lat;
		if (--r->left == 0) pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static double pct(double *v, int n, double p)
{
	ctl_sort_ms(v, (size_t)n);
	return n > 0 ? v[(int)((n - 1) * p)] : 0.0;
}

static int connect_all(const bmesh_args *a, sdns_doq_client **dc,
                       sdns_apiclient **api)
{
	char err[512];
	sdns_apiclient_conf ac = {.url = a->api, .ca_path = a->conn.ca,
	                          .cert_path = a->conn.cert,
	                          .key_path = a->conn.key};
	if (sdns_apiclient_new(&ac, api, err, sizeof(err)) < 0) {
		fprintf(stderr, "sdnsctl bench-mesh: %s\n", err);
		return SDNS_EIO;
	}
	for (int o = 0; o < a->n_obs; o++) {
		ctl_conn_opts co = a->conn;
		sdns_doq_client_conf cc;
		co.server = a->obs[o];
		ctl_conn_to_client_conf(&co, &cc);
		if (sdns_doq_client_connect(&cc, &dc[o], err, sizeof(err)) < 0) {
			fprintf(stderr, "sdnsctl bench-mesh: DoQ %s: %s\n", a->obs[o],
			        err);
			return SDNS_EIO;
		}
	}
	return SDNS_OK;
}

/* Starts round i for name/want and waits until every observer is done. */
static void run_round(bmesh_round *r, int i, int n_obs)
{
	pthread_mutex_lock(&r->mu);
	r->t0 = ctl_now_ms();
	r->round = i + 1;
	r->left = n_obs;
	pthread_cond_broadcast(&r->cv);
	while (r->left > 0) pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

static int one_change(const bmesh_args *a, sdns_apiclient *api,
                      bmesh_round *r, uint32_t runid, int i)
{
	char name[300], value[32], err[256];
	uint8_t want[4] = {10, 201, (uint8_t)(i >> 8), (uint8_t)i};
	snprintf(name, sizeof(name), "mesh-%u-%d.%s", runid, i, a->zone);
	snprintf(value, sizeof(value), "10.201.%d.%d", want[2], want[3]);
	pthread_mutex_lock(&r->mu);
	int rc = ctl_make_query(name, "A", false, r->q, sizeof(r->q), &r->qlen,
	                        err, sizeof(err));
	memcpy(r->want, want, 4);
	pthread_mutex_unlock(&r->mu);
	if (rc < 0 || post_a(api, a->zone, name, value) != 201)
		return SDNS_EIO;
	run_round(r, i, a->n_obs);
	return SDNS_OK;
}

/* lat: changes rows of n_obs + 1 (the last = slowest observer). */
static int run(const bmesh_args *a, double *lat, uint32_t runid)
{
	sdns_doq_client *dc[OBS_MAX] = {0};
	sdns_apiclient *api = NULL;
	bmesh_round r = { .give_up_ms = a->give_up_ms, .poll_us = a->poll_us };
	bmesh_obs obs[OBS_MAX];
	int stride = a->n_obs + 1, started = 0;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	int rc = connect_all(a, dc, &api);
	for (int o = 0; rc == SDNS_OK && o < a->n_obs; o++) {
		obs[o] = (bmesh_obs){ .r = &r, .dc = dc[o], .lat = lat + o,
		                      .stride = stride };
		if (pthread_create(&obs[o].thr, NULL, obs_main, &obs[o]))
			rc = SDNS_ENOMEM;
		else
			started++;
	}
	for (int i = 0; rc == SDNS_OK && i < a->changes; i++) {
		rc = one_change(a, api, &r, runid, i);
		double *row = lat + (size_t)i * (size_t)stride;
		for (int o = 0; rc == SDNS_OK && o < a->n_obs; o++)
			if (row[o] > row[a->n_obs]) row[a->n_obs] = row[o];
	}
	pthread_mutex_lock(&r.mu);
	r.stop = true;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	for (int o = 0; o < started; o++) pthread_join(obs[o].thr, NULL);
	for (int o = 0; o < a->n_obs; o++)
		sdns_doq_client_free(dc[o]);
	sdns_apiclient_free(api);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: sdnsctl bench-mesh --api URL --observer HOST:PORT "
	      "[--observer ...]\n"
	      "       [--server-name N] --ca F --cert F --key F [--changes K]\n"
	      "       [--give-up-ms MS] [--poll-us US] [--json] ZONE\n\n"
	      "K times (default 500): adds a new A record to ZONE through the\n"
	      "owner's API and times until every observer (up to 8) answers it\n"
	      "over DoQ, each on its own connection and thread, asked again US\n"
	      "microseconds (default 1000) after each answer without it.\n"
	      "Prints p50/p99 per observer, for the slowest of them per change\n"
	      "and over every observation, and the observations missed: the\n"
	      "change not seen within MS (default 5000). Exit 1 when any was\n"
	      "missed.\n", f);
}

static int parse_args(bmesh_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	ctl_conn_opts_init(&a->conn);
	a->api = getenv("SDNS_API");
	a->changes = 500;
	a->give_up_ms = 5000.0;
	a->poll_us = 1000;
	for (int i = 1; i < argc; i++) {
		int r = ctl_conn_opt(&a->conn, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (!strcmp(o, "--api") && v) {
			a->api = argv[++i];
		} else if (!strcmp(o, "--observer") && v) {
			if (a->n_obs == OBS_MAX) {
				fprintf(stderr, "sdnsctl bench-mesh: at most %d observers\n",
				        OBS_MAX);
				return 2;
			}
			a->obs[a->n_obs++] = argv[++i];
		} else if (!strcmp(o, "--changes") && v) {
			a->changes = atoi(argv[++i]);
			if (a->changes < 1 || a->changes > 65536) {
				fprintf(stderr, "sdnsctl bench-mesh: --changes 1..65536\n");
				return 2;
			}
		} else if (!strcmp(o, "--give-up-ms") && v) {
			a->give_up_ms = atof(argv[++i]);
			if (a->give_up_ms < 1 || a->give_up_ms > 600000) {
				fprintf(stderr, "sdnsctl bench-mesh: --give-up-ms 1..600000\n");
				return 2;
			}
		} else if (!strcmp(o, "--poll-us") && v) {
			long us = atol(argv[++i]);
			if (us < 0 || us > 1000000) {
				fprintf(stderr, "sdnsctl bench-mesh: --poll-us 0..1000000\n");
				return 2;
			}
			a->poll_us = (unsigned)us;
		} else if (o[0] != '-' && !a->zone) {
			a->zone = o;
		} else {
			fprintf(stderr, "sdnsctl bench-mesh: unexpected '%s'\n", o);
			return 2;
		}
	}
	if (!a->zone || !a->api || a->n_obs == 0) {
		usage(stderr);
		return 2;
	}
	a->conn.server = a->obs[0];
	return ctl_conn_check(&a->conn, "bench-mesh");
}

/* Column o of lat (o == n_obs: the slowest per change) into col; how many
 * of its observations were misses. */
static int column(const bmesh_args *a, const double *lat, int o, double *col)
{
	int missed = 0, stride = a->n_obs + 1;
	for (int i = 0; i < a->changes; i++) {
		col[i] = lat[(size_t)i * (size_t)stride + (size_t)o];
		missed += col[i] >= a->give_up_ms;
	}
	return missed;
}

static void row_out(const bmesh_args *a, const char *who, double *v, int n,
                    int missed, bool first)
{
	double p50 = pct(v, n, 0.5), p99 = pct(v, n, 0.99), max = pct(v, n, 1.0);
	if (a->json)
		printf("%s{\"observer\": \"%s\", \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
		       "\"max_ms\": %.2f, \"missed\": %d}", first ? "" : ", ", who,
		       p50, p99, max, missed);
	else
		printf("API change on owner -> answer on %-16s p50 %7.2f ms  "
		       "p99 %7.2f ms  max %7.2f ms  missed %d\n", who, p50, p99, max,
		       missed);
}

/* The first misses by name, so that node logs can be searched for them. */
static void misses_out(const bmesh_args *a, const double *lat, uint32_t runid)
{
	int shown = 0, stride = a->n_obs + 1;
	for (int i = 0; i < a->changes && shown < MISSES_SHOWN; i++)
		for (int o = 0; o < a->n_obs && shown < MISSES_SHOWN; o++)
			if (lat[(size_t)i * (size_t)stride + (size_t)o] >= a->give_up_ms) {
				printf("   missed: mesh-%u-%d.%s on %s\n", runid, i, a->zone,
				       a->obs[o]);
				shown++;
			}
}

static int report(const bmesh_args *a, const double *lat, uint32_t runid)
{
	int n = a->changes, nobs = n * a->n_obs, missed = 0;
	double *col = calloc((size_t)nobs, sizeof(*col));
	if (!col)
		return -1;
	if (a->json)
		printf("{\"changes\": %d, \"observations\": %d, \"give_up_ms\": %.0f, "
		       "\"observers\": [", n, nobs, a->give_up_ms);
	for (int o = 0; o < a->n_obs; o++) {
		int m = column(a, lat, o, col + (size_t)o * (size_t)n);
		missed += m;
		double *tmp = malloc((size_t)n * sizeof(*tmp));
		if (tmp) {
			memcpy(tmp, col + (size_t)o * (size_t)n, (size_t)n * sizeof(*tmp));
			row_out(a, a->obs[o], tmp, n, m, o == 0);
			free(tmp);
		}
	}
	double *slow = malloc((size_t)n * sizeof(*slow));
	if (slow) {
		int m = column(a, lat, a->n_obs, slow);
		row_out(a, "slowest", slow, n, m, false);
		free(slow);
	}
	row_out(a, "every", col, nobs, missed, false);
	if (a->json)
		printf("], \"missed\": %d}\n", missed);
	else {
		printf("(%d changes x %d observers: %d of %d observations missed, "
		       "i.e. not seen within %.0f ms)\n", n, a->n_obs, missed, nobs,
		       a->give_up_ms);
		misses_out(a, lat, runid);
	}
	free(col);
	return missed;
}

int ctl_bench_mesh(int argc, char **argv)
{
	bmesh_args a;
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	uint32_t runid = (uint32_t)time(NULL);
	double *lat = calloc((size_t)a.changes * (size_t)(a.n_obs + 1),
	                     sizeof(*lat));
	if (!lat || run(&a, lat, runid) < 0) {
		free(lat);
		return 1;
	}
	int missed = report(&a, lat, runid);
	free(lat);
	return missed ? 1 : 0;
}
