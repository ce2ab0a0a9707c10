/* sdnsctl bench: DoQ load generator. C connections, each keeping S queries
 * in flight on their own streams, spread over T threads of the bench's own
 * (so the generator is not the bottleneck of a one-thread loop). Prints
 * queries/s, latency percentiles and errors. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ctl.h"
#include "sdns/error.h"

#define RING (1u << 16) /* send times by stream index; > any in-flight span */

typedef struct bthread bthread;

typedef struct {
	sdns_doq_client *cl;
	uint64_t *sent_ns;
	int inflight;
	bool dead;
	bthread *t;
} bconn;

struct bthread {
	pthread_t th;
	bconn *conns;
	int n;
	const uint8_t *q;
	size_t qlen;
	int streams;
	uint64_t deadline_ns;
	uint32_t *lat_us;
	size_t nlat, caplat;
	uint64_t sent, answered, errors, lost, rcodes[16];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(bthread *t, uint64_t lat_ns)
{
	if (t->nlat == t->caplat) {
		size_t cap = t->caplat ? t->caplat * 2 : 65536;
		uint32_t *p = realloc(t->lat_us, cap * sizeof(*p));
		if (!p)
			return;
		t->lat_us = p;
		t->caplat = cap;
	}
	uint64_t us = lat_ns / 1000;
	t->lat_us[t->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void on_answer(void *ctx, int64_t sid, int status, uint64_t app_error,
                      const uint8_t *resp, size_t len)
{
	(void)app_error;
	bconn *c = ctx;
	bthread *t = c->t;
	c->inflight--;
	if (status != SDNS_OK || len < SDNS_HDR_LEN) {
		t->errors++;
		return;
	}
	t->answered++;
	t->rcodes[resp[3] & 0xf]++;
	record(t, now_ns() - c->sent_ns[((uint64_t)sid >> 2) & (RING - 1)]);
}

static void fill(bthread *t, bconn *c, bool sending)
{
	int queued = 0;
	while (sending && !c->dead && c->inflight < t->streams &&
	       sdns_doq_client_streams_left(c->cl) > 0) {
		int64_t sid;
		if (sdns_doq_client_queue(c->cl, t->q, t->qlen, &sid) < 0)
			break;
		c->sent_ns[((uint64_t)sid >> 2) & (RING - 1)] = now_ns();
		c->inflight++;
		t->sent++;
		queued++;
	}
	/* One flush for the whole refill: the queries share datagrams. */
	if (queued)
		sdns_doq_client_flush(c->cl);
}

/* One pass over the thread's connections; blocks in poll() only when
 * nothing was ready, so one slow connection does not stall the others. */
static int drive(bthread *t, bool sending)
{
	int busy = 0, progressed = 0;
	struct pollfd pf[64];
	for (int i = 0; i < t->n; i++) {
		bconn *c = &t->conns[i];
		pf[i] = (struct pollfd){.fd = -1}; /* poll skips it */
		if (c->dead)
			continue;
		fill(t, c, sending);
		int r = sdns_doq_client_poll(c->cl, t->n == 1 ? 50 : 0, on_answer, c);
		if (r < 0) {
			t->errors += (uint64_t)c->inflight;
			t->lost++; /* a connection closed under us is a failure too */
			c->inflight = 0;
			c->dead = true;
			continue;
		}
		progressed += r;
		busy += c->inflight;
		pf[i] = (struct pollfd){.fd = sdns_doq_client_fd(c->cl), .events = POLLIN};
	}
	if (t->n > 1 && !progressed && busy)
		poll(pf, (nfds_t)t->n, 1);
	return busy;
}

static void *bench_thread(void *p)
{
	bthread *t = p;
	while (now_ns() < t->deadline_ns)
		drive(t, true);
	uint64_t drain_until = now_ns() + 2000000000u;
	while (drive(t, false) > 0 && now_ns() < drain_until)
		;
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

typedef struct {
	ctl_conn_opts conn;
	int connections, streams, threads;
	double duration;
	bool json;
	const char *name, *type;
} bench_args;

static void usage(FILE *f)
{
	fputs("usage: sdnsctl bench [--server HOST:PORT] [--ca F --cert F --key F]\n"
	      "                     [--connections C] [--streams S] [--duration SEC]\n"
	      "                     [--threads T] [--json] NAME [TYPE]\n\n"
	      "Keeps S queries in flight on each of C DoQ connections for SEC seconds\n"
	      "(defaults 4, 32, 10) on T threads (default: min(C, cores)) and prints\n"
	      "queries/s, latency p50/p99 and errors.\n", f);
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_args(bench_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	ctl_conn_opts_init(&a->conn);
	a->connections = 4, a->streams = 32, a->duration = 10;
	for (int i = 1; i < argc; i++) {
		int r = ctl_conn_opt(&a->conn, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (!strcmp(o, "--connections") && v) {
			bad = parse_int(v, 1, 1024, &a->connections), i++;
		} else if (!strcmp(o, "--streams") && v) {
			bad = parse_int(v, 1, 4096, &a->streams), i++;
		} else if (!strcmp(o, "--threads") && v) {
			bad = parse_int(v, 1, 64, &a->threads), i++;
		} else if (!strcmp(o, "--duration") && v) {
			char *end;
			a->duration = strtod(v, &end);
			bad = *end || a->duration <= 0 || a->duration > 3600, i++;
		} else if (o[0] == '-') {
			fprintf(stderr, "sdnsctl bench: unknown option '%s'\n", o);
			return 2;
		} else if (!a->name) {
			a->name = o;
		} else if (!a->type) {
			a->type = o;
		} else {
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "sdnsctl bench: bad value for '%s'\n", o);
			return 2;
		}
	}
	if (!a->name) {
		usage(stderr);
		return 2;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (!a->threads)
		a->threads = a->connections < cores ? a->connections : (int)cores;
	if (a->threads > a->connections)
		a->threads = a->connections;
	if ((a->connections + a->threads - 1) / a->threads > 64) {
		fprintf(stderr, "sdnsctl bench: at most 64 connections per thread\n");
		return 2;
	}
	return ctl_conn_check(&a->conn, "bench");
}

static int connect_all(const bench_args *a, bconn *conns)
{
	sdns_doq_client_conf cc;
	ctl_conn_to_client_conf(&a->conn, &cc);
	for (int i = 0; i < a->connections; i++) {
		char err[512];
		conns[i].sent_ns = calloc(RING, sizeof(uint64_t));
		if (!conns[i].sent_ns ||
		    sdns_doq_client_connect(&cc, &conns[i].cl, err, sizeof(err)) < 0) {
			fprintf(stderr, "sdnsctl bench: connection %d: %s\n", i,
			        conns[i].sent_ns ? err : "out of memory");
			return -1;
		}
	}
	return 0;
}

static void report(const bench_args *a, bthread *ts, double secs)
{
	uint64_t sent = 0, answered = 0, errors = 0, lost = 0, rcodes[16] = {0};
	size_t nlat = 0;
	for (int i = 0; i < a->threads; i++) {
		sent += ts[i].sent, answered += ts[i].answered, errors += ts[i].errors;
		lost += ts[i].lost;
		nlat += ts[i].nlat;
		for (int r = 0; r < 16; r++)
			rcodes[r] += ts[i].rcodes[r];
	}
	uint32_t *all = malloc((nlat ? nlat : 1) * sizeof(*all));
	size_t k = 0;
	for (int i = 0; all && i < a->threads; i++)
		for (size_t j = 0; j < ts[i].nlat; j++)
			all[k++] = ts[i].lat_us[j];
	if (all)
		qsort(all, k, sizeof(*all), cmp_u32);
#define PCT(p) (k ? all[(size_t)((double)(k - 1) * (p))] / 1000.0 : 0.0)
	double qps = (double)answered / secs;
	uint64_t bad_rcode = answered - rcodes[0];
	if (a->json)
		printf("{\"connections\": %d, \"streams\": %d, \"threads\": %d, "
		       "\"duration_s\": %.2f, \"sent\": %llu, \"answered\": %llu, "
		       "\"errors\": %llu, \"connections_lost\": %llu, "
		       "\"non_noerror\": %llu, \"qps\": %.1f, "
		       "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
		       "\"max_ms\": %.3f}\n", a->connections, a->streams, a->threads,
		       secs, (unsigned long long)sent, (unsigned long long)answered,
		       (unsigned long long)errors, (unsigned long long)lost,
		       (unsigned long long)bad_rcode, qps,
		       PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0));
	else
		printf("connections %d x streams %d on %d threads, %.2f s\n"
		       "queries/s: %.0f\nlatency ms: p50 %.3f  p90 %.3f  p99 %.3f  "
		       "max %.3f\nsent %llu  answered %llu  errors %llu  "
		       "connections lost %llu  non-NOERROR %llu\n", a->connections,
		       a->streams, a->threads, secs, qps, PCT(0.5), PCT(0.9),
		       PCT(0.99), PCT(1.0), (unsigned long long)sent,
		       (unsigned long long)answered, (unsigned long long)errors,
		       (unsigned long long)lost, (unsigned long long)bad_rcode);
#undef PCT
	free(all);
}

int ctl_bench(int argc, char **argv)
{
	bench_args a;
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	uint8_t q[512];
	size_t qlen;
	char err[512];
	if (ctl_make_query(a.name, a.type, false, q, sizeof(q), &qlen, err,
	                   sizeof(err)) < 0) {
		fprintf(stderr, "sdnsctl bench: %s\n", err);
		return 2;
	}
	bconn *conns = calloc((size_t)a.connections, sizeof(*conns));
	bthread *ts = calloc((size_t)a.threads, sizeof(*ts));
	int status = 1;
	if (!conns || !ts || connect_all(&a, conns) < 0)
		goto out;
	uint64_t start = now_ns();
	uint64_t deadline = start + (uint64_t)(a.duration * 1e9);
	for (int i = 0; i < a.threads; i++) {
		bthread *t = &ts[i];
		t->conns = &conns[i * a.connections / a.threads];
		t->n = (i + 1) * a.connections / a.threads - i * a.connections / a.threads;
		t->q = q, t->qlen = qlen, t->streams = a.streams;
		t->deadline_ns = deadline;
		for (int j = 0; j < t->n; j++)
			t->conns[j].t = t;
		pthread_create(&t->th, NULL, bench_thread, t);
	}
	for (int i = 0; i < a.threads; i++)
		pthread_join(ts[i].th, NULL);
	report(&a, ts, (double)(deadline - start) / 1e9);
	status = 0;
	for (int i = 0; i < a.threads; i++)
		if (ts[i].errors || ts[i].lost)
			status = 1;
out:
	for (int i = 0; conns && i < a.connections; i++) {
		if (conns[i].cl)
			sdns_doq_client_free(conns[i].cl);
		free(conns[i].sent_ns);
	}
	for (int i = 0; ts && i < a.threads; i++)
		free(ts[i].lat_us);
	free(conns);
	free(ts);
	return status;
}
