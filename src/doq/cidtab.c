/* Connection IDs to connections, one table per worker. Client-chosen IDs
 * (the first DCID) are also stored, so the hash is seeded per table. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "sdns/error.h"

struct doq_cid_ent {
	uint8_t cid[NGTCP2_MAX_CIDLEN];
	uint8_t len;
	doq_conn *conn;
	doq_cid_ent *next;
};

static size_t hash(const doq_cidtab *t, const uint8_t *cid, size_t len)
{
	uint32_t h = 2166136261u ^ t->seed;
	for (size_t i = 0; i < len; i++) h = (h ^ cid[i]) * 16777619u;
	h ^= h >> 15;
	return h & (t->nb - 1);
}

int doq_cidtab_init(doq_cidtab *t)
{
	t->nb = 1024;
	t->n = 0;
	doq_rand((uint8_t *)&t->seed, sizeof(t->seed));
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? SDNS_OK : SDNS_ENOMEM;
}

void doq_cidtab_free(doq_cidtab *t)
{
	for (size_t i = 0; t->b && i < t->nb; i++) {
		doq_cid_ent *e = t->b[i];
		while (e) {
			doq_cid_ent *n = e->next;
			free(e);
			e = n;
		}
	}
	free(t->b);
	t->b = NULL;
}

static void grow(doq_cidtab *t)
{
	size_t nb = t->nb * 2;
	doq_cid_ent **b = calloc(nb, sizeof(*b));
	if (!b) return; /* keep the longer chains */
	doq_cid_ent **old = t->b;
	size_t onb = t->nb;
	t->b = b;
	t->nb = nb;
	for (size_t i = 0; i < onb; i++) {
		doq_cid_ent *e = old[i];
		while (e) {
			doq_cid_ent *n = e->next;
			size_t h = hash(t, e->cid, e->len);
			e->next = b[h];
			b[h] = e;
			e = n;
		}
	}
	free(old);
}

int doq_cidtab_add(doq_cidtab *t, const uint8_t *cid, size_t len, doq_conn *c)
{
	if (len > NGTCP2_MAX_CIDLEN) return SDNS_EINVAL;
	if (doq_cidtab_get(t, cid, len)) return SDNS_EEXIST;
	doq_cid_ent *e = malloc(sizeof(*e));
	if (!e) return SDNS_ENOMEM;
	memcpy(e->cid, cid, len);
	e->len = (uint8_t)len;
	e->conn = c;
	size_t h = hash(t, cid, len);
	e->next = t->b[h];
	t->b[h] = e;
	if (++t->n > t->nb) grow(t);
	return SDNS_OK;
}

void doq_cidtab_del(doq_cidtab *t, const uint8_t *cid, size_t len)
{
	doq_cid_ent **pp = &t->b[hash(t, cid, len)];
	for (; *pp; pp = &(*pp)->next) {
		doq_cid_ent *e = *pp;
		if (e->len == len && memcmp(e->cid, cid, len) == 0) {
			*pp = e->next;
			free(e);
			t->n--;
			return;
		}
	}
}

doq_conn *doq_cidtab_get(const doq_cidtab *t, const uint8_t *cid, size_t len)
{
	for (doq_cid_ent *e = t->b[hash(t, cid, len)]; e; e = e->next)
		if (e->len == len && memcmp(e->cid, cid, len) == 0) return e->conn;
	return NULL;
}
