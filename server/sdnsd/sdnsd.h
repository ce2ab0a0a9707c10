/* sdnsd internals: configuration (JSON file + flags) and the serving state. */
#ifndef SDNSD_H
#define SDNSD_H

#include <stddef.h>
#include <stdio.h>

#include "sdns/doq.h"
#include "sdns/snapshot.h"

#define SDNSD_MAX_ZONES 256

typedef struct {
	const char *config_path;
	char *doq_listen;
	char *tls_cert, *tls_key, *tls_ca;
	char *mesh;
	char *zone_files[SDNSD_MAX_ZONES];
	size_t n_zone_files;
	int workers;
	int log_level;
	/* limits, copied into sdns_doq_server_conf; 0 = module default */
	long long max_conns, max_conns_per_addr, max_streams;
	long long max_conn_buffer, max_total_buffer;
	long long stream_timeout_ms, idle_timeout_ms, retry_threshold;
	int retry_threshold_set;
} sdnsd_conf;

/* Parse argv (and the --config file it names; flags win). Returns 0, or 2 for
 * a usage error (message printed), or 1 when --help/--version was handled. */
int sdnsd_conf_load(sdnsd_conf *c, int argc, char **argv);
void sdnsd_conf_free(sdnsd_conf *c);
void sdnsd_usage(FILE *f);

/* Serving state shared by the workers (read-only but for the snapshot). */
typedef struct {
	sdns_snapshot zones;  /* current sdns_zoneset */
} sdnsd_state;

/* sdns_doq_query_fn: answer from the current zone set. ctx = sdnsd_state. */
int sdnsd_answer(void *ctx, const sdns_identity *peer, const sdns_msg *query,
                 const uint8_t *wire, size_t len, uint8_t *resp, size_t cap,
                 size_t *resp_len);

#endif
