/* Per-connection cache of prepared statements, keyed by the SQL text: the
 * server parses and plans each hot statement once per connection instead
 * of once per call. The names live as long as the connection does, so the
 * cache lives and dies with its sdns_store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

/* FNV-1a: a cheap filter before the strcmp that decides. */
static uint32_t text_hash(const char *sql)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *c = (const unsigned char *)sql; *c; c++)
		h = (h ^ *c) * 16777619u;
	return h;
}

/* Only plain queries: transaction control, LISTEN, DDL and the like gain
 * nothing from a cached plan. */
static bool preparable(const char *sql)
{
	static const char *const kw[] = {
		"SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ",
	};
	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
		if (!strncmp(sql, kw[i], strlen(kw[i])))
			return true;
	return false;
}

st_prep *st_prep_find(sdns_store *s, const char *sql)
{
	uint32_t h = text_hash(sql);
	for (int i = 0; i < s->nprep; i++)
		if (s->prep[i].hash == h && !strcmp(s->prep[i].sql, sql))
			return &s->prep[i];
	return NULL;
}

bool st_prep_can(const sdns_store *s, const char *sql)
{
	return s->nprep < ST_PREP_MAX && preparable(sql);
}

st_prep *st_prep_add(sdns_store *s, const char *sql)
{
	if (!st_prep_can(s, sql)) return NULL;
	char *copy = strdup(sql);
	if (!copy) return NULL;
	st_prep *p = &s->prep[s->nprep++];
	/* Ids are never reused: a name the server may hold stays taken. */
	*p = (st_prep){ copy, text_hash(sql), ++s->prep_seq, false };
	return p;
}

void st_prep_name(const st_prep *p, char name[16])
{
	snprintf(name, 16, "s%u", p->id);
}

void st_prep_settle(sdns_store *s)
{
	int k = 0;
	for (int i = 0; i < s->nprep; i++) {
		if (s->prep[i].ready) s->prep[k++] = s->prep[i];
		else free(s->prep[i].sql);
	}
	s->nprep = k;
}

void st_prep_free(sdns_store *s)
{
	for (int i = 0; i < s->nprep; i++) free(s->prep[i].sql);
	s->nprep = 0;
}
