/* sdnsctl bench-mesh: how fast a change on one node reaches the others.
 * K times: POST a new name into ZONE through the owner's API, then ask every
 * observer (other nodes, over DoQ, one open connection each) until it
 * answers the new value; the time from the API's answer to each observer's
 * first correct answer, p50/p99 per observer and for the slowest of them.
 * A new name each time: only the owner's NOTIFY can make an observer drop
 * the negative answer it may have cached on the first ask. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ctl.h"
#include "sdns/apiclient.h"
#include "sdns/error.h"

#define OBS_MAX 8
#define GIVE_UP_MS 5000.0

typedef struct {
	ctl_conn_opts conn;           /* CA/cert/key shared by API and DoQ */
	const char *api, *zone;
	const char *obs[OBS_MAX];
	int n_obs, changes;
	bool json;
} bmesh_args;


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
	return st;
}


/* Asks the observers in turn until each has answered; lat[o] per observer
 * (GIVE_UP_MS when it never did). */
static void wait_all(sdns_doq_client **dc, int n, const uint8_t *q,
                     size_t qlen, const uint8_t want[4], double *lat)
{
	double t0 = ctl_now_ms();
	int left = n;
	for (int o = 0; o < n; o++)
		lat[o] = -1;
	while (left > 0) {
		double now = ctl_now_ms();
		for (int o = 0; o < n; o++) {
			if (lat[o] >= 0)
				continue;
			if (now - t0 >= GIVE_UP_MS || ctl_doq_answers_a(dc[o], q, qlen, want)) {
				lat[o] = now - t0 >= GIVE_UP_MS ? GIVE_UP_MS : ctl_now_ms() - t0;
				left--;
			}
		}
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

/* lat: changes rows of n_obs + 1 (the last = slowest observer). */
static int run(const bmesh_args *a, double *lat, int *missed)
{
	sdns_doq_client *dc[OBS_MAX] = {0};
	sdns_apiclient *api = NULL;
	int rc = connect_all(a, dc, &api);
	uint32_t runid = (uint32_t)time(NULL);
	int stride = a->n_obs + 1;
	*missed = 0;
	for (int i = 0; rc == SDNS_OK && i < a->changes; i++) {
		char name[300], value[32], err[256];
		uint8_t want[4] = {10, 201, (uint8_t)(i >> 8), (uint8_t)i};
		uint8_t q[512];
		size_t qlen;
		snprintf(name, sizeof(name), "mesh-%u-%d.%s", runid, i, a->zone);
		snprintf(value, sizeof(value), "10.201.%d.%d", want[2], want[3]);
		if (ctl_make_query(name, "A", false, q, sizeof(q), &qlen, err,
		                   sizeof(err)) < 0 ||
		    post_a(api, a->zone, name, value) != 201) {
			rc = SDNS_EIO;
			break;
		}
		double *row = lat + (size_t)i * (size_t)stride;
		wait_all(dc, a->n_obs, q, qlen, want, row);
		row[a->n_obs] = 0;
		for (int o = 0; o < a->n_obs; o++) {
			if (row[o] >= GIVE_UP_MS)
				(*missed)++;
			if (row[o] > row[a->n_obs])
				row[a->n_obs] = row[o];
		}
	}
	for (int o = 0; o < a->n_obs; o++)
		sdns_doq_client_free(dc[o]);
	sdns_apiclient_free(api);
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: sdnsctl bench-mesh --api URL --observer HOST:PORT "
	      "[--observer ...]\n"
	      "       [--server-name N] --ca F --cert F --key F [--changes K] "
	      "[--json] ZONE\n\n"
	      "K times (default 500): adds a new A record to ZONE through the\n"
	      "owner's API and times until every observer answers it over DoQ.\n"
	      "Prints p50/p99 per observer and for the slowest of them.\n", f);
}

static int parse_args(bmesh_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	ctl_conn_opts_init(&a->conn);
	a->api = getenv("SDNS_API");
	a->changes = 500;
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
		} else if (!strcmp(o, "--observer") && v && a->n_obs < OBS_MAX) {
			a->obs[a->n_obs++] = argv[++i];
		} else if (!strcmp(o, "--changes") && v) {
			a->changes = atoi(argv[++i]);
			if (a->changes < 1 || a->changes > 65536) {
				fprintf(stderr, "sdnsctl bench-mesh: --changes 1..65536\n");
				return 2;
			}
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

static void report(const bmesh_args *a, double *lat, int missed)
{
	int stride = a->n_obs + 1, n = a->changes;
	double *col = calloc((size_t)n, sizeof(*col));
	if (!col)
		return;
	if (a->json)
		printf("{\"changes\": %d, \"missed\": %d, \"observers\": [", n, missed);
	for (int o = 0; o <= a->n_obs; o++) {
		for (int i = 0; i < n; i++)
			col[i] = lat[(size_t)i * (size_t)stride + (size_t)o];
		double p50 = pct(col, n, 0.5), p99 = pct(col, n, 0.99);
		double max = pct(col, n, 1.0);
		const char *who = o < a->n_obs ? a->obs[o] : "all";
		if (a->json)
			printf("%s{\"observer\": \"%s\", \"p50_ms\": %.2f, "
			       "\"p99_ms\": %.2f, \"max_ms\": %.2f}", o ? ", " : "",
			       who, p50, p99, max);
		else
			printf("API change on owner -> answer on %-16s p50 %7.2f ms  "
			       "p99 %7.2f ms  max %7.2f ms\n", who, p50, p99, max);
	}
	if (a->json)
		printf("]}\n");
	else
		printf("(%d changes, %d observer answers missed)\n", n, missed);
	free(col);
}

int ctl_bench_mesh(int argc, char **argv)
{
	bmesh_args a;
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	int missed = 0;
	double *lat = calloc((size_t)a.changes * (size_t)(a.n_obs + 1),
	                     sizeof(*lat));
	if (!lat || run(&a, lat, &missed) < 0) {
		free(lat);
		return 1;
	}
	report(&a, lat, missed);
	free(lat);
	return missed ? 1 : 0;
}
