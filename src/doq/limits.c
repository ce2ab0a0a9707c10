/* Connection and buffer limits shared by all workers. The per-address table
 * is touched only when a connection opens or closes (under a mutex); the
 * buffer budget is a relaxed atomic, so the query path takes no lock. */
#include <stdlib.h>
#include <string.h>

#include "doq_int.h"
#include "sdns/error.h"

#define ADDR_BUCKETS 4096u

struct doq_addr_slot {
	uint8_t ip[16];
	uint32_t count;
	doq_addr_slot *next;
};

/* IPv4 as v4-mapped IPv6 so one key shape covers both families. */
static void addr_key(const struct sockaddr *sa, uint8_t ip[16])
{
	memset(ip, 0, 16);
	if (sa->sa_family == AF_INET) {
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static size_t bucket_of(const uint8_t ip[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++) h = (h ^ ip[i]) * 16777619u;
	return h & (ADDR_BUCKETS - 1);
}

int doq_limits_init(doq_limits *l, uint32_t max_conns, uint32_t per_addr,
                    size_t max_total)
{
	memset(l, 0, sizeof(*l));
	l->nbuckets = ADDR_BUCKETS;
	l->buckets = calloc(ADDR_BUCKETS, sizeof(*l->buckets));
	if (!l->buckets) return SDNS_ENOMEM;
	l->max_conns = max_conns;
	l->max_per_addr = per_addr;
	l->max_total = max_total;
	atomic_init(&l->conns, 0);
	atomic_init(&l->buffered, 0);
	pthread_mutex_init(&l->mu, NULL);
	return SDNS_OK;
}

void doq_limits_free(doq_limits *l)
{
	if (!l->buckets) return;
	for (size_t i = 0; i < l->nbuckets; i++) {
		doq_addr_slot *s = l->buckets[i];
		while (s) {
			doq_addr_slot *n = s->next;
			free(s);
			s = n;
		}
	}
	free(l->buckets);
	l->buckets = NULL;
	pthread_mutex_destroy(&l->mu);
}

int doq_limits_conn_open(doq_limits *l, const struct sockaddr *sa)
{
	uint8_t ip[16];
	addr_key(sa, ip);
	size_t b = bucket_of(ip);
	int rv = SDNS_ELIMIT;
	pthread_mutex_lock(&l->mu);
	if (atomic_load_explicit(&l->conns, memory_order_relaxed) >=
	    l->max_conns)
		goto out;
	doq_addr_slot *s = l->buckets[b];
	while (s && memcmp(s->ip, ip, 16) != 0) s = s->next;
	if (s && s->count >= l->max_per_addr) goto out;
	if (!s) {
		if (l->max_per_addr == 0 || !(s = calloc(1, sizeof(*s)))) goto out;
		memcpy(s->ip, ip, 16);
		s->next = l->buckets[b];
		l->buckets[b] = s;
		l->used++;
	}
	s->count++;
	atomic_fetch_add_explicit(&l->conns, 1, memory_order_relaxed);
	rv = SDNS_OK;
out:
	pthread_mutex_unlock(&l->mu);
	return rv;
}

void doq_limits_conn_close(doq_limits *l, const struct sockaddr *sa)
{
	uint8_t ip[16];
	addr_key(sa, ip);
	size_t b = bucket_of(ip);
	pthread_mutex_lock(&l->mu);
	doq_addr_slot **pp = &l->buckets[b];
	while (*pp && memcmp((*pp)->ip, ip, 16) != 0) pp = &(*pp)->next;
	if (*pp) {
		doq_addr_slot *s = *pp;
		if (--s->count == 0) {
			*pp = s->next;
			free(s);
			l->used--;
		}
		atomic_fetch_sub_explicit(&l->conns, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&l->mu);
}

bool doq_limits_buf_take(doq_limits *l, size_t n)
{
	size_t old = atomic_fetch_add_explicit(&l->buffered, n,
	                                       memory_order_relaxed);
	if (old + n <= l->max_total) return true;
	atomic_fetch_sub_explicit(&l->buffered, n, memory_order_relaxed);
	return false;
}

void doq_limits_buf_give(doq_limits *l, size_t n)
{
	atomic_fetch_sub_explicit(&l->buffered, n, memory_order_relaxed);
}
