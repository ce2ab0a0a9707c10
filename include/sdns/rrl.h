/* Per-client rate limiting (token bucket) for the stub's front door.
 * Clients are IPv4 /32 and IPv6 /64 prefixes (an IPv4-mapped IPv6 address
 * counts as its IPv4 address). The table has a fixed number of slots: when it
 * is full the least recently seen client in the probed slots is recycled, so
 * memory stays bounded whatever the source addresses. Pure: time comes in as
 * now_ns. Thread-safe (sharded mutexes): one instance serves all workers. */
#ifndef SDNS_RRL_H
#define SDNS_RRL_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct sdns_rrl sdns_rrl;

typedef struct {
	uint32_t rate;        /* queries per second per client; default 100 */
	uint32_t burst;       /* bucket size; default 200 */
	uint32_t slip;        /* every slip-th limited query is SLIP (answer
	                         with TC=1 over UDP); 0 = never; default 2 */
	uint32_t max_clients; /* table slots, rounded up; default 65536 */
} sdns_rrl_conf;

enum sdns_rrl_verdict {
	SDNS_RRL_ALLOW = 0, /* answer normally */
	SDNS_RRL_DROP = 1,  /* send nothing */
	SDNS_RRL_SLIP = 2,  /* UDP: answer truncated (TC=1, no records) */
};

typedef struct {
	uint64_t allowed, dropped, slipped, recycled;
} sdns_rrl_stats;

void sdns_rrl_conf_default(sdns_rrl_conf *conf);
/* SDNS_EINVAL for rate or burst of 0. */
int sdns_rrl_new(const sdns_rrl_conf *conf, sdns_rrl **out);
void sdns_rrl_free(sdns_rrl *rrl);
/* Verdict for one query from src (AF_INET or AF_INET6; other families are
 * always allowed). */
enum sdns_rrl_verdict sdns_rrl_check(sdns_rrl *rrl, const struct sockaddr *src,
                                     uint64_t now_ns);
void sdns_rrl_stats_get(sdns_rrl *rrl, sdns_rrl_stats *out);

#endif
