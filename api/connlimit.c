/* Who may open one more connection, decided at accept, before any TLS.
 *
 * libmicrohttpd bounds connections per address (PER_IP_CONNECTION_LIMIT)
 * and overall; on top of that, once half of the places are taken, an
 * address that already holds API_CROWDED_SHARE connections gets no more.
 * Without it, max_connections / max_per_address addresses (8 with the
 * defaults) holding their full share lock everyone else out until the
 * handshake timeout; with it, the second half of the table fills only a
 * few places per address, so it takes many more addresses, and a newcomer
 * such as the administrator finds a place meanwhile.
 *
 * Counts are kept per address (IPv4, or IPv6 by its /64: one host usually
 * has the whole prefix) in a small keyed hash table, raised when MHD
 * starts a connection and lowered when it closes; the accept policy only
 * reads them, so a connection MHD refuses for its own reasons is never
 * counted. Between the check and the count another thread may accept one
 * more: the limit is soft by at most the pool size. */
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "sdns/error.h"

#define API_CONN_BUCKETS 256
#define API_CROWDED_SHARE 4

typedef struct api_conn_entry {
	struct api_conn_entry *next;
	uint8_t key[17];        /* family byte + 4 or 8 address bytes */
	unsigned n;
} api_conn_entry;

struct api_connlimit {
	pthread_mutex_t lock;
	unsigned total, max, crowded;
	api_conn_entry *bucket[API_CONN_BUCKETS];
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

int api_connlimit_init(sdns_api *api, unsigned max_conns)
{
	struct api_connlimit *cl = calloc(1, sizeof(*cl));
	if (!cl) return SDNS_ENOMEM;
	pthread_mutex_init(&cl->lock, NULL);
	cl->max = max_conns;
	cl->crowded = API_CROWDED_SHARE;
	randombytes_buf(cl->hkey, sizeof(cl->hkey));
	api->connlimit = cl;
	return SDNS_OK;
}

void api_connlimit_free(sdns_api *api)
{
	struct api_connlimit *cl = api->connlimit;
	if (!cl) return;
	for (size_t i = 0; i < API_CONN_BUCKETS; i++)
		while (cl->bucket[i]) {
			api_conn_entry *e = cl->bucket[i];
			cl->bucket[i] = e->next;
			free(e);
		}
	pthread_mutex_destroy(&cl->lock);
	free(cl);
	api->connlimit = NULL;
}

/* false for an address family we do not count. */
static bool key_of(const struct sockaddr *sa, uint8_t key[17])
{
	memset(key, 0, 17);
	if (sa && sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa && sa->sa_family == AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
		return true;
	}
	return false;
}

/* Under cl->lock. */
static api_conn_entry **find(struct api_connlimit *cl, const uint8_t key[17])
{
	uint64_t h;
	crypto_shorthash((uint8_t *)&h, key, 17, cl->hkey);
	api_conn_entry **e = &cl->bucket[h % API_CONN_BUCKETS];
	while (*e && memcmp((*e)->key, key, 17) != 0) e = &(*e)->next;
	return e;
}

bool api_connlimit_admit(struct api_connlimit *cl, const struct sockaddr *sa)
{
	uint8_t key[17];
	if (!cl || !key_of(sa, key)) return true;
	pthread_mutex_lock(&cl->lock);
	bool ok = true;
	if (cl->total >= cl->max / 2) {
		api_conn_entry *e = *find(cl, key);
		ok = !e || e->n < cl->crowded;
	}
	pthread_mutex_unlock(&cl->lock);
	return ok;
}

void *api_connlimit_opened(struct api_connlimit *cl, const struct sockaddr *sa)
{
	uint8_t key[17];
	if (!cl || !key_of(sa, key)) return NULL;
	pthread_mutex_lock(&cl->lock);
	api_conn_entry **pe = find(cl, key), *e = *pe;
	if (!e && (e = calloc(1, sizeof(*e)))) {
		memcpy(e->key, key, 17);
		*pe = e;
	}
	if (e) {
		e->n++;
		cl->total++;
	}
	pthread_mutex_unlock(&cl->lock);
	return e;
}

void api_connlimit_closed(struct api_connlimit *cl, void *entry)
{
	api_conn_entry *e = entry;
	if (!cl || !e) return;
	pthread_mutex_lock(&cl->lock);
	cl->total--;
	if (--e->n == 0) {
		api_conn_entry **pe = find(cl, e->key);
		*pe = e->next;
		free(e);
	}
	pthread_mutex_unlock(&cl->lock);
}
