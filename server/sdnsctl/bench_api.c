/* sdnsctl bench-api: the store/API figures.
 *  1. writes/s: C client threads POST records into ZONE until W are made.
 *  2. propagation: K times, change one record through the API and time from
 *     the moment the API answered to the moment DoQ answers the new value
 *     (queries sent back to back on an open connection). p50/p99.
 *     With --background-rate R, writer threads keep R writes/s going into
 *     ZONE meanwhile (paced, not a burst): the latency under steady load. */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ctl.h"
#include "sdns/apiclient.h"
#include "sdns/error.h"

typedef struct {
	ctl_conn_opts conn;         /* DoQ server + the shared CA/cert/key */
	const char *api, *zone;
	int clients, writes, changes, bg_rate;
	bool json;
} bapi_args;


static int new_client(const bapi_args *a, sdns_apiclient **c)
{
	sdns_apiclient_conf cc = {.url = a->api, .ca_path = a->conn.ca,
	                          .cert_path = a->conn.cert,
	                          .key_path = a->conn.key};
	char err[256];
	int rc = sdns_apiclient_new(&cc, c, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "sdnsctl bench-api: %s\n", err);
	return rc;
}

/* POST a record; returns the HTTP status or a negative code. */
static int post_record(sdns_apiclient *c, const char *zone, const char *name,
                       const char *value)
{
	char path[512], err[256];
	snprintf(path, sizeof(path), "/zones/%s/records", zone);
	json_t *rec = json_pack("{s:s, s:s, s:s, s:i}", "name", name, "type", "A",
	                        "value", value, "ttl", 60);
	sdns_apiclient_resp r;
	int rc = sdns_apiclient_request_json(c, "POST", path, NULL, rec, &r, err,
	                                     sizeof(err));
	json_decref(rec);
	if (rc < 0)
		return rc;
	int st = r.status;
	sdns_apiclient_resp_free(&r);
	return st;
}

typedef struct {
	const bapi_args *a;
	int id;
	unsigned run;       /* names unique per run: reruns add, not clash */
	atomic_int *next;
	int ok, failed;
} writer;

static void *writer_thread(void *p)
{
	writer *w = p;
	sdns_apiclient *c;
	if (new_client(w->a, &c) < 0)
		return NULL;
	int i;
	while ((i = atomic_fetch_add(w->next, 1)) < w->a->writes) {
		char name[300], value[32];
		snprintf(name, sizeof(name), "w%u-%d-%d.%s", w->run, w->id, i,
		         w->a->zone);
		snprintf(value, sizeof(value), "10.%d.%d.%d", (i >> 16) & 255,
		         (i >> 8) & 255, i & 255);
		if (post_record(c, w->a->zone, name, value) == 201)
			w->ok++;
		else
			w->failed++;
	}
	sdns_apiclient_free(c);
	return NULL;
}

static int bench_writes(const bapi_args *a, double *rate, int *failed)
{
	writer *ws = calloc((size_t)a->clients, sizeof(*ws));
	pthread_t *th = calloc((size_t)a->clients, sizeof(*th));
	atomic_int next = 0;
	if (!ws || !th) {
		free(ws);
		free(th);
		return SDNS_ENOMEM;
	}
	double t0 = ctl_now_ms();
	for (int i = 0; i < a->clients; i++) {
		ws[i] = (writer){.a = a, .id = i,
		                 .run = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16),
		                 .next = &next};
		pthread_create(&th[i], NULL, writer_thread, &ws[i]);
	}
	int ok = 0;
	*failed = 0;
	for (int i = 0; i < a->clients; i++) {
		pthread_join(th[i], NULL);
		ok += ws[i].ok;
		*failed += ws[i].failed;
	}
	*rate = ok / ((ctl_now_ms() - t0) / 1e3);
	free(ws);
	free(th);
	return SDNS_OK;
}



/* Background load: each of C threads posts one record every C/R seconds
 * until told to stop. */
typedef struct {
	const bapi_args *a;
	int id;
	atomic_bool *stop;
	int ok, failed;
	double t0, t1;
} bgwriter;

static void *bg_thread(void *p)
{
	bgwriter *w = p;
	sdns_apiclient *c;
	if (new_client(w->a, &c) < 0)
		return NULL;
	double every = 1000.0 * w->a->clients / w->a->bg_rate;
	double next = ctl_now_ms() + every * w->id / w->a->clients;
	unsigned run = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	w->t0 = ctl_now_ms();
	for (int i = 0; !atomic_load(w->stop); i++) {
		double now = ctl_now_ms();
		if (now < next) {
			struct timespec ts = { 0, (long)((next - now) * 1e6) };
			nanosleep(&ts, NULL);
		}
		next += every;
		char name[300], value[32];
		snprintf(name, sizeof(name), "bg%u-%d-%d.%s", run, w->id, i,
		         w->a->zone);
		snprintf(value, sizeof(value), "10.%d.%d.%d", w->id, (i >> 8) & 255,
		         i & 255);
		if (post_record(c, w->a->zone, name, value) == 201)
			w->ok++;
		else
			w->failed++;
	}
	w->t1 = ctl_now_ms();
	sdns_apiclient_free(c);
	return NULL;
}

typedef struct {
	bgwriter *w;
	pthread_t *th;
	int n;
	atomic_bool stop;
} bgload;

static int bg_start(const bapi_args *a, bgload *bg)
{
	memset(bg, 0, sizeof(*bg));
	if (!a->bg_rate) return SDNS_OK;
	bg->n = a->clients;
	bg->w = calloc((size_t)bg->n, sizeof(*bg->w));
	bg->th = calloc((size_t)bg->n, sizeof(*bg->th));
	if (!bg->w || !bg->th) return SDNS_ENOMEM;
	for (int i = 0; i < bg->n; i++) {
		bg->w[i] = (bgwriter){ .a = a, .id = i, .stop = &bg->stop };
		pthread_create(&bg->th[i], NULL, bg_thread, &bg->w[i]);
	}
	return SDNS_OK;
}

/* Stop the load; the rate it kept and its failures. */
static void bg_stop(bgload *bg, double *rate, int *failed)
{
	*rate = 0;
	*failed = 0;
	if (!bg->n) return;
	atomic_store(&bg->stop, true);
	int ok = 0;
	double t0 = 0, t1 = 0;
	for (int i = 0; i < bg->n; i++) {
		pthread_join(bg->th[i], NULL);
		ok += bg->w[i].ok;
		*failed += bg->w[i].failed;
		if (!t0 || bg->w[i].t0 < t0) t0 = bg->w[i].t0;
		if (bg->w[i].t1 > t1) t1 = bg->w[i].t1;
	}
	*rate = t1 > t0 ? ok / ((t1 - t0) / 1e3) : 0;
	free(bg->w);
	free(bg->th);
}

/* Each change adds prop-i.ZONE (a new name: no cached negative answer can
 * hide it, and nothing else changes it). */
static int bench_propagation(const bapi_args *a, double *lat, double *e2e,
                             int *missed)
{
	sdns_apiclient *c;
	sdns_doq_client *dc;
	sdns_doq_client_conf cc;
	char err[512];
	if (new_client(a, &c) < 0)
		return SDNS_EINVAL;
	ctl_conn_to_client_conf(&a->conn, &cc);
	if (sdns_doq_client_connect(&cc, &dc, err, sizeof(err)) < 0) {
		fprintf(stderr, "sdnsctl bench-api: DoQ %s: %s\n", a->conn.server, err);
		sdns_apiclient_free(c);
		return SDNS_EIO;
	}
	*missed = 0;
	/* Unique per run: two runs in one second must not clash (409). */
	uint32_t run = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	for (int i = 0; i < a->changes; i++) {
		char name[300], value[32];
		uint8_t want[4] = {10, 200, (uint8_t)(i >> 8), (uint8_t)i};
		snprintf(name, sizeof(name), "prop-%u-%d.%s", run, i, a->zone);
		snprintf(value, sizeof(value), "10.200.%d.%d", want[2], want[3]);
		uint8_t q[512];
		size_t qlen;
		int st = 0;
		double tw = ctl_now_ms();
		if (ctl_make_query(name, "A", false, q, sizeof(q), &qlen, err,
		                   sizeof(err)) < 0 ||
		    (st = post_record(c, a->zone, name, value)) != 201) {
			if (i == 0 || st != 201)
				fprintf(stderr, "sdnsctl bench-api: change %d: status %d\n", i,
				        st);
			lat[i] = e2e[i] = -1;
			(*missed)++;
			continue;
		}
		double t0 = ctl_now_ms();
		while (!ctl_doq_answers_a(dc, q, qlen, want) && ctl_now_ms() - t0 < 5000)
			;
		lat[i] = ctl_now_ms() - t0;
		e2e[i] = ctl_now_ms() - tw;   /* the write's own time included */
		if (lat[i] >= 5000)
			(*missed)++;
	}
	sdns_doq_client_free(dc);
	sdns_apiclient_free(c);
	return SDNS_OK;
}

static void usage(FILE *f)
{
	fputs("usage: sdnsctl bench-api --api URL --server HOST:PORT [--server-name N]\n"
	      "       --ca F --cert F --key F [--clients C] [--writes W]\n"
	      "       [--changes K] [--background-rate R] [--json] ZONE\n\n"
	      "Measures API writes/s (C clients, W records, defaults 8 and 2000) and\n"
	      "the time from an API change to its answer over DoQ (K changes,\n"
	      "default 1000), optionally while C threads keep R writes/s going into\n"
	      "ZONE. ZONE must exist and accept the certificate's writes.\n", f);
}

static int parse_args(bapi_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	ctl_conn_opts_init(&a->conn);
	a->api = getenv("SDNS_API");
	a->clients = 8, a->writes = 2000, a->changes = 1000;
	for (int i = 1; i < argc; i++) {
		int r = ctl_conn_opt(&a->conn, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int *num = !strcmp(o, "--clients") ? &a->clients
		           : !strcmp(o, "--writes") ? &a->writes
		           : !strcmp(o, "--changes") ? &a->changes
		           : !strcmp(o, "--background-rate") ? &a->bg_rate : NULL;
		if (!strcmp(o, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (!strcmp(o, "--api") && v) {
			a->api = argv[++i];
		} else if (num && v) {
			*num = atoi(argv[++i]);
			if (*num < 0 || *num > 1000000 || (num == &a->clients && *num < 1)) {
				fprintf(stderr, "sdnsctl bench-api: bad value for %s\n", o);
				return 2;
			}
		} else if (o[0] != '-' && !a->zone) {
			a->zone = o;
		} else {
			fprintf(stderr, "sdnsctl bench-api: unexpected '%s'\n", o);
			return 2;
		}
	}
	if (!a->zone || !a->api) {
		usage(stderr);
		return 2;
	}
	return ctl_conn_check(&a->conn, "bench-api");
}

int ctl_bench_api(int argc, char **argv)
{
	bapi_args a;
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	double rate = 0, bg_rate = 0;
	int wfailed = 0, missed = 0, bg_failed = 0;
	double *lat = calloc((size_t)a.changes + 1, sizeof(*lat));
	double *e2e = calloc((size_t)a.changes + 1, sizeof(*e2e));
	bgload bg;
	if (!lat || !e2e || (a.writes && bench_writes(&a, &rate, &wfailed) < 0) ||
	    bg_start(&a, &bg) < 0 ||
	    (a.changes && bench_propagation(&a, lat, e2e, &missed) < 0)) {
		bg_stop(&bg, &bg_rate, &bg_failed);
		free(lat);
		free(e2e);
		return 1;
	}
	bg_stop(&bg, &bg_rate, &bg_failed);
	wfailed += bg_failed;
	ctl_sort_ms(lat, (size_t)a.changes);
	ctl_sort_ms(e2e, (size_t)a.changes);
	int n = a.changes - missed; /* misses sort first as -1 or last as 5000 */
	double *ok = lat, *ok2 = e2e;
	while (ok < lat + a.changes && *ok < 0)
		ok++;
	while (ok2 < e2e + a.changes && *ok2 < 0)
		ok2++;
#define PCT(p) (n > 0 ? ok[(int)((n - 1) * (p))] : 0.0)
#define PCT2(p) (n > 0 ? ok2[(int)((n - 1) * (p))] : 0.0)
	if (a.json)
		printf("{\"clients\": %d, \"writes\": %d, \"writes_per_s\": %.1f, "
		       "\"write_failures\": %d, \"changes\": %d, \"missed\": %d, "
		       "\"propagation_p50_ms\": %.2f, \"propagation_p99_ms\": %.2f, "
		       "\"propagation_max_ms\": %.2f, \"write_to_answer_p50_ms\": %.2f, "
		       "\"write_to_answer_p99_ms\": %.2f, \"background_writes_per_s\": "
		       "%.1f}\n", a.clients, a.writes, rate, wfailed, a.changes, missed,
		       PCT(0.5), PCT(0.99), PCT(1.0), PCT2(0.5), PCT2(0.99), bg_rate);
	else {
		if (a.writes)
			printf("API writes: %.0f/s (%d clients, %d records, %d failed)\n",
			       rate, a.clients, a.writes, wfailed);
		printf("API change -> DoQ answer: p50 %.2f ms  p99 %.2f ms  max %.2f ms "
		       "(%d changes, %d missed)", PCT(0.5), PCT(0.99), PCT(1.0),
		       a.changes, missed);
		if (a.bg_rate)
			printf(" under %.0f writes/s of background load", bg_rate);
		printf("\nAPI write sent -> DoQ answer: p50 %.2f ms  p99 %.2f ms\n",
		       PCT2(0.5), PCT2(0.99));
	}
#undef PCT
#undef PCT2
	free(lat);
	free(e2e);
	return (wfailed || missed) ? 1 : 0;
}
