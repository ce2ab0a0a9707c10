/* sdnsctl bench-sign: what background renewal of RRSIGs costs for a zone of
 * N records at a given signature validity, in process, without a server.
 * It builds and signs the zone (jittered expirations, as sdnsd does), then
 * lets a simulated clock run tick by tick through the renewal that sdnsd's
 * sync thread does (the same slice per tick, the same budget, the same
 * src/dnssec calls) and measures the CPU that the renewals took, per hour
 * of simulated time, once the renewals have reached their steady rhythm. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "sdns/dnssec.h"
#include "sdns/error.h"
#include "sdns/zone.h"

#define TICK_S 1
#define BUDGET 2000  /* names per tick, as sdnsd's RESIGN_BUDGET */

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int add(sdns_zbuild *b, const char *owner, uint16_t type, uint32_t ttl,
               const uint8_t *rd, uint16_t len)
{
	sdns_rr rr = { .type = type, .rclass = SDNS_C_IN, .ttl = ttl,
	               .rdlen = len, .rdata = rd };
	int rc = sdns_name_from_str(&rr.owner, owner, strlen(owner), NULL);
	return rc ? rc : sdns_zbuild_add(b, &rr);
}

/* bench.mesh. with an SOA, an NS and n A records h<i>.bench.mesh. */
static int build(size_t n, const sdns_dnssec_signer *s, sdns_zone **out)
{
	sdns_zbuild *b = sdns_zbuild_new(s->apex);
	if (!b) return SDNS_ENOMEM;
	static const uint8_t soa[] = {
		2, 'n', 's', 5, 'b', 'e', 'n', 'c', 'h', 4, 'm', 'e', 's', 'h', 0,
		1, 'h', 5, 'b', 'e', 'n', 'c', 'h', 4, 'm', 'e', 's', 'h', 0,
		0, 0, 0, 1, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0x12, 0x75, 0,
		0, 0, 0, 60 };
	static const uint8_t ns[] = { 2, 'n', 's', 5, 'b', 'e', 'n', 'c', 'h',
	                              4, 'm', 'e', 's', 'h', 0 };
	int rc = add(b, "bench.mesh.", SDNS_T_SOA, 3600, soa, sizeof soa);
	if (!rc) rc = add(b, "bench.mesh.", SDNS_T_NS, 3600, ns, sizeof ns);
	for (size_t i = 0; !rc && i < n; i++) {
		char owner[64];
		uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                 (uint8_t)i };
		snprintf(owner, sizeof owner, "h%zu.bench.mesh.", i);
		rc = add(b, owner, SDNS_T_A, 300, a, 4);
	}
	if (rc) {
		sdns_zbuild_free(b);
		return rc;
	}
	sdns_zone_signer hook;
	sdns_dnssec_signer_hook(s, &hook);
	sdns_zone_opts o = { .signer = &hook };
	sdns_zbuild_set_opts(b, &o);
	return sdns_zbuild_finish(b, out, NULL, 0);
}

static void usage(FILE *f)
{
	fputs("usage: sdnsctl bench-sign [--records N] [--validity SECONDS] "
	      "[--hours H]\n"
	      "  builds and signs a zone of N A records (default 100000) with\n"
	      "  RRSIGs valid for SECONDS (default 21600, the mesh zones'), then\n"
	      "  runs sdnsd's background renewal over H simulated hours (default:\n"
	      "  two validities) and prints the CPU it took per hour, measured\n"
	      "  after the first validity (the steady rhythm).\n", f);
}

int ctl_bench_sign(int argc, char **argv)
{
	static const struct option lo[] = {
		{"records", required_argument, NULL, 'n'},
		{"validity", required_argument, NULL, 'v'},
		{"hours", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	size_t n = 100000;
	uint32_t validity = SDNS_DNSSEC_MESH_VALIDITY;
	double hours = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'n') n = strtoul(optarg, NULL, 10);
		else if (c == 'v') validity = (uint32_t)strtoul(optarg, NULL, 10);
		else if (c == 'H') hours = strtod(optarg, NULL);
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!n || validity < 3600) {
		fputs("bench-sign: --records > 0 and --validity >= 3600\n", stderr);
		return 2;
	}
	if (hours <= 0) hours = 2.0 * validity / 3600.0;
	uint8_t seed[32];
	memset(seed, 5, sizeof seed);
	sdns_dnssec_key k;
	sdns_name apex;
	sdns_dnssec_key_from_seed(seed, &k);
	sdns_name_from_str(&apex, "bench.mesh.", 11, NULL);
	const uint32_t t0 = 1800000000u;
	sdns_dnssec_signer s = { &k, &apex, t0, validity, 0, true, NULL };
	double c0 = cpu_s();
	sdns_zone *z = NULL;
	int rc = build(n, &s, &z);
	if (rc) {
		fprintf(stderr, "bench-sign: build: %s\n", sdns_strerror(rc));
		return 1;
	}
	double sign_s = cpu_s() - c0;
	/* The pace of sdnsd's resign_tick: a lap of the zone each fortieth
	 * of the validity, at most 10 minutes. */
	uint64_t lap_s = validity / 40 > 600 ? 600 : validity / 40;
	size_t shards = sdns_zone_shard_count(z);
	size_t per_tick = (size_t)((shards * TICK_S + lap_s - 1) / lap_s);
	if (!per_tick) per_tick = 1;
	uint64_t ticks = (uint64_t)(hours * 3600.0) / TICK_S;
	uint64_t steady = validity / TICK_S; /* measure after one validity */
	size_t cursor = 0, renewed = 0, edits = 0, worst = 0;
	double cpu_steady = 0, worst_tick = 0;
	for (uint64_t t = 1; t <= ticks; t++) {
		s.now = t0 + (uint32_t)(t * TICK_S);
		s.base = z;
		double a = cpu_s();
		sdns_zone *next = NULL;
		size_t got = 0;
		rc = sdns_dnssec_renew(z, &s, NULL, &cursor, per_tick, BUDGET, &next,
		                       &got);
		if (rc) {
			fprintf(stderr, "bench-sign: renew: %s\n", sdns_strerror(rc));
			sdns_zone_free(z);
			return 1;
		}
		if (next) {
			sdns_zone_free(z);
			z = next;
		}
		double spent = cpu_s() - a;
		if (t > steady) {
			cpu_steady += spent;
			renewed += got;
			edits += next != NULL;
			if (spent > worst_tick) worst_tick = spent;
			if (got > worst) worst = got;
		}
	}
	double h = (double)(ticks - steady) * TICK_S / 3600.0;
	printf("records=%zu validity_s=%u shards=%zu per_tick=%zu\n", n, validity,
	       shards, per_tick);
	printf("initial signing: %.2f s CPU\n", sign_s);
	printf("steady renewal over %.1f simulated hours: %.0f names/hour, "
	       "%.3f s CPU/hour (%.3f%% of one core), %zu edits, worst tick "
	       "%.1f ms (%zu names)\n", h, (double)renewed / h, cpu_steady / h,
	       cpu_steady / h / 36.0, edits, worst_tick * 1e3, worst);
	sdns_zone_free(z);
	sdns_dnssec_key_clear(&k);
	return 0;
}
