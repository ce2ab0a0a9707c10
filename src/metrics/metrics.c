/* Metrics registry: families, series, and the lock-free hot path. */
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"
#include "sdns/error.h"

const double sdns_metrics_default_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5,
};
const size_t sdns_metrics_default_nbuckets =
	sizeof(sdns_metrics_default_buckets) / sizeof(sdns_metrics_default_buckets[0]);

int sdns_metrics_new(sdns_metrics **out)
{
	*out = NULL;
	sdns_metrics *m = calloc(1, sizeof(*m));
	if (!m) return SDNS_ENOMEM;
	if (pthread_mutex_init(&m->mu, NULL)) {
		free(m);
		return SDNS_ENOMEM;
	}
	m->tail = &m->head;
	*out = m;
	return SDNS_OK;
}

static void series_free(sdns_series *s, size_t nlabels)
{
	for (size_t i = 0; i < nlabels; i++) free(s->values[i]);
	free(s);
}

static void family_free(sdns_metric *f)
{
	for (sdns_series *s = f->series, *n; s; s = n) {
		n = s->next;
		series_free(s, f->nlabels);
	}
	for (size_t i = 0; i < f->nlabels; i++) free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

void sdns_metrics_free(sdns_metrics *m)
{
	if (!m) return;
	for (sdns_metric *f = m->head, *n; f; f = n) {
		n = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static bool valid_name(const char *s, bool colon)
{
	if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || (colon && c == ':')))
			return false;
	}
	return true;
}

static bool valid_family(enum sdns_metric_type type, const char *name,
                         const char *const *labels, size_t nlabels,
                         const double *b, size_t nb)
{
	if (type > SDNS_METRIC_HISTOGRAM || !valid_name(name, true) ||
	    nlabels > SDNS_METRIC_LABELS_MAX || (nlabels && !labels))
		return false;
	for (size_t i = 0; i < nlabels; i++)
		if (!valid_name(labels[i], false) || strcmp(labels[i], "le") == 0)
			return false;
	if (type != SDNS_METRIC_HISTOGRAM || !b) return true;
	if (nb == 0 || nb > SDNS_METRIC_BUCKETS_MAX) return false;
	for (size_t i = 0; i < nb; i++)
		if (!(b[i] >= 0 && b[i] < 1e9) || (i && !(b[i] > b[i - 1])))
			return false;
	return true;
}

static sdns_metric *find_family(sdns_metrics *m, const char *name)
{
	for (sdns_metric *f = m->head; f; f = f->next)
		if (strcmp(f->name, name) == 0) return f;
	return NULL;
}

static void set_buckets(sdns_metric *f, const double *b, size_t nb)
{
	if (!b) {
		b = sdns_metrics_default_buckets;
		nb = sdns_metrics_default_nbuckets;
	}
	f->nbuckets = nb;
	for (size_t i = 0; i < nb; i++) {
		f->le[i] = b[i];
		f->le_ns[i] = (uint64_t)(b[i] * 1e9 + 0.5);
	}
}

static sdns_metric *family_make(enum sdns_metric_type type, const char *name,
                                const char *help, const char *const *labels,
                                size_t nlabels)
{
	sdns_metric *f = calloc(1, sizeof(*f));
	if (!f) return NULL;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->nlabels = nlabels;
	bool ok = f->name && f->help;
	for (size_t i = 0; i < nlabels; i++)
		ok = (f->labels[i] = strdup(labels[i])) && ok;
	f->series_tail = &f->series;
	if (!ok) {
		family_free(f);
		return NULL;
	}
	return f;
}

int sdns_metrics_add(sdns_metrics *m, enum sdns_metric_type type,
                     const char *name, const char *help,
                     const char *const *labels, size_t nlabels,
                     const double *buckets, size_t nbuckets,
                     sdns_metric **out)
{
	if (out) *out = NULL;
	if (!m || !valid_family(type, name, labels, nlabels, buckets, nbuckets))
		return SDNS_EINVAL;
	sdns_metric *f = family_make(type, name, help, labels, nlabels);
	if (!f) return SDNS_ENOMEM;
	f->reg = m;
	if (type == SDNS_METRIC_HISTOGRAM) set_buckets(f, buckets, nbuckets);
	pthread_mutex_lock(&m->mu);
	bool dup = find_family(m, name) != NULL;
	if (!dup) {
		*m->tail = f;
		m->tail = &f->next;
	}
	pthread_mutex_unlock(&m->mu);
	if (dup) {
		family_free(f);
		return SDNS_EEXIST;
	}
	if (nlabels == 0) {
		sdns_series *s;
		int rc = sdns_metric_series(f, NULL, &s);
		if (rc) return rc;
	}
	if (out) *out = f;
	return SDNS_OK;
}

static sdns_series *find_series(sdns_metric *f, const char *const *values)
{
	for (sdns_series *s = f->series; s; s = s->next) {
		size_t i = 0;
		while (i < f->nlabels && strcmp(s->values[i], values[i]) == 0) i++;
		if (i == f->nlabels) return s;
	}
	return NULL;
}

static sdns_series *series_make(sdns_metric *f, const char *const *values)
{
	sdns_series *s = calloc(1, sizeof(*s));
	if (!s) return NULL;
	s->fam = f;
	bool ok = true;
	for (size_t i = 0; i < f->nlabels; i++)
		ok = (s->values[i] = strdup(values[i])) && ok;
	if (!ok) {
		series_free(s, f->nlabels);
		return NULL;
	}
	return s;
}

int sdns_metric_series(sdns_metric *f, const char *const *values,
                       sdns_series **out)
{
	*out = NULL;
	if (!f || (f->nlabels && !values)) return SDNS_EINVAL;
	for (size_t i = 0; i < f->nlabels; i++)
		if (!values[i]) return SDNS_EINVAL;
	int rc = SDNS_OK;
	pthread_mutex_lock(&f->reg->mu);
	sdns_series *s = find_series(f, values);
	if (!s) {
		s = series_make(f, values);
		if (s) {
			*f->series_tail = s;
			f->series_tail = &s->next;
		} else {
			rc = SDNS_ENOMEM;
		}
	}
	pthread_mutex_unlock(&f->reg->mu);
	*out = s;
	return rc;
}

void sdns_series_inc(sdns_series *s)
{
	sdns_series_add(s, 1);
}

void sdns_series_add(sdns_series *s, int64_t delta)
{
	if (s) atomic_fetch_add_explicit(&s->value, delta, memory_order_relaxed);
}

void sdns_series_set(sdns_series *s, int64_t v)
{
	if (s) atomic_store_explicit(&s->value, v, memory_order_relaxed);
}

void sdns_series_observe_ns(sdns_series *s, uint64_t ns)
{
	if (!s || s->fam->type != SDNS_METRIC_HISTOGRAM) return;
	const sdns_metric *f = s->fam;
	size_t i = 0;
	while (i < f->nbuckets && ns > f->le_ns[i]) i++;
	if (i < f->nbuckets)
		atomic_fetch_add_explicit(&s->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_ns, ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

int64_t sdns_series_value(const sdns_series *s)
{
	return s ? atomic_load_explicit(&s->value, memory_order_relaxed) : 0;
}

uint64_t sdns_series_count(const sdns_series *s)
{
	return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}
