/* sdnsctl query: one DNS question over DNS-over-QUIC with mutual TLS,
 * printed like dig (or as JSON). Exit 0 when an answer arrived, whatever its
 * rcode; 1 when none did; 2 for usage errors. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "ctl.h"
#include "sdns/error.h"
#include "validate.h"

static void usage(FILE *f)
{
	fputs("usage: sdnsctl query [--server HOST:PORT] [--server-name NAME]\n"
	      "                     [--ca F --cert F --key F] [--timeout-ms MS]\n"
	      "                     [--dnssec] [--validate [--zone-key-pub B64|FILE]]\n"
	      "                     [--json] [--wire-out FILE] NAME [TYPE]\n\n"
	      "Asks NAME (TYPE, default A) over DNS-over-QUIC. The server certificate\n"
	      "is checked against --ca and the host (or --server-name). Defaults:\n"
	      "SDNS_SERVER (else " CTL_DEFAULT_SERVER "), SDNS_CA, SDNS_CERT, SDNS_KEY.\n"
	      "  --dnssec         set the DO bit\n"
	      "  --validate       check the DNSSEC signatures (implies --dnssec; exit 1\n"
	      "                   when bogus) against --zone-key-pub, else against\n"
	      "                   the server's own DNSKEY\n"
	      "  --json           print the answer as JSON\n"
	      "  --wire-out FILE  also write the raw response (for other tools)\n", f);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(buf, 1, len, f) == len;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

typedef struct {
	ctl_conn_opts conn;
	bool dnssec, json, validate;
	const char *wire_out, *name, *type, *zone_key_pub;
} query_args;

static int parse_args(query_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	ctl_conn_opts_init(&a->conn);
	for (int i = 1; i < argc; i++) {
		int r = ctl_conn_opt(&a->conn, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(argv[i], "--dnssec")) {
			a->dnssec = true;
		} else if (!strcmp(argv[i], "--validate")) {
			a->validate = a->dnssec = true;
		} else if (!strcmp(argv[i], "--zone-key-pub") && i + 1 < argc) {
			a->zone_key_pub = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--wire-out") && i + 1 < argc) {
			a->wire_out = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sdnsctl query: unknown option '%s'\n", argv[i]);
			return 2;
		} else if (!a->name) {
			a->name = argv[i];
		} else if (!a->type) {
			a->type = argv[i];
		} else {
			fprintf(stderr, "sdnsctl query: unexpected '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!a->name) {
		usage(stderr);
		return 2;
	}
	return ctl_conn_check(&a->conn, "query");
}

int ctl_query(int argc, char **argv)
{
	query_args a;
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	uint8_t q[512];
	size_t qlen;
	char err[512];
	if (ctl_make_query(a.name, a.type, a.dnssec, q, sizeof(q), &qlen, err,
	                   sizeof(err)) < 0) {
		fprintf(stderr, "sdnsctl query: %s\n", err);
		return 2;
	}
	sdns_doq_client_conf cc;
	ctl_conn_to_client_conf(&a.conn, &cc);
	double t0 = now_ms();
	sdns_doq_client *cl = NULL;
	if (sdns_doq_client_connect(&cc, &cl, err, sizeof(err)) < 0) {
		const char *env = getenv("SDNS_SERVER");
		bool dflt = !strcmp(a.conn.server, CTL_DEFAULT_SERVER) &&
		            (!env || !*env);
		fprintf(stderr, "sdnsctl query: %s: %s%s\n", a.conn.server, err,
		        dflt ? " (the default server: give --server HOST:PORT or "
		               "set SDNS_SERVER; make run listens on 127.0.0.1:8853)"
		             : "");
		return 1;
	}
	uint8_t *resp = malloc(SDNS_MSG_MAX);
	size_t rlen = 0;
	rc = resp ? sdns_doq_client_query(cl, q, qlen, resp, SDNS_MSG_MAX, &rlen)
	          : SDNS_ENOMEM;
	double elapsed = now_ms() - t0;
	int vrc = 0;
	sdns_msg m;
	if (rc == SDNS_OK && (rc = sdns_msg_parse(resp, rlen, &m)) < 0)
		fprintf(stderr, "sdnsctl query: unparseable answer: %s\n",
		        sdns_strerror(rc));
	else if (rc < 0)
		fprintf(stderr, "sdnsctl query: %s: %s\n", a.conn.server,
		        sdns_strerror(rc));
	if (rc == SDNS_OK) {
		if (a.json)
			ctl_print_json(stdout, &m, rlen, elapsed, a.conn.server);
		else {
			ctl_print_dig(stdout, &m, rlen);
			printf(";; Query time: %.1f msec (with handshake)\n;; SERVER: %s "
			       "(DoQ, mutual TLS)\n", elapsed, a.conn.server);
		}
		sdns_msg_free(&m);
		if (a.validate) vrc = ctl_validate(cl, a.zone_key_pub, resp, rlen,
		                                         a.json);
	}
	sdns_doq_client_free(cl);
	if (rlen && a.wire_out && write_file(a.wire_out, resp, rlen) < 0) {
		fprintf(stderr, "sdnsctl query: cannot write %s\n", a.wire_out);
		rc = SDNS_EIO;
	}
	free(resp);
	return rc != SDNS_OK ? 1 : vrc;
}
