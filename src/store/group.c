/* Group commit of record writes. Writers of one zone are serialised by
 * the zone row lock, so each commit's fsync used to happen alone, inside
 * the lock: the disk's flush rate was the zone's write rate. Here the
 * writers of a zone in this process queue up; whoever finds nobody in
 * flight takes the queue and runs it as one transaction (st_rec_run) on
 * its own connection while the others wait, then wakes them with their
 * results. A lone writer runs at once; under load a batch is whatever
 * queued during the previous one, so no timer adds latency. Nothing is
 * answered before its batch committed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdns/error.h"
#include "store_int.h"

/* The writers of one zone of one database. */
typedef struct st_group {
	char *key;
	st_rec_job *head, *tail;  /* waiting, in arrival order */
	bool busy;                /* a batch is in flight */
	int refs;                 /* callers inside st_rec_group */
	pthread_cond_t cv;
	struct st_group *next;
} st_group;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static st_group *g_list;

/* Same server, database, user and zone: one queue. */
static char *group_key(sdns_store *s, const char *zone)
{
	const char *h = PQhost(s->pg), *p = PQport(s->pg), *d = PQdb(s->pg),
	           *u = PQuser(s->pg);
	size_t n = strlen(h ? h : "") + strlen(p ? p : "") + strlen(d ? d : "") +
	           strlen(u ? u : "") + strlen(zone) + 5;
	char *k = malloc(n);
	if (k) snprintf(k, n, "%s\n%s\n%s\n%s\n%s", h ? h : "", p ? p : "",
	                d ? d : "", u ? u : "", zone);
	return k;
}

/* Under g_mu. Takes key (freed when it is not kept). */
static st_group *group_get(char *key)
{
	for (st_group *g = g_list; g; g = g->next) {
		if (!strcmp(g->key, key)) {
			free(key);
			return g;
		}
	}
	st_group *g = calloc(1, sizeof *g);
	if (!g || pthread_cond_init(&g->cv, NULL) != 0) {
		free(g);
		free(key);
		return NULL;
	}
	g->key = key;
	g->next = g_list;
	g_list = g;
	return g;
}

/* Under g_mu, once nobody uses g. */
static void group_put(st_group *g)
{
	if (--g->refs > 0) return;
	for (st_group **pp = &g_list; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	pthread_cond_destroy(&g->cv);
	free(g->key);
	free(g);
}

/* Under g_mu: run what is queued (up to ST_REC_RUN_MAX) on s, with the
 * lock released meanwhile. */
static void group_lead(st_group *g, sdns_store *s)
{
	st_rec_job *batch[ST_REC_RUN_MAX];
	int n = 0;
	while (g->head && n < ST_REC_RUN_MAX) {
		batch[n++] = g->head;
		g->head = g->head->next;
	}
	if (!g->head) g->tail = NULL;
	g->busy = true;
	pthread_mutex_unlock(&g_mu);
	st_rec_run(s, batch, n);
	pthread_mutex_lock(&g_mu);
	for (int i = 0; i < n; i++) batch[i]->done = true;
	g->busy = false;
	pthread_cond_broadcast(&g->cv);
}

int st_rec_group(sdns_store *s, st_rec_job *job)
{
	job->done = false;
	job->next = NULL;
	st_rec_job *one[1] = { job };
	char *key = group_key(s, job->w.zone);
	if (!key) {
		st_rec_run(s, one, 1);
		return job->rc;
	}
	pthread_mutex_lock(&g_mu);
	st_group *g = group_get(key);
	if (!g) {
		pthread_mutex_unlock(&g_mu);
		st_rec_run(s, one, 1);
		return job->rc;
	}
	g->refs++;
	if (g->tail) g->tail->next = job;
	else g->head = job;
	g->tail = job;
	while (!job->done) {
		if (!g->busy) group_lead(g, s);
		else pthread_cond_wait(&g->cv, &g_mu);
	}
	group_put(g);
	pthread_mutex_unlock(&g_mu);
	return job->rc;
}
