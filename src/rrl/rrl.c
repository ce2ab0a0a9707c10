/* Per-client token buckets in a fixed table (open addressing, short probe).
 * Tokens are kept in millitokens so that refills of a fraction of a token
 * are not lost between close queries. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sdns/error.h"
#include "sdns/rrl.h"

#define PROBE 8
#define NSHARDS 16
#define MILLI 1000ull

typedef struct {
	uint64_t key;       /* 0 = free slot */
	uint64_t last_ns;   /* last refill */
	uint64_t tokens;    /* millitokens */
	uint32_t limited;   /* limited queries since the last allowed one */
} rrl_slot;

typedef struct {
	pthread_mutex_t mu;
	rrl_slot *slots;
} rrl_shard;

struct sdns_rrl {
	sdns_rrl_conf conf;
	size_t nslots;          /* per shard, power of two */
	rrl_shard shards[NSHARDS];
	atomic_uint_fast64_t allowed, dropped, slipped, recycled;
};

void sdns_rrl_conf_default(sdns_rrl_conf *conf)
{
	conf->rate = 100;
	conf->burst = 200;
	conf->slip = 2;
	conf->max_clients = 65536;
}

int sdns_rrl_new(const sdns_rrl_conf *conf, sdns_rrl **out)
{
	*out = NULL;
	if (!conf || conf->rate == 0 || conf->burst == 0) return SDNS_EINVAL;
	sdns_rrl *r = calloc(1, sizeof(*r));
	if (!r) return SDNS_ENOMEM;
	r->conf = *conf;
	size_t per = conf->max_clients / NSHARDS + 1;
	r->nslots = PROBE;
	while (r->nslots < per) r->nslots <<= 1;
	for (int i = 0; i < NSHARDS; i++) {
		r->shards[i].slots = calloc(r->nslots, sizeof(rrl_slot));
		if (!r->shards[i].slots || pthread_mutex_init(&r->shards[i].mu, NULL)) {
			free(r->shards[i].slots);
			for (int j = 0; j < i; j++) {
				free(r->shards[j].slots);
				pthread_mutex_destroy(&r->shards[j].mu);
			}
			free(r);
			return SDNS_ENOMEM;
		}
	}
	*out = r;
	return SDNS_OK;
}

void sdns_rrl_free(sdns_rrl *rrl)
{
	if (!rrl) return;
	for (int i = 0; i < NSHARDS; i++) {
		free(rrl->shards[i].slots);
		pthread_mutex_destroy(&rrl->shards[i].mu);
	}
	free(rrl);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = v << 8 | p[i];
	return v;
}

/* Client key: the family in the top bits keeps v4 and v6 apart; never 0. */
static bool client_key(const struct sockaddr *sa, uint64_t *key)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		const uint8_t *a = (const uint8_t *)&s4->sin_addr;
		*key = 1ull << 62 | (uint64_t)a[0] << 24 | (uint64_t)a[1] << 16 |
		       (uint64_t)a[2] << 8 | a[3];
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*key = 1ull << 62 | (uint64_t)a[12] << 24 |
			       (uint64_t)a[13] << 16 | (uint64_t)a[14] << 8 | a[15];
			return true;
		}
		uint64_t h = load64(a) * 0x9e3779b97f4a7c15ull;
		*key = (h ^ (h >> 31)) | 1ull << 63; /* the /64 prefix */
		return true;
	}
	return false;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

/* The client's slot: its own, a free one, or the stalest probed one. */
static rrl_slot *find_slot(sdns_rrl *r, rrl_slot *slots, uint64_t h,
                           uint64_t key, bool *fresh)
{
	rrl_slot *victim = NULL;
	for (size_t i = 0; i < PROBE; i++) {
		rrl_slot *s = &slots[(h + i) & (r->nslots - 1)];
		if (s->key == key) {
			*fresh = false;
			return s;
		}
		if (!victim || (victim->key && (!s->key || s->last_ns < victim->last_ns)))
			victim = s;
	}
	if (victim->key)
		atomic_fetch_add_explicit(&r->recycled, 1, memory_order_relaxed);
	*fresh = true;
	return victim;
}

static void refill(const sdns_rrl_conf *c, rrl_slot *s, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)c->burst * MILLI;
	if (now_ns <= s->last_ns) return;
	uint64_t dt = now_ns - s->last_ns;
	/* dt * rate cannot overflow below the time a full refill takes. */
	uint64_t full_ns = (uint64_t)c->burst * 1000000000ull / c->rate + 1;
	uint64_t add = dt >= full_ns ? cap : dt * c->rate / 1000000ull;
	s->tokens = s->tokens + add > cap ? cap : s->tokens + add;
	if (add > 0) s->last_ns = now_ns;
}

static enum sdns_rrl_verdict take(const sdns_rrl_conf *c, rrl_slot *s)
{
	if (s->tokens >= MILLI) {
		s->tokens -= MILLI;
		s->limited = 0;
		return SDNS_RRL_ALLOW;
	}
	s->limited++;
	if (c->slip && s->limited % c->slip == 0) return SDNS_RRL_SLIP;
	return SDNS_RRL_DROP;
}

enum sdns_rrl_verdict sdns_rrl_check(sdns_rrl *rrl, const struct sockaddr *src,
                                     uint64_t now_ns)
{
	uint64_t key;
	enum sdns_rrl_verdict v = SDNS_RRL_ALLOW;
	if (src && client_key(src, &key)) {
		uint64_t h = mix(key);
		rrl_shard *sh = &rrl->shards[h >> 60];
		bool fresh;
		pthread_mutex_lock(&sh->mu);
		rrl_slot *s = find_slot(rrl, sh->slots, h, key, &fresh);
		if (fresh) {
			s->key = key;
			s->tokens = (uint64_t)rrl->conf.burst * MILLI;
			s->last_ns = now_ns;
			s->limited = 0;
		}
		refill(&rrl->conf, s, now_ns);
		v = take(&rrl->conf, s);
		pthread_mutex_unlock(&sh->mu);
	}
	atomic_uint_fast64_t *ctr = v == SDNS_RRL_ALLOW ? &rrl->allowed :
	                            v == SDNS_RRL_DROP ? &rrl->dropped : &rrl->slipped;
	atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
	return v;
}

void sdns_rrl_stats_get(sdns_rrl *rrl, sdns_rrl_stats *out)
{
	out->allowed = atomic_load(&rrl->allowed);
	out->dropped = atomic_load(&rrl->dropped);
	out->slipped = atomic_load(&rrl->slipped);
	out->recycled = atomic_load(&rrl->recycled);
}
